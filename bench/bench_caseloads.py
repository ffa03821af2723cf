"""Benchmark of planning.caseloads on a seeded district and the demo data (issues 5 and 11).

For each method: PE count ÷ lower bound ⌈people ÷ people per PE⌉, the caseload radius (largest
distance from a caseload's centre to its spots: mean and largest over PEs), mean distance from a
spot to its PE's centre, and time (one core). Methods: ours (planning.caseloads), k-means + bin
packing and a plain Hilbert-curve fill with the same walking limit (bench/caseloads_baseline.py).
Then the trade-off curve: our PEs against the walking limit.

    .venv/bin/python bench/bench_caseloads.py [--spots 10000] [--seed 3] [--no-demo]
        [--limits 0.25,0.5,1,2,3,5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from bench.caseloads_baseline import (
    hilbert_fill_caseloads,
    kmeans_binpack_caseloads,
    synthetic_spots,
)
from planning.caseloads import (
    WALKING_LIMIT_KM_DEFAULT,
    CaseloadParams,
    assign_caseloads,
    district_caseloads,
    lower_bound,
    mean_distance_to_centre_km,
)


def radius_km(assignments: pd.DataFrame, spots: pd.DataFrame) -> pd.Series:
    """Per PE: largest distance (km) from the caseload's centre (mean of its spots) to a spot."""
    a = assignments.join(spots.set_index("hotspot_id")[["x_m", "y_m"]], on="hotspot_id")
    c = a.groupby("pe_id")[["x_m", "y_m"]].transform("mean")
    return np.hypot(a["x_m"] - c["x_m"], a["y_m"] - c["y_m"]).groupby(a["pe_id"]).max() / 1000


def measure(
    name: str, run: Callable[[], pd.DataFrame], spots: pd.DataFrame, people_per_pe: float
) -> dict[str, float | str]:
    """Figures of one method: its assignments [hotspot_id, pe_id, people] from ``run()``."""
    t0 = time.perf_counter()
    assignments = run()
    seconds = time.perf_counter() - t0
    radius = radius_km(assignments, spots)
    lb = lower_bound(float(spots["people"].sum()), people_per_pe)
    return {
        "method": name,
        "seconds": seconds,
        "pes": int(assignments["pe_id"].nunique()),
        "ratio": assignments["pe_id"].nunique() / lb,
        "mean_radius_km": float(radius.mean()),
        "max_radius_km": float(radius.max()),
        "centre_km": mean_distance_to_centre_km(assignments, spots),
    }


def compare(spots: pd.DataFrame, people_per_pe: float = 60) -> pd.DataFrame:
    """One row per method on one set of spots (hotspot_id, x_m, y_m, people)."""
    limit = WALKING_LIMIT_KM_DEFAULT
    return pd.DataFrame(
        [
            measure(
                "ours",
                lambda: assign_caseloads(spots, people_per_pe=people_per_pe).assignments,
                spots,
                people_per_pe,
            ),
            measure(
                "k-means + bin packing",
                lambda: kmeans_binpack_caseloads(spots, people_per_pe=people_per_pe),
                spots,
                people_per_pe,
            ),
            measure(
                f"Hilbert fill, {limit:g} km",
                lambda: hilbert_fill_caseloads(
                    spots, people_per_pe=people_per_pe, walking_limit_km=limit
                ),
                spots,
                people_per_pe,
            ),
        ]
    )


def show(table: pd.DataFrame) -> None:
    """Print a method table."""
    print(
        f"  {'method':<24} {'PEs':>6} {'÷ bound':>8} {'radius mean':>12} {'largest':>8} "
        f"{'spot→centre':>12} {'time':>7}"
    )
    for r in table.itertuples(index=False):
        print(
            f"  {r.method:<24} {r.pes:>6} {r.ratio:>8.3f} {r.mean_radius_km:>9.3f} km "
            f"{r.max_radius_km:>5.2f} km {r.centre_km:>9.3f} km {r.seconds:>6.2f}s"
        )


def main() -> None:
    """Print the figures (seeded district, trade-off curve, then the demo dataset)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spots", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--limits", default="0.25,0.5,1,2,3,5")
    parser.add_argument("--no-demo", action="store_true")
    args = parser.parse_args()
    spots = synthetic_spots(args.spots, seed=args.seed)
    lb = lower_bound(float(spots["people"].sum()), 60)
    print(
        f"seeded district: {len(spots)} hotspots, {spots['people'].sum():.0f} people, "
        f"seed {args.seed}, lower bound {lb} PEs at 60 people each"
    )
    show(compare(spots))
    print("trade-off: PEs against the walking limit, ours and the Hilbert fill at the same limit")
    for limit in (float(v) for v in args.limits.split(",")):
        t0 = time.perf_counter()
        r = assign_caseloads(spots, people_per_pe=60, walking_limit_km=limit)
        seconds = time.perf_counter() - t0
        h = hilbert_fill_caseloads(spots, people_per_pe=60, walking_limit_km=limit)
        print(
            f"  limit {limit:>5g} km: ours {r.pe_count:>5} PEs = {r.ratio_to_lower_bound:.3f} × "
            f"bound, radius mean {radius_km(r.assignments, spots).mean():.3f} km, "
            f"spot→centre {mean_distance_to_centre_km(r.assignments, spots):.3f} km, "
            f"{r.isolated_hotspots} isolated, {seconds:.1f} s | Hilbert "
            f"{h['pe_id'].nunique() / lb:.3f} × bound, radius mean "
            f"{radius_km(h, spots).mean():.3f} km, "
            f"spot→centre {mean_distance_to_centre_km(h, spots):.3f} km"
        )
    if args.no_demo:
        return
    from data_loaders.dataset import load_dataset

    ds = load_dataset(Path(__file__).resolve().parents[1] / "data" / "demo")
    tables = []
    for d in sorted(set(ds.hotspots["district"])):
        r = district_caseloads(ds.hotspots, ds.crs_projected, CaseloadParams(), district=d)
        tables.append(compare(r.spots).assign(spots=len(r.spots), bound=r.lower_bound))
    t = pd.concat(tables)
    total = t.groupby("method", sort=False).agg(
        pes=("pes", "sum"), bound=("bound", "sum"), seconds=("seconds", "sum")
    )
    print(f"demo dataset: {ds.hotspots.shape[0]} hotspots in {len(tables)} districts")
    for method, row in total.iterrows():
        g = t[t["method"] == method]
        w = g["spots"] / g["spots"].sum()
        print(
            f"  {method:<24} {row['pes']:>6} PEs = {row['pes'] / row['bound']:.3f} × bound, "
            f"spot→centre {np.sum(w * g['centre_km']):.3f} km, "
            f"largest radius {g['max_radius_km'].max():.2f} km, {row['seconds']:.2f} s"
        )


if __name__ == "__main__":
    main()
