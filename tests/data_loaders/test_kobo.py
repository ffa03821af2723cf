"""ODK/KoboToolbox exports as hotspots and sites, written by the tests as real CSV and XLSX files:
group headers (/ and .), geopoints (one column, split parts, _geolocation), metadata kept as
provenance, mapped_on from _submission_time, a repeat sheet joined by _parent_index, a
[hotspots.columns] mapping, and unmatched required columns named with the closest headers."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from data_loaders.dataset import load_dataset
from data_loaders.kobo import is_export
from data_loaders.validation import DatasetLoadError
from tests.data_loaders.builders import write_csv, write_dataset

META = ["_id", "_uuid", "_submission_time", "_validation_status", "_submitted_by", "_index"]
KOBO_HEADER = [
    "start", "end", "spot/spot_code", "spot/spot_name", "spot/typology", "spot/location",
    "spot/_location_latitude", "spot/_location_longitude", "spot/_location_altitude",
    "spot/_location_precision", "counts/typical_min", "counts/typical_max", "counts/peak_min",
    "counts/peak_max", "timing/peak_days", "timing/peak_times", *META,
]  # fmt: skip


def kobo_row(i: int, code: str, lat: str, lon: str, peak=("8", "15"), typology="bar") -> list[str]:
    return [
        "2025-03-14T18:00:00", "2025-03-14T18:20:00", code, f"Spot {i}", typology,
        f"{lat} {lon} 1100 5", lat, lon, "1100", "5", "5", "10", *peak, "Fri Sat", "evening",
        str(1000 + i), f"uuid-{i}", f"2025-03-1{i}T18:25:31", "validation_status_approved",
        "mapper1", str(i),
    ]  # fmt: skip


KOBO_ROWS = [
    kobo_row(1, "HS-1", "-17.5", "30.5"),
    kobo_row(2, "HS-2", "-17.4", "31.5"),
    kobo_row(3, "HS-3", "-20.5", "28.5", peak=("9", "x")),  # rejected: peak_max not a number
]


def test_kobo_csv_export_loads_with_no_mapping(tmp_path):
    folder = write_dataset(tmp_path / "d")
    write_csv(folder / "hotspots.csv", KOBO_HEADER, KOBO_ROWS)
    ds = load_dataset(folder)
    hs = ds.hotspots.set_index("hotspot_id")
    assert list(hs.index) == ["HS-1", "HS-2"]
    assert hs.loc["HS-1", ["latitude", "longitude"]].tolist() == [-17.5, 30.5]
    assert hs.loc["HS-2", "district"] == "Mutare"
    assert hs.loc["HS-1", "peak_days"] == "Fri;Sat"
    assert hs.loc["HS-2", "mapped_on"] == "2025-03-12"  # from _submission_time
    provenance = ds.report.provenance["hotspots"]
    assert provenance["_uuid"].tolist() == ["uuid-1", "uuid-2", "uuid-3"]
    assert provenance["row"].tolist() == [2, 3, 4]
    assert "_validation_status" in provenance.columns
    # rejected rows come back as the export holds them, with its own headers
    [row] = list(csv.DictReader(io.StringIO(ds.report.rejected_csv("hotspots") or "")))
    assert list(row)[:-1] == KOBO_HEADER
    assert row["counts/peak_max"] == "x"
    assert row["problem"].startswith('row 4: peak_max: peak_max "x" is not a number')


def test_kobo_xlsx_export_with_dot_groups_geopoint_and_a_repeat_sheet(tmp_path):
    """The main sheet holds the spot; its key-informant repeat sheet holds the counts: a spot's
    range spans every interview (lowest minimum, highest maximum)."""
    folder = write_dataset(tmp_path / "d")
    (folder / "hotspots.csv").unlink()
    wb = openpyxl.Workbook()
    main = wb.active
    main.title = "hotspot_mapping"
    main.append(["spot.spot_code", "spot.typology", "spot.gps", "_id", "_uuid", "_index"])
    main.append(["A-1", "lodge", "-17.5 30.5 0 0", 11, "u-1", 1])
    main.append(["A-2", "street", "-17.2 31.2 0 0", 12, "u-2", 2])
    ki = wb.create_sheet("ki_interviews")
    ki.append(["ki.typical_min", "ki.typical_max", "ki.peak_min", "ki.peak_max", "ki.peak_days",
               "_index", "_parent_index", "_parent_table_name"])  # fmt: skip
    for row in (
        [4, 9, 6, 12, "Fri", 1, 1, "hotspot_mapping"],
        [3, 8, 7, 20, "Sat", 2, 1, "hotspot_mapping"],
        [1, 2, 2, 3, "Mon", 3, 2, "hotspot_mapping"],
    ):
        ki.append(row)
    wb.save(folder / "hotspots.xlsx")
    ds = load_dataset(folder)
    hs = ds.hotspots.set_index("hotspot_id")
    assert hs.loc["A-1", ["typical_min", "typical_max", "peak_min", "peak_max"]].tolist() == [
        3, 9, 6, 20,
    ]  # fmt: skip
    assert hs.loc["A-1", "peak_days"] == "Fri;Sat"
    assert hs.loc["A-2", ["latitude", "longitude", "district"]].tolist() == [-17.2, 31.2, "Mutare"]
    assert ds.report.files["hotspots"].accepted == 2


def test_mapping_in_dataset_toml_and_geolocation(tmp_path):
    toml = (
        '[hotspots.columns]\nhotspot_id = "spot/code_of_spot"\ntypology = "spot/kind"\n'
        'peak_min = "counts/least_on_peak"\n'
    )
    folder = write_dataset(tmp_path / "d", toml=toml)
    header = ["spot/code_of_spot", "spot/kind", "counts/typical_min", "counts/typical_max",
              "counts/least_on_peak", "counts/peak_max", "_geolocation", "_id"]  # fmt: skip
    write_csv(
        folder / "hotspots.csv", header, [["Z9", "bar", "1", "2", "3", "4", "[-17.5, 30.5]", "7"]]
    )
    ds = load_dataset(folder)
    assert ds.hotspots[["hotspot_id", "typology", "peak_min", "district"]].values.tolist() == [
        ["Z9", "bar", 3, "Harare"]
    ]
    info = [p.message for p in ds.report.problems if p.file == "hotspots" and p.severity == "info"]
    assert any("hotspot_id = 'spot/code_of_spot'" in m for m in info)


def test_unmatched_required_column_names_the_closest_headers(tmp_path):
    folder = write_dataset(tmp_path / "d")
    header = ["spot/spot_code", "spot/typology", "spot/location", "counts/typical_min",
              "counts/typical_max", "counts/peak_minimum", "counts/peak_max", "_id"]  # fmt: skip
    write_csv(
        folder / "hotspots.csv", header, [["Z9", "bar", "-17.5 30.5 0 0", "1", "2", "3", "4", "7"]]
    )
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    [fatal] = info.value.report.fatal_problems()
    assert fatal.column == "peak_min"
    assert '"counts/peak_minimum"' in fatal.message
    assert "[hotspots.columns] peak_min" in fatal.message


def test_a_wrong_mapping_is_fatal_and_names_the_closest(tmp_path):
    folder = write_dataset(
        tmp_path / "d", toml='[hotspots.columns]\nhotspot_id = "spot/spot_cod"\n'
    )
    write_csv(folder / "hotspots.csv", KOBO_HEADER, KOBO_ROWS)
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    [fatal] = info.value.report.fatal_problems()
    assert 'hotspot_id = "spot/spot_cod" is not a column' in fatal.message
    assert "spot/spot_code" in fatal.message
    assert info.value.report.files["hotspots"].rejected == len(KOBO_ROWS)


def test_kobo_sites_export(tmp_path):
    folder = write_dataset(tmp_path / "d", enrolment=[["2025-Q3", "", "", "Harare", "4"]])
    header = ["facility/site_code", "facility/facility_name", "facility/site_type",
              "facility/services", "facility/location", "_uuid"]  # fmt: skip
    write_csv(
        folder / "sites.csv",
        header,
        [["S-1", "Clinic A", "clinic", "condoms hts", "-17.6 30.6 0 0", "u"]],
    )
    ds = load_dataset(folder)
    assert ds.sites[["site_id", "name", "services", "district"]].values.tolist() == [
        ["S-1", "Clinic A", "condoms;hts", "Harare"]
    ]


def test_template_csv_is_not_an_export():
    assert not is_export(["hotspot_id", "name", "latitude", "longitude", "typology"])
    assert is_export(["spot/spot_code", "_uuid"])
