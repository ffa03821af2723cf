"""Aggregate far, points near: which hotspots a map view draws, and how (pure numpy/pandas).

A national map of 100,000 hotspots cannot send every spot: the browser would receive megabytes
and draw points that overlap into a blot. A view (the map's bounds and zoom in decimal degrees)
draws the hotspots inside it (padded by VIEW_PADDING of its size, so a small pan needs no new
data) one by one when there are at most POINT_LIMIT of them, and otherwise aggregated on a
square grid whose cells are about CELL_PX screen pixels wide at that zoom (zoom levels as in
MapLibre: a 512 px tile spans 360 / 2^zoom degrees of longitude). Cells are anchored at 0°, 0°
and sized by the integer zoom level, so the same cells come back for every view at one level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

POINT_LIMIT = 3_000  # hotspots in a view drawn one by one; above it, grid cells
CELL_PX = 24  # approximate width of a grid cell on screen, in pixels
TILE_PX = 512  # MapLibre's tile size: zoom z shows 360 / 2^z degrees of longitude per 512 px
VIEW_PADDING = 0.25  # share of the view's width/height added on each side
SNAP_CELLS = 8  # the padded view is snapped outwards to blocks of this many grid cells
EARTH_CIRCUMFERENCE_M = 40_075_016.686


@dataclass(frozen=True)
class Viewport:
    """A map view: bounds in decimal degrees (WGS84) and the MapLibre zoom level."""

    west: float
    south: float
    east: float
    north: float
    zoom: float

    @classmethod
    def from_dict(cls, value: object) -> Viewport | None:
        """The viewport a browser reported ({west, south, east, north, zoom}), None when the
        value is missing or malformed (the server then uses the figure's initial view)."""
        if not isinstance(value, dict):
            return None
        try:
            numbers = [float(value[k]) for k in ("west", "south", "east", "north", "zoom")]
        except (KeyError, TypeError, ValueError):
            return None
        if not all(math.isfinite(v) for v in numbers):
            return None
        west, south, east, north, zoom = numbers
        if east <= west or north <= south:
            return None
        return cls(west, max(south, -90.0), east, min(north, 90.0), min(max(zoom, 0.0), 22.0))

    def padded(self, share: float = VIEW_PADDING) -> Viewport:
        """The view grown by ``share`` of its width and height on each side."""
        dx, dy = (self.east - self.west) * share, (self.north - self.south) * share
        return Viewport(
            self.west - dx,
            max(self.south - dy, -90.0),
            self.east + dx,
            min(self.north + dy, 90.0),
            self.zoom,
        )

    def region(self) -> Viewport:
        """The padded view snapped outwards to blocks of SNAP_CELLS grid cells: views a small
        pan apart share a region, so they draw the same hotspots (and nothing is sent again)."""
        padded = self.padded()
        step = cell_size_deg(self.zoom) * SNAP_CELLS
        return Viewport(
            math.floor(padded.west / step) * step,
            math.floor(padded.south / step) * step,
            math.ceil(padded.east / step) * step,
            math.ceil(padded.north / step) * step,
            self.zoom,
        )

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Boolean mask of the points inside the view."""
        return (lon >= self.west) & (lon <= self.east) & (lat >= self.south) & (lat <= self.north)


def cell_size_deg(zoom: float) -> float:
    """Grid cell width and height in degrees at ``zoom`` (about CELL_PX pixels on screen)."""
    level = max(0, round(zoom))
    return 360.0 / (2**level) * CELL_PX / TILE_PX


def metres_per_pixel(zoom: float, latitude_deg: float) -> float:
    """Ground size of one screen pixel at ``zoom`` and ``latitude_deg`` (Web Mercator)."""
    return EARTH_CIRCUMFERENCE_M * math.cos(math.radians(latitude_deg)) / (TILE_PX * 2**zoom)


@dataclass(frozen=True)
class ViewHotspots:
    """What a view draws: ``points`` (hotspot rows, at most POINT_LIMIT) or ``cells`` (one row
    per grid cell, see grid_cells), never both; ``in_view`` counts the hotspots of the view."""

    points: pd.DataFrame | None
    cells: pd.DataFrame | None
    in_view: int
    cell_deg: float | None = None


def view_hotspots(
    hotspots: pd.DataFrame, view: Viewport, *, point_limit: int = POINT_LIMIT
) -> ViewHotspots:
    """The hotspots of the view's region (padded and snapped): one by one up to
    ``point_limit``, else grid cells."""
    lon = hotspots["longitude"].to_numpy(dtype="float64")
    lat = hotspots["latitude"].to_numpy(dtype="float64")
    inside = view.region().contains(lon, lat)
    count = int(inside.sum())
    if count <= point_limit:
        return ViewHotspots(points=hotspots[inside], cells=None, in_view=count)
    size = cell_size_deg(view.zoom)
    return ViewHotspots(
        points=None, cells=grid_cells(hotspots[inside], size), in_view=count, cell_deg=size
    )


def grid_cells(hotspots: pd.DataFrame, size_deg: float) -> pd.DataFrame:
    """Hotspots summed on a square grid of ``size_deg`` degrees anchored at 0°, 0°.

    Columns: longitude, latitude (the cell centre, never a hotspot's position), hotspots,
    estimate_low, estimate_mid, estimate_high (sums of the plan's hotspot estimates, people),
    enrolled (sum), coverage_mid (enrolled ÷ estimate_mid, NaN without an estimate) and
    typology (the typology holding most of the cell's mid estimate). One row per non-empty cell.
    """
    if size_deg <= 0:
        raise ValueError(f"size_deg={size_deg!r} must be > 0 (grid cell width in degrees)")
    columns = ["longitude", "latitude", "hotspots", "estimate_low", "estimate_mid"]
    columns += ["estimate_high", "enrolled", "coverage_mid", "typology"]
    if hotspots.empty:
        empty = {c: pd.Series(dtype="float64") for c in columns[:-1]}
        return pd.DataFrame({**empty, "typology": pd.Series(dtype="object")})
    ix = np.floor(hotspots["longitude"].to_numpy(dtype="float64") / size_deg).astype("int64")
    iy = np.floor(hotspots["latitude"].to_numpy(dtype="float64") / size_deg).astype("int64")
    frame = pd.DataFrame(
        {
            "ix": ix,
            "iy": iy,
            "estimate_low": _numbers(hotspots, "estimate_low"),
            "estimate_mid": _numbers(hotspots, "estimate_mid"),
            "estimate_high": _numbers(hotspots, "estimate_high"),
            "enrolled": _numbers(hotspots, "enrolled"),
            "typology": hotspots["typology"].astype(str).to_numpy(),
        }
    )
    grouped = frame.groupby(["ix", "iy"], sort=True)
    cells = grouped[["estimate_low", "estimate_mid", "estimate_high", "enrolled"]].sum()
    cells["hotspots"] = grouped.size()
    by_type = frame.groupby(["ix", "iy", "typology"], sort=True)["estimate_mid"].sum()
    top = by_type.reset_index().sort_values(
        ["ix", "iy", "estimate_mid", "typology"], ascending=[True, True, False, True]
    )
    cells["typology"] = top.drop_duplicates(["ix", "iy"]).set_index(["ix", "iy"])["typology"]
    cells = cells.reset_index()
    cells["longitude"] = (cells["ix"] + 0.5) * size_deg
    cells["latitude"] = (cells["iy"] + 0.5) * size_deg
    mid = cells["estimate_mid"].where(cells["estimate_mid"] > 0)
    cells["coverage_mid"] = cells["enrolled"] / mid
    return cells[columns].reset_index(drop=True)


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame))
    return pd.to_numeric(frame[column], errors="coerce").fillna(0).to_numpy(dtype="float64")


def view_for_bounds(
    bounds: tuple[float, float, float, float], zoom: float, *, width_px: int, height_px: int
) -> Viewport:
    """The viewport a map of ``width_px`` × ``height_px`` shows when centred on ``bounds`` at
    ``zoom`` (the server's estimate of the first view, before the browser reports its own)."""
    minx, miny, maxx, maxy = bounds
    lon_c, lat_c = (minx + maxx) / 2, (miny + maxy) / 2
    half_lon = width_px / 2 * 360.0 / (TILE_PX * 2**zoom)
    y_c = _merc_y(lat_c)
    half_y = height_px / 2 * 2 * math.pi / (TILE_PX * 2**zoom)
    return Viewport(
        lon_c - half_lon, _merc_lat(y_c - half_y), lon_c + half_lon, _merc_lat(y_c + half_y), zoom
    )


def _merc_y(lat_deg: float) -> float:
    lat = math.radians(max(min(lat_deg, 85.0), -85.0))
    return math.log(math.tan(math.pi / 4 + lat / 2))


def _merc_lat(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)
