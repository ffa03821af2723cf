"""Tests for planning/allocation_opt.py: hand-checkable instances, brute force on small random
instances, and the properties the issue states (issue 16)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.allocation_opt import (
    CostModel,
    covered_people,
    optimal_allocation,
    programme_cost_usd_month,
    upper_pe,
)

# three districts: 600, 300 and 120 people to reach at 60 per PE need 10, 5 and 2 PEs
TARGET = np.array([600.0, 300.0, 120.0])
NEED = np.array([10, 5, 2])


def test_cap_with_a_minimum_programme_hand_checked():
    # m = 6: [10, 2, 0] is not allowed (2 < 6); [6, 6, 0] covers 360 of 600 and all 300 of
    # district 2 → 660; [10, 0, 0] covers 600; [6, 0, 6] covers 360 + 120 = 480. Best: 660.
    model = CostModel(people_per_pe=60, pe_per_orw=6, min_pe=6)
    best = optimal_allocation(TARGET, NEED, model, cap_pe=12)
    assert best.funded_pe.tolist() == [6, 6, 0]
    assert best.objective == 660 and best.proven and best.gap == 0


def test_fixed_cost_makes_saturation_right_hand_checked():
    # F = USD 100 a district, USD 10 a PE, budget USD 300, m = 2. District 1 alone with 10 PEs
    # costs 200 and covers 600; adding district 3 (2 PEs, USD 120) breaks the budget; 8 + 2 PEs
    # in districts 1 and 3 cost exactly 300 and also cover 480 + 120 = 600: a tie, which goes to
    # priority order (district 1 saturated).
    model = CostModel(people_per_pe=60, pe_per_orw=6, min_pe=2, fixed_usd_month=100,
                      pe_stipend_usd_month=10)  # fmt: skip
    best = optimal_allocation(TARGET, NEED, model, budget_usd_month=300)
    assert best.funded_pe.tolist() == [10, 0, 0] and best.objective == 600
    # without the fixed cost the same budget funds everyone
    free = CostModel(people_per_pe=60, pe_per_orw=6, min_pe=2, pe_stipend_usd_month=10)
    assert optimal_allocation(TARGET, NEED, free, budget_usd_month=300).objective == 1020


def test_cost_counts_orws_by_the_ceiling_and_commodities_of_people_covered():
    model = CostModel(people_per_pe=60, pe_per_orw=6, fixed_usd_month=100,
                      pe_stipend_usd_month=15, orw_salary_usd_month=300,
                      commodity_usd_per_person_month=2)  # fmt: skip
    cost = programme_cost_usd_month(TARGET, [7, 0, 2], model)
    # district 1: 100 + 7 × 15 + ⌈7/6⌉ = 2 ORWs × 300 + 420 people × 2; district 3: 100 + 30 +
    # 300 + 120 × 2
    assert cost.tolist() == [100 + 105 + 600 + 840, 0.0, 100 + 30 + 300 + 240]
    assert covered_people(TARGET, [7, 0, 2], 60).tolist() == [420, 0, 120]


def test_mombasa_68_pes_need_12_orws_in_the_cost():
    # the published figure (programmatic-mapping-jmir-2019): 68 PEs, ⌈68 ÷ 6⌉ = 12 ORWs
    model = CostModel(people_per_pe=60, pe_per_orw=6, orw_salary_usd_month=1)
    assert programme_cost_usd_month([68 * 60.0], [68], model).tolist() == [12.0]


def test_weights_move_the_pes():
    model = CostModel(people_per_pe=60, pe_per_orw=6, min_pe=1)
    plain = optimal_allocation([600.0, 600.0], [10, 10], model, cap_pe=10)
    assert plain.funded_pe.tolist() == [10, 0]  # a tie: priority order
    weighted = optimal_allocation([600.0, 600.0], [10, 10], model, cap_pe=10, weights=[1, 2])
    assert weighted.funded_pe.tolist() == [0, 10] and weighted.objective == 1200


def test_a_cap_below_the_minimum_funds_nobody():
    model = CostModel(people_per_pe=60, pe_per_orw=6, min_pe=6)
    best = optimal_allocation(TARGET, NEED, model, cap_pe=5)
    assert best.funded_pe.tolist() == [0, 0, 0] and best.objective == 0


def test_bad_inputs_name_the_argument():
    model = CostModel(people_per_pe=60, pe_per_orw=6)
    with pytest.raises(ValueError, match="exactly one of cap_pe or budget_usd_month"):
        optimal_allocation(TARGET, NEED, model)
    with pytest.raises(ValueError, match="need_pe has 2 values for 3 districts"):
        optimal_allocation(TARGET, NEED[:2], model, cap_pe=3)
    with pytest.raises(ValueError, match="target_population of district 1 is -5"):
        optimal_allocation([1.0, -5.0], [1, 1], model, cap_pe=3)
    with pytest.raises(ValueError, match="CostModel min_pe=0"):
        CostModel(people_per_pe=60, pe_per_orw=6, min_pe=0)


def _brute_force(target, need, model, weights, *, cap=None, budget=None):
    upper = upper_pe(need, model)
    choices = [[0, *range(model.min_pe, u + 1)] if u > 0 else [0] for u in upper]
    best = 0.0
    for n in itertools.product(*choices):
        n = np.array(n)
        if cap is not None and n.sum() > cap:
            continue
        if budget is not None and programme_cost_usd_month(target, n, model).sum() > budget + 1e-9:
            continue
        best = max(best, float(np.sum(weights * covered_people(target, n, model.people_per_pe))))
    return best


@settings(max_examples=60, deadline=None)
@given(
    pops=st.lists(st.integers(0, 400), min_size=1, max_size=4),
    weights=st.lists(st.sampled_from([1.0, 1.0, 0.5, 2.0]), min_size=4, max_size=4),
    min_pe=st.integers(1, 4),
    fixed=st.sampled_from([0.0, 50.0, 200.0]),
    stipend=st.sampled_from([0.0, 15.0]),
    orw=st.sampled_from([0.0, 100.0]),
    commodity=st.sampled_from([0.0, 0.7]),
    cap=st.integers(0, 14),
    budget=st.integers(0, 900),
)
def test_matches_brute_force(pops, weights, min_pe, fixed, stipend, orw, commodity, cap, budget):
    target = np.array(pops, dtype="float64")
    need = np.ceil(target / 100).astype("int64")
    w = np.array(weights[: len(pops)])
    model = CostModel(people_per_pe=100, pe_per_orw=3, min_pe=min_pe, fixed_usd_month=fixed,
                      pe_stipend_usd_month=stipend, orw_salary_usd_month=orw,
                      commodity_usd_per_person_month=commodity)  # fmt: skip
    by_cap = optimal_allocation(target, need, model, cap_pe=cap, weights=w)
    assert by_cap.proven
    assert by_cap.objective == pytest.approx(
        _brute_force(target, need, model, w, cap=cap), abs=1e-6
    )
    assert by_cap.funded_pe.sum() <= cap
    by_budget = optimal_allocation(target, need, model, budget_usd_month=float(budget), weights=w)
    assert by_budget.objective == pytest.approx(
        _brute_force(target, need, model, w, budget=budget), abs=1e-6
    )
    spent = programme_cost_usd_month(target, by_budget.funded_pe, model).sum()
    assert spent <= budget + 1e-6
    for funded in (by_cap.funded_pe, by_budget.funded_pe):
        assert ((funded == 0) | (funded >= min_pe)).all()


@settings(max_examples=40, deadline=None)
@given(
    pops=st.lists(st.floats(0, 5000, allow_nan=False), min_size=1, max_size=10),
    cap=st.integers(0, 150),
)
def test_without_fixed_costs_or_minimum_the_cap_covers_everything_it_can(pops, cap):
    # F = 0 and m = 1: covered = min(total, cap × people per PE) up to rounding (each PE past
    # the districts' whole PEs covers a district's remainder, less than one PE's people)
    target = np.array(pops)
    need = np.ceil(target / 60 - 1e-9).astype("int64")
    model = CostModel(people_per_pe=60, pe_per_orw=6, min_pe=1)
    best = optimal_allocation(target, need, model, cap_pe=cap)
    ideal = min(target.sum(), cap * 60.0)
    whole = int(np.floor(target / 60 + 1e-9).sum())
    assert best.objective <= ideal + 1e-6
    if cap <= whole:
        assert best.objective == pytest.approx(ideal)
    else:
        assert best.objective >= ideal - 60 * (cap - whole) - 1e-6
