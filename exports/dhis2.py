"""DHIS2 out: a plan's district estimates and targets as a data value set for a population-
estimates data set (``cli.py plan --dhis2-out FILE.json``).

``dataset.toml`` names the data elements (and optionally the data set and period)::

    [dhis2.export]
    data_set = "PopEstKP001"        # optional
    period = "2025"                 # optional; --dhis2-period overrides it
    [dhis2.export.data_elements]    # plan column = data element uid (or "de.coc" operand)
    estimate_mid = "EstMidKP001"
    peer_educators = "PeersKP0001"

Org units are the districts' DHIS2 ids (the boundaries' codes, or org_units.json matched by
name); values are whole numbers, each with a comment stating its basis and assumptions.
The file holds district aggregates only, never a hotspot.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from data_loaders.dhis2 import UID, Dhis2Error, operands
from planning.plan import Plan

# Plan district columns that can be exported (people, PEs, ORWs, commodities per month, USD)
EXPORTABLE = (
    "hotspots", "estimate_low", "estimate_mid", "estimate_high", "planning_population", "gap",
    "peer_educators", "outreach_workers", "condoms_per_month", "lubricant_per_month",
    "test_kits_per_month", "cost_usd_month", "funded_peer_educators", "covered_population",
)  # fmt: skip
# Yearly, quarterly, monthly, six-monthly and financial-year DHIS2 periods
PERIOD = re.compile(r"^\d{4}(?:Q[1-4]|0[1-9]|1[0-2]|S[12]|April|July|Oct|Nov)?$")


class Dhis2ExportError(Dhis2Error):
    """The export cannot be written as asked (the message names the setting and the fix)."""


@dataclass(frozen=True)
class ExportSettings:
    """What to write: plan column -> (data element, category option combo), the period and the
    data set (optional)."""

    data_elements: dict[str, tuple[str, str | None]]
    period: str
    data_set: str | None = None


def export_settings(settings: dict[str, Any], period: str | None) -> ExportSettings:
    """``[dhis2.export]`` of dataset.toml with ``period`` (the CLI flag) taking precedence;
    raises Dhis2ExportError naming what is wrong."""
    section = settings.get("dhis2")
    export = section.get("export") if isinstance(section, dict) else None
    export = export if isinstance(export, dict) else {}
    elements = export.get("data_elements")
    if not isinstance(elements, dict) or not elements:
        raise Dhis2ExportError(
            "dataset.toml names no data elements to export: add [dhis2.export.data_elements] "
            f'with plan columns such as estimate_mid = "<uid>" (columns: {", ".join(EXPORTABLE)})'
        )
    out = operands(elements, "dhis2.export.data_elements", EXPORTABLE, Dhis2ExportError)
    chosen = period if period is not None else export.get("period")
    if not isinstance(chosen, str) or not PERIOD.match(chosen):
        raise Dhis2ExportError(
            f"DHIS2 period {chosen!r} is not one DHIS2 accepts: give --dhis2-period (or "
            '[dhis2.export] period) as "2025", "2025Q1", "202501" or "2025April"'
        )
    data_set = export.get("data_set")
    if data_set is not None and (not isinstance(data_set, str) or not UID.match(data_set)):
        raise Dhis2ExportError(
            f"dataset.toml [dhis2.export] data_set = {data_set!r} is not a DHIS2 uid"
        )
    return ExportSettings(out, chosen, data_set)


def _basis(plan: Plan) -> str:
    """The assumptions behind every exported number, as one comment."""
    s = plan.scenario
    return (
        f"{plan.dataset_name}: {s.basis}-day mapping estimates, {s.level} level, target "
        f"{s.target:.0%}, 1 PE per {s.people_per_pe:g} people, 1 ORW per {s.pe_per_orw:g} PEs, "
        f"{s.condoms_per_person_month:g} condoms per person per month"
        + ("; SYNTHETIC DEMO DATA" if plan.synthetic else "")
    )


def data_value_set(
    plan: Plan, export: ExportSettings, org_unit_of: dict[str, str]
) -> dict[str, Any]:
    """The plan's districts as a DHIS2 data value set; raises Dhis2ExportError when a district has
    no org unit id or a column is not in the plan."""
    districts = plan.districts
    missing_columns = [c for c in export.data_elements if c not in districts.columns]
    if missing_columns:
        raise Dhis2ExportError(
            f"the plan has no column {', '.join(missing_columns)} (costs need costed "
            "parameters; funded_peer_educators a cap): remove it from "
            "[dhis2.export.data_elements] or plan with those parameters"
        )
    unplaced = [d for d in districts["district"] if d not in org_unit_of]
    if unplaced:
        raise Dhis2ExportError(
            f"{len(unplaced)} district(s) have no DHIS2 org unit id ({', '.join(unplaced[:10])}"
            f"{' …' if len(unplaced) > 10 else ''}): use boundaries from DHIS2 (their ids are "
            "kept) or put org_units.json beside the dataset with districts of the same names"
        )
    comment = _basis(plan)
    values = []
    for row in districts.itertuples(index=False):
        record = row._asdict()
        for column, (element, combo) in export.data_elements.items():
            number = record[column]
            if number is None or (isinstance(number, float) and not math.isfinite(number)):
                continue
            value: dict[str, Any] = {
                "dataElement": element,
                "period": export.period,
                "orgUnit": org_unit_of[record["district"]],
                "value": str(round(float(number))),
                "comment": f"{column}; {comment}",
            }
            if combo is not None:
                value["categoryOptionCombo"] = combo
            values.append(value)
    payload: dict[str, Any] = {}
    if export.data_set is not None:
        payload["dataSet"] = export.data_set
    payload["period"] = export.period
    payload["dataValues"] = values
    return payload
