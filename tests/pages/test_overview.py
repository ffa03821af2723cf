"""pages/overview.py: scenario choice (link vs session), staff ranges, and district-only callback
output on the demo."""

from __future__ import annotations

import json

from config import Settings
from planning.scenario import Scenario
from services import context
from services import datasets as store


def test_the_link_wins_over_the_session_scenario(ov):
    assert ov.effective_query({"people_per_pe": "50"}, {"people_per_pe": "70"}) == (
        {"people_per_pe": "50"},
        "link",
    )
    assert ov.effective_query({"utm_source": "x"}, {"people_per_pe": "70"}) == (
        {"people_per_pe": "70"},
        "session",
    )
    assert ov.effective_query(None, None) == ({}, "default")


def test_a_bad_link_falls_back_to_the_default_scenario_and_says_why(ov):
    scenario, problem = ov.scenario_from({"people_per_pe": "500"})
    assert scenario == Scenario()
    assert "people_per_pe 500 is outside 50–90" in problem


def test_staff_ranges_bracket_the_plan(ov):
    from pages import _shared

    plan = _shared.get_plan(None, Scenario())
    (pe_low, pe_high), (orw_low, orw_high) = ov.staff_ranges(plan.districts, Scenario())
    assert pe_low <= plan.totals["peer_educators"] <= pe_high
    assert orw_low <= plan.totals["outreach_workers"] <= orw_high
    assert pe_low < pe_high


def test_overview_callbacks_send_district_level_data_only(ov):
    with context.using(Settings(aggregate_only=True)):
        outputs = [
            ov.show_overview(None, {}, None),
            ov.show_map("gap", None, {}, None),
            ov.show_trend(["Lilongwe"], None, {}, None),
        ]
    payload = json.dumps(
        outputs, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o)
    )
    hotspots = store.get_dataset(None).hotspots
    assert "HS-0" not in payload
    for name in hotspots["name"].head(20):
        assert name not in payload
    for lat in hotspots["latitude"].head(20):
        assert f"{lat:.5f}".rstrip("0") not in payload
    headline_text = payload
    assert "districts hold" in headline_text


def test_pareto_sentence_matches_smallest_k_holding(ov):
    from pages import _shared
    from planning.priority import smallest_k_holding

    plan = _shared.get_plan(None, Scenario())
    k, share = smallest_k_holding(plan.districts, ov.PARETO_SHARE)
    content = ov.overview_content(None, {})
    assert content.pareto_text.startswith(
        f"{k} of {len(plan.districts)} districts hold {share * 100:.0f}%"
    )
