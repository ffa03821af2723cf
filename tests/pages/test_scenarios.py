"""pages/scenarios.py: controls → Scenario (percent sliders, empty costs, caps), URL query,
results on the demo."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.scenario import Scenario, ScenarioError


def test_every_scenario_field_but_the_cap_has_a_control(sc):
    from dataclasses import fields

    names = {f.name for f in fields(Scenario)}
    assert set(sc.FIELD_IDS) == names - {"max_pe", "budget_usd_month"}
    assert set(sc.LABELS) >= set(sc.FIELD_IDS)


def test_controls_turn_percent_sliders_into_shares_and_empty_costs_into_unset(sc):
    values = sc.control_values(Scenario())
    values.update(target=80, duplication=10, pe_stipend_usd_month=15, orw_salary_usd_month="")
    s = sc.scenario_from_controls(values, "max_pe", 120)
    assert (s.target, s.duplication, s.pe_stipend_usd_month, s.orw_salary_usd_month, s.max_pe) == (
        0.8,
        0.1,
        15,
        None,
        120,
    )


def test_a_cap_needs_a_value_and_a_budget_needs_costs(sc):
    values = sc.control_values(Scenario())
    with pytest.raises(ScenarioError, match="give a value"):
        sc.scenario_from_controls(values, "max_pe", None)
    with pytest.raises(ScenarioError, match="needs costs"):
        sc.scenario_from_controls(values, "budget_usd_month", 5000)
    assert sc.scenario_from_controls(values, "none", 300).max_pe is None


def test_out_of_range_values_are_refused_with_the_range(sc):
    values = {**sc.control_values(Scenario()), "pe_per_orw": 40}
    with pytest.raises(ScenarioError, match="pe_per_orw 40 is outside 2–12"):
        sc.scenario_from_controls(values, "none", None)


@settings(max_examples=60, deadline=None)
@given(
    ppe=st.integers(50, 75),
    orw=st.integers(2, 12),
    target=st.integers(0, 20).map(lambda v: v * 5),
    dup=st.integers(0, 50),
    basis=st.sampled_from(["peak", "typical"]),
    level=st.sampled_from(["low", "mid", "high"]),
    cap=st.one_of(st.none(), st.integers(0, 2000)),
    count=st.sampled_from(["ratio", "caseloads"]),
)
def test_controls_and_url_round_trip(sc, ppe, orw, target, dup, basis, level, cap, count):
    s = Scenario(
        pe_count_from=count,
        people_per_pe=ppe,
        pe_per_orw=orw,
        target=target / 100,
        duplication=dup / 100,
        basis=basis,
        level=level,
        max_pe=cap,
    )
    again = sc.scenario_from_controls(
        sc.control_values(s), "max_pe" if cap is not None else "none", cap
    )
    assert again == s
    query = dict(parse_qsl(sc.search_string(s).lstrip("?")))
    assert Scenario.from_query(query) == s


def test_results_on_the_demo_match_the_plan_and_show_the_allocation(sc):
    from pages import _shared

    query = {"people_per_pe": "50", "max_pe": "200"}
    r = sc.results(None, query)
    plan = _shared.get_plan(None, Scenario(people_per_pe=50, max_pe=200))
    heads = {h.key: h.value for h in r.headlines}
    assert heads["pe"] == f"{plan.totals['peer_educators']:,}"
    assert r.allocation_text is not None
    assert r.allocation_text.startswith("The cap allows 200 of the")
    assert len(r.grid.rowData) == len(plan.districts)
    assert "funded_peer_educators" in {d["field"] for d in r.grid.columnDefs}


def test_a_budget_buys_pes_at_the_stipend(sc):
    r = sc.results(None, {"pe_stipend_usd_month": "15", "budget_usd_month": "3000"})
    assert r.allocation_text is not None
    assert r.allocation_text.startswith("A monthly budget of USD 3,000 buys 200 of the")


def test_comparison_of_saved_scenarios(sc):
    saved = {"base": {}, "lean": {"people_per_pe": "75"}}
    totals, per_district = sc.comparison(None, saved, ["base", "lean"])
    pes = totals.set_index("figure").loc["peer_educators"]
    assert pes["lean"] < pes["base"] and pes["diff_lean"] == pes["lean"] - pes["base"]
    assert per_district["district"].iloc[-1] == "Total"


def test_excel_bytes_leave_out_hotspots_in_aggregate_mode(sc, tmp_path):
    import openpyxl

    path = tmp_path / "agg.xlsx"
    path.write_bytes(sc.plan_xlsx_bytes(None, Scenario(), True))
    assert "Hotspots" not in openpyxl.load_workbook(path, read_only=True).sheetnames
