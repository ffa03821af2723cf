"""The fill-in templates (data/templates/build_templates.py): current, complete, and loadable."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from data_loaders.dataset import load_dataset
from planning import schema
from tests.helpers import DEMO_DIR, ROOT, load_script

TEMPLATES_DIR = ROOT / "data" / "templates"
DEMO_BOUNDARIES = DEMO_DIR / "boundaries.geojson"
TEXT_FILES = [
    "README.md", "dataset.toml", "enrolment_template.csv", "hotspots_template.csv",
    "sites_template.csv",
]  # fmt: skip


build_templates = load_script("build_templates", TEMPLATES_DIR / "build_templates.py")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """The templates built into a fresh folder."""
    out = tmp_path_factory.mktemp("templates")
    build_templates.build(out)
    return out


def test_committed_templates_equal_a_fresh_build(fresh):
    for name in TEXT_FILES:
        committed = TEMPLATES_DIR / name
        assert committed.read_bytes() == (fresh / name).read_bytes(), (
            f"{committed} is stale: run python data/templates/build_templates.py"
        )
    committed_wb = openpyxl.load_workbook(TEMPLATES_DIR / "dataset_template.xlsx")
    fresh_wb = openpyxl.load_workbook(fresh / "dataset_template.xlsx")
    assert (
        committed_wb.sheetnames
        == fresh_wb.sheetnames
        == ["README", "hotspots", "sites", "enrolment"]
    )
    for name in fresh_wb.sheetnames:
        assert list(committed_wb[name].values) == list(fresh_wb[name].values), (
            f"sheet {name} is stale"
        )


def test_templates_use_the_canonical_column_names(fresh):
    hotspots = pd.read_csv(fresh / "hotspots_template.csv", dtype=str)
    sites = pd.read_csv(fresh / "sites_template.csv", dtype=str)
    enrolment = pd.read_csv(fresh / "enrolment_template.csv", dtype=str)
    assert set(schema.HOTSPOT_REQUIRED) <= set(hotspots.columns) == set(schema.HOTSPOT_COLUMNS)
    assert set(schema.SITE_REQUIRED) <= set(sites.columns) <= set(schema.SITE_COLUMNS)
    levels = ["hotspot_id", "site_id", "district"]
    enrolment_columns = schema.ENROLMENT_REQUIRED + schema.ENROLMENT_OPTIONAL_COUNTS + levels
    assert set(enrolment_columns) == set(enrolment.columns)
    for frame in (hotspots, sites, enrolment):
        assert 2 <= len(frame) <= 3


def test_readme_table_and_readme_sheet_describe_every_template_column(fresh):
    readme = (fresh / "README.md").read_text(encoding="utf-8")
    sheet_rows = list(openpyxl.load_workbook(fresh / "dataset_template.xlsx")["README"].values)
    described = {(r[0], r[1]) for r in sheet_rows[3:]}
    for file in ["hotspots", "sites", "enrolment"]:
        for column in pd.read_csv(fresh / f"{file}_template.csv", nrows=0).columns:
            assert f"| `{file}` | `{column}` |" in readme, f"{file}.{column} missing from README.md"
            assert (file, column) in described, f"{file}.{column} missing from the README sheet"
    for column in schema.HOTSPOT_REQUIRED:
        assert f"| `hotspots` | `{column}` | yes |" in readme


def _dataset_folder(tmp_path: Path, fresh: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    for file in ["hotspots", "sites", "enrolment"]:
        shutil.copy(fresh / f"{file}_template.csv", folder / f"{file}.csv")
    shutil.copy(DEMO_BOUNDARIES, folder / "boundaries.geojson")
    return folder


def test_filled_csv_templates_load_without_errors(tmp_path, fresh):
    folder = _dataset_folder(tmp_path, fresh)
    # an extra column of the user's own is ignored, as README.md says
    hotspots = pd.read_csv(folder / "hotspots.csv", dtype=str, keep_default_na=False)
    hotspots["our_notes"] = "checked"
    hotspots.to_csv(folder / "hotspots.csv", index=False)
    dataset = load_dataset(folder)
    assert not dataset.report.has_errors, dataset.report.summary_text()
    assert len(dataset.hotspots) == 3 and len(dataset.sites) == 3 and len(dataset.enrolment) == 3
    by_id = dataset.hotspots.set_index("hotspot_id")
    assert by_id.loc["HS-0002", "peak_days"] == "Fri;Sat;Sun"  # "Fri-Sun" read as a range
    assert by_id.loc["HS-0002", "peak_times"] == "18-24;0-6"  # bands evening;night
    assert by_id.loc["HS-0002", "mapped_on"] == "2025-03-14"  # 14/03/2025
    assert set(dataset.hotspots["district"]) == {"Lilongwe"}  # filled in from the polygon


def test_workbook_sheets_load_with_the_sheets_setting(tmp_path, fresh):
    folder = tmp_path / "xlsx"
    folder.mkdir()
    for file in ["hotspots", "sites", "enrolment"]:
        shutil.copy(fresh / "dataset_template.xlsx", folder / f"{file}.xlsx")
    shutil.copy(DEMO_BOUNDARIES, folder / "boundaries.geojson")
    toml = (fresh / "dataset.toml").read_text(encoding="utf-8")
    toml = toml.replace(
        '# [sheets]\n# hotspots = "hotspots"\n# sites = "sites"\n# enrolment = "enrolment"',
        '[sheets]\nhotspots = "hotspots"\nsites = "sites"\nenrolment = "enrolment"',
    )
    assert "\n[sheets]\n" in toml, "the example [sheets] section changed: update this test"
    (folder / "dataset.toml").write_text(toml, encoding="utf-8")
    dataset = load_dataset(folder)
    assert not dataset.report.has_errors, dataset.report.summary_text()
    assert len(dataset.hotspots) == 3 and len(dataset.sites) == 3 and len(dataset.enrolment) == 3
    assert dataset.hotspots.set_index("hotspot_id").loc["HS-0001", "latitude"] == pytest.approx(
        -13.98312
    )
