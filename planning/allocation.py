"""Allocation of a capped number of peer educators to districts, and two comparators.

Under a cap (``max_pe``, or a monthly budget turned into PEs), districts are funded in
priority order, each up to the PEs it needs before the next gets any: "saturating coverage
of KPs in high concentration geographies is preferable to spreading services thinly"
(DESIGN.md s.3). The covered population of a district is
``min(planning_population × target, funded_PEs × people_per_pe)``. For comparison the same
cap is split (a) evenly — equal shares, each district capped at its need, the leftover
redistributed among the others — and (b) in proportion to the planning population, again
capped at need with the leftover redistributed.

Budget → PEs: ``floor(budget_usd_month ÷ Scenario.cost_usd_per_pe_month())``, where one
PE-month costs the stipend, 1/pe_per_orw of an ORW salary and the commodities of
people_per_pe people (a fractional ORW share: actual ORWs are hired per district).
The maths works on numpy arrays; the frame functions are thin adapters.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from planning.scenario import Scenario

STRATEGIES = ("priority", "even", "proportional")


def pe_cap(scenario: Scenario) -> int | None:
    """The PE cap a scenario sets: ``max_pe``, PEs affordable on ``budget_usd_month``, or None."""
    if scenario.max_pe is not None:
        return int(scenario.max_pe)
    if scenario.budget_usd_month is not None:
        per_pe = scenario.cost_usd_per_pe_month()
        if per_pe <= 0:
            raise ValueError(
                f"budget_usd_month {scenario.budget_usd_month:g}: "
                f"one PE-month costs USD {per_pe:g}; "
                "set a positive pe_stipend_usd_month or unit cost "
                "so the budget buys a finite number of PEs."
            )
        return math.floor(scenario.budget_usd_month / per_pe + 1e-9)
    return None


def _check(need_pe: np.ndarray, cap_pe: int) -> np.ndarray:
    need = np.asarray(need_pe, dtype="int64")
    if cap_pe < 0:
        raise ValueError(f"cap_pe {cap_pe} is negative; give 0 or more peer educators.")
    if (need < 0).any():
        raise ValueError(
            f"need_pe has negative values (first: {int(need[need < 0][0])}); needs are ≥ 0 PEs."
        )
    return need


def fund_in_order(need_pe: np.ndarray, order: np.ndarray, cap_pe: int) -> np.ndarray:
    """PEs funded per district when districts are saturated one after another in ``order``.

    ``order`` holds district indices.
    """
    need = _check(need_pe, cap_pe)
    ordered_need = need[order]
    before = (
        np.concatenate([[0], np.cumsum(ordered_need)[:-1]]) if len(need) else np.zeros(0, "int64")
    )
    ordered_funded = np.clip(cap_pe - before, 0, ordered_need)
    funded = np.zeros_like(need)
    funded[order] = ordered_funded
    return funded


def fund_evenly(need_pe: np.ndarray, cap_pe: int, order: np.ndarray | None = None) -> np.ndarray:
    """Equal PEs per district (water-filling), capped at need, leftover to the rest.

    Odd PEs go in ``order``.
    """
    need = _check(need_pe, cap_pe)
    if need.sum() <= cap_pe:
        return need.copy()
    lo, hi = 0, int(need.max())  # largest level L with sum(min(need, L)) <= cap
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if np.minimum(need, mid).sum() <= cap_pe:
            lo = mid
        else:
            hi = mid - 1
    funded = np.minimum(need, lo)
    return _hand_out(funded, need, cap_pe - int(funded.sum()), order)


def fund_proportionally(
    need_pe: np.ndarray, weight: np.ndarray, cap_pe: int, order: np.ndarray | None = None
) -> np.ndarray:
    """PEs in proportion to ``weight`` (planning population), capped at need.

    The leftover is redistributed.
    """
    need = _check(need_pe, cap_pe)
    w = np.asarray(weight, dtype="float64")
    if need.sum() <= cap_pe:
        return need.copy()
    positive = w > 0
    lo, hi = 0.0, float((need[positive] / w[positive]).max()) if positive.any() else 0.0
    for _ in range(100):  # scale t with sum(min(need, t·w)) = cap
        mid = (lo + hi) / 2
        if np.minimum(need, mid * w).sum() <= cap_pe:
            lo = mid
        else:
            hi = mid
    funded = np.minimum(need, np.floor(lo * w + 1e-9)).astype("int64")
    remainder = np.minimum(need, lo * w) - funded
    tie_order = (
        np.argsort(-remainder, kind="stable")
        if order is None
        else np.lexsort((order_rank(order, len(need)), -remainder))
    )
    return _hand_out(funded, need, cap_pe - int(funded.sum()), tie_order)


def order_rank(order: np.ndarray, n: int) -> np.ndarray:
    """Position of each district in ``order`` (inverse permutation)."""
    rank = np.empty(n, dtype="int64")
    rank[np.asarray(order)] = np.arange(n)
    return rank


def _hand_out(
    funded: np.ndarray, need: np.ndarray, left: int, order: np.ndarray | None
) -> np.ndarray:
    funded = funded.copy()
    sequence = np.arange(len(need)) if order is None else np.asarray(order)
    for i in sequence:
        if left <= 0:
            break
        if funded[i] < need[i]:
            funded[i] += 1
            left -= 1
    return funded


def covered_population(
    planning_population: npt.ArrayLike,
    funded_pe: npt.ArrayLike,
    people_per_pe: float,
    target: float = 1.0,
) -> npt.NDArray[np.float64]:
    """min(planning_population × target, funded_pe × people_per_pe) per district."""
    pop = np.asarray(planning_population, dtype="float64") * target
    return np.minimum(pop, np.asarray(funded_pe, dtype="float64") * people_per_pe)


def allocate(districts: pd.DataFrame, scenario: Scenario, cap_pe: int) -> pd.DataFrame:
    """District allocation under ``cap_pe`` PEs by the three strategies.

    ``districts`` needs ``district``, ``planning_population`` and ``peer_educators`` (from
    planning.resources.resource_table); priority order is ``priority_rank`` (1 first) when present,
    else ``density_per_km2`` descending. Returns [district, priority_rank, peer_educators,
    funded_peer_educators, covered_population, even_funded_peer_educators, even_covered_population,
    proportional_funded_peer_educators, proportional_covered_population].
    """
    for column in ("district", "planning_population", "peer_educators"):
        if column not in districts.columns:
            raise KeyError(f"allocate needs column {column!r}; got {list(districts.columns)}.")
    need = districts["peer_educators"].to_numpy(dtype="int64")
    pop = districts["planning_population"].astype("float64").fillna(0.0).to_numpy()
    if "priority_rank" in districts.columns:
        order = np.argsort(districts["priority_rank"].to_numpy(dtype="float64"), kind="stable")
    elif "density_per_km2" in districts.columns:
        order = np.argsort(
            -districts["density_per_km2"].astype("float64").fillna(0).to_numpy(), kind="stable"
        )
    else:
        order = np.argsort(-pop, kind="stable")
    out = pd.DataFrame({"district": districts["district"].to_numpy()})
    if "priority_rank" in districts.columns:
        out["priority_rank"] = districts["priority_rank"].to_numpy()
    out["peer_educators"] = need
    strategies = {
        "": fund_in_order(need, order, cap_pe),
        "even_": fund_evenly(need, cap_pe, order),
        "proportional_": fund_proportionally(need, pop, cap_pe, order),
    }
    for prefix, funded in strategies.items():
        out[f"{prefix}funded_peer_educators"] = funded
        out[f"{prefix}covered_population"] = covered_population(
            pop, funded, scenario.people_per_pe, scenario.target
        )
    return out


def allocation_summary(
    allocation: pd.DataFrame, scenario: Scenario, cap_pe: int
) -> dict[str, float | str | None]:
    """Totals of an ``allocate`` frame: cap, PEs needed and funded, covered population by strategy.

    Numbers, except ``cap_source`` (text) and the budget and cost per PE-month (None when unset).
    """
    return {
        "cap_peer_educators": int(cap_pe),
        "cap_source": scenario.cap or "",
        "budget_usd_month": scenario.budget_usd_month,
        "cost_usd_per_pe_month": scenario.cost_usd_per_pe_month() if scenario.costed else None,
        "peer_educators_needed": int(allocation["peer_educators"].sum()),
        "funded_peer_educators": int(allocation["funded_peer_educators"].sum()),
        "covered_population_priority": float(allocation["covered_population"].sum()),
        "covered_population_even": float(allocation["even_covered_population"].sum()),
        "covered_population_proportional": float(
            allocation["proportional_covered_population"].sum()
        ),
        "districts_fully_funded": int(
            (allocation["funded_peer_educators"] >= allocation["peer_educators"]).sum()
        ),
    }
