"""Map page in Chromium with the network blocked: demo map drawn, layers, filters, click,
exports."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.browser.conftest import (
    DEMO_DIR,
    screenshot,
    wait_for_dash_idle,
    wait_for_graph,
    wait_for_maps_drawn,
)

GRAPH = "map-graph"


def demo_rows(name: str) -> list[dict[str, str]]:
    """Rows of a demo CSV file as read by the csv module (independent of the app's loader)."""
    with open(DEMO_DIR / name, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def demo_district_count() -> int:
    import json

    return len(
        json.loads((DEMO_DIR / "boundaries.geojson").read_text(encoding="utf-8"))["features"]
    )


def traces_with(data: list[dict], meta: str) -> list[dict]:
    return [t for t in data if t.get("meta") == meta]


def hotspot_count(data: list[dict]) -> int:
    return sum(t["n"] for t in traces_with(data, "hotspots"))


def open_map(page, base_url: str) -> list[dict]:
    page.goto(base_url + "/map")
    return wait_for_graph(page, GRAPH, min_traces=2)


def test_map_draws_every_district_and_hotspot_offline(page, app_server):
    data = open_map(page, app_server)
    districts = traces_with(data, "districts")
    assert len(districts) == 1
    assert len(districts[0]["locations"]) == demo_district_count() == 28
    assert hotspot_count(data) == len(demo_rows("hotspots.csv"))
    assert sum(t["n"] for t in traces_with(data, "sites")) == len(demo_rows("sites.csv"))
    # every hotspot id of the data is drawn exactly once
    drawn_ids = [i for t in traces_with(data, "hotspots") for i in t["ids"]]
    assert sorted(drawn_ids) == sorted(r["hotspot_id"] for r in demo_rows("hotspots.csv"))
    wait_for_maps_drawn(page)  # MapLibre has finished painting before the checks and screenshot
    assert page.get_by_text("Synthetic demo data").is_visible()
    assert page.console_errors == []
    assert page.blocked_requests == []
    screenshot(page, "map")


def test_layers_switch_on_and_off(page, app_server):
    data = open_map(page, app_server)
    assert traces_with(data, "rings") == []
    page.get_by_label("Catchment rings").check()
    page.wait_for_function(
        """() => document.querySelector('#map-graph .js-plotly-plot').data
                                  .some(t => t.meta === 'rings')""",
        timeout=20000,
    )
    page.get_by_label("Hotspots").uncheck()
    page.wait_for_function(
        """() => !document.querySelector('#map-graph .js-plotly-plot').data
                                  .some(t => t.meta === 'hotspots')""",
        timeout=20000,
    )
    data = wait_for_graph(page, GRAPH)
    rings = traces_with(data, "rings")[0]
    # one closed ring per site: the None separators count the rings
    assert rings["lat"].count(None) == len(demo_rows("sites.csv"))
    assert page.console_errors == []


def choose_by_keyboard(page, dropdown: str, option: str) -> None:
    """Open a dropdown, type ``option`` and press Enter, as a keyboard user does.

    Types only once the search box has focus and presses Enter only once the filtered list
    shows the option: keys sent earlier are lost and Enter would pick another entry.
    """
    page.locator(dropdown).click()
    page.wait_for_function(
        "() => document.activeElement && "
        "document.activeElement.classList.contains('dash-dropdown-search')"
    )
    page.keyboard.type(option, delay=30)
    page.get_by_role("option", name=option, exact=True).wait_for(timeout=10000)
    page.keyboard.press("Enter")


def test_typology_filter_keeps_only_that_typology(page, app_server):
    open_map(page, app_server)
    expected = sum(1 for r in demo_rows("hotspots.csv") if r["typology"].strip().lower() == "bar")
    choose_by_keyboard(page, "#map-filter-typology", "bar")
    page.wait_for_function(
        """(n) => { const d = document.querySelector('#map-graph .js-plotly-plot').data;
                    return d.filter(t => t.meta === 'hotspots')
                            .reduce((s, t) => s + t.lat.length, 0) === n; }""",
        arg=expected,
        timeout=20000,
    )
    data = wait_for_graph(page, GRAPH)
    assert hotspot_count(data) == expected > 0
    assert page.console_errors == []


def test_clicking_a_district_zooms_and_shows_its_summary(page, app_server):
    open_map(page, app_server)
    before = page.evaluate(
        "() => document.querySelector('#map-graph .js-plotly-plot').layout.map.zoom"
    )
    # A user's click on the Blantyre polygon: plotly emits plotly_click with the location.
    # (Repeated until Dash has bound its click handler to the freshly drawn graph.)
    card = page.locator("#map-summary-card")
    for _attempt in range(6):
        page.evaluate("""() => { const gd = document.querySelector('#map-graph .js-plotly-plot');
            gd.emit('plotly_click',
                    {points: [{curveNumber: 0, pointNumber: 0, location: 'Blantyre'}]}); }""")
        try:
            card.wait_for(timeout=5000)
            break
        except PlaywrightTimeout:
            continue
    card.wait_for(timeout=5000)
    assert "Blantyre" in card.inner_text()
    assert re.search(r"coverage \d+–\d+%", card.inner_text())
    page.wait_for_function(
        "(z) => document.querySelector('#map-graph .js-plotly-plot').layout.map.zoom > z + 1",
        arg=before,
        timeout=20000,
    )
    assert page.console_errors == []


def test_export_html_map_opens_offline_with_every_hotspot(page, app_server, tmp_path: Path):
    open_map(page, app_server)
    with page.expect_download(timeout=60000) as info:
        page.locator("#map-export-html").click()
    path = tmp_path / "map.html"
    info.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?(https?:)?//""", text)
    assert "Level of detail: hotspot locations included" in text
    page.goto(path.as_uri())
    page.wait_for_selector("path.kp-hotspot", state="attached", timeout=30000)
    assert page.locator("path.kp-hotspot").count() == len(demo_rows("hotspots.csv"))
    assert page.locator("path.kp-site").count() == len(demo_rows("sites.csv"))
    assert page.blocked_requests == []
    assert page.console_errors == []


def test_export_png(page, app_server, tmp_path: Path):
    open_map(page, app_server)
    wait_for_dash_idle(page)  # the page's callbacks have answered: the click is the next one
    wait_for_maps_drawn(page)  # Plotly.downloadImage renders the map as drawn
    with page.expect_download(timeout=60000) as info:
        page.locator("#map-export-png").click()
    path = tmp_path / "map.png"
    info.value.save_as(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


def test_keyboard_choosing_one_district_selects_it(page, app_server):
    open_map(page, app_server)
    choose_by_keyboard(page, "#map-filter-district", "Zomba")
    card = page.locator("#map-summary-card")
    expect(card).to_contain_text("Zomba", timeout=20000)
    assert page.console_errors == []


def test_a_dataset_with_fatal_errors_shows_the_validation_summary(page):
    from tests.browser.conftest import ROOT, start_app, stop_app

    proc, url, _log = start_app(data_dir=ROOT / "tests" / "fixtures" / "faulty_fatal")
    try:
        for path in ("/map", "/", "/data"):
            page.goto(url + path)
            summary = page.locator("#validation-summary").first
            summary.wait_for(timeout=30000)
            assert "could not be loaded" in summary.inner_text()
        assert page.console_errors == []
    finally:
        stop_app(proc)
