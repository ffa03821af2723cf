"""Benchmark of the optimal allocation (planning.allocation_opt) over many districts, and of
new-site siting (planning.siting) on a national dataset; prints a table.

    python bench/bench_allocation.py     # 800 districts; 10,000 hotspots, K=20, D=5 km
    python bench/bench_allocation.py --districts 200 --hotspots 2000

Times are medians of --repeat runs on one process. Each is also given as a ratio to a baseline
run in the same process on the same data: the priority-order rule (planning.allocation,
the heuristic the page used before issue 16) for the allocation, and the greedy answer (each
step the site adding the most people) for siting. The optimality gap is HiGHS's proven one
((bound − found) ÷ found; 0 = proven optimal), so a time limit shows as a gap, not a wrong figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _median_seconds(run, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def allocation_rows(n_districts: int, repeat: int, time_limit_s: float) -> list[dict]:
    """Optimal vs priority order over ``n_districts`` synthetic districts, three models."""
    from planning.allocation import compared_allocations
    from planning.allocation_opt import CostModel, optimal_allocation

    rng = np.random.default_rng(16)
    target = np.round(rng.lognormal(6.5, 1.1, n_districts))
    need = np.ceil(target / 60).astype("int64")
    order = np.argsort(-target, kind="stable")
    rank = np.empty(n_districts, "int64")
    rank[order] = np.arange(1, n_districts + 1)
    base = {"people_per_pe": 60.0, "pe_per_orw": 6, "min_pe": 6}
    costs = {"pe_stipend_usd_month": 15.0, "orw_salary_usd_month": 300.0,
             "commodity_usd_per_person_month": 1.2}  # fmt: skip
    cases = [
        ("cap 40% of need, F=0, m=6", CostModel(**base), {"cap_pe": int(need.sum() * 0.4)}),
        ("cap 40% of need, F=500, m=6", CostModel(**base, fixed_usd_month=500.0),
         {"cap_pe": int(need.sum() * 0.4)}),
        ("budget 40% of full cost, F=500, m=6", CostModel(**base, fixed_usd_month=500.0, **costs),
         {"budget_usd_month": 0.4 * float(need.sum()) * (15 + 300 / 6 + 60 * 1.2)}),
    ]  # fmt: skip
    rows = []
    for name, model, cap in cases:

        def baseline(model=model, cap=cap):
            return compared_allocations(target, need, order, model, **cap)["priority_"]

        base_s, rule = _median_seconds(baseline, repeat)

        def solve(model=model, cap=cap):
            return optimal_allocation(
                target, need, model, priority_rank=rank, time_limit_s=time_limit_s, **cap
            )

        opt_s, best = _median_seconds(solve, repeat)
        covered_rule = float(np.minimum(target, rule * 60.0).sum())
        rows.append(
            {
                "case": f"allocation, {n_districts} districts: {name}",
                "seconds": opt_s,
                "baseline_seconds": base_s,
                "ratio": opt_s / max(base_s, 1e-9),
                "gap": best.gap,
                "proven": best.proven,
                "result": f"{best.objective:,.0f} people vs {covered_rule:,.0f} priority order",
            }
        )
    return rows


def siting_rows(n_hotspots: int, k: int, distance_km: float, repeat: int, limit: float) -> list:
    """Exact siting vs greedy on a synthetic national dataset."""
    from scipy.spatial import cKDTree

    from bench.synthetic import synthetic_dataset
    from planning import estimates
    from planning.geo import project_lonlat
    from planning.siting import _greedy, cover_matrix, max_covering

    dataset = synthetic_dataset(n_hotspots, max(20, n_hotspots // 100), 28, seed=16)
    spots = estimates.hotspot_estimates(dataset.hotspots)
    people = spots["estimate_mid"].to_numpy()
    hx, hy = project_lonlat(spots["longitude"], spots["latitude"], dataset.crs_projected)
    sx, sy = project_lonlat(
        dataset.sites["longitude"], dataset.sites["latitude"], dataset.crs_projected
    )
    xy = np.column_stack([hx, hy])
    before = cKDTree(np.column_stack([sx, sy])).query(xy)[0] <= distance_km * 1000
    covers = cover_matrix(xy, xy, distance_km)

    def greedy():
        picked = _greedy(people[~before], covers[~before], k)
        hit = np.asarray(covers[~before][:, picked].sum(axis=1)).ravel() > 0
        return people[before].sum() + people[~before][hit].sum()

    base_s, greedy_after = _median_seconds(greedy, repeat)
    opt_s, result = _median_seconds(
        lambda: max_covering(people, covers, before, k, time_limit_s=limit), repeat
    )
    return [
        {
            "case": f"siting, {n_hotspots:,} hotspots (candidates: the hotspots), "
            f"{len(dataset.sites)} existing sites, K={k}, D={distance_km:g} km",
            "seconds": opt_s,
            "baseline_seconds": base_s,
            "ratio": opt_s / max(base_s, 1e-9),
            "gap": result.gap,
            "proven": result.proven,
            "result": f"{result.covered_before:,.0f} → {result.covered_after:,.0f} people "
            f"(greedy {greedy_after:,.0f})",
        }
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=800)
    parser.add_argument("--hotspots", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--distance-km", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args(argv)
    rows = allocation_rows(args.districts, args.repeat, args.time_limit)
    rows += siting_rows(args.hotspots, args.new, args.distance_km, args.repeat, args.time_limit)
    print(f"{'case':<92} {'s':>8} {'base s':>8} {'ratio':>8} {'gap':>9} proven  result")
    for r in rows:
        print(
            f"{r['case']:<92} {r['seconds']:8.3f} {r['baseline_seconds']:8.4f} "
            f"{r['ratio']:8.0f} {r['gap']:9.2e} {r['proven']!s:<6}  {r['result']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
