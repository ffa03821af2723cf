"""services/caseload_plans.py: district caseload plans memoised per (dataset, district,
parameters), computed once when asked for at the same time, planned ahead at start in a
low-priority thread (largest district first, nothing identifying logged), refused in the
aggregate-only view."""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path

import flask
import pytest

from config import Settings
from planning.caseloads import CaseloadError, CaseloadParams, district_caseloads
from services import caseload_plans, context
from services import datasets as store
from services.access import VIEWER_KEY, HotspotDetailRefused
from services.accounts import Viewer

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(autouse=True)
def fresh_plans(tmp_path, monkeypatch):
    """A fresh memo and a private shared result cache: plans made by earlier tests or by apps
    the browser tests ran (same code version) must not count as planned here."""
    import diskcache

    from services import background

    private = diskcache.Cache(str(tmp_path / "shared-results"))
    monkeypatch.setattr(background, "_results", [private])
    store.set_default_folder(DEMO)
    caseload_plans.clear_cache()
    yield
    caseload_plans.clear_cache()
    private.close()


def test_a_plan_is_the_planning_function_s_and_memoised_per_parameters():
    dataset = store.get_dataset(None)
    plan = caseload_plans.district_plan(None, "Blantyre")
    expected = district_caseloads(
        dataset.hotspots, dataset.crs_projected, CaseloadParams(), district="Blantyre"
    )
    assert plan.pe_count == expected.pe_count
    assert plan.assignments.equals(expected.assignments)
    assert caseload_plans.is_planned(store.DEFAULT_ID, "Blantyre")
    assert caseload_plans.district_plan(store.DEFAULT_ID, "Blantyre") is plan
    tighter = CaseloadParams(walking_limit_km=0.5)
    assert not caseload_plans.is_planned(None, "Blantyre", tighter)
    assert caseload_plans.district_plan(None, "Blantyre", tighter).pe_count > plan.pe_count


def test_callers_asking_at_once_compute_once(monkeypatch):
    calls = []
    inner = caseload_plans._memo._fn

    def counted(*args):
        calls.append(args[1])
        return inner(*args)

    monkeypatch.setattr(caseload_plans._memo, "_fn", counted)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(caseload_plans.district_plan(None, "Zomba")))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["Zomba"]
    assert all(r is results[0] for r in results)


def test_underway_while_another_caller_computes(monkeypatch):
    started, release = threading.Event(), threading.Event()
    inner = caseload_plans._memo._fn

    def slow(*args):
        started.set()
        release.wait(30)
        return inner(*args)

    monkeypatch.setattr(caseload_plans._memo, "_fn", slow)
    worker = threading.Thread(target=caseload_plans.district_plan, args=(None, "Mzimba"))
    worker.start()
    assert started.wait(30)
    assert caseload_plans.is_underway(None, "Mzimba")
    assert not caseload_plans.is_planned(None, "Mzimba")
    release.set()
    worker.join()
    assert not caseload_plans.is_underway(None, "Mzimba")
    assert caseload_plans.is_planned(None, "Mzimba")


def test_warm_up_plans_the_large_districts_largest_first_and_logs_no_names(caplog):
    counts = store.get_dataset(None).hotspots["district"].value_counts()
    min_spots = int(counts.iloc[3])  # the three largest districts are "large" here
    names = caseload_plans.districts_to_warm_up(None, min_spots)
    assert names == [str(d) for d in counts.index[:3]]
    with caplog.at_level(logging.INFO, logger="services.caseload_plans"):
        assert caseload_plans.warm_up(None, min_spots=min_spots) == 3
        assert caseload_plans.warm_up(None, min_spots=min_spots) == 0  # memoised
    assert all(caseload_plans.is_planned(None, n) for n in names)
    assert not caseload_plans.is_planned(None, str(counts.index[3]))
    text = caplog.text
    assert "3 of 3 large districts planned" in text
    assert not any(str(d) in text for d in counts.index)


def test_workers_sharing_a_result_cache_split_the_warm_up(tmp_path, monkeypatch):
    """A district claimed by another worker process is left to it; one claimed by none is
    planned here and then found by the others in the shared cache."""
    import diskcache

    from services import background

    shared = diskcache.Cache(str(tmp_path / "results"))
    monkeypatch.setattr(background, "_results", [shared])
    counts = store.get_dataset(None).hotspots["district"].value_counts()
    min_spots = int(counts.iloc[2])  # the two largest
    first, second = (str(d) for d in counts.index[:2])
    other_worker = caseload_plans._key(None, first, caseload_plans.DEFAULT_PARAMS)
    assert not caseload_plans._claimed_elsewhere(other_worker)  # "another worker" claims it
    assert caseload_plans.warm_up(None, min_spots=min_spots) == 1
    assert not caseload_plans.is_planned(None, first)
    assert caseload_plans.is_planned(None, second)
    caseload_plans.clear_cache()  # another process: finds the second in the shared cache
    assert caseload_plans.is_planned(None, second)
    shared.close()


def test_warm_up_in_background_runs_in_a_low_priority_thread(monkeypatch):
    seen = {}

    def fake_warm_up(dataset_id, params):
        import os

        seen["thread"] = threading.current_thread().name
        seen["niceness"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen["params"] = params

    monkeypatch.setattr(caseload_plans, "warm_up", fake_warm_up)
    thread = caseload_plans.warm_up_in_background()
    thread.join(30)
    assert seen["thread"] == "caseload-warm-up" and thread.daemon
    assert seen["niceness"] >= caseload_plans.WARM_UP_NICENESS
    assert seen["params"] == caseload_plans.DEFAULT_PARAMS


def test_refused_in_the_aggregate_only_view():
    with (
        context.using(Settings(aggregate_only=True)),
        pytest.raises(HotspotDetailRefused),
    ):
        caseload_plans.district_plan(None, "Blantyre")


@contextlib.contextmanager
def viewing_as(viewer: Viewer):
    """The body runs as a request of ``viewer`` (services.access reads it from flask.g)."""
    with flask.Flask("viewer").test_request_context():
        setattr(flask.g, VIEWER_KEY, viewer)
        yield


SAM = Viewer(name="sam", role="site_manager", districts=("Lilongwe",), authenticated=True)


def test_a_site_manager_s_own_district_plan_is_the_one_made_for_everyone():
    """Her district's rows are the same in her cut as in the whole dataset: the plan the warm-up
    (or a planner) made is hers, and one she makes is found by them."""
    everyone = caseload_plans._key(None, "Lilongwe", caseload_plans.DEFAULT_PARAMS)
    with viewing_as(SAM):
        mine = caseload_plans._key(None, "Lilongwe", caseload_plans.DEFAULT_PARAMS)
        other = caseload_plans._key(None, "Blantyre", caseload_plans.DEFAULT_PARAMS)
        assert store.resolve_id(None) != everyone[0]  # her dataset key names her scope
        plan = caseload_plans.district_plan(None, "Lilongwe")
    assert mine == everyone
    # another district keeps her scope in the key: nothing of it is shared with her
    assert other[0] != everyone[0] and store.SCOPE_SEP in other[0]
    assert caseload_plans.is_planned(None, "Lilongwe")
    assert caseload_plans.district_plan(None, "Lilongwe") is plan
    assert set(plan.spots["district"].astype(str)) == {"Lilongwe"}


def test_a_site_manager_gets_no_plan_of_a_district_outside_her_scope():
    caseload_plans.district_plan(None, "Blantyre")  # made for everyone
    with viewing_as(SAM):
        assert not caseload_plans.is_planned(None, "Blantyre")
        # planned on her cut, which has no row of it (and names only her districts)
        with pytest.raises(
            CaseloadError, match=r"'Blantyre' has no hotspots; choose one of \['Lilongwe'\]"
        ):
            caseload_plans.district_plan(None, "Blantyre")


def test_warm_up_runs_the_page_hooks_for_each_planned_district_largest_first(monkeypatch):
    counts = store.get_dataset(None).hotspots["district"].value_counts()
    min_spots = int(counts.iloc[3])
    seen: list[tuple[str, int, bool]] = []

    def hook(dataset_id, district, params, rank):
        seen.append((district, rank, caseload_plans.is_planned(dataset_id, district, params)))
        if rank == 0:
            raise RuntimeError("one district's page fails")

    monkeypatch.setattr(caseload_plans, "_hooks", [])
    assert caseload_plans.on_warm_up(hook) is hook
    caseload_plans.on_warm_up(hook)  # registered once
    assert caseload_plans.warm_up(None, min_spots=min_spots) == 3
    # every district, in order, each already planned; a failing one does not stop the others
    assert seen == [(str(d), i, True) for i, d in enumerate(counts.index[:3])]
