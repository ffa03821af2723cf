"""Map page in Chromium with the network blocked: demo map drawn, layers, filters, click,
exports."""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
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
    # every hotspot of the data is drawn exactly once, at its position, and without its id
    points = traces_with(data, "hotspots")
    drawn = sorted(zip(*(points[0]["lat"], points[0]["lon"])))
    expected = sorted(
        (round(float(r["latitude"]), 5), round(float(r["longitude"]), 5))
        for r in demo_rows("hotspots.csv")
    )
    assert drawn == expected
    assert all(t["ids"] is None and t["customdata"] is None for t in points)
    wait_for_maps_drawn(page)  # MapLibre has finished painting before the checks and screenshot
    assert page.get_by_text("Synthetic demo data").is_visible()
    assert page.console_errors == []
    assert page.blocked_requests == []
    screenshot(page, "map")


def test_layers_switch_on_and_off(page, app_server):
    data = open_map(page, app_server)
    (rings,) = traces_with(data, "rings")
    assert rings["n"] == 0 and rings["visible"] is False
    page.get_by_label("Catchment rings").check()
    page.wait_for_function(
        """() => document.querySelector('#map-graph .js-plotly-plot').data
                                  .some(t => t.meta === 'rings' && t.lat.length > 0)""",
        timeout=20000,
    )
    page.get_by_label("Hotspots").uncheck()
    page.wait_for_function(
        """() => document.querySelector('#map-graph .js-plotly-plot').data
                   .filter(t => t.meta === 'hotspots' || t.meta === 'hotspot-cells')
                   .every(t => t.visible === false && t.lat.length === 0)""",
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


# --- issue 14: aggregate far, points near; patches; legend; offline context -------------------

GRAPH_JS = "document.querySelector('#map-graph .js-plotly-plot')"


@pytest.fixture(scope="module")
def national_server(tmp_path_factory) -> Iterator[str]:
    """The app on a synthetic 5,000-hotspot Malawi (over POINT_LIMIT spots at national zoom)."""
    from bench.synthetic import synthetic_dataset, write_dataset_folder
    from tests.browser.conftest import start_app, stop_app

    folder = write_dataset_folder(
        synthetic_dataset(5000, 200, 28, boundaries="demo", seed=0),
        tmp_path_factory.mktemp("national"),
    )
    proc, url, _log = start_app(data_dir=folder)
    try:
        yield url
    finally:
        stop_app(proc)


def callback_bodies(page) -> list[tuple[dict, str]]:
    """(request body, response text) of every map figure callback of the page, in order."""
    seen: list[tuple[dict, str]] = []

    def on_response(response) -> None:
        if "_dash-update-component" in response.url and "map-graph.figure" in (
            response.request.post_data or ""
        ):
            # a body that never arrives (the test closed the page first) is not counted
            with contextlib.suppress(PlaywrightError):
                seen.append((response.request.post_data_json, response.text()))

    page.on("response", on_response)
    return seen


def test_national_zoom_draws_cells_and_zooming_in_draws_spots(page, national_server):
    bodies = callback_bodies(page)
    page.goto(national_server + "/map")
    page.wait_for_function(
        f"() => {GRAPH_JS} && {GRAPH_JS}.data.some(t => t.meta === 'hotspot-cells' "
        "&& t.lat.length > 0)",
        timeout=60000,
    )
    wait_for_dash_idle(page)
    wait_for_maps_drawn(page)
    data = wait_for_graph(page, GRAPH)
    (cells,) = traces_with(data, "hotspot-cells")
    (points,) = traces_with(data, "hotspots")
    assert 20 < cells["n"] < 1000 and points["n"] == 0
    assert "5,000 hotspots around this view, summed in" in page.inner_text("#map-scale-note")
    assert "Cell people at peak" in page.inner_text("#map-size-legend")
    first = next(text for body, text in bodies if "map-district-summary" in body["output"])
    assert len(first) < 2_000_000 and '"ids"' not in first
    # zoom in with the mouse wheel over the busiest cell, as a user does
    x, y = page.evaluate(
        f"""() => {{ const gd = {GRAPH_JS}; const t = gd.data.find(d => d.meta === 'hotspot-cells');
            let best = 0;
            t.marker.size.forEach((s, i) => {{ if (s > t.marker.size[best]) best = i; }});
            const p = gd._fullLayout.map._subplot.map.project([t.lon[best], t.lat[best]]);
            const box = gd.getBoundingClientRect();
            return [box.left + p.x, box.top + p.y]; }}"""
    )
    page.mouse.move(x, y)
    for _ in range(10):
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(250)
        if "one marker each" in page.inner_text("#map-scale-note"):
            break
    expect(page.locator("#map-scale-note")).to_contain_text("one marker each", timeout=30000)
    wait_for_dash_idle(page)
    data = wait_for_graph(page, GRAPH)
    (points,) = traces_with(data, "hotspots")
    (cells,) = traces_with(data, "hotspot-cells")
    assert 0 < points["n"] <= 3000 and cells["n"] == 0
    # the zoom patched the hotspot traces: no district polygons were sent again
    zoom_bodies = [t for b, t in bodies if b.get("changedPropIds") == ["map-viewport.data"]]
    assert zoom_bodies and all('"coordinates"' not in t for t in zoom_bodies)
    assert page.console_errors == []
    assert page.blocked_requests == []


def test_colour_switch_patches_colours_in_place(page, app_server):
    bodies = callback_bodies(page)
    data = open_map(page, app_server)
    wait_for_dash_idle(page)
    before = traces_with(data, "hotspots")[0]
    full = bodies[0][1]
    with page.expect_response(
        lambda r: (
            "_dash-update-component" in r.url
            and "map-colour-by.value" in str((r.request.post_data_json or {}).get("changedPropIds"))
        )
    ) as info:
        page.get_by_label("coverage", exact=True).check()
    text = info.value.text()
    page.wait_for_function(
        f"() => {GRAPH_JS}.data.some(t => t.meta === 'hotspots' "
        "&& t.marker.colorscale === 'Cividis')",
        timeout=20000,
    )
    assert '"lat"' not in text and '"lon"' not in text and '"geojson"' not in text
    assert len(text) < len(full) / 10  # colours only
    after = traces_with(wait_for_graph(page, GRAPH), "hotspots")[0]
    assert after["lat"] == before["lat"]  # the same points, recoloured in place
    expect(page.locator("#map-graph .colorbar")).to_have_count(2)  # districts and hotspots
    assert page.console_errors == []


def test_legend_and_colour_bars_stay_off_the_map_at_800px(page, app_server):
    open_map(page, app_server)
    wait_for_maps_drawn(page)
    canvas = page.locator("#map-graph canvas.maplibregl-canvas").bounding_box()
    bottom = canvas["y"] + canvas["height"]
    for selector in ("#map-graph .legend", "#map-graph .colorbar"):
        for box in [el.bounding_box() for el in page.locator(selector).all()]:
            assert box["y"] >= bottom - 1, (selector, box, bottom)
    expect(page.locator("#map-size-legend .map-size-dot")).to_have_count(3)
    # at district zoom too
    choose_by_keyboard(page, "#map-filter-district", "Zomba")
    expect(page.locator("#map-summary-card")).to_contain_text("Zomba", timeout=20000)
    wait_for_dash_idle(page)
    wait_for_maps_drawn(page)
    canvas = page.locator("#map-graph canvas.maplibregl-canvas").bounding_box()
    box = page.locator("#map-graph .legend").bounding_box()
    assert box["y"] >= canvas["y"] + canvas["height"] - 1


def test_offline_context_layers_are_drawn(page, app_server):
    open_map(page, app_server)
    wait_for_maps_drawn(page)
    drawn = page.evaluate(
        f"""() => {{ const m = {GRAPH_JS}._fullLayout.map._subplot.map;
            const p = m.project([34.6, -12.2]);  // Lake Malawi, off Nkhata Bay
            const hits = m.queryRenderedFeatures([p.x, p.y]);
            return hits.map(f => f.layer.type + ':' + (f.properties.name || '')); }}"""
    )
    assert "fill:Lake Malawi" in drawn
    town = page.evaluate(f"() => {GRAPH_JS}.data.find(t => t.meta === 'basemap-places').text")
    assert "Lilongwe" in town
    assert page.blocked_requests == []
    assert page.console_errors == []


def test_hovering_a_spot_asks_the_server_for_that_spot(page, app_server):
    data = open_map(page, app_server)
    wait_for_dash_idle(page)
    index = next(i for i, t in enumerate(data) if t["meta"] == "hotspots")
    lat, lon = data[index]["lat"][0], data[index]["lon"][0]
    expected = [
        r["hotspot_id"]
        for r in demo_rows("hotspots.csv")
        if round(float(r["latitude"]), 5) == lat and round(float(r["longitude"]), 5) == lon
    ]
    card = page.locator("#map-hotspot-card")
    for _attempt in range(6):
        page.evaluate(
            f"""([i, lat, lon]) => {GRAPH_JS}.emit('plotly_hover',
                {{points: [{{curveNumber: i, pointNumber: 0, lat: lat, lon: lon}}]}})""",
            [index, lat, lon],
        )
        try:
            card.wait_for(timeout=5000)
            break
        except PlaywrightTimeout:
            continue
    expect(card).to_contain_text(expected[0], timeout=5000)
    assert "Peak day" in card.inner_text()
    assert page.console_errors == []
