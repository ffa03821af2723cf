"""Memoisation bounded in bytes, not in entries (a 100k-hotspot plan is ~1,000 times a demo's).

``ByteBoundedMemo(fn, max_bytes, size_of)`` keeps results in least-recently-used order and drops
the oldest while their estimated sizes exceed ``max_bytes``; a result larger than the bound is
returned but not kept. Thread-safe; each process has its own (shared answers across workers live
in services.response_cache and services.background).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import pandas as pd

from services.locks import ForkSafeLock

R = TypeVar("R")


def frames_bytes(obj: Any) -> int:
    """Memory held by the DataFrames among ``obj``'s attributes (deep), plus 1 kB for the rest."""
    total = 1024
    for value in vars(obj).values() if hasattr(obj, "__dict__") else ():
        if isinstance(value, pd.DataFrame):
            total += int(value.memory_usage(deep=True, index=True).sum())
    return total


class ByteBoundedMemo(Generic[R]):
    """``fn`` memoised per argument tuple within ``max_bytes`` (see the module doc)."""

    def __init__(
        self, fn: Callable[..., R], max_bytes: int, size_of: Callable[[R], int] = frames_bytes
    ) -> None:
        self._fn = fn
        self._max_bytes = max_bytes
        self._size_of = size_of
        self._items: OrderedDict[tuple[Hashable, ...], tuple[R, int]] = OrderedDict()
        self._total = 0
        self._lock = ForkSafeLock()

    def __call__(self, *args: Hashable) -> R:
        with self._lock:
            if args in self._items:
                self._items.move_to_end(args)
                return self._items[args][0]
        value = self._fn(*args)
        size = self._size_of(value)
        with self._lock:
            if args not in self._items and size <= self._max_bytes:
                self._items[args] = (value, size)
                self._total += size
                while self._total > self._max_bytes:
                    _, (_, dropped) = self._items.popitem(last=False)
                    self._total -= dropped
        return value

    def cache_info(self) -> dict[str, int]:
        """Entries kept and their estimated bytes."""
        with self._lock:
            return {"entries": len(self._items), "bytes": self._total}

    def cache_clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._items.clear()
            self._total = 0
