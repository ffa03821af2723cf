"""The allocation that is provably best under a stated model: an integer program solved by HiGHS.

Model (DESIGN.md s.3, issue 16), per district d with target population T_d (planning
population × target) and PEs needed N_d:

- funding n_d peer educators covers ``min(T_d, n_d × people_per_pe)`` people, weighted by w_d
  (1 unless district weights are given, e.g. HIV prevalence among the key population);
- a district is unfunded (n_d = 0) or gets between m (the minimum programme) and
  U_d = max(N_d, m) PEs;
- a funded district costs, per month, F (fixed: drop-in centre, coordinator, supervision)
  + n_d × PE stipend + ⌈n_d ÷ PEs per ORW⌉ × ORW salary + people covered × commodities per
  person;
- under a cap on PEs (Σ n_d ≤ C) or a monthly budget (Σ cost_d ≤ B) the allocation maximises
  Σ w_d × covered_d.

The integer program (variables n_d integer, y_d binary "funded", o_d integer ORWs, c_d ≥ 0
people covered) is solved by HiGHS through ``scipy.optimize.milp`` with a relative gap of 0, so
a solution reported ``proven`` is optimal up to HiGHS's feasibility tolerance (1e-6). A second
solve breaks ties by priority: among allocations within that tolerance of the optimum it
maximises Σ (D − rank_d + 1) × n_d, so a PE never sits in a later district when an earlier one
could use it for the same objective. Districts with nothing to cover are left out of the
program (they are never funded).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix

log = logging.getLogger(__name__)

# HiGHS's feasibility tolerance is 1e-6; an objective within this of the optimum is a tie.
_TIE_REL = 1e-9
_TIE_ABS = 1e-6


@dataclass(frozen=True)
class CostModel:
    """What a district programme covers and costs (units in the names; USD per month)."""

    people_per_pe: float
    pe_per_orw: int
    min_pe: int = 1
    fixed_usd_month: float = 0.0
    pe_stipend_usd_month: float = 0.0
    orw_salary_usd_month: float = 0.0
    commodity_usd_per_person_month: float = 0.0

    def __post_init__(self) -> None:
        checks = {
            "people_per_pe": self.people_per_pe > 0,
            "pe_per_orw": self.pe_per_orw >= 1,
            "min_pe": self.min_pe >= 1,
            "fixed_usd_month": self.fixed_usd_month >= 0,
            "pe_stipend_usd_month": self.pe_stipend_usd_month >= 0,
            "orw_salary_usd_month": self.orw_salary_usd_month >= 0,
            "commodity_usd_per_person_month": self.commodity_usd_per_person_month >= 0,
        }
        for name, ok in checks.items():
            value = getattr(self, name)
            if not ok or not math.isfinite(value):
                raise ValueError(
                    f"CostModel {name}={value!r} is out of range; people_per_pe > 0, "
                    "pe_per_orw and min_pe ≥ 1, costs ≥ 0 (USD per month)."
                )


@dataclass(frozen=True)
class OptimalAllocation:
    """The solver's answer: PEs per district, the objective, its proof and how long it took."""

    funded_pe: npt.NDArray[np.int64]
    objective: float  # Σ weight × people covered
    bound: float  # the best possible objective HiGHS proved (≥ objective)
    proven: bool  # True when HiGHS proved optimality (gap 0)
    seconds: float

    @property
    def gap(self) -> float:
        """(bound − objective) ÷ objective: 0 when proven optimal."""
        return max(0.0, self.bound - self.objective) / max(abs(self.objective), 1e-12)


def covered_people(
    target_population: npt.ArrayLike, funded_pe: npt.ArrayLike, people_per_pe: float
) -> npt.NDArray[np.float64]:
    """min(target population, funded PEs × people per PE) per district."""
    target = np.asarray(target_population, dtype="float64")
    covered: npt.NDArray[np.float64] = np.minimum(
        target, np.asarray(funded_pe, dtype="float64") * people_per_pe
    )
    return covered


def programme_cost_usd_month(
    target_population: npt.ArrayLike, funded_pe: npt.ArrayLike, model: CostModel
) -> npt.NDArray[np.float64]:
    """Monthly cost per district: 0 when unfunded, else F + n × stipend + ⌈n ÷ PEs per ORW⌉ ×
    ORW salary + people covered × commodities per person."""
    n = np.asarray(funded_pe, dtype="int64")
    orws = -(-n // model.pe_per_orw)
    covered = covered_people(target_population, n, model.people_per_pe)
    cost = (
        model.fixed_usd_month
        + n * model.pe_stipend_usd_month
        + orws * model.orw_salary_usd_month
        + covered * model.commodity_usd_per_person_month
    )
    return np.where(n > 0, cost, 0.0)


def upper_pe(need_pe: npt.ArrayLike, model: CostModel) -> npt.NDArray[np.int64]:
    """The most PEs a district can get: max(need, minimum programme), 0 when it needs none."""
    need = np.asarray(need_pe, dtype="int64")
    return np.where(need > 0, np.maximum(need, model.min_pe), 0)


def _check_inputs(
    target_population: npt.ArrayLike,
    need_pe: npt.ArrayLike,
    weights: npt.ArrayLike | None,
    priority_rank: npt.ArrayLike | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    target = np.asarray(target_population, dtype="float64")
    need = np.asarray(need_pe, dtype="int64")
    n = len(target)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype="float64")
    rank = np.arange(1, n + 1) if priority_rank is None else np.asarray(priority_rank, "float64")
    for name, arr in (("need_pe", need), ("weights", w), ("priority_rank", rank)):
        if arr.shape != (n,):
            raise ValueError(
                f"{name} has {arr.size} values for {n} districts; give one per district."
            )
    for name, arr in (("target_population", target), ("need_pe", need), ("weights", w)):
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            raise ValueError(
                f"{name} of district {int(np.argmax(bad))} is {float(arr[bad][0]):g}; "
                "give finite values ≥ 0."
            )
    return target, need, w, rank


def optimal_allocation(
    target_population: npt.ArrayLike,
    need_pe: npt.ArrayLike,
    model: CostModel,
    *,
    cap_pe: int | None = None,
    budget_usd_month: float | None = None,
    weights: npt.ArrayLike | None = None,
    priority_rank: npt.ArrayLike | None = None,
    time_limit_s: float = 60.0,
) -> OptimalAllocation:
    """PEs per district maximising Σ weight × people covered under ``cap_pe`` or
    ``budget_usd_month`` (exactly one), ties broken by ``priority_rank`` (1 first).

    ``proven`` is False only when HiGHS hit ``time_limit_s``; ``bound`` then says how far from
    optimal the answer can be.
    """
    started = time.perf_counter()
    target, need, w, rank = _check_inputs(target_population, need_pe, weights, priority_rank)
    if (cap_pe is None) == (budget_usd_month is None):
        raise ValueError("optimal_allocation: give exactly one of cap_pe or budget_usd_month.")
    if cap_pe is not None and cap_pe < 0:
        raise ValueError(f"cap_pe {cap_pe} is negative; give 0 or more peer educators.")
    if budget_usd_month is not None and not budget_usd_month >= 0:
        raise ValueError(f"budget_usd_month {budget_usd_month!r} must be a number ≥ 0 (USD).")
    upper = upper_pe(need, model)
    value = w * target
    live = np.flatnonzero((upper > 0) & (value > 0))
    funded = np.zeros(len(target), dtype="int64")
    if len(live) == 0:
        return OptimalAllocation(funded, 0.0, 0.0, True, time.perf_counter() - started)
    problem = _Program(
        target[live], upper[live], w[live], rank[live], model, cap_pe, budget_usd_month
    )
    first = problem.solve(time_limit_s)
    if first is None:  # nothing is feasible beyond funding no district (e.g. cap below m)
        return OptimalAllocation(funded, 0.0, 0.0, True, time.perf_counter() - started)
    n_first, bound, proven = first
    best = n_first
    best_value = problem.objective(n_first)
    # ties only matter at a proven optimum; the tie-break gets at most as long as the first solve
    spent = time.perf_counter() - started
    left = min(time_limit_s - spent, max(1.0, spent))
    if proven and left > 0:
        second = problem.solve(left, tie_break_at=best_value)
        if second is not None and problem.objective(second[0]) >= best_value - _tolerance(
            best_value
        ):
            best = second[0]
    funded[live] = best
    objective = float(np.sum(w * covered_people(target, funded, model.people_per_pe)))
    seconds = time.perf_counter() - started
    log.info(
        "optimal allocation: %d districts, proven=%s, gap=%.2g, %.3f s",
        len(live),
        proven,
        max(0.0, bound - objective) / max(objective, 1e-12),
        seconds,
    )
    return OptimalAllocation(funded, objective, max(bound, objective), proven, seconds)


def _tolerance(value: float) -> float:
    return _TIE_REL * max(1.0, abs(value)) + _TIE_ABS


class _Program:
    """The integer program over the districts that can be funded (see the module docstring).

    Variables, in blocks of one per district: n (PEs, integer), y (funded, binary), c (people
    covered), then o (ORWs, integer) when ORWs cost money under a budget, and f (fully covered,
    binary) when commodities cost money under a budget: then c = min(T, p n) exactly (c ≥ p n
    unless full, c ≥ T when full), so the solver cannot buy PEs without their commodities.
    """

    def __init__(
        self,
        target: np.ndarray,
        upper: np.ndarray,
        weight: np.ndarray,
        rank: np.ndarray,
        model: CostModel,
        cap_pe: int | None,
        budget: float | None,
    ) -> None:
        self.target, self.upper, self.weight, self.model = target, upper, weight, model
        d = self.d = len(target)
        p = model.people_per_pe
        with_orw = budget is not None and model.orw_salary_usd_month > 0
        exact_cover = budget is not None and model.commodity_usd_per_person_month > 0
        names = ["n", "y", "c"] + (["o"] if with_orw else []) + (["f"] if exact_cover else [])
        col = {name: i * d + np.arange(d) for i, name in enumerate(names)}
        self.size = len(names) * d
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        rhs: list[np.ndarray] = []

        def per_district(terms: dict[str, np.ndarray | float], bound: float = 0.0) -> None:
            """One row per district: Σ coef × variable ≤ bound."""
            first = sum(len(r) for r in rhs)
            for name, coef in terms.items():
                rows.append(first + np.arange(d))
                cols.append(col[name])
                vals.append(np.broadcast_to(np.asarray(coef, "float64"), (d,)))
            rhs.append(np.full(d, bound))

        def total(terms: dict[str, float], bound: float) -> None:
            """One row over all districts: Σ coef × variable ≤ bound."""
            first = sum(len(r) for r in rhs)
            for name, coef in terms.items():
                rows.append(np.full(d, first))
                cols.append(col[name])
                vals.append(np.full(d, float(coef)))
            rhs.append(np.array([bound]))

        upper_f = upper.astype("float64")
        full = np.ceil(target / p - 1e-9)  # fewest PEs that cover the whole target
        per_district({"n": 1.0, "y": -upper_f})  # n ≤ U y
        per_district({"y": np.minimum(model.min_pe, upper_f), "n": -1.0})  # m y ≤ n
        per_district({"c": 1.0, "n": -p})  # c ≤ p n
        if with_orw:
            per_district({"n": 1.0, "o": -float(model.pe_per_orw)})  # n ≤ k o
            per_district({"y": 1.0, "o": -1.0})  # a funded district has an ORW (tightens the LP)
        if exact_cover:
            per_district({"n": p, "c": -1.0, "f": -p * upper_f})  # c ≥ p n unless full
            per_district({"f": target, "c": -1.0})  # c ≥ T when full
            per_district({"f": full, "n": -1.0})  # full only with enough PEs
        if cap_pe is not None:
            total({"n": 1.0}, float(cap_pe))
        else:
            cost = {
                "y": model.fixed_usd_month,
                "n": model.pe_stipend_usd_month,
                "c": model.commodity_usd_per_person_month,
            }
            if with_orw:
                cost["o"] = model.orw_salary_usd_month
            total(cost, float(budget or 0.0))
        self.rhs = np.concatenate(rhs)
        self.a = coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(self.rhs), self.size),
        ).tocsr()
        high = {
            "n": upper_f,
            "y": np.ones(d),
            "c": target,
            "o": np.ceil(upper_f / model.pe_per_orw),
            "f": (full <= upper_f).astype("float64"),
        }
        self.bounds = Bounds(np.zeros(self.size), np.concatenate([high[x] for x in names]))
        self.integrality = np.concatenate([np.full(d, 0 if x == "c" else 1) for x in names])
        self.cover = np.zeros(self.size)
        self.cover[col["c"]] = weight
        self.tie = np.zeros(self.size)
        order = np.argsort(np.argsort(rank, kind="stable"), kind="stable")  # 0 = first
        self.tie[col["n"]] = (d - order) / d

    def objective(self, n: np.ndarray) -> float:
        """Σ weight × people covered of ``n`` PEs per district (computed exactly, not solved)."""
        return float(np.sum(self.weight * covered_people(self.target, n, self.model.people_per_pe)))

    def solve(
        self, time_limit_s: float, *, tie_break_at: float | None = None
    ) -> tuple[np.ndarray, float, bool] | None:
        """(PEs per district, proven bound on the objective, proven?) or None if infeasible."""
        a: csr_matrix = self.a
        low_rhs = np.full(len(self.rhs), -np.inf)
        constraints = [LinearConstraint(a, low_rhs, self.rhs)]
        cost = -self.cover
        if tie_break_at is not None:
            floor = tie_break_at - _tolerance(tie_break_at)
            constraints.append(LinearConstraint(self.cover[np.newaxis, :], floor, np.inf))
            cost = -self.tie
        result = milp(
            cost,
            constraints=constraints,
            integrality=self.integrality,
            bounds=self.bounds,
            options={"mip_rel_gap": 0.0, "time_limit": max(time_limit_s, 0.01), "disp": False},
        )
        if result.x is None:
            return None
        n = np.clip(np.rint(result.x[: self.d]).astype("int64"), 0, self.upper)
        n = np.where((n > 0) & (n < self.model.min_pe), 0, n)
        if tie_break_at is None:
            bound = (
                -float(result.mip_dual_bound)
                if getattr(result, "mip_dual_bound", None) is not None
                and np.isfinite(result.mip_dual_bound)
                else self.objective(n)
            )
            proven = result.status == 0
            return n, (self.objective(n) if proven else bound), proven
        return n, 0.0, result.status == 0
