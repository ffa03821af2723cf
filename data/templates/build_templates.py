"""Build the fill-in templates of data/templates/ from one column table (DESIGN.md section 2).

    python data/templates/build_templates.py [--out DIR]

Writes hotspots_template.csv, sites_template.csv, enrolment_template.csv (header and example
rows), dataset_template.xlsx (a sheet per file plus a README sheet describing every column),
README.md (the column table for the project README, "Bring your own data") and dataset.toml
(an example settings file). The column names are those of planning/schema.py; example rows
are invented ("Example ...") and show the format of each optional column.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

HERE = Path(__file__).resolve().parent
FILES = ["hotspots", "sites", "enrolment"]
FIXED_TIME = dt.datetime(2025, 1, 1)  # workbook metadata: no build time in the file


@dataclass(frozen=True)
class Column:
    """One column of the data contract: what a user fills in and how."""

    file: str
    name: str
    required: str  # "yes", "no", or a condition
    kind: str  # type and unit
    example: str
    notes: str


COLUMNS = [
    # hotspots: one row per mapped spot (programmatic mapping)
    Column(
        "hotspots",
        "hotspot_id",
        "yes",
        "text, unique",
        "HS-0001",
        "Your id of the spot; enrolment rows refer to it.",
    ),
    Column(
        "hotspots",
        "name",
        "no",
        "text",
        "Example Bar (Area 25)",
        "Kept on the server; never shown in aggregate-only views.",
    ),
    Column(
        "hotspots",
        "latitude",
        "yes",
        "decimal degrees, WGS84, -90..90",
        "-13.98312",
        "Negative south of the equator. Swapped latitude/longitude is reported.",
    ),
    Column(
        "hotspots",
        "longitude",
        "yes",
        "decimal degrees, WGS84, -180..180",
        "33.78601",
        "Decimal degrees, not degrees-minutes-seconds.",
    ),
    Column(
        "hotspots",
        "typology",
        "yes",
        "text",
        "bar",
        "bar, lodge, street, nightclub, brothel, home, truck_stop, market, other "
        "(or your own; case is ignored).",
    ),
    Column(
        "hotspots",
        "typical_min",
        "yes",
        "people, integer >= 0",
        "4",
        "Fewest people at the spot on a typical day (key informants' range).",
    ),
    Column(
        "hotspots",
        "typical_max",
        "yes",
        "people, integer >= typical_min",
        "8",
        "Most people at the spot on a typical day.",
    ),
    Column(
        "hotspots",
        "peak_min",
        "yes",
        "people, integer >= 0",
        "8",
        "Fewest people on the peak day; the low size estimate.",
    ),
    Column(
        "hotspots",
        "peak_max",
        "yes",
        "people, integer >= peak_min",
        "15",
        "Most people on the peak day; the high size estimate.",
    ),
    Column(
        "hotspots",
        "district",
        "no",
        "text, a district of the boundaries",
        "Lilongwe",
        "Checked against the polygon the spot lies in; filled from it when blank.",
    ),
    Column("hotspots", "region", "no", "text", "Central", "Taken from the boundaries when blank."),
    Column(
        "hotspots",
        "population",
        "no",
        "FSW, MSM, MWPS, PWID or TG",
        "FSW",
        "Key population at the spot; FSW when blank.",
    ),
    Column(
        "hotspots",
        "peak_days",
        "no",
        "days joined with ;",
        "Fri;Sat",
        "Also accepted: Fri-Sun, weekend, daily, Friday, Saturday.",
    ),
    Column(
        "hotspots",
        "peak_times",
        "no",
        "hour ranges joined with ;",
        "18-24;0-2",
        "Also accepted: 18:00-02:00, 6pm-2am, or bands morning;afternoon;evening;night. "
        "Peak days name nights: Fri with 20-24;0-3 is Fri 20:00 to Sat 03:00; "
        "early hours alone (0-4) are the listed day's own early hours.",
    ),
    Column(
        "hotspots",
        "mapped_on",
        "no",
        "date, YYYY-MM-DD",
        "2025-03-14",
        "When the spot was mapped or last validated.",
    ),
    Column(
        "hotspots",
        "pe_id",
        "no",
        "text",
        "PE-LIL-001",
        "Peer educator now covering the spot; kept when caseloads are re-planned "
        "(cli.py caseloads, /outreach).",
    ),
    # sites: service delivery points
    Column(
        "sites",
        "site_id",
        "yes",
        "text, unique",
        "SITE-01",
        "Your id of the site; enrolment rows may refer to it.",
    ),
    Column("sites", "name", "yes", "text", "Example Drop-in Centre", ""),
    Column("sites", "latitude", "yes", "decimal degrees, WGS84", "-13.97105", ""),
    Column("sites", "longitude", "yes", "decimal degrees, WGS84", "33.79422", ""),
    Column(
        "sites",
        "site_type",
        "yes",
        "text",
        "drop_in_centre",
        "clinic, drop_in_centre, mobile, pharmacy (or your own).",
    ),
    Column(
        "sites",
        "district",
        "no",
        "text, a district of the boundaries",
        "Lilongwe",
        "Checked against the polygon the site lies in.",
    ),
    Column(
        "sites",
        "services",
        "no",
        "services joined with ;",
        "condoms;lubricant;hts;prep;sti",
        "Any of condoms, lubricant, hts, prep, art, sti, fp; geographic access is computed "
        "per service.",
    ),
    Column(
        "sites",
        "open_days",
        "no",
        "days joined with ;",
        "Mon;Tue;Wed;Thu;Fri;Sat",
        "Same forms as peak_days.",
    ),
    Column(
        "sites",
        "open_hours",
        "no",
        "hour ranges joined with ;",
        "9-20",
        "Same forms as peak_times.",
    ),
    # enrolment: programme records
    Column(
        "enrolment",
        "period",
        "yes",
        "quarter YYYY-Qn or month YYYY-MM",
        "2025-Q3",
        "Use one kind of period in a file.",
    ),
    Column(
        "enrolment",
        "enrolled",
        "yes",
        "people, integer >= 0, cumulative",
        "12",
        "Unique people registered up to the end of the period (not new in the period).",
    ),
    Column(
        "enrolment",
        "hotspot_id",
        "one of three",
        "text, a hotspot_id",
        "HS-0001",
        "Fill exactly one of hotspot_id, site_id, district on each row.",
    ),
    Column(
        "enrolment",
        "site_id",
        "one of three",
        "text, a site_id",
        "SITE-01",
        "For records kept by site.",
    ),
    Column(
        "enrolment",
        "district",
        "one of three",
        "text, a district of the boundaries",
        "Lilongwe",
        "For records kept by district only.",
    ),
    Column("enrolment", "contacted", "no", "people, integer >= 0", "9", "Reached in the period."),
    Column(
        "enrolment",
        "condoms_distributed",
        "no",
        "condoms, integer >= 0",
        "720",
        "Distributed in the period.",
    ),
    Column(
        "enrolment",
        "tested_hiv",
        "no",
        "people, integer >= 0",
        "5",
        "Tested for HIV in the period.",
    ),
    Column(
        "enrolment",
        "on_prep",
        "no",
        "people, integer >= 0",
        "2",
        "On PrEP at the end of the period.",
    ),
]

EXAMPLE_ROWS = {
    "hotspots": [
        [
            "HS-0001",
            "Example Bar (Area 25)",
            "-13.98312",
            "33.78601",
            "bar",
            "4",
            "8",
            "8",
            "15",
            "Lilongwe",
            "Central",
            "FSW",
            "Fri;Sat",
            "18-24;0-2",
            "2025-03-14",
            "PE-LIL-001",
        ],
        [
            "HS-0002",
            "Example Lodge (Area 18)",
            "-13.95470",
            "33.80150",
            "lodge",
            "6",
            "10",
            "10",
            "20",
            "",
            "",
            "",
            "Fri-Sun",
            "evening;night",
            "14/03/2025",
            "PE-LIL-001",
        ],
        [
            "HS-0003",
            "Example Street Spot (bus depot)",
            "-13.99020",
            "33.77340",
            "street",
            "10",
            "25",
            "30",
            "80",
            "Lilongwe",
            "",
            "MSM",
            "",
            "",
            "",
            "",
        ],
    ],
    "sites": [
        [
            "SITE-01",
            "Example Drop-in Centre",
            "-13.97105",
            "33.79422",
            "drop_in_centre",
            "Lilongwe",
            "condoms;lubricant;hts;prep;sti",
            "Mon;Tue;Wed;Thu;Fri;Sat",
            "9-20",
        ],
        [
            "SITE-02",
            "Example Clinic",
            "-13.96200",
            "33.77010",
            "clinic",
            "",
            "condoms;hts;art;sti;fp",
            "Mon-Fri",
            "08:00-17:00",
        ],
        [
            "SITE-03",
            "Example Mobile Unit",
            "-13.98800",
            "33.78100",
            "mobile",
            "Lilongwe",
            "condoms;lubricant;hts",
            "Fri;Sat",
            "18-23",
        ],
    ],
    "enrolment": [
        ["2025-Q3", "9", "HS-0001", "", "", "7", "560", "4", "1"],
        ["2025-Q4", "12", "HS-0001", "", "", "9", "720", "5", "2"],
        ["2025-Q4", "40", "", "SITE-01", "", "", "", "", ""],
    ],
}

DATASET_TOML = """\
# Optional settings of a dataset folder (DESIGN.md section 2). Every key may be left out.
[dataset]
name = "My country: FSW mapping 2025"
country = "Malawi"
synthetic = false          # true shows a "synthetic demo data" banner

[boundaries]
district_column = "district"   # column of the boundaries file holding the district name
region_column = "region"       # optional; leave out when the boundaries have no region

[crs]
projected = "EPSG:32736"       # distances are computed in this CRS; default: the UTM zone \
of the data

[parameters]                   # optional default scenario parameters
people_per_pe = 60             # 50-90, usually 50-75 (planning/parameters.py)
pe_per_orw = 6

# With XLSX files, the first sheet is read unless named here, e.g. when dataset_template.xlsx
# is copied three times as hotspots.xlsx, sites.xlsx and enrolment.xlsx:
# [sheets]
# hotspots = "hotspots"
# sites = "sites"
# enrolment = "enrolment"
"""


def header(file: str) -> list[str]:
    """Column names of one file, in template order."""
    return [c.name for c in COLUMNS if c.file == file]


def csv_text(rows: list[list[str]]) -> str:
    """CSV text with "\\n" line endings."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def readme_markdown() -> str:
    """The column table (file, column, required?, type/unit, example, notes) as Markdown."""
    lines = [
        "# Templates: bring your own data",
        "",
        "A dataset is a folder holding `hotspots`, `sites` and `enrolment` (CSV or XLSX), "
        "a `boundaries`",
        "file (GeoJSON, GeoPackage or zipped Shapefile: polygons with a district name column, "
        "optionally a",
        "region column) and an optional `dataset.toml`. Fill in `hotspots_template.csv`, "
        "`sites_template.csv`",
        "and `enrolment_template.csv` (or the sheets of `dataset_template.xlsx`), rename them to",
        "`hotspots.csv`, `sites.csv`, `enrolment.csv`, and check the folder with",
        "`python cli.py validate --data DIR`: every problem is reported with its file, row, "
        "column and value.",
        "With the workbook, save it as `hotspots.xlsx`, `sites.xlsx` and `enrolment.xlsx` and "
        "name each one's",
        'sheet in `dataset.toml` (`[sheets] hotspots = "hotspots"`, ...; see the example '
        "`dataset.toml`).",
        "Column names are case-insensitive; extra columns are ignored. The example rows are "
        "invented: delete them.",
        "",
        "| file | column | required? | type / unit | example | notes |",
        "|---|---|---|---|---|---|",
    ]
    for c in COLUMNS:
        lines.append(
            f"| `{c.file}` | `{c.name}` | {c.required} | {c.kind} | `{c.example}` | {c.notes} |"
        )
    lines += [
        "| `boundaries` | district name column | yes | text, unique | `Lilongwe` | Polygons or "
        "MultiPolygons; name the column in `dataset.toml` (`[boundaries] district_column`) or it "
        "is detected and reported. |",
        "| `boundaries` | region column | no | text | `Central` | `[boundaries] region_column`. |",
        "",
        "Hotspot locations of a criminalised population are sensitive: keep the files on the",
        "programme's own server; aggregate-only views (`python app.py --aggregate`) never send "
        "them to",
        "the browser. Generated by `data/templates/build_templates.py` (do not edit by hand).",
        "",
    ]
    return "\n".join(lines)


def _typed(value: str):
    """Numbers as numbers in the workbook (a text '-13.98' would look like a formula to some
    tools)."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def build_workbook(path: Path) -> None:
    """dataset_template.xlsx: a README sheet and one sheet per file with its example rows."""
    wb = Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    readme = wb.active
    readme.title = "README"
    readme.append(
        [
            "Fill in one sheet per file (hotspots, sites, enrolment), or save each sheet as a "
            "CSV file. Example rows are invented: delete them."
        ]
    )
    readme.append([])
    readme.append(["file", "column", "required?", "type / unit", "example", "notes"])
    for cell in readme[3]:
        cell.font, cell.fill = bold, fill
    for c in COLUMNS:
        readme.append([c.file, c.name, c.required, c.kind, c.example, c.notes])
    for letter, width in zip("ABCDEF", [12, 22, 14, 36, 32, 90]):
        readme.column_dimensions[letter].width = width
    for file in FILES:
        sheet = wb.create_sheet(file)
        sheet.append(header(file))
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        for row in EXAMPLE_ROWS[file]:
            sheet.append([_typed(v) if v != "" else None for v in row])
        for i, name in enumerate(header(file)):
            sheet.column_dimensions[sheet.cell(row=1, column=i + 1).column_letter].width = max(
                12, len(name) + 4
            )
        sheet.freeze_panes = "A2"
    wb.properties.creator = "build_templates.py"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(path)


def build(out_dir: Path) -> list[str]:
    """Write every template into out_dir; return the file names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for file in FILES:
        for row in EXAMPLE_ROWS[file]:
            if len(row) != len(header(file)):
                raise ValueError(
                    f"EXAMPLE_ROWS[{file!r}] row {row[0]!r} has {len(row)} cells; "
                    f"the header has {len(header(file))}"
                )
        name = f"{file}_template.csv"
        (out_dir / name).write_bytes(csv_text([header(file)] + EXAMPLE_ROWS[file]).encode("utf-8"))
        written.append(name)
    (out_dir / "README.md").write_bytes(readme_markdown().encode("utf-8"))
    (out_dir / "dataset.toml").write_bytes(DATASET_TOML.encode("utf-8"))
    build_workbook(out_dir / "dataset_template.xlsx")
    return written + ["README.md", "dataset.toml", "dataset_template.xlsx"]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: build the templates into --out (default data/templates)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=HERE, help="output folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    print(f"wrote {args.out}: " + ", ".join(build(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
