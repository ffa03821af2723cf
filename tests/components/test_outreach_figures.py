"""Figures of the Outreach page from a tiny hand-drawn district.

Three spots of a town (55 people, one PE), a spot of 80 people 8.6 km east (split: 60 + 20) and
a spot of 10 people 5.5 km north: 145 people, the plan ⌈145 ÷ 60⌉ = 3 PEs; the last two spots are
farther than the 3 km walking limit from every other spot, so each is a caseload of its own.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from components import outreach_figures as figs
from planning.caseloads import CaseloadParams, district_caseloads
from planning.outreach import OutreachParams, presence_grid, weekly_calendar

CRS = "EPSG:32736"


def hotspots() -> pd.DataFrame:
    people = [20, 20, 15, 80, 10]
    return pd.DataFrame(
        {
            "hotspot_id": ["H1", "H2", "H3", "H4", "H5"],
            "name": ["a", "b", "c", "d", "e"],
            "latitude": [-13.900, -13.900, -13.899, -13.900, -13.850],
            "longitude": [33.700, 33.701, 33.700, 33.780, 33.700],
            "typology": ["bar"] * 5,
            "typical_min": people,
            "typical_max": people,
            "peak_min": people,
            "peak_max": people,
            "district": ["Test"] * 5,
            "peak_days": ["Fri;Sat"] * 5,
            "peak_times": ["20-24"] * 5,
        }
    )


def plan():
    result = district_caseloads(hotspots(), CRS, CaseloadParams(people_per_pe=60), district="Test")
    return result, weekly_calendar(result.assignments, result.spots)


def rings(trace) -> list[shapely.Polygon]:
    """The polygons of a None-separated line trace."""
    out, lon, lat = [], [], []
    for x, y in zip(trace["lon"], trace["lat"]):
        if x is None:
            out.append(shapely.Polygon(list(zip(lon, lat))))
            lon, lat = [], []
        else:
            lon.append(x)
            lat.append(y)
    assert lon == []  # every ring is closed by a separator
    return out


def test_the_hand_drawn_plan():
    result, _ = plan()
    assert result.plan_peer_educators == 3
    assert result.pe_count == 4  # the town, two shares of H4, H5
    assert set(result.isolated) == {"H4", "H5"}


def test_one_outline_trace_with_a_ring_around_each_caseloads_spots():
    result, _ = plan()
    fig = figs.caseload_map_figure(result)
    outlines = [t for t in fig["data"] if t["meta"] == "outlines"]
    assert len(outlines) == 1  # one trace however many caseloads
    polygons = rings(outlines[0])
    assert len(polygons) == result.pe_count
    spots = result.spots.set_index("hotspot_id")
    ring_of = dict(zip(result.peer_educators["pe_id"], polygons))
    for pe, hotspot in zip(result.assignments["pe_id"], result.assignments["hotspot_id"]):
        point = shapely.Point(spots.loc[hotspot, "longitude"], spots.loc[hotspot, "latitude"])
        assert ring_of[pe].contains(point), (pe, hotspot)
    # the town's ring holds none of the far spots
    town = ring_of[result.assignments.set_index("hotspot_id").loc["H1", "pe_id"]]
    assert not town.contains(shapely.Point(33.78, -13.90))
    assert fig["layout"]["map"]["style"] == "white-bg"  # offline: no tiles


def test_spots_and_centres_carry_the_pe_ids():
    result, _ = plan()
    fig = figs.caseload_map_figure(result)
    spots = next(t for t in fig["data"] if t["meta"] == "caseloads")
    assert len(spots["lat"]) == len(result.assignments)  # a split spot once per PE
    assert [c[:2] for c in spots["customdata"]] == [
        [pe, h] for pe, h in zip(result.assignments["pe_id"], result.assignments["hotspot_id"])
    ]
    # colour = the PE's palette index: one colour per PE here (4 PEs, 9 colours)
    colour_of = {c[0]: col for c, col in zip(spots["customdata"], spots["marker"]["color"])}
    assert len(set(colour_of.values())) == result.pe_count
    centres = next(t for t in fig["data"] if t["meta"] == "centres")
    pes = result.peer_educators
    assert [c[0] for c in centres["customdata"]] == pes["pe_id"].tolist()
    assert centres["lat"] == pes["latitude"].round(5).tolist()
    assert "%{customdata[0]}" in centres["hovertemplate"]
    # a centre has the colour of its PE's spots
    assert dict(zip([c[0] for c in centres["customdata"]], centres["marker"]["color"])) == colour_of
    # the centre of the town's caseload is the mean of its three spots
    town_pe = result.assignments.set_index("hotspot_id").loc["H1", "pe_id"]
    town = pes.set_index("pe_id").loc[town_pe]
    assert town["latitude"] == pytest.approx(np.mean([-13.900, -13.900, -13.899]), abs=1e-6)


def test_the_view_contains_every_spot_and_the_site():
    result, _ = plan()
    site = {"site_id": "S1", "name": "North clinic", "latitude": -13.95, "longitude": 33.70}
    minx, miny, maxx, maxy = figs.area_bounds(result, site)
    lon, lat = result.spots["longitude"], result.spots["latitude"]
    assert (minx < lon.min()) and (lon.max() < maxx) and (miny < lat.min()) and (lat.max() < maxy)
    assert miny < -13.95
    fig = figs.caseload_map_figure(result, site=site)
    centre = fig["layout"]["map"]["center"]
    assert centre == pytest.approx({"lat": (miny + maxy) / 2, "lon": (minx + maxx) / 2})


def test_district_outline_and_sites_are_drawn():
    square = shapely.box(33.6, -14.0, 33.9, -13.8)
    holed = shapely.Polygon(square.exterior.coords, [shapely.box(33.74, -13.95, 33.76, -13.93)
                                                     .exterior.coords])  # fmt: skip
    boundaries = gpd.GeoDataFrame(
        {"district": ["Test", "Other"]},
        geometry=[holed, shapely.box(34, -14, 34.1, -13.9)],
        crs="EPSG:4326",
    )
    lon, lat = figs.area_outline_lonlat(boundaries, "Test")
    assert lon.count(None) == 2  # the outer ring and the hole
    assert min(v for v in lon if v is not None) == 33.6
    assert max(v for v in lon if v is not None) == 33.9
    assert figs.area_outline_lonlat(boundaries, "Nowhere") == ([], [])
    sites = pd.DataFrame(
        {
            "site_id": ["S1", "S2"],
            "name": ["Clinic", "Pharmacy"],
            "latitude": [-13.90, -13.88],
            "longitude": [33.71, 33.72],
            "site_type": ["clinic", "pharmacy"],
        }
    )
    result, _ = plan()
    fig = figs.caseload_map_figure(result, area_outline=(lon, lat), sites=sites)
    metas = [t["meta"] for t in fig["data"]]
    assert metas[0] == "area"  # drawn first, under everything
    drawn = [c[0] for t in fig["data"] if t["meta"] == "sites" for c in t["customdata"]]
    assert sorted(drawn) == ["S1", "S2"]


def test_caseload_map_draws_the_service_site_and_its_catchment_circle():
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


def test_heatmap_grid_rows_and_calendar():
    result, calendar = plan()
    fig = figs.presence_heatmap_figure(presence_grid(result.spots))
    z = fig["data"][0]["z"]
    assert len(z) == 7 and len(z[0]) == 24
    assert z[4][21] == 145.0  # Friday 21:00: all 145 people at peak
    table = figs.pe_table_frame(result, calendar)
    assert list(table.columns) == [c.field for c in figs.PE_GRID_COLUMNS]
    assert len(table) == result.pe_count and table["pe_id"].is_unique
    assert sorted(table["people"]) == [10, 20, 55, 60]
    rows = figs.pe_grid_rows(table)
    # numbers stay numbers, the flag a bool
    assert all(isinstance(r["people"], int) and isinstance(r["radius_km"], float) for r in rows)
    assert all(isinstance(r["overloaded"], bool) for r in rows)
    assert max(r["radius_km"] for r in rows) <= result.walking_limit_km
    cal = figs.calendar_frame(calendar, result.spots, result.peer_educators["pe_id"][0])
    assert set(cal["day"]) <= {"Fri", "Sat"}


def test_grid_headers_carry_units_and_export_values():
    grid = figs.pe_grid("g")
    headers = {d["field"]: d["headerName"] for d in grid.columnDefs}
    assert headers["radius_km"] == "Radius (km)" and headers["walk_km"] == "Walk (km)"
    assert headers["load_pct"] == "Load (%)"
    assert all(d["useValueFormatterForExport"] is False for d in grid.columnDefs)
    assert grid.getRowId == "params.data.pe_id"
    assert grid.dashGridOptions["rowSelection"]["mode"] == "singleRow"


def test_the_plan_and_the_caseloads_side_by_side_in_words():
    result, _ = plan()
    text = figs.plan_difference_text(result)
    assert "⌈145 people ÷ 60 people per PE⌉ = 3 PEs" in text
    assert "the caseloads need 4, 1 more" in text
    assert "2 spots lie farther than 3 km" in text and "whole spots" in text


def test_load_definition_states_its_numbers():
    text = figs.load_definition(OutreachParams(hours_per_day=6))
    # 6 hours × 5 days × 4 contacts an hour (15 minutes) × 4.33 weeks = 520 contacts a month
    assert "6 × 5 × 4 (15 minutes a contact) × 4.33 = 520 contacts a month" in text
    assert "contacts needed a month ÷ the PE's monthly capacity" in text
    assert "2.40 contacts a person a month" in text
    assert "= 693 contacts" in figs.load_definition(OutreachParams(hours_per_day=8))


# --- level of detail: a large area's map is an overview, its spots sent for a view or a PE ------


def test_a_small_area_is_drawn_in_full_with_its_spots_at_the_patched_index():
    result, _ = plan()
    assert not figs.is_overview(result)
    fig = figs.caseload_map_figure(result)
    assert [t["meta"] for t in fig["data"][:3]] == ["area", "outlines", "caseloads"]
    assert len(fig["data"][figs.SPOT_TRACE]["lat"]) == len(result.assignments)
    assert "centre-halo" in [t["meta"] for t in fig["data"]]


def test_a_large_area_is_an_overview_of_outlines_and_centres(monkeypatch):
    result, _ = plan()
    monkeypatch.setattr(figs, "DETAIL_MAX_SPOTS", 3)  # the 6 assignments make it "large"
    assert figs.is_overview(result)
    fig = figs.caseload_map_figure(result)
    metas = [t["meta"] for t in fig["data"]]
    spots = fig["data"][figs.SPOT_TRACE]
    assert spots["meta"] == "caseloads" and spots["lat"] == [] and spots["customdata"] == []
    assert "choose a PE" in spots["name"]
    assert "centre-halo" not in metas  # one marker per centre
    centres = fig["data"][metas.index("centres")]
    assert [c[0] for c in centres["customdata"]] == result.peer_educators["pe_id"].tolist()
    # every caseload still has its ring, points rounded to 4 decimals, none repeated
    outlines = fig["data"][metas.index("outlines")]
    assert outlines["lat"].count(None) == result.pe_count
    pairs = list(zip(outlines["lon"], outlines["lat"]))
    assert all(a != b for a, b in itertools.pairwise(pairs) if a[0] is not None)
    assert all(round(v, 4) == v for v in outlines["lon"] if v is not None)


def test_spots_shown_for_a_zoomed_in_view_else_the_chosen_pe():
    result, _ = plan()
    town_pe = result.assignments.set_index("hotspot_id").loc["H1", "pe_id"]
    town_view = (33.699, -13.901, 33.702, -13.898)  # H1-H3 only
    shown = figs.spots_shown(result, town_view, None)
    assert sorted(c[1] for c in shown["customdata"]) == ["H1", "H2", "H3"]
    assert shown["name"].startswith("Spots in view: 3 of 6")
    # too many spots in the view (here: more than 2): the chosen PE's, or none
    far_pe = result.assignments.set_index("hotspot_id").loc["H5", "pe_id"]
    whole = (33.6, -14.0, 33.9, -13.8)
    mine = figs.spots_shown(result, whole, far_pe, max_spots=2)
    assert [c[:2] for c in mine["customdata"]] == [[far_pe, "H5"]]
    assert mine["name"].startswith(f"Spots of {far_pe} (1)")
    assert figs.spots_shown(result, whole, None, max_spots=2)["lat"] == []
    # no view at all (the area's own): the chosen PE's spots
    assert {c[0] for c in figs.spots_shown(result, None, town_pe)["customdata"]} == {town_pe}


def test_view_bounds_from_plotly_relayout_events():
    corners = [[33.6, -13.8], [33.9, -13.8], [33.9, -14.0], [33.6, -14.0]]
    assert figs.view_bounds({"map._derived": {"coordinates": corners}}) == (
        33.6, -14.0, 33.9, -13.8,
    )  # fmt: skip
    # centre and zoom only: zoom 10 spans 1000 px * 360 / (512 * 2**10) = 0.687 degrees
    lon0, lat0, lon1, lat1 = figs.view_bounds({"map.center": {"lon": 33.7, "lat": -13.9},
                                                "map.zoom": 10})  # fmt: skip
    assert lon1 - lon0 == pytest.approx(1000 * 360 / (512 * 2**10))
    assert (lat0 + lat1) / 2 == pytest.approx(-13.9) and lat1 - lat0 < lon1 - lon0
    for nothing in (None, {}, {"autosize": True}, {"map.center": "x", "map.zoom": "y"},
                    {"map._derived": {"coordinates": "bad"}}):  # fmt: skip
        assert figs.view_bounds(nothing) is None


def test_overview_bytes_bounded_on_a_seeded_district_of_3000_spots(monkeypatch):
    """The overview of a 3,000-spot district is a fraction of the full figure, and a spots patch
    never holds more than VIEW_MAX_SPOTS spots."""
    import json

    from bench.synthetic import synthetic_dataset

    ds = synthetic_dataset(3_000, 30, 1, boundaries="grid", seed=7)
    district = str(ds.hotspots["district"].iloc[0])
    result = district_caseloads(ds.hotspots, ds.crs_projected, CaseloadParams(), district=district)
    assert figs.is_overview(result)
    overview = len(json.dumps(figs.caseload_map_figure(result)))
    monkeypatch.setattr(figs, "DETAIL_MAX_SPOTS", 10_000)
    full = len(json.dumps(figs.caseload_map_figure(result)))
    monkeypatch.undo()
    # measured: 246 bytes a caseload (1,094 caseloads), half the full figure's bytes
    assert overview < 300 * result.pe_count
    assert overview < 0.6 * full
    everything = (-180.0, -90.0, 180.0, 90.0)
    shown = figs.spots_shown(result, everything, None, max_spots=1000)
    assert len(shown["lat"]) == 0  # 3,000 in view: too many
    lon = result.spots["longitude"].median()
    half = figs.spots_shown(result, (-180.0, -90.0, lon, 90.0), None)
    assert 0 < len(half["lat"]) <= figs.VIEW_MAX_SPOTS
