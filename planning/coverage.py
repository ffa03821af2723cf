"""Programme coverage from enrolment: enrolled ÷ estimate as a low/mid/high range, gaps, trends.

../shared/DESIGN.md s.3: coverage_low = enrolled ÷ high estimate, coverage_mid = enrolled ÷ mid,
coverage_high = enrolled ÷ low estimate; enrolled is the latest period's cumulative count unless
a period is chosen; gap = max(0, target × planning population − enrolled), where the planning
population is the estimate at the chosen level (mid by default; "the human resource and commodity
plan needs to be based on peak estimates so that no one remains uncovered",
programmatic-mapping-jmir-2019.txt, Table 1).

Period ordering: periods are "YYYY-Qn" (quarter) or "YYYY-MM" (month). Each sorts by the last
month it covers: a quarter at its final month (2025-Q3 as 2025-09), a month as itself, so
"2025-Q4" < "2026-Q1" and a mixed list orders months inside their quarter; a quarter sorts after
the month that ends it ("2025-09" < "2025-Q3") because its cumulative count closes the quarter.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from planning._frames import (
    ESTIMATE_LEVELS,
    group_sum,
    require_choice,
    require_columns,
    text_column,
)

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
COVERAGE_COLUMNS = ["coverage_low", "coverage_mid", "coverage_high"]


def period_sort_key(period: str) -> tuple[int, int, int]:
    """Sort key of a period: (year, last month covered, 1 for a quarter / 0 for a month).

    Raises ValueError naming the value when it is neither "YYYY-Qn" nor "YYYY-MM".
    """
    text = str(period).strip()
    match = _QUARTER.match(text)
    if match:
        return int(match.group(1)), 3 * int(match.group(2)), 1
    match = _MONTH.match(text)
    if match:
        return int(match.group(1)), int(match.group(2)), 0
    raise ValueError(
        f"period {period!r} is neither a quarter 'YYYY-Qn' (e.g. 2025-Q3) "
        "nor a month 'YYYY-MM' (e.g. 2025-09)"
    )


def periods(enrolment: pd.DataFrame) -> list[str]:
    """The distinct periods of the enrolment records, oldest first (see the module docstring)."""
    require_columns(enrolment, ["period"], argument="enrolment", function="periods")
    values = pd.Series(enrolment["period"].unique()).fillna("").astype("str").unique().tolist()
    return sorted(values, key=period_sort_key)


def _choose_period(enrolment: pd.DataFrame, period: str | None, function: str) -> str | None:
    """The requested period (checked to exist) or the latest one; None when there are no records."""
    available = periods(enrolment)
    if period is None:
        return available[-1] if available else None
    period_sort_key(period)  # raises on a malformed period
    if str(period) not in available:
        raise ValueError(
            f"{function}: period={period!r} has no enrolment records; "
            f"available periods are {available}"
        )
    return str(period)


def enrolled_by_district(
    enrolment: pd.DataFrame, boundaries: pd.DataFrame, *, period: str | None = None
) -> pd.DataFrame:
    """People enrolled per district in one period (the latest when ``period`` is None).

    Enrolled counts are cumulative, so this takes the rows of that period (not a sum over
    periods) and sums ``enrolled`` over the resolved ``district`` column, whatever the row's
    level (hotspot, site or district). Columns: district, region (from the boundaries),
    enrolled (int64; 0 where no records), period. Every district of the boundaries is listed in
    their order; records whose district is not in the boundaries get rows at the end.
    """
    fn = "enrolled_by_district"
    require_columns(
        enrolment, ["period", "enrolled", "district"], argument="enrolment", function=fn
    )
    require_columns(boundaries, ["district"], argument="boundaries", function=fn)
    chosen = _choose_period(enrolment, period, fn)
    units = pd.DataFrame(
        {
            "district": text_column(boundaries, "district"),
            "region": text_column(boundaries, "region"),
        }
    )
    rows = (
        enrolment[(enrolment["period"] == chosen).to_numpy()]
        if chosen is not None
        else enrolment.iloc[0:0]
    )
    sums = group_sum(rows, ["district"], ["enrolled"])["enrolled"]
    out = units.merge(sums.rename("enrolled"), left_on="district", right_index=True, how="left")
    extra = sums.index.difference(pd.Index(units["district"]), sort=False)
    if len(extra):
        region = pd.Series("", index=extra, dtype="str")
        if "region" in rows.columns:
            named = (
                rows[["district", "region"]]
                .fillna("")
                .drop_duplicates("district")
                .set_index("district")
            )
            region = named["region"].reindex(extra).fillna("")
        extra_rows = pd.DataFrame(
            {
                "district": list(extra),
                "region": region.to_numpy(),
                "enrolled": sums.loc[extra].to_numpy(),
            }
        )
        out = pd.concat([out, extra_rows], ignore_index=True)
    out["enrolled"] = out["enrolled"].fillna(0).astype("int64")
    out["period"] = "" if chosen is None else chosen
    return out.reset_index(drop=True)


def enrolled_by_hotspot(enrolment: pd.DataFrame, *, period: str | None = None) -> pd.DataFrame:
    """People enrolled per hotspot in one period, from hotspot-level rows only.

    When ``period`` is None the latest period among hotspot-level rows is used. Columns:
    hotspot_id, district, enrolled (int64), period; rows in order of first appearance.
    Hotspots without a record are absent (merge with how="left" and fill 0 for hotspot-level
    coverage).
    """
    fn = "enrolled_by_hotspot"
    require_columns(
        enrolment, ["period", "enrolled", "hotspot_id"], argument="enrolment", function=fn
    )
    if "level" in enrolment.columns:
        is_hotspot = enrolment["level"] == "hotspot"
    else:
        is_hotspot = enrolment["hotspot_id"].notna() & (enrolment["hotspot_id"] != "")
    rows = enrolment[is_hotspot.to_numpy()]
    chosen = _choose_period(rows, period, fn)
    if chosen is None:
        return pd.DataFrame(
            {
                "hotspot_id": pd.Series([], dtype="str"),
                "district": pd.Series([], dtype="str"),
                "enrolled": pd.Series([], dtype="int64"),
                "period": pd.Series([], dtype="str"),
            }
        )
    rows = rows[(rows["period"] == chosen).to_numpy()]
    if "district" in rows.columns:
        out = rows.groupby("hotspot_id", sort=False).agg(
            district=("district", "first"), enrolled=("enrolled", "sum")
        )
        out = out.reset_index()
        out["district"] = out["district"].fillna("").astype("str")
    else:
        out = rows.groupby("hotspot_id", sort=False)["enrolled"].sum().reset_index()
        out.insert(1, "district", "")
    out["enrolled"] = out["enrolled"].astype("int64")
    out["period"] = chosen
    return out


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator ÷ denominator, NaN where the denominator is 0 (or NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _check_target(target: float, function: str) -> float:
    """Return the target as float or raise ValueError naming it."""
    try:
        value = float(target)
    except (TypeError, ValueError):
        value = float("nan")
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(
            f"{function}: target={target!r} must be a finite share >= 0 of the planning population "
            "(1.0 = everyone, DESIGN.md s.3)"
        )
    return value


def _area_key(frame: pd.DataFrame) -> str | None:
    """The join key of an area frame: district, region, or None for a national frame."""
    if "district" in frame.columns:
        return "district"
    if "region" in frame.columns:
        return "region"
    return None


def coverage_table(
    area_estimates: pd.DataFrame, enrolled: pd.DataFrame, *, level: str = "mid", target: float = 1.0
) -> pd.DataFrame:
    """Area estimates plus enrolled, planning_population, coverage_low/mid/high and gap.

    ``area_estimates`` is a rollup() frame at district, region or national level; ``enrolled``
    is enrolled_by_district() (or any frame with the area key and ``enrolled``): it is summed to
    the area's key (district, region, or everything for a national frame), 0 where absent.
    planning_population = estimate_<level>; coverage_low = enrolled ÷ estimate_high,
    coverage_mid = enrolled ÷ estimate_mid, coverage_high = enrolled ÷ estimate_low (NaN when
    the denominator is 0); gap = max(0, target × planning_population − enrolled).
    """
    fn = "coverage_table"
    require_choice(level, ESTIMATE_LEVELS, argument="level", function=fn)
    goal = _check_target(target, fn)
    require_columns(
        area_estimates,
        ["estimate_low", "estimate_mid", "estimate_high"],
        argument="area_estimates",
        function=fn,
    )
    key = _area_key(area_estimates)
    require_columns(
        enrolled, ["enrolled"] + ([key] if key else []), argument="enrolled", function=fn
    )
    if key is None:
        counts = np.full(len(area_estimates), float(enrolled["enrolled"].sum()))
    else:
        by_key = enrolled.assign(**{key: text_column(enrolled, key)}).groupby(key)["enrolled"].sum()
        counts = text_column(area_estimates, key).map(by_key).fillna(0).to_numpy(dtype="float64")
    out = area_estimates.copy()
    out["enrolled"] = counts.astype("int64") if np.all(np.mod(counts, 1) == 0) else counts
    planning = out[f"estimate_{level}"].to_numpy(dtype="float64")
    out["planning_population"] = planning
    out["coverage_low"] = _ratio(counts, out["estimate_high"].to_numpy(dtype="float64"))
    out["coverage_mid"] = _ratio(counts, out["estimate_mid"].to_numpy(dtype="float64"))
    out["coverage_high"] = _ratio(counts, out["estimate_low"].to_numpy(dtype="float64"))
    out["gap"] = np.maximum(0.0, goal * planning - counts)
    return out


def hotspot_coverage(hotspot_est: pd.DataFrame, enrolled_hotspots: pd.DataFrame) -> pd.DataFrame:
    """Hotspot-level coverage: hotspot_est plus enrolled and coverage_low/mid/high.

    ``enrolled`` is 0 where a hotspot has no record.
    ``enrolled_hotspots`` is enrolled_by_hotspot() output. Same definitions as coverage_table
    (NaN when the denominator is 0). Hotspot-level: keep it on the server, never in an
    aggregate-only view (DESIGN.md s.4).
    """
    fn = "hotspot_coverage"
    require_columns(
        hotspot_est,
        ["hotspot_id", "estimate_low", "estimate_mid", "estimate_high"],
        argument="hotspot_est",
        function=fn,
    )
    require_columns(
        enrolled_hotspots, ["hotspot_id", "enrolled"], argument="enrolled_hotspots", function=fn
    )
    by_id = enrolled_hotspots.groupby("hotspot_id", sort=False)["enrolled"].sum()
    counts = hotspot_est["hotspot_id"].map(by_id).fillna(0).to_numpy(dtype="float64")
    out = hotspot_est.copy()
    out["enrolled"] = counts.astype("int64")
    out["coverage_low"] = _ratio(counts, out["estimate_high"].to_numpy(dtype="float64"))
    out["coverage_mid"] = _ratio(counts, out["estimate_mid"].to_numpy(dtype="float64"))
    out["coverage_high"] = _ratio(counts, out["estimate_low"].to_numpy(dtype="float64"))
    return out


def coverage_trend(enrolment: pd.DataFrame, district_estimates: pd.DataFrame) -> pd.DataFrame:
    """Coverage per district for every period: one row per district × period (oldest first).

    ``district_estimates`` is rollup(level="district"). Columns: district, region, period,
    enrolled (int64, 0 where no records that period), coverage_low, coverage_mid, coverage_high
    (same definitions as coverage_table). Ordered by district (as in ``district_estimates``)
    then period.
    """
    fn = "coverage_trend"
    require_columns(
        enrolment, ["period", "enrolled", "district"], argument="enrolment", function=fn
    )
    require_columns(
        district_estimates,
        ["district", "estimate_low", "estimate_mid", "estimate_high"],
        argument="district_estimates",
        function=fn,
    )
    order = periods(enrolment)
    est = district_estimates[["district", "estimate_low", "estimate_mid", "estimate_high"]].assign(
        district=text_column(district_estimates, "district"),
        region=text_column(district_estimates, "region"),
        _d=np.arange(len(district_estimates)),
    )
    grid = est.merge(pd.DataFrame({"period": order, "_p": np.arange(len(order))}), how="cross")
    sums = group_sum(enrolment, ["district", "period"], ["enrolled"])["enrolled"]
    grid = grid.merge(sums, left_on=["district", "period"], right_index=True, how="left")
    grid["enrolled"] = grid["enrolled"].fillna(0).astype("int64")
    counts = grid["enrolled"].to_numpy(dtype="float64")
    grid["coverage_low"] = _ratio(counts, grid["estimate_high"].to_numpy(dtype="float64"))
    grid["coverage_mid"] = _ratio(counts, grid["estimate_mid"].to_numpy(dtype="float64"))
    grid["coverage_high"] = _ratio(counts, grid["estimate_low"].to_numpy(dtype="float64"))
    grid = grid.sort_values(["_d", "_p"], kind="stable")
    return grid[["district", "region", "period", "enrolled"] + COVERAGE_COLUMNS].reset_index(
        drop=True
    )
