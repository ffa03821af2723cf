"""Tests of planning/caseloads_refine.py: local reach, capacitated refinement, merging, overlaps."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.caseloads import caseload_groups, partition_points
from planning.caseloads_refine import (
    local_reach_m,
    merge_labels,
    overlap_pairs,
    polish_labels,
    refine_labels,
    relabel,
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


# --- local reach ---------------------------------------------------------------------


def test_local_reach_is_the_radius_holding_one_pes_worth_of_people():
    x = np.array([0.0, 100.0, 200.0, 5000.0])
    y = np.zeros(4)
    w = np.array([20.0, 20.0, 20.0, 20.0])
    reach = local_reach_m(x, y, w, 60.0)
    # 0 m: itself (20), 100 m (40), 200 m (60) -> 200 m; from the middle: 100 m either side.
    assert reach[0] == 200.0 and reach[1] == 100.0 and reach[2] == 200.0
    # the far spot needs the three others: 5000 - 100 = 4900 m is where 60 is reached
    assert reach[3] == 4900.0


def test_local_reach_of_a_spot_with_a_full_caseload_is_zero_and_a_lone_spot_is_zero():
    assert local_reach_m([0.0, 10.0], [0.0, 0.0], [60.0, 5.0], 60.0)[0] == 0.0
    assert local_reach_m([3.0], [4.0], [10.0], 60.0).tolist() == [0.0]
    # too few people in reach: the distance to the farthest spot looked at
    assert local_reach_m([0.0, 300.0], [0.0, 0.0], [10.0, 10.0], 60.0).tolist() == [300.0, 300.0]


# --- refinement ----------------------------------------------------------------------


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


def test_two_small_neighbouring_caseloads_merge_and_a_far_one_stays_apart():
    # groups 0 and 1: 10 people each, 200 m apart; group 2: 10 people 5 km away.
    x = np.array([0.0, 200.0, 5000.0])
    y = np.zeros(3)
    w = np.full(3, 10.0)
    out = merge_labels(x, y, w, np.array([0, 1, 2]), 60.0, limit_m=np.full(3, 1000.0))
    assert out[0] == out[1] and out[2] != out[0]
    assert np.unique(out).size == 2


def test_merge_respects_capacity_and_the_walking_limit():
    x = np.array([0.0, 200.0])
    y = np.zeros(2)
    full = merge_labels(
        x, y, np.array([40.0, 30.0]), np.array([0, 1]), 60.0, limit_m=np.full(2, 1000.0)
    )
    assert np.unique(full).size == 2  # 70 people do not fit 60
    tight = merge_labels(
        x, y, np.array([10.0, 10.0]), np.array([0, 1]), 60.0, limit_m=np.full(2, 50.0)
    )
    assert np.unique(tight).size == 2  # each spot 100 m from the merged centre: beyond 50 m


def test_merge_leaves_compact_caseloads_alone_when_the_merge_would_be_more_spread_than_average():
    # Four tight pairs (5 m apart) far from each other: merging any two pairs gives a caseload
    # far more spread out than the average caseload, so nothing merges.
    cx = np.array([0.0, 400.0, 800.0, 1200.0])
    x = np.repeat(cx, 2) + np.tile([0.0, 5.0], 4)
    y = np.zeros(8)
    w = np.full(8, 10.0)
    labels = np.repeat(np.arange(4), 2)
    out = merge_labels(x, y, w, labels, 60.0, limit_m=np.full(8, 1000.0))
    assert np.array_equal(out, labels)


# --- overlaps -----------------------------------------------------------------------


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
def test_caseload_groups_are_capped_and_never_overlap(seed, n):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 4000, size=(3, 2))
    xy = centres[rng.integers(0, 3, n)] + rng.normal(0, 300, size=(n, 2))
    w = rng.integers(1, 45, n).astype(float)
    limit = np.minimum(1000.0, 1.25 * local_reach_m(xy[:, 0], xy[:, 1], w, 60.0))
    labels = caseload_groups(xy[:, 0], xy[:, 1], w, 60.0, limit_m=limit)
    assert np.bincount(labels, weights=w).max() <= 60.0 + 1e-9
    assert sorted(np.unique(labels).tolist()) == list(range(int(labels.max()) + 1))
    assert overlap_pairs(xy[:, 0], xy[:, 1], labels) == []


def test_overlap_pairs_ignores_a_split_spots_share_at_the_same_place_as_the_caseloads_own_spot():
    # Item 3 is a full-cap share of the spot at (50, 30), whose remainder (item 4) is in caseload 0.
    x = np.array([0.0, 100.0, 50.0, 50.0, 50.0])
    y = np.array([0.0, 0.0, 100.0, 30.0, 30.0])
    assert overlap_pairs(x, y, np.array([0, 0, 0, 1, 0])) == []
    assert overlap_pairs(x, y, np.array([0, 0, 0, 1, 1])) == [(1, 0)]
