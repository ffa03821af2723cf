"""Statistical disclosure control for aggregate-only views (DESIGN.md s.4).

Hotspots of a criminalised population must not be recoverable from the district figures a donor
sees, by browsing or by any sequence of requests. Three rules, applied on the server to every
aggregate output (docs/privacy.md gives the threat model):

1. **A fixed menu of parameters.** An aggregate view is computed from the dataset's default
   scenario; a request may choose only the estimate basis, the planning level and an access
   distance from ``DisclosureRule.distances_km``. Anything else is snapped to the default
   (``publishable_scenario``), so sweeping a free parameter (a distance, a cap, a duplication
   rate, a service filter) gives the same answer at every value.
2. **Rounding.** Every hotspot-derived count (hotspots, estimates, planning population, gap,
   people within the access distance, unserved hotspots) is rounded to ``rounding_base``;
   ratios and resources are recomputed from the rounded counts, never from the true ones.
3. **Suppression.** A district built from fewer than ``min_hotspots`` hotspots or fewer than
   ``min_people`` people (low estimate) is suppressed (primary). Secondary suppression then
   makes every published total safe: within each region, and over the regions of the nation,
   the suppressed parts together must meet the same thresholds, else the next smallest part
   (or the total itself) is suppressed too, so that no suppressed cell equals a published total
   minus published parts.
4. **Access bands.** Switching the access distance between two menu values gives the people
   between them. A district publishes access figures only at the menu distances whose bands
   (the hotspots between consecutive published distances) are each empty or above the
   thresholds; regional and national access figures add up published district figures only,
   and say how many districts they cover, so no difference isolates a small group.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from planning import priority
from planning.plan import Plan, aggregate, recompute_ratios, safe_ratio
from planning.resources import RESOURCE_COLUMNS, resource_table
from planning.scenario import Scenario

# Counts of hotspots or people, rounded to the base (the access ones blank with the access group).
ROUNDED_COLUMNS = (
    "hotspots", "estimate_low", "estimate_mid", "estimate_high", "planning_population",
    "estimate_within_distance", "unserved_hotspots",
)  # fmt: skip
COUNT_COLUMNS = (*ROUNDED_COLUMNS[:5], "gap")
ACCESS_COLUMNS = ("estimate_within_distance", "unserved_hotspots", "share_within_distance")
# Computed from the rounded counts (blank when suppressed).
DERIVED_COLUMNS = (
    "coverage_low", "coverage_mid", "coverage_high", *RESOURCE_COLUMNS, "density_per_km2",
    "priority_rank", "priority_score",
)  # fmt: skip
SUPPRESSED = "suppressed"
ACCESS_SUPPRESSED = "access_suppressed"


@dataclass(frozen=True)
class DisclosureRule:
    """The published rule: rounding base, suppression thresholds and the menu of distances."""

    rounding_base: int = 10
    min_hotspots: int = 5
    min_people: int = 20
    distances_km: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0)
    # Where a district cannot publish every menu distance, the one kept first. The choice must
    # not depend on the request: otherwise two requests publish two different sets of cuts.
    preferred_distance_km: float = 5.0

    def __post_init__(self) -> None:
        if self.rounding_base < 1 or self.min_hotspots < 1 or self.min_people < 1:
            raise ValueError(
                f"DisclosureRule: rounding_base={self.rounding_base}, min_hotspots="
                f"{self.min_hotspots} and min_people={self.min_people} must all be at least 1"
            )
        if not self.distances_km or sorted(self.distances_km) != list(self.distances_km):
            raise ValueError(
                f"DisclosureRule: distances_km={self.distances_km!r} must be a non-empty "
                "increasing list, e.g. (1, 2, 5, 10)"
            )
        if not any(math.isclose(self.preferred_distance_km, d) for d in self.distances_km):
            raise ValueError(
                f"DisclosureRule: preferred_distance_km={self.preferred_distance_km:g} is not one "
                f"of distances_km {self.distances_km}"
            )

    def short_statement(self) -> str:
        """The rule in a few words, for a map's corner note and its PNG."""
        return (
            f"Counts rounded to {self.rounding_base}; districts from fewer than "
            f"{self.min_hotspots} hotspots or {self.min_people} people suppressed."
        )

    def statement(self) -> str:
        """The rule in one sentence, shown on every aggregate view and export."""
        return (
            f"Counts rounded to {self.rounding_base}; figures from fewer than "
            f"{self.min_hotspots} hotspots or {self.min_people} people suppressed, with secondary "
            "suppression so that they cannot be recovered from totals; parameters from a fixed "
            "menu (basis, level, access distance "
            f"{', '.join(f'{d:g}' for d in self.distances_km)} km)."
        )


def publishable_scenario(requested: Scenario, default: Scenario, rule: DisclosureRule) -> Scenario:
    """``default`` with only the menu choices of ``requested``: basis, level and a menu distance.

    Every other parameter of the request (ratios, targets, duplication, costs, caps, service,
    period) is ignored: an aggregate viewer cannot make the server compute with it.
    """
    distance = next(
        (
            d
            for d in (requested.distance_km, default.distance_km, rule.preferred_distance_km)
            if _menu_index(d, rule) is not None
        ),
        rule.preferred_distance_km,
    )
    return default.replace(
        basis=requested.basis,
        level=requested.level,
        distance_km=distance,
        max_pe=None,
        budget_usd_month=None,
        service=None,
        period=default.period,
        new_sites=0,  # proposed sites stand on hotspot locations
    )


def round_to(values: npt.ArrayLike, base: int) -> npt.NDArray[np.float64]:
    """Values rounded to the nearest multiple of ``base`` (halves up); NaN stays NaN."""
    array = np.asarray(values, dtype="float64")
    return np.floor(array / base + 0.5) * base


def _suppress_within(
    members: Sequence[int],
    suppressed: set[int],
    safe: Callable[[list[int]], bool],
    size: Callable[[int], tuple[float, str]],
) -> bool:
    """Add parts of one total to ``suppressed`` until its suppressed parts are safe together.

    Returns True when even suppressing every part is not safe (the total must go too).
    """
    inside = [m for m in members if m in suppressed]
    if not inside:
        return False
    while not safe(inside):
        candidates = sorted((m for m in members if m not in suppressed), key=size)
        if not candidates:
            return True
        suppressed.add(candidates[0])
        inside.append(candidates[0])
    return False


def hierarchical_suppression(
    regions: Sequence[str],
    primary: npt.ArrayLike,
    safe: Callable[[list[int]], bool],
    size: Callable[[int], tuple[float, str]],
) -> tuple[npt.NDArray[np.bool_], dict[str, bool], bool]:
    """Secondary suppression over districts → regions → nation.

    ``regions[i]`` is district i's region, ``primary[i]`` whether it is suppressed on its own,
    ``safe(indices)`` whether a set of districts may be known only as a sum, ``size(i)`` the
    order in which parts are added (smallest first). Returns the district flags, the region
    flags and the national flag.
    """
    suppressed = {i for i, flag in enumerate(np.asarray(primary, dtype=bool)) if flag}
    by_region: dict[str, list[int]] = {}
    for i, region in enumerate(regions):
        by_region.setdefault(str(region), []).append(i)
    region_flags = {
        region: _suppress_within(members, suppressed, safe, size)
        for region, members in sorted(by_region.items())
    }
    # a suppressed region total: all its districts go too (its total is their sum)
    for region, flag in region_flags.items():
        if flag:
            suppressed.update(by_region[region])
    # the nation over its regions: suppressed regions together must be safe
    names = sorted(by_region)
    region_members = {name: by_region[name] for name in names}

    def region_safe(indices: list[int]) -> bool:
        return safe([d for r in indices for d in region_members[names[r]]])

    def region_size(index: int) -> tuple[float, str]:
        return (sum(size(d)[0] for d in region_members[names[index]]), names[index])

    hidden_regions = {i for i, name in enumerate(names) if region_flags[name]}
    national = _suppress_within(range(len(names)), hidden_regions, region_safe, region_size)
    for i in hidden_regions:
        region_flags[names[i]] = True
        suppressed.update(region_members[names[i]])
    flags = np.zeros(len(regions), dtype=bool)
    flags[list(suppressed)] = True
    return flags, region_flags, national


def access_bands(
    hotspots: pd.DataFrame,
    districts: Sequence[str],
    distances_km: Sequence[float],
    people: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Hotspots and ``people`` (one value per hotspot row) per district in each distance band.

    Bands: ≤ d1, d1–d2, …, beyond the last distance (and spots with no site). Arrays of shape
    (districts, bands).
    """
    edges = np.asarray(list(distances_km), dtype="float64")
    distance = pd.to_numeric(hotspots["distance_km"], errors="coerce").to_numpy(dtype="float64")
    band = np.where(np.isnan(distance), len(edges), np.searchsorted(edges, distance, side="left"))
    index = pd.Series(np.arange(len(districts)), index=list(districts))
    row = hotspots["district"].astype(str).map(index).fillna(-1).to_numpy(dtype="int64")
    keep = row >= 0
    shape = (len(districts), len(edges) + 1)
    counts = np.zeros(shape)
    people_sum = np.zeros(shape)
    np.add.at(counts, (row[keep], band[keep]), 1.0)
    weights = np.nan_to_num(np.asarray(people, dtype="float64"))
    np.add.at(people_sum, (row[keep], band[keep]), weights[keep])
    return counts, people_sum


def _menu_index(distance_km: float, rule: DisclosureRule) -> int | None:
    """The position of ``distance_km`` in the menu, or None when it is not on it."""
    for i, d in enumerate(rule.distances_km):
        if math.isclose(d, distance_km):
            return i
    return None


def _best_cuts(
    safe: Callable[[tuple[int, ...]], bool], menu: int, preferred: int | None
) -> tuple[int, ...]:
    """The largest set of menu distances whose bands are all safe, preferring ``preferred``."""
    best: tuple[int, ...] = ()
    best_key: tuple[int, int, tuple[int, ...]] = (-1, -1, ())
    for mask in range(1 << menu):
        cuts = tuple(i for i in range(menu) if mask >> i & 1)
        if not safe(cuts):
            continue
        key = (len(cuts), int(preferred in cuts), tuple(-c for c in cuts))
        if key > best_key:
            best, best_key = cuts, key
    return best


def publish_plan(plan: Plan, rule: DisclosureRule, people_floor: pd.Series | None = None) -> Plan:
    """The plan as an aggregate viewer may see it: rounded, suppressed, no hotspot rows.

    Needs the plan's hotspot table (for the true counts and the access bands); returns a Plan
    whose hotspot table is empty and whose district, region and national frames carry
    ``suppressed`` / ``access_suppressed`` flags and blanks where figures are suppressed.

    ``people_floor`` (people per hotspot_id, e.g. the fewest of its typical- and peak-day
    minimum counts) decides what is suppressed; it must not depend on the request, so that the
    same cells are suppressed whatever basis or level a viewer picks. Default: the plan's low
    estimate.
    """
    true = plan.districts.reset_index(drop=True)
    names = true["district"].astype(str).tolist()
    regions = true["region"].astype(str).tolist() if "region" in true else [""] * len(true)
    n_hotspots = true["hotspots"].to_numpy(dtype="float64")
    spots = plan.hotspots
    if people_floor is None:
        floor = pd.to_numeric(spots["estimate_low"], errors="coerce").fillna(0.0)
    else:
        floor = spots["hotspot_id"].map(people_floor).astype("float64").fillna(0.0)
    by_district = floor.groupby(spots["district"].astype(str).to_numpy()).sum()
    people_low = by_district.reindex(names).fillna(0.0).to_numpy(dtype="float64")

    def sized(i: int) -> tuple[float, str]:
        return (people_low[i], names[i])

    def safe_main(indices: list[int]) -> bool:
        h, p = n_hotspots[indices].sum(), people_low[indices].sum()
        return bool(h == 0 or (h >= rule.min_hotspots and p >= rule.min_people))

    primary = (n_hotspots > 0) & ((n_hotspots < rule.min_hotspots) | (people_low < rule.min_people))
    main, main_regions, main_national = hierarchical_suppression(regions, primary, safe_main, sized)

    band_counts, band_people = access_bands(spots, names, rule.distances_km, floor.to_numpy())
    menu = len(rule.distances_km)
    chosen = _menu_index(plan.scenario.distance_km, rule)
    preferred = _menu_index(rule.preferred_distance_km, rule)

    def safe_cuts(indices: list[int], cuts: tuple[int, ...]) -> bool:
        """Whether the bands between ``cuts`` (menu indices) are 0 or above the thresholds for
        the sum over ``indices``."""
        counts = band_counts[indices].sum(axis=0)
        people = band_people[indices].sum(axis=0)
        edges = [0, *[c + 1 for c in cuts], menu + 1]
        for low, high in itertools.pairwise(edges):
            c, p = counts[low:high].sum(), people[low:high].sum()
            if c > 0 and (c < rule.min_hotspots or p < rule.min_people):
                return False
        return True

    # the same cuts whatever distance the request chose (see preferred_distance_km)
    published_cuts: list[tuple[int, ...]] = []
    for i in range(len(names)):
        if main[i]:
            published_cuts.append(())
            continue

        def district_safe(cuts: tuple[int, ...], i: int = i) -> bool:
            return safe_cuts([i], cuts)

        published_cuts.append(_best_cuts(district_safe, menu, preferred))
    unpublished = np.array([chosen is None or chosen not in cuts for cuts in published_cuts])
    access = unpublished | main

    scenario = plan.scenario
    districts = resource_table(_published_rows(true, scenario, rule), scenario)
    districts[SUPPRESSED] = main
    districts[ACCESS_SUPPRESSED] = access
    ranked = priority.rank_districts(districts[~main].reset_index(drop=True))
    districts["priority_rank"] = np.nan
    districts["priority_score"] = np.nan
    districts.loc[~main, "priority_rank"] = ranked["priority_rank"].to_numpy(dtype="float64")
    districts.loc[~main, "priority_score"] = ranked["priority_score"].to_numpy()
    region_frame = _published_totals(aggregate(true, "region"), districts, "region", rule, scenario)
    national = _published_totals(aggregate(true, None), districts, None, rule, scenario)
    if "name" in plan.national:
        national.insert(1, "name", plan.national["name"].iloc[0])
    region_frame[SUPPRESSED] = region_frame["region"].astype(str).map(main_regions).fillna(False)
    national[SUPPRESSED] = main_national
    for frame, by in ((region_frame, "region"), (national, None)):
        _access_totals(frame, districts, by)
    for frame in (districts, region_frame, national):
        _blank(frame)
    totals = {
        k: v
        for k, v in national.iloc[0].to_dict().items()
        if k not in ("level", "name", SUPPRESSED, ACCESS_SUPPRESSED)
    }
    totals["districts"] = len(districts)
    totals["suppressed_districts"] = int(main.sum())
    return replace(
        plan.without_hotspots(),
        districts=districts,
        regions=region_frame,
        national=national,
        totals=totals,
        allocation=None,
        allocation_totals=None,
        warnings=[*plan.warnings, rule.statement()],
        disclosure=rule.statement(),
    )


def _published_rows(true: pd.DataFrame, scenario: Scenario, rule: DisclosureRule) -> pd.DataFrame:
    """District rows with rounded counts and ratios recomputed from them."""
    out = true.drop(
        columns=[c for c in ("funded_peer_educators", "covered_population") if c in true]
    ).copy()
    base = rule.rounding_base
    _round_counts(out, base)
    enrolled = out["enrolled"].astype("float64")
    target_population = out["planning_population"] * scenario.target
    out["gap"] = round_to(np.maximum(0.0, target_population - enrolled), base)
    recompute_ratios(out)
    return out


def _round_counts(frame: pd.DataFrame, base: int) -> None:
    """Round the hotspot and people counts of ``frame`` to ``base`` in place."""
    for column in ROUNDED_COLUMNS:
        if column in frame:
            frame[column] = round_to(frame[column], base)


def _published_totals(
    true_totals: pd.DataFrame,
    districts: pd.DataFrame,
    by: str | None,
    rule: DisclosureRule,
    scenario: Scenario,
) -> pd.DataFrame:
    """Region or national rows: true sums rounded once, resources summed from the districts'
    (rounded) resources, ratios recomputed from the rounded counts."""
    out = true_totals.copy()
    base = rule.rounding_base
    _round_counts(out, base)
    resources = districts[list(RESOURCE_COLUMNS)]
    gap = np.maximum(
        0.0, districts["planning_population"] * scenario.target - districts["enrolled"]
    )
    if by is None:
        summed = resources.sum(min_count=1).to_frame().T
        gap = pd.Series([gap.sum()])
    else:
        keys = districts[by]
        summed = resources.groupby(keys).sum(min_count=1).reindex(out[by])
        gap = gap.groupby(keys).sum().reindex(out[by])
    for column in RESOURCE_COLUMNS:
        out[column] = summed[column].to_numpy()
    out["gap"] = round_to(gap.to_numpy(), base)
    recompute_ratios(out)
    return out


def _access_totals(frame: pd.DataFrame, districts: pd.DataFrame, by: str | None) -> None:
    """Access figures of regions and the nation: sums over the districts that publish them.

    A total over all districts minus the published ones would give the hidden ones away, so
    totals add up published district figures only and say how many districts they cover
    (``access_districts``); no total without any published district.
    """
    shown = districts[~districts[ACCESS_SUPPRESSED].astype(bool)]
    columns = ["estimate_within_distance", "unserved_hotspots", "planning_population"]
    if by is None:
        sums = shown[columns].sum().to_frame().T
        sums["access_districts"] = len(shown)
    else:
        grouped = shown.groupby(by)
        sums = grouped[columns].sum().assign(access_districts=grouped.size()).reindex(frame[by])
    covered = sums["access_districts"].fillna(0).to_numpy(dtype="int64")
    frame["access_districts"] = covered
    frame["estimate_within_distance"] = sums["estimate_within_distance"].to_numpy(dtype="float64")
    frame["unserved_hotspots"] = sums["unserved_hotspots"].to_numpy(dtype="float64")
    # the share over the covered districts' planning population, not the region's
    population = sums["planning_population"].reset_index(drop=True)
    frame["share_within_distance"] = safe_ratio(
        frame["estimate_within_distance"].reset_index(drop=True), population
    )
    frame[ACCESS_SUPPRESSED] = covered == 0


def _blank(frame: pd.DataFrame) -> None:
    """Blank the figures of suppressed rows (main and access groups separately)."""
    main = frame[SUPPRESSED].astype(bool).to_numpy()
    access = frame[ACCESS_SUPPRESSED].astype(bool).to_numpy() | main
    for column in COUNT_COLUMNS + DERIVED_COLUMNS:
        if column in frame:
            frame[column] = frame[column].astype("float64")
            frame.loc[main, column] = np.nan
    for column in ACCESS_COLUMNS:
        if column in frame:
            frame[column] = frame[column].astype("float64")
            frame.loc[access, column] = np.nan
