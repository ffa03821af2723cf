"""components/maps.py: figure dicts from tiny hand-drawn frames (two square districts, three
hotspots, two sites) that a reader can check by hand."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import box

from components import maps

CRS_UTM36S = "EPSG:32736"


def boundaries() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"district": ["North", "South"], "region": ["R1", "R2"], "area_km2": [1.0, 1.0]},
        geometry=[box(34.0, -13.0, 35.0, -12.0), box(34.0, -14.0, 35.0, -13.0)],
        crs="EPSG:4326",
    )


def districts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district": ["North", "South"], "region": ["R1", "R2"], "hotspots": [2, 1],
            "estimate_low": [20.0, 10.0], "estimate_mid": [30.0, 15.0],
            "estimate_high": [40.0, 20.0], "enrolled": [10, 0], "coverage_low": [0.25, 0.0],
            "coverage_mid": [1 / 3, 0.0], "coverage_high": [0.5, 0.0], "gap": [20.0, 15.0],
            "density_per_km2": [0.0025, 0.00125],
        }
    )  # fmt: skip


def hotspots() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hotspot_id": ["H1", "H2", "H3"], "name": ["Bar one", "", "Lodge"],
            "latitude": [-12.5, -12.6, -13.5], "longitude": [34.5, 34.6, 34.5],
            "typology": ["bar", "bar", "lodge"], "population": ["FSW", "FSW", "FSW"],
            "typical_min": [5, 2, 4], "typical_max": [8, 3, 6], "peak_min": [10, 4, 10],
            "peak_max": [20, 6, 20], "peak_days": ["Fri;Sat", "", "Sat"],
            "peak_times": ["18-24", "", "0-2"], "estimate_mid": [15.0, 5.0, 15.0],
            "enrolled": [6, 0, 0], "coverage_mid": [0.4, 0.0, 0.0],
        }
    )  # fmt: skip


def sites() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": ["S1", "S2"], "name": ["Clinic", "DIC"], "latitude": [-12.5, -13.5],
            "longitude": [34.4, 34.4], "site_type": ["clinic", "drop_in_centre"],
            "services": ["condoms;hts", "prep"], "open_days": ["Mon", ""],
            "open_hours": ["8-17", ""],
        }
    )  # fmt: skip


def test_geojson_has_one_feature_per_district_keyed_by_name():
    geo = maps.district_geojson(boundaries())
    assert [f["properties"]["district"] for f in geo["features"]] == ["North", "South"]
    assert [f["id"] for f in geo["features"]] == ["North", "South"]
    ring = geo["features"][0]["geometry"]["coordinates"][0]
    assert {tuple(p) for p in ring} >= {(34.0, -13.0), (35.0, -12.0)}


def test_choropleth_colours_the_chosen_metric_and_labels_ranges():
    trace = maps.district_choropleth_trace(
        districts(), maps.district_geojson(boundaries()), "coverage_mid"
    )
    assert trace["type"] == "choroplethmap" and trace["featureidkey"] == "properties.district"
    assert trace["locations"] == ["North", "South"]
    assert trace["z"] == [pytest.approx(33.333, abs=1e-3), 0.0]  # percent
    assert "coverage 25–50%" in trace["text"][0]
    assert "estimate 20–40 people" in trace["text"][0]
    gap = maps.district_choropleth_trace(districts(), maps.district_geojson(boundaries()), "gap")
    assert gap["z"] == [20.0, 15.0]
    with pytest.raises(ValueError, match="metric='people'"):
        maps.district_choropleth_trace(districts(), {}, "people")


def test_coverage_range_text_without_an_estimate():
    assert maps.coverage_range_text(0.41, 0.634) == "coverage 41–63%"
    assert "n/a" in maps.coverage_range_text(float("nan"), float("nan"))


def test_hotspots_one_trace_per_typology_with_hover_details():
    traces = maps.hotspot_traces(hotspots())
    assert [t["name"] for t in traces] == ["Hotspot: bar", "Hotspot: lodge"]
    assert [t["ids"] for t in traces] == [["H1", "H2"], ["H3"]]
    bar = traces[0]
    assert bar["customdata"][0][:4] == ["H1", "Bar one", "bar", "FSW"]
    assert bar["customdata"][0][4:8] == [5, 8, 10, 20]
    assert bar["customdata"][1][1] == "(no name)" and bar["customdata"][1][8] == "unknown"
    assert bar["marker"]["color"] != traces[1]["marker"]["color"]
    # bigger estimate, bigger marker (area ∝ people)
    assert bar["marker"]["size"][0] > bar["marker"]["size"][1]
    go.Figure(maps.map_figure(traces, (34.0, -14.0, 35.0, -12.0)))  # valid plotly JSON


def test_hotspots_coloured_by_coverage_use_one_scaled_trace():
    (trace,) = maps.hotspot_traces(hotspots(), colour_by="coverage")
    assert trace["marker"]["color"] == [40.0, 0.0, 0.0]
    assert trace["marker"]["colorscale"] == "Cividis"
    with pytest.raises(ValueError, match="colour_by='size'"):
        maps.hotspot_traces(hotspots(), colour_by="size")
    assert maps.hotspot_traces(hotspots().iloc[0:0]) == []


def test_typology_colours_are_distinct_up_to_ten_and_other_is_grey():
    names = [f"t{i}" for i in range(10)] + ["other"]
    colours = maps.typology_colours(names)
    assert len({colours[n] for n in names if n != "other"}) == 10
    assert colours["other"] == maps.OTHER_COLOUR


def test_sites_are_a_dot_in_a_black_ring():
    traces = maps.site_traces(sites())
    metas = [t["meta"] for t in traces]
    assert metas == ["sites-outline", "sites", "sites-outline", "sites"]
    outline, dot = traces[0], traces[1]
    assert (
        outline["marker"]["color"] == "#000000"
        and outline["marker"]["size"] > dot["marker"]["size"]
    )
    assert "symbol" not in dot["marker"]  # sprites are not available offline
    assert dot["customdata"][0][:3] == ["S1", "Clinic", "clinic"]


def test_catchment_rings_have_the_radius_in_kilometres():
    lats, lons = maps.catchment_rings(sites(), CRS_UTM36S, 5.0)
    assert lats.count(None) == 2
    geod = Geod(ellps="WGS84")
    first = [(la, lo) for la, lo in zip(lats, lons)][: lats.index(None)]
    distances_m = [geod.inv(34.4, -12.5, lo, la)[2] for la, lo in first]
    assert np.allclose(distances_m, 5000, rtol=0.01)  # UTM scale error < 1%
    with pytest.raises(ValueError, match="distance_km=0"):
        maps.catchment_rings(sites(), CRS_UTM36S, 0)


def test_figure_needs_no_tiles_and_keeps_user_zoom():
    fig = maps.map_figure(
        [], (34.0, -14.0, 35.0, -12.0), uirevision="abc", note="Level of detail: x"
    )
    assert fig["layout"]["annotations"][0]["text"] == "Level of detail: x"
    assert fig["layout"]["map"]["style"] == "white-bg"
    assert fig["layout"]["uirevision"] == "abc"
    assert fig["layout"]["map"]["center"] == {"lat": -13.0, "lon": 34.5}
    json.dumps(fig)  # plain JSON, nothing needs plotly's encoder


@settings(max_examples=60, deadline=None)
@given(
    minx=st.floats(-170, 160), miny=st.floats(-80, 70), w=st.floats(0.01, 10), h=st.floats(0.01, 10)
)
def test_a_smaller_area_never_gets_a_smaller_zoom(minx, miny, w, h):
    big = maps.view_for_bounds((minx, miny, minx + w, miny + h))[1]
    small = maps.view_for_bounds((minx, miny, minx + w / 2, miny + h / 2))[1]
    assert small >= big or math.isclose(small, big) or small == 16.0 - 0.15


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=50))
def test_marker_sizes_stay_in_range_and_grow_with_people(values):
    sizes = maps.hotspot_marker_size_px(values)
    lo, hi = maps.HOTSPOT_SIZE_PX
    assert ((sizes >= lo - 1e-9) & (sizes <= hi + 1e-9)).all()
    order = np.argsort(values, kind="stable")
    assert (np.diff(sizes[order]) >= -1e-9).all()
