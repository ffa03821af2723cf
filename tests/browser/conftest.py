"""Browser-test fixtures: the app in a subprocess, Debian Chromium via Playwright, network blocked.

``app_server`` / ``aggregate_server`` (session scope) start ``python app.py --port <free>``
on the demo data (the second with ``--aggregate``), wait for HTTP 200 and stop it at the
end. ``page`` is a fresh 1280x800 context per test whose every request outside
127.0.0.1/localhost is aborted, with console errors collected in ``page.console_errors``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = ROOT / "data" / "demo"
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
STARTUP_TIMEOUT_S = 90.0
STARTUP_POLL_S = 0.2  # between two "does the app answer yet?" checks, within STARTUP_TIMEOUT_S


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_app(
    *extra_args: str,
    data_dir: Path = DEMO_DIR,
    env: dict[str, str] | None = None,
    root: Path = ROOT,
) -> tuple[subprocess.Popen, str, Path]:
    """Start ``root``/app.py (this checkout's by default) in a subprocess on a free port; return
    (process, base URL, log file)."""
    port = free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"kp-app-{port}.log"
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115  (closed with the process)
    upload_dir = tempfile.mkdtemp(prefix="kp-uploads-")
    proc_env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "KP_STATE_DIR": str(Path(upload_dir) / "state"),  # removed by stop_app
        **(env or {}),
    }
    proc_env.pop("KP_AGGREGATE", None)
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--data", str(data_dir), *extra_args],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=proc_env,
    )
    proc.upload_dir = upload_dir  # removed by stop_app
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"app.py exited with code {proc.returncode}; log:\n"
                + log_path.read_text(encoding="utf-8")
            )
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:
                if response.status == 200:
                    return proc, url, log_path
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(STARTUP_POLL_S)
    stop_app(proc)
    raise RuntimeError(
        f"app.py did not answer on {url} within {STARTUP_TIMEOUT_S} s; log:\n"
        + log_path.read_text(encoding="utf-8")
    )


def stop_app(proc: subprocess.Popen) -> None:
    """Terminate the app subprocess and wait for it (kill after 10 s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    upload_dir = getattr(proc, "upload_dir", None)
    if upload_dir:
        shutil.rmtree(upload_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def app_server() -> Iterator[str]:
    """Base URL of the app serving the demo dataset (full detail)."""
    proc, url, _ = start_app()
    try:
        yield url
    finally:
        stop_app(proc)


@pytest.fixture(scope="session")
def aggregate_server() -> Iterator[str]:
    """Base URL of the app serving the demo dataset in aggregate-only mode."""
    proc, url, _ = start_app("--aggregate")
    try:
        yield url
    finally:
        stop_app(proc)


@pytest.fixture(scope="session")
def browser():
    """Debian Chromium driven by Playwright (playwright cannot download browsers offline)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def is_local(url: str) -> bool:
    """True for requests that stay on this machine (127.0.0.1/localhost, data:, blob:, file:)."""
    return (
        url.startswith(("data:", "blob:", "file:")) or (urlparse(url).hostname or "") in LOCAL_HOSTS
    )


@pytest.fixture
def page(browser):
    """A fresh page (1280x800, downloads accepted) with the network outside localhost blocked.

    ``page.console_errors`` lists console "error" messages and uncaught page errors (except the
    known plotly.js unmount race, kept in ``page.upstream_plotly_errors``);
    ``page.blocked_requests`` lists every request that was aborted for leaving localhost.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    blocked: list[str] = []

    def route_handler(route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route_handler)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    upstream: list[str] = []

    def on_pageerror(exc) -> None:
        # plotly.js (bundled with plotly 7.1) throws this from a MapLibre graph that React
        # unmounted while its asynchronous first draw was still running (leaving a page within
        # a second of a map appearing). The page keeps working; it is recorded apart so that
        # every other error still fails the tests. Tracked in the session note for an upstream fix.
        target = upstream if "reading '_rangeSliderData'" in str(exc) else errors
        target.append(f"pageerror: {exc}")

    pg.on("pageerror", on_pageerror)
    pg.console_errors = errors
    pg.upstream_plotly_errors = upstream
    pg.blocked_requests = blocked
    try:
        yield pg
    finally:
        context.close()


def wait_for_maps_drawn(pg, timeout_ms: int = 30000) -> None:
    """Wait until every MapLibre map on the page has finished drawing.

    MapLibre draws asynchronously after plotly has the data; leaving the page before it is done
    makes plotly.js throw "reading '_rangeSliderData'" from the unmounted graph (an upstream race).
    """
    pg.wait_for_function(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot')).every(gd => {
               const sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
               return !sub || (sub.map && sub.map.loaded());
           })""",
        timeout=timeout_ms,
    )


def wait_for_dash_idle(pg, timeout_ms: int = 30000) -> None:
    """Wait until the Dash app is mounted, its fonts are loaded and no callback is in flight.

    dash-renderer shows ``._dash-loading`` until the layout is mounted and
    ``._dash-loading-callback`` while any callback is pending; a component whose props a
    callback is computing carries ``data-dash-is-loading="true"``.
    """
    pg.wait_for_function(
        """() => {
               const root = document.getElementById('react-entry-point');
               return document.readyState === 'complete' && document.fonts.status === 'loaded'
                   && root !== null && root.querySelector('._dash-loading') === null
                   && document.querySelector('._dash-loading-callback') === null
                   && document.querySelector('[data-dash-is-loading="true"]') === null;
           }""",
        timeout=timeout_ms,
    )


def screenshot(pg, name: str) -> Path:
    """Save a full-page screenshot to docs/screenshots/<name>.png and return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    wait_for_dash_idle(pg)  # every callback's output is on the page, in its font
    wait_for_maps_drawn(pg)  # so the screenshot shows the polygons
    pg.screenshot(path=str(path), full_page=True)
    return path


def wait_for_graph(pg, graph_id: str, *, min_traces: int = 1, timeout_ms: int = 30000) -> list:
    """Wait until dcc.Graph ``graph_id`` has drawn at least ``min_traces`` traces; return them."""
    pg.wait_for_function(
        """([id, n]) => { const el = document.getElementById(id);
             const gd = el && el.querySelector('.js-plotly-plot');
             return gd && gd.data && gd.data.length >= n; }""",
        arg=[graph_id, min_traces],
        timeout=timeout_ms,
    )
    return pg.evaluate(
        """(id) => document.getElementById(id).querySelector('.js-plotly-plot').data
                   .map(t => ({type: t.type, name: t.name, uid: t.uid, meta: t.meta,
                               n: (t.lat || t.locations || t.x || []).length,
                               locations: t.locations || null, ids: t.ids || null,
                               customdata: t.customdata || null, lat: t.lat || null,
                               lon: t.lon || null, visible: t.visible}))""",
        graph_id,
    )
