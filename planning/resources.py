"""Resources a plan needs per area: peer educators, outreach workers, commodities and costs.

Formulas (DESIGN.md s.3), per district (a region or the nation is the SUM of its districts,
never recomputed, because PEs and ORWs are whole people hired district by district):

- peer_educators      = ⌈planning_population × target ÷ people_per_pe⌉ (pe_count_from "ratio"),
                        or ⌈caseloads × target⌉ (pe_count_from "caseloads": the district's
                        caseload count from planning.caseloads, given by the caller)
- outreach_workers    = ⌈peer_educators ÷ pe_per_orw⌉           (Mombasa: ⌈68 ÷ 6⌉ = 12)
- condoms_per_month   = planning_population × target × condoms_per_person_month
                        × (1 + buffer_stock_pct/100)
- lubricant_per_month = condoms_per_month × lubricant_per_condom
- test_kits_per_month = planning_population × target × test_kits_per_person_quarter ÷ 3
                        (no buffer, as specified)
- cost_usd_month      = PEs × stipend + ORWs × salary + commodities × unit costs (items not set are
  not costed; all NaN when no cost is set), cost_usd_year = 12 × cost_usd_month.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from planning.scenario import Scenario

# Integer results computed from floats (e.g. 9208 × 0.7 ÷ 60) must not round up because of
# binary representation error: subtract a tolerance far below one person before ceil.
CEIL_EPSILON = 1e-9

RESOURCE_COLUMNS = [
    "peer_educators",
    "outreach_workers",
    "condoms_per_month",
    "lubricant_per_month",
    "test_kits_per_month",
    "cost_usd_month",
    "cost_usd_year",
]


def ceil_people(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """⌈values⌉ as int64 with a tolerance so that exact integers held as floats stay put."""
    arr: npt.NDArray[np.float64] = np.asarray(values, dtype="float64")
    return np.maximum(np.ceil(arr - CEIL_EPSILON * np.maximum(1.0, np.abs(arr))), 0).astype("int64")


def peer_educators_needed(
    planning_population: npt.ArrayLike, people_per_pe: float, target: float = 1.0
) -> npt.NDArray[np.int64]:
    """⌈planning_population × target ÷ people_per_pe⌉ per area (DESIGN.md s.3; PM paper Table 1)."""
    if people_per_pe <= 0:
        raise ValueError(f"people_per_pe {people_per_pe!r} must be > 0; use 50–75 (DESIGN.md s.3).")
    return ceil_people(np.asarray(planning_population, dtype="float64") * target / people_per_pe)


def peer_educators_from_caseloads(
    caseloads: npt.ArrayLike, target: float = 1.0
) -> npt.NDArray[np.int64]:
    """⌈caseloads × target⌉ per area: the caseloads of all mapped spots at a 100% target, the
    same share of them as of people below it (parameter pe_count_from)."""
    counts = np.asarray(caseloads, dtype="float64")
    if (counts < 0).any() or not np.isfinite(counts).all():
        raise ValueError(
            f"caseloads {counts[(counts < 0) | ~np.isfinite(counts)][:3].tolist()} are not "
            "counts; give whole numbers >= 0 (one per district, from planning.caseloads)."
        )
    return ceil_people(counts * target)


def outreach_workers_needed(
    peer_educators: npt.ArrayLike, pe_per_orw: float
) -> npt.NDArray[np.int64]:
    """⌈peer_educators ÷ pe_per_orw⌉ per area.

    PM paper: 1 ORW per 5–6 PEs; Mombasa 68 PEs → 12 ORWs.
    """
    if pe_per_orw <= 0:
        raise ValueError(f"pe_per_orw {pe_per_orw!r} must be > 0; use 5–6 (PM paper Table 1).")
    return ceil_people(np.asarray(peer_educators, dtype="float64") / pe_per_orw)


def condoms_per_month(
    planning_population: npt.ArrayLike,
    condoms_per_person_month: float,
    target: float = 1.0,
    buffer_stock_pct: float = 0.0,
) -> npt.NDArray[np.float64]:
    """planning_population × target × condoms_per_person_month × (1 + buffer_stock_pct/100).

    (Mombasa: 35–40.)
    """
    return (
        np.asarray(planning_population, dtype="float64")
        * target
        * condoms_per_person_month
        * (1 + buffer_stock_pct / 100)
    )


def resource_table(
    areas: pd.DataFrame, scenario: Scenario, *, caseloads: npt.ArrayLike | None = None
) -> pd.DataFrame:
    """A copy of ``areas`` (needs ``planning_population``) plus RESOURCE_COLUMNS computed per row.

    ``caseloads`` (one count per row) is required when the scenario counts PEs from caseloads
    and refused otherwise. Use it on district rows; aggregate upward with ``sum_resources``
    rather than recomputing.
    """
    if "planning_population" not in areas.columns:
        raise KeyError(
            f"resource_table needs a 'planning_population' column; got {list(areas.columns)}. "
            "Build it with planning.coverage.coverage_table first."
        )
    s = scenario
    out = areas.copy()
    pop = out["planning_population"].astype("float64").fillna(0.0).to_numpy()
    if s.pe_from_caseloads:
        if caseloads is None:
            raise ValueError(
                "resource_table: the scenario counts PEs from caseloads (pe_count_from "
                "'caseloads') but no caseload counts were given; pass caseloads=, one per row."
            )
        counts = np.asarray(caseloads, dtype="float64")
        if counts.shape != (len(out),):
            raise ValueError(
                f"resource_table: {counts.size} caseload counts for {len(out)} rows; "
                "give one count per row, in the rows' order."
            )
        pes = peer_educators_from_caseloads(counts, s.target)
    elif caseloads is not None:
        raise ValueError(
            "resource_table: caseload counts given but the scenario counts PEs at "
            f"1 per {s.people_per_pe:g} people; set pe_count_from='caseloads' to use them."
        )
    else:
        pes = peer_educators_needed(pop, s.people_per_pe, s.target)
    orws = outreach_workers_needed(pes, s.pe_per_orw)
    condoms = condoms_per_month(pop, s.condoms_per_person_month, s.target, s.buffer_stock_pct)
    lubricant = condoms * s.lubricant_per_condom
    kits = pop * s.target * s.test_kits_per_person_quarter / 3
    out["peer_educators"] = pes
    out["outreach_workers"] = orws
    out["condoms_per_month"] = condoms
    out["lubricant_per_month"] = lubricant
    out["test_kits_per_month"] = kits
    if s.costed:
        cost = (
            pes * (s.pe_stipend_usd_month or 0.0)
            + orws * (s.orw_salary_usd_month or 0.0)
            + condoms * (s.condom_unit_cost_usd or 0.0)
            + lubricant * (s.lubricant_unit_cost_usd or 0.0)
            + kits * (s.test_kit_unit_cost_usd or 0.0)
        )
    else:
        cost = np.full(len(out), np.nan)
    out["cost_usd_month"] = cost
    out["cost_usd_year"] = cost * 12
    return out


def sum_resources(districts: pd.DataFrame) -> dict[str, float]:
    """Totals of RESOURCE_COLUMNS over district rows (NaN cost stays NaN): the national figures."""
    totals: dict[str, float] = {}
    for column in RESOURCE_COLUMNS:
        if column not in districts.columns:
            continue
        series = districts[column]
        if column in ("peer_educators", "outreach_workers"):
            totals[column] = int(series.sum())
        else:
            totals[column] = float(series.sum(min_count=1)) if len(series) else 0.0
    return totals
