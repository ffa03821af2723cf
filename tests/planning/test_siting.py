"""Tests for planning/siting.py: hand-checkable instances (three hotspots, two candidate sites),
brute force on small random instances, coverage never falls and is monotone in K (issue 16)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning import estimates
from planning.siting import cover_matrix, max_covering, propose_sites
from tests.planning import handmade

# Three hotspots on a line (metres) with 10, 20 and 30 people; candidate P at 3 km, Q at 9 km.
HOTSPOTS_XY = np.array([[0.0, 0.0], [5000.0, 0.0], [10000.0, 0.0]])
PEOPLE = np.array([10.0, 20.0, 30.0])
CANDIDATES_XY = np.array([[3000.0, 0.0], [9000.0, 0.0]])


def test_cover_matrix_by_hand():
    # within 2.5 km: P reaches the 5 km hotspot (2 km), Q the 10 km one (1 km)
    covers = cover_matrix(HOTSPOTS_XY, CANDIDATES_XY, 2.5)
    assert covers.toarray().tolist() == [[False, False], [True, False], [False, True]]
    # within 5 km: P reaches all but the one at 10 km (7 km), Q the 5 km (4 km) and 10 km ones
    covers = cover_matrix(HOTSPOTS_XY, CANDIDATES_XY, 5)
    assert covers.toarray().tolist() == [[True, False], [True, True], [False, True]]
    # a candidate on a hotspot reaches it (distance 0)
    assert cover_matrix(HOTSPOTS_XY[:1], HOTSPOTS_XY[:1], 1).toarray().tolist() == [[True]]


def test_one_new_site_by_hand():
    covers = cover_matrix(HOTSPOTS_XY, CANDIDATES_XY, 5)
    nobody = np.zeros(3, dtype=bool)
    one = max_covering(PEOPLE, covers, nobody, 1)
    assert one.chosen.tolist() == [1] and one.covered_after == 50  # Q: 20 + 30 > P: 10 + 20
    assert one.covered_before == 0 and one.proven and one.gap == 0
    # an existing site already covering the 10 km hotspot makes P the better choice
    existing = np.array([False, False, True])
    best = max_covering(PEOPLE, covers, existing, 1)
    assert best.chosen.tolist() == [0]
    assert (best.covered_before, best.covered_after) == (30, 60)
    assert best.people_newly_covered.tolist() == [30.0]
    both = max_covering(PEOPLE, covers, nobody, 2)
    assert both.covered_after == 60 and both.people_newly_covered.tolist() == [50.0, 10.0]


def _brute(people, covers, before, k):
    dense = covers.toarray()
    best = 0.0
    for r in range(min(k, dense.shape[1]) + 1):
        for chosen in itertools.combinations(range(dense.shape[1]), r):
            hit = before | dense[:, list(chosen)].any(axis=1)
            best = max(best, float(people[hit].sum()))
    return best


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 9),
    m=st.integers(1, 6),
    k=st.integers(0, 4),
    distance_km=st.sampled_from([1.0, 2.5, 4.0]),
    seed=st.integers(0, 10_000),
)
def test_matches_brute_force_and_is_monotone_in_k(n, m, k, distance_km, seed):
    rng = np.random.default_rng(seed)
    hotspots = rng.uniform(0, 10_000, (n, 2))
    candidates = rng.uniform(0, 10_000, (m, 2))
    people = rng.integers(0, 50, n).astype(float)
    before = rng.random(n) < 0.3
    covers = cover_matrix(hotspots, candidates, distance_km)
    result = max_covering(people, covers, before, k)
    assert result.proven
    assert result.covered_after == pytest.approx(_brute(people, covers, before, k))
    assert result.covered_after >= result.covered_before == pytest.approx(people[before].sum())
    assert result.people_newly_covered.sum() == pytest.approx(
        result.covered_after - result.covered_before
    )
    assert len(result.chosen) <= k and len(set(result.chosen.tolist())) == len(result.chosen)
    more = max_covering(people, covers, before, k + 1)
    assert more.covered_after >= result.covered_after - 1e-9


def test_bad_inputs_name_the_argument():
    covers = cover_matrix(HOTSPOTS_XY, CANDIDATES_XY, 5)
    with pytest.raises(ValueError, match="k=-1"):
        max_covering(PEOPLE, covers, np.zeros(3, bool), -1)
    with pytest.raises(ValueError, match="people of hotspot row 1 is -2"):
        max_covering(np.array([1.0, -2.0, 3.0]), covers, np.zeros(3, bool), 1)


def _spots():
    return estimates.hotspot_estimates(handmade.hotspots())


def test_propose_sites_on_the_handmade_dataset():
    # all sites offering PrEP: only S1 (lat -13.01) reaches H1 and H2 within 5 km; H3 (mid 40
    # people, 16.6 km away) is left, and one new site on H3 covers it
    new, summary = propose_sites(
        _spots(), handmade.sites(), handmade.CRS, k=1, distance_km=5, service="prep"
    )
    assert summary["covered_before"] == 21 and summary["covered_after"] == 61
    assert new["district"].tolist() == ["B"] and new["people_newly_covered"].tolist() == [40.0]
    assert new.loc[0, "latitude"] == pytest.approx(-13.16)
    # --district limits hotspots and candidates; existing sites anywhere count
    only_a, in_a = propose_sites(
        _spots(), handmade.sites(), handmade.CRS, k=2, distance_km=5, district="A"
    )
    assert in_a["covered_before"] == in_a["covered_after"] == 21 and only_a.empty
    with pytest.raises(ValueError, match="district 'Z' has no hotspots"):
        propose_sites(_spots(), handmade.sites(), handmade.CRS, k=1, distance_km=5, district="Z")


def test_candidate_file_locations_and_weights():
    far = pd.DataFrame({"latitude": [-13.30], "longitude": [33.0], "district": ["B"]})
    near = pd.DataFrame({"latitude": [-13.17], "longitude": [33.0], "district": ["B"]})
    args = {"k": 1, "distance_km": 5, "service": "prep"}
    none, summary = propose_sites(_spots(), handmade.sites(), handmade.CRS, candidates=far, **args)
    assert none.empty and summary["covered_after"] == summary["covered_before"]
    some, summary = propose_sites(_spots(), handmade.sites(), handmade.CRS, candidates=near, **args)
    assert some["people_newly_covered"].tolist() == [40.0]
    weighted, summary = propose_sites(
        _spots(), handmade.sites(), handmade.CRS, candidates=near, weights={"B": 0.5}, **args
    )
    assert weighted["people_newly_covered"].tolist() == [20.0] and summary["weighted"]


def test_logs_say_how_long_it_took_and_never_where(caplog):
    caplog.set_level("DEBUG")
    spots = _spots()
    propose_sites(spots, handmade.sites(), handmade.CRS, k=1, distance_km=5, service="prep")
    text = caplog.text
    assert "siting:" in text and " s" in text
    for value in (*spots["hotspot_id"], *spots["name"], "-13.16", "33.00"):
        if value:
            assert str(value) not in text
