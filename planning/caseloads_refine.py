"""Improving a caseload partition: refinement and overlap detection.

Pure array functions (metres, people) used by ``planning.caseloads.assign_caseloads`` after the
packing (``planning.caseloads_pack``) has made the first caseloads. Groups are integer labels
0..m-1 over items.

- ``refine_labels``: capacitated Hartigan k-means. A spot moves to a neighbouring caseload, or
  two spots in neighbouring caseloads swap, when that lowers the total squared distance of
  spots to their caseload centres and no caseload goes above capacity. PE count never rises.
- ``polish_labels``: the same moves and swaps judged on the plain distances a PE walks
  (the sum of straight distances from spots to their centre), each candidate's exact change
  computed over the members of both caseloads.
- ``overlap_pairs``: pairs of caseloads where a spot of one lies strictly inside the convex
  hull of the other, for the repair in ``planning.caseloads``.

Deterministic: every order is a stable sort with index tie-breaks; cKDTree queries are exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import shapely
from scipy.spatial import cKDTree

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]


class _Groups(NamedTuple):
    """One round's partition: item coordinates (m), labels, and each group's count and centre."""

    x: FloatArray
    y: FloatArray
    labels: IntArray
    n: FloatArray
    cx: FloatArray
    cy: FloatArray


# (groups, a, cand) -> gain per item and candidate caseload
MoveGain: TypeAlias = Callable[[_Groups, IntArray, IntArray], FloatArray]
# (groups, a, b, near) -> gain per item and candidate partner
SwapGain: TypeAlias = Callable[[_Groups, IntArray, IntArray, IntArray], FloatArray]

_TOL = 1e-9
# Neighbouring caseload centres considered for a move, and neighbouring spots for a swap.
_MOVE_CANDIDATES = 8
_SWAP_CANDIDATES = 10
_MAX_PASSES = 60


def _group_stats(
    x: FloatArray, y: FloatArray, w: FloatArray, labels: IntArray, m: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Counts, loads and centres of m groups."""
    n = np.bincount(labels, minlength=m).astype("float64")
    # numpy's stubs type bincount as intp even with float weights; the result is float64.
    load = cast(FloatArray, np.bincount(labels, weights=w, minlength=m))
    safe = np.maximum(n, 1.0)
    cx = np.bincount(labels, weights=x, minlength=m) / safe
    cy = np.bincount(labels, weights=y, minlength=m) / safe
    return n, load, cx, cy


def _apply_best_first(
    gain: FloatArray, src: IntArray, dst: IntArray, m: int, apply: Callable[[np.intp], None]
) -> int:
    """Apply improving changes best first, at most one per group per round (so gains stay exact)."""
    order = np.flatnonzero(gain > _TOL)
    if order.size == 0:
        return 0
    order = order[np.lexsort((order, -gain[order]))]
    touched = np.zeros(m, dtype="bool")
    done = 0
    for i in order:
        a, b = src[i], dst[i]
        if touched[a] or touched[b]:
            continue
        touched[a] = touched[b] = True
        apply(i)
        done += 1
    return done


def relabel(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..m-1 in order of each group's first item (so output order is stable)."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype="int64")
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse]


def refine_labels(
    x_m: npt.ArrayLike, y_m: npt.ArrayLike, weight: npt.ArrayLike, labels: npt.ArrayLike,
    capacity: float, *, max_passes: int = _MAX_PASSES,
) -> IntArray:  # fmt: skip
    """Capacitated Hartigan refinement of a partition (moves and swaps); returns new labels.

    Each pass computes, for every item, the best move to one of the 8 nearest other caseload
    centres (the change in the sum of squared distances to centres, exact for one move:
    n_b/(n_b+1)|x-c_b|^2 - n_a/(n_a-1)|x-c_a|^2) and the best swap with one of its 10
    nearest items in another caseload; improving changes that keep both caseloads within
    capacity are applied best first, one per caseload per round. Stops when nothing improves.
    The number of caseloads never changes (a caseload is never emptied).
    """
    return _local_search(
        x_m, y_m, weight, labels, capacity, _squared_move_gain, _squared_swap_gain, max_passes
    )


def _squared_move_gain(g: _Groups, a: IntArray, cand: IntArray) -> FloatArray:
    """Drop in the sum of squared distances when item i moves from a[i] to cand[i, k] (exact)."""
    x, y, _, n, cx, cy = g
    na = n[a]
    out = na / np.maximum(na - 1, 1) * ((x - cx[a]) ** 2 + (y - cy[a]) ** 2)
    nb = n[cand]
    return out[:, None] - nb / (nb + 1) * (
        (x[:, None] - cx[cand]) ** 2 + (y[:, None] - cy[cand]) ** 2
    )


def _squared_swap_gain(g: _Groups, a: IntArray, b: IntArray, near: IntArray) -> FloatArray:
    """Drop in the sum of squared distances when item i (in a[i]) and near[i, k] (in b) swap."""
    x, y, _, n, cx, cy = g
    xj, yj = x[near], y[near]
    d2 = (xj - x[:, None]) ** 2 + (yj - y[:, None]) ** 2
    delta_a = (
        (xj - cx[a][:, None]) ** 2
        + (yj - cy[a][:, None]) ** 2
        - ((x - cx[a]) ** 2 + (y - cy[a]) ** 2)[:, None]
        - d2 / n[a][:, None]
    )
    delta_b = (
        (x[:, None] - cx[b]) ** 2
        + (y[:, None] - cy[b]) ** 2
        - (xj - cx[b]) ** 2
        - (yj - cy[b]) ** 2
        - d2 / n[b]
    )
    return -(delta_a + delta_b)


def _local_search(
    x_m: npt.ArrayLike, y_m: npt.ArrayLike, weight: npt.ArrayLike, labels: npt.ArrayLike,
    capacity: float, move_gain: MoveGain, swap_gain: SwapGain, max_passes: int,
) -> IntArray:  # fmt: skip
    """Passes of moves then swaps within capacity, judged by the given gain functions.

    A move takes an item to one of the 8 nearest other caseload centres (never emptying its
    caseload); a swap exchanges it with one of its 10 nearest items in another caseload.
    Each item's best feasible change is applied best first, one per caseload per round, so
    every applied gain is exact. Stops when nothing improves.
    """
    x = np.asarray(x_m, dtype="float64")
    y = np.asarray(y_m, dtype="float64")
    w = np.asarray(weight, dtype="float64")
    lab = np.asarray(labels, dtype="int64").copy()
    n_items = x.size
    m = int(lab.max()) + 1 if n_items else 0
    if n_items < 2 or m < 2:
        return lab
    rows = np.arange(n_items)
    k_swap = min(_SWAP_CANDIDATES + 1, n_items)
    _, near = cKDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=k_swap)
    near = near.reshape(n_items, k_swap)[:, 1:]
    k_move = min(_MOVE_CANDIDATES, m)
    for _ in range(max_passes):
        # Moves.
        n, load, cx, cy = _group_stats(x, y, w, lab, m)
        _, cand = cKDTree(np.column_stack([cx, cy])).query(np.column_stack([x, y]), k=k_move)
        cand = cand.reshape(n_items, k_move)
        a = lab.copy()
        ok = (
            (cand != a[:, None])
            & (load[cand] + w[:, None] <= capacity + _TOL)
            & (n[a] > 1)[:, None]
        )
        gain = np.where(ok, move_gain(_Groups(x, y, lab, n, cx, cy), a, cand), -np.inf)
        j = np.argmax(gain, axis=1)
        dst = cand[rows, j]

        # Called only within this round (by _apply_best_first): bind this round's arrays.
        def move(i: np.intp, dst: IntArray = dst) -> None:
            lab[i] = dst[i]

        moved = _apply_best_first(gain[rows, j], a, dst, m, move)
        # Swaps.
        n, load, cx, cy = _group_stats(x, y, w, lab, m)
        a = lab.copy()
        b = lab[near]
        fits = (
            (b != a[:, None])
            & (load[a][:, None] - w[:, None] + w[near] <= capacity + _TOL)
            & (load[b] - w[near] + w[:, None] <= capacity + _TOL)
        )
        gain = np.where(fits, swap_gain(_Groups(x, y, lab, n, cx, cy), a, b, near), -np.inf)
        j = np.argmax(gain, axis=1)
        partner = near[rows, j]
        dst = b[rows, j]

        def swap(
            i: np.intp, partner: IntArray = partner, dst: IntArray = dst, a: IntArray = a
        ) -> None:
            lab[i], lab[partner[i]] = dst[i], a[i]

        swapped = _apply_best_first(gain[rows, j], a, dst, m, swap)
        if moved == 0 and swapped == 0:
            break
    return lab


def overlap_pairs(
    x_m: npt.ArrayLike, y_m: npt.ArrayLike, labels: npt.ArrayLike
) -> list[tuple[int, int]]:
    """Sorted (a, b) label pairs where an item of a lies strictly inside b's convex hull.

    Items at exactly the same location as a spot of b (shares of one split spot, duplicate
    locations) are not counted as inside.
    """
    x = np.asarray(x_m, dtype="float64")
    y = np.asarray(y_m, dtype="float64")
    lab = np.asarray(labels, dtype="int64")
    if lab.size < 4:
        return []
    m = int(lab.max()) + 1
    order = np.argsort(lab, kind="stable")
    bounds = np.searchsorted(lab[order], np.arange(m + 1))
    polys, owner = [], []
    for g in range(m):
        members = order[bounds[g] : bounds[g + 1]]
        if members.size < 3:
            continue
        hull = shapely.MultiPoint(np.column_stack([x[members], y[members]])).convex_hull
        if hull.geom_type == "Polygon":
            polys.append(hull)
            owner.append(g)
    if not polys:
        return []
    owner_arr = np.asarray(owner, dtype="int64")
    point_idx, poly_idx = shapely.STRtree(polys).query(shapely.points(x, y), predicate="within")
    other = owner_arr[poly_idx]
    bad = lab[point_idx] != other
    # A split spot's share in another caseload sits where b's own part of that spot is.
    own_places = set(zip(x.tolist(), y.tolist(), lab.tolist()))
    return sorted(
        {
            (int(lab[i]), int(b))
            for i, b in zip(point_idx[bad], other[bad])
            if (float(x[i]), float(y[i]), int(b)) not in own_places
        }
    )


def _padded_members(labels: np.ndarray, m: int) -> np.ndarray:
    """(m, M) item indices of each group, padded with -1 (M = largest group)."""
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=m)
    width = int(counts.max()) if m else 0
    out = np.full((m, max(width, 1)), -1, dtype="int64")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(labels.size) - np.repeat(starts, counts)
    out[labels[order], pos] = order
    return out


def _sum_dist(
    x: FloatArray,
    y: FloatArray,
    members: IntArray,
    cx: FloatArray,
    cy: FloatArray,
    skip: IntArray | None = None,
    extra_x: FloatArray | None = None,
    extra_y: FloatArray | None = None,
) -> FloatArray:
    """Σ distance from the (padded) members to (cx, cy), leaving out ``skip``.

    Adds the distance from the extra point (``extra_x``, ``extra_y``) when one is given.
    """
    valid = members >= 0
    if skip is not None:
        valid = valid & (members != skip[..., None])
    mx, my = x[np.maximum(members, 0)], y[np.maximum(members, 0)]
    dist = np.where(valid, np.hypot(mx - cx[..., None], my - cy[..., None]), 0.0)
    total: FloatArray = dist.sum(axis=-1)
    if extra_x is not None and extra_y is not None:
        total = total + np.hypot(extra_x - cx, extra_y - cy)
    return total


def polish_labels(
    x_m: npt.ArrayLike, y_m: npt.ArrayLike, weight: npt.ArrayLike, labels: npt.ArrayLike,
    capacity: float, *, max_passes: int = _MAX_PASSES,
) -> IntArray:  # fmt: skip
    """Moves and swaps as in ``refine_labels`` judged on the sum of straight distances to centres.

    ``refine_labels`` lowers squared distances (cheap, exact deltas); this pass lowers the
    plain distances a PE walks, computing each candidate's exact change over the members of
    the two caseloads. The number of caseloads never changes.
    """
    return _local_search(
        x_m, y_m, weight, labels, capacity, _plain_move_gain, _plain_swap_gain, max_passes
    )


def _plain_move_gain(g: _Groups, a: IntArray, cand: IntArray) -> FloatArray:
    """Drop in the sum of straight distances when item i moves from a[i] to cand[i, k] (exact)."""
    x, y, labels, n, cx, cy = g
    rows = np.arange(x.size)
    members = _padded_members(labels, n.size)
    cur = _sum_dist(x, y, members, cx, cy)
    na = n[a]
    ax = np.where(na > 1, (na * cx[a] - x) / np.maximum(na - 1, 1), cx[a])
    ay = np.where(na > 1, (na * cy[a] - y) / np.maximum(na - 1, 1), cy[a])
    new_a = _sum_dist(x, y, members[a], ax, ay, skip=rows)
    nb = n[cand]
    bx = (nb * cx[cand] + x[:, None]) / (nb + 1)
    by = (nb * cy[cand] + y[:, None]) / (nb + 1)
    new_b = _sum_dist(x, y, members[cand], bx, by, extra_x=x[:, None], extra_y=y[:, None])
    return (cur[a] - new_a)[:, None] + cur[cand] - new_b


def _plain_swap_gain(g: _Groups, a: IntArray, b: IntArray, near: IntArray) -> FloatArray:
    """Drop in the sum of straight distances when item i (in a[i]) and near[i, k] (in b) swap."""
    x, y, labels, n, cx, cy = g
    rows = np.arange(x.size)
    members = _padded_members(labels, n.size)
    cur = _sum_dist(x, y, members, cx, cy)
    xj, yj = x[near], y[near]
    na = n[a][:, None]
    nb = n[b]
    ax = cx[a][:, None] + (xj - x[:, None]) / na
    ay = cy[a][:, None] + (yj - y[:, None]) / na
    bx = cx[b] + (x[:, None] - xj) / nb
    by = cy[b] + (y[:, None] - yj) / nb
    new_a = _sum_dist(
        x,
        y,
        members[a][:, None, :],
        ax,
        ay,
        skip=np.broadcast_to(rows[:, None], near.shape),
        extra_x=xj,
        extra_y=yj,
    )
    new_b = _sum_dist(x, y, members[b], bx, by, skip=near, extra_x=x[:, None], extra_y=y[:, None])
    return cur[a][:, None] + cur[b] - new_a - new_b


def _radius(x: list[float], y: list[float], items: list[int]) -> float:
    """Largest distance from the mean of the items to one of them (0 for none)."""
    if not items:
        return 0.0
    mx = sum(x[i] for i in items) / len(items)
    my = sum(y[i] for i in items) / len(items)
    return max(math.hypot(x[i] - mx, y[i] - my) for i in items)


def shrink_radii(
    x_m: npt.ArrayLike, y_m: npt.ArrayLike, weight: npt.ArrayLike, labels: npt.ArrayLike,
    capacity: float, limit_m: float, *, max_rounds: int = 5,
) -> IntArray:  # fmt: skip
    """Moves and swaps of each caseload's farthest spot that lower the sum of caseload radii.

    A caseload's radius (the largest distance from its centre to a spot) is set by its
    farthest spot; for the widest caseloads first, that spot moves to one of the 8 caseloads
    with the nearest centres, or swaps with one of its spots, when the two radii together
    shrink, capacity holds and both stay within ``limit_m``. The number of caseloads never
    changes; rounds repeat while something changed (at most ``max_rounds``).
    """
    lab = np.asarray(labels, dtype="int64").copy()
    m = int(lab.max()) + 1 if lab.size else 0
    if m < 2:
        return lab
    x: list[float] = np.asarray(x_m, dtype="float64").tolist()
    y: list[float] = np.asarray(y_m, dtype="float64").tolist()
    w: list[float] = np.asarray(weight, dtype="float64").tolist()
    members: list[list[int]] = [[] for _ in range(m)]
    for i, g in enumerate(lab.tolist()):
        members[g].append(i)
    load = [sum(w[i] for i in group) for group in members]
    radius = [_radius(x, y, group) for group in members]
    k = min(_MOVE_CANDIDATES + 1, m)
    for _ in range(max_rounds):
        cx = np.asarray([sum(x[i] for i in g) / len(g) for g in members])
        cy = np.asarray([sum(y[i] for i in g) / len(g) for g in members])
        _, near = cKDTree(np.column_stack([cx, cy])).query(np.column_stack([cx, cy]), k=k)
        changes = 0
        for a in np.lexsort((np.arange(m), -np.asarray(radius))).tolist():
            group = members[a]
            if len(group) < 2:
                continue
            far = max(group, key=lambda i: (math.hypot(x[i] - cx[a], y[i] - cy[a]), -i))
            rest = [i for i in group if i != far]
            best: tuple[float, int, int, float, float] | None = None  # gain, b, partner, ra, rb
            for b in near[a].tolist():
                if b == a:
                    continue
                before = radius[a] + radius[b]
                options = [(-1, rest, [*members[b], far])] if (
                    load[b] + w[far] <= capacity + _TOL
                ) else []  # fmt: skip
                options += [
                    (j, [*rest, j], [*(i for i in members[b] if i != j), far])
                    for j in members[b]
                    if load[a] - w[far] + w[j] <= capacity + _TOL
                    and load[b] - w[j] + w[far] <= capacity + _TOL
                ]
                for partner, new_a, new_b in options:
                    ra, rb = _radius(x, y, new_a), _radius(x, y, new_b)
                    gain = before - ra - rb
                    if (
                        gain > 1e-6
                        and max(ra, rb) <= limit_m + _TOL
                        and (best is None or gain > best[0])
                    ):
                        best = (gain, b, partner, ra, rb)
            if best is None:
                continue
            _, b, partner, ra, rb = best
            members[a].remove(far)
            members[b].append(far)
            load[a] -= w[far]
            load[b] += w[far]
            if partner >= 0:
                members[b].remove(partner)
                members[a].append(partner)
                load[b] -= w[partner]
                load[a] += w[partner]
            radius[a], radius[b] = ra, rb
            changes += 1
        if changes == 0:
            break
    for g, group in enumerate(members):
        lab[group] = g
    return lab
