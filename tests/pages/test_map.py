"""pages/map.py server side on the demo data: the full figure, the Patch of each control (no
geometry sent again), per-spot details from the server, and the aggregate-only view."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import plotly
import pytest

from components import map_scale, maps
from config import Settings
from services.context import using
from tests.helpers import import_page


@pytest.fixture(scope="module")
def mp():
    """pages/map.py."""
    return import_page("map")


def request(mp, **changes: Any):
    base = mp.MapRequest(
        None,
        layers=("districts", "hotspots", "sites"),
        metric="coverage_mid",
        colour_by="typology",
        distance_km=5.0,
        filters=mp.MapFilters(),
        selected=None,
        query=None,
        hotspot_detail=True,
    )
    return dataclasses.replace(base, **changes)


def wire(value: Any) -> str:
    """The JSON the browser receives for an output (a figure dict or a dash.Patch)."""
    if hasattr(value, "to_plotly_json"):
        value = value.to_plotly_json()
    return json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder)


def patched(mp, req, **before: Any):
    """build_map of ``req`` for a browser whose figure shows ``req`` with ``before`` changes."""
    return mp.build_map(req, mp.drawn_state(dataclasses.replace(req, **before)))


def operations(patch) -> list[dict[str, Any]]:
    return patch.to_plotly_json()["operations"]


def test_full_figure_has_a_fixed_trace_order_and_no_per_spot_ids(mp):
    view = mp.build_map(request(mp))
    metas = [t.get("meta") for t in view.figure["data"]]
    assert metas == view.roles
    assert metas[:4] == ["districts", maps.BASEMAP_PLACES, maps.HOTSPOT_CELLS, maps.HOTSPOT_POINTS]
    points = view.figure["data"][3]
    assert len(points["lat"]) == 1500  # the demo's 1,500 spots are under POINT_LIMIT
    assert not {"ids", "customdata", "text"} & set(points)
    text = wire(view.figure)
    frame = mp._hotspot_frame_cached("default", mp.scenario_for(None, None))
    assert not [i for i in frame["hotspot_id"].head(50) if f'"{i}"' in text]
    assert not [n for n in frame["name"].head(50) if n and f'"{n}"' in text]
    assert len(text) < 600_000
    assert view.figure["layout"]["map"]["style"] == "white-bg"
    assert view.figure["layout"]["map"]["layers"]  # Natural Earth context, inline GeoJSON


def test_colour_switch_patches_colours_only(mp):
    patch = patched(mp, request(mp, colour_by="coverage"), colour_by="typology").figure
    text = wire(patch)
    ops = operations(patch)
    assert ops, "nothing patched"
    paths = [op["location"] for op in ops]
    # only marker colour fields and the legend's visibility: no geometry, sizes or whole traces
    assert all(p[0] == "data" and p[2] in ("marker", "visible") for p in paths), paths
    assert not any(p[-1] in ("lat", "lon", "geojson", "size", "locations") for p in paths)
    assert '"lat"' not in text and '"geojson"' not in text
    full = wire(mp.build_map(request(mp, colour_by="coverage")).figure)
    assert len(text) < len(full) / 10
    colour_ops = [op for op in ops if op["location"] == ["data", 3, "marker", "colorscale"]]
    assert colour_ops[0]["params"]["value"] == "Cividis"


def test_metric_switch_patches_the_district_values_not_their_polygons(mp):
    patch = patched(mp, request(mp, metric="gap"), metric="coverage_mid").figure
    ops = operations(patch)
    fields = {op["location"][2] for op in ops}
    assert {"z", "zmin", "zmax", "colorbar", "text"} <= fields
    assert all(op["location"][:2] == ["data", 0] for op in ops)
    assert "geojson" not in fields and '"coordinates"' not in wire(patch)


def test_a_zoomed_view_sends_only_its_hotspots(mp):
    near = map_scale.Viewport(35.0, -15.9, 35.2, -15.7, 11.0)  # around Blantyre
    full = mp.build_map(request(mp))
    rev = full.figure["layout"]["uirevision"]
    view = patched(mp, request(mp, viewport=near, viewport_rev=rev), viewport=None)
    ops = operations(view.figure)
    points = next(op for op in ops if op["location"] == ["data", 3])["params"]["value"]
    lon, lat = points["lon"], points["lat"]
    assert 0 < len(lat) < 1500
    padded = near.region()
    assert all(padded.west <= x <= padded.east for x in lon)
    assert all(padded.south <= y <= padded.north for y in lat)
    assert "one marker each" in view.scale_note
    # a viewport measured on another figure (e.g. before a filter) is not used
    stale = patched(mp, request(mp, viewport=near, viewport_rev="old"), viewport=None)
    points = next(op for op in operations(stale.figure) if op["location"] == ["data", 3])
    assert len(points["params"]["value"]["lat"]) == 1500


def test_the_aggregate_view_patches_no_hotspot_data(mp):
    with using(Settings(aggregate_only=True)):
        full = mp.build_map(request(mp, hotspot_detail=False))
        assert [t["meta"] for t in full.figure["data"]] == ["districts", maps.BASEMAP_PLACES]
        before = {
            "colour": {"colour_by": "typology"},
            "layers": {"layers": ("districts",)},
            "metric": {"metric": "gap"},
            "select": {"selected": None},
            "basemap": {"basemap": "osm"},
            "distance": {"distance_km": 2.0},
        }
        for change, old in before.items():
            req = request(
                mp,
                hotspot_detail=False,
                layers=("districts", "hotspots", "sites", "rings"),
                colour_by="coverage",
                selected="Blantyre",
            )
            patch = patched(mp, req, **old).figure
            for op in operations(patch):
                location = op["location"]
                assert location[0] == "layout" or location[:2] == ["data", 0], (change, location)
            assert '"lat": [' not in wire(patch)  # no points (the map centre is a district's)


def test_per_spot_details_come_from_the_server_for_that_spot(mp):
    frame = mp._hotspot_frame_cached("default", mp.scenario_for(None, None))
    spot = frame.iloc[7]
    lat, lon = round(float(spot["latitude"]), 5), round(float(spot["longitude"]), 5)
    found = mp.hotspot_details(None, None, mp.MapFilters(), lat, lon)
    assert spot["hotspot_id"] in found["hotspot_id"].tolist()
    card = json.dumps(mp.hotspot_card(found).to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)
    assert str(spot["hotspot_id"]) in card and "Peak day" in card
    # a spot filtered out of the map is not described
    other = [t for t in frame["typology"].unique() if t != spot["typology"]]
    hidden = mp.hotspot_details(None, None, mp.MapFilters(typologies=other), lat, lon)
    assert spot["hotspot_id"] not in hidden["hotspot_id"].tolist()


def test_only_a_hover_on_the_points_trace_asks_for_a_spot(mp):
    roles = ["districts", maps.BASEMAP_PLACES, maps.HOTSPOT_CELLS, maps.HOTSPOT_POINTS]
    event = {"points": [{"curveNumber": 3, "pointNumber": 0, "lat": -13.1, "lon": 33.9}]}
    assert mp._hotspot_point(event, roles) == (-13.1, 33.9)
    assert mp._hotspot_point({"points": [{**event["points"][0], "curveNumber": 2}]}, roles) is None
    assert mp._hotspot_point({"points": [{"curveNumber": 3}]}, roles) is None
    assert mp._hotspot_point(event, None) is None
    assert mp._hotspot_point({"points": [{**event["points"][0], "curveNumber": 9}]}, roles) is None


def test_the_parts_that_differ_from_the_drawn_figure_are_patched(mp):
    req = request(mp)
    drawn = mp.drawn_state(req)
    assert mp.changed_parts(None, req) is None  # the first call: a figure
    assert mp.changed_parts(drawn, req) == set()
    assert mp.changed_parts(drawn, dataclasses.replace(req, colour_by="coverage")) == {"colour"}
    both = dataclasses.replace(req, colour_by="coverage", metric="gap")
    assert mp.changed_parts(drawn, both) == {"colour", "metric"}
    # another filter, scenario or dataset: a new figure
    assert (
        mp.changed_parts(drawn, dataclasses.replace(req, filters=mp.MapFilters(["North"]))) is None
    )
    assert mp.changed_parts(drawn, dataclasses.replace(req, query={"target": "0.9"})) is None


def test_a_dropped_patch_is_sent_again_with_the_next_one(mp):
    # the browser still shows the metric "coverage_mid" (a metric patch was dropped for a newer
    # request) and now switches the colour: both parts are patched
    shown = request(mp)
    now = request(mp, metric="gap", colour_by="coverage")
    ops = operations(mp.build_map(now, mp.drawn_state(shown)).figure)
    fields = {tuple(op["location"][:3]) for op in ops}
    assert ("data", 0, "z") in fields and ("data", 3, "marker") in fields


def test_a_pan_within_the_same_region_sends_no_spots_again(mp):
    near = map_scale.Viewport(35.0, -15.9, 35.2, -15.7, 11.0)
    rev = mp.build_map(request(mp)).figure["layout"]["uirevision"]
    first = mp.build_map(request(mp, viewport=near, viewport_rev=rev), None)
    drawn = first.drawn
    step = map_scale.cell_size_deg(11.0) / 4
    panned = map_scale.Viewport(35.0 + step, -15.9, 35.2 + step, -15.7, 11.0)
    assert panned.region() == near.region()
    again = mp.build_map(request(mp, viewport=panned, viewport_rev=rev), drawn)
    assert not [op for op in operations(again.figure) if op["location"][:2] == ["data", 3]]
    assert again.drawn["hotspots"] == drawn["hotspots"]


def test_a_dropped_colour_patch_is_resent_with_a_pan_that_moves_no_spot(mp):
    # the colour patch was dropped for a pan's request; the pan draws the same spots
    near = map_scale.Viewport(35.0, -15.9, 35.2, -15.7, 11.0)
    rev = mp.build_map(request(mp)).figure["layout"]["uirevision"]
    shown = mp.build_map(request(mp, viewport=near, viewport_rev=rev), None).drawn
    step = map_scale.cell_size_deg(11.0) / 4
    panned = map_scale.Viewport(35.0 + step, -15.9, 35.2 + step, -15.7, 11.0)
    now = request(mp, viewport=panned, viewport_rev=rev, colour_by="coverage")
    ops = operations(mp.build_map(now, shown).figure)
    colours = [op for op in ops if op["location"] == ["data", 3, "marker", "colorscale"]]
    assert colours and colours[0]["params"]["value"] == "Cividis"
