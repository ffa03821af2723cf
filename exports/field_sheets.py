"""Field sheets for peer educators and site managers (Excel workbook, printable HTML).

Written for the people who carry them: plain column names, whole people, visits as a day and
hours, each shared spot explained, and in the HTML a small map of the PE's spots drawn as
inline SVG (no tiles, no network, no script).

A field sheet carries hotspot names and locations of a criminalised population (DESIGN.md
s.4): every sheet and page is marked confidential, every text of the HTML is escaped and every
text cell of the workbook goes through data_loaders.safe_text.neutralise_formula so that
neither a browser nor a spreadsheet can run it; numbers stay numbers.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
import xlsxwriter

from data_loaders.safe_text import neutralise_formula
from planning.caseloads import CaseloadResult
from planning.outreach import OutreachCalendar
from planning.schema import WEEKDAYS

CONFIDENTIAL = (
    "Confidential: contains hotspot locations. Do not share, print only what you need, "
    "keep it safe."
)

ROUNDING_NOTE = (
    "People are whole numbers. A spot's people are rounded to the nearest whole person (a half "
    "rounds up). A spot shared by several peer educators is divided by largest remainder: each "
    "gets the whole part of her exact share, and the people left over go one each to the "
    "largest leftover fractions, so the shares add up to the spot's total. A peer educator's "
    "people are the sum of her shares."
)

# Column headings of a peer educator's sheet. The workbook keeps latitude and longitude as two
# number columns; the printable page joins them into WHERE.
NUMBER = "No."
SPOT = "Spot"
NAME = "Name"
PLACE_TYPE = "Type of place"
LATITUDE = "Latitude"
LONGITUDE = "Longitude"
WHERE = "Where (lat, lon)"
DAYS = "Busiest days"
HOURS = "Busiest hours"
PEOPLE = "Your people"
VISITS = "Visit on"

NOT_KNOWN = "not known"
NOT_SCHEDULED = "not scheduled: no free hour left in the week; ask your supervisor"

_MORNING_H = 6  # a visit starting before 06:00 belongs to the night before
_EPS = 1e-9  # float sums of shares (85.99999...) must not lose a person
_WEEK_H = 7 * 24
_RANGE = re.compile(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*")


# --- whole people -----------------------------------------------------------------------------


def whole_people(assignments: pd.DataFrame) -> pd.Series:
    """Each (spot, PE) share as a whole number of people: int64, indexed like ``assignments``
    [hotspot_id, people].

    A spot's whole total is its people (the sum of its shares) rounded half up. Its shares are
    rounded by largest remainder: each share's whole part, then one more person to the largest
    fractional parts (ties: the earlier row) until the spot's whole total is reached, so the
    whole shares of a spot always add up to its whole total (see ROUNDING_NOTE).
    """
    people = pd.to_numeric(assignments["people"]).to_numpy(dtype="float64")
    spot = pd.factorize(assignments["hotspot_id"].astype(str))[0]
    n = len(people)
    total = np.floor(np.bincount(spot, weights=people) + 0.5 + _EPS)
    base = np.floor(people + _EPS)
    # 0 <= left <= number of shares of the spot (floor of the sum vs sum of the floors)
    left = total - np.bincount(spot, weights=base, minlength=len(total))
    order = np.lexsort((np.arange(n), -(people - base), spot))
    sorted_spot = spot[order]
    first = np.r_[0, np.flatnonzero(np.diff(sorted_spot)) + 1] if n else np.zeros(0, dtype=int)
    sizes = np.diff(np.r_[first, n])
    rank = np.arange(n) - np.repeat(first, sizes)
    extra = np.zeros(n)
    extra[order] = rank < left[sorted_spot]
    return pd.Series((base + extra).astype("int64"), index=assignments.index, name="people")


# --- times as people read them ----------------------------------------------------------------


def days_text(peak_days: str) -> str:
    """Peak days as people read them: "Fri;Sat" -> "Fri, Sat", all seven -> "every day",
    "" -> "not known"; text that is not day names is returned as it is."""
    raw = str(peak_days).strip()
    parts = [p.strip()[:3].title() for p in raw.split(";") if p.strip()]
    if not parts:
        return NOT_KNOWN
    if not all(p in WEEKDAYS for p in parts):
        return raw
    days = sorted(set(parts), key=WEEKDAYS.index)
    return "every day" if len(days) == 7 else ", ".join(days)


def hours_text(peak_times: str) -> str:
    """Peak hours as people read them: "20-24;0-3" -> "20:00–03:00" (a window that runs past
    midnight written as one, as planning.outreach reads it), "" -> "not known"; text that is
    not hour ranges is returned as it is."""
    raw = str(peak_times).strip()
    if not raw:
        return NOT_KNOWN
    parts: list[tuple[int, int]] = []
    for part in raw.split(";"):
        match = _RANGE.fullmatch(part)
        if match is None:
            return raw
        start, end = int(match[1]), int(match[2])
        if not (0 <= start <= 24 and 0 <= end <= 24 and start != end):
            return raw
        parts.append((start, end))
    evening = next((p for p in parts if p[1] == 24 and p[0] > 0), None)
    morning = next((p for p in parts if p[0] == 0 and p[1] < 24), None)
    if evening is not None and morning is not None:
        # "20-24;0-3": one night, 20:00 to 03:00 the next morning
        parts = [(evening[0], morning[1]) if p == evening else p for p in parts if p != morning]
    return ", ".join(f"{s:02d}:00–{e:02d}:00" for s, e in parts)


def _join_blocks(blocks: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Hour blocks of the week [start, end) (0 = Mon 00:00) with touching blocks joined; a
    block reaching Sunday midnight continues into Monday's early hours (the week repeats)."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(blocks):
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    if len(out) > 1 and out[-1][1] == _WEEK_H and out[0][0] == 0:
        first, last = out.pop(0), out.pop()
        out.append((last[0], _WEEK_H + first[1]))
    return out


def _window_text(a: int, b: int) -> str:
    """One visit: "Fri 20:00–24:00" within a day, "Fri 20:00 – Sat 03:00" across midnight,
    "Sat 00:00–03:00 (Fri night)" for early hours alone (the night they belong to)."""
    day = a // 24
    if (b - 1) // 24 != day:
        return f"{WEEKDAYS[day % 7]} {a % 24:02d}:00 – {WEEKDAYS[(b // 24) % 7]} {b % 24:02d}:00"
    text = f"{WEEKDAYS[day % 7]} {a % 24:02d}:00–{b - 24 * day:02d}:00"
    if a % 24 < _MORNING_H:
        text += f" ({WEEKDAYS[(day - 1) % 7]} night)"
    return text


def visit_texts(visits: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Each (pe_id, hotspot_id)'s weekly visits as people read them, on the day each visit
    happens: "Fri 20:00 – Sat 03:00; Sun 18:00–20:00".

    ``visits`` [pe_id, hotspot_id, day, start_h, end_h] (planning.outreach.weekly_calendar,
    which already puts a night's early hours on the next calendar day). Blocks of one spot
    that touch (Fri 20-24 and Sat 0-3) are joined into one visit across midnight.
    """
    day_index = {d: i for i, d in enumerate(WEEKDAYS)}
    blocks: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for pe, spot, day, start, end in zip(
        visits["pe_id"].astype(str),
        visits["hotspot_id"].astype(str),
        visits["day"].map(day_index),
        visits["start_h"],
        visits["end_h"],
    ):
        base = 24 * int(day)
        blocks.setdefault((pe, spot), []).append((base + int(start), base + int(end)))
    return {
        key: "; ".join(_window_text(a, b) for a, b in _join_blocks(value))
        for key, value in blocks.items()
    }


# --- the sheets -------------------------------------------------------------------------------


class _Sheets(NamedTuple):
    """Everything the two outputs show, computed once for all PEs (a district of 10,000 spots
    has thousands of PEs: per-PE work is slicing, not pandas calls)."""

    table: pd.DataFrame  # every PE's spots under the plain headings, grouped by PE
    rows: dict[str, slice]  # PE -> her rows of ``table``
    xy_m: npt.NDArray[np.float64]  # (n, 2) spot coordinates of ``table``'s rows, metres
    shared: dict[str, list[str]]  # PE -> one sentence per shared spot
    people: dict[str, int]  # PE -> sum of her whole shares

    def frame(self, pe: str) -> pd.DataFrame:
        """One PE's rows (no rows for a PE without spots)."""
        return self.table.iloc[self.rows.get(pe, slice(0, 0))].reset_index(drop=True)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as plain strings ("" when missing or absent)."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str)


def _number(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as floats (NaN when missing or absent)."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _prepare(result: CaseloadResult, calendar: OutreachCalendar | None) -> _Sheets:
    """The per-PE frames, shared-spot sentences, whole people and map coordinates."""
    a = result.assignments[["pe_id", "hotspot_id", "people"]].reset_index(drop=True)
    a = a.assign(pe_id=a["pe_id"].astype(str), hotspot_id=a["hotspot_id"].astype(str))
    codes, pe_ids = pd.factorize(a["pe_id"])  # PEs in order of first appearance
    a = a.iloc[np.argsort(codes, kind="stable")].reset_index(drop=True)
    a["whole"] = whole_people(a)
    a["total"] = a.groupby("hotspot_id")["whole"].transform("sum")
    a["row"] = a.groupby("pe_id", sort=False).cumcount() + 1
    spots = result.spots.assign(hotspot_id=result.spots["hotspot_id"].astype(str))
    spots = spots.drop_duplicates("hotspot_id").set_index("hotspot_id")
    at = spots.reindex(a["hotspot_id"])
    days = _text(at, "peak_days")
    hours = _text(at, "peak_times")
    day_words = {d: days_text(d) for d in days.unique()}
    hour_words = {t: hours_text(t) for t in hours.unique()}
    frame = pd.DataFrame(
        {
            NUMBER: a["row"].to_numpy(),
            SPOT: a["hotspot_id"].to_numpy(),
            NAME: _text(at, "name").to_numpy(),
            PLACE_TYPE: _text(at, "typology").str.replace("_", " ").to_numpy(),
            LATITUDE: _number(at, "latitude").round(5).to_numpy(),
            LONGITUDE: _number(at, "longitude").round(5).to_numpy(),
            DAYS: days.map(day_words).to_numpy(),
            HOURS: hours.map(hour_words).to_numpy(),
            PEOPLE: a["whole"].to_numpy(),
        }
    )
    if calendar is not None:
        texts = visit_texts(calendar.visits)
        frame[VISITS] = [
            texts.get((pe, h), NOT_SCHEDULED) for pe, h in zip(a["pe_id"], a["hotspot_id"])
        ]
    xy = np.column_stack([_number(at, "x_m").to_numpy(), _number(at, "y_m").to_numpy()])

    shared: dict[str, list[str]] = {}
    multi = a[a.groupby("hotspot_id")["pe_id"].transform("size") > 1]
    pes_of = multi.groupby("hotspot_id", sort=False)["pe_id"].agg(list)
    for r in multi.itertuples(index=False):
        others = ", ".join(p for p in pes_of[r.hotspot_id] if p != r.pe_id)
        shared.setdefault(r.pe_id, []).append(
            f"{r.hotspot_id} (No. {r.row}): your share {r.whole} of {r.total}; also {others}"
        )
    sizes = np.bincount(codes, minlength=len(pe_ids))
    ends = np.cumsum(sizes)
    whole = a.groupby("pe_id", sort=False)["whole"].sum()
    return _Sheets(
        table=frame,
        rows={str(pe): slice(int(e - n), int(e)) for pe, n, e in zip(pe_ids, sizes, ends)},
        xy_m=xy,
        shared=shared,
        people={str(pe): int(v) for pe, v in whole.items()},
    )


def sheet_frames(
    result: CaseloadResult, calendar: OutreachCalendar | None = None
) -> dict[str, pd.DataFrame]:
    """Every PE's spots at once (pe_id -> frame) under the sheet's plain headings: No., Spot,
    Name, Type of place, Latitude, Longitude, Busiest days, Busiest hours, Your people (whole
    people, see ``whole_people``) and, with a calendar, Visit on (see ``visit_texts``)."""
    info = _prepare(result, calendar)
    return {pe: info.frame(pe) for pe in info.rows}


def pe_sheet_frame(
    result: CaseloadResult, pe_id: str, calendar: OutreachCalendar | None = None
) -> pd.DataFrame:
    """One PE's spots (see ``sheet_frames``); KeyError naming the PE when it is not in the plan."""
    info = _prepare(result, calendar)
    if pe_id not in info.rows:
        raise KeyError(
            f"pe_id {pe_id!r} is not in this caseload plan; choose one of {list(info.rows)[:20]}"
        )
    return info.frame(pe_id)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _area_name(result: CaseloadResult) -> str:
    return result.district or "all hotspots"


def plan_sentence(result: CaseloadResult) -> str:
    """The plan's PE count beside the field plan's, and why they can differ."""
    text = (
        f"The plan counts {result.plan_peer_educators} peer educator(s): all people divided by "
        f"{result.people_per_pe:g} per peer educator, rounded up. This field plan has "
        f"{result.pe_count}: whole spots stay with one peer educator where they can, and every "
        f"spot lies within {result.walking_limit_km:g} km of the centre of its peer educator's "
        "spots"
    )
    if result.isolated_hotspots:
        text += (
            f"; {_plural(result.isolated_hotspots, 'spot')} farther than that from every other "
            "spot each have a peer educator of their own"
        )
    return text + "."


def _pe_facts(row: pd.Series, people: int, spots: int) -> list[str]:
    """One PE's facts in words (people, spots, group, distances, centre)."""
    facts = [f"{'1 person' if people == 1 else f'{people} people'} at {_plural(spots, 'spot')}"]
    group = row.get("orw_group")
    if group is not None and pd.notna(group) and str(group):
        facts.append(f"supervision group {group}")
    radius = pd.to_numeric(row.get("radius_km"), errors="coerce")
    if pd.notna(radius):
        facts.append(f"farthest spot {radius:.1f} km from the centre of your spots")
    walk = pd.to_numeric(row.get("walking_km"), errors="coerce")
    if pd.notna(walk):
        facts.append(f"a walk round all your spots is about {walk:.1f} km")
    lat = pd.to_numeric(row.get("latitude"), errors="coerce")
    lon = pd.to_numeric(row.get("longitude"), errors="coerce")
    if pd.notna(lat) and pd.notna(lon):
        facts.append(f"centre at {lat:.5f}, {lon:.5f}")
    return facts


def _yes_no(values: pd.Series) -> list[str]:
    return ["yes" if bool(v) else "no" for v in values.fillna(False)]


def _summary_frame(
    result: CaseloadResult, calendar: OutreachCalendar | None, info: _Sheets
) -> pd.DataFrame:
    """One row per PE under plain headings (people = the sum of her whole shares)."""
    pes = result.peer_educators.reset_index(drop=True)
    ids = pes["pe_id"].astype(str)
    out = pd.DataFrame({"Peer educator": ids})
    if "orw_group" in pes.columns:
        out["Supervision group"] = _text(pes, "orw_group")
    out["People"] = [info.people.get(pe, 0) for pe in ids]
    out["Spots"] = [
        info.rows[pe].stop - info.rows[pe].start if pe in info.rows else 0 for pe in ids
    ]
    out["Shared spots"] = [len(info.shared.get(pe, ())) for pe in ids]
    if {"latitude", "longitude"} <= set(pes.columns):
        out["Centre latitude"] = _number(pes, "latitude").round(5)
        out["Centre longitude"] = _number(pes, "longitude").round(5)
    if "radius_km" in pes.columns:
        out["Farthest spot from the centre (km)"] = _number(pes, "radius_km").round(2)
    if "walking_km" in pes.columns:
        out["Walk round all spots (km)"] = _number(pes, "walking_km").round(1)
    if calendar is not None:
        load = calendar.load.assign(pe_id=calendar.load["pe_id"].astype(str)).set_index("pe_id")
        load = load.reindex(ids)
        out["Contacts a month"] = _number(load, "contacts_per_month").round(0).to_numpy()
        out["Workload (% of a month's capacity)"] = _number(load, "load_pct").round(0).to_numpy()
        out["Overloaded"] = _yes_no(load["overloaded"].astype("boolean"))
    if "fixed" in pes.columns:
        out["Kept from the last plan"] = _yes_no(pes["fixed"].astype("boolean"))
    groups = _text(pes, "typology_group")
    if groups.isin(["venue", "street"]).any():
        out["Kind of places"] = groups.map(
            {"venue": "venues", "street": "street", "all": "all kinds"}
        ).fillna(groups)
    return out


def _assignments_frame(result: CaseloadResult) -> pd.DataFrame:
    """Spot -> peer educator with whole people; read back by data_loaders.keep_file (headings
    "Spot" and "Peer educator") to keep the assignments on re-planning."""
    a = result.assignments
    return pd.DataFrame(
        {
            "Spot": a["hotspot_id"].astype(str).to_numpy(),
            "Peer educator": a["pe_id"].astype(str).to_numpy(),
            "People": whole_people(a).to_numpy(),
            "Shared spot": _yes_no(a["split"].astype("boolean")) if "split" in a else "no",
            "Kept from the last plan": (
                _yes_no(a["fixed"].astype("boolean")) if "fixed" in a else "no"
            ),
        }
    )


# --- Excel ------------------------------------------------------------------------------------


def _excel_value(value: object) -> object:
    """A cell value: blanks for missing numbers, rounded floats, formula-safe text."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 5) if math.isfinite(value) else None
    return neutralise_formula(str(value))


# Sheets the workbook writes itself, and Excel's own reserved name: a PE id never takes them.
RESERVED_SHEETS = ("summary", "assignments", "history")
SHEET_NAME_CHARS = 31


def _sheet_name(pe_id: str) -> str:
    """A valid Excel sheet name for a PE id: at most 31 characters, none of []:*?/\\, no edge
    apostrophes."""
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in pe_id)[-SHEET_NAME_CHARS:].strip("'")
    return name or "PE"


def pe_sheet_names(pe_ids: list[str]) -> dict[str, str]:
    """A distinct sheet name for every PE id (Excel compares names ignoring case): ids that
    clean to the same name ("PE/1", "pe\\1") or to a reserved one ("summary") get " (2)",
    " (3)", ... so no sheet replaces another."""
    used = {name.casefold() for name in RESERVED_SHEETS}
    out: dict[str, str] = {}
    for pe in pe_ids:
        base = _sheet_name(pe)
        name, n = base, 1
        while name.casefold() in used:
            n += 1
            suffix = f" ({n})"
            name = base[: SHEET_NAME_CHARS - len(suffix)] + suffix
        used.add(name.casefold())
        out[pe] = name
    return out


class _Book:
    """The workbook's formats and the way every sheet writes text, tables and notes."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        add = workbook.add_format
        self.conf = add({"bold": True, "font_color": "#B00000"})
        self.title = add({"bold": True, "font_size": 14})
        self.head = add({"bold": True, "bg_color": "#EEEEEE", "border": 1, "text_wrap": True})
        self.bold = add({"bold": True})
        self.long = add({"italic": True, "text_wrap": True, "valign": "top"})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.number = {
            LATITUDE: add({"num_format": "0.00000", "valign": "top"}),
            LONGITUDE: add({"num_format": "0.00000", "valign": "top"}),
        }

    def sheet(self, name: str) -> Any:
        """A new worksheet, its printed page marked confidential."""
        ws = self.workbook.add_worksheet(name)
        ws.set_header("&C&B" + CONFIDENTIAL.replace("&", "&&"))
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        return ws

    def text(self, ws: Any, row: int, value: str, fmt: Any = None) -> None:
        ws.write_string(row, 0, str(neutralise_formula(value)), fmt)

    def paragraph(self, ws: Any, row: int, value: str, widths: Sequence[float]) -> None:
        """Long text wrapped across the columns of the table above it (a merged row)."""
        chars = max(20.0, sum(widths))
        ws.set_row(row, 15 * (math.ceil(len(value) * 1.1 / chars) + 0.3))
        ws.merge_range(row, 0, row, max(1, len(widths) - 1), "", self.long)
        ws.write_string(row, 0, str(neutralise_formula(value)), self.long)

    def table(
        self,
        ws: Any,
        row: int,
        cells: dict[str, list[object]],
        widths: dict[str, int],
        rows: slice = slice(None),
    ) -> tuple[int, list[int]]:
        """A table (``_cells``: heading -> cell values) with its heading row at ``row``, only
        ``rows`` of it; returns the first row after it and the column widths."""
        columns = list(cells)
        ws.write_row(row, 0, [str(neutralise_formula(c)) for c in columns], self.head)
        ws.repeat_rows(row)
        sizes = [widths.get(c, max(10, min(40, len(c) + 2))) for c in columns]
        n = 0
        for j, column in enumerate(columns):
            ws.set_column(j, j, sizes[j])
            fmt = self.number.get(column, self.wrap)
            values = cells[column][rows]
            n = len(values)
            for i, cell in enumerate(values, start=row + 1):
                if isinstance(cell, str):
                    ws.write_string(i, j, cell, fmt)
                elif isinstance(cell, (int, float)):
                    ws.write_number(i, j, cell, fmt)
        return row + 1 + n, sizes


def _cells(frame: pd.DataFrame) -> dict[str, list[object]]:
    """Every cell of ``frame`` as written to Excel (``_excel_value``), column by column."""
    return {str(c): [_excel_value(v) for v in frame[c].tolist()] for c in frame.columns}


_WIDTHS = {
    NUMBER: 5, SPOT: 12, NAME: 30, PLACE_TYPE: 12, DAYS: 16, HOURS: 16, PEOPLE: 8, VISITS: 40,
}  # fmt: skip


def write_workbook(
    result: CaseloadResult,
    calendar: OutreachCalendar | None = None,
    path: str | Path | io.BytesIO | None = None,
) -> bytes:
    """Excel workbook: 'summary' (one row per PE), 'assignments' (spot -> PE, re-usable as a
    keep file), then one sheet per PE (its spots, busiest days and hours, whole people, weekly
    visits, shared spots explained). Returns the bytes (and writes ``path`` when given). Row 1
    of the summary and PE sheets is the confidentiality notice; the assignments sheet keeps its
    headings on row 1 (a keep file) and carries the notice beside them. Every printed page
    carries it in its header."""
    info = _prepare(result, calendar)
    buffer = io.BytesIO()
    # XlsxWriter streams cells (a district's workbook in a fraction of openpyxl's time); it must
    # never turn text into formulas or links, whatever neutralise_formula already did.
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "nan_inf_to_errors": False,
    }
    book = _Book(xlsxwriter.Workbook(buffer, options))

    ws = book.sheet("summary")
    book.text(ws, 0, CONFIDENTIAL, book.conf)
    book.text(ws, 1, f"Field plan: {_area_name(result)}", book.title)
    summary = _summary_frame(result, calendar, info)
    end, sizes = book.table(ws, 4, _cells(summary), {"Peer educator": 20, "Supervision group": 18})
    book.paragraph(ws, 2, plan_sentence(result), sizes)
    book.paragraph(ws, end + 1, ROUNDING_NOTE, sizes)

    ws = book.sheet("assignments")
    keep = _assignments_frame(result)
    book.table(ws, 0, _cells(keep), {"Spot": 14, "Peer educator": 20})
    ws.write_string(0, len(keep.columns), CONFIDENTIAL, book.conf)

    pes = result.peer_educators.assign(pe_id=result.peer_educators["pe_id"].astype(str))
    table = _cells(info.table)
    names = pe_sheet_names(pes["pe_id"].tolist())
    for _, row in pes.iterrows():
        pe = str(row["pe_id"])
        rows = info.rows.get(pe, slice(0, 0))
        ws = book.sheet(names[pe])
        book.text(ws, 0, CONFIDENTIAL, book.conf)
        book.text(ws, 1, f"Peer educator {pe}, {_area_name(result)}", book.title)
        end, sizes = book.table(ws, 4, table, _WIDTHS, rows)
        facts = _pe_facts(row, info.people.get(pe, 0), rows.stop - rows.start)
        book.paragraph(ws, 2, "; ".join(facts) + ".", sizes)
        ws.freeze_panes(5, 0)
        notes = info.shared.get(pe, [])
        if notes:
            book.text(ws, end + 1, "Shared spots", book.bold)
            for k, sentence in enumerate(notes, start=end + 2):
                book.text(ws, k, sentence)
            end += 1 + len(notes)
        book.paragraph(ws, end + 1, ROUNDING_NOTE, sizes)
    book.workbook.close()
    data = buffer.getvalue()
    if path is not None:
        if isinstance(path, io.BytesIO):
            path.write(data)
        else:
            Path(path).write_bytes(data)
    return data


# --- the map ----------------------------------------------------------------------------------


def _nice_length_m(target_m: float) -> float:
    """The largest 1, 2 or 5 × 10^k metres not above ``target_m`` (at least 1 m)."""
    if target_m <= 1:
        return 1.0
    power = 10.0 ** math.floor(math.log10(target_m))
    return max(f * power for f in (1.0, 2.0, 5.0) if f * power <= target_m)


def _length_label(metres: float) -> str:
    return f"{metres:g} m" if metres < 1000 else f"{metres / 1000:g} km"


MAP_WIDTH_PX = 520
MAP_HEIGHT_PX = 300
_MIN_SPAN_M = 200.0  # a caseload of one spot still shows a street-sized neighbourhood


def spots_map_svg(
    xy_m: npt.ArrayLike,
    centre_m: Sequence[float] | None = None,
    *,
    width: int = MAP_WIDTH_PX,
    height: int = MAP_HEIGHT_PX,
) -> str:
    """An inline SVG map of one PE's spots: dot k (numbered k, from 1) at row k of ``xy_m``
    (metres in a projected CRS, north up), the centre as a cross, a scale bar in m or km and a
    north arrow. Drawn offline: no tiles, no fonts beyond the browser's, no script."""
    xy = np.asarray(xy_m, dtype="float64").reshape(-1, 2)
    ok = np.isfinite(xy).all(axis=1)
    centre = None if centre_m is None else np.asarray(centre_m, dtype="float64")
    if centre is not None and not np.isfinite(centre).all():
        centre = None
    extent = xy[ok] if centre is None else np.vstack([xy[ok], centre[None, :]])
    pad, bottom = 24.0, 34.0
    inner_w, inner_h = width - 2 * pad, height - pad - bottom
    if len(extent):
        lo, hi = extent.min(axis=0), extent.max(axis=0)
    else:
        lo = hi = np.zeros(2)
    mid = (lo + hi) / 2
    span = np.maximum(hi - lo, _MIN_SPAN_M)
    scale = min(inner_w / span[0], inner_h / span[1])  # px per metre, same both ways

    def px(x: float, y: float) -> tuple[float, float]:
        return width / 2 + (x - mid[0]) * scale, pad + inner_h / 2 - (y - mid[1]) * scale

    parts = [
        f"<svg class='spots-map' viewBox='0 0 {width} "
        f"{height}' role='img' aria-label='Map of your spots'>",
        f"<rect x='0' y='0' width='{width}' height='{height}' fill='#ffffff' stroke='#999999'/>",
    ]
    if centre is not None:
        cx, cy = px(*centre)
        parts.append(
            f"<path class='centre' d='M{cx - 9:.1f} {cy:.1f}h18M{cx:.1f} {cy - 9:.1f}v18' "
            "stroke='#b00000' stroke-width='2.5' fill='none'/>"
        )
    for k, (x, y) in enumerate(xy, start=1):
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        sx, sy = px(x, y)
        size = 10 if k < 100 else 8
        parts.append(
            f"<circle class='spot' cx='{sx:.1f}' cy='{sy:.1f}' r='9' fill='#1f3b73' "
            "stroke='#ffffff' stroke-width='1'/>"
            f"<text class='spot-no' x='{sx:.1f}' y='{sy + size * 0.35:.1f}' font-size='{size}' "
            f"text-anchor='middle' fill='#ffffff' font-weight='bold'>{k}</text>"
        )
    bar_m = _nice_length_m(0.3 * inner_w / scale)
    bar_px = bar_m * scale
    x0, y0 = pad, height - 14.0
    parts.append(
        f"<g class='scale-bar' data-metres='{bar_m:g}'>"
        f"<line x1='{x0:.1f}' y1='{y0:.1f}' x2='{x0 + bar_px:.1f}' y2='{y0:.1f}' "
        "stroke='#000000' stroke-width='3'/>"
        f"<line x1='{x0:.1f}' y1='{y0 - 5:.1f}' x2='{x0:.1f}' y2='{y0 + 4:.1f}' stroke='#000000'/>"
        f"<line x1='{x0 + bar_px:.1f}' y1='{y0 - 5:.1f}' x2='{x0 + bar_px:.1f}' "
        f"y2='{y0 + 4:.1f}' stroke='#000000'/>"
        f"<text x='{x0 + bar_px + 6:.1f}' y='{y0 + 4:.1f}' font-size='11'>"
        f"{html.escape(_length_label(bar_m))}</text></g>"
    )
    nx, ny = width - pad, pad
    parts.append(
        "<g class='north-arrow'>"
        f"<path d='M{nx:.1f} {ny - 10:.1f}L{nx + 7:.1f} {ny + 12:.1f}L{nx:.1f} {ny + 7:.1f}"
        f"L{nx - 7:.1f} {ny + 12:.1f}Z' fill='#000000'/>"
        f"<text x='{nx:.1f}' y='{ny + 26:.1f}' font-size='12' text-anchor='middle' "
        "font-weight='bold'>N</text></g>"
    )
    parts.append("</svg>")
    return "".join(parts)


# --- printable HTML ---------------------------------------------------------------------------


_CSS = """
@page{size:A4;margin:12mm}
body{font-family:Arial,Helvetica,sans-serif;font-size:10.5pt;color:#111;margin:1.5em}
.conf{border:2px solid #b00;color:#b00;padding:.3em .5em;font-weight:bold}
.sheet{break-before:page;page-break-before:always}
table{border-collapse:collapse;margin:.5em 0 1em 0}
th,td{border:1px solid #666;padding:2px 5px;text-align:left;vertical-align:top}
th{background:#eee}td.num{text-align:right}td.nowrap{white-space:nowrap}
thead{display:table-header-group}tr{break-inside:avoid;page-break-inside:avoid}
.map svg{width:100%;max-width:15cm;height:auto}
.legend,.note{font-size:9pt;color:#333}
@media print{body{margin:0}.conf{border-width:1px}}
"""

_HTML_COLUMNS = [NUMBER, SPOT, NAME, PLACE_TYPE, WHERE, DAYS, HOURS, PEOPLE, VISITS]
_NUMERIC = {NUMBER, PEOPLE}


def _where(lat: float, lon: float) -> str:
    if math.isfinite(lat) and math.isfinite(lon):
        return f"{lat:.5f}, {lon:.5f}"
    return NOT_KNOWN


def _html_rows(frame: pd.DataFrame, numeric: set[str]) -> list[str]:
    """Each row of ``frame`` as an escaped <tr> (numbers in ``numeric`` right-aligned)."""
    columns = []
    for column in frame.columns:
        cls = " class='num'" if column in numeric else ""
        cls = " class='nowrap'" if column in (SPOT, "Peer educator") else cls
        columns.append(
            [
                f"<td{cls}>{'' if v is None or v != v else html.escape(str(v))}</td>"
                for v in frame[column].tolist()
            ]
        )
    return ["<tr>" + "".join(cells) + "</tr>" for cells in zip(*columns)]


def _html_table(headings: Iterable[str], rows: list[str]) -> str:
    """An HTML table of escaped headings and rows from ``_html_rows``."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in headings)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(
    result: CaseloadResult,
    calendar: OutreachCalendar | None = None,
    *,
    pe_ids: list[str] | None = None,
) -> str:
    """A self-contained printable HTML page (inline CSS and SVG, no external resource, no
    script): a cover with the plan and one row per PE, then one printed page per PE with her
    spots on a small map (numbered dots = the table's rows), the table, her shared spots
    explained and the rounding rule."""
    info = _prepare(result, calendar)
    pes = result.peer_educators.assign(pe_id=result.peer_educators["pe_id"].astype(str))
    chosen = list(pes["pe_id"]) if pe_ids is None else [str(p) for p in pe_ids]
    known = set(pes["pe_id"])
    missing = [p for p in chosen if p not in known]
    if missing:
        raise KeyError(
            f"pe_id {missing[0]!r} is not in this caseload plan; choose one of "
            f"{list(pes['pe_id'])[:20]}"
        )
    by_id = pes.set_index("pe_id")
    esc = html.escape
    area = esc(_area_name(result))
    summary = _summary_frame(result, calendar, info)
    cover_cols = [
        c for c in ("Peer educator", "Supervision group", "People", "Spots", "Shared spots")
        if c in summary.columns
    ]  # fmt: skip
    cover = summary[summary["Peer educator"].isin(chosen)][cover_cols]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Field sheets: {area}</title><style>{_CSS}</style></head><body>",
        f"<p class='conf'>{esc(CONFIDENTIAL)}</p>",
        f"<h1>Peer-educator field sheets: {area}</h1>",
        f"<p>{len(chosen)} peer educator(s); up to {result.people_per_pe:g} people each. "
        f"{esc(plan_sentence(result))}</p>",
        _html_table(cover.columns, _html_rows(cover, {"People", "Spots", "Shared spots"})),
        f"<p class='note'>{esc(ROUNDING_NOTE)}</p>",
    ]
    table = info.table
    where = [_where(la, lo) for la, lo in zip(table[LATITUDE], table[LONGITUDE])]
    shown = table.assign(**{WHERE: where})
    shown = shown[[c for c in _HTML_COLUMNS if c in shown.columns]]
    body = _html_rows(shown, _NUMERIC)
    for pe in chosen:
        rows = info.rows.get(pe, slice(0, 0))
        row = by_id.loc[pe]
        centre = None
        if {"x_m", "y_m"} <= set(by_id.columns):
            centre = (float(row["x_m"]), float(row["y_m"]))
        facts = _pe_facts(row, info.people.get(pe, 0), rows.stop - rows.start)
        parts += [
            "<section class='sheet'>",
            f"<p class='conf'>{esc(CONFIDENTIAL)}</p>",
            f"<h2>Peer educator {esc(pe)}</h2>",
            f"<p>{area}: {esc('; '.join(facts))}.</p>",
            "<div class='map'>",
            spots_map_svg(info.xy_m[rows], centre),
            "</div>",
            "<p class='legend'>Numbered dots: the spots of the table below (No.). "
            "Red cross: the centre of your spots. North is up.</p>",
            _html_table(shown.columns, body[rows]),
        ]
        notes = info.shared.get(pe, [])
        if notes:
            parts.append("<h3>Shared spots</h3><ul>")
            parts += [f"<li>{esc(n)}</li>" for n in notes]
            parts.append("</ul>")
        parts += [f"<p class='note'>{esc(ROUNDING_NOTE)}</p>", "</section>"]
    parts.append("</body></html>")
    return "\n".join(parts)
