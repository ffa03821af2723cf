"""Priorities: districts ranked by a documented score, and the cumulative-share (Pareto) curve.

../shared/DESIGN.md s.3: districts ranked by a documented score (default: gap, then density);
the cumulative-share curve answers "k districts hold X% of the population" (Mauritius: 4 of 9
districts held over 80%; Kenya: Nairobi 27% of the national estimate).

The score (DEFAULT_PRIORITY_SCORE) is a tuple of column names compared in order, like a sort
key: each column is ranked descending (larger = more urgent), a leading "-" ranks it ascending
(e.g. "-coverage_mid": lowest coverage first). Missing values (NaN) rank last. Remaining ties
are broken by district (or region) name, A→Z, so the order is total and reproducible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planning._frames import require_columns, text_column

# Default ranking: largest gap first (people a target still leaves unreached), ties broken by
# the highest density per km² (saturating high-concentration areas first, DESIGN.md s.3).
DEFAULT_PRIORITY_SCORE: tuple[str, ...] = ("gap", "density_per_km2")


def _name_key(frame: pd.DataFrame) -> str | None:
    """The name column used to break ties and label areas: district, region or name."""
    for key in ("district", "region", "name"):
        if key in frame.columns:
            return key
    return None


def rank_districts(
    districts: pd.DataFrame, *, score: tuple[str, ...] | list[str] = DEFAULT_PRIORITY_SCORE
) -> pd.DataFrame:
    """Rank areas by ``score`` (see the module docstring); adds priority_rank and priority_score.

    priority_rank is 1 for the first area to fund, n for the last (a total order). priority_score
    = (n − priority_rank + 1) ÷ n: 1.0 for the first, 1/n for the last, so it orders exactly as
    the rank does and is comparable across datasets of different sizes. Rows keep their order.
    """
    fn = "rank_districts"
    if isinstance(score, str):
        score = (score,)
    if len(score) == 0:
        raise ValueError(
            f"{fn}: score=() is empty; give column names such as {DEFAULT_PRIORITY_SCORE}"
        )
    columns = [name[1:] if name.startswith("-") else name for name in score]
    require_columns(districts, columns, argument="districts", function=fn)
    sort_cols, ascending = [], []
    work = pd.DataFrame(index=np.arange(len(districts)))
    for i, (name, column) in enumerate(zip(score, columns)):
        values = pd.to_numeric(districts[column], errors="coerce").to_numpy(dtype="float64")
        work[f"_s{i}"] = values
        sort_cols.append(f"_s{i}")
        ascending.append(name.startswith("-"))
    key = _name_key(districts)
    if key is not None:
        work["_name"] = text_column(districts, key).to_numpy()
        sort_cols.append("_name")
        ascending.append(True)
    work["_pos"] = np.arange(len(districts))
    sort_cols.append("_pos")
    ascending.append(True)
    order = work.sort_values(sort_cols, ascending=ascending, na_position="last", kind="stable")[
        "_pos"
    ].to_numpy()
    rank = np.empty(len(districts), dtype="int64")
    rank[order] = np.arange(1, len(districts) + 1)
    n = max(len(districts), 1)
    out = districts.copy()
    out["priority_rank"] = rank
    out["priority_score"] = (n - rank + 1) / n
    return out


def cumulative_share(districts: pd.DataFrame, *, value: str = "estimate_mid") -> pd.DataFrame:
    """Pareto curve: areas sorted by ``value`` descending with their share and cumulative share.

    Columns: district (or the frame's area name column), value, share (value ÷ total),
    cumulative_share, k (1..n: the number of areas up to this row). Ties are broken by name.
    Shares are NaN when the total is 0.
    """
    fn = "cumulative_share"
    require_columns(districts, [value], argument="districts", function=fn)
    key = _name_key(districts) or "district"
    names = (
        text_column(districts, key)
        if key in districts.columns
        else pd.Series([str(i) for i in range(len(districts))], dtype="str")
    )
    values = pd.to_numeric(districts[value], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
    if (values < 0).any():
        bad = names.to_numpy()[values < 0][0]
        raise ValueError(
            f"{fn}: {value} is negative for {key} {bad!r}; a population share needs values >= 0"
        )
    curve = pd.DataFrame({key: names.to_numpy(), "value": values})
    curve = curve.sort_values(["value", key], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
    total = curve["value"].sum()
    if total > 0:
        curve["share"] = curve["value"] / total
        curve["cumulative_share"] = curve["value"].cumsum() / total
    else:
        curve["share"] = np.nan
        curve["cumulative_share"] = np.nan
    curve["k"] = np.arange(1, len(curve) + 1, dtype="int64")
    return curve


def smallest_k_holding(
    districts: pd.DataFrame, share: float = 0.8, *, value: str = "estimate_mid"
) -> tuple[int, float]:
    """The smallest k such that the k largest areas hold at least ``share`` of ``value``.

    Returns k and the share those k areas hold.

    Example (DESIGN.md s.3, Mauritius): 4 of 9 districts held over 80% → (4, 0.8x).
    Raises ValueError when share is outside (0, 1] or the total is 0.
    """
    fn = "smallest_k_holding"
    try:
        wanted = float(share)
    except (TypeError, ValueError):
        wanted = float("nan")
    if not (0.0 < wanted <= 1.0):
        raise ValueError(f"{fn}: share={share!r} must be in (0, 1], e.g. 0.8 for 80%")
    curve = cumulative_share(districts, value=value)
    if curve.empty or not np.isfinite(curve["cumulative_share"]).any():
        raise ValueError(
            f"{fn}: the total of {value} is 0 over {len(curve)} areas; there is no share to hold"
        )
    cumulative = curve["cumulative_share"].to_numpy()
    # A tolerance so a float sum like 0.7999999999 still counts as holding 80%.
    k_index = int(np.argmax(cumulative >= wanted - 1e-12))
    return int(curve["k"].iloc[k_index]), float(cumulative[k_index])
