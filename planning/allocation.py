"""Allocation of capped peer educators (or a monthly budget) to districts: the optimum and three
comparators.

The recommended allocation is the one that is best under a stated model (planning.allocation_opt:
people covered ``min(planning_population × target, funded_PEs × people_per_pe)``, optionally
weighted per district; a funded district costs a fixed F + PE stipends + ⌈PEs ÷ PEs per ORW⌉ ORW
salaries + commodities of the people covered; a district gets no PEs or at least the minimum
programme m), solved exactly by HiGHS. Beside it, three rules spend the same cap or budget under
the same model: (a) priority order — districts saturated one after another ("saturating
coverage of KPs in high concentration geographies is preferable to spreading services thinly",
DESIGN.md s.3); (b) even spread — equal shares, each capped at need, the leftover redistributed;
(c) proportional to the planning population, capped at need, the leftover redistributed. A rule
that would give a district fewer than m PEs runs over fewer districts (the highest-priority ones,
as many as can each get m), so every compared allocation is one the model allows. Under a
budget each rule spends the largest number of PEs whose cost fits.

``pe_cap``: a cap in PEs, or PEs a budget buys at ``Scenario.cost_usd_per_pe_month()`` (one
PE-month: the stipend, 1/pe_per_orw of an ORW salary and the commodities of people_per_pe
people; before fixed costs). The maths works on numpy arrays; the frame functions are thin
adapters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from planning.allocation_opt import (
    CostModel,
    OptimalAllocation,
    covered_people,
    optimal_allocation,
    programme_cost_usd_month,
    upper_pe,
)
from planning.scenario import Scenario

# Column prefix of each allocation in an ``allocate`` frame ("" is the recommended optimum) and
# its key in ``cli.py plan --json`` ``allocation_alternatives``.
STRATEGIES = {
    "": "optimal",
    "priority_": "priority_order",
    "even_": "even",
    "proportional_": "proportional",
}
STRATEGY_LABELS = {
    "optimal": "Optimal (recommended)",
    "priority_order": "Priority order",
    "even": "Even spread",
    "proportional": "Proportional to size",
}
# Seconds HiGHS may spend proving the optimum before the best allocation found so far is used
# (its gap to the proven bound is then reported).
SOLVE_SECONDS = 20.0


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


def cost_model(scenario: Scenario) -> CostModel:
    """The allocation model of a scenario: people per PE, PEs per ORW, minimum programme, fixed
    cost per district, stipend, ORW salary and commodities per person (unset costs count 0)."""
    s = scenario
    return CostModel(
        people_per_pe=float(s.people_per_pe),
        pe_per_orw=int(s.pe_per_orw),
        min_pe=s.minimum_programme_pe(),
        fixed_usd_month=float(s.district_fixed_usd_month),
        pe_stipend_usd_month=float(s.pe_stipend_usd_month or 0.0),
        orw_salary_usd_month=float(s.orw_salary_usd_month or 0.0),
        commodity_usd_per_person_month=s.commodity_cost_usd_per_person_month(),
    )


def with_minimum_programme(
    rule: Callable[[np.ndarray, int], np.ndarray],
    upper: np.ndarray,
    cap_pe: int,
    min_pe: int,
    order: np.ndarray,
) -> np.ndarray:
    """``rule(need, cap)`` made to respect the minimum programme: the rule runs over the j
    highest-priority districts (that need PEs), j as large as leaves no funded district with
    fewer than ``min_pe`` PEs (binary search, then down until it holds; j = 0 always does)."""
    eligible = np.asarray(order)[upper[np.asarray(order)] > 0]

    def run(j: int) -> tuple[np.ndarray, bool]:
        need = np.zeros_like(upper)
        need[eligible[:j]] = upper[eligible[:j]]
        funded = rule(need, cap_pe)
        return funded, not ((funded > 0) & (funded < min_pe)).any()

    funded, ok = run(len(eligible))
    if ok:
        return funded
    lo, hi = 0, len(eligible) - 1  # the largest j that holds, if holding is monotone in j
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if run(mid)[1]:
            lo = mid
        else:
            hi = mid - 1
    for j in range(lo, -1, -1):
        funded, ok = run(j)
        if ok:
            return funded
    return np.zeros_like(upper)  # not reached: j = 0 funds nobody


def _largest_affordable(
    allocation_of: Callable[[int], np.ndarray],
    cost_of: Callable[[np.ndarray], float],
    most_pe: int,
    budget_usd_month: float,
) -> np.ndarray:
    """The allocation of the largest PE total (binary search) whose cost fits the budget."""
    lo, hi = 0, most_pe
    best = allocation_of(0)
    while lo <= hi:
        mid = (lo + hi) // 2
        funded = allocation_of(mid)
        if cost_of(funded) <= budget_usd_month + 1e-9:
            best, lo = funded, mid + 1
        else:
            hi = mid - 1
    return best


def compared_allocations(
    target_population: np.ndarray,
    need_pe: np.ndarray,
    order: np.ndarray,
    model: CostModel,
    *,
    cap_pe: int | None = None,
    budget_usd_month: float | None = None,
) -> dict[str, np.ndarray]:
    """PEs per district by priority order, even spread and proportional to size under the cap
    or budget, each respecting the minimum programme (see the module docstring)."""
    upper = upper_pe(need_pe, model)
    rules: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
        "priority_": lambda need, cap: fund_in_order(need, order, cap),
        "even_": lambda need, cap: fund_evenly(need, cap, order),
        "proportional_": lambda need, cap: fund_proportionally(
            need, np.where(need > 0, target_population, 0.0), cap, order
        ),
    }
    out = {}
    for prefix, rule in rules.items():

        def allocation_of(
            cap: int, rule: Callable[[np.ndarray, int], np.ndarray] = rule
        ) -> np.ndarray:
            return with_minimum_programme(rule, upper, cap, model.min_pe, order)

        if budget_usd_month is None:
            out[prefix] = allocation_of(int(cap_pe or 0))
        else:
            out[prefix] = _largest_affordable(
                allocation_of,
                lambda n: float(programme_cost_usd_month(target_population, n, model).sum()),
                int(upper.sum()),
                budget_usd_month,
            )
    return out


def _district_order(districts: pd.DataFrame, pop: np.ndarray) -> np.ndarray:
    """District indices in priority order: priority_rank, else density, else population."""
    if "priority_rank" in districts.columns:
        return np.argsort(districts["priority_rank"].to_numpy(dtype="float64"), kind="stable")
    if "density_per_km2" in districts.columns:
        return np.argsort(
            -districts["density_per_km2"].astype("float64").fillna(0).to_numpy(), kind="stable"
        )
    return np.argsort(-pop, kind="stable")


def allocate(
    districts: pd.DataFrame,
    scenario: Scenario,
    cap_pe: int | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    time_limit_s: float = SOLVE_SECONDS,
) -> pd.DataFrame:
    """The optimal allocation and the three compared rules, per district.

    The cap is ``cap_pe`` when given, else the scenario's ``max_pe``, else its monthly budget.
    ``districts`` needs ``district``, ``planning_population`` and ``peer_educators`` (from
    planning.resources.resource_table); priority order is ``priority_rank`` (1 first) when
    present, else ``density_per_km2`` descending. ``weights`` (one per district, ≥ 0) weight the
    people covered. Returns [district, priority_rank, peer_educators, weight, then for each
    prefix "" (optimal), "priority_", "even_", "proportional_": funded_peer_educators,
    covered_population, cost_usd_month]; ``frame.attrs["solution"]`` holds the
    OptimalAllocation (proof, gap, seconds).
    """
    for column in ("district", "planning_population", "peer_educators"):
        if column not in districts.columns:
            raise KeyError(f"allocate needs column {column!r}; got {list(districts.columns)}.")
    need = districts["peer_educators"].to_numpy(dtype="int64")
    pop = districts["planning_population"].astype("float64").fillna(0.0).to_numpy()
    target = pop * scenario.target
    order = _district_order(districts, pop)
    rank = order_rank(order, len(need)) + 1
    model = cost_model(scenario)
    if cap_pe is None and scenario.max_pe is not None:
        cap_pe = int(scenario.max_pe)
    budget = scenario.budget_usd_month if cap_pe is None else None
    if cap_pe is None and budget is None:
        raise ValueError(
            "allocate: no cap; give cap_pe, or a scenario with max_pe or budget_usd_month."
        )
    if cap_pe is not None and cap_pe < 0:
        raise ValueError(f"cap_pe {cap_pe} is negative; give 0 or more peer educators.")
    w = np.ones(len(need)) if weights is None else np.asarray(weights, dtype="float64")
    solution = optimal_allocation(
        target,
        need,
        model,
        cap_pe=cap_pe,
        budget_usd_month=budget,
        weights=w,
        priority_rank=rank,
        time_limit_s=time_limit_s,
    )
    allocations = {"": solution.funded_pe}
    allocations.update(
        compared_allocations(target, need, order, model, cap_pe=cap_pe, budget_usd_month=budget)
    )
    out = pd.DataFrame({"district": districts["district"].to_numpy()})
    if "priority_rank" in districts.columns:
        out["priority_rank"] = districts["priority_rank"].to_numpy()
    out["peer_educators"] = need
    out["weight"] = w
    for prefix, funded in allocations.items():
        out[f"{prefix}funded_peer_educators"] = funded
        out[f"{prefix}covered_population"] = covered_people(target, funded, model.people_per_pe)
        out[f"{prefix}cost_usd_month"] = programme_cost_usd_month(target, funded, model)
    out.attrs["solution"] = solution
    out.attrs["cap_pe"] = cap_pe
    return out


def strategy_totals(allocation: pd.DataFrame, prefix: str) -> dict[str, float | int]:
    """People covered (and weighted), PEs funded, cost and districts funded of one allocation."""
    funded = allocation[f"{prefix}funded_peer_educators"]
    covered = allocation[f"{prefix}covered_population"]
    weight = allocation.get("weight", 1.0)
    return {
        "covered_population": float(covered.sum()),
        "weighted_covered_population": float((covered * weight).sum()),
        "funded_peer_educators": int(funded.sum()),
        "cost_usd_month": float(allocation[f"{prefix}cost_usd_month"].sum()),
        "districts_funded": int((funded > 0).sum()),
    }


def allocation_summary(
    allocation: pd.DataFrame, scenario: Scenario, cap_pe: int | None = None
) -> dict[str, float | str | bool | None]:
    """Totals of an ``allocate`` frame: the cap, the model's assumptions, the optimum (with its
    proof) and the covered population, PEs, cost and districts funded of every allocation.

    Numbers, except ``cap_source`` and ``recommended`` (text) and ``proven_optimal``; the budget
    and cost per PE-month are None when unset.
    """
    solution: OptimalAllocation | None = allocation.attrs.get("solution")
    if cap_pe is None:
        cap_pe = allocation.attrs.get("cap_pe")
    optimal = strategy_totals(allocation, "")
    if cap_pe is None:  # a budget: the PEs it buys at the cost of one PE-month, else the optimum's
        per_pe = scenario.cost_usd_per_pe_month() if scenario.costed else 0.0
        cap_pe = (pe_cap(scenario) if per_pe > 0 else None) or int(optimal["funded_peer_educators"])
    weighted = "weight" in allocation and bool((allocation["weight"] != 1.0).any())
    out: dict[str, float | str | bool | None] = {
        "cap_peer_educators": int(cap_pe),
        "cap_source": scenario.cap or "",
        "budget_usd_month": scenario.budget_usd_month,
        "cost_usd_per_pe_month": scenario.cost_usd_per_pe_month() if scenario.costed else None,
        "district_fixed_usd_month": float(scenario.district_fixed_usd_month),
        "min_pe_per_district": scenario.minimum_programme_pe(),
        "weighted": weighted,
        "peer_educators_needed": int(allocation["peer_educators"].sum()),
        "funded_peer_educators": int(optimal["funded_peer_educators"]),
        "proven_optimal": bool(solution.proven) if solution is not None else None,
        "optimality_gap": float(solution.gap) if solution is not None else None,
    }
    for prefix, name in STRATEGIES.items():
        for key, value in strategy_totals(allocation, prefix).items():
            if key == "weighted_covered_population" and not weighted:
                continue
            out[f"{key}_{name}"] = value
    out["districts_fully_funded"] = int(
        (allocation["funded_peer_educators"] >= allocation["peer_educators"]).sum()
    )
    out["recommended"] = recommendation_sentence(out)
    return out


def alternatives(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compared allocations of a summary, keyed as ``cli.py plan --json``
    ``allocation_alternatives``: priority_order, proportional, even."""
    keys: tuple[str, ...] = (
        "covered_population",
        "funded_peer_educators",
        "cost_usd_month",
        "districts_funded",
    )
    if summary.get("weighted"):
        keys = (*keys, "weighted_covered_population")
    return {
        name: {key: summary.get(f"{key}_{name}") for key in keys}
        for name in ("priority_order", "proportional", "even")
    }


def comparison_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """The four allocations of a summary side by side, recommended first: allocation (label),
    covered_population, weighted_covered_population (when weighted), funded_peer_educators,
    cost_usd_month, districts_funded."""
    keys = ["covered_population", "funded_peer_educators", "cost_usd_month", "districts_funded"]
    if summary.get("weighted"):
        keys.insert(1, "weighted_covered_population")
    rows = [
        {"allocation": STRATEGY_LABELS[name], **{k: summary.get(f"{k}_{name}") for k in keys}}
        for name in ("optimal", "priority_order", "proportional", "even")
    ]
    return pd.DataFrame(rows)


def recommendation_sentence(summary: dict[str, Any]) -> str:
    """Which allocation is recommended and why, in one sentence naming the objective and the
    assumptions (F and m)."""
    weighted = bool(summary.get("weighted"))
    what = "weighted people covered" if weighted else "people covered"
    key = "weighted_covered_population" if weighted else "covered_population"
    best = float(summary.get(f"{key}_optimal") or 0.0)
    others = {
        STRATEGY_LABELS[n].lower(): float(summary.get(f"{key}_{n}") or 0.0)
        for n in ("priority_order", "proportional", "even")
    }
    runner, runner_value = max(others.items(), key=lambda kv: kv[1])
    cap = (
        f"a budget of USD {summary['budget_usd_month']:,.0f} a month"
        if summary.get("cap_source") == "budget_usd_month"
        else f"a cap of {int(summary.get('cap_peer_educators') or 0):,} PEs"
    )
    proof = (
        "proven optimal by HiGHS"
        if summary.get("proven_optimal")
        else f"within {100 * float(summary.get('optimality_gap') or 0):.2g}% of the best possible "
        "(HiGHS stopped at its time limit)"
    )
    return (
        f"Recommended: the optimal allocation, which maximises {what} under {cap} "
        f"({best:,.0f}, {proof}; the best compared rule, {runner}, reaches {runner_value:,.0f}), "
        f"assuming each funded district costs a fixed USD "
        f"{float(summary.get('district_fixed_usd_month') or 0):,.0f} a month (F) and gets at "
        f"least {summary.get('min_pe_per_district')} PEs (m), and every PE covers up to the "
        "same number of people wherever it works."
    )
