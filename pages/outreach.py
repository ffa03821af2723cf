"""Outreach page (/outreach), for site managers: caseloads of peer educators, peak-time heat map,
best outreach slots, weekly calendar and field sheets of one district or of one service site's
catchment (issues 4 and 5). The choice is kept in the URL query (district=, site=, people_per_pe=,
...) so a site manager can share the page as a link.

Hotspot-level page: registered only when hotspot detail is allowed (not in ``--aggregate``
mode), and every callback also checks ``_shared.require_hotspot_detail()`` on the server, so
no request gets spot data in an aggregate-only deployment. Heavy work (caseloads, calendar)
is memoised per (dataset, area, parameters); the browser holds only ids and parameters.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from components import outreach_figures as figs
from components import ui
from components.page_results import Area, AreaInfo, OutreachArgs, OutreachResult
from exports.field_sheets import CONFIDENTIAL, render_html, write_workbook
from pages import _shared
from planning.access import DEFAULT_DISTANCE_KM, site_catchment
from planning.caseloads import (
    LOCAL_REACH_FACTOR_DEFAULT,
    MAX_RADIUS_KM_DEFAULT,
    CaseloadError,
    CaseloadParams,
    district_caseloads,
)
from planning.outreach import (
    OutreachParams,
    best_slots,
    describe_best_slots,
    presence_grid,
    weekly_calendar,
)
from planning.parameters import ParameterError, default_number, parameter
from planning.schema import Dataset
from services import datasets as store

dash.register_page(
    __name__,
    path="/outreach",
    name="Outreach",
    order=3,
    title="Outreach · KP coverage planner",
    description="Peer-educator caseloads, peak times and field sheets of a district or "
    "a service site's catchment",
    detail="hotspot",
)


class ID:
    """Component ids of this page (one place, never repeated as literals)."""

    url = "out-url"
    area_kind = "out-area-kind"
    district_box = "out-district-box"
    district = "out-district"
    site_box = "out-site-box"
    site = "out-site"
    distance_km = "out-distance-km"
    area_note = "out-area-note"
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


HOURS_PER_DAY_DEFAULT = default_number("hours_per_day")
DISTRICT, SITE = "district", "site"
TIPS = {
    "tip-out-district": "The district whose hotspots are planned. "
    "Caseloads never cross district borders.",
    "tip-out-site": "A service site's catchment: the hotspots whose nearest site "
    "(straight line, any service) is this one and that lie within the access distance. "
    "Hotspots nearer to another site belong to that site, so catchments never overlap.",
    "tip-out-distance": "Hotspots further away than this from a site are in no catchment. "
    + parameter("distance_km").tooltip(),
    "tip-out-ppe": "Caseload cap: the most people one peer educator (PE) serves. "
    + parameter("people_per_pe").tooltip(),
    "tip-out-hours": "Working hours a PE spends at spots per day; with the days a week and "
    "minutes a contact this sets the contact capacity. " + parameter("hours_per_day").tooltip(),
    "tip-out-apart": "Keep venue-based spots (bar, lodge, nightclub, brothel, home, ...) and "
    "street-based spots (street, truck stop, market, ...) in separate caseloads (Mombasa: "
    "typology was used to allocate spots to PEs).",
    "tip-out-heat": "People present at peak: a spot adds its planning population (mid of the "
    "peak-day range) to each hour of its peak times on each peak day; spots without peak "
    "information are spread evenly. Peak days name nights: a spot busy Fri 20-24;0-3 is "
    "counted Friday 20:00 to Saturday 03:00, so the early hours show on Saturday's row.",
    "tip-out-load": "Contacts a month from the risk mix (30% high risk seen weekly, 40% medium "
    "twice a month, 30% low monthly: AMETHIST frequencies; the mix is an assumption) against "
    "the PE's capacity (hours a day × 5 days × 4 contacts an hour × 4.33 weeks).",
}
# dict[str, Any]: dash's typed signatures list only the named props, not aria-*.
_ARIA_LIVE: dict[str, Any] = {"aria-live": "polite"}


def _aria_label(text: str) -> dict[str, Any]:
    """An aria-label prop to unpack into a component (typed, like ``_ARIA_LIVE``)."""
    return {"aria-label": text}


def _tip_label(text: str, tip_id: str, target_for: str | None = None) -> list[Any]:
    return [
        html.Label(
            [text, " ", ui.info_icon(tip_id, f"about {text}", className="bi bi-info-circle")],
            className="form-label small fw-semibold mb-1",
            htmlFor=target_for,
        ),
        dbc.Tooltip(TIPS[tip_id], target=tip_id, placement="right"),
    ]


def _checked(name: str, raw: Any) -> tuple[float, str | None]:
    """A page parameter's value from a control or the URL, checked against its one definition
    (planning.parameters): (value, None), or (the default, the parameter's refusal message)."""
    p = parameter(name)
    try:
        value = p.check(raw)
    except ParameterError as exc:
        return default_number(name), str(exc)
    return (default_number(name) if value is None else float(value)), None


def _number(name: str, raw: Any) -> float:
    """The checked value of a page parameter (the default when missing or refused)."""
    return _checked(name, raw)[0]


def share_search(
    area_kind: str | None,
    district: str | None,
    site: str | None,
    people_per_pe: Any,
    hours_per_day: Any = None,
    keep_apart: list[str] | None = None,
    distance_km: Any = None,
) -> str:
    """The URL query ("?site=SITE-028&people_per_pe=60") of the page's choice; ``layout`` reads it
    back.

    Only the chosen area goes in (district= or site=); hours, typology and distance only when not
    the default, so a link stays short. "" while nothing is chosen yet.
    """
    query: dict[str, Any] = {}
    if area_kind == SITE and site:
        query["site"] = site
        distance = _number("distance_km", distance_km)
        if distance != DEFAULT_DISTANCE_KM:
            query["distance_km"] = f"{distance:g}"
    elif area_kind != SITE and district:
        query["district"] = district
    else:
        return ""
    query["people_per_pe"] = f"{_number('people_per_pe', people_per_pe):g}"
    hours = _number("hours_per_day", hours_per_day)
    if hours != HOURS_PER_DAY_DEFAULT:
        query["hours_per_day"] = f"{hours:g}"
    if "apart" in (keep_apart or []):
        query["keep_apart"] = "1"
    return "?" + urlencode(query)


# The area choices: (label, tooltip id, dropdown id, box id, placeholder) by area kind.
_AREA_CONTROLS = {
    DISTRICT: ("District", "tip-out-district", ID.district, ID.district_box, "Choose a district"),
    SITE: ("Service site", "tip-out-site", ID.site, ID.site_box, "Choose a site"),
}


def _area_box(
    area_kind: str, chosen_kind: str, value: str | None, spacing: str, *more: Any
) -> html.Div:
    """The labelled dropdown of one area kind (and ``more`` controls), shown while it is chosen."""
    label, tip_id, dropdown_id, box_id, placeholder = _AREA_CONTROLS[area_kind]
    dropdown = dcc.Dropdown(
        id=dropdown_id, value=value, clearable=False, placeholder=placeholder, className=spacing
    )
    return html.Div(
        id=box_id,
        hidden=chosen_kind != area_kind,
        children=[*_tip_label(label, tip_id, dropdown_id), dropdown, *more],
    )


def _parameter_range(name: str) -> dict[str, Any]:
    """min, max and step of a control, from the parameter's one definition."""
    p = parameter(name)
    return {"min": p.low, "max": p.high, "step": p.step}


def _number_input(input_id: str, name: str, value: float, **props: Any) -> dbc.Input:
    """A number input over the parameter's allowed range."""
    return dbc.Input(
        id=input_id,
        type="number",
        **_parameter_range(name),
        value=value,
        **props,
        className="mb-3",
    )


def layout(
    district: str | None = None,
    site: str | None = None,
    people_per_pe: str | None = None,
    hours_per_day: str | None = None,
    keep_apart: str | None = None,
    distance_km: str | None = None,
    **_query: str,
) -> Any:
    """The page; ``?district=Lilongwe&people_per_pe=60`` or ``?site=SITE-028`` preselects
    (shareable link)."""
    if not _shared.hotspot_detail_allowed():
        return _shared.not_available_view("Outreach")
    checked = {
        name: _checked(name, raw)
        for name, raw in (
            ("people_per_pe", people_per_pe),
            ("hours_per_day", hours_per_day),
            ("distance_km", distance_km),
        )
    }
    problems = [problem for _, problem in checked.values() if problem]
    ppe = checked["people_per_pe"][0]
    kind = SITE if site else DISTRICT
    hours = checked["hours_per_day"][0]
    distance = checked["distance_km"][0]
    apart = ["apart"] if str(keep_apart or "").lower() in ("1", "true", "yes", "apart") else []
    controls = dbc.Card(
        dbc.CardBody(
            [
                html.Label(
                    "Plan for", htmlFor=ID.area_kind, className="form-label small fw-semibold mb-1"
                ),
                dbc.RadioItems(
                    id=ID.area_kind,
                    value=kind,
                    inline=True,
                    className="mb-2",
                    options=[
                        {"label": "District", "value": DISTRICT},
                        {"label": "Service site", "value": SITE},
                    ],
                ),
                _area_box(DISTRICT, kind, district, "mb-3"),
                _area_box(
                    SITE,
                    kind,
                    site,
                    "mb-2",
                    *_tip_label("Access distance (km)", "tip-out-distance", ID.distance_km),
                    _number_input(ID.distance_km, "distance_km", distance, debounce=True),
                ),
                *_tip_label("People per peer educator", "tip-out-ppe"),
                dcc.Slider(
                    id=ID.people_per_pe,
                    **_parameter_range("people_per_pe"),
                    value=ppe,
                    marks={v: str(v) for v in (50, 60, 75, 90)},
                    tooltip={"placement": "bottom", "always_visible": False},
                ),
                html.Div(className="mb-3"),
                *_tip_label("Outreach hours per PE per day", "tip-out-hours", ID.hours_per_day),
                _number_input(ID.hours_per_day, "hours_per_day", hours),
                dbc.Checklist(
                    id=ID.keep_apart,
                    options=[
                        {"label": "Venue and street spots in separate caseloads", "value": "apart"}
                    ],
                    value=apart,
                    className="small",
                ),
                ui.info_icon("tip-out-apart", "about keeping typologies apart"),
                dbc.Tooltip(TIPS["tip-out-apart"], target="tip-out-apart", placement="right"),
                html.Hr(),
                html.Div(
                    [
                        ui.button(
                            "Field sheets (Excel)",
                            ID.download_xlsx,
                            color="primary",
                            className="me-2 mb-2",
                        ),
                        ui.button("Printable sheets (HTML)", ID.download_html, className="mb-2"),
                    ]
                ),
                html.P(CONFIDENTIAL, className="small text-danger mb-0"),
                dcc.Download(id=ID.download),
            ]
        ),
        className="mb-3",
    )
    return dbc.Container(
        [
            # the link's own choice, canonical: the URL callback then pushes a new entry only on a
            # real change
            dcc.Location(
                id=ID.url,
                refresh=False,
                search=share_search(kind, district, site, ppe, hours, apart, distance),
            ),
            *[
                dbc.Alert(
                    f"The link's value was not used: {problem}", color="warning", className="py-2"
                )
                for problem in problems
            ],
            _shared.page_header(
                "Outreach",
                "Micro-planning for site managers: which peer educator covers which "
                "spots, and when outreach should go out.",
            ),
            html.P(_shared.level_note(), className="small text-muted"),
            dbc.Alert(id=ID.alert, color="warning", is_open=False),
            dbc.Row(
                [
                    dbc.Col(controls, width=12, lg=3),
                    dbc.Col(
                        [
                            html.Div(id=ID.area_note, className="mb-1 small", **_ARIA_LIVE),
                            html.Div(id=ID.summary, className="mb-2", **_ARIA_LIVE),
                            html.Div(id=ID.slots, className="mb-2 fw-semibold", **_ARIA_LIVE),
                            dcc.Loading(
                                dcc.Graph(
                                    id=ID.map,
                                    config={"displaylogo": False},
                                    style={"height": "480px"},
                                )
                            ),
                            html.Div(
                                [
                                    html.Span("Day × hour ", className="small fw-semibold"),
                                    ui.info_icon("tip-out-heat", "about the heat map"),
                                    dbc.Tooltip(TIPS["tip-out-heat"], target="tip-out-heat"),
                                ]
                            ),
                            dcc.Graph(id=ID.heatmap, config={"displaylogo": False}),
                        ],
                        width=12,
                        lg=9,
                    ),
                ]
            ),
            html.H2(
                ["Peer educators ", ui.info_icon("tip-out-load", "about the contact load")],
                className="h5 mt-3",
            ),
            dbc.Tooltip(TIPS["tip-out-load"], target="tip-out-load"),
            html.Div(
                id=ID.pe_table,
                style={"maxHeight": "360px", "overflowY": "auto"},
                tabIndex=0,
                **_aria_label("table of peer educators"),
            ),
            html.H2("Weekly calendar", className="h5 mt-3"),
            html.Label(
                "Peer educator", htmlFor=ID.pe_select, className="form-label small fw-semibold"
            ),
            dcc.Dropdown(
                id=ID.pe_select, clearable=False, className="mb-2", style={"maxWidth": "320px"}
            ),
            html.Div(id=ID.calendar),
            html.Div(id=ID.timing, className="visually-hidden"),
        ],
        fluid=True,
    )


# --- server side -----------------------------------------------------------------------
# Area, AreaInfo and the records compute and _args return are in components.page_results:
# Dash executes page modules outside sys.modules, where @dataclass fails.


def site_options(sites) -> list[dict[str, str]]:
    """Site dropdown options "<name> — <district>" (value site_id), by district then name."""
    if sites is None or len(sites) == 0:
        return []
    rows = sorted(
        zip(
            sites["district"].fillna("").astype(str),
            sites["name"].fillna("").astype(str),
            sites["site_id"].astype(str),
        )
    )
    return [
        {"label": f"{name or sid} — {district}" if district else (name or sid), "value": sid}
        for district, name, sid in rows
    ]


@lru_cache(maxsize=128)
def area_hotspots(dataset_key: str, area: Area):
    """(hotspots of the area, AreaInfo); a site's are planning.access.site_catchment. Memoised."""
    dataset = store.get_dataset(dataset_key)
    if area.kind != SITE:
        frame = dataset.hotspots[dataset.hotspots["district"].astype(str) == area.key]
        return frame, AreaInfo(
            label=area.key,
            note=f"District {area.key}: {len(frame)} hotspots.",
            hotspots=len(frame),
            site=None,
            slug=area.key,
        )
    frame = site_catchment(
        dataset.hotspots,
        dataset.sites,
        dataset.crs_projected,
        area.key,
        distance_km=area.distance_km,
    )
    row = dataset.sites[dataset.sites["site_id"].astype(str) == area.key].iloc[0]
    name = str(row.get("name") or area.key)
    site = {
        "site_id": area.key,
        "name": name,
        "latitude": float(row["latitude"]),
        "longitude": float(row["longitude"]),
        "distance_km": area.distance_km,
    }
    note = (
        f"Catchment of {name}: {len(frame)} hotspots whose nearest site it is, "
        f"within {area.distance_km:g} km."
    )
    return frame, AreaInfo(
        label=f"catchment of {name}", note=note, hotspots=len(frame), site=site, slug=area.key
    )


def catchment_caseloads(
    catchment, crs_projected: str, params: CaseloadParams, *, site_id: str, label: str
):
    """Caseloads of a site's catchment as one unit, PEs named after the site (PE-SITE-028-001).

    district_caseloads names PEs and ORW groups after the district it plans, so the catchment is
    planned as one pseudo-district called ``site_id``; the spots get their districts back and
    the result is titled ``label``.
    """
    result = district_caseloads(
        catchment.assign(district=str(site_id)), crs_projected, params, district=str(site_id)
    )
    districts = dict(zip(catchment["hotspot_id"].astype(str), catchment["district"]))
    spots = result.spots.assign(
        district=result.spots["hotspot_id"].astype(str).map(districts).to_numpy()
    )
    return dataclasses.replace(result, district=label, spots=spots)


@lru_cache(maxsize=64)
def compute(
    dataset_key: str, area: Area, people_per_pe: float, hours_per_day: float, keep_apart: bool
) -> OutreachResult:
    """Caseloads, calendar, presence grid, best slots and AreaInfo of a district or a site's
    catchment; memoised per parameters. CaseloadError when the area has no hotspots."""
    dataset = store.get_dataset(dataset_key)
    frame, info = area_hotspots(dataset_key, area)
    params = CaseloadParams(people_per_pe=people_per_pe, keep_typology_apart=keep_apart)
    if area.kind == SITE:
        if frame.empty:
            raise CaseloadError(
                f"No hotspot has {info.site['name']} as its nearest site within "
                f"{area.distance_km:g} km: raise the access distance or choose another site."
            )
        result = catchment_caseloads(
            frame, dataset.crs_projected, params, site_id=area.key, label=info.label
        )
    else:
        result = district_caseloads(
            dataset.hotspots, dataset.crs_projected, params, district=area.key
        )
    calendar = weekly_calendar(
        result.assignments, result.spots, OutreachParams(hours_per_day=hours_per_day)
    )
    return OutreachResult(
        caseloads=result,
        calendar=calendar,
        presence=presence_grid(result.spots),
        slots=best_slots(result.spots, n_slots=2),
        info=info,
    )


def _compute(args: OutreachArgs) -> OutreachResult:
    """``compute`` of the page's checked choice (memoised there)."""
    return compute(
        args.dataset_key, args.area, args.people_per_pe, args.hours_per_day, args.keep_apart
    )


def _args(
    dataset_id,
    district,
    people_per_pe,
    hours_per_day,
    keep_apart,
    area_kind=DISTRICT,
    site=None,
    distance_km=None,
) -> OutreachArgs:
    """Checked parameters for ``compute`` (raises PreventUpdate when nothing is chosen yet)."""
    _shared.require_hotspot_detail()
    if _shared.dataset_or_none(dataset_id) is None:
        raise dash.exceptions.PreventUpdate
    if area_kind == SITE:
        if not site:
            raise dash.exceptions.PreventUpdate
        area = Area(SITE, str(site), _number("distance_km", distance_km))
    else:
        if not district:
            raise dash.exceptions.PreventUpdate
        area = Area(DISTRICT, str(district))
    return OutreachArgs(
        dataset_key=store.resolve_id(dataset_id),
        area=area,
        people_per_pe=_number("people_per_pe", people_per_pe),
        hours_per_day=_number("hours_per_day", hours_per_day),
        keep_apart="apart" in (keep_apart or []),
    )


def _only_hidden_controls_changed(area_kind: str | None) -> bool:
    """True when the only controls that changed are those of the other area kind (hidden), e.g. the
    district list loading while a site is planned: nothing to recompute or resend."""
    try:
        changed = set(dash.ctx.triggered_prop_ids.values())
    except dash.exceptions.MissingCallbackContextException:
        return False  # called directly, not by Dash
    hidden = {ID.district} if area_kind == SITE else {ID.site, ID.distance_km}
    return bool(changed) and changed <= hidden


def summary_children(result, calendar) -> list[Any]:
    """The headline numbers: PEs vs lower bound, ORWs, overloaded PEs."""
    orws = result.peer_educators["orw_group"].nunique()
    over = int(calendar.load["overloaded"].sum())
    people = float(result.assignments["people"].sum())
    return [
        html.Span(
            f"{result.pe_count} peer educators", id="out-pe-count", className="fs-5 fw-bold me-2"
        ),
        html.Span(
            f"for {people:,.0f} people at {len(result.spots)} spots "
            f"(at most {result.people_per_pe:g} each); "
            f"lower bound ⌈people ÷ cap⌉ = {result.lower_bound}, ratio "
            f"{result.ratio_to_lower_bound:.2f}; {orws} outreach-worker group(s); "
            f"{over} PE(s) overloaded."
        ),
        html.Div(
            "PEs above the lower bound: spots are whole (only a spot above the cap is split) and a "
            "PE's spots lie within her walking limit of the caseload centre, the smaller of "
            f"{MAX_RADIUS_KM_DEFAULT:g} km and {LOCAL_REACH_FACTOR_DEFAULT:g} × the radius that "
            f"holds {result.people_per_pe:g} people around a spot "
            "(assumptions; no source gives a figure).",
            className="small text-muted",
            id="out-pe-note",
        ),
    ]


clientside_callback(
    f"""function(kind) {{ return [kind === "{SITE}", kind !== "{SITE}"]; }}""",
    Output(ID.district_box, "hidden"),
    Output(ID.site_box, "hidden"),
    Input(ID.area_kind, "value"),
)


def _district_choices(dataset: Dataset) -> tuple[list[Any], str | None]:
    """District names (sorted) and the default choice: the district with most hotspots."""
    counts = dataset.hotspots["district"].astype(str).value_counts()
    return sorted(d for d in counts.index if d), (counts.index[0] if len(counts) else None)


def _site_choices(dataset: Dataset) -> tuple[list[Any], str | None]:
    """Site options (site_options) and the default choice: the first."""
    options = site_options(dataset.sites)
    return options, (options[0]["value"] if options else None)


def _dropdown_filler(
    dropdown_id: str, choices: Callable[[Dataset], tuple[list[Any], str | None]]
) -> Callable[..., Any]:
    """The callback that fills a dropdown from the session's dataset: ``choices(dataset)`` gives
    (options, default); the current value stays while it is still offered."""

    @callback(
        Output(dropdown_id, "options"),
        Output(dropdown_id, "value"),
        Input(_shared.DATASET_STORE_ID, "data"),
        State(dropdown_id, "value"),
    )
    def fill(dataset_id: str | None, current: str | None):
        _shared.require_hotspot_detail()
        dataset = _shared.dataset_or_none(dataset_id)
        if dataset is None:
            return [], None
        options, default = choices(dataset)
        values = [o["value"] if isinstance(o, dict) else o for o in options]
        return options, (current if current in values else default)

    return fill


_districts = _dropdown_filler(ID.district, _district_choices)
_sites = _dropdown_filler(ID.site, _site_choices)


# The page's choice: its controls in the order ``_args`` takes them (after the dataset id).
_CHOICE = (
    ID.district, ID.people_per_pe, ID.hours_per_day, ID.keep_apart,
    ID.area_kind, ID.site, ID.distance_km,
)  # fmt: skip


def _choice(dependency: type[Input] | type[State]) -> list[Any]:
    """The session's dataset and the page's choice as callback dependencies (``_args``'s order)."""
    return [dependency(_shared.DATASET_STORE_ID, "data")] + [
        dependency(control, "value") for control in _CHOICE
    ]


@callback(
    Output(ID.url, "search"),
    State(ID.url, "search"),
    *[Input(control, "value") for control in _CHOICE],
)
def _share_url(
    search, district, people_per_pe, hours_per_day, keep_apart, area_kind, site, distance_km
):
    """Keep the choice in the address bar (no reload) so the page can be shared as a link."""
    _shared.require_hotspot_detail()
    new = share_search(
        area_kind, district, site, people_per_pe, hours_per_day, keep_apart, distance_km
    )
    if not new or new == (search or ""):
        raise dash.exceptions.PreventUpdate
    return new


@callback(
    Output(ID.area_note, "children"), Output(ID.summary, "children"), Output(ID.slots, "children"),
    Output(ID.map, "figure"), Output(ID.heatmap, "figure"), Output(ID.pe_table, "children"),
    Output(ID.pe_select, "options"), Output(ID.pe_select, "value"), Output(ID.alert, "children"),
    Output(ID.alert, "is_open"), Output(ID.timing, "children"),
    State(ID.pe_select, "value"), *_choice(Input),
)  # fmt: skip
def _update(current_pe, *choice):
    started = time.perf_counter()
    args = _args(*choice)
    if _only_hidden_controls_changed(args.area.kind):
        raise dash.exceptions.PreventUpdate
    note = None
    try:
        note = area_hotspots(args.dataset_key, args.area)[1].note
        out = _compute(args)
    except (CaseloadError, ValueError) as exc:
        ms = (time.perf_counter() - started) * 1000
        return note, None, None, {}, {}, None, [], None, str(exc), True, f"{ms:.0f} ms"
    result, calendar, info = out.caseloads, out.calendar, out.info
    table = figs.pe_table_frame(result, calendar)
    pes = list(result.peer_educators["pe_id"])
    pe_value = current_pe if current_pe in pes else (pes[0] if pes else None)
    ms = (time.perf_counter() - started) * 1000
    return (
        info.note,
        summary_children(result, calendar),
        "Best outreach slots: " + describe_best_slots(out.slots),
        figs.caseload_map_figure(result, note=_shared.level_note(), site=info.site),
        figs.presence_heatmap_figure(
            out.presence, title=f"People at peak by day and hour, {result.district}"
        ),
        dbc.Table.from_dataframe(
            table, striped=True, bordered=False, hover=True, size="sm", className="small"
        ),
        pes,
        pe_value,
        "",
        False,
        f"{ms:.0f} ms",
    )


def _result_or_prevent(*choice: Any) -> OutreachResult:
    """``compute`` of the choice (``_args``'s arguments); PreventUpdate when it fails (``_update``
    shows the alert)."""
    args = _args(*choice)
    try:
        return _compute(args)
    except (CaseloadError, ValueError):
        raise dash.exceptions.PreventUpdate from None


@callback(Output(ID.calendar, "children"), Input(ID.pe_select, "value"), *_choice(State))
def _calendar(pe_id, *choice):
    if not pe_id:
        raise dash.exceptions.PreventUpdate
    out = _result_or_prevent(*choice)
    result, calendar = out.caseloads, out.calendar
    if pe_id not in set(result.peer_educators["pe_id"]):
        raise dash.exceptions.PreventUpdate
    load = calendar.load.set_index("pe_id").loc[pe_id]
    frame = figs.calendar_frame(calendar, result.spots, pe_id)
    flag = (
        dbc.Badge(
            "overloaded: some visits do not fit the peak windows or the hours", color="danger"
        )
        if load["overloaded"]
        else dbc.Badge("fits the working hours", color="success")
    )
    return [
        html.P(
            [
                f"{pe_id}: {load['contacts_per_month']:.0f} contacts a month needed, capacity "
                f"{load['capacity_contacts_per_month']:.0f} ({load['load_pct']:.0f}%); "
                f"{load['hours_scheduled_per_week']:.0f} of "
                f"{load['hours_needed_per_week']:.0f} hours a week placed. ",
                flag,
            ],
            className="small",
        ),
        dbc.Table.from_dataframe(frame, striped=True, size="sm", className="small"),
    ]


@callback(
    Output(ID.download, "data"),
    Input(ID.download_xlsx, "n_clicks"), Input(ID.download_html, "n_clicks"), *_choice(State),
    prevent_initial_call=True,
)  # fmt: skip
def _download(_xlsx, _html, *choice):
    out = _result_or_prevent(*choice)
    result, calendar = out.caseloads, out.calendar
    stem = "field-sheets-" + "-".join(out.info.slug.split()).lower()
    if dash.ctx.triggered_id == ID.download_html:
        return dict(
            content=render_html(result, calendar), filename=f"{stem}.html", type="text/html"
        )
    return dcc.send_bytes(write_workbook(result, calendar), f"{stem}.xlsx")
