"""Tests for planning/compare.py: plans side by side with differences."""

from __future__ import annotations

import math

import pytest

from planning.compare import TOTAL_LABEL, compare_plans, compare_totals
from planning.plan import build_plan
from planning.scenario import Scenario
from tests.planning.test_plan import _dataset


def _doubled_dataset():
    """The hand-made dataset with every count doubled (district B: 80 people at the mid level)."""
    ds = _dataset()
    for column in ("typical_min", "typical_max", "peak_min", "peak_max"):
        ds.hotspots[column] = ds.hotspots[column] * 2
    return ds


def test_side_by_side_with_differences():
    ds = _doubled_dataset()
    plans = {
        "A": build_plan(ds, Scenario(people_per_pe=90)),
        "B": build_plan(ds, Scenario(people_per_pe=50, max_pe=2, min_pe_per_district=1)),
    }
    table = compare_plans(plans).set_index("district")
    assert list(table.index) == ["A", "B", "C", TOTAL_LABEL]
    assert table.loc["B", "peer_educators_A"] == 1 and table.loc["B", "peer_educators_B"] == 2
    assert table.loc["B", "peer_educators_diff_B"] == 1
    assert table.loc[TOTAL_LABEL, "peer_educators_diff_B"] == 1
    assert math.isnan(table.loc["A", "funded_peer_educators_A"])  # plan A has no cap
    assert table.loc[TOTAL_LABEL, "funded_peer_educators_B"] == 2
    totals = compare_totals(plans).set_index("figure")
    assert totals.loc["peer_educators", "diff_B"] == 1


def test_needs_two_plans():
    with pytest.raises(ValueError, match="two or more"):
        compare_plans({"A": build_plan(_dataset(), Scenario())})
