"""Benchmark of the full plan (planning.plan.build_plan) on synthetic national datasets; prints a
table.

    python bench/bench_plan.py    # 10k and 100k hotspots, 2k sites, Malawi's 28 districts
    python bench/bench_plan.py --sizes 100000 --districts 400 --boundaries grid

Each size runs in its own subprocess (clean memory figures) on one core: plan time is the
median of --repeat runs with the data already in memory (load excluded); "load + plan" reads a
dataset folder written by bench/synthetic.py with data_loaders.dataset.load_dataset first.
Peak memory: tracemalloc's peak during one build_plan (Python and numpy allocations) and the
process's peak RSS (includes the interpreter, libraries and the generated data).
Target (issue 3): under 1 s and under 1 GB for 100k hotspots, load excluded.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def measure(
    n_hotspots: int, m_sites: int, k_districts: int, boundaries: str, repeat: int, with_load: bool
) -> dict:
    """Figures for one dataset size (run inside a fresh process)."""
    from bench.synthetic import synthetic_dataset, write_dataset_folder
    from planning.plan import build_plan
    from planning.scenario import Scenario

    dataset = synthetic_dataset(n_hotspots, m_sites, k_districts, boundaries=boundaries, seed=1)
    scenario = Scenario(
        max_pe=max(1, n_hotspots // 50),
        pe_stipend_usd_month=15,
        orw_salary_usd_month=300,
        condom_unit_cost_usd=0.03,
    )
    build_plan(dataset, scenario)  # warm-up: imports, pyproj transformer cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        plan = build_plan(dataset, scenario)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    build_plan(dataset, scenario)
    _, peak_traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    row = {
        "hotspots": len(dataset.hotspots),
        "sites": len(dataset.sites),
        "districts": len(dataset.boundaries),
        "plan_s": statistics.median(times),
        "plan_peak_traced_mb": peak_traced / 2**20,
        "peer_educators": int(plan.totals["peer_educators"]),
    }
    if with_load:
        from data_loaders.dataset import load_dataset

        with tempfile.TemporaryDirectory(prefix="bench_plan_") as folder:
            write_dataset_folder(dataset, folder)
            start = time.perf_counter()
            loaded = load_dataset(folder)
            row["load_s"] = time.perf_counter() - start
            start = time.perf_counter()
            again = build_plan(loaded, scenario)
            row["load_plan_s"] = row["load_s"] + time.perf_counter() - start
            row["same_totals"] = again.totals["peer_educators"] == plan.totals["peer_educators"]
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    return row


def main(argv: list[str] | None = None) -> int:
    """Run each size in a subprocess and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000], help="hotspot counts"
    )
    parser.add_argument("--sites", type=int, default=2_000)
    parser.add_argument(
        "--districts", type=int, default=28, help="grid districts (with --boundaries grid)"
    )
    parser.add_argument("--boundaries", choices=["demo", "grid"], default="demo")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--no-load", dest="with_load", action="store_false", help="skip the load + plan timing"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(
            json.dumps(
                measure(
                    args.one,
                    args.sites,
                    args.districts,
                    args.boundaries,
                    args.repeat,
                    args.with_load,
                )
            )
        )
        return 0
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    rows = []
    for n in args.sizes:
        cmd = [
            sys.executable,
            __file__,
            "--one",
            str(n),
            "--sites",
            str(args.sites),
            "--districts",
            str(args.districts),
            "--boundaries",
            args.boundaries,
            "--repeat",
            str(args.repeat),
        ] + ([] if args.with_load else ["--no-load"])
        if hasattr(os, "sched_setaffinity"):  # one core, as the target says
            cmd = ["taskset", "-c", "0", *cmd] if Path("/usr/bin/taskset").exists() else cmd
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    header = (
        f"{'hotspots':>9} {'sites':>6} {'districts':>9} {'plan s':>7} {'plan peak MB':>12} "
        f"{'load s':>7} {'load+plan s':>11} {'peak RSS MB':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['hotspots']:>9,} {r['sites']:>6,} {r['districts']:>9} {r['plan_s']:>7.3f} "
            f"{r['plan_peak_traced_mb']:>12.1f} {r.get('load_s', float('nan')):>7.2f} "
            f"{r.get('load_plan_s', float('nan')):>11.2f} {r['peak_rss_mb']:>11.0f}"
        )
    print("target: 100k hotspots under 1 s and under 1 GB, load excluded (one core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
