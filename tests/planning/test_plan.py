"""Tests for planning/plan.py on the hand-drawn dataset of tests/planning/handmade.py."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from planning.plan import DISTRICT_COLUMNS, build_plan
from planning.scenario import Scenario, ScenarioError
from planning.schema import Dataset
from tests.planning import handmade


def _dataset() -> Dataset:
    return Dataset(
        name="Handmade",
        hotspots=handmade.hotspots(),
        sites=handmade.sites(),
        enrolment=handmade.enrolment(),
        boundaries=handmade.boundaries(),
        crs_projected=handmade.CRS,
        synthetic=True,
    )


def test_district_rows_by_hand():
    plan = build_plan(_dataset(), Scenario())
    d = plan.districts.set_index("district")
    assert list(plan.districts.columns) == DISTRICT_COLUMNS
    assert d.loc["A", "planning_population"] == 21 and d.loc["B", "planning_population"] == 40
    assert d.loc[["A", "B", "C"], "enrolled"].tolist() == [11, 20, 0]
    assert d.loc[["A", "B", "C"], "gap"].tolist() == [10, 20, 0]
    assert d.loc[["A", "B", "C"], "peer_educators"].tolist() == [1, 1, 0]
    assert d.loc[["A", "B", "C"], "outreach_workers"].tolist() == [1, 1, 0]
    assert d.loc["A", "condoms_per_month"] == 21 * 40
    assert d.loc["A", "test_kits_per_month"] == pytest.approx(7)
    assert d.loc[["B", "A", "C"], "priority_rank"].tolist() == [1, 2, 3]  # largest gap first
    assert d.loc["A", "coverage_low"] == pytest.approx(11 / 28)
    assert d.loc["A", "share_within_distance"] == 1.0
    assert d.loc["C", "hotspots"] == 0 and math.isnan(d.loc["C", "share_within_distance"])
    assert d["cost_usd_month"].isna().all()
    assert plan.parameters["period"] == "2026-Q1"
    assert plan.allocation is None and "funded_peer_educators" not in plan.districts


def test_totals_are_sums_of_districts_not_recomputed():
    # At the low level districts hold 14 and 30 people: at 50 per PE each needs 1 PE, 2 in all,
    # while ⌈44 ÷ 50⌉ = 1 (the national figure is the sum of districts, not recomputed).
    plan = build_plan(_dataset(), Scenario(people_per_pe=50, level="low"))
    assert plan.totals["peer_educators"] == 2 == plan.districts["peer_educators"].sum()
    assert plan.totals["planning_population"] == 44
    assert plan.totals["coverage_mid"] == pytest.approx(31 / 61)
    r = plan.regions.set_index("region")
    assert r.loc["R1", "peer_educators"] == 2 and r.loc["R2", "peer_educators"] == 0
    assert r.loc["R1", "districts"] == 2
    assert plan.national.loc[0, "name"] == "Handmade"


def test_distance_and_service_change_access():
    prep_only = build_plan(_dataset(), Scenario(service="prep", distance_km=5))
    d = prep_only.districts.set_index("district")
    assert d.loc["B", "share_within_distance"] == 0.0 and d.loc["B", "unserved_hotspots"] == 1
    h = prep_only.hotspots.set_index("hotspot_id")
    assert h.loc["H3", "nearest_site_id"] == "S1" and not h.loc["H3", "within_distance"]


def test_cap_adds_funded_and_covered():
    plan = build_plan(_dataset(), Scenario(max_pe=1, min_pe_per_district=1))
    d = plan.districts.set_index("district")
    assert d.loc[["B", "A", "C"], "funded_peer_educators"].tolist() == [1, 0, 0]
    assert d.loc["B", "covered_population"] == 40
    assert plan.totals["covered_population"] == 40
    assert plan.allocation_totals["cap_peer_educators"] == 1


def test_costs_and_budget():
    s = Scenario(pe_stipend_usd_month=15, orw_salary_usd_month=300)
    plan = build_plan(_dataset(), s)
    assert plan.totals["cost_usd_month"] == pytest.approx(2 * 15 + 2 * 300)
    assert plan.totals["cost_usd_year"] == pytest.approx(12 * 630)
    assert "condom_unit_cost_usd" in plan.parameters["not_costed"]
    budget = build_plan(_dataset(), s.replace(budget_usd_month=65))  # 65 ÷ (15 + 50) = 1 PE
    assert budget.parameters["cap_peer_educators"] == 1


def test_unknown_period_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="2024-Q1"):
        build_plan(_dataset(), Scenario(period="2024-Q1"))
    older = build_plan(_dataset(), Scenario(period="2025-Q4"))
    assert older.districts.set_index("district").loc["A", "enrolled"] == 5


def test_json_dict_has_no_locations_and_no_nan():
    data = build_plan(_dataset(), Scenario()).to_json_dict()
    text = repr(data)
    assert "latitude" not in text and "H1" not in text and "nan" not in text
    c = next(row for row in data["districts"] if row["district"] == "C")
    assert c["coverage_mid"] is None and isinstance(c["peer_educators"], int)


def test_dataset_is_not_modified():
    ds = _dataset()
    before = ds.hotspots.copy()
    build_plan(ds, Scenario(duplication=0.2))
    assert ds.hotspots.equals(before)


def test_without_hotspots_drops_locations():
    plan = build_plan(_dataset(), Scenario()).without_hotspots()
    assert len(plan.hotspots) == 0 and "latitude" not in plan.hotspots.columns
    assert plan.totals["peer_educators"] == 2


def test_district_weights_from_dataset_toml_move_the_optimum():
    # one PE: B covers 40 people, A 21; weighted by prevalence 0.1 and 0.5, A wins (10.5 > 4)
    ds = replace(_dataset(), settings={"district_weights": {"A": 0.5, "B": 0.1}})
    plan = build_plan(ds, Scenario(max_pe=1, min_pe_per_district=1))
    d = plan.districts.set_index("district")
    assert d.loc[["A", "B"], "funded_peer_educators"].tolist() == [1, 0]
    a = plan.allocation_totals
    assert a["weighted"] and a["weighted_covered_population_optimal"] == pytest.approx(10.5)
    assert "weighted people covered" in a["recommended"]
    assert plan.to_json_dict()["allocation_alternatives"]["priority_order"][
        "weighted_covered_population"
    ] == pytest.approx(4.0)


def test_bad_district_weights_name_the_entry():
    ds = replace(_dataset(), settings={"district_weights": {"A": "high", "Nowhere": 1}})
    with pytest.raises(ScenarioError) as error:
        build_plan(ds, Scenario(max_pe=1))
    assert "\"A\" = 'high' is not a number" in str(error.value)
    assert '"Nowhere" is not a district' in str(error.value)


def test_new_sites_added_to_the_plan_raise_access_and_stay_out_of_aggregates():
    from planning.disclosure import DisclosureRule, publishable_scenario

    base = build_plan(_dataset(), Scenario(service="prep"))
    plan = build_plan(_dataset(), Scenario(service="prep", new_sites=1))
    # H3 in B (40 people, 16.6 km from the PrEP site) gets a drop-in centre on its spot
    assert plan.new_sites["district"].tolist() == ["B"]
    assert plan.new_sites_totals["covered_after"] == 61 == plan.totals["estimate_within_distance"]
    assert base.totals["estimate_within_distance"] == 21
    assert plan.districts.set_index("district").loc["B", "unserved_hotspots"] == 0
    data = plan.to_json_dict()
    assert data["new_sites"]["covered_after"] == 61 and "latitude" not in str(data)
    assert plan.without_hotspots().new_sites is None
    assert plan.without_hotspots().new_sites_totals is None
    published = publishable_scenario(Scenario(new_sites=5), Scenario(), DisclosureRule())
    assert published.new_sites == 0
