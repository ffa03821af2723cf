"""Build the synthetic Malawi demo dataset (data/demo/) from the two real source files in sources/.

    python data/demo/build_demo.py [--out DIR]

Real inputs (data/demo/sources/, see its README.md for attribution): Natural Earth admin-1
polygons of Malawi's districts and the GeoNames towns of Malawi. Everything else is
SYNTHETIC: hotspots, service sites and enrolment are drawn with a seeded generator near the
real towns, trading centres and main roads. They are not real places where sex workers meet
clients (real hotspot locations of a criminalised population must never be published;
../shared/data/README.md) and must be labelled as synthetic wherever they are shown.

The build is deterministic: the same sources and SEED give byte-identical files
(numpy default_rng with a fixed seed, loops over sorted lists, fixed number formats,
"\\n" line endings, rows sorted by id). tests/test_demo_build.py checks this.

Boundary defects fixed here (listed in ../shared/data/README.md), never by hand:
- two features are named "Chitipa"; the one with adm1_code MWI-1194 is Karonga;
- region is blank for Chitipa and Karonga (Northern) and Machinga (Southern);
- Likoma stays a MultiPolygon (islands in the lake).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Point, mapping, shape
from shapely.prepared import prep

HERE = Path(__file__).resolve().parent
SOURCES_DIR = HERE / "sources"
BOUNDARIES_SOURCE = "malawi_admin1_naturalearth.geojson"
TOWNS_SOURCE = "malawi_towns_geonames.csv"

SEED = 20250930
PROJECTED_CRS = "EPSG:32736"  # UTM zone 36S covers Malawi (32.7-35.9 E)
COORD_DECIMALS = 5  # about 1 m: enough for a demo, small files, stable diffs
PERIODS = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
REGIONS = ["Northern", "Central", "Southern"]

# Defects of the Natural Earth file (../shared/data/README.md) and their fixes.
RENAME_BY_ADM1 = {"MWI-1194": ("Chitipa", "Karonga", "MW-KR")}
REGION_FIXES = {"Chitipa": "Northern", "Karonga": "Northern", "Machinga": "Southern"}

# Size of the demo: about 1,500 hotspots (issue 2 item 5).
N_HOTSPOTS = 1500
N_CORRIDOR_SPOTS = 180
# Districts left deliberately thin: a handful of spots each, no trading centres.
SPARSE_DISTRICTS = {"Likoma": 4, "Neno": 3}

# Typology mix of FSW programmatic mapping (bars and venues dominate; Mombasa: 60% venues,
# 30% street, programmatic-mapping-jmir-2019.txt). Probabilities for town spots; spots on
# the main roads have more truck stops and lodges.
TYPOLOGIES = [
    "bar", "lodge", "street", "nightclub", "brothel", "home", "truck_stop", "market", "other",
]  # fmt: skip
TOWN_MIX = [0.35, 0.14, 0.165, 0.085, 0.055, 0.11, 0.015, 0.04, 0.04]
ROAD_MIX = [0.26, 0.20, 0.07, 0.02, 0.03, 0.02, 0.30, 0.08, 0.02]
# Typical-day middle count (lognormal median, people) and peak/typical multiplier range.
TYPICAL_MEDIAN = {
    "bar": 6.0,
    "lodge": 7.0,
    "street": 8.0,
    "nightclub": 12.0,
    "brothel": 12.0,
    "home": 4.0,
    "truck_stop": 10.0,
    "market": 6.0,
    "other": 4.0,
}
PEAK_FACTOR = {
    "bar": (1.5, 2.4),
    "lodge": (1.4, 2.0),
    "street": (1.5, 2.5),
    "nightclub": (1.8, 3.0),
    "brothel": (1.3, 1.8),
    "home": (1.2, 1.6),
    "truck_stop": (1.5, 2.5),
    "market": (1.6, 2.6),
    "other": (1.3, 2.0),
}
POPULATIONS = ["FSW", "MSM", "TG"]
POPULATION_MIX = [0.86, 0.10, 0.04]

PEAK_DAYS = {
    "bar": [("Fri;Sat", 0.5), ("Thu;Fri;Sat", 0.2), ("Fri;Sat;Sun", 0.25), ("Sat;Sun", 0.05)],
    "nightclub": [("Fri;Sat", 0.7), ("Thu;Fri;Sat", 0.15), ("Wed;Fri;Sat", 0.15)],
    "lodge": [("Fri;Sat", 0.6), ("Fri;Sat;Sun", 0.3), ("Mon;Tue;Wed;Thu;Fri;Sat;Sun", 0.1)],
    "brothel": [("Fri;Sat", 0.5), ("Wed;Fri;Sat", 0.3), ("Mon;Tue;Wed;Thu;Fri;Sat;Sun", 0.2)],
    "street": [("Fri;Sat;Sun", 0.5), ("Fri;Sat", 0.4), ("Thu;Fri;Sat", 0.1)],
    "home": [("Fri;Sat", 0.4), ("Sat;Sun", 0.3), ("Mon;Tue;Wed;Thu;Fri;Sat;Sun", 0.3)],
    "truck_stop": [
        ("Mon;Tue;Wed;Thu;Fri", 0.5),
        ("Mon;Tue;Wed;Thu;Fri;Sat;Sun", 0.3),
        ("Fri;Sat", 0.2),
    ],
    "other": [("Fri;Sat", 0.6), ("Sat;Sun", 0.4)],
}
PEAK_TIMES = {
    "bar": [("18-24;0-2", 0.5), ("17-23", 0.3), ("19-24;0-3", 0.2)],
    "nightclub": [("21-24;0-4", 0.7), ("22-24;0-5", 0.3)],
    "lodge": [("20-24;0-6", 0.6), ("18-24", 0.4)],
    "brothel": [("14-24;0-2", 0.5), ("18-24;0-4", 0.5)],
    "street": [("19-24;0-3", 0.6), ("18-23", 0.4)],
    "home": [("18-23", 0.6), ("12-18", 0.4)],
    "truck_stop": [("17-24;0-5", 0.7), ("18-24", 0.3)],
    "market": [("8-17", 0.6), ("10-18", 0.4)],
    "other": [("16-22", 0.6), ("18-24", 0.4)],
}
UNKNOWN_PEAK_SHARE = 0.03  # key informants could not say: left blank ("" = unknown)
MARKET_DAY_PAIRS = ["Mon;Thu", "Tue;Fri", "Wed;Sat", "Tue;Sat", "Thu;Sun"]
NAME_LABEL = {
    "bar": "Bar",
    "lodge": "Lodge",
    "street": "Street Spot",
    "nightclub": "Nightclub",
    "brothel": "Brothel",
    "home": "Home-based Spot",
    "truck_stop": "Truck Stop",
    "market": "Market Spot",
    "other": "Spot",
}

# Main roads along which truck stops and road-side bars and lodges lie (town pairs).
CORRIDORS = [
    ("Karonga", "Rumphi"),
    ("Rumphi", "Mzuzu"),
    ("Mzuzu", "Kasungu"),
    ("Kasungu", "Mponela"),
    ("Mponela", "Lilongwe"),
    ("Lilongwe", "Mchinji"),
    ("Lilongwe", "Dedza"),
    ("Dedza", "Ntcheu"),
    ("Ntcheu", "Balaka"),
    ("Balaka", "Blantyre"),
    ("Lilongwe", "Salima"),
    ("Salima", "Nkhotakota"),
    ("Blantyre", "Zomba"),
    ("Zomba", "Liwonde"),
    ("Liwonde", "Mangochi"),
    ("Blantyre", "Chikwawa"),
    ("Chikwawa", "Nsanje"),
    ("Blantyre", "Mwanza"),
    ("Blantyre", "Mulanje"),
]

SITE_TYPES = ["clinic", "drop_in_centre", "mobile", "pharmacy"]
SITE_LABEL = {
    "clinic": "Clinic",
    "drop_in_centre": "Drop-in Centre",
    "mobile": "Mobile Unit",
    "pharmacy": "Pharmacy",
}
SERVICE_ORDER = [
    "condoms",
    "lubricant",
    "hts",
    "prep",
    "art",
    "sti",
    "fp",
]  # planning/schema.py SERVICES
# Services: base set plus optional ones with their probability.
SITE_SERVICES = {
    "drop_in_centre": (["condoms", "lubricant", "hts", "prep", "sti"], {"art": 0.5, "fp": 0.5}),
    "clinic": (["condoms", "hts", "art", "sti", "fp"], {"prep": 0.4, "lubricant": 0.3}),
    "mobile": (["condoms", "lubricant", "hts"], {"prep": 0.5, "sti": 0.3}),
    "pharmacy": (["condoms", "lubricant"], {"fp": 0.5}),
}
SITE_HOURS = {
    "drop_in_centre": ("Mon;Tue;Wed;Thu;Fri;Sat", "9-20"),
    "clinic": ("Mon;Tue;Wed;Thu;Fri", "8-17"),
    "mobile": ("Thu;Fri;Sat", "17-23"),
    "pharmacy": ("Mon;Tue;Wed;Thu;Fri;Sat", "8-19"),
}

HOTSPOT_HEADER = [
    "hotspot_id", "name", "latitude", "longitude", "district", "region", "typology", "population",
    "typical_min", "typical_max", "peak_min", "peak_max", "peak_days", "peak_times", "mapped_on",
]  # fmt: skip
SITE_HEADER = [
    "site_id", "name", "latitude", "longitude", "site_type", "district", "region", "services",
    "open_days", "open_hours",
]  # fmt: skip
ENROLMENT_HEADER = [
    "period", "hotspot_id", "enrolled", "contacted", "condoms_distributed", "tested_hiv", "on_prep",
]  # fmt: skip

DATASET_TOML = """\
# Demo dataset: Malawi's 28 districts (real boundaries, Natural Earth) with SYNTHETIC
# hotspots, sites and enrolment. Built by data/demo/build_demo.py; do not edit by hand.
[dataset]
name = "Malawi (synthetic demo)"
country = "Malawi"
synthetic = true
description = "Hotspots, service sites and enrolment are synthetic (seeded generator near real \
towns); district boundaries are Natural Earth (public domain), towns GeoNames (CC BY 4.0)."

[boundaries]
district_column = "district"
region_column = "region"

[crs]
projected = "EPSG:32736"
"""


@dataclass(frozen=True)
class Town:
    """A real town (GeoNames) and the district polygon it lies in."""

    name: str
    latitude: float
    longitude: float
    population: int
    district: str


@dataclass(frozen=True)
class Centre:
    """A place hotspots cluster around: a town, a trading centre or a stop on a main road."""

    label: str
    district: str  # "" on roads: the district is whichever polygon the spot falls in
    x_m: float
    y_m: float
    spread_km: float
    kind: str  # "town", "trading_centre", "road"


# --------------------------------------------------------------------------- boundaries
def load_boundaries(sources_dir: Path) -> list[dict]:
    """Districts from the Natural Earth file with the known defects fixed, sorted by name.

    Each item: district, region, adm1_code, iso_3166_2, geometry (shapely, WGS84, snapped
    to COORD_DECIMALS so that what is written is exactly what spots were placed in).
    """
    path = sources_dir / BOUNDARIES_SOURCE
    raw = json.loads(path.read_text(encoding="utf-8"))
    districts = []
    for feature in raw["features"]:
        props = feature["properties"]
        name, iso, adm1 = props["name"], props["iso_3166_2"], props["adm1_code"]
        if adm1 in RENAME_BY_ADM1:
            expected, new_name, new_iso = RENAME_BY_ADM1[adm1]
            if name != expected:
                raise SystemExit(
                    f"{path}: feature adm1_code {adm1} is named {name!r}, expected {expected!r}; "
                    "the source changed: review RENAME_BY_ADM1 in build_demo.py"
                )
            name, iso = new_name, new_iso
        region = (props.get("region") or "").strip() or REGION_FIXES.get(name, "")
        if region not in REGIONS:
            raise SystemExit(
                f"{path}: district {name!r} has region {region!r}, not one of {REGIONS}; "
                "add it to REGION_FIXES in build_demo.py"
            )
        geom = shapely.set_precision(shape(feature["geometry"]), 10**-COORD_DECIMALS)
        if not geom.is_valid or geom.is_empty:
            geom = shapely.make_valid(geom)
        districts.append(
            {
                "district": name,
                "region": region,
                "adm1_code": adm1,
                "iso_3166_2": iso,
                "geometry": geom,
            }
        )
    names = [d["district"] for d in districts]
    if len(set(names)) != 28 or len(names) != 28:
        raise SystemExit(
            f"{path}: expected 28 distinct districts after the fixes, got {sorted(names)}"
        )
    return sorted(districts, key=lambda d: d["district"])


def _fmt_coord(value: float) -> float:
    return round(float(value), COORD_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def _coords(obj):
    if isinstance(obj, (list, tuple)) and obj and isinstance(obj[0], (int, float)):
        return [_fmt_coord(obj[0]), _fmt_coord(obj[1])]
    return [_coords(item) for item in obj]


def boundaries_geojson(districts: list[dict]) -> str:
    """Compact GeoJSON text: one feature per line, fixed property order, rounded coordinates."""
    lines = ['{"type":"FeatureCollection","features":[']
    for i, d in enumerate(districts):
        geom = mapping(d["geometry"])
        feature = {
            "type": "Feature",
            "properties": {k: d[k] for k in ("district", "region", "adm1_code", "iso_3166_2")},
            "geometry": {"type": geom["type"], "coordinates": _coords(geom["coordinates"])},
        }
        text = json.dumps(feature, separators=(",", ":"), ensure_ascii=False)
        lines.append(text + ("," if i < len(districts) - 1 else ""))
    lines.append("]}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- geometry
class Geo:
    """Projection and point-in-district tests for the placement of synthetic points."""

    def __init__(self, districts: list[dict]):
        self.to_m = Transformer.from_crs("EPSG:4326", PROJECTED_CRS, always_xy=True)
        self.to_deg = Transformer.from_crs(PROJECTED_CRS, "EPSG:4326", always_xy=True)
        self.names = [d["district"] for d in districts]
        self.region = {d["district"]: d["region"] for d in districts}
        self.geoms = {d["district"]: d["geometry"] for d in districts}
        self.prepared = [(d["district"], prep(d["geometry"])) for d in districts]

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self.to_m.transform(lon, lat)
        return float(x), float(y)

    def lonlat(self, x_m: float, y_m: float) -> tuple[float, float]:
        """Rounded WGS84 coordinates of a projected point (what is written to the CSV)."""
        lon, lat = self.to_deg.transform(x_m, y_m)
        return _fmt_coord(lon), _fmt_coord(lat)

    def districts_at(self, lon: float, lat: float) -> list[str]:
        point = Point(lon, lat)
        return [name for name, geom in self.prepared if geom.contains(point)]

    def district_of(self, lon: float, lat: float) -> str:
        """The one district containing the point, else the nearest one (towns on the lake shore)."""
        inside = self.districts_at(lon, lat)
        if len(inside) == 1:
            return inside[0]
        point = Point(lon, lat)
        return min(self.names, key=lambda n: (self.geoms[n].distance(point), n))

    def representative_xy(self, district: str) -> tuple[float, float]:
        p = self.geoms[district].representative_point()
        return self.xy(p.x, p.y)

    def random_xy_in(self, district: str, rng: np.random.Generator) -> tuple[float, float]:
        """A uniform random point inside a district (rejection sampling in its bounding box)."""
        minx, miny, maxx, maxy = self.geoms[district].bounds
        for _ in range(10_000):
            lon, lat = _fmt_coord(rng.uniform(minx, maxx)), _fmt_coord(rng.uniform(miny, maxy))
            if self.districts_at(lon, lat) == [district]:
                return self.xy(lon, lat)
        raise SystemExit(f"could not place a point inside district {district!r}")

    def place_near(
        self, centre: Centre, rng: np.random.Generator, radius_km: float
    ) -> tuple[float, float, str]:
        """A point about radius_km from the centre, inside exactly one district (the centre's, if
        it has one).

        Resamples until the rounded point lies inside; the radius grows by 25 m a try so
        that a centre on the lake shore or a road along the border still finds land.
        """
        for attempt in range(2_000):
            r_m = radius_km * 1000.0 + 25.0 * attempt
            angle = rng.uniform(0.0, 2.0 * math.pi)
            lon, lat = self.lonlat(
                centre.x_m + r_m * math.cos(angle), centre.y_m + r_m * math.sin(angle)
            )
            inside = self.districts_at(lon, lat)
            if len(inside) == 1 and (not centre.district or inside[0] == centre.district):
                return lon, lat, inside[0]
        raise SystemExit(
            f"could not place a point near {centre.label!r} inside {centre.district or 'Malawi'}"
        )


# --------------------------------------------------------------------------- towns
def load_towns(sources_dir: Path, geo: Geo) -> list[Town]:
    """GeoNames towns with the district polygon each lies in (nearest district when on the
    shore)."""
    towns = []
    with (sources_dir / TOWNS_SOURCE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            lat, lon = float(row["latitude"]), float(row["longitude"])
            towns.append(
                Town(row["name"], lat, lon, int(row["population"]), geo.district_of(lon, lat))
            )
    return sorted(towns, key=lambda t: (-t.population, t.name))


def town_weight(town: Town) -> float:
    """Share of urban spots: log population times square root of population (in thousands).

    Log alone makes Lilongwe barely larger than a trading town; the square-root factor
    gives the two cities the largest share, as in national mappings where a few urban
    districts hold most of the population (Kenya: Nairobi 27%; programmatic-mapping-jmir-2019.txt).
    """
    thousands = max(town.population, 1000) / 1000.0
    return math.log1p(thousands) * math.sqrt(thousands)


def largest_remainder(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to weights that sum to total (ties broken by position)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    base = np.floor(raw).astype(int)
    order = sorted(range(len(w)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[: total - int(base.sum())]:
        base[i] += 1
    return [int(b) for b in base]


def _choice(rng: np.random.Generator, options: list[tuple[str, float]]) -> str:
    values = [o[0] for o in options]
    p = np.asarray([o[1] for o in options], dtype=float)
    return values[int(rng.choice(len(values), p=p / p.sum()))]


# --------------------------------------------------------------------------- hotspots
def _spot_counts(typology: str, rng: np.random.Generator, large: bool) -> tuple[int, int, int, int]:
    """Typical and peak min-max counts (people) with typical_min <= typical_max, peak >= typical."""
    median = TYPICAL_MEDIAN[typology] * (3.0 if large else 1.0)
    mid = min(4.0 * median, 45.0, float(rng.lognormal(math.log(median), 0.45)))
    typical_min = max(1, round(mid * rng.uniform(0.6, 0.85)))
    typical_max = max(typical_min + 1, round(mid * rng.uniform(1.1, 1.4)))
    lo_f, hi_f = PEAK_FACTOR[typology]
    factor = rng.uniform(lo_f, hi_f)
    peak_min = max(typical_min + 1, round(typical_min * factor))
    peak_max = max(peak_min + 1, typical_max + 1, round(typical_max * factor))
    return typical_min, typical_max, peak_min, peak_max


def build_centres(
    towns: list[Town], geo: Geo, rng: np.random.Generator
) -> list[tuple[Centre, int]]:
    """Every place spots cluster around, with its number of spots (sums to N_HOTSPOTS)."""
    centres: list[tuple[Centre, int]] = []
    by_name = {t.name: t for t in towns}
    # Trading centres: 1-2 per district (2 in the larger ones), 4-7 spots each.
    areas = {n: geo.geoms[n].area for n in geo.names}
    median_area = float(np.median(list(areas.values())))
    for district in geo.names:
        if district in SPARSE_DISTRICTS:
            continue
        for k in range(1 + int(areas[district] > median_area)):
            x, y = geo.random_xy_in(district, rng)
            label = f"{district} trading centre {k + 1}"
            centres.append(
                (Centre(label, district, x, y, 1.0, "trading_centre"), int(rng.integers(4, 8)))
            )
    # Stops on the main roads: 2 per corridor, the spots split between them.
    road_counts = largest_remainder(N_CORRIDOR_SPOTS, [1.0] * (2 * len(CORRIDORS)))
    for c, (a, b) in enumerate(CORRIDORS):
        ta, tb = by_name[a], by_name[b]
        xa, ya = geo.xy(ta.longitude, ta.latitude)
        xb, yb = geo.xy(tb.longitude, tb.latitude)
        for s, t in enumerate(sorted(rng.uniform(0.2, 0.8, size=2))):
            label = f"{a}-{b} road, stop {s + 1}"
            centre = Centre(label, "", xa + t * (xb - xa), ya + t * (yb - ya), 0.8, "road")
            centres.append((centre, road_counts[2 * c + s]))
    # Towns: the rest, by town_weight (log population x square root); sparse districts get their
    # fixed few.
    used = sum(n for _, n in centres) + sum(SPARSE_DISTRICTS.values())
    urban = [t for t in towns if t.district not in SPARSE_DISTRICTS]
    counts = largest_remainder(N_HOTSPOTS - used, [town_weight(t) for t in urban])
    for town, n in zip(urban, counts):
        x, y = geo.xy(town.longitude, town.latitude)
        spread = float(
            np.clip(1.0 + 1.2 * math.log10(max(town.population, 1000) / 10_000), 0.8, 3.5)
        )
        # A town near a border spills into the neighbouring district (Mzuzu lies on the
        # Mzimba / Nkhata Bay line in these polygons): each spot takes the district it lies in.
        centres.append((Centre(town.name, "", x, y, spread, "town"), n))
    for district, n in sorted(SPARSE_DISTRICTS.items()):
        town = max(
            (t for t in towns if t.district == district),
            key=lambda t: (t.population, t.name),
            default=None,
        )
        if town is None:
            x, y = geo.representative_xy(district)
            label = district
        else:
            x, y = geo.xy(town.longitude, town.latitude)
            label = town.name
        centres.append((Centre(label, district, x, y, 1.0, "town"), n))
    return centres


def _neighbourhoods(
    centre: Centre, n_spots: int, rng: np.random.Generator
) -> list[tuple[str, float, float]]:
    """Sub-centres of a town (spots cluster in neighbourhoods): label and offset in metres."""
    k = max(1, min(12, n_spots // 15))
    subs = []
    for i in range(k):
        r_m = 0.0 if i == 0 else abs(rng.normal(0.0, centre.spread_km)) * 1000.0
        angle = rng.uniform(0.0, 2.0 * math.pi)
        if centre.label == "Lilongwe":
            label = f"Area {int(rng.integers(1, 50))}"
        elif k > 1:
            label = f"{centre.label} zone {i + 1}"
        else:
            label = centre.label
        subs.append((label, r_m * math.cos(angle), r_m * math.sin(angle)))
    return subs


def build_hotspots(
    centres: list[tuple[Centre, int]], geo: Geo, rng: np.random.Generator
) -> list[dict]:
    """Synthetic hotspots around the centres, each inside the district polygon it names."""
    mapping_start = {d: int(rng.integers(0, 200)) for d in geo.names}  # day of 2025 mapping began
    market_days = {
        d: MARKET_DAY_PAIRS[int(rng.integers(0, len(MARKET_DAY_PAIRS)))] for d in geo.names
    }
    spots: list[dict] = []
    for centre, n_spots in centres:
        subs = (
            _neighbourhoods(centre, n_spots, rng)
            if centre.kind == "town"
            else [(centre.label, 0.0, 0.0)]
        )
        for _ in range(n_spots):
            label, dx, dy = subs[int(rng.integers(0, len(subs)))]
            sub = Centre(
                label,
                centre.district,
                centre.x_m + dx,
                centre.y_m + dy,
                centre.spread_km,
                centre.kind,
            )
            if centre.kind == "town":
                radius_km = min(
                    5.0, abs(rng.normal(0.0, 0.6 if len(subs) > 1 else centre.spread_km)) + 0.1
                )
            else:
                radius_km = abs(rng.normal(0.0, centre.spread_km)) + 0.05
            lon, lat, district = geo.place_near(sub, rng, radius_km)
            mix = ROAD_MIX if centre.kind == "road" else TOWN_MIX
            typology = TYPOLOGIES[int(rng.choice(len(TYPOLOGIES), p=mix))]
            big_town = centre.kind == "town" and centre.spread_km >= 2.0
            large = typology in (
                "nightclub",
                "brothel",
                "street",
                "truck_stop",
            ) and rng.random() < (0.12 if big_town else 0.04)
            typical_min, typical_max, peak_min, peak_max = _spot_counts(typology, rng, large)
            population = POPULATIONS[int(rng.choice(len(POPULATIONS), p=POPULATION_MIX))]
            if rng.random() < UNKNOWN_PEAK_SHARE:
                peak_days = ""
            elif typology == "market":
                peak_days = market_days[district]
            else:
                peak_days = _choice(rng, PEAK_DAYS[typology])
            peak_times = (
                "" if rng.random() < UNKNOWN_PEAK_SHARE else _choice(rng, PEAK_TIMES[typology])
            )
            day = mapping_start[district] + int(rng.integers(0, 21))
            mapped_on = (np.datetime64("2025-01-01") + np.timedelta64(day, "D")).astype(str)
            spots.append(
                {
                    "area": label,
                    "latitude": lat,
                    "longitude": lon,
                    "district": district,
                    "region": geo.region[district],
                    "typology": typology,
                    "population": population,
                    "typical_min": typical_min,
                    "typical_max": typical_max,
                    "peak_min": peak_min,
                    "peak_max": peak_max,
                    "peak_days": peak_days,
                    "peak_times": peak_times,
                    "mapped_on": mapped_on,
                }
            )
    # Ids follow a stable geographic order (region, district, north to south, west to east).
    spots.sort(
        key=lambda s: (
            REGIONS.index(s["region"]),
            s["district"],
            -s["latitude"],
            s["longitude"],
            s["typology"],
        )
    )
    for i, spot in enumerate(spots, start=1):
        spot["hotspot_id"] = f"HS-{i:05d}"
        spot["name"] = f"Synthetic {NAME_LABEL[spot['typology']]} {i:04d} ({spot.pop('area')})"
    return spots


# --------------------------------------------------------------------------- sites
def _site_plan(town: Town) -> list[str]:
    """Site types a town gets, by size (the larger towns have drop-in centres and pharmacies)."""
    if town.population >= 500_000:
        return [
            "drop_in_centre",
            "drop_in_centre",
            "clinic",
            "clinic",
            "clinic",
            "pharmacy",
            "pharmacy",
            "mobile",
        ]
    if town.population >= 100_000:
        return ["drop_in_centre", "clinic", "clinic", "pharmacy"]
    if town.population >= 25_000:
        return ["clinic", "pharmacy"] if town.population >= 40_000 else ["clinic", "mobile"]
    if town.population >= 7_000:
        return ["clinic"]
    return []


def build_sites(towns: list[Town], geo: Geo, rng: np.random.Generator) -> list[dict]:
    """About 60 synthetic service sites near the towns; some districts have none."""
    sites = []
    for town in towns:
        plan = _site_plan(town)
        if plan == ["clinic"] and rng.random() < 0.3:
            continue  # not every small town has a KP-friendly clinic
        x, y = geo.xy(town.longitude, town.latitude)
        centre = Centre(town.name, town.district, x, y, 1.0, "town")
        for site_type in plan:
            lon, lat, district = geo.place_near(centre, rng, abs(rng.normal(0.0, 1.2)) + 0.1)
            base, extra = SITE_SERVICES[site_type]
            services = set(base) | {s for s, p in sorted(extra.items()) if rng.random() < p}
            open_days, open_hours = SITE_HOURS[site_type]
            sites.append(
                {
                    "town": town.name,
                    "latitude": lat,
                    "longitude": lon,
                    "site_type": site_type,
                    "district": district,
                    "region": geo.region[district],
                    "services": ";".join(s for s in SERVICE_ORDER if s in services),
                    "open_days": open_days,
                    "open_hours": open_hours,
                }
            )
    sites.sort(
        key=lambda s: (REGIONS.index(s["region"]), s["district"], -s["latitude"], s["longitude"])
    )
    for i, site in enumerate(sites, start=1):
        site["site_id"] = f"SITE-{i:03d}"
        site["name"] = f"Synthetic {SITE_LABEL[site['site_type']]} {i:03d} ({site.pop('town')})"
    return sites


# --------------------------------------------------------------------------- enrolment
def build_enrolment(
    hotspots: list[dict], sites: list[dict], geo: Geo, rng: np.random.Generator
) -> list[dict]:
    """Cumulative enrolment per reached hotspot and quarter; district coverage spreads from ~5%
    to ~90%.

    Districts with more sites get the higher coverage levels (with noise); within a district
    the spots nearest a site are reached first; coverage grows over the four quarters.
    """
    site_xy = np.array([geo.xy(s["longitude"], s["latitude"]) for s in sites])
    sites_per_district = {d: sum(s["district"] == d for s in sites) for d in geo.names}
    score = {d: sites_per_district[d] + rng.uniform(0.0, 2.5) for d in geo.names}
    ranked = sorted(geo.names, key=lambda d: (score[d], d))
    levels = np.linspace(0.05, 0.90, len(ranked))
    coverage = {d: float(levels[i]) for i, d in enumerate(ranked)}
    start_fraction = {d: float(rng.uniform(0.45, 0.8)) for d in geo.names}

    rows = []
    for district in geo.names:
        spots = [s for s in hotspots if s["district"] == district]
        if not spots:
            continue
        xy = np.array([geo.xy(s["longitude"], s["latitude"]) for s in spots])
        dist_km = (
            np.sqrt(((xy[:, None, :] - site_xy[None, :, :]) ** 2).sum(axis=2)).min(axis=1) / 1000.0
        )
        mids = np.array([(s["peak_min"] + s["peak_max"]) / 2.0 for s in spots])
        c = coverage[district]
        reach_share = min(1.0, 0.12 + 1.1 * c)
        n_reached = max(1, round(reach_share * len(spots)))
        order = np.argsort(dist_km + rng.exponential(3.0, size=len(spots)), kind="stable")
        reached = order[:n_reached]
        target_total = c * mids.sum()
        per_mid = target_total / mids[reached].sum()
        f0 = start_fraction[district]
        fractions = [f0 + (1.0 - f0) * q / (len(PERIODS) - 1) for q in range(len(PERIODS))]
        for idx in sorted(reached, key=lambda i: spots[i]["hotspot_id"]):
            spot = spots[idx]
            final = max(1, round(mids[idx] * per_mid * rng.uniform(0.8, 1.2)))
            first_q = (
                0 if rng.random() < 0.8 else int(rng.integers(1, len(PERIODS)))
            )  # spots reached later
            prep_share = rng.uniform(0.05, 0.3)
            for q in range(first_q, len(PERIODS)):
                enrolled = max(1, round(final * fractions[q]))
                contacted = round(enrolled * rng.uniform(0.55, 0.9))
                rows.append(
                    {
                        "period": PERIODS[q],
                        "hotspot_id": spot["hotspot_id"],
                        "enrolled": enrolled,
                        "contacted": contacted,
                        "condoms_distributed": round(contacted * rng.uniform(60.0, 120.0)),
                        "tested_hiv": round(contacted * rng.uniform(0.3, 0.75)),
                        "on_prep": round(enrolled * prep_share),
                    }
                )
    rows.sort(key=lambda r: (r["hotspot_id"], r["period"]))
    return rows


# --------------------------------------------------------------------------- writing
def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.{COORD_DECIMALS}f}"
    return str(value)


def csv_text(header: list[str], rows: list[dict]) -> str:
    """CSV text with a fixed float format and "\\n" line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in header])
    return buffer.getvalue()


def build(out_dir: Path, sources_dir: Path = SOURCES_DIR) -> dict[str, int]:
    """Write hotspots.csv, sites.csv, enrolment.csv, boundaries.geojson, dataset.toml into
    out_dir; return row counts."""
    rng = np.random.default_rng(SEED)
    districts = load_boundaries(sources_dir)
    geo = Geo(districts)
    towns = load_towns(sources_dir, geo)
    centres = build_centres(towns, geo, rng)
    hotspots = build_hotspots(centres, geo, rng)
    sites = build_sites(towns, geo, rng)
    enrolment = build_enrolment(hotspots, sites, geo, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "boundaries.geojson": boundaries_geojson(districts),
        "hotspots.csv": csv_text(HOTSPOT_HEADER, hotspots),
        "sites.csv": csv_text(SITE_HEADER, sites),
        "enrolment.csv": csv_text(ENROLMENT_HEADER, enrolment),
        "dataset.toml": DATASET_TOML,
    }
    for name, text in files.items():
        (out_dir / name).write_bytes(text.encode("utf-8"))
    return {
        "districts": len(districts),
        "hotspots": len(hotspots),
        "sites": len(sites),
        "enrolment": len(enrolment),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: build the demo into --out (default data/demo)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=HERE, help="output folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    counts = build(args.out)
    print(f"wrote {args.out}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
