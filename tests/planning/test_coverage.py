"""Tests for planning/coverage.py on the hand-drawn frames of tests/planning/handmade.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.coverage import (
    coverage_table,
    coverage_trend,
    enrolled_by_district,
    enrolled_by_hotspot,
    hotspot_coverage,
    period_sort_key,
    periods,
)
from planning.estimates import hotspot_estimates, rollup
from tests.planning import handmade


def _districts():
    return rollup(hotspot_estimates(handmade.hotspots()), handmade.boundaries())


def test_periods_sorted_quarters_across_years():
    frame = pd.DataFrame({"period": ["2026-Q1", "2025-Q4", "2026-Q3", "2025-Q4"]})
    assert periods(frame) == ["2025-Q4", "2026-Q1", "2026-Q3"]


def test_months_sort_inside_their_quarter():
    frame = pd.DataFrame(
        {"period": ["2025-Q3", "2025-12", "2025-09", "2025-07", "2025-Q4", "2025-10"]}
    )
    assert periods(frame) == ["2025-07", "2025-09", "2025-Q3", "2025-10", "2025-12", "2025-Q4"]


def test_malformed_period_names_the_value():
    with pytest.raises(ValueError, match="period '2025-Q5'"):
        period_sort_key("2025-Q5")


def test_enrolled_by_district_latest_period():
    e = enrolled_by_district(handmade.enrolment(), handmade.boundaries())
    # 2026-Q1: A = H1 8 + H2 3; B = district row 20; C none. Cumulative: Q4 rows are not added.
    assert e.to_dict("list") == {
        "district": ["A", "B", "C"],
        "region": ["R1", "R1", "R2"],
        "enrolled": [11, 20, 0],
        "period": ["2026-Q1"] * 3,
    }
    assert e["enrolled"].dtype == "int64"


def test_enrolled_by_district_chosen_period():
    e = enrolled_by_district(handmade.enrolment(), handmade.boundaries(), period="2025-Q4")
    assert e["enrolled"].tolist() == [5, 10, 0]


def test_unknown_period_lists_available():
    with pytest.raises(ValueError, match=r"period='2024-Q1'.*\['2025-Q4', '2026-Q1'\]"):
        enrolled_by_district(handmade.enrolment(), handmade.boundaries(), period="2024-Q1")


def test_empty_enrolment_gives_zeros():
    e = enrolled_by_district(handmade.enrolment().iloc[0:0], handmade.boundaries())
    assert e["enrolled"].tolist() == [0, 0, 0]


def test_enrolled_by_hotspot_uses_hotspot_rows_only():
    h = enrolled_by_hotspot(handmade.enrolment())
    assert h[["hotspot_id", "enrolled"]].values.tolist() == [["H1", 8], ["H2", 3]]
    assert set(h["period"]) == {"2026-Q1"}
    q4 = enrolled_by_hotspot(handmade.enrolment(), period="2025-Q4")
    assert q4[["hotspot_id", "enrolled"]].values.tolist() == [["H1", 5], ["H3", 10]]


def test_hotspot_coverage():
    est = hotspot_estimates(handmade.hotspots())
    c = hotspot_coverage(est, enrolled_by_hotspot(handmade.enrolment()))
    # 2026-Q1: H1 8 of 10-20 (mid 15), H2 3 of 4-8 (mid 6), H3 has no hotspot row that period.
    assert c["enrolled"].tolist() == [8, 3, 0]
    assert c["coverage_mid"].tolist() == pytest.approx([8 / 15, 3 / 6, 0])
    assert c["coverage_low"].tolist() == pytest.approx([8 / 20, 3 / 8, 0])
    assert c["coverage_high"].tolist() == pytest.approx([8 / 10, 3 / 4, 0])


def test_coverage_table_district():
    c = coverage_table(
        _districts(), enrolled_by_district(handmade.enrolment(), handmade.boundaries())
    )
    assert c["enrolled"].tolist() == [11, 20, 0]
    assert c["planning_population"].tolist() == [21, 40, 0]
    assert c["coverage_low"].tolist()[:2] == pytest.approx([11 / 28, 20 / 50])
    assert c["coverage_mid"].tolist()[:2] == pytest.approx([11 / 21, 20 / 40])
    assert c["coverage_high"].tolist()[:2] == pytest.approx([11 / 14, 20 / 30])
    assert c[["coverage_low", "coverage_mid", "coverage_high"]].iloc[2].isna().all()
    assert c["gap"].tolist() == [10, 20, 0]


def test_coverage_table_level_high_and_target():
    enrolled = enrolled_by_district(handmade.enrolment(), handmade.boundaries())
    c = coverage_table(_districts(), enrolled, level="high", target=0.5)
    # 0.5 x 28 - 11 = 3; 0.5 x 50 - 20 = 5
    assert c["planning_population"].tolist() == [28, 50, 0]
    assert c["gap"].tolist() == pytest.approx([3, 5, 0])
    c = coverage_table(_districts(), enrolled, target=0.5)
    assert c["gap"].tolist() == pytest.approx([0, 0, 0])  # 10.5 - 11 < 0 -> 0; 20 - 20 = 0


def test_coverage_table_region_and_national():
    est = hotspot_estimates(handmade.hotspots())
    enrolled = enrolled_by_district(handmade.enrolment(), handmade.boundaries())
    r = coverage_table(rollup(est, handmade.boundaries(), level="region"), enrolled)
    assert r["enrolled"].tolist() == [31, 0]
    assert r["coverage_mid"].tolist()[0] == pytest.approx(31 / 61)
    n = coverage_table(rollup(est, handmade.boundaries(), level="national"), enrolled)
    assert n.loc[0, "enrolled"] == 31
    assert n.loc[0, "coverage_low"] == pytest.approx(31 / 78)
    assert n.loc[0, "coverage_high"] == pytest.approx(31 / 44)
    assert n.loc[0, "gap"] == pytest.approx(30)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"level": "max"}, "level='max'"),
        ({"target": -1}, "target=-1"),
        ({"target": float("nan")}, "target=nan"),
    ],
)
def test_coverage_table_bad_arguments(kwargs, message):
    enrolled = enrolled_by_district(handmade.enrolment(), handmade.boundaries())
    with pytest.raises(ValueError, match=message):
        coverage_table(_districts(), enrolled, **kwargs)


def test_coverage_trend_all_periods():
    t = coverage_trend(handmade.enrolment(), _districts())
    assert t[["district", "period", "enrolled"]].values.tolist() == [
        ["A", "2025-Q4", 5],
        ["A", "2026-Q1", 11],
        ["B", "2025-Q4", 10],
        ["B", "2026-Q1", 20],
        ["C", "2025-Q4", 0],
        ["C", "2026-Q1", 0],
    ]
    assert t["coverage_mid"].tolist()[:4] == pytest.approx([5 / 21, 11 / 21, 10 / 40, 20 / 40])
    assert t["region"].tolist()[:2] == ["R1", "R1"]


# --- properties ---------------------------------------------------------------------
_estimates = st.tuples(st.integers(0, 10_000), st.integers(0, 10_000), st.floats(0, 0.5)).map(
    lambda t: (float(min(t[0], t[1])) * (1 - t[2]), float(max(t[0], t[1])) * (1 - t[2]))
)


def _one_district(low, high, enrolled):
    est = pd.DataFrame(
        {
            "district": ["A"],
            "region": ["R"],
            "estimate_low": [low],
            "estimate_mid": [(low + high) / 2],
            "estimate_high": [high],
        }
    )
    return coverage_table(est, pd.DataFrame({"district": ["A"], "enrolled": [enrolled]}))


@settings(max_examples=80, deadline=None)
@given(_estimates, st.integers(0, 20_000), st.integers(0, 20_000))
def test_coverage_rises_with_enrolment(bounds, a, b):
    low, high = bounds
    fewer, more = sorted([a, b])
    c1, c2 = _one_district(low, high, fewer), _one_district(low, high, more)
    for col in ("coverage_low", "coverage_mid", "coverage_high"):
        x, y = c1.loc[0, col], c2.loc[0, col]
        assert (np.isnan(x) and np.isnan(y)) or x <= y
    assert c2.loc[0, "gap"] <= c1.loc[0, "gap"]
    ordered = c2.loc[0, ["coverage_low", "coverage_mid", "coverage_high"]].to_numpy(dtype="float64")
    if np.isfinite(ordered).all():  # coverage_low <= coverage_mid <= coverage_high at any enrolment
        assert ordered[0] <= ordered[1] * (1 + 1e-12) and ordered[1] <= ordered[2] * (1 + 1e-12)


@settings(max_examples=80, deadline=None)
@given(_estimates, st.floats(0, 1))
def test_coverage_within_unit_interval_and_ordered(bounds, fraction):
    low, high = bounds
    enrolled = int(np.floor(fraction * low))  # enrolment <= low estimate
    c = _one_district(low, high, enrolled)
    values = c.loc[0, ["coverage_low", "coverage_mid", "coverage_high"]].to_numpy(dtype="float64")
    finite = values[np.isfinite(values)]
    assert ((finite >= 0) & (finite <= 1 + 1e-12)).all()
    if np.isfinite(values).all():
        assert values[0] <= values[1] + 1e-12 <= values[2] + 2e-12
    if low > 0:
        assert np.isfinite(values).all()
