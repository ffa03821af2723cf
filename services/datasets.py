"""Thread-safe cache of loaded datasets by id: the app's default dataset and the datasets of
the server state (services.state), in each worker process.

Pages never read files themselves: they ask ``get_dataset(dataset_id)`` with the id kept in
the browser session (``dcc.Store("dataset-id")``; None = the app's default dataset). An
uploaded dataset is stored in the server state, whose id is the sha256 of its files: any
worker process resolves such an id by looking it up there (``get_dataset_folder``), so a
dataset uploaded through one worker opens in another and after a restart, and a browser can
only name datasets the server stored. A lookup is repeated after STORE_CHECK_S, so a dataset
deleted through another worker stops being served here; ``delete_stored`` drops it from this
process at once. Loads are cached within settings.dataset_cache_mb (least recently used first).

The default dataset is a folder or a ``postgresql://...?schema=NAME`` URL (a dataset written
by ``cli.py import``); a URL is kept as text (a Path would fold its ``//``) and is only ever
shown or logged without its password.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from data_loaders.dataset import load_dataset
from data_loaders.source_url import DatabaseSourceError, is_database_url, redact_url
from data_loaders.validation import DatasetLoadError, ValidationReport
from planning.schema import Dataset
from services import snapshots
from services.access import district_scope
from services.context import current_settings
from services.locks import ForkSafeLock

log = logging.getLogger(__name__)

DEFAULT_ID = "default"
SCOPE_SEP = "#scope:"  # a site manager's key: dataset id + SCOPE_SEP + token of her districts
LOCAL_PREFIX = "dir-"  # a folder registered in this process only (register_folder)
STORE_ID_LENGTH = 64  # services.state ids: the sha256 of the dataset's files, in hex
# A stored dataset is looked up in the server state again after this many seconds: a dataset
# another worker deleted or renamed is noticed within that time; a lookup is one indexed read.
STORE_CHECK_S = 5.0

_lock = ForkSafeLock(reentrant=True)
# A dataset source: a folder, or the text of a postgresql:// URL.
Source = Path | str

_folders: dict[str, Source] = {}
# Loaded datasets in least-recently-used order (dicts keep insertion order), their sizes, and a
# lock per dataset id (held while that one loads).
_results: dict[str, Dataset | DatasetLoadError] = {}
_sizes: dict[str, int] = {}
_key_locks: dict[str, ForkSafeLock] = {}
_default_folder: list[Source] = []
# Stored datasets: when each was last confirmed live, its name in the server state, and which
# loads took that name (no [dataset] name in their dataset.toml; renamed along with the store).
_checked: dict[str, float] = {}
_names: dict[str, str] = {}
_named_by_store: set[str] = set()
_scopes: dict[str, tuple[str, ...]] = {}  # scope token -> districts
_pruned = [0.0]  # when _prune_deleted last asked the server state (time.monotonic)


class UnknownDatasetError(KeyError):
    """A dataset id this server does not hold: never stored, deleted, or forged."""

    def __str__(self) -> str:  # KeyError's own would quote the message
        return str(self.args[0]) if self.args else ""


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
    """Register a local dataset folder in this process only (tests, benchmarks) and return its
    id ("dir-" + content hash). Uploads are stored in the server state instead (services.state),
    whose ids every worker process resolves."""
    folder = Path(path).resolve()
    dataset_id = LOCAL_PREFIX + folder_content_hash(folder)
    with _lock:
        if _folders.get(dataset_id) != folder:
            _folders[dataset_id] = folder
            _results.pop(dataset_id, None)
    return dataset_id


def is_store_id(dataset_id: object) -> bool:
    """True for the id of a dataset in the server state: 64 lowercase hex digits (sha256)."""
    return (
        isinstance(dataset_id, str)
        and len(dataset_id) == STORE_ID_LENGTH
        and all(c in "0123456789abcdef" for c in dataset_id)
    )


def _unknown(dataset_id: str, why: str) -> UnknownDatasetError:
    return UnknownDatasetError(
        f"dataset {dataset_id[:12]!r} {why}; open another dataset on the Data page (or upload "
        "it again), or switch back to the default dataset"
    )


def _look_up_stored(dataset_id: str) -> None:
    """Confirm ``dataset_id`` is live in the server state (any worker may have stored, renamed
    or deleted it) and remember its folder and name; forget it and raise UnknownDatasetError
    when it is not."""
    from services import state  # the store's database driver only when a stored id is used

    try:
        store = state.current_store()
        record = store.get_dataset(dataset_id)
        folder = store.get_dataset_folder(dataset_id)
    except state.NotStoredError as exc:
        forget(dataset_id)
        why = "was deleted" if "deleted" in str(exc) else "is not stored on this server"
        raise _unknown(dataset_id, why) from None
    with _lock:
        _folders[dataset_id] = folder
        _checked[dataset_id] = time.monotonic()
        renamed = _names.get(dataset_id) not in (None, record.name)
        _names[dataset_id] = record.name
        cached = _results.get(dataset_id)
        if renamed and isinstance(cached, Dataset) and dataset_id in _named_by_store:
            _results[dataset_id] = dataclasses.replace(cached, name=record.name)


def _split_scope(key: str) -> tuple[str, str | None]:
    """(dataset id, scope token or None) of a resolved key."""
    base, sep, token = key.partition(SCOPE_SEP)
    return base, (token if sep else None)


def base_id(dataset_id: str | None) -> str | None:
    """``dataset_id`` without a district scope (None stays None)."""
    return _split_scope(dataset_id)[0] if dataset_id else dataset_id


def _with_scope(key: str) -> str:
    """``key`` cut to this request's district scope (services.access.district_scope): the key
    itself for a viewer of every district, else key + SCOPE_SEP + a token of the districts."""
    scope = district_scope()
    if scope is None:
        return key
    districts = tuple(sorted(set(scope)))
    token = hashlib.sha256(json.dumps(districts).encode()).hexdigest()[:16]
    with _lock:
        _scopes[token] = districts
    return f"{key}{SCOPE_SEP}{token}"


def resolve_id(dataset_id: str | None) -> str:
    """The canonical key of a dataset for this request: ``_resolve_base`` cut to the viewer's
    district scope (a site manager's key names her districts, so every cache keyed on it keeps
    her view apart; a scope written into the id by a client is ignored and replaced)."""
    return _with_scope(_resolve_base(base_id(dataset_id)))


def district_key(dataset_id: str | None, district: str) -> str:
    """The cache key of one district's results (its caseloads, its Outreach page): the dataset's
    key without a district scope when ``district`` is one of the viewer's districts, whose rows
    are the same in her cut as in the whole dataset (so a site manager finds the plan a planner
    or the start-up warm-up made); ``resolve_id`` for any other district (her cut has none of
    its rows, so nothing of it is shared)."""
    key = resolve_id(dataset_id)
    base, token = _split_scope(key)
    if token is None:
        return key
    with _lock:
        districts = _scopes.get(token, ())
    return base if str(district) in districts else key


def _resolve_base(dataset_id: str | None) -> str:
    """The canonical id: DEFAULT_ID for None/"", else the id itself when this process registered
    it or the server state holds it (looked up again after STORE_CHECK_S, so a dataset stored
    by another worker opens here, and one deleted there stops being served here).

    Raises UnknownDatasetError for any other id (a stale browser session or a forged id).
    """
    if not dataset_id:
        return DEFAULT_ID
    with _lock:
        checked = _checked.get(dataset_id)
        if dataset_id in _folders and (
            checked is None or time.monotonic() - checked < STORE_CHECK_S
        ):
            return dataset_id
    if not is_store_id(dataset_id):
        raise _unknown(str(dataset_id), "is not known to this server (it may have restarted)")
    _look_up_stored(dataset_id)
    return dataset_id


def _prune_deleted() -> None:
    """Drop the cached stored datasets that the server state no longer lists (deleted through
    another worker), at most once per STORE_CHECK_S; nothing to do when none is cached."""
    now = time.monotonic()
    with _lock:
        cached = [key for key in _results if is_store_id(key)]
        if not cached or now - _pruned[0] < STORE_CHECK_S:
            return
        _pruned[0] = now
    from sqlalchemy.exc import SQLAlchemyError

    from services import state

    try:
        live = {record.id for record in state.current_store().list_datasets()}
    except (state.StateError, SQLAlchemyError) as exc:
        # the datasets being served stay served; their own lookups report the store's state
        log.warning("cached datasets not checked: state store unavailable (%s)", type(exc).__name__)
        return
    for key in cached:
        if key not in live:
            forget(key)


def stored_name(dataset_id: str) -> str | None:
    """The server state's name of a stored dataset this process has looked up, else None."""
    with _lock:
        return _names.get(dataset_id)


def folder_of(dataset_id: str | None) -> Source:
    """The folder (or postgresql:// URL) a dataset id was loaded from."""
    key = _resolve_base(base_id(dataset_id))
    if key == DEFAULT_ID:
        return default_folder()
    with _lock:
        return _folders[key]


def forget(dataset_id: str) -> bool:
    """Drop everything this process holds of ``dataset_id`` (its load, folder and lock): after
    a delete, or when the server state no longer lists it. True when a load was cached."""
    if dataset_id == DEFAULT_ID:
        raise ValueError("the default dataset cannot be forgotten; set_default_folder changes it")
    with _lock:
        cached = _results.pop(dataset_id, None) is not None
        _sizes.pop(dataset_id, None)
        _folders.pop(dataset_id, None)
        _checked.pop(dataset_id, None)
        _names.pop(dataset_id, None)
        _named_by_store.discard(dataset_id)
        lock = _key_locks.get(dataset_id)
        if lock is not None and not lock.locked():
            del _key_locks[dataset_id]
    if cached:
        log.info("dataset %s dropped from the cache (forgotten)", dataset_id[:12])
    return cached


def delete_stored(dataset_id: str) -> None:
    """Delete stored dataset ``dataset_id`` from the server state (its files too) and drop it
    from this process's cache at once; other workers drop it when they next look it up.

    Raises UnknownDatasetError when it is not stored (or already deleted).
    """
    from services import state

    if not is_store_id(dataset_id):
        raise _unknown(str(dataset_id), "is not a stored dataset (the default cannot be deleted)")
    try:
        state.current_store().delete_dataset(dataset_id)
    except state.NotStoredError:
        raise _unknown(dataset_id, "is not stored (or was deleted already)") from None
    finally:
        forget(dataset_id)
        snapshots.prune(snapshots.snapshot_root(current_settings().state_dir))


def cached_result(dataset_id: str | None) -> Dataset | DatasetLoadError | None:
    """The load of ``dataset_id`` this process holds, or None (never loads, never looks up)."""
    key = dataset_id or DEFAULT_ID
    with _lock:
        return _results.get(key)


def dataset_bytes(dataset: Dataset) -> int:
    """Memory a loaded dataset holds (its frames, deep), for the cache's byte bound."""
    return int(
        sum(
            frame.memory_usage(deep=True, index=True).sum()
            for frame in (dataset.hotspots, dataset.sites, dataset.enrolment, dataset.boundaries)
        )
    )


def _key_lock(key: str) -> ForkSafeLock:
    """The lock of one dataset id: loading one dataset never blocks users of another."""
    with _lock:
        lock = _key_locks.get(key)
        if lock is None:
            lock = _key_locks[key] = ForkSafeLock()
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
            log.info("dataset %s dropped from the cache (bound %d MB)", old[:12], limit >> 20)


def _named(key: str, dataset: Dataset) -> Dataset:
    """A stored dataset whose dataset.toml names none (its name would be its folder, the id)
    takes its name in the server state."""
    with _lock:
        name = _names.get(key)
        if name is None or dataset.name != key:
            return dataset
        _named_by_store.add(key)
    return dataclasses.replace(dataset, name=name)


def _load(folder: Source) -> Dataset:
    """``load_dataset(folder)``; a folder through its validated snapshot in the server state
    (services.snapshots: validated once, read back by any worker and after a restart)."""
    if not isinstance(folder, Path):
        return load_dataset(folder)
    root = snapshots.snapshot_root(current_settings().state_dir)
    return snapshots.load_folder(folder, root, lambda path: load_dataset(path))[0]


def load_result(dataset_id: str | None) -> Dataset | DatasetLoadError:
    """The cached load of a dataset: a planning.schema.Dataset, or the DatasetLoadError it raised.

    Loads once per id: a lock per dataset id, so two callbacks never load the same dataset
    twice and loading one never blocks users of another. Loads are cached up to
    settings.dataset_cache_mb (least recently used dropped first); stored datasets deleted
    through another worker are dropped within STORE_CHECK_S of the next load asked for.
    A site manager's request gets the dataset cut to her districts (``scoped_dataset``).
    """
    _prune_deleted()
    key = resolve_id(dataset_id)
    base, token = _split_scope(key)
    if token is None:
        return _load_base(base)
    with _lock:
        if key in _results:
            result = _results.pop(key)
            _results[key] = result
            return result
        districts = _scopes[token]
    full = _load_base(base)
    scoped: Dataset | DatasetLoadError
    if isinstance(full, Dataset):
        scoped = scoped_dataset(full, districts)
    else:
        # the report quotes rows of every district: a scoped viewer gets the verdict only
        scoped = DatasetLoadError(
            ValidationReport(),
            "this dataset cannot be loaded; a planner can see why on the Data page",
        )
    _remember(key, scoped)
    return scoped


def scoped_dataset(dataset: Dataset, districts: tuple[str, ...]) -> Dataset:
    """``dataset`` with only the hotspots, enrolment rows and boundaries of ``districts``.

    Service sites are kept (they are public places, and a hotspot's nearest site may lie across
    a district border, so coverage in her districts is the same number a planner sees); the
    validation report is dropped (it quotes rows of every district).
    """
    keep = set(districts)
    return dataclasses.replace(
        dataset,
        hotspots=dataset.hotspots[dataset.hotspots["district"].isin(keep)].copy(),
        enrolment=dataset.enrolment[dataset.enrolment["district"].isin(keep)].copy(),
        boundaries=dataset.boundaries[dataset.boundaries["district"].isin(keep)].copy(),
        report=ValidationReport(),
    )


def _load_base(key: str) -> Dataset | DatasetLoadError:
    """The cached load of the whole dataset ``key`` (a resolved id with no scope)."""
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
            result_now = _named(key, _load(folder))
        except DatasetLoadError as exc:
            result_now = exc
            # counts only: a problem line can quote a hotspot's value (never logged)
            log.warning(
                "dataset %s (%s) refused after %.2f s: %d errors, %d warnings",
                key[:12],
                source_label(folder),
                time.perf_counter() - started,
                len(exc.report.errors()),
                len(exc.report.problems) - len(exc.report.errors()),
            )
        else:
            log.info(
                "dataset %s loaded in %.2f s: %d hotspots, %d sites, %d enrolment rows, "
                "%d districts, %.0f MB",
                key[:12],
                time.perf_counter() - started,
                len(result_now.hotspots),
                len(result_now.sites),
                len(result_now.enrolment),
                len(result_now.boundaries),
                dataset_bytes(result_now) / 2**20,
            )
        _remember(key, result_now)
        return result_now


# The progress of a check is estimated from the bytes to read: the demo (0.45 MB) loads in
# 0.2 s, 100k hotspots (about 10 MB of CSV) in 4.7 s (bench/bench_load.py), about 2 MB a
# second; an xlsx or zip counts its uncompressed size (a workbook's sheets are zipped XML).
LOAD_BYTES_PER_S = 2_000_000
LOAD_BASE_S = 0.3
PROGRESS_EVERY_S = 0.5

# A progress report: (percent done, what is being done).
Progress = Callable[[int, str], None]


def bytes_to_read(folder: Source) -> int:
    """The bytes loading ``folder`` reads (zip members and xlsx sheets uncompressed); 0 for a
    database."""
    if not isinstance(folder, Path):
        return 0
    total = 0
    for path in folder.iterdir():
        if not path.is_file():
            continue
        size = path.stat().st_size
        if path.suffix.lower() in (".xlsx", ".zip"):
            try:
                with zipfile.ZipFile(path) as archive:
                    size = sum(info.file_size for info in archive.infolist())
            except (zipfile.BadZipFile, OSError):
                pass  # the loader reports the damaged file
        total += size
    return total


def load_uncached(
    dataset_id: str | None, progress: Progress | None = None
) -> Dataset | DatasetLoadError:
    """Load and validate a dataset without caching it (the check of an upload in a background
    job, whose process does not serve it), reporting an estimated progress every
    PROGRESS_EVERY_S to ``progress(percent, label)``.

    Raises UnknownDatasetError for an id this server does not hold.
    """
    key = resolve_id(dataset_id)
    folder = folder_of(key)
    size = bytes_to_read(folder)
    expected_s = LOAD_BASE_S + size / LOAD_BYTES_PER_S
    outcome: list[Dataset | BaseException] = []

    def run() -> None:
        try:
            outcome.append(_named(key, _load(folder)))
        except BaseException as exc:  # handed to the caller below
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=run, name=f"load-{key[:12]}", daemon=True)
    worker.start()
    while True:
        worker.join(PROGRESS_EVERY_S)
        if not worker.is_alive():
            break
        if progress is not None:
            elapsed = time.monotonic() - started
            left = expected_s - elapsed
            when = (
                f"about {left:.0f} s left"
                if left >= 1
                else "nearly done"
                if left > -2
                else "taking longer than estimated"
            )
            progress(
                min(95, 5 + int(90 * elapsed / expected_s)),
                f"reading and checking {size / 1e6:.1f} MB of files, {when}",
            )
    result = outcome[0]
    if not isinstance(result, Dataset | DatasetLoadError):
        raise result  # a failure of the loader itself, with its traceback
    log.info(
        "dataset %s checked in %.2f s (%s)",
        key[:12],
        time.monotonic() - started,
        "usable" if isinstance(result, Dataset) else "refused",
    )
    return result


def rename_stored(dataset_id: str, name: str) -> None:
    """Rename stored dataset ``dataset_id`` in the server state (services.state errors: a name
    taken or not allowed) and in this process's cached load at once."""
    from services import state

    if not is_store_id(dataset_id):
        raise _unknown(str(dataset_id), "is not a stored dataset (the default cannot be renamed)")
    try:
        state.current_store().rename_dataset(dataset_id, name)
    except state.NotStoredError:
        forget(dataset_id)
        raise _unknown(dataset_id, "is not stored (or was deleted)") from None
    _look_up_stored(dataset_id)


def warm_default() -> None:
    """Load the default dataset now (at start-up, app.create_app): validated, or read from its
    snapshot, before the first request, so no visitor waits for it and /healthz reports it
    loaded. Snapshots of deleted folders are removed first. A refusal is kept for the pages, as
    any load's; a source that cannot be reached is logged and tried again by the first request."""
    started = time.perf_counter()
    snapshots.prune(snapshots.snapshot_root(current_settings().state_dir))
    try:
        result = load_result(None)
    except Exception as exc:  # start-up goes on; the first request meets the same error
        log.warning("default dataset not loaded at start-up: %s", type(exc).__name__)
        return
    log.info(
        "default dataset %s at start-up in %.2f s",
        "refused" if isinstance(result, DatasetLoadError) else "ready",
        time.perf_counter() - started,
    )


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
    cannot be loaded, and UnknownDatasetError for an id this server does not hold.
    """
    result = load_result(dataset_id)
    if isinstance(result, Exception):
        raise result
    return result


def clear_cache() -> None:
    """Forget every cached load and every stored dataset looked up (tests; a changed default
    folder or server state)."""
    with _lock:
        _results.clear()
        _sizes.clear()
        for key in [key for key in _folders if is_store_id(key)]:
            del _folders[key]
        _checked.clear()
        _names.clear()
        _named_by_store.clear()
