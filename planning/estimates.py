"""Size estimates: hotspot counts to district, region and national roll-ups with low/mid/high.

../shared/DESIGN.md s.3: estimate of an area = sum over its hotspots of the peak-day counts
adjusted for people counted at more than one spot, ``Σ spot_count × (1 − duplication_rate)``;
low uses the min column, high the max column, mid their mean; the basis is peak (default) or
typical day. Roll-ups always carry low/mid/high and the roll-up totals equal the sum of parts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planning._frames import group_sum, require_choice, require_columns, text_column

BASES = ("peak", "typical")
# DESIGN.md s.3: duplication_rate default 0, range 0-0.5.
DUPLICATION_RATE_MAX = 0.5
ROLLUP_LEVELS = ("district", "region", "national")
BREAKDOWN_BY = ("typology", "population")
ESTIMATE_COLUMNS = ["estimate_low", "estimate_mid", "estimate_high"]
TYPICAL_COLUMNS = ["typical_low", "typical_high"]
HOTSPOT_ESTIMATE_COLUMNS = [
    "hotspot_id", "name", "district", "region", "typology", "population",
    *ESTIMATE_COLUMNS, *TYPICAL_COLUMNS, "latitude", "longitude",
]  # fmt: skip


def _check_duplication_rate(duplication_rate: float, function: str) -> float:
    """Return the rate as float or raise ValueError naming it and the allowed range."""
    try:
        rate = float(duplication_rate)
    except (TypeError, ValueError):
        rate = float("nan")
    if not (0.0 <= rate <= DUPLICATION_RATE_MAX):
        raise ValueError(
            f"{function}: duplication_rate={duplication_rate!r} "
            f"is outside 0..{DUPLICATION_RATE_MAX} "
            "(share of people counted at more than one spot; DESIGN.md s.3); give e.g. 0.1 for 10%"
        )
    return rate


def hotspot_estimates(
    hotspots: pd.DataFrame, *, basis: str = "peak", duplication_rate: float = 0.0
) -> pd.DataFrame:
    """Per-hotspot estimate of people: low/mid/high on the chosen basis, adjusted for duplication.

    Columns: hotspot_id, name, district, region, typology, population, estimate_low,
    estimate_mid, estimate_high (float people; low = ``<basis>_min × (1 − duplication_rate)``,
    high = ``<basis>_max × (1 − duplication_rate)``, mid = (low + high) / 2), typical_low,
    typical_high (typical-day min/max with the same adjustment: the daily outreach load),
    latitude, longitude (WGS84, kept for access and maps). Missing optional text columns
    become "" (population "FSW", the default key population of DESIGN.md s.2).
    """
    fn = "hotspot_estimates"
    require_choice(basis, BASES, argument="basis", function=fn)
    rate = _check_duplication_rate(duplication_rate, fn)
    require_columns(
        hotspots,
        ["hotspot_id", "typical_min", "typical_max", f"{basis}_min", f"{basis}_max"],
        argument="hotspots",
        function=fn,
    )
    keep = 1.0 - rate
    low = hotspots[f"{basis}_min"].to_numpy(dtype="float64") * keep
    high = hotspots[f"{basis}_max"].to_numpy(dtype="float64") * keep
    nan = np.full(len(hotspots), np.nan)
    out = pd.DataFrame(
        {
            "hotspot_id": text_column(hotspots, "hotspot_id"),
            "name": text_column(hotspots, "name"),
            "district": text_column(hotspots, "district"),
            "region": text_column(hotspots, "region"),
            "typology": text_column(hotspots, "typology"),
            "population": text_column(hotspots, "population", "FSW").replace("", "FSW"),
            "estimate_low": low,
            "estimate_mid": (low + high) / 2.0,
            "estimate_high": high,
            "typical_low": hotspots["typical_min"].to_numpy(dtype="float64") * keep,
            "typical_high": hotspots["typical_max"].to_numpy(dtype="float64") * keep,
            "latitude": hotspots["latitude"].to_numpy(dtype="float64")
            if "latitude" in hotspots
            else nan,
            "longitude": hotspots["longitude"].to_numpy(dtype="float64")
            if "longitude" in hotspots
            else nan,
        }
    )
    return out.reset_index(drop=True)


def _sum_columns(frame: pd.DataFrame) -> list[str]:
    """The estimate columns present in ``frame`` that roll up by summation."""
    return [c for c in ESTIMATE_COLUMNS + TYPICAL_COLUMNS if c in frame.columns]


def _with_density(frame: pd.DataFrame) -> pd.DataFrame:
    """Add density_per_km2 = estimate_mid / area_km2 (NaN when the area is 0 or unknown)."""
    area = frame["area_km2"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(area > 0, frame["estimate_mid"].to_numpy(dtype="float64") / area, np.nan)
    return frame.assign(density_per_km2=density)


def district_rollup(hotspot_est: pd.DataFrame, boundaries: pd.DataFrame) -> pd.DataFrame:
    """District roll-up: every district of the boundaries (in their order), zeros where no hotspots.

    Hotspots whose district is not in the boundaries are not dropped: they get their own rows
    at the end (region from the hotspot, area_km2 NaN), so totals always equal the sum of parts.
    """
    fn = "rollup"
    require_columns(
        hotspot_est, ["district"] + ESTIMATE_COLUMNS, argument="hotspot_est", function=fn
    )
    require_columns(boundaries, ["district", "area_km2"], argument="boundaries", function=fn)
    units = pd.DataFrame(
        {
            "district": text_column(boundaries, "district"),
            "region": text_column(boundaries, "region"),
            "area_km2": boundaries["area_km2"].to_numpy(dtype="float64"),
        }
    )
    dupes = units["district"][units["district"].duplicated()].unique().tolist()
    if dupes:
        raise ValueError(
            f"rollup: boundaries list district(s) {dupes} more than once; "
            "dissolve them into one polygon each"
        )
    sum_cols = _sum_columns(hotspot_est)
    sums = group_sum(hotspot_est.assign(_n=1), ["district"], ["_n"] + sum_cols).rename(
        columns={"_n": "hotspots"}
    )
    out = units.merge(sums, left_on="district", right_index=True, how="left")
    extra_names = sums.index.difference(pd.Index(units["district"]), sort=False)
    if len(extra_names):
        extra = sums.loc[extra_names].reset_index()
        extra["region"] = ""
        if "region" in hotspot_est.columns:
            named = hotspot_est[["district", "region"]].fillna("").drop_duplicates("district")
            extra["region"] = (
                extra["district"].map(named.set_index("district")["region"]).fillna("").to_numpy()
            )
        extra["area_km2"] = np.nan
        out = pd.concat([out, extra[out.columns]], ignore_index=True)
    out[["hotspots"] + sum_cols] = out[["hotspots"] + sum_cols].fillna(0)
    out["hotspots"] = out["hotspots"].astype("int64")
    cols = ["district", "region", "hotspots"] + sum_cols + ["area_km2"]
    return _with_density(out[cols].reset_index(drop=True))


def rollup(
    hotspot_est: pd.DataFrame,
    boundaries: pd.DataFrame,
    *,
    level: str = "district",
    name: str = "National",
) -> pd.DataFrame:
    """Roll hotspot estimates up to districts, regions or the nation, carrying low/mid/high.

    Columns: ``district`` (district level only), ``region`` (district and region levels),
    ``level`` and ``name`` (national level only: one row named ``name``, e.g. the dataset's
    country), hotspots (count), estimate_low/mid/high, typical_low/high (when present),
    area_km2 (sum of district areas) and density_per_km2 (estimate_mid ÷ area_km2, NaN when
    the area is 0). Every district of the boundaries is listed, with zeros where no hotspots;
    regions are those of the boundaries (districts with region "" form region "").
    """
    require_choice(level, ROLLUP_LEVELS, argument="level", function="rollup")
    return _rollup_from_districts(district_rollup(hotspot_est, boundaries), level, name)


def rollup_all(
    hotspot_est: pd.DataFrame, boundaries: pd.DataFrame, *, name: str = "National"
) -> dict[str, pd.DataFrame]:
    """All three roll-ups at once, {"district": ..., "region": ..., "national": ...} (as rollup()).

    Groups the hotspots once, so it is cheaper than three rollup() calls on large frames.
    """
    districts = district_rollup(hotspot_est, boundaries)
    return {level: _rollup_from_districts(districts, level, name) for level in ROLLUP_LEVELS}


def _rollup_from_districts(districts: pd.DataFrame, level: str, name: str) -> pd.DataFrame:
    """Region or national roll-up of a district roll-up.

    At the district level, the district frame itself.
    """
    if level == "district":
        return districts
    sum_cols = ["hotspots"] + _sum_columns(districts) + ["area_km2"]
    if level == "region":
        regions = districts.groupby("region", sort=True)[sum_cols].sum(min_count=0).reset_index()
        regions["hotspots"] = regions["hotspots"].astype("int64")
        return _with_density(regions)
    national = districts[sum_cols].sum().to_frame().T
    national.insert(0, "name", str(name))
    national.insert(0, "level", "national")
    national["hotspots"] = national["hotspots"].astype("int64")
    for col in sum_cols[1:]:
        national[col] = national[col].astype("float64")
    return _with_density(national.reset_index(drop=True))


def breakdown(
    hotspot_est: pd.DataFrame, *, by: str = "typology", level: str = "district"
) -> pd.DataFrame:
    """Long table of estimates per area and per typology (or key population).

    Columns: the area key (``district`` and ``region`` at district level, ``region`` at region
    level, none at national level), then ``by`` (typology or population), hotspots, estimate_low,
    estimate_mid, estimate_high, and share_of_area (this group's estimate_mid ÷ the area's,
    NaN when the area's is 0). Only groups that have hotspots are listed. Areas come from the
    hotspots' own district/region columns.
    """
    fn = "breakdown"
    require_choice(by, BREAKDOWN_BY, argument="by", function=fn)
    require_choice(level, ROLLUP_LEVELS, argument="level", function=fn)
    keys = {"district": ["district", "region"], "region": ["region"], "national": []}[level]
    require_columns(
        hotspot_est, keys + [by] + ESTIMATE_COLUMNS, argument="hotspot_est", function=fn
    )
    est = hotspot_est.assign(_n=1)
    out = (
        est.groupby(keys + [by], sort=True)[["_n"] + ESTIMATE_COLUMNS]
        .sum()
        .rename(columns={"_n": "hotspots"})
        .reset_index()
    )
    area_mid = (
        out.groupby(keys)["estimate_mid"].transform("sum") if keys else out["estimate_mid"].sum()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(np.asarray(area_mid) > 0, out["estimate_mid"] / area_mid, np.nan)
    out["share_of_area"] = share
    out["hotspots"] = out["hotspots"].astype("int64")
    return out
