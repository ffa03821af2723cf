"""Upload checks: names, extensions, sizes, zip contents (traversal, nesting, bombs); then it
loads."""

from __future__ import annotations

import io
import zipfile

import pytest

from data_loaders.dataset import load_dataset
from services.uploads import UploadError, UploadLimits, save_upload_files
from tests.data_loaders.builders import write_boundaries, write_dataset


def dataset_files(tmp_path, boundaries_fmt="geojson"):
    folder = write_dataset(tmp_path / "src", boundaries_fmt=boundaries_fmt)
    return [(p.name, p.read_bytes()) for p in sorted(folder.iterdir())]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_separate_files_are_saved_and_load(tmp_path):
    folder = save_upload_files(dataset_files(tmp_path), tmp_path / "uploads")
    assert folder.parent == tmp_path / "uploads"
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
    assert not (tmp_path / "uploads").exists()  # nothing written


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
