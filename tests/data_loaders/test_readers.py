"""Readers on real files: CSV encodings and delimiters, XLSX sheets, boundary formats."""

from __future__ import annotations

import zipfile

import pytest

from data_loaders.readers import ReadError, read_boundaries_file, read_table_text
from tests.data_loaders.builders import (
    HOTSPOT_HEADER,
    HOTSPOTS,
    write_boundaries,
    write_csv,
    write_xlsx,
)


@pytest.mark.parametrize(
    "encoding,bom,delimiter,expected_encoding",
    [
        ("utf-8", False, ",", "utf-8"),
        ("utf-8", True, ",", "utf-8-sig"),
        ("latin-1", False, ",", "cp1252"),
        ("utf-8", False, ";", "utf-8"),
        ("latin-1", False, ";", "cp1252"),
        ("utf-8", False, "\t", "utf-8"),
    ],
)
def test_csv_encodings_and_delimiters_keep_text_intact(
    tmp_path, encoding, bom, delimiter, expected_encoding
):
    path = write_csv(
        tmp_path / "hotspots.csv",
        HOTSPOT_HEADER,
        HOTSPOTS,
        encoding=encoding,
        bom=bom,
        delimiter=delimiter,
    )
    table = read_table_text(path)
    assert table.encoding == expected_encoding
    assert table.delimiter == delimiter
    assert list(table.frame.columns) == HOTSPOT_HEADER  # BOM not glued to the first header
    assert table.frame.loc[0, "name"] == "Chégutu Bar & Lodge"
    assert table.rows == [2, 3, 4]
    assert all(isinstance(v, str) for v in table.frame["peak_max"])  # text, not guessed types


def test_csv_blank_rows_are_skipped_but_row_numbers_stay_as_the_spreadsheet_shows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n,\n\n3,4\n", encoding="utf-8")
    table = read_table_text(path)
    assert table.rows == [2, 5]
    assert table.frame["a"].tolist() == ["1", "3"]


def test_headers_are_normalised_and_originals_kept(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(" Hotspot ID ;Peak-Max\nx;1\n", encoding="utf-8")
    table = read_table_text(path)
    assert list(table.frame.columns) == ["hotspot_id", "peak_max"]
    assert table.original_headers == [" Hotspot ID ", "Peak-Max"]


def test_xlsx_first_sheet_numbers_as_text(tmp_path):
    rows = [[c if i < 5 else int(c) for i, c in enumerate(r[:9])] for r in HOTSPOTS]
    path = write_xlsx(tmp_path / "hotspots.xlsx", HOTSPOT_HEADER[:9], rows)
    table = read_table_text(path)
    assert table.frame.loc[2, "peak_max"] == "30"  # an int cell, not "30.0"
    assert table.frame.loc[0, "name"] == "Chégutu Bar & Lodge"
    assert table.rows == [2, 3, 4]


def test_xlsx_named_sheet_and_missing_sheet(tmp_path):
    path = write_xlsx(
        tmp_path / "hotspots.xlsx", HOTSPOT_HEADER, HOTSPOTS, sheet="Mapping", first_sheet="Read me"
    )
    assert read_table_text(path).frame.columns[0] == "notes"  # first sheet by default
    assert len(read_table_text(path, sheet="Mapping").frame) == 3
    with pytest.raises(ReadError, match=r"no sheet named 'Mapp'.*Read me.*Mapping"):
        read_table_text(path, sheet="Mapp")


def test_damaged_xlsx_is_a_read_error_naming_the_file(tmp_path):
    path = tmp_path / "hotspots.xlsx"
    path.write_bytes(b"not a workbook")
    with pytest.raises(ReadError, match=r"hotspots.xlsx: is not a readable XLSX"):
        read_table_text(path)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "zip"])
def test_boundaries_each_format(tmp_path, fmt):
    path = write_boundaries(tmp_path, fmt)
    frame = read_boundaries_file(path)
    assert sorted(frame["district"]) == ["Bulawayo", "Harare", "Mutare"]
    assert frame.crs.to_epsg() == 4326


def test_zip_without_a_shapefile_is_refused(tmp_path):
    path = tmp_path / "boundaries.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    with pytest.raises(ReadError, match=r"holds 0 .shp files"):
        read_boundaries_file(path)
