"""Map page (/map): district choropleth, hotspots, service sites and catchment rings, with filters.

Layers and filters are form controls; one callback builds the figure on the server from the
memoised plan (large frames never go to the browser). In aggregate-only mode only the
district layer exists, and the callback refuses hotspot layers even when asked for them.
"""

# No `from __future__ import annotations` here: Dash executes page modules before they are in
# sys.modules, where @dataclass cannot resolve string annotations (pages/outreach.py uses
# NamedTuples for the same reason); Python 3.11 evaluates every annotation below as written.

import dataclasses
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import dash
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from components import map_scale, maps, siting_figures, ui
from exports.map_export import standalone_map_html
from pages import _shared
from planning.access import DEFAULT_DISTANCE_KM
from planning.plan import Plan
from planning.scenario import Scenario, ScenarioError
from planning.schema import Dataset
from services import datasets as store
from services import response_cache

log = logging.getLogger(__name__)

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
    viewport = "map-viewport"
    roles = "map-trace-roles"
    detail = "map-hotspot-detail"
    size_legend = "map-size-legend"
    scale_note = "map-scale-note"
    basemap = "map-basemap"
    drawn = "map-drawn-state"


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
_LIVE: dict[str, Any] = {"aria-live": "polite"}  # the hotspot panel changes on hover
GRAPH_HEIGHT_PX = maps.GRAPH_HEIGHT_PX


def _label(text: str, tip_id: str) -> html.Label:
    return html.Label(
        [
            text,
            " ",
            html.I(className="bi bi-info-circle", id=tip_id, tabIndex=0, **_INFO_ARIA),
        ],
        className="form-label small fw-semibold mb-1",
    )


def _radio(component_id: str, options: dict[str, str]) -> dbc.RadioItems:
    """Inline radio buttons {value: label}, the first chosen."""
    return dbc.RadioItems(
        id=component_id,
        value=next(iter(options)),
        inline=True,
        className="mb-2",
        options=[{"label": label, "value": value} for value, label in options.items()],
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
        _label("Background", "tip-basemap"),
        _help(
            "Plain: lakes, rivers, borders and towns from Natural Earth (public domain), drawn "
            "with no internet. Street map: OpenStreetMap tiles, only when the browser is online.",
            "tip-basemap",
        ),
        _radio(ID.basemap, {"plain": "plain (offline)", "osm": "street map (online)"}),
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
                _radio(ID.colour_by, {"typology": "typology", "coverage": "coverage"}),
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
            dcc.Store(id=ID.viewport),
            dcc.Store(id=ID.roles),
            dcc.Store(id=ID.drawn),
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
                                    style={"height": f"{GRAPH_HEIGHT_PX}px"},
                                ),
                                delay_show=400,
                            ),
                            html.Div(id=ID.size_legend, className="small map-size-legend"),
                            html.Div(id=ID.scale_note, className="small text-muted"),
                            html.Div(id=ID.timing, className="visually-hidden"),
                        ],
                        xs=12,
                        md=8,
                        lg=6,
                    ),
                    dbc.Col(
                        [
                            html.Div(id=ID.detail, **_LIVE),
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
    """What the map callback shows: the figure (or a Patch of it), the selected district's
    summary, the trace roles (meta per trace, for the hotspot panel), the size legend and the
    note on what the hotspot layer shows at this zoom."""

    figure: Any  # a plotly figure dict (components.maps.map_figure) or a dash.Patch of it
    summary: Any  # district_summary (card or hint), or dash.no_update
    roles: Any  # list of trace metas, or dash.no_update
    size_legend: Any
    scale_note: Any
    drawn: dict[str, Any]  # drawn_state of the request: what the browser's figure now shows


@dataclass(frozen=True)
class MapRequest:
    """The controls of one map request (hotspot layers only when ``hotspot_detail``)."""

    dataset_id: str | None
    layers: tuple[str, ...]
    metric: str
    colour_by: str
    distance_km: float
    filters: MapFilters
    selected: str | None
    query: dict[str, str] | None
    hotspot_detail: bool
    viewport: map_scale.Viewport | None = None
    viewport_rev: str | None = None  # the figure revision the viewport was measured on
    basemap: str = "plain"


def drawn_state(req: MapRequest) -> dict[str, Any]:
    """What a figure shows, by part (kept in the browser beside the figure, ID.drawn): the next
    request patches the parts whose controls differ from it. A part the browser never received
    (a response Dash dropped for a newer one) still differs, so it is sent again.

    Only effective values are kept: the scenario the plan used (in the aggregate view the
    published one, whatever the link asked) and, without hotspot detail, no hotspot control, so
    the aggregate view answers every request of one menu choice with the same bytes.
    """
    detail = req.hotspot_detail
    plan = _shared.get_plan(req.dataset_id, scenario_for(req.dataset_id, req.query))
    base = [
        store.resolve_id(req.dataset_id),
        dataclasses.asdict(req.filters),
        plan.scenario.to_query(),
        detail,
    ]
    return {
        "base": json.dumps(base, sort_keys=True, default=str),
        "metric": req.metric,
        "colour": req.colour_by if detail else None,
        "layers": sorted(req.layers) if detail else [x for x in req.layers if x == "districts"],
        "distance": req.distance_km if detail else None,
        "view": dataclasses.asdict(req.viewport) if req.viewport and detail else None,
        "select": req.selected,
        "basemap": req.basemap,
    }


def changed_parts(drawn: Any, req: MapRequest) -> set[str] | None:
    """The parts of the figure to patch (keys of drawn_state), None when the figure must be
    rebuilt (no figure yet, or another dataset, filter, scenario or level of detail)."""
    if not isinstance(drawn, dict):
        return None
    wanted = drawn_state(req)
    if drawn.get("base") != wanted["base"]:
        return None
    return {k for k, v in wanted.items() if k != "base" and drawn.get(k) != v}


class _Context:
    """What every part of the figure needs, computed once per request (memoised frames)."""

    def __init__(self, req: MapRequest) -> None:
        self.req = req
        self.dataset = store.get_dataset(req.dataset_id)
        self.key = store.resolve_id(req.dataset_id)
        self.scenario = scenario_for(req.dataset_id, req.query)
        self.plan = _shared.get_plan(req.dataset_id, self.scenario)
        self.dist = self.plan.districts
        districts = req.filters.districts
        self.focus = req.selected or (districts[0] if districts and len(districts) == 1 else None)
        self.bounds = _bounds(self.dataset, self.focus, req.filters)
        self.layers = [layer for layer in req.layers if req.hotspot_detail or layer == "districts"]
        self.uirevision = f"{self.key}|{self.focus}|{req.filters.regions}|{districts}"

    @property
    def view(self) -> map_scale.Viewport:
        """The browser's view when it reported one for this figure, else the initial view."""
        if self.req.viewport is not None and self.req.viewport_rev == self.uirevision:
            return self.req.viewport
        _centre, zoom = maps.view_for_bounds(self.bounds)
        return map_scale.view_for_bounds(
            self.bounds, zoom, width_px=INITIAL_WIDTH_PX, height_px=maps.MAP_HEIGHT_PX
        )

    def hotspots(self) -> pd.DataFrame:
        return self.req.filters.hotspots(_hotspot_frame_cached(self.key, self.scenario))

    def palette(self) -> dict[str, str]:
        return _palette_and_reference(self.key, self.scenario)[0]

    def reference(self) -> float:
        """People at the largest hotspot marker: the dataset's largest mid estimate."""
        return _palette_and_reference(self.key, self.scenario)[1]

    def sites(self) -> pd.DataFrame:
        return self.req.filters.sites(self.dataset.sites)


@lru_cache(maxsize=16)
def _palette_and_reference(dataset_key: str, scenario: Scenario) -> tuple[dict[str, str], float]:
    """The dataset's typology colours and its largest mid estimate (the largest marker)."""
    frame = _hotspot_frame_cached(dataset_key, scenario)
    mids = pd.to_numeric(frame["estimate_mid"], errors="coerce")
    return maps.typology_colours(frame["typology"]), float(mids.max() or 1.0)


INITIAL_WIDTH_PX = 700  # the map column is about 600 px wide on a laptop; padded further


def _layout_roles(ctx: _Context) -> list[str]:
    """The trace order of the figure (fixed per dataset and filters, so a Patch can address a
    trace by index): districts, towns, then in full detail hotspot cells, hotspot points, the
    sites (ring and dot per type), the catchment rings on top, and the typology legend."""
    roles = ["districts", maps.BASEMAP_PLACES]
    if not ctx.req.hotspot_detail:
        return roles
    roles += [maps.HOTSPOT_CELLS, maps.HOTSPOT_POINTS]
    site_types = sorted(ctx.sites()["site_type"].astype(str).unique())
    roles += ["sites-outline", "sites"] * len(site_types)
    roles += ["rings"]
    roles += [maps.TYPOLOGY_LEGEND] * len(ctx.palette())
    return roles


def _district_fields(ctx: _Context) -> dict[str, Any]:
    """The district trace without its geometry (what a metric or layer switch patches)."""
    shown = ctx.dist[ctx.req.filters.in_area(ctx.dist)]
    if "districts" in ctx.layers:
        trace = maps.district_choropleth_trace(
            shown,
            {},
            ctx.req.metric,
            value_range=maps.metric_range(ctx.dist, ctx.req.metric),
            legend_below=True,
        )
        trace["showlegend"] = False  # its colour bar is the legend
    else:
        trace = maps.district_outline_trace({"features": []})
        trace.update(
            locations=shown["district"].astype(str).tolist(),
            z=[0] * len(shown),
            text=shown["district"].astype(str).tolist(),
            marker={"opacity": 1.0, "line": {"width": 0.8, "color": "#666"}},
            zmin=0,
            zmax=1,
        )
        trace.setdefault("colorbar", None)
    for geometry_key in ("geojson", "featureidkey", "type"):
        trace.pop(geometry_key, None)
    return trace


def _hotspot_traces(ctx: _Context) -> tuple[dict[str, Any], dict[str, Any], Any, Any]:
    """The cells and points traces for the current view (one of them empty), the size legend
    and the scale note."""
    colour_by = ctx.req.colour_by
    palette, reference = ctx.palette(), ctx.reference()
    empty = pd.DataFrame(columns=["latitude", "longitude", "estimate_mid", "typology"])
    empty["coverage_mid"] = pd.Series(dtype="float64")
    if "hotspots" not in ctx.layers:
        cells = maps.hotspot_cells_trace(
            map_scale.grid_cells(empty, 1.0), colour_by, palette, reference
        )
        points = maps.hotspot_points_trace(empty, colour_by, palette, reference)
        cells["visible"] = points["visible"] = False
        return cells, points, [], ""
    shown = map_scale.view_hotspots(ctx.hotspots(), ctx.view)
    if shown.cells is not None:
        cells_frame = shown.cells
        cell_ref = float(cells_frame["estimate_mid"].max() or 1.0)
        cells = maps.hotspot_cells_trace(cells_frame, colour_by, palette, cell_ref)
        points = maps.hotspot_points_trace(empty, colour_by, palette, reference)
        km = (shown.cell_deg or 0) * 111.32
        note = (
            f"{shown.in_view:,} hotspots around this view, summed in {len(cells_frame):,} grid "
            f"cells of about {km:,.1f} km (bubble area ∝ people at peak, mid estimate). Zoom in "
            f"or filter to an area to see single spots (at most {map_scale.POINT_LIMIT:,})."
        )
        legend = size_legend_view(
            "Cell people at peak (mid)", maps.size_legend(cell_ref, maps.CELL_SIZE_PX)
        )
        return cells, points, legend, note
    cells = maps.hotspot_cells_trace(
        map_scale.grid_cells(empty, 1.0), colour_by, palette, reference
    )
    points = maps.hotspot_points_trace(shown.points, colour_by, palette, reference)
    note = (
        f"{shown.in_view:,} hotspots around this view, one marker each (area ∝ people at peak, "
        "mid estimate). Hover or click a spot for its details."
    )
    legend = size_legend_view(
        "Hotspot people at peak (mid)", maps.size_legend(reference, maps.HOTSPOT_SIZE_PX)
    )
    return cells, points, legend, note


def size_legend_view(title: str, entries: list[tuple[int, float]]) -> list[Any]:
    """A size legend under the map: circles of the drawn diameters, with the people they show."""
    if not entries:
        return []
    items: list[Any] = [html.Span(title + ": ", className="fw-semibold me-1")]
    for people, diameter in entries:
        items.append(
            html.Span(
                [
                    html.Span(
                        className="map-size-dot",
                        style={"width": f"{diameter}px", "height": f"{diameter}px"},
                    ),
                    f"{people:,}",
                ],
                className="map-size-item me-3",
            )
        )
    items.append(html.Span("(estimates: peak-day counts, DESIGN.md s.3)", className="text-muted"))
    return items


def _site_traces(ctx: _Context) -> list[dict[str, Any]]:
    sites = ctx.sites()
    view = ctx.view
    size = maps.site_marker_size_px(ctx.req.distance_km, view.zoom, (view.south + view.north) / 2)
    traces = maps.site_traces(sites, size_px=size)
    for trace in traces:
        trace["visible"] = "sites" in ctx.layers
    return traces


def _rings_trace(ctx: _Context) -> dict[str, Any]:
    sites = ctx.sites()
    if "rings" in ctx.layers and not sites.empty:
        return maps.catchment_trace(
            sites, ctx.dataset.crs_projected, ctx.req.distance_km, filled=True
        )
    empty = maps.line_trace([], [], width=2, colour="#0072B2", meta="rings")
    empty.update(visible=False, name=f"Within {ctx.req.distance_km:g} km of a site")
    return empty


def _note(ctx: _Context) -> str:
    dataset = ctx.dataset
    synthetic = (
        " (synthetic data)" if dataset.synthetic and "synthetic" not in dataset.name.lower() else ""
    )
    if ctx.req.hotspot_detail:
        return f"{dataset.name}{synthetic} · {_shared.level_note(False)}<br>{maps.BASEMAP_SOURCE}"
    return (
        f"{dataset.name}{synthetic} · district aggregates only (no hotspot locations)<br>"
        + _shared.disclosure_rule().short_statement()
        + f"<br>{maps.BASEMAP_SOURCE}"
    )


@lru_cache(maxsize=16)
def _basemap_features(dataset_key: str) -> dict[str, dict[str, Any]]:
    b = store.get_dataset(dataset_key).boundaries.to_crs("EPSG:4326")
    minx, miny, maxx, maxy = (float(v) for v in b.total_bounds)
    return maps.basemap_features((minx, miny, maxx, maxy))


def build_map(req: MapRequest, drawn: Any = None) -> MapView:
    """The figure for the request, or, when ``drawn`` (the drawn_state of the figure in the
    browser) shares its dataset, filters and scenario, a Patch of the parts that differ: no
    district geometry, basemap or unchanged trace is sent again."""
    parts = changed_parts(drawn, req)
    ctx = _Context(req)
    if parts is None:
        return _full_map(ctx)
    roles = _layout_roles(ctx)
    patch = dash.Patch()
    index = {role: roles.index(role) for role in dict.fromkeys(roles)}
    legend, note = dash.no_update, dash.no_update
    summary: Any = dash.no_update
    detail = req.hotspot_detail
    hotspots_moved = bool({"layers", "view", "select"} & parts)
    if {"metric", "layers"} & parts:
        for field, value in _district_fields(ctx).items():
            patch["data"][0][field] = value
    if {"colour", "layers"} & parts and detail:
        shown = req.colour_by == "typology" and "hotspots" in ctx.layers
        for i, role in enumerate(roles):
            if role == maps.TYPOLOGY_LEGEND:
                patch["data"][i]["visible"] = shown
    state = drawn_state(req)
    state["hotspots"] = drawn.get("hotspots")
    replaced = False
    if hotspots_moved and detail:
        cells, points, legend, note = _hotspot_traces(ctx)
        state["hotspots"] = _signature(cells, points)
        # a pan within the same region draws the same spots: nothing to send again
        replaced = state["hotspots"] != drawn.get("hotspots") or bool({"layers", "select"} & parts)
        if replaced:
            patch["data"][index[maps.HOTSPOT_CELLS]] = cells
            patch["data"][index[maps.HOTSPOT_POINTS]] = points
        else:
            legend, note = dash.no_update, dash.no_update
    if "colour" in parts and detail and not replaced:
        cells, points, _legend, _note = _hotspot_traces(ctx)
        for role, trace in ((maps.HOTSPOT_CELLS, cells), (maps.HOTSPOT_POINTS, points)):
            for field, value in trace["marker"].items():
                if field != "size":
                    patch["data"][index[role]]["marker"][field] = value
    if {"layers", "distance", "view", "select"} & parts and detail:
        site_indices = [i for i, r in enumerate(roles) if r in {"sites-outline", "sites"}]
        for i, trace in zip(site_indices, _site_traces(ctx)):
            if "layers" in parts:
                patch["data"][i] = trace
            else:
                patch["data"][i]["marker"]["size"] = trace["marker"]["size"]
    if {"layers", "distance"} & parts and detail:
        patch["data"][index["rings"]] = _rings_trace(ctx)
    if "select" in parts:
        centre, zoom = maps.view_for_bounds(ctx.bounds)
        patch["layout"]["map"]["center"] = centre
        patch["layout"]["map"]["zoom"] = zoom
        patch["layout"]["uirevision"] = ctx.uirevision
        summary = district_summary(
            ctx.dist, ctx.focus, distance_km=float(ctx.plan.scenario.distance_km)
        )
    if "basemap" in parts:
        patch["layout"]["map"]["style"] = maps.TILE_STYLES.get(req.basemap, "white-bg")
    return MapView(patch, summary, dash.no_update, legend, note, state)


def _full_map(ctx: _Context) -> MapView:
    req = ctx.req
    traces: list[dict[str, Any]] = []
    geojson = _geojson(ctx.key)
    district = _district_fields(ctx)
    district.update(type="choroplethmap", geojson=geojson, featureidkey="properties.district")
    traces.append(district)
    features = _basemap_features(ctx.key)
    traces.append(maps.places_trace(features))
    legend: Any = []
    note: Any = ""
    if req.hotspot_detail:
        cells, points, legend, note = _hotspot_traces(ctx)
        traces += [cells, points]
        traces += _site_traces(ctx)
        traces.append(_rings_trace(ctx))
        traces += maps.typology_legend_traces(
            ctx.palette(), visible=req.colour_by == "typology" and "hotspots" in ctx.layers
        )
        new_sites = ctx.plan.new_sites
        if new_sites is not None and len(new_sites):  # issue 16: proposed drop-in centres
            distance = float(ctx.plan.scenario.distance_km)
            traces.append(siting_figures.new_sites_trace(new_sites, distance_km=distance))
    fig = maps.map_figure(
        traces,
        ctx.bounds,
        uirevision=ctx.uirevision,
        note=_note(ctx),
        legend_below=True,
        layers=maps.basemap_layers(features),
        style=maps.TILE_STYLES.get(req.basemap, "white-bg"),
    )
    summary = district_summary(
        ctx.dist, ctx.focus, distance_km=float(ctx.plan.scenario.distance_km)
    )
    roles = [t.get("meta") for t in traces]
    state = drawn_state(req)
    if req.hotspot_detail:
        state["hotspots"] = _signature(traces[2], traces[3])
    return MapView(fig, summary, roles, legend, note, state)


def _signature(cells: dict[str, Any], points: dict[str, Any]) -> str:
    """A digest of the drawn hotspot positions and sizes (which cells or spots are drawn)."""
    parts = [t.get(k) for t in (cells, points) for k in ("lat", "lon", "visible")]
    parts += [cells["marker"]["size"], points["marker"]["size"]]
    return hashlib.sha1(json.dumps(parts).encode(), usedforsecurity=False).hexdigest()


def hotspot_details(
    dataset_id: str | None,
    query: dict[str, str] | None,
    filters: MapFilters,
    lat: float,
    lon: float,
) -> pd.DataFrame:
    """The shown hotspots at (``lat``, ``lon``) as drawn (5 decimals): the one spot a hover or
    click asks about (several when spots share a position). Full detail only: the caller checks
    hotspot_detail_allowed() first."""
    key = store.resolve_id(dataset_id)
    frame = filters.hotspots(_hotspot_frame_cached(key, scenario_for(dataset_id, query)))
    near = (np.abs(frame["latitude"].round(5) - lat) < 1e-6) & (
        np.abs(frame["longitude"].round(5) - lon) < 1e-6
    )
    return frame[near].head(MAX_SPOTS_PER_POSITION)


MAX_SPOTS_PER_POSITION = 5


def hotspot_card(spots: pd.DataFrame) -> dbc.Card | html.P:
    """A card with each spot's details: name and id, typology and key population, typical and
    peak-day counts (min–max), peak days and times, enrolled and coverage, with their source."""
    if spots.empty:
        return html.P("No hotspot at this position.", className="text-muted")
    blocks: list[Any] = []
    for row in spots.to_dict("records"):
        cov = row.get("coverage_mid")
        coverage = f"{100 * float(cov):.0f}%" if cov is not None and pd.notna(cov) else "n/a"
        items = [
            ("Id", str(row["hotspot_id"])),
            ("District", str(row.get("district") or "—")),
            ("Typology", f"{row.get('typology') or 'unknown'} · {row.get('population') or 'FSW'}"),
            ("Typical day", f"{int(row['typical_min'])}–{int(row['typical_max'])} people"),
            ("Peak day", f"{int(row['peak_min'])}–{int(row['peak_max'])} people"),
            (
                "Peak days · times",
                f"{row.get('peak_days') or '—'} · {row.get('peak_times') or '—'}",
            ),
            ("Enrolled (plan period)", f"{int(row.get('enrolled') or 0):,}"),
            ("Coverage (enrolled ÷ mid estimate)", coverage),
        ]
        blocks.append(html.H3(str(row.get("name") or "(no name)"), className="h6 mb-1"))
        blocks.append(
            html.Dl(
                [
                    t
                    for k, v in items
                    for t in (html.Dt(k, className="small text-muted"), html.Dd(v))
                ],
                className="mb-2",
            )
        )
    return dbc.Card(
        [
            dbc.CardHeader("Hotspot", className="small fw-semibold"),
            dbc.CardBody(blocks),
            dbc.CardFooter(
                "Counts: programmatic mapping (key informants' min–max); enrolment: programme "
                "data. Restricted: do not share.",
                className="small text-muted",
            ),
        ],
        id="map-hotspot-card",
        className="mb-2",
    )


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
    viewport=Input(ID.viewport, "data"),
    basemap=Input(ID.basemap, "value"),
)


# The map is a pure callback (inputs, dataset and level of detail decide it): answered from the
# shared response cache when the same request was answered before (services.response_cache);
# the timing shown is then the first computation's. A Patch answer is pure too: it depends on
# the request's controls and the drawn state it carries (State ID.drawn).
response_cache.mark_pure(ID.graph, ID.summary, ID.timing, ID.roles, ID.size_legend, ID.scale_note)
response_cache.mark_pure(ID.drawn)


@callback(
    Output(ID.graph, "figure"),
    Output(ID.summary, "children"),
    Output(ID.timing, "children"),
    Output(ID.roles, "data"),
    Output(ID.size_legend, "children"),
    Output(ID.scale_note, "children"),
    Output(ID.drawn, "data"),
    inputs=_MAP_INPUTS,
    state={"drawn": State(ID.drawn, "data")},
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
    viewport: dict[str, Any] | None = None,
    basemap: str | None = "plain",
    drawn: dict[str, Any] | None = None,
) -> tuple[Any, ...]:
    if _shared.dataset_or_none(dataset_id) is None:
        raise dash.exceptions.PreventUpdate
    distance_km, chosen = _allowed_controls(distance_km, filters)
    detail = _shared.hotspot_detail_allowed()
    started = time.perf_counter()
    view = build_map(
        MapRequest(
            dataset_id,
            layers=tuple(layers or ()),
            metric=metric or "coverage_mid",
            colour_by=colour_by if colour_by in ("typology", "coverage") else "typology",
            distance_km=float(distance_km or DEFAULT_DISTANCE_KM),
            filters=chosen,
            selected=selected,
            query=query,
            hotspot_detail=detail,
            # the district layer depends on no view: the aggregate view ignores it
            viewport=map_scale.Viewport.from_dict(viewport) if detail else None,
            viewport_rev=viewport.get("rev") if isinstance(viewport, dict) else None,
            basemap=basemap if basemap in maps.TILE_STYLES else "plain",
        ),
        drawn,
    )
    patched = isinstance(view.figure, dash.Patch)
    ms = 1000 * (time.perf_counter() - started)
    took = f"{'patched' if patched else 'built'} in {ms:.0f} ms"
    log.info("map %s in %.0f ms", "patch" if patched else "figure", ms)
    outputs = (view.figure, view.summary, took, view.roles, view.size_legend, view.scale_note)
    return (*outputs, view.drawn)


# The browser reports the map's bounds and zoom after every pan or zoom (MapLibre's own view,
# rounded), with the figure revision it was measured on; the server draws the hotspots of it.
clientside_callback(
    """function(relayout) {
        const host = document.getElementById('map-graph');
        const gd = host && host.querySelector('.js-plotly-plot');
        const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
        if (!sub || !sub.map) { return window.dash_clientside.no_update; }
        const b = sub.map.getBounds();
        const r = (v) => Math.round(v * 1e4) / 1e4;
        return {west: r(b.getWest()), south: r(b.getSouth()), east: r(b.getEast()),
                north: r(b.getNorth()), zoom: Math.round(sub.map.getZoom() * 100) / 100,
                rev: gd.layout.uirevision};
    }""",
    Output(ID.viewport, "data"),
    Input(ID.graph, "relayoutData"),
    prevent_initial_call=True,
)


@callback(
    Output(ID.detail, "children"),
    inputs=dict(hover=Input(ID.graph, "hoverData"), click=Input(ID.graph, "clickData")),
    state=dict(
        roles=State(ID.roles, "data"),
        dataset_id=State(_shared.DATASET_STORE_ID, "data"),
        query=State(ID.query, "data"),
        filters=_filter_controls(State),
    ),
    prevent_initial_call=True,
)
def _hotspot_detail(
    hover: dict[str, Any] | None,
    click: dict[str, Any] | None,
    roles: list[str] | None,
    dataset_id: str | None,
    query: dict[str, str] | None,
    filters: dict[str, Any] | None,
) -> Any:
    event = click if f"{ID.graph}.clickData" in dash.ctx.triggered_prop_ids else hover
    point = _hotspot_point(event, roles)
    if point is None:
        raise dash.exceptions.PreventUpdate
    # per-spot data: refused (403) in the aggregate-only view whatever the request says
    _shared.require_hotspot_detail("hotspot details")
    if _shared.dataset_or_none(dataset_id) is None:
        raise dash.exceptions.PreventUpdate
    chosen = MapFilters(**(filters or {}))
    return hotspot_card(hotspot_details(dataset_id, query, chosen, *point))


def _hotspot_point(
    event: dict[str, Any] | None, roles: list[str] | None
) -> tuple[float, float] | None:
    """(lat, lon) of a hover or click on the hotspot points trace, None for anything else."""
    points = (event or {}).get("points") or []
    if not points or not isinstance(points[0], dict):
        return None
    first = points[0]
    curve = first.get("curveNumber")
    if not isinstance(curve, int) or not roles or not 0 <= curve < len(roles):
        return None
    if roles[curve] != maps.HOTSPOT_POINTS:
        return None
    try:
        return float(first["lat"]), float(first["lon"])
    except (KeyError, TypeError, ValueError):
        return None


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
