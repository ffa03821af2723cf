"""Hand-drawn frames for engine tests: three hotspots, two sites, three square districts.

Everything lies near 33° E, 13° S (UTM zone 36 S, EPSG:32736), on the zone's central meridian
(33° E), so north-south distances are about 110.6 km per degree of latitude.

    district A (region R1, 100 km²): H1 bar    FSW  typical 5-10  peak 10-20   at lat -13.00
                                      H2 street FSW  typical 2-4   peak 4-8     at lat -13.02
    district B (region R1,  50 km²): H3 lodge  MSM  typical 10-20 peak 30-50   at lat -13.16
    district C (region R2,  25 km²): no hotspots
    site S1 at lat -13.01 offers condoms;prep     site S2 at lat -13.20 offers condoms;hts

Peak estimates: A low 14, high 28, mid 21; B low 30, high 50, mid 40; C 0; national 44/61/78.
Nearest site: H1 -> S1 0.01° (1.1 km), H2 -> S1 0.01° (1.1 km), H3 -> S2 0.04° (4.4 km);
only prep: H3 -> S1 0.15° (16.6 km).

Enrolment (cumulative): 2025-Q4: H1 5, H3 10.  2026-Q1: H1 8, H2 3 (hotspot rows), B 20
(a district row). Latest period 2026-Q1: A 11, B 20, C 0.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

CRS = "EPSG:32736"


def hotspots() -> gpd.GeoDataFrame:
    """Three hotspots in the canonical hotspot schema."""
    lat = [-13.00, -13.02, -13.16]
    lon = [33.0, 33.0, 33.0]
    frame = pd.DataFrame(
        {
            "hotspot_id": ["H1", "H2", "H3"],
            "name": ["Blue Bar", "Market St", "Lake Lodge"],
            "latitude": lat,
            "longitude": lon,
            "typology": ["bar", "street", "lodge"],
            "typical_min": np.array([5, 2, 10], dtype="int64"),
            "typical_max": np.array([10, 4, 20], dtype="int64"),
            "peak_min": np.array([10, 4, 30], dtype="int64"),
            "peak_max": np.array([20, 8, 50], dtype="int64"),
            "district": ["A", "A", "B"],
            "region": ["R1", "R1", "R1"],
            "population": ["FSW", "FSW", "MSM"],
            "peak_days": ["Fri;Sat", "Sat", ""],
            "peak_times": ["18-24", "", ""],
            "mapped_on": ["", "", ""],
            "pe_id": ["", "", ""],
        }
    )
    return gpd.GeoDataFrame(
        frame, geometry=[Point(x, y) for x, y in zip(lon, lat)], crs="EPSG:4326"
    )


def sites() -> gpd.GeoDataFrame:
    """Two sites: S1 (condoms, PrEP) north, S2 (condoms, HTS) south."""
    lat = [-13.01, -13.20]
    lon = [33.0, 33.0]
    frame = pd.DataFrame(
        {
            "site_id": ["S1", "S2"],
            "name": ["North clinic", "South DIC"],
            "latitude": lat,
            "longitude": lon,
            "site_type": ["clinic", "drop_in_centre"],
            "district": ["A", "B"],
            "region": ["R1", "R1"],
            "services": ["condoms;prep", "condoms;hts"],
            "open_days": ["", ""],
            "open_hours": ["", ""],
        }
    )
    return gpd.GeoDataFrame(
        frame, geometry=[Point(x, y) for x, y in zip(lon, lat)], crs="EPSG:4326"
    )


def boundaries() -> gpd.GeoDataFrame:
    """Three square districts; area_km2 given by hand (100, 50, 25) so densities are easy."""
    return gpd.GeoDataFrame(
        {
            "district": ["A", "B", "C"],
            "region": ["R1", "R1", "R2"],
            "area_km2": [100.0, 50.0, 25.0],
        },
        geometry=[
            box(32.9, -13.1, 33.1, -12.9),
            box(32.9, -13.3, 33.1, -13.1),
            box(33.1, -13.3, 33.3, -13.1),
        ],
        crs="EPSG:4326",
    )


def enrolment() -> pd.DataFrame:
    """Enrolment at hotspot and district level over two quarters (canonical enrolment schema)."""
    return pd.DataFrame(
        {
            "period": ["2025-Q4", "2025-Q4", "2026-Q1", "2026-Q1", "2026-Q1"],
            "enrolled": np.array([5, 10, 8, 3, 20], dtype="int64"),
            "hotspot_id": ["H1", "H3", "H1", "H2", ""],
            "site_id": ["", "", "", "", ""],
            "level": ["hotspot", "hotspot", "hotspot", "hotspot", "district"],
            "district": ["A", "B", "A", "A", "B"],
            "region": ["R1", "R1", "R1", "R1", "R1"],
            "contacted": [np.nan] * 5,
            "condoms_distributed": [np.nan] * 5,
            "tested_hiv": [np.nan] * 5,
            "on_prep": [np.nan] * 5,
        }
    )
