"""planning/plan.py and planning/resources.py with PEs counted from caseloads (pe_count_from),
on the hand-drawn dataset of tests/planning/handmade.py and on the demo."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.caseloads import CaseloadParams, district_caseloads
from planning.parameters import PARAMETERS
from planning.plan import build_plan, caseload_counts, scenario_caseload_counts
from planning.resources import peer_educators_from_caseloads
from planning.scenario import Scenario, ScenarioError, parameter_rows
from tests.planning import handmade
from tests.planning.test_plan import _dataset

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
CASELOADS = Scenario(pe_count_from="caseloads")


# --- the parameter and the scenario ---------------------------------------------------------


def test_the_option_is_one_scenario_parameter_with_ratio_as_default():
    p = PARAMETERS["pe_count_from"]
    assert p.group == "scenario" and p.kind == "choice"
    assert p.choices == ("ratio", "caseloads") and p.default == "ratio"
    # the rule below a 100% target is stated where the tooltip and the Excel sheet read it
    assert "⌈caseloads × target⌉" in p.tooltip()
    assert Scenario().pe_count_from == "ratio" and not Scenario().pe_from_caseloads
    with pytest.raises(ScenarioError, match="pe_count_from 'hotspots' is not one of ratio"):
        Scenario(pe_count_from="hotspots")
    assert CASELOADS.to_query() == {"pe_count_from": "caseloads"}
    assert Scenario.from_query({"pe_count_from": "caseloads"}) == CASELOADS
    rows = {r["parameter"]: r for r in parameter_rows(CASELOADS)}
    assert rows["pe_count_from"]["value"] == "caseloads"


def test_the_rule_is_said_in_words():
    assert Scenario(people_per_pe=55).pe_count_rule() == "PEs at 1 per 55 people"
    limit = PARAMETERS["walking_limit_km"].default
    assert CASELOADS.pe_count_rule() == f"PEs counted from caseloads (walking limit {limit:g} km)"
    assert "at most 60 people" in CASELOADS.pe_count_formula()


# --- resources ------------------------------------------------------------------------------


def test_caseloads_times_target_rounded_up():
    assert peer_educators_from_caseloads([4, 5, 0], 1.0).tolist() == [4, 5, 0]
    assert peer_educators_from_caseloads([4, 5, 0], 0.5).tolist() == [2, 3, 0]
    # 10 × 0.7 is 7.000000000000001 in binary: still 7 PEs, not 8
    assert peer_educators_from_caseloads([10], 0.7).tolist() == [7]
    with pytest.raises(ValueError, match="not counts"):
        peer_educators_from_caseloads([3, -1], 1.0)


@settings(max_examples=80, deadline=None)
@given(
    counts=st.lists(st.integers(0, 5000), min_size=1, max_size=30),
    low=st.integers(0, 100),
    high=st.integers(0, 100),
)
def test_fewer_caseloads_below_full_target_never_more(counts, low, high):
    low, high = sorted((low, high))
    at_low = peer_educators_from_caseloads(counts, low / 100)
    at_high = peer_educators_from_caseloads(counts, high / 100)
    assert (at_low <= at_high).all() and (at_high <= np.asarray(counts)).all()
    assert peer_educators_from_caseloads(counts, 1.0).tolist() == counts


# --- the plan -------------------------------------------------------------------------------


def test_given_counts_are_the_districts_pes_and_the_budget_follows():
    ratio_scenario = Scenario(pe_per_orw=2, pe_stipend_usd_month=15, orw_salary_usd_month=120)
    scenario = ratio_scenario.replace(pe_count_from="caseloads")
    plan = build_plan(_dataset(), scenario, caseloads={"A": 3, "B": 5})
    d = plan.districts.set_index("district")
    assert d.loc[["A", "B", "C"], "peer_educators"].tolist() == [3, 5, 0]
    assert d.loc[["A", "B", "C"], "outreach_workers"].tolist() == [2, 3, 0]
    ratio = build_plan(_dataset(), ratio_scenario).districts.set_index("district")
    # only the staff lines of the cost change: commodities follow people, not PEs
    staff = (d["peer_educators"] - ratio["peer_educators"]) * 15 + (
        d["outreach_workers"] - ratio["outreach_workers"]
    ) * 120
    assert (d["cost_usd_month"] - ratio["cost_usd_month"]).tolist() == staff.tolist()
    assert (d["condoms_per_month"] == ratio["condoms_per_month"]).all()
    assert plan.totals["peer_educators"] == 8 and plan.totals["outreach_workers"] == 5
    assert plan.totals["cost_usd_month"] == pytest.approx(d["cost_usd_month"].sum())
    assert plan.regions.set_index("region").loc["R1", "peer_educators"] == 8
    assert plan.parameters["pe_count_from"] == "caseloads"
    assert plan.parameters["pe_count_rule"].startswith("PEs counted from caseloads")


def test_below_full_target_the_plan_takes_that_share_of_caseloads():
    plan = build_plan(
        _dataset(), CASELOADS.replace(target=0.5), caseloads={"A": 3, "B": 5, "Elsewhere": 9}
    )
    d = plan.districts.set_index("district")
    assert d.loc[["A", "B", "C"], "peer_educators"].tolist() == [2, 3, 0]
    assert "Elsewhere" not in d.index  # counts of districts the plan does not have are unused


def test_a_cap_is_allocated_against_the_caseload_need():
    scenario = CASELOADS.replace(max_pe=4, min_pe_per_district=1)
    plan = build_plan(_dataset(), scenario, caseloads={"A": 3, "B": 5})
    assert plan.allocation is not None and plan.allocation_totals is not None
    a = plan.allocation.set_index("district")
    assert a.loc[["A", "B", "C"], "peer_educators"].tolist() == [3, 5, 0]
    assert plan.allocation_totals["peer_educators_needed"] == 8
    assert plan.allocation_totals["funded_peer_educators"] == 4
    assert a.loc["B", "priority_funded_peer_educators"] == 4  # B is priority 1 (largest gap)
    # the optimum counts people covered at 1 PE per people_per_pe (issue 16's model), so PEs
    # past what B's people need go to A
    assert a["funded_peer_educators"].sum() == 4
    assert a["covered_population"].sum() >= a["priority_covered_population"].sum()


def test_counts_are_refused_for_a_ratio_scenario():
    with pytest.raises(ScenarioError, match="set pe_count_from to 'caseloads'"):
        build_plan(_dataset(), Scenario(), caseloads={"A": 3})


def test_without_given_counts_the_plan_counts_the_caseloads_itself():
    dataset = _dataset()
    counts = caseload_counts(dataset, people_per_pe=50, basis="peak", level="high", duplication=0)
    for district in ("A", "B"):
        params = CaseloadParams(people_per_pe=50, level="high")
        result = district_caseloads(dataset.hotspots, handmade.CRS, params, district=district)
        assert counts[district] == result.pe_count
    assert "C" not in counts.index  # no hotspots, no caseloads
    scenario = CASELOADS.replace(people_per_pe=50, level="high")
    plan = build_plan(dataset, scenario)
    d = plan.districts.set_index("district")
    assert d.loc["A", "peer_educators"] == counts["A"]
    assert d.loc["B", "peer_educators"] == counts["B"]
    assert d.loc["C", "peer_educators"] == 0
    given = build_plan(dataset, scenario, caseloads=counts)
    assert given.districts.equals(plan.districts)


@pytest.fixture(scope="module")
def demo():
    from data_loaders.dataset import load_dataset

    return load_dataset(DEMO)


def test_on_the_demo_every_district_gets_its_caseloads_and_no_fewer_than_the_ratio(demo):
    scenario = CASELOADS.replace(people_per_pe=65, duplication=0.1)
    counts = scenario_caseload_counts(demo, scenario)
    plan = build_plan(demo, scenario, caseloads=counts)
    ratio = build_plan(demo, scenario.replace(pe_count_from="ratio"))
    d = plan.districts.set_index("district")
    r = ratio.districts.set_index("district")
    with_spots = d.index[d["hotspots"] > 0]
    assert set(counts.index) == set(with_spots)
    assert (d.loc[with_spots, "peer_educators"] == counts[with_spots]).all()
    # a caseload holds at most people_per_pe people, so no district needs fewer caseloads than
    # ⌈people ÷ people per PE⌉
    assert (d["peer_educators"] >= r["peer_educators"]).all()
    assert plan.totals["peer_educators"] == int(counts.sum())
    assert plan.totals["outreach_workers"] == sum(
        math.ceil(n / scenario.pe_per_orw) for n in d["peer_educators"]
    )
