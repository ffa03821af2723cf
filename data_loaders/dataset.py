"""Load a dataset folder (DESIGN.md section 2) into validated canonical frames and a validation
report.

Order: dataset.toml, boundaries (district column, CRS, duplicates, overlaps, validity, area),
hotspots (types, ranges, ids, spatial join gives district and region; a stated district is
checked against it), sites, then enrolment (each row resolved to a district). Every problem
is collected first and reported at once. Rows with errors are rejected and kept with their
reasons (``report.rejected``); accepted + rejected = rows read, for every file. Fatal
problems (missing file or required column, unreadable boundaries) raise DatasetLoadError
after the other files have been checked too, so one run shows everything.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from data_loaders import dhis2, kobo
from data_loaders.boundary_formats import levels_available, recognise, select_level
from data_loaders.canonical import (
    canonical_date,
    canonical_days,
    canonical_period,
    canonical_services,
    canonical_times,
)
from data_loaders.kobo import closest_headers
from data_loaders.readers import (
    BOUNDARY_SUFFIXES,
    PY_WHITESPACE,
    TABLE_SUFFIXES,
    ReadError,
    TextTable,
    read_boundaries_file,
    read_table_text,
)
from data_loaders.source_url import (
    DatabaseSourceError,
    is_database_url,
    is_folded_url,
    redact_url,
)
from data_loaders.validation import DatasetLoadError, FileCounts, ValidationReport
from planning.schema import (
    ENROLMENT_COLUMNS,
    ENROLMENT_OPTIONAL_COUNTS,
    ENROLMENT_REQUIRED,
    HOTSPOT_COLUMNS,
    HOTSPOT_COUNT_COLUMNS,
    HOTSPOT_REQUIRED,
    KEY_POPULATIONS,
    SERVICES,
    SITE_COLUMNS,
    SITE_REQUIRED,
    WGS84,
    Dataset,
)

TABLE_FILES = ("hotspots", "sites", "enrolment")
# Column names tried, in order, when dataset.toml does not name the district / region column
# (common in GADM, geoBoundaries, HDX COD-AB and national statistics files).
DISTRICT_CANDIDATES = (
    "district",
    "district_name",
    "dist_name",
    "districts",
    "name",
    "shapename",
    "adm2_en",
    "name_2",
    "admin2name",
    "adm1_en",
    "name_1",
    "admin1name",
)
REGION_CANDIDATES = (
    "region",
    "region_name",
    "province",
    "province_name",
    "adm1_en",
    "name_1",
    "admin1name",
    "state",
)
OVERLAP_SHARE = 0.01  # overlap warning above 1% of the smaller polygon (issue 2, item 3)
ID_SUGGESTION_LIMIT = 5000  # closest-id suggestions only for lists small enough to search quickly


def _suggest(value: str, choices: list[str]) -> str | None:
    """The closest of ``choices`` to ``value`` (case-insensitive difflib), or None."""
    folded = {c.casefold(): c for c in choices}
    match = difflib.get_close_matches(str(value).casefold(), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None


def _did_you_mean(value: str, choices: list[str]) -> str:
    best = _suggest(value, choices)
    return f' — did you mean "{best}"?' if best else ""


@dataclass
class _Rows:
    """Row-level bookkeeping for one table: problems with spreadsheet row numbers, error reasons."""

    file: str
    table: TextTable
    report: ValidationReport

    def __post_init__(self) -> None:
        self.frame = self.table.frame
        self.n = len(self.frame)
        self.row_numbers = np.asarray(self.table.rows, dtype="int64")
        # the reasons of the rows with errors only (row position -> reasons)
        self.reasons: dict[int, list[str]] = {}
        # the rows located in the boundaries and their points (set by _locate)
        self.points: tuple[np.ndarray, Any] | None = None
        self._bad = np.zeros(self.n, dtype=bool)

    def text(self, column: str) -> pd.Series:
        """Stripped text of ``column`` ('' where the column is absent); computed once per column."""
        cache = self.__dict__.setdefault("_text_cache", {})
        if column not in cache:
            if column not in self.frame.columns:
                cache[column] = pd.Series([""] * self.n, index=self.frame.index, dtype=object)
            else:
                cache[column] = _stripped(self.frame[column])
        return cache[column]

    def flag(
        self,
        mask: Any,
        column: str,
        message: Callable[[int], str],
        *,
        severity: str = "error",
        values: pd.Series | None = None,
    ) -> None:
        """Record a problem for every row where ``mask`` is true (loops over problem rows only)."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        if not len(idx):
            return
        source = values if values is not None else self.text(column)
        for i in idx:
            msg = message(int(i))
            self.report.add(self.file, self.row_numbers[i], column, source.iat[i], severity, msg)
            if severity == "error":
                self.reasons.setdefault(int(i), []).append(f"{column}: {msg}" if column else msg)
                self._bad[i] = True

    @property
    def bad(self) -> np.ndarray:
        """Boolean array: rows with at least one error."""
        return self._bad.copy()

    def finish(self) -> np.ndarray:
        """Record counts and rejected rows in the report; return the accepted mask."""
        bad = self.bad if self.n else np.zeros(0, dtype=bool)
        rejected = self.frame.loc[bad].copy()
        rejected.insert(0, "row", self.row_numbers[bad])
        rejected["reasons"] = ["; ".join(self.reasons[int(i)]) for i in np.flatnonzero(bad)]
        self.report.rejected[self.file] = rejected.reset_index(drop=True)
        self.report.rejected_original[self.file] = original_rows(
            self.table, bad, rejected["reasons"].tolist()
        )
        self.report.files[self.file] = FileCounts(self.n, int((~bad).sum()), int(bad.sum()))
        self.report.accepted_rows[self.file] = [int(r) for r in self.row_numbers[~bad]]
        return ~bad


def _stripped(column: pd.Series) -> pd.Series:
    """``column`` as stripped text ('' for a missing value), object dtype. A column of str (what
    the readers give) is stripped by pyarrow of exactly the characters str.strip() removes, about
    50× faster than the .str accessor; any other column takes the general path."""
    values = column.to_numpy(dtype=object)
    try:
        arrow = pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all str (numbers, surrogates)
        arrow = None
    if arrow is None or arrow.null_count:
        return column.astype(object).fillna("").map(str).str.strip().astype(object)
    trimmed = pc.utf8_trim(arrow, characters=PY_WHITESPACE)
    if not pc.any(pc.not_equal(trimmed, arrow)).as_py():
        return pd.Series(values, index=column.index, dtype=object, copy=False)
    return pd.Series(trimmed.to_numpy(zero_copy_only=False), index=column.index, dtype=object)


# Decimal numbers that every correct parser reads to the same float: no exponent, no sign but a
# minus, no leading zero, no "-0", and at most 15 characters (so at most 15 digits, exact in a
# double before one correctly rounded scaling by a power of ten).
PLAIN_NUMBER = r"^(?:-?[1-9][0-9]*|0|-?(?:[1-9][0-9]*|0)\.[0-9]+)$"
PLAIN_NUMBER_CHARS = 15


def _plain_numbers(text: pd.Series) -> pd.Series:
    """``pd.to_numeric(text, errors="coerce")`` as float64: a column of plain decimals and empty
    cells is cast by pyarrow (about 10× faster); a column with any other text is read by pandas
    as before."""
    values = text.to_numpy(dtype=object)
    try:
        arrow = pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arrow = None
    if arrow is None or arrow.null_count:
        return pd.to_numeric(text, errors="coerce").astype("float64")
    plain = pc.and_(
        pc.match_substring_regex(arrow, PLAIN_NUMBER),
        pc.less_equal(pc.utf8_length(arrow), PLAIN_NUMBER_CHARS),
    )
    # "" is NaN, as pandas reads it; any other text: the whole column by pandas, as before
    # (pandas reads "-0" by what surrounds it)
    if not pc.all(pc.or_(plain, pc.equal(arrow, ""))).as_py():
        return pd.to_numeric(text, errors="coerce").astype("float64")
    numbers = np.full(len(values), np.nan)
    at = plain.to_numpy(zero_copy_only=False)
    if at.any():
        numbers[at] = pc.cast(arrow.filter(plain), pa.float64()).to_numpy()
    return pd.Series(numbers, index=text.index, dtype="float64")


def _mapped(text: pd.Series, mapping: dict[Any, Any]) -> pd.Series:
    """``text.map(mapping)`` as object (NaN where a value is no key), looking each distinct value
    up once (Series.map first converts every value to pandas' string dtype)."""
    codes, uniques = pd.factorize(text.to_numpy(dtype=object))
    values = np.array([mapping.get(u, np.nan) for u in uniques] + [np.nan], dtype=object)
    return pd.Series(values[codes], index=text.index, dtype=object)


def _per_distinct(text: pd.Series, func: Callable[[str], Any]) -> pd.Series:
    """``func`` of each value of ``text`` (str), called once per distinct value (a column of a
    few typologies or districts repeated 100,000 times), as object."""
    codes, uniques = pd.factorize(text.to_numpy(dtype=object))
    values = np.array([func(u) for u in uniques] + [np.nan], dtype=object)
    return pd.Series(values[codes], index=text.index, dtype=object)


def original_rows(table: TextTable, mask: np.ndarray, reasons: list[str]) -> pd.DataFrame:
    """The rows of ``table`` where ``mask`` is true exactly as the file holds them (its own
    headers and cell text), plus a ``problem`` column: "row N: what is wrong". A ``problem``
    column from an earlier download is replaced, so the file can go round the loop again."""
    source = table.source if table.source is not None else table.frame
    frame = source.loc[np.asarray(mask, dtype=bool)].copy()
    if table.source is None and len(table.original_headers) == len(frame.columns):
        frame.columns = list(table.original_headers)
    frame = frame.loc[:, [str(c).strip().lower() != "problem" for c in frame.columns]]
    rows = np.asarray(table.rows, dtype="int64")[np.asarray(mask, dtype=bool)]
    frame["problem"] = [f"row {r}: {why}" for r, why in zip(rows.tolist(), reasons)]
    return frame.reset_index(drop=True)


def _parse_numbers(text: pd.Series) -> pd.Series:
    """Text to float (NaN where not a finite number); a decimal comma is accepted."""
    numbers = _plain_numbers(text)
    retry = numbers.isna() & text.ne("")
    if retry.any():  # only the few cells that did not parse: try "12,5" as 12.5
        again = text[retry]
        comma = ~again.str.contains(".", regex=False) & again.str.count(",").eq(1)
        fixed = pd.to_numeric(again[comma].str.replace(",", ".", regex=False), errors="coerce")
        numbers.loc[fixed.index] = fixed.astype("float64")
    return numbers.where(np.isfinite(numbers))


def _count_example(value: str) -> str:
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    return digits.lstrip("0") or "20"


def _check_count(rows: _Rows, column: str, *, required: bool) -> pd.Series:
    """Validate a count column (whole number >= 0); returns float values (NaN where bad/empty)."""
    text = rows.text(column)
    numbers = _parse_numbers(text)
    empty = text.eq("")
    if required:
        rows.flag(
            empty,
            column,
            lambda i: (
                f"{column} is empty: write the number of people "
                "as a whole number such as 20 (0 when none)"
            ),
        )
    not_number = ~empty & numbers.isna()
    rows.flag(
        not_number,
        column,
        lambda i: (
            f'{column} "{text.iat[i]}" is not a number: write a '
            f"whole number such as {_count_example(text.iat[i])}"
        ),
    )
    fractional = numbers.notna() & (numbers % 1 != 0)
    rows.flag(
        fractional,
        column,
        lambda i: (
            f"{column} {text.iat[i]} is not a whole number: "
            f"people are counted in whole numbers, write {int(numbers.iat[i])} or "
            f"{int(numbers.iat[i]) + 1}"
        ),
    )
    negative = numbers.notna() & (numbers < 0)
    rows.flag(
        negative,
        column,
        lambda i: (
            f"{column} {text.iat[i]} is negative: counts are 0 "
            "or more; remove the minus sign or write 0"
        ),
    )
    return numbers.where(~(not_number | fractional | negative))


def _check_required_columns(
    table: TextTable, file: str, required: list[str], report: ValidationReport
) -> list[str]:
    """Report each missing required column as a fatal error, suggesting the closest header."""
    headers = list(table.frame.columns)
    missing = [c for c in required if c not in headers]
    for column in missing:
        best = _suggest(column, [h for h in headers if h not in required])
        near = closest_headers(column, [h for h in headers if h not in required])
        mapped = (
            f' or map it in dataset.toml [{file}.columns] {column} = "<header>"'
            if file in ("hotspots", "sites")
            else ""
        )
        if best:
            hint = f' — did you mean "{best}"? Rename that header to "{column}"{mapped}'
        elif near:
            shown = ", ".join(f'"{h}"' for h in near)
            hint = f'; closest headers: {shown}: rename one to "{column}"{mapped}'
        else:
            hint = f'; add a column headed "{column}"{mapped}'

        report.add(
            file,
            1,
            column,
            "",
            "error",
            f'required column "{column}" is missing{hint} (headers found: '
            f"{', '.join(table.original_headers) or 'none'})",
            fatal=True,
        )
    return missing


def _refuse_file(file: str, table: TextTable, reason: str, report: ValidationReport) -> None:
    """Count every row of a refused file as rejected, with the reason (counts still add up)."""
    rejected = table.frame.copy()
    rejected.insert(0, "row", np.asarray(table.rows, dtype="int64"))
    rejected["reasons"] = reason
    report.rejected[file] = rejected.reset_index(drop=True)
    every = np.ones(len(table.frame), dtype=bool)
    report.rejected_original[file] = original_rows(table, every, [reason] * len(table.frame))
    report.files[file] = FileCounts(len(table.frame), 0, len(table.frame))


# --------------------------------------------------------------------------- files
def _find_files(folder: Path, report: ValidationReport) -> dict[str, Path | None]:
    """The file of each stem (case-insensitive); missing or doubled files are fatal errors."""
    entries = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))]
    found: dict[str, Path | None] = {}
    for stem, suffixes in (
        ("hotspots", TABLE_SUFFIXES),
        ("sites", TABLE_SUFFIXES),
        ("enrolment", (*TABLE_SUFFIXES, ".json")),  # .json: a DHIS2 data value set
        ("boundaries", BOUNDARY_SUFFIXES),
    ):
        matches = sorted(
            p for p in entries if p.stem.lower() == stem and p.suffix.lower() in suffixes
        )
        if not matches:
            near = [
                p.name
                for p in entries
                if p.stem.lower() != stem and _suggest(stem, [p.stem]) is not None
            ]
            hint = f' (found "{near[0]}": rename it)' if near else ""
            report.add_file_problem(
                stem,
                "error",
                f"no {stem} file in the dataset{hint}: add {stem}"
                f"{' or '.join(suffixes)} (the templates on the Data page and in data/templates "
                "show its columns)",
            )
            found[stem] = None
        elif len(matches) > 1:
            report.add_file_problem(
                stem,
                "error",
                f"{len(matches)} {stem} files ({', '.join(p.name for p in matches)}): "
                "keep one and move the others out of the folder",
                value=", ".join(p.name for p in matches),
            )
            found[stem] = None
        else:
            found[stem] = matches[0]
    return found


def _settings_path(folder: Path) -> Path | None:
    return next((p for p in folder.iterdir() if p.name.lower() == "dataset.toml"), None)


def settings_text(path: str | Path) -> str:
    """The text of a dataset folder's dataset.toml ("" when the folder has none)."""
    found = _settings_path(Path(path))
    return found.read_text(encoding="utf-8-sig") if found is not None else ""


def _read_settings(folder: Path, report: ValidationReport) -> dict[str, Any]:
    """dataset.toml as a dict ({} when absent); a malformed file is a fatal error."""
    path = _settings_path(folder)
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return _settings_problem(path.name, exc, report)
    return _parse_settings(text, path.name, report)


def _parse_settings(text: str, name: str, report: ValidationReport) -> dict[str, Any]:
    """dataset.toml text as a dict; malformed text is a fatal error naming ``name``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return _settings_problem(name, exc, report)


def _settings_problem(name: str, exc: Exception, report: ValidationReport) -> dict[str, Any]:
    report.add_file_problem(
        "dataset",
        "error",
        f"{name} is not valid TOML ({exc}); fix the line named or remove the file",
        value=name,
    )
    return {}


# ---------------------------------------------------------------------- boundaries
def utm_crs_of(lon_deg: float, lat_deg: float) -> str:
    """The WGS84 UTM zone CRS of a point: EPSG:326zz (north) or EPSG:327zz (south)."""
    zone = int(np.floor((lon_deg + 180.0) / 6.0)) % 60 + 1
    return f"EPSG:{32600 + zone if lat_deg >= 0 else 32700 + zone}"


def _polygonal(geom: Any) -> Any:
    """The polygonal part of a (made valid) geometry, or None when there is none."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def _pick_column(
    columns: list[str],
    configured: Any,
    candidates: tuple[str, ...],
    what: str,
    report: ValidationReport,
    exclude: str | None = None,
) -> str | None:
    """The boundaries column holding ``what``: the configured one, else the first candidate
    present."""
    lower = {c.lower(): c for c in columns if c != "geometry"}
    if configured is not None and not isinstance(configured, str):
        report.add(
            "dataset",
            None,
            f"boundaries.{what}_column",
            configured,
            "error",
            f"dataset.toml [boundaries] {what}_column = {configured!r} is not text: write the "
            f'column name in quotes, e.g. {what}_column = "{next(iter(lower.values()), "name")}"',
        )
        return None
    if configured:
        if configured in columns:
            return configured
        if configured.lower() in lower:
            return lower[configured.lower()]
        report.add(
            "boundaries",
            None,
            configured,
            configured,
            "error",
            f'dataset.toml [boundaries] {what}_column = "{configured}" is not a column of '
            f"the boundaries{_did_you_mean(configured, list(lower.values()))} "
            f"(columns: {', '.join(lower.values())})",
        )
        return None
    for cand in candidates:
        if cand in lower and lower[cand] != exclude:
            report.add(
                "boundaries",
                None,
                lower[cand],
                "",
                "info",
                f'{what} names taken from column "{lower[cand]}"; set [boundaries] '
                f"{what}_column in dataset.toml to use another",
            )
            return lower[cand]
    if what == "district":
        report.add_file_problem(
            "boundaries",
            "error",
            f"no district name column found (looked for {', '.join(candidates)}; columns: "
            f"{', '.join(lower.values()) or 'none'}); set [boundaries] district_column in "
            "dataset.toml",
        )
    else:
        report.add_file_problem(
            "boundaries",
            "info",
            "no region column found: region left empty; set [boundaries] region_column "
            "in dataset.toml if the file has one",
        )
    return None


def _load_boundaries(
    path: Path, settings: dict[str, Any], report: ValidationReport
) -> tuple[gpd.GeoDataFrame | None, str]:
    """Validated district polygons (district, region, area_km2, geometry in WGS84) and the projected
    CRS."""
    report.source["boundaries"] = path.name
    try:
        raw = read_boundaries_file(path)
    except ReadError as exc:
        report.add_file_problem("boundaries", "error", str(exc), value=path.name)
        return None, ""
    return _check_boundaries(raw, path.name, settings, report)


def _check_boundaries(
    raw: gpd.GeoDataFrame,
    name: str,
    settings: dict[str, Any],
    report: ValidationReport,
    feature_rows: list[int] | None = None,
) -> tuple[gpd.GeoDataFrame | None, str]:
    """Validate boundary features read from ``name`` (a file, or a database table whose
    ``feature_rows`` are its source rows; default 1..n)."""
    file = "boundaries"
    n = len(raw)
    if n == 0:
        report.add_file_problem(
            file,
            "error",
            f"{name} holds no features: export the district polygons again",
            value=name,
        )
        report.files[file] = FileCounts(0, 0, 0)
        return None, ""
    bounds_cfg = (
        settings.get("boundaries", {}) if isinstance(settings.get("boundaries"), dict) else {}
    )
    recognised = _recognise_publisher(raw, name, bounds_cfg, report)
    if recognised is None:
        return None, ""
    raw, bounds_cfg, kept = recognised
    if kept is not None:  # features of the chosen DHIS2 level only
        rows_of = list(range(1, n + 1)) if feature_rows is None else feature_rows
        feature_rows = [rows_of[i] for i in kept]
        n = len(raw)
    # CRS: reproject when declared, refuse when missing and not degrees (never guess silently)
    if raw.crs is None:
        minx, miny, maxx, maxy = raw.total_bounds
        if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
            report.add_file_problem(
                file,
                "warning",
                f"{name} declares no CRS; its coordinates look like degrees and are "
                "read as WGS84 (EPSG:4326); save it with a .prj / CRS to be sure",
            )
            raw = raw.set_crs(WGS84)
        else:
            report.add_file_problem(
                file,
                "error",
                f"{name} declares no CRS and its coordinates are not degrees; save "
                "it again with its CRS (a .prj file for a Shapefile)",
                value=f"{minx:.0f},{miny:.0f},{maxx:.0f},{maxy:.0f}",
            )
            return None, ""
    elif not CRS.from_user_input(raw.crs).equals(CRS.from_user_input(WGS84)):
        report.add_file_problem(
            file,
            "info",
            f"boundaries reprojected from {raw.crs.to_string()} to WGS84 (EPSG:4326)",
            value=str(raw.crs.to_string()),
        )
        raw = raw.to_crs(WGS84)

    columns = [c for c in raw.columns if c != raw.geometry.name]
    dcol = _pick_column(
        columns, bounds_cfg.get("district_column"), DISTRICT_CANDIDATES, "district", report
    )
    if dcol is None:
        return None, ""
    rcol = _pick_column(
        columns, bounds_cfg.get("region_column"), REGION_CANDIDATES, "region", report, exclude=dcol
    )

    feature_rows = list(range(1, n + 1)) if feature_rows is None else feature_rows
    text_frame = pd.DataFrame(
        {"district": raw[dcol].astype(object).fillna("").map(str).str.strip()}
    )
    text_frame["region"] = raw[rcol].astype(object).fillna("").map(str).str.strip() if rcol else ""
    ccol = _pick_code_column(columns, bounds_cfg.get("code_column"), report)
    codes = raw[ccol].astype(object).fillna("").map(str).str.strip() if ccol else None
    table = TextTable(
        text_frame.astype(object), list(feature_rows), [dcol] + ([rcol] if rcol else []), "", "", ""
    )
    rows = _Rows(file, table, report)
    names = text_frame["district"]
    rows.flag(
        names.eq(""),
        "district",
        lambda i: (
            f"feature {feature_rows[i]} has no district name in "
            f'column "{dcol}": fill it in or remove the feature'
        ),
    )

    geoms = raw.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    rows.flag(
        missing,
        "geometry",
        lambda i: (
            f'feature {feature_rows[i]} ("{names.iat[i]}") has no geometry: '
            "draw the polygon or remove the feature"
        ),
        values=names,
    )
    # A coordinate that is not degrees (inf, NaN, or 3e41 from a damaged file) breaks every
    # later geometry operation (projection to metres gives inf): the feature is rejected.
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    degrees = np.isfinite(coords).all(axis=1)
    degrees[degrees] = (np.abs(coords[degrees]) <= [180 + 1e-6, 90 + 1e-6]).all(axis=1)
    not_finite = np.zeros(n, dtype=bool)
    not_finite[owner[~degrees]] = True
    rows.flag(
        not_finite,
        "geometry",
        lambda i: (
            f'feature {feature_rows[i]} ("{names.iat[i]}") has a coordinate outside '
            "-180..180, -90..90 degrees (or not a number): export the polygon again"
        ),
        values=names,
    )
    missing = missing | not_finite
    fixed = list(geoms)
    invalid = ~missing & ~shapely.is_valid(geoms)
    for i in np.flatnonzero(invalid):
        fixed[i] = shapely.make_valid(geoms[i])
    rows.flag(
        invalid,
        "geometry",
        lambda i: (
            f'polygon of "{names.iat[i]}" was invalid '
            f"({shapely.is_valid_reason(geoms[i])}) and was repaired with make_valid; "
            "check its outline in a GIS"
        ),
        severity="warning",
        values=names,
    )
    polys = [None if missing[i] else _polygonal(fixed[i]) for i in range(n)]
    not_polygon = np.array([(not missing[i]) and polys[i] is None for i in range(n)])
    rows.flag(
        not_polygon,
        "geometry",
        lambda i: (
            f'feature {feature_rows[i]} ("{names.iat[i]}") is a '
            f"{geoms[i].geom_type}, not a polygon: districts must be polygons"
        ),
        values=names,
    )

    folded = names.str.casefold()
    first_of: dict[str, int] = {}
    dup = np.zeros(n, dtype=bool)
    for pos, key in enumerate(folded):
        if not key:
            continue
        if key in first_of:
            dup[pos] = True
        else:
            first_of[key] = pos
    rows.flag(
        dup,
        "district",
        lambda i: (
            f'duplicate district "{names.iat[i]}": features '
            f"{feature_rows[first_of[folded.iat[i]]]} and {feature_rows[i]} have the same name; "
            "merge them into one "
            "(multi)polygon or rename one"
        ),
    )
    accepted = rows.finish()

    cfg_crs = (
        settings.get("crs", {}).get("projected") if isinstance(settings.get("crs"), dict) else None
    )
    good = gpd.GeoDataFrame(
        {
            "district": names[accepted].to_numpy(),
            "region": text_frame["region"][accepted].to_numpy(),
            "district_code": codes[accepted].to_numpy() if codes is not None else "",
        },
        geometry=[polys[i] for i in np.flatnonzero(accepted)],
        crs=WGS84,
    )
    if len(good) == 0:
        report.add_file_problem(file, "error", "no usable district polygon: fix the problems above")
        return None, ""
    if cfg_crs:
        problem = ""
        try:
            if not CRS.from_user_input(cfg_crs).is_projected:
                problem = (
                    "is not a projected CRS; write a projected one in metres such as "
                    '"EPSG:32736" (UTM)'
                )
        except CRSError as exc:
            problem = f'is not a CRS ({exc}); write an EPSG code such as "EPSG:32736"'
        if problem:
            message = f'dataset.toml [crs] projected = "{cfg_crs}" {problem}'
            report.add("dataset", None, "crs.projected", cfg_crs, "error", message)
            return None, ""
        projected = str(cfg_crs)
    else:
        minx, miny, maxx, maxy = good.total_bounds
        projected = utm_crs_of((minx + maxx) / 2, (miny + maxy) / 2)
        report.add_file_problem(
            file,
            "info",
            f"distances computed in {projected}, the UTM zone of the boundaries' centre; "
            "set [crs] projected in dataset.toml to use another",
            value=projected,
        )
    metric = good.to_crs(projected)
    good["area_km2"] = metric.geometry.area.to_numpy() / 1e6
    _warn_overlaps(metric, np.asarray(feature_rows, dtype="int64")[accepted], report)
    for col in ("district", "region", "district_code"):
        good[col] = good[col].astype(str)
    columns_out = ["district", "region", "area_km2", "district_code", "geometry"]
    return good[columns_out].reset_index(drop=True), projected


def _recognise_publisher(
    raw: gpd.GeoDataFrame, name: str, bounds_cfg: dict[str, Any], report: ValidationReport
) -> tuple[gpd.GeoDataFrame, dict[str, Any], list[int] | None] | None:
    """Boundaries as published (geoBoundaries, GADM, COD-AB, DHIS2 org units): the features to
    use, the [boundaries] settings with the publisher's columns filled in, and the positions kept
    (None when all are). None (a fatal problem recorded) when the level asked for is absent."""
    if bounds_cfg.get("district_column"):
        return raw, bounds_cfg, None
    level = bounds_cfg.get("level")
    problem = ""
    if level is not None and (isinstance(level, bool) or not isinstance(level, int)):
        problem = "is not a whole number: write the admin level of the districts, e.g. level = 2"
    fmt = None if problem else recognise(raw, level)
    if fmt is None and level is not None and not problem:
        found = levels_available(raw) or "none (no GADM, COD-AB or DHIS2 columns)"
        problem = f"but {name} holds levels {found}: choose one of them or remove the setting"
    if problem:
        message = f"dataset.toml [boundaries] level = {level!r} {problem}"
        report.add("dataset", None, "boundaries.level", level, "error", message)
        return None
    if fmt is None:
        return raw, bounds_cfg, None
    report.add_file_problem("boundaries", "info", fmt.describe(), value=fmt.publisher)
    chosen, dropped = select_level(raw, fmt)
    if dropped:
        report.add_file_problem(
            "boundaries",
            "info",
            f"{dropped} org unit(s) of other levels left out: districts are level {fmt.level}; "
            "set [boundaries] level in dataset.toml to use another",
        )
    settings = {
        **bounds_cfg,
        "district_column": fmt.district_column,
        "region_column": bounds_cfg.get("region_column") or fmt.region_column,
        "code_column": bounds_cfg.get("code_column") or fmt.code_column,
    }
    kept = np.flatnonzero(raw.index.isin(chosen.index)).tolist() if dropped else None
    return gpd.GeoDataFrame(chosen), settings, kept


def _pick_code_column(columns: list[str], configured: Any, report: ValidationReport) -> str | None:
    """The boundaries column of district codes (P-code, GID, DHIS2 org-unit id) or None."""
    if configured is None:
        return None
    lower = {c.lower(): c for c in columns}
    if isinstance(configured, str) and configured.lower() in lower:
        return lower[configured.lower()]
    report.add(
        "dataset",
        None,
        "boundaries.code_column",
        configured,
        "error",
        f"dataset.toml [boundaries] code_column = {configured!r} is not a column of the "
        f"boundaries (columns: {', '.join(lower.values())})",
    )
    return None


def _warn_overlaps(
    metric: gpd.GeoDataFrame, feature_numbers: np.ndarray, report: ValidationReport
) -> None:
    """Warn for every pair of districts whose overlap exceeds 1% of the smaller one (projected
    CRS)."""
    geoms = metric.geometry.values
    left, right = metric.sindex.query(geoms, predicate="intersects")
    keep = left < right
    areas = shapely.area(geoms)
    for a, b in zip(left[keep], right[keep]):
        inter = shapely.area(shapely.intersection(geoms[a], geoms[b]))
        smaller = min(areas[a], areas[b])
        if smaller > 0 and inter > OVERLAP_SHARE * smaller:
            da, db = metric["district"].iat[a], metric["district"].iat[b]
            report.add(
                "boundaries",
                int(feature_numbers[b]),
                "geometry",
                db,
                "warning",
                f'districts "{da}" (feature {feature_numbers[a]}) and "{db}" (feature '
                f"{feature_numbers[b]}) overlap by {inter / 1e6:.1f} km² "
                f"({100 * inter / smaller:.0f}% of the smaller); points there are given "
                f'to "{da}"; fix the outlines so districts do not overlap',
            )


# ------------------------------------------------------------------ shared checks
def _check_coordinates(
    rows: _Rows, *, missing_message: str
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Validate latitude/longitude; returns (lat, lon, ok mask)."""
    lat_text, lon_text = rows.text("latitude"), rows.text("longitude")
    both_empty = lat_text.eq("") & lon_text.eq("")
    rows.flag(both_empty, "latitude", lambda i: missing_message)
    lat, lon = _parse_numbers(lat_text), _parse_numbers(lon_text)
    for col, text, num, limit in (
        ("latitude", lat_text, lat, 90),
        ("longitude", lon_text, lon, 180),
    ):
        # the messages bind this iteration's col, text and limit as defaults
        def empty_message(i: int, col: str = col) -> str:
            return f"{col} is empty: write decimal degrees (WGS84), e.g. -13.9626"

        def bad_message(i: int, col: str = col, text: pd.Series = text) -> str:
            return (
                f'{col} "{text.iat[i]}" is not a number: '
                "write decimal degrees such as -13.9626 (not degrees-minutes-seconds)"
            )

        def out_message(i: int, col: str = col, text: pd.Series = text, limit: int = limit) -> str:
            return (
                f"{col} {text.iat[i]} is "
                f"outside -{limit}..{limit}: check the value (latitude and longitude swapped?)"
            )

        empty = text.eq("") & ~both_empty
        rows.flag(empty, col, empty_message)
        bad = ~text.eq("") & num.isna()
        rows.flag(bad, col, bad_message)
        out = num.notna() & (num.abs() > limit)
        rows.flag(out, col, out_message)
    ok = (lat.notna() & lon.notna() & (lat.abs() <= 90) & (lon.abs() <= 180)).to_numpy()
    return lat, lon, ok


def _check_ids(rows: _Rows, column: str, what: str) -> pd.Series:
    """Validate a unique id column: not empty, not repeated (the first occurrence is kept)."""
    ids = rows.text(column)
    rows.flag(ids.eq(""), column, lambda i: f"{column} is empty: give every {what} a unique id")
    nonempty = ids.ne("")
    dup = ids.duplicated(keep="first") & nonempty
    if dup.any():
        first_row: dict[str, int] = {}
        for v, r in zip(ids.tolist(), rows.row_numbers.tolist()):
            first_row.setdefault(v, r)
        rows.flag(
            dup,
            column,
            lambda i: (
                f'duplicate {column} "{ids.iat[i]}": row '
                f"{first_row[ids.iat[i]]} has the same id; give each {what} its own id"
            ),
        )
    return ids


def _locate(
    rows: _Rows,
    lat: pd.Series,
    lon: pd.Series,
    ok: np.ndarray,
    boundaries: gpd.GeoDataFrame | None,
    what: str,
) -> tuple[pd.Series, pd.Series]:
    """Spatial join: the district and region each point lies in; outside every district is an
    error."""
    district = pd.Series([""] * rows.n, index=rows.frame.index, dtype=object)
    region = district.copy()
    if boundaries is None or not ok.any():
        return district, region
    idx = np.flatnonzero(ok)
    points = gpd.points_from_xy(lon.iloc[idx], lat.iloc[idx], crs=WGS84)
    rows.points = (idx, points)  # the accepted rows' geometry later (_to_geo)
    # the district of each point: the first of those it lies in, in the order gpd.sjoin takes
    # them (the spatial index's), from the index directly (no joined frame)
    at, feature = boundaries.sindex.query(points, predicate="intersects", sort=False)
    order = np.argsort(at, kind="stable")
    at, feature = at[order], feature[order]
    first = np.ones(len(at), dtype=bool)
    first[1:] = at[1:] != at[:-1]
    inside_idx, feature = idx[at[first]], feature[first]
    district.iloc[inside_idx] = boundaries["district"].to_numpy(dtype=object)[feature]
    region.iloc[inside_idx] = boundaries["region"].to_numpy(dtype=object)[feature]
    hit = np.zeros(len(idx), dtype=bool)
    hit[at[first]] = True
    outside_idx = idx[~hit]
    if len(outside_idx):
        swapped = gpd.GeoDataFrame(
            {"i": outside_idx},
            crs=WGS84,
            geometry=gpd.points_from_xy(lat.iloc[outside_idx], lon.iloc[outside_idx]),
        )
        sj = gpd.sjoin(
            swapped, boundaries[["district", "geometry"]], how="inner", predicate="intersects"
        )
        swap_district = dict(zip(sj["i"], sj["district"]))
        mask = np.zeros(rows.n, dtype=bool)
        mask[outside_idx] = True
        lat_text, lon_text = rows.text("latitude"), rows.text("longitude")

        def message(i: int) -> str:
            where = f"latitude {lat_text.iat[i]}, longitude {lon_text.iat[i]}"
            if i in swap_district:
                return (
                    f"{what} at {where} lies outside every district; latitude and longitude "
                    f'look swapped (swapped, it lies in "{swap_district[i]}"): exchange the '
                    "two values"
                )
            return (
                f"{what} at {where} lies outside every district: check the coordinates "
                "(decimal degrees, WGS84) or add the missing district to the boundaries"
            )

        rows.flag(mask, "latitude", message)
    return district, region


def _resolve_districts(
    rows: _Rows,
    stated: pd.Series,
    boundaries: gpd.GeoDataFrame,
    more: Callable[[int], str] = lambda i: "",
) -> pd.Series:
    """The boundaries' spelling of each stated district (matched ignoring case; NaN when empty
    or unknown); an unknown district is an error naming the closest (and ``more(row)``)."""
    names = list(boundaries["district"])
    canon = {n.casefold(): n for n in names}
    if "district_code" in boundaries.columns:  # a P-code, GID or DHIS2 org-unit id also names it
        for code, district in zip(boundaries["district_code"], names):
            if code:
                canon.setdefault(str(code).casefold(), district)
    resolved = _mapped(_per_distinct(stated, str.casefold), canon)
    rows.flag(
        stated.ne("") & resolved.isna(),
        "district",
        lambda i: (
            f'district "{stated.iat[i]}" is not in the boundaries'
            f"{_did_you_mean(stated.iat[i], names)}{more(i)}"
        ),
    )
    return resolved


def _check_stated_district(
    rows: _Rows, located: pd.Series, boundaries: gpd.GeoDataFrame | None
) -> None:
    """A stated district must exist (else an error naming the closest); disagreeing with the polygon
    warns."""
    if boundaries is None or "district" not in rows.frame.columns:
        return
    stated = rows.text("district")

    def polygon(i: int) -> str:
        return f' (the point\'s polygon gives "{located.iat[i] or "none"}")'

    resolved = _resolve_districts(rows, stated, boundaries, polygon)
    disagree = (
        stated.ne("") & resolved.notna() & located.ne("") & resolved.fillna("").ne(located)
    ).to_numpy()
    rows.flag(
        disagree,
        "district",
        lambda i: (
            f'stated district "{stated.iat[i]}" disagrees with '
            f'the polygon the point lies in ("{located.iat[i]}"); "{located.iat[i]}" is used: '
            "correct the district or the coordinates"
        ),
        severity="warning",
    )


# ------------------------------------------------------------------------ hotspots
def _load_hotspots(
    table: TextTable, boundaries: gpd.GeoDataFrame | None, report: ValidationReport
) -> gpd.GeoDataFrame:
    """Validate hotspot rows; return the accepted ones as the canonical hotspots frame."""
    rows = _Rows("hotspots", table, report)
    ids = _check_ids(rows, "hotspot_id", "hotspot")
    lat, lon, ok = _check_coordinates(
        rows,
        missing_message="latitude and longitude are empty: add the hotspot's location in "
        "decimal degrees (WGS84)",
    )
    typology = _per_distinct(rows.text("typology"), str.lower)
    rows.flag(
        typology.eq(""),
        "typology",
        lambda i: (
            "typology is empty: write the kind of place, e.g. bar, lodge, street, brothel, home"
        ),
    )
    counts = {c: _check_count(rows, c, required=True) for c in HOTSPOT_COUNT_COLUMNS}
    for lo, hi in (("typical_min", "typical_max"), ("peak_min", "peak_max")):
        a, b = counts[lo], counts[hi]

        def order_message(
            i: int, lo: str = lo, hi: str = hi, a: pd.Series = a, b: pd.Series = b
        ) -> str:
            return (
                f"{lo} {int(a.iat[i])} > {hi} {int(b.iat[i])}: the minimum cannot exceed the "
                "maximum; exchange the two values or correct one"
            )

        rows.flag((a > b).fillna(False), lo, order_message)
    tmax, pmax = counts["typical_max"], counts["peak_max"]
    rows.flag(
        (tmax > pmax).fillna(False),
        "typical_max",
        lambda i: (
            f"typical_max {int(tmax.iat[i])} > peak_max {int(pmax.iat[i])}: a peak day usually "
            "has at least as many people as a typical day; check both"
        ),
        severity="warning",
    )

    population = _per_distinct(rows.text("population"), str.upper)
    population = population.where(population.ne(""), "FSW")
    rows.flag(
        ~population.isin(KEY_POPULATIONS),
        "population",
        lambda i: (
            f'population "{population.iat[i]}" is not one of {", ".join(KEY_POPULATIONS)}; it is '
            "kept as written but planning defaults may not fit it"
        ),
        severity="warning",
    )

    peak_days = _canonical_optional(
        rows, "peak_days", canonical_days, 'write days such as "Fri;Sat" or "Fri-Sun"'
    )
    peak_times = _canonical_optional(
        rows,
        "peak_times",
        canonical_times,
        'write hour ranges such as "18-24;0-2" or bands "morning;afternoon;evening;night"',
    )
    mapped_on = _canonical_optional(
        rows, "mapped_on", canonical_date, "write a date such as 2025-03-14"
    )

    district, region = _locate(rows, lat, lon, ok, boundaries, "hotspot")
    _check_stated_district(rows, district, boundaries)
    accepted = rows.finish()

    out = pd.DataFrame(
        {
            "hotspot_id": ids,
            "name": rows.text("name"),
            "latitude": lat,
            "longitude": lon,
            "typology": typology,
            **{c: counts[c] for c in HOTSPOT_COUNT_COLUMNS},
            "district": district,
            "region": region,
            "population": population,
            "peak_days": peak_days,
            "peak_times": peak_times,
            "mapped_on": mapped_on,
            "pe_id": rows.text("pe_id"),
        }
    )[accepted].reset_index(drop=True)
    for c in HOTSPOT_COUNT_COLUMNS:
        out[c] = out[c].astype("int64")
    return _to_geo(out, HOTSPOT_COLUMNS, rows, accepted)


def _canonical_optional(
    rows: _Rows, column: str, parse: Callable[[str], str | None], how: str
) -> pd.Series:
    """Canonicalise an optional text column; unreadable values are a warning and cleared."""
    text = rows.text(column)
    mapping = {v: parse(v) for v in text.unique()}
    parsed = _mapped(text, mapping)
    bad = parsed.isna()
    rows.flag(
        bad,
        column,
        lambda i: f'{column} "{text.iat[i]}" could not be read and was cleared: {how}',
        severity="warning",
    )
    return parsed.fillna("").astype(object)


def _to_geo(
    frame: pd.DataFrame, columns: list[str], rows: _Rows | None = None, accepted: Any = None
) -> gpd.GeoDataFrame:
    """Canonical column order, text columns as str, points in WGS84 (the accepted rows' points
    made by _locate when ``rows`` has them, the same coordinates)."""
    frame = frame[columns].copy()
    for c in columns:
        if frame[c].dtype == object:
            frame[c] = frame[c].astype(str)
    if rows is not None and rows.points is not None:
        located, points = rows.points
        wanted = np.flatnonzero(accepted)
        at = np.searchsorted(located, wanted)
        if len(at) == 0 or (at[-1] < len(located) and np.array_equal(located[at], wanted)):
            return gpd.GeoDataFrame(frame, geometry=points.take(at), crs=WGS84)
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]), crs=WGS84
    )


# --------------------------------------------------------------------------- sites
def _load_sites(
    table: TextTable, boundaries: gpd.GeoDataFrame | None, report: ValidationReport
) -> gpd.GeoDataFrame:
    """Validate site rows; return the accepted ones as the canonical sites frame."""
    rows = _Rows("sites", table, report)
    ids = _check_ids(rows, "site_id", "site")
    name = rows.text("name")
    rows.flag(
        name.eq(""),
        "name",
        lambda i: "name is empty: write the site's name as people know it",
        severity="warning",
    )
    name = name.where(name.ne(""), ids)
    lat, lon, ok = _check_coordinates(
        rows,
        missing_message="site has no coordinates: add latitude and longitude in decimal "
        "degrees (WGS84) so distances from hotspots can be computed",
    )
    site_type = rows.text("site_type").str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    rows.flag(
        site_type.eq(""),
        "site_type",
        lambda i: "site_type is empty: write clinic, drop_in_centre, mobile, pharmacy, ...",
    )
    services_text = rows.text("services")
    parsed = {v: canonical_services(v) for v in services_text.unique()}
    services = services_text.map(lambda v: parsed[v][0])
    unknown = services_text.map(lambda v: bool(parsed[v][1]))
    rows.flag(
        unknown,
        "services",
        lambda i: (
            f"services {', '.join(parsed[services_text.iat[i]][1])} "
            f"not recognised and dropped: use {';'.join(SERVICES)}"
        ),
        severity="warning",
    )
    district, region = _locate(rows, lat, lon, ok, boundaries, "site")
    _check_stated_district(rows, district, boundaries)
    accepted = rows.finish()
    out = pd.DataFrame(
        {
            "site_id": ids,
            "name": name,
            "latitude": lat,
            "longitude": lon,
            "site_type": site_type,
            "district": district,
            "region": region,
            "services": services,
            "open_days": rows.text("open_days"),
            "open_hours": rows.text("open_hours"),
        }
    )[accepted].reset_index(drop=True)
    return _to_geo(out, SITE_COLUMNS, rows, accepted)


# ----------------------------------------------------------------------- enrolment
def _rejected_ids(report: ValidationReport, file: str, column: str) -> dict[str, int]:
    """Id -> spreadsheet row of the rows of ``file`` that were rejected (first occurrence)."""
    frame = report.rejected.get(file)
    if frame is None or column not in frame.columns:
        return {}
    out: dict[str, int] = {}
    for value, row in zip(frame[column].astype(str).str.strip().tolist(), frame["row"].tolist()):
        out.setdefault(value, int(row))
    return out


def _positions(ids: pd.Series, given: pd.Series) -> np.ndarray:
    """The position in ``ids`` of each value of ``given`` (-1 where absent; the last of repeated
    ids), found by one hash lookup."""
    keys = pd.Index(ids.to_numpy(dtype=object), dtype=object)
    last = ~keys.duplicated(keep="last")
    found = keys[last].get_indexer(pd.Index(given.to_numpy(dtype=object), dtype=object))
    where: np.ndarray = np.append(np.flatnonzero(last), -1)  # found -1 picks the -1 at the end
    return np.asarray(where[found])


def _load_enrolment(
    table: TextTable,
    hotspots: gpd.GeoDataFrame | None,
    sites: gpd.GeoDataFrame | None,
    boundaries: gpd.GeoDataFrame | None,
    report: ValidationReport,
) -> pd.DataFrame:
    """Validate enrolment rows, resolve each to a district; return the canonical enrolment frame."""
    rows = _Rows("enrolment", table, report)
    period_text = rows.text("period")
    mapping = {v: canonical_period(v) for v in period_text.unique()}
    period = _mapped(period_text, mapping)
    rows.flag(
        period.isna(),
        "period",
        lambda i: (
            f'period "{period_text.iat[i]}" is not a period: '
            'write "2025-Q3" for a quarter or "2025-09" for a month'
        ),
    )
    enrolled = _check_count(rows, "enrolled", required=True)
    extra = {}
    for col in ENROLMENT_OPTIONAL_COUNTS:
        text = rows.text(col)
        num = _parse_numbers(text)
        bad = (text.ne("") & (num.isna() | (num < 0))).to_numpy()

        def cleared_message(i: int, col: str = col, text: pd.Series = text) -> str:
            return (
                f'{col} "{text.iat[i]}" is not a count '
                "of 0 or more and was cleared: write a whole number such as "
                f"{_count_example(text.iat[i])}"
            )

        rows.flag(bad, col, cleared_message, severity="warning")
        extra[col] = num.where(~bad).astype("float64")

    hid, sid, dist_text = rows.text("hotspot_id"), rows.text("site_id"), rows.text("district")
    none_given = hid.eq("") & sid.eq("") & dist_text.eq("")
    rows.flag(
        none_given,
        "hotspot_id",
        lambda i: (
            "row names no hotspot_id, site_id or district: "
            "fill in one so the enrolment can be placed"
        ),
    )
    level = np.where(hid.ne(""), "hotspot", np.where(sid.ne(""), "site", "district"))
    district = pd.Series([""] * rows.n, index=rows.frame.index, dtype=object)
    region = district.copy()

    rejected_rows = {f: _rejected_ids(report, f, f"{f[:-1]}_id") for f in ("hotspots", "sites")}
    for col, given, frame, file in (
        ("hotspot_id", hid, hotspots, "hotspots"),
        ("site_id", sid, sites, "sites"),
    ):
        if frame is None:
            continue
        at = _positions(frame[col], given)
        known = pd.Series(at >= 0, index=given.index)
        unknown = given.ne("") & ~known
        ids = frame[col].tolist() if len(frame) <= ID_SUGGESTION_LIMIT else []

        def message(
            i: int, col: str = col, given: pd.Series = given, file: str = file, ids: list[Any] = ids
        ) -> str:
            value = given.iat[i]
            bad_row = rejected_rows[file].get(value)
            if bad_row is not None:
                return (
                    f'{col} "{value}" points at {file} row {bad_row}, which was rejected: fix '
                    "that row first"
                )
            return (
                f'{col} "{value}" is not in {file}{_did_you_mean(value, ids)}: check the id '
                f"or add the {file[:-1]} to {file}"
            )

        rows.flag(unknown, col, message)
        use = (level == ("hotspot" if col == "hotspot_id" else "site")) & known.to_numpy()
        district[use] = frame["district"].to_numpy(dtype=object)[at[use]]
        region[use] = frame["region"].to_numpy(dtype=object)[at[use]]

    if boundaries is not None:
        resolved = _resolve_districts(rows, dist_text, boundaries)
        region_of = dict(zip(boundaries["district"], boundaries["region"]))
        use = (level == "district") & resolved.notna().to_numpy()
        district[use] = resolved[use]
        region[use] = _mapped(resolved[use], region_of)
        other = (level != "district") & resolved.notna().to_numpy() & district.ne("").to_numpy()
        disagree = other & (resolved.fillna("") != district).to_numpy()
        rows.flag(
            disagree,
            "district",
            lambda i: (
                f'district "{dist_text.iat[i]}" disagrees with '
                f'the {level[i]} it names (in "{district.iat[i]}"); "{district.iat[i]}" is used'
            ),
            severity="warning",
        )

    key = np.where(level == "hotspot", hid, np.where(level == "site", sid, district.str.casefold()))
    key_frame = pd.DataFrame({"p": period.fillna("?"), "l": level, "k": key})
    dup = (key_frame.duplicated(keep="first") & period.notna() & ~none_given).to_numpy()
    if dup.any():
        first = (
            key_frame.assign(r=rows.row_numbers)
            .groupby(["p", "l", "k"], sort=False)["r"]
            .transform("first")
            .to_numpy()
        )
        rows.flag(
            dup,
            "period",
            lambda i: (
                f"duplicate: row {first[i]} "
                f"already gives enrolment for {level[i]} "
                f'"{key_frame["k"].iat[i]}" in {period.iat[i]}; keep one row (enrolled is '
                "cumulative)"
            ),
        )
    accepted = rows.finish()
    out = pd.DataFrame(
        {
            "period": period,
            "enrolled": enrolled,
            "hotspot_id": hid.where(level == "hotspot", ""),
            "site_id": sid.where(level != "district", ""),
            "level": level,
            "district": district,
            "region": region.fillna(""),
            **extra,
        }
    )[accepted].reset_index(drop=True)
    out["enrolled"] = out["enrolled"].astype("int64")
    for c in ("period", "hotspot_id", "site_id", "level", "district", "region"):
        out[c] = out[c].astype(str)
    return out[ENROLMENT_COLUMNS]


# ---------------------------------------------------------------------------- main
REQUIRED_COLUMNS = {
    "hotspots": HOTSPOT_REQUIRED,
    "sites": SITE_REQUIRED,
    "enrolment": ENROLMENT_REQUIRED,
}


def _read(
    file: str,
    path: Path | None,
    settings: dict[str, Any],
    required: list[str],
    report: ValidationReport,
    boundaries: gpd.GeoDataFrame | None = None,
) -> TextTable | None:
    """Read one table and check its required columns; None when the file is unusable (fatal)."""
    if path is None:
        return None
    if file == "enrolment" and path.suffix.lower() == ".json":
        return _read_dhis2(path, settings, required, report, boundaries)
    sheets = settings.get("sheets", {}) if isinstance(settings.get("sheets"), dict) else {}
    try:
        table = read_table_text(path, sheet=sheets.get(file))
    except ReadError as exc:
        report.add_file_problem(file, "error", str(exc), value=path.name)
        return None
    if file == "enrolment" and dhis2.is_value_set_csv(table.original_headers):
        return _read_dhis2(path, settings, required, report, boundaries)
    if table.sheet:
        how = f'sheet "{table.sheet}"'
    else:
        how = f"{table.encoding}, {'tab' if table.delimiter == chr(9) else repr(table.delimiter)}"
    report.source[file] = f"{path.name} ({how})"
    adapted = adapt_export(file, table, settings, path, report)
    if adapted is None:
        return None
    return _check_table(file, adapted, path.name, required, report)


def _read_dhis2(
    path: Path,
    settings: dict[str, Any],
    required: list[str],
    report: ValidationReport,
    boundaries: gpd.GeoDataFrame | None,
) -> TextTable | None:
    """Enrolment from a DHIS2 data value set (JSON or CSV), org units placed in districts by the
    boundaries' codes or org_units.json (data_loaders.dhis2); None when unusable (fatal)."""
    units_path = dhis2.org_units_file(path.parent)
    try:
        elements = dhis2.data_elements(settings)
        values = dhis2.read_data_values(path)
        org_units = dhis2.read_org_units(units_path) if units_path is not None else None
    except dhis2.Dhis2Error as exc:
        report.add_file_problem("enrolment", "error", str(exc), value=path.name)
        return None
    table, notes = dhis2.enrolment_table(values, elements, org_units, boundaries)
    where = f" and {units_path.name}" if units_path is not None else ""
    report.source["enrolment"] = (
        f"{path.name} (DHIS2 data value set{where}: {len(values)} data values; rows are "
        "data value numbers)"
    )
    for note in notes:
        report.add_file_problem("enrolment", "info", note)
    return _check_table("enrolment", table, path.name, required, report)


def adapt_export(
    file: str, table: TextTable, settings: dict[str, Any], path: Path, report: ValidationReport
) -> TextTable | None:
    """An ODK/Kobo export or a table dataset.toml maps, with canonical columns (data_loaders.kobo);
    the table as read otherwise; None when the mapping itself is wrong (fatal, reported)."""
    adapted = kobo.adapt(file, table, settings, path)
    if adapted is None:
        return table
    for severity, column, message in adapted.problems:
        report.add(file, None, column, "", severity, message, fatal=True)
    if adapted.problems:
        _refuse_file(file, table, "file refused: fix the column mapping in dataset.toml", report)
        return None
    if adapted.provenance is not None:
        report.provenance[file] = adapted.provenance
    matched = ", ".join(f"{k} = {v!r}" for k, v in adapted.used.items() if k != v)
    kept = len(adapted.provenance.columns) - 1 if adapted.provenance is not None else 0
    report.add_file_problem(
        file,
        "info",
        "read as an ODK/KoboToolbox export or mapped table"
        + (f"; columns: {matched}" if matched else "")
        + (f"; {adapted.note}" if adapted.note else "")
        + (f"; {kept} metadata column(s) kept as provenance" if kept else "")
        + f"; map others in dataset.toml [{file}.columns]",
    )
    return adapted.table


def _check_table(
    file: str, table: TextTable, name: str, required: list[str], report: ValidationReport
) -> TextTable | None:
    """Check a table read from ``name`` (a file or a database table) has its required columns;
    None when it is unusable (fatal)."""
    if not table.original_headers:
        report.add_file_problem(
            file,
            "error",
            f"{name} is empty: it needs a header row ({', '.join(required)}, ...) and "
            "one row per record (see data/templates)",
            value=name,
        )
        report.files[file] = FileCounts(0, 0, 0)
        report.rejected[file] = pd.DataFrame(columns=["row", "reasons"])
        return None
    missing = _check_required_columns(table, file, required, report)
    if file == "enrolment" and not any(
        c in table.frame.columns for c in ("hotspot_id", "site_id", "district")
    ):
        report.add(
            file,
            1,
            "hotspot_id",
            "",
            "error",
            "enrolment needs a column hotspot_id, site_id or district saying where each "
            "row belongs: add one",
            fatal=True,
        )
        missing.append("hotspot_id|site_id|district")
    if missing:
        _refuse_file(
            file, table, f"file refused: required column(s) {', '.join(missing)} missing", report
        )
        return None
    if len(table.frame) == 0:
        report.add_file_problem(
            file, "warning", f"{name} has a header but no data rows", value=name
        )
    return table


def check_table_file(
    file: str,
    path: str | Path,
    settings: dict[str, Any] | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    *,
    rows: bool = True,
) -> ValidationReport:
    """Read and validate one table file (hotspots, sites or enrolment) on its own, against
    ``boundaries`` when given (canonical, as a loaded Dataset holds them): its report, with
    counts and rejected rows. What a full load does to that file, without the other files (ids
    in enrolment are not looked up); the fuzz benchmark and tests use it. ``rows=False`` stops
    after reading the file and checking its columns (no row checks)."""
    if file not in TABLE_FILES:
        raise ValueError(f"file {file!r} is not one of {', '.join(TABLE_FILES)}")
    report = ValidationReport()
    path = Path(path)
    table = _read(file, path, settings or {}, REQUIRED_COLUMNS[file], report, boundaries)
    if table is not None and rows:
        if file == "hotspots":
            _load_hotspots(table, boundaries, report)
        elif file == "sites":
            _load_sites(table, boundaries, report)
        else:
            _load_enrolment(table, None, None, boundaries, report)
    report.sort()
    return report


def check_boundaries_file(
    path: str | Path, settings: dict[str, Any] | None = None
) -> tuple[gpd.GeoDataFrame | None, ValidationReport]:
    """Read and validate a boundaries file on its own: the canonical districts (None when
    unusable) and the report."""
    report = ValidationReport()
    boundaries, _ = _load_boundaries(Path(path), settings or {}, report)
    report.sort()
    return boundaries, report


def _empty_geo(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series([], dtype=str) for c in columns},
        geometry=gpd.GeoSeries([], crs=WGS84),
        crs=WGS84,
    )


def load_dataset(path: str | Path, *, strict: bool = False) -> Dataset:
    """Load and validate a dataset folder, or a dataset stored in PostgreSQL/PostGIS by
    ``cli.py import`` (``path`` a ``postgresql://...[?schema=NAME]`` URL, data_loaders.postgis);
    raise DatasetLoadError (with ``.report``) when it cannot be used.

    Both are validated the same way and give the same frames. Non-strict (default): rows with
    errors are rejected and kept in ``report.rejected``. Strict: any error refuses the dataset
    (DatasetLoadError with the full report).
    """
    if is_database_url(path):
        return _load_database(str(path), strict=strict)
    report = ValidationReport()
    if is_folded_url(path):
        report.add_file_problem(
            "dataset",
            "error",
            f"{redact_url(str(path))} looks like a postgresql:// URL whose // was folded into / "
            "by a file path: pass the URL as text (the caller must not wrap it in Path)",
            value=redact_url(str(path)),
        )
        raise DatasetLoadError(report)
    folder = Path(path)
    if not folder.is_dir():
        report.add_file_problem(
            "dataset",
            "error",
            f"{folder} is not a folder: give the folder holding hotspots, sites, enrolment "
            "and boundaries files (or a postgresql:// URL written by cli.py import)",
            value=str(folder),
        )
        raise DatasetLoadError(report)
    settings = _read_settings(folder, report)
    files = _find_files(folder, report)
    fatal = report.has_errors

    boundaries, projected = (None, "")
    if files["boundaries"] is not None:
        boundaries, projected = _load_boundaries(files["boundaries"], settings, report)
    tables = {
        f: _read(f, files[f], settings, REQUIRED_COLUMNS[f], report, boundaries)
        for f in TABLE_FILES
    }
    return _validated(
        report,
        settings,
        boundaries,
        projected,
        tables,
        fatal=fatal,
        strict=strict,
        name=folder.resolve().name,
        source=str(folder.resolve()),
    )


def _load_database(url: str, *, strict: bool) -> Dataset:
    """Load and validate the dataset a schema holds (see load_dataset)."""
    # imported here: the database driver costs ~70 ms to import, folders do not need it
    from data_loaders.postgis import read_dataset

    report = ValidationReport()
    try:
        stored = read_dataset(url)
    except DatabaseSourceError as exc:
        for table, message in exc.problems:
            report.add_file_problem(table, "error", message)
        raise DatasetLoadError(report) from None
    schema = stored.schema
    settings = _parse_settings(
        stored.settings_text, f"table {schema}.dataset settings_toml", report
    )
    fatal = report.has_errors
    # The stored boundaries carry the canonical column names, whatever dataset.toml said of
    # the original file's columns.
    columns = {"district_column": "district"}
    if "region" in stored.boundaries.columns:
        columns["region_column"] = "region"
    report.source["boundaries"] = f"{schema}.boundaries (PostGIS)"
    boundaries, projected = _check_boundaries(
        stored.boundaries,
        f"table {schema}.boundaries",
        {**settings, "boundaries": columns},
        report,
        stored.boundary_rows,
    )
    tables: dict[str, TextTable | None] = {}
    for file in TABLE_FILES:
        report.source[file] = f"{schema}.{file} (PostGIS)"
        tables[file] = _check_table(
            file, stored.tables[file], f"table {schema}.{file}", REQUIRED_COLUMNS[file], report
        )
    return _validated(
        report,
        settings,
        boundaries,
        projected,
        tables,
        fatal=fatal,
        strict=strict,
        name=stored.name,
        source=stored.label,
    )


def _validated(
    report: ValidationReport,
    settings: dict[str, Any],
    boundaries: gpd.GeoDataFrame | None,
    projected: str,
    tables: dict[str, TextTable | None],
    *,
    fatal: bool,
    strict: bool,
    name: str,
    source: str,
) -> Dataset:
    """Validate the rows of the tables against the boundaries; the Dataset, or DatasetLoadError.

    ``name`` is used when dataset.toml names no dataset; ``source`` is where it came from.
    """
    fatal = fatal or boundaries is None or any(t is None for t in tables.values())
    hotspots = (
        _load_hotspots(tables["hotspots"], boundaries, report)
        if tables["hotspots"] is not None
        else None
    )
    sites = (
        _load_sites(tables["sites"], boundaries, report) if tables["sites"] is not None else None
    )
    enrolment = (
        _load_enrolment(tables["enrolment"], hotspots, sites, boundaries, report)
        if tables["enrolment"] is not None
        else None
    )
    report.sort()
    if fatal or (strict and report.has_errors):
        raise DatasetLoadError(report)

    meta = settings.get("dataset", {}) if isinstance(settings.get("dataset"), dict) else {}
    return Dataset(
        name=str(meta.get("name") or name),
        hotspots=hotspots if hotspots is not None else _empty_geo(HOTSPOT_COLUMNS),
        sites=sites if sites is not None else _empty_geo(SITE_COLUMNS),
        enrolment=enrolment,
        boundaries=boundaries,
        crs_projected=projected,
        synthetic=bool(meta.get("synthetic", False)),
        settings=settings,
        report=report,
        source_dir=source,
    )


__all__ = ["DatasetLoadError", "is_database_url", "load_dataset", "settings_text", "utm_crs_of"]
