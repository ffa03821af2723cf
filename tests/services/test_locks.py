"""services/locks.py: a lock another thread holds when the process forks (a background job
starting while a request holds it) is free in the child; a plain lock stays held there (the
hang this prevents)."""

from __future__ import annotations

import os
import threading
from typing import Any

from services.locks import ForkSafeLock


def acquired_in_forked_child(lock: Any) -> bool:
    """Fork while another thread holds ``lock``; whether the child can take it within 2 s."""
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            done.wait(30)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    held.wait(10)
    pid = os.fork()
    if pid == 0:  # the child: exit 0 when it got the lock
        code = 0 if lock.acquire(timeout=2) else 1
        os._exit(code)
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        done.set()
        holder.join(10)
    return os.waitstatus_to_exitcode(status) == 0


def test_a_fork_safe_lock_is_free_in_the_child():
    assert acquired_in_forked_child(ForkSafeLock())
    assert acquired_in_forked_child(ForkSafeLock(reentrant=True))


def test_a_plain_lock_held_at_fork_stays_held_in_the_child():
    assert not acquired_in_forked_child(threading.Lock())


def test_it_locks_as_a_lock_does():
    lock = ForkSafeLock()
    assert not lock.locked()
    with lock:
        assert lock.locked()
        assert not lock.acquire(blocking=False)
    assert not lock.locked()
    reentrant = ForkSafeLock(reentrant=True)
    with reentrant, reentrant:  # taken twice by the same thread
        taken: list[bool] = []
        other = threading.Thread(target=lambda: taken.append(reentrant.acquire(timeout=0.1)))
        other.start()
        other.join()
        assert taken == [False] and reentrant.locked() is False  # its owner may take it
    assert not reentrant.locked()
