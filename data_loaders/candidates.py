"""A file of candidate locations for new sites (CSV or XLSX): validated, districts resolved.

Columns: ``latitude``, ``longitude`` (WGS84 decimal degrees) required; ``name`` and
``district`` optional. A stated district must be one of the boundaries'; without one, the
district is the polygon the point lies in. Every problem is reported at once, naming the file,
row, column and value; nothing is dropped silently (planning.siting uses the result).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from data_loaders.readers import ReadError, read_table_text
from data_loaders.validation import Problem

CANDIDATE_COLUMNS = ["name", "latitude", "longitude", "district"]


class CandidateFileError(ValueError):
    """The candidate file cannot be used; ``problems`` lists every row, column and value."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [
            p.file
            + (f" row {p.row}" if p.row else "")
            + (f", column {p.column}" if p.column else "")
            + (f": {p.value!r}" if p.value else "")
            + f": {p.message}"
            for p in problems
        ]
        super().__init__("\n".join(lines))


def _number(text: str) -> float | None:
    try:
        value = float(str(text).strip().replace(",", "."))
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def load_candidates(path: str | Path, boundaries: gpd.GeoDataFrame) -> pd.DataFrame:
    """Candidate locations of ``path`` as [name, latitude, longitude, district]; raises
    CandidateFileError listing every problem (file, row, column, value, fix)."""
    path = Path(path)
    name = path.name
    try:
        table = read_table_text(path)
    except ReadError as exc:
        raise CandidateFileError([Problem(name, None, "", "", "error", str(exc))]) from None
    frame = table.frame
    problems: list[Problem] = []
    missing = [c for c in ("latitude", "longitude") if c not in frame.columns]
    if missing:
        problems.append(
            Problem(
                name, 1, ", ".join(missing), "", "error",
                f"missing column(s) {', '.join(missing)}; the header must name latitude and "
                f"longitude (WGS84 decimal degrees); found {', '.join(frame.columns) or 'none'}",
            )
        )  # fmt: skip
        raise CandidateFileError(problems)
    if frame.empty:
        raise CandidateFileError(
            [Problem(name, None, "", "", "error", "has no data rows; list one location a row")]
        )
    known = set(boundaries["district"].astype(str))
    lats, lons = [], []
    for row, lat_text, lon_text in zip(table.rows, frame["latitude"], frame["longitude"]):
        lat, lon = _number(lat_text), _number(lon_text)
        if lat is None or not -90 <= lat <= 90:
            problems.append(
                Problem(name, row, "latitude", str(lat_text), "error",
                        "is not a latitude in -90..90 (decimal degrees)")
            )  # fmt: skip
        if lon is None or not -180 <= lon <= 180:
            problems.append(
                Problem(name, row, "longitude", str(lon_text), "error",
                        "is not a longitude in -180..180 (decimal degrees)")
            )  # fmt: skip
        lats.append(lat if lat is not None else np.nan)
        lons.append(lon if lon is not None else np.nan)
    out = pd.DataFrame(
        {
            "name": frame["name"].astype(str).str.strip() if "name" in frame else "",
            "latitude": np.asarray(lats, dtype="float64"),
            "longitude": np.asarray(lons, dtype="float64"),
        }
    )
    points = gpd.GeoDataFrame(
        out, geometry=gpd.points_from_xy(out["longitude"], out["latitude"]), crs="EPSG:4326"
    )
    joined = gpd.sjoin(
        points, boundaries[["district", "geometry"]].to_crs("EPSG:4326"), how="left",
        predicate="within",
    )  # fmt: skip
    inside = joined[~joined.index.duplicated(keep="first")]["district"].reindex(out.index)
    stated = (
        frame["district"].astype(str).str.strip()
        if "district" in frame
        else pd.Series([""] * len(frame))
    )
    districts = []
    for i, row in enumerate(table.rows):
        given, found = stated.iloc[i], inside.iloc[i]
        if given:
            if given not in known:
                problems.append(
                    Problem(name, row, "district", given, "error",
                            "is not a district of the boundaries; use a name from them")
                )  # fmt: skip
            districts.append(given)
        elif isinstance(found, str):
            districts.append(found)
        else:
            if np.isfinite(out["latitude"].iloc[i]) and np.isfinite(out["longitude"].iloc[i]):
                problems.append(
                    Problem(name, row, "latitude, longitude",
                            f"{out['latitude'].iloc[i]:g}, {out['longitude'].iloc[i]:g}", "error",
                            "lies outside every district (lat/lon swapped?); add a district "
                            "column or fix the point")
                )  # fmt: skip
            districts.append("")
    if problems:
        raise CandidateFileError(problems)
    out["district"] = districts
    return out[CANDIDATE_COLUMNS]
