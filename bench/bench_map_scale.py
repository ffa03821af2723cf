"""The Map page in headless Chromium at 1k, 10k, 30k and 100k hotspots: page ready, bytes of the
first figure response, colour switch click-to-redrawn, zoom to a town, server time per callback.

    .venv/bin/python bench/bench_map_scale.py [--sizes 1000 10000 30000 100000] [--json]

Data: bench/synthetic.py ``synthetic_dataset(n, 2000, 28, boundaries="demo", seed=0)`` (Malawi's
districts, synthetic spots). For each size the app is started on the dataset (python app.py, as
the browser tests do), the shared result cache emptied, and /map opened three times in fresh
browser contexts: "cold" (the first visitor: dataset load, plan, figure), "warm" (a second
visitor: figure answered again), and the interaction run (warm) that then switches the hotspot
colour to coverage and zooms into the largest town.

Signals waited for (polled every 50 ms):
- page ready: the map graph has its district trace and its hotspot trace (points or cells),
  MapLibre reports ``map.loaded()``, and no Dash callback is pending;
- colour switch: from the click on "coverage" until the hotspot trace's marker uses the
  Cividis scale, MapLibre has drawn it and no callback is pending;
- zoom: from the mouse wheel until the map shows single hotspots again (scale note) and is drawn.

Bytes: the response bodies of /_dash-update-component (uncompressed, as the browser decodes
them; the wire carries them gzip/brotli-compressed) by output. Server time: the map callback's
own measurement (``#map-timing``: "built/patched in N ms"). Ratios are against the 1k run of the
same invocation. Not a test: prints a table for the session note.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Error as PlaywrightError

from bench.synthetic import synthetic_dataset, write_dataset_folder
from config import Settings
from services.background import cache_folder
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, is_local, start_app, stop_app

TIMEOUT_MS = 10 * 60 * 1000
IDLE = """(document.querySelector('._dash-loading-callback') === null
    && document.querySelector('[data-dash-is-loading="true"]') === null)"""
READY = f"""() => {{ const gd = document.querySelector('#map-graph .js-plotly-plot');
    const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    return !!(gd && gd.data && gd.data.some(t => t.meta === 'districts')
        && gd.data.some(t => (t.meta === 'hotspots' || t.meta === 'hotspot-cells')
                             && t.lat && t.lat.length > 0)
        && sub && sub.map && sub.map.loaded() && {IDLE}); }}"""
COVERAGE_DRAWN = f"""() => {{ const gd = document.querySelector('#map-graph .js-plotly-plot');
    const sub = gd._fullLayout.map._subplot;
    return gd.data.some(t => (t.meta === 'hotspots' || t.meta === 'hotspot-cells')
                             && t.lat.length > 0 && t.marker.colorscale === 'Cividis')
        && sub.map.loaded() && {IDLE}; }}"""
POINTS_DRAWN = f"""() => {{ const gd = document.querySelector('#map-graph .js-plotly-plot');
    const pts = gd.data.find(t => t.meta === 'hotspots');
    return pts && pts.lat.length > 0 && gd._fullLayout.map._subplot.map.loaded() && {IDLE}; }}"""


def _collector(page: Any) -> list[tuple[str, int, int]]:
    """(output, bytes, gzip bytes) of every callback response of the page, in order."""
    seen: list[tuple[str, int, int]] = []

    def finished(response: Any) -> None:
        if "_dash-update-component" not in response.url:
            return
        try:
            body = response.body()
            output = str((response.request.post_data_json or {}).get("output", "?"))
        except PlaywrightError:  # a response the page already dropped: not counted
            return
        seen.append((output, len(body), len(gzip.compress(body, 6))))

    page.on("response", finished)
    return seen


def _context(browser: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*", lambda route: route.continue_() if is_local(route.request.url) else route.abort()
    )
    return context, context.new_page()


def _map_bytes(seen: list[tuple[str, int, int]]) -> tuple[int, int]:
    for output, size, packed in seen:
        if "map-graph.figure" in output:
            return size, packed
    return 0, 0


def visit(browser: Any, url: str, *, interact: bool) -> dict[str, Any]:
    """Open /map in a fresh context: seconds to ready, bytes; with ``interact`` also the colour
    switch and a zoom to the busiest area."""
    context, page = _context(browser)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    seen = _collector(page)
    started = time.perf_counter()
    page.goto(url + "/map")
    page.wait_for_function(READY, timeout=TIMEOUT_MS, polling=50)
    out: dict[str, Any] = {"ready_s": time.perf_counter() - started}
    out["first_bytes"], out["first_gzip"] = _map_bytes(seen)
    out["first_server"] = page.inner_text("#map-timing")
    out["view"] = page.inner_text("#map-scale-note")[:60]
    if interact:
        page.wait_for_timeout(500)
        before = len(seen)
        started = time.perf_counter()
        page.get_by_label("coverage", exact=True).check()
        page.wait_for_function(COVERAGE_DRAWN, timeout=TIMEOUT_MS, polling=50)
        out["colour_s"] = time.perf_counter() - started
        out["colour_bytes"] = sum(s for o, s, _ in seen[before:] if "map-graph.figure" in o)
        out["colour_server"] = page.inner_text("#map-timing")
        box = page.locator("#map-graph .js-plotly-plot").bounding_box()
        # the busiest cell: zoom there with the mouse wheel, as a user does
        target = page.evaluate(
            """() => { const gd = document.querySelector('#map-graph .js-plotly-plot');
                const t = gd.data.find(d => (d.meta === 'hotspot-cells' || d.meta === 'hotspots')
                                            && d.lat.length);
                let best = 0;
                t.marker.size.forEach((s, i) => { if (s > t.marker.size[best]) best = i; });
                const m = gd._fullLayout.map._subplot.map;
                const p = m.project([t.lon[best], t.lat[best]]);
                return [p.x, p.y]; }"""
        )
        page.mouse.move(box["x"] + target[0], box["y"] + target[1])
        before = len(seen)
        started = time.perf_counter()
        for _ in range(12):
            page.mouse.wheel(0, -400)
            page.wait_for_timeout(120)
            if "one marker each" in page.inner_text("#map-scale-note"):
                break
        try:
            page.wait_for_function(
                "() => document.querySelector('#map-scale-note').innerText.includes('one marker')",
                timeout=60000,
                polling=50,
            )
            page.wait_for_function(POINTS_DRAWN, timeout=TIMEOUT_MS, polling=50)
            out["zoom_s"] = time.perf_counter() - started
        except PlaywrightError:  # reported as not reached, the run goes on
            out["zoom_s"] = float("nan")
        out["zoom_bytes"] = sum(s for o, s, _ in seen[before:] if "map-graph.figure" in o)
        out["zoom_server"] = page.inner_text("#map-timing")
        out["zoom_view"] = page.inner_text("#map-scale-note")[:60]
    out["errors"] = errors
    context.close()
    return out


def main(argv: list[str] | None = None) -> None:
    """Build the datasets, open the map on each, print the figures (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 30000, 100000])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench_map_"))
    results: dict[int, dict[str, Any]] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for n in args.sizes:
                data = write_dataset_folder(
                    synthetic_dataset(n, 2000, 28, boundaries="demo", seed=0), folder / str(n)
                )
                shutil.rmtree(cache_folder(Settings(data_dir=data)), ignore_errors=True)
                proc, url, log = start_app(data_dir=data)
                try:
                    cold = visit(browser, url, interact=False)
                    warm = visit(browser, url, interact=False)
                    run = visit(browser, url, interact=True)
                finally:
                    stop_app(proc)
                results[n] = {"cold": cold, "warm": warm, "run": run}
                log.unlink(missing_ok=True)
                print(f"{n:,}: done", flush=True)
            browser.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    base = results[min(results)]
    print(
        f"\n{'hotspots':>8} {'cold s':>7} {'ready s':>7} {'×1k':>5} {'1st MB':>7} {'gz kB':>6} "
        f"{'colour s':>8} {'col kB':>7} {'zoom s':>7} {'zoom kB':>8}  "
        "server (first / colour / zoom)"
    )
    for n, r in results.items():
        w, i = r["warm"], r["run"]
        print(
            f"{n:>8,} {r['cold']['ready_s']:>7.2f} {w['ready_s']:>7.2f} "
            f"{w['ready_s'] / base['warm']['ready_s']:>5.2f} {w['first_bytes'] / 1e6:>7.3f} "
            f"{w['first_gzip'] / 1e3:>6.0f} {i['colour_s']:>8.2f} {i['colour_bytes'] / 1e3:>7.1f} "
            f"{i['zoom_s']:>7.2f} {i['zoom_bytes'] / 1e3:>8.1f}  {r['cold']['first_server']} / "
            f"{i['colour_server']} / {i['zoom_server']}"
        )
    for n, r in results.items():
        print(f"{n:>8,}: first view: {r['warm']['view']}… ; zoomed: {r['run'].get('zoom_view')}…")
        for kind in ("cold", "warm", "run"):
            if r[kind]["errors"]:
                print(f"   {kind} page errors: {r[kind]['errors']}")
    if args.json:
        print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
