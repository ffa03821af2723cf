"""Browser journey on the Overview (/): headline, choropleth metric switch, sortable/filterable
grid, Pareto sentence."""

from __future__ import annotations

import contextlib

import pytest

from data_loaders.dataset import load_dataset
from planning.plan import build_plan
from planning.priority import smallest_k_holding
from planning.scenario import Scenario
from tests.browser.conftest import DEMO_DIR, screenshot, wait_for_dash_idle, wait_for_graph

GRID_API = "(id) => dash_ag_grid.getApi(id)"


@pytest.fixture(scope="module")
def demo_plan():
    """The default plan of the demo data, computed in-process for expected values."""
    return build_plan(load_dataset(DEMO_DIR), Scenario())


def map_state(page) -> dict:
    return page.evaluate("""() => { const gd = document.querySelector('#ov-map .js-plotly-plot');
        return {metric: gd.layout.meta && gd.layout.meta.metric, z: Array.from(gd.data[0].z),
                title: gd.data[0].colorbar.title.text, style: gd.layout.map.style}; }""")


def displayed_rows(page, grid_id: str) -> list[dict]:
    return page.evaluate(
        """(id) => { const api = dash_ag_grid.getApi(id); const rows = [];
        api.forEachNodeAfterFilterAndSort(n => rows.push(n.data)); return rows; }""",
        grid_id,
    )


def test_overview_journey(app_server, page, demo_plan):
    page.goto(app_server + "/")
    page.wait_for_selector("#ov-population", timeout=30000)

    # headline ranges match the plan
    low, high = demo_plan.totals["estimate_low"], demo_plan.totals["estimate_high"]
    assert page.inner_text("#ov-population") == f"{round(low):,}–{round(high):,}"
    assert page.inner_text("#ov-pe") == f"{int(demo_plan.totals['peer_educators']):,}"
    assert "%" in page.inner_text("#ov-coverage") and "–" in page.inner_text("#ov-coverage")

    # choropleth: switch the metric and see the figure change
    wait_for_graph(page, "ov-map")
    before = map_state(page)
    assert before["metric"] == "coverage_mid" and before["style"] == "white-bg"
    page.locator("#ov-metric label", has_text="Gap").click()
    page.wait_for_function(
        "() => { const gd = document.querySelector('#ov-map .js-plotly-plot');"
        " return gd && gd.layout.meta && gd.layout.meta.metric === 'gap'; }",
        timeout=30000,
    )
    after = map_state(page)
    assert after["z"] != before["z"] and after["title"].startswith("Gap")
    gap_by_district = dict(zip(demo_plan.districts["district"], demo_plan.districts["gap"]))
    assert max(after["z"]) == pytest.approx(max(gap_by_district.values()))

    # ranked grid: in priority order; filter by region; sort by gap (two clicks: descending)
    page.wait_for_selector("#ov-grid .ag-row", timeout=30000)
    rows = displayed_rows(page, "ov-grid")
    assert [r["priority_rank"] for r in rows] == list(range(1, len(demo_plan.districts) + 1))
    region = demo_plan.districts["region"].value_counts().index[0]
    page.locator("#ov-grid .ag-floating-filter[col-id=region] input").fill(region)
    want = int((demo_plan.districts["region"] == region).sum())
    page.wait_for_function(
        "([n]) => dash_ag_grid.getApi('ov-grid').getDisplayedRowCount() === n",
        arg=[want],
        timeout=30000,
    )
    assert {r["region"] for r in displayed_rows(page, "ov-grid")} == {region}

    page.locator("#ov-grid .ag-floating-filter[col-id=region] input").fill("")
    page.wait_for_function(
        "([n]) => dash_ag_grid.getApi('ov-grid').getDisplayedRowCount() === n",
        arg=[len(demo_plan.districts)],
        timeout=30000,
    )
    header = page.locator("#ov-grid .ag-header-cell[col-id=gap] .ag-header-cell-label")
    header.click()
    header.click()
    page.wait_for_function("""() => { const api = dash_ag_grid.getApi('ov-grid');
        return api.getColumnState().some(c => c.colId === 'gap' && c.sort === 'desc'); }""")
    gaps = [r["gap"] for r in displayed_rows(page, "ov-grid")]
    assert gaps == sorted(gaps, reverse=True)
    first_cell = page.locator(
        "#ov-grid .ag-row[row-index='0'] .ag-cell[col-id=district]"
    ).first.inner_text()
    assert gap_by_district[first_cell] == pytest.approx(max(gap_by_district.values()))

    # Pareto sentence = planning.priority.smallest_k_holding on the demo data
    k, share = smallest_k_holding(demo_plan.districts, 0.8)
    sentence = page.inner_text("#ov-pareto-text")
    assert sentence.startswith(
        f"{k} of {len(demo_plan.districts)} districts hold {share * 100:.0f}% of"
    )

    # coverage trend over the enrolment periods
    trend = wait_for_graph(page, "ov-trend", min_traces=2)
    assert trend[1]["name"] == "National (mid)" and trend[1]["n"] == 4

    screenshot(page, "overview")
    assert page.console_errors == []


def test_overview_takes_the_scenario_from_the_link(app_server, page):
    expected = build_plan(load_dataset(DEMO_DIR), Scenario(people_per_pe=50)).totals[
        "peer_educators"
    ]
    page.goto(app_server + "/?people_per_pe=50")
    page.wait_for_function(
        "([want]) => { const el = document.getElementById('ov-pe');"
        " return el && el.innerText.replace(/,/g, '') === String(want); }",
        arg=[int(expected)],
        timeout=30000,
    )
    assert "people_per_pe=50" in page.inner_text("#ov-scenario-note")


def test_aggregate_overview_sends_no_hotspot_data(aggregate_server, page):
    bodies: list[str] = []

    def keep(response) -> None:
        if "_dash" in response.url or response.url.rstrip("/").endswith(
            aggregate_server.split("//")[1]
        ):
            with contextlib.suppress(Exception):
                bodies.append(response.text())

    page.on("response", keep)
    page.goto(aggregate_server + "/")
    page.wait_for_selector("#ov-population", timeout=30000)
    wait_for_graph(page, "ov-map")
    page.wait_for_selector("#ov-grid .ag-row", timeout=30000)
    wait_for_dash_idle(page)  # every callback's response has arrived
    payload = "\n".join(bodies)
    assert "ov-pareto-text" in payload or "districts hold" in payload
    hotspots = load_dataset(DEMO_DIR).hotspots
    coordinates = [f"{v:.5f}".rstrip("0") for v in hotspots["latitude"].head(50)]
    for marker in ["HS-0", "Synthetic Bar", *coordinates]:
        assert marker not in payload, (
            f"{marker!r} (hotspot id, name or latitude) reached the aggregate-only Overview"
        )
    # Scenarios is not served in aggregate-only mode
    page.goto(aggregate_server + "/scenarios")
    wait_for_dash_idle(page)  # the page content is rendered
    assert page.locator("#scn-people-per-pe").count() == 0
    assert page.console_errors == []
