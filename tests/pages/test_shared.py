"""pages/_shared.py: the privacy switch follows the mode; plans are memoised per (dataset, scenario)."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_loaders import store
from pages import _shared

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def test_hotspot_detail_is_refused_in_aggregate_mode(monkeypatch):
    monkeypatch.setenv("KP_AGGREGATE", "1")
    assert _shared.aggregate_mode() and not _shared.hotspot_detail_allowed()
    with pytest.raises(_shared.HotspotDetailRefused, match="aggregate-only"):
        _shared.require_hotspot_detail()
    assert "district aggregates only" in _shared.level_note()
    monkeypatch.setenv("KP_AGGREGATE", "0")
    assert _shared.hotspot_detail_allowed()
    _shared.require_hotspot_detail()
    assert "hotspot locations included" in _shared.level_note()


def test_plan_is_memoised_per_dataset_and_scenario():
    from planning.scenario import Scenario

    store.set_default_folder(DEMO)
    first = _shared.get_plan(None, Scenario())
    assert _shared.get_plan(None) is first
    assert _shared.get_plan(store.DEFAULT_ID, Scenario()) is first
    other = _shared.get_plan(None, Scenario(people_per_pe=75))
    assert other is not first
    assert other.districts["peer_educators"].sum() < first.districts["peer_educators"].sum()


def test_dataset_or_none_for_unknown_ids():
    assert _shared.dataset_or_none("up-doesnotexist") is None


def test_dataset_toml_parameters_are_the_default_scenario(tmp_path):
    import shutil

    folder = tmp_path / "ds"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("sources", "*.py", "*.md"))
    toml = (folder / "dataset.toml").read_text(encoding="utf-8")
    (folder / "dataset.toml").write_text(toml + "\n[parameters]\npeople_per_pe = 75\n", encoding="utf-8")
    dataset_id = store.register_folder(folder)
    assert _shared.default_scenario(dataset_id).people_per_pe == 75
    assert _shared.get_plan(dataset_id).parameters["people_per_pe"] == 75


def test_concurrent_callers_build_one_plan_once() -> None:
    """Three callbacks asking at once for an uncached scenario get the same Plan object."""
    import threading

    from pages import _shared
    from planning.scenario import Scenario

    scenario = Scenario(people_per_pe=71)
    _shared._plan_cached.cache_clear()
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(_shared.get_plan(None, scenario))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and results[0] is results[1] is results[2]
    assert _shared._plan_cached.cache_info().misses == 1
