"""Scenario comparison: two or more plans side by side, per district and in total, with differences.

The first plan in the mapping is the base; every other plan gets a difference column
``<figure>_diff_<name>`` = that plan − base (DESIGN.md s.1: "what does a budget buy?").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # planning.plan imports nothing from here; avoid a cycle at import time
    from planning.plan import Plan

KEY_FIGURES = [
    "planning_population",
    "enrolled",
    "coverage_mid",
    "gap",
    "peer_educators",
    "outreach_workers",
    "condoms_per_month",
    "cost_usd_month",
    "share_within_distance",
    "priority_rank",
    "funded_peer_educators",
    "covered_population",
]
TOTAL_LABEL = "Total"


def _figures(plans: Mapping[str, Plan]) -> list[str]:
    present = set()
    for plan in plans.values():
        present |= set(plan.districts.columns)
    return [f for f in KEY_FIGURES if f in present]


def compare_plans(plans: Mapping[str, Plan]) -> pd.DataFrame:
    """Per district (and a final "Total" row): ``<figure>_<name>`` for each plan.

    Also ``<figure>_diff_<name>``: each later plan minus the first.
    Columns: district, region, then per key figure the plans' values and differences. Figures a
    plan lacks (e.g. funded PEs without a cap) are NaN for it. Totals come from each plan's
    ``totals`` (sums of districts; ratios recomputed); the Total row's priority_rank is NaN.
    """
    if len(plans) < 2:
        raise ValueError(
            f"compare_plans needs two or more plans; got {len(plans)} ({list(plans)})."
        )
    names = [str(n) for n in plans]
    if len(set(names)) != len(names):
        raise ValueError(
            f"compare_plans: plan names {names} repeat; give each scenario a distinct name."
        )
    figures = _figures(plans)
    base_name = names[0]
    frame: pd.DataFrame | None = None
    for name, plan in zip(names, plans.values()):
        d = plan.districts
        part = pd.DataFrame(
            {"district": d["district"].astype("str"), "region": d["region"].astype("str")}
        )
        for f in figures:
            part[f"{f}_{name}"] = d[f].to_numpy(dtype="float64") if f in d.columns else np.nan
        total: dict[str, str | float] = {"district": TOTAL_LABEL, "region": ""}
        for f in figures:
            value = plan.totals.get(f, np.nan) if f != "priority_rank" else np.nan
            total[f"{f}_{name}"] = np.nan if value is None else float(value)
        part = pd.concat([part, pd.DataFrame([total])], ignore_index=True)
        if frame is None:
            frame = part
        else:
            frame = frame.merge(part.drop(columns="region"), on="district", how="outer", sort=False)
    assert frame is not None
    ordered = ["district", "region"]
    for f in figures:
        ordered += [f"{f}_{n}" for n in names]
        for n in names[1:]:
            frame[f"{f}_diff_{n}"] = frame[f"{f}_{n}"] - frame[f"{f}_{base_name}"]
            ordered.append(f"{f}_diff_{n}")
    # Total last, districts in the base plan's order.
    is_total = frame["district"] == TOTAL_LABEL
    frame = pd.concat([frame[~is_total], frame[is_total]], ignore_index=True)
    frame["region"] = frame["region"].fillna("")
    return frame[ordered]


def compare_totals(plans: Mapping[str, Plan]) -> pd.DataFrame:
    """One row per key figure: its total in each plan and each plan's difference from the first."""
    table = compare_plans(plans)
    total = table[table["district"] == TOTAL_LABEL].iloc[0]
    names = [str(n) for n in plans]
    rows = []
    for f in _figures(plans):
        if f == "priority_rank":
            continue
        row = {"figure": f}
        for n in names:
            row[n] = total[f"{f}_{n}"]
        for n in names[1:]:
            row[f"diff_{n}"] = total[f"{f}_diff_{n}"]
        rows.append(row)
    return pd.DataFrame(rows)
