"""Figure builders of the Scenarios page: totals, PEs-needed map, district plan grid, allocation and
comparison.

Pure functions: a plan's district-level frames and totals (planning.plan.Plan) in, plotly
figures or Dash components out. Nothing here reads hotspot-level data. Colours follow
overview_figures (cividis/viridis, Okabe-Ito).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import dash_ag_grid as dag
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from components.overview_figures import (
    _PCT_FORMAT,
    COVERAGE_MID_COLUMN,
    DENSITY_COLUMN,
    DISTRICT_COLUMN,
    GAP_COLUMN,
    MAP_HEIGHT_PX,
    OKABE_ITO,
    ORW_COLUMN,
    PE_COLUMN,
    PRIORITY_COLUMN,
    REGION_COLUMN,
    GridColumn,
    Headline,
    MapMetric,
    district_choropleth,
    district_grid,
    fmt_int,
    fmt_pct,
    grid_rows,
)
from data_loaders.safe_text import neutralise_formula
from planning.allocation import comparison_frame
from planning.siting import new_sites_sentence

_USD_FORMAT = {"function": "params.value == null ? 'not costed' : d3.format('$,.0f')(params.value)"}

PE_METRIC = MapMetric("peer_educators", "Peer educators needed", "PEs", "Viridis", reverse=True)

PLAN_GRID_COLUMNS: list[GridColumn] = [
    PRIORITY_COLUMN, DISTRICT_COLUMN, REGION_COLUMN,
    GridColumn("planning_population", "Planning population (people)",
               "The estimate at the scenario's level and basis"),
    GridColumn("enrolled", "Enrolled (people)", "Cumulative unique people registered"),
    COVERAGE_MID_COLUMN, GAP_COLUMN, PE_COLUMN, ORW_COLUMN,
    GridColumn("condoms_per_month", "Condoms per month",
               "planning population × target × condoms per person per month × (1 + buffer)"),
    GridColumn("lubricant_per_month", "Lubricant per month (sachets)",
               "condoms per month × lubricant per condom"),
    GridColumn("test_kits_per_month", "HIV test kits per month",
               "planning population × target × kits per person per quarter ÷ 3"),
    GridColumn("cost_usd_month", "Cost (USD per month)",
               "PEs × stipend + ORWs × salary + commodities × unit costs; only the items costed",
               _USD_FORMAT),
    GridColumn("share_within_distance", "Within distance of a site (%)",
               "Share of the estimate at hotspots within the scenario's distance of a site",
               _PCT_FORMAT),
    DENSITY_COLUMN,
    GridColumn("funded_peer_educators", "PEs funded under the cap",
               "Priority order, saturating each district before the next"),
    GridColumn("covered_population", "Covered under the cap (people)",
               "min(planning population × target, funded PEs × people per PE)"),
]  # fmt: skip


def _num(value: Any) -> float:
    """A float, NaN for None/missing."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def scenario_totals(
    totals: Mapping[str, Any], *, people_per_pe: float, pe_per_orw: float, costed: bool
) -> list[Headline]:
    """Headline totals of a plan: planning population, PEs, ORWs, condoms, lubricant, test kits,
    cost per month."""
    cost = _num(totals.get("cost_usd_month"))
    return [
        Headline(
            "planning_population",
            "Planning population",
            fmt_int(totals.get("planning_population")),
            "people at the scenario's basis and level",
            "The estimate the plan is built on: peak-day counts by default so no one remains "
            "uncovered (PM paper, Table 1).",
        ),
        Headline(
            "pe",
            "Peer educators",
            fmt_int(totals.get("peer_educators")),
            f"1 PE per {people_per_pe:g} people, summed over districts",
            "⌈planning population × target ÷ people per PE⌉ per district (DESIGN.md s.3).",
        ),
        Headline(
            "orw",
            "Outreach workers",
            fmt_int(totals.get("outreach_workers")),
            f"1 ORW per {pe_per_orw:g} PEs",
            "⌈PEs ÷ PEs per ORW⌉ per district (PM paper: 5–6; Mombasa 68 PEs, 12 ORWs).",
        ),
        Headline(
            "condoms",
            "Condoms per month",
            fmt_int(totals.get("condoms_per_month")),
            "including buffer stock",
            "planning population × target × condoms per person per month (Mombasa: 35–40).",
        ),
        Headline(
            "lubricant",
            "Lubricant per month",
            fmt_int(totals.get("lubricant_per_month")),
            "sachets",
            "condoms per month × lubricant per condom (an assumption; set it from national "
            "guidelines).",
        ),
        Headline(
            "kits",
            "HIV test kits per month",
            fmt_int(totals.get("test_kits_per_month")),
            "one per person per quarter by default",
            "planning population × target × kits per quarter ÷ 3.",
        ),
        Headline(
            "cost",
            "Cost per month",
            f"USD {fmt_int(cost)}" if costed and math.isfinite(cost) else "not costed",
            "only the items with a cost set"
            if costed
            else "set stipends or unit costs to cost the plan",
            "PEs × stipend + ORWs × salary + commodities × unit costs (Sisters: USD 15 per PE "
            "per month; AMETHIST: USD 50).",
        ),
    ]


def pe_choropleth(
    districts: pd.DataFrame, geojson: dict, *, height_px: int = MAP_HEIGHT_PX
) -> go.Figure:
    """District choropleth of the peer educators needed (district-level only, tile-free)."""
    fig = district_choropleth(districts, geojson, PE_METRIC.column, height_px=height_px)
    trace = fig.data[0]
    trace.update(
        colorscale=PE_METRIC.colorscale,
        reversescale=PE_METRIC.reverse,
        colorbar={"title": {"text": f"{PE_METRIC.label}<br><sub>{PE_METRIC.unit}</sub>"}},
        hovertemplate=(
            "<b>%{location}</b> (%{customdata[0]})<br>PEs needed: %{customdata[1]}<extra></extra>"
        ),
    )
    return fig


def plan_grid(districts: pd.DataFrame, *, grid_id: Any, height_px: int = 440) -> dag.AgGrid:
    """The per-district plan as a sortable, filterable grid with unit headers and CSV export."""
    return district_grid(
        districts,
        grid_id=grid_id,
        columns=PLAN_GRID_COLUMNS,
        file_name="district_plan.csv",
        height_px=height_px,
    )


def allocation_sentence(summary: Mapping[str, Any], *, people_per_pe: float) -> str:
    """The cap in words, then which allocation is recommended and why (the objective and the
    assumptions, F and m named: planning.allocation.recommendation_sentence)."""
    cap = int(summary.get("cap_peer_educators", 0))
    need = int(summary.get("peer_educators_needed", 0))
    if summary.get("cap_source") == "budget_usd_month":
        head = (
            f"A monthly budget of USD {fmt_int(summary.get('budget_usd_month'))} funds "
            f"{fmt_int(summary.get('funded_peer_educators'))} of the {need:,} PEs needed."
        )
    else:
        head = f"The cap allows {cap:,} of the {need:,} PEs needed."
    return (
        f"{head} {summary.get('recommended', '')} "
        f"(1 PE per {people_per_pe:g} people; planning/allocation_opt.py)"
    )


def _rounded(value: Any, digits: int | None = None) -> float | int | None:
    """``value`` rounded for a table cell (None when missing)."""
    number = _num(value)
    if not math.isfinite(number):
        return None
    return round(number) if digits is None else round(number, digits)


ALLOCATION_TABLE_HEADERS = {
    "allocation": "Allocation",
    "covered_population": "People covered",
    "weighted_covered_population": "Weighted people covered",
    "funded_peer_educators": "PEs funded",
    "cost_usd_month": "Cost (USD/month)",
    "districts_funded": "Districts funded",
}


def allocation_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """The four allocations side by side (planning.allocation.comparison_frame) as the page
    shows them: whole people and USD, one decimal for weighted people."""
    frame = comparison_frame(dict(summary))
    for column in frame.columns[1:]:
        digits = 1 if column == "weighted_covered_population" else None
        frame[column] = [_rounded(v, digits) for v in frame[column]]
    return frame.rename(columns=ALLOCATION_TABLE_HEADERS)


def allocation_figure(allocation: pd.DataFrame) -> go.Figure:
    """PEs needed, funded by the optimal allocation, in priority order and in proportion to size,
    per district (priority order)."""
    needed = {
        "district",
        "peer_educators",
        "funded_peer_educators",
        "priority_funded_peer_educators",
        "proportional_funded_peer_educators",
    }
    missing = needed - set(allocation.columns)
    if missing:
        raise ValueError(
            f"allocation is missing columns {sorted(missing)}; pass Plan.allocation "
            "(planning.allocation.allocate)"
        )
    frame = (
        allocation.sort_values("priority_rank")
        if "priority_rank" in allocation.columns
        else allocation
    )
    x = frame["district"].astype(str)
    outline = {"color": "rgba(0,0,0,0)", "line": {"color": OKABE_ITO["black"], "width": 1}}
    bars = [  # (column, legend name, marker, hover)
        ("peer_educators", "PEs needed", outline, "needed"),
        ("funded_peer_educators", "Funded: optimal (recommended)", {"color": OKABE_ITO["blue"]},
         "funded (optimal)"),
        ("priority_funded_peer_educators", "Funded: priority order",
         {"color": OKABE_ITO["orange"]}, "funded (priority order)"),
        ("proportional_funded_peer_educators", "Funded: proportional to size",
         {"color": OKABE_ITO["green"]},
         "funded (proportional)"),
    ]  # fmt: skip
    fig = go.Figure()
    for column, name, marker, hover in bars:
        fig.add_bar(
            x=x,
            y=frame[column],
            name=name,
            marker=marker,
            hovertemplate=f"%{{x}}: %{{y}} {hover}<extra></extra>",
        )
    fig.update_layout(
        barmode="group",
        bargap=0.2,
        height=380,
        plot_bgcolor="#ffffff",
        xaxis={"title": "District (priority order, first funded on the left)", "tickangle": -60},
        yaxis={"title": "Peer educators"},
        legend={"orientation": "h", "y": 1.12, "x": 0},
        margin={"l": 60, "r": 10, "t": 30, "b": 110},
    )
    fig.update_yaxes(gridcolor="#e5e5e5")
    return fig


def compare_grid(compare: pd.DataFrame, *, grid_id: Any) -> dag.AgGrid:
    """Saved scenarios side by side (planning.compare.compare_plans output) as a grid."""
    frame = (
        compare.reset_index()
        if compare.index.name or not isinstance(compare.index, pd.RangeIndex)
        else compare
    )
    defs = []
    for i, col in enumerate(frame.columns):
        col_s = str(col)
        # scenario names are user text and become CSV headers: keep them formula-safe
        header = neutralise_formula(col_s.replace("_", " "))
        d: dict[str, Any] = {
            "field": col_s,
            "headerName": header,
            "sortable": True,
            "headerTooltip": header,
        }
        if pd.api.types.is_numeric_dtype(frame[col]):
            d["valueFormatter"] = {
                "function": "params.value == null ? '–' : "
                "(Math.abs(params.value) < 1 && params.value != 0 "
                "? d3.format('.2~f')(params.value) : d3.format(',.0f')(params.value))"
            }
            d["type"] = "rightAligned"
        if i == 0:
            d["pinned"] = "left"
        defs.append(d)
    rows = grid_rows(frame.rename(columns=str), [str(c) for c in frame.columns])
    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=defs,
        columnSize="autoSize",
        defaultColDef={"resizable": True, "wrapHeaderText": True, "autoHeaderHeight": True},
        csvExportParams={"fileName": "scenario_comparison.csv"},
        # scenario names are user text: a "." must not be read as a nested field path
        dashGridOptions={
            "domLayout": "autoHeight",
            "tooltipShowDelay": 300,
            "suppressFieldDotNotation": True,
        },
        style={"width": "100%"},
    )


FIGURE_LABELS: dict[str, str] = {
    "planning_population": "Planning population (people)",
    "enrolled": "Enrolled (people)",
    "coverage_mid": "Coverage mid (share)",
    "gap": "Gap (people)",
    "peer_educators": "PEs needed",
    "outreach_workers": "ORWs needed",
    "condoms_per_month": "Condoms per month",
    "cost_usd_month": "Cost (USD per month)",
    "share_within_distance": "Within distance of a site (share)",
    "funded_peer_educators": "PEs funded under the cap",
    "covered_population": "Covered under the cap (people)",
}


def label_figures(totals: pd.DataFrame) -> pd.DataFrame:
    """A copy of planning.compare.compare_totals with readable figure names (units included)."""
    if "figure" not in totals.columns:
        raise ValueError(
            f"totals has no 'figure' column (columns: {list(totals.columns)}); pass "
            "compare_totals(...)"
        )
    out = totals.copy()
    out["figure"] = [FIGURE_LABELS.get(str(f), str(f)) for f in out["figure"]]
    return out


def finite_or_none(value: Any) -> float | None:
    """A float, or None when missing or not finite (for JSON)."""
    v = _num(value)
    return v if np.isfinite(v) else None


__all__ = [
    "ALLOCATION_TABLE_HEADERS",
    "FIGURE_LABELS",
    "PE_METRIC",
    "PLAN_GRID_COLUMNS",
    "allocation_figure",
    "allocation_sentence",
    "allocation_table",
    "compare_grid",
    "fmt_pct",
    "label_figures",
    "new_sites_sentence",
    "pe_choropleth",
    "plan_grid",
    "scenario_totals",
]
