"""Tests for planning/resources.py: published figures and monotonicity properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.resources import (
    condoms_per_month,
    outreach_workers_needed,
    peer_educators_needed,
    resource_table,
    sum_resources,
)
from planning.scenario import Scenario


def test_mombasa_68_pes_at_6_per_orw_give_12_orws():
    # programmatic-mapping-jmir-2019: 68 PEs recruited, 12 ORWs hired; ⌈68 ÷ 6⌉ = 12
    assert outreach_workers_needed([68], 6).tolist() == [12]


def test_mombasa_9208_fsw_at_35_and_40_condoms():
    # programmatic-mapping-jmir-2019: 9208 FSWs, 35–40 condoms per FSW per month
    assert condoms_per_month([9208], 35).tolist() == [322_280]
    assert condoms_per_month([9208], 40).tolist() == [368_320]


def test_mombasa_figures_through_the_district_table():
    mombasa = pd.DataFrame({"district": ["Mombasa"], "planning_population": [9208.0]})
    for per_person, expected in ((35, 322_280), (40, 368_320)):
        table = resource_table(mombasa, Scenario(condoms_per_person_month=per_person))
        assert table.loc[0, "condoms_per_month"] == expected
    # a district needing 68 PEs (Mombasa's recruitment) needs ⌈68 ÷ 6⌉ = 12 ORWs at 6 PEs per ORW
    assert outreach_workers_needed(peer_educators_needed([68 * 60], 60), 6).tolist() == [12]


def test_exact_products_do_not_round_up():
    # 9208 × 0.7 ÷ 60 is not an integer, but 120 × 0.7 ÷ 42 = 2 exactly; floats give
    # 2.0000000000000004
    assert peer_educators_needed([120], 42, 0.7).tolist() == [2]
    assert peer_educators_needed([9208], 60).tolist() == [154]  # 153.47 → 154
    assert peer_educators_needed([0.0], 60).tolist() == [0]


def _districts():
    return pd.DataFrame(
        {
            "district": ["A", "B", "C"],
            "region": ["N", "N", "S"],
            "planning_population": [600.0, 61.0, 0.0],
        }
    )


def test_resource_table_by_hand():
    s = Scenario(
        people_per_pe=60, pe_per_orw=6, condoms_per_person_month=40,
        lubricant_per_condom=0.5, buffer_stock_pct=10, test_kits_per_person_quarter=1,
    )  # fmt: skip
    t = resource_table(_districts(), s)
    assert t["peer_educators"].tolist() == [10, 2, 0]
    assert t["outreach_workers"].tolist() == [2, 1, 0]
    assert t["condoms_per_month"].tolist() == pytest.approx([600 * 40 * 1.1, 61 * 40 * 1.1, 0])
    assert t["lubricant_per_month"].tolist() == pytest.approx([600 * 22, 61 * 22, 0])
    assert t["test_kits_per_month"].tolist() == pytest.approx([200, 61 / 3, 0])
    assert t["cost_usd_month"].isna().all()  # not costed
    totals = sum_resources(t)
    assert totals["peer_educators"] == 12 and totals["outreach_workers"] == 3
    assert np.isnan(totals["cost_usd_month"])


def test_costs_per_month_and_year():
    s = Scenario(pe_stipend_usd_month=15, orw_salary_usd_month=200, condom_unit_cost_usd=0.05)
    t = resource_table(_districts(), s)
    expected_a = 10 * 15 + 2 * 200 + 600 * 40 * 0.05
    assert t.loc[0, "cost_usd_month"] == pytest.approx(expected_a)
    assert t.loc[0, "cost_usd_year"] == pytest.approx(12 * expected_a)
    assert sum_resources(t)["cost_usd_month"] == pytest.approx(t["cost_usd_month"].sum())


def test_missing_population_column_is_named():
    with pytest.raises(KeyError, match="planning_population"):
        resource_table(pd.DataFrame({"district": ["A"]}), Scenario())


@settings(max_examples=80, deadline=None)
@given(
    population=st.floats(0, 1e6, allow_nan=False),
    extra=st.floats(0, 1e5, allow_nan=False),
    people_per_pe=st.integers(35, 89),
    step=st.integers(1, 20),
    target=st.floats(0, 1),
)
def test_pes_monotone_in_population_and_ratio(population, extra, people_per_pe, step, target):
    base = peer_educators_needed([population], people_per_pe, target)[0]
    assert peer_educators_needed([population + extra], people_per_pe, target)[0] >= base
    assert peer_educators_needed([population], min(90, people_per_pe + step), target)[0] <= base
    assert base * people_per_pe >= population * target - 1e-6 * max(
        1, population
    )  # PEs cover the need
