"""Seeded generator of synthetic national datasets for benchmarks: N hotspots, M sites, K districts.

Districts are a square grid of K cells near 33° E, 13° S (UTM zone 36 S) or, with
``boundaries="demo"``, Malawi's districts from data/demo/boundaries.geojson. Hotspots cluster
around a few "towns" per district, with district sizes drawn from a lognormal so that
concentration varies as in real mapping. Everything is synthetic: it describes no real place
or person. ``synthetic_dataset`` returns a canonical planning.schema.Dataset;
``write_dataset_folder`` writes it as a dataset folder that data_loaders.dataset.load_dataset reads.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from planning.schema import (
    ENROLMENT_COLUMNS,
    HOTSPOT_COLUMNS,
    SITE_COLUMNS,
    WGS84,
    Dataset,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO_BOUNDARIES = ROOT / "data" / "demo" / "boundaries.geojson"
CRS_PROJECTED = "EPSG:32736"  # UTM 36 S: the grid and Malawi lie in it
CELL_DEG = 0.2
TYPOLOGIES = np.array(["bar", "lodge", "street", "nightclub", "brothel", "home", "other"])
SERVICE_SETS = np.array(
    [
        "condoms;lubricant;hts;prep;art;sti;fp",
        "condoms;hts;art;sti",
        "condoms;lubricant",
        "condoms;hts;prep",
    ]
)
PERIOD = "2026-Q1"


def grid_boundaries(k_districts: int) -> gpd.GeoDataFrame:
    """K square districts of CELL_DEG degrees in rows of ⌈√K⌉, regions = grid rows; area_km2 in
    UTM 36 S."""
    if k_districts < 1:
        raise ValueError(f"k_districts {k_districts} must be at least 1")
    nx = math.ceil(math.sqrt(k_districts))
    lon0 = 33.0 - nx * CELL_DEG / 2
    lat0 = -13.0 + nx * CELL_DEG / 2
    cells, names, regions = [], [], []
    for i in range(k_districts):
        row, col = divmod(i, nx)
        x, y = lon0 + col * CELL_DEG, lat0 - (row + 1) * CELL_DEG
        cells.append(box(x, y, x + CELL_DEG, y + CELL_DEG))
        names.append(f"District {i + 1:04d}")
        regions.append(f"Region {row + 1:02d}")
    frame = gpd.GeoDataFrame({"district": names, "region": regions}, geometry=cells, crs=WGS84)
    frame["area_km2"] = frame.to_crs(CRS_PROJECTED).area / 1e6
    return frame


def demo_boundaries() -> gpd.GeoDataFrame:
    """Malawi's districts from data/demo/boundaries.geojson with area_km2 in UTM 36 S."""
    frame = gpd.read_file(DEMO_BOUNDARIES).to_crs(WGS84)
    keep = frame[["district", "region", "geometry"]].copy()
    keep["area_km2"] = keep.to_crs(CRS_PROJECTED).area / 1e6
    return keep.reset_index(drop=True)


# points (lon, lat) drawn in one district, with its district and region names
_Points = tuple[np.ndarray, str, str]


def _stacked(parts: list[_Points]) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Longitudes, latitudes, districts and regions of the points of every district, in order."""
    if not parts:
        return np.zeros(0), np.zeros(0), [], []
    points = np.concatenate([p for p, _, _ in parts])
    districts = [d for p, d, _ in parts for _ in range(len(p))]
    regions = [r for p, _, r in parts for _ in range(len(p))]
    return points[:, 0], points[:, 1], districts, regions


def _points_in(polygon, n: int, centres: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """n points (lon, lat) inside ``polygon``: normal around ``centres``, resampled until inside."""
    minx, miny, maxx, maxy = polygon.bounds
    spread = max(min(maxx - minx, maxy - miny) / 12, 0.005)
    out = np.empty((0, 2))
    shapely.prepare(polygon)
    tries = 0
    while len(out) < n:
        want = (n - len(out)) * 2 + 8
        pick = centres[rng.integers(0, len(centres), want)]
        pts = pick + rng.normal(0, spread, (want, 2))
        if tries > 20:  # very thin polygons: fall back to uniform in the bounds
            pts = np.column_stack([rng.uniform(minx, maxx, want), rng.uniform(miny, maxy, want)])
        inside = shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])
        out = np.vstack([out, pts[inside]])
        tries += 1
    return out[:n]


def _centres(polygon, count: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = polygon.bounds
    found = []
    shapely.prepare(polygon)
    while len(found) < count:
        x, y = rng.uniform(minx, maxx, 64), rng.uniform(miny, maxy, 64)
        inside = shapely.contains_xy(polygon, x, y)
        found.extend(zip(x[inside], y[inside]))
    return np.array(found[:count])


def synthetic_dataset(
    n_hotspots: int = 10_000,
    m_sites: int = 2_000,
    k_districts: int = 28,
    *,
    boundaries: str = "grid",
    seed: int = 1,
    name: str | None = None,
) -> Dataset:
    """A canonical Dataset of ``n_hotspots`` hotspots, ``m_sites`` sites, hotspot-level enrolment
    for one quarter.

    ``boundaries`` is "grid" (K square districts) or "demo" (Malawi's districts; K is then theirs).
    """
    rng = np.random.default_rng(seed)
    if boundaries not in ("grid", "demo"):
        raise ValueError(f"boundaries {boundaries!r} must be 'grid' or 'demo'")
    bounds = grid_boundaries(k_districts) if boundaries == "grid" else demo_boundaries()
    k = len(bounds)
    weights = rng.lognormal(0, 1.0, k)
    per_district = rng.multinomial(n_hotspots, weights / weights.sum())
    site_split = rng.multinomial(
        m_sites, (weights + weights.mean()) / (weights + weights.mean()).sum()
    )
    # per district: its hotspots, then its sites, around the same centres
    spot_parts: list[_Points] = []
    site_parts: list[_Points] = []
    for i, (poly, d, r) in enumerate(zip(bounds.geometry, bounds["district"], bounds["region"])):
        centres = _centres(poly, int(rng.integers(1, 4)), rng)
        for count, parts in ((per_district[i], spot_parts), (site_split[i], site_parts)):
            if count:
                parts.append((_points_in(poly, int(count), centres, rng), d, r))
    lon, lat, dist, reg = _stacked(spot_parts)
    n = len(lon)
    peak_min = rng.integers(2, 30, n)
    peak_max = peak_min + rng.integers(0, 20, n)
    typical_min = (peak_min * rng.uniform(0.3, 0.8, n)).astype("int64")
    typical_max = np.maximum(typical_min, (peak_max * rng.uniform(0.3, 0.8, n)).astype("int64"))
    ids = np.char.add("HS-", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    hotspots = pd.DataFrame(
        {
            "hotspot_id": ids,
            "name": np.char.add("Synthetic spot ", np.arange(1, n + 1).astype(str)),
            "latitude": np.round(lat, 6),
            "longitude": np.round(lon, 6),
            "typology": TYPOLOGIES[rng.integers(0, len(TYPOLOGIES), n)],
            "typical_min": typical_min,
            "typical_max": typical_max,
            "peak_min": peak_min.astype("int64"),
            "peak_max": peak_max.astype("int64"),
            "district": dist,
            "region": reg,
            "population": "FSW",
            "peak_days": "Fri;Sat",
            "peak_times": "18-24",
            "mapped_on": "2025-06-01",
            "pe_id": "",
        }
    )[HOTSPOT_COLUMNS]
    slon, slat, sdist, sreg = _stacked(site_parts)
    m = len(slon)
    sites = pd.DataFrame(
        {
            "site_id": np.char.add("SITE-", np.char.zfill(np.arange(1, m + 1).astype(str), 5)),
            "name": np.char.add("Synthetic site ", np.arange(1, m + 1).astype(str)),
            "latitude": np.round(slat, 6),
            "longitude": np.round(slon, 6),
            "site_type": np.array(["clinic", "drop_in_centre", "pharmacy", "mobile"])[
                rng.integers(0, 4, m)
            ],
            "district": sdist,
            "region": sreg,
            "services": SERVICE_SETS[rng.integers(0, len(SERVICE_SETS), m)],
            "open_days": "Mon;Tue;Wed;Thu;Fri",
            "open_hours": "8-17",
        }
    )[SITE_COLUMNS]
    enrolled_mask = rng.random(n) < 0.6
    enrolled = (peak_min * rng.uniform(0.2, 1.0, n)).astype("int64")
    enrolment = pd.DataFrame(
        {
            "period": PERIOD,
            "enrolled": enrolled[enrolled_mask],
            "hotspot_id": ids[enrolled_mask],
            "site_id": "",
            "level": "hotspot",
            "district": np.asarray(dist, dtype=object)[enrolled_mask],
            "region": np.asarray(reg, dtype=object)[enrolled_mask],
            "contacted": np.nan,
            "condoms_distributed": np.nan,
            "tested_hiv": np.nan,
            "on_prep": np.nan,
        }
    )[ENROLMENT_COLUMNS]
    return Dataset(
        name=name or f"Synthetic {n:,} hotspots / {m:,} sites / {k} districts (seed {seed})",
        hotspots=gpd.GeoDataFrame(
            hotspots,
            geometry=gpd.points_from_xy(hotspots["longitude"], hotspots["latitude"]),
            crs=WGS84,
        ),
        sites=gpd.GeoDataFrame(
            sites, geometry=gpd.points_from_xy(sites["longitude"], sites["latitude"]), crs=WGS84
        ),
        enrolment=enrolment,
        boundaries=bounds,
        crs_projected=CRS_PROJECTED,
        synthetic=True,
    )


def write_dataset_folder(dataset: Dataset, folder: str | Path) -> Path:
    """Write ``dataset`` as a dataset folder (CSV files, boundaries.geojson, dataset.toml); return
    the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(dataset.hotspots.drop(columns="geometry")).to_csv(
        folder / "hotspots.csv", index=False
    )
    pd.DataFrame(dataset.sites.drop(columns="geometry")).to_csv(folder / "sites.csv", index=False)
    dataset.enrolment[["period", "hotspot_id", "enrolled"]].to_csv(
        folder / "enrolment.csv", index=False
    )
    dataset.boundaries[["district", "region", "geometry"]].to_file(
        folder / "boundaries.geojson", driver="GeoJSON"
    )
    (folder / "dataset.toml").write_text(
        "# Written by bench/synthetic.py: SYNTHETIC data for benchmarks.\n"
        f'[dataset]\nname = "{dataset.name}"\nsynthetic = true\n\n'
        '[boundaries]\ndistrict_column = "district"\nregion_column = "region"\n\n'
        f'[crs]\nprojected = "{dataset.crs_projected}"\n',
        encoding="utf-8",
    )
    return folder
