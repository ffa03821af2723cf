"""services/datasets.py: dataset ids by content, one load per id, errors kept for the page;
ids of the server state resolved in any process, deletes dropped from the cache."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import data_loaders.dataset
from config import Settings
from data_loaders.validation import DatasetLoadError
from services import context
from services import datasets as store
from services.state import StateStore

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
FATAL = ROOT / "tests" / "fixtures" / "faulty_fatal"


def copy_dataset(src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for f in src.iterdir():
        if f.is_file():
            shutil.copy(f, dest / f.name)
    return dest


def test_same_content_same_id_changed_content_new_id(tmp_path):
    a = copy_dataset(DEMO, tmp_path / "a")
    b = copy_dataset(DEMO, tmp_path / "b")
    assert store.register_folder(a) == store.register_folder(b)
    (b / "sites.csv").write_text(
        (b / "sites.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    assert store.register_folder(a) != store.register_folder(b)
    assert store.register_folder(a).startswith("dir-")


def test_registered_folder_loads_once_even_from_several_threads(tmp_path, monkeypatch):
    folder = copy_dataset(DEMO, tmp_path / "demo")
    dataset_id = store.register_folder(folder)
    calls = []
    real = data_loaders.dataset.load_dataset

    def counting(path, **kwargs):
        calls.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(store, "load_dataset", counting)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(store.get_dataset(dataset_id)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 4 and all(r is results[0] for r in results)
    assert len(results[0].boundaries) == 28


def test_a_fatal_dataset_is_kept_as_its_error(tmp_path):
    dataset_id = store.register_folder(copy_dataset(FATAL, tmp_path / "fatal"))
    result = store.load_result(dataset_id)
    assert isinstance(result, DatasetLoadError)
    assert result.report.has_errors
    with pytest.raises(DatasetLoadError):
        store.get_dataset(dataset_id)


def test_unknown_id_says_what_to_do():
    with pytest.raises(store.UnknownDatasetError, match=r"up-0000.*Data page"):
        store.get_dataset("up-0000")
    assert str(store.UnknownDatasetError("plain")) == "plain"  # not quoted as a KeyError's


def test_none_is_the_default_folder(tmp_path):
    folder = copy_dataset(DEMO, tmp_path / "default")
    store.set_default_folder(folder)
    try:
        assert store.resolve_id(None) == store.DEFAULT_ID == store.resolve_id("")
        assert store.folder_of(None) == folder
        assert store.get_dataset(None).synthetic
    finally:
        store.set_default_folder(DEMO)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        store.register_folder(tmp_path / "nowhere")


def test_loading_one_dataset_does_not_block_users_of_another(tmp_path, monkeypatch):
    """A slow load (a big upload) holds its own dataset's lock only: another dataset, already
    cached or not, is served meanwhile (issue 12: one upload froze every user for 15 s)."""
    slow = store.register_folder(copy_dataset(DEMO, tmp_path / "slow"))
    (tmp_path / "other").mkdir()
    other_folder = copy_dataset(DEMO, tmp_path / "other" / "d")
    (other_folder / "sites.csv").write_text(
        (other_folder / "sites.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    other = store.register_folder(other_folder)
    started, release = threading.Event(), threading.Event()
    real = data_loaders.dataset.load_dataset

    def held(path, **kwargs):
        if Path(path) == (tmp_path / "slow").resolve():
            started.set()
            assert release.wait(60)
        return real(path, **kwargs)

    monkeypatch.setattr(store, "load_dataset", held)
    loader = threading.Thread(target=lambda: store.get_dataset(slow))
    loader.start()
    try:
        assert started.wait(30)
        # the slow load is in progress: another dataset loads and the default is served
        assert len(store.get_dataset(other).boundaries) == 28
        assert store.get_dataset(None).synthetic
        assert loader.is_alive()
    finally:
        release.set()
        loader.join(60)
    assert len(store.get_dataset(slow).hotspots) == 1500


def test_the_cache_keeps_within_its_byte_bound_and_always_keeps_the_default(tmp_path):
    store.clear_cache()
    ids = []
    for i in range(3):
        folder = copy_dataset(DEMO, tmp_path / f"d{i}")
        (folder / "sites.csv").write_text(
            (folder / "sites.csv").read_text(encoding="utf-8") + "\n" * (i + 1), encoding="utf-8"
        )
        ids.append(store.register_folder(folder))
    one_mb = store.dataset_bytes(store.get_dataset(None)) / 2**20
    bound = int(one_mb * 2.5) + 1  # room for the default and one more dataset
    with context.using(Settings(dataset_cache_mb=bound)):
        for dataset_id in ids:
            store.get_dataset(dataset_id)
        loaded = store.cache_status()["loaded"]
        assert store.DEFAULT_ID in loaded and ids[-1] in loaded
        assert ids[0] not in loaded
        assert sum(v for v in loaded.values() if isinstance(v, float)) <= bound
        # a dropped dataset loads again on demand
        assert len(store.get_dataset(ids[0]).hotspots) == 1500


# --- datasets of the server state ---------------------------------------------------------------


@pytest.fixture
def state(tmp_path):
    """A real server state (SQLite) in a temporary folder, the one services.datasets uses."""
    settings = Settings(state_dir=tmp_path / "state")
    store.clear_cache()  # ids another test's state resolved (the same files, the same id)
    with context.using(settings):
        opened = StateStore.open(settings.state_dir)
        try:
            yield opened
        finally:
            opened.close()
            store.clear_cache()


def stored_demo(state: StateStore, tmp_path: Path, name: str = "team demo", toml: bool = True):
    folder = copy_dataset(DEMO, tmp_path / name)
    for extra in ("README.md", "build_demo.py"):
        (folder / extra).unlink()
    if not toml:
        (folder / "dataset.toml").unlink()
    return state.store_dataset(folder, name, "local user")


def test_a_stored_id_opens_in_another_process(state, tmp_path):
    record = stored_demo(state, tmp_path)
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from config import Settings
        from services import context, datasets
        context.configure(Settings(state_dir=Path({str(state.state_dir)!r})))
        dataset = datasets.get_dataset({record.id!r})
        print(len(dataset.hotspots), dataset.name)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == "1500 Malawi (synthetic demo)"


def test_delete_removes_it_from_the_list_and_the_cache(state, tmp_path):
    record = stored_demo(state, tmp_path)
    assert len(store.get_dataset(record.id).hotspots) == 1500
    assert record.id in store.cache_status()["loaded"]
    store.delete_stored(record.id)
    assert state.list_datasets() == []
    assert record.id not in store.cache_status()["loaded"]
    assert store.cached_result(record.id) is None
    with pytest.raises(store.UnknownDatasetError, match="was deleted"):
        store.get_dataset(record.id)
    with pytest.raises(store.UnknownDatasetError, match="not stored"):
        store.delete_stored(record.id)
    with pytest.raises(store.UnknownDatasetError, match="default cannot be deleted"):
        store.delete_stored(store.DEFAULT_ID)


def test_a_delete_by_another_process_is_noticed_after_the_check_interval(
    state, tmp_path, monkeypatch
):
    record = stored_demo(state, tmp_path)
    store.get_dataset(record.id)
    other = StateStore.open(state.state_dir)  # another worker's connection to the same state
    try:
        other.delete_dataset(record.id)
    finally:
        other.close()
    assert store.resolve_id(record.id) == record.id  # looked up less than STORE_CHECK_S ago
    monkeypatch.setattr(store, "STORE_CHECK_S", 0.0)
    with pytest.raises(store.UnknownDatasetError, match="was deleted"):
        store.get_dataset(record.id)
    assert record.id not in store.cache_status()["loaded"]


def test_forged_or_unknown_store_ids_are_refused(state):
    with pytest.raises(store.UnknownDatasetError, match="is not stored"):
        store.resolve_id("0" * 64)
    with pytest.raises(store.UnknownDatasetError, match="not known"):
        store.resolve_id("../../etc")


def test_a_dataset_without_a_toml_name_shows_and_follows_the_team_name(state, tmp_path):
    record = stored_demo(state, tmp_path, name="round one", toml=False)
    assert store.get_dataset(record.id).name == "round one"
    store.rename_stored(record.id, "round one (checked)")
    assert store.get_dataset(record.id).name == "round one (checked)"
    assert state.get_dataset(record.id).name == "round one (checked)"


def test_a_check_reports_progress_and_caches_nothing(state, tmp_path, monkeypatch):
    record = stored_demo(state, tmp_path)
    monkeypatch.setattr(store, "PROGRESS_EVERY_S", 0.01)
    seen: list[tuple[int, str]] = []
    result = store.load_uncached(record.id, lambda pct, label: seen.append((pct, label)))
    assert len(result.hotspots) == 1500
    assert seen and all(5 <= pct <= 95 for pct, _ in seen)
    assert "MB of files" in seen[0][1]
    assert store.cached_result(record.id) is None
    fatal = state.store_dataset(FATAL, "fatal", "local user")
    assert isinstance(store.load_uncached(fatal.id), DatasetLoadError)


def test_a_cached_dataset_deleted_elsewhere_is_dropped_when_any_dataset_is_asked_for(
    state, tmp_path, monkeypatch
):
    record = stored_demo(state, tmp_path)
    store.get_dataset(record.id)
    other = StateStore.open(state.state_dir)
    try:
        other.delete_dataset(record.id)
    finally:
        other.close()
    monkeypatch.setattr(store, "STORE_CHECK_S", 0.0)
    store.get_dataset(None)  # another session's request, on the default dataset
    assert record.id not in store.cache_status()["loaded"]
