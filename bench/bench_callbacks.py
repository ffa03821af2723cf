"""Server-side time of the Map and Data page callbacks on the demo data (target < 300 ms each).

Posts the same JSON a browser sends to /_dash-update-component through Flask's test client,
so the figure is built and serialised exactly as in the app. Prints the median and the
worst of several runs per case, after one warm-up (dataset load and plan are cached then).

    .venv/bin/python bench/bench_callbacks.py [--aggregate] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _payload(app, output_key: str, values: dict[str, object]) -> dict:
    """A /_dash-update-component body for the callback whose output key is ``output_key``."""
    spec = app.callback_map[output_key]
    inputs = [{**i, "value": values.get(i["id"])} for i in spec["inputs"]]
    state = [{**s, "value": values.get(s["id"])} for s in spec["state"]]
    outputs = [
        {"id": o.split(".")[0], "property": o.split(".")[1]}
        for o in output_key.strip(".").split("...")
    ]
    return {
        "output": output_key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }


def _key(app, fragment: str) -> str:
    return next(k for k in app.callback_map if fragment in k)


def main() -> None:
    """Time each case and print one line per case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aggregate", action="store_true")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from app import create_app
    from config import Settings

    dash_app = create_app(Settings(aggregate_only=args.aggregate))
    client = dash_app.server.test_client()
    client.get("/")  # Dash registers the page callbacks on the first request
    map_key = _key(dash_app, "map-graph.figure")
    base = {
        "map-layers": ["districts", "hotspots", "sites"],
        "map-metric": "coverage_mid",
        "map-colour-by": "typology",
        "map-distance-km": 5,
    }
    cases = {
        "map: default layers": base,
        "map: + catchment rings 10 km": {
            **base,
            "map-layers": ["districts", "hotspots", "sites", "rings"],
            "map-distance-km": 10,
        },
        "map: colour by coverage, metric gap": {
            **base,
            "map-colour-by": "coverage",
            "map-metric": "gap",
        },
        "map: region Southern, typology bar": {
            **base,
            "map-filter-region": ["Southern"],
            "map-filter-typology": ["bar"],
        },
        "map: district selected (zoom + summary)": {**base, "map-selected-district": "Blantyre"},
        "map: districts only": {**base, "map-layers": ["districts"]},
    }
    status_key = _key(dash_app, "dataset-status.children")
    payloads = {
        name: (map_key, _payload(dash_app, map_key, values)) for name, values in cases.items()
    }
    payloads["shell: dataset status"] = (status_key, _payload(dash_app, status_key, {}))
    if not args.aggregate:
        report_key = _key(dash_app, "data-current-report.children")
        payloads["data: current report"] = (report_key, _payload(dash_app, report_key, {}))
    client.post("/_dash-update-component", json=payloads["map: default layers"][1])  # warm-up
    print(f"{'case':45s} {'median ms':>10s} {'max ms':>8s} {'kB':>7s}")
    for name, (_payload_key, body) in payloads.items():
        times = []
        size = 0
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.post("/_dash-update-component", json=body)
            times.append(1000 * (time.perf_counter() - started))
            if response.status_code != 200:
                raise SystemExit(
                    f"{name}: HTTP {response.status_code}: {response.get_data(as_text=True)[:300]}"
                )
            size = len(response.get_data())
        print(f"{name:45s} {statistics.median(times):10.0f} {max(times):8.0f} {size / 1024:7.0f}")


if __name__ == "__main__":
    main()
