"""The vendored plotly.js (assets/vendor/plotly/plotly-kp.min.js, the app's trace types only)
against plotly.py's full bundle, in headless Chromium: time to load and evaluate the script, and
time to the first plot of a small map and heat map.

    .venv/bin/python bench/bench_plotly_bundle.py [--runs 5]

Each run opens a bare page (served from a local folder, no Dash) in a fresh browser context for
each bundle, alternating, and reads performance.now() before the script tag, after it, and when
Plotly.newPlot resolves. Prints every run and the medians, and the vendored ÷ full ratio of each.
Not a test: figures for the session note.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

BUNDLES = {
    "vendored (app traces)": ROOT / "assets" / "vendor" / "plotly" / "plotly-kp.min.js",
    "plotly.py full bundle": None,  # found at run time (plotly's package data)
}
PAGE = """<!doctype html><html><body><div id="g" style="width:800px;height:600px"></div>
<script>window.t0 = performance.now();</script><script src="/{name}"></script>
<script>window.t1 = performance.now();
Plotly.newPlot('g', [
  {{type: 'scattermap', lat: [-13, -14], lon: [33, 34]}},
  {{type: 'heatmap', z: [[1, 2], [3, 4]], xaxis: 'x', yaxis: 'y'}}
], {{map: {{style: 'white-bg', center: {{lat: -13.5, lon: 33.5}}, zoom: 5}},
     xaxis: {{domain: [0, 0.3]}}, yaxis: {{domain: [0, 0.3]}}}})
  .then(() => {{ window.t2 = performance.now(); }});
</script></body></html>"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass


def full_bundle() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench_plotly_"))
    sources = {k: (v if v is not None else full_bundle()) for k, v in BUNDLES.items()}
    for i, source in enumerate(sources.values()):
        shutil.copy(source, folder / f"bundle{i}.js")
        (folder / f"page{i}.html").write_text(PAGE.format(name=f"bundle{i}.js"), encoding="utf-8")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    results: dict[str, list[tuple[float, float]]] = {label: [] for label in sources}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for run in range(args.runs):
                for i, label in enumerate(sources):
                    context = browser.new_context()
                    page = context.new_page()
                    errors: list[str] = []
                    page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                    page.goto(f"http://127.0.0.1:{port}/page{i}.html")
                    page.wait_for_function("window.t2", timeout=120_000)
                    t0, t1, t2 = page.evaluate("[window.t0, window.t1, window.t2]")
                    context.close()
                    results[label].append((t1 - t0, t2 - t1))
                    print(
                        f"run {run + 1} {label:24} load+evaluate {t1 - t0:6.0f} ms  "
                        f"first plot {t2 - t1:6.0f} ms  errors {errors or 'none'}"
                    )
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    medians = {
        label: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        for label, runs in results.items()
    }
    print()
    for label, source in sources.items():
        load, plot = medians[label]
        print(
            f"{label:24} {source.stat().st_size / 1e6:4.1f} MB  median load+evaluate "
            f"{load:5.0f} ms, first plot {plot:5.0f} ms"
        )
    (vendored, full) = (medians[label] for label in sources)
    print(
        f"vendored ÷ full: load+evaluate {vendored[0] / full[0]:.2f}, first plot "
        f"{vendored[1] / full[1]:.2f}, both {(vendored[0] + vendored[1]) / (full[0] + full[1]):.2f}"
    )


if __name__ == "__main__":
    main()
