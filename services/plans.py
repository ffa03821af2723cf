"""Plans built once per (dataset, scenario) and shared by every page and request.

Large frames stay on the server: the browser holds only a dataset id and scenario parameters;
pages ask ``get_plan(dataset_id, scenario)`` and send back figures and small tables
(STYLE.md, "Callbacks stay thin"). A scenario that counts PEs from caseloads takes them from
services.caseload_counts (computed once per dataset, people per PE, basis, level and
duplication); the published (aggregate-only) plan always counts PEs at the ratio rule.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict

import pandas as pd

from planning.disclosure import DisclosureRule, publish_plan, publishable_scenario
from planning.plan import Plan, build_plan
from planning.scenario import Scenario
from planning.schema import Dataset
from services import caseload_counts, datasets
from services.locks import ForkSafeLock
from services.memo import ByteBoundedMemo

log = logging.getLogger(__name__)

# One lock per (dataset, scenario): a page firing three callbacks at once for a scenario that
# is not cached yet builds its plan once, the other two wait for it.
_PLAN_LOCKS: defaultdict[tuple[str, Scenario], ForkSafeLock] = defaultdict(ForkSafeLock)
_PLAN_LOCKS_GUARD = ForkSafeLock()


def _build_plan(dataset_key: str, scenario: Scenario) -> Plan:
    started = time.perf_counter()
    dataset = datasets.get_dataset(dataset_key)
    counts = (
        caseload_counts.get_counts(dataset_key, scenario) if scenario.pe_from_caseloads else None
    )
    plan = build_plan(dataset, scenario, caseloads=counts)
    log.info(
        "plan built for dataset %s in %.0f ms (%d districts)",
        dataset_key,
        1000 * (time.perf_counter() - started),
        len(plan.districts),
    )
    return plan


# Plans kept per process within PLAN_CACHE_BYTES (a 100k-hotspot plan holds its hotspot table).
PLAN_CACHE_BYTES = 512 * 2**20
_plan_cached: ByteBoundedMemo[Plan] = ByteBoundedMemo(_build_plan, PLAN_CACHE_BYTES)


def default_scenario(dataset_id: str | None) -> Scenario:
    """The dataset's default Scenario: dataset.toml [parameters] over the Scenario defaults.

    Raises planning.scenario.ScenarioError (naming the parameter) when dataset.toml holds an
    invalid value, so the page can say so instead of planning with something else.
    """
    settings = datasets.get_dataset(dataset_id).settings or {}
    params = settings.get("parameters") or {}
    return Scenario.from_query({k: str(v) for k, v in params.items()}) if params else Scenario()


def get_plan(dataset_id: str | None, scenario: Scenario | None = None) -> Plan:
    """The plan of a dataset under ``scenario`` (the dataset's default_scenario when None);
    memoised.

    Keyed on (dataset id, scenario): Scenario is a frozen, hashable dataclass and dataset ids
    are content hashes, so a cached plan is never stale.
    """
    key = datasets.resolve_id(dataset_id)
    chosen = scenario if scenario is not None else default_scenario(key)
    with _PLAN_LOCKS_GUARD:
        lock = _PLAN_LOCKS[(key, chosen)]
    with lock:
        return _plan_cached(key, chosen)


def people_floor(dataset: Dataset) -> pd.Series:
    """The fewest people each hotspot can hold under any basis or level: min(typical_min,
    peak_min), by hotspot_id. What is suppressed is decided on it, so it is the same whatever
    a viewer asks."""
    hs = dataset.hotspots
    low = pd.concat([hs["typical_min"], hs["peak_min"]], axis=1).min(axis=1)
    return pd.Series(low.to_numpy(dtype="float64"), index=hs["hotspot_id"].astype(str))


def _build_published(dataset_key: str, scenario: Scenario, rule: DisclosureRule) -> Plan:
    plan = get_plan(dataset_key, scenario)
    started = time.perf_counter()
    published = publish_plan(plan, rule, people_floor(datasets.get_dataset(dataset_key)))
    log.info(
        "aggregate view of dataset %s in %.0f ms (%d districts suppressed)",
        dataset_key,
        1000 * (time.perf_counter() - started),
        published.totals["suppressed_districts"],
    )
    return published


_published_cached: ByteBoundedMemo[Plan] = ByteBoundedMemo(_build_published, PLAN_CACHE_BYTES // 4)


def get_published_plan(
    dataset_id: str | None, requested: Scenario | None, rule: DisclosureRule
) -> Plan:
    """The aggregate-only view of a plan: the request's menu choices on the dataset's default
    scenario, rounded and suppressed (planning.disclosure); memoised.

    PEs are always counted at the ratio rule here, whatever the request or dataset.toml says:
    caseload counts derive from hotspot geometry, so they never reach a published figure.
    """
    key = datasets.resolve_id(dataset_id)
    default = default_scenario(key)
    scenario = publishable_scenario(requested or default, default, rule).replace(
        pe_count_from="ratio"
    )
    return _published_cached(key, scenario, rule)


def clear_cache() -> None:
    """Forget every memoised plan (tests; a changed default dataset)."""
    _plan_cached.cache_clear()
    _published_cached.cache_clear()
    caseload_counts.clear_cache()
