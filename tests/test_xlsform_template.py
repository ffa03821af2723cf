"""The hotspot-mapping XLSForm of data/templates: current, and its export, as KoboToolbox (group
paths with / or .) and ODK Central (group-field, location-Latitude) write it, loads as hotspots
with no dataset.toml."""

from __future__ import annotations

import openpyxl
import pytest

from data_loaders.dataset import load_dataset
from tests.data_loaders.builders import write_csv, write_dataset
from tests.helpers import ROOT, load_script

TEMPLATES = ROOT / "data" / "templates"
build_xlsform = load_script("build_xlsform", TEMPLATES / "build_xlsform.py")
ANSWERS = {
    "start": "2025-03-14T18:00:00.000+02:00", "end": "2025-03-14T18:20:00.000+02:00",
    "today": "2025-03-14", "spot_code": "HS-7", "spot_name": "Corner bar", "typology": "bar",
    "population": "FSW", "location": "-17.5 30.5 1100 4.5", "district": "", "typical_min": "4",
    "typical_max": "8", "peak_min": "6", "peak_max": "12", "peak_days": "Fri Sat",
    "peak_times": "evening night",
}  # fmt: skip


def test_committed_xlsform_equals_a_fresh_build(tmp_path):
    build_xlsform.build_xlsform(tmp_path / "form.xlsx")
    fresh = openpyxl.load_workbook(tmp_path / "form.xlsx")
    committed = openpyxl.load_workbook(TEMPLATES / build_xlsform.NAME)
    assert committed.sheetnames == fresh.sheetnames == ["survey", "choices", "settings"]
    for name in fresh.sheetnames:
        assert list(committed[name].values) == list(fresh[name].values), f"{name} is stale"


def export_of(form, style: str) -> tuple[list[str], list[str]]:
    """The header and one answer row an export of ``form`` has (KoboToolbox or ODK Central)."""
    sep = {"kobo": "/", "kobo_dot": ".", "central": "-"}[style]
    groups: list[str] = []
    header: list[str] = []
    row: list[str] = []
    for kind, name, *_ in form["survey"].iter_rows(min_row=2, values_only=True):
        if kind == "begin_group":
            groups.append(name)
            continue
        if kind == "end_group":
            groups.pop()
            continue
        path = sep.join([*groups, name])
        if kind == "geopoint":
            parts = ANSWERS[name].split()
            names = ("Latitude", "Longitude", "Altitude", "Accuracy")
            if style == "central":  # ODK Central splits the point into four columns
                header += [f"{path}-{p}" for p in names]
                row += parts
                continue
            prefix = sep.join([*groups, f"_{name}_"])
            header += [path] + [prefix + p.lower() for p in ("latitude", "longitude", "altitude")]
            header.append(prefix + "precision")
            row += [ANSWERS[name], *parts]
            continue
        header.append(path)
        row.append(ANSWERS[name])
    if style == "central":
        header += ["meta-instanceID", "KEY", "SubmissionDate", "SubmitterName", "ReviewState"]
        row += ["uuid:1", "uuid:1", "2025-03-14T16:30:00.000Z", "mapper", ""]
    else:
        header += ["_id", "_uuid", "_submission_time", "_validation_status", "_index"]
        row += ["101", "u-1", "2025-03-14T16:30:00", "", "1"]
    return header, row


@pytest.mark.parametrize("style", ["kobo", "kobo_dot", "central"])
def test_an_export_of_the_form_loads_with_no_mapping(tmp_path, style):
    form = openpyxl.load_workbook(TEMPLATES / build_xlsform.NAME)
    header, row = export_of(form, style)
    folder = write_dataset(tmp_path / "d", enrolment=[["2025-Q3", "", "", "Harare", "4"]])
    write_csv(folder / "hotspots.csv", header, [row])
    ds = load_dataset(folder)
    assert ds.report.errors() == []
    hs = ds.hotspots.iloc[0]
    assert (hs["hotspot_id"], hs["name"], hs["typology"], hs["district"]) == (
        "HS-7", "Corner bar", "bar", "Harare",
    )  # fmt: skip
    assert (hs["latitude"], hs["longitude"], hs["peak_min"], hs["peak_max"]) == (-17.5, 30.5, 6, 12)
    assert (hs["peak_days"], hs["peak_times"], hs["mapped_on"]) == (
        "Fri;Sat", "18-24;0-6", "2025-03-14",
    )  # fmt: skip
