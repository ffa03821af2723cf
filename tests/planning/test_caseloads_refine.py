"""Tests of planning/caseloads_refine.py: capacitated refinement, overlaps, caseload groups."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.caseloads import caseload_groups, partition_points
from planning.caseloads_pack import radius_m
from planning.caseloads_refine import (
    overlap_pairs,
    polish_labels,
    refine_labels,
    relabel,
    shrink_radii,
)


def sse(x, y, labels) -> float:
    """Sum of squared distances (m²) of points to their group's mean."""
    total = 0.0
    for g in np.unique(labels):
        sel = labels == g
        total += float(((x[sel] - x[sel].mean()) ** 2 + (y[sel] - y[sel].mean()) ** 2).sum())
    return total


def total_distance(x, y, labels) -> float:
    """Sum of straight distances (m) of points to their group's mean."""
    total = 0.0
    for g in np.unique(labels):
        sel = labels == g
        total += float(np.hypot(x[sel] - x[sel].mean(), y[sel] - y[sel].mean()).sum())
    return total


def bisected_random_spots(seed: int, n: int, cap: float):
    """n seeded random spots in a 3 km square (1-39 people) and their bisection labels."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 3000, n), rng.uniform(0, 3000, n)
    w = rng.integers(1, 40, n).astype(float)
    labels = np.empty(n, dtype="int64")
    for g, idx in enumerate(partition_points(x, y, w, cap, area_gap_km=math.inf)):
        labels[idx] = g
    return x, y, w, labels


def test_refine_moves_a_spot_to_the_caseload_it_sits_in():
    # Two tight clusters 1 km apart; spot 2 sits in the right cluster but starts in the left group.
    x = np.array([0.0, 10.0, 1005.0, 1000.0, 1010.0])
    y = np.zeros(5)
    w = np.full(5, 10.0)
    labels = np.array([0, 0, 0, 1, 1])
    out = refine_labels(x, y, w, labels, 60.0)
    assert out.tolist() == [0, 0, 1, 1, 1]


def test_refine_swaps_when_capacity_blocks_a_move():
    # Both caseloads are full (60); spot 1 (west) is in the east group and spot 3 (east) in the west
    # one.
    x = np.array([0.0, 5.0, 1000.0, 1005.0])
    y = np.zeros(4)
    w = np.full(4, 30.0)
    labels = np.array([0, 1, 0, 1])
    out = refine_labels(x, y, w, labels, 60.0)
    assert out[0] == out[1] and out[2] == out[3] and out[0] != out[2]


# refine_labels lowers squared distances, polish_labels the plain distances a PE walks
@pytest.mark.parametrize(
    ("improve", "spread"), [(refine_labels, sse), (polish_labels, total_distance)]
)
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 80), cap=st.sampled_from([50.0, 60.0, 75.0]))
def test_refine_and_polish_never_raise_their_spread_or_break_capacity_or_change_the_pe_count(
    improve, spread, seed, n, cap
):
    x, y, w, labels = bisected_random_spots(seed, n, cap)
    out = improve(x, y, w, labels, cap)
    assert np.unique(out).size == np.unique(labels).size
    assert np.bincount(out, weights=w).max() <= cap + 1e-9
    assert spread(x, y, out) <= spread(x, y, labels) + 1e-6
    assert np.array_equal(out, improve(x, y, w, labels, cap))  # deterministic


def test_polish_moves_a_spot_to_the_caseload_it_sits_in():
    x = np.array([0.0, 10.0, 1005.0, 1000.0, 1010.0])
    y = np.zeros(5)
    out = polish_labels(x, y, np.full(5, 10.0), np.array([0, 0, 0, 1, 1]), 60.0)
    assert out.tolist() == [0, 0, 1, 1, 1]


# --- merging -------------------------------------------------------------------------


def test_overlap_pairs_finds_a_spot_inside_another_caseloads_hull():
    x = np.array([0.0, 100.0, 50.0, 50.0, 500.0])
    y = np.array([0.0, 0.0, 100.0, 30.0, 500.0])
    labels = np.array([0, 0, 0, 1, 1])  # spot 3 lies inside the triangle of caseload 0
    assert overlap_pairs(x, y, labels) == [(1, 0)]
    assert overlap_pairs(x, y, np.array([0, 0, 0, 0, 1])) == []


def test_relabel_numbers_groups_in_order_of_first_item():
    assert relabel(np.array([7, 7, 3, 9, 3])).tolist() == [0, 0, 1, 2, 1]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 120))
def test_caseload_groups_are_capped_and_within_the_walking_limit(seed, n):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 4000, size=(3, 2))
    xy = centres[rng.integers(0, 3, n)] + rng.normal(0, 300, size=(n, 2))
    w = rng.integers(1, 45, n).astype(float)
    labels, lone = caseload_groups(xy[:, 0], xy[:, 1], w, 60.0, walking_limit_km=0.5)
    assert np.bincount(labels, weights=w).max() <= 60.0 + 1e-9
    assert sorted(np.unique(labels).tolist()) == list(range(int(labels.max()) + 1))
    assert radius_m(xy[:, 0], xy[:, 1], labels, int(labels.max()) + 1).max() <= 500.0 + 1e-6
    # an isolated item (no other within 500 m) is alone in its caseload
    sizes = np.bincount(labels)
    assert (sizes[labels[lone]] == 1).all()


def test_overlap_pairs_ignores_a_split_spots_share_at_the_same_place_as_the_caseloads_own_spot():
    # Item 3 is a full-cap share of the spot at (50, 30), whose remainder (item 4) is in caseload 0.
    x = np.array([0.0, 100.0, 50.0, 50.0, 50.0])
    y = np.array([0.0, 0.0, 100.0, 30.0, 30.0])
    assert overlap_pairs(x, y, np.array([0, 0, 0, 1, 0])) == []
    assert overlap_pairs(x, y, np.array([0, 0, 0, 1, 1])) == [(1, 0)]


def test_shrink_radii_moves_a_far_spot_to_the_caseload_beside_it():
    # caseload 0: three spots near 0 and one at 900 m; caseload 1: spots near 1,000 m with room
    x = np.array([0.0, 10.0, 20.0, 900.0, 1000.0, 1010.0])
    y = np.zeros(6)
    w = np.array([10.0, 10.0, 10.0, 10.0, 10.0, 10.0])
    labels = shrink_radii(x, y, w, np.array([0, 0, 0, 0, 1, 1]), 60.0, 3000.0)
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]
    # no room in caseload 1 (40 of 50) and no swap that helps: nothing changes
    w = np.array([10.0, 10.0, 10.0, 20.0, 20.0, 20.0])
    full = shrink_radii(x, y, w, np.array([0, 0, 0, 0, 1, 1]), 50.0, 3000.0)
    assert full.tolist() == [0, 0, 0, 0, 1, 1]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 80))
def test_shrink_radii_never_raises_the_radius_sum_or_breaks_capacity_or_the_limit(seed, n):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 3000, n), rng.uniform(0, 3000, n)
    w = rng.integers(1, 30, n).astype(float)
    labels, _ = caseload_groups(x, y, w, 60.0, walking_limit_km=2.0, refine=False)
    out = shrink_radii(x, y, w, labels, 60.0, 2000.0)
    m = int(labels.max()) + 1
    assert np.bincount(out, minlength=m).min() >= 1
    assert np.bincount(out, weights=w).max() <= 60.0 + 1e-9
    assert radius_m(x, y, out, m).max() <= 2000.0 + 1e-6
    assert radius_m(x, y, out, m).sum() <= radius_m(x, y, labels, m).sum() + 1e-6
