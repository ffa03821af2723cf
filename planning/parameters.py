"""Every planning parameter, defined once: name, label, unit, default, allowed range, source.

The scenario (``planning.scenario.Scenario``), the caseload and outreach parameter objects
(``planning.caseloads.CaseloadParams``, ``planning.outreach.OutreachParams``), the command-line
flags and their help (commands/), the page controls and their tooltips (pages/) and the Excel
parameters sheet (exports/excel_plan.py) are generated from, or checked against, ``PARAMETERS``
(tests/planning/test_parameters.py). A value outside its allowed range gets the same message
everywhere: ``Parameter.check`` writes it.

Each parameter has one allowed range (refused outside) and, where the sources give a narrower
band, a usual range (an advisory note outside it). Sources are the reference papers in
../shared/reference/ (cited by file name) and DESIGN.md section 3; a default no source gives
is marked as an assumption.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from planning.schema import SERVICES

Kind = Literal["int", "float", "choice", "text", "bool"]
Value = float | int | str | bool | None
Group = Literal["scenario", "costs", "cap", "caseloads", "outreach"]

BASES = ("peak", "typical")
LEVELS = ("low", "mid", "high")

PM = "programmatic-mapping-jmir-2019"
AMETHIST = "amethist-trial-protocol"
REVIEW = "engaging-sex-workers-review"


class ParameterError(ValueError):
    """A parameter value is missing, malformed or outside its allowed range (the message says
    which)."""


@dataclass(frozen=True)
class Parameter:
    """One parameter: what it is, its unit, default, allowed range and where the default comes
    from."""

    name: str
    label: str
    unit: str
    default: Value
    source: str
    kind: Kind = "float"
    group: Group = "scenario"
    low: float | None = None
    high: float | None = None
    low_exclusive: bool = False
    allow_inf: bool = False
    choices: tuple[str, ...] = ()
    usual: tuple[float, float] | None = None
    assumption: bool = False
    optional: bool = False
    flag: str = ""
    metavar: str = "N"
    step: float | None = None
    percent: bool = False

    # --- text -------------------------------------------------------------------------------
    @property
    def cli_flag(self) -> str:
        """The command-line flag, e.g. ``--people-per-pe``."""
        return self.flag or "--" + self.name.replace("_", "-")

    def allowed_text(self) -> str:
        """The allowed values in words: "50–90", "> 0 (inf: no limit)", "peak or typical"."""
        if self.kind == "choice":
            return " or ".join(self.choices)
        if self.kind in ("text", "bool"):
            return ""
        if self.low is not None and self.high is not None:
            return f"{_num(self.low)}–{_num(self.high)}"
        if self.low is not None:
            sign = ">" if self.low_exclusive else "≥"
            return f"{sign} {_num(self.low)}" + (" (inf: no limit)" if self.allow_inf else "")
        return ""

    def default_text(self) -> str:
        """The default as shown in help and tooltips ("not set" for optional parameters)."""
        if self.default is None:
            return "not set"
        if self.kind == "bool":
            return "on" if self.default else "off"
        if isinstance(self.default, float | int):
            return f"{self.default * 100:g}%" if self.percent else _num(self.default)
        return str(self.default)

    def help_text(self) -> str:
        """One line for ``--help``: label, allowed range and unit, default (shares as shares)."""
        allowed = self.allowed_text()
        if self.kind in ("choice", "text", "bool"):
            what = allowed or self.unit
        else:
            what = f"{allowed} {self.unit}".strip()
        raw = self.default
        default = (
            "not set" if raw is None else _num(raw) if isinstance(raw, int | float) else str(raw)
        )
        if isinstance(raw, bool):
            default = "on" if raw else "off"
        text = f"{self.label}: {what}; default {default}"
        if self.assumption:
            text += " (an assumption)"
        # argparse formats help with %; a literal percent sign is written %%
        return text.replace("%", "%%")

    def tooltip(self) -> str:
        """The tooltip of a page control: source (or assumption), allowed range, usual range."""
        text = f"{'Assumption' if self.assumption else 'Source'}: {self.source}."
        allowed = self.allowed_text()
        if allowed and self.kind not in ("choice", "text", "bool"):
            text += f" Allowed {allowed} ({self.unit})."
        if self.usual is not None:
            text += f" Usual {self.usual[0]:g}–{self.usual[1]:g}."
        return text

    def refusal(self, value: object) -> str:
        """The message for a value outside the allowed range (the same on every page and
        command)."""
        shown = (
            f"{value:g}"
            if isinstance(value, float | int) and not isinstance(value, bool)
            else repr(value)
        )
        where = (
            f"is outside {self.allowed_text()} ({self.unit})"
            if self.high is not None
            else f"must be {self._range_phrase()} "
            f"({self.unit}{'; inf: no limit' if self.allow_inf else ''})"
        )
        return (
            f"{self.name} {shown} {where}; "
            f"{'assumption' if self.assumption else 'source'}: {self.source}. "
            f"Give a value {self._range_phrase()}."
        )

    def _range_phrase(self) -> str:
        if self.low is not None and self.high is not None:
            return f"between {self.low:g} and {self.high:g}"
        if self.low is not None:
            return f"{'above' if self.low_exclusive else 'at least'} {self.low:g}"
        return "in range"

    # --- checking ---------------------------------------------------------------------------
    def check(self, value: object, error: type[Exception] = ParameterError) -> Value:
        """``value`` converted to the parameter's type, or ``error`` with a message naming the fix.

        Accepts numbers and their text forms ("60", "1,000", "inf"); None only when optional.
        """
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.optional or self.kind in ("text",):
                return None
            raise error(
                f"{self.name} is missing; give {self.allowed_text() or 'a value'} ({self.unit})."
            )
        if self.kind == "bool":
            return self._check_bool(value, error)
        if self.kind == "text":
            return str(value).strip()
        if self.kind == "choice":
            text = str(value).strip()
            if text not in self.choices:
                raise error(
                    f"{self.name} {value!r} is not one of {', '.join(self.choices)}; "
                    f"{'assumption' if self.assumption else 'source'}: {self.source}."
                )
            return text
        number = self._number(value, error)
        if math.isinf(number) and self.allow_inf and number > 0:
            return number
        if not math.isfinite(number):
            raise error(
                f"{self.name} {value!r} is not a finite number; "
                f"give a value {self._range_phrase()}."
            )
        too_low = self.low is not None and (
            number <= self.low if self.low_exclusive else number < self.low
        )
        too_high = self.high is not None and number > self.high
        if too_low or too_high:
            raise error(self.refusal(number))
        if self.kind == "int":
            if not float(number).is_integer():
                raise error(
                    f"{self.name} {number:g} is not a whole number ({self.unit}); give an integer."
                )
            return int(number)
        if float(number).is_integer() and not isinstance(value, float):
            return int(number)  # "60" and 60 stay whole numbers; 60.0 stays a float
        return number

    def _number(self, value: object, error: type[Exception]) -> float:
        if isinstance(value, bool):
            raise error(f"{self.name} {value!r} is not a number ({self.unit}); give a number.")
        if isinstance(value, int | float):
            return value
        try:
            return float(str(value).strip().replace(",", ""))
        except ValueError:
            raise error(
                f"{self.name} {value!r} is not a number ({self.unit}); give a number."
            ) from None

    def _check_bool(self, value: object, error: type[Exception]) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise error(f"{self.name} {value!r} is not true or false; give true or false.")

    def usual_note(self, value: Value) -> str | None:
        """An advisory note when ``value`` is allowed but outside the usual range, else None."""
        if self.usual is None or not isinstance(value, float | int) or isinstance(value, bool):
            return None
        low, high = self.usual
        if low <= value <= high:
            return None
        return f"{self.name} {value:g} is outside the usual {low:g}–{high:g} ({self.source})."


_PARAMETERS: tuple[Parameter, ...] = (
    # --- scenario: ratios and estimate ------------------------------------------------------
    Parameter(
        "people_per_pe",
        "People per peer educator",
        "people per PE",
        60,
        f"1 PE per 50-60 FSW ({PM}, Table 1); 1 PE per 60-75 FSW in Mombasa (same paper); "
        f"50-80 per empowerment worker in AMETHIST ({AMETHIST}); Kenya saw better outreach at "
        f"1:90 or fewer ({REVIEW})",
        low=50,
        high=90,
        usual=(50, 75),
        step=1,
    ),
    Parameter(
        "pe_per_orw",
        "Peer educators per outreach worker",
        "PEs per ORW",
        6,
        f"1 ORW manages 5-6 PEs ({PM}, Table 1); 7-10 per ORW in AMETHIST; Mombasa: 68 PEs "
        "and 12 ORWs",
        kind="int",
        low=2,
        high=12,
        usual=(5, 10),
        step=1,
    ),
    Parameter(
        "basis",
        "Estimate basis",
        "peak | typical",
        "peak",
        f"'the human resource and commodity plan needs to be based on peak estimates so that no "
        f"one remains uncovered' ({PM}, Table 1)",
        kind="choice",
        choices=BASES,
        metavar="BASIS",
    ),
    Parameter(
        "level",
        "Planning level",
        "low | mid | high",
        "mid",
        "mid of the low-high range by default; high when no one must remain uncovered "
        "(DESIGN.md s.3)",
        kind="choice",
        choices=LEVELS,
        metavar="LEVEL",
    ),
    Parameter(
        "target",
        "Coverage target (% of planning population)",
        "share",
        1.0,
        "share of the planning population to reach; 1 = everyone (DESIGN.md s.3)",
        low=0,
        high=1,
        step=0.05,
        percent=True,
        metavar="SHARE",
    ),
    Parameter(
        "duplication",
        "Duplication (% counted at more than one spot)",
        "share",
        0.0,
        f"share of people counted at more than one spot; PM adjusts totals for overlap ({PM}, "
        "'Use ... to Estimate Population Size'); default 0",
        low=0,
        high=0.5,
        step=0.01,
        percent=True,
        metavar="SHARE",
    ),
    Parameter(
        "condoms_per_person_month",
        "Condoms per person per month",
        "condoms per person per month",
        40,
        f"Mombasa distributed 35-40 condoms per FSW per month, set from client volume at "
        f"registration ({PM})",
        low=0,
        high=300,
        usual=(35, 40),
        step=1,
        flag="--condoms-per-person",
    ),
    Parameter(
        "lubricant_per_condom",
        "Lubricant sachets per condom",
        "lubricant sachets per condom",
        0.5,
        "the reference papers give no ratio (PM paper Table 1 lists lubricant distribution); "
        "set it from national guidelines",
        low=0,
        high=2,
        step=0.05,
        assumption=True,
    ),
    Parameter(
        "test_kits_per_person_quarter",
        "HIV test kits per person per quarter",
        "HIV test kits per person per quarter",
        1,
        "one HIV test per person per quarter (DESIGN.md s.3)",
        low=0,
        high=13,
        step=1,
        flag="--test-kits-per-person",
    ),
    Parameter(
        "buffer_stock_pct",
        "Buffer stock (%)",
        "% added to condoms and lubricant",
        0.0,
        "no buffer by default; set your supply chain's buffer stock",
        low=0,
        high=100,
        step=1,
        assumption=True,
        metavar="PCT",
    ),
    Parameter(
        "distance_km",
        "Access distance (km to a site)",
        "km",
        5.0,
        "geographic access within D km of a site, default 5 (DESIGN.md s.3)",
        low=0.5,
        high=50,
        step=0.5,
        metavar="KM",
    ),
    Parameter(
        "service",
        "Sites offering",
        "service code",
        None,
        "optional; count only sites offering this service (DESIGN.md s.2: sites.services)",
        kind="choice",
        choices=tuple(SERVICES),
        optional=True,
        metavar="SERVICE",
    ),
    Parameter(
        "period",
        "Enrolment period",
        "period (e.g. 2026-Q3)",
        None,
        "enrolment period; latest when not given (DESIGN.md s.3)",
        kind="text",
        optional=True,
        metavar="P",
    ),
    # --- costs (optional) -------------------------------------------------------------------
    Parameter(
        "pe_stipend_usd_month",
        "PE stipend (USD per month)",
        "USD per PE per month",
        None,
        f"optional; Sisters with a Voice PEs earn USD 15 a month, AMETHIST empowerment workers "
        f"USD 50 ({AMETHIST})",
        low=0,
        high=100_000,
        step=1,
        optional=True,
        group="costs",
        flag="--pe-stipend",
        metavar="USD",
    ),
    Parameter(
        "orw_salary_usd_month",
        "ORW salary (USD per month)",
        "USD per ORW per month",
        None,
        f"optional; ORW supervisors are salaried social workers in Sisters ({AMETHIST})",
        low=0,
        high=1_000_000,
        step=1,
        optional=True,
        group="costs",
        flag="--orw-salary",
        metavar="USD",
    ),
    Parameter(
        "condom_unit_cost_usd",
        "Condom (USD each)",
        "USD per condom",
        None,
        "optional; local procurement price",
        low=0,
        high=100,
        step=0.01,
        optional=True,
        group="costs",
        flag="--condom-cost",
        metavar="USD",
    ),
    Parameter(
        "lubricant_unit_cost_usd",
        "Lubricant sachet (USD each)",
        "USD per sachet",
        None,
        "optional; local procurement price",
        low=0,
        high=100,
        step=0.01,
        optional=True,
        group="costs",
        flag="--lubricant-cost",
        metavar="USD",
    ),
    Parameter(
        "test_kit_unit_cost_usd",
        "HIV test kit (USD each)",
        "USD per test kit",
        None,
        "optional; local procurement price",
        low=0,
        high=1_000,
        step=0.01,
        optional=True,
        group="costs",
        flag="--test-kit-cost",
        metavar="USD",
    ),
    # --- cap (optional, one of the two) -----------------------------------------------------
    Parameter(
        "max_pe",
        "Cap on PEs",
        "PEs",
        None,
        "optional cap on PEs: districts funded in priority order, 'saturating coverage of KPs in "
        "high concentration geographies is preferable to spreading services thinly' "
        "(DESIGN.md s.3)",
        kind="int",
        low=0,
        high=10_000_000,
        step=1,
        optional=True,
        group="cap",
    ),
    Parameter(
        "budget_usd_month",
        "Monthly budget (USD)",
        "USD per month",
        None,
        "optional monthly budget in USD, turned into affordable PEs at the cost of one PE-month "
        "(stipend + ORW share + commodities of people_per_pe people); needs costs",
        low=0,
        high=1e12,
        step=1,
        optional=True,
        group="cap",
        flag="--budget",
        metavar="USD",
    ),
    # --- caseloads (micro-planning) ---------------------------------------------------------
    Parameter(
        "keep_typology_apart",
        "Keep venue and street spots apart",
        "on | off",
        False,
        f"venue-based and street-based spots in separate caseloads (the PM paper's "
        f"sub-typologies; Mombasa: 60% venue-based, 30% street, {PM})",
        kind="bool",
        group="caseloads",
    ),
    Parameter(
        "area_gap_km",
        "Gap between areas of operation",
        "km",
        1.0,
        "spots farther apart than this (a clean gap on a straight line) are separate areas of "
        "operation; a cut there may cost one more PE. No source gives a figure",
        low=0,
        low_exclusive=True,
        allow_inf=True,
        assumption=True,
        group="caseloads",
        metavar="KM",
    ),
    Parameter(
        "max_radius_km",
        "Walking limit (km from a caseload's centre)",
        "km",
        1.0,
        "a caseload whose spots lie farther than this from its centre is cut again (one more PE) "
        "so that a PE can walk her round. No source gives a figure",
        low=0,
        low_exclusive=True,
        allow_inf=True,
        assumption=True,
        group="caseloads",
        metavar="KM",
    ),
    Parameter(
        "local_reach_factor",
        "Local walking limit (× local reach)",
        "× local reach",
        1.25,
        "where spots are dense, a caseload's walking limit is this factor times the radius around "
        "a spot that holds one PE's worth of people, capped by max_radius_km; set so that the "
        "demo and a seeded 10k district need fewer PEs and are more compact than k-means + bin "
        "packing (bench/bench_caseloads.py). No source gives a figure",
        low=0,
        low_exclusive=True,
        allow_inf=True,
        assumption=True,
        group="caseloads",
        metavar="F",
    ),
    # --- outreach timing and contact load ---------------------------------------------------
    Parameter(
        "hours_per_day",
        "Outreach hours per day",
        "hours per PE per day",
        6.0,
        "working hours of a peer educator's outreach day. No source gives a figure",
        low=1,
        high=12,
        step=0.5,
        assumption=True,
        group="outreach",
        metavar="H",
    ),
    Parameter(
        "days_per_week",
        "Outreach days per week",
        "days per week",
        5,
        "working days of a peer educator's week. No source gives a figure",
        kind="int",
        low=1,
        high=7,
        step=1,
        assumption=True,
        group="outreach",
    ),
    Parameter(
        "minutes_per_contact",
        "Minutes per contact",
        "minutes",
        15.0,
        f"length of one outreach contact; AMETHIST describes the contact, not its length "
        f"({AMETHIST}). No source gives a figure",
        low=1,
        high=240,
        step=1,
        assumption=True,
        group="outreach",
        metavar="MIN",
    ),
)


def _num(value: float) -> str:
    """A number as people write it: 60, 0.5, 100,000 (not 1e+05)."""
    if float(value).is_integer() and abs(value) >= 10_000:
        return f"{int(value):,}"
    return f"{value:g}"


PARAMETERS: Mapping[str, Parameter] = {p.name: p for p in _PARAMETERS}

# Field names of the parameter objects that differ from the parameter they hold.
FIELD_ALIASES: Mapping[str, str] = {"duplication_rate": "duplication"}


def parameter(name: str) -> Parameter:
    """The Parameter named ``name`` (a field alias such as duplication_rate is accepted)."""
    key = FIELD_ALIASES.get(name, name)
    try:
        return PARAMETERS[key]
    except KeyError:
        raise ParameterError(
            f"unknown parameter {name!r}; known: {', '.join(sorted(PARAMETERS))}"
        ) from None


def default(name: str) -> Value:
    """The default of the parameter ``name``."""
    return parameter(name).default


def default_number(name: str) -> float:
    """The default of a numeric parameter (for dataclass field defaults)."""
    value = parameter(name).default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(f"parameter {name!r} has no numeric default ({value!r})")
    return value


def default_whole(name: str) -> int:
    """The default of an integer parameter."""
    value = default_number(name)
    if not isinstance(value, int):
        raise ParameterError(f"parameter {name!r} has no whole-number default ({value!r})")
    return value


def default_text(name: str) -> str:
    """The default of a choice or text parameter."""
    value = parameter(name).default
    if not isinstance(value, str):
        raise ParameterError(f"parameter {name!r} has no text default ({value!r})")
    return value


def default_flag(name: str) -> bool:
    """The default of an on/off parameter."""
    value = parameter(name).default
    if not isinstance(value, bool):
        raise ParameterError(f"parameter {name!r} has no on/off default ({value!r})")
    return value


def in_group(*groups: Group) -> list[Parameter]:
    """The parameters of ``groups``, in definition order."""
    return [p for p in _PARAMETERS if p.group in groups]
