"""Upload checks: names, extensions, sizes, zip contents (traversal, nesting, bombs); then the
upload is stored in a real server state (SQLite under a temporary folder), deduplicated and
named, and opens through services.datasets."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import pytest

from config import Settings
from data_loaders.dataset import load_dataset
from services import context
from services import datasets as store
from services.state import StateStore, dataset_content_id
from services.uploads import (
    LOCAL_USER,
    MAX_NAME_SUFFIX,
    UploadError,
    UploadLimits,
    check_upload_files,
    decode_data_urls,
    store_upload,
)
from tests.data_loaders.builders import write_boundaries, write_dataset

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
DEMO_FILES = ("boundaries.geojson", "dataset.toml", "enrolment.csv", "hotspots.csv", "sites.csv")


def save_upload_files(files, dest, *, limits=None) -> Path:
    """The checked files written to a new folder under ``dest`` (to load them)."""
    checked = check_upload_files(files, limits=limits or UploadLimits())
    folder = Path(dest) / "upload"
    folder.mkdir(parents=True)
    for name, data in checked.items():
        (folder / name).write_bytes(data)
    return folder


def dataset_files(tmp_path, boundaries_fmt="geojson"):
    folder = write_dataset(tmp_path / "src", boundaries_fmt=boundaries_fmt)
    return [(p.name, p.read_bytes()) for p in sorted(folder.iterdir())]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_separate_files_are_checked_and_load(tmp_path):
    folder = save_upload_files(dataset_files(tmp_path), tmp_path / "uploads")
    assert sorted(p.name for p in folder.iterdir()) == [
        "boundaries.geojson",
        "enrolment.csv",
        "hotspots.csv",
        "sites.csv",
    ]
    assert len(load_dataset(folder).hotspots) == 3


def test_one_zip_with_a_folder_and_a_zipped_shapefile(tmp_path):
    files = dict(dataset_files(tmp_path, boundaries_fmt="zip"))
    members = {f"mydata/{k}": v for k, v in files.items()}
    members["__MACOSX/._hotspots.csv"] = b"junk"
    folder = save_upload_files([("mydata.zip", zip_bytes(members))], tmp_path / "uploads")
    assert (folder / "boundaries.zip").exists()
    assert not load_dataset(folder).report.has_errors


@pytest.mark.parametrize(
    "name,pattern",
    [
        ("hotspots.exe", r'"hotspots.exe" has extension .exe, not one of .csv, .xlsx'),
        ("mapping.csv", r'"mapping.csv" is not part of a dataset: name the files hotspots'),
        ("hotspots", r'"hotspots" has no extension'),
        ("boundaries.csv", r"extension .csv, not one of .geojson"),
    ],
)
def test_names_and_extensions_are_checked(tmp_path, name, pattern):
    with pytest.raises(UploadError, match=pattern):
        save_upload_files([(name, b"a,b\n1,2\n")], tmp_path / "uploads")


def test_path_in_a_name_is_reduced_to_the_base_name(tmp_path):
    folder = save_upload_files([("../../etc/hotspots.csv", b"a\n1\n")], tmp_path / "uploads")
    assert [p.name for p in folder.iterdir()] == ["hotspots.csv"]


def test_size_limits(tmp_path):
    limits = UploadLimits(max_file_bytes=100, max_total_bytes=150, max_files=3)
    with pytest.raises(UploadError, match=r"hotspots.csv is 0.0 MB \(limit 0 MB\)"):
        save_upload_files([("hotspots.csv", b"x" * 101)], tmp_path, limits=limits)
    with pytest.raises(UploadError, match=r"over 0 MB in total"):
        save_upload_files(
            [("hotspots.csv", b"x" * 90), ("sites.csv", b"x" * 90)], tmp_path, limits=limits
        )
    with pytest.raises(UploadError, match=r"5 files uploaded \(limit 3\)"):
        save_upload_files([("hotspots.csv", b"")] * 5, tmp_path, limits=limits)


def test_zip_traversal_is_refused(tmp_path):
    data = zip_bytes({"../hotspots.csv": b"a\n"})
    with pytest.raises(UploadError, match=r'holds "../hotspots.csv", a path outside the archive'):
        save_upload_files([("data.zip", data)], tmp_path / "uploads")


def test_nested_archive_other_than_boundaries_is_refused(tmp_path):
    data = zip_bytes({"hotspots.zip": zip_bytes({"hotspots.csv": b"a\n"})})
    with pytest.raises(UploadError, match=r'holds another archive "hotspots.zip"'):
        save_upload_files([("data.zip", data)], tmp_path / "uploads")


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    data = zip_bytes({"hotspots.csv": b"0" * 5_000_000})
    assert len(data) < 50_000
    limits = UploadLimits(max_file_bytes=1_000_000, max_total_bytes=2_000_000)
    with pytest.raises(UploadError, match=r"expands to 5.0 MB \(limit 2 MB\)"):
        save_upload_files([("data.zip", data)], tmp_path / "uploads", limits=limits)


def test_zipped_shapefile_may_only_hold_shapefile_parts(tmp_path):
    write_boundaries(tmp_path, "zip")
    good = (tmp_path / "boundaries.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["run.sh"] = b"rm -rf /"
    with pytest.raises(UploadError, match=r'holds "run.sh": a zipped Shapefile may only hold'):
        save_upload_files([("boundaries.zip", zip_bytes(members))], tmp_path / "uploads")


def test_two_files_for_one_table_are_refused(tmp_path):
    with pytest.raises(UploadError, match=r"two hotspots files"):
        save_upload_files([("hotspots.csv", b"a\n"), ("Hotspots.xlsx", b"b")], tmp_path)


def test_xlsx_that_is_not_a_zip_is_refused(tmp_path):
    with pytest.raises(UploadError, match=r"hotspots.xlsx is not a readable zip/xlsx"):
        save_upload_files([("hotspots.xlsx", b"not a workbook")], tmp_path)


# --- data URLs (what dcc.Upload sends) --------------------------------------------------------


def data_url(data: bytes) -> str:
    return "data:text/csv;base64," + base64.b64encode(data).decode()


def test_data_urls_are_decoded_and_a_large_one_refused_before_decoding(monkeypatch):
    assert decode_data_urls(["hotspots.csv"], [data_url(b"a,b\n1,2\n")]) == [
        ("hotspots.csv", b"a,b\n1,2\n")
    ]
    limits = UploadLimits(max_file_bytes=1000)
    decoded = []
    monkeypatch.setattr(base64, "b64decode", lambda *a, **k: decoded.append(a) or b"")
    with pytest.raises(UploadError, match=r"hotspots.csv is 0.0 MB \(limit 0 MB\)"):
        decode_data_urls(["hotspots.csv"], [data_url(b"x" * 1003)], limits=limits)
    assert decoded == []  # refused from the encoded length


def test_damaged_data_urls_are_refused():
    with pytest.raises(UploadError, match=r"sites\.csv arrived damaged"):
        decode_data_urls(["sites.csv"], ["data:text/csv;base64,@@@"])
    with pytest.raises(UploadError, match=r"sites\.csv arrived damaged"):
        decode_data_urls(["sites.csv"], ["no comma"])


# --- stored in the server state ----------------------------------------------------------------


def demo_files(**changes: bytes) -> list[tuple[str, bytes]]:
    files = {name: (DEMO / name).read_bytes() for name in DEMO_FILES}
    files.update(changes)
    return sorted(files.items())


@pytest.fixture
def state(tmp_path) -> StateStore:
    """A real server state in a temporary folder, also the one services.datasets looks ids up in
    (context settings), closed afterwards."""
    settings = Settings(state_dir=tmp_path / "state")
    store.clear_cache()  # ids another test's state resolved (the same files, the same id)
    with context.using(settings):
        opened = StateStore.open(settings.state_dir)
        try:
            yield opened
        finally:
            opened.close()
            store.clear_cache()


def test_an_upload_is_stored_named_and_opens_by_its_id(state):
    stored = store_upload(demo_files(), "team demo", LOCAL_USER, state)
    record = stored.record
    assert stored.new and record.name == stored.asked_name == "team demo"
    assert record.created_by == "local user" and record.file_count == 5
    assert record.id == dataset_content_id(dict(demo_files()))
    assert [r.name for r in state.list_datasets()] == ["team demo"]
    folder = state.get_dataset_folder(record.id)
    assert sorted(p.name for p in folder.iterdir()) == list(DEMO_FILES)
    # the id is all a browser keeps: it resolves to the stored folder and loads
    assert store.resolve_id(record.id) == record.id
    dataset = store.get_dataset(record.id)
    assert len(dataset.hotspots) == 1500 and dataset.synthetic
    assert dataset.source_dir == str(folder.resolve())


def test_the_same_files_again_give_the_stored_dataset(state):
    first = store_upload(demo_files(), "team demo", LOCAL_USER, state)
    again = store_upload(demo_files(), "another name", "someone else", state)
    assert not again.new and again.record == first.record
    assert again.asked_name == "another name" and again.record.name == "team demo"
    assert len(state.list_datasets()) == 1


def test_a_taken_name_gets_a_number(state):
    store_upload(demo_files(), "team demo", LOCAL_USER, state)
    other = store_upload(demo_files(**{"sites.csv": b"site_id\n"}), "team demo", LOCAL_USER, state)
    assert other.new and other.record.name == "team demo (2)"
    assert sorted(r.name for r in state.list_datasets()) == ["team demo", "team demo (2)"]


def test_every_candidate_name_taken_is_refused(state):
    for n in range(1, MAX_NAME_SUFFIX + 1):
        files = demo_files(**{"sites.csv": f"site_id\nS-{n}\n".encode()})
        stored = store_upload(files, "x", LOCAL_USER, state)
        assert stored.record.name == ("x" if n == 1 else f"x ({n})")
    with pytest.raises(UploadError, match=r'"x" to "x \(20\)" are all taken'):
        store_upload(demo_files(**{"sites.csv": b"site_id\n"}), "x", LOCAL_USER, state)


def test_a_blank_name_takes_the_dataset_toml_name_or_the_time(state):
    toml = b'[dataset]\nname = "Mapping round 2"\n'
    named = store_upload(demo_files(**{"dataset.toml": toml}), "  ", LOCAL_USER, state)
    assert named.record.name == "Mapping round 2"
    files = [f for f in demo_files() if f[0] != "dataset.toml"]
    unnamed = store_upload(files, None, LOCAL_USER, state)
    assert unnamed.record.name.startswith("upload 20") and unnamed.record.name.endswith(" UTC")
    # with no dataset.toml name the loaded dataset shows the team's name, not its id
    assert store.get_dataset(unnamed.record.id).name == unnamed.record.name


def test_a_refused_upload_stores_nothing(state):
    with pytest.raises(UploadError, match=r"mapping\.csv"):
        store_upload([("mapping.csv", b"a\n")], "bad", LOCAL_USER, state)
    assert state.list_datasets() == []
    assert [p.name for p in state.datasets_dir.iterdir()] == [".lock"]


def test_a_dhis2_enrolment_and_its_org_units_are_accepted(tmp_path):
    files = [(n, d) for n, d in dataset_files(tmp_path) if n != "enrolment.csv"]
    values = {"dataValues": [{"dataElement": "EnrolKP0001", "period": "2024Q1",
                              "orgUnit": "HarareDist1", "value": "9"}]}  # fmt: skip
    units = {"organisationUnits": [{"id": "HarareDist1", "name": "Harare", "level": 2}]}
    toml = b'[dhis2.data_elements]\nenrolled = "EnrolKP0001"\n'
    files += [
        ("enrolment.json", json.dumps(values).encode()),
        ("org_units.json", json.dumps(units).encode()),
        ("dataset.toml", toml),
    ]
    folder = save_upload_files(files, tmp_path / "uploads")
    assert {"enrolment.json", "org_units.json"} <= {p.name for p in folder.iterdir()}
    dataset = load_dataset(folder)
    assert dataset.enrolment[["period", "district", "enrolled"]].values.tolist() == [
        ["2024-Q1", "Harare", 9]
    ]
