"""ODK Collect / KoboToolbox exports (CSV or XLSX) as hotspots or sites, and column mappings.

A mapping team's export stands as ``hotspots.csv``/``.xlsx`` itself. Its headers are group paths
(``spot/spot_code``, ``spot.spot_code``; ODK Central writes ``spot-spot_code``); a geopoint is
one column ``"lat lon altitude accuracy"``, or its parts ``_location_latitude`` /
``_location_longitude``, or Kobo's ``_geolocation`` ``[lat, lon]``; metadata columns (``_id``,
``_uuid``, ``_submission_time``, ``_validation_status``, ``meta/instanceID``, ...) are kept as
provenance (``ValidationReport.provenance``), and ``_submission_time`` gives ``mapped_on`` when
the form has no such question. In an XLSX export each repeat group is a sheet whose
``_parent_index`` points at the main sheet's ``_index``: its rows are joined onto their parent
(minimum of the ``*_min`` counts, maximum of the ``*_max`` counts, days and times listed once).

``dataset.toml`` may map what automatic matching cannot::

    [hotspots.columns]            # canonical name = column in the file
    hotspot_id = "spot/spot_code"
    typology = "spot/typology"

The same mapping renames columns of any hotspots or sites table, export or not.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data_loaders.readers import ReadError, TextTable, normalise_header, read_xlsx_text

# Canonical column -> names a form commonly gives the question (normalised; first wins).
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "hotspots": {
        "hotspot_id": ("hotspot_id", "spot_id", "spot_code", "hotspot_code", "hotspot_number"),
        "name": ("name", "spot_name", "hotspot_name", "venue_name"),
        "typology": ("typology", "spot_typology", "spot_type", "hotspot_type", "venue_type"),
        "typical_min": ("typical_min", "min_typical", "typical_day_min"),
        "typical_max": ("typical_max", "max_typical", "typical_day_max"),
        "peak_min": ("peak_min", "min_peak", "peak_day_min"),
        "peak_max": ("peak_max", "max_peak", "peak_day_max"),
        "district": ("district", "district_name"),
        "region": ("region", "region_name", "province"),
        "population": ("population", "key_population", "kp_type"),
        "peak_days": ("peak_days", "busy_days"),
        "peak_times": ("peak_times", "peak_hours", "busy_times"),
        "mapped_on": ("mapped_on", "date_mapped", "mapping_date", "visit_date", "today"),
        "pe_id": ("pe_id", "peer_educator_id"),
        "latitude": ("latitude", "lat"),
        "longitude": ("longitude", "lon", "lng", "long"),
    },
    "sites": {
        "site_id": ("site_id", "site_code", "facility_id", "facility_code"),
        "name": ("name", "site_name", "facility_name"),
        "site_type": ("site_type", "facility_type"),
        "district": ("district", "district_name"),
        "services": ("services", "services_offered"),
        "open_days": ("open_days",),
        "open_hours": ("open_hours",),
        "latitude": ("latitude", "lat"),
        "longitude": ("longitude", "lon", "lng", "long"),
    },
}
GEOPOINT_NAMES = ("location", "gps", "geopoint", "coordinates", "point", "spot_location")
# Headers an ODK/Kobo export writes itself (normalised): their presence marks an export.
EXPORT_MARKERS = frozenset(
    {
        "_id",
        "_uuid",
        "_submission_time",
        "_index",
        "_geolocation",
        "meta/instanceid",
        "meta.instanceid",
        "meta_instanceid",
        "formhub/uuid",
        "submissiondate",
        "key",
    }
)
# ODK Central's own columns (normalised), kept as provenance like Kobo's "_" columns.
ODK_CENTRAL_META = frozenset(
    {
        "key",
        "submissiondate",
        "submitterid",
        "submittername",
        "attachmentspresent",
        "attachmentsexpected",
        "status",
        "reviewstate",
        "deviceid",
        "edits",
        "formversion",
        "start",
        "end",
    }
)
_SEPARATORS = re.compile(r"[/.]")
_DEPTH_SEPARATORS = re.compile(r"[/.\-]")
_COUNT_MIN = ("typical_min", "peak_min")
_COUNT_MAX = ("typical_max", "peak_max")
_LISTS = ("peak_days", "peak_times", "services", "open_days")


@dataclass
class Adapted:
    """The result of adapting a table: the table with canonical columns, where each came from,
    provenance columns, and problems to report (severity, column, message)."""

    table: TextTable
    used: dict[str, str] = field(default_factory=dict)  # canonical -> header as written
    provenance: pd.DataFrame | None = None
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    note: str = ""


def _segments(header: str) -> list[str]:
    """Candidate keys of a header, most specific first: the whole (normalised), its last group
    segment (``/`` or ``.``), and its last ``-`` segment (ODK Central)."""
    key = normalise_header(header)
    out = [key]
    raw = str(header).replace("\ufeff", "").strip()
    last = _SEPARATORS.split(raw)[-1]
    out.append(normalise_header(last))
    if "-" in last:
        out.append(normalise_header(last.split("-")[-1]))
    return list(dict.fromkeys(k for k in out if k))


def _is_meta(header: str) -> bool:
    """A column the export writes itself (``_id``, ``meta/instanceID``, ``SubmissionDate``)."""
    key = normalise_header(header)
    last = normalise_header(_DEPTH_SEPARATORS.split(str(header).strip())[-1])
    first = normalise_header(_DEPTH_SEPARATORS.split(str(header).strip())[0])
    return (
        key.startswith("_")
        or (last.startswith("_") and last.endswith(("_altitude", "_precision", "_accuracy")))
        or first in ("meta", "formhub", "__version__")
        or key in ODK_CENTRAL_META
    )


def is_export(headers: list[str]) -> bool:
    """True when ``headers`` are those of an ODK/KoboToolbox export."""
    keys = {normalise_header(h) for h in headers}
    if keys & EXPORT_MARKERS:
        return True
    grouped = sum(1 for h in headers if _SEPARATORS.search(str(h).strip().strip("/.")))
    return grouped >= 2  # several group/field headers


def _closest(name: str, headers: list[str], n: int = 3) -> list[str]:
    """Up to ``n`` headers closest to canonical ``name`` (comparing their last segments)."""
    by_key: dict[str, str] = {}
    for h in headers:
        for k in _segments(h):
            by_key.setdefault(k, h)
    keys = difflib.get_close_matches(name, list(by_key), n=n * 2, cutoff=0.5)
    return list(dict.fromkeys(by_key[k] for k in keys))[:n]


def closest_headers(name: str, headers: list[str]) -> list[str]:
    """The headers closest to a missing required column (for the report)."""
    return _closest(name, headers)


def _match(
    canonical: dict[str, tuple[str, ...]], headers: list[str], taken: set[str]
) -> dict[str, str]:
    """Automatic matching: canonical -> header, by whole key first, then last group segment."""
    found: dict[str, str] = {}
    segments = {h: _segments(h) for h in headers if h not in taken and not _is_meta(h)}
    for depth in range(3):
        for name, aliases in canonical.items():
            if name in found:
                continue
            for alias in aliases:
                hits = [
                    h
                    for h, keys in segments.items()
                    if len(keys) > depth and keys[depth] == alias and h not in found.values()
                ]
                if hits:
                    found[name] = hits[0]
                    break
    return found


def _geopoint_parts(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ "lat lon alt acc" -> (lat, lon) text; an unreadable point keeps its text as latitude (the
    validator then names it) and an empty longitude."""
    parts = text.str.split()
    ok = parts.map(len) >= 2
    lat = parts.map(lambda p: p[0] if len(p) >= 2 else "").where(ok, text)
    lon = parts.map(lambda p: p[1] if len(p) >= 2 else "")
    return lat.astype(object), lon.astype(object)


def _geolocation_parts(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Kobo's ``_geolocation`` "[lat, lon]" (or "[null, null]") -> (lat, lon) text."""

    def parse(value: str) -> tuple[str, str]:
        try:
            point = json.loads(value) if value else None
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
            return value, ""
        if isinstance(point, list) and len(point) >= 2:
            lat, lon = ("" if v is None else str(v) for v in point[:2])
            return lat, lon
        return value, ""

    pairs = text.map(parse)
    return pairs.map(lambda p: p[0]).astype(object), pairs.map(lambda p: p[1]).astype(object)


def _coordinate_parts(headers: list[str], geopoint: str | None) -> tuple[str, str] | None:
    """Kobo/ODK Central's split geopoint columns (``_location_latitude``, ``location-Latitude``)
    as (latitude header, longitude header); of ``geopoint`` when named."""
    lat: dict[str, str] = {}
    lon: dict[str, str] = {}
    for h in headers:
        key = normalise_header(h)
        for suffix, into in (("latitude", lat), ("longitude", lon)):
            if key.endswith(suffix) and key != suffix:
                stem = key[: -len(suffix)].rstrip("_/.-")
                into[_DEPTH_SEPARATORS.split(stem)[-1].lstrip("_")] = h
    common = [s for s in lat if s in lon and s != "geolocation"]
    if geopoint is not None:
        want = _DEPTH_SEPARATORS.split(normalise_header(geopoint))[-1].lstrip("_")
        common = [s for s in common if s == want] or common
    return (lat[common[0]], lon[common[0]]) if common else None


def _column_mapping(settings: dict[str, Any], file: str) -> tuple[dict[str, str], list[str]]:
    """``[<file>.columns]`` of dataset.toml (canonical -> header) and problems with it."""
    section = settings.get(file)
    if not isinstance(section, dict) or "columns" not in section:
        return {}, []
    columns = section["columns"]
    if not isinstance(columns, dict):
        return {}, [
            f'dataset.toml [{file}.columns] must be a table of canonical name = "column", '
            f"not {columns!r}"
        ]
    mapping, problems = {}, []
    allowed = set(ALIASES[file]) | {"geopoint"}
    for name, header in columns.items():
        if not isinstance(header, str) or not header.strip():
            problems.append(
                f"dataset.toml [{file}.columns] {name} = {header!r} is not a column name: write "
                f'it in quotes, e.g. {name} = "group/{name}"'
            )
        elif name not in allowed:
            problems.append(
                f"dataset.toml [{file}.columns] {name} is not a {file} column; use one of "
                f"{', '.join(sorted(allowed))}"
            )
        else:
            mapping[name] = header
    return mapping, problems


def _find_header(wanted: str, headers: list[str]) -> str | None:
    """The header written as ``wanted`` (exactly, else ignoring case and spaces/dashes)."""
    if wanted in headers:
        return wanted
    key = normalise_header(wanted)
    return next((h for h in headers if normalise_header(h) == key), None)


def adapt(
    file: str,
    table: TextTable,
    settings: dict[str, Any],
    path: Path | None = None,
) -> Adapted | None:
    """``table`` (hotspots or sites) with canonical columns when it is an ODK/Kobo export or
    dataset.toml maps its columns; None when neither (the table is used as read)."""
    if file not in ALIASES or not table.original_headers:
        return None
    mapping, problems = _column_mapping(settings, file)
    headers = list(table.original_headers)
    if not mapping and not problems and not is_export(headers):
        return None
    source = table.frame.copy()
    source.columns = headers
    source = _join_repeats(source, path, table.sheet, file, problems)
    result = Adapted(table)
    used: dict[str, str] = {}
    for name, wanted in mapping.items():
        found = _find_header(wanted, list(source.columns))
        if found is None:
            near = _closest(normalise_header(wanted), list(source.columns))
            hint = f"; closest headers: {', '.join(near)}" if near else ""
            problems.append(
                f'dataset.toml [{file}.columns] {name} = "{wanted}" is not a column of the '
                f"file{hint}"
            )
        else:
            used[name] = found
    auto = _match(
        {k: v for k, v in ALIASES[file].items() if k not in used}, list(source.columns),
        set(used.values()),
    )  # fmt: skip
    used.update(auto)
    text = {c: source[c].astype(object).fillna("").map(str) for c in source.columns.unique()}

    def column(header: str) -> pd.Series:
        series = text[header]
        return series.iloc[:, 0] if isinstance(series, pd.DataFrame) else series

    out: dict[str, pd.Series] = {name: column(h) for name, h in used.items() if name != "geopoint"}
    if "services" in out and is_export(headers):
        # a select_multiple answer is its choice names separated by spaces
        out["services"] = out["services"].str.strip().str.replace(r"\s+", ";", regex=True)
    coordinates = _coordinates(list(source.columns), used, column, out)
    if coordinates:
        result.note = coordinates
    if "mapped_on" not in out and file == "hotspots":
        sub = _find_header("_submission_time", list(source.columns)) or _find_header(
            "SubmissionDate", list(source.columns)
        )
        if sub is not None:
            out["mapped_on"] = column(sub)
            used["mapped_on"] = sub
    meta = [h for h in source.columns if _is_meta(h)]
    if meta:
        provenance = pd.DataFrame({h: column(h) for h in dict.fromkeys(meta)})
        provenance.insert(0, "row", np.asarray(table.rows, dtype="int64"))
        result.provenance = provenance
    # the canonical columns, then every other column under its own key (unused, not lost)
    frame = pd.DataFrame(out, index=source.index)
    consumed = set(used.values())
    for h in source.columns:
        key = normalise_header(h)
        if h not in consumed and key not in frame.columns:
            frame[key] = column(h)
    frame = frame.astype(object).reset_index(drop=True)
    result.table = replace(table, frame=frame, source=source.reset_index(drop=True))
    result.used = used
    result.problems = [("error", "", p) for p in problems]
    return result


def _coordinates(
    headers: list[str],
    used: dict[str, str],
    column: Callable[[str], pd.Series],
    out: dict[str, pd.Series],
) -> str:
    """Fill latitude/longitude in ``out`` from the best source present; what was used."""
    if "latitude" in out and "longitude" in out:
        return ""
    geopoint = used.get("geopoint")
    if geopoint is None:
        geopoint = next(
            (
                h
                for h in headers
                if not _is_meta(h) and any(k in GEOPOINT_NAMES for k in _segments(h))
            ),
            None,
        )
    parts = _coordinate_parts(headers, geopoint)
    if parts is not None:
        out["latitude"], out["longitude"] = column(parts[0]), column(parts[1])
        used["latitude"], used["longitude"] = parts
        return f'coordinates from "{parts[0]}" and "{parts[1]}"'
    if geopoint is not None:
        out["latitude"], out["longitude"] = _geopoint_parts(column(geopoint).str.strip())
        used["geopoint"] = geopoint
        return f'coordinates from geopoint "{geopoint}" (latitude longitude altitude accuracy)'
    geo = _find_header("_geolocation", headers)
    if geo is not None:
        out["latitude"], out["longitude"] = _geolocation_parts(column(geo).str.strip())
        used["geopoint"] = geo
        return 'coordinates from "_geolocation"'
    return ""


def _join_repeats(
    source: pd.DataFrame, path: Path | None, sheet: str, file: str, problems: list[str]
) -> pd.DataFrame:
    """Join the repeat-group sheets of an XLSX export onto the main sheet by ``_parent_index``."""
    if path is None or path.suffix.lower() != ".xlsx" or "_index" not in list(source.columns):
        return source
    import openpyxl  # imported here: only XLSX users pay for it

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        names = [n for n in workbook.sheetnames if n != sheet]
    finally:
        workbook.close()
    parent_index = _first(source, "_index").astype(str).str.strip()
    for name in names:
        try:
            repeat = read_xlsx_text(path, sheet=name)
        except ReadError:
            continue
        if "_parent_index" not in repeat.original_headers:
            continue
        frame = repeat.frame.copy()
        frame.columns = repeat.original_headers
        matched = _match(ALIASES[file], list(frame.columns), {"_parent_index"})
        if not matched:
            continue
        keys = _first(frame, "_parent_index").astype(str).str.strip()
        orphans = ~keys.isin(set(parent_index))
        if orphans.any():
            problems.append(
                f'sheet "{name}" row {repeat.rows[int(np.flatnonzero(orphans)[0])]}: '
                f"_parent_index {keys[orphans].iloc[0]!r} is not an _index of the main sheet; "
                "export the form again with all its repeat sheets"
            )
        for canonical, header in matched.items():
            values = _first(frame, header).astype(str).str.strip()
            joined = values.groupby(keys).agg(lambda v, c=canonical: _combine(c, v))
            target = f"{name}/{canonical}"
            source[target] = parent_index.map(joined).fillna("").astype(object)
    return source


def _first(frame: pd.DataFrame, header: str) -> pd.Series:
    """The column ``header`` of ``frame`` (the first one when the file repeats the header)."""
    found = frame[header]
    return found.iloc[:, 0] if isinstance(found, pd.DataFrame) else found


def _combine(canonical: str, values: pd.Series) -> str:
    """One parent's repeat rows as one cell: the lowest minimum, the highest maximum, lists
    joined once; a value that is not a number is kept so the validator names it."""
    present = [v for v in values.tolist() if v]
    if not present:
        return ""
    if canonical in _COUNT_MIN or canonical in _COUNT_MAX:
        numbers = pd.to_numeric(pd.Series(present), errors="coerce")
        if numbers.isna().any():
            return ";".join(dict.fromkeys(present))
        best = numbers.min() if canonical in _COUNT_MIN else numbers.max()
        return str(int(best)) if float(best).is_integer() else str(best)
    if canonical in _LISTS:
        return ";".join(dict.fromkeys(p for v in present for p in re.split(r"[;\s]+", v) if p))
    return str(present[0])
