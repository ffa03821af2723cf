"""Validated dataset snapshots: a folder's load (frames and validation report) saved as Parquet
under the server state (settings.state_dir/snapshots), keyed by the content of its files.

Validating 100,000 hotspots takes about a second; reading the snapshot back takes a fraction of
that. So a dataset is validated once: the default dataset at start-up (app.create_app), an
upload in its background check (services.datasets.load_uncached), and every later load (another
worker, a restart) reads the snapshot. The key is a sha256 over the folder's path, the names and
bytes of its files, and the source of the loader (data_loaders/, planning/schema.py), so changing
any file of the dataset, or upgrading the validation, validates again. Each file of a snapshot
carries its sha256 in meta.json: a snapshot that is incomplete, altered or unreadable is ignored,
removed and rebuilt. A folder keeps only its newest snapshot, and snapshots of folders that no
longer exist (a deleted upload) are removed by ``prune``: the hotspots they hold go with the
dataset. Only folders are snapshotted (not PostGIS sources), and only non-strict loads.

Logs name a snapshot by the first 12 hex digits of its key and never a hotspot id, name or
coordinate.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import pickle
import shutil
import time
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa

from data_loaders.dataset import settings_text
from data_loaders.validation import FileCounts, Problem, ValidationReport
from planning.schema import WGS84, Dataset

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: Problem.fatal, rejected_original and provenance (issue 15)
SNAPSHOT_FOLDER = "snapshots"
META = "meta.json"
EXTRA = "report-extra.pickle"
FRAMES = ("hotspots", "sites", "enrolment")
# The code whose behaviour a snapshot records: a change to any of it validates again.
ROOT_DIR = Path(__file__).resolve().parents[1]
LOADER_SOURCES = ("data_loaders", "planning/schema.py")
_READ_ERRORS = (OSError, ValueError, KeyError, TypeError, pa.ArrowException)


class SnapshotError(ValueError):
    """A snapshot is incomplete, altered or unreadable (it is then removed and rebuilt)."""


def snapshot_root(state_dir: str | Path) -> Path:
    """The folder holding the snapshots of a server state."""
    return Path(state_dir) / SNAPSHOT_FOLDER


@functools.cache
def loader_digest() -> str:
    """sha256 of the loader's source files (data_loaders/*.py, planning/schema.py)."""
    digest = hashlib.sha256(f"snapshot format {FORMAT_VERSION}".encode())
    for name in LOADER_SOURCES:
        path = ROOT_DIR / name
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(ROOT_DIR).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def folder_group(folder: Path) -> str:
    """The name of a folder's snapshot group: a hash of its resolved path (no path in clear)."""
    return hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:24]


def snapshot_key(folder: str | Path) -> str:
    """The key of a folder's load: sha256 over its resolved path, the names and bytes of the
    files directly inside it, and ``loader_digest()``."""
    folder = Path(folder).resolve()
    digest = hashlib.sha256(loader_digest().encode() + b"\0")
    digest.update(str(folder).encode("utf-8") + b"\0")
    for file in sorted(p for p in folder.iterdir() if p.is_file()):
        digest.update(file.name.encode("utf-8") + b"\0")
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {str(c): str(t) for c, t in frame.dtypes.items()}


def _restore_dtypes(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """Give the columns read back the dtypes they were saved with (object text comes back as
    str from Parquet)."""
    if list(frame.columns) != list(dtypes):
        raise SnapshotError(f"columns {list(frame.columns)} are not those saved {list(dtypes)}")
    for column, dtype in dtypes.items():
        if str(frame[column].dtype) != dtype:
            frame[column] = frame[column].astype(dtype)
    return frame


def _report_meta(report: ValidationReport) -> dict[str, Any]:
    return {
        "files": {name: dataclasses.astuple(c) for name, c in report.files.items()},
        "source": report.source,
        "accepted_rows": report.accepted_rows,
    }


def save_snapshot(dataset: Dataset, folder: str | Path, root: str | Path, key: str) -> Path:
    """Write ``dataset`` (loaded from ``folder``) as snapshot ``key`` under ``root``; the
    snapshot appears whole or not at all (written aside, then renamed). Returns its folder."""
    root = Path(root)
    group = root / folder_group(Path(folder))
    target = group / key
    if target.is_dir():
        return target
    # private to the server, as the dataset files in the state are (services.state)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    group.mkdir(mode=0o700, exist_ok=True)
    work = root / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    work.mkdir(mode=0o700)
    try:
        frames: dict[str, dict[str, Any]] = {}
        for name in FRAMES:
            frame = getattr(dataset, name)
            plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
            plain.to_parquet(work / f"{name}.parquet", index=False)
            frames[name] = {"dtypes": _dtypes(plain), "points": "geometry" in frame.columns}
        dataset.boundaries.to_parquet(work / "boundaries.parquet", index=False)
        frames["boundaries"] = {"dtypes": _dtypes(dataset.boundaries.drop(columns="geometry"))}
        report: ValidationReport = dataset.report
        problems = pd.DataFrame(
            [dataclasses.astuple(p) for p in report.problems],
            columns=[f.name for f in dataclasses.fields(Problem)],
        ).astype({"row": "Int64"})
        problems.to_parquet(work / "problems.parquet", index=False)
        # the original rows of rejected lines and Kobo provenance (issue 15): frames with the
        # file's own headers (repeats allowed), so pickled, inside the checksummed snapshot
        with open(work / EXTRA, "wb") as fh:
            pickle.dump(
                {"rejected_original": report.rejected_original, "provenance": report.provenance},
                fh,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        rejected = {}
        for i, (name, frame) in enumerate(report.rejected.items()):
            frame.to_parquet(work / f"rejected-{i}.parquet", index=False)
            rejected[name] = {"file": f"rejected-{i}.parquet", "dtypes": _dtypes(frame)}
        meta = {
            "format": FORMAT_VERSION,
            "key": key,
            "folder": str(Path(folder).resolve()),
            "saved_at": time.time(),
            "name": dataset.name,
            "crs_projected": dataset.crs_projected,
            "synthetic": dataset.synthetic,
            "source_dir": dataset.source_dir,
            "settings_toml": settings_text(folder),
            "frames": frames,
            "report": _report_meta(report),
            "rejected": rejected,
            "sha256": {p.name: _sha256(p) for p in sorted(work.iterdir())},
        }
        (work / META).write_text(json.dumps(meta), encoding="utf-8")
        for file in work.iterdir():
            file.chmod(0o600)
        try:
            work.rename(target)
        except OSError:  # another worker saved the same snapshot first: keep theirs
            if not target.is_dir():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    _drop_older(group, keep=key)
    return target


def _drop_older(group: Path, keep: str) -> None:
    """Remove a folder's other snapshots (its files changed since)."""
    for other in group.iterdir():
        if other.name != keep and other.is_dir():
            _remove(other)


def _remove(path: Path) -> None:
    """Remove a snapshot folder: renamed aside first, so no reader sees it half removed."""
    aside = path.parent / f".del-{path.name}-{uuid.uuid4().hex[:8]}"
    try:
        path.rename(aside)
    except OSError:
        return  # already removed by another worker
    shutil.rmtree(aside, ignore_errors=True)


def read_snapshot(folder: str | Path, root: str | Path, key: str) -> Dataset | None:
    """The Dataset saved as snapshot ``key`` of ``folder``, or None when there is none. Raises
    SnapshotError when it is incomplete, altered or unreadable."""
    path = Path(root) / folder_group(Path(folder)) / key
    if not path.is_dir():
        return None
    try:
        meta = json.loads((path / META).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION or meta.get("key") != key:
            raise SnapshotError(f"snapshot format {meta.get('format')} or key does not match")
        for name, expected in meta["sha256"].items():
            if _sha256(path / name) != expected:
                raise SnapshotError(f"{name} does not match its checksum")
        frames = {}
        for name in FRAMES:
            info = meta["frames"][name]
            frame = _restore_dtypes(pd.read_parquet(path / f"{name}.parquet"), info["dtypes"])
            if info["points"]:
                frame = gpd.GeoDataFrame(
                    frame,
                    geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]),
                    crs=WGS84,
                )
            frames[name] = frame
        boundaries = gpd.read_parquet(path / "boundaries.parquet")
        geometry = boundaries.geometry.name
        _restore_dtypes(boundaries.drop(columns=geometry), meta["frames"]["boundaries"]["dtypes"])
        report = _read_report(path, meta)
        return Dataset(
            name=meta["name"],
            hotspots=frames["hotspots"],
            sites=frames["sites"],
            enrolment=frames["enrolment"],
            boundaries=boundaries,
            crs_projected=meta["crs_projected"],
            synthetic=bool(meta["synthetic"]),
            settings=tomllib.loads(meta["settings_toml"]),
            report=report,
            source_dir=meta["source_dir"],
        )
    except SnapshotError:
        raise
    except (*_READ_ERRORS, tomllib.TOMLDecodeError) as exc:
        raise SnapshotError(f"{type(exc).__name__}: {exc}") from exc


def _read_report(path: Path, meta: dict[str, Any]) -> ValidationReport:
    report = ValidationReport()
    problems = pd.read_parquet(path / "problems.parquet")
    kinds = {f.name: f.type for f in dataclasses.fields(Problem)}
    for record in problems.to_dict("records"):
        values: dict[str, Any] = {}
        for name, kind in kinds.items():
            value = record.get(name)
            if name == "row":
                values[name] = None if value is None or pd.isna(value) else int(value)
            elif "bool" in str(kind):
                values[name] = bool(value)
            else:
                values[name] = str(value)
        report.problems.append(Problem(**values))
    with open(path / EXTRA, "rb") as fh:  # checksum verified before any file is read
        extra = pickle.load(fh)
    report.rejected_original = extra["rejected_original"]
    report.provenance = extra["provenance"]
    saved = meta["report"]
    report.files = {name: FileCounts(*map(int, counts)) for name, counts in saved["files"].items()}
    report.source = {str(k): str(v) for k, v in saved["source"].items()}
    report.accepted_rows = {
        str(k): [int(r) for r in rows] for k, rows in saved["accepted_rows"].items()
    }
    for name, info in meta["rejected"].items():
        frame = pd.read_parquet(path / info["file"])
        report.rejected[name] = _restore_dtypes(frame, info["dtypes"])
    return report


def _check_counts(dataset: Dataset) -> None:
    """The frames hold as many rows as the report accepted (a snapshot that lost rows)."""
    for name in FRAMES:
        counts = dataset.report.files.get(name)
        if counts is not None and counts.accepted != len(getattr(dataset, name)):
            raise SnapshotError(
                f"{name}: {len(getattr(dataset, name))} rows, the report accepted {counts.accepted}"
            )


def load_folder(
    folder: str | Path, root: str | Path, load: Callable[[Path], Dataset]
) -> tuple[Dataset, str]:
    """The Dataset of ``folder``: from its snapshot under ``root`` when one matches its files,
    else ``load(folder)`` (which may raise DatasetLoadError: refusals are not saved), saved as
    a snapshot for next time. Returns the Dataset and how it was obtained ("snapshot" or
    "validated")."""
    folder = Path(folder)
    started = time.perf_counter()
    key = snapshot_key(folder)
    try:
        found = read_snapshot(folder, root, key)
        if found is not None:
            _check_counts(found)
            log.info("snapshot %s read in %.2f s", key[:12], time.perf_counter() - started)
            return found, "snapshot"
    except SnapshotError as exc:
        why = type(exc.__cause__ or exc).__name__
        log.warning("snapshot %s ignored and rebuilt: %s", key[:12], why)
        _remove(Path(root) / folder_group(folder) / key)
    dataset = load(folder)
    saving = time.perf_counter()
    try:
        save_snapshot(dataset, folder, root, key)
    except (OSError, ValueError, pa.ArrowException) as exc:  # serving never depends on a snapshot
        log.warning("snapshot %s not saved: %s", key[:12], type(exc).__name__)
    else:
        log.info("snapshot %s saved in %.2f s", key[:12], time.perf_counter() - saving)
    return dataset, "validated"


def prune(root: str | Path) -> list[str]:
    """Remove the snapshots of folders that no longer exist (a deleted or purged upload) and
    any half-written leftovers; returns the keys removed (first 12 hex digits)."""
    root = Path(root)
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for group in root.iterdir():
        if group.name.startswith(".tmp-") or group.name.startswith(".del-"):
            if time.time() - group.stat().st_mtime > 3600:  # an interrupted write or removal
                shutil.rmtree(group, ignore_errors=True)
            continue
        if not group.is_dir():
            continue
        for snapshot in list(group.iterdir()):
            if not snapshot.is_dir() or snapshot.name.startswith("."):
                continue
            try:
                meta = json.loads((snapshot / META).read_text(encoding="utf-8"))
                gone = not Path(meta["folder"]).is_dir()
            except (OSError, ValueError, KeyError, TypeError):
                gone = True
            if gone:
                _remove(snapshot)
                removed.append(snapshot.name[:12])
        if not any(group.iterdir()):
            group.rmdir()
    return removed
