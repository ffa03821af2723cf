"""Export the current map view as one standalone HTML file (folium + inlined Leaflet; no internet).

Folium's page template loads Leaflet, jQuery, Bootstrap and awesome-markers from CDNs. This
map uses only Leaflet (vector layers and tooltips), so the other libraries are dropped and
Leaflet's JS and CSS (vendored in assets/vendor/leaflet-export/) are inlined. No tile layer:
the background is plain. Every export states its level of detail (DESIGN.md s.4).
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, Figure

from components import map_scale, maps

LEAFLET_DIR = Path(__file__).resolve().parents[1] / "assets" / "vendor" / "leaflet-export"
HOTSPOT_CLASS = "kp-hotspot"
CELL_CLASS = "kp-hotspot-cell"
SITE_CLASS = "kp-site"
# Folium's default page files this map does not use (only Leaflet is needed): dropped.
UNUSED_FOLIUM_FILES = (
    "jquery",
    "bootstrap",
    "awesome-markers",
    "awesome_markers",
    "fontawesome",
    "glyphicons",
    "leaflet.awesome.rotate",
)
_SCRIPT_SRC = re.compile(r'<script[^>]*\bsrc="([^"]+)"[^>]*>\s*</script>', re.IGNORECASE)
_LINK_HREF = re.compile(r'<link[^>]*\bhref="([^"]+)"[^>]*/?>', re.IGNORECASE)


def _colour_for(values: np.ndarray, vmin: float, vmax: float) -> list[str]:
    """Cividis-like hex colours for values (grey for NaN): the same readable scale as the app."""
    stops = ["#00224e", "#35456c", "#666970", "#948e77", "#c8b866", "#fee838"]
    out = []
    span = (vmax - vmin) or 1.0
    for v in values:
        if not np.isfinite(v):
            out.append("#bbbbbb")
            continue
        t = min(max((v - vmin) / span, 0.0), 1.0)
        out.append(stops[min(int(t * (len(stops) - 1) + 0.5), len(stops) - 1)])
    return out


def inline_assets(page: str) -> str:
    """Replace Leaflet's <script src>/<link href> with inline content and drop folium's unused
    files.

    Raises RuntimeError naming the reference if any other external resource is left (it
    would need the internet).
    """
    leaflet_js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    leaflet_css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")

    def unused(ref: str) -> bool:
        return any(name in ref.lower() for name in UNUSED_FOLIUM_FILES)

    def script(match: re.Match) -> str:
        src = match.group(1)
        if src.rsplit("/", 1)[-1] == "leaflet.js":
            return "<script>" + leaflet_js.replace("</script", "<\\/script") + "</script>"
        return "" if unused(src) else match.group(0)

    def link(match: re.Match) -> str:
        href = match.group(1)
        if href.rsplit("/", 1)[-1] == "leaflet.css":
            return "<style>" + leaflet_css + "</style>"
        return "" if unused(href) else match.group(0)

    page = _SCRIPT_SRC.sub(script, page)
    page = _LINK_HREF.sub(link, page)
    left = [m.group(1) for m in _SCRIPT_SRC.finditer(page)] + [
        m.group(1) for m in _LINK_HREF.finditer(page)
    ]
    remote = [ref for ref in left if ref.startswith(("http://", "https://", "//"))]
    if remote:
        raise RuntimeError(
            f"exported map still refers to {remote}; vendor these files or drop them"
        )
    return page


def _legend_html(
    title: str, level_note: str, synthetic: bool, entries: list[tuple[str, str]]
) -> str:
    items = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
        f'background:{colour};border:1px solid #333;margin-right:6px"></span>'
        f"{html_lib.escape(label)}</div>"
        for label, colour in entries
    )
    banner = (
        '<div style="background:#fff3cd;padding:2px 4px;margin-bottom:4px">'
        "<b>Synthetic demo data</b> — not real programme data.</div>"
        if synthetic
        else ""
    )
    return (
        f'<div id="kp-legend" style="position:fixed;bottom:48px;left:12px;z-index:1000;'
        f"background:white;padding:8px 10px;border:1px solid #999;border-radius:4px;"
        f'font:12px sans-serif;max-width:340px">{banner}<b>{html_lib.escape(title)}</b>'
        f'<div style="margin:4px 0">{html_lib.escape(level_note)}</div>{items}'
        f'<div style="color:#666;margin-top:4px">{html_lib.escape(maps.BASEMAP_SOURCE)}</div></div>'
    )


def folium_map(
    boundaries: gpd.GeoDataFrame,
    districts: pd.DataFrame,
    *,
    metric: str = "coverage_mid",
    hotspots: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
    rings_sites: pd.DataFrame | None = None,
    crs_projected: str = "",
    distance_km: float = 5.0,
    title: str = "Map",
    level_note: str = "",
    synthetic: bool = False,
    point_limit: int = map_scale.POINT_LIMIT,
) -> folium.Map:
    """A folium map of the districts coloured by ``metric`` plus the optional hotspot/site layers.

    Pass ``hotspots=None`` for an aggregate-only export: then no hotspot data is written. More
    than ``point_limit`` hotspots are written as grid cells (components.map_scale), as the
    app's map draws them at national zoom; lakes, rivers, borders and towns from the vendored
    Natural Earth layers give context with no tiles.
    """
    if metric not in maps.CHOROPLETH_METRICS:
        raise ValueError(f"metric={metric!r} is not one of {sorted(maps.CHOROPLETH_METRICS)}")
    spec = maps.CHOROPLETH_METRICS[metric]
    minx, miny, maxx, maxy = (float(v) for v in boundaries.total_bounds)
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=7,
        tiles=None,
        control_scale=True,
    )
    fmap.default_js = [("leaflet", "leaflet.js")]
    fmap.default_css = [("leaflet_css", "leaflet.css")]
    root = cast(Figure, fmap.get_root())  # a folium.Map always sits in a branca Figure
    root.header.add_child(Element(f"<title>{html_lib.escape(title)}</title>"))
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    geo = maps.district_geojson(boundaries)
    metrics = districts.set_index("district")
    values = (
        pd.to_numeric(metrics[metric], errors="coerce")
        .reindex([f["properties"]["district"] for f in geo["features"]])
        .to_numpy(dtype="float64")
    )
    finite = values[np.isfinite(values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    colours = _colour_for(values, vmin, vmax)
    hover = dict(zip(districts["district"].astype(str), maps.district_hover_text(districts)))
    for feature, colour in zip(geo["features"], colours):
        name = feature["properties"]["district"]
        # Leaflet shows tooltips as HTML: a district without figures still gets an escaped name
        summary = hover.get(name) or f"<b>{html_lib.escape(str(name))}</b>"
        feature["properties"].update({"fill": colour, "summary": summary})
    districts_layer = folium.FeatureGroup(name=f"Districts: {spec['label']}")
    folium.GeoJson(
        geo,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#444",
            "weight": 1,
            "fillOpacity": 0.6,
        },
        tooltip=folium.GeoJsonTooltip(fields=["summary"], labels=False),
    ).add_to(districts_layer)
    districts_layer.add_to(fmap)
    entries: list[tuple[str, str]] = [
        (f"{spec['label']}: low", _colour_for(np.array([vmin]), vmin, vmax)[0]),
        (f"{spec['label']}: high", _colour_for(np.array([vmax]), vmin, vmax)[0]),
    ]
    if rings_sites is not None and not rings_sites.empty:
        lats, lons = maps.catchment_rings(rings_sites, crs_projected, distance_km)
        rings_layer = folium.FeatureGroup(name=f"Within {distance_km:g} km of a site")
        rings: list[list[list[float]]] = [[]]
        for lat, lon in zip(lats, lons):
            if lat is None or lon is None:  # both None together: the end of a ring
                rings.append([])
            else:
                rings[-1].append([lat, lon])
        # one multi-polyline: a template per ring would cost ~1 ms each to compile
        folium.PolyLine([r for r in rings if r], color="#0072B2", weight=1.5).add_to(rings_layer)
        rings_layer.add_to(fmap)
    _add_basemap(fmap, (minx, miny, maxx, maxy))
    if hotspots is not None and len(hotspots) > point_limit:
        # aggregate far: a national export of many spots carries grid cells, not every spot
        _centre, zoom = maps.view_for_bounds((minx, miny, maxx, maxy), width_px=900)
        cells = map_scale.grid_cells(hotspots, map_scale.cell_size_deg(zoom))
        colour_of = maps.typology_colours(hotspots["typology"])
        reference = float(cells["estimate_mid"].max() or 1.0)
        radius_px = maps.size_px(cells["estimate_mid"], reference, maps.CELL_SIZE_PX) / 2
        features = [
            _point_feature(
                row,
                tip=tip,
                colour=colour_of.get(str(row["typology"]), maps.OTHER_COLOUR),
                radius=round(float(radius), 1),
            )
            for row, tip, radius in zip(
                cells.to_dict("records"), maps.cell_hover_text(cells), radius_px
            )
        ]
        _add_point_layer(
            fmap,
            f"Hotspots per grid cell ({len(hotspots):,} spots in {len(cells):,} cells)",
            features,
            folium.CircleMarker(
                radius=5, weight=1, fill=True, fill_opacity=0.75, class_name=CELL_CLASS
            ),
            style_function=lambda f: {
                "color": "#333333",
                "fillColor": f["properties"]["colour"],
                "radius": f["properties"]["radius"],
                "weight": 1,
                "fillOpacity": 0.75,
            },
        )
        entries.append(
            (
                f"{len(hotspots):,} hotspots summed in grid cells (area ∝ people at peak; "
                "colour: the typology with most people)",
                "#bbbbbb",
            )
        )
        entries += [(f"cell mostly {t}", c) for t, c in colour_of.items()]
    elif hotspots is not None and not hotspots.empty:
        colour_of = maps.typology_colours(hotspots["typology"])
        radius_px = maps.hotspot_marker_size_px(hotspots["estimate_mid"]) / 2
        features = []
        for row, radius in zip(hotspots.to_dict("records"), radius_px):
            tip = (
                f"<b>{html_lib.escape(str(row.get('name') or row['hotspot_id']))}</b> "
                f"({html_lib.escape(str(row['hotspot_id']))})<br>typology "
                f"{html_lib.escape(str(row['typology']))}"
                f"<br>typical day {int(row['typical_min'])}–{int(row['typical_max'])} people"
                f"<br>peak day {int(row['peak_min'])}–{int(row['peak_max'])} people"
                f"<br>peak days {html_lib.escape(str(row.get('peak_days') or 'unknown'))}"
                f" · times {html_lib.escape(str(row.get('peak_times') or 'unknown'))}"
                f"<br>enrolled {int(row.get('enrolled') or 0)}"
            )
            colour = colour_of[str(row["typology"])]
            features.append(
                _point_feature(row, tip=tip, colour=colour, radius=round(float(radius), 1))
            )
        _add_point_layer(
            fmap,
            "Hotspots",
            features,
            folium.CircleMarker(
                radius=5, weight=1, fill=True, fill_opacity=0.8, class_name=HOTSPOT_CLASS
            ),
            style_function=lambda f: {
                "color": f["properties"]["colour"],
                "fillColor": f["properties"]["colour"],
                "radius": f["properties"]["radius"],
                "weight": 1,
                "fillOpacity": 0.8,
            },
        )
        entries += [(f"hotspot: {t}", c) for t, c in colour_of.items()]
    if sites is not None and not sites.empty:
        features = []
        for row in sites.to_dict("records"):
            tip = (
                f"<b>{html_lib.escape(str(row['name']))}</b> "
                f"({html_lib.escape(str(row['site_id']))})"
                f"<br>type {html_lib.escape(str(row['site_type']))}"
                f"<br>services {html_lib.escape(str(row.get('services') or 'unknown'))}"
            )
            features.append(_point_feature(row, tip=tip))
        # a white dot in a black ring, as on the app's map
        ring: dict[str, Any] = dict(color="#000000", weight=3, fill=True, fill_color="#ffffff")
        _add_point_layer(
            fmap,
            "Service sites",
            features,
            folium.CircleMarker(radius=6, **ring, fill_opacity=1, class_name=SITE_CLASS),
        )
        entries.append(("service site (ringed dot)", "#ffffff"))
    folium.LayerControl(collapsed=False).add_to(fmap)
    root.html.add_child(Element(_legend_html(title, level_note, synthetic, entries)))
    return fmap


def _add_basemap(fmap: folium.Map, bounds: tuple[float, float, float, float]) -> None:
    """Lakes, rivers, borders and towns (Natural Earth, public domain) under the data layers."""
    features = maps.basemap_features(bounds)
    layer = folium.FeatureGroup(name="Context: lakes, rivers, borders, towns (Natural Earth)")
    styles = {
        "lakes": {"color": "#5b9bd5", "weight": 0.5, "fillColor": "#a6cee3", "fillOpacity": 0.9},
        "rivers": {"color": "#5b9bd5", "weight": 1.2, "opacity": 0.8},
        "coastline": {"color": "#7f7f7f", "weight": 1},
        "borders": {"color": "#555555", "weight": 1.5, "dashArray": "4 3"},
    }
    for name, style in styles.items():
        if features[name]["features"]:
            folium.GeoJson(
                features[name], style_function=lambda _f, style=style: style, interactive=False
            ).add_to(layer)
    towns = [
        _point_feature(
            {
                "longitude": f["geometry"]["coordinates"][0],
                "latitude": f["geometry"]["coordinates"][1],
            },
            tip=html_lib.escape(str(f["properties"].get("name", ""))),
            kind="town",
        )
        for f in features["places"]["features"]
    ]
    if towns:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": towns},
            marker=folium.CircleMarker(radius=3, color="#222222", fill=True, fill_opacity=0.9),
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        ).add_to(layer)
    layer.add_to(fmap)


def _point_feature(row: dict[str, Any], **properties: Any) -> dict[str, Any]:
    """A GeoJSON point feature at the row's longitude and latitude."""
    point = [float(row["longitude"]), float(row["latitude"])]
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Point", "coordinates": point},
    }


def _add_point_layer(
    fmap: folium.Map,
    name: str,
    features: list[dict[str, Any]],
    marker: folium.CircleMarker,
    **options: Any,
) -> None:
    """Points as one GeoJSON layer (not a marker object each: ~10x faster to render) whose
    tooltip is each feature's "tip"."""
    layer = folium.FeatureGroup(name=name)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        marker=marker,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        **options,
    ).add_to(layer)
    layer.add_to(fmap)


def standalone_map_html(
    boundaries: gpd.GeoDataFrame, districts: pd.DataFrame, **kwargs: Any
) -> str:
    """The folium map of ``folium_map(...)`` as one HTML string that opens with no internet."""
    return inline_assets(folium_map(boundaries, districts, **kwargs).get_root().render())
