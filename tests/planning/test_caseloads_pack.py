"""Tests of planning/caseloads_pack.py: Hilbert order, packing, dissolving, the walking limit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.caseloads_pack import (
    dissolve_labels,
    enforce_limit,
    fill_labels,
    hilbert_index,
    isolated_items,
    radius_m,
)


def test_hilbert_index_visits_a_grid_cell_by_cell():
    """On a 4 × 4 grid the curve is a permutation and consecutive cells are neighbours."""
    gx, gy = np.meshgrid(np.arange(4.0), np.arange(4.0))
    x, y = gx.ravel(), gy.ravel()
    d = hilbert_index(x, y, order=2)
    assert sorted(d.tolist()) == list(range(16))
    path = np.argsort(d)
    steps = np.hypot(np.diff(x[path]), np.diff(y[path]))
    assert np.allclose(steps, 1.0)


def test_isolated_items_are_farther_than_the_limit_from_every_other():
    x = np.array([0.0, 100.0, 3000.0, 0.0])
    y = np.array([0.0, 0.0, 0.0, 2500.0])
    assert isolated_items(x, y, 1000.0).tolist() == [False, False, True, True]
    assert isolated_items(x, y, 3000.0).tolist() == [False, False, False, False]


def test_fill_packs_small_spots_into_the_room_a_big_one_leaves():
    # along a line: 50, 30, 10, 20, 10 people (120 = 2 PEs of 60); next fit needs 3
    # (50 | 30 10 20 | 10), first fit within the window fills both PEs: 50 10 | 30 20 10
    x = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    w = np.array([50.0, 30.0, 10.0, 20.0, 10.0])
    labels = fill_labels(x, np.zeros(5), w, 60.0, 1000.0)
    assert labels.tolist() == [0, 1, 0, 1, 1]


def test_dissolve_empties_a_small_caseload_into_neighbours_with_room():
    x = np.array([0.0, 50.0, 100.0, 150.0])
    w = np.array([30.0, 10.0, 30.0, 10.0])
    labels = dissolve_labels(x, np.zeros(4), w, np.array([0, 1, 2, 2]), 60.0, 1000.0)
    assert labels.max() == 1 and np.bincount(labels, weights=w).max() <= 60.0
    # nothing moves beyond the walking limit: 2 km apart with a 500 m limit stays apart
    far = dissolve_labels(
        np.array([0.0, 2000.0]), np.zeros(2), np.ones(2), np.array([0, 1]), 60, 500
    )
    assert far.tolist() == [0, 1]


def test_enforce_limit_trims_a_wide_caseload_to_the_limit():
    x = np.array([0.0, 100.0, 200.0, 3000.0])
    labels = enforce_limit(x, np.zeros(4), np.ones(4), np.zeros(4, dtype="int64"), 60.0, 500.0)
    assert radius_m(x, np.zeros(4), labels, int(labels.max()) + 1).max() <= 500.0
    assert labels[0] == labels[1] == labels[2] != labels[3]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 150),
    limit_m=st.sampled_from([200.0, 1000.0, 3000.0]),
)
def test_fill_then_dissolve_keep_capacity_and_limit_and_never_raise_the_count(seed, n, limit_m):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n)
    w = rng.integers(1, 60, n).astype(float)
    first = fill_labels(x, y, w, 60.0, limit_m)
    after = dissolve_labels(x, y, w, first, 60.0, limit_m)
    for labels in (first, after):
        m = int(labels.max()) + 1
        assert sorted(set(labels.tolist())) == list(range(m))
        assert np.bincount(labels, weights=w).max() <= 60.0 + 1e-9
        assert radius_m(x, y, labels, m).max() <= limit_m + 1e-6
    assert after.max() <= first.max()
    assert after.max() + 1 >= np.ceil(w.sum() / 60.0 - 1e-9)
