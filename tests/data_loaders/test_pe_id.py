"""A `pe_id` column in hotspots.csv survives loading and is held fixed when caseloads are
re-planned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from data_loaders.dataset import load_dataset
from planning.caseloads import CaseloadParams, district_caseloads

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def test_pe_id_column_is_loaded_and_held_fixed(tmp_path: Path) -> None:
    folder = tmp_path / "remapped"
    shutil.copytree(DEMO, folder)
    hotspots = pd.read_csv(folder / "hotspots.csv", dtype=str, keep_default_na=False)
    in_neno = hotspots.index[hotspots["district"] == "Neno"]
    # A site manager's current assignment: the first three Neno spots with one PE, the rest
    # unassigned.
    hotspots["pe_id"] = ""
    hotspots.loc[in_neno[:3], "pe_id"] = "PE-MARY"
    hotspots.to_csv(folder / "hotspots.csv", index=False)

    dataset = load_dataset(folder)
    assert not dataset.report.has_errors
    loaded = dataset.hotspots.set_index("hotspot_id")["pe_id"]
    kept_ids = list(hotspots.loc[in_neno[:3], "hotspot_id"])
    assert list(loaded[kept_ids]) == ["PE-MARY"] * 3
    assert (loaded.drop(kept_ids) == "").all()

    result = district_caseloads(
        dataset.hotspots, dataset.crs_projected, CaseloadParams(), district="Neno"
    )
    assigned = result.assignments.set_index("hotspot_id")["pe_id"]
    assert all(assigned[h] == "PE-MARY" for h in kept_ids)
    # The other Neno spots were placed too, none of them silently dropped.
    assert set(assigned.index) == set(hotspots.loc[in_neno, "hotspot_id"])
