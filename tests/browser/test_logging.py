"""The server log of a browser journey: loads, plans, uploads and refusals are logged with times and
counts, and no line carries a hotspot id, name or coordinate (DESIGN.md s.4)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from tests.browser.conftest import DEMO_DIR, start_app, stop_app, wait_for_graph
from tests.helpers import callback_request


@pytest.fixture(scope="module")
def hotspots() -> pd.DataFrame:
    return pd.read_csv(DEMO_DIR / "hotspots.csv", dtype=str)


def assert_no_hotspot_detail(log: str, hotspots: pd.DataFrame) -> None:
    """No hotspot id, name or coordinate (as written in the file, or to 4+ decimals) in ``log``."""
    assert len(log.splitlines()) >= 3, "the journey logged (almost) nothing:\n" + log
    leaks = [hid for hid in hotspots["hotspot_id"] if hid in log]
    leaks += [name for name in hotspots["name"].dropna() if len(name) > 4 and name in log]
    for column in ("latitude", "longitude"):
        for text in hotspots[column]:
            value = float(text)
            leaks += [form for form in {text, f"{value:.4f}", f"{value:.5f}"} if form in log]
    # any decimal number with 4+ decimals in the range of the demo's coordinates
    for match in re.findall(r"-?\d{1,2}\.\d{4,}", log):
        if -18 < float(match) < -9 or 32 < float(match) < 36:
            leaks.append(match)
    assert not leaks, f"hotspot detail in the log: {sorted(set(leaks))[:10]}"


def post_callback(base: str, dependency: dict, values: dict | None = None) -> int:
    """POST one Dash callback request (as a crafted client would) and return the HTTP status."""
    body = json.dumps(callback_request(dependency, values)).encode()
    request = urllib.request.Request(
        base + "/_dash-update-component", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_journey_log_has_loads_and_plans_but_no_hotspot_detail(page, hotspots, tmp_path: Path):
    proc, url, log_path = start_app()
    try:
        page.goto(url + "/")
        page.wait_for_selector("#ov-headline .card", timeout=60000)
        page.goto(url + "/map")
        wait_for_graph(page, "map-graph", min_traces=2)
        page.goto(url + "/scenarios?people_per_pe=70")
        page.wait_for_selector("#scn-pe", timeout=60000)
        with page.expect_download(timeout=60000):
            page.click("#scn-download-xlsx")
        page.goto(url + "/outreach?district=Lilongwe")
        page.wait_for_selector("#out-pe-count", timeout=90000)
        page.goto(url + "/data")
        page.wait_for_selector(
            "#data-current-report .card, #data-current-report .alert, #data-current-report table",
            timeout=60000,
        )
    finally:
        stop_app(proc)
    log = log_path.read_text(encoding="utf-8")
    assert re.search(r"dataset default loaded in [\d.]+ s: \d+ hotspots, \d+ sites", log), log
    assert re.search(r"plan built for dataset default in \d+ ms", log), log
    assert "app created: full-detail view" in log
    assert_no_hotspot_detail(log, hotspots)
    assert page.console_errors == []


def test_refusals_are_logged_without_detail(hotspots):
    proc, url, log_path = start_app("--aggregate")
    try:
        with urllib.request.urlopen(url + "/_dash-dependencies", timeout=60) as response:
            dependencies = json.loads(response.read())
        outreach = next(d for d in dependencies if d["output"].startswith("..out-district.options"))
        assert post_callback(url, outreach) == 403  # refused: no hotspot detail here
    finally:
        stop_app(proc)
    log = log_path.read_text(encoding="utf-8")
    assert "app created: aggregate-only view" in log
    assert re.search(r"WARNING services\.access: refused: .* aggregate-only view", log), log
    assert_no_hotspot_detail(log, hotspots)
