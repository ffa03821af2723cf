"""Map figure builders (pure: frames in, plotly figure out) for the Map page.

Traces and figures are plain plotly-JSON dicts (``{"type": "scattermap", ...}``), not
graph_objects: building go objects for 1,500 hotspots and a country's polygons took
~250 ms of validation and deep copies per callback, dicts take a few ms (bench/bench_callbacks.py).
``plotly.graph_objects.Figure(fig)`` turns one into a validated figure when needed.

Works offline: ``map.style = "white-bg"`` needs no tiles, and no trace uses text or
symbol markers (MapLibre would need glyphs and sprites from the network). Sites get
their own shape by stacking a white circle on a larger black one. Colours are readable by
colour-blind users: Okabe–Ito for categories, cividis/viridis for continuous values.
"""

from __future__ import annotations

import html
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

# Okabe & Ito (2008) colour-universal-design palette without black (kept for site outlines),
# extended by three colours of Paul Tol's colour-blind-safe "muted" scheme; grey is "other".
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"]
CATEGORY_COLOURS = OKABE_ITO + ["#332288", "#882255", "#117733"]
OTHER_COLOUR = "#999999"
# Sites: greyscale dots in a black ring, so they never look like a (coloured) hotspot.
SITE_COLOURS = ["#FFFFFF", "#C8C8C8", "#8C8C8C", "#505050", "#E0E0E0", "#6E6E6E"]
OUTLINE = "#000000"

# Choropleth metrics: column in the plan's district table, label with unit, colour scale,
# and how to format the value in hover text.
CHOROPLETH_METRICS: dict[str, dict[str, str]] = {
    "coverage_mid": {
        "label": "Coverage (enrolled ÷ estimate, %)",
        "scale": "Cividis",
        "fmt": "pct",
    },
    "gap": {"label": "Gap (people not yet enrolled)", "scale": "Viridis", "fmt": "int"},
    "density_per_km2": {"label": "Density (people per km²)", "scale": "Viridis", "fmt": "float"},
    "estimate_mid": {"label": "Estimate (people, mid)", "scale": "Viridis", "fmt": "int"},
}
MAP_HEIGHT_PX = 640
HOTSPOT_SIZE_PX = (4.0, 26.0)


def marker_trace(
    lat: list[Any], lon: list[Any], marker: dict[str, Any], **props: Any
) -> dict[str, Any]:
    """A scattermap trace of markers at ``lat``/``lon`` (plotly-JSON dict), with more ``props``."""
    return dict(type="scattermap", lat=lat, lon=lon, mode="markers", marker=marker, **props)


def line_trace(
    lat: list[Any], lon: list[Any], *, width: float, colour: str, **props: Any
) -> dict[str, Any]:
    """A scattermap polyline trace without hover (None in ``lat``/``lon`` separates lines)."""
    line = {"width": width, "color": colour}
    return dict(
        type="scattermap", lat=lat, lon=lon, mode="lines", line=line, hoverinfo="skip", **props
    )


def typology_colours(typologies: list[str] | pd.Series) -> dict[str, str]:
    """A stable colour-blind-safe colour per typology: sorted names, "other"/"" grey.

    Distinct for up to 10 named typologies; the palette repeats beyond that.
    """
    names = sorted({str(t) for t in pd.unique(pd.Series(typologies, dtype="object"))})
    named = [n for n in names if n not in {"other", ""}]
    colours = {name: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, name in enumerate(named)}
    colours.update({n: OTHER_COLOUR for n in names if n in {"other", ""}})
    return colours


def district_geojson(
    boundaries: gpd.GeoDataFrame, *, tolerance_deg: float = 0.002
) -> dict[str, Any]:
    """GeoJSON FeatureCollection of the districts (WGS84), simplified by ``tolerance_deg`` degrees.

    Each feature has ``id`` and ``properties.district`` = the district name (featureidkey).
    Simplification keeps the page light (a few hundred kB for a country); topology is kept.
    """
    frame = boundaries[["district", "geometry"]].copy()
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    if tolerance_deg > 0:
        frame["geometry"] = frame.geometry.simplify(tolerance_deg, preserve_topology=True)
    frame["district"] = frame["district"].astype(str)
    geo = frame.__geo_interface__
    features = []
    for feature in geo["features"]:
        name = feature["properties"]["district"]
        features.append(
            {
                "type": "Feature",
                "id": name,
                "properties": {"district": name},
                "geometry": _rounded(feature["geometry"]),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _rounded(geometry: dict[str, Any], ndigits: int = 5) -> dict[str, Any]:
    """Coordinates rounded to ``ndigits`` decimals (about 1 m): smaller JSON, same drawing."""

    def walk(coords: Any) -> Any:
        if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
            return [round(float(c), ndigits) for c in coords]
        return [walk(c) for c in coords]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def _fmt_value(value: float, fmt: str) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    if fmt == "pct":
        return f"{100 * value:.0f}%"
    if fmt == "int":
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def coverage_range_text(low: float, high: float) -> str:
    """A labelled coverage range, e.g. "coverage 41–63%" ("coverage n/a" without an estimate)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "coverage n/a (no estimate)"
    return f"coverage {100 * low:.0f}–{100 * high:.0f}%"


def district_hover_text(districts: pd.DataFrame) -> list[str]:
    """One hover label per district: name, estimate range, enrolled, coverage range, gap,
    density."""

    def num(row: pd.Series, col: str) -> float:
        return float(row[col]) if col in row.index and pd.notna(row[col]) else float("nan")

    texts = []
    for _, row in districts.iterrows():
        region = f" ({html.escape(str(row['region']))})" if row.get("region") else ""
        parts = [f"<b>{html.escape(str(row['district']))}</b>" + region]
        if bool(row.get("suppressed", False)):
            # disclosure control (planning.disclosure): only the name and enrolment are shown
            parts.append("figures suppressed: too few hotspots or people to publish")
            if "enrolled" in row.index:
                parts.append(f"enrolled {num(row, 'enrolled'):,.0f}")
            texts.append("<br>".join(parts))
            continue
        if "estimate_low" in row.index:
            parts.append(
                f"estimate {num(row, 'estimate_low'):,.0f}–{num(row, 'estimate_high'):,.0f} people"
                f" (mid {num(row, 'estimate_mid'):,.0f})"
            )
        if "enrolled" in row.index:
            parts.append(f"enrolled {num(row, 'enrolled'):,.0f}")
        if "coverage_low" in row.index:
            parts.append(coverage_range_text(num(row, "coverage_low"), num(row, "coverage_high")))
        if "gap" in row.index:
            parts.append(f"gap {num(row, 'gap'):,.0f} people")
        if "density_per_km2" in row.index:
            parts.append(f"density {_fmt_value(num(row, 'density_per_km2'), 'float')} per km²")
        if "hotspots" in row.index:
            parts.append(
                f"{int(num(row, 'hotspots') if np.isfinite(num(row, 'hotspots')) else 0):,} "
                "hotspots"
            )
        texts.append("<br>".join(parts))
    return texts


def district_choropleth_trace(
    districts: pd.DataFrame,
    geojson: dict[str, Any],
    metric: str = "coverage_mid",
    *,
    value_range: tuple[float, float] | None = None,
    legend_below: bool = False,
) -> dict[str, Any]:
    """Districts coloured by ``metric`` (a CHOROPLETH_METRICS key); hover gives the labelled
    ranges.

    ``value_range`` fixes the colour scale (zmin, zmax in the metric's shown unit, e.g. the
    range over every district, so that a filter to one district does not stretch 89.8–90.6
    over the whole scale); ``legend_below`` puts the colour bar under the map, off the data.
    """
    if metric not in CHOROPLETH_METRICS:
        raise ValueError(
            f"metric={metric!r} is not one of {sorted(CHOROPLETH_METRICS)}; "
            "choose coverage_mid, gap, density_per_km2 or estimate_mid"
        )
    spec = CHOROPLETH_METRICS[metric]
    values = pd.to_numeric(districts[metric], errors="coerce").to_numpy(dtype="float64")
    z = values * 100 if spec["fmt"] == "pct" else values
    return dict(
        type="choroplethmap",
        geojson=geojson,
        featureidkey="properties.district",
        locations=districts["district"].astype(str).tolist(),
        z=[None if not np.isfinite(v) else round(float(v), 3) for v in z],
        colorscale=spec["scale"],
        marker={"opacity": 0.65, "line": {"width": 0.8, "color": "#444"}},
        colorbar=colorbar_below(spec["label"], slot=0)
        if legend_below
        else {
            "title": {"text": spec["label"], "side": "right"},
            "x": 0.99,
            "xanchor": "right",
            "y": 0.98,
            "yanchor": "top",
            "len": 0.5,
            "thickness": 14,
            "bgcolor": "rgba(255,255,255,0.8)",
        },
        text=district_hover_text(districts),
        hovertemplate="%{text}<extra></extra>",
        name=f"Districts: {spec['label'].split(' (')[0].lower()}",
        showlegend=True,
        showscale=True,
        meta="districts",
        **_z_range(value_range),
    )


def _z_range(value_range: tuple[float, float] | None) -> dict[str, Any]:
    if value_range is None:
        return {}
    low, high = value_range
    if not (np.isfinite(low) and np.isfinite(high)):
        return {}
    if high <= low:
        high = low + 1.0
    return {"zmin": round(float(low), 3), "zmax": round(float(high), 3), "zauto": False}


def metric_range(districts: pd.DataFrame, metric: str) -> tuple[float, float] | None:
    """The colour range of ``metric`` over ``districts`` (all of the country, not the filtered
    ones), in the unit the choropleth shows: coverage 0 to at least 100%, others min–max."""
    spec = CHOROPLETH_METRICS[metric]
    values = pd.to_numeric(districts[metric], errors="coerce").to_numpy(dtype="float64")
    values = values[np.isfinite(values)]
    if spec["fmt"] == "pct":
        top = float(values.max()) * 100 if values.size else 100.0
        return 0.0, max(100.0, top)
    if not values.size:
        return None
    return float(min(values.min(), 0.0)), float(values.max())


# Colour bars under the map (horizontal, side by side): slot 0 the districts, slot 1 hotspots.
COLORBAR_BELOW_Y = -0.015


def colorbar_below(title: str, *, slot: int) -> dict[str, Any]:
    """A horizontal colour bar under the map in half ``slot`` (0 left, 1 right), off the data."""
    return {
        "title": {"text": title, "side": "top", "font": {"size": 11}},
        "orientation": "h",
        "x": 0.0 if slot == 0 else 0.52,
        "xanchor": "left",
        "y": COLORBAR_BELOW_Y,
        "yanchor": "top",
        "len": 0.46,
        "thickness": 10,
        "tickfont": {"size": 10},
    }


def district_outline_trace(geojson: dict[str, Any]) -> dict[str, Any]:
    """District boundaries with no fill (when the choropleth layer is off): orientation only."""
    names = [f["properties"]["district"] for f in geojson["features"]]
    return dict(
        type="choroplethmap",
        geojson=geojson,
        featureidkey="properties.district",
        locations=names,
        z=[0] * len(names),
        colorscale=[[0, "rgba(240,240,240,0.4)"], [1, "rgba(240,240,240,0.4)"]],
        showscale=False,
        marker={"line": {"width": 0.8, "color": "#666"}},
        text=names,
        hovertemplate="<b>%{text}</b><extra></extra>",
        name="District boundaries",
        showlegend=True,
        meta="districts",
    )


def hotspot_marker_size_px(values: pd.Series | np.ndarray) -> np.ndarray:
    """Marker diameters in px ∝ sqrt(people) (area ∝ people), clipped to HOTSPOT_SIZE_PX."""
    v = np.nan_to_num(np.asarray(values, dtype="float64"), nan=0.0).clip(min=0)
    lo, hi = HOTSPOT_SIZE_PX
    top = float(np.sqrt(v.max())) if len(v) and v.max() > 0 else 1.0
    return lo + (hi - lo) * np.sqrt(v) / top


# --- hotspots at any scale: points near, grid cells far (components.map_scale) --------------

CELL_SIZE_PX = (8.0, 44.0)
HOTSPOT_POINTS = "hotspots"  # meta of the trace of single hotspots
HOTSPOT_CELLS = "hotspot-cells"  # meta of the trace of aggregated grid cells
TYPOLOGY_LEGEND = "legend-typology"  # meta of the legend-only typology entries
COVERAGE_TITLE = "Hotspot coverage % (enrolled ÷ mid estimate)"


def size_px(
    values: pd.Series | np.ndarray, reference: float, size_range: tuple[float, float]
) -> np.ndarray:
    """Diameters in px ∝ sqrt(people) (area ∝ people), ``reference`` people at the largest size.

    A fixed reference (the dataset's largest hotspot) keeps a spot's size the same at every
    zoom and filter; values above it are clipped to the largest size.
    """
    v = np.nan_to_num(np.asarray(values, dtype="float64"), nan=0.0).clip(min=0)
    lo, hi = size_range
    top = math.sqrt(reference) if reference > 0 else 1.0
    return np.minimum(lo + (hi - lo) * np.sqrt(v) / top, hi)


def size_legend(reference: float, size_range: tuple[float, float]) -> list[tuple[int, float]]:
    """Three (people, diameter px) pairs for a size legend: round numbers up to ``reference``."""
    if reference <= 0:
        return []
    top = _round_number(reference)
    people = sorted({max(1, _round_number(top / 10)), max(1, _round_number(top / 2)), top})
    return [(p, round(float(size_px(np.array([p]), reference, size_range)[0]), 1)) for p in people]


def _round_number(value: float) -> int:
    """``value`` rounded down to 1, 2 or 5 times a power of ten (at least 1)."""
    if value < 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return int(max(m * power for m in (1, 2, 5) if m * power <= value))


def hotspot_colour(
    frame: pd.DataFrame, colour_by: str, palette: dict[str, str], *, legend_below: bool = True
) -> dict[str, Any]:
    """The marker colour fields of hotspots or cells: typology colours (``palette``) or coverage
    on cividis 0–100% with its colour bar. The same keys in both modes, so a colour switch
    patches them in place."""
    if colour_by not in {"typology", "coverage"}:
        raise ValueError(f"colour_by={colour_by!r}: choose 'typology' or 'coverage'")
    if colour_by == "coverage":
        cov = pd.to_numeric(frame["coverage_mid"], errors="coerce").clip(0, 1) * 100
        return {
            "color": cov.fillna(0).round(1).tolist(),
            "colorscale": "Cividis",
            "cmin": 0,
            "cmax": 100,
            "showscale": True,
            "colorbar": colorbar_below(COVERAGE_TITLE, slot=1)
            if legend_below
            else {"title": {"text": COVERAGE_TITLE}, "len": 0.4, "thickness": 12},
        }
    colours = frame["typology"].astype(str).map(palette).fillna(OTHER_COLOUR)
    return {
        "color": colours.tolist(),
        "colorscale": None,
        "cmin": None,
        "cmax": None,
        "showscale": False,
        "colorbar": None,
    }


def hotspot_points_trace(
    points: pd.DataFrame, colour_by: str, palette: dict[str, str], reference: float
) -> dict[str, Any]:
    """Single hotspots as markers: position, size (∝ people, mid estimate) and colour only.

    No ids, names or hover text go to the browser: hovering or clicking a spot asks the server
    for that one spot (pages.map), which checks the level of detail first.
    """
    return _located_markers(
        points,
        colour_by,
        palette,
        reference,
        HOTSPOT_SIZE_PX,
        opacity=0.85,
        hoverinfo="none",
        name="Hotspots (size = people at peak)",
        showlegend=False,
        meta=HOTSPOT_POINTS,
    )


def _located_markers(
    frame: pd.DataFrame,
    colour_by: str,
    palette: dict[str, str],
    reference: float,
    size_range: tuple[float, float],
    *,
    opacity: float,
    **props: Any,
) -> dict[str, Any]:
    """Markers at the frame's latitude/longitude (5 decimals), sized by estimate_mid against
    ``reference`` and coloured by hotspot_colour."""
    marker = {
        "size": size_px(frame["estimate_mid"], reference, size_range).round(1).tolist(),
        "opacity": opacity,
        **hotspot_colour(frame, colour_by, palette),
    }
    return marker_trace(
        frame["latitude"].round(5).tolist(), frame["longitude"].round(5).tolist(), marker, **props
    )


def cell_hover_text(cells: pd.DataFrame) -> list[str]:
    """One hover label per grid cell: hotspots, estimate range, enrolled, coverage."""
    texts = []
    for row in cells.itertuples(index=False):
        cov = float(row.coverage_mid)
        coverage = f"coverage {100 * cov:.0f}%" if np.isfinite(cov) else "coverage n/a"
        texts.append(
            f"<b>{int(row.hotspots):,} hotspots</b> in this cell<br>"
            f"estimate {row.estimate_low:,.0f}–{row.estimate_high:,.0f} people at peak "
            f"(mid {row.estimate_mid:,.0f})<br>enrolled {row.enrolled:,.0f} · {coverage}<br>"
            f"largest share: {html.escape(str(row.typology))} · zoom in to see the spots"
        )
    return texts


def hotspot_cells_trace(
    cells: pd.DataFrame, colour_by: str, palette: dict[str, str], reference: float
) -> dict[str, Any]:
    """Grid cells of hotspots as bubbles at the cell centres: area ∝ people (mid estimate),
    colour = the typology with most people or the cell's coverage."""
    return _located_markers(
        cells,
        colour_by,
        palette,
        reference,
        CELL_SIZE_PX,
        opacity=0.8,
        text=cell_hover_text(cells),
        hovertemplate="%{text}<extra></extra>",
        name="Hotspots per grid cell (size = people at peak)",
        showlegend=False,
        meta=HOTSPOT_CELLS,
    )


def typology_legend_traces(palette: dict[str, str], *, visible: bool) -> list[dict[str, Any]]:
    """Legend-only entries, one per typology (the hotspot traces carry no legend of their own)."""
    return [
        marker_trace(
            [None],
            [None],
            {"size": 10, "color": colour},
            name=f"Hotspot: {typology}",
            hoverinfo="skip",
            visible=visible,
            meta=TYPOLOGY_LEGEND,
        )
        for typology, colour in palette.items()
    ]


# --- offline context: Natural Earth lakes, rivers, borders and towns (assets/basemap) ----------

BASEMAP_FILE = Path(__file__).resolve().parents[1] / "assets" / "basemap" / "africa.json"
BASEMAP_PLACES = "basemap-places"
BASEMAP_SOURCE = "Context: Natural Earth (public domain)"
_BASEMAP_STYLE: dict[str, dict[str, Any]] = {
    "lakes": {"type": "fill", "color": "#a6cee3", "opacity": 0.9},
    "rivers": {"type": "line", "color": "#5b9bd5", "line": {"width": 1.2}, "opacity": 0.8},
    "coastline": {"type": "line", "color": "#7f7f7f", "line": {"width": 1}},
    "borders": {"type": "line", "color": "#555555", "line": {"width": 1.5, "dash": [3, 2]}},
}


@lru_cache(maxsize=1)
def _basemap() -> dict[str, Any]:
    return json.loads(BASEMAP_FILE.read_text(encoding="utf-8"))


def _feature_bounds(coords: Any) -> tuple[float, float, float, float]:
    flat = np.asarray(_flatten(coords), dtype="float64").reshape(-1, 2)
    return (
        float(flat[:, 0].min()),
        float(flat[:, 1].min()),
        float(flat[:, 0].max()),
        float(flat[:, 1].max()),
    )


def _flatten(coords: Any) -> list[float]:
    if coords and isinstance(coords[0], (int, float)):
        return list(coords[:2])
    return [v for c in coords for v in _flatten(c)]


def basemap_features(
    bounds: tuple[float, float, float, float], *, margin_deg: float = 3.0
) -> dict[str, dict[str, Any]]:
    """The vendored Natural Earth layers (lakes, rivers, coastline, borders, places) as GeoJSON
    FeatureCollections, keeping the features that reach within ``margin_deg`` of ``bounds``."""
    minx, miny, maxx, maxy = bounds
    box_ = (minx - margin_deg, miny - margin_deg, maxx + margin_deg, maxy + margin_deg)
    layers = {}
    for name, collection in _basemap()["layers"].items():
        kept = []
        for feature in collection["features"]:
            fx0, fy0, fx1, fy1 = _feature_bounds(feature["geometry"]["coordinates"])
            if fx1 >= box_[0] and fx0 <= box_[2] and fy1 >= box_[1] and fy0 <= box_[3]:
                kept.append(feature)
        layers[name] = {"type": "FeatureCollection", "features": kept}
    return layers


def basemap_layers(features: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """MapLibre layers (``layout.map.layers``) for lakes, rivers, coastline and borders: drawn
    from the vendored GeoJSON, no tiles and no network."""
    return [
        {"sourcetype": "geojson", "source": features[name], "name": name, **style}
        for name, style in _BASEMAP_STYLE.items()
        if features.get(name, {}).get("features")
    ]


def places_trace(features: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Towns (Natural Earth populated places) as small dark squares-ish dots named on hover
    (MapLibre text labels would need glyphs from the network)."""
    places = features.get("places", {}).get("features", [])
    lon = [f["geometry"]["coordinates"][0] for f in places]
    lat = [f["geometry"]["coordinates"][1] for f in places]
    names = [html.escape(str(f["properties"].get("name", ""))) for f in places]
    return marker_trace(
        lat,
        lon,
        {"size": 6, "color": "#222222", "opacity": 0.9},
        text=names,
        hovertemplate="%{text} (town)<extra></extra>",
        name="Towns (Natural Earth)",
        showlegend=bool(places),
        meta=BASEMAP_PLACES,
    )


def site_dot_px(ring_px: float) -> float:
    """The white dot inside a site's black ring of ``ring_px`` (10 px in a 17 px ring)."""
    return round(ring_px * 10 / 17, 1)


SITE_HOVER = (
    "<b>%{customdata[1]}</b> (%{customdata[0]})<br>type %{customdata[2]}<br>"
    "services %{customdata[3]}<br>open %{customdata[4]} %{customdata[5]}<extra></extra>"
)


def _column_text(frame: pd.DataFrame, col: str) -> list[str]:
    """The column as text with "—" for empty cells (all "—" when the column is absent)."""
    return frame[col].astype(str).replace("", "—").tolist() if col in frame else ["—"] * len(frame)


def site_traces(sites: pd.DataFrame, *, size_px: float = 17.0) -> list[dict[str, Any]]:
    """Service sites as a white dot in a black ring (two stacked circle traces per site type),
    the ring ``size_px`` wide.

    Symbol markers are not used: they need MapLibre sprites, which are unavailable offline.
    """
    if sites.empty:
        return []
    traces = []
    for i, site_type in enumerate(sorted(sites["site_type"].astype(str).unique())):
        part = sites[sites["site_type"].astype(str) == site_type]
        custom = [
            list(row)
            for row in zip(
                part["site_id"].astype(str).tolist(),
                part["name"].astype(str).tolist(),
                [site_type] * len(part),
                _column_text(part, "services"),
                _column_text(part, "open_days"),
                _column_text(part, "open_hours"),
            )
        ]
        group = f"site-{site_type}"
        lat, lon = part["latitude"].tolist(), part["longitude"].tolist()
        traces.append(
            marker_trace(
                lat,
                lon,
                {"size": size_px, "color": OUTLINE},
                hoverinfo="skip",
                showlegend=False,
                legendgroup=group,
                name=f"Site: {site_type}",
                meta="sites-outline",
            )
        )
        traces.append(
            marker_trace(
                lat,
                lon,
                {"size": site_dot_px(size_px), "color": SITE_COLOURS[i % len(SITE_COLOURS)]},
                customdata=custom,
                hovertemplate=SITE_HOVER,
                legendgroup=group,
                name=f"Site (black ring): {site_type.replace('_', ' ')}",
                meta="sites",
            )
        )
    return traces


def catchment_rings(
    sites: pd.DataFrame, crs_projected: str, distance_km: float, *, resolution: int = 16
) -> tuple[list[float | None], list[float | None]]:
    """Lat/lon polylines (None-separated) of circles of ``distance_km`` around each site.

    Buffers are drawn in the projected CRS (metres), never in degrees, then returned to WGS84.
    """
    if distance_km <= 0:
        raise ValueError(f"distance_km={distance_km!r} must be > 0 (kilometres from a site)")
    if sites.empty:
        return [], []
    points = gpd.GeoSeries(
        gpd.points_from_xy(sites["longitude"], sites["latitude"]), crs="EPSG:4326"
    )
    rings = points.to_crs(crs_projected).buffer(distance_km * 1000.0, quad_segs=resolution)
    rings = rings.to_crs("EPSG:4326")
    lats: list[float | None] = []
    lons: list[float | None] = []
    for poly in rings:
        xs, ys = poly.exterior.coords.xy
        lons.extend(round(float(x), 5) for x in xs)
        lats.extend(round(float(y), 5) for y in ys)
        lons.append(None)
        lats.append(None)
    return lats, lons


def catchment_trace(
    sites: pd.DataFrame, crs_projected: str, distance_km: float, *, filled: bool = False
) -> dict[str, Any]:
    """Catchment rings of ``distance_km`` around the sites as one line trace (``filled``: with a
    translucent fill, so that a ring smaller than a site marker still shows at national zoom)."""
    lats, lons = catchment_rings(sites, crs_projected, distance_km)
    props: dict[str, Any] = {"fill": "toself", "fillcolor": RING_FILL} if filled else {}
    return line_trace(
        lats,
        lons,
        width=2 if filled else 1.5,
        colour="#0072B2",
        name=f"Within {distance_km:g} km of a site (to scale)",
        meta="rings",
        **props,
    )


RING_FILL = "rgba(0,114,178,0.18)"
SITE_SIZE_PX = (7.0, 17.0)  # outer ring of a site marker: smallest (far) and largest (near)


def site_marker_size_px(distance_km: float, zoom: float, latitude_deg: float) -> float:
    """The outer diameter of a site marker: at most SITE_SIZE_PX[1], and no larger than its
    catchment ring of ``distance_km`` on screen at ``zoom`` (down to SITE_SIZE_PX[0]), so the
    rings drawn over the sites stay visible at national zoom."""
    from components.map_scale import metres_per_pixel

    ring_px = 2 * distance_km * 1000.0 / metres_per_pixel(zoom, latitude_deg)
    low, high = SITE_SIZE_PX
    return round(min(high, max(low, 0.9 * ring_px)), 1)


def view_for_bounds(
    bounds: tuple[float, float, float, float],
    *,
    width_px: int = 460,
    height_px: int = MAP_HEIGHT_PX,
) -> tuple[dict[str, float], float]:
    """Map centre {lat, lon} and zoom that fit (minx, miny, maxx, maxy) in decimal degrees."""
    minx, miny, maxx, maxy = bounds
    centre = {"lat": (miny + maxy) / 2.0, "lon": (minx + maxx) / 2.0}
    span_lon = max(maxx - minx, 1e-4)
    lat_rad = [math.radians(max(min(v, 85.0), -85.0)) for v in (miny, maxy)]
    merc = [math.log(math.tan(math.pi / 4 + v / 2)) for v in lat_rad]
    span_merc = max(merc[1] - merc[0], 1e-6)
    zoom_lon = math.log2(width_px * 360.0 / (span_lon * 512.0))
    zoom_lat = math.log2(height_px * 2 * math.pi / (span_merc * 512.0))
    return centre, max(0.0, min(zoom_lon, zoom_lat, 16.0) - 0.15)


LEGEND_BELOW_PX = 150  # under the map: colour bars, then the legend rows
# a dcc.Graph holding a map_figure(legend_below=True): the map, the legend under it, the note above
GRAPH_HEIGHT_PX = MAP_HEIGHT_PX + LEGEND_BELOW_PX + 46
TILE_STYLES = {"plain": "white-bg", "osm": "open-street-map"}


def map_figure(
    traces: list[Any],
    bounds: tuple[float, float, float, float],
    *,
    uirevision: str = "map",
    title: str = "",
    note: str = "",
    legend_below: bool = False,
    layers: list[dict[str, Any]] | None = None,
    style: str = "white-bg",
    width_px: int = 460,
) -> dict[str, Any]:
    """The map figure dict: traces on a tile-free white background, fitted to ``bounds``, legend
    shown.

    ``note`` is printed in a corner (e.g. the level of detail and the dataset), so a PNG export
    says what it carries (DESIGN.md s.4). ``legend_below`` puts the legend and colour bars under
    the map (never over the data) and the note above it; ``layers`` are MapLibre layers drawn
    with the traces (basemap_layers); ``style`` "white-bg" needs no network, "open-street-map"
    loads tiles when online.
    """
    centre, zoom = view_for_bounds(bounds, width_px=width_px)
    below = LEGEND_BELOW_PX if legend_below else 0
    top = (22 + 12 * note.count("<br>")) if legend_below and note else 0
    map_layout: dict[str, Any] = {"style": style, "center": centre, "zoom": zoom}
    if layers:
        map_layout["layers"] = layers
    layout = dict(
        map=map_layout,
        margin={"l": 0, "r": 0, "t": (30 if title else 0) + top, "b": below},
        height=MAP_HEIGHT_PX + below + top,
        uirevision=uirevision,
        title={"text": title, "x": 0.01, "font": {"size": 14}} if title else None,
        legend=(
            {
                "orientation": "h",
                "itemsizing": "constant",
                "x": 0.0,
                "xanchor": "left",
                "y": -(60.0 / MAP_HEIGHT_PX),
                "yanchor": "top",
                "font": {"size": 11},
                "bgcolor": "rgba(255,255,255,0)",
            }
            if legend_below
            else {
                "itemsizing": "constant",
                "yanchor": "top",
                "y": 0.99,
                "xanchor": "left",
                "x": 0.01,
                "font": {"size": 11},
                "bgcolor": "rgba(230,230,230,0.85)",
                "bordercolor": "#999",
                "borderwidth": 1,
            }
        ),
        paper_bgcolor="#ffffff",
        hoverlabel={"align": "left"},
    )
    if not title:
        layout.pop("title")
    annotations: list[dict[str, Any]] = []
    if note:
        annotations.insert(
            0,
            {
                "text": note,
                "xref": "paper",
                "yref": "paper",
                "x": 0.005,
                "y": 1.0 if legend_below else 0.005,
                "xanchor": "left",
                "yanchor": "bottom",
                "align": "left",
                "showarrow": False,
                "font": {"size": 10, "color": "#333"},
                "bgcolor": "rgba(255,255,255,0.8)",
            },
        )
    if annotations:
        layout["annotations"] = annotations
    return {"data": list(traces), "layout": layout}
