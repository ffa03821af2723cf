"""Build assets/basemap/africa.json: small simplified Natural Earth context layers for the maps.

    .venv/bin/python data/natural_earth/build_basemap.py SOURCE_DIR

SOURCE_DIR holds the 1:50m Natural Earth GeoJSON files (as converted by
github.com/martynafford/natural-earth-geojson, 50m/physical and 50m/cultural):
ne_50m_lakes.json, ne_50m_rivers_lake_centerlines.json, ne_50m_admin_0_boundary_lines_land.json,
ne_50m_coastline.json and ne_50m_populated_places_simple.json. The layers are clipped to Africa
(AFRICA_BOUNDS), simplified by TOLERANCE_DEG and rounded to 3 decimals (about 100 m), which is
plenty for context at national and district zoom. Natural Earth is in the public domain
(naturalearthdata.com/about/terms-of-use); the output carries that notice.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import box, mapping

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "assets" / "basemap" / "africa.json"
AFRICA_BOUNDS = (-26.0, -38.0, 64.0, 38.0)  # lon/lat degrees (minx, miny, maxx, maxy)
TOLERANCE_DEG = 0.01
DIGITS = 3
NOTICE = (
    "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com "
    "(public domain). 1:50m lakes, rivers and lake centrelines, land boundaries, coastline, "
    "populated places; clipped to Africa and simplified."
)


def _round(coords: object) -> object:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), DIGITS) for c in coords]
    return [_round(c) for c in coords]  # type: ignore[union-attr]


def _layer(path: Path, keep: list[str]) -> dict:
    frame = gpd.read_file(path)
    frame = frame.clip(box(*AFRICA_BOUNDS))
    frame = frame[~frame.geometry.is_empty]
    if frame.geom_type.isin(["Point", "MultiPoint"]).all():
        geometry = frame.geometry
    else:
        geometry = frame.geometry.simplify(TOLERANCE_DEG, preserve_topology=True)
    features = []
    for (_, row), geom in zip(frame.iterrows(), geometry):
        if geom.is_empty:
            continue
        g = mapping(geom)
        features.append(
            {
                "type": "Feature",
                "properties": {k: row[k] for k in keep if k in row and pd.notna(row[k])},
                "geometry": {"type": g["type"], "coordinates": _round(g["coordinates"])},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def main(source: Path) -> None:
    layers = {
        "lakes": _layer(source / "ne_50m_lakes.json", ["name"]),
        "rivers": _layer(source / "ne_50m_rivers_lake_centerlines.json", ["name"]),
        "borders": _layer(source / "ne_50m_admin_0_boundary_lines_land.json", []),
        "coastline": _layer(source / "ne_50m_coastline.json", []),
        "places": _layer(
            source / "ne_50m_populated_places_simple.json", ["name", "pop_max", "adm0name"]
        ),
    }
    for layer in layers["places"]["features"]:
        layer["properties"]["pop_max"] = int(layer["properties"].get("pop_max") or 0)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    payload = {"notice": NOTICE, "bounds": list(AFRICA_BOUNDS), "layers": layers}
    OUT.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
    sizes = {k: len(v["features"]) for k, v in layers.items()}
    print(f"{OUT}: {OUT.stat().st_size / 1024:.0f} KiB, features {sizes}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
