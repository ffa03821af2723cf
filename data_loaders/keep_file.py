"""The keep file: a CSV or XLSX of previous assignments (hotspot_id -> pe_id) held fixed on
re-planning."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

KEEP_COLUMNS = ("hotspot_id", "pe_id")
# The headings of the field sheets' "assignments" sheet (exports/field_sheets.py), read as the
# keep columns so that the downloaded workbook can be given back as it is.
HEADING_ALIASES = {"spot": "hotspot_id", "peer educator": "pe_id"}


class KeepFileError(ValueError):
    """The keep file (hotspot -> PE) cannot be used; the message names file, row, column and fix."""


def read_keep_file(path: str | Path) -> pd.DataFrame:
    """Read a CSV or XLSX of previous assignments: columns hotspot_id, pe_id (others ignored).

    The output of ``cli.py caseloads --out`` (sheet "assignments", headed "Spot" and "Peer
    educator", read as hotspot_id and pe_id) or any table with these two columns. Rows with an
    empty hotspot_id or pe_id are refused with their row number.
    """
    path = Path(path)
    if not path.is_file():
        raise KeepFileError(
            f"keep file {str(path)!r} does not exist; give a CSV or XLSX with columns hotspot_id, "
            "pe_id"
        )
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        book = pd.read_excel(path, sheet_name=None, dtype=str)
        frame = book.get("assignments", next(iter(book.values())))
    elif path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    else:
        raise KeepFileError(
            f"keep file {path.name!r}: type {path.suffix!r} is not .csv or .xlsx; save it as CSV"
        )
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if not set(KEEP_COLUMNS) & set(frame.columns):
        frame = frame.rename(columns=HEADING_ALIASES)
    missing = [c for c in KEEP_COLUMNS if c not in frame.columns]
    if missing:
        raise KeepFileError(
            f"keep file {path.name!r} lacks column(s) {missing} (it has {list(frame.columns)}); "
            "add a header row with hotspot_id and pe_id"
        )
    out = frame[list(KEEP_COLUMNS)].fillna("").astype(str).apply(lambda s: s.str.strip())
    empty = out[(out["hotspot_id"] == "") | (out["pe_id"] == "")]
    if len(empty):
        first = int(empty.index[0]) + 2  # header is row 1
        col = "hotspot_id" if out.loc[empty.index[0], "hotspot_id"] == "" else "pe_id"
        raise KeepFileError(
            f"keep file {path.name!r} row {first}: column {col} is empty; fill it or delete the row"
        )
    return out.reset_index(drop=True)
