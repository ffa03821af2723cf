"""Benchmark of planning.caseloads: time for 10,000 hotspots in one district, and PE count ÷ lower
bound, mean distance from a spot to its PE's centre and mean walk around a PE's spots, against the
naive baseline (k-means on coordinates, then first-fit-decreasing bin packing; issue 5).

    .venv/bin/python bench/bench_caseloads.py [--spots 10000] [--seed 3] [--no-demo]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from bench.caseloads_baseline import kmeans_binpack_caseloads, synthetic_spots
from planning.caseloads import (
    CaseloadParams,
    assign_caseloads,
    district_caseloads,
    lower_bound,
    mean_distance_to_centre_km,
    walking_km,
)


def compare(spots: pd.DataFrame, people_per_pe: float = 60) -> dict:
    """Figures of ours and the baseline on one set of spots (hotspot_id, x_m, y_m, people)."""
    t0 = time.perf_counter()
    ours = assign_caseloads(spots, people_per_pe=people_per_pe)
    seconds = time.perf_counter() - t0
    base = kmeans_binpack_caseloads(spots, people_per_pe=people_per_pe)
    lb = lower_bound(float(spots["people"].sum()), people_per_pe)
    return {
        "spots": len(spots),
        "lower_bound": lb,
        "seconds": seconds,
        "ours_pes": ours.pe_count,
        "base_pes": int(base["pe_id"].nunique()),
        "ours_ratio": ours.pe_count / lb,
        "base_ratio": base["pe_id"].nunique() / lb,
        "ours_centre_km": mean_distance_to_centre_km(ours.assignments, spots),
        "base_centre_km": mean_distance_to_centre_km(base, spots),
        "ours_walk_km": float(walking_km(ours.assignments, spots).mean()),
        "base_walk_km": float(walking_km(base, spots).mean()),
    }


def main() -> None:
    """Print the figures (synthetic district, then the demo dataset summed over districts)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spots", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--no-demo", action="store_true")
    args = parser.parse_args()
    spots = synthetic_spots(args.spots, seed=args.seed)
    f = compare(spots)
    print(
        f"synthetic district: {f['spots']} hotspots, {spots['people'].sum():.0f} people, "
        f"seed {args.seed}"
    )
    print(f"  caseloads time (one core): {f['seconds']:.2f} s")
    print(
        f"  PE count / lower bound {f['lower_bound']}: "
        f"ours {f['ours_pes']} = {f['ours_ratio']:.3f}, "
        f"baseline {f['base_pes']} = {f['base_ratio']:.3f}"
    )
    print(
        f"  mean distance spot -> PE centre: ours {f['ours_centre_km']:.3f} km, "
        f"baseline {f['base_centre_km']:.3f} km"
    )
    print(
        f"  mean walk around a PE's spots:   ours {f['ours_walk_km']:.3f} km, "
        f"baseline {f['base_walk_km']:.3f} km"
    )
    if args.no_demo:
        return
    from data_loaders.dataset import load_dataset

    ds = load_dataset(Path(__file__).resolve().parents[1] / "data" / "demo")
    rows = []
    for d in sorted(set(ds.hotspots["district"])):
        r = district_caseloads(ds.hotspots, ds.crs_projected, CaseloadParams(), district=d)
        rows.append(compare(r.spots))
    t = pd.DataFrame(rows)
    n = t["spots"].sum()
    print(f"demo dataset: {len(t)} districts, {n} hotspots")
    print(f"  caseloads time, all districts: {t['seconds'].sum():.2f} s")
    print(
        f"  PE count / lower bound {t['lower_bound'].sum()}: ours {t['ours_pes'].sum()} = "
        f"{t['ours_pes'].sum() / t['lower_bound'].sum():.3f}, baseline {t['base_pes'].sum()} = "
        f"{t['base_pes'].sum() / t['lower_bound'].sum():.3f}"
    )
    w = t["spots"] / n
    print(
        f"  mean distance spot -> PE centre (spot-weighted): "
        f"ours {np.sum(w * t['ours_centre_km']):.3f} km, "
        f"baseline {np.sum(w * t['base_centre_km']):.3f} km"
    )
    wp_o, wp_b = t["ours_pes"] / t["ours_pes"].sum(), t["base_pes"] / t["base_pes"].sum()
    print(
        f"  mean walk around a PE's spots: ours {np.sum(wp_o * t['ours_walk_km']):.3f} km, "
        f"baseline {np.sum(wp_b * t['base_walk_km']):.3f} km"
    )


if __name__ == "__main__":
    main()
