"""Locks that a forked child gets fresh.

Background callbacks run in processes forked from a server worker that has other threads (the
requests it is serving, the start-up warm-up). ``fork`` copies a lock in the state it had: one
that another thread held at that moment stays held for ever in the child, and the background job
waits on it for ever (seen: an upload's check hung after its last log line, waiting for
services.datasets' lock that a concurrent request held when the job was forked). Every lock of
this kind is a ``ForkSafeLock``: right after a fork, while the child has a single thread, each
one is replaced by a new, unheld lock.
"""

from __future__ import annotations

import os
import threading
import weakref
from types import TracebackType
from typing import Any

_instances: weakref.WeakSet[ForkSafeLock] = weakref.WeakSet()


class ForkSafeLock:
    """A ``threading.Lock`` (or ``RLock`` when ``reentrant``) renewed, unheld, in a forked child."""

    def __init__(self, reentrant: bool = False) -> None:
        self._reentrant = reentrant
        self._lock: Any = self._new()
        _instances.add(self)

    def _new(self) -> Any:
        return threading.RLock() if self._reentrant else threading.Lock()

    def _renew(self) -> None:
        self._lock = self._new()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return bool(self._lock.acquire(blocking, timeout))

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        """Whether the lock is held; for a reentrant lock, whether another thread holds it."""
        if not self._reentrant:
            return bool(self._lock.locked())
        if self._lock.acquire(blocking=False):
            self._lock.release()
            return False
        return True

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _renew_all() -> None:
    for lock in list(_instances):
        lock._renew()


os.register_at_fork(after_in_child=_renew_all)
