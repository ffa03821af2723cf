"""Figures of the Outreach page from a tiny hand-drawn caseload plan."""

from __future__ import annotations

import pandas as pd
import pytest

from components import outreach_figures as figs
from planning.caseloads import assign_caseloads
from planning.outreach import presence_grid, weekly_calendar


def plan():
    spots = pd.DataFrame(
        {
            "hotspot_id": ["H1", "H2", "H3", "H4"],
            "x_m": [0.0, 100.0, 0.0, 9000.0],
            "y_m": [0.0, 0.0, 100.0, 0.0],
            "people": [20.0, 20.0, 15.0, 80.0],
            "name": ["a", "b", "c", "d"],
            "typology": ["bar"] * 4,
            "latitude": [-13.90, -13.90, -13.899, -13.90],
            "longitude": [33.70, 33.701, 33.70, 33.78],
            "peak_days": ["Fri;Sat"] * 4,
            "peak_times": ["20-24"] * 4,
        }
    )
    result = assign_caseloads(spots, people_per_pe=60, district="Test")
    return result, weekly_calendar(result.assignments, result.spots)


def test_caseload_map_has_a_colour_per_pe_and_outlines():
    result, _ = plan()
    fig = figs.caseload_map_figure(result)
    markers = next(t for t in fig["data"] if t["meta"] == "caseloads")
    assert len(markers["lat"]) == len(result.assignments)
    colours = dict(zip(markers["customdata"], markers["marker"]["color"]))
    assert len(set(colours.values())) == result.pe_count == 3  # H1-H3 one PE; H4 split in two
    assert any(t["meta"] == "outlines" for t in fig["data"])
    assert fig["layout"]["map"]["style"] == "white-bg"  # offline: no tiles


def test_heatmap_and_tables():
    result, calendar = plan()
    fig = figs.presence_heatmap_figure(presence_grid(result.spots))
    z = fig["data"][0]["z"]
    assert len(z) == 7 and len(z[0]) == 24
    assert z[4][21] == 135.0  # Friday 21:00: all 135 people at peak
    table = figs.pe_table_frame(result, calendar)
    assert sorted(table["people"]) == [20, 55, 60]
    cal = figs.calendar_frame(calendar, result.spots, result.peer_educators["pe_id"][0])
    assert set(cal["day"]) <= {"Fri", "Sat"}


def test_caseload_map_draws_the_service_site_and_its_access_circle():
    result, _ = plan()
    site = {
        "site_id": "S1",
        "name": "North clinic",
        "latitude": -13.95,
        "longitude": 33.70,
        "distance_km": 5.0,
    }
    fig = figs.caseload_map_figure(result, site=site)
    marker = next(t for t in fig["data"] if t["meta"] == "site")
    assert (marker["lat"], marker["lon"], marker["customdata"]) == ([-13.95], [33.70], ["S1"])
    assert "North clinic" in marker["text"][0]
    circle = next(t for t in fig["data"] if t["meta"] == "site-distance")
    # 5 km north of the site is 5 / 110.574 degrees of latitude
    assert max(circle["lat"]) - (-13.95) == pytest.approx(5 / 110.574, rel=1e-4)
    assert circle["lat"][0] == circle["lat"][-1] and circle["lon"][0] == circle["lon"][-1]
    assert "site" not in [t["meta"] for t in figs.caseload_map_figure(result)["data"]]
