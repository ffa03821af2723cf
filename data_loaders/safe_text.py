"""Text written to CSV or Excel from user data must never start a formula (DESIGN.md section 4)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

# OWASP's CSV-injection list: a cell starting with one of these is run as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets skip leading spaces before =, +, - and @ ("  =1+1" is still a formula).
_AFTER_SPACES = ("=", "+", "-", "@")
# A plain decimal number ("-9.69737", "+5", "-1e3", "-12,5" with a decimal comma): read as a
# number, never run, and written back exactly so a fixed file loads again.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def starts_formula(text: str) -> bool:
    """True when a spreadsheet would run ``text``: it starts with a tab or carriage return, or
    with =, +, - or @ after any leading whitespace, and is not a plain decimal number."""
    if text.startswith(("\t", "\r")):
        return True
    stripped = text.strip()
    return stripped.startswith(_AFTER_SPACES) and _NUMBER.fullmatch(stripped) is None


def neutralise_formula(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe when it is text that a spreadsheet would run.

    Numbers are returned unchanged, and so is text that is a plain number ("-9.69737", "-5"):
    a negative number is a number, not a formula.
    """
    if isinstance(value, str) and starts_formula(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot start a formula."""
    columns = {}
    for i in range(frame.shape[1]):  # by position: a file may repeat a header
        column = frame.iloc[:, i]
        text = column.dtype == object or pd.api.types.is_string_dtype(column)
        columns[i] = column.map(neutralise_formula) if text else column.copy()
    out = pd.DataFrame(columns, index=frame.index)
    out.columns = [neutralise_formula(str(c)) for c in frame.columns]
    return out


def frame_to_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text a spreadsheet cannot run: text cells neutralised, numbers as they are,
    and CRLF line ends (RFC 4180), so that a carriage return inside a cell is quoted instead of
    starting a new row whose first cell could be a formula."""
    return str(neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n"))
