"""Tests for bench/synthetic.py: seeded, sized as asked, and readable by the real loader."""

from __future__ import annotations

from bench.synthetic import grid_boundaries, synthetic_dataset, write_dataset_folder
from data_loaders.dataset import load_dataset
from planning.plan import build_plan
from planning.scenario import Scenario


def test_sizes_seed_and_districts():
    a = synthetic_dataset(500, 40, 9, seed=3)
    b = synthetic_dataset(500, 40, 9, seed=3)
    assert (len(a.hotspots), len(a.sites), len(a.boundaries)) == (500, 40, 9)
    assert a.hotspots["hotspot_id"].is_unique and a.hotspots.equals(b.hotspots)
    assert (a.hotspots["peak_min"] <= a.hotspots["peak_max"]).all()
    assert (a.hotspots["typical_min"] <= a.hotspots["typical_max"]).all()
    assert not synthetic_dataset(500, 40, 9, seed=4).hotspots.equals(a.hotspots)
    grid = grid_boundaries(9)
    assert (
        grid["area_km2"].between(400, 600).all()
    )  # 0.2° squares near 13° S: about 21.7 km × 22.1 km


def test_written_folder_loads_cleanly_and_plans_the_same(tmp_path):
    ds = synthetic_dataset(800, 60, 12, seed=5)
    loaded = load_dataset(write_dataset_folder(ds, tmp_path / "synthetic"))
    assert not loaded.report.has_errors
    assert loaded.report.files["hotspots"].accepted == 800
    assert loaded.synthetic
    here, there = build_plan(ds, Scenario()), build_plan(loaded, Scenario())
    for key in ("peer_educators", "enrolled", "hotspots", "outreach_workers"):
        assert here.totals[key] == there.totals[key]
    assert here.totals["share_within_distance"] == there.totals["share_within_distance"]
