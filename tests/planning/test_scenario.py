"""Tests for planning/scenario.py: ranges, messages citing sources, URL round trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.scenario import RANGES, SOURCES, UNITS, Scenario, ScenarioError, parameter_rows


def test_defaults_follow_design():
    s = Scenario()
    assert (s.people_per_pe, s.pe_per_orw, s.basis, s.level, s.target, s.duplication) == (
        60,
        6,
        "peak",
        "mid",
        1.0,
        0.0,
    )
    assert (s.condoms_per_person_month, s.test_kits_per_person_quarter, s.distance_km) == (
        40,
        1,
        5.0,
    )
    assert s.cap is None and not s.costed


def test_people_per_pe_outside_50_90_is_refused_with_sources():
    with pytest.raises(ScenarioError) as info:
        Scenario(people_per_pe=40)
    message = str(info.value)
    assert message.startswith("people_per_pe 40 is outside 50–90")
    for source in ("Table 1", "Mombasa", "AMETHIST", "1:90", "between 50 and 90"):
        assert source in message
    with pytest.raises(ScenarioError, match="people_per_pe 91"):
        Scenario(people_per_pe=91)


def test_usual_range_is_advisory_only():
    s = Scenario(people_per_pe=85)
    assert any("people_per_pe 85" in w for w in s.warnings())
    assert Scenario().warnings() == []


@pytest.mark.parametrize(
    "field,value",
    [
        ("target", 1.5),
        ("target", -0.1),
        ("duplication", 0.6),
        ("pe_per_orw", 0),
        ("condoms_per_person_month", -1),
        ("distance_km", 0),
        ("buffer_stock_pct", 150),
    ],
)
def test_out_of_range_values_name_field_value_and_range(field, value):
    with pytest.raises(ScenarioError) as info:
        Scenario(**{field: value})
    low, high = RANGES[field]
    assert f"{field} {value:g}" in str(info.value) and f"{low:g}–{high:g}" in str(info.value)


def test_choices_and_caps_are_checked():
    with pytest.raises(ScenarioError, match="basis 'weekly'"):
        Scenario(basis="weekly")
    with pytest.raises(ScenarioError, match="level 'max'"):
        Scenario(level="max")
    with pytest.raises(ScenarioError, match="service 'dentist'"):
        Scenario(service="dentist")
    with pytest.raises(ScenarioError, match="give one cap only"):
        Scenario(max_pe=10, budget_usd_month=1000, pe_stipend_usd_month=15)
    with pytest.raises(ScenarioError, match="needs costs"):
        Scenario(budget_usd_month=1000)
    with pytest.raises(ScenarioError, match="whole number"):
        Scenario(max_pe=10.5)
    with pytest.raises(ScenarioError, match="not a number"):
        Scenario(target="high")


def test_cost_per_pe_month_adds_orw_share_and_commodities():
    s = Scenario(
        pe_stipend_usd_month=15, orw_salary_usd_month=300,
        condom_unit_cost_usd=0.02, lubricant_unit_cost_usd=0.05, test_kit_unit_cost_usd=3,
        people_per_pe=60,
    )  # fmt: skip
    per_person = 40 * 0.02 + 40 * 0.5 * 0.05 + 1 / 3 * 3
    assert s.cost_usd_per_pe_month() == pytest.approx(15 + 300 / 6 + 60 * per_person)


def test_every_field_has_source_unit_and_row():
    rows = parameter_rows(Scenario())
    assert {r["parameter"] for r in rows} == set(SOURCES) == set(UNITS)
    assert all(r["source"] and r["unit"] for r in rows)


def test_query_round_trip_and_parsing():
    s = Scenario(
        people_per_pe=70, level="high", target=0.8, max_pe=120, period="2026-Q1", service="hts"
    )
    q = s.to_query()
    assert all(isinstance(v, str) for v in q.values())
    assert "pe_per_orw" not in q  # defaults are left out of shared links
    assert Scenario.from_query(q) == s
    assert Scenario.from_query({"people_per_pe": "", "page": "2"}) == Scenario()
    with pytest.raises(ScenarioError, match="unknown scenario parameter"):
        Scenario.from_query({"page": "2"}, strict=True)
    with pytest.raises(ScenarioError, match="people_per_pe 'sixty' is not a number"):
        Scenario.from_query({"people_per_pe": "sixty"})


@settings(max_examples=60, deadline=None)
@given(
    people_per_pe=st.integers(50, 90),
    target=st.floats(0, 1),
    duplication=st.floats(0, 0.5),
    level=st.sampled_from(["low", "mid", "high"]),
    max_pe=st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_query_round_trip_property(people_per_pe, target, duplication, level, max_pe):
    s = Scenario(
        people_per_pe=people_per_pe,
        target=target,
        duplication=duplication,
        level=level,
        max_pe=max_pe,
    )
    back = Scenario.from_query(s.to_query())
    assert (
        back.people_per_pe == s.people_per_pe and back.level == s.level and back.max_pe == s.max_pe
    )
    assert back.target == pytest.approx(s.target, rel=1e-5, abs=1e-9)
    assert back.duplication == pytest.approx(s.duplication, rel=1e-5, abs=1e-9)
