"""Caseloads per district, computed once per (dataset, people per PE, basis, level, duplication)
and shared by every page and request.

A scenario that counts PEs from caseloads (``pe_count_from="caseloads"``) needs each district's
caseload count (planning.plan.caseload_counts: the caseloads the Outreach page makes, at the
default walking limit). Only those five values change the counts, so plans that differ in any
other parameter (target, costs, caps, access distance ...) share one computation. The counts are
derived from hotspot geometry: the aggregate-only view never asks for them
(services.plans.get_published_plan plans on the ratio rule), and ``get_counts`` refuses there.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from functools import lru_cache

import pandas as pd

from planning.plan import caseload_counts
from planning.scenario import Scenario
from services import datasets
from services.access import require_hotspot_detail
from services.locks import ForkSafeLock

log = logging.getLogger(__name__)

# (dataset id, people per PE, basis, level, duplication): what the counts depend on.
CountsKey = tuple[str, float, str, str, float]

# One lock per key: callbacks asking at once for counts not cached yet compute them once.
_LOCKS: defaultdict[CountsKey, ForkSafeLock] = defaultdict(ForkSafeLock)
_LOCKS_GUARD = ForkSafeLock()


def counts_key(dataset_id: str | None, scenario: Scenario) -> CountsKey:
    """The cache key of a scenario's caseload counts (the canonical dataset id first)."""
    return (
        datasets.resolve_id(dataset_id),
        float(scenario.people_per_pe),
        scenario.basis,
        scenario.level,
        float(scenario.duplication),
    )


@lru_cache(maxsize=64)
def _counts_cached(key: CountsKey) -> pd.Series:
    dataset_key, people_per_pe, basis, level, duplication = key
    dataset = datasets.get_dataset(dataset_key)
    started = time.perf_counter()
    counts = caseload_counts(
        dataset, people_per_pe=people_per_pe, basis=basis, level=level, duplication=duplication
    )
    # counts only: never a hotspot id, name or coordinate
    log.info(
        "caseload counts for dataset %s in %.0f ms: %d districts, %d caseloads",
        dataset_key,
        1000 * (time.perf_counter() - started),
        len(counts),
        int(counts.sum()),
    )
    return counts


def get_counts(dataset_id: str | None, scenario: Scenario) -> pd.Series:
    """Caseloads per district (index: district name, int64) at the scenario's people per PE,
    basis, level and duplication; memoised. Raises services.access.HotspotDetailRefused in the
    aggregate-only view. The returned Series is shared: do not modify it."""
    require_hotspot_detail("caseload counts")
    key = counts_key(dataset_id, scenario)
    with _LOCKS_GUARD:
        lock = _LOCKS[key]
    with lock:
        return _counts_cached(key)


def clear_cache() -> None:
    """Forget every memoised count (tests; a changed default dataset)."""
    _counts_cached.cache_clear()
