"""Small shared checks for planning functions: required columns and choice arguments."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

ESTIMATE_LEVELS = ("low", "mid", "high")


def require_columns(
    frame: pd.DataFrame, columns: Iterable[str], *, argument: str, function: str
) -> None:
    """Raise ValueError naming the function, the argument and the missing columns."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(
            f"{function}: argument {argument} must be a pandas DataFrame, "
            f"got {type(frame).__name__}"
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{function}: argument {argument} lacks column(s) {missing}; "
            f"it has {list(frame.columns)}. "
            "Pass the canonical frame (planning/schema.py) "
            "or the output of the function that makes it."
        )


def require_choice(
    value: object, choices: Iterable[object], *, argument: str, function: str
) -> None:
    """Raise ValueError when ``value`` is not one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{function}: {argument}={value!r} is not one of {list(choices)}")


def text_column(frame: pd.DataFrame, column: str, default: str = "") -> pd.Series:
    """The column as plain strings with missing values as ``default``.

    A column of ``default`` when the frame has no such column.
    """
    if column not in frame.columns:
        return pd.Series(default, index=frame.index, dtype="str")
    return frame[column].fillna(default).astype("str")


def group_sum(frame: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """Sum ``columns`` by ``keys`` with missing key values treated as "" (index = cleaned keys).

    Groups the raw key columns (no per-row string cleaning of large frames) and cleans the
    small grouped index instead: the fast path for 100,000-row frames.
    """
    sums = frame.groupby(keys, sort=False, dropna=False)[columns].sum()
    if sums.index.to_frame(index=False).isna().to_numpy().any():
        cleaned = sums.reset_index()
        for key in keys:
            cleaned[key] = cleaned[key].fillna("").astype("str")
        sums = cleaned.groupby(keys, sort=False)[columns].sum()
    return sums
