"""Benchmark of data_loaders.dataset.load_dataset on a large hotspots file; prints wall and CPU
seconds.

    python bench/bench_load.py                 # 10k and 100k hotspots
    python bench/bench_load.py --sizes 250000

Hotspots are resampled from data/demo/hotspots.csv with new ids and ~100 m of jitter (so a few
land across a district border and give the "stated district disagrees" warning); boundaries,
sites and enrolment are the demo's. Target (issue 2): 100k hotspots load in a few seconds.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from data_loaders.dataset import load_dataset

DEMO = ROOT / "data" / "demo"


def write_folder(folder: Path, n_hotspots: int, seed: int = 1) -> None:
    """A dataset folder with ``n_hotspots`` resampled demo hotspots."""
    for name in ("boundaries.geojson", "sites.csv", "enrolment.csv", "dataset.toml"):
        shutil.copy(DEMO / name, folder / name)
    demo = pd.read_csv(DEMO / "hotspots.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    big = demo.sample(n_hotspots, replace=True, random_state=seed).reset_index(drop=True)
    big.loc[: len(demo) - 1, "hotspot_id"] = demo["hotspot_id"].to_numpy()[
        : min(len(demo), n_hotspots)
    ]
    big.loc[len(demo) :, "hotspot_id"] = [f"HX-{i:07d}" for i in range(len(demo), n_hotspots)]
    for col in ("latitude", "longitude"):
        big[col] = (big[col].astype(float) + rng.normal(0, 0.001, n_hotspots)).round(6).astype(str)
    big.to_csv(folder / "hotspots.csv", index=False)


def main() -> None:
    """Print one line per size: rows, wall s, CPU s, errors, warnings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(f"{'hotspots':>9}  {'wall_s':>7}  {'cpu_s':>6}  {'errors':>6}  {'warnings':>8}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_folder(folder, n)
            wall, cpu = time.perf_counter(), time.process_time()
            report = load_dataset(folder).report
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"{n:>9}  {wall:>7.2f}  {cpu:>6.2f}  {len(report.errors()):>6}  "
            f"{len(report.warnings()):>8}"
        )


if __name__ == "__main__":
    main()
