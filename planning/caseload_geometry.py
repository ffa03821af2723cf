"""Outlines of caseloads for drawing: a padded convex hull per group of spots, all in one array.

Pure geometry on arrays (numpy and shapely, no plotting): the Outreach map draws every
caseload's outline as one polyline whose rings are separated by NaN (plotly: None), which
stays fast at hundreds of caseloads where one trace per caseload does not.

Coordinates are planar metres. For display, ``to_local_metres`` turns WGS84 longitude/latitude
(decimal degrees) into an equirectangular frame around the points' mean latitude and
``to_lonlat`` turns it back; over a district (tens of kilometres) that is accurate to well
under 1% for drawing. Planning distances are never computed this way (planning.geo projects).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

FloatArray = npt.NDArray[np.float64]

# Metres per degree of latitude (WGS84 mean) and of longitude at the equator: drawing only.
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQUATOR = 111_320.0
# DEFAULT: outlines are drawn this far outside the spots, so a spot on the hull is inside it
# and a caseload of one location (or of spots on a line) is a small disc (or a stadium).
OUTLINE_PAD_M = 80.0


class Outlines(NamedTuple):
    """Closed outline rings of groups of points, concatenated with NaN between rings.

    ``x``/``y``: ring vertices (first = last), NaN after each ring; ``groups``: the group of
    each ring, in ring order (the order of first appearance in the input).
    """

    x: FloatArray
    y: FloatArray
    groups: list[str]


def group_outlines(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    pad: float = OUTLINE_PAD_M,
    quad_segs: int = 3,
) -> Outlines:
    """The convex hull of each group's points buffered by ``pad`` (same unit as x, y), as rings.

    One location gives a disc of radius ``pad``, two (or points on a line) a stadium, three or
    more the hull with rounded corners; ``quad_segs`` segments per quarter circle keep the
    vertex count low (a hull of k corners has about k × (quad_segs + 1) vertices).
    Vectorised over groups (shapely). Raises ValueError naming the argument when the arrays
    differ in length, a coordinate is not finite, or ``pad`` is not > 0.
    """
    xs = np.asarray(x, dtype="float64")
    ys = np.asarray(y, dtype="float64")
    labels = np.asarray(groups)
    if not (xs.shape == ys.shape == labels.shape) or xs.ndim != 1:
        raise ValueError(
            f"x, y and groups have shapes {xs.shape}, {ys.shape} and {labels.shape}; "
            "pass one x, one y and one group per point"
        )
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise ValueError("x and y must be finite numbers (drop spots without coordinates first)")
    if not pad > 0:
        raise ValueError(f"pad={pad!r} must be > 0 (a caseload of one spot is a disc of it)")
    if xs.size == 0:
        return Outlines(np.empty(0), np.empty(0), [])
    codes, uniques = pd.factorize(pd.Series(labels, dtype="object"), sort=False)
    order = np.argsort(codes, kind="stable")  # shapely wants the points grouped
    points = shapely.multipoints(np.column_stack([xs, ys])[order], indices=codes[order])
    shapes = shapely.buffer(shapely.convex_hull(points), pad, quad_segs=quad_segs)
    rings = shapely.get_exterior_ring(shapes)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    # a NaN row after each ring: before the first vertex of every ring but the first, and at
    # the end
    starts = np.flatnonzero(np.diff(ring_of)) + 1
    out = np.insert(coords, np.append(starts, len(coords)), np.nan, axis=0)
    return Outlines(out[:, 0], out[:, 1], [str(u) for u in uniques])


def to_local_metres(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray, float]:
    """(x_m, y_m, lat0): WGS84 decimal degrees in an equirectangular frame (metres) around the
    mean latitude ``lat0`` (for drawing; see the module docstring)."""
    lon_deg = np.asarray(lon, dtype="float64")
    lat_deg = np.asarray(lat, dtype="float64")
    lat0 = float(np.nanmean(lat_deg)) if lat_deg.size else 0.0
    scale_x = M_PER_DEG_LON_EQUATOR * max(np.cos(np.radians(lat0)), 1e-6)
    return lon_deg * scale_x, lat_deg * M_PER_DEG_LAT, lat0


def to_lonlat(x_m: npt.ArrayLike, y_m: npt.ArrayLike, lat0: float) -> tuple[FloatArray, FloatArray]:
    """Back from ``to_local_metres``'s frame to (lon, lat) in decimal degrees; NaN stays NaN."""
    scale_x = M_PER_DEG_LON_EQUATOR * max(np.cos(np.radians(lat0)), 1e-6)
    return (
        np.asarray(x_m, dtype="float64") / scale_x,
        np.asarray(y_m, dtype="float64") / M_PER_DEG_LAT,
    )


def lonlat_outlines(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    pad_m: float = OUTLINE_PAD_M,
    quad_segs: int = 3,
) -> Outlines:
    """``group_outlines`` of points given in decimal degrees, padded by ``pad_m`` metres; the
    rings come back in decimal degrees (x = longitude, y = latitude)."""
    x_m, y_m, lat0 = to_local_metres(lon, lat)
    rings = group_outlines(x_m, y_m, groups, pad=pad_m, quad_segs=quad_segs)
    ring_lon, ring_lat = to_lonlat(rings.x, rings.y, lat0)
    return Outlines(ring_lon, ring_lat, rings.groups)
