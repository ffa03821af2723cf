"""Caseload outlines: padded convex hulls of hand-drawn groups of points, one array of rings."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.caseload_geometry import (
    M_PER_DEG_LAT,
    group_outlines,
    lonlat_outlines,
    to_local_metres,
    to_lonlat,
)


def rings(outlines) -> list[np.ndarray]:
    """The rings of an Outlines as (k, 2) arrays (split at the NaN separators)."""
    xy = np.column_stack([outlines.x, outlines.y])
    cuts = np.flatnonzero(np.isnan(outlines.x))
    parts, start = [], 0
    for cut in cuts:
        parts.append(xy[start:cut])
        start = cut + 1
    assert start == len(xy)  # the last ring ends with its separator
    return parts


def test_a_triangle_a_pair_and_a_single_spot():
    # group a: a right triangle 100 m a side; b: two spots 1 km apart; c: one spot
    x = [0.0, 100.0, 0.0, 5000.0, 6000.0, 9000.0]
    y = [0.0, 0.0, 100.0, 0.0, 0.0, 0.0]
    out = group_outlines(x, y, ["a", "a", "a", "b", "b", "c"], pad=50.0)
    assert out.groups == ["a", "b", "c"]
    a, b, c = rings(out)
    for ring in (a, b, c):
        assert (ring[0] == ring[-1]).all()  # closed
    # every point lies inside its group's outline, at least the pad from its edge
    for ring, pts in ((a, [(0, 0), (100, 0), (0, 100)]), (b, [(5000, 0), (6000, 0)])):
        poly = shapely.Polygon(ring)
        for p in pts:
            # the pad, less what a chord of the rounded corner cuts off (3 segments a quarter)
            gap = poly.exterior.distance(shapely.Point(p))
            assert 50.0 * np.cos(np.pi / 12) - 1e-6 <= gap <= 50.0 + 1e-6
            assert poly.contains(shapely.Point(p))
    # the single spot is a disc of radius pad; the pair a stadium 1 km + 2 pads long
    assert np.hypot(c[:, 0] - 9000.0, c[:, 1]).round(6).tolist() == [50.0] * len(c)
    assert b[:, 0].min() == pytest.approx(4950.0) and b[:, 0].max() == pytest.approx(6050.0)
    # no ring of one group reaches another group's points
    assert not shapely.Polygon(a).contains(shapely.Point(5000, 0))


def test_split_spot_in_two_groups_and_group_order():
    # spot (0, 0) shared by two PEs: it is inside both outlines; rings follow first appearance
    out = group_outlines([0.0, 0.0, 300.0, -300.0], [0.0, 0.0, 0.0, 0.0], ["q", "p", "q", "p"])
    assert out.groups == ["q", "p"]
    q, p = rings(out)
    assert shapely.Polygon(q).contains(shapely.Point(0, 0))
    assert shapely.Polygon(p).contains(shapely.Point(0, 0))


def test_refusals_name_the_argument():
    with pytest.raises(ValueError, match="one group per point"):
        group_outlines([0.0, 1.0], [0.0], ["a", "a"])
    with pytest.raises(ValueError, match="pad="):
        group_outlines([0.0], [0.0], ["a"], pad=0)
    with pytest.raises(ValueError, match="finite"):
        group_outlines([np.nan], [0.0], ["a"])
    empty = group_outlines([], [], [])
    assert len(empty.x) == 0 and empty.groups == []


def test_lonlat_round_trip_and_pad_in_metres():
    lon, lat = np.array([33.70, 33.71]), np.array([-13.90, -13.91])
    x, y, lat0 = to_local_metres(lon, lat)
    back_lon, back_lat = to_lonlat(x, y, lat0)
    assert np.allclose(back_lon, lon) and np.allclose(back_lat, lat)
    out = lonlat_outlines([33.70], [-13.90], ["PE-1"], pad_m=100.0)
    # a disc of 100 m: 100 / 110,574 degrees of latitude either side
    assert np.nanmax(out.y) - (-13.90) == pytest.approx(100.0 / M_PER_DEG_LAT, rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-5000, 5000), st.floats(-5000, 5000), st.sampled_from(["a", "b", "c", "d"])
        ),
        min_size=1,
        max_size=40,
    )
)
def test_every_point_is_inside_its_outline(points):
    x, y, g = (np.array(v) for v in zip(*points))
    out = group_outlines(x, y, g, pad=25.0)
    assert sorted(out.groups) == sorted(set(g.tolist()))
    assert int(np.isnan(out.x).sum()) == len(out.groups)
    polys = dict(zip(out.groups, (shapely.Polygon(r) for r in rings(out))))
    for xi, yi, gi in zip(x, y, g):
        # inside, with (nearly) the pad to spare: the chords of a rounded corner cut a little off
        assert polys[str(gi)].exterior.distance(shapely.Point(xi, yi)) >= 0.9 * 25.0
        assert polys[str(gi)].contains(shapely.Point(xi, yi))
