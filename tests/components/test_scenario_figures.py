"""Tests of components/scenario_figures.py on tiny hand-made plan frames."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from components import scenario_figures as sf
from components.overview_figures import OKABE_ITO, boundaries_geojson


def _geojson() -> dict:
    return boundaries_geojson(
        gpd.GeoDataFrame(
            {"district": ["A", "B"], "region": ["N", "S"]},
            geometry=[box(33.0, -14.0, 33.5, -13.5), box(33.5, -14.0, 34.0, -13.5)],
            crs="EPSG:4326",
        )
    )


def _plan_districts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district": ["A", "B"], "region": ["N", "S"], "planning_population": [600.0, 130.0],
            "enrolled": [100, 20], "coverage_mid": [1 / 6, 20 / 130], "gap": [500.0, 110.0],
            "peer_educators": [10, 3], "outreach_workers": [2, 1],
            "condoms_per_month": [24000.0, 5200.0], "cost_usd_month": [np.nan, np.nan],
            "priority_rank": [1, 2],
        }
    )  # fmt: skip


def test_scenario_totals_label_units_and_say_when_not_costed():
    totals = {
        "planning_population": 730.0,
        "peer_educators": 13,
        "outreach_workers": 3,
        "condoms_per_month": 29200.0,
        "lubricant_per_month": 14600.0,
        "test_kits_per_month": 243.3,
        "cost_usd_month": float("nan"),
    }
    heads = {
        h.key: h for h in sf.scenario_totals(totals, people_per_pe=60, pe_per_orw=6, costed=False)
    }
    assert heads["pe"].value == "13" and "1 PE per 60 people" in heads["pe"].detail
    assert heads["condoms"].value == "29,200"
    assert heads["cost"].value == "not costed"
    costed = {
        h.key: h
        for h in sf.scenario_totals(
            {**totals, "cost_usd_month": 1234.4}, people_per_pe=60, pe_per_orw=6, costed=True
        )
    }
    assert costed["cost"].value == "USD 1,234"


def test_pe_choropleth_maps_the_pes_needed():
    fig = sf.pe_choropleth(_plan_districts(), _geojson())
    trace = fig.data[0]
    assert list(trace.locations) == ["A", "B"]
    assert list(trace.z) == [10.0, 3.0]
    assert "Peer educators needed" in trace.colorbar.title.text
    assert fig.layout.map.style == "white-bg"


def test_plan_grid_says_not_costed_and_keeps_units():
    grid = sf.plan_grid(_plan_districts(), grid_id="plan")
    fields = [d["field"] for d in grid.columnDefs]
    assert fields[:2] == ["priority_rank", "district"]
    assert "funded_peer_educators" not in fields  # only columns the plan has
    cost = next(d for d in grid.columnDefs if d["field"] == "cost_usd_month")
    assert "not costed" in cost["valueFormatter"]["function"]
    assert grid.rowData[0]["cost_usd_month"] is None
    json.dumps(grid.rowData)


def _allocation() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district": ["B", "A"], "priority_rank": [2, 1], "peer_educators": [3, 10],
            "funded_peer_educators": [0, 8], "covered_population": [0.0, 480.0],
            "priority_funded_peer_educators": [0, 8], "proportional_funded_peer_educators": [2, 6],
        }
    )  # fmt: skip


def test_allocation_figure_orders_by_priority_and_compares_the_rules():
    fig = sf.allocation_figure(_allocation())
    assert [t.name for t in fig.data] == [
        "PEs needed",
        "Funded: optimal (recommended)",
        "Funded: priority order",
        "Funded: proportional to size",
    ]
    assert list(fig.data[0].x) == ["A", "B"]
    assert list(fig.data[1].y) == [8, 0] and list(fig.data[3].y) == [6, 2]
    assert fig.data[2].marker.color == OKABE_ITO["orange"]


def test_allocation_figure_names_missing_columns():
    with pytest.raises(ValueError, match="proportional_funded_peer_educators"):
        sf.allocation_figure(_allocation().drop(columns="proportional_funded_peer_educators"))


SUMMARY = {
    "cap_peer_educators": 8,
    "cap_source": "max_pe",
    "peer_educators_needed": 13,
    "funded_peer_educators": 8,
    "recommended": "Recommended: the optimal allocation, which maximises people covered.",
    **{f"covered_population_{k}": v for k, v in
       (("optimal", 480.0), ("priority_order", 450.0), ("proportional", 470.0), ("even", 430.0))},
    **{f"funded_peer_educators_{k}": 8 for k in ("optimal", "priority_order", "proportional",
                                                  "even")},
    **{f"districts_funded_{k}": v for k, v in
       (("optimal", 1), ("priority_order", 1), ("proportional", 2), ("even", 2))},
}  # fmt: skip


def test_allocation_sentence_says_the_cap_and_the_recommendation():
    text = sf.allocation_sentence(SUMMARY, people_per_pe=60)
    assert text.startswith("The cap allows 8 of the 13 PEs needed. Recommended: the optimal")
    budget = sf.allocation_sentence(
        {**SUMMARY, "cap_source": "budget_usd_month", "budget_usd_month": 1500}, people_per_pe=60
    )
    assert budget.startswith("A monthly budget of USD 1,500 funds 8 of the 13")


def test_allocation_table_lists_the_four_allocations_recommended_first():
    table = sf.allocation_table(SUMMARY)
    assert table["Allocation"].tolist() == [
        "Optimal (recommended)", "Priority order", "Proportional to size", "Even spread"
    ]  # fmt: skip
    assert table["People covered"].tolist() == [480, 450, 470, 430]
    assert table["Districts funded"].tolist() == [1, 1, 2, 2]
    assert "Weighted people covered" not in table
    weighted = sf.allocation_table({**SUMMARY, "weighted": True})
    assert "Weighted people covered" in weighted


def test_new_sites_sentence_states_the_distance_service_and_proof():
    text = sf.new_sites_sentence(
        {
            "k": 2,
            "distance_km": 5,
            "service": "prep",
            "covered_before": 100,
            "covered_after": 160,
            "people": 300,
            "proven_optimal": True,
        }
    )
    assert "2 new drop-in centre(s)" in text and "within 5 km of a site offering prep" in text
    assert "from 100 to 160 of 300" in text and "proven optimal" in text


def test_compare_grid_lists_every_scenario_column():
    compare = pd.DataFrame(
        {"scenario": ["base", "lean"], "peer_educators": [192, 230], "coverage_mid": [0.5, 0.5]}
    )
    grid = sf.compare_grid(compare, grid_id="cmp")
    assert [d["field"] for d in grid.columnDefs] == ["scenario", "peer_educators", "coverage_mid"]
    assert grid.rowData[1] == {"scenario": "lean", "peer_educators": 230, "coverage_mid": 0.5}


def test_compare_grid_headers_from_scenario_names_cannot_start_a_formula():
    compare = pd.DataFrame({"figure": ["PEs needed"], "=evil": [1], "diff_=evil": [0]})
    grid = sf.compare_grid(compare, grid_id="cmp")
    assert [d["headerName"] for d in grid.columnDefs] == ["figure", "'=evil", "diff =evil"]
