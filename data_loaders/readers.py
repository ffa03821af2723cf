"""Read user files as text tables (CSV, XLSX) and boundary polygons (GeoJSON, GeoPackage, zipped
Shapefile).

Every table cell is read as text so that types are validated by data_loaders.dataset with
row numbers and fixes, not guessed by pandas. CSV encoding is detected (UTF-8 with or
without BOM, else Windows-1252/Latin-1) and the delimiter (comma, semicolon or tab) is
taken from the header line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from data_loaders.sniff import binary_kind, not_text_message

TABLE_SUFFIXES = (".csv", ".xlsx")
BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip")
DELIMITERS = (",", ";", "\t")
# The characters str.strip() removes (every c with c.isspace(); tests/data_loaders/test_readers.py
# checks the list): a row whose cells hold only these is blank.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


class ReadError(Exception):
    """A file could not be read at all; the message names the file and says how to fix it."""


@dataclass(frozen=True)
class TextTable:
    """A table read as text: ``frame`` (all str, headers normalised), the spreadsheet row of each
    data row (``rows``; header = 1), the headers as written, and how it was decoded."""

    frame: pd.DataFrame
    rows: list[int]
    original_headers: list[str]
    encoding: str
    delimiter: str
    sheet: str
    # The rows as the file holds them (its own headers), when ``frame`` was rebuilt from them
    # (a Kobo/ODK export, a DHIS2 data value set): what rejected rows are written back as.
    source: pd.DataFrame | None = None


def normalise_header(header: object) -> str:
    """Header as a column key: stripped, lower-case, spaces and dashes as underscores."""
    text = "" if header is None else str(header)
    text = text.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 with BOM, UTF-8, else Windows-1252, else Latin-1 (never fails)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # odd length or lone surrogates: replaced
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def detect_delimiter(text: str) -> str:
    """The delimiter of the header line: the most frequent of comma, semicolon and tab."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def header_keys(headers: list[str]) -> list[str]:
    """Column keys of ``headers``: normalised, unnamed or repeated ones made unique so no data is
    lost."""
    keys = [normalise_header(h) for h in headers]
    seen: dict[str, int] = {}
    for i, k in enumerate(keys):
        k = k or f"column_{i + 1}"
        if k in seen:
            seen[k] += 1
            k = f"{k}_{seen[k]}"
        else:
            seen[k] = 1
        keys[i] = k
    return keys


def _finish(
    raw_rows: list[list[str]], path: Path, encoding: str, delimiter: str, sheet: str
) -> TextTable:
    """Header + data rows (text) to a TextTable, dropping blank rows but keeping row numbers."""
    header_index = next((i for i, r in enumerate(raw_rows) if "".join(r).strip()), None)
    if header_index is None:
        return TextTable(pd.DataFrame(), [], [], encoding, delimiter, sheet)
    headers = [str(h) for h in raw_rows[header_index]]
    while headers and not headers[-1].strip():  # trailing empty header cells
        headers.pop()
    keys = header_keys(headers)
    data, rows = [], []
    width = len(keys)
    for i in range(header_index + 1, len(raw_rows)):
        r = raw_rows[i]
        if not "".join(r).strip():
            continue
        if len(r) == width:
            cells = r
        else:
            cells = r[:width] + [""] * max(0, width - len(r))
            extra = [c for c in r[width:] if c.strip()]
            if extra:  # more cells than headers: keep them visible in the last column
                cells[-1] = cells[-1] + " | " + " | ".join(extra)
        data.append(cells)
        rows.append(i + 1)
    frame = (
        pd.DataFrame(data, columns=keys, dtype=object)
        if data
        else pd.DataFrame({k: pd.Series([], dtype=object) for k in keys})
    )
    frame = frame.astype(object)
    return TextTable(frame.reset_index(drop=True), rows, headers, encoding, delimiter, sheet)


def read_csv_text(path: str | Path) -> TextTable:
    """Read a CSV file with every cell as text (encoding and delimiter detected)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(
            f"{path.name}: cannot be read ({exc.strerror}); check the file exists and is readable"
        ) from exc
    kind = binary_kind(data)
    if kind is not None:
        raise ReadError(not_text_message(path.name, kind))
    text, encoding = decode_bytes(data)
    delimiter = detect_delimiter(text)
    fast = _read_csv_arrow(text, delimiter, encoding)
    if fast is not None:
        return fast
    try:
        raw = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ReadError(
            f"{path.name}: is not a readable CSV file ({exc}); save it again as CSV "
            "(comma or semicolon separated)"
        ) from exc
    return _finish(raw, path, encoding, delimiter, "")


def _plain_quoting(text: str, delimiter: str) -> bool:
    """True when every quote of ``text`` belongs to a well-formed quoted field (opened at the
    start of a field, ``""`` inside, closed before a delimiter or line end): the only quoting on
    which pyarrow's CSV parser and Python's csv module are known to agree."""
    ends = (delimiter, "\r", "\n")
    inside = False
    quotes = iter(m.start() for m in re.finditer('"', text))
    for pos in quotes:
        if not inside:
            if pos and text[pos - 1] not in ends:
                return False
            inside = True
        elif text.startswith('"', pos + 1):
            next(quotes, None)  # an escaped quote ("")
        else:
            if pos + 1 < len(text) and text[pos + 1] not in ends:
                return False
            inside = False
    return not inside


def _read_csv_arrow(text: str, delimiter: str, encoding: str) -> TextTable | None:
    """The TextTable ``csv.reader`` + ``_finish`` give, parsed by pyarrow (about 10× faster on
    100,000 rows), or None when the text is outside what both parse alike (irregular quoting, a
    NUL, rows of another width, a blank first record, an oversized field, cells beyond the
    headers): the caller then reads it with the csv module, whose errors and row numbers are
    the reference. Row numbers are record numbers, as csv.reader counts them."""
    if "\x00" in text or not _plain_quoting(text, delimiter):
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ImportError:  # pyarrow is a requirement; without it the csv module reads everything
        return None
    try:
        first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return None
    headers = [str(h) for h in first]
    if not "".join(headers).strip():
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(len(headers))},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeEncodeError):
        return None
    if table.num_columns != len(headers) or table.num_rows == 0:
        return None
    while headers and not headers[-1].strip():  # trailing empty header cells
        headers.pop()
    columns = table.columns
    limit = csv.field_size_limit()
    blank = None
    for j, column in enumerate(columns):
        if pc.max(pc.utf8_length(column)).as_py() > limit:
            return None  # the csv module refuses it with its own message
        empty = pc.equal(pc.utf8_trim(column, characters=PY_WHITESPACE), "")
        if j >= len(headers) and not pc.all(empty).as_py():
            return None  # cells beyond the headers: the csv path keeps them in the last column
        blank = empty if blank is None else pc.and_(blank, empty)
    keep = pc.invert(blank).to_numpy(zero_copy_only=False)
    keep[0] = False  # the header record
    rows = (np.flatnonzero(keep) + 1).tolist()
    keys = header_keys(headers)
    frame = pd.DataFrame(
        {
            key: pd.Series(
                columns[j].to_numpy(zero_copy_only=False)[keep], dtype=object, copy=False
            )
            for j, key in enumerate(keys)
        }
    )
    return TextTable(frame, rows, headers, encoding, delimiter, "")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_xlsx_text(path: str | Path, sheet: str | None = None) -> TextTable:
    """Read the first sheet (or the sheet named ``sheet``) of an XLSX workbook as text."""
    import openpyxl  # imported here: only XLSX users pay for it

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise ReadError(
            f"{path.name}: cannot be read ({exc.strerror}); check the file exists and is readable"
        ) from exc
    if not head.startswith(b"PK\x03\x04"):  # an XLSX workbook is a zip archive
        kind = binary_kind(head)
        if kind is not None:
            raise ReadError(not_text_message(path.name, kind))
        raise ReadError(
            f"{path.name}: is not a readable XLSX workbook (it holds plain text): if it is a "
            "CSV table, name it .csv; else open it in a spreadsheet program and save as .xlsx"
        )
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or non-XLSX file
        raise ReadError(
            f"{path.name}: is not a readable XLSX workbook ({type(exc).__name__}: {exc}); "
            "open it in a spreadsheet program and save it again as .xlsx"
        ) from exc
    try:
        if sheet is not None:
            if sheet not in workbook.sheetnames:
                raise ReadError(
                    f"{path.name}: has no sheet named {sheet!r}; its sheets are "
                    f"{workbook.sheetnames}; fix the sheet name in dataset.toml [sheets]"
                )
            ws = workbook[sheet]
        else:
            ws = workbook.worksheets[0]
        raw = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        title = ws.title
    finally:
        workbook.close()
    return _finish(raw, path, "xlsx", "", title)


def read_table_text(path: str | Path, sheet: str | None = None) -> TextTable:
    """Read a CSV or XLSX table with every cell as text (dispatch on the suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv_text(path)
    if suffix == ".xlsx":
        return read_xlsx_text(path, sheet=sheet)
    raise ReadError(f"{path.name}: unsupported table format {suffix!r}; save it as .csv or .xlsx")


def read_boundaries_file(path: str | Path) -> gpd.GeoDataFrame:
    """Read boundary polygons from GeoJSON, GeoPackage (first layer) or a zipped Shapefile."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in BOUNDARY_SUFFIXES:
        raise ReadError(
            f"{path.name}: unsupported boundaries format {suffix!r}; use .geojson, "
            ".gpkg or a .zip holding one Shapefile (.shp, .shx, .dbf, .prj)"
        )
    target = str(path)
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                shps = [
                    n
                    for n in zf.namelist()
                    if n.lower().endswith(".shp") and not n.startswith("__MACOSX")
                ]
        except zipfile.BadZipFile as exc:
            raise ReadError(
                f"{path.name}: is not a readable zip file ({exc}); zip the Shapefile "
                "parts (.shp, .shx, .dbf, .prj) again"
            ) from exc
        if len(shps) != 1:
            raise ReadError(
                f"{path.name}: holds {len(shps)} .shp files ({shps}); the zip must hold "
                "exactly one Shapefile (.shp with its .shx, .dbf and .prj)"
            )
        target = f"/vsizip/{path}/{shps[0]}"
    try:
        return gpd.read_file(target)
    except Exception as exc:  # pyogrio/GDAL raise several error types for unreadable files
        raise ReadError(
            f"{path.name}: cannot be read as boundaries ({type(exc).__name__}: {exc}); "
            "export the district polygons again as GeoJSON, GeoPackage or a zipped "
            "Shapefile"
        ) from exc
