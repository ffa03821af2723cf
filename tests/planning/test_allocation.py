"""Tests for planning/allocation.py: priority saturation, even and proportional comparators,
properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.allocation import (
    allocate,
    allocation_summary,
    fund_evenly,
    fund_in_order,
    fund_proportionally,
    pe_cap,
)
from planning.resources import resource_table
from planning.scenario import Scenario


def _districts(pops, ranks=None):
    frame = pd.DataFrame(
        {"district": [f"D{i}" for i in range(len(pops))], "planning_population": pops}
    )
    frame["priority_rank"] = ranks if ranks is not None else list(range(1, len(pops) + 1))
    return resource_table(frame, Scenario())


def test_priority_saturates_first_district_before_next():
    # needs at 60 per PE: 10, 5, 2 PEs; cap 12 → 10, 2, 0
    d = _districts([600.0, 300.0, 120.0])
    a = allocate(d, Scenario(), 12)
    assert a["funded_peer_educators"].tolist() == [10, 2, 0]
    assert a["covered_population"].tolist() == [600, 120, 0]
    assert a["even_funded_peer_educators"].tolist() == [5, 5, 2]
    assert a["even_covered_population"].tolist() == [300, 300, 120]
    assert a["proportional_funded_peer_educators"].sum() == 12
    s = allocation_summary(a, Scenario(), 12)
    assert s["covered_population_priority"] == 720 and s["covered_population_even"] == 720
    assert s["funded_peer_educators"] == 12 and s["peer_educators_needed"] == 17


def test_priority_rank_sets_the_order():
    d = _districts([600.0, 300.0], ranks=[2, 1])
    a = allocate(d, Scenario(), 6)
    assert a["funded_peer_educators"].tolist() == [1, 5]


def test_priority_beats_even_when_a_district_is_partly_funded():
    # 61 people need 2 PEs, the second covers 1 person: even spreading wastes capacity
    d = _districts([120.0, 61.0, 61.0], ranks=[1, 2, 3])
    a = allocate(d, Scenario(), 3)
    assert a["covered_population"].sum() == 180  # 120 + 60
    assert a["even_covered_population"].sum() <= a["covered_population"].sum()


def test_even_spread_redistributes_leftover():
    assert fund_evenly(np.array([1, 10, 10]), 13).tolist() == [1, 6, 6]
    assert fund_evenly(np.array([1, 10, 10]), 100).tolist() == [1, 10, 10]


def test_proportional_to_size():
    funded = fund_proportionally(np.array([10, 30, 60]), np.array([100.0, 300.0, 600.0]), 50)
    assert funded.tolist() == [5, 15, 30]
    capped = fund_proportionally(np.array([2, 30, 60]), np.array([1000.0, 300.0, 600.0]), 50)
    assert capped[0] == 2 and capped.sum() == 50


def test_budget_becomes_pes():
    s = Scenario(pe_stipend_usd_month=15, orw_salary_usd_month=300, budget_usd_month=6500)
    assert pe_cap(s) == 100  # 6500 ÷ (15 + 300/6) = 100
    assert pe_cap(Scenario(max_pe=7)) == 7 and pe_cap(Scenario()) is None


def test_negative_cap_is_refused():
    with pytest.raises(ValueError, match="cap_pe -1"):
        fund_in_order(np.array([1]), np.array([0]), -1)


pops = st.lists(st.floats(0, 20_000, allow_nan=False), min_size=1, max_size=12)


@settings(max_examples=80, deadline=None)
@given(pops=pops, cap=st.integers(0, 500), more=st.integers(0, 200), data=st.data())
def test_cover_never_exceeds_uncapped_and_never_falls_when_cap_rises(pops, cap, more, data):
    ranks = data.draw(st.permutations(list(range(1, len(pops) + 1))))
    d = _districts(pops, ranks)
    s = Scenario()
    a = allocate(d, s, cap)
    b = allocate(d, s, cap + more)
    uncapped = d["planning_population"].to_numpy() * s.target
    for prefix in ("", "even_", "proportional_"):
        funded = a[f"{prefix}funded_peer_educators"].to_numpy()
        assert funded.sum() == min(cap, d["peer_educators"].sum())
        assert (funded <= d["peer_educators"].to_numpy()).all() and (funded >= 0).all()
        assert (a[f"{prefix}covered_population"].to_numpy() <= uncapped + 1e-9).all()
    assert b["covered_population"].sum() >= a["covered_population"].sum() - 1e-9
    assert b["even_covered_population"].sum() >= a["even_covered_population"].sum() - 1e-9
    assert (b["funded_peer_educators"].to_numpy() >= a["funded_peer_educators"].to_numpy()).all()
