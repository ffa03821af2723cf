"""Aggregate-only mode: no HTTP response carries a hotspot id, name or coordinate (DESIGN.md
s.4)."""

from __future__ import annotations

import base64
import csv
import json
import re
import urllib.request

import numpy as np
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import DEMO_DIR, ROOT, screenshot, wait_for_dash_idle, wait_for_graph
from tests.helpers import callback_request

PAGES = ["/", "/map", "/scenarios", "/outreach", "/data"]
TOKEN = re.compile(r"[A-Za-z0-9_\-]+")
NUMBER = re.compile(r"-?\d+\.\d+")
TYPED_ARRAY = re.compile(
    r'"dtype"\s*:\s*"(f8|f4)"\s*,\s*"bdata"\s*:\s*"([^"]+)"'
    r'|"bdata"\s*:\s*"([^"]+)"\s*,\s*"dtype"\s*:\s*"(f8|f4)"'
)


def demo_hotspots() -> list[dict[str, str]]:
    with open(DEMO_DIR / "hotspots.csv", newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def coordinate_forms(value_text: str) -> dict[int | str, str]:
    """A coordinate as written in the data and rounded to 3, 4 and 5 decimals (as JSON would
    print)."""
    value = float(value_text)
    forms: dict[int | str, str] = {"raw": value_text.strip(), "repr": repr(value)}
    for nd in (3, 4, 5):
        forms[nd] = repr(round(value, nd))
    return forms


def typed_array_values(text: str) -> np.ndarray:
    """Every float in plotly's base64 typed arrays ({"dtype": "f8", "bdata": ...}) of a body."""
    out = []
    for m in TYPED_ARRAY.finditer(text):
        dtype = m.group(1) or m.group(4)
        data = base64.b64decode(json.loads('"' + (m.group(2) or m.group(3)) + '"'))  # JSON escapes
        out.append(np.frombuffer(data, dtype="<f8" if dtype == "f8" else "<f4").astype("float64"))
    return np.concatenate(out) if out else np.array([])


def without_district_geometry(text: str) -> str:
    """A JSON body with every "geojson" value, every map layer "source" and the towns trace
    removed (district polygons and the Natural Earth lakes, rivers, borders and towns are public,
    and their vertices would match hotspot coordinates by chance); other bodies unchanged."""
    try:
        obj = json.loads(text)
    except ValueError:
        return text

    def strip(node):
        if isinstance(node, dict):
            if node.get("meta") == "basemap-places":
                return {}
            return {k: strip(v) for k, v in node.items() if k not in ("geojson", "source")}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return json.dumps(strip(obj))


def boundary_vertex_numbers() -> set[str]:
    """District polygon and Natural Earth vertices as the app writes them (raw and rounded to 5
    decimals).

    District outlines and the Natural Earth context are public and are drawn in aggregate views;
    a vertex can equal a hotspot coordinate by chance, so these numbers are not evidence of a
    leak.
    """
    geo = json.loads((DEMO_DIR / "boundaries.geojson").read_text(encoding="utf-8"))
    out: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, (int, float)):
            out.update({repr(float(node)), repr(round(float(node), 5))})
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for feature in geo["features"]:
        walk(feature["geometry"]["coordinates"])
    # the vendored Natural Earth context (lakes, rivers, borders, towns) is public as well
    basemap = json.loads((ROOT / "assets" / "basemap" / "africa.json").read_text(encoding="utf-8"))
    for layer in basemap["layers"].values():
        for feature in layer["features"]:
            walk(feature["geometry"]["coordinates"])
    return out


def leaks(
    bodies: dict[str, str],
    hotspots: list[dict[str, str]],
    public_numbers: frozenset[str] = frozenset(),
) -> list[str]:
    """Where a hotspot id, name or coordinate appears in the captured bodies (empty = none).

    ``public_numbers``: numbers the viewer may receive besides district vertices (e.g. service
    site coordinates for a site manager), which can equal a hotspot's coordinate by chance."""
    found = []
    public = boundary_vertex_numbers() | public_numbers
    ids = {h["hotspot_id"] for h in hotspots}
    names = {h["name"] for h in hotspots if h.get("name")}
    for url, raw in bodies.items():
        text = without_district_geometry(raw)
        tokens = set(TOKEN.findall(text))
        numbers = set(NUMBER.findall(text)) - public
        for hid in ids & tokens:
            found.append(f"{url}: hotspot id {hid}")
        for name in names:
            if name in text or json.dumps(name)[1:-1] in text:
                found.append(f"{url}: hotspot name {name!r}")
        floats = typed_array_values(text)
        for h in hotspots:
            lat, lon = coordinate_forms(h["latitude"]), coordinate_forms(h["longitude"])
            for nd in ("raw", "repr", 4, 5):  # precise forms: one alone is a leak
                for axis, forms in (("latitude", lat), ("longitude", lon)):
                    if forms[nd] in numbers:
                        found.append(f"{url}: {h['hotspot_id']} {axis} as {forms[nd]}")
            if lat[3] in numbers and lon[3] in numbers:  # 3 decimals (~100 m): the pair
                found.append(f"{url}: {h['hotspot_id']} at ({lat[3]}, {lon[3]})")
            if floats.size and (
                np.isclose(floats, float(h["latitude"]), atol=5e-6).any()
                and np.isclose(floats, float(h["longitude"]), atol=5e-6).any()
            ):
                found.append(f"{url}: {h['hotspot_id']} in a binary typed array")
    return found


def capture_bodies(page) -> dict[str, str]:
    """Record the text of every response the page receives (keyed by URL and order)."""
    bodies: dict[str, str] = {}

    def on_response(response) -> None:
        try:
            body = response.body()
        except Exception:  # redirects and aborted requests have no body
            return
        bodies[f"{len(bodies):03d} {response.url}"] = body.decode("utf-8", errors="replace")

    page.on("response", on_response)
    return bodies


def test_checker_finds_a_planted_leak():
    hotspots = demo_hotspots()[:5]
    h = hotspots[2]
    assert leaks({"x": '{"a": 1.5}'}, hotspots) == []
    coords = [float(h["longitude"]), float(h["latitude"])]
    assert leaks({"x": json.dumps({"geojson": {"coordinates": coords}})}, hotspots) == []
    assert leaks({"x": json.dumps({"other": {"coordinates": coords}})}, hotspots)
    assert leaks({"x": f'["{h["hotspot_id"]}"]'}, hotspots)
    assert leaks({"x": json.dumps({"lat": [round(float(h["latitude"]), 4)]})}, hotspots)
    planted = json.dumps(
        {
            "lat": {
                "dtype": "f8",
                "bdata": base64.b64encode(
                    np.array([float(h["latitude"]), float(h["longitude"])]).tobytes()
                ).decode(),
            }
        }
    )
    assert leaks({"x": planted}, hotspots)


def test_aggregate_mode_sends_no_hotspot_data(page, aggregate_server):
    bodies = capture_bodies(page)
    for path in PAGES:
        page.goto(aggregate_server + path)
        page.wait_for_load_state("networkidle")
        wait_for_dash_idle(page)  # every callback of the page has answered
    # the navbar offers only the district-level pages
    nav = page.locator("#navbar").inner_text()
    assert "Map" in nav and "Overview" in nav
    assert "Outreach" not in nav and "Data" not in nav and "Scenarios" not in nav
    page.goto(aggregate_server + "/map")
    data = wait_for_graph(page, "map-graph")
    # the districts and the Natural Earth towns (public context), nothing per hotspot
    assert [t["meta"] for t in data] == ["districts", "basemap-places"]
    assert len(data[0]["locations"]) == 28
    page.wait_for_load_state("networkidle")
    screenshot(page, "map_aggregate")  # waits for the callbacks and the map's drawing
    with page.expect_download(timeout=60000) as info:  # the HTML export's body is captured too
        page.locator("#map-export-html").click()
    exported = info.value.path().read_text(encoding="utf-8")
    assert "district aggregates only" in exported
    bodies["exported map.html"] = exported
    hotspots = demo_hotspots()
    assert len(bodies) > 10
    assert leaks(bodies, hotspots) == []
    assert page.console_errors == []


def test_aggregate_map_callback_refuses_forged_hotspot_layers(page, aggregate_server):
    requests = []
    page.on(
        "request",
        lambda r: (
            requests.append(r)
            if "_dash-update-component" in r.url and "map-graph.figure" in (r.post_data or "")
            else None
        ),
    )
    page.goto(aggregate_server + "/map")
    wait_for_graph(page, "map-graph")
    assert requests, "the map callback was never called"
    payload = json.loads(requests[-1].post_data)
    for item in payload["inputs"]:
        if item["id"] == "map-layers":
            item["value"] = ["districts", "hotspots", "sites", "rings"]
    response = page.request.post(
        aggregate_server + "/_dash-update-component",
        data=payload,
        headers={"Content-Type": "application/json"},
    )
    assert response.ok
    text = response.text()
    figure = json.loads(text)["response"]["map-graph"]["figure"]
    assert [t.get("meta") for t in figure["data"]] == ["districts", "basemap-places"]
    assert leaks({"forged": text}, demo_hotspots()) == []
    # the same request as a patch of a drawn figure (each map control changed): no spot either
    drawn = json.loads(text)["response"]["map-drawn-state"]["data"]
    for item in payload["inputs"]:
        if item["id"] == "map-colour-by":
            item["value"] = "coverage"
        if item["id"] == "map-viewport":
            item["value"] = {"west": 35, "south": -16, "east": 35.2, "north": -15.8, "zoom": 12}
    for item in payload["state"]:
        if item["id"] == "map-drawn-state":
            item["value"] = {**drawn, "colour": "typology", "layers": ["districts"]}
    response = page.request.post(
        aggregate_server + "/_dash-update-component",
        data=payload,
        headers={"Content-Type": "application/json"},
    )
    assert response.ok
    assert '"lat": [' not in response.text().replace('"lat":[', '"lat": [')
    assert leaks({"forged patch": response.text()}, demo_hotspots()) == []


def test_aggregate_view_refuses_hotspot_details(page, aggregate_server):
    """A forged hover on a 'hotspot' trace at a real spot's position: 403, nothing leaks."""
    spot = demo_hotspots()[0]
    with urllib.request.urlopen(aggregate_server + "/_dash-dependencies", timeout=60) as r:
        dependencies = json.loads(r.read())
    dependency = next(d for d in dependencies if d["output"].startswith("map-hotspot-detail"))
    event = {
        "points": [
            {
                "curveNumber": 1,
                "pointNumber": 0,
                "lat": round(float(spot["latitude"]), 5),
                "lon": round(float(spot["longitude"]), 5),
            }
        ]
    }
    body = callback_request(
        dependency,
        {
            "map-graph.hoverData": event,
            "map-trace-roles.data": ["districts", "hotspots"],
        },
    )
    response = page.request.post(
        aggregate_server + "/_dash-update-component",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 403
    assert leaks({"detail": response.text()}, demo_hotspots()) == []


def test_the_same_check_sees_hotspots_in_the_full_detail_view(page, app_server):
    bodies = capture_bodies(page)
    page.goto(app_server + "/map")
    data = wait_for_graph(page, "map-graph", min_traces=2)
    page.wait_for_load_state("networkidle")
    wait_for_dash_idle(page)
    found = leaks(bodies, demo_hotspots())
    assert any("latitude" in f or " at (" in f for f in found)
    # ids and names are no longer on the map: they come with a hover, for that one spot
    assert not any("hotspot id" in f for f in found)
    index = next(i for i, t in enumerate(data) if t["meta"] == "hotspots")
    point = {"curveNumber": index, "pointNumber": 0}
    point.update(lat=data[index]["lat"][0], lon=data[index]["lon"][0])
    for _attempt in range(6):
        page.evaluate(
            """(p) => document.querySelector('#map-graph .js-plotly-plot')
                       .emit('plotly_hover', {points: [p]})""",
            point,
        )
        try:
            page.locator("#map-hotspot-card").wait_for(timeout=5000)
            break
        except PlaywrightTimeout:
            continue
    page.wait_for_load_state("networkidle")
    found = leaks(bodies, demo_hotspots())
    assert any("hotspot id" in f for f in found)


def test_no_dead_ends_for_an_aggregate_viewer(page, aggregate_server):
    """Every route, by navbar and by URL: a page that says what it is, no dead link, no 5xx."""
    statuses: list[tuple[int, str]] = []
    page.on("response", lambda r: statuses.append((r.status, r.url)))
    expected = {
        "/": "#ov-headline",
        "/map": "#map-graph",
        "/scenarios": "#not-available",
        "/outreach": "#not-available",
        "/data": "#not-available",
        "/no-such-page": "#not-found",
        "/outreach?district=Lilongwe": "#not-available",
    }
    links: set[str] = set()
    for path, marker in expected.items():
        page.goto(aggregate_server + path)
        page.wait_for_selector(marker, timeout=60000)
        wait_for_dash_idle(page)
        assert "404 - Page not found" not in page.inner_text("body")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        links.update(h for h in hrefs if h.startswith("/"))
    assert links, "no internal links found"
    for href in sorted(links):
        page.goto(aggregate_server + href)
        wait_for_dash_idle(page)
        assert page.locator("#not-found").count() == 0, f"the link {href} leads nowhere"
        assert page.locator("#not-available").count() == 0, f"the link {href} is a dead end"
    assert not [s for s in statuses if s[0] >= 500], statuses
    assert page.console_errors == []
