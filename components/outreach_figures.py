"""Figures of the Outreach page: caseload map, day × hour presence heat map, PE table, calendar
table.

Fed by planning.caseloads / planning.outreach results. Maps use the tile-free "white-bg"
style (offline); colours are Paul Tol's colour-blind-safe qualitative palettes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from components.maps import line_trace, map_figure, marker_trace
from planning.caseloads import CaseloadResult
from planning.outreach import OutreachCalendar
from planning.schema import WEEKDAYS

# Paul Tol "muted" (colour-blind safe, distinguishable in greyscale order).
PE_PALETTE = [
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
    "#AA4499",
]  # fmt: skip


def pe_colours(pe_ids: list[str]) -> dict[str, str]:
    """A palette colour per PE, cycling in PE order (neighbouring PE numbers are neighbours on the
    map)."""
    return {pe: PE_PALETTE[i % len(PE_PALETTE)] for i, pe in enumerate(pe_ids)}


def _hull_lonlat(lon: np.ndarray, lat: np.ndarray) -> tuple[list[float], list[float]]:
    """Closed outline (lon, lat lists) of the convex hull of points; empty for a single location."""
    pts = np.unique(np.column_stack([lon, lat]), axis=0)
    if len(pts) < 2:
        return [], []
    hull = shapely.MultiPoint(pts).convex_hull
    coords = np.asarray(hull.exterior.coords if hull.geom_type == "Polygon" else hull.coords)
    return coords[:, 0].tolist(), coords[:, 1].tolist()


# Service site drawn as a dark ring (two circles: "circle" is the only marker symbol that needs no
# sprite download on the tile-free style) and its access distance as a thin grey circle.
SITE_COLOUR = "#222222"
KM_PER_DEG_LAT = (
    110.574  # WGS84 mean, for drawing only (the catchment itself is computed projected)
)


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
    access circle.

    ``site``: site_id, name, latitude, longitude and optionally distance_km.
    """
    lon, lat = float(site["longitude"]), float(site["latitude"])
    hover = f"<b>{site.get('name', '')}</b><br>service site {site.get('site_id', '')}"
    traces: list[dict[str, Any]] = []
    if site.get("distance_km"):
        xs, ys = _circle_lonlat(lon, lat, float(site["distance_km"]))
        name = f"{float(site['distance_km']):g} km from the site"
        traces.append(
            line_trace(ys, xs, width=1.5, colour="#777777", name=name, meta="site-distance")
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


def caseload_map_figure(
    result: CaseloadResult, *, note: str = "", site: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Spots coloured by PE (hover: PE, ORW group, spot, people) and each caseload's outline.

    ``site`` (site_id, name, latitude, longitude, optional distance_km) draws the service site
    whose catchment the spots are (site_traces); the view then includes it.
    """
    spots = result.spots.set_index("hotspot_id")
    a = result.assignments.join(spots[["latitude", "longitude", "name"]], on="hotspot_id")
    pes = list(result.peer_educators["pe_id"])
    colours = pe_colours(pes)
    orw = result.peer_educators.set_index("pe_id").get("orw_group", pd.Series(dtype=str))
    traces: list[dict[str, Any]] = []
    # outlines: one line trace per palette colour (hulls separated by None)
    outline: dict[str, tuple[list, list]] = {c: ([], []) for c in PE_PALETTE}
    for pe, g in a.groupby("pe_id", sort=False):
        hull_lon, hull_lat = _hull_lonlat(g["longitude"].to_numpy(), g["latitude"].to_numpy())
        if hull_lon:
            xs, ys = outline[colours[pe]]
            xs.extend(hull_lon + [None])
            ys.extend(hull_lat + [None])
    for colour, (xs, ys) in outline.items():
        if xs:
            traces.append(
                line_trace(ys, xs, width=2, colour=colour, showlegend=False, meta="outlines")
            )
    hover = [
        f"<b>{pe}</b> ({orw.get(pe, '')})<br>{h} {n}<br>{p:.0f} people at this spot"
        + (" (shared spot)" if s else "")
        for pe, h, n, p, s in zip(
            a["pe_id"], a["hotspot_id"], a["name"].fillna(""), a["people"], a["split"]
        )
    ]
    traces.append(
        marker_trace(
            a["latitude"].tolist(),
            a["longitude"].tolist(),
            {
                "size": (6 + 2 * np.sqrt(a["people"].to_numpy())).round(1).tolist(),
                "color": [colours[p] for p in a["pe_id"]],
                "opacity": 0.9,
            },
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            name="Spots (colour = peer educator)",
            ids=[f"{h}|{p}" for h, p in zip(a["hotspot_id"], a["pe_id"])],
            meta="caseloads",
            customdata=a["pe_id"].tolist(),
        )
    )
    lon, lat = spots["longitude"].to_numpy(), spots["latitude"].to_numpy()
    if site is not None:
        traces.extend(site_traces(site))
        lon = np.append(lon, float(site["longitude"]))
        lat = np.append(lat, float(site["latitude"]))
    pad = 0.01
    bounds = (
        (
            float(lon.min()) - pad,
            float(lat.min()) - pad,
            float(lon.max()) + pad,
            float(lat.max()) + pad,
        )
        if len(lon)
        else (32.0, -17.0, 36.0, -9.0)
    )
    fig = map_figure(
        traces,
        bounds,
        uirevision=f"outreach-{result.district}",
        title=f"Caseloads of {len(pes)} peer educators in {result.district}",
        note=note,
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


def pe_table_frame(result: CaseloadResult, calendar: OutreachCalendar) -> pd.DataFrame:
    """One row per PE: spots, people, walk (km), peak windows, contacts per month, load,
    overloaded."""
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
    return pd.DataFrame(
        {
            "PE": pes["pe_id"],
            "ORW group": pes.get("orw_group", ""),
            "spots": pes["hotspots"].astype(int),
            "people": pes["people"].round(0).astype(int),
            "walk around spots (km)": pes.get("walking_km", pd.Series(0.0, index=pes.index)).round(
                1
            ),
            "peak windows": pes["pe_id"].map(windows).fillna(""),
            "contacts / month": pes["contacts_per_month"].round(0).astype(int),
            "load (% of capacity)": pes["load_pct"].round(0).astype(int),
            "overloaded": np.where(pes["overloaded"], "yes", "no"),
        }
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
