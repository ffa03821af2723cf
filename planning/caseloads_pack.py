"""Packing spots into as few caseloads as the walking limit allows (pure array functions).

Used by ``planning.caseloads.assign_caseloads``. Items are spots (or the remainder of a spot
split above the cap) with a location in metres and a weight in people; a caseload holds at most
``capacity`` people and every one of its items lies within ``limit_m`` of its centre (the mean
location of its items). Labels are integers 0..m-1 over the items.

1. ``isolated_items``: an item farther than the limit from every other item cannot share a
   caseload under the rule the page states (it gets its own).
2. ``fill_labels``: items in Hilbert-curve order (neighbours on the curve are neighbours on the
   ground); each new caseload starts at the first unplaced item on the curve and takes the
   next unplaced items that fit (first fit within a short window, so small spots fill the
   room a big one leaves) while every item stays within the limit of the centre.
3. ``dissolve_labels``: the emptiest caseloads are dissolved when every one of their items fits
   into a neighbouring caseload (capacity and walking limit): one PE fewer each time.
4. ``enforce_limit``: after the compactness passes (``caseloads_refine``) a caseload wider than
   its limit gives up its farthest items, which go to a neighbouring caseload with room within
   the limit, or are packed into new caseloads by 2. So the limit holds on every caseload.

Deterministic: every order is a stable sort with index tie-breaks; cKDTree queries are exact.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]

_TOL = 1e-9
# Items in a row that may fail to fit before a caseload at least 90% full is closed.
_FILL_WINDOW = 6
# Neighbouring caseloads tried for each item of a caseload being dissolved or trimmed.
_HOST_CANDIDATES = 12
_HILBERT_ORDER = 16


def hilbert_index(x_m: npt.ArrayLike, y_m: npt.ArrayLike, order: int = _HILBERT_ORDER) -> IntArray:
    """Position of each point along a Hilbert curve over the points' bounding square."""
    x = np.asarray(x_m, dtype="float64")
    y = np.asarray(y_m, dtype="float64")
    if x.size == 0:
        return np.zeros(0, dtype="int64")
    n = 1 << order
    span = max(float(x.max() - x.min()), float(y.max() - y.min()), 1e-9)
    xi = np.minimum(((x - x.min()) / span * (n - 1)).round(), n - 1).astype("int64")
    yi = np.minimum(((y - y.min()) / span * (n - 1)).round(), n - 1).astype("int64")
    d = np.zeros(x.size, dtype="int64")
    s = n >> 1
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx.astype("int64")) ^ ry.astype("int64"))
        flip = ~ry & rx
        xi = np.where(flip, n - 1 - xi, xi)
        yi = np.where(flip, n - 1 - yi, yi)
        swap = ~ry
        xi, yi = np.where(swap, yi, xi), np.where(swap, xi, yi)
        s >>= 1
    return d


def isolated_items(x_m: npt.ArrayLike, y_m: npt.ArrayLike, limit_m: float) -> npt.NDArray[np.bool_]:
    """Items farther than ``limit_m`` from every other item (a lone item is isolated)."""
    xy = np.column_stack([np.asarray(x_m, dtype="float64"), np.asarray(y_m, dtype="float64")])
    if len(xy) < 2:
        return np.ones(len(xy), dtype="bool")
    dist, _ = cKDTree(xy).query(xy, k=2)
    return np.asarray(dist[:, 1] > limit_m + _TOL)


def radius_m(x: FloatArray, y: FloatArray, labels: IntArray, m: int) -> FloatArray:
    """Per caseload: the largest distance from its centre (mean of its items) to an item."""
    n = np.maximum(np.bincount(labels, minlength=m), 1)
    cx = np.bincount(labels, weights=x, minlength=m) / n
    cy = np.bincount(labels, weights=y, minlength=m) / n
    d = np.hypot(x - cx[labels], y - cy[labels])
    out = np.zeros(m)
    np.maximum.at(out, labels, d)
    return out


def _fits_within(px: FloatArray, py: FloatArray, limit_m: float) -> bool:
    """True when every point lies within ``limit_m`` of the points' mean."""
    return bool(np.hypot(px - px.mean(), py - py.mean()).max() <= limit_m + _TOL)


def fill_labels(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    weight: npt.ArrayLike,
    capacity: float,
    limit_m: float,
    *,
    window: int = _FILL_WINDOW,
) -> IntArray:
    """First caseloads: the items in Hilbert-curve order, cut into runs that fill a PE.

    Each caseload starts at the first unplaced item on the curve and takes the following
    unplaced items that fit (capacity, and every item within ``limit_m`` of the mean); an item
    that does not fit is left for the next caseload, and the caseload closes after ``window``
    items in a row did not fit once it is 90% full. A larger window fills PEs more tightly
    (fewer PEs) with less compact caseloads; bench/bench_caseloads.py measures the trade-off.
    Every item must weigh at most ``capacity``.
    """
    x = np.asarray(x_m, dtype="float64")
    y = np.asarray(y_m, dtype="float64")
    w = np.asarray(weight, dtype="float64")
    n = x.size
    labels = np.full(n, -1, dtype="int64")
    if n == 0:
        return labels
    curve = np.lexsort((np.arange(n), hilbert_index(x, y)))
    lightest = float(w.min())
    half = limit_m / 2.0
    m, start = 0, 0
    while True:
        while start < n and labels[curve[start]] >= 0:
            start += 1
        if start >= n:
            break
        seed = int(curve[start])
        members = [seed]
        labels[seed] = m
        load = float(w[seed])
        near = True  # every member within limit/2 of the seed: the limit holds around the mean
        misses = 0
        j = start + 1
        while j < n and misses < window and capacity - load >= lightest - _TOL:
            i = int(curve[j])
            j += 1
            if labels[i] >= 0:
                continue
            misses += 1
            if load + w[i] > capacity + _TOL:
                continue
            if not (near and float(np.hypot(x[i] - x[seed], y[i] - y[seed])) <= half):
                trial = np.asarray([*members, i])
                if not _fits_within(x[trial], y[trial], limit_m):
                    continue
                near = False
            members.append(i)
            labels[i] = m
            load += float(w[i])
            if load < 0.9 * capacity:
                misses = 0
        m += 1
    return labels


def _move_into_hosts(
    x: FloatArray,
    y: FloatArray,
    w: FloatArray,
    labels: IntArray,
    items: IntArray,
    hosts: list[int],
    members: dict[int, list[int]],
    load: FloatArray,
    capacity: float,
    limit_m: float,
) -> dict[int, int] | None:
    """A host caseload for each item (capacity and limit kept), or None when one has none.

    ``members`` and ``load`` are updated only when every item found a host.
    """
    placed: dict[int, int] = {}
    extra: dict[int, list[int]] = {}
    extra_load: dict[int, float] = {}
    for i in items:
        best: tuple[float, int] | None = None
        for h in hosts:
            if load[h] + extra_load.get(h, 0.0) + w[i] > capacity + _TOL:
                continue
            trial = np.asarray([*members[h], *extra.get(h, []), int(i)])
            if not _fits_within(x[trial], y[trial], limit_m):
                continue
            spread = float(np.hypot(x[i] - x[trial].mean(), y[i] - y[trial].mean()))
            if best is None or (spread, h) < best:
                best = (spread, h)
        if best is None:
            return None
        h = best[1]
        placed[int(i)] = h
        extra.setdefault(h, []).append(int(i))
        extra_load[h] = extra_load.get(h, 0.0) + float(w[i])
    for h, add in extra.items():
        members[h].extend(add)
        load[h] += extra_load[h]
    return placed


def _members(labels: IntArray, m: int) -> dict[int, list[int]]:
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(m + 1))
    return {g: order[bounds[g] : bounds[g + 1]].tolist() for g in range(m)}


def _compact(labels: IntArray) -> IntArray:
    """Labels renumbered 0..m'-1 keeping their order (empty labels dropped)."""
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.astype("int64")


def dissolve_labels(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    weight: npt.ArrayLike,
    labels: npt.ArrayLike,
    capacity: float,
    limit_m: float,
) -> IntArray:
    """Dissolve caseloads whose items all fit into neighbouring caseloads; returns new labels.

    The emptiest caseloads are tried first; each item goes to the neighbouring caseload (among
    the 12 with the nearest centres) with room where it lies closest to the new centre and
    the walking limit still holds there.
    """
    x = np.asarray(x_m, dtype="float64")
    y = np.asarray(y_m, dtype="float64")
    w = np.asarray(weight, dtype="float64")
    lab = np.asarray(labels, dtype="int64").copy()
    if lab.size == 0:
        return lab
    m = int(lab.max()) + 1
    if m < 2:
        return lab
    members = _members(lab, m)
    load = np.bincount(lab, weights=w, minlength=m).astype("float64")
    cnt = np.maximum(np.bincount(lab, minlength=m), 1)
    cx = np.bincount(lab, weights=x, minlength=m) / cnt
    cy = np.bincount(lab, weights=y, minlength=m) / cnt
    tree = cKDTree(np.column_stack([cx, cy]))
    k = min(_HOST_CANDIDATES + 1, m)
    alive = np.ones(m, dtype="bool")
    for g in np.lexsort((np.arange(m), load)):
        g = int(g)
        if not alive[g] or not members[g]:
            continue
        _, near = tree.query([cx[g], cy[g]], k=k)
        hosts = [int(h) for h in np.atleast_1d(near) if h != g and alive[h]]
        items = np.asarray(sorted(members[g], key=lambda i: (-w[i], i)), dtype="int64")
        placed = _move_into_hosts(x, y, w, lab, items, hosts, members, load, capacity, limit_m)
        if placed is None:
            continue
        for i, h in placed.items():
            lab[i] = h
        members[g] = []
        load[g] = 0.0
        alive[g] = False
    return _compact(lab)


def enforce_limit(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    weight: npt.ArrayLike,
    labels: npt.ArrayLike,
    capacity: float,
    limit_m: float,
) -> IntArray:
    """Labels where every caseload lies within ``limit_m`` of its centre (see module doc, 4.)."""
    x = np.asarray(x_m, dtype="float64")
    y = np.asarray(y_m, dtype="float64")
    w = np.asarray(weight, dtype="float64")
    lab = np.asarray(labels, dtype="int64").copy()
    if lab.size == 0:
        return lab
    m = int(lab.max()) + 1
    wide = np.flatnonzero(radius_m(x, y, lab, m) > limit_m + _TOL)
    if wide.size == 0:
        return lab
    members = _members(lab, m)
    evicted: list[int] = []
    for g in wide:
        keep = list(members[int(g)])
        while len(keep) > 1 and not _fits_within(x[keep], y[keep], limit_m):
            px, py = x[keep], y[keep]
            far = int(np.argmax(np.hypot(px - px.mean(), py - py.mean())))
            evicted.append(keep.pop(far))
        members[int(g)] = keep
    for i in evicted:
        lab[i] = -1
    load = np.bincount(lab[lab >= 0], weights=w[lab >= 0], minlength=m).astype("float64")
    cnt = np.maximum(np.bincount(lab[lab >= 0], minlength=m), 1)
    cx = np.bincount(lab[lab >= 0], weights=x[lab >= 0], minlength=m) / cnt
    cy = np.bincount(lab[lab >= 0], weights=y[lab >= 0], minlength=m) / cnt
    tree = cKDTree(np.column_stack([cx, cy]))
    k = min(_HOST_CANDIDATES, m)
    homeless = []
    for i in sorted(evicted):
        _, near = tree.query([x[i], y[i]], k=k)
        hosts = [int(h) for h in np.atleast_1d(near)]
        placed = _move_into_hosts(
            x, y, w, lab, np.asarray([i]), hosts, members, load, capacity, limit_m
        )
        if placed is None:
            homeless.append(i)
        else:
            lab[i] = placed[i]
    if homeless:
        idx = np.asarray(homeless, dtype="int64")
        lab[idx] = m + fill_labels(x[idx], y[idx], w[idx], capacity, limit_m)
    return _compact(lab)
