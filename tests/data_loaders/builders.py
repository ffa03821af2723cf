"""Tiny real dataset files for loader tests: three square districts and a few rows a reader can
check.

Districts (WGS84 squares): Harare lon 30..31 lat -18..-17 (region Mashonaland), Mutare
lon 31..32 lat -18..-17 (Manicaland, shares an edge with Harare), Bulawayo lon 28..29
lat -21..-20 (Matabeleland). UTM zone of the centre (lon 30, lat -19): EPSG:32736.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

DISTRICTS = [
    ("Harare", "Mashonaland", (30.0, -18.0, 31.0, -17.0)),
    ("Mutare", "Manicaland", (31.0, -18.0, 32.0, -17.0)),
    ("Bulawayo", "Matabeleland", (28.0, -21.0, 29.0, -20.0)),
]

HOTSPOT_HEADER = [
    "hotspot_id",
    "name",
    "latitude",
    "longitude",
    "typology",
    "typical_min",
    "typical_max",
    "peak_min",
    "peak_max",
    "district",
    "population",
    "peak_days",
    "peak_times",
    "mapped_on",
]
HOTSPOTS = [
    [
        "HS-1",
        "Chégutu Bar & Lodge",
        "-17.5",
        "30.5",
        "Bar",
        "5",
        "10",
        "8",
        "15",
        "Harare",
        "",
        "Fri;Sat",
        "evening",
        "2025-03-14",
    ],
    [
        "HS-2",
        "Sakubva Street",
        "-17.4",
        "31.6",
        "street",
        "3",
        "6",
        "6",
        "12",
        "Mutare",
        "FSW",
        "Fri-Sun",
        "18-2",
        "",
    ],
    [
        "HS-3",
        "Lobengula Lodge",
        "-20.5",
        "28.5",
        "lodge",
        "10",
        "20",
        "15",
        "30",
        "",
        "FSW",
        "",
        "",
        "",
    ],
]
SITE_HEADER = ["site_id", "name", "latitude", "longitude", "site_type", "district", "services"]
SITES = [
    ["SITE-1", "Harare DIC", "-17.6", "30.4", "drop_in_centre", "Harare", "condoms;hts;prep"],
    ["SITE-2", "Bulawayo Clinic", "-20.4", "28.6", "clinic", "Bulawayo", "condoms, lubricant"],
]
ENROLMENT_HEADER = ["period", "hotspot_id", "site_id", "district", "enrolled"]
ENROLMENT = [
    ["2025-Q4", "HS-1", "", "", "7"],
    ["2025-Q4", "HS-2", "", "", "4"],
    ["2025-Q4", "", "SITE-2", "", "12"],
    ["2025-Q4", "", "", "Mutare", "3"],
]


def boundaries_frame(districts=DISTRICTS) -> gpd.GeoDataFrame:
    """The district squares as a WGS84 GeoDataFrame (columns district, region)."""
    return gpd.GeoDataFrame(
        {"district": [d[0] for d in districts], "region": [d[1] for d in districts]},
        geometry=[box(*d[2]) for d in districts],
        crs="EPSG:4326",
    )


def write_boundaries(
    folder: Path, fmt: str = "geojson", frame: gpd.GeoDataFrame | None = None
) -> Path:
    """Write boundaries as boundaries.geojson, .gpkg or a zipped Shapefile (.zip); return the
    path."""
    frame = boundaries_frame() if frame is None else frame
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        path = folder / "boundaries.geojson"
        frame.to_file(path, driver="GeoJSON")
    elif fmt == "gpkg":
        path = folder / "boundaries.gpkg"
        frame.to_file(path, driver="GPKG", layer="districts")
    elif fmt == "zip":
        path = folder / "boundaries.zip"
        # pyogrio writes a zipped Shapefile directly for a .shp.zip target
        tmp = folder / "boundaries.shp.zip"
        frame.to_file(tmp, driver="ESRI Shapefile")
        tmp.rename(path)
    else:
        raise ValueError(f"fmt {fmt!r}: use geojson, gpkg or zip")
    return path


def csv_bytes(
    header: list[str],
    rows: list[list[str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
) -> bytes:
    """CSV text of header + rows encoded as asked (bom=True adds the UTF-8 byte-order mark)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_csv(path: Path, header: list[str], rows: list[list[str]], **kwargs) -> Path:
    """Write a CSV file (see csv_bytes for options); return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(header, rows, **kwargs))
    return path


def write_xlsx(
    path: Path,
    header: list[str],
    rows: list[list[object]],
    sheet: str = "Sheet1",
    first_sheet: str | None = None,
) -> Path:
    """Write an XLSX workbook with the table on ``sheet`` (after an extra ``first_sheet`` if
    given)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if first_sheet:
        ws.title = first_sheet
        ws.append(["notes"])
        ws = wb.create_sheet(sheet)
    else:
        ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_dataset(
    folder: Path,
    *,
    hotspots=None,
    sites=None,
    enrolment=None,
    hotspot_header=None,
    boundaries_fmt: str = "geojson",
    toml: str | None = None,
) -> Path:
    """A complete good dataset folder; pass rows to replace a table's rows."""
    folder.mkdir(parents=True, exist_ok=True)
    write_boundaries(folder, boundaries_fmt)
    write_csv(
        folder / "hotspots.csv",
        hotspot_header or HOTSPOT_HEADER,
        HOTSPOTS if hotspots is None else hotspots,
    )
    write_csv(folder / "sites.csv", SITE_HEADER, SITES if sites is None else sites)
    write_csv(
        folder / "enrolment.csv", ENROLMENT_HEADER, ENROLMENT if enrolment is None else enrolment
    )
    if toml is not None:
        (folder / "dataset.toml").write_text(toml, encoding="utf-8")
    return folder


def hotspot_row(**changes: str) -> list[str]:
    """A good hotspot row (like HS-1) with some cells changed by column name."""
    row = dict(zip(HOTSPOT_HEADER, HOTSPOTS[0]))
    row.update(changes)
    return [row[c] for c in HOTSPOT_HEADER]
