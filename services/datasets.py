"""Thread-safe cache of loaded datasets by id: the app's default dataset and uploaded folders.

Pages never read files themselves: they ask ``get_dataset(dataset_id)`` with the id kept in
the browser session (``dcc.Store("dataset-id")``; None = the app's default dataset). An
uploaded dataset is written to its own folder and named by a hash of its content, so the
same files always give the same id and a browser can only name folders the server made.

The default dataset is a folder or a ``postgresql://...?schema=NAME`` URL (a dataset written
by ``cli.py import``); a URL is kept as text (a Path would fold its ``//``) and is only ever
shown or logged without its password.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path

from data_loaders.dataset import load_dataset
from data_loaders.source_url import DatabaseSourceError, is_database_url, redact_url
from data_loaders.validation import DatasetLoadError
from planning.schema import Dataset
from services.context import current_settings

log = logging.getLogger(__name__)

DEFAULT_ID = "default"

_lock = threading.RLock()
# A dataset source: a folder, or the text of a postgresql:// URL.
Source = Path | str

_folders: dict[str, Source] = {}
# Loaded datasets in least-recently-used order (dicts keep insertion order), their sizes, and a
# lock per dataset id (held while that one loads).
_results: dict[str, Dataset | DatasetLoadError] = {}
_sizes: dict[str, int] = {}
_key_locks: dict[str, threading.Lock] = {}
_default_folder: list[Source] = []


class UnknownDatasetError(KeyError):
    """A dataset id that this server never registered (stale browser session or forged id)."""


def as_source(path: str | Path) -> Source:
    """A folder as a Path; a postgresql:// URL kept as its text."""
    return path.strip() if isinstance(path, str) and is_database_url(path) else Path(path)


def source_label(path: str | Path) -> str:
    """What to show or log of a source: a folder's name, a URL without its password."""
    source = as_source(path)
    return redact_url(source) if isinstance(source, str) else source.name


def set_default_folder(path: str | Path) -> None:
    """Set the dataset served as the default (app.py --data): a folder or a postgresql:// URL;
    clears its cached load."""
    with _lock:
        _default_folder[:] = [as_source(path)]
        _folders[DEFAULT_ID] = as_source(path)
        _results.pop(DEFAULT_ID, None)


def default_folder() -> Source:
    """The default dataset (folder or URL): the one set by the app factory, else the settings'
    data_dir."""
    with _lock:
        if _default_folder:
            return _default_folder[0]
    return as_source(current_settings().data_dir)


def folder_content_hash(path: str | Path) -> str:
    """A short sha256 over the names and bytes of the files directly inside ``path``.

    For a postgresql:// URL: data_loaders.postgis.content_id (the URL without its password and
    a checksum of the tables). FileNotFoundError when the folder or the database's dataset
    cannot be read (the message says why, without a password).
    """
    if isinstance(path, str) and is_database_url(path):
        from data_loaders.postgis import content_id  # the database driver only for a database

        try:
            return content_id(path)
        except DatabaseSourceError as exc:
            raise FileNotFoundError(str(exc)) from None
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"dataset folder {str(folder)!r} does not exist or is not a folder; "
            "pass the folder that holds hotspots.csv, sites.csv, enrolment.csv and boundaries"
        )
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.iterdir() if p.is_file()):
        digest.update(file.name.encode("utf-8") + b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def register_folder(path: str | Path) -> str:
    """Register a dataset folder (e.g. an upload) and return its id ("up-" + content hash)."""
    folder = Path(path).resolve()
    dataset_id = "up-" + folder_content_hash(folder)
    with _lock:
        if _folders.get(dataset_id) != folder:
            _folders[dataset_id] = folder
            _results.pop(dataset_id, None)
    return dataset_id


def _find_upload(dataset_id: str) -> Path | None:
    """The folder under the settings' upload_dir whose content hash is ``dataset_id`` (another
    worker process, or this one before a restart, saved it), or None."""
    upload_dir = current_settings().upload_dir
    if not dataset_id.startswith("up-") or not upload_dir.is_dir():
        return None
    for folder in sorted(p for p in upload_dir.iterdir() if p.is_dir()):
        if "up-" + folder_content_hash(folder) == dataset_id:
            return folder.resolve()
    return None


def resolve_id(dataset_id: str | None) -> str:
    """The canonical id: DEFAULT_ID for None/"", else the id itself if registered (or found
    among the saved uploads, so ids survive a restart and work across WSGI worker processes)."""
    if not dataset_id:
        return DEFAULT_ID
    with _lock:
        if dataset_id in _folders:
            return dataset_id
        found = _find_upload(dataset_id)
        if found is not None:
            _folders[dataset_id] = found
            return dataset_id
    raise UnknownDatasetError(
        f"dataset id {dataset_id!r} is not known to this server (it may have restarted); "
        "upload the dataset again on the Data page or switch back to the default dataset"
    )


def folder_of(dataset_id: str | None) -> Source:
    """The folder (or postgresql:// URL) a dataset id was loaded from."""
    key = resolve_id(dataset_id)
    if key == DEFAULT_ID:
        return default_folder()
    with _lock:
        return _folders[key]


def dataset_bytes(dataset: Dataset) -> int:
    """Memory a loaded dataset holds (its frames, deep), for the cache's byte bound."""
    return int(
        sum(
            frame.memory_usage(deep=True, index=True).sum()
            for frame in (dataset.hotspots, dataset.sites, dataset.enrolment, dataset.boundaries)
        )
    )


def _key_lock(key: str) -> threading.Lock:
    """The lock of one dataset id: loading one dataset never blocks users of another."""
    with _lock:
        lock = _key_locks.get(key)
        if lock is None:
            lock = _key_locks[key] = threading.Lock()
        return lock


def _remember(key: str, result: Dataset | DatasetLoadError) -> None:
    """Cache ``result`` (most recent last) and drop the least recently used loads beyond the
    byte bound (settings.dataset_cache_mb); the default dataset is always kept."""
    size = dataset_bytes(result) if isinstance(result, Dataset) else 0
    limit = current_settings().dataset_cache_mb * 1024 * 1024
    with _lock:
        _results.pop(key, None)
        _results[key] = result
        _sizes[key] = size
        total = sum(_sizes.values())
        for old in list(_results):
            if total <= limit:
                break
            if old in (key, DEFAULT_ID):
                continue
            total -= _sizes.pop(old, 0)
            _results.pop(old)
            log.info("dataset %s dropped from the cache (bound %d MB)", old, limit >> 20)


def load_result(dataset_id: str | None) -> Dataset | DatasetLoadError:
    """The cached load of a dataset: a planning.schema.Dataset, or the DatasetLoadError it raised.

    Loads once per id: a lock per dataset id, so two callbacks never load the same dataset
    twice and loading one never blocks users of another. Loads are cached up to
    settings.dataset_cache_mb (least recently used dropped first).
    """
    key = resolve_id(dataset_id)
    with _lock:
        if key in _results:
            result = _results.pop(key)
            _results[key] = result  # most recently used
            return result
    with _key_lock(key):
        with _lock:
            if key in _results:
                return _results[key]
        folder = folder_of(key)
        started = time.perf_counter()
        result_now: Dataset | DatasetLoadError
        try:
            result_now = load_dataset(folder)
        except DatasetLoadError as exc:
            result_now = exc
            # counts only: a problem line can quote a hotspot's value (never logged)
            log.warning(
                "dataset %s (%s) refused after %.2f s: %d errors, %d warnings",
                key,
                source_label(folder),
                time.perf_counter() - started,
                len(exc.report.errors()),
                len(exc.report.problems) - len(exc.report.errors()),
            )
        else:
            log.info(
                "dataset %s loaded in %.2f s: %d hotspots, %d sites, %d enrolment rows, "
                "%d districts, %.0f MB",
                key,
                time.perf_counter() - started,
                len(result_now.hotspots),
                len(result_now.sites),
                len(result_now.enrolment),
                len(result_now.boundaries),
                dataset_bytes(result_now) / 2**20,
            )
        _remember(key, result_now)
        return result_now


def cache_status() -> dict[str, object]:
    """What /healthz shows of the cache: ids loaded (or refused), their MB and the bound."""
    with _lock:
        return {
            "loaded": {
                key: (
                    "refused" if isinstance(r, Exception) else round(_sizes.get(key, 0) / 2**20, 1)
                )
                for key, r in _results.items()
            },
            "bound_mb": current_settings().dataset_cache_mb,
        }


def get_dataset(dataset_id: str | None) -> Dataset:
    """The validated Dataset for ``dataset_id`` (None = the app's default); cached.

    Raises data_loaders.validation.DatasetLoadError (with ``.report``) when the folder
    cannot be loaded, and UnknownDatasetError for an id this server never registered.
    """
    result = load_result(dataset_id)
    if isinstance(result, Exception):
        raise result
    return result


def clear_cache() -> None:
    """Forget every cached load (tests; a changed default folder)."""
    with _lock:
        _results.clear()
        _sizes.clear()
