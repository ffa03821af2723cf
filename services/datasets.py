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
_results: dict[str, Dataset | DatasetLoadError] = {}
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


def load_result(dataset_id: str | None) -> Dataset | DatasetLoadError:
    """The cached load of a dataset: a planning.schema.Dataset, or the DatasetLoadError it raised.

    Loads once per id (under a lock, so two callbacks never load the same folder twice).
    """
    key = resolve_id(dataset_id)
    with _lock:
        if key in _results:
            return _results[key]
        folder = folder_of(key)
        started = time.perf_counter()
        result: Dataset | DatasetLoadError
        try:
            result = load_dataset(folder)
        except DatasetLoadError as exc:
            result = exc
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
                "%d districts",
                key,
                time.perf_counter() - started,
                len(result.hotspots),
                len(result.sites),
                len(result.enrolment),
                len(result.boundaries),
            )
        _results[key] = result
        return result


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
