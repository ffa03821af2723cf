"""planning/parameters.py: one definition per parameter, and everything else checked against it."""

from __future__ import annotations

import dataclasses

import pytest

from planning.caseloads import CaseloadError, CaseloadParams
from planning.outreach import OutreachParams
from planning.parameters import (
    FIELD_ALIASES,
    PARAMETERS,
    ParameterError,
    default_number,
    in_group,
    load_parameters,
    parameter,
)
from planning.scenario import Scenario, ScenarioError, parameter_rows

PARAMETER_OBJECTS = (Scenario, CaseloadParams, OutreachParams)


def _fields(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if f.name != "risk_mix"]


def test_every_definition_is_complete():
    for p in PARAMETERS.values():
        assert p.label and p.unit and p.source, p.name
        if p.kind in ("int", "float"):
            assert p.low is not None, f"{p.name} has no allowed range"
            if p.default is not None:
                p.check(p.default)  # the default is allowed
        if p.usual is not None:
            assert p.low <= p.usual[0] <= p.usual[1] <= p.high, p.name
        if p.kind == "choice":
            assert p.default is None or p.default in p.choices


@pytest.mark.parametrize("cls", PARAMETER_OBJECTS, ids=lambda c: c.__name__)
def test_parameter_objects_take_their_defaults_from_the_definitions(cls):
    for f in _fields(cls):
        p = parameter(f.name)
        assert f.default == p.default, f"{cls.__name__}.{f.name}: {f.default!r} != {p.default!r}"
    # and every definition is used by some object
    used = {FIELD_ALIASES.get(f.name, f.name) for c in PARAMETER_OBJECTS for f in _fields(c)}
    assert used == set(PARAMETERS)


def test_one_range_for_people_per_pe_everywhere():
    """The issue's example: 40 was a valid Scenario but an invalid caseload; now both refuse it
    with the same message, and both accept 90."""
    messages = []
    for build, error in (
        (lambda v: Scenario(people_per_pe=v), ScenarioError),
        (lambda v: CaseloadParams(people_per_pe=v), CaseloadError),
    ):
        with pytest.raises(error) as info:
            build(40)
        messages.append(str(info.value))
        assert build(90).people_per_pe == 90
        assert build(50).people_per_pe == 50
    assert messages[0] == messages[1] == PARAMETERS["people_per_pe"].refusal(40)
    assert "50–90" in messages[0] and "Give a value between 50 and 90" in messages[0]


@pytest.mark.parametrize(
    "name", sorted(n for n, p in PARAMETERS.items() if p.kind in ("int", "float"))
)
def test_every_numeric_parameter_refuses_just_outside_its_range(name):
    p = PARAMETERS[name]
    below = p.low - 1 if not p.low_exclusive else p.low
    with pytest.raises(ParameterError, match=name):
        p.check(below)
    if p.high is not None:
        with pytest.raises(ParameterError, match=name):
            p.check(p.high + 1)
        assert p.check(p.high) == p.high
    with pytest.raises(ParameterError, match="not a number"):
        p.check("sixty")
    with pytest.raises(ParameterError, match="finite"):
        p.check(float("nan"))


@pytest.mark.parametrize(
    "name", [p.name for p in PARAMETERS.values() if p.kind in ("int", "float")]
)
def test_no_parameter_takes_infinity(name):
    with pytest.raises(ParameterError, match="finite"):
        parameter(name).check("inf")


def test_text_forms_and_whole_numbers():
    assert parameter("people_per_pe").check("75") == 75
    assert isinstance(parameter("people_per_pe").check("75"), int)
    assert parameter("budget_usd_month").check("1,000") == 1000
    assert parameter("target").check(0.8) == 0.8
    assert parameter("keep_typology_apart").check("yes") is True
    with pytest.raises(ParameterError, match="whole number"):
        parameter("pe_per_orw").check(5.5)


def test_outreach_parameters_are_checked_against_the_same_definitions():
    with pytest.raises(ParameterError, match="hours_per_day 13 is outside 1–12"):
        OutreachParams(hours_per_day=13)
    assert OutreachParams().hours_per_day == default_number("hours_per_day")


def test_excel_rows_carry_label_range_and_source_or_assumption():
    rows = {r["parameter"]: r for r in parameter_rows(Scenario())}
    assert set(rows) == {f.name for f in dataclasses.fields(Scenario)}
    assert rows["people_per_pe"]["allowed"] == "50–90"
    assert rows["people_per_pe"]["label"] == "People per peer educator"
    assert rows["lubricant_per_condom"]["source"].startswith("assumption: ")
    assert not rows["condoms_per_person_month"]["source"].startswith("assumption")


def test_cli_flags_are_generated_from_the_definitions():
    import cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    for command, groups in (("plan", ("scenario", "costs", "cap")),):
        options = {a.dest: a for a in sub[command]._actions}
        for p in in_group(*groups):
            action = options[p.name]
            assert p.cli_flag in action.option_strings
            shown = action.help.replace("%%", "%")  # argparse's escape of a literal %
            assert p.label in shown and p.allowed_text() in shown
    caseload_options = {a.dest: a for a in sub["caseloads"]._actions}
    for f in dataclasses.fields(CaseloadParams):
        p = parameter(f.name)
        assert p.name in caseload_options, f"cli.py caseloads has no flag for {p.name}"
        assert p.label in caseload_options[p.name].help.replace("%%", "%")


def test_a_bad_definition_file_names_the_parameter():
    text = '[[parameter]]\nname = "x"\nlabel = "X"\nunit = "u"\nsource = "s"\nrange = 3\n'
    with pytest.raises(ParameterError, match=r"parameter 1 \(x\).*range"):
        load_parameters(text)
    (only,) = load_parameters(text.replace("range = 3\n", "low = 0\nhigh = 2\n"))
    assert only.default is None and only.check(1) == 1
