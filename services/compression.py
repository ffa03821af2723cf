"""Response compression (flask-compress), with the compressed front-end files kept in memory.

Every response the browser accepts compressed is compressed (gzip, brotli or zstd, as it
accepts). The front-end bundles are large and never change while the server runs (plotly.js is
4.6 MB: about 0.2 s of one core to compress, paid by every new browser, on the first page's
critical path): their compressed bytes are kept per (encoding, path with its version query), up
to ``CACHE_MB``, least recently used dropped first. Callback answers and pages are compressed
each time and never kept (they differ per request and per viewer).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

import flask
from flask_compress import Compress

from services.locks import ForkSafeLock

# Versioned front-end files: Dash's component suites (the version is in the file name) and the
# assets folder (Dash adds ?m=<modified time>).
CACHED_PREFIXES = ("/_dash-component-suites/", "/assets/")
CACHE_MB = 64
_NOT_KEPT = "-"  # the key of a response that is never kept starts with this
_counter = itertools.count()


def cache_key(request: flask.Request) -> str:
    """The cache key of a response: its path and query for a versioned front-end file, else a
    key never seen before (so never found, and never kept: ``BoundedBytesCache.set``)."""
    if request.method == "GET" and request.path.startswith(CACHED_PREFIXES):
        return request.full_path
    return f"{_NOT_KEPT}{next(_counter)}"


class BoundedBytesCache:
    """A thread-safe in-memory cache of bytes, bounded in total bytes (LRU); keys made by
    ``cache_key`` for responses that are not kept are ignored."""

    def __init__(self, max_bytes: int = CACHE_MB * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = ForkSafeLock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        # flask-compress's key is "<encoding>;<cache_key>"
        if key.partition(";")[2].startswith(_NOT_KEPT) or len(value) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes -= len(old) if old is not None else 0
            self._items[key] = value
            self._bytes += len(value)
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    @property
    def size_bytes(self) -> int:
        return self._bytes


def install(server: flask.Flask) -> Compress:
    """Compress ``server``'s responses, keeping the compressed front-end files (module doc)."""
    cache = BoundedBytesCache()
    server.config["COMPRESS_CACHE_BACKEND"] = lambda: cache
    server.config["COMPRESS_CACHE_KEY"] = cache_key
    compress = Compress(server)
    server.extensions["kp_compress_cache"] = cache
    return compress
