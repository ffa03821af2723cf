"""Outreach page (/outreach), for site managers: caseloads of peer educators, peak-time heat map,
best outreach slots, weekly calendar and field sheets of one district (issues 4 and 5).

Hotspot-level page: registered only when hotspot detail is allowed (not in ``--aggregate``
mode), and every callback also checks ``_shared.require_hotspot_detail()`` on the server, so
no request gets spot data in an aggregate-only deployment. Heavy work (caseloads, calendar)
is memoised per (dataset, district, parameters); the browser holds only ids and parameters.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from components import outreach_figures as figs
from data_loaders import store
from data_loaders.field_sheets import CONFIDENTIAL, render_html, write_workbook
from pages import _shared
from planning.caseloads import (
    PEOPLE_PER_PE_DEFAULT,
    CaseloadError,
    CaseloadParams,
    district_caseloads,
)
from planning.outreach import OutreachParams, best_slots, describe_best_slots, presence_grid, weekly_calendar

if _shared.hotspot_detail_allowed():
    dash.register_page(__name__, path="/outreach", name="Outreach", order=3, title="Outreach · KP coverage planner",
                       description="Peer-educator caseloads, peak times and field sheets of a district")


class ID:
    """Component ids of this page (one place, never repeated as literals)."""

    district = "out-district"
    people_per_pe = "out-people-per-pe"
    hours_per_day = "out-hours-per-day"
    keep_apart = "out-keep-typology-apart"
    summary = "out-summary"
    slots = "out-best-slots"
    map = "out-caseload-map"
    heatmap = "out-heatmap"
    pe_table = "out-pe-table"
    pe_select = "out-pe-select"
    calendar = "out-calendar"
    download_xlsx = "out-download-xlsx"
    download_html = "out-download-html"
    download = "out-download"
    alert = "out-alert"
    timing = "out-timing"


HOURS_PER_DAY_DEFAULT = OutreachParams().hours_per_day
TIPS = {
    "tip-out-district": "The district whose hotspots are planned. Caseloads never cross district borders.",
    "tip-out-ppe": "Caseload cap: the most people one peer educator (PE) serves. Default 60; 50-75 in DESIGN.md "
                   "s.3 (1 PE per 60-75 FSW in Mombasa, 50-60 in the PM paper, 50-80 in AMETHIST).",
    "tip-out-hours": "Working hours a PE spends at spots per day (default 6; an assumption, no source gives a "
                     "figure). With 5 days a week and 15 minutes a contact this sets the contact capacity.",
    "tip-out-apart": "Keep venue-based spots (bar, lodge, nightclub, brothel, home, ...) and street-based spots "
                     "(street, truck stop, market, ...) in separate caseloads (Mombasa: typology was used to "
                     "allocate spots to PEs).",
    "tip-out-heat": "People present at peak: a spot adds its planning population (mid of the peak-day "
                    "range) to each hour of its peak times on each peak day; spots without peak information "
                    "are spread evenly.",
    "tip-out-load": "Contacts a month from the risk mix (30% high risk seen weekly, 40% medium twice a month, "
                    "30% low monthly: AMETHIST frequencies; the mix is an assumption) against the PE's capacity "
                    "(hours a day × 5 days × 4 contacts an hour × 4.33 weeks).",
}


def _tip_label(text: str, tip_id: str, target_for: str | None = None) -> list[Any]:
    return [
        html.Label([text, " ", html.I(className="bi bi-info-circle", id=tip_id, tabIndex=0,
                                      **{"aria-label": f"about {text}"})],
                   className="form-label small fw-semibold mb-1", htmlFor=target_for),
        dbc.Tooltip(TIPS[tip_id], target=tip_id, placement="right"),
    ]


def _number(value: Any, default: float, lo: float, hi: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return default
    return min(max(v, lo), hi)


def layout(district: str | None = None, people_per_pe: str | None = None, **_query: str) -> Any:
    """The page; ``?district=Lilongwe&people_per_pe=60`` in the URL preselects (shareable link)."""
    ppe = int(_number(people_per_pe, PEOPLE_PER_PE_DEFAULT, 50, 75))
    controls = dbc.Card(dbc.CardBody([
        *_tip_label("District", "tip-out-district", ID.district),
        dcc.Dropdown(id=ID.district, value=district, clearable=False, placeholder="Choose a district",
                     className="mb-3"),
        *_tip_label("People per peer educator", "tip-out-ppe"),
        dcc.Slider(id=ID.people_per_pe, min=50, max=75, step=1, value=ppe,
                   marks={v: str(v) for v in (50, 55, 60, 65, 70, 75)},
                   tooltip={"placement": "bottom", "always_visible": False}),
        html.Div(className="mb-3"),
        *_tip_label("Outreach hours per PE per day", "tip-out-hours", ID.hours_per_day),
        dbc.Input(id=ID.hours_per_day, type="number", min=1, max=12, step=0.5, value=HOURS_PER_DAY_DEFAULT,
                  className="mb-3"),
        dbc.Checklist(id=ID.keep_apart, options=[{"label": "Venue and street spots in separate caseloads",
                                                   "value": "apart"}], value=[], className="small"),
        html.I(className="bi bi-info-circle small", id="tip-out-apart", tabIndex=0,
               **{"aria-label": "about keeping typologies apart"}),
        dbc.Tooltip(TIPS["tip-out-apart"], target="tip-out-apart", placement="right"),
        html.Hr(),
        html.Div([
            dbc.Button("Field sheets (Excel)", id=ID.download_xlsx, color="primary", size="sm", className="me-2 mb-2"),
            dbc.Button("Printable sheets (HTML)", id=ID.download_html, color="secondary", size="sm", className="mb-2"),
        ]),
        html.P(CONFIDENTIAL, className="small text-danger mb-0"),
        dcc.Download(id=ID.download),
    ]), className="mb-3")
    return dbc.Container([
        _shared.page_header("Outreach", "Micro-planning for site managers: which peer educator covers which "
                                        "spots, and when outreach should go out."),
        html.P(_shared.level_note(), className="small text-muted"),
        dbc.Alert(id=ID.alert, color="warning", is_open=False),
        dbc.Row([
            dbc.Col(controls, width=12, lg=3),
            dbc.Col([
                html.Div(id=ID.summary, className="mb-2", **{"aria-live": "polite"}),
                html.Div(id=ID.slots, className="mb-2 fw-semibold", **{"aria-live": "polite"}),
                dcc.Loading(dcc.Graph(id=ID.map, config={"displaylogo": False}, style={"height": "480px"})),
                html.Div([html.Span("Day × hour ", className="small fw-semibold"),
                          html.I(className="bi bi-info-circle small", id="tip-out-heat", tabIndex=0,
                                 **{"aria-label": "about the heat map"}),
                          dbc.Tooltip(TIPS["tip-out-heat"], target="tip-out-heat")]),
                dcc.Graph(id=ID.heatmap, config={"displaylogo": False}),
            ], width=12, lg=9),
        ]),
        html.H2(["Peer educators ", html.I(className="bi bi-info-circle small", id="tip-out-load", tabIndex=0,
                                           **{"aria-label": "about the contact load"})], className="h5 mt-3"),
        dbc.Tooltip(TIPS["tip-out-load"], target="tip-out-load"),
        html.Div(id=ID.pe_table, style={"maxHeight": "360px", "overflowY": "auto"}, tabIndex=0,
                 **{"aria-label": "table of peer educators"}),
        html.H2("Weekly calendar", className="h5 mt-3"),
        html.Label("Peer educator", htmlFor=ID.pe_select, className="form-label small fw-semibold"),
        dcc.Dropdown(id=ID.pe_select, clearable=False, className="mb-2", style={"maxWidth": "320px"}),
        html.Div(id=ID.calendar),
        html.Div(id=ID.timing, className="visually-hidden"),
    ], fluid=True)


# --- server side -----------------------------------------------------------------------

@lru_cache(maxsize=64)
def compute(dataset_key: str, district: str, people_per_pe: float, hours_per_day: float, keep_apart: bool):
    """(caseloads, calendar, presence grid, best slots) of a district; memoised per parameters."""
    dataset = store.get_dataset(dataset_key)
    params = CaseloadParams(people_per_pe=people_per_pe, keep_typology_apart=keep_apart)
    result = district_caseloads(dataset.hotspots, dataset.crs_projected, params, district=district)
    calendar = weekly_calendar(result.assignments, result.spots, OutreachParams(hours_per_day=hours_per_day))
    grid = presence_grid(result.spots)
    slots = best_slots(result.spots, n_slots=2)
    return result, calendar, grid, slots


def _args(dataset_id, district, people_per_pe, hours_per_day, keep_apart):
    """Checked parameters for ``compute`` (raises PreventUpdate when nothing is chosen yet)."""
    _shared.require_hotspot_detail()
    if _shared.dataset_or_none(dataset_id) is None or not district:
        raise dash.exceptions.PreventUpdate
    return (store.resolve_id(dataset_id), str(district), float(_number(people_per_pe, 60, 50, 90)),
            float(_number(hours_per_day, HOURS_PER_DAY_DEFAULT, 0.5, 16)), "apart" in (keep_apart or []))


def summary_children(result, calendar) -> list[Any]:
    """The headline numbers: PEs vs lower bound, ORWs, overloaded PEs."""
    orws = result.peer_educators["orw_group"].nunique()
    over = int(calendar.load["overloaded"].sum())
    people = float(result.assignments["people"].sum())
    return [
        html.Span(f"{result.pe_count} peer educators", id="out-pe-count", className="fs-5 fw-bold me-2"),
        html.Span(f"for {people:,.0f} people at {len(result.spots)} spots (at most {result.people_per_pe:g} each); "
                  f"lower bound ⌈people ÷ cap⌉ = {result.lower_bound}, ratio "
                  f"{result.ratio_to_lower_bound:.2f}; {orws} outreach-worker group(s); "
                  f"{over} PE(s) overloaded."),
    ]


@callback(Output(ID.district, "options"), Output(ID.district, "value"),
          Input(_shared.DATASET_STORE_ID, "data"), State(ID.district, "value"))
def _districts(dataset_id: str | None, current: str | None):
    _shared.require_hotspot_detail()
    dataset = _shared.dataset_or_none(dataset_id)
    if dataset is None:
        return [], None
    counts = dataset.hotspots["district"].astype(str).value_counts()
    options = sorted(d for d in counts.index if d)
    value = current if current in options else (counts.index[0] if len(counts) else None)
    return options, value


@callback(Output(ID.summary, "children"), Output(ID.slots, "children"), Output(ID.map, "figure"),
          Output(ID.heatmap, "figure"), Output(ID.pe_table, "children"), Output(ID.pe_select, "options"),
          Output(ID.pe_select, "value"), Output(ID.alert, "children"), Output(ID.alert, "is_open"),
          Output(ID.timing, "children"),
          Input(_shared.DATASET_STORE_ID, "data"), Input(ID.district, "value"), Input(ID.people_per_pe, "value"),
          Input(ID.hours_per_day, "value"), Input(ID.keep_apart, "value"), State(ID.pe_select, "value"))
def _update(dataset_id, district, people_per_pe, hours_per_day, keep_apart, current_pe):
    started = time.perf_counter()
    args = _args(dataset_id, district, people_per_pe, hours_per_day, keep_apart)
    try:
        result, calendar, grid, slots = compute(*args)
    except (CaseloadError, ValueError) as exc:
        no = dash.no_update
        return no, no, no, no, no, no, no, str(exc), True, no
    table = figs.pe_table_frame(result, calendar)
    pes = list(result.peer_educators["pe_id"])
    pe_value = current_pe if current_pe in pes else (pes[0] if pes else None)
    ms = (time.perf_counter() - started) * 1000
    return (
        summary_children(result, calendar),
        "Best outreach slots: " + describe_best_slots(slots),
        figs.caseload_map_figure(result, note=_shared.level_note()),
        figs.presence_heatmap_figure(grid, title=f"People at peak by day and hour, {result.district}"),
        dbc.Table.from_dataframe(table, striped=True, bordered=False, hover=True, size="sm", className="small"),
        pes, pe_value, "", False, f"{ms:.0f} ms",
    )


@callback(Output(ID.calendar, "children"), Input(ID.pe_select, "value"),
          State(_shared.DATASET_STORE_ID, "data"), State(ID.district, "value"), State(ID.people_per_pe, "value"),
          State(ID.hours_per_day, "value"), State(ID.keep_apart, "value"))
def _calendar(pe_id, dataset_id, district, people_per_pe, hours_per_day, keep_apart):
    if not pe_id:
        raise dash.exceptions.PreventUpdate
    result, calendar, _, _ = compute(*_args(dataset_id, district, people_per_pe, hours_per_day, keep_apart))
    if pe_id not in set(result.peer_educators["pe_id"]):
        raise dash.exceptions.PreventUpdate
    load = calendar.load.set_index("pe_id").loc[pe_id]
    frame = figs.calendar_frame(calendar, result.spots, pe_id)
    flag = (dbc.Badge("overloaded: some visits do not fit the peak windows or the hours", color="danger")
            if load["overloaded"] else dbc.Badge("fits the working hours", color="success"))
    return [
        html.P([f"{pe_id}: {load['contacts_per_month']:.0f} contacts a month needed, capacity "
                f"{load['capacity_contacts_per_month']:.0f} ({load['load_pct']:.0f}%); "
                f"{load['hours_scheduled_per_week']:.0f} of {load['hours_needed_per_week']:.0f} hours a week placed. ",
                flag], className="small"),
        dbc.Table.from_dataframe(frame, striped=True, size="sm", className="small"),
    ]


@callback(Output(ID.download, "data"), Input(ID.download_xlsx, "n_clicks"), Input(ID.download_html, "n_clicks"),
          State(_shared.DATASET_STORE_ID, "data"), State(ID.district, "value"), State(ID.people_per_pe, "value"),
          State(ID.hours_per_day, "value"), State(ID.keep_apart, "value"), prevent_initial_call=True)
def _download(_xlsx, _html, dataset_id, district, people_per_pe, hours_per_day, keep_apart):
    result, calendar, _, _ = compute(*_args(dataset_id, district, people_per_pe, hours_per_day, keep_apart))
    stem = "field-sheets-" + "-".join(str(district).split()).lower()
    if dash.ctx.triggered_id == ID.download_html:
        return dict(content=render_html(result, calendar), filename=f"{stem}.html", type="text/html")
    return dcc.send_bytes(write_workbook(result, calendar), f"{stem}.xlsx")
