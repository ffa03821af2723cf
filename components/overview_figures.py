"""Figure builders of the Overview page: headline ranges, district choropleth, ranked grid, Pareto
and trend.

Pure functions: district-level frames (planning/ results) in, plotly figures or Dash
components out. Nothing here reads hotspot-level data, so every builder is safe for the
aggregate-only view (../shared/DESIGN.md s.4). Colour scales are colour-blind safe
(cividis/viridis; Okabe-Ito for categories); maps use the "white-bg" style so they render
offline with no tiles and no text glyphs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import html

from data_loaders.safe_text import neutralise_formula

# Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"): readable with every
# common colour-vision deficiency.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}

MAP_STYLE = "white-bg"  # no tiles, no glyphs: works offline (issue 4)
MAP_HEIGHT_PX = 520

ESTIMATE_CAPTION = (
    "Ranges come from the programmatic-mapping counts: low = sum of minimum counts, "
    "high = sum of maximum counts, mid = their mean (DESIGN.md s.3; PM paper, Table 1)."
)


@dataclass(frozen=True)
class MapMetric:
    """One metric the district choropleth can show."""

    column: str
    label: str
    unit: str
    colorscale: str
    percent: bool = False
    reverse: bool = False


# "Darker = needs more attention": cividis runs dark (low) to yellow (high), so coverage uses it
# as is (low coverage dark) and gap, estimate and density use it reversed (large values dark).
MAP_METRICS: dict[str, MapMetric] = {
    "coverage_mid": MapMetric(
        "coverage_mid", "Coverage (mid)", "% of mid estimate enrolled", "Cividis", percent=True
    ),
    "gap": MapMetric("gap", "Gap", "people not yet enrolled", "Cividis", reverse=True),
    "estimate_mid": MapMetric(
        "estimate_mid", "Estimated population (mid)", "people", "Viridis", reverse=True
    ),
    "density_per_km2": MapMetric(
        "density_per_km2", "Density", "people per km²", "Viridis", reverse=True
    ),
}


# --- number formatting ---------------------------------------------------------------


def fmt_int(value: Any) -> str:
    """Whole number with thousands separators; an en dash when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{round(float(value)):,}"


def fmt_pct(value: Any, digits: int = 0) -> str:
    """A fraction as a percentage ("0.41" -> "41%"); an en dash when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{float(value) * 100:.{digits}f}%"


def fmt_range(low: Any, high: Any, *, percent: bool = False) -> str:
    """A labelled range "9,200–13,800" or "41–63%"; one value when low equals high."""
    if percent:
        lo, hi = fmt_pct(low), fmt_pct(high)
        if lo == "–" or hi == "–":
            return "–"
        return lo if lo == hi else f"{lo[:-1]}–{hi}"
    lo, hi = fmt_int(low), fmt_int(high)
    if lo == "–" or hi == "–":
        return "–"
    return lo if lo == hi else f"{lo}–{hi}"


def _row(national: Mapping | pd.DataFrame | pd.Series) -> dict[str, Any]:
    """A national summary as a plain dict, whether given as a one-row frame, a Series or a dict."""
    if isinstance(national, pd.DataFrame):
        if len(national) != 1:
            raise ValueError(
                f"national has {len(national)} rows; pass the one-row national frame of the plan "
                "(Plan.national) or a dict of its values"
            )
        return national.iloc[0].to_dict()
    if isinstance(national, pd.Series):
        return national.to_dict()
    return dict(national)


# --- headline ------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """One headline figure: a title, the main text, a sub-line and where it comes from."""

    key: str
    title: str
    value: str
    detail: str
    tooltip: str


def headline_figures(
    national: Mapping | pd.DataFrame | pd.Series,
    *,
    basis: str = "peak",
    level: str = "mid",
    target: float = 1.0,
    people_per_pe: float | None = None,
    pe_per_orw: float | None = None,
    pe_range: tuple[int, int] | None = None,
    orw_range: tuple[int, int] | None = None,
) -> list[Headline]:
    """The Overview headline (population, enrolled, coverage, gap, PEs, ORWs) as labelled ranges.

    ``pe_range``/``orw_range`` are the staff needed on the low and the high estimate
    (planning.resources on the district low/high estimates); the main value is the plan's level.
    """
    n = _row(national)
    basis_text = "peak-day" if basis == "peak" else "typical-day"
    pe_detail = (
        f"1 PE per {people_per_pe:g} people" if people_per_pe else "at the scenario caseload"
    )
    orw_detail = f"1 ORW per {pe_per_orw:g} PEs" if pe_per_orw else "at the scenario ratio"
    if pe_range is not None:
        pe_detail = f"{fmt_range(*pe_range)} on the low–high estimate · {pe_detail}"
    if orw_range is not None:
        orw_detail = f"{fmt_range(*orw_range)} on the low–high estimate · {orw_detail}"
    return [
        Headline(
            "population",
            "Estimated population",
            fmt_range(n.get("estimate_low"), n.get("estimate_high")),
            f"mid {fmt_int(n.get('estimate_mid'))} · {basis_text} mapping counts",
            "Sum over hotspots of the " + basis_text + " minimum (low) and maximum (high) counts; "
            "mid is their mean (DESIGN.md s.3; PM paper, Table 1).",
        ),
        Headline(
            "enrolled",
            "Enrolled",
            fmt_int(n.get("enrolled")),
            f"cumulative, period {n.get('period') or 'latest'}"
            if n.get("period")
            else "cumulative, latest period",
            "Unique people registered by the programme, cumulative to the end of the period "
            "(DESIGN.md s.3).",
        ),
        Headline(
            "coverage",
            "Coverage",
            fmt_range(n.get("coverage_low"), n.get("coverage_high"), percent=True),
            f"mid {fmt_pct(n.get('coverage_mid'))} · enrolled ÷ estimate",
            "Low = enrolled ÷ high estimate; high = enrolled ÷ low estimate (DESIGN.md s.3; "
            "Kenya uses mapping estimates as the denominator).",
        ),
        Headline(
            "gap",
            "Gap",
            fmt_int(n.get("gap")),
            f"people · target {fmt_pct(target)} of the {level} estimate",
            "Sum over districts of max(0, target × planning population − enrolled) (DESIGN.md "
            "s.3).",
        ),
        Headline(
            "pe",
            "Peer educators needed",
            fmt_int(
                n.get("peer_educators")
            ),  # at the planning level; the low–high range is in the detail
            pe_detail,
            "⌈planning population × target ÷ people per PE⌉ per district, summed; usually 50–75 "
            "people per PE (PM paper Table 1; Mombasa 60–75; AMETHIST 50–80), at most 90 (Kenya).",
        ),
        Headline(
            "orw",
            "Outreach workers needed",
            fmt_int(n.get("outreach_workers")),
            orw_detail,
            "⌈PEs ÷ PEs per ORW⌉ per district; 5–6 PEs per ORW in the PM paper (Mombasa: 68 PEs, "
            "12 ORWs).",
        ),
    ]


def headline_cards(headlines: list[Headline], *, id_prefix: str, xl: int | bool = 2) -> dbc.Row:
    """Bootstrap cards for the headline figures; each card's value has id ``{id_prefix}-{key}``."""
    cols = []
    for h in headlines:
        card_id = f"{id_prefix}-card-{h.key}"
        card = dbc.Card(
            dbc.CardBody(
                [
                    html.Div(h.title, className="text-muted small text-uppercase fw-semibold"),
                    html.Div(h.value, id=f"{id_prefix}-{h.key}", className="fs-4 fw-bold"),
                    html.Div(h.detail, className="small text-muted"),
                ]
            ),
            className="h-100",
        )
        # focusable wrapper so keyboard users get the source tooltip too
        cols.append(
            dbc.Col(
                html.Div(card, id=card_id, tabIndex=0, className="h-100"),
                xs=6,
                md=4,
                xl=xl,
                className="mb-2",
            )
        )
        cols.append(dbc.Tooltip(h.tooltip, target=card_id, placement="bottom"))
    return dbc.Row(cols, className="g-2")


# --- maps ---------------------------------------------------------------------------


def boundaries_geojson(boundaries: gpd.GeoDataFrame, *, tolerance_deg: float = 0.002) -> dict:
    """District polygons as GeoJSON (WGS84) carrying only ``district`` and ``region``; simplified
    for the browser.

    ``tolerance_deg`` (decimal degrees, about 200 m at the equator for 0.002) keeps the
    payload small; district shapes stay recognisable at national zoom.
    """
    if "district" not in boundaries.columns:
        raise ValueError(
            f"boundaries has no 'district' column (columns: {list(boundaries.columns)}); "
            "pass Dataset.boundaries from data_loaders.dataset.load_dataset"
        )
    cols = ["district"] + (["region"] if "region" in boundaries.columns else [])
    gdf = boundaries[cols + ["geometry"]].copy()
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    if tolerance_deg > 0:
        gdf["geometry"] = gdf.geometry.simplify(tolerance_deg, preserve_topology=True)
    for c in cols:
        gdf[c] = gdf[c].astype(str)
    return json.loads(gdf.to_json(drop_id=True))


def _geojson_bounds(geojson: dict) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of every coordinate in a GeoJSON FeatureCollection."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords: Any) -> None:
        if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
        elif isinstance(coords, (list, tuple)):
            for c in coords:
                walk(c)

    for feature in geojson.get("features", []):
        geom = feature.get("geometry") or {}
        walk(geom.get("coordinates", []))
    if not xs:
        return (-180.0, -60.0, 180.0, 75.0)
    return (min(xs), min(ys), max(xs), max(ys))


def map_view(geojson: dict, *, height_px: int = MAP_HEIGHT_PX, width_px: int = 560) -> dict:
    """Centre and zoom that fit the polygons into a map of the given pixel size (512-px web-Mercator
    tiles)."""
    x0, y0, x1, y1 = _geojson_bounds(geojson)

    def merc_y(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))

    lon_span = max(x1 - x0, 1e-3)
    y_span = max(merc_y(y1) - merc_y(y0), 1e-3)
    zoom_x = math.log2(width_px * 360 / (512 * lon_span))
    zoom_y = math.log2(height_px * 360 / (512 * y_span))
    zoom = max(0.0, min(zoom_x, zoom_y) - 0.15)
    return {"center": {"lon": (x0 + x1) / 2, "lat": (y0 + y1) / 2}, "zoom": round(zoom, 2)}


def district_choropleth(
    districts: pd.DataFrame,
    geojson: dict,
    metric: str = "coverage_mid",
    *,
    title: str | None = None,
    height_px: int = MAP_HEIGHT_PX,
) -> go.Figure:
    """A district choropleth of one of MAP_METRICS (or any numeric column) on a tile-free map."""
    if metric in MAP_METRICS:
        m = MAP_METRICS[metric]
    elif metric in districts.columns:
        m = MapMetric(metric, metric.replace("_", " "), "", "Viridis")
    else:
        raise ValueError(
            f"metric {metric!r} is not a column of the district frame; choose one of "
            f"{sorted(MAP_METRICS)}"
        )
    if m.column not in districts.columns:
        raise ValueError(
            f"metric {metric!r}: column {m.column!r} missing from districts (columns: "
            f"{list(districts.columns)})"
        )
    values = pd.to_numeric(districts[m.column], errors="coerce").astype(float)
    z = values * 100 if m.percent else values
    shown = [
        fmt_pct(v) if m.percent else (f"{v:,.1f}" if m.column == "density_per_km2" else fmt_int(v))
        for v in values
    ]
    region = (
        districts["region"].astype(str)
        if "region" in districts.columns
        else pd.Series([""] * len(districts))
    )
    fig = go.Figure(
        go.Choroplethmap(
            geojson=geojson,
            featureidkey="properties.district",
            locations=districts["district"].astype(str).tolist(),
            z=[None if not np.isfinite(v) else float(v) for v in z],
            customdata=np.column_stack([region.tolist(), shown]) if len(districts) else None,
            colorscale=m.colorscale,
            reversescale=m.reverse,
            marker={"line": {"color": "#ffffff", "width": 0.8}, "opacity": 0.9},
            colorbar={
                "title": {"text": f"{m.label}<br><sub>{m.unit}</sub>" if m.unit else m.label},
                "thickness": 14,
            },
            hovertemplate="<b>%{location}</b> (%{customdata[0]})<br>"
            + m.label
            + ": %{customdata[1]}<extra></extra>",
            name=m.label,
        )
    )
    view = map_view(geojson, height_px=height_px)
    fig.update_layout(
        map={"style": MAP_STYLE, **view},
        margin={"l": 0, "r": 0, "t": 36 if title else 0, "b": 0},
        height=height_px,
        title={"text": title, "x": 0.01} if title else None,
        meta={"metric": m.column},
    )
    return fig


# --- ranked grid --------------------------------------------------------------------

_PCT_FORMAT = {"function": "params.value == null ? '–' : d3.format('.0%')(params.value)"}
_INT_FORMAT = {"function": "params.value == null ? '–' : d3.format(',.0f')(params.value)"}
_DEC_FORMAT = {"function": "params.value == null ? '–' : d3.format(',.1f')(params.value)"}

NUMBER_FILTER, TEXT_FILTER = "agNumberColumnFilter", "agTextColumnFilter"


class GridColumn(NamedTuple):
    """A grid column: data field, header with unit, header tooltip, value formatter, filter."""

    field: str
    header: str
    tip: str
    fmt: dict[str, str] | None = _INT_FORMAT
    filter: str = NUMBER_FILTER


# Columns the Overview and the Scenarios grids share.
PRIORITY_COLUMN = GridColumn(
    "priority_rank", "Priority", "1 = fund first: ranked by gap, then density (DESIGN.md s.3)", None
)
DISTRICT_COLUMN = GridColumn(
    "district", "District", "Planning unit from the boundaries file", None, TEXT_FILTER
)
REGION_COLUMN = GridColumn("region", "Region", "Region of the district", None, TEXT_FILTER)
COVERAGE_MID_COLUMN = GridColumn(
    "coverage_mid", "Coverage mid (%)", "Enrolled ÷ mid estimate", _PCT_FORMAT
)
GAP_COLUMN = GridColumn("gap", "Gap (people)", "max(0, target × planning population − enrolled)")
DENSITY_COLUMN = GridColumn(
    "density_per_km2", "Density (people/km²)", "Mid estimate ÷ district area", _DEC_FORMAT
)
PE_COLUMN = GridColumn(
    "peer_educators", "PEs needed", "⌈planning population × target ÷ people per PE⌉"
)
ORW_COLUMN = GridColumn("outreach_workers", "ORWs needed", "⌈PEs ÷ PEs per ORW⌉")

DISTRICT_GRID_COLUMNS: list[GridColumn] = [
    PRIORITY_COLUMN, DISTRICT_COLUMN, REGION_COLUMN,
    GridColumn("hotspots", "Hotspots", "Number of mapped hotspots"),
    GridColumn("estimate_low", "Estimate low (people)", "Sum of minimum counts"),
    GridColumn("estimate_mid", "Estimate mid (people)", "Mean of low and high"),
    GridColumn("estimate_high", "Estimate high (people)", "Sum of maximum counts"),
    GridColumn(
        "enrolled", "Enrolled (people)", "Cumulative unique people registered, latest period"
    ),
    GridColumn("coverage_low", "Coverage low (%)", "Enrolled ÷ high estimate", _PCT_FORMAT),
    COVERAGE_MID_COLUMN,
    GridColumn("coverage_high", "Coverage high (%)", "Enrolled ÷ low estimate", _PCT_FORMAT),
    GAP_COLUMN, DENSITY_COLUMN, PE_COLUMN, ORW_COLUMN,
]  # fmt: skip


def grid_rows(districts: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """JSON-safe records of the given columns (NaN/inf become None; text formula-safe) in the
    frame's order."""
    present = [c for c in columns if c in districts.columns]
    frame = districts[present].copy()
    records = []
    for rec in frame.to_dict("records"):
        clean: dict[str, Any] = {}
        for k, v in rec.items():
            if isinstance(v, (bool, np.bool_)):
                clean[k] = bool(v)
            elif isinstance(v, (float, np.floating)):
                clean[k] = float(v) if np.isfinite(v) else None
            elif isinstance(v, (np.integer,)):
                clean[k] = int(v)
            elif v is None or (not isinstance(v, str) and pd.isna(v)):
                clean[k] = None
            else:
                # the grid exports CSV in the browser: text from user files must not start a formula
                clean[k] = neutralise_formula(v if isinstance(v, (int, str, bool)) else str(v))
        records.append(clean)
    return records


# Shown in aggregate-only views: why a district's figures are blank.
SUPPRESSED_COLUMN = GridColumn(
    "suppressed",
    "Figures",
    "Suppressed: built from too few hotspots or people to publish (disclosure control)",
    {"function": "params.value ? 'suppressed' : 'published'"},
    TEXT_FILTER,
)


def district_grid(
    districts: pd.DataFrame,
    *,
    grid_id: Any,
    columns: list[GridColumn] | None = None,
    file_name: str = "districts.csv",
    height_px: int = 460,
    csv_note: str | None = None,
) -> dag.AgGrid:
    """A sortable, filterable district grid with unit headers, header tooltips and CSV export."""
    columns = list(columns or DISTRICT_GRID_COLUMNS)
    if "suppressed" in districts.columns:  # an aggregate-only view (planning.disclosure)
        columns.insert(1, SUPPRESSED_COLUMN)
    present = [c for c in columns if c[0] in districts.columns]
    defs = []
    for col, header, tip, fmt, flt in present:
        d: dict[str, Any] = {
            "field": col,
            "headerName": header,
            "headerTooltip": tip,
            "filter": flt,
            "sortable": True,
        }
        if fmt is not None:
            d["valueFormatter"] = fmt
        if flt == NUMBER_FILTER:
            d["type"] = "rightAligned"
        if col in ("priority_rank", "district"):
            d["pinned"] = "left"
            d["flex"] = None
            d["width"] = 140 if col == "district" else 100
        defs.append(d)
    order = (
        districts.sort_values("priority_rank")
        if "priority_rank" in districts.columns
        else districts
    )
    return dag.AgGrid(
        id=grid_id,
        rowData=grid_rows(order, [c[0] for c in present]),
        columnDefs=defs,
        # flex widths: the grid's rows arrive after mount, so content-based autoSize would see none
        defaultColDef={
            "resizable": True,
            "floatingFilter": True,
            "flex": 1,
            "minWidth": 110,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        # an aggregate-only view's CSV starts with its disclosure rule (planning.disclosure)
        csvExportParams={"fileName": file_name}
        | ({"prependContent": neutralise_formula(csv_note) + "\n"} if csv_note else {}),
        dashGridOptions={
            "tooltipShowDelay": 300,
            "animateRows": False,
            "enableCellTextSelection": True,
        },
        style={"height": f"{height_px}px", "width": "100%"},
    )


# --- cumulative share (Pareto) -------------------------------------------------------


def cumulative_share_sentence(
    k: int,
    share: float,
    n_districts: int,
    *,
    threshold: float = 0.8,
    what: str = "the estimated population (mid)",
) -> str:
    """The Pareto answer in words: "4 of 28 districts hold 81% of the estimated population
    (mid)"."""
    noun = "district holds" if k == 1 else "districts hold"
    return (
        f"{k} of {n_districts} {noun} {fmt_pct(share)} of {what} — "
        f"the fewest that reach {fmt_pct(threshold)}."
    )


def cumulative_share_figure(
    cumulative: pd.DataFrame,
    *,
    k: int | None = None,
    threshold: float = 0.8,
    value_label: str = "Estimated population (mid)",
) -> go.Figure:
    """Bars of each district's share (largest first) and the cumulative-share line, marking the
    first k."""
    needed = {"district", "share", "cumulative_share"}
    missing = needed - set(cumulative.columns)
    if missing:
        raise ValueError(
            f"cumulative is missing columns {sorted(missing)}; pass "
            "planning.priority.cumulative_share(...)"
        )
    frame = cumulative.reset_index(drop=True)
    colours = [
        OKABE_ITO["blue"] if (k is not None and i < k) else OKABE_ITO["grey"]
        for i in range(len(frame))
    ]
    names = frame["district"].astype(str).tolist()
    # one Figure(...) call with plain dicts: far fewer plotly validations than add_*/update_*
    # (issue 4: < 300 ms)
    return go.Figure(
        data=[
            {
                "type": "bar",
                "x": names,
                "y": (frame["share"].astype(float) * 100).tolist(),
                "marker": {"color": colours},
                "name": "Share of national total",
                "hovertemplate": "%{x}: %{y:.1f}%<extra>share</extra>",
            },
            {
                "type": "scatter",
                "x": names,
                "y": (frame["cumulative_share"].astype(float) * 100).tolist(),
                "mode": "lines+markers",
                "line": {"color": OKABE_ITO["vermillion"], "width": 2},
                "marker": {"size": 5},
                "name": "Cumulative share",
                "hovertemplate": "up to %{x}: %{y:.1f}%<extra>cumulative</extra>",
            },
        ],
        layout={
            "yaxis": {
                "title": {"text": f"% of {value_label.lower()}"},
                "range": [0, 105],
                "ticksuffix": "%",
                "gridcolor": "#e5e5e5",
            },
            "xaxis": {"title": {"text": "District (largest first)"}, "tickangle": -60},
            "legend": {"orientation": "h", "y": 1.1, "x": 0},
            "margin": {"l": 60, "r": 10, "t": 30, "b": 110},
            "height": 400,
            "plot_bgcolor": "#ffffff",
            "bargap": 0.15,
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": threshold * 100,
                    "y1": threshold * 100,
                    "line": {"dash": "dot", "color": OKABE_ITO["black"], "width": 1},
                }
            ],
            "annotations": [
                {
                    "xref": "paper",
                    "x": 0,
                    "y": threshold * 100,
                    "yanchor": "bottom",
                    "xanchor": "left",
                    "text": f"{threshold:.0%}",
                    "showarrow": False,
                }
            ],
        },
    )


# --- coverage trend -------------------------------------------------------------------


def national_trend(
    trend: pd.DataFrame, national: Mapping | pd.DataFrame | pd.Series
) -> pd.DataFrame:
    """National coverage per period: enrolled summed over districts ÷ the national low/mid/high
    estimate."""
    n = _row(national)
    needed = {"period", "enrolled"}
    missing = needed - set(trend.columns)
    if missing:
        raise ValueError(
            f"trend is missing columns {sorted(missing)}; pass "
            "planning.coverage.coverage_trend(...)"
        )
    # keep the trend's period order (planning.coverage sorts quarters and months correctly)
    out = trend.groupby("period", as_index=False, sort=False)["enrolled"].sum()
    for lvl, est in (
        ("coverage_low", "estimate_high"),
        ("coverage_mid", "estimate_mid"),
        ("coverage_high", "estimate_low"),
    ):
        denom = float(n.get(est) or 0.0)
        out[lvl] = out["enrolled"] / denom if denom > 0 else np.nan
    return out.reset_index(drop=True)


def coverage_trend_figure(
    national_by_period: pd.DataFrame,
    district_trend: pd.DataFrame | None = None,
    *,
    districts: list[str] | None = None,
) -> go.Figure:
    """National coverage over periods as a mid line inside its low–high band; optional district
    lines."""
    fig = go.Figure()
    f = national_by_period
    x = f["period"].astype(str).tolist()
    fig.add_scatter(
        x=x + x[::-1],
        y=(f["coverage_high"] * 100).tolist() + (f["coverage_low"] * 100).tolist()[::-1],
        fill="toself",
        fillcolor="rgba(0,114,178,0.18)",
        line={"width": 0},
        hoverinfo="skip",
        mode="lines",
        name="National range (low–high)",
    )
    fig.add_scatter(
        x=x,
        y=f["coverage_mid"] * 100,
        mode="lines+markers",
        name="National (mid)",
        line={"color": OKABE_ITO["blue"], "width": 3},
        customdata=np.column_stack(
            [f["coverage_low"] * 100, f["coverage_high"] * 100, f["enrolled"]]
        ),
        hovertemplate="%{x}: %{y:.0f}% (range %{customdata[0]:.0f}–%{customdata[1]:.0f}%)"
        "<br>enrolled %{customdata[2]:,.0f}<extra></extra>",
    )
    if district_trend is not None and districts:
        palette = [OKABE_ITO[c] for c in ("orange", "green", "vermillion", "purple", "sky_blue")]
        for i, name in enumerate(districts):
            d = district_trend[district_trend["district"] == name].sort_values("period")
            fig.add_scatter(
                x=d["period"].astype(str),
                y=d["coverage_mid"] * 100,
                mode="lines+markers",
                name=name,
                line={"color": palette[i % len(palette)], "width": 1.5, "dash": "dot"},
                hovertemplate=name + " %{x}: %{y:.0f}%<extra></extra>",
            )
    fig.update_layout(
        yaxis={
            "title": "Coverage (% of estimate enrolled)",
            "ticksuffix": "%",
            "rangemode": "tozero",
        },
        xaxis={"title": "Period", "type": "category"},
        legend={"orientation": "h", "y": 1.12, "x": 0},
        margin={"l": 60, "r": 10, "t": 30, "b": 50},
        height=360,
        plot_bgcolor="#ffffff",
    )
    fig.update_yaxes(gridcolor="#e5e5e5")
    return fig
