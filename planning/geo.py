"""Projection helpers: WGS84 decimal degrees to metres in a projected CRS (pyproj only).

Distances are computed in a projected CRS, never in degrees (../shared/DESIGN.md s.2):
the UTM zone of the dataset, or the CRS that ``dataset.toml`` names.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

WGS84 = "EPSG:4326"


@lru_cache(maxsize=32)
def _transformer(crs_projected: str) -> Transformer:
    """Cached WGS84 -> ``crs_projected`` transformer (always_xy: lon, lat order)."""
    try:
        target = CRS.from_user_input(crs_projected)
    except CRSError as exc:
        raise ValueError(
            f"crs_projected {crs_projected!r} is not a CRS pyproj knows ({exc}); "
            'give an EPSG code such as "EPSG:32736" (see dataset.toml [crs] projected)'
        ) from exc
    if not target.is_projected:
        raise ValueError(
            f"crs_projected {crs_projected!r} is not a projected CRS (units are not metres); "
            'give a projected CRS such as the UTM zone of the data, e.g. "EPSG:32736"'
        )
    return Transformer.from_crs(WGS84, target, always_xy=True)


def project_lonlat(
    lon: npt.ArrayLike, lat: npt.ArrayLike, crs_projected: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Project WGS84 longitude/latitude arrays (decimal degrees) to (x_m, y_m) in ``crs_projected``.

    Vectorised over numpy arrays (much cheaper than GeoDataFrame.to_crs for 100k points).
    Raises ValueError naming the argument when the CRS is unknown or not projected, or
    when the two arrays differ in length.
    """
    lon_deg = np.asarray(lon, dtype="float64")
    lat_deg = np.asarray(lat, dtype="float64")
    if lon_deg.shape != lat_deg.shape:
        raise ValueError(
            f"lon has shape {lon_deg.shape} but lat has shape {lat_deg.shape}; "
            "pass one longitude and one latitude per point"
        )
    x_m, y_m = _transformer(str(crs_projected)).transform(lon_deg, lat_deg)
    return np.asarray(x_m, dtype="float64"), np.asarray(y_m, dtype="float64")


def utm_crs_for(lon: npt.ArrayLike, lat: npt.ArrayLike) -> str:
    """The WGS84 UTM zone CRS ("EPSG:326zz" north / "EPSG:327zz" south) of the points' centre.

    Uses the median longitude and latitude (decimal degrees) so a few outliers do not move
    the zone; zone = floor((lon + 180) / 6) + 1, hemisphere from the median latitude.
    """
    lon_deg = np.asarray(lon, dtype="float64").ravel()
    lat_deg = np.asarray(lat, dtype="float64").ravel()
    ok = np.isfinite(lon_deg) & np.isfinite(lat_deg)
    if lon_deg.shape != lat_deg.shape or not ok.any():
        raise ValueError(
            f"utm_crs_for needs matching, finite lon/lat arrays (got {lon_deg.size} lon, "
            f"{lat_deg.size} lat, "
            f"{int(ok.sum()) if lon_deg.shape == lat_deg.shape else 0} finite pairs); "
            "pass at least one point in decimal degrees"
        )
    lon_c = float(np.median(lon_deg[ok]))
    lat_c = float(np.median(lat_deg[ok]))
    if not (-180.0 <= lon_c <= 180.0 and -90.0 <= lat_c <= 90.0):
        raise ValueError(
            f"centre lon {lon_c}, lat {lat_c} is not in decimal degrees (-180..180, -90..90); "
            "check that latitude and longitude are not swapped or projected"
        )
    zone = min(int(np.floor((lon_c + 180.0) / 6.0)) + 1, 60)
    return f"EPSG:{32600 + zone if lat_c >= 0 else 32700 + zone}"
