"""Overview page (/): headline ranges, district choropleth, ranked district grid, Pareto sentence,
coverage trend.

Everything on this page is built on the server from district-level frames (the plan's
``districts`` and ``national`` frames, the district coverage trend), so it is safe in the
aggregate-only view: no hotspot id, name or coordinate is ever sent (DESIGN.md s.4).
The page accepts the scenario query string (``/?people_per_pe=50``) like Scenarios does; a
scenario counting PEs from caseloads shows the same PE count as Scenarios (one cached plan), and
the page says which rule gave it. The aggregate-only view always counts at the ratio rule
(services.plans.get_published_plan).
"""

# No `from __future__ import annotations` here: Dash executes page modules before they are in
# sys.modules, where @dataclass cannot resolve string annotations (pages/outreach.py uses
# NamedTuples for the same reason); Python 3.11 evaluates every annotation below as written.

from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html, no_update

from components import overview_figures as of
from components import ui
from exports import excel_plan
from pages import _shared
from planning import coverage as coverage_mod
from planning import priority as priority_mod
from planning import resources
from planning.plan import Plan
from planning.scenario import Scenario, ScenarioError
from services import response_cache

dash.register_page(
    __name__, path="/", name="Overview", title="Overview · KP coverage planner", order=0
)

# The browser session's current scenario (parameters only), written by the Scenarios page and
# read here, so every page shows the same scenario unless its URL names one.
SCENARIO_SESSION_ID = _shared.SCENARIO_SESSION_ID
PARETO_SHARE = (
    0.8  # "k districts hold 80%": Mauritius, 4 of 9 districts held over 80% (DESIGN.md s.3)
)
# A scenario query: parameter name -> value (strings from a URL or the session store).
Query = dict[str, Any]


class Ids:
    """Component ids of the Overview page."""

    SCENARIO = "ov-scenario"
    ALERT = "ov-alert"
    HEADLINE = "ov-headline"
    HEADLINE_PREFIX = "ov"
    CAPTION = "ov-caption"
    METRIC = "ov-metric"
    MAP = "ov-map"
    GRID = "ov-grid"
    EXPORT = "ov-export-csv"
    PARETO = "ov-pareto"
    PARETO_TEXT = "ov-pareto-text"
    TREND = "ov-trend"
    TREND_DISTRICTS = "ov-trend-districts"
    SCENARIO_NOTE = "ov-scenario-note"
    DISCLOSURE = "ov-disclosure"
    DOWNLOAD_BUTTON = "ov-download-plan"
    DOWNLOAD = "ov-download"


# Pure callbacks (inputs, dataset and level of detail decide their answer): served from the
# shared response cache when the same request was answered before (services.response_cache).
response_cache.mark_pure(
    Ids.HEADLINE, Ids.CAPTION, Ids.GRID, Ids.PARETO, Ids.PARETO_TEXT, Ids.TREND_DISTRICTS,
    Ids.ALERT, Ids.SCENARIO_NOTE, Ids.MAP, Ids.TREND,
)  # fmt: skip


def national_row(plan: Plan) -> dict[str, Any]:
    """The plan's national figures as one dict (national frame row, completed from totals)."""
    nat = getattr(plan, "national", None)
    row: dict[str, Any] = {}
    if isinstance(nat, pd.DataFrame) and len(nat):
        row = nat.iloc[0].to_dict()
    elif isinstance(nat, pd.Series):
        row = nat.to_dict()
    elif isinstance(nat, dict):
        row = dict(nat)
    for key, value in (getattr(plan, "totals", None) or {}).items():
        row.setdefault(key, value)
    row["period"] = (getattr(plan, "parameters", None) or {}).get("period") or row.get("period")
    return row


def effective_query(url_query: Query | None, session_query: Query | None) -> tuple[Query, str]:
    """The scenario query to use and where it came from: the URL's when it names a parameter, else
    the session's."""
    names = {f.name for f in fields(Scenario)}
    if url_query and names & set(url_query):
        return dict(url_query), "link"
    if session_query:
        return dict(session_query), "session"
    return {}, "default"


def staff_ranges(
    districts: pd.DataFrame, scenario: Scenario
) -> tuple[tuple[int, int], tuple[int, int]]:
    """National PEs and ORWs needed if the low or the high estimate were planned on (district by
    district, summed)."""
    pes, orws = [], []
    for level in ("estimate_low", "estimate_high"):
        pe = resources.peer_educators_needed(
            districts[level].fillna(0.0), scenario.people_per_pe, scenario.target
        )
        pes.append(int(pe.sum()))
        orws.append(int(resources.outreach_workers_needed(pe, scenario.pe_per_orw).sum()))
    return (pes[0], pes[1]), (orws[0], orws[1])


def caseload_staff_ranges(
    dataset_id: str | None, scenario: Scenario
) -> tuple[tuple[int, int], tuple[int, int]]:
    """National PEs and ORWs needed on the low and the high estimate when PEs are counted from
    caseloads: the totals of the same scenario's plans at those levels (caseloads of the low
    and the high estimate, each computed once on the server)."""
    pes, orws = [], []
    for level in ("low", "high"):
        totals = _shared.get_plan(dataset_id, scenario.replace(level=level)).totals
        pes.append(int(totals["peer_educators"]))
        orws.append(int(totals["outreach_workers"]))
    return (pes[0], pes[1]), (orws[0], orws[1])


def scenario_from(query: Query | None) -> tuple[Scenario, str | None]:
    """The scenario of a query dict, or the default scenario and the error message when invalid."""
    try:
        return Scenario.from_query(query or {}), None
    except ScenarioError as exc:
        return Scenario(), f"The link's scenario was not used: {exc}"


@dataclass(frozen=True)
class OverviewContent:
    """Everything the Overview shows except the map (district-level figures only)."""

    scenario: Scenario
    problem: str | None  # why the link's scenario was not used; None when it was valid
    headlines: list[of.Headline]
    grid: dag.AgGrid  # the ranked district grid (its rowData and columnDefs are sent)
    pareto_figure: go.Figure
    pareto_text: str
    districts: list[str]  # district names, for the trend's district picker
    period: str | None  # the plan's enrolment period; None for the latest


def overview_content(dataset_id: str | None, query: Query | None) -> OverviewContent:
    """Everything the Overview shows except the map, from district-level frames only."""
    requested, problem = scenario_from(query)
    plan = _shared.get_plan(dataset_id, requested)
    scenario = plan.scenario  # in the aggregate-only view: the published menu choice
    if problem is None and scenario != requested:
        problem = (
            "This view shows the published parameters only (basis, level and a distance of "
            "the menu); the other parameters of the link were not used."
        )
    districts = plan.districts
    national = national_row(plan)
    pe_range, orw_range = (
        caseload_staff_ranges(dataset_id, scenario)
        if scenario.pe_from_caseloads
        else staff_ranges(districts, scenario)
    )
    heads = of.headline_figures(
        national,
        basis=scenario.basis,
        level=scenario.level,
        target=scenario.target,
        people_per_pe=scenario.people_per_pe,
        pe_per_orw=scenario.pe_per_orw,
        pe_range=pe_range,
        orw_range=orw_range,
    )
    heads = _shared.pe_rule_headlines(
        heads,
        scenario,
        detail=f"{of.fmt_range(*pe_range)} on the low–high estimate · {scenario.pe_count_rule()}",
    )
    grid = of.district_grid(districts, grid_id=Ids.GRID)
    grid.columnDefs = _shared.pe_rule_column_defs(grid.columnDefs, scenario)
    cum = priority_mod.cumulative_share(districts, value="estimate_mid")
    n_districts = len(districts)
    try:
        k, share = priority_mod.smallest_k_holding(districts, PARETO_SHARE, value="estimate_mid")
        pareto_text = of.cumulative_share_sentence(k, share, n_districts, threshold=PARETO_SHARE)
    except ValueError as exc:  # no population mapped at all: say so instead of a sentence
        k, pareto_text = None, f"No district share to show: {exc}."
    return OverviewContent(
        scenario=scenario,
        problem=problem,
        headlines=heads,
        grid=grid,
        pareto_figure=of.cumulative_share_figure(cum, k=k, threshold=PARETO_SHARE),
        pareto_text=pareto_text,
        districts=districts["district"].astype(str).tolist(),
        period=national.get("period"),
    )


def layout(**query: Any) -> html.Div:
    """The Overview layout; the scenario comes from the URL query (``/?people_per_pe=50``)."""
    scenario_query = {k: v for k, v in query.items() if isinstance(v, str)}
    return html.Div(
        [
            dcc.Store(id=Ids.SCENARIO, data=scenario_query),
            dcc.Store(id=SCENARIO_SESSION_ID, storage_type="session"),
            _shared.page_header(
                "Overview",
                "Where the population is, how much of it the programme reaches, and what a full "
                "plan needs. All figures are district totals; ranges run from the low to the "
                "high mapping estimate.",
            ),
            html.Div(id=Ids.ALERT),
            html.Div(id=Ids.SCENARIO_NOTE, className="small mb-2"),
            html.Div(
                [
                    ui.button(
                        "Download shareable district plan (Excel)",
                        Ids.DOWNLOAD_BUTTON,
                        icon="bi-file-earmark-excel",
                        outline=True,
                        className="me-2",
                    ),
                    html.Span(
                        "The figures of this page, with the disclosure control stated above."
                        if not _shared.hotspot_detail_allowed()
                        else "District figures safe to share with donors: "
                        + _shared.disclosure_rule().statement(),
                        id=Ids.DISCLOSURE,
                        className="small text-muted",
                    ),
                    dcc.Download(id=Ids.DOWNLOAD),
                ],
                className="mb-2",
            ),
            dcc.Loading(html.Div(id=Ids.HEADLINE), type="dot", delay_show=300),
            html.P(id=Ids.CAPTION, className="small text-muted mt-1 mb-3"),
            dbc.Row(
                [
                    dbc.Col(_map_card(), lg=7, className="mb-3"),
                    dbc.Col(_pareto_card(), lg=5, className="mb-3"),
                ]
            ),
            _ranked_card(),
            _trend_card(),
        ]
    )


def _map_card() -> dbc.Card:
    metric_options = [{"label": m.label, "value": key} for key, m in of.MAP_METRICS.items()]
    metric_style = "small fw-semibold me-2"
    return ui.titled_card(
        "Districts on the map",
        [
            html.Label("Colour districts by", htmlFor=Ids.METRIC, className=metric_style),
            dbc.RadioItems(
                id=Ids.METRIC,
                options=metric_options,
                value="coverage_mid",
                inline=True,
                className="small mb-2",
            ),
            dcc.Graph(
                id=Ids.MAP,
                config={"displaylogo": False, "scrollZoom": True},
                style={"height": f"{of.MAP_HEIGHT_PX}px"},
            ),
            _note(
                "Darker = lower coverage, larger gap, more people or higher density. District "
                "boundaries only; no hotspot locations."
            ),
        ],
        className="h-100",
    )


def _pareto_card() -> dbc.Card:
    return ui.titled_card(
        "Where the population is concentrated",
        [
            html.P(id=Ids.PARETO_TEXT, className="fw-semibold mb-1"),
            dcc.Graph(id=Ids.PARETO, config={"displaylogo": False}),
            _note(
                "Share of the national mid estimate per district, largest first, and the running "
                "total (Mauritius: 4 of 9 districts held over 80%; DESIGN.md s.3)."
            ),
        ],
        className="h-100",
    )


def _ranked_card() -> dbc.Card:
    empty = pd.DataFrame({"district": pd.Series(dtype=str)})
    grid = of.district_grid(empty, grid_id=Ids.GRID, csv_note=_shared.disclosure_note())
    return ui.titled_card(
        "Districts ranked by priority",
        [
            _note(
                "Sort by clicking a header; type in the row under the headers to filter. "
                "Priority 1 is funded first: largest gap, then highest density (DESIGN.md s.3).",
                className="small text-muted",
            ),
            html.Div(grid, id="ov-grid-wrap"),
        ],
        action=ui.button("Export CSV", Ids.EXPORT, outline=True),
    )


def _trend_card() -> dbc.Card:
    return ui.titled_card(
        "Coverage over time",
        [
            html.Label(
                "Add districts to compare (up to 5)",
                htmlFor=Ids.TREND_DISTRICTS,
                className="small fw-semibold",
            ),
            dcc.Dropdown(
                id=Ids.TREND_DISTRICTS,
                multi=True,
                options=[],
                value=[],
                placeholder="National only",
                className="mb-2",
            ),
            dcc.Graph(id=Ids.TREND, config={"displaylogo": False}),
            _note(
                "Enrolled (cumulative) in each period ÷ the current estimate; the band is the "
                "low–high coverage range."
            ),
        ],
    )


def _note(text: str, className: str = "small text-muted mb-0") -> html.P:
    """A line of small grey explanation under a figure."""
    return html.P(text, className=className)


# The session's dataset and the scenario (the page URL's, else the session's): the arguments
# dataset_id, url_query, session_query of every callback here.
_SCENARIO_DATA = [
    (_shared.DATASET_STORE_ID, "data"),
    (Ids.SCENARIO, "data"),
    (SCENARIO_SESSION_ID, "data"),
]
_SCENARIO_INPUTS = [Input(*prop) for prop in _SCENARIO_DATA]


def _refusal(message: str) -> dbc.Alert:
    return dbc.Alert(message, color="danger", className="py-2")


@callback(
    Output(Ids.HEADLINE, "children"), Output(Ids.CAPTION, "children"), Output(Ids.GRID, "rowData"),
    Output(Ids.GRID, "columnDefs"), Output(Ids.PARETO, "figure"),
    Output(Ids.PARETO_TEXT, "children"), Output(Ids.TREND_DISTRICTS, "options"),
    Output(Ids.ALERT, "children"), Output(Ids.SCENARIO_NOTE, "children"),
    *_SCENARIO_INPUTS,
)  # fmt: skip
def show_overview(
    dataset_id: str | None, url_query: Query | None, session_query: Query | None = None
):
    """Fill the headline, caption, grid, Pareto chart and trend options for the session's
    dataset."""
    query, origin = effective_query(url_query, session_query)
    if _shared.dataset_or_none(dataset_id) is None:
        msg = _refusal("The dataset could not be loaded; the Data page lists its problems.")
        return None, "", [], no_update, {}, "", [], msg, ""
    c = overview_content(dataset_id, query)
    s = c.scenario
    caption = (
        f"Basis: {'peak-day' if s.basis == 'peak' else 'typical-day'} mapping counts "
        f"(min–max ranges), planning level {s.level}, target {s.target:.0%}; "
        f"enrolment period {c.period or 'latest'}; {s.pe_count_rule()}. " + of.ESTIMATE_CAPTION
    )
    query_str = urlencode(s.to_query())
    aggregate = not _shared.hotspot_detail_allowed()
    note = (
        html.Span(
            [
                html.Strong("Published figures for aggregate-only viewing. "),
                _shared.disclosure_rule().statement(),
            ],
            id="ov-published-note",
        )
        if aggregate
        else html.Span(
            [
                "Scenario "
                f"{'from the link' if origin == 'link' else 'chosen on the Scenarios page'}: ",
                html.Code(query_str),
                " · ",
                dcc.Link(
                    "edit it in Scenarios",
                    href=dash.get_relative_path("/scenarios") + "?" + query_str,
                ),
            ]
        )
        if query_str
        else html.Span(
            [
                f"Default scenario ({s.pe_count_rule()}, {s.basis}-day {s.level} estimate). ",
                dcc.Link("Change it in Scenarios", href=dash.get_relative_path("/scenarios")),
            ]
        )
    )
    alert = dbc.Alert(c.problem, color="warning", className="py-2") if c.problem else None
    grid = c.grid
    options = [{"label": d, "value": d} for d in c.districts]
    return (
        of.headline_cards(c.headlines, id_prefix=Ids.HEADLINE_PREFIX),
        caption,
        grid.rowData,
        grid.columnDefs,
        c.pareto_figure,
        c.pareto_text,
        options,
        alert,
        note,
    )


@callback(
    Output(Ids.MAP, "figure"),
    Input(Ids.METRIC, "value"),
    *_SCENARIO_INPUTS,
)
def show_map(
    metric: str, dataset_id: str | None, url_query: Query | None, session_query: Query | None = None
) -> go.Figure | dict[str, Any]:
    """The district choropleth of the chosen metric (district polygons and values only)."""
    query, _ = effective_query(url_query, session_query)
    if _shared.dataset_or_none(dataset_id) is None:
        return {}
    scenario, _ = scenario_from(query)
    plan = _shared.get_plan(dataset_id, scenario)
    return of.district_choropleth(
        plan.districts, _shared.district_geojson(dataset_id), metric or "coverage_mid"
    )


@callback(
    Output(Ids.TREND, "figure"),
    Input(Ids.TREND_DISTRICTS, "value"),
    *_SCENARIO_INPUTS,
)
def show_trend(
    chosen: list[str] | None,
    dataset_id: str | None,
    url_query: Query | None,
    session_query: Query | None = None,
) -> go.Figure | dict[str, Any]:
    """National coverage over periods with the chosen districts' mid coverage."""
    query, _ = effective_query(url_query, session_query)
    if _shared.dataset_or_none(dataset_id) is None:
        return {}
    c = _trend_content(dataset_id, query)
    return of.coverage_trend_figure(c[0], c[1], districts=(chosen or [])[:5])


def _trend_content(
    dataset_id: str | None, query: Query | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario, _ = scenario_from(query)
    plan = _shared.get_plan(dataset_id, scenario)
    trend = _trend_cached(
        _shared.dataset_key(dataset_id), plan.scenario, _shared.hotspot_detail_allowed()
    )
    return of.national_trend(trend, national_row(plan)), trend


@lru_cache(maxsize=32)
def _trend_cached(dataset_id: str | None, scenario: Scenario, detail: bool) -> pd.DataFrame:
    # ``detail`` is part of the key: the full and the aggregate-only view differ
    plan = _shared.get_plan(dataset_id, scenario)
    return coverage_mod.coverage_trend(
        _shared.get_dataset_for(dataset_id).enrolment, plan.districts
    )


@callback(
    Output(Ids.DOWNLOAD, "data"),
    Input(Ids.DOWNLOAD_BUTTON, "n_clicks"),
    *[State(*prop) for prop in _SCENARIO_DATA],
    prevent_initial_call=True,
)
def download_district_plan(
    n_clicks: int | None,
    dataset_id: str | None,
    url_query: Query | None,
    session_query: Query | None = None,
) -> dict[str, Any]:
    """The district-level plan with disclosure control (rounded, suppressed, menu parameters):
    safe to share with donors, whoever downloads it."""
    if not n_clicks or _shared.dataset_or_none(dataset_id) is None:
        raise dash.exceptions.PreventUpdate
    query, _ = effective_query(url_query, session_query)
    requested, _ = scenario_from(query)
    plan = _shared.get_published_plan(dataset_id, requested)
    return dcc.send_bytes(excel_plan.workbook_bytes(plan), "district-plan-shareable.xlsx")


@callback(
    Output(Ids.GRID, "exportDataAsCsv"),
    Input(Ids.EXPORT, "n_clicks"),
    prevent_initial_call=True,
)
def export_csv(n_clicks: int | None) -> bool:
    """Ask the grid to download its rows (as sorted and filtered) as districts.csv."""
    return bool(n_clicks)


__all__ = [
    "SCENARIO_SESSION_ID",
    "Ids",
    "OverviewContent",
    "caseload_staff_ranges",
    "effective_query",
    "layout",
    "national_row",
    "overview_content",
    "scenario_from",
]
