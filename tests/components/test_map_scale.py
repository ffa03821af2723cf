"""components/map_scale.py: which hotspots a view draws, one by one or summed in grid cells."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from components import map_scale
from tests.components.test_maps import hotspots

MALAWI = map_scale.Viewport(32.7, -17.2, 35.9, -9.3, 6.0)


def spots(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` seeded hotspots over Malawi with estimates and enrolment."""
    rng = np.random.default_rng(seed)
    mid = rng.integers(1, 200, n).astype(float)
    return pd.DataFrame(
        {
            "hotspot_id": [f"H{i}" for i in range(n)],
            "longitude": rng.uniform(33.0, 35.5, n),
            "latitude": rng.uniform(-17.0, -9.5, n),
            "estimate_low": mid * 0.8,
            "estimate_mid": mid,
            "estimate_high": mid * 1.2,
            "enrolled": rng.integers(0, 50, n),
            "typology": rng.choice(["bar", "lodge", "street"], n),
        }
    )


def test_three_cells_by_hand():
    cells = map_scale.grid_cells(hotspots(), 1.0)
    # H1 (34.5, -12.5) and H2 (34.6, -12.6) share the cell 34..35 × -13..-12; H3 is alone
    assert cells["hotspots"].tolist() == [1, 2]
    assert cells[["longitude", "latitude"]].values.tolist() == [[34.5, -13.5], [34.5, -12.5]]
    assert cells["estimate_mid"].tolist() == [15.0, 20.0]
    assert cells["typology"].tolist() == ["lodge", "bar"]
    assert math.isclose(cells["coverage_mid"].iloc[1], 6 / 20)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 300), size=st.sampled_from([0.05, 0.3, 1.0]), seed=st.integers(0, 9))
def test_cells_add_up_to_their_hotspots(n, size, seed):
    frame = spots(n, seed)
    cells = map_scale.grid_cells(frame, size)
    assert int(cells["hotspots"].sum()) == n
    assert math.isclose(cells["estimate_mid"].sum(), frame["estimate_mid"].sum())
    assert math.isclose(cells["enrolled"].sum(), frame["enrolled"].sum())
    # a cell centre is never a hotspot's own position: it is the middle of a grid square
    fx = cells["longitude"] / size - 0.5
    assert np.allclose(fx, np.round(fx))


def test_far_views_aggregate_and_near_views_show_points():
    frame = spots(5000)
    far = map_scale.view_hotspots(frame, MALAWI)
    assert far.points is None and far.cells is not None
    assert far.in_view == 5000 and int(far.cells["hotspots"].sum()) == 5000
    assert len(far.cells) < 5000
    near_view = map_scale.Viewport(33.9, -14.1, 34.1, -13.9, 12.0)
    near = map_scale.view_hotspots(frame, near_view)
    assert near.cells is None and near.points is not None
    inside = near_view.region().contains(
        frame["longitude"].to_numpy(), frame["latitude"].to_numpy()
    )
    assert len(near.points) == near.in_view == int(inside.sum()) <= map_scale.POINT_LIMIT
    # a filter to an area under the limit draws points even at national zoom
    few = map_scale.view_hotspots(frame.head(800), MALAWI)
    assert few.points is not None and len(few.points) == 800


def test_cells_get_smaller_when_zooming_in():
    sizes = [map_scale.cell_size_deg(z) for z in range(4, 14)]
    assert all(a == 2 * b for a, b in itertools.pairwise(sizes))
    # about CELL_PX on screen at every zoom
    km = map_scale.cell_size_deg(8) * 111.32 * math.cos(math.radians(13))
    px = km * 1000 / map_scale.metres_per_pixel(8, -13)
    assert 0.8 * map_scale.CELL_PX < px < 1.2 * map_scale.CELL_PX


def test_a_malformed_viewport_from_the_browser_is_ignored():
    good = {"west": 33, "south": -14, "east": 34, "north": -13, "zoom": 8}
    assert map_scale.Viewport.from_dict(good) == map_scale.Viewport(33, -14, 34, -13, 8)
    for bad in (
        None,
        "x",
        {"west": 1},
        {**good, "zoom": "big"},
        {**good, "east": 30},
        {**good, "zoom": float("nan")},
    ):
        assert map_scale.Viewport.from_dict(bad) is None


def test_the_initial_view_contains_the_bounds():
    bounds = (32.7, -17.2, 35.9, -9.3)
    from components import maps

    _centre, zoom = maps.view_for_bounds(bounds)
    view = map_scale.view_for_bounds(bounds, zoom, width_px=460, height_px=maps.MAP_HEIGHT_PX)
    assert view.west <= bounds[0] and view.east >= bounds[2]
    assert view.south <= bounds[1] and view.north >= bounds[3]


def test_a_small_pan_keeps_the_region_and_so_the_drawn_spots():
    view = map_scale.Viewport(33.9, -14.1, 34.1, -13.9, 11.0)
    step = map_scale.cell_size_deg(11.0)
    panned = map_scale.Viewport(33.9 + step / 3, -14.1, 34.1 + step / 3, -13.9, 11.0)
    assert view.region() == panned.region()
    region = view.region()
    padded = view.padded()
    assert region.west <= padded.west and region.east >= padded.east  # never smaller
    assert region.south <= padded.south and region.north >= padded.north
