"""Caseload plans of whole districts, memoised per (dataset, district, parameters) and computed
ahead for the default dataset.

The Outreach page's slow step is planning.caseloads.district_caseloads: about 3 s for the
largest district of a 100k-hotspot country (10,692 spots) on one core. ``district_plan``
memoises it here and in the deployment's shared result cache (services.background.SharedMemo),
computing a key once even when a request and the warm-up ask for it at the same time.
``warm_up`` plans every large district of the default dataset at the page's default parameters
in a low-priority thread as the server starts, largest first, then runs the pages' hooks
(``on_warm_up``: the Outreach page computes and draws its view of each), so a site manager opening
the page finds it made. A district's plan is keyed without a site manager's district scope
(services.datasets.district_key): hers is the one the warm-up made. Hotspot-level work: never
called in the aggregate-only view.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Hashable

from planning.caseloads import CaseloadParams, CaseloadResult, district_caseloads
from services import datasets
from services.access import require_hotspot_detail
from services.background import SharedMemo, code_version, results_cache
from services.locks import ForkSafeLock

log = logging.getLogger(__name__)

# Districts with at most this many spots plan in about a second in the request itself
# (pages.outreach.BACKGROUND_MIN_SPOTS); the warm-up plans the larger ones.
WARM_UP_MIN_SPOTS = 2000
# The warm-up thread's niceness (Linux: per thread), so requests keep the CPU first.
WARM_UP_NICENESS = 10
# Several workers (make serve) each warm up: a district claimed by one in the shared result cache
# is left to it for this long (seconds), so the workers share the work instead of repeating it.
CLAIM_S = 600

PlanKey = tuple[str, str, CaseloadParams]
# The Outreach page's defaults (planning.parameters): what the warm-up plans.
DEFAULT_PARAMS = CaseloadParams()


def _plan(dataset_key: str, district: str, params: CaseloadParams) -> CaseloadResult:
    dataset = datasets.get_dataset(dataset_key)
    return district_caseloads(dataset.hotspots, dataset.crs_projected, params, district=district)


_memo: SharedMemo[CaseloadResult] = SharedMemo(_plan, namespace="district-caseloads-v1")
# renewed in a forked background job (services.locks): one held by the warm-up thread at the fork
# would never be released there
_locks: defaultdict[Hashable, ForkSafeLock] = defaultdict(ForkSafeLock)
_locks_guard = ForkSafeLock()


def _key(dataset_id: str | None, district: str, params: CaseloadParams) -> PlanKey:
    return (datasets.district_key(dataset_id, district), str(district), params)


def district_plan(
    dataset_id: str | None, district: str, params: CaseloadParams = DEFAULT_PARAMS
) -> CaseloadResult:
    """``district_caseloads`` of one district of a dataset, memoised (this process and the
    shared cache); a call made while the same plan is being computed waits for it. The result
    is shared: do not modify it."""
    require_hotspot_detail("caseload plans")
    key = _key(dataset_id, district, params)
    with _locks_guard:
        lock = _locks[key]
    with lock:
        return _memo(*key)


def is_planned(
    dataset_id: str | None, district: str, params: CaseloadParams = DEFAULT_PARAMS
) -> bool:
    """True when ``district_plan`` of these arguments is memoised (answers at once)."""
    return _memo.lookup(*_key(dataset_id, district, params)) is not None


def is_underway(
    dataset_id: str | None, district: str, params: CaseloadParams = DEFAULT_PARAMS
) -> bool:
    """True while ``district_plan`` of these arguments is being computed in this process (by the
    warm-up, or another request): a caller that waits gets it sooner than by starting again."""
    key = _key(dataset_id, district, params)
    with _locks_guard:
        lock = _locks.get(key)
    return lock is not None and lock.locked()


def districts_to_warm_up(dataset_id: str | None, min_spots: int = WARM_UP_MIN_SPOTS) -> list[str]:
    """The districts of a dataset with more than ``min_spots`` spots, largest first."""
    counts = datasets.get_dataset(dataset_id).hotspots["district"].astype(str).value_counts()
    return [str(d) for d, n in counts.items() if n > min_spots and d]


def _claimed_elsewhere(key: PlanKey) -> bool:
    """Claim the plan of ``key`` for this process in the shared result cache (atomic add);
    True when another process claimed it first (it computes it; requests find it there)."""
    shared = results_cache()
    if shared is None:
        return False
    claim = f"district-caseloads-claim:{code_version()}:{key!r}"
    return not shared.add(claim, os.getpid(), expire=CLAIM_S, retry=True)


# Called by the warm-up for each large district once its plan is made (largest first), with
# (dataset id, district, parameters, rank from 0): a page prepares what it shows of the plan.
WarmUpHook = Callable[[str | None, str, CaseloadParams, int], None]
_hooks: list[WarmUpHook] = []


def on_warm_up(hook: WarmUpHook) -> WarmUpHook:
    """Register ``hook`` to run in the warm-up after the plans are made (pages.outreach builds
    its page of each district then); usable as a decorator."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def _run_hooks(dataset_id: str | None, names: list[str], params: CaseloadParams) -> None:
    for rank, name in enumerate(names):
        if not is_planned(dataset_id, name, params):
            continue  # claimed by another worker and not made yet: the page plans it on demand
        for hook in _hooks:
            try:
                hook(dataset_id, name, params, rank)
            except Exception as exc:  # one district's page must not stop the others
                log.warning("caseload warm-up: a page step failed: %s", type(exc).__name__)


def warm_up(
    dataset_id: str | None = None,
    params: CaseloadParams = DEFAULT_PARAMS,
    *,
    min_spots: int = WARM_UP_MIN_SPOTS,
) -> int:
    """Plan every district of more than ``min_spots`` spots (largest first) with ``params``;
    return how many were planned now (the others were memoised, or claimed by another worker
    process). Logs counts and times only."""
    started = time.perf_counter()
    names = districts_to_warm_up(dataset_id, min_spots)
    planned = 0
    for name in names:
        if is_planned(dataset_id, name, params) or _claimed_elsewhere(
            _key(dataset_id, name, params)
        ):
            continue
        district_plan(dataset_id, name, params)
        planned += 1
    _run_hooks(dataset_id, names, params)
    # counts only: no district, hotspot id, name or coordinate
    log.info(
        "caseload warm-up: %d of %d large districts planned in %.1f s",
        planned,
        len(names),
        time.perf_counter() - started,
    )
    return planned


def warm_up_in_background(
    dataset_id: str | None = None, params: CaseloadParams = DEFAULT_PARAMS
) -> threading.Thread:
    """``warm_up`` in a daemon thread of low priority, started now; errors are logged (a
    dataset that does not load is reported by the pages that open it)."""

    def run() -> None:
        # not Linux, or not allowed: normal priority
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WARM_UP_NICENESS)
        try:
            warm_up(dataset_id, params)
        except Exception as exc:  # a thread's error would vanish
            log.warning("caseload warm-up stopped: %s", type(exc).__name__)

    thread = threading.Thread(target=run, name="caseload-warm-up", daemon=True)
    thread.start()
    return thread


def clear_cache() -> None:
    """Forget this process's memoised plans (tests)."""
    _memo.cache_clear()
