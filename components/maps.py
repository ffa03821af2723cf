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
import math
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
    names = sorted({str(t) for t in typologies})
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
    districts: pd.DataFrame, geojson: dict[str, Any], metric: str = "coverage_mid"
) -> dict[str, Any]:
    """Districts coloured by ``metric`` (a CHOROPLETH_METRICS key); hover gives the labelled
    ranges."""
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
        colorbar={
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
    )


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


HOTSPOT_HOVER = (
    "<b>%{customdata[1]}</b> (%{customdata[0]})<br>"
    "typology %{customdata[2]} · %{customdata[3]}<br>"
    "typical day %{customdata[4]}–%{customdata[5]} people<br>"
    "peak day %{customdata[6]}–%{customdata[7]} people<br>"
    "peak days %{customdata[8]} · peak times %{customdata[9]}<br>"
    "enrolled %{customdata[10]} · %{customdata[11]}<extra></extra>"
)


def _hotspot_customdata(frame: pd.DataFrame) -> list[list[Any]]:
    enrolled = pd.to_numeric(frame["enrolled"], errors="coerce").fillna(0)
    cov = frame["coverage_mid"] if "coverage_mid" in frame else pd.Series(np.nan, index=frame.index)
    cov_text = [
        ("coverage " + _fmt_value(c, "pct")) if pd.notna(c) else "coverage n/a" for c in cov
    ]

    def txt(col: str, empty: str = "unknown") -> list[str]:
        vals = frame[col].astype(str).tolist() if col in frame else [""] * len(frame)
        return [v if v else empty for v in vals]

    columns = [
        frame["hotspot_id"].astype(str).tolist(),
        txt("name", "(no name)"),
        txt("typology"),
        txt("population", "FSW"),
        frame["typical_min"].astype("int64").tolist(),
        frame["typical_max"].astype("int64").tolist(),
        frame["peak_min"].astype("int64").tolist(),
        frame["peak_max"].astype("int64").tolist(),
        txt("peak_days"),
        txt("peak_times"),
        enrolled.astype("int64").tolist(),
        cov_text,
    ]
    return [list(row) for row in zip(*columns)]


def _hotspot_trace(part: pd.DataFrame, marker: dict[str, Any], **props: Any) -> dict[str, Any]:
    """Hotspot markers with the hotspot hover and ids (``meta="hotspots"``)."""
    return marker_trace(
        part["latitude"].tolist(),
        part["longitude"].tolist(),
        marker,
        customdata=_hotspot_customdata(part),
        hovertemplate=HOTSPOT_HOVER,
        ids=part["hotspot_id"].astype(str).tolist(),
        meta="hotspots",
        **props,
    )


def hotspot_traces(
    hotspots: pd.DataFrame, *, colour_by: str = "typology", size_column: str = "estimate_mid"
) -> list[dict[str, Any]]:
    """Hotspot markers sized by ``size_column`` and coloured by typology (one legend entry each)
    or by coverage (cividis, one trace).

    ``hotspots`` needs hotspot_id, name, latitude, longitude, typology, population,
    typical_min/max, peak_min/max, peak_days, peak_times, enrolled, coverage_mid and the size
    column. Every trace has ``meta="hotspots"`` so tests and exports can find them.
    """
    if colour_by not in {"typology", "coverage"}:
        raise ValueError(f"colour_by={colour_by!r}: choose 'typology' or 'coverage'")
    if hotspots.empty:
        return []
    sizes = hotspot_marker_size_px(hotspots[size_column])
    if colour_by == "coverage":
        cov = pd.to_numeric(hotspots["coverage_mid"], errors="coerce").clip(0, 1) * 100
        return [
            _hotspot_trace(
                hotspots,
                {
                    "size": sizes.round(1).tolist(),
                    "color": cov.fillna(0).round(1).tolist(),
                    "colorscale": "Cividis",
                    "cmin": 0,
                    "cmax": 100,
                    "opacity": 0.85,
                    "showscale": True,
                    "colorbar": {
                        "title": {"text": "Hotspot coverage %"},
                        "x": 0.99,
                        "y": 0.02,
                        "xanchor": "right",
                        "yanchor": "bottom",
                        "len": 0.4,
                        "thickness": 12,
                        "bgcolor": "rgba(255,255,255,0.8)",
                    },
                },
                name="Hotspots (size = people, colour = coverage)",
            )
        ]
    colours = typology_colours(hotspots["typology"])
    traces = []
    for typology, colour in colours.items():
        mask = (hotspots["typology"].astype(str) == typology).to_numpy()
        part = hotspots.loc[mask]
        marker = {"size": sizes[mask].round(1).tolist(), "color": colour, "opacity": 0.85}
        traces.append(
            _hotspot_trace(part, marker, name=f"Hotspot: {typology}", legendgroup="hotspots")
        )
    return traces


SITE_HOVER = (
    "<b>%{customdata[1]}</b> (%{customdata[0]})<br>type %{customdata[2]}<br>"
    "services %{customdata[3]}<br>open %{customdata[4]} %{customdata[5]}<extra></extra>"
)


def _column_text(frame: pd.DataFrame, col: str) -> list[str]:
    """The column as text with "—" for empty cells (all "—" when the column is absent)."""
    return frame[col].astype(str).replace("", "—").tolist() if col in frame else ["—"] * len(frame)


def site_traces(sites: pd.DataFrame) -> list[dict[str, Any]]:
    """Service sites as a white dot in a black ring (two stacked circle traces per site type).

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
                {"size": 17, "color": OUTLINE},
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
                {"size": 10, "color": SITE_COLOURS[i % len(SITE_COLOURS)]},
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


def catchment_trace(sites: pd.DataFrame, crs_projected: str, distance_km: float) -> dict[str, Any]:
    """Catchment rings of ``distance_km`` around the sites as one line trace."""
    lats, lons = catchment_rings(sites, crs_projected, distance_km)
    return line_trace(
        lats,
        lons,
        width=1.5,
        colour="#0072B2",
        name=f"Within {distance_km:g} km of a site",
        meta="rings",
    )


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


def map_figure(
    traces: list[Any],
    bounds: tuple[float, float, float, float],
    *,
    uirevision: str = "map",
    title: str = "",
    note: str = "",
) -> dict[str, Any]:
    """The map figure dict: traces on a tile-free white background, fitted to ``bounds``, legend
    shown.

    ``note`` is printed in the bottom-left corner (e.g. the level of detail and the dataset), so
    a PNG export says what it carries (DESIGN.md s.4).
    """
    centre, zoom = view_for_bounds(bounds)
    layout = dict(
        map={"style": "white-bg", "center": centre, "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 30 if title else 0, "b": 0},
        height=MAP_HEIGHT_PX,
        uirevision=uirevision,
        title={"text": title, "x": 0.01, "font": {"size": 14}} if title else None,
        legend={
            "itemsizing": "constant",
            "yanchor": "top",
            "y": 0.99,
            "xanchor": "left",
            "x": 0.01,
            "font": {"size": 11},
            "bgcolor": "rgba(230,230,230,0.85)",
            "bordercolor": "#999",
            "borderwidth": 1,
        },
        paper_bgcolor="#ffffff",
        hoverlabel={"align": "left"},
    )
    if not title:
        layout.pop("title")
    if note:
        layout["annotations"] = [
            {
                "text": note,
                "xref": "paper",
                "yref": "paper",
                "x": 0.005,
                "y": 0.005,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 10, "color": "#333"},
                "bgcolor": "rgba(255,255,255,0.8)",
            }
        ]
    return {"data": list(traces), "layout": layout}
