"""data_loaders/store.py: dataset ids by content, one load per id, errors kept for the page."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

import data_loaders.dataset
from config import Settings
from data_loaders.validation import DatasetLoadError
from services import context
from services import datasets as store

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
    assert store.register_folder(a).startswith("up-")


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


def test_an_upload_saved_by_another_process_is_found_by_its_id(tmp_path):
    uploads = tmp_path / "uploads"
    folder = copy_dataset(DEMO, uploads / "upload-abc")
    (folder / "dataset.toml").write_text('[dataset]\nname = "elsewhere"\n', encoding="utf-8")
    expected = "up-" + store.folder_content_hash(folder)
    with context.using(Settings(upload_dir=uploads)):
        assert expected not in store._folders  # never registered in this process
        assert store.resolve_id(expected) == expected
        assert store.folder_of(expected) == folder.resolve()
        with pytest.raises(store.UnknownDatasetError):
            store.resolve_id("up-" + "0" * 16)


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
