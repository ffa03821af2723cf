"""Browser journey on /scenarios: move people per PE, share the link, download the Excel plan,
save and compare; a scenario saved in one browser opens in another and in `cli.py scenarios`.

The app of this module keeps its server state in a temporary KP_STATE_DIR.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    DEMO_DIR,
    is_local,
    screenshot,
    start_app,
    stop_app,
    wait_for_graph,
    wait_for_maps_drawn,
)
from tests.helpers import run_cli_process

PE_TOTAL = "#scn-pe"
SLIDER_HANDLE = "#scn-people-per-pe [role=slider]"


def cli_total_pes(*args: str) -> int:
    """Total PEs that `cli.py plan --json` gives on the demo data with ``args``."""
    out = run_cli_process("plan", "--data", str(DEMO_DIR), "--json", *args)
    assert out.returncode == 0, out.stderr
    return int(json.loads(out.stdout)["totals"]["peer_educators"])


def pe_number(page) -> int:
    return int(page.inner_text(PE_TOTAL).replace(",", ""))


def wait_pe(page, expected: int) -> None:
    page.wait_for_function(
        "([sel, want]) => { const el = document.querySelector(sel);"
        " return el && el.innerText.replace(/,/g, '') === String(want); }",
        arg=[PE_TOTAL, expected],
        timeout=30000,
    )


def saved_item(page, name: str):
    """The saved scenario ``name`` in the page's list (its tick box, link, button and details)."""
    return page.locator("#scn-saved-pick .form-check", has_text=name)


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory) -> Path:
    """The server state folder of this module's app (and of the CLI runs next to it)."""
    return tmp_path_factory.mktemp("kp-state")


@pytest.fixture(scope="module")
def app_server(state_dir: Path) -> Iterator[str]:
    """The app on the demo with its state in ``state_dir`` (overrides the session's server)."""
    proc, url, _ = start_app(env={"KP_STATE_DIR": str(state_dir)})
    try:
        yield url
    finally:
        stop_app(proc)


def cli_scenarios(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`cli.py scenarios ARGS` on the store of ``state_dir`` (as the app's)."""
    done = run_cli_process("scenarios", *args, state_dir=state_dir)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def expected_pes() -> dict[int, int]:
    return {60: cli_total_pes(), 50: cli_total_pes("--people-per-pe", "50")}


def test_people_per_pe_slider_share_link_and_excel(
    app_server, page, browser, expected_pes, tmp_path
):
    page.goto(app_server + "/scenarios")
    page.wait_for_selector(PE_TOTAL, timeout=30000)
    wait_pe(page, expected_pes[60])
    assert expected_pes[50] > expected_pes[60]

    handle = page.locator(SLIDER_HANDLE).first
    assert handle.get_attribute("aria-valuenow") == "60"
    handle.focus()
    page.keyboard.press("Home")  # keyboard: the slider's minimum, 50 people per PE
    wait_pe(page, expected_pes[50])
    assert "people_per_pe=50" in page.url

    # share: the link field holds the full URL; a new page opened on it shows the same numbers
    page.wait_for_function(
        "() => document.getElementById('scn-share-url').value.includes('people_per_pe=50')"
    )
    link = page.input_value("#scn-share-url")
    other = page.context.new_page()
    other.goto(link)
    other.wait_for_selector(PE_TOTAL, timeout=30000)
    wait_pe(other, expected_pes[50])
    assert other.locator(SLIDER_HANDLE).first.get_attribute("aria-valuenow") == "50"
    assert other.inner_text("#scn-orw") == page.inner_text("#scn-orw")
    other.close()

    # download the Excel plan and open it
    with page.expect_download(timeout=60000) as info:
        page.click("#scn-download-xlsx")
    path = tmp_path / "plan.xlsx"
    info.value.save_as(path)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert {"National", "Districts", "Parameters & sources"} <= set(wb.sheetnames)
    params = {
        row[0]: row[1]
        for row in wb["Parameters & sources"].iter_rows(values_only=True)
        if row and row[0]
    }
    assert float(params["people_per_pe"]) == 50
    national = list(wb["National"].iter_rows(values_only=True))
    header_row = next(i for i, row in enumerate(national) if row and "PEs needed" in row)
    col = national[header_row].index("PEs needed")
    assert int(national[header_row + 1][col]) == expected_pes[50]
    assert page.console_errors == []


def test_save_two_scenarios_and_compare(app_server, page, expected_pes):
    page.goto(app_server + "/scenarios")
    page.wait_for_selector(PE_TOTAL, timeout=30000)
    wait_pe(page, expected_pes[60])
    page.fill("#scn-save-name", "base 60")
    page.click("#scn-save")
    page.wait_for_selector("#scn-saved-pick label:has-text('base 60')")

    page.locator(SLIDER_HANDLE).first.focus()
    page.keyboard.press("Home")
    wait_pe(page, expected_pes[50])
    page.fill("#scn-save-name", "lean 50")
    page.click("#scn-save")

    # both come ticked: the comparison grid lists both scenarios and the difference
    grid = "#scn-compare-totals"
    page.wait_for_selector(f"{grid} .ag-row", timeout=30000)
    headers = page.locator(f"{grid} .ag-header-cell-text").all_inner_texts()
    assert "base 60" in headers and "lean 50" in headers and "diff lean 50" in headers
    # the pinned figure column and the value columns live in separate row containers: match on
    # row-index
    row_index = page.locator(
        f"{grid} .ag-row", has=page.locator(".ag-cell[col-id=figure]", has_text="PEs needed")
    ).first.get_attribute("row-index")

    def cell(col_id: str) -> int:
        text = page.locator(
            f"{grid} .ag-row[row-index='{row_index}'] .ag-cell[col-id='{col_id}']"
        ).first.inner_text()
        return int(text.replace(",", ""))

    base, lean, diff = cell("base 60"), cell("lean 50"), cell("diff_lean 50")
    assert (base, lean, diff) == (
        expected_pes[60],
        expected_pes[50],
        expected_pes[50] - expected_pes[60],
    )

    screenshot(page, "scenarios")

    # saved scenarios survive a reload (the server store)
    page.reload()
    page.wait_for_selector("#scn-saved-pick label:has-text('lean 50')", timeout=30000)
    assert page.console_errors == []


def test_cap_shows_the_optimal_allocation_beside_the_rules(app_server, page):
    page.goto(app_server + "/scenarios?max_pe=200")
    page.wait_for_selector("#scn-allocation-text", timeout=30000)
    text = page.inner_text("#scn-allocation-text")
    assert text.startswith("The cap allows 200 of the")
    assert "Recommended: the optimal allocation" in text and "at least 6 PEs (m)" in text
    rows = page.locator("#scn-allocation-table tbody tr")
    expect(rows).to_have_count(4)
    assert rows.nth(0).inner_text().startswith("Optimal (recommended)")
    covered = [
        int(rows.nth(i).locator("td").nth(1).inner_text().replace(",", "")) for i in range(4)
    ]
    assert covered[0] == max(covered)
    # the planner raises the fixed cost per district: the sentence names it, the URL keeps it
    page.fill("#scn-district-fixed-usd-month", "800")
    page.keyboard.press("Enter")
    expect(page.locator("#scn-allocation-text")).to_contain_text("USD 800 a month (F)")
    assert "district_fixed_usd_month=800" in page.url
    page.locator("#scn-cap-kind label", has_text="No cap").click()
    page.wait_for_selector("#scn-allocation-text", state="detached", timeout=30000)
    assert page.console_errors == []


def test_new_sites_are_proposed_and_listed(app_server, page):
    page.goto(app_server + "/scenarios?service=prep")
    page.wait_for_selector(PE_TOTAL, timeout=30000)
    page.fill("#scn-new-sites", "2")
    page.keyboard.press("Enter")
    page.wait_for_selector("#scn-new-sites-table", timeout=30000)
    expect(page.locator("#scn-new-sites-table tbody tr")).to_have_count(2)
    assert "offering prep" in page.inner_text("#scn-new-sites-text")
    assert page.console_errors == []


def test_invalid_value_explains_itself(app_server, page):
    page.goto(app_server + "/scenarios")
    page.wait_for_selector(PE_TOTAL, timeout=30000)
    page.fill("#scn-pe-per-orw", "40")
    page.keyboard.press("Enter")
    page.wait_for_selector("#scn-error", timeout=30000)
    assert "pe_per_orw 40 is outside 2–12" in page.inner_text("#scn-error")


def test_scenario_follows_the_planner_to_the_overview_and_back(app_server, page, expected_pes):
    page.goto(app_server + "/scenarios")
    page.wait_for_selector(PE_TOTAL, timeout=30000)
    wait_pe(page, expected_pes[60])
    page.locator(SLIDER_HANDLE).first.focus()
    page.keyboard.press("Home")
    wait_pe(page, expected_pes[50])
    wait_for_maps_drawn(page)  # leaving mid-draw trips a plotly.js race (see conftest)

    page.click("#nav-overview")  # the navbar link carries no query: the session's scenario is used
    page.wait_for_function(
        "([want]) => { const el = document.getElementById('ov-pe');"
        " return el && el.innerText.replace(/,/g, '') === String(want); }",
        arg=[expected_pes[50]],
        timeout=30000,
    )
    # separate callbacks fill the note, the slider and the URL: wait for each, do not race them
    expect(page.locator("#ov-scenario-note")).to_contain_text(
        "chosen on the Scenarios page", timeout=30000
    )
    # as a planner does, look at the Overview before going back: its map has finished drawing
    for graph in ("ov-map", "ov-pareto", "ov-trend"):
        wait_for_graph(page, graph)
    wait_for_maps_drawn(page)

    page.click("#nav-scenarios")
    page.wait_for_function("() => location.search.includes('people_per_pe=50')", timeout=30000)
    wait_pe(page, expected_pes[50])
    expect(page.locator(SLIDER_HANDLE).first).to_have_attribute(
        "aria-valuenow", "50", timeout=30000
    )

    page.click("#scn-reset")
    wait_pe(page, expected_pes[60])
    page.wait_for_function("() => !location.search.includes('people_per_pe')", timeout=30000)
    assert page.console_errors == []


def test_counting_pes_from_caseloads_turns_the_total_into_the_caseload_total(
    app_server, page, expected_pes
):
    from data_loaders.dataset import load_dataset
    from planning.plan import caseload_counts

    demo = load_dataset(DEMO_DIR)
    caseloads = int(
        caseload_counts(demo, people_per_pe=60, basis="peak", level="mid", duplication=0).sum()
    )
    assert cli_total_pes("--pe-count-from", "caseloads") == caseloads  # the CLI agrees
    # a caseload holds at most 60 people: never fewer PEs than at 1 per 60, district by district
    assert caseloads >= expected_pes[60]

    page.goto(app_server + "/scenarios")
    page.wait_for_selector(PE_TOTAL, timeout=30000)
    wait_pe(page, expected_pes[60])
    expect(page.locator("#scn-pe-rule")).to_contain_text("PEs at 1 per 60 people")
    page.locator("#scn-pe-count-from label", has_text="Caseloads").click()
    wait_pe(page, caseloads)
    assert "pe_count_from=caseloads" in page.url
    expect(page.locator("#scn-pe-rule")).to_contain_text(
        "PEs counted from caseloads (walking limit 3 km)"
    )
    # the PE map shows the same numbers: its hover values add up to the total
    traces = wait_for_graph(page, "scn-map")
    assert sum(int(str(c[1]).replace(",", "")) for c in traces[0]["customdata"]) == caseloads
    wait_for_maps_drawn(page)

    # the Overview shows the same number for the session's scenario and says which rule gave it
    page.click("#nav-overview")
    page.wait_for_function(
        "([want]) => { const el = document.getElementById('ov-pe');"
        " return el && el.innerText.replace(/,/g, '') === String(want); }",
        arg=[caseloads],
        timeout=60000,
    )
    expect(page.locator("#ov-caption")).to_contain_text("PEs counted from caseloads")
    wait_for_maps_drawn(page)
    assert page.console_errors == []


def test_a_scenario_saved_in_one_browser_opens_in_another_and_in_the_cli(
    app_server, page, browser, state_dir, expected_pes
):
    # A second browser: its own context (no shared storage), the same network rule.
    other_context = browser.new_context(viewport={"width": 1280, "height": 800})
    other_context.route(
        "**/*", lambda route: route.continue_() if is_local(route.request.url) else route.abort()
    )
    other = other_context.new_page()
    other_errors: list[str] = []
    other.on("console", lambda m: other_errors.append(m.text) if m.type == "error" else None)
    other.on("pageerror", lambda exc: other_errors.append(f"pageerror: {exc}"))
    try:
        other.goto(app_server + "/scenarios")
        wait_pe(other, expected_pes[60])

        page.goto(app_server + "/scenarios")
        wait_pe(page, expected_pes[60])
        page.locator(SLIDER_HANDLE).first.focus()
        page.keyboard.press("Home")  # 50 people per PE
        wait_pe(page, expected_pes[50])
        page.fill("#scn-save-name", "district push")
        page.click("#scn-save")
        expect(page.locator("#scn-save-done")).to_contain_text(
            "Saved 'district push' for the team: People per peer educator 50."
        )

        # The other browser's list shows it without a reload (the list polls the store).
        item = saved_item(other, "district push")
        expect(item).to_contain_text("saved by local user", timeout=30000)
        expect(item).to_contain_text("People per peer educator 50")
        assert other.locator(SLIDER_HANDLE).first.get_attribute("aria-valuenow") == "60"
        item.get_by_role("link", name="open").click()
        other.wait_for_function("() => location.search === '?people_per_pe=50'", timeout=30000)
        wait_pe(other, expected_pes[50])
        expect(other.locator(SLIDER_HANDLE).first).to_have_attribute(
            "aria-valuenow", "50", timeout=30000
        )
        expect(other.locator("#scn-share-url")).to_have_value(
            app_server + "/scenarios?people_per_pe=50", timeout=30000
        )

        # The CLI reads the same store.
        listed = json.loads(cli_scenarios(state_dir, "list", "--json").stdout)
        [row] = [r for r in listed if r["name"] == "district push"]
        assert row["saved_by"] == "local user" and row["dataset"] is None
        assert row["parameters"] == {"people_per_pe": "50"}
        assert row["link"] == "/scenarios?people_per_pe=50"

        # ... and a scenario saved with the CLI appears on the page.
        cli_scenarios(
            state_dir, "save", "cli lean 75", "--people-per-pe", "75", "--saved-by", "amina"
        )
        expect(saved_item(page, "cli lean 75")).to_contain_text("saved by amina", timeout=30000)

        # Deleting asks first (the browser's confirm), then it goes from every browser.
        other.once("dialog", lambda dialog: dialog.accept())
        other.get_by_role("button", name="Delete district push").click()
        expect(other.locator("#scn-delete-done")).to_contain_text(
            "Deleted 'district push' for everyone.", timeout=30000
        )
        expect(saved_item(page, "district push")).to_have_count(0, timeout=30000)
        listed = json.loads(cli_scenarios(state_dir, "list", "--json").stdout)
        assert "district push" not in {r["name"] for r in listed}
        assert page.console_errors == [] and other_errors == []
    finally:
        other_context.close()
