"""pages/scenarios.py: controls → Scenario (percent sliders, empty costs, caps), URL query,
results on the demo, and the team's saved scenarios in a temporary server store (save, list,
replace, delete, errors as alerts, refused in aggregate mode)."""

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
    assert "Recommended: the optimal allocation" in r.allocation_text
    assert r.allocation_table is not None
    assert r.allocation_table["PEs funded"].iloc[0] == plan.totals["funded_peer_educators"]
    assert r.allocation_table["People covered"].iloc[0] == round(plan.totals["covered_population"])
    assert len(r.grid.rowData) == len(plan.districts)
    assert "funded_peer_educators" in {d["field"] for d in r.grid.columnDefs}


def test_a_budget_buys_pes_at_the_stipend(sc):
    r = sc.results(None, {"pe_stipend_usd_month": "15", "budget_usd_month": "3000"})
    assert r.allocation_text is not None
    assert r.allocation_text.startswith("A monthly budget of USD 3,000 funds 200 of the")
    assert r.allocation_table is not None
    assert (r.allocation_table["Cost (USD/month)"] <= 3000).all()


def test_new_sites_are_listed_and_counted(sc):
    r = sc.results(None, {"new_sites": "2", "service": "prep"})
    assert r.new_sites_table is not None and len(r.new_sites_table) == 2
    assert r.new_sites_text is not None and "offering prep" in r.new_sites_text
    gained = r.new_sites_table["People newly covered"].sum()
    totals = r.plan.new_sites_totals
    assert abs(gained - (totals["covered_after"] - totals["covered_before"])) <= 2


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


# --- saved scenarios in the server store ---------------------------------------------------------
def _text(component) -> str:
    """The visible text of a Dash component tree (strings joined with spaces)."""
    if component is None or isinstance(component, bool):
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def _find(component, kind: type) -> list:
    """Every component of type ``kind`` in the tree under ``component``."""
    found = [component] if isinstance(component, kind) else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found += _find(child, kind)
    return found


def _triggered(func, prop_id: str, *args, value=1):
    """Call callback ``func`` as Dash does when ``prop_id`` ("id.property") changed to ``value``."""
    from contextvars import copy_context

    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": value}]))
        return func(*args)

    return copy_context().run(run)


@pytest.fixture
def team_store(tmp_path):
    """A temporary server store (KP_STATE_DIR) for the body of a test."""
    from config import Settings
    from services import context, state

    with context.using(Settings(state_dir=tmp_path / "state")):
        yield state.current_store()


def test_save_list_open_and_delete_through_the_server_store(sc, team_store):
    from dash import dcc, html, no_update

    out = sc.save_for_team("district push", {"people_per_pe": "50"}, None, ["base"])
    assert out.ask_replace is None and out.status.id == "scn-save-done"
    assert _text(out.status) == ("Saved 'district push' for the team: People per peer educator 50.")
    assert out.ticked == ["base", "district push"]  # the saved one comes ticked, after the base
    [row] = out.rows
    assert row["name"] == "district push" and row["saved_by"] == "local user"
    assert row["query"] == {"people_per_pe": "50"} and row["dataset"] is None

    # The store holds it as the CLI reads it: who, when, the page's query.
    record = team_store.get_scenario("district push")
    assert record.scenario() == Scenario(people_per_pe=50) and record.saved_by == "local user"
    assert record.search == "?people_per_pe=50"

    # The poll answers no_update while nothing changed, the new list once the CLI saved one.
    rows, alert = sc.refresh_saved(1, None, None)
    assert rows == out.rows and alert is no_update
    assert sc.refresh_saved(2, rows, None) == (no_update, no_update)
    team_store.save_scenario("cli plan", {"target": "0.9"}, None, "amina")
    rows, _ = sc.refresh_saved(3, rows, None)
    assert [r["name"] for r in rows] == ["cli plan", "district push"]

    # The list: name, open link (the share link), delete button, parameters, who and when.
    options, ticked, count = sc.list_saved(rows, ["district push", "deleted meanwhile"])
    assert ticked == ["district push"] and count == "2 saved scenarios"
    push = options[1]
    assert push["value"] == "district push"
    [link] = _find(push["label"], dcc.Link)
    assert link.href == "/scenarios?people_per_pe=50"
    [button] = _find(push["label"], html.Button)
    assert button.id == {"type": sc.Ids.DELETE, "name": "district push"}
    text = _text(push["label"])
    assert "People per peer educator 50" in text and "saved by local user" in text
    assert f"{record.updated_at:%Y-%m-%d %H:%M} UTC" in text
    assert "Coverage target 90%" in _text(options[0]["label"])
    assert "amina" in _text(options[0]["label"])

    # Delete, then deleting again says there is none (the store's message).
    rows, status = sc.delete_for_team("district push")
    assert [r["name"] for r in rows] == ["cli plan"] and status.id == "scn-delete-done"
    assert [s.name for s in team_store.list_scenarios()] == ["cli plan"]
    rows, status = sc.delete_for_team("district push")
    assert rows is None and status.id == "scn-delete-error"
    assert "no saved scenario is named 'district push'" in _text(status)
    assert sc.list_saved([], [])[2].startswith("No saved scenarios yet")


def test_saving_over_another_scenario_of_that_name_asks_first(sc, team_store):
    from dash import no_update

    sc.save_for_team("plan", {"people_per_pe": "50"}, None, [])
    again = sc.save_for_team("plan", {"people_per_pe": "50"}, None, [])
    assert again.ask_replace is None  # the same parameters: just saved again

    asked = sc.save_for_team("plan", {"people_per_pe": "70"}, None, [])
    assert asked.rows is None and asked.ask_replace is not None
    assert asked.ask_replace.startswith("'plan' was saved by local user on ")
    assert "(People per peer educator 50)" in asked.ask_replace
    assert team_store.get_scenario("plan").query == "people_per_pe=50"  # nothing replaced

    # The callback: "Save" opens the confirmation; confirming replaces.
    ids = sc.Ids
    args = (1, None, None, "plan", {"people_per_pe": "70"}, None, [])
    out = _triggered(sc.save_scenario, f"{ids.SAVE}.n_clicks", *args)
    assert out[4] is True and out[5] == asked.ask_replace and out[0] is no_update
    out = _triggered(sc.save_scenario, f"{ids.REPLACE_CONFIRM}.submit_n_clicks", *args)
    assert out[4] is False and out[1] == "" and out[3] == ["plan"]
    assert team_store.get_scenario("plan").query == "people_per_pe=70"


def test_store_and_value_errors_become_alerts_with_their_message(sc, team_store, tmp_path):
    from dash import no_update

    from config import Settings
    from services import context

    out = sc.save_for_team("  ", {}, None, [])
    assert out.rows is None and out.status.id == "scn-save-error"
    assert _text(out.status).startswith("Not saved: scenario name is empty; give one")
    out = sc.save_for_team("x" * 101, {}, None, [])
    assert "give at most 100" in _text(out.status)
    out = sc.save_for_team("wide", {"pe_per_orw": "40"}, None, [])
    assert "pe_per_orw 40 is outside 2–12" in _text(out.status)
    assert team_store.list_scenarios() == []

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the state folder should be")
    with context.using(Settings(state_dir=blocked)):
        rows, alert = sc.refresh_saved(1, None, None)
        assert rows is no_update and alert.id == "scn-list-error"
        assert "cannot create the state folder" in _text(alert)
        out = sc.save_for_team("plan", {}, None, [])
        assert "Not saved: cannot create the state folder" in _text(out.status)


def test_the_sessions_dataset_is_recorded_when_the_store_holds_it(sc, team_store):
    files = {"hotspots.csv": b"hotspot_id,latitude\nHS-1,-13.9\n"}
    stored = team_store.store_dataset(files, "Malawi 2025", "amina")
    out = sc.save_for_team("on Malawi", {}, stored.id, [])
    assert out.status.color == "success" and out.rows[0]["dataset"] == "Malawi 2025"
    assert "on dataset Malawi 2025" in _text(sc.saved_options(out.rows)[0]["label"])

    # A folder registered in this process only (not in the store): saved on the default
    # dataset, and the page says so.
    out = sc.save_for_team("on an upload", {}, "dir-0123456789ab", [])
    assert out.status.color == "warning" and "not in the server store" in _text(out.status)
    assert team_store.get_scenario("on an upload").dataset_id is None


def test_delete_asks_for_a_confirmation_first(sc):
    import dash

    button = f'{{"name":"district push","type":"{sc.Ids.DELETE}"}}.n_clicks'
    shown, message, target = _triggered(sc.ask_delete, button, [0, 1], value=1)
    assert shown is True and target == "district push"
    assert (
        message == "Delete the saved scenario 'district push' for everyone? This cannot be undone."
    )
    with pytest.raises(dash.exceptions.PreventUpdate):  # the list was redrawn, nothing pressed
        _triggered(sc.ask_delete, button, [0, 0], value=0)


def test_saved_scenario_callbacks_refuse_in_aggregate_mode(sc, tmp_path):
    from config import Settings
    from pages import _shared
    from services import context

    with context.using(Settings(aggregate_only=True, state_dir=tmp_path)):
        for call in (
            lambda: sc.refresh_saved(1, None, None),
            lambda: sc.delete_scenario(1, "plan"),
            lambda: sc.list_saved([], []),
            lambda: sc.show_comparison(["a", "b"], None, []),
            lambda: _triggered(
                sc.save_scenario, "scn-save.n_clicks", 1, None, None, "p", {}, None, []
            ),
        ):
            with pytest.raises(_shared.HotspotDetailRefused):
                call()
    assert not (tmp_path / "state.db").exists()  # refused before the store was opened


def test_parameter_summary_says_the_non_default_values(sc):
    s = Scenario(people_per_pe=50, basis="typical", target=0.8, max_pe=200)
    assert sc.parameter_summary(s.to_query()) == (
        "People per peer educator 50 · Estimate basis typical · "
        "Coverage target 80% · Cap on PEs 200"
    )
    assert sc.parameter_summary({}) == "default parameters"
