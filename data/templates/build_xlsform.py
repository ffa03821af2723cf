"""Build hotspot_mapping_xlsform.xlsx: an XLSForm for ODK Collect / KoboToolbox hotspot mapping
whose export (CSV or XLSX, any group separator) loads as hotspots.csv with no column mapping.

    python data/templates/build_xlsform.py [--out DIR]

Question names are those the loader matches on its own (data_loaders.kobo.ALIASES): spot_code,
spot_name, typology, population, location (a geopoint), district, typical_min ... peak_max,
peak_days, peak_times; ``today`` gives mapped_on. Constraints keep counts whole and ordered.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
NAME = "hotspot_mapping_xlsform.xlsx"
FIXED_TIME = dt.datetime(2025, 1, 1)  # workbook metadata: no build time in the file

SURVEY_HEADER = ["type", "name", "label", "hint", "required", "constraint", "constraint_message"]
COUNT = "Whole number of people, 0 or more"
SURVEY = [
    ["start", "start", "", "", "", "", ""],
    ["end", "end", "", "", "", "", ""],
    ["today", "today", "", "", "", "", ""],
    ["begin_group", "spot", "Spot", "", "", "", ""],
    ["text", "spot_code", "Spot code", "Unique, e.g. HS-0001", "yes", "", ""],
    ["text", "spot_name", "Name of the spot", "As people know it", "", "", ""],
    ["select_one typology", "typology", "Type of place", "", "yes", "", ""],
    ["select_one kp", "population", "Key population at the spot", "", "", "", ""],
    ["geopoint", "location", "Location", "Stand at the spot", "yes", "", ""],
    ["text", "district", "District", "Optional: found from the location", "", "", ""],
    ["end_group", "", "", "", "", "", ""],
    ["begin_group", "counts", "Key informants' counts", "", "", "", ""],
    ["integer", "typical_min", "Fewest people on a typical day", COUNT, "yes", ". >= 0", COUNT],
    [
        "integer",
        "typical_max",
        "Most people on a typical day",
        COUNT,
        "yes",
        ". >= ${typical_min}",
        "At least the fewest on a typical day",
    ],
    ["integer", "peak_min", "Fewest people on the peak day", COUNT, "yes", ". >= 0", COUNT],
    [
        "integer",
        "peak_max",
        "Most people on the peak day",
        COUNT,
        "yes",
        ". >= ${peak_min}",
        "At least the fewest on the peak day",
    ],
    ["end_group", "", "", "", "", "", ""],
    ["begin_group", "timing", "When it is busiest", "", "", "", ""],
    ["select_multiple days", "peak_days", "Peak days", "", "", "", ""],
    ["select_multiple bands", "peak_times", "Peak times", "", "", "", ""],
    ["end_group", "", "", "", "", "", ""],
]
CHOICES = (
    [["typology", t, t.replace("_", " ").capitalize()] for t in (
        "bar", "lodge", "street", "nightclub", "brothel", "home", "truck_stop", "market", "other",
    )]
    + [["kp", k, k] for k in ("FSW", "MSM", "MWPS", "PWID", "TG")]
    + [["days", d, d] for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")]
    + [["bands", b, f"{b.capitalize()} ({h})"] for b, h in (
        ("morning", "6-12"), ("afternoon", "12-18"), ("evening", "18-24"), ("night", "0-6"),
    )]
)  # fmt: skip
SETTINGS = [["form_title", "form_id", "version"], ["Hotspot mapping", "hotspot_mapping", "1"]]


def build_xlsform(path: Path) -> None:
    """Write the XLSForm (survey, choices, settings sheets)."""
    wb = Workbook()
    bold = Font(bold=True)
    survey = wb.active
    survey.title = "survey"
    for title, header, rows in (
        ("survey", SURVEY_HEADER, SURVEY),
        ("choices", ["list_name", "name", "label"], CHOICES),
        ("settings", SETTINGS[0], SETTINGS[1:]),
    ):
        sheet = survey if title == "survey" else wb.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = bold
        for row in rows:
            sheet.append([v if v != "" else None for v in row])
    wb.properties.creator = "build_xlsform.py"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(path)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: build the XLSForm into --out (default data/templates)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (%(default)s)")
    args = parser.parse_args(argv)
    build_xlsform(args.out / NAME)
    print(f"wrote {args.out / NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
