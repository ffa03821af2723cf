"""The Outreach page in headless Chromium on a 100k-hotspot country and on a 10,000-spot district:
time until the caseload map and the PE grid are drawn, and the bytes of each callback's response.

    .venv/bin/python bench/bench_outreach_page.py [--hotspots 100000] [--sites 2000]
        [--district-spots 10000] [--keep DIR] [--baseline REF] [--only country|district]
        [--no-cold-start]

Datasets (bench/synthetic.py, seeded, synthetic): N hotspots over Malawi's 28 districts, and one
square district of M spots. For each, the app is started on it (python app.py, as the browser
tests do) and the page is opened three times in a fresh browser context:

- "warm-up": /outreach?site=<first site>&distance_km=0.5, a tiny catchment (loads the dataset,
  once per server, without planning the district);
- "cold": /outreach?district=<largest district>: caseloads computed (a background callback above
  pages.outreach.BACKGROUND_MIN_SPOTS spots), figures sent and drawn;
- "again": the same link in a new context (the plan is memoised; only sending and drawing);
- "floor": the smallest district, twice, the faster kept: the page's fixed cost in the same app.

Times are from navigation to: the map drawn (MapLibre finished with the district's caseload
outlines), the grid drawn (its first row and the PE count in the summary), and the calendar
(the first PE's week). Bytes: every /_dash-update-component response of the visit, by output.
Long tasks: the browser's main-thread tasks over 50 ms (PerformanceObserver), in total.

Each dataset is served by each of these apps, one after the other in the same run: "baseline",
the app as of git REF (``--baseline``, default main; extracted with ``git archive``, nothing
checked out), "new", this checkout as served (the caseloads of large districts planned at start,
services.caseload_plans; the bench waits for them after the warm-up visit, so "cold" is the first
visit once the server's start-up work is done), and "new, no warm-up" (KP_WARM_UP_CASELOADS=0:
the first visit plans the district). The last lines give new ÷ baseline of each time. Not a
test: prints a table for the session note.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synthetic import synthetic_dataset, write_dataset_folder
from config import Settings
from services.background import cache_folder
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    is_local,
    start_app,
    stop_app,
    wait_for_dash_idle,
)

TIMEOUT_MS = 15 * 60 * 1000
LONG_TASKS = """
window.__longTasks = 0;
new PerformanceObserver(list => {
    for (const e of list.getEntries()) window.__longTasks += e.duration;
}).observe({entryTypes: ['longtask']});
"""
MAP_DRAWN = """(name) => { const gd = document.querySelector('#out-caseload-map .js-plotly-plot');
    const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    return gd && gd.layout && gd.layout.title && gd.layout.title.text.endsWith(' in ' + name)
        && gd.data.some(t => t.meta === 'outlines') && sub && sub.map && sub.map.loaded(); }"""
GRID_DRAWN = """() => document.querySelector('#out-pe-grid .ag-row[row-index="0"]') !== null
    && (document.querySelector('#out-pe-count') || {}).innerText"""
CALENDAR_DRAWN = "() => (document.querySelector('#out-calendar-head') || {}).innerText"


def build(folder: Path, hotspots: int, sites: int, district_spots: int) -> dict[str, Path]:
    """The two dataset folders: the country and the one-district set."""
    country = synthetic_dataset(hotspots, sites, 28, boundaries="demo", seed=1)
    district = synthetic_dataset(
        district_spots, max(1, district_spots // 50), 1, boundaries="grid", seed=3
    )
    return {
        f"{hotspots:,}-hotspot country": write_dataset_folder(country, folder / "country"),
        f"{district_spots:,}-spot district": write_dataset_folder(district, folder / "district"),
    }


def visit(browser: Any, url: str, district: str) -> dict[str, Any]:
    """Open the Outreach page for ``district`` in a fresh context; times (s) and bytes."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*", lambda route: route.continue_() if is_local(route.request.url) else route.abort()
    )
    page = context.new_page()
    page.add_init_script(LONG_TASKS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    by_output: dict[str, int] = defaultdict(int)
    polls = [0]
    requests: list[Any] = []
    # kept now, measured after the visit: request.sizes() is a round trip to the browser, and a
    # slow handler would hold up the waits below (it added seconds to every visit)
    page.on("requestfinished", lambda request: requests.append(request))
    started = time.perf_counter()
    page.goto(f"{url}/outreach?{urlencode({'district': district})}")
    page.wait_for_function(MAP_DRAWN, arg=district, timeout=TIMEOUT_MS, polling=100)
    map_s = time.perf_counter() - started
    page.wait_for_function(GRID_DRAWN, timeout=TIMEOUT_MS, polling=100)
    grid_s = time.perf_counter() - started
    page.wait_for_function(CALENDAR_DRAWN, timeout=TIMEOUT_MS, polling=100)
    calendar_s = time.perf_counter() - started
    wait_for_dash_idle(page, TIMEOUT_MS)
    pes = page.inner_text("#out-pe-count").split()[0]
    rows = page.evaluate(
        "() => document.querySelector('#out-pe-grid .ag-root-wrapper') && "
        "dash_ag_grid.getApi('out-pe-grid').getDisplayedRowCount()"
    )
    long_tasks_s = page.evaluate("window.__longTasks") / 1000
    for request in requests:
        if "_dash-update-component" not in request.url:
            continue
        body = request.post_data_json or {}
        by_output[str(body.get("output", "?"))[:60]] += request.sizes()["responseBodySize"]
        polls[0] += "cacheKey=" in request.url
    context.close()
    return {
        "map_s": map_s,
        "grid_s": grid_s,
        "calendar_s": calendar_s,
        "pes": pes,
        "grid_rows": rows,
        "long_tasks_s": long_tasks_s,
        "bytes": dict(by_output),
        "polls": polls[0],
        "errors": errors,
    }


def warm_up(browser: Any, url: str, site: str) -> None:
    """Open the page on a tiny catchment of ``site``, so the server loads the dataset."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/outreach?{urlencode({'site': site, 'distance_km': 0.5})}")
    page.wait_for_function(
        "() => (document.querySelector('#out-area-note') || {}).innerText", timeout=TIMEOUT_MS
    )
    wait_for_dash_idle(page, TIMEOUT_MS)
    context.close()


def first_site(folder: Path) -> str:
    """The first site_id of the folder's sites.csv."""
    import pandas as pd

    return str(pd.read_csv(folder / "sites.csv", usecols=["site_id"], nrows=1)["site_id"][0])


def district_sizes(folder: Path) -> list[tuple[str, int]]:
    """(district, spots), largest first, from the folder's hotspots.csv."""
    import pandas as pd

    counts = pd.read_csv(folder / "hotspots.csv", usecols=["district"])["district"].value_counts()
    return [(str(d), int(n)) for d, n in counts.items()]


def baseline_checkout(ref: str, folder: Path) -> Path:
    """The files of git ``ref`` of this repository, extracted into ``folder`` (git archive reads
    objects only: no index, no worktree touched)."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


WARM_UP = "KP_WARM_UP_CASELOADS"


def wait_for_warm_up(log: Path, timeout_s: float = 900.0) -> float:
    """Seconds until the app's log says its start-up caseload plans are made (after the warm-up
    visit): the "cold" visit is then the first one after the server's start-up work."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if "caseload warm-up:" in log.read_text(encoding="utf-8"):
            break
        time.sleep(0.5)
    return time.perf_counter() - started


def plans_at_start(root: Path, env: dict[str, str]) -> bool:
    """Whether the app of ``root`` with ``env`` plans large districts at start (apps since
    services/caseload_plans.py do unless KP_WARM_UP_CASELOADS=0)."""
    if env.get(WARM_UP) is not None:
        return env[WARM_UP] == "1"
    return (root / "services" / "caseload_plans.py").exists()


def apps(baseline: Path | None) -> dict[str, tuple[Path, dict[str, str]]]:
    """The apps to compare: name -> (checkout, environment)."""
    out: dict[str, tuple[Path, dict[str, str]]] = {}
    if baseline is not None:
        out["baseline"] = (baseline, {})
    out["new"] = (ROOT, {WARM_UP: "1"})
    out["new, no warm-up"] = (ROOT, {WARM_UP: "0"})
    return out


def main(argv: list[str] | None = None) -> None:
    """Build the datasets, open the page on each, print the figures (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hotspots", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=2_000)
    parser.add_argument("--district-spots", type=int, default=10_000)
    parser.add_argument("--keep", help="write the datasets here and keep them")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--baseline", default="main", help="git ref of the baseline app ('' for none)"
    )
    parser.add_argument("--only", choices=("country", "district"), help="one dataset only")
    parser.add_argument(
        "--no-cold-start", action="store_true", help="skip the app without start-up planning"
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_outreach_"))
    results: dict[str, dict[str, Any]] = {}
    try:
        datasets = build(folder, args.hotspots, args.sites, args.district_spots)
        if args.only:
            datasets = {k: v for k, v in datasets.items() if args.only in k}
        base = baseline_checkout(args.baseline, folder / "baseline") if args.baseline else None
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, data in datasets.items():
                sizes = district_sizes(data)
                for app, (root, env) in apps(base).items():
                    if args.no_cold_start and env.get(WARM_UP) == "0":
                        continue
                    # cold means cold: no plan of an earlier run in the shared result cache
                    shutil.rmtree(cache_folder(Settings(data_dir=data)), ignore_errors=True)
                    proc, url, log = start_app(data_dir=data, env=env, root=root)
                    try:
                        t0 = time.perf_counter()
                        warm_up(browser, url, first_site(data))
                        warm_s = time.perf_counter() - t0
                        # an app that plans at start (a baseline too) is measured once it has
                        planned_s = wait_for_warm_up(log) if plans_at_start(root, env) else 0.0
                        largest, spots = sizes[0]
                        cold = visit(browser, url, largest)
                        again = visit(browser, url, largest)
                        # the page's floor: the smallest district, planned in the request
                        floor = [visit(browser, url, sizes[-1][0]) for _ in range(2)]
                    finally:
                        stop_app(proc)
                    results[f"{name} | {app}"] = {
                        "district": largest,
                        "spots": spots,
                        "warm_up_s": warm_s,
                        "planned_ahead_s": planned_s,
                        "cold": cold,
                        "again": again,
                        "floor": min(floor, key=lambda v: v["map_s"]),
                        "floor_district": sizes[-1],
                        "log_tail": log.read_text(encoding="utf-8")[-600:],
                    }
                    log.unlink(missing_ok=True)
            browser.close()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(
        f"{'dataset | app':44} {'district':14} {'spots':>6} {'PEs':>6} {'visit':6} {'map s':>6} "
        f"{'grid s':>6} {'cal s':>6} {'long s':>6} {'MB':>6} {'largest response':>22}"
    )
    for name, r in results.items():
        for kind in ("cold", "again"):
            v = r[kind]
            total = sum(v["bytes"].values())
            output, biggest = max(v["bytes"].items(), key=lambda kv: kv[1])
            print(
                f"{name:44} {r['district']:14} {r['spots']:>6,} {v['pes']:>6} {kind:6} "
                f"{v['map_s']:>6.1f} {v['grid_s']:>6.1f} {v['calendar_s']:>6.1f} "
                f"{v['long_tasks_s']:>6.1f} {total / 1e6:>6.2f} {biggest / 1e6:>8.2f} MB "
                f"{output[:40]}"
            )
    for name, r in results.items():
        print(
            f"\n{name}: warm-up visit (dataset load) {r['warm_up_s']:.1f} s; then waited "
            f"{r['planned_ahead_s']:.1f} s for the start-up caseload plans"
        )
        for kind in ("cold", "again"):
            v = r[kind]
            print(f"  {kind}: {v['polls']} background polls; grid rows {v['grid_rows']}")
            for output, size in sorted(v["bytes"].items(), key=lambda kv: -kv[1])[:5]:
                print(f"    {size / 1e3:>9.1f} kB  {output}")
            if v["errors"]:
                print(f"    page errors: {v['errors']}")
    for name, r in results.items():
        district, spots = r["floor_district"]
        floor = r["floor"]
        print(
            f"\n{name}: floor (smallest district, {district}, {spots:,} spots, best of 2) map "
            f"{floor['map_s']:.1f} s, grid {floor['grid_s']:.1f} s; largest ÷ floor: cold "
            f"{r['cold']['map_s'] / floor['map_s']:.2f}, "
            f"again {r['again']['map_s'] / floor['map_s']:.2f}"
        )
    for name, r in results.items():
        dataset, _, app = name.partition(" | ")
        base_run = results.get(f"{dataset} | baseline")
        if app == "baseline" or base_run is None:
            continue
        ratios = [
            f"{kind} {key[:-2]} {r[kind][key] / base_run[kind][key]:.2f}"
            for kind in ("cold", "again")
            for key in ("map_s", "grid_s", "long_tasks_s")
            if base_run[kind][key]
        ]
        print(f"\n{name} ÷ baseline: " + ", ".join(ratios))
    if args.json:
        print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
