"""Scenario: the frozen set of planning parameters, checked on creation, with the source of every default.

A scenario is what a planner changes in a what-if: ratios (people per peer educator,
PEs per outreach worker), which estimate to plan on (basis and level), the coverage
target, commodity needs, optional costs and an optional cap (PEs or a monthly budget).
Every field has a unit, an allowed range and a source (``SOURCES``), shown in the Excel
parameters sheet, the CLI output and the app's tooltips. ``to_query``/``from_query``
turn a scenario into URL query strings and back so a plan can be shared as a link.
Defaults come from ../shared/DESIGN.md section 3 and the papers it cites.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from planning.schema import SERVICES

BASES = ("peak", "typical")
LEVELS = ("low", "mid", "high")

# Where each default comes from (file names are in ../shared/reference/).
SOURCES: dict[str, str] = {
    "people_per_pe": (
        "1 PE per 50-60 FSW (programmatic-mapping-jmir-2019, Table 1); 1 PE per 60-75 FSW in "
        "Mombasa (same paper); 50-80 per empowerment worker in AMETHIST (amethist-trial-protocol); "
        "Kenya saw better outreach at 1:90 or fewer (engaging-sex-workers-review)"
    ),
    "pe_per_orw": (
        "1 ORW manages 5-6 PEs (programmatic-mapping-jmir-2019, Table 1); 7-10 per ORW in AMETHIST; "
        "Mombasa: 68 PEs and 12 ORWs"
    ),
    "basis": (
        "'the human resource and commodity plan needs to be based on peak estimates so that no one "
        "remains uncovered' (programmatic-mapping-jmir-2019, Table 1)"
    ),
    "level": "mid of the low-high range by default; high when no one must remain uncovered (DESIGN.md s.3)",
    "target": "share of the planning population to reach; 1 = everyone (DESIGN.md s.3)",
    "duplication": (
        "share of people counted at more than one spot; PM adjusts totals for overlap "
        "(programmatic-mapping-jmir-2019, 'Use ... to Estimate Population Size'); default 0, range 0-0.5"
    ),
    "condoms_per_person_month": (
        "Mombasa distributed 35-40 condoms per FSW per month, set from client volume at "
        "registration (programmatic-mapping-jmir-2019)"
    ),
    "lubricant_per_condom": (
        "assumption: the reference papers give no ratio (PM paper Table 1 lists lubricant "
        "distribution); set it from national guidelines"
    ),
    "test_kits_per_person_quarter": "one HIV test per person per quarter (DESIGN.md s.3)",
    "buffer_stock_pct": "assumption: no buffer by default; set your supply chain's buffer stock",
    "pe_stipend_usd_month": (
        "optional; Sisters with a Voice PEs earn USD 15 a month, AMETHIST empowerment workers "
        "USD 50 (amethist-trial-protocol)"
    ),
    "orw_salary_usd_month": "optional; ORW supervisors are salaried social workers in Sisters (amethist-trial-protocol)",
    "condom_unit_cost_usd": "optional; local procurement price",
    "lubricant_unit_cost_usd": "optional; local procurement price",
    "test_kit_unit_cost_usd": "optional; local procurement price",
    "distance_km": "geographic access within D km of a site, default 5 (DESIGN.md s.3)",
    "service": "optional; count only sites offering this service (DESIGN.md s.2: sites.services)",
    "period": "enrolment period; latest when not given (DESIGN.md s.3)",
    "max_pe": (
        "optional cap on PEs: districts funded in priority order, 'saturating coverage of KPs in high "
        "concentration geographies is preferable to spreading services thinly' (DESIGN.md s.3)"
    ),
    "budget_usd_month": (
        "optional monthly budget in USD, turned into affordable PEs at the cost of one PE-month "
        "(stipend + ORW share + commodities of people_per_pe people); needs costs"
    ),
}

UNITS: dict[str, str] = {
    "people_per_pe": "people per PE",
    "pe_per_orw": "PEs per ORW",
    "basis": "peak | typical",
    "level": "low | mid | high",
    "target": "share (0-1)",
    "duplication": "share (0-0.5)",
    "condoms_per_person_month": "condoms per person per month",
    "lubricant_per_condom": "lubricant sachets per condom",
    "test_kits_per_person_quarter": "HIV test kits per person per quarter",
    "buffer_stock_pct": "% added to condoms and lubricant",
    "pe_stipend_usd_month": "USD per PE per month",
    "orw_salary_usd_month": "USD per ORW per month",
    "condom_unit_cost_usd": "USD per condom",
    "lubricant_unit_cost_usd": "USD per sachet",
    "test_kit_unit_cost_usd": "USD per test kit",
    "distance_km": "km",
    "service": "service code",
    "period": "period (e.g. 2026-Q3)",
    "max_pe": "PEs",
    "budget_usd_month": "USD per month",
}

# Allowed ranges (refused outside) and, where the sources give one, the usual range.
RANGES: dict[str, tuple[float, float]] = {
    "people_per_pe": (35, 90),
    "pe_per_orw": (2, 15),
    "target": (0, 1),
    "duplication": (0, 0.5),
    "condoms_per_person_month": (0, 300),
    "lubricant_per_condom": (0, 2),
    "test_kits_per_person_quarter": (0, 13),
    "buffer_stock_pct": (0, 100),
    "pe_stipend_usd_month": (0, 100_000),
    "orw_salary_usd_month": (0, 1_000_000),
    "condom_unit_cost_usd": (0, 100),
    "lubricant_unit_cost_usd": (0, 100),
    "test_kit_unit_cost_usd": (0, 1_000),
    "distance_km": (0.1, 500),
    "max_pe": (0, 10_000_000),
    "budget_usd_month": (0, 1e12),
}
USUAL: dict[str, tuple[float, float]] = {
    "people_per_pe": (50, 75),
    "pe_per_orw": (5, 10),
    "condoms_per_person_month": (35, 40),
}
COST_FIELDS = (
    "pe_stipend_usd_month",
    "orw_salary_usd_month",
    "condom_unit_cost_usd",
    "lubricant_unit_cost_usd",
    "test_kit_unit_cost_usd",
)
_INT_FIELDS = {"people_per_pe", "pe_per_orw", "max_pe"}
_TEXT_FIELDS = {"basis", "level", "service", "period"}


class ScenarioError(ValueError):
    """A scenario parameter is missing, malformed or outside its allowed range."""


def _refusal(name: str, value: Any) -> str:
    low, high = RANGES[name]
    if name == "people_per_pe":
        return (
            f"people_per_pe {value:g} is outside 35–90: programmes plan 1 PE per 50–75 people "
            "(PM paper Table 1: 50–60; Mombasa: 60–75; AMETHIST: 50–80 per worker; Kenya saw "
            "better outreach at ≤ 90). Choose a value between 35 and 90."
        )
    return (
        f"{name} {value:g} is outside {low:g}–{high:g} ({UNITS[name]}); source: {SOURCES[name]}. "
        f"Choose a value between {low:g} and {high:g}."
    )


@dataclass(frozen=True)
class Scenario:
    """Planning parameters with units in their names; ranges are checked on creation (ScenarioError)."""

    people_per_pe: float = 60
    pe_per_orw: float = 6
    basis: str = "peak"
    level: str = "mid"
    target: float = 1.0
    duplication: float = 0.0
    condoms_per_person_month: float = 40
    lubricant_per_condom: float = 0.5
    test_kits_per_person_quarter: float = 1
    buffer_stock_pct: float = 0.0
    pe_stipend_usd_month: float | None = None
    orw_salary_usd_month: float | None = None
    condom_unit_cost_usd: float | None = None
    lubricant_unit_cost_usd: float | None = None
    test_kit_unit_cost_usd: float | None = None
    distance_km: float = 5.0
    service: str | None = None
    period: str | None = None
    max_pe: int | None = None
    budget_usd_month: float | None = None

    def __post_init__(self) -> None:
        for name, (low, high) in RANGES.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ScenarioError(
                    f"{name} {value!r} is not a number ({UNITS[name]}); give a number."
                )
            if not math.isfinite(value):
                raise ScenarioError(
                    f"{name} {value!r} is not a finite number; give a number between {low:g} and {high:g}."
                )
            if not low <= value <= high:
                raise ScenarioError(_refusal(name, value))
        if self.max_pe is not None and int(self.max_pe) != self.max_pe:
            raise ScenarioError(
                f"max_pe {self.max_pe!r} is not a whole number of peer educators; give an integer."
            )
        if self.basis not in BASES:
            raise ScenarioError(
                f"basis {self.basis!r} is not one of {', '.join(BASES)}; source: {SOURCES['basis']}."
            )
        if self.level not in LEVELS:
            raise ScenarioError(
                f"level {self.level!r} is not one of {', '.join(LEVELS)}; source: {SOURCES['level']}."
            )
        if self.service not in (None, *SERVICES):
            raise ScenarioError(
                f"service {self.service!r} is not one of {', '.join(SERVICES)}; leave it empty for any site."
            )
        if self.max_pe is not None and self.budget_usd_month is not None:
            raise ScenarioError(
                f"max_pe {self.max_pe} and budget_usd_month {self.budget_usd_month:g} are both set; "
                "give one cap only (--max-pe or --budget)."
            )
        if self.budget_usd_month is not None and not self.costed_items():
            raise ScenarioError(
                f"budget_usd_month {self.budget_usd_month:g} needs costs to turn money into peer educators; "
                "set at least pe_stipend_usd_month (e.g. 15 as in Sisters) and the other unit costs you know."
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

    def commodity_cost_usd_per_person_month(self) -> float:
        """USD of commodities for one person reached for one month (unset unit costs count as 0)."""
        condoms = self.condoms_per_person_month * (1 + self.buffer_stock_pct / 100)
        return (
            condoms * (self.condom_unit_cost_usd or 0.0)
            + condoms * self.lubricant_per_condom * (self.lubricant_unit_cost_usd or 0.0)
            + self.test_kits_per_person_quarter / 3 * (self.test_kit_unit_cost_usd or 0.0)
        )

    def cost_usd_per_pe_month(self) -> float:
        """USD for one PE-month: stipend + 1/pe_per_orw of an ORW salary + commodities of people_per_pe people."""
        return (
            (self.pe_stipend_usd_month or 0.0)
            + (self.orw_salary_usd_month or 0.0) / self.pe_per_orw
            + self.people_per_pe * self.commodity_cost_usd_per_person_month()
        )

    def warnings(self) -> list[str]:
        """Advisory notes for values inside the allowed range but outside the usual one."""
        notes = []
        for name, (low, high) in USUAL.items():
            value = getattr(self, name)
            if not low <= value <= high:
                notes.append(
                    f"{name} {value:g} is outside the usual {low:g}–{high:g} ({SOURCES[name]})."
                )
        return notes

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
        """A scenario from query strings (or numbers, e.g. dataset.toml [parameters]); empty values mean default.

        Unknown keys are ignored (pages carry other query parameters) unless ``strict``.
        """
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(query) - names)
        if strict and unknown:
            raise ScenarioError(
                f"unknown scenario parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}."
            )
        values: dict[str, Any] = {}
        for name in names & set(query):
            raw = query[name]
            if raw is None or (
                isinstance(raw, str) and raw.strip() in ("", "None", "none", "null")
            ):
                continue
            values[name] = _parse(name, raw)
        return cls(**values)


def _parse(name: str, raw: Any) -> Any:
    if name in _TEXT_FIELDS:
        return str(raw).strip()
    if isinstance(raw, bool):
        raise ScenarioError(f"{name} {raw!r} is not a number ({UNITS[name]}); give a number.")
    if isinstance(raw, (int, float)):
        value = raw
    else:
        try:
            value = float(str(raw).strip().replace(",", ""))
        except ValueError:
            raise ScenarioError(
                f"{name} {raw!r} is not a number ({UNITS[name]}); give a number."
            ) from None
    if name in _INT_FIELDS and float(value).is_integer():
        return int(value)
    return value


def parameter_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """One row per parameter: name, value, unit, allowed range, source (Excel sheet, CLI, tooltips)."""
    rows = []
    for f in fields(scenario):
        value = getattr(scenario, f.name)
        low_high = RANGES.get(f.name)
        rows.append(
            {
                "parameter": f.name,
                "value": "not set" if value is None else value,
                "unit": UNITS[f.name],
                "allowed": f"{low_high[0]:g}–{low_high[1]:g}" if low_high else "",
                "source": SOURCES[f.name],
            }
        )
    return rows
