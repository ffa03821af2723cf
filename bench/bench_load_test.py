"""Load test: N simulated users replaying real callback payloads against a running server.

1. Record: headless Chromium opens Overview, Map and Scenarios (with a few scenario variants in
   the URL, so caches see different keys) and every ``/_dash-update-component`` request the
   pages send is kept with its body: these are real payloads, in the order a page load sends
   them.
2. Replay: N users (threads), each repeatedly "loads a page": sends that page's recorded
   callbacks one after another on its own keep-alive connection, for T seconds or until M
   requests in all. A response other than 200/204 is an error.
3. Report: requests, errors, p50/p95/p99 latency, requests per second, and the resident memory
   (RSS) of every server process (the gunicorn master and workers: the process at --pid and its
   children, from /proc).

    .venv/bin/python bench/bench_load_test.py --url http://127.0.0.1:8050 --pid PID
        [--users 50] [--seconds 60] [--max-requests 200000]
    .venv/bin/python bench/bench_load_test.py --serve [--workers 4]   # starts `make serve` itself

Not a test: figures go in the notes and the README. The load generator shares the machine's
cores with the server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PAGES = (
    "/",
    "/?target=0.6",
    "/map",
    "/scenarios",
    "/scenarios?people_per_pe=50&target=0.9",
    "/scenarios?people_per_pe=75&target=0.7",
)


@dataclass
class Recorded:
    """The callback requests one page load sent: (path, body, content type) in order."""

    page: str
    requests: list[tuple[str, bytes, str]] = field(default_factory=list)


def record(base_url: str, pages: tuple[str, ...] = PAGES) -> list[Recorded]:
    """Open each page in headless Chromium and keep the callback requests it sends."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for page_path in pages:
                rec = Recorded(page_path)
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost")
                        else route.abort()
                    ),
                )

                def keep(request, rec: Recorded = rec) -> None:
                    if "/_dash-update-component" in request.url and request.method == "POST":
                        rec.requests.append(
                            (
                                urlparse(request.url).path,
                                request.post_data_buffer or b"",
                                request.headers.get("content-type", "application/json"),
                            )
                        )

                page.on("request", keep)
                page.goto(base_url + page_path, wait_until="networkidle", timeout=120_000)
                page.wait_for_timeout(1500)
                context.close()
                out.append(rec)
        finally:
            browser.close()
    return out


@dataclass
class Results:
    """Latencies (seconds) and error descriptions of a replay."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def replay(
    base_url: str,
    recorded: list[Recorded],
    users: int,
    seconds: float,
    max_requests: int,
) -> tuple[Results, float]:
    """Run ``users`` threads replaying page loads; returns the results and the wall time."""
    target = urlparse(base_url)
    results = Results()
    stop_at = time.monotonic() + seconds
    sent = [0]
    loads = [r for r in recorded if r.requests]

    def user(index: int) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        turn = index
        while time.monotonic() < stop_at:
            rec = loads[turn % len(loads)]
            turn += 1
            for path, body, ctype in rec.requests:
                with results.lock:
                    if sent[0] >= max_requests:
                        return
                    sent[0] += 1
                t0 = time.perf_counter()
                try:
                    conn.request(
                        "POST",
                        path,
                        body=body,
                        headers={"Content-Type": ctype, "Accept-Encoding": "gzip, br"},
                    )
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                    with results.lock:
                        results.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - t0
                with results.lock:
                    results.latencies.append(elapsed)
                    if status not in (200, 204):
                        results.errors.append(f"HTTP {status} on {rec.page}")
                if time.monotonic() >= stop_at:
                    break
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    return results, time.perf_counter() - started


def rss_mb(pid: int) -> dict[int, float]:
    """Resident memory (MB) of ``pid`` and its children (from /proc)."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    out = {}
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[p] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def wait_ready(url: str, seconds: float = 120) -> None:
    """Wait until ``url``/healthz (or / when there is none) answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in ("/healthz", "/"):
            try:
                with urllib.request.urlopen(url + path, timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds:g} s")


def main() -> None:
    """Record, replay, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL of a running server")
    parser.add_argument("--pid", type=int, help="server process id (RSS of it and its children)")
    parser.add_argument("--serve", action="store_true", help="start `make serve` on a free port")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    proc = None
    url, pid = args.url, args.pid
    if args.serve:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            ["make", "-s", "serve", f"PORT={port}", f"WORKERS={args.workers}"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
    if not url:
        parser.error("give --url (and --pid) of a running server, or --serve")
    try:
        wait_ready(url)
        if proc is not None and pid is None:
            pid = _gunicorn_master(proc.pid)
        recorded = record(url)
        n_calls = sum(len(r.requests) for r in recorded)
        print(f"recorded {n_calls} callback requests over {len(recorded)} page loads")
        before = rss_mb(pid) if pid else {}
        results, wall = replay(url, recorded, args.users, args.seconds, args.max_requests)
        after = rss_mb(pid) if pid else {}
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
    lat = results.latencies
    figures = {
        "users": args.users,
        "seconds": round(wall, 1),
        "requests": len(lat),
        "errors": len(results.errors),
        "requests_per_s": round(len(lat) / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(lat, 0.50) * 1000, 1),
        "p95_ms": round(percentile(lat, 0.95) * 1000, 1),
        "p99_ms": round(percentile(lat, 0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None,
        "rss_mb_before": {str(k): round(v) for k, v in before.items()},
        "rss_mb_after": {str(k): round(v) for k, v in after.items()},
        "first_errors": results.errors[:5],
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"{figures['users']} users, {figures['seconds']} s: {figures['requests']} requests "
        f"({figures['requests_per_s']}/s), {figures['errors']} errors; latency p50 "
        f"{figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms"
    )
    print(f"RSS MB per server process, before: {figures['rss_mb_before']}")
    print(f"RSS MB per server process, after:  {figures['rss_mb_after']}")
    for e in figures["first_errors"]:
        print(f"  error: {e}")


def _gunicorn_master(make_pid: int) -> int | None:
    """The gunicorn master under the `make serve` process group (None when not found)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["ps", "-o", "pid=,args=", "-g", str(make_pid)], capture_output=True, text=True
        ).stdout
        # the master starts first: the lowest pid among the group's gunicorn processes
        pids = [int(line.split()[0]) for line in out.splitlines() if "gunicorn" in line]
        if pids:
            return min(pids)
        time.sleep(0.5)
    return None


if __name__ == "__main__":
    main()
