"""Scenario: the frozen set of planning parameters, checked on creation, with the source of every
default.

A scenario is what a planner changes in a what-if: ratios (people per peer educator,
PEs per outreach worker), which estimate to plan on (basis and level), the coverage
target, how PEs are counted (``pe_count_from``: the people-per-PE ratio, or each district's
caseloads as the Outreach page makes them), commodity needs, optional costs and an optional cap
(PEs or a monthly budget).
Every field is defined once in planning.parameters (label, unit, default, allowed range,
source), shown in the Excel parameters sheet, the CLI help and the app's tooltips.
``to_query``/``from_query`` turn a scenario into URL query strings and back so a plan can be
shared as a link.
Defaults come from ../shared/DESIGN.md section 3 and the papers it cites.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from planning.parameters import (
    PARAMETERS,
    Group,
    ParameterError,
    default_number,
    default_text,
    default_whole,
    in_group,
)

# Views of planning.parameters for the scenario's fields (the one definition of each parameter).
SCENARIO_GROUPS: tuple[Group, ...] = ("scenario", "costs", "cap", "allocation", "sites")
_SCENARIO_PARAMETERS = {p.name: p for p in in_group(*SCENARIO_GROUPS)}
SOURCES: dict[str, str] = {name: p.source for name, p in _SCENARIO_PARAMETERS.items()}
UNITS: dict[str, str] = {name: p.unit for name, p in _SCENARIO_PARAMETERS.items()}
RANGES: dict[str, tuple[float, float]] = {
    name: (p.low, p.high)
    for name, p in _SCENARIO_PARAMETERS.items()
    if p.low is not None and p.high is not None
}
COST_FIELDS = tuple(p.name for p in in_group("costs"))


class ScenarioError(ParameterError):
    """A scenario parameter is missing, malformed or outside its allowed range."""


@dataclass(frozen=True)
class Scenario:
    """Planning parameters with units in their names; ranges are checked on creation
    (ScenarioError)."""

    people_per_pe: float = default_number("people_per_pe")
    pe_per_orw: int = default_whole("pe_per_orw")
    basis: str = default_text("basis")
    level: str = default_text("level")
    target: float = default_number("target")
    duplication: float = default_number("duplication")
    condoms_per_person_month: float = default_number("condoms_per_person_month")
    lubricant_per_condom: float = default_number("lubricant_per_condom")
    test_kits_per_person_quarter: float = default_number("test_kits_per_person_quarter")
    buffer_stock_pct: float = default_number("buffer_stock_pct")
    pe_stipend_usd_month: float | None = None
    orw_salary_usd_month: float | None = None
    condom_unit_cost_usd: float | None = None
    lubricant_unit_cost_usd: float | None = None
    test_kit_unit_cost_usd: float | None = None
    distance_km: float = default_number("distance_km")
    service: str | None = None
    period: str | None = None
    pe_count_from: str = default_text("pe_count_from")
    max_pe: int | None = None
    budget_usd_month: float | None = None
    district_fixed_usd_month: float = default_number("district_fixed_usd_month")
    min_pe_per_district: int | None = None
    new_sites: int = default_whole("new_sites")

    def __post_init__(self) -> None:
        # Every field is checked against its one definition (planning.parameters); whole numbers
        # of integer parameters are stored as int so equal scenarios hash alike.
        for f in fields(self):
            value = PARAMETERS[f.name].check(getattr(self, f.name), ScenarioError)
            object.__setattr__(self, f.name, value)
        if self.max_pe is not None and self.budget_usd_month is not None:
            raise ScenarioError(
                f"max_pe {self.max_pe} and budget_usd_month {self.budget_usd_month:g} "
                "are both set; "
                "give one cap only (--max-pe or --budget)."
            )
        if (
            self.budget_usd_month is not None
            and not self.costed_items()
            and not self.district_fixed_usd_month
        ):
            raise ScenarioError(
                f"budget_usd_month {self.budget_usd_month:g} needs costs to turn money into "
                "peer educators; set at least pe_stipend_usd_month (e.g. 15 as in Sisters) and "
                "the other unit costs you know, or a district_fixed_usd_month."
            )

    # --- derived ------------------------------------------------------------------
    def costed_items(self) -> list[str]:
        """Names of the cost parameters that are set (the others are 'not costed')."""
        return [name for name in COST_FIELDS if getattr(self, name) is not None]

    @property
    def costed(self) -> bool:
        """True when at least one cost parameter is set (costs then cover only the set items)."""
        return bool(self.costed_items())

    @property
    def cap(self) -> str | None:
        """'max_pe', 'budget_usd_month' or None: which allocation cap is active."""
        if self.max_pe is not None:
            return "max_pe"
        if self.budget_usd_month is not None:
            return "budget_usd_month"
        return None

    def minimum_programme_pe(self) -> int:
        """PEs a funded district gets at least: ``min_pe_per_district``, else ``pe_per_orw``."""
        return int(self.min_pe_per_district or self.pe_per_orw)

    @property
    def pe_from_caseloads(self) -> bool:
        """True when each district's PEs are its caseload count (``pe_count_from="caseloads"``)."""
        return self.pe_count_from == "caseloads"

    def pe_count_rule(self) -> str:
        """Which rule gave the PE count, in words: "PEs counted from caseloads (walking limit
        3 km)" or "PEs at 1 per 60 people" (pages, captions and headline details)."""
        if self.pe_from_caseloads:
            limit = default_number("walking_limit_km")
            return f"PEs counted from caseloads (walking limit {limit:g} km)"
        return f"PEs at 1 per {self.people_per_pe:g} people"

    def pe_count_formula(self) -> str:
        """The PE rule as a formula for tooltips (per district; regions and the nation sum)."""
        if self.pe_from_caseloads:
            limit = default_number("walking_limit_km")
            return (
                "⌈caseloads × target⌉ per district: the caseloads the Outreach page makes of the "
                f"district's hotspots, at most {self.people_per_pe:g} people each, every spot "
                f"within {limit:g} km of its caseload's centre (planning.caseloads)."
            )
        return "⌈planning population × target ÷ people per PE⌉ per district (DESIGN.md s.3)."

    def commodity_cost_usd_per_person_month(self) -> float:
        """USD of commodities for one person reached for one month (unset unit costs count as 0)."""
        condoms = self.condoms_per_person_month * (1 + self.buffer_stock_pct / 100)
        return (
            condoms * (self.condom_unit_cost_usd or 0.0)
            + condoms * self.lubricant_per_condom * (self.lubricant_unit_cost_usd or 0.0)
            + self.test_kits_per_person_quarter / 3 * (self.test_kit_unit_cost_usd or 0.0)
        )

    def cost_usd_per_pe_month(self) -> float:
        """USD for one PE-month: stipend + 1/pe_per_orw of an ORW salary + commodities of
        people_per_pe people."""
        return (
            (self.pe_stipend_usd_month or 0.0)
            + (self.orw_salary_usd_month or 0.0) / self.pe_per_orw
            + self.people_per_pe * self.commodity_cost_usd_per_person_month()
        )

    def warnings(self) -> list[str]:
        """Advisory notes for values inside the allowed range but outside the usual one."""
        notes = (PARAMETERS[f.name].usual_note(getattr(self, f.name)) for f in fields(self))
        return [note for note in notes if note]

    def to_dict(self) -> dict[str, Any]:
        """All fields as plain values (None where unset)."""
        return asdict(self)

    def replace(self, **changes: Any) -> Scenario:
        """A new scenario with ``changes`` applied and checked."""
        return replace(self, **changes)

    # --- URLs ---------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        """Non-default fields as URL query strings (``from_query`` reverses it)."""
        default = Scenario()
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == getattr(default, f.name):
                continue
            out[f.name] = (
                value
                if isinstance(value, str)
                else f"{value:g}"
                if isinstance(value, float)
                else str(value)
            )
        return out

    @classmethod
    def from_query(cls, query: Mapping[str, Any], *, strict: bool = False) -> Scenario:
        """A scenario from query strings (or numbers, e.g. dataset.toml [parameters]); empty values
        mean default.

        Unknown keys are ignored (pages carry other query parameters) unless ``strict``.
        """
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(query) - names)
        if strict and unknown:
            raise ScenarioError(
                f"unknown scenario parameter(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(names))}."
            )
        values: dict[str, Any] = {}
        for name in names & set(query):
            raw = query[name]
            if raw is None or (
                isinstance(raw, str) and raw.strip() in ("", "None", "none", "null")
            ):
                continue
            values[name] = PARAMETERS[name].check(raw, ScenarioError)
        return cls(**values)


def parameter_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """One row per parameter: name, label, value, unit, allowed range, source or assumption
    (the Excel parameters sheet; from planning.parameters)."""
    rows = []
    for f in fields(scenario):
        p = PARAMETERS[f.name]
        value = getattr(scenario, f.name)
        rows.append(
            {
                "parameter": f.name,
                "label": p.label,
                "value": "not set" if value is None else value,
                "unit": p.unit,
                "allowed": p.allowed_text(),
                "source": ("assumption: " if p.assumption else "") + p.source,
            }
        )
    return rows
