"""Canonical frames of a loaded dataset: the contract between data_loaders/ and the rest.

Loaders (data_loaders/) turn user files into these frames after validation; every
planning function, figure builder and page reads only these names. Column names carry
their unit where they have one. Coordinates are WGS84 decimal degrees; distances are
computed in the dataset's projected CRS (``Dataset.crs_projected``), never in degrees.

See ../shared/DESIGN.md section 2 for the data contract users fill in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

WGS84 = "EPSG:4326"

# --- hotspots (one row per mapped spot) -------------------------------------------
# hotspot_id  str   unique id as given by the user
# name        str   "" when not given
# latitude    float WGS84 decimal degrees
# longitude   float WGS84 decimal degrees
# typology    str   lower-case, e.g. bar, lodge, street, brothel, home, nightclub, ...
# typical_min, typical_max, peak_min, peak_max   int64 people (>= 0, min <= max)
# district    str   from the spatial join with the boundaries (stated value is checked)
# region      str   region of that district ("" when the boundaries carry none)
# population  str   key population: FSW (default), MSM, MWPS, PWID, TG
# peak_days   str   canonical "Mon;Tue;...;Sun" subset joined with ";" ("" when unknown)
# peak_times  str   canonical hour ranges "18-24;0-2" (bands converted; "" when unknown)
# mapped_on   str   ISO date or ""
# pe_id       str   peer educator currently covering the spot ("" when not given); held
#                   fixed when caseloads are re-planned (planning/caseloads.py)
# geometry    Point (WGS84)
HOTSPOT_COLUMNS = [
    "hotspot_id", "name", "latitude", "longitude", "typology",
    "typical_min", "typical_max", "peak_min", "peak_max", "district", "region", "population",
    "peak_days", "peak_times", "mapped_on", "pe_id",
]  # fmt: skip
HOTSPOT_COUNT_COLUMNS = ["typical_min", "typical_max", "peak_min", "peak_max"]
HOTSPOT_REQUIRED = ["hotspot_id", "latitude", "longitude", "typology", *HOTSPOT_COUNT_COLUMNS]
KEY_POPULATIONS = ["FSW", "MSM", "MWPS", "PWID", "TG"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# Bands of the day used in peak_times, as hour ranges [start, end).
TIME_BANDS_H = {"morning": (6, 12), "afternoon": (12, 18), "evening": (18, 24), "night": (0, 6)}

# --- sites (service delivery points) ---------------------------------------------
# site_id, name, latitude, longitude, site_type (lower-case: clinic, drop_in_centre,
# mobile, pharmacy, ...), district, region, services (canonical ";"-joined subset of
# SERVICES, "" when unknown), open_days, open_hours, geometry (Point, WGS84)
SITE_COLUMNS = [
    "site_id", "name", "latitude", "longitude", "site_type", "district", "region", "services",
    "open_days", "open_hours",
]  # fmt: skip
SITE_REQUIRED = ["site_id", "name", "latitude", "longitude", "site_type"]
SERVICES = ["condoms", "lubricant", "hts", "prep", "art", "sti", "fp"]

# --- enrolment (programme records) -----------------------------------------------
# period      str   canonical "2025-Q3" or "2025-09"
# enrolled    int64 unique people registered, cumulative to the end of the period
# hotspot_id, site_id  str  "" when the row is not at that level
# level       str   "hotspot", "site" or "district": which id the row was given at
# district    str   resolved district (from the hotspot, the site, or as given)
# region      str
# contacted, condoms_distributed, tested_hiv, on_prep   float (NaN when not given)
ENROLMENT_COLUMNS = [
    "period", "enrolled", "hotspot_id", "site_id", "level", "district", "region",
    "contacted", "condoms_distributed", "tested_hiv", "on_prep",
]  # fmt: skip
ENROLMENT_REQUIRED = ["period", "enrolled"]
ENROLMENT_OPTIONAL_COUNTS = ["contacted", "condoms_distributed", "tested_hiv", "on_prep"]

# --- boundaries (planning units) -------------------------------------------------
# district    str   unique
# region      str   "" when unknown
# area_km2    float area computed in the projected CRS
# geometry    Polygon / MultiPolygon (WGS84)
BOUNDARY_COLUMNS = ["district", "region", "area_km2"]


@dataclass(frozen=True)
class Dataset:
    """A validated dataset: the clean frames plus what the loader found.

    ``report`` is a data_loaders.validation.ValidationReport (kept as Any here so
    planning/ does not import the loaders).
    """

    name: str
    hotspots: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    enrolment: pd.DataFrame
    boundaries: gpd.GeoDataFrame
    crs_projected: str
    synthetic: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    report: Any = None
    source_dir: str = ""
