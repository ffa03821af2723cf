"""Peer-educator caseloads (micro-planning): hotspots to PEs, PEs to outreach-worker groups.

DESIGN.md s.3 "Peer-educator caseloads": within a district, group nearby hotspots into
caseloads whose planning population is at most ``people_per_pe``; a hotspot larger than that
gets several PEs; caseloads are spatially compact and do not overlap. Sources: Mombasa
("location, spot size, and typology were used to allocate spots to PEs", 1 PE per 60-75 FSW,
programmatic-mapping-jmir-2019.txt); AMETHIST (caseload 50-80 per empowerment worker,
each hotspot with one worker, re-mapped every 6 months, amethist-trial-protocol.txt).

Algorithm (``assign_caseloads``, maths on arrays in metres). Goal, in this order: every
caseload within one walking limit, as few PEs as possible, then compact caseloads.

1. A spot with more people than the cap is split first: ⌊p / cap⌋ PEs each get a full-cap
   share of it, the remainder is an ordinary item. Only such a split ever gives a PE part
   of a spot.
2. One walking limit (``walking_limit_km``, default 3 km, an assumption): every spot of a
   caseload lies within it of the caseload's centre (the mean of its spots). A spot farther
   than the limit from every other spot gets its own caseload and is reported as isolated.
3. Packing (``caseloads_pack``): the items in Hilbert-curve order are cut into runs that fill
   a PE, first fit within a short window so that small spots fill the room a big one leaves;
   then the emptiest caseloads are dissolved into neighbours with room (within the limit).
4. Compactness at that PE count (``caseloads_refine``): spots move or swap between
   neighbouring caseloads while that lowers the spread within capacity (squared, then plain
   distances); the limit is enforced again (a caseload wider than it gives up its farthest
   spots) and caseloads are dissolved again, up to three rounds.
5. Overlap: a caseload with a spot strictly inside another's convex hull is re-cut with it by
   one straight cut when that costs no PE and keeps the limit. Fewest PEs come first, so a
   few overlapping pairs can remain (tests/planning/test_caseloads.py bounds them and checks
   that no free cut was missed).
6. Fixed assignments (a re-mapping): the kept PEs keep their spots (in hotspot_id order
   while they fit the cap; a spot that grew past the room is released), may take new spots
   that lie within their area (inside the circle around their centre through their
   farthest spot) while room remains, and everything else gets new PEs as above. Kept
   caseloads are not trimmed to the walking limit (their ``radius_km`` shows it).

On the seeded 10,000-spot district: PEs within 5% of ⌈people ÷ cap⌉, fewer than k-means + bin
packing and than a plain Hilbert-curve fill with the same limit (``bench/caseloads_baseline``;
figures and the trade-off of PEs against the walking limit: bench/bench_caseloads.py).

Deterministic: input sorted by hotspot_id, every sort stable with explicit tie-breaks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from itertools import pairwise
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
from pyproj import Transformer

from planning import caseloads_pack, caseloads_refine
from planning._frames import require_choice, require_columns, text_column
from planning.caseloads_refine import FloatArray, IntArray
from planning.estimates import hotspot_estimates
from planning.geo import project_lonlat
from planning.parameters import (
    ParameterError,
    default_flag,
    default_number,
    default_text,
    default_whole,
    parameter,
)
from planning.resources import peer_educators_needed

# Defaults of the caseload parameters, from their one definition (planning.parameters, which
# gives each one's source or marks it as an assumption).
PEOPLE_PER_PE_DEFAULT = default_number("people_per_pe")
PE_PER_ORW_DEFAULT = default_whole("pe_per_orw")

# Typology classes used when venue-based and street-based spots are kept apart (the PM
# paper's sub-typologies "street, venue, and public place"; Mombasa: 60% venue-based, 30%
# street). Street-based = public places without an operator; every other typology
# (bar, lodge, nightclub, brothel, home, hotel, guest_house, massage_parlour, ...) is venue-based.
STREET_TYPOLOGIES = frozenset(
    {
        "street",
        "truck_stop",
        "highway",
        "roadside",
        "market",
        "public_place",
        "park",
        "beach",
        "bus_stop",
        "bus_station",
        "border_post",
        "fishing_camp",
        "outdoor",
    }
)
TYPOLOGY_GROUPS = ("venue", "street")

_TOL = 1e-9
# Sets up to this size try every straight separation before adding a PE.
_PAIR_DIRECTIONS_MAX_POINTS = 12
# The bisection (supervision groups) may cut across a gap wider than this at the cost of one
# more group; groups of PEs are never separated that way.
AREA_GAP_KM_DEFAULT = math.inf
# DEFAULT: every spot of a caseload lies within this distance (km) of the caseload's centre; an
# assumption with its reason in planning/parameters.toml ("walking_limit_km").
WALKING_LIMIT_KM_DEFAULT = default_number("walking_limit_km")
# Directions (degrees) tried for a cut when the longer and shorter axes both fail.
_EXTRA_ANGLES_DEG = (
    45.0,
    135.0,
    22.5,
    67.5,
    112.5,
    157.5,
    15.0,
    30.0,
    60.0,
    75.0,
    105.0,
    120.0,
    150.0,
    165.0,
)

ASSIGNMENT_COLUMNS = ["hotspot_id", "pe_id", "people", "share", "split", "fixed", "typology_group"]
PE_COLUMNS = ["pe_id", "people", "hotspots", "typology_group", "fixed", "x_m", "y_m", "radius_km"]


class CaseloadError(ParameterError):
    """Invalid caseload input or parameter; the message names the argument, value and fix."""


@dataclass(frozen=True)
class CaseloadParams:
    """Parameters of a caseload plan (defaults and ranges from DESIGN.md s.3)."""

    people_per_pe: float = PEOPLE_PER_PE_DEFAULT
    pe_per_orw: int = PE_PER_ORW_DEFAULT
    keep_typology_apart: bool = default_flag("keep_typology_apart")
    basis: str = default_text("basis")
    level: str = default_text("level")
    duplication_rate: float = default_number("duplication")
    walking_limit_km: float = WALKING_LIMIT_KM_DEFAULT

    def __post_init__(self) -> None:
        # Each field against its one definition (planning.parameters): the same message as the
        # scenario and the pages give for the same value.
        for f in fields(self):
            value = parameter(f.name).check(getattr(self, f.name), CaseloadError)
            object.__setattr__(self, f.name, value)


def check_people_per_pe(people_per_pe: float) -> float:
    """Return people_per_pe as float or raise CaseloadError citing the sourced range."""
    return float(_checked_number("people_per_pe", people_per_pe))


def check_walking_limit_km(walking_limit_km: float) -> float:
    """Return the walking limit (km) as float or raise CaseloadError citing its range."""
    return float(_checked_number("walking_limit_km", walking_limit_km))


def check_pe_per_orw(pe_per_orw: int) -> int:
    """Return pe_per_orw as int or raise CaseloadError citing the sourced range."""
    return int(_checked_number("pe_per_orw", pe_per_orw))


def _checked_number(name: str, value: object) -> float:
    checked = parameter(name).check(value, CaseloadError)
    assert isinstance(checked, int | float)
    return checked


def lower_bound(total_people: float, people_per_pe: float) -> int:
    """The fewest PEs any caseload plan can have: ⌈total_people ÷ people_per_pe⌉.

    0 for no people.
    """
    if total_people <= _TOL:
        return 0
    return math.ceil(total_people / people_per_pe - _TOL)


def typology_group(typology: pd.Series) -> pd.Series:
    """'street' for street-based typologies (STREET_TYPOLOGIES), 'venue' for every other one."""
    text = typology.fillna("").astype("str").str.strip().str.lower()
    return pd.Series(
        np.where(text.isin(STREET_TYPOLOGIES), "street", "venue"), index=typology.index, dtype="str"
    )


# --- recursive coordinate bisection ------------------------------------------------------

_EXTRA_DIRECTIONS = np.array(
    [(math.cos(math.radians(a)), math.sin(math.radians(a))) for a in _EXTRA_ANGLES_DEG]
)


def _direction_stages(x: FloatArray, y: FloatArray) -> Iterator[FloatArray]:
    """Cut directions as (D, 2) arrays, in stages: the longer bounding-box axis, the shorter and
    the two diagonals; then the other fixed angles; then (small sets) the normal of every pair
    of points, so every straight separation of a small set is tried."""
    span_x = float(x.max() - x.min()) if x.size else 0.0
    span_y = float(y.max() - y.min()) if y.size else 0.0
    axes = [(1.0, 0.0), (0.0, 1.0)] if span_x >= span_y else [(0.0, 1.0), (1.0, 0.0)]
    yield np.vstack([axes, _EXTRA_DIRECTIONS[:2]])
    yield _EXTRA_DIRECTIONS[2:]
    if 2 < x.size <= _PAIR_DIRECTIONS_MAX_POINTS:
        i, j = np.triu_indices(x.size, k=1)
        ang = np.round(np.degrees(np.arctan2(y[j] - y[i], x[j] - x[i])) % 180.0, 6)
        # normal to the pair, nudged both ways so the pair itself can fall either side
        a = np.radians(np.unique(np.concatenate([ang + 90.0 - 1e-4, ang + 90.0 + 1e-4]) % 180.0))
        yield np.column_stack([np.cos(a), np.sin(a)])


def _best_cut(
    idx: np.ndarray, x: FloatArray, y: FloatArray, w: FloatArray, k: int, cap: float, gap_m: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """(left, right) index arrays of the best straight cut for k groups, or None when none fits.

    A cut is feasible when ⌈left/cap⌉ + ⌈right/cap⌉ ≤ k (it costs no extra group), or ≤ k + 1
    when the two parts are more than ``gap_m`` apart along the direction. Among the
    feasible cuts over the directions of the first stage that has one (``_direction_stages``,
    all directions of a stage evaluated at once), the one with the least within-part spread
    (sum of squared distances of the points to their part's centre, as in Ward's method) wins,
    so cuts fall in the gaps between clusters of spots; ties go to the first direction and position.
    """
    px, py, pw = x[idx], y[idx], w[idx]
    n = idx.size
    total = float(pw.sum())
    # Shift-invariant sums: centre the coordinates once.
    cx0, cy0 = px - px.mean(), py - py.mean()
    for dirs in _direction_stages(px, py):
        dx, dy = dirs[:, 0][:, None], dirs[:, 1][:, None]
        along = cx0[None, :] * dx + cy0[None, :] * dy  # (D, n)
        across = -cx0[None, :] * dy + cy0[None, :] * dx
        # Stable order: along the direction, then across it, then input (hotspot_id) order.
        tie = np.broadcast_to(idx, along.shape)
        order = np.lexsort((tie, across, along), axis=-1)
        cum = np.cumsum(pw[order], axis=1)[:, :-1]  # weight left of the cut after i+1 items
        k_left = np.maximum(1, np.ceil(cum / cap - _TOL))
        k_right = np.maximum(1, np.ceil((total - cum) / cap - _TOL))
        gap = np.diff(np.take_along_axis(along, order, axis=1), axis=1)
        ok = (k_left + k_right <= k) | ((k_left + k_right <= k + 1) & (gap > gap_m))
        if not ok.any():
            continue
        xs, ys = cx0[order], cy0[order]
        sx, sy = np.cumsum(xs, axis=1), np.cumsum(ys, axis=1)
        sxx, syy = np.cumsum(xs * xs, axis=1), np.cumsum(ys * ys, axis=1)
        nl = np.arange(1, n, dtype="float64")
        nr = n - nl
        sse_l = sxx[:, :-1] + syy[:, :-1] - (sx[:, :-1] ** 2 + sy[:, :-1] ** 2) / nl
        sse_r = (
            (sxx[:, -1:] - sxx[:, :-1])
            + (syy[:, -1:] - syy[:, :-1])
            - ((sx[:, -1:] - sx[:, :-1]) ** 2 + (sy[:, -1:] - sy[:, :-1]) ** 2) / nr
        )
        score = np.where(ok, sse_l + sse_r, np.inf)
        flat = int(np.argmin(score))  # row-major: first direction, then first position
        d, i = divmod(flat, n - 1)
        return idx[order[d, : i + 1]], idx[order[d, i + 1 :]]
    return None


def partition_points(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    weight: npt.ArrayLike,
    capacity: float,
    *,
    area_gap_km: float = AREA_GAP_KM_DEFAULT,
) -> list[np.ndarray]:
    """Cut weighted points into convex-separated groups of total weight ≤ capacity.

    Pure array function (metres, any weight unit): recursive coordinate bisection with
    straight cuts (see ``_best_cut``; a cut across a gap wider than ``area_gap_km`` may
    cost one extra group). Every weight must be ≤ capacity. Used for supervision groups and
    for re-cutting two overlapping caseloads. Returns index arrays in traversal order
    (neighbouring groups come one after another).
    """
    x = np.asarray(x_m, dtype="float64")
    y = np.asarray(y_m, dtype="float64")
    w = np.asarray(weight, dtype="float64")
    if not (x.shape == y.shape == w.shape):
        raise CaseloadError(
            f"partition_points: x_m, y_m and weight differ in length ({x.size}, {y.size}, {w.size})"
        )
    if w.size and float(w.max()) > capacity + _TOL:
        raise CaseloadError(
            f"partition_points: a weight of {float(w.max())} exceeds capacity {capacity}; "
            "split large items first"
        )
    groups: list[np.ndarray] = []
    stack = [np.arange(x.size)] if x.size else []
    while stack:
        idx = stack.pop()
        k = max(1, lower_bound(float(w[idx].sum()), capacity))
        if idx.size == 1 or k == 1:
            groups.append(idx)
            continue
        while True:
            cut = _best_cut(idx, x, y, w, k, capacity, area_gap_km * 1000.0)
            if cut is not None:
                break
            k += 1  # indivisible items: this set needs one more group
        left, right = cut
        stack.append(right)
        stack.append(left)  # left is processed first: traversal order
    return groups


def caseload_groups(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    weight: npt.ArrayLike,
    capacity: float,
    *,
    walking_limit_km: float = WALKING_LIMIT_KM_DEFAULT,
    refine: bool = True,
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Group labels (0..m-1) for weighted points, and which points are isolated: the method.

    1. An item farther than the walking limit from every other item is isolated: its own
       caseload (``caseloads_pack.isolated_items``).
    2. ``caseloads_pack.fill_labels`` packs the others along a Hilbert curve, each caseload
       filled first-fit within a short window along the curve, within capacity and the
       walking limit;
       ``caseloads_pack.dissolve_labels`` then empties the emptiest caseloads into their
       neighbours where capacity and the limit allow (fewest PEs first).
    3. Compactness: ``caseloads_refine.refine_labels`` (moves and swaps that lower squared
       spread within capacity), ``caseloads_pack.enforce_limit`` so that the limit holds on
       every caseload, and another dissolve (compact caseloads leave room beside each other),
       up to three rounds; then ``polish_labels`` (plain distances) and ``shrink_radii`` (each
       caseload's farthest spot), the limit enforced once more, and ``_repair_overlaps``
       re-cuts pairs of caseloads where a spot lies inside the other's hull when a straight cut
       separates them at no extra PE.
    ``refine=False`` stops after 2.
    """
    x = np.asarray(x_m, dtype="float64")
    y = np.asarray(y_m, dtype="float64")
    w = np.asarray(weight, dtype="float64")
    if w.size and float(w.max()) > capacity + _TOL:
        raise CaseloadError(
            f"caseload_groups: a weight of {float(w.max())} exceeds capacity {capacity}; "
            "split large items first"
        )
    limit_m = check_walking_limit_km(walking_limit_km) * 1000.0
    lone = caseloads_pack.isolated_items(x, y, limit_m)
    labels = np.full(x.size, -1, dtype="int64")
    rest = np.flatnonzero(~lone)
    if rest.size:
        xr, yr, wr = x[rest], y[rest], w[rest]
        lab = caseloads_pack.fill_labels(xr, yr, wr, capacity, limit_m)
        lab = caseloads_pack.dissolve_labels(xr, yr, wr, lab, capacity, limit_m)
        if refine and int(lab.max()) >= 1:
            # Compact caseloads free room next to each other, so more can be dissolved.
            for _ in range(_IMPROVE_ROUNDS):
                m = int(lab.max())
                lab = caseloads_refine.refine_labels(xr, yr, wr, lab, capacity)
                lab = caseloads_pack.enforce_limit(xr, yr, wr, lab, capacity, limit_m)
                lab = caseloads_pack.dissolve_labels(xr, yr, wr, lab, capacity, limit_m)
                if int(lab.max()) == m:
                    break
            lab = caseloads_refine.polish_labels(
                xr, yr, wr, lab, capacity, max_passes=_POLISH_PASSES
            )
            lab = caseloads_refine.shrink_radii(xr, yr, wr, lab, capacity, limit_m)
            lab = caseloads_pack.enforce_limit(xr, yr, wr, lab, capacity, limit_m)
            lab = _repair_overlaps(xr, yr, wr, lab, capacity, limit_m)
        labels[rest] = lab
    lone_idx = np.flatnonzero(lone)
    labels[lone_idx] = (int(labels.max()) + 1 if rest.size else 0) + np.arange(lone_idx.size)
    # Number caseloads along the Hilbert curve of their centres (neighbours get neighbouring ids).
    m = int(labels.max()) + 1 if labels.size else 0
    cnt = np.maximum(np.bincount(labels, minlength=m), 1)
    cx = np.bincount(labels, weights=x, minlength=m) / cnt
    cy = np.bincount(labels, weights=y, minlength=m) / cnt
    rank = np.empty(m, dtype="int64")
    rank[np.lexsort((np.arange(m), caseloads_pack.hilbert_index(cx, cy)))] = np.arange(m)
    return rank[labels], lone


_REPAIR_ROUNDS = 20
# Rounds of compaction then dissolving (each stops early when no PE was saved).
_IMPROVE_ROUNDS = 3
# Passes of the plain-distance polish: 3 passes give nearly all of its gain (seeded 10k: mean
# spot -> centre 0.297 km against 0.295 km after 60 passes) in a third of the time.
_POLISH_PASSES = 3


def _repair_overlaps(
    x: FloatArray, y: FloatArray, w: FloatArray, labels: IntArray, capacity: float, limit_m: float
) -> IntArray:
    """Re-cut pairs of caseloads where one has a spot inside the other's hull, at no cost.

    The two are cut again by one straight, population-balanced cut (``partition_points``); the
    cut is taken when it leaves two caseloads within capacity and the walking limit, so the
    repair never adds a PE (fewest PEs come first; a few overlaps may stay where a
    straight cut cannot separate the spots without one more PE). Rounds repeat while a repair
    was made.
    """
    lab = labels.copy()
    tried: set[tuple[bytes, bytes]] = set()
    for _ in range(_REPAIR_ROUNDS):
        changed = False
        touched: set[int] = set()
        for a, b in caseloads_refine.overlap_pairs(x, y, lab):
            if a in touched or b in touched:
                continue
            idx = np.flatnonzero((lab == a) | (lab == b))
            key = (idx.tobytes(), np.flatnonzero(lab == a).tobytes())
            if key in tried:
                continue
            tried.add(key)
            parts = partition_points(x[idx], y[idx], w[idx], capacity, area_gap_km=math.inf)
            if len(parts) != 2 or not all(
                caseloads_pack.radius_m(x[idx[p]], y[idx[p]], np.zeros(p.size, "int64"), 1)[0]
                <= limit_m + _TOL
                for p in parts
            ):
                continue
            touched.update((a, b))
            lab[idx[parts[0]]], lab[idx[parts[1]]] = a, b
            changed = True
        if not changed:
            break
    return caseloads_refine.relabel(lab)


# --- caseloads -------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadResult:
    """A caseload plan for one set of hotspots.

    ``assignments``: one row per (hotspot, PE) pair: hotspot_id, pe_id, people (planning
    population assigned), share (fraction of the spot), split (the spot is shared by several
    PEs), fixed (kept from a previous assignment), typology_group.
    ``peer_educators``: one row per PE: pe_id, people, hotspots (count), typology_group,
    fixed, x_m, y_m (centre = mean of its spots), plus columns the adapters add
    (orw_group, latitude, longitude, walking_km, ...).
    ``spots``: the hotspot-level input with x_m, y_m and people.
    """

    district: str
    people_per_pe: float
    lower_bound: int
    assignments: pd.DataFrame
    peer_educators: pd.DataFrame
    spots: pd.DataFrame
    walking_limit_km: float = WALKING_LIMIT_KM_DEFAULT
    isolated: tuple[str, ...] = ()

    @property
    def pe_count(self) -> int:
        """Number of peer educators in the plan."""
        return len(self.peer_educators)

    @property
    def plan_peer_educators(self) -> int:
        """The plan's PE count for these people: ⌈people ÷ people per PE⌉ as
        planning.resources.peer_educators_needed computes it (equal to the lower bound)."""
        total = float(pd.to_numeric(self.spots["people"]).sum()) if len(self.spots) else 0.0
        return int(peer_educators_needed(total, self.people_per_pe))

    @property
    def isolated_hotspots(self) -> int:
        """Spots farther than the walking limit from every other spot (each its own caseload)."""
        return len(self.isolated)

    @property
    def ratio_to_lower_bound(self) -> float:
        """PE count ÷ lower bound (1.0 is optimal; NaN when the lower bound is 0)."""
        return self.pe_count / self.lower_bound if self.lower_bound else float("nan")

    def to_json_dict(self, visits: pd.DataFrame | None = None) -> dict[str, Any]:
        """The ``cli.py caseloads --json`` object of this district.

        ``visits`` [pe_id, hotspot_id, day, start_h, end_h] (planning.outreach.weekly_calendar)
        gives each PE's ``visits``: the calendar day of each visit and its hours as "HH:MM"
        ("24:00" for midnight at the end of a day).
        """
        # Not dict(groupby): a GroupBy's ``keys`` attribute is not a mapping's keys() method.
        by_pe = {pe: g for pe, g in self.assignments.groupby("pe_id", sort=False)}  # noqa: C416
        visits_of: dict[str, list[dict[str, str]]] = {}
        if visits is not None:
            for v in visits.itertuples(index=False):
                visits_of.setdefault(str(v.pe_id), []).append(
                    {
                        "hotspot_id": str(v.hotspot_id),
                        "day": str(v.day),
                        "start": f"{int(v.start_h):02d}:00",
                        "end": f"{int(v.end_h):02d}:00",
                    }
                )
        pes = []
        for row in self.peer_educators.itertuples(index=False):
            rows = by_pe.get(row.pe_id)
            spots = (
                []
                if rows is None
                else [
                    {"hotspot_id": str(h), "people": _round_people(p)}
                    for h, p in zip(rows["hotspot_id"], rows["people"])
                ]
            )
            pes.append(
                {
                    "pe_id": str(row.pe_id),
                    "people": _round_people(row.people),
                    "hotspots": spots,
                    "orw_group": str(getattr(row, "orw_group", "")),
                    "radius_km": round(float(row.radius_km), 3),
                    "visits": visits_of.get(str(row.pe_id), []),
                }
            )
        return {
            "district": self.district,
            "people_per_pe": self.people_per_pe,
            "walking_limit_km": self.walking_limit_km,
            "lower_bound": int(self.lower_bound),
            "plan_peer_educators": self.plan_peer_educators,
            "pe_count": self.pe_count,
            "ratio_to_lower_bound": None
            if self.lower_bound == 0
            else round(self.ratio_to_lower_bound, 4),
            "isolated_hotspots": self.isolated_hotspots,
            "peer_educators": pes,
        }


def _round_people(value: float) -> float | int:
    """People for output: an int when whole, else one decimal (mid estimates can be halves)."""
    v = round(float(value), 1)
    return int(v) if v == int(v) else v


# Previous assignments held fixed: a frame with hotspot_id and pe_id, or a mapping
# hotspot_id -> pe_id or list of pe_ids.
FixedAssignments: TypeAlias = pd.DataFrame | Mapping[str, str | Iterable[str]]


def _fixed_map(fixed: FixedAssignments | None, spots: pd.DataFrame) -> dict[str, list[str]]:
    """hotspot_id -> kept PE ids (sorted), from a frame/mapping or a ``pe_id`` column of spots."""
    out: dict[str, list[str]] = {}
    if fixed is None and "pe_id" in spots.columns:
        fixed = spots[["hotspot_id", "pe_id"]]
    if fixed is None:
        return out
    if isinstance(fixed, Mapping):
        pairs = [
            (str(h), str(p))
            for h, ps in fixed.items()
            for p in ([ps] if isinstance(ps, str) else ps)
        ]
    else:
        require_columns(
            fixed, ["hotspot_id", "pe_id"], argument="fixed", function="assign_caseloads"
        )
        pairs = list(zip(text_column(fixed, "hotspot_id"), text_column(fixed, "pe_id")))
    for h, p in pairs:
        h, p = h.strip(), p.strip()
        if h and p and p.lower() not in {"nan", "none"}:
            out.setdefault(h, [])
            if p not in out[h]:
                out[h].append(p)
    return {h: sorted(ps) for h, ps in out.items()}


def _new_id_factory(prefix: str, used: set[str]) -> Callable[[], str]:
    """A function returning the next unused id ``prefix + 001, 002, ...``."""
    counter = [0]

    def next_id() -> str:
        while True:
            counter[0] += 1
            candidate = f"{prefix}{counter[0]:03d}"
            if candidate not in used:
                used.add(candidate)
                return candidate

    return next_id


def assign_caseloads(
    spots: pd.DataFrame,
    *,
    people_per_pe: float = PEOPLE_PER_PE_DEFAULT,
    keep_typology_apart: bool = False,
    fixed: FixedAssignments | None = None,
    pe_prefix: str = "PE-",
    district: str = "",
    walking_limit_km: float = WALKING_LIMIT_KM_DEFAULT,
) -> CaseloadResult:
    """Assign spots (hotspot_id, x_m, y_m, people[, typology, pe_id]) to peer educators.

    ``people`` is each spot's planning population; x_m, y_m are metres in a projected CRS.
    ``fixed`` (frame with hotspot_id, pe_id; or a mapping hotspot_id -> pe_id or list of
    pe_ids; default: the spots' ``pe_id`` column when present) holds previous assignments
    fixed. ``keep_typology_apart`` puts venue-based and street-based spots
    (STREET_TYPOLOGIES) in separate caseloads. ``walking_limit_km``: every spot of a new
    caseload lies within this distance of its centre (WALKING_LIMIT_KM_DEFAULT); a spot
    farther than that from every other spot gets its own caseload and is listed in
    ``CaseloadResult.isolated``. See the module docstring for the method.
    """
    fn = "assign_caseloads"
    cap = check_people_per_pe(people_per_pe)
    limit_km = check_walking_limit_km(walking_limit_km)
    require_columns(spots, ["hotspot_id", "x_m", "y_m", "people"], argument="spots", function=fn)
    frame = spots.copy()
    frame["hotspot_id"] = text_column(frame, "hotspot_id")
    dup = frame["hotspot_id"][frame["hotspot_id"].duplicated()]
    if len(dup):
        raise CaseloadError(
            f"{fn}: hotspot_id {dup.iloc[0]!r} appears more than once in spots; ids must be unique"
        )
    frame = frame.sort_values("hotspot_id", kind="stable").reset_index(drop=True)
    people = pd.to_numeric(frame["people"], errors="coerce").to_numpy(dtype="float64")
    xy = frame[["x_m", "y_m"]].to_numpy(dtype="float64")
    bad = ~np.isfinite(people) | (people < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CaseloadError(
            f"{fn}: hotspot {frame['hotspot_id'][i]!r} has people={frame['people'][i]!r}; "
            "give a planning population >= 0"
        )
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CaseloadError(
            f"{fn}: hotspot {frame['hotspot_id'][i]!r} has no finite x_m/y_m; "
            "project its latitude/longitude first"
        )
    frame["people"] = people
    groups_col = (
        typology_group(frame["typology"])
        if "typology" in frame.columns
        else pd.Series("venue", index=frame.index)
    )
    frame["typology_group"] = groups_col if keep_typology_apart else "all"

    # 1. Items: full-cap shares of large spots (own PE each) + remainders / ordinary spots.
    spot_of_item: list[int] = []
    people_of_item: list[float] = []
    full_item: list[bool] = []
    for i, p in enumerate(people):
        n_full = math.floor(p / cap + _TOL) if p > cap + _TOL else 0
        rest = p - n_full * cap
        for _ in range(n_full):
            spot_of_item.append(i)
            people_of_item.append(cap)
            full_item.append(True)
        if rest > _TOL or n_full == 0:
            spot_of_item.append(i)
            people_of_item.append(max(rest, 0.0))
            full_item.append(False)
    item_h = np.asarray(spot_of_item, dtype="int64")
    item_p = np.asarray(people_of_item, dtype="float64")
    item_full = np.asarray(full_item, dtype="bool")
    item_pe = np.full(item_h.size, "", dtype=object)
    item_fixed = np.zeros(item_h.size, dtype="bool")

    # 2. Fixed assignments: each spot's items take its kept PEs in order while they fit.
    kept = _fixed_map(fixed, frame)
    used_ids: set[str] = {p for ps in kept.values() for p in ps}
    load: dict[str, float] = {}
    hid = frame["hotspot_id"].to_numpy()
    grp = frame["typology_group"].to_numpy()
    # A split spot's remainder goes back to the kept PE that also holds other spots; its
    # full-cap shares to the spot's other kept PEs (a keep file lists pairs, not shares).
    spots_per_pe: dict[str, int] = {}
    for ps in kept.values():
        for pe in ps:
            spots_per_pe[pe] = spots_per_pe.get(pe, 0) + 1
    wanted = np.full(item_h.size, "", dtype=object)
    for i in np.unique(item_h):
        pes = kept.get(hid[i])
        if not pes:
            continue
        js = np.flatnonzero(item_h == i)
        rest = [j for j in js if not item_full[j]]
        pool = sorted(pes, key=lambda pe: (-spots_per_pe[pe], pe))
        if rest:
            wanted[rest[0]] = pool.pop(0)
        pool.sort()
        for j in js:
            if item_full[j] and pool:
                wanted[j] = pool.pop(0)
    for j in np.flatnonzero(wanted != ""):
        pe = wanted[j]
        if load.get(pe, 0.0) + item_p[j] <= cap + _TOL:
            item_pe[j] = pe
            item_fixed[j] = True
            load[pe] = load.get(pe, 0.0) + item_p[j]
    # Kept PEs may take free items that lie within their area while room remains.
    if load:
        pe_names = sorted(load)
        centre, radius, pe_group = {}, {}, {}
        for pe in pe_names:
            pe_group[pe] = grp[item_h[item_pe == pe][0]]
            pts = xy[item_h[item_pe == pe]]
            c = pts.mean(axis=0)
            centre[pe] = c
            radius[pe] = float(np.sqrt(((pts - c) ** 2).sum(axis=1)).max())
        for j in np.flatnonzero((item_pe == "") & ~item_full):
            p_xy = xy[item_h[j]]
            best = None
            for pe in pe_names:
                d = float(np.sqrt(((p_xy - centre[pe]) ** 2).sum()))
                fits = load[pe] + item_p[j] <= cap + _TOL
                same_group = pe_group[pe] == grp[item_h[j]]
                if fits and same_group and d <= radius[pe] + _TOL and (best is None or d < best[0]):
                    best = (d, pe)
            if best is not None:
                item_pe[j] = best[1]
                load[best[1]] += item_p[j]

    # 3. New PEs: full shares get their own PE; the rest is cut by bisection per typology group.
    next_id = _new_id_factory(pe_prefix, used_ids)
    free = item_pe == ""
    isolated: set[str] = set()
    for g in sorted(set(grp[item_h[free]])):
        sel = np.flatnonzero(free & ~item_full & (grp[item_h] == g))
        if sel.size:
            labels, lone = caseload_groups(
                xy[item_h[sel], 0],
                xy[item_h[sel], 1],
                item_p[sel],
                cap,
                walking_limit_km=limit_km,
            )
            isolated.update(hid[item_h[sel[lone]]].tolist())
            names = [next_id() for _ in range(int(labels.max()) + 1)]
            item_pe[sel] = np.asarray(names, dtype=object)[labels]
        for j in np.flatnonzero(free & item_full & (grp[item_h] == g)):
            item_pe[j] = next_id()

    # 4. Frames.
    spot_total = people[item_h]
    assignments = pd.DataFrame(
        {
            "hotspot_id": pd.array(hid[item_h], dtype="str"),
            "pe_id": pd.array(item_pe.astype(str), dtype="str"),
            "people": item_p,
            "share": np.where(
                spot_total > 0, item_p / np.where(spot_total > 0, spot_total, 1.0), 1.0
            ),
            "split": pd.Series(item_h).map(pd.Series(item_h).value_counts()).to_numpy() > 1,
            "fixed": item_fixed,
            "typology_group": pd.array(grp[item_h], dtype="str"),
        }
    )
    assignments["x_m"] = xy[item_h, 0]
    assignments["y_m"] = xy[item_h, 1]
    pes = (
        assignments.groupby("pe_id", sort=False)
        .agg(
            people=("people", "sum"),
            hotspots=("hotspot_id", "nunique"),
            typology_group=("typology_group", "first"),
            fixed=("fixed", "any"),
            x_m=("x_m", "mean"),
            y_m=("y_m", "mean"),
        )
        .reset_index()
    )
    pes = pes.sort_values("pe_id", key=_natural_key, kind="stable").reset_index(drop=True)
    centre = assignments[["pe_id"]].join(pes.set_index("pe_id")[["x_m", "y_m"]], on="pe_id")
    reach = (
        np.hypot(assignments["x_m"] - centre["x_m"], assignments["y_m"] - centre["y_m"])
        .groupby(assignments["pe_id"])
        .max()
    )
    pes["radius_km"] = pes["pe_id"].map(reach).to_numpy(dtype="float64") / 1000.0
    order = {pe: i for i, pe in enumerate(pes["pe_id"])}
    assignments = (
        assignments.assign(_o=assignments["pe_id"].map(order))
        .sort_values(["_o", "hotspot_id"], kind="stable")
        .drop(columns=["_o", "x_m", "y_m"])
        .reset_index(drop=True)
    )
    spots_out = frame.drop(columns=["typology_group"]).assign(typology_group=grp)
    return CaseloadResult(
        district=district,
        people_per_pe=cap,
        lower_bound=lower_bound(float(people.sum()), cap),
        assignments=assignments[ASSIGNMENT_COLUMNS],
        peer_educators=pes[PE_COLUMNS],
        spots=spots_out,
        walking_limit_km=limit_km,
        isolated=tuple(sorted(isolated)),
    )


def _natural_key(values: pd.Series) -> pd.Series:
    """Sort key putting PE-2 before PE-10 (numbers compared as numbers)."""
    return values.map(
        lambda s: tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(s)))
    )


# --- supervision groups -------------------------------------------------------------


def supervision_groups(
    peer_educators: pd.DataFrame, *, pe_per_orw: int = PE_PER_ORW_DEFAULT, orw_prefix: str = "ORW-"
) -> pd.DataFrame:
    """PEs grouped by proximity into outreach-worker groups of at most ``pe_per_orw`` PEs.

    Takes pe_id, x_m, y_m (PE centres, metres); returns pe_id, orw_group. The number of
    groups is ⌈PEs ÷ pe_per_orw⌉ (DESIGN.md s.3; Mombasa 68 PEs -> 12 ORWs) and the groups
    are cut by the same bisection as caseloads, so they are compact and do not overlap.
    """
    n = check_pe_per_orw(pe_per_orw)
    require_columns(
        peer_educators,
        ["pe_id", "x_m", "y_m"],
        argument="peer_educators",
        function="supervision_groups",
    )
    pes = peer_educators.reset_index(drop=True)
    groups = partition_points(
        pes["x_m"], pes["y_m"], np.ones(len(pes)), float(n), area_gap_km=math.inf
    )
    label = np.full(len(pes), "", dtype=object)
    for i, g in enumerate(groups, start=1):
        label[g] = f"{orw_prefix}{i:02d}"
    return pd.DataFrame(
        {"pe_id": pes["pe_id"].astype("str"), "orw_group": pd.array(label.astype(str), dtype="str")}
    )


# --- distances ------------------------------------------------------------------------


def tour_length_m(x_m: npt.ArrayLike, y_m: npt.ArrayLike) -> float:
    """Length (metres, straight lines) of a closed walk through the points.

    The walk is built by nearest neighbour, then improved by 2-opt. Duplicate locations count
    once. An estimate of the walking distance around a PE's spots (streets make the real walk
    longer).
    """
    pts = np.unique(np.column_stack([np.asarray(x_m, float), np.asarray(y_m, float)]), axis=0)
    n = len(pts)
    if n < 2:
        return 0.0
    dist = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2))
    route = [0]
    left = set(range(1, n))
    while left:
        last = route[-1]
        nxt = min(left, key=lambda j: (dist[last, j], j))
        route.append(nxt)
        left.remove(nxt)
    if n <= 200:
        improved, rounds = True, 0
        while improved and rounds < 20:
            improved, rounds = False, rounds + 1
            for i in range(1, n - 1):
                for j in range(i + 1, n):
                    a, b = route[i - 1], route[i]
                    c, d = route[j], route[(j + 1) % n]
                    if dist[a, c] + dist[b, d] < dist[a, b] + dist[c, d] - 1e-9:
                        route[i : j + 1] = route[i : j + 1][::-1]
                        improved = True
    return float(sum(dist[route[i], route[(i + 1) % n]] for i in range(n)))


def walking_km(assignments: pd.DataFrame, spots: pd.DataFrame) -> pd.Series:
    """Per PE: straight-line walk around its spots in km.

    Indexed by pe_id, in order of first appearance.
    """
    xy = spots.set_index("hotspot_id")[["x_m", "y_m"]]
    joined = assignments[["pe_id", "hotspot_id"]].join(xy, on="hotspot_id")
    codes, names = pd.factorize(joined["pe_id"])
    x, y = joined["x_m"].to_numpy(dtype="float64"), joined["y_m"].to_numpy(dtype="float64")
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    out = [tour_length_m(x[order[a:b]], y[order[a:b]]) / 1000.0 for a, b in pairwise(bounds)]
    return pd.Series(out, index=pd.Index(names, name="pe_id"), name="walking_km", dtype="float64")


def mean_distance_to_centre_km(assignments: pd.DataFrame, spots: pd.DataFrame) -> float:
    """Mean over (PE, spot) pairs of the distance from the spot to its PE's centre, in km.

    The centre is the mean location of the PE's spots. The compactness measure used to
    compare caseload methods (bench/bench_caseloads.py).
    """
    xy = spots.set_index("hotspot_id")[["x_m", "y_m"]]
    joined = assignments[["pe_id", "hotspot_id"]].join(xy, on="hotspot_id")
    centre = joined.groupby("pe_id")[["x_m", "y_m"]].transform("mean")
    d = np.sqrt((joined["x_m"] - centre["x_m"]) ** 2 + (joined["y_m"] - centre["y_m"]) ** 2)
    return float(d.mean() / 1000.0) if len(d) else 0.0


# --- geography adapter -----------------------------------------------------------------


def _slug(text: str) -> str:
    """Upper-case letters/digits of a district name joined with '-' (for PE ids)."""
    return "-".join(re.findall(r"[A-Za-z0-9]+", text)).upper()


def hotspot_people(
    hotspots: pd.DataFrame,
    *,
    basis: str = "peak",
    level: str = "mid",
    duplication_rate: float = 0.0,
) -> pd.Series:
    """Each hotspot's planning population (estimate at ``level``; DESIGN.md s.3).

    Indexed like hotspots.
    """
    require_choice(level, ("low", "mid", "high"), argument="level", function="hotspot_people")
    est = hotspot_estimates(hotspots, basis=basis, duplication_rate=duplication_rate)
    return pd.Series(est[f"estimate_{level}"].to_numpy(), index=hotspots.index, name="people")


def district_caseloads(
    hotspots: pd.DataFrame,
    crs_projected: str,
    params: CaseloadParams = CaseloadParams(),
    *,
    district: str | None = None,
    fixed: FixedAssignments | None = None,
) -> CaseloadResult:
    """Caseloads and ORW groups for one district's hotspots.

    All given hotspots when ``district`` is None.

    ``hotspots`` is the canonical frame (planning/schema.py). The result's peer_educators
    carry orw_group, latitude, longitude (centre, WGS84) and walking_km; spots carry
    x_m, y_m, people and the canonical columns.
    """
    fn = "district_caseloads"
    require_columns(
        hotspots, ["hotspot_id", "latitude", "longitude"], argument="hotspots", function=fn
    )
    frame = hotspots
    if district is not None:
        names = text_column(hotspots, "district")
        frame = hotspots[names == district]
        if frame.empty:
            known = sorted(set(names) - {""})
            raise CaseloadError(
                f"{fn}: district {district!r} has no hotspots; choose one of {known[:40]}"
                + (" ..." if len(known) > 40 else "")
            )
    frame = pd.DataFrame(frame.drop(columns=["geometry"], errors="ignore")).reset_index(drop=True)
    x_m, y_m = project_lonlat(frame["longitude"], frame["latitude"], crs_projected)
    frame["x_m"], frame["y_m"] = x_m, y_m
    frame["people"] = hotspot_people(
        frame, basis=params.basis, level=params.level, duplication_rate=params.duplication_rate
    )
    slug = _slug(district) if district else "ALL"
    result = assign_caseloads(
        frame,
        people_per_pe=params.people_per_pe,
        keep_typology_apart=params.keep_typology_apart,
        fixed=fixed,
        walking_limit_km=params.walking_limit_km,
        pe_prefix=f"PE-{slug}-",
        district=district or "",
    )
    pes = result.peer_educators
    orw = supervision_groups(pes, pe_per_orw=params.pe_per_orw, orw_prefix=f"ORW-{slug}-")
    pes = pes.merge(orw, on="pe_id", how="left")
    back = Transformer.from_crs(crs_projected, "EPSG:4326", always_xy=True)
    lon, lat = back.transform(pes["x_m"].to_numpy(), pes["y_m"].to_numpy())
    pes["latitude"], pes["longitude"] = lat, lon
    walk = walking_km(result.assignments, result.spots)
    pes["walking_km"] = pes["pe_id"].map(walk).fillna(0.0).to_numpy(dtype="float64")
    return CaseloadResult(
        district=result.district,
        people_per_pe=result.people_per_pe,
        lower_bound=result.lower_bound,
        assignments=result.assignments,
        peer_educators=pes,
        spots=result.spots,
        walking_limit_km=result.walking_limit_km,
        isolated=result.isolated,
    )
