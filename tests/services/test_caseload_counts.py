"""services/caseload_counts.py and services/plans.py with PEs counted from caseloads: counts
computed once per (dataset, people per PE, basis, level, duplication), shared by plans, never
asked for by the published (aggregate-only) plan."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from config import Settings
from planning.disclosure import DisclosureRule
from planning.plan import scenario_caseload_counts
from planning.scenario import Scenario
from services import caseload_counts, context, plans
from services import datasets as store
from services.access import HotspotDetailRefused

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
CASELOADS = Scenario(pe_count_from="caseloads")


@pytest.fixture(autouse=True)
def fresh_caches():
    store.set_default_folder(DEMO)
    plans.clear_cache()
    yield
    plans.clear_cache()


def test_counts_are_computed_once_per_what_they_depend_on():
    first = caseload_counts.get_counts(None, CASELOADS)
    # target, costs, caps, distance and the rule itself do not change the caseloads
    for other in (
        CASELOADS.replace(target=0.6),
        CASELOADS.replace(pe_stipend_usd_month=15, max_pe=100),
        CASELOADS.replace(distance_km=2),
        Scenario(),
    ):
        assert caseload_counts.get_counts(store.DEFAULT_ID, other) is first
    assert caseload_counts._counts_cached.cache_info().misses == 1
    for changed in (
        CASELOADS.replace(people_per_pe=75),
        CASELOADS.replace(basis="typical"),
        CASELOADS.replace(level="high"),
        CASELOADS.replace(duplication=0.2),
    ):
        assert caseload_counts.get_counts(None, changed) is not first
    assert caseload_counts._counts_cached.cache_info().misses == 5
    # the cached counts are the planning function's
    dataset = store.get_dataset(None)
    assert first.equals(scenario_caseload_counts(dataset, CASELOADS))


def test_plans_take_their_pes_from_the_cached_counts():
    counts = caseload_counts.get_counts(None, CASELOADS)
    full = plans.get_plan(None, CASELOADS)
    assert full.totals["peer_educators"] == int(counts.sum())
    per_district = full.districts.set_index("district")["peer_educators"]
    assert (per_district[counts.index] == counts).all()
    part = plans.get_plan(None, CASELOADS.replace(target=0.5))
    assert part.totals["peer_educators"] == sum((n + 1) // 2 for n in counts)
    assert caseload_counts._counts_cached.cache_info().misses == 1
    ratio = plans.get_plan(None, Scenario())
    assert ratio.totals["peer_educators"] != full.totals["peer_educators"] or (
        counts.sum() == ratio.totals["peer_educators"]
    )


def test_concurrent_callers_count_once():
    scenario = CASELOADS.replace(people_per_pe=68)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(caseload_counts.get_counts(None, scenario)))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and results[0] is results[1] is results[2]
    assert caseload_counts._counts_cached.cache_info().misses == 1


def test_the_published_plan_never_counts_caseloads():
    rule = DisclosureRule()
    with context.using(Settings(aggregate_only=True)):
        with pytest.raises(HotspotDetailRefused, match="caseload counts"):
            caseload_counts.get_counts(None, CASELOADS)
        asked = plans.get_published_plan(None, CASELOADS, rule)
        plain = plans.get_published_plan(None, Scenario(), rule)
    assert asked is plain  # the same cached publication: nothing in it depends on the request
    assert asked.scenario.pe_count_from == "ratio"
    assert caseload_counts._counts_cached.cache_info().misses == 0


def test_a_dataset_toml_asking_for_caseloads_is_not_published_with_them(tmp_path):
    import shutil

    folder = tmp_path / "ds"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("sources", "*.py", "*.md"))
    toml = (folder / "dataset.toml").read_text(encoding="utf-8")
    (folder / "dataset.toml").write_text(
        toml + '\n[parameters]\npe_count_from = "caseloads"\n', encoding="utf-8"
    )
    dataset_id = store.register_folder(folder)
    assert plans.default_scenario(dataset_id).pe_from_caseloads
    with context.using(Settings(aggregate_only=True)):
        published = plans.get_published_plan(dataset_id, None, DisclosureRule())
    assert published.scenario.pe_count_from == "ratio"
    assert caseload_counts._counts_cached.cache_info().misses == 0
    # a planner on the same dataset gets the caseload plan by default
    assert plans.get_plan(dataset_id).scenario.pe_from_caseloads
    assert caseload_counts._counts_cached.cache_info().misses == 1
