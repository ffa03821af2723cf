"""services/plans.py: plans are memoised per (dataset, scenario), built once under concurrency."""

from __future__ import annotations

from pathlib import Path

from services import datasets as store
from services import plans

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def test_plan_is_memoised_per_dataset_and_scenario():
    from planning.scenario import Scenario

    store.set_default_folder(DEMO)
    first = plans.get_plan(None, Scenario())
    assert plans.get_plan(None) is first
    assert plans.get_plan(store.DEFAULT_ID, Scenario()) is first
    other = plans.get_plan(None, Scenario(people_per_pe=75))
    assert other is not first
    assert other.districts["peer_educators"].sum() < first.districts["peer_educators"].sum()


def test_dataset_toml_parameters_are_the_default_scenario(tmp_path):
    import shutil

    folder = tmp_path / "ds"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("sources", "*.py", "*.md"))
    toml = (folder / "dataset.toml").read_text(encoding="utf-8")
    (folder / "dataset.toml").write_text(
        toml + "\n[parameters]\npeople_per_pe = 75\n", encoding="utf-8"
    )
    dataset_id = store.register_folder(folder)
    assert plans.default_scenario(dataset_id).people_per_pe == 75
    assert plans.get_plan(dataset_id).parameters["people_per_pe"] == 75


def test_concurrent_callers_build_one_plan_once() -> None:
    """Three callbacks asking at once for an uncached scenario get the same Plan object."""
    import threading

    from planning.scenario import Scenario

    scenario = Scenario(people_per_pe=71)
    plans._plan_cached.cache_clear()
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(plans.get_plan(None, scenario)))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and results[0] is results[1] is results[2]
    assert plans._plan_cached.cache_info()["entries"] == 1
