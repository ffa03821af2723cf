"""Outreach page in Chromium with the network blocked: pick a district, caseloads drawn, change
people per PE and see the PE count change, download a PE sheet and open it; refused when aggregate."""

from __future__ import annotations

import re
import urllib.request

import openpyxl

from tests.browser.conftest import screenshot, wait_for_graph

MAP = "out-caseload-map"
SLIDER_HANDLE = "#out-people-per-pe [role=slider]"
PE_COUNT = "#out-pe-count"


def expected_pe_count(district: str, people_per_pe: int) -> int:
    """PE count computed in the test process from the demo files (same engine, independent of the app)."""
    from data_loaders.dataset import load_dataset
    from planning.caseloads import CaseloadParams, district_caseloads
    from tests.browser.conftest import DEMO_DIR

    ds = load_dataset(DEMO_DIR)
    return district_caseloads(ds.hotspots, ds.crs_projected, CaseloadParams(people_per_pe=people_per_pe),
                              district=district).pe_count


def pe_count(page) -> int:
    return int(re.match(r"\d+", page.inner_text(PE_COUNT)).group(0))


def choose_district(page, name: str) -> None:
    page.click("#out-district")
    page.get_by_role("option", name=name, exact=True).click()


def test_outreach_journey_district_slider_and_field_sheet(page, app_server, tmp_path):
    page.goto(app_server + "/outreach")
    page.wait_for_selector(PE_COUNT, timeout=30000)
    choose_district(page, "Blantyre")
    page.wait_for_function("() => document.querySelector('#out-summary').innerText.includes('lower bound')")
    page.wait_for_function(
        "() => { const gd = document.querySelector('#out-caseload-map .js-plotly-plot');"
        " return gd && gd.layout && gd.layout.title && gd.layout.title.text.includes('Blantyre'); }", timeout=30000)
    data = wait_for_graph(page, MAP, min_traces=2)
    at_60 = expected_pe_count("Blantyre", 60)
    assert pe_count(page) == at_60
    spots = [t for t in data if t["meta"] == "caseloads"][0]
    assert len(set(spots["customdata"])) == at_60  # a colour group per PE drawn
    assert any(t["meta"] == "outlines" for t in data)
    assert "reach" in page.inner_text("#out-best-slots")

    # keyboard: End moves the slider to 75 people per PE -> fewer PEs
    page.locator(SLIDER_HANDLE).first.focus()
    page.keyboard.press("End")
    at_75 = expected_pe_count("Blantyre", 75)
    assert at_75 < at_60
    page.wait_for_function(f"() => document.querySelector('{PE_COUNT}').innerText.startsWith('{at_75} ')",
                           timeout=30000)

    # download the field sheets and open them: one sheet per PE, marked confidential
    with page.expect_download(timeout=60000) as info:
        page.click("#out-download-xlsx")
    path = tmp_path / "sheets.xlsx"
    info.value.save_as(path)
    wb = openpyxl.load_workbook(path, read_only=True)
    pe_sheets = [s for s in wb.sheetnames if s.startswith("PE-BLANTYRE-")]
    assert len(pe_sheets) == at_75
    first = list(wb[pe_sheets[0]].iter_rows(values_only=True))
    assert "Confidential" in str(first[0][0])
    assert any("hotspot_id" in (row or ()) for row in first)

    with page.expect_download(timeout=60000) as info:
        page.click("#out-download-html")
    html_path = tmp_path / "sheets.html"
    info.value.save_as(html_path)
    text = html_path.read_text(encoding="utf-8")
    assert "Confidential" in text and "http" not in text.split("<body>", 1)[1].split("Peer educator", 1)[0]
    page.goto(html_path.as_uri())  # opens offline
    assert page.locator("h2").count() == at_75
    assert page.console_errors == []
    assert page.blocked_requests == []


def test_outreach_screenshot_and_timing(page, app_server):
    page.goto(app_server + "/outreach")
    page.wait_for_selector(PE_COUNT, timeout=30000)
    wait_for_graph(page, MAP, min_traces=2)
    wait_for_graph(page, "out-heatmap", min_traces=1)
    ms = float(page.inner_text("#out-timing").split()[0]) if page.inner_text("#out-timing") else 0.0
    assert ms < 2000  # server-side time of the main callback (measured figure in the report)
    screenshot(page, "outreach")
    assert page.console_errors == []


def test_outreach_is_absent_in_aggregate_mode(aggregate_server):
    with urllib.request.urlopen(aggregate_server + "/_dash-layout") as response:
        layout = response.read().decode("utf-8")
    assert "out-caseload-map" not in layout
    # the page registry of the aggregate server has no /outreach
    with urllib.request.urlopen(aggregate_server + "/outreach") as response:
        body = response.read().decode("utf-8")
    assert "out-caseload-map" not in body


def test_every_outreach_callback_refuses_in_aggregate_mode(monkeypatch):
    """Server side: even a crafted request gets no hotspot data when hotspot detail is not allowed."""
    import pytest

    monkeypatch.setenv("KP_AGGREGATE", "1")
    from pages import _shared
    from pages import outreach

    with pytest.raises(_shared.HotspotDetailRefused):
        outreach._districts(None, None)
    with pytest.raises(_shared.HotspotDetailRefused):
        outreach._update(None, "Blantyre", 60, 6, [], None)
    with pytest.raises(_shared.HotspotDetailRefused):
        outreach._calendar("PE-BLANTYRE-001", None, "Blantyre", 60, 6, [])
    with pytest.raises(_shared.HotspotDetailRefused):
        outreach._download(1, None, None, "Blantyre", 60, 6, [])
