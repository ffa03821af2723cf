"""Tests for planning/priority.py: ranking by a documented score and the cumulative-share curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.coverage import coverage_table, enrolled_by_district
from planning.estimates import hotspot_estimates, rollup
from planning.priority import (
    DEFAULT_PRIORITY_SCORE,
    cumulative_share,
    rank_districts,
    smallest_k_holding,
)
from tests.planning import handmade


def _table(districts, gap, density):
    return pd.DataFrame({"district": districts, "gap": gap, "density_per_km2": density})


def test_default_score_is_gap_then_density():
    assert DEFAULT_PRIORITY_SCORE == ("gap", "density_per_km2")
    t = _table(["A", "B", "C", "D"], [10, 30, 10, 0], [0.5, 0.1, 2.0, 9.0])
    r = rank_districts(t)
    # B has the largest gap; A and C tie on gap 10, C is denser; D last.
    assert r["priority_rank"].tolist() == [3, 1, 2, 4]
    assert r["priority_score"].tolist() == [0.5, 1.0, 0.75, 0.25]
    assert r["district"].tolist() == ["A", "B", "C", "D"]  # row order kept


def test_full_tie_broken_by_name_and_nan_last():
    t = _table(["Zomba", "Balaka", "Mzimba"], [5, 5, np.nan], [1.0, 1.0, 3.0])
    assert rank_districts(t)["priority_rank"].tolist() == [2, 1, 3]


def test_ascending_column_with_minus():
    t = pd.DataFrame({"district": ["A", "B", "C"], "coverage_mid": [0.9, 0.2, 0.5]})
    assert rank_districts(t, score=("-coverage_mid",))["priority_rank"].tolist() == [3, 1, 2]


def test_unknown_score_column_is_named():
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['need'\]"):
        rank_districts(_table(["A"], [1], [1]), score=("need",))


def test_rank_on_handmade_plan_frame():
    d = rollup(hotspot_estimates(handmade.hotspots()), handmade.boundaries())
    c = coverage_table(d, enrolled_by_district(handmade.enrolment(), handmade.boundaries()))
    # gaps A 10, B 20, C 0 -> B, A, C
    assert rank_districts(c)["priority_rank"].tolist() == [2, 1, 3]


def test_cumulative_share_curve():
    t = pd.DataFrame({"district": ["A", "B", "C", "D"], "estimate_mid": [10.0, 50.0, 0.0, 40.0]})
    c = cumulative_share(t)
    assert list(c.columns) == ["district", "value", "share", "cumulative_share", "k"]
    assert c["district"].tolist() == ["B", "D", "A", "C"]
    assert c["share"].tolist() == pytest.approx([0.5, 0.4, 0.1, 0.0])
    assert c["cumulative_share"].tolist() == pytest.approx([0.5, 0.9, 1.0, 1.0])
    assert c["k"].tolist() == [1, 2, 3, 4]


def test_mauritius_four_of_nine_districts_hold_over_80_percent():
    # DESIGN.md s.3 (programmatic-mapping-jmir-2019.txt): in Mauritius 4 of 9 districts held
    # over 80% of the estimate. A hand-made 9-district set with that shape (total 1000):
    # 350 + 250 + 150 + 70 = 820 (82%); the top 3 hold only 750 (75%).
    t = pd.DataFrame(
        {
            "district": [
                "Port Louis",
                "Pamplemousses",
                "Riviere du Rempart",
                "Flacq",
                "Grand Port",
                "Savanne",
                "Black River",
                "Plaines Wilhems",
                "Moka",
            ],
            "estimate_mid": [350.0, 60.0, 50.0, 30.0, 25.0, 15.0, 70.0, 250.0, 150.0],
        }
    )
    k, held = smallest_k_holding(t, 0.8)
    assert k == 4
    assert held == pytest.approx(0.82)
    assert held > 0.8
    assert smallest_k_holding(t, 0.75) == (3, pytest.approx(0.75))


def test_kenya_single_largest_share():
    # Kenya: Nairobi held 27% of the national estimate -> k = 1 holds 27%.
    t = pd.DataFrame({"district": ["Nairobi", "Rest"], "estimate_mid": [27.0, 73.0]})
    c = cumulative_share(t)
    assert c.set_index("district").loc["Nairobi", "share"] == pytest.approx(0.27)


@pytest.mark.parametrize("share", [0, 1.5, "most"])
def test_share_out_of_range_names_argument(share):
    with pytest.raises(ValueError, match="share="):
        smallest_k_holding(pd.DataFrame({"district": ["A"], "estimate_mid": [1.0]}), share)


def test_zero_total_is_refused():
    with pytest.raises(ValueError, match="total of estimate_mid is 0"):
        smallest_k_holding(pd.DataFrame({"district": ["A", "B"], "estimate_mid": [0.0, 0.0]}))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=30), st.floats(0.01, 1.0))
def test_smallest_k_is_smallest(values, share):
    t = pd.DataFrame(
        {"district": [f"D{i:02d}" for i in range(len(values))], "estimate_mid": values}
    )
    if sum(values) == 0:
        return
    k, held = smallest_k_holding(t, share)
    top = np.sort(np.asarray(values))[::-1]
    total = top.sum()
    assert top[:k].sum() / total >= share - 1e-9
    assert held == pytest.approx(top[:k].sum() / total)
    if k > 1:
        assert top[: k - 1].sum() / total < share + 1e-9
    curve = cumulative_share(t)
    assert (np.diff(curve["cumulative_share"]) >= -1e-12).all()
    assert curve["cumulative_share"].iloc[-1] == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.floats(0, 3, allow_nan=False)), min_size=1, max_size=20
    )
)
def test_rank_is_a_permutation_in_score_order(rows):
    t = _table([f"D{i:02d}" for i in range(len(rows))], [r[0] for r in rows], [r[1] for r in rows])
    r = rank_districts(t).sort_values("priority_rank")
    assert r["priority_rank"].tolist() == list(range(1, len(rows) + 1))
    keys = list(zip(-r["gap"], -r["density_per_km2"], r["district"]))
    assert keys == sorted(keys)
    assert (np.diff(r["priority_score"]) < 0).all()
