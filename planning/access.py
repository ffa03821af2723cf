"""Geographic access: distance from each hotspot to the nearest service site, share within D km.

../shared/DESIGN.md s.3: geographic access = share of the estimate at hotspots within D km
(default 5) of a site offering a given service; hotspots with no such site within D km are
unserved. Distances are straight-line, computed in the dataset's projected CRS (s.2: never in
degrees) with a KD-tree (scipy.spatial.cKDTree) over the site coordinates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from planning._frames import (
    ESTIMATE_LEVELS,
    group_sum,
    require_choice,
    require_columns,
    text_column,
)
from planning.geo import project_lonlat
from planning.parameters import default_number
from planning.schema import SERVICES

# DESIGN.md s.3: share of the estimate within D km of a site (default and range:
# planning.parameters).
DEFAULT_DISTANCE_KM = default_number("distance_km")


def sites_offering(sites: pd.DataFrame, service: str | None) -> pd.DataFrame:
    """The sites whose ``services`` (";"-joined, schema.SERVICES) include ``service``.

    All sites when ``service`` is None.
    """
    if service is None:
        return sites
    require_choice(service, SERVICES, argument="service", function="nearest_site_km")
    require_columns(sites, ["services"], argument="sites", function="nearest_site_km")
    padded = (
        ";" + text_column(sites, "services").str.lower().str.replace(" ", "", regex=False) + ";"
    )
    return sites[padded.str.contains(f";{service};", regex=False).to_numpy()]


def nearest_site_km(
    hotspots: pd.DataFrame,
    sites: pd.DataFrame,
    crs_projected: str,
    *,
    service: str | None = None,
) -> pd.DataFrame:
    """Straight-line distance (km) from each hotspot to its nearest site.

    Only sites offering ``service`` count when it is given.
    Coordinates are WGS84 latitude/longitude columns, projected to ``crs_projected`` (metres).
    Columns: hotspot_id, nearest_site_id ("" when no site qualifies), distance_km (inf then),
    in the order of ``hotspots``.
    """
    fn = "nearest_site_km"
    require_columns(
        hotspots, ["hotspot_id", "latitude", "longitude"], argument="hotspots", function=fn
    )
    require_columns(sites, ["site_id", "latitude", "longitude"], argument="sites", function=fn)
    chosen = sites_offering(sites, service)
    n = len(hotspots)
    ids = text_column(hotspots, "hotspot_id").to_numpy()
    if len(chosen) == 0 or n == 0:
        return pd.DataFrame(
            {
                "hotspot_id": pd.Series(ids, dtype="str"),
                "nearest_site_id": pd.Series([""] * n, dtype="str"),
                "distance_km": np.full(n, np.inf),
            }
        )
    hx, hy = project_lonlat(
        hotspots["longitude"].to_numpy(), hotspots["latitude"].to_numpy(), crs_projected
    )
    sx, sy = project_lonlat(
        chosen["longitude"].to_numpy(), chosen["latitude"].to_numpy(), crs_projected
    )
    tree = cKDTree(np.column_stack([sx, sy]))
    distance_m, index = tree.query(np.column_stack([hx, hy]), k=1)
    # Without distance_upper_bound every query finds a site, so index is always valid.
    site_ids = text_column(chosen, "site_id").to_numpy()
    return pd.DataFrame(
        {
            "hotspot_id": pd.Series(ids, dtype="str"),
            "nearest_site_id": pd.Series(site_ids[index], dtype="str"),
            "distance_km": distance_m / 1000.0,
        }
    )


def _check_distance(distance_km: float, function: str) -> float:
    """Return the distance as float or raise ValueError naming it."""
    try:
        value = float(distance_km)
    except (TypeError, ValueError):
        value = float("nan")
    if not (value >= 0):
        raise ValueError(
            f"{function}: distance_km={distance_km!r} must be a number of kilometres >= 0 "
            "(default 5)"
        )
    return value


def _joined(hotspot_est: pd.DataFrame, nearest: pd.DataFrame, function: str) -> pd.DataFrame:
    """hotspot_est with nearest_site_id and distance_km attached (inf where a hotspot has none)."""
    require_columns(
        hotspot_est, ["hotspot_id", "district"], argument="hotspot_est", function=function
    )
    require_columns(
        nearest,
        ["hotspot_id", "nearest_site_id", "distance_km"],
        argument="nearest",
        function=function,
    )
    if (
        len(nearest) == len(hotspot_est)
        and (nearest["hotspot_id"].to_numpy() == hotspot_est["hotspot_id"].to_numpy()).all()
    ):
        # Fast path: nearest_site_km() output in the same row order as hotspot_est (no merge).
        return hotspot_est.assign(
            nearest_site_id=nearest["nearest_site_id"].fillna("").to_numpy(),
            distance_km=nearest["distance_km"].fillna(np.inf).to_numpy(dtype="float64"),
        )
    near = nearest[["hotspot_id", "nearest_site_id", "distance_km"]].drop_duplicates("hotspot_id")
    out = hotspot_est.merge(near, on="hotspot_id", how="left")
    out["nearest_site_id"] = text_column(out, "nearest_site_id")
    out["distance_km"] = out["distance_km"].fillna(np.inf)
    return out


def access_by_district(
    hotspot_est: pd.DataFrame,
    nearest: pd.DataFrame,
    *,
    distance_km: float = DEFAULT_DISTANCE_KM,
    level: str = "mid",
    boundaries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per district, the estimate at hotspots within ``distance_km`` of a site and its share.

    ``nearest`` is nearest_site_km() output. Columns: district, estimate_within_distance
    (estimate_<level> of hotspots whose nearest site is at most distance_km away),
    share_within_distance (÷ the district's estimate_<level>, NaN when that is 0),
    unserved_hotspots (count beyond distance_km). Districts with hotspots are listed, plus every
    district of ``boundaries`` when given (zeros, share NaN).
    """
    fn = "access_by_district"
    require_choice(level, ESTIMATE_LEVELS, argument="level", function=fn)
    limit_km = _check_distance(distance_km, fn)
    col = f"estimate_{level}"
    require_columns(hotspot_est, [col], argument="hotspot_est", function=fn)
    joined = _joined(hotspot_est, nearest, fn)
    within = joined["distance_km"].to_numpy() <= limit_km
    value = joined[col].to_numpy(dtype="float64")
    parts = pd.DataFrame(
        {
            "district": joined["district"].to_numpy(),
            "_total": value,
            "estimate_within_distance": np.where(within, value, 0.0),
            "unserved_hotspots": (~within).astype("int64"),
        }
    )
    out = group_sum(
        parts, ["district"], ["_total", "estimate_within_distance", "unserved_hotspots"]
    )
    if boundaries is not None:
        require_columns(boundaries, ["district"], argument="boundaries", function=fn)
        names = pd.Index(text_column(boundaries, "district"))
        out = out.reindex(names.append(out.index.difference(names, sort=False))).fillna(0)
    out["share_within_distance"] = np.where(
        out["_total"] > 0,
        out["estimate_within_distance"] / out["_total"].where(out["_total"] > 0, 1.0),
        np.nan,
    )
    out["unserved_hotspots"] = out["unserved_hotspots"].astype("int64")
    out = out.rename_axis("district").reset_index()
    return out[
        ["district", "estimate_within_distance", "share_within_distance", "unserved_hotspots"]
    ]


def unserved_hotspots(
    hotspot_est: pd.DataFrame, nearest: pd.DataFrame, *, distance_km: float = DEFAULT_DISTANCE_KM
) -> pd.DataFrame:
    """Hotspots with no qualifying site within ``distance_km``: hotspot-level, keep server-side.

    Columns: those of ``hotspot_est`` plus nearest_site_id and distance_km, largest
    estimate_mid first (ties in input order). Contains hotspot locations: never send it to an
    aggregate-only view (DESIGN.md s.4).
    """
    fn = "unserved_hotspots"
    limit_km = _check_distance(distance_km, fn)
    joined = _joined(hotspot_est, nearest, fn)
    out = joined[joined["distance_km"].to_numpy() > limit_km]
    if "estimate_mid" in out.columns:
        # Stable sort on one float key: ties keep the input order (cheap for 100,000 rows).
        order = np.argsort(-out["estimate_mid"].to_numpy(dtype="float64"), kind="stable")
        out = out.iloc[order]
    return out.reset_index(drop=True)


def site_catchment(
    hotspots: pd.DataFrame,
    sites: pd.DataFrame,
    crs_projected: str,
    site_id: str,
    *,
    distance_km: float = DEFAULT_DISTANCE_KM,
) -> pd.DataFrame:
    """A site's catchment: the hotspots within ``distance_km`` whose nearest site is ``site_id``.

    Nearest among sites of any service, by straight line in ``crs_projected``
    (nearest_site_km); a hotspot nearer to another
    site belongs to that one, so catchments never overlap. Returns the rows of ``hotspots``
    (same columns and type, input order, index reset) plus distance_km to the site.
    Hotspot-level: keep server-side (DESIGN.md s.4). ValueError naming ``site_id`` when it is not
    a site of ``sites``.
    """
    fn = "site_catchment"
    limit_km = _check_distance(distance_km, fn)
    require_columns(sites, ["site_id"], argument="sites", function=fn)
    known = text_column(sites, "site_id")
    if str(site_id) not in set(known):
        listed = sorted(known)
        raise ValueError(
            f"{fn}: site_id={site_id!r} is not a site of this dataset; choose one of {listed[:40]}"
            + (" ..." if len(listed) > 40 else "")
        )
    near = nearest_site_km(hotspots, sites, crs_projected)
    keep = (near["nearest_site_id"].to_numpy() == str(site_id)) & (
        near["distance_km"].to_numpy() <= limit_km
    )
    out = hotspots[keep].copy()
    out["distance_km"] = near["distance_km"].to_numpy()[keep]
    return out.reset_index(drop=True)
