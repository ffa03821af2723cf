"""Outreach page (/outreach), for site managers: caseloads of peer educators, peak-time heat map,
best outreach slots, weekly calendar and field sheets of one district or of one service site's
catchment (issues 4, 5 and 11). The choice is kept in the URL query (district=, site=,
people_per_pe=, walking_limit_km=, ...) so a site manager can share the page as a link.

Hotspot-level page: registered only when hotspot detail is allowed (not in ``--aggregate``
mode), and every callback also checks ``_shared.require_hotspot_detail()`` on the server, so
no request gets spot data in an aggregate-only deployment. Heavy work (caseloads, calendar)
is memoised per (dataset, area, parameters), in this process and in the deployment's shared
cache (services.background); the browser holds only ids and parameters. An area of more than
BACKGROUND_MIN_SPOTS spots is planned in a background callback (progress bar, cancel button);
a smaller one, or one already planned, in the request itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from components import maps, ui
from components import outreach_figures as figs
from components.page_results import Area, AreaInfo, OutreachArgs, OutreachResult
from exports.field_sheets import CONFIDENTIAL, render_html, write_workbook
from pages import _shared
from planning.access import DEFAULT_DISTANCE_KM, site_catchment
from planning.caseloads import (
    WALKING_LIMIT_KM_DEFAULT,
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
from services import caseload_plans
from services import datasets as store
from services.background import SharedMemo, jobs_enabled
from services.locks import ForkSafeLock

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
    district = "out-district"
    site_box = "out-site-box"
    site = "out-site"
    distance_km = "out-distance-km"
    area_note = "out-area-note"
    people_per_pe = "out-people-per-pe"
    walking_limit_km = "out-walking-limit-km"
    hours_per_day = "out-hours-per-day"
    keep_apart = "out-keep-typology-apart"
    summary = "out-summary"
    slots = "out-best-slots"
    map = "out-caseload-map"
    heatmap = "out-heatmap"
    grid = "out-pe-grid"
    grid_export = "out-pe-grid-export"
    load_tip = "out-load-tip"
    pe_select = "out-pe-select"
    pe_ids = "out-pe-ids"  # every PE id of the plan, for the list's search (in the browser)
    spots = "out-spots"  # an overview map's spots trace for the view, with the plan it belongs to
    calendar = "out-calendar"
    download_xlsx = "out-download-xlsx"
    download_html = "out-download-html"
    download = "out-download"
    alert = "out-alert"
    timing = "out-timing"
    job = "out-job"  # the choice a background plan is asked for (None: none)
    progress_box = "out-progress-box"
    progress = "out-progress"
    cancel = "out-cancel"


HOURS_PER_DAY_DEFAULT = default_number("hours_per_day")
DISTRICT, SITE = "district", "site"
# The district list's first choice while a site is chosen: sites of every district.
ALL_DISTRICTS = "__all__"
# Areas with more spots than this are planned in a background callback: a background job
# costs a forked process and at least one polling interval (BACKGROUND_POLL_MS), about half a
# second, while an area of 2,000 spots plans in about a second in the request (bench/
# bench_outreach_page.py); beyond that the page would hang without progress or a way to cancel.
BACKGROUND_MIN_SPOTS = 2000
BACKGROUND_POLL_MS = 500
TIPS = {
    "tip-out-district": "The district whose hotspots are planned; while a service site is "
    "planned, the district whose sites the site list offers. Caseloads never cross district "
    "borders.",
    "tip-out-site": "A service site's catchment: the hotspots whose nearest site "
    "(straight line, any service) is this one and that lie within the access distance. "
    "Hotspots nearer to another site belong to that site, so catchments never overlap.",
    "tip-out-distance": "Hotspots further away than this from a site are in no catchment. "
    + parameter("distance_km").tooltip(),
    "tip-out-ppe": "Caseload cap: the most people one peer educator (PE) serves. "
    + parameter("people_per_pe").tooltip(),
    "tip-out-walk": "Every spot of a caseload lies within this distance of the caseload's "
    "centre (the mean of its spots). " + parameter("walking_limit_km").tooltip(),
    "tip-out-hours": "Working hours a PE spends at spots per day; with the days a week and "
    "minutes a contact this sets the contact capacity. " + parameter("hours_per_day").tooltip(),
    "tip-out-apart": "Keep venue-based spots (bar, lodge, nightclub, brothel, home, ...) and "
    "street-based spots (street, truck stop, market, ...) in separate caseloads (Mombasa: "
    "typology was used to allocate spots to PEs).",
    "tip-out-heat": "People present at peak: a spot adds its planning population (mid of the "
    "peak-day range) to each hour of its peak times on each peak day; spots without peak "
    "information are spread evenly. Peak days name nights: a spot busy Fri 20-24;0-3 is "
    "counted Friday 20:00 to Saturday 03:00, so the early hours show on Saturday's row.",
    "tip-out-load": figs.load_definition(OutreachParams()),
}
# dict[str, Any]: dash's typed signatures list only the named props, not aria-*.
_ARIA_LIVE: dict[str, Any] = {"aria-live": "polite"}


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
    (planning.parameters): (value, None), or (the default, the parameter's refusal message).
    A value not given (None, blank) is the default, without a message."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default_number(name), None
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
    walking_limit_km: Any = None,
) -> str:
    """The URL query ("?site=SITE-028&people_per_pe=60") of the page's choice; ``layout`` reads it
    back.

    Only the chosen area goes in (district= or site=); hours, walking limit, typology and
    distance only when not the default, so a link stays short. "" while nothing is chosen yet.
    """
    query: dict[str, Any] = {}
    if area_kind == SITE and site:
        query["site"] = site
        distance = _number("distance_km", distance_km)
        if distance != DEFAULT_DISTANCE_KM:
            query["distance_km"] = f"{distance:g}"
    elif area_kind != SITE and district and district != ALL_DISTRICTS:
        query["district"] = district
    else:
        return ""
    query["people_per_pe"] = f"{_number('people_per_pe', people_per_pe):g}"
    walk = _number("walking_limit_km", walking_limit_km)
    if walk != WALKING_LIMIT_KM_DEFAULT:
        query["walking_limit_km"] = f"{walk:g}"
    hours = _number("hours_per_day", hours_per_day)
    if hours != HOURS_PER_DAY_DEFAULT:
        query["hours_per_day"] = f"{hours:g}"
    if "apart" in (keep_apart or []):
        query["keep_apart"] = "1"
    return "?" + urlencode(query)


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


def _seed_options(value: str | None) -> list[str]:
    """A dropdown's options until its filler answers: the link's value alone. A Dropdown drops a
    value its options do not offer, so with none the link's choice would be lost."""
    return [value] if value else []


def _area_controls(kind: str, district: str | None, site: str | None, distance: float) -> list:
    """Plan for (district or site), the district list (first), then the site list of that
    district and the access distance (shown while a site is planned)."""
    return [
        html.Label("Plan for", htmlFor=ID.area_kind, className="form-label small fw-semibold mb-1"),
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
        *_tip_label("District", "tip-out-district", ID.district),
        dcc.Dropdown(
            id=ID.district,
            value=district,
            options=_seed_options(district),
            clearable=False,
            placeholder="Choose a district",
            className="mb-3",
        ),
        html.Div(
            id=ID.site_box,
            hidden=kind != SITE,
            children=[
                *_tip_label("Service site", "tip-out-site", ID.site),
                dcc.Dropdown(
                    id=ID.site,
                    value=site,
                    options=_seed_options(site),
                    clearable=False,
                    placeholder="Choose a site",
                    className="mb-2",
                ),
                *_tip_label("Access distance (km)", "tip-out-distance", ID.distance_km),
                _number_input(ID.distance_km, "distance_km", distance, debounce=True),
            ],
        ),
    ]


def _progress_box() -> html.Div:
    """Progress bar and cancel button of a background plan (shown while one runs)."""
    return html.Div(
        id=ID.progress_box,
        hidden=True,
        className="mb-2",
        children=[
            html.Div(
                "Planning a large area in the background; the page stays usable.",
                className="small mb-1",
            ),
            dbc.Progress(
                id=ID.progress,
                value=0,
                label="",
                striped=True,
                animated=True,
                className="mb-1",
                style={"height": "1.2rem"},
            ),
            ui.button("Cancel", ID.cancel, icon="bi-x-circle", outline=True),
        ],
        **_ARIA_LIVE,
    )


def layout(
    district: str | None = None,
    site: str | None = None,
    people_per_pe: str | None = None,
    hours_per_day: str | None = None,
    keep_apart: str | None = None,
    distance_km: str | None = None,
    walking_limit_km: str | None = None,
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
            ("walking_limit_km", walking_limit_km),
        )
    }
    problems = [problem for _, problem in checked.values() if problem]
    ppe = checked["people_per_pe"][0]
    kind = SITE if site else DISTRICT
    hours = checked["hours_per_day"][0]
    distance = checked["distance_km"][0]
    walk = checked["walking_limit_km"][0]
    apart = ["apart"] if str(keep_apart or "").lower() in ("1", "true", "yes", "apart") else []
    controls = dbc.Card(
        dbc.CardBody(
            [
                *_area_controls(kind, district, site, distance),
                *_tip_label("People per peer educator", "tip-out-ppe"),
                dcc.Slider(
                    id=ID.people_per_pe,
                    **_parameter_range("people_per_pe"),
                    value=ppe,
                    marks={v: str(v) for v in (50, 60, 75, 90)},
                    tooltip={"placement": "bottom", "always_visible": False},
                ),
                html.Div(className="mb-3"),
                *_tip_label("Walking limit (km)", "tip-out-walk", ID.walking_limit_km),
                _number_input(ID.walking_limit_km, "walking_limit_km", walk, debounce=True),
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
                search=share_search(kind, district, site, ppe, hours, apart, distance, walk),
            ),
            # no data= at all: a Store mounted with data=None sets its data (to undefined) and would
            # fire the background callback on every page load
            dcc.Store(id=ID.job),
            dcc.Store(id=ID.spots),
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
                            _progress_box(),
                            html.Div(id=ID.summary, className="mb-2", **_ARIA_LIVE),
                            html.Div(id=ID.slots, className="mb-2 fw-semibold", **_ARIA_LIVE),
                            dcc.Loading(
                                dcc.Graph(
                                    id=ID.map,
                                    config={"displaylogo": False},
                                    style={"height": f"{maps.GRAPH_HEIGHT_PX}px"},
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
            dbc.Row(
                [
                    dbc.Col(
                        html.H2(
                            [
                                "Peer educators ",
                                ui.info_icon("tip-out-load", "about the contact load"),
                            ],
                            className="h5 mt-3",
                        )
                    ),
                    dbc.Col(
                        ui.button("CSV", ID.grid_export, icon="bi-download", className="mt-3"),
                        width="auto",
                    ),
                ]
            ),
            dbc.Tooltip(TIPS["tip-out-load"], id=ID.load_tip, target="tip-out-load"),
            html.P(
                "Click a row to see that peer educator's week below.", className="small text-muted"
            ),
            figs.pe_grid(ID.grid),
            html.H2("Weekly calendar", className="h5 mt-3"),
            html.Label(
                "Peer educator", htmlFor=ID.pe_select, className="form-label small fw-semibold"
            ),
            dcc.Dropdown(
                id=ID.pe_select,
                clearable=False,
                className="mb-2",
                style={"maxWidth": "320px"},
                placeholder="Type part of a PE id",
            ),
            dcc.Store(id=ID.pe_ids),
            html.Div(id=ID.calendar),
            html.Div(id=ID.timing, className="visually-hidden"),
        ],
        fluid=True,
    )


# --- server side -----------------------------------------------------------------------
# Area, AreaInfo and the records compute and _args return are in components.page_results:
# Dash executes page modules outside sys.modules, where @dataclass fails.


def site_options(sites: pd.DataFrame | None) -> list[dict[str, str]]:
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


def _site_district(dataset: Dataset, site: str | None) -> str | None:
    """The district of service site ``site`` (None when unknown)."""
    if not site:
        return None
    found = dataset.sites.loc[dataset.sites["site_id"].astype(str) == str(site), "district"]
    return str(found.iloc[0]) if len(found) and pd.notna(found.iloc[0]) else None


def district_choices(
    dataset: Dataset, area_kind: str | None, current: str | None, site: str | None
) -> tuple[list[dict[str, str]], str | None]:
    """(options, value) of the district list.

    Planning a district: the districts with hotspots; the current one while offered, else the
    chosen site's, else the one with most hotspots. Planning a site: "All districts" first, then
    every district with hotspots or sites; the current one while offered, else the site's.
    """
    counts = dataset.hotspots["district"].astype(str).value_counts()
    names = sorted(d for d in counts.index if d)
    site_district = _site_district(dataset, site)
    if area_kind == SITE:
        with_sites = set(dataset.sites["district"].dropna().astype(str)) - {""}
        names = sorted(set(names) | with_sites)
        options = [{"label": "All districts", "value": ALL_DISTRICTS}]
        offered = [*names, ALL_DISTRICTS]
        fallback = site_district if site_district in names else ALL_DISTRICTS
    else:
        options = []
        offered = names
        fallback = site_district if site_district in names else (counts.index[0] if names else None)
    options += [{"label": n, "value": n} for n in names]
    return options, (current if current in offered else fallback)


def site_choices(
    dataset: Dataset, district: str | None, current: str | None
) -> tuple[list[dict[str, str]], str | None]:
    """(options, value) of the site list: the sites of ``district`` (every site for "All
    districts"); the current one while offered, else the first."""
    sites = dataset.sites
    if district and district != ALL_DISTRICTS:
        sites = sites[sites["district"].astype(str) == str(district)]
    options = site_options(sites)
    values = [o["value"] for o in options]
    return options, (current if current in values else (values[0] if values else None))


@lru_cache(maxsize=128)
def area_hotspots(dataset_key: str, area: Area) -> tuple[pd.DataFrame, AreaInfo]:
    """(hotspots of the area, AreaInfo); a site's are planning.access.site_catchment. Memoised."""
    dataset = store.get_dataset(dataset_key)
    if area.kind != SITE:
        frame = dataset.hotspots[dataset.hotspots["district"].astype(str) == area.key]
        return frame, AreaInfo(
            label=area.key,
            note=f"District {area.key}: {len(frame):,} hotspots.",
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
        f"Catchment of {name}: {len(frame):,} hotspots whose nearest site it is, "
        f"within {area.distance_km:g} km."
    )
    return frame, AreaInfo(
        label=f"catchment of {name}", note=note, hotspots=len(frame), site=site, slug=area.key
    )


@lru_cache(maxsize=128)
def area_map_layers(
    dataset_key: str, area: Area
) -> tuple[tuple[list[float | None], list[float | None]] | None, pd.DataFrame | None]:
    """(the district's boundary as lon/lat polylines, the district's service sites) for the
    caseload map; (None, None) for a site's catchment (its circle and site are drawn instead)."""
    if area.kind == SITE:
        return None, None
    dataset = store.get_dataset(dataset_key)
    sites = dataset.sites[dataset.sites["district"].astype(str) == area.key]
    return figs.area_outline_lonlat(dataset.boundaries, area.key), pd.DataFrame(
        sites.drop(columns="geometry", errors="ignore")
    )


def catchment_caseloads(
    catchment: pd.DataFrame,
    crs_projected: str,
    params: CaseloadParams,
    *,
    site_id: str,
    label: str,
) -> Any:
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


def caseload_params(args: OutreachArgs) -> CaseloadParams:
    """The caseload parameters of the page's choice (CaseloadError when one is out of range)."""
    return CaseloadParams(
        people_per_pe=args.people_per_pe,
        keep_typology_apart=args.keep_apart,
        walking_limit_km=args.walking_limit_km,
    )


def planned_ahead(args: OutreachArgs) -> bool:
    """True when the chosen area's caseloads are memoised (planned before, or by the warm-up at
    start) or being planned in this process (waiting for them beats starting again): the rest
    (calendar, peak times: well under a second) is done in the request."""
    if args.area.kind == SITE:
        return False
    key = (args.dataset_key, args.area.key, caseload_params(args))
    return caseload_plans.is_planned(*key) or caseload_plans.is_underway(*key)


# A progress report: (percent done, what is being done).
Progress = Callable[[int, str], None]


def _no_progress(_percent: int, _label: str) -> None:
    """Progress reports go nowhere (a plan in the request)."""


def plan_area(args: OutreachArgs, progress: Progress = _no_progress) -> OutreachResult:
    """Caseloads, calendar, presence grid, best slots and AreaInfo of a district or a site's
    catchment (not memoised: see ``compute``). CaseloadError when the area has no hotspots."""
    progress(2, "reading the area's spots")
    dataset = store.get_dataset(args.dataset_key)
    frame, info = area_hotspots(args.dataset_key, args.area)
    params = caseload_params(args)
    progress(10, f"caseloads of {info.hotspots:,} spots")
    if args.area.kind == SITE:
        if frame.empty:
            raise CaseloadError(
                f"No hotspot has {info.site['name'] if info.site else args.area.key} as its "
                f"nearest site within {args.area.distance_km:g} km: raise the access distance "
                "or choose another site."
            )
        result = catchment_caseloads(
            frame, dataset.crs_projected, params, site_id=args.area.key, label=info.label
        )
    else:  # memoised, and planned ahead for the default dataset (services.caseload_plans)
        result = caseload_plans.district_plan(args.dataset_key, args.area.key, params)
    progress(80, f"weekly calendars of {result.pe_count:,} peer educators")
    calendar = weekly_calendar(
        result.assignments, result.spots, OutreachParams(hours_per_day=args.hours_per_day)
    )
    progress(95, "peak times")
    return OutreachResult(
        caseloads=result,
        calendar=calendar,
        presence=presence_grid(result.spots),
        slots=best_slots(result.spots, n_slots=2),
        info=info,
    )


def _plan_memoised(
    dataset_key: str,
    area: Area,
    people_per_pe: float,
    hours_per_day: float,
    keep_apart: bool,
    walking_limit_km: float = WALKING_LIMIT_KM_DEFAULT,
) -> OutreachResult:
    return plan_area(
        OutreachArgs(
            dataset_key, area, people_per_pe, hours_per_day, keep_apart, float(walking_limit_km)
        )
    )


# compute(dataset_key, area, people_per_pe, hours_per_day, keep_apart, walking_limit_km):
# plan_area memoised here and in the deployment's shared cache (a background job's result is
# read by the callbacks that follow it).
compute: SharedMemo[OutreachResult] = SharedMemo(_plan_memoised, namespace="outreach-v2")


def _compute(args: OutreachArgs) -> OutreachResult:
    """``compute`` of the page's checked choice (memoised there)."""
    return compute(*args.memo_key())


def compute_with_progress(args: OutreachArgs, progress: Progress) -> OutreachResult:
    """``_compute`` reporting its steps to ``progress`` (a background job); memoised alike."""
    found = compute.lookup(*args.memo_key())
    if found is not None:
        return found
    out = plan_area(args, progress)
    compute.store(out, *args.memo_key())
    return out


def _args(
    dataset_id: str | None,
    district: str | None,
    people_per_pe: Any,
    hours_per_day: Any,
    keep_apart: list[str] | None,
    area_kind: str | None = DISTRICT,
    site: str | None = None,
    distance_km: Any = None,
    walking_limit_km: Any = None,
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
        if not district or district == ALL_DISTRICTS:
            raise dash.exceptions.PreventUpdate
        area = Area(DISTRICT, str(district))
    return OutreachArgs(
        # a district's results are shared by every viewer of it (store.district_key)
        dataset_key=(
            store.district_key(dataset_id, area.key)
            if area.kind == DISTRICT
            else store.resolve_id(dataset_id)
        ),
        area=area,
        people_per_pe=_number("people_per_pe", people_per_pe),
        hours_per_day=_number("hours_per_day", hours_per_day),
        keep_apart="apart" in (keep_apart or []),
        walking_limit_km=_number("walking_limit_km", walking_limit_km),
    )


def _only_hidden_controls_changed(area_kind: str | None) -> bool:
    """True when the only controls that changed do not choose the area planned, e.g. the
    district list (a filter of the site list) while a site is planned: nothing to recompute."""
    try:
        changed = set(dash.ctx.triggered_prop_ids.values())
    except dash.exceptions.MissingCallbackContextException:
        return False  # called directly, not by Dash
    hidden = {ID.district} if area_kind == SITE else {ID.site, ID.distance_km}
    return bool(changed) and changed <= hidden


def summary_children(result: Any, calendar: Any) -> list[Any]:
    """The headline: the caseloads' PE count next to the plan's, why they differ, ORWs and
    overloaded PEs."""
    orws = result.peer_educators["orw_group"].nunique()
    over = int(calendar.load["overloaded"].sum())
    people = float(result.assignments["people"].sum())
    return [
        html.Span(
            f"{result.pe_count:,} peer educators", id="out-pe-count", className="fs-5 fw-bold me-1"
        ),
        html.Span("in the caseloads; ", className="me-1"),
        html.Span(
            f"{result.plan_peer_educators:,} in the plan",
            id="out-plan-pe-count",
            className="fs-5 fw-bold me-1",
        ),
        html.Span(
            f"(⌈people ÷ people per PE⌉, as Overview and Scenarios count). {people:,.0f} people "
            f"at {len(result.spots):,} spots, at most {result.people_per_pe:g} people and "
            f"{result.walking_limit_km:g} km from the centre per caseload; {orws:,} "
            f"outreach-worker group(s); {over:,} PE(s) overloaded."
        ),
        html.Div(figs.plan_difference_text(result), className="small text-muted", id="out-pe-note"),
    ]


# The outputs that show one plan, in ``_view``'s order.
_VIEW_OUTPUTS = [
    (ID.area_note, "children"), (ID.summary, "children"), (ID.slots, "children"),
    (ID.map, "figure"), (ID.heatmap, "figure"), (ID.grid, "rowData"),
    (ID.grid, "csvExportParams"), (ID.load_tip, "children"), (ID.pe_select, "options"),
    (ID.pe_select, "value"), (ID.alert, "children"), (ID.alert, "is_open"), (ID.timing, "children"),
    (ID.pe_ids, "data"),
]  # fmt: skip

# The PE list offers the chosen PE and at most this many others that match what is typed: a list
# of thousands of options costs the browser about a second to index and draw (3,911 PEs).
PE_OPTIONS_MAX = 50


def pe_options(pes: list[str], current: str | None) -> list[str]:
    """The PE list's options before anything is typed: ``current`` and the first PE_OPTIONS_MAX
    PEs (the browser filters ``pes`` as the user types, in the list's clientside callback)."""
    first = pes[:PE_OPTIONS_MAX]
    return first if not current or current in first else [current, *first]


# (caseload map, heat map, grid rows) by (choice, level note), the most recent DRAWN_KEPT.
_DRAWN: OrderedDict[tuple[OutreachArgs, str], tuple[dict[str, Any], dict[str, Any], list[Any]]]
_DRAWN = OrderedDict()
_DRAWN_LOCK = ForkSafeLock()
DRAWN_KEPT = 16


def _drawn(
    out: OutreachResult, args: OutreachArgs, note: str
) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """(caseload map, heat map, grid rows) of the plan ``out`` of ``args``, memoised: a second
    visit of a district of 10,000 spots is sent without building them again (about 0.5 s of one
    core)."""
    key = (args, note)
    with _DRAWN_LOCK:
        if key in _DRAWN:
            _DRAWN.move_to_end(key)
            return _DRAWN[key]
    drawn = _draw(out, args, note)
    with _DRAWN_LOCK:
        _DRAWN[key] = drawn
        while len(_DRAWN) > DRAWN_KEPT:
            _DRAWN.popitem(last=False)
    return drawn


def _draw(
    out: OutreachResult, args: OutreachArgs, note: str
) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """(caseload map, heat map, grid rows) of the plan ``out`` of ``args`` (``_drawn``)."""
    result, info = out.caseloads, out.info
    outline, sites = area_map_layers(args.dataset_key, args.area)
    return (
        figs.caseload_map_figure(
            result, note=note, site=info.site, area_outline=outline, sites=sites
        ),
        figs.presence_heatmap_figure(
            out.presence, title=f"People at peak by day and hour, {result.district}"
        ),
        figs.pe_grid_rows(figs.pe_table_frame(result, out.calendar)),
    )


@caseload_plans.on_warm_up
def prepare_district(
    dataset_id: str | None, district: str, params: CaseloadParams, rank: int
) -> None:
    """The start-up warm-up's step for one large district (its plan made): the page's result
    (calendars, peak times) for the default choice with these caseload parameters, and, for the
    DRAWN_KEPT // 2 largest districts, its figures, so the first visit only sends them."""
    args = _args(
        dataset_id,
        district,
        params.people_per_pe,
        None,
        ["apart"] if params.keep_typology_apart else [],
        DISTRICT,
        None,
        None,
        params.walking_limit_km,
    )
    out = _compute(args)
    if rank < DRAWN_KEPT // 2:
        _drawn(out, args, _shared.level_note())


def _view(out: OutreachResult, args: OutreachArgs, current_pe: str | None, started: float) -> list:
    """The page's outputs (``_VIEW_OUTPUTS``) for one plan: ids, figures and compact grid rows."""
    result, calendar, info = out.caseloads, out.calendar, out.info
    caseload_map, heatmap, rows = _drawn(out, args, _shared.level_note())
    caseload_map = {**caseload_map, "layout": {**caseload_map["layout"], "meta": plan_tag(args)}}
    pes = result.peer_educators["pe_id"].astype(str).tolist()
    chosen = current_pe if current_pe in pes else (pes[0] if pes else None)
    slug = "-".join(info.slug.split()).lower()
    return [
        info.note,
        summary_children(result, calendar),
        "Best outreach slots: " + describe_best_slots(out.slots),
        caseload_map,
        heatmap,
        rows,
        {"fileName": f"peer-educators-{slug}.csv"},
        figs.load_definition(OutreachParams(hours_per_day=args.hours_per_day)),
        pe_options(pes, chosen),
        chosen,
        "",
        False,
        f"{(time.perf_counter() - started) * 1000:.0f} ms",
        pes,
    ]


def _error_view(note: str | None, message: str, started: float) -> list:
    """The outputs when the area cannot be planned: the reason in the alert, nothing drawn."""
    ms = (time.perf_counter() - started) * 1000
    return [
        note, None, None, {}, {}, [], dash.no_update, dash.no_update, [], None, message, True,
        f"{ms:.0f} ms", [],
    ]  # fmt: skip


def _pending_view(info: AreaInfo, started: float) -> list:
    """The outputs while a background job plans the area: its note and what is happening."""
    ms = (time.perf_counter() - started) * 1000
    summary = f"Planning caseloads for {info.hotspots:,} spots in the background (progress above)."
    return [
        info.note, summary, None, {}, {}, [], dash.no_update, dash.no_update, [], None, "", False,
        f"{ms:.0f} ms", [],
    ]  # fmt: skip


clientside_callback(
    f"""function(kind) {{ return kind !== "{SITE}"; }}""",
    Output(ID.site_box, "hidden"),
    Input(ID.area_kind, "value"),
)


@callback(
    Output(ID.district, "options"),
    Output(ID.district, "value"),
    Input(_shared.DATASET_STORE_ID, "data"),
    Input(ID.area_kind, "value"),
    State(ID.district, "value"),
    State(ID.site, "value"),
)
def _districts(
    dataset_id: str | None,
    area_kind: str | None = DISTRICT,
    current: str | None = None,
    site: str | None = None,
) -> tuple[list[dict[str, str]], str | None]:
    """Fill the district list from the session's dataset (``district_choices``)."""
    _shared.require_hotspot_detail()
    dataset = _shared.dataset_or_none(dataset_id)
    if dataset is None:
        return [], None
    return district_choices(dataset, area_kind, current, site)


@callback(
    Output(ID.site, "options"),
    Output(ID.site, "value"),
    Input(_shared.DATASET_STORE_ID, "data"),
    Input(ID.district, "value"),
    State(ID.site, "value"),
)
def _sites(
    dataset_id: str | None, district: str | None = None, current: str | None = None
) -> tuple[list[dict[str, str]], str | None]:
    """Fill the site list with the chosen district's sites (``site_choices``)."""
    _shared.require_hotspot_detail()
    dataset = _shared.dataset_or_none(dataset_id)
    if dataset is None:
        return [], None
    return site_choices(dataset, district, current)


# The page's choice: its controls in the order ``_args`` takes them (after the dataset id).
_CHOICE = (
    ID.district, ID.people_per_pe, ID.hours_per_day, ID.keep_apart,
    ID.area_kind, ID.site, ID.distance_km, ID.walking_limit_km,
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
    search, district, people_per_pe, hours_per_day, keep_apart, area_kind, site, distance_km,
    walking_limit_km=None,
):  # fmt: skip
    """Keep the choice in the address bar (no reload) so the page can be shared as a link."""
    _shared.require_hotspot_detail()
    new = share_search(
        area_kind,
        district,
        site,
        people_per_pe,
        hours_per_day,
        keep_apart,
        distance_km,
        walking_limit_km,
    )
    if not new or new == (search or ""):
        raise dash.exceptions.PreventUpdate
    return new


def _hand_over(job: list[Any] | None) -> None:
    """Set the job store (``_update_in_background``'s input) as a side update, not as an output:
    an output of ``_update``, which runs on page load, would start a background job on every
    page load (Dash runs the callbacks downstream of an initial call, prevent_initial_call or
    not)."""
    dash.set_props(ID.job, {"data": job})


@callback(
    *[Output(i, p) for i, p in _VIEW_OUTPUTS],
    State(ID.pe_select, "value"),
    State(ID.job, "data"),
    *_choice(Input),
)
def _update(current_pe, job, *choice):
    """Plan the chosen area in the request (small, or planned before), or hand it to the
    background job (``_update_in_background``) through the job store."""
    started = time.perf_counter()
    args = _args(*choice)
    if _only_hidden_controls_changed(args.area.kind):
        raise dash.exceptions.PreventUpdate
    note = None
    try:
        info = area_hotspots(args.dataset_key, args.area)[1]
        note = info.note
        if (
            info.hotspots > BACKGROUND_MIN_SPOTS
            and compute.lookup(*args.memo_key()) is None
            and not planned_ahead(args)
            and jobs_enabled()
        ):
            _hand_over(list(choice))
            return _pending_view(info, started)
        if job is not None:
            _hand_over(None)  # a newer choice: Dash cancels the running job as it re-triggers it
        out = _compute(args)
    except (CaseloadError, ValueError) as exc:
        return _error_view(note, str(exc), started)
    return _view(out, args, current_pe, started)


@callback(
    *[Output(i, p, allow_duplicate=True) for i, p in _VIEW_OUTPUTS],
    Input(ID.job, "data"),
    State(ID.pe_select, "value"),
    background=True,
    interval=BACKGROUND_POLL_MS,
    progress=[Output(ID.progress, "value"), Output(ID.progress, "label")],
    progress_default=[0, ""],
    running=[(Output(ID.progress_box, "hidden"), False, True)],
    prevent_initial_call=True,
)
def _update_in_background(set_progress, job, current_pe):
    """Plan a large area in a background process, reporting progress; ``job`` is the choice
    ``_update`` handed over (checked again here, hotspot detail included)."""
    if not job:
        raise dash.exceptions.PreventUpdate
    started = time.perf_counter()
    args = _args(*job)

    def progress(percent: int, label: str) -> None:
        set_progress((percent, f"{label} ({percent}%)"))

    try:
        out = compute_with_progress(args, progress)
    except (CaseloadError, ValueError) as exc:
        return _error_view(None, str(exc), started)
    return _view(out, args, current_pe, started)


clientside_callback(
    # Cancel empties the job store: Dash stops the running job as it starts the (empty) new one.
    # Not Dash's cancel= option, whose server callback would answer any client, aggregate-only
    # deployments included (tests/test_privacy_attack.py allows none).
    """function(n) {
        if (!n) { return window.dash_clientside.no_update; }
        return [null, "Planning stopped. Change any control to plan again."];
    }""",
    Output(ID.job, "data"),
    Output(ID.summary, "children", allow_duplicate=True),
    Input(ID.cancel, "n_clicks"),
    prevent_initial_call=True,
)

clientside_callback(
    # a row clicked in the grid chooses that PE's calendar (and offers her in the list); a PE
    # chosen in the list selects her row (one callback for both directions, so the two never
    # chase each other); typing in the list offers the PEs whose id holds the text (pe_options)
    f"""function(rows, pe, search, ids) {{
        const none = window.dash_clientside.no_update;
        const ctx = window.dash_clientside.callback_context;
        const trigger = ctx.triggered.length ? ctx.triggered[0].prop_id : "";
        const selected = rows && rows.length ? rows[0].pe_id : null;
        const offer = (value, text) => {{
            const q = (text || "").toLowerCase();
            const hits = (ids || []).filter(i => i.toLowerCase().includes(q))
                .slice(0, {PE_OPTIONS_MAX});
            return value && !hits.includes(value) ? [value, ...hits] : hits;
        }};
        if (trigger.startsWith("{ID.grid}.")) {{
            if (!selected || selected === pe) {{ return [none, none, none]; }}
            return [selected, none, offer(selected, "")];
        }}
        if (trigger.endsWith(".search_value")) {{ return [none, none, offer(pe, search)]; }}
        return [none, pe && pe !== selected ? {{"ids": [pe]}} : none, none];
    }}""",
    Output(ID.pe_select, "value", allow_duplicate=True),
    Output(ID.grid, "selectedRows"),
    Output(ID.pe_select, "options", allow_duplicate=True),
    Input(ID.grid, "selectedRows"),
    Input(ID.pe_select, "value"),
    Input(ID.pe_select, "search_value"),
    State(ID.pe_ids, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    # the grid's rows as sorted and filtered, exported in the browser (no server round trip)
    """function(n) { return n ? true : window.dash_clientside.no_update; }""",
    Output(ID.grid, "exportDataAsCsv"),
    Input(ID.grid_export, "n_clicks"),
    prevent_initial_call=True,
)


def _result_or_prevent(*choice: Any) -> OutreachResult:
    """``compute`` of the choice (``_args``'s arguments); PreventUpdate when it fails (``_update``
    shows the alert)."""
    args = _args(*choice)
    try:
        return _compute(args)
    except (CaseloadError, ValueError):
        raise dash.exceptions.PreventUpdate from None


def plan_tag(args: OutreachArgs) -> str:
    """A short name of the plan ``args`` asks for: the caseload map carries it (``layout.meta``)
    and so does each spots update (``_spots``), which is drawn only on the map of that plan."""
    return hashlib.sha1(repr(args.memo_key()).encode()).hexdigest()[:16]


@callback(
    Output(ID.spots, "data"),
    Input(ID.map, "relayoutData"),
    Input(ID.pe_select, "value"),
    *_choice(State),
    prevent_initial_call=True,
)
def _spots(relayout, pe_id, *choice):
    """A large area's map (an overview, figs.is_overview) gets the spots of the view when it is
    zoomed in far enough, else the chosen PE's: the spots trace only, never the figure again.
    Only a plan already made is used (never computed here)."""
    args = _args(*choice)
    out = compute.lookup(*args.memo_key())
    if out is None or not figs.is_overview(out.caseloads):
        raise dash.exceptions.PreventUpdate
    trace = spots_trace(out.caseloads, relayout, pe_id, out.info.site)
    return {"plan": plan_tag(args), "trace": trace}


clientside_callback(
    # The spots trace goes on the map only when the map shows the plan it was made for: the
    # answer can arrive after another area's map, or the empty map of a plan still running in
    # the background, has replaced it (a trace put there would break the drawing).
    f"""function(spots, fig) {{
        const drawn = fig && fig.layout && fig.layout.meta;
        if (!spots || drawn !== spots.plan || !fig.data || fig.data.length <= {figs.SPOT_TRACE}) {{
            return window.dash_clientside.no_update;
        }}
        const data = fig.data.slice();
        data[{figs.SPOT_TRACE}] = spots.trace;
        return Object.assign({{}}, fig, {{data: data}});
    }}""",
    Output(ID.map, "figure", allow_duplicate=True),
    Input(ID.spots, "data"),
    State(ID.map, "figure"),
    prevent_initial_call=True,
)


def spots_trace(
    result: Any,
    relayout: dict[str, Any] | None,
    pe_id: str | None,
    site: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The trace that replaces an overview map's spots trace (figs.SPOT_TRACE): ``figs.spots_shown``
    of the view in ``relayout`` and the PE ``pe_id``.

    The graph keeps its last view event when another area is drawn (its view then resets to the
    new area): a view whose centre lies outside this area's bounds is such a leftover, ignored."""
    view = figs.view_bounds(relayout)
    if view is not None:
        lon0, lat0, lon1, lat1 = figs.area_bounds(result, site)
        lon, lat = (view[0] + view[2]) / 2, (view[1] + view[3]) / 2
        if not (lon0 <= lon <= lon1 and lat0 <= lat <= lat1):
            view = None
    return figs.spots_shown(result, view, pe_id)


@callback(Output(ID.calendar, "children"), Input(ID.pe_select, "value"), *_choice(State))
def _calendar(pe_id, *choice):
    """One PE's week, on demand (only the chosen PE's calendar is sent)."""
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
            id="out-calendar-head",
        ),
        dbc.Table.from_dataframe(frame, striped=True, size="sm", className="small"),
    ]


# Field sheets of a large area take seconds to write (10,000 spots: about 5 s for the workbook):
# a background callback writes them off the request; the buttons are disabled until the file
# arrives. The job reads the area's plan from the shared result cache.
@callback(
    Output(ID.download, "data"),
    Input(ID.download_xlsx, "n_clicks"), Input(ID.download_html, "n_clicks"), *_choice(State),
    prevent_initial_call=True, background=True,
    running=[
        (Output(ID.download_xlsx, "disabled"), True, False),
        (Output(ID.download_html, "disabled"), True, False),
    ],
)  # fmt: skip
def _download(_xlsx, _html, *choice):
    out = _result_or_prevent(*choice)
    result, calendar = out.caseloads, out.calendar
    stem = "field-sheets-" + "-".join(out.info.slug.split()).lower()
    fmt = "HTML" if dash.ctx.triggered_id == ID.download_html else "Excel"
    _shared.audit(f"Outreach field sheets ({fmt}): {out.info.label}"[:200], None, choice[0])
    if dash.ctx.triggered_id == ID.download_html:
        return dict(
            content=render_html(result, calendar), filename=f"{stem}.html", type="text/html"
        )
    return dcc.send_bytes(write_workbook(result, calendar), f"{stem}.xlsx")
