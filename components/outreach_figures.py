"""Figures of the Outreach page: caseload map, day × hour presence heat map, PE grid, calendar
table.

Fed by planning.caseloads / planning.outreach results. Maps use the tile-free "white-bg"
style (offline) and no text labels (MapLibre would need glyphs from the network): hover and
markers say which PE is where. Colours are Paul Tol's colour-blind-safe qualitative palette.
Sent compactly, so a district of 10,000 spots stays light: one trace per layer (every caseload
outline in one polyline), colours as palette indices, hover data as customdata.
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from components import maps
from components.maps import line_trace, map_figure, marker_trace
from components.overview_figures import NUMBER_FILTER, TEXT_FILTER, GridColumn, grid_rows
from planning.caseload_geometry import lonlat_outlines
from planning.caseloads import CaseloadResult
from planning.outreach import (
    WEEKS_PER_MONTH,
    OutreachCalendar,
    OutreachParams,
    contacts_per_person_month,
)
from planning.schema import WEEKDAYS

# Paul Tol "muted" (colour-blind safe, distinguishable in greyscale order).
PE_PALETTE = [
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
    "#AA4499",
]  # fmt: skip

# Markers take a number per point, not a colour string: PE k is drawn with PE_PALETTE[k % 9]
# through this stepped colour scale (a fraction of the bytes of colour strings at 10,000 spots).
_PALETTE_SCALE = [
    [round(edge / len(PE_PALETTE), 6), colour]
    for i, colour in enumerate(PE_PALETTE)
    for edge in (i, i + 1)
]

# Service site drawn as a dark ring (two circles: "circle" is the only marker symbol that needs no
# sprite download on the tile-free style) and its access distance as a thin grey circle.
SITE_COLOUR = "#222222"
OUTLINE_COLOUR = "#333333"  # caseload outlines
AREA_COLOUR = "#777777"  # the district's boundary, the catchment circle
KM_PER_DEG_LAT = (
    110.574  # WGS84 mean, for drawing only (the catchment itself is computed projected)
)
# Coordinates sent to the browser: 5 decimals of a degree is about 1 m; outlines (drawn
# OUTLINE_PAD_M outside the spots) need no more than 4 (about 11 m).
LONLAT_DECIMALS, OUTLINE_DECIMALS = 5, 4
# The view's margin around the area, as a share of its extent (at least MIN_PAD_DEG degrees).
VIEW_PAD_SHARE, MIN_PAD_DEG = 0.05, 0.005
# Level of detail. An area with more spots than DETAIL_MAX_SPOTS (a split spot once per PE) is
# drawn as an overview of caseload outlines and centres; its spots are sent for a view of at most
# VIEW_MAX_SPOTS spots or for the chosen PE. Drawing is what costs: in software WebGL the 100k
# country's largest district (10,692 spots, 3,911 PEs) took 5 s of main-thread work with every
# spot, outline and ringed centre (bench/bench_outreach_page.py); at most 2,000 spots draw in
# well under a second, as the full map always did.
DETAIL_MAX_SPOTS, VIEW_MAX_SPOTS = 2000, 2500
SPOT_TRACE = 2  # the spots trace's index in caseload_map_figure (area, outlines, spots, ...)
# The map's size in pixels (width, height) when a view event gives only centre and zoom.
MAP_VIEW_PX = (1000, 640)


def pe_colours(pe_ids: list[str]) -> dict[str, str]:
    """A palette colour per PE, cycling in PE order (neighbouring PE numbers are neighbours on the
    map)."""
    return {pe: PE_PALETTE[i % len(PE_PALETTE)] for i, pe in enumerate(pe_ids)}


def _palette_marker(pe_codes: np.ndarray, size: Any) -> dict[str, Any]:
    """Marker props that colour point i with PE_PALETTE[pe_codes[i] % 9] (see _PALETTE_SCALE)."""
    return {
        "size": size,
        "color": (pe_codes % len(PE_PALETTE) + 0.5).tolist(),
        "colorscale": _PALETTE_SCALE,
        "cmin": 0,
        "cmax": len(PE_PALETTE),
        "showscale": False,
    }


def _circle_lonlat(
    lon: float, lat: float, radius_km: float, n: int = 72
) -> tuple[list[float], list[float]]:
    """Closed outline of a circle of ``radius_km`` around (lon, lat), for display
    (equirectangular)."""
    angle = np.linspace(0.0, 2 * np.pi, n + 1)
    dlat = radius_km / KM_PER_DEG_LAT
    dlon = radius_km / (KM_PER_DEG_LAT * max(np.cos(np.radians(lat)), 1e-6))
    return (lon + dlon * np.cos(angle)).round(6).tolist(), (lat + dlat * np.sin(angle)).round(
        6
    ).tolist()


def site_traces(site: dict[str, Any]) -> list[dict[str, Any]]:
    """A service site on the map: ring marker (hover: name, id) and, with ``distance_km``, its
    access circle (the catchment's outline).

    ``site``: site_id, name, latitude, longitude and optionally distance_km.
    """
    lon, lat = float(site["longitude"]), float(site["latitude"])
    hover = f"<b>{site.get('name', '')}</b><br>service site {site.get('site_id', '')}"
    traces: list[dict[str, Any]] = []
    if site.get("distance_km"):
        xs, ys = _circle_lonlat(lon, lat, float(site["distance_km"]))
        name = f"Catchment: within {float(site['distance_km']):g} km of the site"
        traces.append(
            line_trace(ys, xs, width=1.5, colour=AREA_COLOUR, name=name, meta="site-distance")
        )
    traces.append(
        marker_trace(
            [lat],
            [lon],
            {"size": 22, "color": SITE_COLOUR},
            text=[hover],
            hovertemplate="%{text}<extra></extra>",
            name="Service site",
            meta="site",
            customdata=[str(site.get("site_id", ""))],
        )
    )
    traces.append(
        marker_trace(
            [lat],
            [lon],
            {"size": 10, "color": "#ffffff"},
            hoverinfo="skip",
            showlegend=False,
            meta="site-centre",
        )
    )
    return traces


def _with_gaps(values: np.ndarray) -> list[float | None]:
    """A JSON-ready list: NaN (a break between polylines) becomes None."""
    return [None if v != v else v for v in values.tolist()]


def area_outline_lonlat(
    boundaries: gpd.GeoDataFrame, district: str, *, tolerance_deg: float = 0.001
) -> tuple[list[float | None], list[float | None]]:
    """The district's boundary as (lon, lat) polylines in decimal degrees, rings separated by
    None, simplified by ``tolerance_deg`` (about 100 m); empty lists for an unknown district."""
    frame = boundaries[boundaries["district"].astype(str) == str(district)]
    if frame.empty:
        return [], []
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    shapes = shapely.simplify(frame.geometry.to_numpy(), tolerance_deg, preserve_topology=True)
    polygons = shapely.get_parts(shapes)
    holes = int(shapely.get_num_interior_rings(polygons).max(initial=0))
    rings = np.concatenate(
        [shapely.get_exterior_ring(polygons)]
        + [shapely.get_interior_ring(polygons, i) for i in range(holes)]
    )
    rings = rings[~shapely.is_missing(rings)]
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    starts = np.flatnonzero(np.diff(ring_of)) + 1
    out = np.insert(coords.round(LONLAT_DECIMALS), np.append(starts, len(coords)), np.nan, axis=0)
    return _with_gaps(out[:, 0]), _with_gaps(out[:, 1])


def area_bounds(
    result: CaseloadResult, site: dict[str, Any] | None = None
) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of the area's spots and its service site, padded by
    VIEW_PAD_SHARE of the extent (at least MIN_PAD_DEG): the map's view."""
    lon = result.spots["longitude"].to_numpy(dtype="float64")
    lat = result.spots["latitude"].to_numpy(dtype="float64")
    if site is not None:
        lon = np.append(lon, float(site["longitude"]))
        lat = np.append(lat, float(site["latitude"]))
    if not len(lon):
        return (32.0, -17.0, 36.0, -9.0)
    pad_lon = max(VIEW_PAD_SHARE * float(np.ptp(lon)), MIN_PAD_DEG)
    pad_lat = max(VIEW_PAD_SHARE * float(np.ptp(lat)), MIN_PAD_DEG)
    return (
        float(lon.min()) - pad_lon,
        float(lat.min()) - pad_lat,
        float(lon.max()) + pad_lon,
        float(lat.max()) + pad_lat,
    )


def _assignments_lonlat(result: CaseloadResult) -> pd.DataFrame:
    """The assignments with their spots' latitude and longitude (a split spot once per PE)."""
    return result.assignments.join(
        result.spots.set_index("hotspot_id")[["latitude", "longitude"]], on="hotspot_id"
    )


def caseload_outline_trace(result: CaseloadResult, *, overview: bool = False) -> dict[str, Any]:
    """Every caseload's outline (its spots' convex hull, padded; a disc or a stadium for one or
    two locations) as one line trace, rings separated by None: fast at hundreds of caseloads.

    ``overview`` (a large area, ``is_overview``): points rounded to OUTLINE_DECIMALS and a point
    that repeats its predecessor after rounding dropped, so thousands of rings stay light."""
    a = _assignments_lonlat(result)
    rings = lonlat_outlines(
        a["longitude"].to_numpy(dtype="float64"),
        a["latitude"].to_numpy(dtype="float64"),
        a["pe_id"].astype(str).to_numpy(),
        quad_segs=1,
    )
    lon, lat = rings.x.round(OUTLINE_DECIMALS), rings.y.round(OUTLINE_DECIMALS)
    if overview and len(lon):
        gap = np.isnan(lon)
        same = np.r_[False, (lon[1:] == lon[:-1]) & (lat[1:] == lat[:-1])] & ~gap
        lon, lat = lon[~same], lat[~same]
    return line_trace(
        _with_gaps(lat),
        _with_gaps(lon),
        width=1.5 if not overview else 1,
        colour=OUTLINE_COLOUR,
        name="Caseload outlines",
        meta="outlines",
    )


def _pe_codes(pe_ids: pd.Series, pes: list[str]) -> np.ndarray:
    """Each row's PE as its position in ``pes`` (its palette colour's index)."""
    return np.asarray(pd.Categorical(pe_ids.astype(str), categories=pes).codes, dtype="int64")


SPOTS_NAME = "Spots (colour = peer educator)"


def _spot_trace(a: pd.DataFrame, pes: list[str], name: str = SPOTS_NAME) -> dict[str, Any]:
    """Spots of ``a`` (``_assignments_lonlat`` rows), coloured by PE (a split spot once per PE);
    hover: PE, spot id, people."""
    people = a["people"].to_numpy(dtype="float64")
    customdata = [
        [pe, h, round(p, 1)]
        for pe, h, p in zip(a["pe_id"].astype(str), a["hotspot_id"].astype(str), people.tolist())
    ]
    return marker_trace(
        a["latitude"].round(LONLAT_DECIMALS).tolist(),
        a["longitude"].round(LONLAT_DECIMALS).tolist(),
        _palette_marker(_pe_codes(a["pe_id"], pes), (6 + 2 * np.sqrt(people)).round(0).tolist()),
        customdata=customdata,
        hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}: "
        "%{customdata[2]} people at this spot<extra></extra>",
        name=name,
        meta="caseloads",
    )


def _centre_traces(
    result: CaseloadResult, pes: list[str], *, overview: bool = False
) -> list[dict[str, Any]]:
    """A marker at each caseload's centre (the PE's colour in a black ring); hover: PE, ORW
    group, people, spots and the radius that holds them (customdata, the PE id first).

    ``overview``: one dark marker per centre, no ring (no spot on the map to match its colour
    to, and half the markers to draw)."""
    frame = result.peer_educators
    lat = frame["latitude"].round(LONLAT_DECIMALS).tolist()
    lon = frame["longitude"].round(LONLAT_DECIMALS).tolist()
    orw = frame.get("orw_group", pd.Series("", index=frame.index)).astype(str)
    customdata = [
        [pe, group, round(float(p)), int(n), round(float(r), 1)]
        for pe, group, p, n, r in zip(
            pes, orw, frame["people"], frame["hotspots"], frame["radius_km"]
        )
    ]
    marker = (
        {"size": 6, "color": OUTLINE_COLOUR}
        if overview
        else _palette_marker(np.arange(len(pes)), 8)
    )
    centres = marker_trace(
        lat,
        lon,
        marker,
        customdata=customdata,
        hovertemplate="<b>%{customdata[0]}</b> (%{customdata[1]})<br>%{customdata[2]} people "
        "at %{customdata[3]} spot(s)<br>every spot within %{customdata[4]} km of this centre"
        "<extra>caseload centre</extra>",
        name="Caseload centre (hover: PE)",
        meta="centres",
    )
    if overview:
        return [centres]
    halo = marker_trace(
        lat, lon, {"size": 14, "color": "#000000"}, hoverinfo="skip", showlegend=False,
        meta="centre-halo",
    )  # fmt: skip
    return [halo, centres]


def is_overview(result: CaseloadResult) -> bool:
    """True when the area has more spots (a split spot once per PE) than DETAIL_MAX_SPOTS: its
    map is drawn as an overview (caseload outlines and centres) and its spots are sent only for
    a zoomed-in view or a chosen PE (``spots_shown``)."""
    return len(result.assignments) > DETAIL_MAX_SPOTS


def view_bounds(relayout: dict[str, Any] | None) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of the map's view from a dcc.Graph ``relayoutData``
    (plotly's ``map._derived`` corners, else its centre and zoom over MAP_VIEW_PX); None when
    the event says nothing about the view (the area's own view, a legend click)."""
    if not isinstance(relayout, dict):
        return None
    derived = relayout.get("map._derived")
    try:
        if isinstance(derived, dict) and derived.get("coordinates"):
            corners = np.asarray(derived["coordinates"], dtype="float64")
            return (
                float(corners[:, 0].min()),
                float(corners[:, 1].min()),
                float(corners[:, 0].max()),
                float(corners[:, 1].max()),
            )
        centre, zoom = relayout.get("map.center"), relayout.get("map.zoom")
        if isinstance(centre, dict) and zoom is not None:
            # web mercator: 512 px span 360 degrees of longitude at zoom 0
            half_lon = MAP_VIEW_PX[0] / 2 * 360.0 / (512 * 2 ** float(zoom))
            lat = float(centre["lat"])
            half_lat = half_lon * MAP_VIEW_PX[1] / MAP_VIEW_PX[0] * np.cos(np.radians(lat))
            lon = float(centre["lon"])
            return (lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)
    except (TypeError, ValueError, KeyError, IndexError):
        return None  # a malformed event (crafted request): the area's own view
    return None


def spots_shown(
    result: CaseloadResult,
    view: tuple[float, float, float, float] | None = None,
    pe_id: str | None = None,
    *,
    max_spots: int = VIEW_MAX_SPOTS,
) -> dict[str, Any]:
    """The spots trace of an overview map (``is_overview``) for a view and a chosen PE: every
    spot in ``view`` when at most ``max_spots`` are, else the chosen PE's spots (none without
    one); its legend name says which and how to see more."""
    a = _assignments_lonlat(result)
    pes = result.peer_educators["pe_id"].astype(str).tolist()
    total = len(a)
    if view is not None:
        lon0, lat0, lon1, lat1 = view
        inside = a["longitude"].between(lon0, lon1) & a["latitude"].between(lat0, lat1)
        if int(inside.sum()) <= max_spots:
            return _spot_trace(a[inside], pes, f"Spots in view: {int(inside.sum()):,} of {total:,}")
    hint = f"zoom in to at most {max_spots:,} spots to see them all"
    if pe_id:
        mine = a[a["pe_id"].astype(str) == str(pe_id)]
        return _spot_trace(mine, pes, f"Spots of {pe_id} ({len(mine):,}); {hint}")
    return _spot_trace(a.iloc[:0], pes, f"Spots: {total:,}; {hint} or choose a PE")


def caseload_map_figure(
    result: CaseloadResult,
    *,
    note: str = "",
    site: dict[str, Any] | None = None,
    area_outline: tuple[list[float | None], list[float | None]] | None = None,
    sites: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The caseload map: the area's outline, each caseload's outline, spots coloured by PE, a
    marker at each caseload's centre (hover: its PE) and the service sites, zoomed to the area
    (``area_bounds``).

    A large area (``is_overview``) is drawn as an overview: outlines lighter, one dark marker
    per centre and no spots (``spots_shown`` fills trace SPOT_TRACE for a zoomed-in view or a
    chosen PE). The traces' order is fixed (area, outlines, spots, ...), so the spots can be
    replaced without sending the figure again.

    ``area_outline``: the district's boundary (``area_outline_lonlat``); ``sites``: the
    district's service sites (site_id, name, latitude, longitude, site_type, ...), drawn as on
    the Map page; ``site`` (site_id, name, latitude, longitude, optional distance_km): the
    service site whose catchment the spots are, with its catchment circle.
    """
    pes = result.peer_educators["pe_id"].astype(str).tolist()
    overview = is_overview(result)
    lon, lat = area_outline if area_outline is not None else ([], [])
    traces: list[dict[str, Any]] = [
        line_trace(lat, lon, width=2, colour=AREA_COLOUR, name="District boundary", meta="area",
                   showlegend=bool(lon)),
        caseload_outline_trace(result, overview=overview) if len(result.assignments)
        else line_trace([], [], width=1, colour=OUTLINE_COLOUR, name="Caseload outlines",
                        meta="outlines"),
        spots_shown(result) if overview else _spot_trace(_assignments_lonlat(result), pes),
    ]  # fmt: skip
    if pes:
        traces.extend(_centre_traces(result, pes, overview=overview))
    if sites is not None and not sites.empty:
        traces.extend(maps.site_traces(sites))
    if site is not None:
        traces.extend(site_traces(site))
    fig = map_figure(
        traces,
        area_bounds(result, site),
        uirevision=f"outreach-{result.district}",
        title=f"Caseloads of {len(pes)} peer educators in {result.district}",
        note=note,
        legend_below=True,  # never over the caseloads
    )
    fig["layout"]["showlegend"] = True
    return fig


def presence_heatmap_figure(
    grid: pd.DataFrame, *, title: str = "People at peak by day and hour"
) -> dict[str, Any]:
    """Day (rows Mon..Sun) × hour heat map of people present at peak (viridis: colour-blind
    safe)."""
    z = grid.reindex(WEEKDAYS).to_numpy().round(1)
    hours = [f"{h:02d}:00" for h in grid.columns]
    return {
        "data": [
            dict(
                type="heatmap",
                z=z.tolist(),
                x=hours,
                y=WEEKDAYS,
                colorscale="Viridis",
                colorbar={"title": {"text": "people"}},
                hovertemplate="%{y} %{x}: %{z:.0f} people at peak<extra></extra>",
                meta="presence",
            )
        ],
        "layout": dict(
            title={"text": title, "x": 0.01, "font": {"size": 14}},
            height=300,
            margin={"l": 50, "r": 10, "t": 40, "b": 60},
            xaxis={"title": {"text": "hour of the day (start)"}, "tickangle": -45},
            yaxis={"title": {"text": "day"}, "autorange": "reversed"},
        ),
    }


# --- the PE grid --------------------------------------------------------------------------------

_YES_NO = {"function": "params.value ? 'yes' : 'no'"}
_YES_NO_FILTER = {"function": "params.data.overloaded ? 'yes' : 'no'"}
PE_GRID_COLUMNS: list[GridColumn] = [
    GridColumn("pe_id", "PE", "Peer educator (id kept when caseloads are re-planned)", None,
               TEXT_FILTER),
    GridColumn("people", "People", "Planning population of the caseload (people)", None),
    GridColumn("spots", "Spots", "Spots in the caseload (a split spot counts for each PE)",
               None),
    GridColumn("radius_km", "Radius (km)", "Largest distance from the caseload's centre (the "
               "mean of its spots) to one of its spots: at most the walking limit", None),
    GridColumn("walk_km", "Walk (km)", "Straight-line walk around the caseload's spots", None),
    GridColumn("contacts", "Contacts / month", "Contacts needed a month: people × "
               "the mean contacts per person of the risk mix", None),
    GridColumn("load_pct", "Load (%)", "Contacts needed a month ÷ the PE's monthly capacity", None),
    GridColumn("orw", "ORW group", "Outreach worker who supervises the PE", None,
               TEXT_FILTER),
    GridColumn("overloaded", "Overloaded", "Some visits do not fit the spots' peak windows or "
               "the working hours, or the contacts exceed the capacity", _YES_NO, TEXT_FILTER),
    GridColumn("peak", "Peak windows", "The spots' peak days and times (the first three)",
               None, TEXT_FILTER),
]  # fmt: skip


def pe_table_frame(result: CaseloadResult, calendar: OutreachCalendar) -> pd.DataFrame:
    """One row per PE, columns of PE_GRID_COLUMNS (short keys: they repeat in every row the grid
    gets): numbers stay numbers (people, radius and walk rounded for reading), ``overloaded`` a
    bool."""
    pes = result.peer_educators.merge(
        calendar.load, on=["pe_id"], how="left", suffixes=("", "_load")
    )
    spots = result.spots.set_index("hotspot_id")
    windows = (
        result.assignments.join(spots[["peak_days", "peak_times"]], on="hotspot_id")
        .assign(
            w=lambda f: (
                f["peak_days"].fillna("").replace("", "any day") + " " + f["peak_times"].fillna("")
            ).str.strip()
        )
        .groupby("pe_id")["w"]
        .apply(lambda s: "; ".join(sorted(set(s))[:3]) + (" …" if s.nunique() > 3 else ""))
    )
    zero = pd.Series(0.0, index=pes.index)
    return pd.DataFrame(
        {
            "pe_id": pes["pe_id"].astype(str),
            "people": pes["people"].round(0).astype(int),
            "spots": pes["hotspots"].astype(int),
            "radius_km": pes["radius_km"].astype(float).round(2),
            "walk_km": pes.get("walking_km", zero).astype(float).round(1),
            "contacts": pes["contacts_per_month"].round(0).astype(int),
            "load_pct": pes["load_pct"].round(0).astype(int),
            "orw": pes.get("orw_group", pd.Series("", index=pes.index)).astype(str),
            "overloaded": pes["overloaded"].astype(bool),
            "peak": pes["pe_id"].map(windows).fillna("").astype(str),
        }
    )


def pe_grid_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The grid's rowData: JSON-safe records of ``pe_table_frame`` (text formula-safe for the
    CSV export)."""
    return grid_rows(table, [c.field for c in PE_GRID_COLUMNS])


def pe_grid(grid_id: str, *, height_px: int = 380) -> dag.AgGrid:
    """The PE grid (rows come from a callback): sorting, filters, one row selected at a time
    (its PE's calendar is shown), CSV export of the rows as sorted and filtered."""
    defs: list[dict[str, Any]] = []
    for field, header, tip, fmt, flt in PE_GRID_COLUMNS:
        d: dict[str, Any] = {
            "field": field,
            "headerName": header,
            "headerTooltip": tip,
            "filter": flt,
            "sortable": True,
            # the CSV carries the values, not their display ("yes"/"no" stays true/false)
            "useValueFormatterForExport": False,
        }
        if fmt is not None:
            d["valueFormatter"] = fmt
        if fmt is _YES_NO:  # shown and filtered as yes/no, not as a checkbox
            d.update(cellDataType="text", filterValueGetter=_YES_NO_FILTER)
        if flt == NUMBER_FILTER:
            d["type"] = "rightAligned"
        if field == "pe_id":
            d.update(pinned="left", flex=None, width=170)
        if field == "peak":
            d.update(flex=2, minWidth=200)
        defs.append(d)
    return dag.AgGrid(
        id=grid_id,
        rowData=[],
        columnDefs=defs,
        getRowId="params.data.pe_id",
        defaultColDef={
            "resizable": True,
            "floatingFilter": True,
            "flex": 1,
            "minWidth": 95,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        csvExportParams={"fileName": "peer-educators.csv"},
        dashGridOptions={
            "rowSelection": {
                "mode": "singleRow",
                "checkboxes": False,
                "enableClickSelection": True,
            },
            "tooltipShowDelay": 300,
            "animateRows": False,
            "enableCellTextSelection": True,
        },
        style={"height": f"{height_px}px", "width": "100%"},
    )


def calendar_frame(calendar: OutreachCalendar, spots: pd.DataFrame, pe_id: str) -> pd.DataFrame:
    """One PE's weekly visits: day, time, spot, name, contacts per week."""
    v = calendar.visits[calendar.visits["pe_id"] == pe_id]
    names = (
        spots.set_index("hotspot_id")["name"] if "name" in spots.columns else pd.Series(dtype=str)
    )
    return pd.DataFrame(
        {
            "day": v["day"],
            "time": [f"{s:02d}:00–{e:02d}:00" for s, e in zip(v["start_h"], v["end_h"])],
            "spot": v["hotspot_id"],
            "name": v["hotspot_id"].map(names).fillna(""),
            "contacts / week": v["contacts_per_week"].round(1),
        }
    )


# --- words ---------------------------------------------------------------------------------------


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def plan_difference_text(result: CaseloadResult) -> str:
    """Why the field plan (caseloads) needs more or fewer PEs than the plan (⌈people ÷ people per
    PE⌉, as Overview and Scenarios count them), in plain words."""
    plan, field = result.plan_peer_educators, result.pe_count
    cap, limit = result.people_per_pe, result.walking_limit_km
    isolated = result.isolated_hotspots
    people = float(result.assignments["people"].sum()) if len(result.assignments) else 0.0
    head = (
        f"The plan (Overview, Scenarios) counts ⌈{people:,.0f} people ÷ {cap:g} people per PE⌉ = "
        f"{plan:,} PEs; the caseloads need {field:,}"
    )
    if field <= plan:
        return head + ": the field plan needs no more PEs than the plan."
    why = [
        f"{_plural(isolated, 'spot lies', 'spots lie')} farther than {limit:g} km (the walking "
        "limit) from every other spot, so each is a caseload of its own"
        if isolated
        else "no spot is isolated (each has another spot within the walking limit)",
        "a PE takes whole spots (only a spot with more than "
        f"{cap:g} people is split between PEs) and all her spots lie within {limit:g} km of her "
        f"caseload's centre, so a caseload seldom holds exactly {cap:g} people",
    ]
    return f"{head}, {field - plan:,} more: {why[0]}; and {why[1]}."


def load_definition(params: OutreachParams) -> str:
    """The tooltip that defines Load (%) with its assumptions and the numbers they give."""
    mix = dict(params.risk_mix)
    per_person = contacts_per_person_month(mix)
    per_hour = 60.0 / float(params.minutes_per_contact)
    capacity = float(params.hours_per_day) * params.days_per_week * per_hour * WEEKS_PER_MONTH
    return (
        "Load (%) = contacts needed a month ÷ the PE's monthly capacity. Contacts needed = people "
        f"× {per_person:.2f} contacts a person a month: {mix.get('high', 0):.0%} high risk seen "
        f"weekly ({WEEKS_PER_MONTH:.2f} a month), {mix.get('medium', 0):.0%} medium twice a "
        f"month, {mix.get('low', 0):.0%} low monthly (AMETHIST frequencies; the mix is an "
        "assumption). Capacity = hours per day × days per week × contacts per hour × "
        f"{WEEKS_PER_MONTH:.2f} weeks = {float(params.hours_per_day):g} × {params.days_per_week} "
        f"× {per_hour:g} ({float(params.minutes_per_contact):g} minutes a contact) × "
        f"{WEEKS_PER_MONTH:.2f} = {capacity:,.0f} contacts a month (days a week and minutes a "
        "contact are assumptions). A PE is overloaded above 100% or when some visits do not fit "
        "her spots' peak windows."
    )
