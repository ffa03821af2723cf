"""Accounts and roles in Chromium (issue 13): every role x every route x every download.

One server with four users (donor, site manager of Lilongwe, planner, admin) and an anonymous
visitor. For each, every page is opened and every download button it offers is pressed, and
every HTTP response body and downloaded file is captured, then searched as an attacker would
(tests.browser.test_aggregate.leaks: ids, names, coordinates in every printed and binary form):

- anonymous: nothing but the login page and its style sheet (every other answer a redirect to
  /login or a 401);
- donor: no hotspot id, name or coordinate at all;
- site manager of Lilongwe: none of another district's hotspots; her own are there;
- planner and admin: the same check finds hotspots of every district (the check can fail).

Then direct POSTs to callbacks with forged inputs: another district, a dataset key with a
forged scope, a donor asking for caseloads.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from tests.browser.conftest import DEMO_DIR, start_app, stop_app, wait_for_dash_idle
from tests.browser.test_aggregate import (
    TOKEN,
    capture_bodies,
    demo_hotspots,
    leaks,
    typed_array_values,
)
from tests.helpers import run_cli_process

SECRET = "role-matrix-test-secret-0123456789abcdef"
USERS = {
    "donor": ("dana", "donor", ""),
    "site_manager": ("sam", "site_manager", "Lilongwe"),
    "planner": ("pat", "planner", ""),
    "admin": ("ada", "admin", ""),
}
PASSWORD = "a long test passphrase"
ROUTES = ["/", "/map", "/scenarios", "/outreach", "/data", "/no-such-page"]
# What each route offers to download, by button id.
DOWNLOADS = {
    "/": ["#ov-download-plan"],
    "/map": ["#map-export-html"],
    "/scenarios": ["#scn-download-xlsx"],
    "/outreach": ["#out-download-xlsx", "#out-download-html"],
}
HOME = "Lilongwe"


def _cli(state_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run_cli_process(*args, state_dir=state_dir, env={"KP_SECRET_KEY": SECRET}, stdin=stdin)


@pytest.fixture(scope="module")
def accounts_server() -> Iterator[tuple[str, Path]]:
    """The demo served with accounts: (base URL, state folder)."""
    state_dir = Path(tempfile.mkdtemp(prefix="kp-roles-")) / "state"
    for name, role, districts in USERS.values():
        args = ["users", "add", name, "--role", role, "--password-stdin"]
        if districts:
            args += ["--districts", districts]
        done = _cli(state_dir, *args, stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
    proc, url, _ = start_app(env={"KP_STATE_DIR": str(state_dir), "KP_SECRET_KEY": SECRET})
    try:
        yield url, state_dir
    finally:
        stop_app(proc)
        shutil.rmtree(state_dir.parent, ignore_errors=True)


def districts_of_hotspots() -> dict[str, str]:
    """hotspot_id -> district, as the app resolves it."""
    from data_loaders.dataset import load_dataset

    hs = load_dataset(DEMO_DIR).hotspots
    return dict(zip(hs["hotspot_id"].astype(str), hs["district"].astype(str), strict=True))


PAIR = re.compile(r'(-?\d{1,3}\.\d{3,})"?\s*,\s*"?(-?\d{1,3}\.\d{3,})')
NEAR_DEG = 2e-4  # about 20 m: a coordinate pair this close to a hotspot points at it


def coordinate_pairs(text: str) -> np.ndarray:
    """Every (a, b) number pair a body can carry a place in: plotly traces' lat/lon arrays
    (plain or base64 typed arrays), GeoJSON positions, and any two numbers written next to each
    other (HTML maps, workbook rows). Both orders are returned."""
    pairs: list[tuple[float, float]] = []

    def numbers(value) -> list[float] | None:
        if isinstance(value, dict) and "bdata" in value:
            return typed_array_values(json.dumps({"x": value})).tolist()
        if isinstance(value, list) and all(isinstance(v, (int, float)) or v is None for v in value):
            return [np.nan if v is None else float(v) for v in value]
        return None

    def walk(node) -> None:
        if isinstance(node, dict):
            lat, lon = numbers(node.get("lat")), numbers(node.get("lon"))
            if lat and lon:
                pairs.extend(zip(lat, lon, strict=False))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            if len(node) == 2 and all(isinstance(v, (int, float)) for v in node):
                pairs.append((float(node[0]), float(node[1])))
            for value in node:
                walk(value)

    with contextlib.suppress(ValueError):
        walk(json.loads(text))
    pairs.extend((float(a), float(b)) for a, b in PAIR.findall(text))
    arr = np.array(pairs, dtype="float64").reshape(-1, 2)
    return np.vstack([arr, arr[:, ::-1]])


def scoped_leaks(bodies: dict[str, str], hotspots: list[dict[str, str]]) -> list[str]:
    """Where one of ``hotspots`` can be found in the bodies of a viewer who legitimately gets
    other coordinates (her own district's, the service sites'): its id or name as a token, or a
    coordinate pair within NEAR_DEG of it in both axes."""
    from scipy.spatial import cKDTree

    found = []
    ids = {h["hotspot_id"] for h in hotspots}
    names = {h["name"] for h in hotspots if h.get("name")}
    points = np.array([[float(h["latitude"]), float(h["longitude"])] for h in hotspots])
    tree = cKDTree(points)
    for url, text in bodies.items():
        tokens = set(TOKEN.findall(text))
        found += [f"{url}: hotspot id {hid}" for hid in sorted(ids & tokens)]
        found += [f"{url}: hotspot name {n!r}" for n in sorted(names) if n in text]
        pairs = coordinate_pairs(text)
        pairs = pairs[np.isfinite(pairs).all(axis=1)]
        if len(pairs):
            dist, idx = tree.query(pairs, p=np.inf, distance_upper_bound=NEAR_DEG)
            for i in sorted(set(idx[np.isfinite(dist)].tolist())):
                found.append(f"{url}: {hotspots[i]['hotspot_id']} at a coordinate pair")
    return found


def log_in(page, url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(url + "/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_selector("#navbar", timeout=60000)


def file_text(path: Path) -> str:
    """A downloaded file as text: every cell of a workbook, or the file's text."""
    data = path.read_bytes()
    if data[:2] == b"PK":
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        cells = [
            "" if v is None else str(v)
            for ws in wb.worksheets
            for row in ws.iter_rows(values_only=True)
            for v in row
        ]
        return json.dumps(cells)
    return data.decode("utf-8", errors="replace")


def visit_and_download(page, url: str, bodies: dict[str, str], tmp_path: Path) -> list[str]:
    """Open every route, press every download button offered; return the files downloaded."""
    downloaded = []
    for route in ROUTES:
        page.goto(url + route)
        page.wait_for_load_state("networkidle")
        wait_for_dash_idle(page, timeout_ms=90000)
        for button in DOWNLOADS.get(route, []):
            locator = page.locator(button)
            if locator.count() == 0 or not locator.is_visible():
                continue
            page.wait_for_function(
                "b => { const e = document.querySelector(b); return e && !e.disabled; }",
                arg=button,
                timeout=90000,
            )
            with page.expect_download(timeout=120000) as info:
                locator.click()
            path = tmp_path / f"{len(downloaded)}-{info.value.suggested_filename}"
            info.value.save_as(path)
            bodies[f"download {route} {button}"] = file_text(path)
            downloaded.append(f"{route} {button}")
            wait_for_dash_idle(page, timeout_ms=90000)
    return downloaded


def test_scoped_checker_finds_a_planted_pair():
    hotspots = demo_hotspots()[:50]
    h = hotspots[7]
    lat, lon = float(h["latitude"]), float(h["longitude"])
    assert scoped_leaks({"x": json.dumps({"lat": [lat + 1], "lon": [lon]})}, hotspots) == []
    assert scoped_leaks({"x": json.dumps({"lat": [1.0, lat], "lon": [2.0, lon]})}, hotspots)
    assert scoped_leaks({"x": json.dumps({"coordinates": [[lon + 1e-5, lat]]})}, hotspots)
    assert scoped_leaks({"x": f"L.marker([{lat:.5f}, {lon:.5f}])"}, hotspots)
    assert scoped_leaks({"x": json.dumps(["a", f"{lat}", f"{lon}"])}, hotspots)
    assert scoped_leaks({"x": f'["{h["hotspot_id"]}"]'}, hotspots)


def test_anonymous_gets_only_the_login_page(page, accounts_server, tmp_path):
    url, _ = accounts_server
    statuses: list[tuple[int, str]] = []
    page.on("response", lambda r: statuses.append((r.status, r.url)))
    bodies = capture_bodies(page)
    for route in [*ROUTES, "/outreach?district=Dowa", "/_dash-layout", "/_dash-dependencies"]:
        page.goto(url + route)
        page.wait_for_load_state("networkidle")
        if not route.startswith("/_dash"):
            assert page.locator("#login-form").count() == 1, route
    # every answer is the login page, its style sheet, a redirect to it, or a refusal
    for status, where in statuses:
        path = re.sub(r"^http://[^/]+", "", where)
        assert (
            status in (302, 303, 401)
            or path.startswith("/login")
            or (path.startswith("/assets/") and path.endswith(".css"))
        ), (status, where)
    assert not [s for s in statuses if s[0] >= 500]
    # raw requests: callbacks, scripts and downloads refused with 401, no body worth having
    for path in ["/_dash-update-component", "/_dash-layout", "/_dash-component-suites/x.js"]:
        response = page.request.post(url + path, data={}) if "update" in path else None
        response = response or page.request.get(url + path)
        assert response.status == 401, path
    assert leaks(bodies, demo_hotspots()) == []
    assert not any("hotspot" in b.lower() and "HS-" in b for b in bodies.values())


@pytest.mark.parametrize("role", ["donor", "site_manager", "planner", "admin"])
def test_role_matrix(page, accounts_server, tmp_path, role):
    url, state_dir = accounts_server
    name = USERS[role][0]
    bodies = capture_bodies(page)
    statuses: list[tuple[int, str]] = []
    page.on("response", lambda r: statuses.append((r.status, r.url)))
    log_in(page, url, name)
    nav = page.locator("#navbar").inner_text()
    assert name in nav and "Sign out" in nav
    downloaded = visit_and_download(page, url, bodies, tmp_path)
    assert not [s for s in statuses if s[0] >= 500], statuses
    hotspots = demo_hotspots()
    district = districts_of_hotspots()
    if role == "donor":
        assert "Outreach" not in nav and "Data" not in nav and "Scenarios" not in nav
        assert downloaded == ["/ #ov-download-plan", "/map #map-export-html"]
        assert leaks(bodies, hotspots) == []
    elif role == "site_manager":
        assert "Outreach" in nav and "Data" not in nav and HOME in nav
        assert set(downloaded) == {
            "/map #map-export-html",
            "/scenarios #scn-download-xlsx",
            "/outreach #out-download-xlsx",
            "/outreach #out-download-html",
            "/ #ov-download-plan",
        }
        others = [h for h in hotspots if district[h["hotspot_id"]] != HOME]
        mine = [h for h in hotspots if district[h["hotspot_id"]] == HOME]
        assert scoped_leaks(bodies, others) == []
        found = scoped_leaks(bodies, mine)  # the same check sees her own district's hotspots
        assert any("hotspot id" in f for f in found)
        assert any("coordinate pair" in f for f in found)
        assert any("download /outreach" in f for f in found)
        page.goto(url + "/data")
        page.wait_for_selector("#not-available", timeout=30000)
    else:
        assert "Data" in nav and "Outreach" in nav
        found = leaks(bodies, hotspots)
        seen = {district[f.split("hotspot id ")[1]] for f in found if "hotspot id " in f}
        assert len(seen) > 20, seen  # hotspots of (nearly) every district reach a planner
    # the audit log holds this user's hotspot-level downloads, nobody else's
    audit = json.loads(_cli(state_dir, "audit", "--json").stdout)
    mine_logged = [e for e in audit if e["user"] == name]
    if role == "donor":
        assert mine_logged == []
    else:
        actions = " | ".join(e["action"] for e in mine_logged)
        assert "Scenarios Excel plan" in actions and "Outreach field sheets" in actions
        assert all(e["role"] == role for e in mine_logged)
        if role == "site_manager":
            assert all(e["districts"] == [HOME] for e in mine_logged)
    assert page.console_errors == []


def _captured_payload(page, output: str) -> dict:
    """The last callback request the page made for ``output`` (e.g. "map-graph.figure")."""
    payloads = page.evaluate("() => window.__kpPayloads || []")
    for text in reversed(payloads):
        if output in text:
            return json.loads(text)
    raise AssertionError(f"no request for {output}")


def _record_payloads(page) -> None:
    page.add_init_script(
        """(() => { window.__kpPayloads = []; const f = window.fetch;
        window.fetch = function (u, o) { if (o && o.body && String(u).includes('_dash-update'))
          window.__kpPayloads.push(String(o.body)); return f.apply(this, arguments); }; })();"""
    )


def test_forged_callbacks_stay_within_the_role(page, accounts_server):
    url, _ = accounts_server
    district = districts_of_hotspots()
    others = [h for h in demo_hotspots() if district[h["hotspot_id"]] != HOME]
    _record_payloads(page)
    log_in(page, url, USERS["site_manager"][0])
    page.goto(url + "/map")
    page.wait_for_load_state("networkidle")
    wait_for_dash_idle(page)
    payload = _captured_payload(page, "map-graph.figure")
    forged_bodies = {}
    headers = {"Content-Type": "application/json"}
    # another district, a forged scope in the dataset key, every layer
    for label, dataset_id in [("plain", None), ("forged scope", "default#scope:0000000000000000")]:
        forged = json.loads(json.dumps(payload))
        for group in ("inputs", "state"):
            for item in forged.get(group, []):
                if item.get("id") == "dataset-id":
                    item["value"] = dataset_id
                if item.get("id") == "map-district":
                    item["value"] = "Dowa"
                if item.get("id") == "map-layers":
                    item["value"] = ["districts", "hotspots", "sites", "rings"]
        response = page.request.post(url + "/_dash-update-component", data=forged, headers=headers)
        assert response.status in (200, 204, 400), (label, response.status)
        forged_bodies[label] = response.text()
    # the Outreach page's plan for another district, asked directly
    page.goto(url + "/outreach")
    page.wait_for_load_state("networkidle")
    wait_for_dash_idle(page, timeout_ms=90000)
    for text in page.evaluate("() => window.__kpPayloads || []"):
        body = json.loads(text)
        forged = json.loads(json.dumps(body))
        touched = False
        for group in ("inputs", "state"):
            for item in forged.get(group, []) or []:
                if item.get("id") == "out-district":
                    item["value"] = "Dowa"
                    touched = True
        if touched:
            response = page.request.post(
                url + "/_dash-update-component", data=forged, headers=headers
            )
            assert response.status < 500
            forged_bodies[f"outreach {len(forged_bodies)}"] = response.text()
    assert len(forged_bodies) >= 3
    assert scoped_leaks(forged_bodies, others) == []

    # a donor asking for hotspot-level callbacks gets 403 or district aggregates only
    donor = page.context.browser.new_context()
    try:
        dpage = donor.new_page()
        log_in(dpage, url, USERS["donor"][0])
        for text in page.evaluate("() => window.__kpPayloads || []"):
            response = dpage.request.post(
                url + "/_dash-update-component", data=json.loads(text), headers=headers
            )
            assert response.status in (200, 204, 400, 403), response.status
            assert leaks({"donor forged": response.text()}, demo_hotspots()) == []
    finally:
        donor.close()
