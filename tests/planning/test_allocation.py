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


M1 = Scenario(min_pe_per_district=1)  # the model without a minimum programme


def test_priority_saturates_first_district_before_next():
    # needs at 60 per PE: 10, 5, 2 PEs; cap 12 → 10, 2, 0
    d = _districts([600.0, 300.0, 120.0])
    a = allocate(d, M1, 12)
    assert a["priority_funded_peer_educators"].tolist() == [10, 2, 0]
    assert a["priority_covered_population"].tolist() == [600, 120, 0]
    assert a["even_funded_peer_educators"].tolist() == [5, 5, 2]
    assert a["even_covered_population"].tolist() == [300, 300, 120]
    assert a["proportional_funded_peer_educators"].sum() == 12
    s = allocation_summary(a, M1, 12)
    assert s["covered_population_priority_order"] == 720 and s["covered_population_even"] == 720
    assert s["funded_peer_educators"] == 12 and s["peer_educators_needed"] == 17
    # the optimum covers as many, and the tie goes to priority order
    assert a["funded_peer_educators"].tolist() == [10, 2, 0]


def test_priority_rank_sets_the_order():
    d = _districts([600.0, 300.0], ranks=[2, 1])
    a = allocate(d, M1, 6)
    assert a["priority_funded_peer_educators"].tolist() == [1, 5]
    assert a["funded_peer_educators"].tolist() == [1, 5]


def test_priority_beats_even_when_a_district_is_partly_funded():
    # 61 people need 2 PEs, the second covers 1 person: even spreading wastes capacity
    d = _districts([120.0, 61.0, 61.0], ranks=[1, 2, 3])
    a = allocate(d, M1, 3)
    assert a["priority_covered_population"].sum() == 180  # 120 + 60
    assert a["even_covered_population"].sum() <= a["priority_covered_population"].sum()


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
PREFIXES = ("", "priority_", "even_", "proportional_")


@settings(max_examples=60, deadline=None)
@given(pops=pops, cap=st.integers(0, 500), more=st.integers(0, 200), data=st.data())
def test_the_optimum_beats_every_rule_and_never_falls_when_the_cap_rises(pops, cap, more, data):
    ranks = data.draw(st.permutations(list(range(1, len(pops) + 1))))
    m = data.draw(st.integers(1, 8))
    d = _districts(pops, ranks)
    s = Scenario(min_pe_per_district=m)
    a = allocate(d, s, cap)
    b = allocate(d, s, cap + more)
    uncapped = d["planning_population"].to_numpy() * s.target
    for prefix in PREFIXES:
        funded = a[f"{prefix}funded_peer_educators"].to_numpy()
        assert funded.sum() <= cap
        assert ((funded == 0) | (funded >= m)).all() and (funded >= 0).all()
        assert (a[f"{prefix}covered_population"].to_numpy() <= uncapped + 1e-9).all()
        assert a["covered_population"].sum() >= a[f"{prefix}covered_population"].sum() - 1e-6
    assert b["covered_population"].sum() >= a["covered_population"].sum() - 1e-6


@settings(max_examples=40, deadline=None)
@given(pops=pops, budget=st.integers(0, 20_000), more=st.integers(0, 5_000), data=st.data())
def test_under_a_budget_every_allocation_fits_and_the_optimum_is_best(pops, budget, more, data):
    fixed = data.draw(st.sampled_from([0, 200, 1000]))
    s = Scenario(pe_stipend_usd_month=15, orw_salary_usd_month=300, condom_unit_cost_usd=0.02,
                 district_fixed_usd_month=fixed, budget_usd_month=budget)  # fmt: skip
    d = _districts(pops)
    a = allocate(d, s)
    b = allocate(d, s.replace(budget_usd_month=budget + more))
    for prefix in PREFIXES:
        assert a[f"{prefix}cost_usd_month"].sum() <= budget + 1e-6
        assert a["covered_population"].sum() >= a[f"{prefix}covered_population"].sum() - 1e-6
    assert b["covered_population"].sum() >= a["covered_population"].sum() - 1e-6


def test_summary_names_the_recommendation_and_its_assumptions():
    s = Scenario(max_pe=12, district_fixed_usd_month=500)
    summary = allocation_summary(allocate(_districts([600.0, 300.0, 120.0]), s), s)
    assert summary["proven_optimal"] is True and summary["optimality_gap"] == 0
    assert summary["covered_population_optimal"] == 660  # [6, 6, 0] at m = 6
    assert summary["covered_population_priority_order"] == 600  # [10, 0, 0]: 2 < m left over
    text = summary["recommended"]
    assert "maximises people covered" in text and "USD 500 a month (F)" in text
    assert "at least 6 PEs (m)" in text and "660" in text
