"""services/memo.py: results kept within a byte bound, least recently used dropped first."""

from __future__ import annotations

import pandas as pd

from services.memo import ByteBoundedMemo, frames_bytes


class Box:
    def __init__(self, rows: int) -> None:
        self.frame = pd.DataFrame({"x": range(rows)})


def test_results_beyond_the_bound_drop_the_least_recently_used():
    calls: list[int] = []

    def make(rows: int) -> Box:
        calls.append(rows)
        return Box(rows)

    one = frames_bytes(Box(1000))
    memo = ByteBoundedMemo(make, max_bytes=int(2.5 * one))
    a = memo(1000)
    memo(1001)
    assert memo(1000) is a and calls == [1000, 1001]  # a hit, and now the most recent
    memo(1002)  # three do not fit: 1001, the least recently used, is dropped
    assert memo.cache_info()["entries"] == 2 and memo.cache_info()["bytes"] <= 2.5 * one
    memo(1001)
    assert calls == [1000, 1001, 1002, 1001]


def test_a_result_larger_than_the_bound_is_returned_but_not_kept():
    memo = ByteBoundedMemo(Box, max_bytes=100)
    assert len(memo(1000).frame) == 1000
    assert memo.cache_info() == {"entries": 0, "bytes": 0}
