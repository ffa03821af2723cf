"""Field sheets for peer educators (Excel workbook, printable HTML).

A field sheet carries hotspot names and locations of a criminalised population: every sheet
is marked "Confidential: contains hotspot locations" (DESIGN.md s.4) and every text cell
goes through data_loaders.safe_text.neutralise_formula so a spreadsheet cannot run it.
"""

from __future__ import annotations

import html
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from data_loaders.safe_text import neutralise_formula
from planning.caseloads import CaseloadResult
from planning.outreach import OutreachCalendar

CONFIDENTIAL = (
    "Confidential: contains hotspot locations. Do not share, print only what you need, "
    "keep it safe."
)


def sheet_frames(
    result: CaseloadResult, calendar: OutreachCalendar | None = None
) -> dict[str, pd.DataFrame]:
    """Every PE's spots at once (pe_id -> frame): hotspot_id, name, typology, latitude, longitude,
    peak_days, peak_times, people, and visits (weekly calendar) when a calendar is given."""
    spots = result.spots.set_index("hotspot_id")
    cols = [
        c
        for c in ("name", "typology", "latitude", "longitude", "peak_days", "peak_times")
        if c in spots.columns
    ]
    out = result.assignments[["pe_id", "hotspot_id", "people"]].join(spots[cols], on="hotspot_id")
    out["people"] = out["people"].round(1)
    keep = ["hotspot_id"] + cols + ["people"]
    if calendar is not None:
        v = calendar.visits
        label = (
            v["day"]
            + " "
            + v["start_h"].map("{:02d}:00".format)
            + "–"
            + v["end_h"].map("{:02d}:00".format)
        )
        text = label.groupby([v["pe_id"], v["hotspot_id"]]).agg("; ".join)
        key = pd.MultiIndex.from_arrays([out["pe_id"], out["hotspot_id"]])
        out["visits"] = text.reindex(key).fillna("not scheduled").to_numpy()
        keep.append("visits")
    return {str(pe): g[keep].reset_index(drop=True) for pe, g in out.groupby("pe_id", sort=False)}


def pe_sheet_frame(
    result: CaseloadResult, pe_id: str, calendar: OutreachCalendar | None = None
) -> pd.DataFrame:
    """One PE's spots (see ``sheet_frames``); KeyError naming the PE when it is not in the plan."""
    frames = sheet_frames(result, calendar)
    if pe_id not in frames:
        raise KeyError(
            f"pe_id {pe_id!r} is not in this caseload plan; choose one of {list(frames)[:20]}"
        )
    return frames[pe_id]


def _excel_value(value: object) -> object:
    """A cell value: blanks for missing numbers, rounded floats, formula-safe text."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 4) if math.isfinite(value) else None
    return neutralise_formula(str(value))


def _sheet_name(pe_id: str) -> str:
    """A valid Excel sheet name for a PE id: at most 31 characters, none of []:*?/\\, no edge
    apostrophes."""
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in pe_id)[-31:].strip("'")
    return name or "PE"


def write_workbook(
    result: CaseloadResult,
    calendar: OutreachCalendar | None = None,
    path: str | Path | io.BytesIO | None = None,
) -> bytes:
    """Excel workbook: 'summary' (one row per PE), 'assignments' (hotspot -> PE, re-usable as
    --keep), then one sheet per PE (its spots, peak windows and weekly visits). Returns the
    bytes (and writes ``path`` when given). Row 1 of every sheet is the confidentiality notice."""
    buffer = io.BytesIO()
    pes = result.peer_educators.drop(columns=["x_m", "y_m"], errors="ignore").copy()
    if calendar is not None:
        pes = pes.merge(
            calendar.load[["pe_id", "contacts_per_month", "load_pct", "overloaded"]],
            on="pe_id",
            how="left",
        )
    # XlsxWriter streams cells (a district's workbook in a fraction of openpyxl's time); it must
    # never turn text into formulas or links, whatever neutralise_formula already did.
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "nan_inf_to_errors": False,
    }
    workbook = xlsxwriter.Workbook(buffer, options)
    sheets = {
        "summary": pes,
        "assignments": result.assignments[["hotspot_id", "pe_id", "people", "split", "fixed"]],
    }
    frames = sheet_frames(result, calendar)
    for pe in result.peer_educators["pe_id"]:
        sheets[_sheet_name(str(pe))] = frames[str(pe)]
    for name, frame in sheets.items():
        ws = workbook.add_worksheet(name)
        # the assignments sheet keeps its header on row 1 so it reads back as a keep file
        start = 0 if name == "assignments" else 2
        if start:
            ws.write_string(0, 0, CONFIDENTIAL)
            title = f"District {result.district}" if name == "summary" else f"Peer educator {name}"
            ws.write_string(1, 0, str(neutralise_formula(title)))
        ws.write_row(start, 0, [str(neutralise_formula(str(c))) for c in frame.columns])
        for i, row in enumerate(frame.itertuples(index=False, name=None), start=start + 1):
            ws.write_row(i, 0, [_excel_value(v) for v in row])
    workbook.close()
    data = buffer.getvalue()
    if path is not None:
        if isinstance(path, io.BytesIO):
            path.write(data)
        else:
            Path(path).write_bytes(data)
    return data


_CSS = """
body{font-family:Arial,Helvetica,sans-serif;font-size:11pt;color:#111;margin:1.5em}
.conf{border:2px solid #b00;color:#b00;padding:.4em;font-weight:bold}
table{border-collapse:collapse;margin:.6em 0 1.6em 0}
th,td{border:1px solid #666;padding:3px 6px;text-align:left}
th{background:#eee}h2{page-break-before:always}h2:first-of-type{page-break-before:auto}
@media print{.conf{border-width:1px}}
"""


def render_html(
    result: CaseloadResult,
    calendar: OutreachCalendar | None = None,
    *,
    pe_ids: list[str] | None = None,
) -> str:
    """A self-contained printable HTML page (inline CSS, no external resources) with one section per
    PE."""
    pes = list(result.peer_educators["pe_id"]) if pe_ids is None else list(pe_ids)
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Field sheets: "
        f"{esc(result.district or 'all hotspots')}</title><style>{_CSS}</style></head><body>",
        f"<p class='conf'>{esc(CONFIDENTIAL)}</p>",
        f"<h1>Peer-educator field sheets: {esc(result.district or 'all hotspots')}</h1>",
        f"<p>{len(pes)} peer educator(s); up to {result.people_per_pe:g} people each (DESIGN.md "
        "s.3).</p>",
    ]
    info = result.peer_educators.set_index("pe_id")
    frames = sheet_frames(result, calendar)
    for pe in pes:
        if pe not in frames:
            raise KeyError(
                f"pe_id {pe!r} is not in this caseload plan; choose one of {list(frames)[:20]}"
            )
        frame = frames[pe]
        row = info.loc[pe]
        orw = (
            f", supervision group {esc(str(row['orw_group']))}"
            if "orw_group" in info.columns
            else ""
        )
        walk = (
            f", walk around spots about {row['walking_km']:.1f} km"
            if "walking_km" in info.columns
            else ""
        )
        parts.append(f"<h2>Peer educator {esc(str(pe))}</h2>")
        parts.append(f"<p class='conf'>{esc(CONFIDENTIAL)}</p>")
        parts.append(
            f"<p>{row['people']:.0f} people at {int(row['hotspots'])} spot(s){orw}{walk}.</p>"
        )
        parts.append(
            frame.to_html(index=False, escape=True, border=0, float_format=lambda v: f"{v:.5g}")
        )
    parts.append("</body></html>")
    return "\n".join(parts)
