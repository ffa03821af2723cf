"""Tests of components/overview_figures.py on tiny hand-made district frames."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from components import overview_figures as of


def _boundaries() -> gpd.GeoDataFrame:
    """Three square districts side by side near Lilongwe (WGS84)."""
    return gpd.GeoDataFrame(
        {
            "district": ["A", "B", "C"], "region": ["North", "North", "South"],
            "area_km2": [100.0, 200.0, 50.0],
        },
        geometry=[
            box(33.0, -14.0, 33.5, -13.5), box(33.5, -14.0, 34.0, -13.5),
            box(34.0, -14.0, 34.5, -13.5),
        ],
        crs="EPSG:4326",
    )  # fmt: skip


def _districts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district": ["A", "B", "C"], "region": ["North", "North", "South"],
            "hotspots": [3, 2, 0], "estimate_low": [80.0, 40.0, 0.0],
            "estimate_mid": [100.0, 50.0, 0.0], "estimate_high": [120.0, 60.0, 0.0],
            "enrolled": [60, 10, 0], "coverage_low": [0.5, 1 / 6, np.nan],
            "coverage_mid": [0.6, 0.2, np.nan], "coverage_high": [0.75, 0.25, np.nan],
            "gap": [40.0, 40.0, 0.0], "density_per_km2": [1.0, 0.25, 0.0],
            "peer_educators": [2, 1, 0], "outreach_workers": [1, 1, 0], "priority_rank": [2, 1, 3],
        }
    )  # fmt: skip


def test_fmt_range_formats_people_and_percentages():
    assert of.fmt_range(9200, 13800) == "9,200–13,800"
    assert of.fmt_range(0.41, 0.63, percent=True) == "41–63%"
    assert of.fmt_range(5, 5) == "5"
    assert of.fmt_range(float("nan"), 3) == "–"


def test_headline_figures_give_labelled_ranges_from_the_national_row():
    national = pd.DataFrame(
        [
            {
                "estimate_low": 9200,
                "estimate_mid": 11500,
                "estimate_high": 13800,
                "enrolled": 5800,
                "coverage_low": 5800 / 13800,
                "coverage_mid": 5800 / 11500,
                "coverage_high": 5800 / 9200,
                "gap": 5700,
                "peer_educators": 192,
                "outreach_workers": 32,
            }
        ]
    )
    heads = {h.key: h for h in of.headline_figures(national, people_per_pe=60, pe_per_orw=6)}
    assert heads["population"].value == "9,200–13,800"
    assert "mid 11,500" in heads["population"].detail
    assert heads["coverage"].value == "42–63%"
    assert heads["pe"].value == "192" and "1 PE per 60 people" in heads["pe"].detail
    assert heads["orw"].value == "32"
    assert all(h.tooltip for h in heads.values())


def test_headline_cards_give_each_value_an_id_and_a_source_tooltip():
    heads = of.headline_figures(
        {"estimate_low": 10, "estimate_mid": 15, "estimate_high": 20, "peer_educators": 1}
    )
    row = of.headline_cards(heads, id_prefix="ov")
    text = str(row.to_plotly_json())
    assert "'ov-population'" in text and "'ov-pe'" in text
    tooltips = [c for c in row.children if type(c).__name__ == "Tooltip"]
    assert [t.target for t in tooltips] == [f"ov-card-{h.key}" for h in heads]


def test_headline_refuses_a_multi_row_national_frame():
    with pytest.raises(ValueError, match="national has 2 rows"):
        of.headline_figures(pd.DataFrame([{"estimate_low": 1}, {"estimate_low": 2}]))


def test_boundaries_geojson_keeps_only_district_and_region():
    gj = of.boundaries_geojson(_boundaries())
    assert [f["properties"] for f in gj["features"]] == [
        {"district": "A", "region": "North"},
        {"district": "B", "region": "North"},
        {"district": "C", "region": "South"},
    ]
    json.dumps(gj)  # plain JSON, nothing numpy


def test_map_view_centres_on_the_polygons():
    view = of.map_view(of.boundaries_geojson(_boundaries()))
    assert view["center"]["lon"] == pytest.approx(33.75)
    assert view["center"]["lat"] == pytest.approx(-13.75)
    # 1.5 degrees of longitude in 560 px: about log2(560*360/(512*1.5)) = 8.04 minus margin
    assert 7.0 < view["zoom"] < 8.1


@pytest.mark.parametrize("metric", sorted(of.MAP_METRICS))
def test_choropleth_shows_the_chosen_metric_offline(metric):
    fig = of.district_choropleth(_districts(), of.boundaries_geojson(_boundaries()), metric)
    trace = fig.data[0]
    assert isinstance(trace, go.Choroplethmap)
    assert fig.layout.map.style == "white-bg"
    assert list(trace.locations) == ["A", "B", "C"]
    expected = _districts()[metric].astype(float) * (100 if of.MAP_METRICS[metric].percent else 1)
    got = [np.nan if v is None else v for v in trace.z]
    np.testing.assert_allclose(got, expected, equal_nan=True)
    assert of.MAP_METRICS[metric].label in trace.colorbar.title.text
    assert trace.colorscale  # a named colour-blind-safe scale
    assert fig.layout.meta["metric"] == metric


def test_choropleth_differs_between_metrics():
    gj = of.boundaries_geojson(_boundaries())
    a = of.district_choropleth(_districts(), gj, "coverage_mid").data[0].z
    b = of.district_choropleth(_districts(), gj, "gap").data[0].z
    assert list(a) != list(b)


def test_choropleth_rejects_an_unknown_metric():
    with pytest.raises(ValueError, match="'nonsense' is not a column"):
        of.district_choropleth(_districts(), of.boundaries_geojson(_boundaries()), "nonsense")


def test_district_grid_sorts_by_priority_and_carries_units_and_tooltips():
    grid = of.district_grid(_districts(), grid_id="g")
    assert [r["district"] for r in grid.rowData] == ["B", "A", "C"]
    assert grid.rowData[2]["coverage_mid"] is None  # NaN is JSON null, shown as an en dash
    headers = {d["field"]: d for d in grid.columnDefs}
    assert headers["gap"]["headerName"] == "Gap (people)"
    assert headers["density_per_km2"]["headerName"] == "Density (people/km²)"
    assert all(d.get("headerTooltip") for d in grid.columnDefs)
    assert grid.csvExportParams["fileName"] == "districts.csv"
    json.dumps(grid.rowData)


def test_grid_text_cannot_start_a_formula_in_the_csv_export():
    rows = of.grid_rows(
        pd.DataFrame({"district": ["=HYPERLINK(1)", "Zomba"], "gap": [-1.0, 2.0]}),
        ["district", "gap"],
    )
    assert rows[0] == {"district": "'=HYPERLINK(1)", "gap": -1.0}
    assert rows[1]["district"] == "Zomba"


def test_cumulative_share_sentence_reads_like_the_mauritius_finding():
    assert of.cumulative_share_sentence(4, 0.8123, 9).startswith("4 of 9 districts hold 81% of")
    assert of.cumulative_share_sentence(1, 0.9, 3).startswith("1 of 3 district holds 90%")


def test_cumulative_share_figure_highlights_the_first_k():
    cum = pd.DataFrame(
        {
            "district": ["A", "B", "C"],
            "value": [100, 50, 0],
            "share": [2 / 3, 1 / 3, 0],
            "cumulative_share": [2 / 3, 1.0, 1.0],
            "k": [1, 2, 3],
        }
    )
    fig = of.cumulative_share_figure(cum, k=2)
    bars, line = fig.data[0], fig.data[1]
    assert list(bars.marker.color) == [of.OKABE_ITO["blue"]] * 2 + [of.OKABE_ITO["grey"]]
    np.testing.assert_allclose(line.y, [200 / 3, 100, 100])


def test_national_trend_divides_summed_enrolment_by_the_national_range():
    trend = pd.DataFrame(
        {
            "district": ["A", "B", "A", "B"],
            "period": ["2025-Q4", "2025-Q4", "2026-Q1", "2026-Q1"],
            "enrolled": [10, 20, 30, 30],
        }
    )
    out = of.national_trend(trend, {"estimate_low": 100, "estimate_mid": 120, "estimate_high": 150})
    assert out["period"].tolist() == ["2025-Q4", "2026-Q1"]
    np.testing.assert_allclose(out["coverage_low"], [30 / 150, 60 / 150])
    np.testing.assert_allclose(out["coverage_high"], [30 / 100, 60 / 100])
    fig = of.coverage_trend_figure(
        out, trend.assign(coverage_mid=[0.1, 0.2, 0.3, 0.3]), districts=["A"]
    )
    assert [t.name for t in fig.data] == ["National range (low–high)", "National (mid)", "A"]


@settings(max_examples=60, deadline=None)
@given(low=st.integers(0, 10**6), extra=st.integers(0, 10**6))
def test_fmt_range_orders_low_before_high(low, extra):
    text = of.fmt_range(low, low + extra)
    parts = [int(p.replace(",", "")) for p in text.split("–")]
    assert parts[0] == low and parts[-1] == low + extra


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=8))
def test_grid_rows_are_json_safe(values):
    frame = pd.DataFrame(
        {
            "district": [f"D{i}" for i in range(len(values))],
            "gap": values,
            "coverage_mid": [v / 1e5 if v else math.nan for v in values],
        }
    )
    rows = of.grid_rows(frame, ["district", "gap", "coverage_mid"])
    json.dumps(rows, allow_nan=False)
    assert len(rows) == len(values)
