"""load_dataset on real folders: each format, each validation rule (row number + message), strict
mode."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from data_loaders.dataset import load_dataset, utm_crs_of
from data_loaders.validation import DatasetLoadError
from planning.schema import ENROLMENT_COLUMNS, HOTSPOT_COLUMNS, SITE_COLUMNS
from tests.data_loaders.builders import (
    ENROLMENT,
    HOTSPOT_HEADER,
    HOTSPOTS,
    SITE_HEADER,
    SITES,
    boundaries_frame,
    hotspot_row,
    write_boundaries,
    write_csv,
    write_dataset,
    write_xlsx,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"


def problems_at(report, file, row=None, column=None):
    return [
        p
        for p in report.problems
        if p.file == file
        and (row is None or p.row == row)
        and (column is None or p.column == column)
    ]


def load_with_hotspots(tmp_path, rows, **kwargs):
    return load_dataset(write_dataset(tmp_path / "ds", hotspots=rows, **kwargs))


def assert_counts_add_up(report):
    for name, c in report.files.items():
        assert c.accepted + c.rejected == c.rows, name
        if name in report.rejected:
            assert len(report.rejected[name]) == c.rejected, name


# ------------------------------------------------------------------ good data, each format
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "zip"])
def test_good_dataset_loads_with_each_boundary_format(tmp_path, fmt):
    ds = load_dataset(write_dataset(tmp_path / "ds", boundaries_fmt=fmt))
    assert not ds.report.has_errors
    assert list(ds.hotspots.columns) == HOTSPOT_COLUMNS + ["geometry"]
    assert list(ds.sites.columns) == SITE_COLUMNS + ["geometry"]
    assert list(ds.enrolment.columns) == ENROLMENT_COLUMNS
    assert ds.hotspots["district"].tolist() == ["Harare", "Mutare", "Bulawayo"]
    assert ds.hotspots["region"].tolist() == ["Mashonaland", "Manicaland", "Matabeleland"]
    assert ds.hotspots["peak_max"].dtype == "int64"
    assert ds.hotspots.crs.to_epsg() == 4326
    assert ds.crs_projected == "EPSG:32736"
    # a 1°x1° square near 17.5°S is about 111 km x 106 km
    harare = ds.boundaries.set_index("district").loc["Harare", "area_km2"]
    assert 11_000 < harare < 12_500


def test_canonical_values(tmp_path):
    ds = load_dataset(write_dataset(tmp_path / "ds"))
    hs = ds.hotspots.set_index("hotspot_id")
    assert hs.loc["HS-1", "typology"] == "bar"
    assert hs.loc["HS-1", "population"] == "FSW"  # default for an empty cell
    assert hs.loc["HS-1", "peak_times"] == "18-24"
    assert hs.loc["HS-2", "peak_days"] == "Fri;Sat;Sun"
    assert hs.loc["HS-2", "peak_times"] == "18-24;0-2"
    assert hs.loc["HS-1", "mapped_on"] == "2025-03-14"
    assert ds.sites.set_index("site_id").loc["SITE-2", "services"] == "condoms;lubricant"
    en = ds.enrolment
    assert en["level"].tolist() == ["hotspot", "hotspot", "site", "district"]
    assert en["district"].tolist() == ["Harare", "Mutare", "Bulawayo", "Mutare"]
    assert en["enrolled"].sum() == 26


def test_latin1_semicolon_csv_and_xlsx_tables_load(tmp_path):
    folder = write_dataset(tmp_path / "ds")
    write_csv(folder / "hotspots.csv", HOTSPOT_HEADER, HOTSPOTS, encoding="latin-1", delimiter=";")
    (folder / "sites.csv").unlink()
    write_xlsx(folder / "sites.xlsx", SITE_HEADER, SITES)
    ds = load_dataset(folder)
    assert not ds.report.has_errors
    assert ds.hotspots.loc[0, "name"] == "Chégutu Bar & Lodge"
    assert len(ds.sites) == 2
    assert "sheet" in ds.report.source["sites"]


def test_files_found_by_stem_case_insensitively(tmp_path):
    folder = write_dataset(tmp_path / "ds")
    (folder / "hotspots.csv").rename(folder / "Hotspots.CSV")
    assert len(load_dataset(folder).hotspots) == 3


def test_dataset_toml_names_columns_crs_and_sheet(tmp_path):
    folder = tmp_path / "ds"
    frame = boundaries_frame().rename(columns={"district": "DIST_NAME", "region": "PROV"})
    write_dataset(
        folder,
        toml='[dataset]\nname = "Tiny"\nsynthetic = true\n'
        '[boundaries]\ndistrict_column = "DIST_NAME"\nregion_column = "PROV"\n'
        '[crs]\nprojected = "EPSG:32735"\n[sheets]\nhotspots = "Mapping"\n'
        "[parameters]\npeople_per_pe = 70\n",
    )
    write_boundaries(folder, "geojson", frame)
    (folder / "hotspots.csv").unlink()
    write_xlsx(
        folder / "hotspots.xlsx", HOTSPOT_HEADER, HOTSPOTS, sheet="Mapping", first_sheet="Read me"
    )
    ds = load_dataset(folder)
    assert not ds.report.has_errors
    assert (ds.name, ds.synthetic, ds.crs_projected) == ("Tiny", True, "EPSG:32735")
    assert ds.settings["parameters"]["people_per_pe"] == 70
    assert ds.hotspots["region"].iloc[0] == "Mashonaland"


def test_utm_zone():
    assert utm_crs_of(34.3, -13.5) == "EPSG:32736"  # Malawi
    assert utm_crs_of(36.8, -1.3) == "EPSG:32737"  # Nairobi
    assert utm_crs_of(-0.1, 51.5) == "EPSG:32630"  # London


# -------------------------------------------------------------------- hotspot row rules
@pytest.mark.parametrize(
    "changes,column,pattern",
    [
        (
            {"typical_max": "about 20"},
            "typical_max",
            r'typical_max "about 20" is not a number: write a whole number such as 20',
        ),
        ({"peak_max": "12.5"}, "peak_max", r"peak_max 12.5 is not a whole number.*12 or 13"),
        ({"typical_min": "-3"}, "typical_min", r"typical_min -3 is negative"),
        ({"peak_min": "30", "peak_max": "12"}, "peak_min", r"peak_min 30 > peak_max 12"),
        ({"latitude": "93.1"}, "latitude", r"latitude 93.1 is outside -90..90"),
        ({"longitude": "190"}, "longitude", r"longitude 190 is outside -180..180"),
        ({"latitude": "abc"}, "latitude", r'latitude "abc" is not a number'),
        ({"latitude": "", "longitude": ""}, "latitude", r"latitude and longitude are empty"),
        (
            {"latitude": "30.5", "longitude": "-17.5"},
            "latitude",
            r"outside every district; latitude and longitude look swapped "
            r'\(swapped, it lies in "Harare"\)',
        ),
        (
            {"latitude": "-10", "longitude": "40"},
            "latitude",
            r"outside every district: check the coordinates",
        ),
        (
            {"district": "Harrare"},
            "district",
            r'"Harrare" is not in the boundaries — did you mean "Harare"\?',
        ),
        ({"typology": ""}, "typology", r"typology is empty"),
        ({"hotspot_id": ""}, "hotspot_id", r"hotspot_id is empty"),
        ({"peak_min": ""}, "peak_min", r"peak_min is empty"),
    ],
)
def test_each_hotspot_error_rule_rejects_its_row(tmp_path, changes, column, pattern):
    rows = HOTSPOTS[1:] + [hotspot_row(**{"hotspot_id": "HS-9", **changes})]  # bad row is row 4
    ds = load_with_hotspots(tmp_path, rows)
    found = problems_at(ds.report, "hotspots", 4, column)
    assert found, ds.report.summary_text()
    assert found[0].severity == "error"
    assert re.search(pattern, found[0].message), found[0].message
    assert ds.report.files["hotspots"].rejected == 1
    assert len(ds.hotspots) == 2
    rejected = ds.report.rejected["hotspots"]
    assert rejected["row"].tolist() == [4]
    assert column in rejected["reasons"].iloc[0]
    assert_counts_add_up(ds.report)


def test_duplicate_hotspot_id_names_the_first_row(tmp_path):
    rows = HOTSPOTS + [hotspot_row(hotspot_id="HS-2")]
    ds = load_with_hotspots(tmp_path, rows)
    (p,) = problems_at(ds.report, "hotspots", 5, "hotspot_id")
    assert p.message.startswith('duplicate hotspot_id "HS-2": row 3 has the same id')
    assert ds.hotspots["hotspot_id"].tolist() == ["HS-1", "HS-2", "HS-3"]


@pytest.mark.parametrize(
    "changes,column,pattern,cleared",
    [
        (
            {"district": "Mutare"},
            "district",
            r'stated district "Mutare" disagrees with the polygon the point lies in '
            r'\("Harare"\); "Harare" is used',
            None,
        ),
        ({"population": "xyz"}, "population", r'population "XYZ" is not one of FSW', None),
        (
            {"peak_days": "someday"},
            "peak_days",
            r'peak_days "someday" could not be read and was cleared',
            "peak_days",
        ),
        (
            {"peak_times": "whenever"},
            "peak_times",
            r'"whenever" could not be read and was cleared',
            "peak_times",
        ),
        ({"mapped_on": "last year"}, "mapped_on", r"was cleared: write a date", "mapped_on"),
        ({"typical_max": "40"}, "typical_max", r"typical_max 40 > peak_max 15", None),
    ],
)
def test_warnings_keep_the_row(tmp_path, changes, column, pattern, cleared):
    rows = HOTSPOTS[1:] + [hotspot_row(**changes)]  # HS-1 moved to row 4 (enrolment names it)
    ds = load_with_hotspots(tmp_path, rows)
    (p,) = problems_at(ds.report, "hotspots", 4, column)
    assert p.severity == "warning"
    assert re.search(pattern, p.message), p.message
    assert len(ds.hotspots) == 3 and not ds.report.has_errors
    kept = ds.hotspots.set_index("hotspot_id").loc["HS-1"]
    assert kept["district"] == "Harare"  # the polygon wins
    if cleared:
        assert kept[cleared] == ""


# ---------------------------------------------------------------------- sites / enrolment
def test_site_without_coordinates_and_duplicate_site(tmp_path):
    sites = SITES + [
        ["SITE-3", "Mobile", "", "", "mobile", "Mutare", ""],
        ["SITE-1", "Again", "-17.6", "30.4", "clinic", "Harare", "condoms;magic"],
    ]
    ds = load_dataset(write_dataset(tmp_path / "ds", sites=sites))
    (p,) = problems_at(ds.report, "sites", 4)
    assert p.column == "latitude" and p.message.startswith("site has no coordinates")
    dup = problems_at(ds.report, "sites", 5, "site_id")
    assert dup[0].message.startswith('duplicate site_id "SITE-1": row 2')
    warn = problems_at(ds.report, "sites", 5, "services")
    assert warn[0].severity == "warning" and "magic" in warn[0].message
    assert ds.report.files["sites"].rejected == 2


def test_enrolment_rules(tmp_path):
    hotspots = HOTSPOTS + [hotspot_row(hotspot_id="HS-4", latitude="99")]  # rejected at row 5
    enrolment = ENROLMENT + [
        ["2025-Q4", "HS-404", "", "", "4"],  # row 6 unknown hotspot
        ["2025-Q4", "", "SITE-9", "", "4"],  # row 7 unknown site
        ["2025-Q4", "HS-4", "", "", "4"],  # row 8 hotspot that was rejected
        ["Sept 2025", "HS-1", "", "", "4"],  # row 9 bad period
        ["2025-Q4", "", "", "Bulawyo", "4"],  # row 10 unknown district
        ["2025-Q4", "", "", "", "4"],  # row 11 nowhere
        ["2025-Q4", "HS-1", "", "", "8"],  # row 12 duplicate of row 2
        ["2025Q3", "HS-1", "", "", "about 5"],  # row 13 bad count
    ]
    ds = load_dataset(write_dataset(tmp_path / "ds", hotspots=hotspots, enrolment=enrolment))
    msg = {p.row: p.message for p in ds.report.errors("enrolment")}
    assert msg[6].startswith('hotspot_id "HS-404" is not in hotspots')
    assert msg[7].startswith('site_id "SITE-9" is not in sites')
    assert (
        msg[8]
        == 'hotspot_id "HS-4" points at hotspots row 5, which was rejected: fix that row first'
    )
    assert msg[9].startswith('period "Sept 2025" is not a period: write "2025-Q3"')
    assert msg[10] == 'district "Bulawyo" is not in the boundaries — did you mean "Bulawayo"?'
    assert msg[11].startswith("row names no hotspot_id, site_id or district")
    assert msg[12].startswith(
        'duplicate: row 2 already gives enrolment for hotspot "HS-1" in 2025-Q4'
    )
    assert msg[13].startswith('enrolled "about 5" is not a number: write a whole number such as 5')
    assert ds.report.files["enrolment"].accepted == 4
    assert_counts_add_up(ds.report)


def test_enrolment_periods_canonical(tmp_path):
    enrolment = [["2025q3", "HS-1", "", "", "5"], ["2025-9", "HS-2", "", "", "6"]]
    ds = load_dataset(write_dataset(tmp_path / "ds", enrolment=enrolment))
    assert ds.enrolment["period"].tolist() == ["2025-Q3", "2025-09"]


# ----------------------------------------------------------------------------- boundaries
def test_boundary_duplicates_overlaps_invalid(tmp_path):
    extra = gpd.GeoDataFrame(
        {"district": ["harare", "Chitungwiza", "Gweru"], "region": ["", "", ""]},
        geometry=[
            box(30, -18, 30.2, -17.8),
            box(30.8, -17.9, 31.2, -17.6),
            Polygon([(29, -19.5), (30, -19), (30, -19.5), (29, -19), (29, -19.5)]),
        ],
        crs="EPSG:4326",
    )
    frame = pd.concat([boundaries_frame(), extra], ignore_index=True)
    folder = write_dataset(tmp_path / "ds")
    write_boundaries(folder, "geojson", gpd.GeoDataFrame(frame, crs="EPSG:4326"))
    ds = load_dataset(folder)
    (dup,) = problems_at(ds.report, "boundaries", 4)
    assert dup.severity == "error"
    assert dup.message.startswith(
        'duplicate district "harare": features 1 and 4 have the same name'
    )
    overlaps = problems_at(ds.report, "boundaries", 5)
    assert {p.severity for p in overlaps} == {"warning"}
    assert any(
        '"Harare" (feature 1) and "Chitungwiza" (feature 5) overlap' in p.message for p in overlaps
    )
    (bad,) = problems_at(ds.report, "boundaries", 6)
    assert bad.severity == "warning" and "repaired with make_valid" in bad.message
    assert ds.boundaries["district"].tolist() == [
        "Harare",
        "Mutare",
        "Bulawayo",
        "Chitungwiza",
        "Gweru",
    ]
    assert ds.boundaries.geometry.is_valid.all()
    assert ds.report.files["boundaries"] == type(ds.report.files["boundaries"])(6, 5, 1)


def test_small_overlap_is_not_reported(tmp_path):
    districts = [("A", "", (30.0, -18.0, 31.0, -17.0)), ("B", "", (30.995, -18.0, 32.0, -17.0))]
    folder = write_dataset(tmp_path / "ds", hotspots=[], sites=[], enrolment=[])
    write_boundaries(folder, "geojson", boundaries_frame(districts))
    ds = load_dataset(folder)
    assert not [p for p in ds.report.problems if "overlap" in p.message]


def test_boundaries_in_another_crs_are_reprojected(tmp_path):
    folder = write_dataset(tmp_path / "ds")
    write_boundaries(folder, "gpkg", boundaries_frame().to_crs("EPSG:32736"))
    (folder / "boundaries.geojson").unlink()
    ds = load_dataset(folder)
    assert not ds.report.has_errors
    assert any("reprojected from EPSG:32736" in p.message for p in ds.report.problems)
    assert ds.boundaries.crs.to_epsg() == 4326
    assert ds.hotspots["district"].tolist() == ["Harare", "Mutare", "Bulawayo"]


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_boundaries_without_crs_in_metres_are_refused(tmp_path):
    folder = write_dataset(tmp_path / "ds")
    metres = boundaries_frame().to_crs("EPSG:32736").set_crs(None, allow_override=True)
    (folder / "boundaries.geojson").unlink()
    write_boundaries(folder, "zip", metres)
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    (p,) = info.value.report.errors("boundaries")
    assert "declares no CRS and its coordinates are not degrees" in p.message


def test_district_column_detected_and_reported(tmp_path):
    folder = write_dataset(tmp_path / "ds")
    write_boundaries(
        folder,
        "geojson",
        boundaries_frame().rename(columns={"district": "shapeName", "region": "x"}),
    )
    ds = load_dataset(folder)
    assert any(
        p.severity == "info" and 'district names taken from column "shapeName"' in p.message
        for p in ds.report.problems
    )
    assert ds.boundaries["region"].tolist() == ["", "", ""]


def test_configured_district_column_missing_is_fatal_with_suggestion(tmp_path):
    folder = write_dataset(tmp_path / "ds", toml='[boundaries]\ndistrict_column = "distrct"\n')
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    assert any(
        '"distrct" is not a column of the boundaries — did you mean "district"?' in p.message
        for p in info.value.report.errors("boundaries")
    )


# --------------------------------------------------------------------------- fatal problems
def test_missing_required_column_suggests_the_closest_header(tmp_path):
    header = [("lattitude" if h == "latitude" else h) for h in HOTSPOT_HEADER]
    folder = write_dataset(tmp_path / "ds", hotspot_header=header)
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    report = info.value.report
    (p,) = report.errors("hotspots")
    assert (p.row, p.column) == (1, "latitude")
    assert p.message.startswith('required column "latitude" is missing — did you mean "lattitude"?')
    assert report.files["hotspots"].rows == 3 and report.files["hotspots"].rejected == 3
    assert not report.errors("sites")  # the other files were still checked
    assert "lattitude" in str(info.value)


def test_empty_file_and_missing_file(tmp_path):
    folder = write_dataset(tmp_path / "ds")
    (folder / "enrolment.csv").write_bytes(b"")
    (folder / "sites.csv").rename(folder / "site.csv")
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    errors = {p.file: p.message for p in info.value.report.errors()}
    assert errors["enrolment"].startswith("enrolment.csv is empty: it needs a header row")
    assert errors["sites"].startswith("no sites file in") and '"site.csv"' in errors["sites"]


def test_header_only_file_is_a_warning(tmp_path):
    ds = load_dataset(write_dataset(tmp_path / "ds", enrolment=[]))
    assert any(p.file == "enrolment" and "no data rows" in p.message for p in ds.report.warnings())
    assert len(ds.enrolment) == 0


def test_not_a_folder(tmp_path):
    with pytest.raises(DatasetLoadError, match="is not a folder"):
        load_dataset(tmp_path / "nope")


def test_strict_mode_refuses_on_any_error(tmp_path):
    folder = write_dataset(tmp_path / "ds", hotspots=HOTSPOTS + [hotspot_row(hotspot_id="HS-1")])
    assert len(load_dataset(folder).hotspots) == 3
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder, strict=True)
    assert info.value.report.errors("hotspots")[0].row == 5


def test_problems_sorted_by_file_then_row(tmp_path):
    with pytest.raises(DatasetLoadError):
        load_dataset(ROOT / "tests" / "fixtures" / "faulty_fatal")
    report = load_dataset(ROOT / "tests" / "fixtures" / "faulty").report
    order = ["dataset", "boundaries", "hotspots", "sites", "enrolment"]
    keys = [(order.index(p.file), -1 if p.row is None else p.row) for p in report.problems]
    assert keys == sorted(keys)
    assert_counts_add_up(report)


def test_faulty_fixture_has_each_fault_at_its_row():
    report = load_dataset(ROOT / "tests" / "fixtures" / "faulty").report
    rows = {(p.file, p.row, p.column) for p in report.problems}
    for expected in [
        ("hotspots", 3, "typical_max"),
        ("hotspots", 4, "latitude"),
        ("hotspots", 5, "latitude"),
        ("hotspots", 6, "peak_min"),
        ("hotspots", 7, "typical_min"),
        ("hotspots", 8, "hotspot_id"),
        ("hotspots", 9, "district"),
        ("hotspots", 10, "district"),
        ("hotspots", 11, "latitude"),
        ("hotspots", 13, "peak_max"),
        ("sites", 3, "latitude"),
        ("sites", 4, "site_id"),
        ("enrolment", 3, "hotspot_id"),
        ("enrolment", 4, "site_id"),
        ("enrolment", 6, "period"),
        ("enrolment", 7, "district"),
        ("boundaries", 4, "district"),
        ("boundaries", 5, "geometry"),
        ("boundaries", 6, "geometry"),
    ]:
        assert expected in rows, expected
    hs = load_dataset(ROOT / "tests" / "fixtures" / "faulty").hotspots
    assert "Chégutu Bar & Lodge" in hs["name"].tolist()


def test_demo_dataset_loads_without_errors():
    if not (DEMO / "hotspots.csv").exists() and not (DEMO / "hotspots.xlsx").exists():
        pytest.fail(
            f"{DEMO} has no hotspots file yet "
            "(the demo dataset is built by data/demo/build_demo.py)"
        )
    ds = load_dataset(DEMO)
    assert ds.report.errors() == [], ds.report.summary_text()
    assert len(ds.boundaries) == 28
    assert ds.synthetic is True
    assert ds.hotspots["district"].isin(ds.boundaries["district"]).all()
    assert_counts_add_up(ds.report)


# ------------------------------------------------------------------------------ more inputs
def test_decimal_comma_coordinates_in_a_semicolon_file(tmp_path):
    rows = [hotspot_row(latitude="-17,5", longitude="30,5")] + HOTSPOTS[1:]
    folder = write_dataset(tmp_path / "ds")
    write_csv(folder / "hotspots.csv", HOTSPOT_HEADER, rows, delimiter=";", encoding="latin-1")
    ds = load_dataset(folder)
    assert not ds.report.has_errors, ds.report.summary_text()
    assert ds.hotspots.loc[0, "latitude"] == -17.5 and ds.hotspots.loc[0, "district"] == "Harare"


def test_xlsx_hotspots_with_numbers_and_dates(tmp_path):
    import datetime as dt

    rows = [
        [
            r[0],
            r[1],
            float(r[2]),
            float(r[3]),
            r[4],
            float(r[5]),
            int(r[6]),
            int(r[7]),
            int(r[8]),
            r[9],
            r[10],
            r[11],
            r[12],
            dt.datetime(2025, 3, 14),
        ]
        for r in HOTSPOTS
    ]
    folder = write_dataset(tmp_path / "ds")
    (folder / "hotspots.csv").unlink()
    write_xlsx(folder / "hotspots.xlsx", HOTSPOT_HEADER, rows)
    ds = load_dataset(folder)
    assert not ds.report.has_errors, ds.report.summary_text()
    assert ds.hotspots["typical_min"].tolist() == [5, 3, 10]
    assert ds.hotspots["mapped_on"].tolist() == ["2025-03-14"] * 3


def test_site_outside_every_district_and_unknown_stated_district(tmp_path):
    sites = SITES + [
        ["SITE-3", "Far", "-10", "40", "clinic", "", ""],
        ["SITE-4", "Near", "-17.5", "30.2", "clinic", "Hrare", ""],
    ]
    ds = load_dataset(write_dataset(tmp_path / "ds", sites=sites))
    msg = {p.row: p.message for p in ds.report.errors("sites")}
    assert msg[4].startswith("site at latitude -10, longitude 40 lies outside every district")
    assert msg[5].startswith('district "Hrare" is not in the boundaries — did you mean "Harare"?')


def test_boundary_features_that_are_not_polygons_are_rejected(tmp_path):
    from shapely.geometry import Point

    frame = pd.concat(
        [
            boundaries_frame(),
            gpd.GeoDataFrame(
                {"district": ["Dot"], "region": [""]}, geometry=[Point(35, -15)], crs="EPSG:4326"
            ),
        ],
        ignore_index=True,
    )
    folder = write_dataset(tmp_path / "ds")
    write_boundaries(folder, "geojson", gpd.GeoDataFrame(frame, crs="EPSG:4326"))
    ds = load_dataset(folder)
    (p,) = problems_at(ds.report, "boundaries", 4)
    assert p.message == 'feature 4 ("Dot") is a Point, not a polygon: districts must be polygons'
    assert len(ds.boundaries) == 3


def test_enrolment_optional_counts_and_district_disagreement(tmp_path):
    folder = write_dataset(tmp_path / "ds")
    write_csv(
        folder / "enrolment.csv",
        ["period", "hotspot_id", "district", "enrolled", "contacted", "on_prep"],
        [["2025-Q4", "HS-1", "", "7", "12", "lots"], ["2025-Q4", "HS-2", "Harare", "4", "", "1"]],
    )
    ds = load_dataset(folder)
    warn = {(p.row, p.column): p.message for p in ds.report.warnings("enrolment")}
    assert warn[(2, "on_prep")].startswith(
        'on_prep "lots" is not a count of 0 or more and was cleared'
    )
    assert warn[(3, "district")] == (
        'district "Harare" disagrees with the hotspot it names (in "Mutare"); "Mutare" is used'
    )
    en = ds.enrolment
    assert en["contacted"].tolist()[0] == 12 and pd.isna(en["contacted"].tolist()[1])
    assert pd.isna(en["on_prep"].iloc[0]) and en["district"].tolist() == ["Harare", "Mutare"]
