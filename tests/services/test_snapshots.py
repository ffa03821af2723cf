"""services/snapshots.py: a folder's validated load saved as Parquet under the server state, read
back identical, invalidated by any change of the folder's files, ignored and rebuilt when
damaged; the default dataset loaded at start-up (services.datasets.warm_default)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

from config import Settings
from data_loaders.dataset import load_dataset
from data_loaders.validation import DatasetLoadError
from planning.schema import Dataset
from services import context, snapshots
from services import datasets as store
from tests.services.test_datasets import copy_dataset

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
FAULTY = ROOT / "tests" / "fixtures" / "faulty"
FATAL = ROOT / "tests" / "fixtures" / "faulty_fatal"


class CountingLoader:
    """load_dataset, counting its calls (a snapshot hit makes none)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, folder: Path) -> Dataset:
        self.calls += 1
        return load_dataset(folder)


def assert_same_dataset(a: Dataset, b: Dataset) -> None:
    """Every frame equal (values, dtypes, index, CRS), the same report, metadata and settings."""
    for name in ("hotspots", "sites", "enrolment", "boundaries"):
        assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.hotspots.crs == b.hotspots.crs and a.boundaries.crs == b.boundaries.crs
    ra, rb = a.report, b.report
    assert ra.problems == rb.problems
    assert ra.files == rb.files and ra.source == rb.source
    assert ra.accepted_rows == rb.accepted_rows
    assert ra.rejected.keys() == rb.rejected.keys()
    for name in ra.rejected:
        assert_frame_equal(ra.rejected[name], rb.rejected[name], check_exact=True)
    assert (a.name, a.crs_projected, a.synthetic, a.settings, a.source_dir) == (
        b.name,
        b.crs_projected,
        b.synthetic,
        b.settings,
        b.source_dir,
    )


def snapshots_of(root: Path, folder: Path) -> list[Path]:
    group = root / snapshots.folder_group(folder)
    return sorted(p for p in group.iterdir() if p.is_dir()) if group.is_dir() else []


@pytest.mark.parametrize("source", [DEMO, FAULTY], ids=["demo", "faulty rows"])
def test_a_snapshot_hit_gives_the_same_dataset_without_validating(tmp_path, source):
    folder = copy_dataset(source, tmp_path / "data")
    root = tmp_path / "state" / "snapshots"
    loader = CountingLoader()
    fresh, how = snapshots.load_folder(folder, root, loader)
    assert how == "validated" and loader.calls == 1
    again, how = snapshots.load_folder(folder, root, loader)
    assert how == "snapshot" and loader.calls == 1
    assert_same_dataset(fresh, again)
    if source == FAULTY:  # rejected rows and their reasons come back too
        assert sum(c.rejected for c in again.report.files.values()) > 0


def test_snapshots_are_private_to_the_server(tmp_path):
    folder = copy_dataset(DEMO, tmp_path / "data")
    root = tmp_path / "state" / "snapshots"
    snapshots.load_folder(folder, root, load_dataset)
    (snap,) = snapshots_of(root, folder)
    assert {p.stat().st_mode & 0o777 for p in (root, snap.parent, snap)} == {0o700}
    assert {p.stat().st_mode & 0o777 for p in snap.iterdir()} == {0o600}


@pytest.mark.parametrize(
    "name", ["hotspots.csv", "sites.csv", "enrolment.csv", "boundaries.geojson", "dataset.toml"]
)
def test_changing_any_file_validates_again_and_drops_the_old_snapshot(tmp_path, name):
    folder = copy_dataset(DEMO, tmp_path / "data")
    root = tmp_path / "snapshots"
    loader = CountingLoader()
    snapshots.load_folder(folder, root, loader)
    (old,) = snapshots_of(root, folder)
    path = folder / name
    path.write_bytes(path.read_bytes() + b"\n")  # same meaning, other bytes
    changed, how = snapshots.load_folder(folder, root, loader)
    assert how == "validated" and loader.calls == 2
    (new,) = snapshots_of(root, folder)
    assert new != old
    assert_same_dataset(changed, load_dataset(folder))


def test_a_changed_row_is_seen_after_the_change(tmp_path):
    folder = copy_dataset(DEMO, tmp_path / "data")
    root = tmp_path / "snapshots"
    before, _ = snapshots.load_folder(folder, root, load_dataset)
    lines = (folder / "hotspots.csv").read_text(encoding="utf-8").splitlines()
    (folder / "hotspots.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    after, how = snapshots.load_folder(folder, root, load_dataset)
    assert how == "validated" and len(after.hotspots) == len(before.hotspots) - 1


def test_an_added_file_validates_again(tmp_path):
    folder = copy_dataset(DEMO, tmp_path / "data")
    key = snapshots.snapshot_key(folder)
    (folder / "notes.txt").write_text("a file the loader ignores", encoding="utf-8")
    assert snapshots.snapshot_key(folder) != key


@pytest.mark.parametrize(
    "damage",
    ["truncate hotspots", "garbage meta", "delete sites", "flip a byte", "empty folder"],
)
def test_a_damaged_snapshot_is_ignored_and_rebuilt(tmp_path, damage, caplog):
    folder = copy_dataset(DEMO, tmp_path / "data")
    root = tmp_path / "snapshots"
    loader = CountingLoader()
    fresh, _ = snapshots.load_folder(folder, root, loader)
    (snap,) = snapshots_of(root, folder)
    if damage == "truncate hotspots":
        data = (snap / "hotspots.parquet").read_bytes()
        (snap / "hotspots.parquet").write_bytes(data[: len(data) // 2])
    elif damage == "garbage meta":
        (snap / "meta.json").write_text("{not json", encoding="utf-8")
    elif damage == "delete sites":
        (snap / "sites.parquet").unlink()
    elif damage == "flip a byte":
        data = bytearray((snap / "enrolment.parquet").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (snap / "enrolment.parquet").write_bytes(bytes(data))
    else:
        for f in snap.iterdir():
            f.unlink()
    with caplog.at_level("WARNING", logger="services.snapshots"):
        rebuilt, how = snapshots.load_folder(folder, root, loader)
    assert how == "validated" and loader.calls == 2
    assert "ignored and rebuilt" in caplog.text
    assert_same_dataset(fresh, rebuilt)
    again, how = snapshots.load_folder(folder, root, loader)
    assert how == "snapshot" and loader.calls == 2  # the rebuilt snapshot is good
    assert_same_dataset(fresh, again)


def test_a_snapshot_from_other_loader_code_is_not_used(tmp_path, monkeypatch):
    folder = copy_dataset(DEMO, tmp_path / "data")
    root = tmp_path / "snapshots"
    loader = CountingLoader()
    snapshots.load_folder(folder, root, loader)
    monkeypatch.setattr(snapshots, "loader_digest", lambda: "another version of the loader")
    _, how = snapshots.load_folder(folder, root, loader)
    assert how == "validated" and loader.calls == 2


def test_a_refused_dataset_is_not_saved(tmp_path):
    folder = copy_dataset(FATAL, tmp_path / "data")
    root = tmp_path / "snapshots"
    with pytest.raises(DatasetLoadError):
        snapshots.load_folder(folder, root, load_dataset)
    assert snapshots_of(root, folder) == []


def test_prune_removes_the_snapshots_of_deleted_folders(tmp_path):
    kept = copy_dataset(DEMO, tmp_path / "kept")
    gone = copy_dataset(DEMO, tmp_path / "gone")
    root = tmp_path / "snapshots"
    snapshots.load_folder(kept, root, load_dataset)
    snapshots.load_folder(gone, root, load_dataset)
    shutil.rmtree(gone)
    removed = snapshots.prune(root)
    assert len(removed) == 1
    assert len(snapshots_of(root, kept)) == 1
    assert not (root / snapshots.folder_group(gone)).exists()


def test_no_hotspot_text_in_the_logs(tmp_path, caplog):
    folder = copy_dataset(DEMO, tmp_path / "data")
    root = tmp_path / "snapshots"
    with caplog.at_level("DEBUG"):
        first, _ = snapshots.load_folder(folder, root, load_dataset)
        snapshots.load_folder(folder, root, load_dataset)
    text = caplog.text
    assert "snapshot" in text
    for value in first.hotspots["hotspot_id"].tolist() + first.hotspots["name"].tolist():
        assert value not in text
    assert f"{first.hotspots['latitude'].iat[0]}" not in text


@pytest.fixture
def settings(tmp_path):
    data = copy_dataset(DEMO, tmp_path / "data")
    settings = Settings(data_dir=data, state_dir=tmp_path / "state")
    with context.using(settings):
        store.set_default_folder(data)
        store.clear_cache()
        yield settings
    store.set_default_folder(DEMO)
    store.clear_cache()


def test_a_second_process_reads_the_snapshot_of_the_first(settings, monkeypatch):
    first = store.get_dataset(None)
    assert len(snapshots_of(snapshots.snapshot_root(settings.state_dir), settings.data_dir)) == 1
    store.set_default_folder(settings.data_dir)  # a cold cache, as in a restarted worker

    def refuse(path, **kwargs):
        raise AssertionError("validated again although its snapshot matches")

    monkeypatch.setattr(store, "load_dataset", refuse)
    assert_same_dataset(first, store.get_dataset(None))


def test_warm_default_loads_the_default_dataset_before_any_request(settings):
    assert store.cached_result(None) is None
    store.warm_default()
    assert isinstance(store.cached_result(None), Dataset)
    assert store.cache_status()["loaded"]["default"] != "refused"


def test_warm_default_keeps_a_refusal_for_the_pages(tmp_path):
    data = copy_dataset(FATAL, tmp_path / "data")
    with context.using(Settings(data_dir=data, state_dir=tmp_path / "state")):
        store.set_default_folder(data)
        try:
            store.warm_default()
            assert isinstance(store.cached_result(None), DatasetLoadError)
        finally:
            store.set_default_folder(DEMO)
            store.clear_cache()


def test_the_background_check_of_an_upload_leaves_a_snapshot_for_the_server(settings, tmp_path):
    upload = copy_dataset(DEMO, tmp_path / "upload")
    (upload / "sites.csv").write_bytes((upload / "sites.csv").read_bytes() + b"\n")
    dataset_id = store.register_folder(upload)
    checked = store.load_uncached(dataset_id)  # what the upload's background job runs
    assert isinstance(checked, Dataset)
    root = snapshots.snapshot_root(settings.state_dir)
    (snap,) = snapshots_of(root, upload)
    meta = json.loads((snap / "meta.json").read_text(encoding="utf-8"))
    assert meta["folder"] == str(upload.resolve())
    served, how = snapshots.load_folder(upload, root, CountingLoader())
    assert how == "snapshot"
    assert_same_dataset(checked, dataclasses.replace(served, name=checked.name))
