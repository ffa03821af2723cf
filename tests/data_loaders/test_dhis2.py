"""DHIS2 data value sets (JSON and CSV, written by the tests) as enrolment: data elements named in
dataset.toml, periods 2024Q1 / 202401, category option combos and facilities summed into their
district through org_units.json or the boundaries' org-unit ids."""

from __future__ import annotations

import csv
import io
import json

import pytest
from shapely.geometry import box, mapping

from data_loaders.dataset import load_dataset
from data_loaders.dhis2 import dhis2_period
from data_loaders.validation import DatasetLoadError
from tests.data_loaders.builders import DISTRICTS, write_csv, write_dataset

ENROLLED, CONTACTED, CONDOMS = "EnrolKP0001", "ContKP00002", "CondKP00003"
MALE, FEMALE = "CocMale0001", "CocFemale01"
TOML = f"""
[dhis2.data_elements]
enrolled = "{ENROLLED}"
contacted = "{CONTACTED}"
condoms_distributed = "{CONDOMS}"
"""
# Zimbabwe (level 1) > districts Harare, Mutare (level 2) > facilities (level 3)
ORG_UNITS = {
    "organisationUnits": [
        {"id": "ZimbabweOU1", "name": "Zimbabwe", "level": 1, "path": "/ZimbabweOU1"},
        {"id": "HarareDist1", "name": "Harare", "level": 2, "path": "/ZimbabweOU1/HarareDist1",
         "parent": {"id": "ZimbabweOU1"}},
        {"id": "MutareDist1", "name": "MUTARE", "level": 2, "path": "/ZimbabweOU1/MutareDist1",
         "parent": {"id": "ZimbabweOU1"}},
        {"id": "HarareClin1", "name": "Harare DIC", "level": 3,
         "path": "/ZimbabweOU1/HarareDist1/HarareClin1", "parent": {"id": "HarareDist1"}},
        {"id": "HarareClin2", "name": "Mbare clinic", "level": 3,
         "parent": {"id": "HarareDist1"}},  # no path: found through the parents
        {"id": "ElsewhereO1", "name": "Gweru", "level": 2, "path": "/ZimbabweOU1/ElsewhereO1"},
    ]
}  # fmt: skip


def dv(de, period, ou, value, coc=MALE) -> dict:
    return {"dataElement": de, "period": period, "orgUnit": ou, "categoryOptionCombo": coc,
            "value": value}  # fmt: skip


VALUES = [
    dv(ENROLLED, "2024Q1", "HarareClin1", "30"),
    dv(ENROLLED, "2024Q1", "HarareClin1", "12", coc=FEMALE),  # summed over combos
    dv(ENROLLED, "2024Q1", "HarareClin2", "8"),  # summed over facilities of Harare
    dv(CONTACTED, "2024Q1", "HarareClin1", "70"),
    dv(ENROLLED, "202401", "MutareDist1", "5"),
    dv(CONDOMS, "202401", "MutareDist1", "400"),
    dv("OtherDE0001", "2024Q1", "HarareClin1", "999"),  # not named: left out, noted
    dv(ENROLLED, "2024Q1", "ElsewhereO1", "3"),  # not a district of the boundaries: rejected
]


def dataset_with(tmp_path, values=VALUES, org_units=ORG_UNITS, toml=TOML, as_csv=False):
    folder = write_dataset(tmp_path / "d", toml=toml)
    (folder / "enrolment.csv").unlink()
    if as_csv:
        header = ["dataelement", "period", "orgunit", "categoryoptioncombo", "value", "storedby"]
        rows = [[v["dataElement"], v["period"], v["orgUnit"], v["categoryOptionCombo"],
                 v["value"], "admin"] for v in values]  # fmt: skip
        write_csv(folder / "enrolment.csv", header, rows)
    else:
        (folder / "enrolment.json").write_text(json.dumps({"dataValues": values}), "utf-8")
    if org_units is not None:
        (folder / "org_units.json").write_text(json.dumps(org_units), "utf-8")
    return folder


@pytest.mark.parametrize("as_csv", [False, True])
def test_data_value_set_with_org_units(tmp_path, as_csv):
    ds = load_dataset(dataset_with(tmp_path, as_csv=as_csv))
    e = ds.enrolment.set_index(["period", "district"])
    assert e.loc[("2024-Q1", "Harare"), "enrolled"] == 30 + 12 + 8
    assert e.loc[("2024-Q1", "Harare"), "contacted"] == 70
    assert e.loc[("2024-01", "Mutare"), ["enrolled", "condoms_distributed"]].tolist() == [5, 400]
    counts = ds.report.files["enrolment"]
    assert (counts.rows, counts.accepted, counts.rejected) == (3, 2, 1)
    [problem] = ds.report.errors("enrolment")
    assert 'district "Gweru" is not in the boundaries' in problem.message
    first = 8 if not as_csv else 9  # data value number (JSON) or spreadsheet row (CSV)
    assert problem.row == first
    notes = " ".join(p.message for p in ds.report.problems if p.severity == "info")
    assert "1 data value(s) of data elements not named" in notes and "OtherDE0001" in notes
    [row] = list(csv.DictReader(io.StringIO(ds.report.rejected_csv("enrolment") or "")))
    assert (row["period"], row["orgUnit"], row[f"enrolled ({ENROLLED})"]) == (
        "2024Q1", "ElsewhereO1", "3",
    )  # fmt: skip


def test_boundaries_with_org_unit_ids_need_no_org_units_file(tmp_path):
    values = [
        dv(ENROLLED, "2024Q2", "Hq8Vd2nPp1a", "11"),
        dv(ENROLLED, "202403", "Bw3Kd7MnZ4c", "x"),
    ]
    folder = dataset_with(tmp_path, values=values, org_units=None)
    features = [
        {
            "type": "Feature",
            "properties": {"id": uid, "name": n, "level": 2, "parent": "ZimbabweOU1"},
            "geometry": mapping(box(*bounds)),
        }
        for uid, (n, _, bounds) in zip(["Hq8Vd2nPp1a", "Mt5Xc9LrQ2b", "Bw3Kd7MnZ4c"], DISTRICTS)
    ]
    (folder / "boundaries.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), "utf-8"
    )
    ds = load_dataset(folder)
    assert ds.enrolment[["period", "district", "enrolled"]].values.tolist() == [
        ["2024-Q2", "Harare", 11]
    ]
    [problem] = ds.report.errors("enrolment")
    assert problem.row == 2 and 'enrolled "x" is not a number' in problem.message


def test_no_data_element_for_enrolled_is_fatal(tmp_path):
    folder = dataset_with(tmp_path, toml='[dhis2.data_elements]\ncontacted = "ContKP00002"\n')
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    [fatal] = info.value.report.fatal_problems()
    assert fatal.file == "enrolment" and "[dhis2.data_elements] enrolled" in fatal.message


def test_a_data_element_that_is_not_a_uid_is_fatal(tmp_path):
    folder = dataset_with(tmp_path, toml='[dhis2.data_elements]\nenrolled = "enrolled"\n')
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    assert "is not a DHIS2 uid" in info.value.report.fatal_problems()[0].message


def test_an_operand_picks_one_category_option_combo(tmp_path):
    toml = f'[dhis2.data_elements]\nenrolled = "{ENROLLED}.{FEMALE}"\n'
    ds = load_dataset(dataset_with(tmp_path, values=VALUES[:2], toml=toml))
    assert ds.enrolment["enrolled"].tolist() == [12]


def test_periods():
    assert [dhis2_period(p) for p in ("2024Q1", "202401", "202412", "2024W3", "2024")] == [
        "2024-Q1", "2024-01", "2024-12", "2024W3", "2024",
    ]  # fmt: skip
