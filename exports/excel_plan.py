"""Write a Plan to an Excel workbook a planner can open and print (XlsxWriter: streams cells about
3× faster than openpyxl, which keeps the download callback of the Scenarios page under 300 ms).

Sheets: National, Regions, Districts, Hotspots (left out with ``aggregate_only=True``),
Allocation (only under a cap) and "Parameters & sources". Each sheet starts with a title row
naming the dataset, a row stating the level of detail (and "synthetic demo data" when the data
are synthetic), then a frozen header row whose labels carry units; numbers are formatted,
shares shown as %, landscape and fit to width for printing. Text from data passes through
data_loaders.safe_text.neutralise_formula so no cell can start a formula (DESIGN.md s.4).
"""

from __future__ import annotations

import math
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

from data_loaders.readers import PY_WHITESPACE
from data_loaders.safe_text import neutralise_formula
from planning.allocation import comparison_frame
from planning.plan import AGGREGATE_DETAIL, HOTSPOT_DETAIL, Plan
from planning.scenario import parameter_rows
from planning.siting import new_sites_sentence
from services.locks import ForkSafeLock

PEOPLE = "#,##0"
PEOPLE_1 = "#,##0.0"
SHARE = "0.0%"
USD = '"USD "#,##0'
KM = "#,##0.0"

# column -> (header with unit, number format)
LABELS: dict[str, tuple[str, str | None]] = {
    "level": ("Level", None),
    "name": ("Name", None),
    "district": ("District", None),
    "region": ("Region", None),
    "districts": ("Districts", PEOPLE),
    "hotspots": ("Hotspots", PEOPLE),
    "hotspot_id": ("Hotspot id", None),
    "typology": ("Typology", None),
    "population": ("Key population", None),
    "latitude": ("Latitude (°)", "0.00000"),
    "longitude": ("Longitude (°)", "0.00000"),
    "estimate_low": ("Estimate low (people)", PEOPLE),
    "estimate_mid": ("Estimate mid (people)", PEOPLE),
    "estimate_high": ("Estimate high (people)", PEOPLE),
    "typical_low": ("Typical day low (people)", PEOPLE),
    "typical_high": ("Typical day high (people)", PEOPLE),
    "planning_population": ("Planning population (people)", PEOPLE),
    "enrolled": ("Enrolled (people)", PEOPLE),
    "coverage_low": ("Coverage low (%)", SHARE),
    "coverage_mid": ("Coverage mid (%)", SHARE),
    "coverage_high": ("Coverage high (%)", SHARE),
    "gap": ("Gap (people)", PEOPLE),
    "peer_educators": ("PEs needed", PEOPLE),
    "outreach_workers": ("ORWs needed", PEOPLE),
    "condoms_per_month": ("Condoms / month", PEOPLE),
    "lubricant_per_month": ("Lubricant sachets / month", PEOPLE),
    "test_kits_per_month": ("HIV test kits / month", PEOPLE),
    "cost_usd_month": ("Cost (USD / month)", USD),
    "cost_usd_year": ("Cost (USD / year)", USD),
    "share_within_distance": ("Within distance of a site (%)", SHARE),
    "estimate_within_distance": ("Within distance of a site (people)", PEOPLE),
    "unserved_hotspots": ("Unserved hotspots", PEOPLE),
    "density_per_km2": ("Density (people / km²)", "#,##0.00"),
    "area_km2": ("Area (km²)", PEOPLE),
    "priority_rank": ("Priority rank", "0"),
    "priority_score": ("Priority score", "0.000"),
    "funded_peer_educators": ("PEs funded", PEOPLE),
    "covered_population": ("Covered population (people)", PEOPLE),
    "even_funded_peer_educators": ("PEs funded, even spread", PEOPLE),
    "even_covered_population": ("Covered, even spread (people)", PEOPLE),
    "proportional_funded_peer_educators": ("PEs funded, proportional", PEOPLE),
    "proportional_covered_population": ("Covered, proportional (people)", PEOPLE),
    "priority_funded_peer_educators": ("PEs funded, priority order", PEOPLE),
    "priority_covered_population": ("Covered, priority order (people)", PEOPLE),
    **{
        f"{p}cost_usd_month": (f"Cost, {name} (USD / month)", USD)
        for p, name in (
            ("priority_", "priority order"),
            ("even_", "even spread"),
            ("proportional_", "proportional"),
        )
    },
    "weight": ("District weight", "0.000"),
    "allocation": ("Allocation", None),
    "weighted_covered_population": ("Weighted people covered", "#,##0.0"),
    "districts_funded": ("Districts funded", PEOPLE),
    "people_newly_covered": ("People newly covered", PEOPLE),
    "rank": ("Rank", "0"),
    "nearest_site_id": ("Nearest site", None),
    "distance_km": ("Distance to nearest site (km)", KM),
    "within_distance": ("Within distance", None),
}
HEADER_ROW = 3
TITLE_FORMAT = {"bold": True, "font_size": 13}
HEADER_FORMAT = {"bold": True, "bg_color": "#DDE6F0", "text_wrap": True, "valign": "top"}
NOTE_FORMAT = {"italic": True, "font_color": "#9C2A00"}
WRAP_FORMAT = {"text_wrap": True, "valign": "top"}


def _cell_value(value: Any) -> Any:
    """A value openpyxl can store: None for NaN/inf, plain Python numbers, formula-safe text."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (int,)):
        return value
    return neutralise_formula(str(value))


# A column's cells: the XML inside each <c> element (null where the cell stays empty), which
# hold text (one flag for the whole column, or one per cell), and the cell type of its text:
# "s" (shared strings) or "inlineStr".
_Column = tuple[pa.StringArray, bool | pa.BooleanArray, str]
ROWS_PER_WRITE = 10_000
# Text columns whose distinct values are at most this share of their cells (districts,
# typologies) go to the shared-string table; others (ids, names) are written in-line, which
# spares building a table entry per value.
SHARED_SHARE = 0.5
# zlib level of the workbook's zip: level 1 deflates the 80 MB of XML of 100,000 hotspots
# 3× faster than the default 6, for a file about 30% larger.
ZIP_LEVEL = 1
# RE2 (pyarrow) character class of the characters str.strip() removes.
_SPACE = "".join(f"\\x{{{ord(c):04x}}}" for c in PY_WHITESPACE)
# Text that may start a formula (data_loaders.safe_text decides) or need more than escaping of
# & < > (control characters, XlsxWriter's _xHHHH_ escapes, leading or trailing whitespace):
# these few values take XlsxWriter's own Python path.
_MAY_BE_FORMULA = rf"^(?:[\t\r]|[{_SPACE}]*[=+\-@])"
_ESCAPE_LIKE = r"_x[0-9a-fA-F]{4}_"
_SPECIAL_TEXT = rf"[\x00-\x08\x0b-\x1f]|{_ESCAPE_LIKE}|^[{_SPACE}]|[{_SPACE}]$"


def _inline_text(text: str, limit: int) -> str:
    """The <is> element XlsxWriter writes for ``text`` (truncated to ``limit`` UTF-16 units,
    control characters as _xHHHH_, whitespace preserved, & < > escaped)."""
    if len(text) > limit // 2:
        text = text.encode("utf-16-le")[: 2 * limit].decode("utf-16-le", errors="ignore")
    text = XMLwriter._escape_control_characters(text)
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<is><t{space}>{text}</t></is>"


def _formula_safe(texts: list[str]) -> tuple[list[str], pa.StringArray]:
    """``texts`` through neutralise_formula (called only for those that may start a formula),
    as a list and as a pyarrow array."""
    arrow = pa.array(texts, type=pa.string())
    formula = np.flatnonzero(pc.match_substring_regex(arrow, _MAY_BE_FORMULA).to_numpy(False))
    if len(formula):
        texts = list(texts)
        for i in formula:
            texts[i] = neutralise_formula(texts[i])
        arrow = pa.array(texts, type=pa.string())
    return texts, arrow


def _text_cells(texts: list[str], limit: int) -> pa.StringArray:
    """The <is> element of each of ``texts`` (formula-safe): pyarrow for the plain ones, Python
    for the few that need more."""
    texts, arrow = _formula_safe(texts)
    escaped = pc.replace_substring(arrow, "&", "&amp;")
    escaped = pc.replace_substring(pc.replace_substring(escaped, "<", "&lt;"), ">", "&gt;")
    cells = pc.binary_join_element_wise("<is><t>", escaped, "</t></is>", "")
    special = pc.or_(
        pc.match_substring_regex(arrow, _SPECIAL_TEXT),
        pc.greater(pc.utf8_length(arrow), limit // 2),
    )
    where = np.flatnonzero(special.to_numpy(zero_copy_only=False))
    if len(where):
        fixed = pa.array([_inline_text(texts[i], limit) for i in where], type=pa.string())
        cells = pc.replace_with_mask(cells, special, fixed)
    return cells


def _taken(cells: pa.StringArray, codes: np.ndarray) -> pa.StringArray:
    """``cells[codes]``, null where a code is -1 (pandas.factorize's missing value)."""
    return cells.take(pa.array(codes, mask=codes < 0))


class _ColumnSheet(Worksheet):
    """An XlsxWriter worksheet that takes its data rows as whole columns (``write_columns``) and
    writes them with pyarrow's vectorised string functions when the workbook is closed.

    Cell by cell, XlsxWriter spends about 6 µs a cell (100,000 hotspots × 17 columns: 11 s);
    here each distinct value is converted once and the XML of a column is joined in one step
    (bench/bench_load_scale.py). The cells are those write_string / write_number give: numbers
    printed as XlsxWriter prints them (``%.16G``), the same formats, text formula-safe and
    escaped as XlsxWriter escapes it, through the shared-string table when values repeat and
    in-line (as XlsxWriter's constant_memory mode writes text) when they do not; empty, NaN and
    infinite values leave the cell empty. The title and header rows stay with XlsxWriter.
    """

    def __init__(self) -> None:
        super().__init__()
        self._column_cells: list[tuple[_Column, Any, Any]] = []
        self._first_data_row = 0
        self._data_rows = 0

    def write_columns(
        self, first_row: int, frame: pd.DataFrame, formats: list[Any], wrapped: list[Any]
    ) -> None:
        """Take the rows of ``frame`` from ``first_row`` (zero-based): numbers with
        ``formats[j]``, text (formula-safe) with ``wrapped[j]``."""
        self._first_data_row, self._data_rows = first_row, len(frame)
        self._column_cells = [
            (self._cells(frame.iloc[:, j]), formats[j], wrapped[j]) for j in range(frame.shape[1])
        ]
        if len(frame) and frame.shape[1]:
            self._check_dimensions(first_row + len(frame) - 1, frame.shape[1] - 1)

    def _strings(self, values: np.ndarray, present: np.ndarray) -> tuple[pa.StringArray, str]:
        """The cells of text ``values`` (empty where not ``present``), each distinct one
        converted once, and their cell type: in-line when values seldom repeat, else shared
        strings (and always for text holding an _xHHHH_ escape, which readers such as openpyxl
        decode in shared strings only)."""
        codes = np.full(len(values), -1, dtype=np.int64)
        found, uniques = pd.factorize(values[present], sort=False)
        codes[present] = found
        texts = [str(u) for u in uniques]
        if len(texts) > SHARED_SHARE * len(found) and not any(
            pc.match_substring_regex(pa.array(texts, type=pa.string()), _ESCAPE_LIKE).to_numpy(
                zero_copy_only=False
            )
        ):
            return _taken(_text_cells(texts, self.xls_strmax), codes), "inlineStr"
        counts = np.bincount(found, minlength=len(texts)).tolist()
        table, limit = self.str_table, self.xls_strmax
        indices = []
        for text, count in zip(_formula_safe(texts)[0], counts):
            if len(text) > limit // 2:  # XlsxWriter's limit, in UTF-16 units
                text = text.encode("utf-16-le")[: 2 * limit].decode("utf-16-le", errors="ignore")
            indices.append(f"<v>{table._get_shared_string_index(text)}</v>")
            table.count += count - 1  # the table counts every cell that uses a string
        return _taken(pa.array(indices, type=pa.string()), codes), "s"

    def _cells(self, column: pd.Series) -> _Column:
        """The cells of one column, by dtype: numbers, yes/no, text; mixed columns cell by cell."""
        dtype = column.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "b":
            values = np.where(column.to_numpy(), "yes", "no").astype(object)
            inner, kind = self._strings(values, np.ones(len(values), dtype=bool))
            return inner, True, kind
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            numbers = column.to_numpy()
            if dtype.kind == "f":
                numbers = np.where(np.isfinite(numbers), numbers, np.nan)
            codes, uniques = pd.factorize(numbers, sort=False)  # NaN: code -1, no cell
            texts = pa.array([f"<v>{v:.16G}</v>" for v in uniques.tolist()], type=pa.string())
            return _taken(texts, codes), False, ""
        if pd.api.types.is_string_dtype(dtype) and not isinstance(dtype, np.dtype):
            values = column.to_numpy(dtype=object)
            inner, kind = self._strings(values, ~column.isna().to_numpy())
            return inner, True, kind
        cells = [_cell_value(v) for v in column.tolist()]
        is_text = np.array([isinstance(v, str) for v in cells], dtype=bool)
        texts, kind = self._strings(np.array(cells, dtype=object), is_text)
        numbers = pa.array(
            [None if v is None or isinstance(v, str) else f"<v>{v:.16G}</v>" for v in cells],
            type=pa.string(),
        )
        return pc.if_else(pa.array(is_text), texts, numbers), pa.array(is_text), kind

    def _write_rows(self) -> None:
        """The title and header rows as XlsxWriter writes them, then the data rows."""
        if not self._data_rows:
            super()._write_rows()
            return
        # XlsxWriter writes the rows up to dim_rowmax: the data rows follow below
        last = self.dim_rowmax  # type: ignore[has-type]
        self.dim_rowmax = self._first_data_row - 1
        try:
            super()._write_rows()
        finally:
            self.dim_rowmax = last
        for offset in range(0, self._data_rows, ROWS_PER_WRITE):
            self.fh.write(self._rows_xml(offset, min(offset + ROWS_PER_WRITE, self._data_rows)))

    def _rows_xml(self, start: int, end: int) -> str:
        """The <row> elements of data rows ``start`` to ``end`` (zero-based within the data)."""
        first = self._first_data_row + 1
        numbers = pc.cast(pa.array(np.arange(first + start, first + end)), pa.string())
        cells = []
        for j, ((inner, text, kind), number_format, text_format) in enumerate(self._column_cells):
            as_number = f' s="{number_format._get_xf_index()}"' if number_format else ""
            as_text = (
                f' s="{text_format._get_xf_index()}"' if text_format else ""
            ) + f' t="{kind}"'
            if isinstance(text, bool):
                attributes: Any = as_text if text else as_number
            else:
                attributes = pc.if_else(text.slice(start, end - start), as_text, as_number)
            cell = pc.binary_join_element_wise(
                f'<c r="{xl_col_to_name(j)}',
                numbers,
                '"',
                attributes,
                ">",
                inner.slice(start, end - start),
                "</c>",
                "",
            )
            cells.append(pc.fill_null(cell, ""))
        rows = pc.binary_join_element_wise('<row r="', numbers, '">', *cells, "</row>", "")
        return "".join(rows.to_pylist())


class CellByCellSheet(_ColumnSheet):
    """The same sheet written one cell at a time through write_string / write_number, as before
    issue 14: the reference that tests/exports/test_excel_plan.py checks _ColumnSheet against
    and bench/bench_load_scale.py measures it against."""

    def write_columns(
        self, first_row: int, frame: pd.DataFrame, formats: list[Any], wrapped: list[Any]
    ) -> None:
        """Write every cell of ``frame`` from ``first_row`` at once."""
        for i, row in enumerate(frame.itertuples(index=False, name=None), start=first_row):
            for j, value in enumerate(row):
                value = _cell_value(value)
                if isinstance(value, str):
                    self.write_string(i, j, value, wrapped[j])
                elif value is not None:
                    self.write_number(i, j, value, formats[j])


class _FastZipFile(zipfile.ZipFile):
    """A ZipFile that deflates at ZIP_LEVEL unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", ZIP_LEVEL)
        super().__init__(*args, **kwargs)


_ZIP_SWAP = ForkSafeLock()


class _Workbook(xlsxwriter.Workbook):
    """An XlsxWriter workbook whose zip is deflated at ZIP_LEVEL. XlsxWriter offers no option
    for it: the ZipFile its _store_workbook uses is swapped for the call (under a lock, so
    concurrent exports never restore each other's swap)."""

    def _store_workbook(self) -> None:
        with _ZIP_SWAP:
            xlsxwriter.workbook.ZipFile = _FastZipFile
            try:
                super()._store_workbook()
            finally:
                xlsxwriter.workbook.ZipFile = zipfile.ZipFile


class _Formats:
    """XlsxWriter formats are workbook objects: create each once."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self._wb = wb
        self._cache: dict[str, Any] = {}
        self.title = wb.add_format(TITLE_FORMAT)
        self.header = wb.add_format(HEADER_FORMAT)
        self.note = wb.add_format(NOTE_FORMAT)
        self.wrap = wb.add_format(WRAP_FORMAT)

    def number(self, number_format: str) -> Any:
        if number_format not in self._cache:
            self._cache[number_format] = self._wb.add_format({"num_format": number_format})
        return self._cache[number_format]


def _sheet(
    wb: xlsxwriter.Workbook,
    fmt: _Formats,
    title: str,
    frame: pd.DataFrame,
    *,
    heading: str,
    detail: str,
    wrap_columns: tuple[str, ...] = (),
    widths: dict[str, float] | None = None,
) -> None:
    """Write one sheet: title, level-of-detail note, frozen header with units, formatted rows."""
    ws = wb.add_worksheet(title, worksheet_class=_ColumnSheet)
    assert isinstance(ws, _ColumnSheet)
    ws.write_string(0, 0, neutralise_formula(heading), fmt.title)
    ws.write_string(1, 0, neutralise_formula(detail), fmt.note)
    columns = list(frame.columns)
    header = HEADER_ROW - 1  # zero-based
    for j, column in enumerate(columns):
        label = LABELS.get(column, (column, None))[0]
        ws.write_string(header, j, neutralise_formula(label), fmt.header)
        width = min(max(len(label) * 0.9, 10), 40)
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            longest = frame[column].astype("str").str.len().max() if len(frame) else 0
            width = min(max(width, float(longest or 0) + 2), 50)
        ws.set_column(j, j, (widths or {}).get(column, width))
    formats = [fmt.number(f) if (f := LABELS.get(c, (c, None))[1]) else None for c in columns]
    wrapped = [fmt.wrap if c in wrap_columns else None for c in columns]
    ws.write_columns(header + 1, frame, formats, wrapped)
    first_is_key = bool(columns) and columns[0] in ("district", "region", "hotspot_id")
    ws.freeze_panes(HEADER_ROW, 1 if first_is_key else 0)
    ws.repeat_rows(header)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _parameters_frame(plan: Plan) -> pd.DataFrame:
    rows = parameter_rows(plan.scenario)
    p = plan.parameters
    rows.append(
        {
            "parameter": "period used",
            "value": p.get("period") or "no enrolment records",
            "unit": "period",
            "allowed": "",
            "source": "latest period when not chosen (DESIGN.md s.3)",
        }
    )
    if p.get("cost_usd_per_pe_month") is not None:
        rows.append(
            {
                "parameter": "cost of one PE-month",
                "value": p["cost_usd_per_pe_month"],
                "unit": "USD per PE-month",
                "allowed": "",
                "source": (
                    "stipend + ORW salary ÷ PEs per ORW + commodities of people_per_pe people"
                ),
            }
        )
    not_costed = p.get("not_costed") or []
    rows.append(
        {
            "parameter": "not costed",
            "value": ", ".join(not_costed) if plan.scenario.costed else "not costed",
            "unit": "",
            "allowed": "",
            "source": "cost parameters left empty are excluded from the cost columns",
        }
    )
    if plan.allocation_totals:
        for key, value in plan.allocation_totals.items():
            rows.append(
                {
                    "parameter": f"allocation: {key}",
                    "value": "" if value is None else value,
                    "unit": "PEs"
                    if "peer_educators" in key
                    else "people"
                    if "population" in key
                    else "",
                    "allowed": "",
                    "source": (
                        "planning/allocation.py (priority order, even spread, proportional to size)"
                    ),
                }
            )
    frame = pd.DataFrame(rows)
    frame["value"] = frame["value"].map(
        lambda v: v if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
    )
    frame["label"] = frame["label"].fillna("") if "label" in frame else ""
    frame = frame[["parameter", "value", "unit", "allowed", "source", "label"]]
    return frame.rename(
        columns={
            "parameter": "Parameter",
            "value": "Value",
            "unit": "Unit",
            "allowed": "Allowed range",
            "source": "Source",
            "label": "Shown on the pages as",
        }
    )


def _allocation_sheets(
    wb: xlsxwriter.Workbook,
    fmt: _Formats,
    plan: Plan,
    heading: str,
    note: str,
    *,
    with_sites: bool,
) -> None:
    """The allocation sheets (issue 16): per district, the four allocations compared with the
    recommendation in one sentence, and the proposed new sites (hotspot locations: only when
    ``with_sites``)."""
    if plan.allocation is not None and plan.allocation_totals:
        _sheet(wb, fmt, "Allocation", plan.allocation,
               heading=f"{heading} — allocation under a cap", detail=note)  # fmt: skip
        _sheet(
            wb,
            fmt,
            "Allocations compared",
            comparison_frame(plan.allocation_totals),
            heading=f"{heading} — {plan.allocation_totals['recommended']}",
            detail=note,
        )
    if with_sites and plan.new_sites is not None and plan.new_sites_totals:
        sites_heading = f"{heading} — proposed new drop-in centres"
        detail = HOTSPOT_DETAIL + ". " + new_sites_sentence(plan.new_sites_totals)
        _sheet(wb, fmt, "New sites", plan.new_sites, heading=sites_heading, detail=detail)


def write_plan_xlsx(
    plan: Plan,
    path: str | Path,
    *,
    dataset_name: str | None = None,
    synthetic: bool | None = None,
    aggregate_only: bool = False,
) -> Path:
    """Write ``plan`` to ``path`` (.xlsx) and return the path; ``aggregate_only`` leaves out the
    Hotspots sheet."""
    path = Path(path)
    name = dataset_name if dataset_name is not None else plan.dataset_name
    is_synthetic = plan.synthetic if synthetic is None else synthetic
    suffix = " — synthetic demo data" if is_synthetic else ""
    aggregate_note = AGGREGATE_DETAIL + suffix
    if plan.disclosure:  # an aggregate-only view: say how it was protected on every sheet
        aggregate_note += ". " + plan.disclosure
        aggregate_only = True
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = _Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": False},
    )
    fmt = _Formats(wb)
    heading = f"{name}: HIV prevention plan"
    _sheet(
        wb, fmt, "National", plan.national, heading=f"{heading} — national", detail=aggregate_note
    )
    _sheet(wb, fmt, "Regions", plan.regions, heading=f"{heading} — regions", detail=aggregate_note)
    _sheet(
        wb,
        fmt,
        "Districts",
        plan.districts,
        heading=f"{heading} — districts",
        detail=aggregate_note,
    )
    if not aggregate_only:
        _sheet(
            wb,
            fmt,
            "Hotspots",
            plan.hotspots,
            heading=f"{heading} — hotspots",
            detail=HOTSPOT_DETAIL + suffix,
        )
    _allocation_sheets(wb, fmt, plan, heading, aggregate_note, with_sites=not aggregate_only)
    _sheet(
        wb,
        fmt,
        "Parameters & sources",
        _parameters_frame(plan),
        heading=f"{heading} — parameters and sources",
        detail=HOTSPOT_DETAIL + suffix if not aggregate_only else aggregate_note,
        wrap_columns=("Source",),
        widths={"Source": 90},
    )
    wb.close()
    return path


def workbook_bytes(plan: Plan, *, aggregate_only: bool = True) -> bytes:
    """The workbook of ``plan`` as bytes, for a download (district level unless
    ``aggregate_only`` is False)."""
    with tempfile.TemporaryDirectory(prefix="kp-plan-") as tmp:
        path = write_plan_xlsx(plan, Path(tmp) / "plan.xlsx", aggregate_only=aggregate_only)
        return path.read_bytes()
