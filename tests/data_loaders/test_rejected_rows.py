"""The fix-and-re-upload loop on real files: rejected rows come back exactly as written (southern
latitudes without an apostrophe) plus a problem column; fixing one cell and loading again is
accepted; fatal problems come first; binary files, server paths and the two fuzz crashes."""

from __future__ import annotations

import csv
import io

import pytest

from data_loaders.dataset import load_dataset
from data_loaders.readers import ReadError, read_table_text
from data_loaders.validation import DatasetLoadError
from tests.data_loaders.builders import (
    ENROLMENT,
    HOTSPOT_HEADER,
    HOTSPOTS,
    SITE_HEADER,
    SITES,
    hotspot_row,
    write_csv,
    write_dataset,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_rejected_rows_are_the_original_rows_plus_a_problem(tmp_path):
    bad = hotspot_row(hotspot_id="HS-9", latitude="-9.71293", longitude="300", peak_min="-5")
    folder = write_dataset(tmp_path / "d", hotspots=[*HOTSPOTS, bad], enrolment=ENROLMENT[:1])
    report = load_dataset(folder).report
    text = report.rejected_csv("hotspots")
    assert text is not None
    assert "'-" not in text  # numbers are numbers: no apostrophe before a southern latitude
    [row] = rows_of(text)
    assert list(row) == [*HOTSPOT_HEADER, "problem"]  # the file's own columns, then the problem
    assert [row[c] for c in HOTSPOT_HEADER] == bad
    assert row["problem"].startswith(f"row {len(HOTSPOTS) + 2}: ")
    assert "longitude 300 is outside -180..180" in row["problem"]
    assert "peak_min -5 is negative" in row["problem"]


def test_fixing_the_flagged_cells_loads_the_rows_again(tmp_path):
    bad = hotspot_row(hotspot_id="HS-9", latitude="-17.71293", longitude="300")
    folder = write_dataset(tmp_path / "d", hotspots=[*HOTSPOTS, bad])
    text = load_dataset(folder).report.rejected_csv("hotspots")
    assert text is not None
    reader = csv.reader(io.StringIO(text))
    header, *rows = list(reader)
    rows[0][header.index("longitude")] = "30.2"  # the one fix; the problem column stays
    again = write_dataset(tmp_path / "again")
    with open(again / "hotspots.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    dataset = load_dataset(again)
    assert dataset.report.files["hotspots"].accepted == 1
    assert dataset.hotspots["latitude"].tolist() == [-17.71293]


def test_formula_text_is_protected_numbers_are_not(tmp_path):
    bad = hotspot_row(hotspot_id="HS-9", name="=HYPERLINK(1)", latitude="-17.5", typology="")
    folder = write_dataset(tmp_path / "d", hotspots=[*HOTSPOTS, bad])
    [row] = rows_of(load_dataset(folder).report.rejected_csv("hotspots") or "")
    assert row["name"] == "'=HYPERLINK(1)"
    assert row["latitude"] == "-17.5"


def test_missing_column_is_fatal_and_first(tmp_path):
    folder = write_dataset(tmp_path / "d", enrolment=[["2025-Q3", "", "S-404", "", "5"]] * 8)
    write_csv(
        folder / "sites.csv",
        [c for c in SITE_HEADER if c != "site_type"],
        [[v for c, v in zip(SITE_HEADER, r) if c != "site_type"] for r in SITES],
    )
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    report = info.value.report
    first = report.problems[0]
    assert first.fatal and first.file == "sites" and first.column == "site_type"
    assert [p.column for p in report.fatal_problems()] == ["site_type"]
    assert report.to_dict()["problems"][0]["fatal"] is True
    assert report.files["sites"].accepted == 0
    assert report.files["sites"].rejected == len(SITES)


def test_a_png_named_csv_is_not_a_text_file(tmp_path):
    path = tmp_path / "hotspots.csv"
    path.write_bytes(PNG)
    with pytest.raises(ReadError, match=r"hotspots\.csv: is not a text or spreadsheet file"):
        read_table_text(path)
    (tmp_path / "h.xlsx").write_bytes(PNG)
    with pytest.raises(ReadError, match="looks like a PNG image"):
        read_table_text(tmp_path / "h.xlsx")


def test_no_server_path_or_internal_document_in_messages(tmp_path):
    folder = write_dataset(tmp_path / "secret_server_dir" / "upload-1")
    (folder / "hotspots.csv").unlink()
    (folder / "boundaries.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    text = info.value.report.summary_text()
    assert "secret_server_dir" not in text and str(tmp_path) not in text
    assert "DESIGN.md" not in text
    assert "no hotspots file in the dataset" in text
    assert "boundaries.geojson" in text


def test_district_column_that_is_a_number_is_a_message(tmp_path):
    folder = write_dataset(tmp_path / "d", toml="[boundaries]\ndistrict_column = 3\n")
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    [problem] = info.value.report.fatal_problems()
    assert "district_column = 3 is not text" in problem.message


@pytest.mark.parametrize("tail", [b"", b"\x00"])
def test_utf16_file_of_odd_length_is_read(tmp_path, tail):
    path = tmp_path / "hotspots.csv"
    path.write_bytes("hotspot_id,name\r\nA,B\r\n".encode("utf-16") + b"x" + tail)
    table = read_table_text(path)
    assert list(table.frame.columns) == ["hotspot_id", "name"]
    assert table.frame["hotspot_id"].iloc[0] == "A"
