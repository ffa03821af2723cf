"""Tests for planning/access.py on the hand-drawn frames of tests/planning/handmade.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.access import access_by_district, nearest_site_km, site_catchment, unserved_hotspots
from planning.estimates import hotspot_estimates
from tests.planning import handmade

# One degree of latitude near 13° S is about 110.6 km (on the UTM central meridian, scale 0.9996).
KM_PER_DEG_LAT = 110.6


def test_nearest_site_any_service():
    near = nearest_site_km(handmade.hotspots(), handmade.sites(), handmade.CRS)
    assert list(near.columns) == ["hotspot_id", "nearest_site_id", "distance_km"]
    assert near["hotspot_id"].tolist() == ["H1", "H2", "H3"]
    assert near["nearest_site_id"].tolist() == ["S1", "S1", "S2"]
    assert near["distance_km"].tolist() == pytest.approx(
        [0.01 * KM_PER_DEG_LAT, 0.01 * KM_PER_DEG_LAT, 0.04 * KM_PER_DEG_LAT], rel=3e-3
    )


def test_nearest_site_offering_prep():
    near = nearest_site_km(handmade.hotspots(), handmade.sites(), handmade.CRS, service="prep")
    assert near["nearest_site_id"].tolist() == ["S1", "S1", "S1"]
    assert near["distance_km"].iloc[2] == pytest.approx(0.15 * KM_PER_DEG_LAT, rel=3e-3)


def test_no_site_offers_service_gives_inf_and_empty_id():
    near = nearest_site_km(handmade.hotspots(), handmade.sites(), handmade.CRS, service="art")
    assert near["nearest_site_id"].tolist() == ["", "", ""]
    assert np.isinf(near["distance_km"]).all()


def test_unknown_service_names_argument():
    with pytest.raises(ValueError, match=r"service='PrEP pills'.*'prep'"):
        nearest_site_km(handmade.hotspots(), handmade.sites(), handmade.CRS, service="PrEP pills")


def test_degree_crs_is_refused():
    with pytest.raises(ValueError, match="not a projected CRS"):
        nearest_site_km(handmade.hotspots(), handmade.sites(), "EPSG:4326")


def test_access_by_district_prep_within_5_km():
    est = hotspot_estimates(handmade.hotspots())
    near = nearest_site_km(handmade.hotspots(), handmade.sites(), handmade.CRS, service="prep")
    a = access_by_district(est, near, boundaries=handmade.boundaries())
    # A: H1 15 + H2 6 within 1.1 km of S1 -> 21 of 21; B: H3 16.6 km away -> 0 of 40; C no hotspots.
    assert a["district"].tolist() == ["A", "B", "C"]
    assert a["estimate_within_distance"].tolist() == [21, 0, 0]
    assert a["share_within_distance"].tolist()[:2] == [1.0, 0.0]
    assert np.isnan(a["share_within_distance"].iloc[2])
    assert a["unserved_hotspots"].tolist() == [0, 1, 0]


def test_access_distance_and_level_are_parameters():
    est = hotspot_estimates(handmade.hotspots())
    near = nearest_site_km(handmade.hotspots(), handmade.sites(), handmade.CRS)
    # any service: H3 is 4.4 km from S2 -> within 5 km, beyond 3 km.
    assert access_by_district(est, near)["share_within_distance"].tolist() == [1.0, 1.0]
    a3 = access_by_district(est, near, distance_km=3, level="high")
    assert a3["estimate_within_distance"].tolist() == [28, 0]
    assert a3["unserved_hotspots"].tolist() == [0, 1]


def test_unserved_hotspots_lists_beyond_distance():
    est = hotspot_estimates(handmade.hotspots())
    near = nearest_site_km(handmade.hotspots(), handmade.sites(), handmade.CRS)
    u = unserved_hotspots(est, near, distance_km=1.0)
    # every hotspot is more than 1 km from a site; largest estimate first: H3 40, H1 15, H2 6
    assert u["hotspot_id"].tolist() == ["H3", "H1", "H2"]
    assert {"nearest_site_id", "distance_km", "estimate_mid", "district"} <= set(u.columns)
    assert unserved_hotspots(est, near).empty


def test_negative_distance_names_argument():
    est = hotspot_estimates(handmade.hotspots())
    near = nearest_site_km(handmade.hotspots(), handmade.sites(), handmade.CRS)
    with pytest.raises(ValueError, match="distance_km=-1"):
        access_by_district(est, near, distance_km=-1)


def seeded_points(
    seed: int, n_hotspots: int, n_sites: int, lat: tuple[float, float], lon: tuple[float, float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hotspots H0.. and sites S0.. drawn uniformly in a latitude/longitude box (seeded)."""
    rng = np.random.default_rng(seed)

    def points(id_column: str, prefix: str, n: int) -> pd.DataFrame:
        ids = [f"{prefix}{i}" for i in range(n)]
        return pd.DataFrame(
            {id_column: ids, "latitude": rng.uniform(*lat, n), "longitude": rng.uniform(*lon, n)}
        )

    return points("hotspot_id", "H", n_hotspots), points("site_id", "S", n_sites)


def test_kdtree_agrees_with_brute_force_on_seeded_points():
    hotspots, sites = seeded_points(7, 300, 40, lat=(-14, -12), lon=(33, 35))
    near = nearest_site_km(hotspots, sites, handmade.CRS)
    from planning.geo import project_lonlat

    hx, hy = project_lonlat(hotspots["longitude"], hotspots["latitude"], handmade.CRS)
    sx, sy = project_lonlat(sites["longitude"], sites["latitude"], handmade.CRS)
    d = np.hypot(hx[:, None] - sx[None, :], hy[:, None] - sy[None, :]) / 1000
    assert near["distance_km"].to_numpy() == pytest.approx(d.min(axis=1))
    assert near["nearest_site_id"].tolist() == [f"S{j}" for j in d.argmin(axis=1)]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-13.5, -12.5),
            st.floats(32.5, 33.5),
            st.integers(0, 100),
            st.sampled_from("AB"),
        ),
        min_size=1,
        max_size=20,
    ),
    st.lists(st.tuples(st.floats(-13.5, -12.5), st.floats(32.5, 33.5)), min_size=1, max_size=5),
    st.floats(0, 50),
    st.floats(0, 50),
)
def test_share_within_distance_is_a_share_and_grows_with_distance(spots, site_points, d1, d2):
    hotspots = pd.DataFrame(
        {
            "hotspot_id": [f"H{i}" for i in range(len(spots))],
            "latitude": [s[0] for s in spots],
            "longitude": [s[1] for s in spots],
            "typology": "bar",
            "typical_min": 0,
            "typical_max": 0,
            "peak_min": [s[2] for s in spots],
            "peak_max": [s[2] for s in spots],
            "district": [s[3] for s in spots],
        }
    )
    sites = pd.DataFrame(
        {
            "site_id": [f"S{i}" for i in range(len(site_points))],
            "latitude": [p[0] for p in site_points],
            "longitude": [p[1] for p in site_points],
        }
    )
    est = hotspot_estimates(hotspots)
    near = nearest_site_km(hotspots, sites, handmade.CRS)
    near_d, far_d = sorted([d1, d2])
    a_near = access_by_district(est, near, distance_km=near_d).set_index("district")
    a_far = access_by_district(est, near, distance_km=far_d).set_index("district")
    share = a_near["share_within_distance"].dropna()
    assert ((share >= 0) & (share <= 1 + 1e-12)).all()
    assert (a_far["estimate_within_distance"] >= a_near["estimate_within_distance"] - 1e-9).all()
    assert (a_far["unserved_hotspots"] <= a_near["unserved_hotspots"]).all()
    assert int(a_near["unserved_hotspots"].sum()) == len(
        unserved_hotspots(est, near, distance_km=near_d)
    )


def test_site_catchment_is_the_hotspots_nearest_to_the_site_within_distance():
    h, s = handmade.hotspots(), handmade.sites()
    north = site_catchment(h, s, handmade.CRS, "S1")
    # H1 and H2 are 0.01 deg (1.1 km) from S1, their nearest site; H3 is nearest to S2.
    assert north["hotspot_id"].tolist() == ["H1", "H2"]
    assert north["distance_km"].tolist() == pytest.approx([0.01 * KM_PER_DEG_LAT] * 2, rel=3e-3)
    assert list(north.columns) == [*h.columns, "distance_km"] and type(north) is type(h)
    assert site_catchment(h, s, handmade.CRS, "S2")["hotspot_id"].tolist() == [
        "H3"
    ]  # 4.4 km <= 5 km


def test_site_catchment_distance_limit_and_no_overlap():
    h, s = handmade.hotspots(), handmade.sites()
    assert site_catchment(h, s, handmade.CRS, "S2", distance_km=3).empty  # H3 is 4.4 km away
    assert site_catchment(h, s, handmade.CRS, "S1", distance_km=1).empty  # H1, H2 are 1.1 km away
    # H2 is 19.9 km from S2 but nearer to S1: within 25 km S2 still has only H3.
    assert site_catchment(h, s, handmade.CRS, "S2", distance_km=25)["hotspot_id"].tolist() == ["H3"]


def test_site_catchment_unknown_site_or_bad_distance_names_argument():
    h, s = handmade.hotspots(), handmade.sites()
    with pytest.raises(ValueError, match=r"site_id='S9'.*\['S1', 'S2'\]"):
        site_catchment(h, s, handmade.CRS, "S9")
    with pytest.raises(ValueError, match="distance_km=-2"):
        site_catchment(h, s, handmade.CRS, "S1", distance_km=-2)


def test_site_catchments_partition_the_hotspots_within_distance():
    hotspots, sites = seeded_points(11, 200, 12, lat=(-13.3, -12.7), lon=(32.7, 33.3))
    near = nearest_site_km(hotspots, sites, handmade.CRS)
    parts = [
        site_catchment(hotspots, sites, handmade.CRS, sid)["hotspot_id"] for sid in sites["site_id"]
    ]
    ids = pd.concat(parts).tolist()
    assert len(ids) == len(set(ids))  # no hotspot in two catchments
    assert sorted(ids) == sorted(near.loc[near["distance_km"] <= 5, "hotspot_id"])
