"""Where to open new drop-in centres: the maximal covering location problem with existing sites
fixed (DESIGN.md s.3 "New sites"; issue 16).

Choose K new sites among candidate locations (by default the hotspots' own locations) so that
the most people (planning population at hotspots, optionally weighted per district) are within
D km of a site offering the chosen service. Hotspots already within D km of an existing site
count as covered before and after; the problem is solved over the others only.

Solver: an integer program (x_j binary "open candidate j", z_i ∈ [0, 1] "hotspot i covered";
z_i ≤ Σ_{j within D km of i} x_j; Σ x_j ≤ K; maximise Σ people_i × z_i) solved by HiGHS through
``scipy.optimize.milp`` with a relative gap of 0: exact for the sizes of a district. We chose
HiGHS directly over spopt's MCLP (which also takes predefined facilities) because scipy is already
a dependency, HiGHS reports the proven bound (the optimality gap when a country-sized instance
hits the time limit) and existing sites reduce to removing their covered hotspots. Before
solving, hotspots no candidate reaches are dropped and candidates reaching the same hotspots are
merged. A greedy answer (each step the candidate adding the most people) is computed too; the
better of the two is returned, so a time limit never gives less than greedy.

The maths works on arrays (``max_covering`` on a coverage matrix, like spopt's
``from_cost_matrix``); ``cover_matrix`` computes it from projected coordinates in metres.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csc_matrix, csr_matrix, hstack, identity, vstack
from scipy.spatial import cKDTree

from planning._frames import ESTIMATE_LEVELS, require_choice, require_columns, text_column
from planning.access import sites_offering
from planning.geo import project_lonlat

log = logging.getLogger(__name__)

# Seconds HiGHS may spend proving the optimum (the gap to the proven bound is then reported).
SOLVE_SECONDS = 60.0


@dataclass(frozen=True)
class SitingResult:
    """Chosen candidates (indices, in the order their people were counted), the people each
    newly covers, coverage before and after, and the proof."""

    chosen: npt.NDArray[np.int64]
    people_newly_covered: npt.NDArray[np.float64]
    covered_before: float
    covered_after: float
    bound: float  # the most people any K sites could cover (proven), covered_before included
    proven: bool
    seconds: float

    @property
    def gap(self) -> float:
        """(bound − covered_after) ÷ newly covered people: 0 when proven optimal."""
        gained = self.covered_after - self.covered_before
        return max(0.0, self.bound - self.covered_after) / max(gained, 1e-12)


def cover_matrix(
    hotspot_xy_m: npt.ArrayLike, candidate_xy_m: npt.ArrayLike, distance_km: float
) -> csr_matrix:
    """Boolean hotspots × candidates matrix: True where the candidate lies within
    ``distance_km`` of the hotspot (projected coordinates in metres, straight line)."""
    hotspots = np.asarray(hotspot_xy_m, dtype="float64").reshape(-1, 2)
    candidates = np.asarray(candidate_xy_m, dtype="float64").reshape(-1, 2)
    if len(hotspots) == 0 or len(candidates) == 0:
        return csr_matrix((len(hotspots), len(candidates)), dtype=bool)
    near = cKDTree(hotspots).query_ball_tree(cKDTree(candidates), r=distance_km * 1000.0)
    counts = np.fromiter((len(js) for js in near), dtype="int64", count=len(near))
    cols = np.fromiter((j for js in near for j in js), dtype="int64", count=int(counts.sum()))
    indptr = np.concatenate([[0], np.cumsum(counts)])
    matrix = csr_matrix(
        (np.ones(len(cols), dtype=bool), cols, indptr), shape=(len(hotspots), len(candidates))
    )
    matrix.sort_indices()
    return matrix.astype(bool).tocsr()


def max_covering(
    people: npt.ArrayLike,
    covers: csr_matrix,
    already_covered: npt.ArrayLike,
    k: int,
    *,
    time_limit_s: float = SOLVE_SECONDS,
) -> SitingResult:
    """The ``k`` candidates (columns of ``covers``) that bring the most ``people`` (one value per
    hotspot row, ≥ 0) within reach, hotspots ``already_covered`` counting as covered anyway."""
    started = time.perf_counter()
    demand = np.asarray(people, dtype="float64")
    before_mask = np.asarray(already_covered, dtype=bool)
    if covers.shape[0] != len(demand) or len(before_mask) != len(demand):
        raise ValueError(
            f"max_covering: {len(demand)} people, {len(before_mask)} already_covered flags and "
            f"a {covers.shape[0]}-row coverage matrix; give one per hotspot."
        )
    if k < 0:
        raise ValueError(f"max_covering: k={k} new sites; give 0 or more.")
    bad = ~np.isfinite(demand) | (demand < 0)
    if bad.any():
        raise ValueError(
            f"max_covering: people of hotspot row {int(np.argmax(bad))} is "
            f"{float(demand[bad][0]):g}; give finite counts ≥ 0."
        )
    before = float(demand[before_mask].sum())
    open_rows = np.flatnonzero(~before_mask & (demand > 0))
    sub = csc_matrix(covers[open_rows].astype(np.int8))
    reach = np.asarray(sub.sum(axis=1)).ravel() > 0
    rows, sub = open_rows[reach], csr_matrix(sub[reach])
    columns, sub = _distinct_columns(sub)
    empty = SitingResult(np.zeros(0, "int64"), np.zeros(0), before, before, before, True, 0.0)
    if k == 0 or len(columns) == 0:
        return _timed(empty, started)
    weights = demand[rows]
    greedy = _greedy(weights, sub, k)
    picked, bound, proven = greedy, float(weights.sum()), False
    if k >= sub.shape[1]:
        picked, bound, proven = np.arange(sub.shape[1]), _covered(weights, sub, greedy), True
    else:
        exact = _solve(weights, sub, k, time_limit_s)
        if exact is not None:
            solution, bound, proven = exact
            if _covered(weights, sub, solution) >= _covered(weights, sub, greedy) - 1e-9:
                picked = solution
    order, gains = _attribute(weights, sub, picked)
    after = before + float(gains.sum())
    bound = after if proven else max(before + bound, after)
    result = SitingResult(columns[order], gains, before, after, bound, proven, 0.0)
    result = _timed(result, started)
    log.info(
        "siting: %d open hotspots, %d distinct candidates, k=%d, proven=%s, gap=%.2g, %.3f s",
        len(rows),
        len(columns),
        k,
        proven,
        result.gap,
        result.seconds,
    )
    return result


def _timed(result: SitingResult, started: float) -> SitingResult:
    return SitingResult(
        result.chosen,
        result.people_newly_covered,
        result.covered_before,
        result.covered_after,
        result.bound,
        result.proven,
        time.perf_counter() - started,
    )


def _distinct_columns(sub: csr_matrix) -> tuple[np.ndarray, csr_matrix]:
    """Candidate indices with a distinct, non-empty set of hotspots (the first of each set kept),
    and the matrix of those columns."""
    by_column = csc_matrix(sub)
    seen: dict[bytes, int] = {}
    keep = []
    for j in range(by_column.shape[1]):
        hit = by_column.indices[by_column.indptr[j] : by_column.indptr[j + 1]]
        if len(hit) == 0:
            continue
        key = np.sort(hit).tobytes()
        if key not in seen:
            seen[key] = j
            keep.append(j)
    columns = np.asarray(keep, dtype="int64")
    return columns, csr_matrix(by_column[:, columns])


def _covered(weights: np.ndarray, sub: csr_matrix, picked: np.ndarray) -> float:
    if len(picked) == 0:
        return 0.0
    hit = np.asarray(sub[:, picked].sum(axis=1)).ravel() > 0
    return float(weights[hit].sum())


def _greedy(weights: np.ndarray, sub: csr_matrix, k: int) -> np.ndarray:
    """Each step the candidate adding the most people (ties: the lowest index)."""
    by_column = csc_matrix(sub)
    left = weights.copy()
    picked: list[int] = []
    for _ in range(min(k, by_column.shape[1])):
        gain = by_column.T @ left
        if picked:
            gain[picked] = -1.0
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        picked.append(best)
        left[by_column.indices[by_column.indptr[best] : by_column.indptr[best + 1]]] = 0.0
    return np.asarray(picked, dtype="int64")


def _attribute(
    weights: np.ndarray, sub: csr_matrix, picked: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The picked candidates ordered by the people each adds after those before it (largest
    first), and those people: they sum to the people the set newly covers."""
    by_column = csc_matrix(sub)
    left = weights.copy()
    remaining = list(picked)
    order, gains = [], []
    while remaining:
        gain = np.array([left[by_column[:, j].indices].sum() for j in remaining])
        best = int(np.argmax(gain))
        j = remaining.pop(best)
        order.append(j)
        gains.append(float(gain[best]))
        left[by_column[:, j].indices] = 0.0
    return np.asarray(order, dtype="int64"), np.asarray(gains, dtype="float64")


def _solve(
    weights: np.ndarray, sub: csr_matrix, k: int, time_limit_s: float
) -> tuple[np.ndarray, float, bool] | None:
    """(chosen candidates, proven bound on the people newly covered, proven?) from HiGHS."""
    n_h, n_c = sub.shape
    # variables: x (candidates, binary) then z (hotspots, [0, 1]); z_i − Σ_j a_ij x_j ≤ 0
    link = hstack([-csr_matrix(sub, dtype="float64"), identity(n_h, format="csr")])
    budget = hstack([csr_matrix(np.ones((1, n_c))), csr_matrix((1, n_h))])
    a = vstack([link, budget]).tocsr()
    upper = np.concatenate([np.zeros(n_h), [float(k)]])
    result = milp(
        -np.concatenate([np.zeros(n_c), weights]),
        constraints=[LinearConstraint(a, -np.inf, upper)],
        integrality=np.concatenate([np.ones(n_c), np.zeros(n_h)]),
        bounds=Bounds(np.zeros(n_c + n_h), np.ones(n_c + n_h)),
        options={"mip_rel_gap": 0.0, "time_limit": max(time_limit_s, 0.01), "disp": False},
    )
    if result.x is None:
        return None
    picked = np.flatnonzero(result.x[:n_c] > 0.5).astype("int64")
    proven = result.status == 0
    found = _covered(weights, sub, picked)
    dual = getattr(result, "mip_dual_bound", None)
    bound = float(weights.sum())  # nothing better known: every reachable person
    if proven:
        bound = found
    elif dual is not None and np.isfinite(dual):
        bound = -float(dual)
    return picked, max(bound, found), proven


def new_sites_sentence(totals: Mapping[str, Any]) -> str:
    """Proposed drop-in centres in words (a ``propose_sites`` summary): people within the
    distance before and after, and the proof."""
    service = totals.get("service")
    proof = (
        "proven optimal by HiGHS"
        if totals.get("proven_optimal")
        else f"within {100 * float(totals.get('optimality_gap') or 0):.2g}% of the best possible"
    )
    return (
        f"{int(totals.get('k') or 0)} new drop-in centre(s) at hotspot locations bring the people "
        f"within {float(totals.get('distance_km') or 0):g} km of a site"
        + (f" offering {service}" if service else "")
        + f" from {float(totals.get('covered_before') or 0):,.0f} to "
        f"{float(totals.get('covered_after') or 0):,.0f} of {float(totals.get('people') or 0):,.0f}"
        f" ({proof}; existing sites fixed; each site's people are those it adds after the ones "
        "above it). They are counted in this plan's access figures."
    )


# Columns of ``propose_sites``'s new-site frame (hotspot-level detail when candidates are
# hotspot locations: never in an aggregate-only view, export or log).
NEW_SITE_COLUMNS = ["latitude", "longitude", "district", "people_newly_covered", "rank"]


def propose_sites(
    hotspot_est: pd.DataFrame,
    sites: pd.DataFrame,
    crs_projected: str,
    *,
    k: int,
    distance_km: float,
    service: str | None = None,
    level: str = "mid",
    district: str | None = None,
    candidates: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    time_limit_s: float = SOLVE_SECONDS,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ``k`` new sites that bring the most people within ``distance_km`` of a site offering
    ``service``, existing ``sites`` (anywhere) fixed.

    ``hotspot_est`` is planning.estimates.hotspot_estimates (people: ``estimate_<level>``, times
    the district's weight when ``weights`` are given). Candidates are the hotspots' locations, or
    ``candidates`` (latitude, longitude, district). ``district`` limits hotspots and candidates
    to one district. Returns the new sites (NEW_SITE_COLUMNS, largest contribution first; each
    site's people are those it adds after the sites above it, so they sum to the gain) and a
    summary: covered_before, covered_after, people, k, distance_km, service, district,
    candidates, proven_optimal, optimality_gap, solve_seconds.
    """
    fn = "propose_sites"
    require_choice(level, ESTIMATE_LEVELS, argument="level", function=fn)
    column = f"estimate_{level}"
    require_columns(
        hotspot_est, ["latitude", "longitude", "district", column], argument="hotspot_est",
        function=fn,
    )  # fmt: skip
    if not (distance_km > 0):
        raise ValueError(f"{fn}: distance_km={distance_km!r} must be > 0 km (default 5).")
    spots = hotspot_est
    if district is not None:
        known = sorted(set(text_column(hotspot_est, "district")))
        if district not in known:
            raise ValueError(
                f"{fn}: district {district!r} has no hotspots; choose one of "
                f"{', '.join(known[:20])}{' …' if len(known) > 20 else ''}."
            )
        spots = hotspot_est[text_column(hotspot_est, "district").to_numpy() == district]
    people = spots[column].astype("float64").fillna(0.0).to_numpy()
    if weights:
        people = people * text_column(spots, "district").map(dict(weights)).fillna(1.0).to_numpy()
    if candidates is None:
        pool = spots[["latitude", "longitude", "district"]].reset_index(drop=True)
    else:
        require_columns(
            candidates, ["latitude", "longitude", "district"], argument="candidates", function=fn
        )
        pool = candidates[["latitude", "longitude", "district"]].reset_index(drop=True)
        if district is not None:
            pool = pool[text_column(pool, "district").to_numpy() == district].reset_index(drop=True)
    hx, hy = project_lonlat(
        spots["longitude"].to_numpy(), spots["latitude"].to_numpy(), crs_projected
    )
    cx, cy = project_lonlat(
        pool["longitude"].to_numpy(), pool["latitude"].to_numpy(), crs_projected
    )
    offering = sites_offering(sites, service)
    hotspot_xy = np.column_stack([hx, hy])
    if len(offering) and len(spots):
        sx, sy = project_lonlat(
            offering["longitude"].to_numpy(), offering["latitude"].to_numpy(), crs_projected
        )
        nearest_m, _ = cKDTree(np.column_stack([sx, sy])).query(hotspot_xy, k=1)
        already = nearest_m <= distance_km * 1000.0
    else:
        already = np.zeros(len(spots), dtype=bool)
    covers = cover_matrix(hotspot_xy, np.column_stack([cx, cy]), distance_km)
    result = max_covering(people, covers, already, k, time_limit_s=time_limit_s)
    chosen = pool.iloc[result.chosen].reset_index(drop=True)
    chosen["people_newly_covered"] = result.people_newly_covered
    chosen["rank"] = np.arange(1, len(chosen) + 1, dtype="int64")
    summary = {
        "covered_before": result.covered_before,
        "covered_after": result.covered_after,
        "people": float(people.sum()),
        "k": int(k),
        "distance_km": float(distance_km),
        "service": service,
        "district": district,
        "candidates": len(pool),
        "weighted": bool(weights),
        "proven_optimal": result.proven,
        "optimality_gap": result.gap,
        "solve_seconds": result.seconds,
    }
    return chosen[NEW_SITE_COLUMNS], summary
