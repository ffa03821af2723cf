"""Server-side time of the Overview and Scenarios callbacks on a dataset (default: the demo);
prints a table.

    .venv/bin/python bench/bench_planner_pages.py [--data DIR] [--repeat 5]

"cold" = a scenario whose plan is not cached yet (build_plan runs inside the callback);
"warm" = the same inputs again (memoised plan). Issue 4 asks for < 300 ms server-side.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _time(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> None:
    """Time each callback function directly (no HTTP), cold and warm, and print milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "demo"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    import dash

    dash.Dash(__name__, use_pages=True, pages_folder="")  # lets the page modules register
    from services import datasets as store

    store.set_default_folder(args.data)
    t0 = time.perf_counter()
    store.get_dataset(None)
    print(f"dataset load (once per server): {(time.perf_counter() - t0) * 1000:.0f} ms")

    from pages import overview as ov
    from pages import scenarios as sc

    ov.show_map("coverage_mid", None, {})  # geojson cache, default plan
    rows: dict[str, list[float]] = {}

    def add(name: str, ms: float) -> None:
        rows.setdefault(name, []).append(ms)

    for i in range(args.repeat):
        q = {"people_per_pe": str(50 + i), "duplication": "0.1"}  # a new plan each round
        add("scenarios.show_results cold", _time(sc.show_results, q, None))
        add("scenarios.show_results warm", _time(sc.show_results, q, None))
        qc = {**q, "max_pe": "300"}
        add("scenarios.show_results cold, cap", _time(sc.show_results, qc, None))
        add("overview.show_overview warm", _time(ov.show_overview, None, q))
        add("overview.show_map warm", _time(ov.show_map, "gap", None, q))
        add("overview.show_trend cold", _time(ov.show_trend, ["Lilongwe"], None, q))
        add(
            "scenarios.update_scenario",
            _time(
                sc.update_scenario,
                *[
                    sc.control_values(sc.Scenario(people_per_pe=50 + i)).get(f)
                    for f in sc.FIELD_IDS
                ],
                "none",
                None,
                "",
            ),
        )
        saved = {"a": q, "b": qc}
        add("scenarios.show_comparison warm", _time(sc.show_comparison, ["a", "b"], None, saved))
        add("scenarios.download_plan first", _time(sc.download_plan, 1, q, None))
        add("scenarios.download_plan again", _time(sc.download_plan, 1, q, None))
        q2 = {"people_per_pe": str(70 - i), "level": "high"}
        add("overview.show_overview cold", _time(ov.show_overview, None, q2))

    print(f"{'callback':40s} {'median ms':>10s} {'max ms':>8s}  (n={args.repeat})")
    for name, values in rows.items():
        print(f"{name:40s} {statistics.median(values):10.0f} {max(values):8.0f}")


if __name__ == "__main__":
    main()
