"""PostgreSQL/PostGIS as a dataset source: one schema holds one dataset.

``write_dataset`` (``cli.py import``) stores a dataset that validated without errors, in one
transaction: tables ``dataset`` (name, dataset.toml text), ``boundaries`` (district polygons),
``hotspots`` and ``sites`` (points, SRID 4326, with the canonical columns of planning.schema) and
``enrolment``; an earlier import into the same schema is replaced in the same transaction.
``read_dataset`` gives the tables back as text tables and raw boundaries, which
data_loaders.dataset validates exactly as it validates a folder: the same frames, and a report
that names the table's ``source_row`` (the row of the imported file) for anything edited since.

Columns a user edits in a GIS and what the loader makes of them: ``geom`` is the location
(``latitude``/``longitude`` are generated from it); ``district`` is checked against the polygon
the point lies in; ``region``, enrolment's ``level`` and boundaries' area are recomputed.

URLs (``postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME]``) are parsed by
data_loaders.source_url; a password never reaches a message or a log.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from data_loaders.readers import TextTable, normalise_header
from data_loaders.source_url import DatabaseSourceError, DatabaseUrl, parse_url
from planning.schema import Dataset

log = logging.getLogger(__name__)

# Version of the table layout below, stored in dataset.planner_format (a newer one is refused).
FORMAT_VERSION = 1
TABLES = ("dataset", "boundaries", "hotspots", "sites", "enrolment")
ROW_COLUMN = "source_row"
GEOMETRY_COLUMN = "geom"
SRID = 4326

# Column types of the written tables: the canonical columns of planning.schema, in their order
# (tests/data_loaders/test_postgis.py checks it), after source_row and before geom.
_FROM_GEOM = "generated from geom"
_TEXT = "text NOT NULL DEFAULT ''"
_COUNT = "bigint NOT NULL"
_AMOUNT = "double precision"
COLUMN_TYPES: dict[str, dict[str, str]] = {
    "hotspots": {
        "hotspot_id": "text NOT NULL",
        "name": _TEXT,
        "latitude": _FROM_GEOM,
        "longitude": _FROM_GEOM,
        "typology": "text NOT NULL",
        "typical_min": _COUNT,
        "typical_max": _COUNT,
        "peak_min": _COUNT,
        "peak_max": _COUNT,
        "district": _TEXT,
        "region": _TEXT,
        "population": "text NOT NULL DEFAULT 'FSW'",
        "peak_days": _TEXT,
        "peak_times": _TEXT,
        "mapped_on": "date",
        "pe_id": _TEXT,
    },
    "sites": {
        "site_id": "text NOT NULL",
        "name": _TEXT,
        "latitude": _FROM_GEOM,
        "longitude": _FROM_GEOM,
        "site_type": "text NOT NULL",
        "district": _TEXT,
        "region": _TEXT,
        "services": _TEXT,
        "open_days": _TEXT,
        "open_hours": _TEXT,
    },
    "enrolment": {
        "period": "text NOT NULL",
        "enrolled": _COUNT,
        "hotspot_id": _TEXT,
        "site_id": _TEXT,
        "level": _TEXT,
        "district": _TEXT,
        "region": _TEXT,
        "contacted": _AMOUNT,
        "condoms_distributed": _AMOUNT,
        "tested_hiv": _AMOUNT,
        "on_prep": _AMOUNT,
    },
    "boundaries": {"district": "text NOT NULL", "region": _TEXT},
}
DATE_COLUMNS = {"mapped_on"}
GEOMETRY_TYPES = {"hotspots": "Point", "sites": "Point", "boundaries": "Geometry"}
COMMENTS = {
    "dataset": "KP coverage planner dataset written by cli.py import: name and dataset.toml",
    "boundaries": "district polygons (WGS84); area is recomputed on load",
    "hotspots": "mapped hotspots: move geom to move a spot (latitude/longitude follow it); "
    "region is recomputed on load",
    "sites": "service sites: move geom to move a site (latitude/longitude follow it); "
    "region is recomputed on load",
    "enrolment": "enrolment records; level and region are recomputed on load",
}


def _connect(target: DatabaseUrl) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(target.conninfo)
    except psycopg.Error as exc:
        raise DatabaseSourceError(
            [
                (
                    "dataset",
                    f"cannot connect to {target.label}: {target.scrub(str(exc))} (check the "
                    "host, port, database name, user and password, and that the server runs)",
                )
            ]
        ) from None


def _query_failed(target: DatabaseUrl, what: str, exc: psycopg.Error) -> DatabaseSourceError:
    return DatabaseSourceError(
        [("dataset", f"{what} {target.label} failed: {target.scrub(str(exc))}")]
    )


# --------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class StoredDataset:
    """A dataset as stored in a schema, not yet validated: text tables as a file reader gives
    them (row numbers = ``source_row``), raw boundaries, the name and the dataset.toml text."""

    name: str
    settings_text: str
    boundaries: gpd.GeoDataFrame  # district, region (if the table has it), geometry
    boundary_rows: list[int]
    tables: dict[str, TextTable]  # hotspots, sites, enrolment
    label: str  # the URL without password, with ?schema=
    schema: str


def _import_hint(target: DatabaseUrl) -> str:
    return f"python cli.py import --data DIR --to {target.label}"


def _table_columns(conn: psycopg.Connection[Any], schema: str) -> dict[str, list[tuple[str, str]]]:
    """(column, type name) of each of TABLES present in ``schema``, in column order."""
    rows = conn.execute(
        "SELECT table_name, column_name, udt_name FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = ANY(%s) ORDER BY table_name, ordinal_position",
        (schema, list(TABLES)),
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, udt in rows:
        out.setdefault(str(table), []).append((str(column), str(udt)))
    return out


def _planner_schemas(conn: psycopg.Connection[Any]) -> list[str]:
    """Schemas of this database that hold a dataset written by ``cli.py import``."""
    rows = conn.execute(
        "SELECT table_schema FROM information_schema.columns "
        "WHERE table_name = 'dataset' AND column_name = 'planner_format' ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _text(value: Any) -> str:
    """A database value as a file would hold it: '' for NULL; floats in their shortest exact
    form (Python's repr), so reading the text back gives the same number."""
    return "" if value is None else str(value)


def _read_text_table(
    conn: psycopg.Connection[Any], schema: str, table: str, columns: list[tuple[str, str]]
) -> TextTable:
    """A table's columns but source_row and geometries, as text, in source_row order."""
    names = [c for c, udt in columns if udt != "geometry" and c != ROW_COLUMN]
    query = sql.SQL("SELECT {cols} FROM {schema}.{table} ORDER BY {row}").format(
        row=sql.Identifier(ROW_COLUMN),
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in [ROW_COLUMN, *names]),
        schema=sql.Identifier(schema),
        table=sql.Identifier(table),
    )
    records = conn.execute(query).fetchall()
    headers = [normalise_header(c) for c in names]
    frame = pd.DataFrame(
        {h: [_text(r[i + 1]) for r in records] for i, h in enumerate(headers)}, dtype=object
    )
    return TextTable(frame, [int(r[0]) for r in records], names, "", "", "")


def _read_boundaries(
    conn: psycopg.Connection[Any], target: DatabaseUrl, columns: list[tuple[str, str]]
) -> tuple[gpd.GeoDataFrame, list[int]]:
    """District polygons (CRS from their SRID) with their names, and their source rows."""
    names = [c for c, _ in columns]
    text_columns = [c for c in ("district", "region") if c in names]
    query = sql.SQL(
        "SELECT {row}, ST_AsBinary({geom}), ST_SRID({geom}){cols} FROM {schema}.boundaries "
        "ORDER BY {row}"
    ).format(
        row=sql.Identifier(ROW_COLUMN),
        geom=sql.Identifier(GEOMETRY_COLUMN),
        cols=sql.SQL("").join(sql.SQL(", ") + sql.Identifier(c) for c in text_columns),
        schema=sql.Identifier(target.schema),
    )
    records = conn.execute(query).fetchall()
    srids = {int(r[2]) for r in records if r[2] is not None}
    if len(srids) > 1:
        raise DatabaseSourceError(
            [
                (
                    "boundaries",
                    f"table {target.schema}.boundaries mixes SRIDs {sorted(srids)}: store "
                    f"every polygon in one CRS (EPSG:{SRID}, or import again)",
                )
            ]
        )
    srid = next(iter(srids), SRID)
    geometry = shapely.from_wkb([None if r[1] is None else bytes(r[1]) for r in records])
    frame = {c: [_text(r[3 + i]) for r in records] for i, c in enumerate(text_columns)}
    raw = gpd.GeoDataFrame(frame, geometry=list(geometry), crs=f"EPSG:{srid}" if srid else None)
    return raw, [int(r[0]) for r in records]


def read_dataset(url: str) -> StoredDataset:
    """The dataset stored in the URL's schema; DatabaseSourceError (naming each missing table
    or column and how to write it) when it is not there."""
    target = parse_url(url)
    started = time.perf_counter()
    with _connect(target) as conn:
        try:
            conn.read_only = True
            # one snapshot: a concurrent import is seen whole or not at all
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction():
                stored = _read_schema(conn, target)
        except psycopg.Error as exc:
            raise _query_failed(target, "reading", exc) from None
    log.info(
        "database dataset read in %.2f s: %s",
        time.perf_counter() - started,
        ", ".join(f"{len(t.rows)} {name}" for name, t in stored.tables.items()),
    )
    return stored


def _read_schema(conn: psycopg.Connection[Any], target: DatabaseUrl) -> StoredDataset:
    schema = target.schema
    exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    if exists is None:
        known = _planner_schemas(conn)
        where = f" (schemas holding a dataset: {', '.join(known)})" if known else ""
        raise DatabaseSourceError(
            [
                (
                    "dataset",
                    f'schema "{schema}" does not exist in {target.label}{where}: write a '
                    f"dataset into it with `{_import_hint(target)}`",
                )
            ]
        )
    columns = _table_columns(conn, schema)
    problems = [
        (
            table,
            f"table {schema}.{table} is missing in {target.label}: write the dataset with "
            f"`{_import_hint(target)}`",
        )
        for table in TABLES
        if table not in columns
    ]
    required = {
        "dataset": ["planner_format", "name", "settings_toml"],
        "boundaries": [ROW_COLUMN, "district", GEOMETRY_COLUMN],
        "hotspots": [ROW_COLUMN],
        "sites": [ROW_COLUMN],
        "enrolment": [ROW_COLUMN],
    }
    for table, names in required.items():
        have = {c for c, _ in columns.get(table, [])}
        problems += [
            (
                table,
                f'table {schema}.{table} has no column "{c}": write the dataset again with '
                f"`{_import_hint(target)}`",
            )
            for c in names
            if table in columns and c not in have
        ]
    if problems:
        raise DatabaseSourceError(problems)

    meta = conn.execute(
        sql.SQL("SELECT planner_format, name, settings_toml FROM {}.dataset").format(
            sql.Identifier(schema)
        )
    ).fetchall()
    if len(meta) != 1:
        raise DatabaseSourceError(
            [
                (
                    "dataset",
                    f"table {schema}.dataset holds {len(meta)} rows, not one: write the dataset "
                    f"again with `{_import_hint(target)}`",
                )
            ]
        )
    version, name, settings = meta[0]
    if version is None or int(version) > FORMAT_VERSION:
        raise DatabaseSourceError(
            [
                (
                    "dataset",
                    f"schema {schema} was written in table format {version}; this planner "
                    f"reads format {FORMAT_VERSION}: update the planner or import again",
                )
            ]
        )
    boundaries, boundary_rows = _read_boundaries(conn, target, columns["boundaries"])
    tables = {t: _read_text_table(conn, schema, t, columns[t]) for t in TABLES[2:]}
    return StoredDataset(
        name=_text(name),
        settings_text=_text(settings),
        boundaries=boundaries,
        boundary_rows=boundary_rows,
        tables=tables,
        label=target.label,
        schema=schema,
    )


def content_id(url: str) -> str:
    """A short stable id of the dataset in the URL's schema: sha256 of the URL without its
    password and of a checksum of every table's content (changes when the data changes)."""
    target = parse_url(url)
    parts = [
        sql.SQL(
            "(SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {}.{} t)"
        ).format(sql.Identifier(target.schema), sql.Identifier(table))
        for table in TABLES
    ]
    query = sql.SQL("SELECT md5(concat_ws('|', {}))").format(sql.SQL(", ").join(parts))
    with _connect(target) as conn:
        try:
            row = conn.execute(query).fetchone()
        except psycopg.errors.UndefinedTable:
            raise DatabaseSourceError(
                [
                    (
                        "dataset",
                        f"{target.label} holds no complete dataset: write one with "
                        f"`{_import_hint(target)}`",
                    )
                ]
            ) from None
        except psycopg.Error as exc:
            raise _query_failed(target, "reading", exc) from None
    checksum = str(row[0]) if row else ""
    return hashlib.sha256(f"{target.identity}|{checksum}".encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- writing
def _postgis_schema(conn: psycopg.Connection[Any], target: DatabaseUrl) -> str:
    """The schema PostGIS is installed in (installed now when missing and allowed)."""
    row = conn.execute(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'postgis'"
    ).fetchone()
    if row is None:
        try:
            with conn.transaction():  # a savepoint: a refusal leaves the import's transaction
                conn.execute("CREATE EXTENSION postgis")
        except psycopg.Error:
            raise DatabaseSourceError(
                [
                    (
                        "dataset",
                        f"PostGIS is not installed in {target.label} and this user may not "
                        "install it: ask the database administrator to run CREATE EXTENSION "
                        "postgis in that database",
                    )
                ]
            ) from None
        return _postgis_schema(conn, target)
    return str(row[0]).strip('"')


def _refuse_foreign_tables(conn: psycopg.Connection[Any], target: DatabaseUrl) -> None:
    """Refuse to replace tables of the schema that an import did not write."""
    columns = _table_columns(conn, target.schema)
    ours = any(c == "planner_format" for c, _ in columns.get("dataset", []))
    if columns and not ours:
        raise DatabaseSourceError(
            [
                (
                    "dataset",
                    f"schema {target.schema} of {target.label} already holds table(s) "
                    f"{', '.join(sorted(columns))} that cli.py import did not write: import "
                    "into another schema (?schema=NAME) or drop those tables yourself",
                )
            ]
        )


def _create_table(
    conn: psycopg.Connection[Any], schema: str, table: str, postgis: str
) -> list[str]:
    """Create one dataset table; returns the columns COPY writes (generated ones left out)."""
    ident = sql.Identifier
    geometry_type = sql.SQL("{}.geometry({}, {})").format(
        ident(postgis), sql.SQL(GEOMETRY_TYPES.get(table, "Point")), sql.Literal(SRID)
    )
    generated = {
        "latitude": sql.SQL("double precision GENERATED ALWAYS AS ({}.ST_Y({})) STORED").format(
            ident(postgis), ident(GEOMETRY_COLUMN)
        ),
        "longitude": sql.SQL("double precision GENERATED ALWAYS AS ({}.ST_X({})) STORED").format(
            ident(postgis), ident(GEOMETRY_COLUMN)
        ),
    }
    definitions: list[sql.Composable]
    if table == "dataset":
        definitions = [
            sql.SQL("planner_format integer NOT NULL"),
            sql.SQL("name text NOT NULL"),
            sql.SQL("settings_toml text NOT NULL"),
            sql.SQL("imported_at timestamptz NOT NULL DEFAULT now()"),
            sql.SQL("imported_from text NOT NULL"),
        ]
        written = ["planner_format", "name", "settings_toml", "imported_from"]
    else:
        types = COLUMN_TYPES[table]
        definitions = [sql.SQL("{} integer PRIMARY KEY").format(ident(ROW_COLUMN))]
        written = [ROW_COLUMN]
        for column, kind in types.items():
            if kind == _FROM_GEOM:
                definitions.append(sql.SQL("{} {}").format(ident(column), generated[column]))
            else:
                definitions.append(sql.SQL("{} {}").format(ident(column), sql.SQL(kind)))
                written.append(column)
        if table in GEOMETRY_TYPES:
            definitions.append(sql.SQL("{} {}").format(ident(GEOMETRY_COLUMN), geometry_type))
            written.append(GEOMETRY_COLUMN)
    target = sql.SQL("{}.{}").format(ident(schema), ident(table))
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(definitions)))
    conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(target, sql.Literal(COMMENTS[table])))
    if table in GEOMETRY_TYPES:
        conn.execute(
            sql.SQL("CREATE INDEX ON {} USING gist ({})").format(target, ident(GEOMETRY_COLUMN))
        )
    return written


def _cell(value: Any) -> Any:
    """A frame value as COPY takes it: None for NaN/NA, Python scalars for numpy ones."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _rows_of(
    frame: pd.DataFrame, columns: list[str], source_rows: list[int]
) -> list[tuple[Any, ...]]:
    """The rows COPY writes: source_row, the columns, then hex EWKB of the geometry."""
    data = [
        # a date column takes NULL, not '', for "no date"
        [v or None for v in frame[c].tolist()] if c in DATE_COLUMNS else frame[c].tolist()
        for c in columns
        if c not in (ROW_COLUMN, GEOMETRY_COLUMN)
    ]
    geoms: list[Any] = []
    if GEOMETRY_COLUMN in columns:
        geoms = list(
            shapely.to_wkb(
                shapely.set_srid(np.asarray(frame.geometry.values, dtype=object), SRID),
                hex=True,
                include_srid=True,
            )
        )
    rows = []
    for i, source_row in enumerate(source_rows):
        cells = [source_row, *(_cell(col[i]) for col in data)]
        if geoms:
            cells.append(geoms[i])
        rows.append(tuple(cells))
    return rows


def write_dataset(
    url: str,
    dataset: Dataset,
    source_rows: dict[str, list[int]],
    *,
    settings_text: str,
    imported_from: str,
) -> dict[str, int]:
    """Write ``dataset`` (validated, no rejected rows) into the URL's schema in one transaction,
    replacing an earlier import there; returns the rows written per table.

    ``source_rows`` gives the file row of each row of each frame (ValidationReport.accepted_rows);
    ``settings_text`` is the dataset.toml text; ``imported_from`` a note of where it came from.
    """
    target = parse_url(url)
    frames: dict[str, pd.DataFrame] = {
        "boundaries": dataset.boundaries,
        "hotspots": dataset.hotspots,
        "sites": dataset.sites,
        "enrolment": dataset.enrolment,
    }
    for table, frame in frames.items():
        if len(source_rows.get(table, [])) != len(frame):
            raise ValueError(
                f"{table}: {len(source_rows.get(table, []))} source rows for {len(frame)} rows; "
                "write only a dataset loaded without rejected rows"
            )
    started = time.perf_counter()
    counts: dict[str, int] = {}
    ident = sql.Identifier
    with _connect(target) as conn:
        try:
            with conn.transaction():
                # one import per schema at a time; released at commit or rollback
                conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"kp-import:{target.schema}",)
                )
                postgis = _postgis_schema(conn, target)
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident(target.schema)))
                _refuse_foreign_tables(conn, target)
                conn.execute(
                    sql.SQL("DROP TABLE IF EXISTS {}").format(
                        sql.SQL(", ").join(
                            sql.SQL("{}.{}").format(ident(target.schema), ident(t)) for t in TABLES
                        )
                    )
                )
                for table in TABLES:
                    columns = _create_table(conn, target.schema, table, postgis)
                    if table == "dataset":
                        rows: list[tuple[Any, ...]] = [
                            (FORMAT_VERSION, dataset.name, settings_text, imported_from)
                        ]
                    else:
                        rows = _rows_of(frames[table], columns, source_rows[table])
                    copy = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
                        ident(target.schema),
                        ident(table),
                        sql.SQL(", ").join(ident(c) for c in columns),
                    )
                    with conn.cursor() as cur, cur.copy(copy) as writer:
                        for row in rows:
                            writer.write_row(row)
                    counts[table] = len(rows)
        except psycopg.Error as exc:
            raise _query_failed(target, "writing to", exc) from None
    log.info(
        "dataset written to the database in %.2f s: %s",
        time.perf_counter() - started,
        ", ".join(f"{n} {t}" for t, n in counts.items()),
    )
    return counts


__all__ = ["StoredDataset", "content_id", "read_dataset", "write_dataset"]
