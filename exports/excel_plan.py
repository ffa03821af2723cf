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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from data_loaders.safe_text import neutralise_formula
from planning.allocation import comparison_frame
from planning.plan import AGGREGATE_DETAIL, HOTSPOT_DETAIL, Plan
from planning.scenario import parameter_rows
from planning.siting import new_sites_sentence

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
    ws = wb.add_worksheet(title)
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
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=header + 1):
        for j, value in enumerate(row):
            value = _cell_value(value)
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(i, j, value, wrapped[j])
            else:
                ws.write_number(i, j, value, formats[j])
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
    wb = xlsxwriter.Workbook(
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
