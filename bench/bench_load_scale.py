"""Benchmark of loading at national scale (issue 14, items 3 and 4): for 1k, 10k, 30k and 100k
hotspots, load + validation against the plain pandas/geopandas floor measured in the same run,
the snapshot read back, and the Excel plan.

    python bench/bench_load_scale.py                       # 1k 10k 30k 100k, best of 3
    python bench/bench_load_scale.py --sizes 100000 --repeat 5 --json out.json

Each size is a dataset folder written by bench/synthetic.py
(``synthetic_dataset(n, 2000, 28, boundaries="demo", seed=0)``: Malawi's 28 districts, 2,000
sites, enrolment for 60% of the hotspots). Columns, each the best (minimum) of --repeat runs,
the floor and the load taking turns so both see the same machine:

- floor_s: pandas.read_csv of hotspots, sites and enrolment + geopandas.read_file of the
  boundaries + one sjoin of the hotspots' points with the districts: reading the same files
  with no validation at all.
- load_s: data_loaders.dataset.load_dataset (read every cell as text, validate every row, two
  spatial joins, the report); ratio = load_s / floor_s (goal: at most 4).
- first_s: services.snapshots.load_folder with no snapshot (validation + writing the snapshot,
  what start-up or an upload's background check pays once); snapshot_s: the same call when
  the snapshot exists (any later start-up, any other worker).
- excel_s: exports.excel_plan.write_plan_xlsx with the Hotspots sheet (the plan built
  beforehand, not timed); cells_s: the same workbook written cell by cell as before issue 14
  (XlsxWriter's write_string / write_number and its default zip level), once (goal: excel_s
  under 2 s at 100k).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import geopandas as gpd
import pandas as pd
import xlsxwriter

from bench.synthetic import synthetic_dataset, write_dataset_folder
from data_loaders.dataset import load_dataset
from exports import excel_plan
from planning.plan import build_plan
from planning.scenario import Scenario
from services import snapshots

SIZES = (1_000, 10_000, 30_000, 100_000)


def floor(folder: Path) -> None:
    """Read the dataset's files with plain pandas/geopandas and join the hotspots to districts."""
    hotspots = pd.read_csv(folder / "hotspots.csv")
    pd.read_csv(folder / "sites.csv")
    pd.read_csv(folder / "enrolment.csv")
    districts = gpd.read_file(folder / "boundaries.geojson")
    points = gpd.GeoDataFrame(
        hotspots,
        geometry=gpd.points_from_xy(hotspots["longitude"], hotspots["latitude"]),
        crs="EPSG:4326",
    )
    gpd.sjoin(points, districts, how="left", predicate="intersects")


def timed(run: Callable[[], object]) -> float:
    """Seconds one call of ``run`` takes (wall clock)."""
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


@contextlib.contextmanager
def cell_by_cell() -> Iterator[None]:
    """write_plan_xlsx as before issue 14 (cell by cell, XlsxWriter's zip level) for the body."""
    saved = excel_plan._ColumnSheet, excel_plan._Workbook
    excel_plan._ColumnSheet, excel_plan._Workbook = excel_plan.CellByCellSheet, xlsxwriter.Workbook  # type: ignore[misc]
    try:
        yield
    finally:
        excel_plan._ColumnSheet, excel_plan._Workbook = saved  # type: ignore[misc]


def measure(n: int, repeat: int, work: Path, baseline: bool) -> dict[str, float | int]:
    """The figures of one size."""
    folder = write_dataset_folder(
        synthetic_dataset(n, 2000, 28, boundaries="demo", seed=0), work / f"hotspots-{n}"
    )
    load_dataset(folder)  # warm-up: imports, pyproj and GDAL caches
    floor(folder)
    floors, loads = [], []
    for _ in range(repeat):
        floors.append(timed(lambda: floor(folder)))
        loads.append(timed(lambda: load_dataset(folder)))
    root = work / f"state-{n}" / "snapshots"
    first = timed(lambda: snapshots.load_folder(folder, root, load_dataset))
    hits = []
    for _ in range(repeat):
        hits.append(timed(lambda: snapshots.load_folder(folder, root, load_dataset)))
    dataset, how = snapshots.load_folder(folder, root, load_dataset)
    assert how == "snapshot"
    plan = build_plan(dataset, Scenario())
    path = work / f"plan-{n}.xlsx"
    excel = [
        timed(lambda: excel_plan.write_plan_xlsx(plan, path, aggregate_only=False))
        for _ in range(repeat)
    ]
    row: dict[str, float | int] = {
        "hotspots": len(dataset.hotspots),
        "floor_s": min(floors),
        "load_s": min(loads),
        "ratio": min(loads) / min(floors),
        "load_median_s": statistics.median(loads),
        "floor_median_s": statistics.median(floors),
        "first_s": first,
        "snapshot_s": min(hits),
        "excel_s": min(excel),
        "excel_mb": path.stat().st_size / 1e6,
    }
    if baseline:
        with cell_by_cell():
            row["cells_s"] = timed(
                lambda: excel_plan.write_plan_xlsx(plan, work / "cells.xlsx", aggregate_only=False)
            )
    return row


def main() -> None:
    """Print one line per size (and write them as JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true", help="skip the cell-by-cell Excel")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    columns = ("hotspots", "floor_s", "load_s", "ratio", "first_s", "snapshot_s")
    columns += ("excel_s", "excel_mb", "cells_s")
    print("  ".join(f"{name:>10}" for name in columns), flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kp-bench-load-") as tmp:
        for n in args.sizes:
            row = measure(n, args.repeat, Path(tmp), baseline=not args.no_baseline)
            rows.append(row)
            cells = [row.get(name) for name in columns]
            print(
                "  ".join(
                    f"{'-':>10}"
                    if v is None
                    else f"{v:>10,}"
                    if isinstance(v, int)
                    else f"{v:>10.2f}"
                    for v in cells
                ),
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
