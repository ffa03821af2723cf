"""Tests for planning/estimates.py on the hand-drawn frames of tests/planning/handmade.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.estimates import breakdown, hotspot_estimates, rollup, rollup_all
from planning.schema import HOTSPOT_REQUIRED
from tests.planning import handmade


def test_hotspot_estimates_peak_basis():
    est = hotspot_estimates(handmade.hotspots())
    assert list(est.columns[:11]) == [
        "hotspot_id", "name", "district", "region", "typology", "population",
        "estimate_low", "estimate_mid", "estimate_high", "typical_low", "typical_high",
    ]  # fmt: skip
    assert est["estimate_low"].tolist() == [10, 4, 30]
    assert est["estimate_high"].tolist() == [20, 8, 50]
    assert est["estimate_mid"].tolist() == [15, 6, 40]
    assert est["typical_low"].tolist() == [5, 2, 10]
    assert est["typical_high"].tolist() == [10, 4, 20]


def test_typical_basis_and_duplication():
    est = hotspot_estimates(handmade.hotspots(), basis="typical", duplication_rate=0.2)
    # typical 5-10 x 0.8 = 4-8, mid 6
    assert est.loc[0, ["estimate_low", "estimate_mid", "estimate_high"]].tolist() == pytest.approx(
        [4, 6, 8]
    )
    assert est["typical_high"].tolist() == pytest.approx([8, 3.2, 16])


def test_missing_optional_columns_get_defaults():
    frame = handmade.hotspots().drop(columns=["name", "population", "region"])
    est = hotspot_estimates(frame)
    assert est["population"].tolist() == ["FSW"] * 3
    assert est["name"].tolist() == [""] * 3


@pytest.mark.parametrize("rate", [-0.1, 0.6, "lots"])
def test_duplication_rate_out_of_range_names_argument(rate):
    with pytest.raises(ValueError, match=r"duplication_rate=.*0\.\.0\.5"):
        hotspot_estimates(handmade.hotspots(), duplication_rate=rate)


def test_bad_basis_names_argument():
    with pytest.raises(ValueError, match="basis='busy'"):
        hotspot_estimates(handmade.hotspots(), basis="busy")


def test_missing_required_column_is_named():
    with pytest.raises(ValueError, match=r"hotspots lacks column\(s\) \['peak_max'\]"):
        hotspot_estimates(handmade.hotspots().drop(columns=["peak_max"]))


def test_district_rollup_lists_every_district():
    d = rollup(hotspot_estimates(handmade.hotspots()), handmade.boundaries())
    assert d["district"].tolist() == ["A", "B", "C"]
    assert d["region"].tolist() == ["R1", "R1", "R2"]
    assert d["hotspots"].tolist() == [2, 1, 0]
    assert d["estimate_low"].tolist() == [14, 30, 0]
    assert d["estimate_mid"].tolist() == [21, 40, 0]
    assert d["estimate_high"].tolist() == [28, 50, 0]
    assert d["area_km2"].tolist() == [100, 50, 25]
    assert d["density_per_km2"].tolist() == pytest.approx([0.21, 0.8, 0.0])


def test_region_and_national_rollup():
    est = hotspot_estimates(handmade.hotspots())
    r = rollup(est, handmade.boundaries(), level="region")
    assert r["region"].tolist() == ["R1", "R2"]
    assert r["estimate_mid"].tolist() == [61, 0]
    assert r["area_km2"].tolist() == [150, 25]
    assert r["density_per_km2"].tolist() == pytest.approx([61 / 150, 0])
    n = rollup(est, handmade.boundaries(), level="national", name="Malawi")
    assert len(n) == 1
    assert n.loc[0, "level"] == "national" and n.loc[0, "name"] == "Malawi"
    assert n.loc[0, ["estimate_low", "estimate_mid", "estimate_high"]].tolist() == [44, 61, 78]
    assert n.loc[0, "hotspots"] == 3
    assert n.loc[0, "density_per_km2"] == pytest.approx(61 / 175)


def test_rollup_all_matches_rollup():
    est = hotspot_estimates(handmade.hotspots())
    levels = rollup_all(est, handmade.boundaries(), name="Malawi")
    for level in ("district", "region", "national"):
        expected = rollup(est, handmade.boundaries(), level=level, name="Malawi")
        pd.testing.assert_frame_equal(levels[level], expected)


def test_unknown_level_names_argument():
    with pytest.raises(ValueError, match="level='province'"):
        rollup(hotspot_estimates(handmade.hotspots()), handmade.boundaries(), level="province")


def test_hotspot_outside_boundaries_is_kept_not_dropped():
    frame = handmade.hotspots()
    frame.loc[2, "district"] = "Nowhere"
    d = rollup(hotspot_estimates(frame), handmade.boundaries())
    assert d["district"].tolist() == ["A", "B", "C", "Nowhere"]
    assert d["estimate_mid"].sum() == 61
    assert np.isnan(d.loc[3, "area_km2"])


def test_duplicate_boundary_district_is_refused():
    b = pd.concat([handmade.boundaries(), handmade.boundaries().iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"district\(s\) \['A'\] more than once"):
        rollup(hotspot_estimates(handmade.hotspots()), b)


def test_breakdown_by_typology_and_population():
    est = hotspot_estimates(handmade.hotspots())
    t = breakdown(est, by="typology")
    assert t[["district", "typology", "estimate_mid"]].values.tolist() == [
        ["A", "bar", 15.0],
        ["A", "street", 6.0],
        ["B", "lodge", 40.0],
    ]
    assert t["share_of_area"].tolist() == pytest.approx([15 / 21, 6 / 21, 1.0])
    p = breakdown(est, by="population", level="national")
    assert p[["population", "hotspots", "estimate_low", "estimate_high"]].values.tolist() == [
        ["FSW", 2, 14.0, 28.0],
        ["MSM", 1, 30.0, 50.0],
    ]


# --- property: roll-up totals equal the sum of their parts at every level --------------
_districts = ["A", "B", "C", "D"]
_region_of = {"A": "R1", "B": "R1", "C": "R2", "D": ""}


@st.composite
def _hotspot_frames(draw):
    n = draw(st.integers(min_value=0, max_value=25))
    rows = []
    for i in range(n):
        tmin = draw(st.integers(0, 200))
        tmax = tmin + draw(st.integers(0, 200))
        pmin = draw(st.integers(0, 500))
        pmax = pmin + draw(st.integers(0, 500))
        d = draw(st.sampled_from(_districts))
        rows.append(
            {
                "hotspot_id": f"H{i}",
                "latitude": -13.0,
                "longitude": 33.0,
                "typology": draw(st.sampled_from(["bar", "lodge", "street"])),
                "typical_min": tmin,
                "typical_max": tmax,
                "peak_min": pmin,
                "peak_max": pmax,
                "district": d,
                "region": _region_of[d],
                "population": draw(st.sampled_from(["FSW", "MSM"])),
            }
        )
    cols = [*HOTSPOT_REQUIRED, "district", "region", "population"]
    return (
        pd.DataFrame(rows, columns=cols),
        draw(st.sampled_from(["peak", "typical"])),
        draw(st.floats(0.0, 0.5, allow_nan=False)),
    )


def _boundaries_4():
    return pd.DataFrame(
        {
            "district": _districts,
            "region": [_region_of[d] for d in _districts],
            "area_km2": [10.0, 20.0, 30.0, 40.0],
        }
    )


@settings(max_examples=60, deadline=None)
@given(_hotspot_frames())
def test_rollup_totals_equal_sum_of_parts(case):
    frame, basis, rate = case
    est = hotspot_estimates(frame, basis=basis, duplication_rate=rate)
    b = _boundaries_4()
    d = rollup(est, b)
    r = rollup(est, b, level="region")
    n = rollup(est, b, level="national")
    assert len(d) == 4 and int(d["hotspots"].sum()) == len(frame)
    for col in ["estimate_low", "estimate_mid", "estimate_high", "typical_low", "typical_high"]:
        hotspot_total = est[col].sum()
        assert d[col].sum() == pytest.approx(hotspot_total, abs=1e-6)
        assert r[col].sum() == pytest.approx(hotspot_total, abs=1e-6)
        assert n.loc[0, col] == pytest.approx(hotspot_total, abs=1e-6)
        by_region = d.groupby("region")[col].sum()
        assert r.set_index("region")[col].to_dict() == pytest.approx(by_region.to_dict())
    assert (d["estimate_low"] <= d["estimate_mid"] + 1e-9).all()
    assert (d["estimate_mid"] <= d["estimate_high"] + 1e-9).all()
    for by in ("typology", "population"):
        for level in ("district", "region", "national"):
            assert breakdown(est, by=by, level=level)["estimate_mid"].sum() == pytest.approx(
                est["estimate_mid"].sum(), abs=1e-6
            )
