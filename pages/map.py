"""Map page (/map): district choropleth, hotspots, service sites and catchment rings, with filters.

Layers and filters are form controls; one callback builds the figure on the server from the
memoised plan (large frames never go to the browser). In aggregate-only mode only the
district layer exists, and the callback refuses hotspot layers even when asked for them.
"""

# No `from __future__ import annotations` here: Dash executes page modules before they are in
# sys.modules, where @dataclass cannot resolve string annotations (pages/outreach.py uses
# NamedTuples for the same reason); Python 3.11 evaluates every annotation below as written.

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import dash
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from components import maps, siting_figures, ui
from exports.map_export import standalone_map_html
from pages import _shared
from planning.access import DEFAULT_DISTANCE_KM
from planning.plan import Plan
from planning.scenario import Scenario, ScenarioError
from planning.schema import Dataset
from services import datasets as store
from services import response_cache

# Served in both modes: district-only in aggregate mode.
dash.register_page(
    __name__,
    path="/map",
    name="Map",
    order=1,
    title="Map · KP coverage planner",
    description="Where the hotspots, sites and gaps are",
)


class ID:
    """Component ids of this page (one place, never repeated as literals)."""

    graph = "map-graph"
    layers = "map-layers"
    metric = "map-metric"
    colour_by = "map-colour-by"
    distance = "map-distance-km"
    region = "map-filter-region"
    district = "map-filter-district"
    typology = "map-filter-typology"
    population = "map-filter-population"
    site_type = "map-filter-site-type"
    service = "map-filter-service"
    selected = "map-selected-district"
    clear = "map-clear-selection"
    summary = "map-district-summary"
    export_html = "map-export-html"
    export_png = "map-export-png"
    download = "map-download"
    timing = "map-timing"
    level_note = "map-level-note"
    query = "map-scenario-query"


LAYER_OPTIONS = [
    {"label": "District choropleth", "value": "districts"},
    {"label": "Hotspots", "value": "hotspots"},
    {"label": "Service sites", "value": "sites"},
    {"label": "Catchment rings", "value": "rings"},
]


def _help(text: str, target: str) -> dbc.Tooltip:
    return dbc.Tooltip(text, target=target, placement="right")


# typed dict[str, Any]: dash's typed signatures list only the named props, not aria-*
_INFO_ARIA: dict[str, Any] = {"aria-label": "more information"}


def _label(text: str, tip_id: str) -> html.Label:
    return html.Label(
        [
            text,
            " ",
            html.I(className="bi bi-info-circle", id=tip_id, tabIndex=0, **_INFO_ARIA),
        ],
        className="form-label small fw-semibold mb-1",
    )


def controls(aggregate: bool) -> dbc.Card:
    """The layer, metric and filter controls (hotspot controls absent in aggregate mode)."""
    layer_options = [o for o in LAYER_OPTIONS if not aggregate or o["value"] == "districts"]
    items: list[Any] = [
        _label("Layers", "tip-layers"),
        _help(
            "Switch layers on and off. Hotspot sizes show people at the peak (area ∝ people).",
            "tip-layers",
        ),
        dbc.Checklist(
            id=ID.layers,
            options=layer_options,
            value=["districts"] if aggregate else ["districts", "hotspots", "sites"],
            className="mb-2",
        ),
        _label("District colour", "tip-metric"),
        _help(
            "Coverage = enrolled ÷ estimate (latest period); gap = target × planning population − "
            "enrolled; density = mid estimate ÷ district area (DESIGN.md s.3).",
            "tip-metric",
        ),
        dbc.Select(
            id=ID.metric,
            value="coverage_mid",
            className="mb-2",
            options=[{"label": v["label"], "value": k} for k, v in maps.CHOROPLETH_METRICS.items()],
        ),
    ]
    # In aggregate mode the hotspot controls are kept hidden (the callbacks have one signature in
    # every mode) and the server ignores whatever a request puts in them (_detail_inputs).
    items += [
        html.Div(
            [
                _label("Hotspot colour", "tip-colour"),
                _help(
                    "Typology uses the Okabe–Ito colour-blind-safe palette; coverage uses cividis.",
                    "tip-colour",
                ),
                dbc.RadioItems(
                    id=ID.colour_by,
                    value="typology",
                    inline=True,
                    className="mb-2",
                    options=[
                        {"label": "typology", "value": "typology"},
                        {"label": "coverage", "value": "coverage"},
                    ],
                ),
                _label("Catchment distance (km)", "tip-distance"),
                _help(
                    "Rings of this radius around each site, drawn in the projected CRS. "
                    "Default 5 km (DESIGN.md s.3, geographic access).",
                    "tip-distance",
                ),
                dcc.Slider(
                    id=ID.distance,
                    min=1,
                    max=20,
                    step=1,
                    value=DEFAULT_DISTANCE_KM,
                    marks={1: "1", 5: "5", 10: "10", 15: "15", 20: "20 km"},
                    tooltip={"placement": "bottom"},
                    className="mb-3",
                ),
            ],
            hidden=aggregate,
            id="map-detail-controls",
        )
    ]
    items += [
        html.Hr(className="my-2"),
        html.Div("Filters", className="small fw-semibold mb-1"),
        dcc.Dropdown(id=ID.region, multi=True, placeholder="All regions", className="mb-2"),
        dcc.Dropdown(id=ID.district, multi=True, placeholder="All districts", className="mb-2"),
    ]
    items += [
        html.Div(
            [
                dcc.Dropdown(
                    id=ID.typology, multi=True, placeholder="All typologies", className="mb-2"
                ),
                dcc.Dropdown(
                    id=ID.population,
                    multi=True,
                    placeholder="All key populations",
                    className="mb-2",
                ),
                dcc.Dropdown(
                    id=ID.site_type, multi=True, placeholder="All site types", className="mb-2"
                ),
                dcc.Dropdown(
                    id=ID.service, placeholder="Sites offering any service", className="mb-2"
                ),
            ],
            hidden=aggregate,
            id="map-detail-filters",
        )
    ]
    export_style: dict[str, Any] = dict(color="primary", outline=True)
    items += [
        html.Hr(className="my-2"),
        html.Div("Export the current view", className="small fw-semibold mb-1"),
        dbc.ButtonGroup(
            [
                ui.button("HTML map", ID.export_html, icon="bi-filetype-html", **export_style),
                ui.button("PNG", ID.export_png, icon="bi-image", **export_style),
            ]
        ),
        html.Div(
            _shared.level_note(aggregate), className="small text-muted mt-1", id=ID.level_note
        ),
        dcc.Download(id=ID.download),
    ]
    return dbc.Card(dbc.CardBody(items), className="map-controls")


def layout(**query: Any) -> html.Div:
    """The page skeleton: controls, the map and the district summary (no data in the layout)."""
    aggregate = _shared.aggregate_mode()
    scenario_query = {k: v for k, v in query.items() if isinstance(v, str)}
    problem = scenario_problem(scenario_query) if scenario_query else None
    return html.Div(
        [
            dbc.Alert(
                f"The link's scenario parameters were not used: {problem}",
                color="warning",
                id="map-scenario-problem",
            )
            if problem
            else None,
            _shared.page_header(
                "Map",
                "Where people are, where services are, and where the gaps are. "
                "Click a district to zoom to it and see its summary."
                + (" District totals only (aggregate-only view)." if aggregate else ""),
            ),
            dcc.Store(id=ID.selected),
            dcc.Store(id=ID.query, data=scenario_query),
            dbc.Row(
                [
                    dbc.Col(controls(aggregate), xs=12, md=4, lg=3, className="mb-2"),
                    dbc.Col(
                        [
                            dcc.Loading(
                                dcc.Graph(
                                    id=ID.graph,
                                    config={
                                        "displaylogo": False,
                                        "scrollZoom": True,
                                        "toImageButtonOptions": {"filename": "map"},
                                    },
                                    style={"height": f"{maps.MAP_HEIGHT_PX}px"},
                                ),
                                delay_show=400,
                            ),
                            html.Div(id=ID.timing, className="visually-hidden"),
                        ],
                        xs=12,
                        md=8,
                        lg=6,
                    ),
                    dbc.Col(
                        [
                            html.Div(
                                id=ID.summary,
                                children=html.P(
                                    "Click a district on the map to see its summary.",
                                    className="text-muted",
                                ),
                            ),
                            ui.button("Clear selection", ID.clear, outline=True, className="mt-2"),
                        ],
                        xs=12,
                        lg=3,
                    ),
                ]
            ),
        ]
    )


# --- server-side helpers (no Dash objects in, frames and figures out) -------------------


def scenario_for(dataset_id: str | None, query: dict[str, str] | None) -> Scenario:
    """The Scenario of the page URL (shared links); the dataset's default when the URL has none
    or an invalid one (layout() shows the ScenarioError message then)."""
    if query:
        try:
            return Scenario.from_query(query)
        except ScenarioError:
            pass
    return _shared.default_scenario(dataset_id)


def scenario_problem(query: dict[str, str] | None) -> str | None:
    """The ScenarioError message of an invalid URL query, None when it is valid."""
    try:
        Scenario.from_query(query or {})
    except ScenarioError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=16)
def _geojson(dataset_key: str) -> dict[str, Any]:
    return maps.district_geojson(store.get_dataset(dataset_key).boundaries)


def hotspot_frame(dataset: Dataset, plan: Plan, period: str | None = None) -> pd.DataFrame:
    """Hotspots with their estimate (plan), enrolled (engine-A, latest period) and coverage_mid."""
    from planning.coverage import enrolled_by_hotspot

    base = dataset.hotspots.drop(columns="geometry", errors="ignore")
    est = plan.hotspots[["hotspot_id", "estimate_low", "estimate_mid", "estimate_high"]]
    enrolled = enrolled_by_hotspot(dataset.enrolment, period=period)[["hotspot_id", "enrolled"]]
    frame = base.merge(est, on="hotspot_id", how="left").merge(
        enrolled, on="hotspot_id", how="left"
    )
    frame["enrolled"] = frame["enrolled"].fillna(0).astype("int64")
    mid = frame["estimate_mid"].where(frame["estimate_mid"] > 0)
    frame["coverage_mid"] = frame["enrolled"] / mid
    return frame


@lru_cache(maxsize=16)
def _hotspot_frame_cached(dataset_key: str, scenario: Scenario) -> pd.DataFrame:
    plan = _shared.get_plan(dataset_key, scenario)
    return hotspot_frame(store.get_dataset(dataset_key), plan, plan_period(plan))


def plan_period(plan: Plan) -> str | None:
    """The enrolment period the plan used (its parameters), None for the latest."""
    return (getattr(plan, "parameters", None) or {}).get("period") or None


def _in(frame: pd.DataFrame, column: str, chosen: list[str] | None) -> pd.Series:
    if not chosen or column not in frame:
        return pd.Series(True, index=frame.index)
    return frame[column].astype(str).isin([str(c) for c in chosen])


@dataclass(frozen=True)
class MapFilters:
    """The filter controls (None or empty = all): districts by region and name, hotspots also by
    typology and key population, sites also by type and service."""

    regions: list[str] | None = None
    districts: list[str] | None = None
    typologies: list[str] | None = None
    populations: list[str] | None = None
    site_types: list[str] | None = None
    service: str | None = None

    def district_level(self) -> "MapFilters":
        """Only the district filters: aggregate mode ignores the hidden hotspot and site filters
        whatever a request carries."""
        return MapFilters(self.regions, self.districts)

    def in_area(self, frame: pd.DataFrame) -> pd.Series:
        """Rows of the chosen regions and districts."""
        return _in(frame, "region", self.regions) & _in(frame, "district", self.districts)

    def hotspots(self, hs: pd.DataFrame) -> pd.DataFrame:
        """The hotspots shown."""
        kind = _in(hs, "typology", self.typologies) & _in(hs, "population", self.populations)
        return hs[self.in_area(hs) & kind]

    def sites(self, sites: pd.DataFrame) -> pd.DataFrame:
        """The sites shown (without geometry)."""
        sites = sites.drop(columns="geometry", errors="ignore")
        mask = self.in_area(sites) & _in(sites, "site_type", self.site_types)
        if self.service:
            service = self.service
            mask &= sites["services"].astype(str).str.split(";").apply(lambda s: service in s)
        return sites[mask]


def _filter_controls(dependency: type[Input] | type[State]) -> dict[str, Any]:
    """The filter controls as Dash dependencies, grouped (a callback gets them as one dict, the
    fields of MapFilters)."""
    controls = dict(
        regions=ID.region, districts=ID.district, typologies=ID.typology,
        populations=ID.population, site_types=ID.site_type, service=ID.service,
    )  # fmt: skip
    return {name: dependency(control, "value") for name, control in controls.items()}


@dataclass(frozen=True)
class MapView:
    """What the map callback shows: the figure and the selected district's summary."""

    figure: dict[str, Any]  # a plotly figure dict (components.maps.map_figure)
    summary: html.P | dbc.Card  # district_summary: the card, or a hint when none is selected


def build_map(
    dataset_id: str | None,
    *,
    layers: list[str] | None,
    metric: str,
    colour_by: str | None,
    distance_km: float | None,
    filters: MapFilters,
    selected: str | None,
    query: dict[str, str] | None,
    hotspot_detail: bool,
) -> MapView:
    """The figure and the district summary for the current controls (hotspot layers only when
    allowed)."""
    dataset = store.get_dataset(dataset_id)
    key = store.resolve_id(dataset_id)
    scenario = scenario_for(dataset_id, query)
    plan = _shared.get_plan(dataset_id, scenario)
    dist = plan.districts
    shown = dist[filters.in_area(dist)]
    geojson = _geojson(key)
    layers = list(layers or [])
    if not hotspot_detail:
        layers = [layer for layer in layers if layer == "districts"]
    traces: list[Any] = []
    if "districts" in layers:
        traces.append(maps.district_choropleth_trace(shown, geojson, metric))
    else:
        traces.append(maps.district_outline_trace(geojson))
    if hotspot_detail and "hotspots" in layers:
        hs = filters.hotspots(_hotspot_frame_cached(key, scenario))
        traces += maps.hotspot_traces(hs, colour_by=colour_by or "typology")
    if hotspot_detail and ({"sites", "rings"} & set(layers)):
        sites = filters.sites(dataset.sites)
        if "rings" in layers and not sites.empty:
            traces.append(
                maps.catchment_trace(sites, dataset.crs_projected, float(distance_km or 5))
            )
        if "sites" in layers:
            traces += maps.site_traces(sites)
    if hotspot_detail and plan.new_sites is not None and len(plan.new_sites):  # issue 16
        distance = float(plan.scenario.distance_km)
        traces.append(siting_figures.new_sites_trace(plan.new_sites, distance_km=distance))
    # keyboard path: choosing exactly one district in the filter selects it like a click
    districts = filters.districts
    focus = selected or (districts[0] if districts and len(districts) == 1 else None)
    bounds = _bounds(dataset, focus, filters)
    synthetic = (
        " (synthetic data)" if dataset.synthetic and "synthetic" not in dataset.name.lower() else ""
    )
    note = (
        f"{dataset.name}{synthetic} · {_shared.level_note(False)}"
        if hotspot_detail
        else f"{dataset.name}{synthetic} · district aggregates only (no hotspot locations)<br>"
        + _shared.disclosure_rule().short_statement()
    )
    fig = maps.map_figure(
        traces, bounds, uirevision=f"{key}|{focus}|{filters.regions}|{districts}", note=note
    )
    return MapView(fig, district_summary(dist, focus, distance_km=float(plan.scenario.distance_km)))


def _bounds(
    dataset: Dataset, selected: str | None, filters: MapFilters
) -> tuple[float, float, float, float]:
    b = dataset.boundaries
    part = b[b["district"] == selected] if selected else b[filters.in_area(b)]
    if part.empty:
        part = b
    minx, miny, maxx, maxy = part.total_bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def district_summary(
    districts: pd.DataFrame, selected: str | None, *, distance_km: float = 5.0
) -> html.P | dbc.Card:
    """A card with the selected district's figures (estimate range, coverage range, gap,
    resources)."""
    if not selected:
        return html.P("Click a district on the map to see its summary.", className="text-muted")
    rows = districts[districts["district"] == selected]
    if rows.empty:
        return html.P(f"No district named {selected!r} in this dataset.", className="text-muted")
    r = rows.iloc[0]

    suppressed = bool(r.get("suppressed", False))
    access_hidden = bool(r.get("access_suppressed", False))

    def val(col: str, fmt: str = "{:,.0f}") -> str:
        if col in r.index and pd.notna(r[col]):
            return fmt.format(float(r[col]))
        if suppressed or (access_hidden and col == "share_within_distance"):
            return "suppressed"
        return "n/a"

    if suppressed:  # disclosure control: only the name, region and enrolment are published
        items = [
            ("Region", str(r.get("region", "")) or "—"),
            ("Enrolled (latest period)", val("enrolled")),
            ("Estimate, coverage, gap and resources", "suppressed"),
        ]
        return _summary_card(selected, items)
    items = [
        ("Region", str(r.get("region", "")) or "—"),
        ("Hotspots", val("hotspots")),
        (
            "Estimate (people)",
            f"{val('estimate_low')}–{val('estimate_high')} (mid {val('estimate_mid')})",
        ),
        ("Enrolled (latest period)", val("enrolled")),
        (
            "Coverage",
            maps.coverage_range_text(
                float(r.get("coverage_low", np.nan)), float(r.get("coverage_high", np.nan))
            ),
        ),
        ("Gap (people)", val("gap")),
        ("Density", f"{val('density_per_km2', '{:,.1f}')} people per km²"),
        ("Peer educators needed", val("peer_educators")),
        ("Outreach workers needed", val("outreach_workers")),
        ("Condoms per month", val("condoms_per_month")),
        (
            f"Share of the estimate within {distance_km:g} km of a site",
            val("share_within_distance", "{:.0%}"),
        ),
        ("Priority rank", val("priority_rank")),
    ]
    return _summary_card(selected, items)


def _summary_card(selected: str, items: list[tuple[str, str]]) -> dbc.Card:
    note = _shared.disclosure_note()
    return dbc.Card(
        [
            dbc.CardHeader(html.H2(selected, className="h5 mb-0")),
            dbc.CardBody(
                html.Dl(
                    [
                        term
                        for k, v in items
                        for term in (html.Dt(k, className="small text-muted"), html.Dd(v))
                    ],
                    className="mb-0",
                )
            ),
            dbc.CardFooter(note, className="small text-muted", id="map-disclosure-note")
            if note
            else None,
        ],
        id="map-summary-card",
    )


# --- callbacks (thin) -------------------------------------------------------------------


@callback(
    Output(ID.region, "options"),
    Output(ID.district, "options"),
    Input(_shared.DATASET_STORE_ID, "data"),
)
def _filter_options(dataset_id: str | None) -> tuple[list[str], list[str]]:
    dataset = _shared.dataset_or_none(dataset_id)
    if dataset is None:
        return [], []
    b = dataset.boundaries
    regions = sorted(r for r in b["region"].astype(str).unique() if r)
    return regions, sorted(b["district"].astype(str).tolist())


@callback(
    Output(ID.typology, "options"), Output(ID.population, "options"),
    Output(ID.site_type, "options"), Output(ID.service, "options"),
    Input(_shared.DATASET_STORE_ID, "data"),
)  # fmt: skip
def _hotspot_filter_options(
    dataset_id: str | None,
) -> tuple[list[str], list[str], list[str], list[str]]:
    dataset = _shared.dataset_or_none(dataset_id)
    if dataset is None or not _shared.hotspot_detail_allowed():
        return [], [], [], []
    hs, sites = dataset.hotspots, dataset.sites
    services = sorted({s for v in sites["services"].astype(str) for s in v.split(";") if s})
    return (
        sorted(hs["typology"].astype(str).unique()),
        sorted(hs["population"].astype(str).unique()),
        sorted(sites["site_type"].astype(str).unique()),
        services,
    )


def _allowed_controls(
    distance_km: float | None, filters: dict[str, Any] | None
) -> tuple[float | None, MapFilters]:
    """The catchment distance and filters this request may use: in the aggregate-only view the
    hotspot controls are hidden, and whatever a request puts in them is ignored."""
    chosen = MapFilters(**(filters or {}))
    if _shared.hotspot_detail_allowed():
        return distance_km, chosen
    return DEFAULT_DISTANCE_KM, chosen.district_level()


def _view_controls(dependency: type[Input] | type[State]) -> dict[str, Any]:
    """What the map and its HTML export both show, by callback argument: dataset, layers,
    metric, catchment distance and filters (as ``dependency``), and the page's scenario."""
    return dict(
        dataset_id=dependency(_shared.DATASET_STORE_ID, "data"),
        layers=dependency(ID.layers, "value"),
        metric=dependency(ID.metric, "value"),
        distance_km=dependency(ID.distance, "value"),
        filters=_filter_controls(dependency),
        query=State(ID.query, "data"),
    )


_MAP_INPUTS = dict(
    **_view_controls(Input),
    selected=Input(ID.selected, "data"),
    colour_by=Input(ID.colour_by, "value"),
)


# The map is a pure callback (inputs, dataset and level of detail decide it): answered from the
# shared response cache when the same request was answered before (services.response_cache);
# the timing shown is then the first computation's.
response_cache.mark_pure(ID.graph, ID.summary, ID.timing)


@callback(
    Output(ID.graph, "figure"),
    Output(ID.summary, "children"),
    Output(ID.timing, "children"),
    inputs=_MAP_INPUTS,
)
def _update_map(
    dataset_id: str | None = None,
    layers: list[str] | None = None,
    metric: str | None = "coverage_mid",
    selected: str | None = None,
    query: dict[str, str] | None = None,
    colour_by: str | None = "typology",
    distance_km: float | None = DEFAULT_DISTANCE_KM,
    filters: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], html.P | dbc.Card, str]:
    if _shared.dataset_or_none(dataset_id) is None:
        raise dash.exceptions.PreventUpdate
    distance_km, chosen = _allowed_controls(distance_km, filters)
    started = time.perf_counter()
    view = build_map(
        dataset_id,
        layers=layers,
        metric=metric or "coverage_mid",
        colour_by=colour_by,
        distance_km=distance_km,
        filters=chosen,
        selected=selected,
        query=query,
        hotspot_detail=_shared.hotspot_detail_allowed(),
    )
    took = f"built in {1000 * (time.perf_counter() - started):.0f} ms"
    return view.figure, view.summary, took


@callback(
    Output(ID.selected, "data"),
    Input(ID.graph, "clickData"),
    Input(ID.clear, "n_clicks"),
    prevent_initial_call=True,
)
def _select_district(click: dict[str, Any] | None, _clear: int | None) -> str | None:
    if dash.ctx.triggered_id == ID.clear:
        return None
    points = (click or {}).get("points") or []
    location = points[0].get("location") if points else None
    if not location:
        raise dash.exceptions.PreventUpdate
    return location


@callback(
    Output(ID.download, "data"),
    inputs={"n_clicks": Input(ID.export_html, "n_clicks")},
    state=_view_controls(State),
    prevent_initial_call=True,
)
def _export_html(
    n_clicks: int | None = None,
    dataset_id: str | None = None,
    layers: list[str] | None = None,
    metric: str | None = "coverage_mid",
    query: dict[str, str] | None = None,
    distance_km: float | None = DEFAULT_DISTANCE_KM,
    filters: dict[str, Any] | None = None,
) -> dict[str, str]:
    if not n_clicks or _shared.dataset_or_none(dataset_id) is None:
        raise dash.exceptions.PreventUpdate
    distance_km, chosen = _allowed_controls(distance_km, filters)
    detail = _shared.hotspot_detail_allowed()
    dataset = store.get_dataset(dataset_id)
    plan = _shared.get_plan(dataset_id, scenario_for(dataset_id, query))
    dist = plan.districts
    layers = [layer for layer in (layers or []) if detail or layer == "districts"]
    hs = sites = None
    if detail and "hotspots" in layers:
        hs = chosen.hotspots(hotspot_frame(dataset, plan, plan_period(plan)))
    if detail and {"sites", "rings"} & set(layers):
        sites = chosen.sites(dataset.sites)  # the same sites as the map on screen
    boundaries = dataset.boundaries[chosen.in_area(dataset.boundaries)]
    html_text = standalone_map_html(
        boundaries if not boundaries.empty else dataset.boundaries,
        dist,
        metric=metric or "coverage_mid",
        hotspots=hs,
        sites=sites if "sites" in layers else None,
        rings_sites=sites if "rings" in layers else None,
        crs_projected=dataset.crs_projected,
        distance_km=float(distance_km or DEFAULT_DISTANCE_KM),
        title=f"{dataset.name} — map",
        level_note=_shared.level_note(not detail),
        synthetic=bool(dataset.synthetic),
    )
    if detail and hs is not None:
        _shared.audit("Map HTML export with hotspots", None, dataset_id)
    return dict(content=html_text, filename="map.html", type="text/html")


clientside_callback(
    """function(n) {
        if (!n) { return window.dash_clientside.no_update; }
        const gd = document.getElementById('map-graph').querySelector('.js-plotly-plot');
        if (gd) {
            Plotly.downloadImage(gd, {format: 'png', filename: 'map', width: 1200, height: 800});
        }
        return '';
    }""",
    Output(ID.export_png, "title"),
    Input(ID.export_png, "n_clicks"),
    prevent_initial_call=True,
)
