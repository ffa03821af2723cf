"""Every planning parameter, defined once: name, label, unit, default, allowed range, source.

The definitions live in planning/parameters.toml (label, unit, default, allowed range, source
or "assumption" for each). The scenario (``planning.scenario.Scenario``), the caseload and
outreach parameter objects (``planning.caseloads.CaseloadParams``,
``planning.outreach.OutreachParams``), the command-line flags and their help (commands/), the
page controls and their tooltips (pages/) and the Excel parameters sheet
(exports/excel_plan.py) are generated from, or checked against, ``PARAMETERS``
(tests/planning/test_parameters.py). A value outside its allowed range gets the same message
everywhere: ``Parameter.check`` writes it.

Each parameter has one allowed range (refused outside) and, where the sources give a narrower
band, a usual range (an advisory note outside it). Sources are the reference papers in
../shared/reference/ (cited by file name) and DESIGN.md section 3; a default no source gives
is marked as an assumption.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from planning.schema import SERVICES

Kind = Literal["int", "float", "choice", "text", "bool"]
Value = float | int | str | bool | None
Group = Literal["scenario", "costs", "cap", "allocation", "sites", "caseloads", "outreach"]

BASES = ("peak", "typical")
LEVELS = ("low", "mid", "high")


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
            return f"{sign} {_num(self.low)}"
        return ""

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
            else f"must be {self._range_phrase()} ({self.unit})"
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


def load_parameters(text: str) -> tuple[Parameter, ...]:
    """Parameters from the TOML of planning/parameters.toml (one [[parameter]] table each)."""
    rows = tomllib.loads(text)["parameter"]
    out = []
    for number, row in enumerate(rows, start=1):
        values: dict[str, Any] = {"default": None, **row}  # no default: "not set"
        if values.get("choices") == "SERVICES":  # the service codes of the data contract
            values["choices"] = tuple(SERVICES)
        for key in ("choices", "usual"):
            if key in values:
                values[key] = tuple(values[key])
        try:
            out.append(Parameter(**values))
        except TypeError as exc:
            raise ParameterError(
                f"parameters.toml, parameter {number} ({values.get('name', '?')}): {exc}"
            ) from None
    return tuple(out)


_PARAMETERS = load_parameters(
    resources.files("planning").joinpath("parameters.toml").read_text(encoding="utf-8")
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
