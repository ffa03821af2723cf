"""Long work shared by the server's processes: the cache of Dash's background jobs and a result
cache, on disk (diskcache), in one private folder per deployment.

A page's long computation (the Outreach page's caseloads of a large area) runs as a Dash
background callback: a process forked from the server computes while the browser polls, shows
progress and can cancel. ``app.create_app`` gives Dash's DiskcacheManager ``job_cache``. What a
job computes goes into a ``SharedMemo``, so that the server's own callbacks (a calendar, a
download) and its other worker processes read it instead of computing it again.

The folder is ``<temp>/kp-planner-<user>/<data>``, private to the user (0700): it holds
hotspot-level results. ``<data>`` hashes the content of the default data folder, so the worker
processes of one deployment share it, changed data never meets an old result, and servers on
the same data (test runs, a restart) reuse one folder instead of leaving one each behind. Every
result is keyed by its dataset id, which names the content (the default folder, here hashed, or
an upload's "up-" content hash), and by the code that computed it (``code_version``), so a
changed planner never serves an old result. Bounded in bytes (diskcache evicts the least
recently used entries) and in time (RESULTS_EXPIRE_S).
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import logging
import os
import stat
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, Generic, TypeVar

import diskcache

from config import Settings
from services.datasets import folder_content_hash
from services.locks import ForkSafeLock

log = logging.getLogger(__name__)

# Bounds of the two caches on disk (diskcache evicts least recently used entries beyond them).
JOBS_CACHE_BYTES = 256 * 2**20  # background jobs' results, progress and Dash's signing secret
RESULTS_CACHE_BYTES = 1024 * 2**20  # SharedMemo entries
RESULTS_EXPIRE_S = 24 * 3600.0  # an entry not read for a day is dropped

_results: list[diskcache.Cache] = []  # the deployment's result cache, once the app made one
_celery: list[Any] = []  # the Celery application, once the app made one (REDIS_URL set)
# The packages whose code shapes a memoised result (its computation and its pickled classes).
CODE_PACKAGES = ("planning", "services", "components", "pages")


class CacheFolderError(RuntimeError):
    """The cache folder exists but is not private to this user; the message says what to fix."""


def cache_folder(settings: Settings) -> Path:
    """The deployment's private cache folder (created 0700 when missing; see the module doc)."""
    base = Path(tempfile.gettempdir()) / f"kp-planner-{getpass.getuser()}"
    try:
        data = folder_content_hash(settings.data_dir)
    except FileNotFoundError:  # the app reports the missing data folder itself
        data = str(settings.data_dir)
    folder = base / hashlib.sha256(data.encode()).hexdigest()[:16]
    for path in (base, folder):
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.stat()
        if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            raise CacheFolderError(
                f"cache folder {str(path)!r} is not private to this user (owner uid "
                f"{info.st_uid}, mode {stat.S_IMODE(info.st_mode):o}); remove it or run "
                f"chmod 700 on it (it holds hotspot-level results)"
            )
    return folder


@functools.cache
def code_version() -> str:
    """A short sha256 of the source files of CODE_PACKAGES (part of every SharedMemo key)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def job_cache(settings: Settings) -> diskcache.Cache:
    """The cache of Dash's background jobs (``app.create_app`` gives it to the manager); also
    opens the deployment's result cache that SharedMemo uses."""
    folder = cache_folder(settings)
    jobs = diskcache.Cache(str(folder / "jobs"), size_limit=JOBS_CACHE_BYTES)
    _results[:] = [diskcache.Cache(str(folder / "results"), size_limit=RESULTS_CACHE_BYTES)]
    log.info(
        "background jobs and shared results in cache folder %s (code %s)",
        folder.name,
        code_version(),
    )
    return jobs


def celery_app(settings: Settings) -> Any:
    """The Celery application of background callbacks when ``settings.redis_url`` is set (Redis
    as broker and result store), else None. ``make serve`` starts a worker for it
    (gunicorn.conf.py); ``wsgi.celery_app`` is what the worker loads."""
    if not settings.redis_url:
        return None
    from celery import Celery  # only a deployment with Redis needs Celery

    app = Celery("kp_planner", broker=settings.redis_url, backend=settings.redis_url)
    app.conf.update(
        result_expires=3600,  # a job's result is read by the poll that follows it
        task_track_started=True,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
    )
    log.info("background jobs on Celery workers (Redis)")
    _celery[:] = [app]
    return app


def made_celery_app() -> Any:
    """The Celery application ``celery_app`` made for the app of this process, or None."""
    return _celery[0] if _celery else None


def jobs_enabled() -> bool:
    """True once ``job_cache`` ran (the app has a background-callback manager)."""
    return bool(_results)


def results_cache() -> diskcache.Cache | None:
    """The deployment's shared result cache, or None (no app made one: tests, CLI, benchmarks)."""
    return _results[0] if _results else None


R = TypeVar("R")


class SharedMemo(Generic[R]):
    """Memoise ``fn`` per argument tuple: in this process (least recently used, ``maxsize``) and,
    when the app made one, in the deployment's result cache on disk, shared by its processes
    (a background job's result is read by the server that asked for it).

    ``namespace`` names the function's entries on disk (change it when the result's type
    changes). Arguments must be hashable and have a stable ``repr`` (ids, numbers, tuples).
    """

    def __init__(self, fn: Callable[..., R], *, namespace: str, maxsize: int = 64) -> None:
        self._fn = fn
        self._namespace = namespace
        self._maxsize = maxsize
        self._local: OrderedDict[tuple[Hashable, ...], R] = OrderedDict()
        self._lock = ForkSafeLock()

    def _disk_key(self, args: tuple[Hashable, ...]) -> str:
        return f"{self._namespace}:{code_version()}:{args!r}"

    def _remember(self, args: tuple[Hashable, ...], value: R) -> None:
        with self._lock:
            self._local[args] = value
            self._local.move_to_end(args)
            while len(self._local) > self._maxsize:
                self._local.popitem(last=False)

    def lookup(self, *args: Hashable) -> R | None:
        """The memoised result for ``args`` (this process, then the shared cache), or None."""
        with self._lock:
            if args in self._local:
                self._local.move_to_end(args)
                return self._local[args]
        shared = results_cache()
        if shared is None:
            return None
        started = time.perf_counter()
        found: R | None = shared.get(self._disk_key(args), default=None, retry=True)
        if found is not None:
            log.info(
                "%s read from the shared cache in %.0f ms",
                self._namespace,
                (time.perf_counter() - started) * 1000,
            )
            self._remember(args, found)
        return found

    def store(self, value: R, *args: Hashable) -> None:
        """Memoise ``value`` as the result for ``args`` here and in the shared cache."""
        self._remember(args, value)
        shared = results_cache()
        if shared is not None:
            shared.set(self._disk_key(args), value, expire=RESULTS_EXPIRE_S, retry=True)

    def __call__(self, *args: Hashable) -> R:
        """``fn(*args)``, memoised."""
        found = self.lookup(*args)
        if found is not None:
            return found
        value = self._fn(*args)
        self.store(value, *args)
        return value

    def cache_clear(self) -> None:
        """Forget this process's entries (the shared ones expire or are evicted)."""
        with self._lock:
            self._local.clear()
