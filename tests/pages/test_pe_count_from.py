"""Scenarios and Overview with PEs counted from caseloads (pe_count_from): the control, the same
PE number in totals, grid, map, Excel and on Overview, the rule said on the page, and nothing of
it in the aggregate-only view."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import openpyxl
import pytest
from plotly.utils import PlotlyJSONEncoder

from components.overview_figures import fmt_range
from config import Settings
from planning.parameters import PARAMETERS
from planning.scenario import Scenario
from services import caseload_counts, context, plans

QUERY = {"pe_count_from": "caseloads"}
CASELOADS = Scenario(pe_count_from="caseloads")


@pytest.fixture(scope="module")
def counts(sc) -> dict[str, int]:
    """Caseloads per district of the demo at the default scenario (the service's counts)."""
    return caseload_counts.get_counts(None, CASELOADS).to_dict()


def _walk(node):
    yield node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)


def test_the_control_comes_from_the_parameter_and_round_trips_through_the_url(sc):
    layout = sc.layout(**QUERY)
    nodes = {getattr(n, "id", None): n for n in _walk(layout)}
    radio = nodes[sc.FIELD_IDS["pe_count_from"]]
    assert [o["value"] for o in radio.options] == list(PARAMETERS["pe_count_from"].choices)
    assert radio.value == "caseloads"
    tips = [n for n in _walk(layout) if getattr(n, "target", None) == radio.id + "-label"]
    assert tips and tips[0].children == PARAMETERS["pe_count_from"].tooltip()
    values = {**sc.control_values(Scenario()), "pe_count_from": "caseloads"}
    scenario = sc.scenario_from_controls(values, "none", None)
    assert scenario == CASELOADS
    assert dict(parse_qsl(sc.search_string(scenario).lstrip("?"))) == QUERY
    assert sc.control_values(scenario)["pe_count_from"] == "caseloads"


def test_totals_grid_map_and_excel_show_the_caseload_count(sc, counts, tmp_path):
    r = sc.results(None, QUERY)
    total = sum(counts.values())
    heads = {h.key: h for h in r.headlines}
    assert heads["pe"].value == f"{total:,}"
    assert heads["pe"].detail.startswith(CASELOADS.pe_count_rule())
    assert "⌈caseloads × target⌉" in heads["pe"].tooltip
    rows = {row["district"]: row["peer_educators"] for row in r.grid.rowData}
    assert {d: rows[d] for d in counts} == counts
    assert sum(rows.values()) == total
    pe_tip = next(c for c in r.grid.columnDefs if c["field"] == "peer_educators")
    assert pe_tip["headerTooltip"] == CASELOADS.pe_count_formula()
    ratio = sc.results(None, {})
    assert {h.key: h for h in ratio.headlines}["pe"].detail.startswith("PEs at 1 per 60 people")
    # the map's hover numbers are the grid's
    trace = r.map_figure.data[0]
    mapped = dict(zip(trace.locations, (int(c[1].replace(",", "")) for c in trace.customdata)))
    assert {d: mapped[d] for d in counts} == counts

    path = tmp_path / "plan.xlsx"
    path.write_bytes(sc.plan_xlsx_bytes(None, CASELOADS, False))
    wb = openpyxl.load_workbook(path, read_only=True)
    national = list(wb["National"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(national) if row and "PEs needed" in row)
    assert int(national[header + 1][national[header].index("PEs needed")]) == total
    params = {
        row[0]: row[1]
        for row in wb["Parameters & sources"].iter_rows(values_only=True)
        if row and row[0]
    }
    assert params["pe_count_from"] == "caseloads"


def test_the_page_says_which_rule_gave_the_count(sc):
    assert sc.pe_rule_sentence(CASELOADS).startswith(
        "PEs counted from caseloads (walking limit 3 km): each district's caseloads of at most 60"
    )
    assert "× target 80% rounded up" in sc.pe_rule_sentence(CASELOADS.replace(target=0.8))
    assert sc.pe_rule_sentence(Scenario(people_per_pe=70)).startswith("PEs at 1 per 70 people")
    _cards, caption = sc.show_results(QUERY, None)[0]
    text = json.dumps(caption.to_plotly_json(), default=str)
    assert "PEs counted from caseloads (walking limit 3 km)" in text


def test_overview_shows_the_scenarios_number_for_the_same_scenario(sc, ov, counts):
    query = {**QUERY, "target": "0.8"}
    scenario = Scenario.from_query(query)
    on_scenarios = {h.key: h for h in sc.results(None, query).headlines}["pe"]
    content = ov.overview_content(None, query)
    on_overview = {h.key: h for h in content.headlines}["pe"]
    assert on_overview.value == on_scenarios.value
    assert int(on_overview.value.replace(",", "")) == sum(-(-n * 4 // 5) for n in counts.values())
    # its low–high range is the same rule on the low and the high estimate
    low = plans.get_plan(None, scenario.replace(level="low")).totals["peer_educators"]
    high = plans.get_plan(None, scenario.replace(level="high")).totals["peer_educators"]
    assert ov.caseload_staff_ranges(None, scenario)[0] == (low, high)
    assert on_overview.detail == (
        f"{fmt_range(low, high)} on the low–high estimate · {scenario.pe_count_rule()}"
    )
    rows = {row["district"]: row["peer_educators"] for row in content.grid.rowData}
    assert sum(rows.values()) == int(on_overview.value.replace(",", ""))
    caption = ov.show_overview(None, query, None)[1]
    assert "PEs counted from caseloads (walking limit 3 km)" in caption


def test_a_donor_asking_for_caseloads_gets_the_published_plan_unchanged(ov):
    plans.clear_cache()
    with context.using(Settings(aggregate_only=True)):
        crafted = ov.show_overview(None, QUERY, None)
        plain = ov.show_overview(None, {"people_per_pe": "75"}, None)
        crafted_map = ov.show_map("coverage_mid", None, QUERY, None)
        plain_map = ov.show_map("coverage_mid", None, {}, None)

    def dump(value) -> str:
        return json.dumps(value, cls=PlotlyJSONEncoder, sort_keys=True)

    # everything but the "parameters not used" alert is what any other off-menu request gets
    assert dump(crafted[:7]) == dump(plain[:7])
    assert dump(crafted_map) == dump(plain_map)
    assert "caseload" not in dump(crafted).lower()
    assert caseload_counts._counts_cached.cache_info().misses == 0


def test_crafted_requests_with_caseloads_change_nothing_on_an_aggregate_server():
    """Every Overview and Map output a donor can reach, asked over HTTP with and without
    pe_count_from=caseloads, answers the same; the Scenarios control is refused (403); the server
    never counts caseloads (its log says so when it does)."""
    from tests.browser.conftest import start_app, stop_app
    from tests.test_privacy_attack import Attacker, _normalise

    proc, url, log_path = start_app("--aggregate")
    try:
        attacker = Attacker(url)
        compared = 0
        for dependency in attacker.dependencies:
            output = dependency["output"]
            inputs = {f"{i['id']}.{i['property']}" for i in dependency["inputs"]}
            scenario_input = next(
                (key for key in ("ov-scenario.data", "scenario-session.data") if key in inputs),
                None,
            )
            if not output.startswith(("..ov-", "ov-", "..map-", "map-")) or not scenario_input:
                continue
            answers = []
            for query in (QUERY, {}, {**QUERY, "people_per_pe": "90"}):
                status, body = attacker.post(output, {scenario_input: query})
                assert status in (200, 204), (output, status)
                answers.append(_normalise(body))
            assert answers[0] == answers[1] == answers[2], output
            compared += 1
        assert compared >= 3
        field = "scn-pe-count-from.value"
        status, _ = attacker.post("..scn-scenario.data", {field: "caseloads"})
        assert status == 403
    finally:
        stop_app(proc)
    assert "caseload counts" not in log_path.read_text(encoding="utf-8")
