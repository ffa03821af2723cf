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

from components import map_scale, maps

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


def test_hotspot_points_carry_position_size_and_colour_only():
    palette = maps.typology_colours(hotspots()["typology"])
    trace = maps.hotspot_points_trace(hotspots(), "typology", palette, reference=15.0)
    assert trace["meta"] == maps.HOTSPOT_POINTS
    assert trace["lat"] == [-12.5, -12.6, -13.5] and trace["lon"] == [34.5, 34.6, 34.5]
    # no ids, names or per-point hover text: details come from the server for one spot
    assert not {"ids", "customdata", "text", "hovertext"} & set(trace)
    assert "Bar one" not in json.dumps(trace) and "H1" not in json.dumps(trace)
    assert trace["hoverinfo"] == "none"  # hover events still reach the server callback
    assert trace["marker"]["color"] == [palette["bar"], palette["bar"], palette["lodge"]]
    # area ∝ people on a fixed reference: 15 people at the largest size, 5 at sqrt(1/3) of it
    lo, hi = maps.HOTSPOT_SIZE_PX
    assert trace["marker"]["size"] == [hi, round(lo + (hi - lo) * math.sqrt(5 / 15), 1), hi]
    go.Figure(maps.map_figure([trace], (34.0, -14.0, 35.0, -12.0)))  # valid plotly JSON


def test_a_colour_switch_changes_the_same_marker_keys():
    palette = maps.typology_colours(hotspots()["typology"])
    typology = maps.hotspot_colour(hotspots(), "typology", palette)
    coverage = maps.hotspot_colour(hotspots(), "coverage", palette)
    assert set(typology) == set(coverage)  # a Patch of these keys switches in place
    assert coverage["color"] == [40.0, 0.0, 0.0] and coverage["colorscale"] == "Cividis"
    assert (coverage["cmin"], coverage["cmax"]) == (0, 100)
    assert coverage["colorbar"]["orientation"] == "h" and coverage["colorbar"]["y"] < 0
    assert typology["showscale"] is False and typology["colorscale"] is None
    with pytest.raises(ValueError, match="colour_by='size'"):
        maps.hotspot_colour(hotspots(), "size", palette)


def test_cells_are_bubbles_with_a_summary_each():
    frame = hotspots().assign(estimate_low=[10.0, 4.0, 10.0], estimate_high=[20.0, 6.0, 20.0])
    cells = map_scale.grid_cells(frame, 1.0)
    palette = maps.typology_colours(hotspots()["typology"])
    trace = maps.hotspot_cells_trace(cells, "typology", palette, reference=30.0)
    assert trace["meta"] == maps.HOTSPOT_CELLS
    assert len(trace["lat"]) == len(cells) == 2  # (34..35, -13..-12) and (34..35, -14..-13)
    assert trace["text"][1].startswith("<b>2 hotspots</b> in this cell")
    assert "estimate 14–26 people at peak (mid 20)" in trace["text"][1]
    assert "coverage 30%" in trace["text"][1]  # 6 enrolled ÷ 20
    assert "Bar one" not in json.dumps(trace)


def test_size_legend_uses_round_numbers_at_the_drawn_sizes():
    entries = maps.size_legend(137.0, maps.HOTSPOT_SIZE_PX)
    assert [p for p, _ in entries] == [10, 50, 100]
    sizes = maps.size_px(np.array([p for p, _ in entries]), 137.0, maps.HOTSPOT_SIZE_PX)
    assert [d for _, d in entries] == [round(float(v), 1) for v in sizes]
    assert maps.size_legend(0, maps.HOTSPOT_SIZE_PX) == []


def test_colour_range_spans_the_country_not_the_filter():
    assert maps.metric_range(districts(), "coverage_mid") == (0.0, 100.0)
    assert maps.metric_range(districts(), "gap") == (0.0, 20.0)
    one = maps.district_choropleth_trace(
        districts().iloc[:1],
        maps.district_geojson(boundaries()),
        "gap",
        value_range=maps.metric_range(districts(), "gap"),
        legend_below=True,
    )
    assert (one["zmin"], one["zmax"], one["zauto"]) == (0.0, 20.0, False)
    assert one["colorbar"]["y"] < 0 and one["colorbar"]["orientation"] == "h"  # under the map


def test_legend_and_colour_bars_sit_under_the_map():
    fig = maps.map_figure(
        [], (34.0, -14.0, 35.0, -12.0), note="Level of detail: x", legend_below=True
    )
    layout = fig["layout"]
    assert layout["legend"]["orientation"] == "h"
    assert layout["legend"]["y"] < 0 and layout["legend"]["yanchor"] == "top"
    assert layout["margin"]["b"] == maps.LEGEND_BELOW_PX
    assert layout["height"] >= maps.MAP_HEIGHT_PX + maps.LEGEND_BELOW_PX
    assert layout["annotations"][0]["y"] >= 1.0  # the level note above the map, off the data


def test_rings_drawn_over_sites_that_shrink_at_national_zoom():
    near = maps.site_marker_size_px(5.0, 12.0, -13.0)
    national = maps.site_marker_size_px(5.0, 6.0, -13.0)
    assert near == maps.SITE_SIZE_PX[1]
    assert maps.site_marker_size_px(5.0, 4.0, -13.0) == maps.SITE_SIZE_PX[0]
    ring_px = 2 * 5000 / map_scale.metres_per_pixel(6.0, -13.0)  # about 8 px across
    assert ring_px < maps.SITE_SIZE_PX[1]  # the old 17 px marker hid the ring
    assert national < ring_px  # the ring now shows around the site
    trace = maps.catchment_trace(sites(), CRS_UTM36S, 5.0, filled=True)
    assert trace["fill"] == "toself" and trace["fillcolor"] == maps.RING_FILL


def test_basemap_layers_are_local_geojson_with_lake_malawi():
    features = maps.basemap_features((32.7, -17.2, 35.9, -9.3))  # Malawi
    lakes = [f["properties"].get("name") for f in features["lakes"]["features"]]
    assert "Lake Malawi" in lakes
    towns = [f["properties"]["name"] for f in features["places"]["features"]]
    assert {"Lilongwe", "Blantyre", "Mzuzu"} <= set(towns)
    layers = maps.basemap_layers(features)
    assert {layer["name"] for layer in layers} >= {"lakes", "rivers", "borders"}
    assert all(layer["sourcetype"] == "geojson" for layer in layers)
    assert all(isinstance(layer["source"], dict) for layer in layers)  # no URL to fetch
    assert len(json.dumps(layers)) < 200_000  # clipped to the country, not Africa
    fig = maps.map_figure([maps.places_trace(features)], (32.7, -17.2, 35.9, -9.3), layers=layers)
    assert fig["layout"]["map"]["style"] == "white-bg"
    go.Figure(fig)


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
    small = maps.site_traces(sites(), size_px=8.5)
    assert small[0]["marker"]["size"] == 8.5 and small[1]["marker"]["size"] == 5.0


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
