"""The server state in one store: stored datasets and saved scenarios, shared by every worker.

The rows live in a SQLite file ``<state_dir>/state.db`` (WAL, foreign keys on, busy timeout)
or, when ``database_url`` is set, in PostgreSQL (psycopg 3); the schema is managed by Alembic
(migrations/) and upgraded when a store is opened. The files of a dataset live under
``<state_dir>/datasets/<id>/`` whichever database holds the rows; the id is the sha256 of the
dataset's file names and contents, so the same files always give the same id.

Durability: a dataset's files are written to a temporary folder in the same file system,
fsynced, renamed into place and only then is its row committed, so a crash never lists a
half-written dataset; folders with no committed row (a crash's leftovers) are removed when a
store is opened. Every write is one transaction (SQLite: ``BEGIN IMMEDIATE``, so writers queue
instead of failing). Dataset folders are guarded by a file lock under ``<state_dir>/datasets``:
writers share it, deleting and sweeping take it alone, so a sweep never removes a folder whose
row is about to be committed.

Users, the audit log and failed logins (issue 13, migration 0002) are read and written by
services.accounts through ``read()``/``write()``.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import shutil
import sqlite3
import time
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError

from config import ROOT_DIR, Settings
from planning.scenario import Scenario
from services.context import current_settings
from services.locks import ForkSafeLock

log = logging.getLogger(__name__)

MIGRATIONS_DIR = ROOT_DIR / "migrations"
DATABASE_FILE = "state.db"
DATASETS_FOLDER = "datasets"
_LOCK_FILE = ".lock"
_TMP_PREFIX = ".tmp-"
_SQLITE_BUSY_SECONDS = 30.0
# pg_advisory_xact_lock key that serialises schema upgrades ("kp-state" as a number).
_PG_UPGRADE_LOCK = 0x6B702D7374617465
_WRITE = "kp_state_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)
_CHUNK = 1024 * 1024
MAX_NAME_CHARS = 100

Backend = Literal["sqlite", "postgresql"]

# --- schema (the tables as migrations/versions create them; Alembic's target metadata) -------
METADATA = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
DATASETS = sa.Table(
    "datasets",
    METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(MAX_NAME_CHARS), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(MAX_NAME_CHARS), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("file_count", sa.Integer, nullable=False),
    sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
)
sa.Index(
    "uq_datasets_live_name",
    DATASETS.c.name,
    unique=True,
    sqlite_where=DATASETS.c.deleted_at.is_(None),
    postgresql_where=DATASETS.c.deleted_at.is_(None),
)
SCENARIOS = sa.Table(
    "scenarios",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(MAX_NAME_CHARS), nullable=False, unique=True),
    sa.Column(
        "dataset_id",
        sa.String(64),
        sa.ForeignKey("datasets.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("saved_by", sa.String(MAX_NAME_CHARS), nullable=False),
    sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Users, the audit log and failed logins (issue 13; services.accounts reads and writes them).
USERS = sa.Table(
    "users",
    METADATA,
    sa.Column("name", sa.String(MAX_NAME_CHARS), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("districts", sa.Text, nullable=False),  # JSON list; [] = every district
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("session_epoch", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
AUDIT = sa.Table(
    "audit_log",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user_name", sa.String(MAX_NAME_CHARS), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("action", sa.String(200), nullable=False),
    sa.Column("districts", sa.Text, nullable=False),  # JSON list of the districts it covered
    sa.Column("dataset_id", sa.String(64), nullable=True),
    sa.Column("address", sa.String(64), nullable=True),
)
LOGIN_FAILURES = sa.Table(
    "login_failures",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("user_name", sa.String(MAX_NAME_CHARS), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
)


# --- errors and records ------------------------------------------------------------------------
class StateError(ValueError):
    """The store cannot do what was asked; the message names what is wrong and the fix."""


class NotStoredError(StateError, LookupError):
    """No stored dataset or saved scenario has that id or name (or it was deleted)."""


class NameTakenError(StateError):
    """Another live dataset already has the name asked for."""


@dataclass(frozen=True)
class DatasetRecord:
    """A stored dataset: id (sha256 of its files), human-chosen name, who stored it and when."""

    id: str
    name: str
    created_at: datetime
    created_by: str
    size_bytes: int
    file_count: int
    deleted_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        """True once the dataset was deleted (its files are gone; its row is kept)."""
        return self.deleted_at is not None


@dataclass(frozen=True)
class ScenarioRecord:
    """A saved scenario: its name, the Scenarios page's URL query, dataset and who saved it.

    ``query`` is the query string without "?" (e.g. "people_per_pe=50&target=0.8"; "" for the
    defaults); ``dataset_id`` None means the app's default dataset. ``saved_at`` is when the
    name was first saved, ``updated_at`` and ``saved_by`` when and by whom it was saved last.
    """

    name: str
    query: str
    dataset_id: str | None
    dataset_name: str | None
    saved_by: str
    saved_at: datetime
    updated_at: datetime

    @property
    def parameters(self) -> dict[str, str]:
        """The scenario's non-default parameters as the page's query dict."""
        return dict(parse_qsl(self.query, keep_blank_values=True))

    @property
    def search(self) -> str:
        """The URL search of the Scenarios page ("?people_per_pe=50", "" for the defaults)."""
        return "?" + self.query if self.query else ""

    def scenario(self) -> Scenario:
        """The saved Scenario (checked)."""
        return Scenario.from_query(self.parameters, strict=True)


# --- names, files and content ids -----------------------------------------------------------
Files = Mapping[str, bytes | Path] | Path | str


def _check_label(value: str | None, what: str, example: str) -> str:
    """A name or user name stripped and checked: 1..MAX_NAME_CHARS printable characters."""
    text = (value or "").strip()
    if not text:
        raise StateError(f"{what} is empty; give one, e.g. {example!r}")
    if len(text) > MAX_NAME_CHARS:
        raise StateError(
            f"{what} {text[:30]!r}... has {len(text)} characters; give at most {MAX_NAME_CHARS}"
        )
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise StateError(f"{what} {text!r} holds control characters; use printable text")
    return text


def _check_file_name(name: str) -> str:
    if (
        not name
        or name in (".", "..")
        or name.startswith(".")
        or any(c in name for c in "/\\\0")
        or len(name.encode("utf-8")) > 255
    ):
        raise StateError(
            f"dataset file name {name!r} is not a plain file name; give base names such as "
            "hotspots.csv (no folders, not starting with a dot)"
        )
    return name


def _collect(files: Files) -> list[tuple[str, bytes | Path]]:
    """The (name, content or path) of each file, sorted by name; a folder gives its files."""
    if isinstance(files, str | Path):
        folder = Path(files)
        if not folder.is_dir():
            raise StateError(
                f"dataset folder {str(folder)!r} does not exist or is not a folder; "
                "give the folder that holds the dataset's files"
            )
        entries: list[tuple[str, bytes | Path]] = []
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                entries.append((path.name, path))
            else:
                log.info("store_dataset skips %s (not a plain file)", path.name)
    else:
        entries = list(files.items())
    if not entries:
        raise StateError("a dataset needs at least one file; give the dataset's files")
    for name, content in entries:
        _check_file_name(name)
        if not isinstance(content, bytes | Path):
            raise StateError(f"dataset file {name!r} is a {type(content).__name__}; give bytes")
    return sorted(entries, key=lambda item: item[0])


def _chunks(content: bytes | Path) -> Iterator[bytes]:
    if isinstance(content, bytes):
        yield content
        return
    with content.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def _size(content: bytes | Path) -> int:
    return len(content) if isinstance(content, bytes) else content.stat().st_size


def _digest_add(digest: Any, name: str, size: int) -> None:
    # Name and size before each file's bytes: no two different sets of files hash alike.
    digest.update(f"{name}\0{size}\0".encode())


def _content_id(entries: list[tuple[str, bytes | Path]]) -> str:
    digest = hashlib.sha256()
    for name, content in entries:
        _digest_add(digest, name, _size(content))
        for chunk in _chunks(content):
            digest.update(chunk)
    return digest.hexdigest()


def dataset_content_id(files: Files) -> str:
    """The id a dataset of these files gets: sha256 (64 hex digits) of names, sizes and bytes."""
    return _content_id(_collect(files))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_folder(folder: Path, entries: list[tuple[str, bytes | Path]]) -> str:
    """Write ``entries`` into the new ``folder`` (owner-only, every file and the folder
    fsynced); the content id of the bytes written."""
    folder.mkdir(mode=0o700)
    digest = hashlib.sha256()
    for name, content in entries:
        expected = _size(content)
        _digest_add(digest, name, expected)
        written = 0
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(content):
                out.write(chunk)
                digest.update(chunk)
                written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if written != expected:
            digest.update(b"\0changed")  # the file grew or shrank while it was copied
    _fsync_dir(folder)
    return digest.hexdigest()


# --- URLs and engines ---------------------------------------------------------------------------
def store_url(state_dir: Path, database_url: str | None) -> URL:
    """The SQLAlchemy URL of the store: SQLite under ``state_dir``, else ``database_url``.

    ``postgresql://`` and ``postgres://`` URLs get the psycopg 3 driver; ``?schema=NAME`` keeps
    the tables in that schema (created when missing).
    """
    if not database_url:
        return URL.create("sqlite+pysqlite", database=str(Path(state_dir) / DATABASE_FILE))
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise StateError(
            "DATABASE_URL is not a database URL; give postgresql://USER@HOST:PORT/DB "
            "(or unset it to keep the state in SQLite under KP_STATE_DIR)"
        ) from None
    driver = url.drivername
    if driver in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if driver in ("sqlite", "sqlite+pysqlite") and url.database not in (None, "", ":memory:"):
        return url.set(drivername="sqlite+pysqlite")
    raise StateError(
        f"DATABASE_URL uses {driver!r}; give postgresql://USER@HOST:PORT/DB "
        "(psycopg 3 is the driver installed) or sqlite:////path/to/state.db"
    )


def _sqlite_wal(cursor: Any) -> None:
    """Put the database in WAL mode (once: the mode is kept in the file).

    Switching fails at once with "database is locked" while another process switches or
    writes, whatever the busy timeout, so it is retried until the busy timeout has passed.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_SECONDS
    while True:
        if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
            return
        try:
            mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
            continue
        if str(mode).lower() != "wal":  # e.g. a file system without shared memory
            log.warning("SQLite state database is in journal mode %s, not WAL", mode)
        return


def _create_engine(url: URL) -> tuple[Engine, Backend, str | None]:
    """An engine for ``url`` with the store's connection settings (see the module docstring)."""
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": _SQLITE_BUSY_SECONDS})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # SQLAlchemy emits BEGIN itself (below), so sqlite3 must not (the documented recipe).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(_SQLITE_BUSY_SECONDS * 1000)}")
            _sqlite_wal(cursor)
            # FULL: a committed transaction survives a power cut too, not only a crash.
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # A writer takes the write lock at BEGIN and so waits (busy timeout) instead of
            # failing when another writer commits between its read and its write.
            write = bool(conn.get_execution_options().get(_WRITE))
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine, "sqlite", None
    raw = url.query.get("schema")
    schema = raw if isinstance(raw, str) or raw is None else raw[0]
    connect_args: dict[str, Any] = {"connect_timeout": 10}
    if schema is not None:
        if not schema.replace("_", "").isalnum() or not schema.isascii():
            raise StateError(
                f"DATABASE_URL ?schema={schema!r} is not a plain name; "
                "use ASCII letters, digits and _"
            )
        connect_args["options"] = f"-c search_path={schema}"
        url = url.difference_update_query(["schema"])
    engine = sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    return engine, "postgresql", schema


def engine_for(state_dir: str | Path, database_url: str | None = None) -> Engine:
    """A bare engine on the store's database (the `alembic` command; the app uses open)."""
    url = store_url(Path(state_dir), database_url)
    if url.get_backend_name() == "sqlite":
        Path(state_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
    return _create_engine(url)[0]


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _current_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at (None before the first migration)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _utc(value: datetime | None) -> datetime | None:
    """A datetime read back from the database as an aware UTC datetime (SQLite drops zones)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


# --- the store ---------------------------------------------------------------------------------
class StateStore:
    """Stored datasets and saved scenarios of one server (thread-safe; one per process).

    Open it with ``open_store(settings)`` (or ``StateStore.open``): that creates the folders,
    upgrades the schema and removes the leftovers of crashed writes.
    """

    def __init__(
        self, state_dir: Path, engine: Engine, backend: Backend, schema: str | None = None
    ) -> None:
        self.state_dir = state_dir
        self.datasets_dir = state_dir / DATASETS_FOLDER
        self.backend: Backend = backend
        self._engine = engine
        self._schema = schema

    @classmethod
    def open(cls, state_dir: str | Path, database_url: str | None = None) -> StateStore:
        """The store under ``state_dir`` (rows in ``database_url`` when given), schema upgraded."""
        root = Path(state_dir)
        url = store_url(root, database_url)
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            (root / DATASETS_FOLDER).mkdir(mode=0o700, exist_ok=True)
        except OSError as error:
            raise StateError(
                f"cannot create the state folder {str(root)!r}: {error.strerror or error}; "
                "set KP_STATE_DIR (or --state-dir) to a writable folder"
            ) from None
        engine, backend, schema = _create_engine(url)
        store = cls(root, engine, backend, schema)
        started = time.perf_counter()
        try:
            store._upgrade()
        except OperationalError as error:
            engine.dispose()
            raise StateError(
                f"cannot open the state database {url.render_as_string(hide_password=True)}: "
                f"{str(error.orig).strip().splitlines()[0] if error.orig else error}; "
                "check DATABASE_URL (or KP_STATE_DIR) and that the database server is running"
            ) from None
        store.sweep()
        log.info(
            "state store opened (%s) in %.0f ms", backend, 1000 * (time.perf_counter() - started)
        )
        return store

    def close(self) -> None:
        """Close the store's database connections."""
        self._engine.dispose()

    @property
    def url(self) -> str:
        """The database URL, password hidden (for logs and /healthz)."""
        return self._engine.url.render_as_string(hide_password=True)

    # --- transactions and locks -------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read transaction (for services.accounts)."""
        with self._read() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (for services.accounts); see _write."""
        with self._write() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (SQLite: BEGIN IMMEDIATE), committed when the block ends."""
        try:
            with self._engine.connect() as conn:
                conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    yield conn
        except OperationalError as error:
            if self.backend == "sqlite" and "locked" in str(error.orig):
                raise StateError(
                    f"the state database stayed locked for {_SQLITE_BUSY_SECONDS:g} s "
                    "(another process is writing); try again, or use PostgreSQL "
                    "(DATABASE_URL) for many concurrent writers"
                ) from None
            raise

    @contextmanager
    def _files_lock(self, *, exclusive: bool, wait: bool = True) -> Iterator[bool]:
        """The dataset folders' lock (shared: writers; exclusive: delete and sweep).

        Yields False when ``wait`` is False and another process holds it.
        """
        path = self.datasets_dir / _LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            flags = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
            try:
                fcntl.flock(fd, flags if wait else flags | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing the descriptor releases the lock (so does a crash)

    def _upgrade(self) -> None:
        """Upgrade the schema to the newest migration; safe when several workers open at once."""
        cfg = _alembic_config()
        script = ScriptDirectory.from_config(cfg)
        head = script.get_current_head()
        with self._engine.connect() as conn:
            current = _current_revision(conn)
        if current == head:
            return
        if current is not None and current not in {s.revision for s in script.walk_revisions()}:
            raise StateError(
                f"the state database is at schema revision {current}, which this version of "
                f"the app does not know (newest: {head}); run the newer version of the app, "
                "or point DATABASE_URL / KP_STATE_DIR at another store"
            )
        started = time.perf_counter()
        with self._engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if self.backend == "postgresql":
                    # One upgrader at a time; the others wait, then find the schema current.
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_UPGRADE_LOCK)))
                    if self._schema is not None:  # a plain name (checked in _create_engine)
                        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self._schema}"')
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        log.info(
            "state schema upgraded from %s to %s in %.0f ms",
            current,
            head,
            1000 * (time.perf_counter() - started),
        )

    def schema_revision(self) -> str | None:
        """The schema revision of the database (the newest migration after ``open``)."""
        with self._engine.connect() as conn:
            return _current_revision(conn)

    def status(self) -> dict[str, Any]:
        """What /healthz reports: backend, schema revision, live datasets and saved scenarios."""
        with self._read() as conn:
            datasets = conn.execute(
                sa.select(sa.func.count()).where(DATASETS.c.deleted_at.is_(None))
            ).scalar_one()
            scenarios = conn.execute(sa.select(sa.func.count()).select_from(SCENARIOS)).scalar_one()
        return {
            "backend": self.backend,
            "schema_revision": self.schema_revision(),
            "datasets": int(datasets),
            "scenarios": int(scenarios),
        }

    # --- datasets ---------------------------------------------------------------------------
    def sweep(self) -> list[str]:
        """Remove dataset folders with no live row (crash leftovers); the names removed.

        Skipped (returns []) while another process stores or deletes a dataset.
        """
        with self._files_lock(exclusive=True, wait=False) as locked:
            if not locked:
                log.info("state sweep skipped: a dataset is being stored or deleted")
                return []
            with self._read() as conn:
                live = set(
                    conn.execute(
                        sa.select(DATASETS.c.id).where(DATASETS.c.deleted_at.is_(None))
                    ).scalars()
                )
            removed = []
            for entry in sorted(self.datasets_dir.iterdir()):
                if entry.name == _LOCK_FILE or entry.name in live:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                    removed.append(entry.name)
                else:
                    log.warning("state sweep leaves %s (not a dataset folder)", entry.name)
            missing = sorted(i for i in live if not (self.datasets_dir / i).is_dir())
        if removed:
            log.info("state sweep removed %d folder(s) without a committed dataset", len(removed))
        if missing:
            log.warning("%d stored dataset(s) have no folder (store them again)", len(missing))
        return removed

    @staticmethod
    def _dataset(row: Any) -> DatasetRecord:
        created = _utc(row.created_at)
        assert created is not None
        return DatasetRecord(
            id=row.id,
            name=row.name,
            created_at=created,
            created_by=row.created_by,
            size_bytes=int(row.size_bytes),
            file_count=int(row.file_count),
            deleted_at=_utc(row.deleted_at),
        )

    def _dataset_row(self, conn: Connection, dataset_id: str) -> DatasetRecord | None:
        row = conn.execute(sa.select(DATASETS).where(DATASETS.c.id == dataset_id)).first()
        return None if row is None else self._dataset(row)

    def _name_holder(self, conn: Connection, name: str, other_than: str) -> DatasetRecord | None:
        row = conn.execute(
            sa.select(DATASETS).where(
                DATASETS.c.name == name,
                DATASETS.c.deleted_at.is_(None),
                DATASETS.c.id != other_than,
            )
        ).first()
        return None if row is None else self._dataset(row)

    @staticmethod
    def _name_taken(name: str, holder: DatasetRecord) -> NameTakenError:
        return NameTakenError(
            f"dataset name {name!r} is taken by dataset {holder.id[:12]} stored by "
            f"{holder.created_by} on {holder.created_at:%Y-%m-%d %H:%M} UTC; "
            "choose another name, or delete or rename that dataset"
        )

    def store_dataset(self, files: Files, name: str, created_by: str) -> DatasetRecord:
        """Store a dataset's files (a {file name: bytes or path} mapping, or a folder's files).

        Files are written and fsynced under a temporary name, renamed into
        ``datasets/<id>/``, and only then is the row committed. The same files give the same
        id: a live dataset with these files is returned as it is (under its existing name); a
        deleted one is restored under ``name``. Raises NameTakenError when another live
        dataset has ``name``.
        """
        entries = _collect(files)
        name = _check_label(name, "dataset name", "Malawi mapping 2025")
        created_by = _check_label(created_by, "created_by (who stores the dataset)", "amina")
        dataset_id = _content_id(entries)
        size = sum(_size(content) for _, content in entries)
        final = self.datasets_dir / dataset_id
        started = time.perf_counter()
        with self._files_lock(exclusive=False):
            with self._read() as conn:
                existing = self._dataset_row(conn, dataset_id)
                holder = self._name_holder(conn, name, dataset_id)
            if existing is not None and not existing.deleted and final.is_dir():
                log.info("dataset %s already stored", dataset_id[:12])
                return existing
            if holder is not None and (existing is None or existing.deleted):
                raise self._name_taken(name, holder)
            if not final.is_dir():
                self._write_files(final, entries, dataset_id)
            record = self._commit_dataset(dataset_id, name, created_by, size, len(entries))
        log.info(
            "dataset %s stored (%d files, %d bytes) in %.0f ms",
            dataset_id[:12],
            len(entries),
            size,
            1000 * (time.perf_counter() - started),
        )
        return record

    def _write_files(
        self, final: Path, entries: list[tuple[str, bytes | Path]], dataset_id: str
    ) -> None:
        tmp = self.datasets_dir / f"{_TMP_PREFIX}{uuid.uuid4().hex}"
        try:
            written_id = _write_folder(tmp, entries)
            if written_id != dataset_id:
                raise StateError(
                    "the dataset's files changed while they were being stored; store them again"
                )
            try:
                os.rename(tmp, final)
            except OSError as error:
                if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                # Another writer stored the same files first: theirs are identical.
                shutil.rmtree(tmp)
            _fsync_dir(self.datasets_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _commit_dataset(
        self, dataset_id: str, name: str, created_by: str, size: int, file_count: int
    ) -> DatasetRecord:
        values = {
            "name": name,
            "created_at": _now(),
            "created_by": created_by,
            "size_bytes": size,
            "file_count": file_count,
            "deleted_at": None,
        }
        try:
            with self._write() as conn:
                existing = self._dataset_row(conn, dataset_id)
                if existing is not None and not existing.deleted:
                    return existing  # a concurrent writer committed the same files
                holder = self._name_holder(conn, name, dataset_id)
                if holder is not None:
                    raise self._name_taken(name, holder)
                if existing is None:
                    conn.execute(sa.insert(DATASETS).values(id=dataset_id, **values))
                else:
                    conn.execute(
                        sa.update(DATASETS).where(DATASETS.c.id == dataset_id).values(**values)
                    )
                record = self._dataset_row(conn, dataset_id)
        except IntegrityError:
            # PostgreSQL: another writer committed these files or this name meanwhile.
            with self._read() as conn:
                record = self._dataset_row(conn, dataset_id)
                holder = self._name_holder(conn, name, dataset_id)
            if record is not None and not record.deleted:
                return record
            if holder is not None:
                raise self._name_taken(name, holder) from None
            raise
        assert record is not None
        return record

    def get_dataset(self, dataset_id: str) -> DatasetRecord:
        """The live dataset ``dataset_id``; NotStoredError when unknown or deleted."""
        with self._read() as conn:
            record = self._dataset_row(conn, str(dataset_id))
        if record is None or record.deleted:
            state = "was deleted" if record is not None else "is not stored"
            raise NotStoredError(
                f"dataset {str(dataset_id)[:64]!r} {state}; choose a dataset the Data page "
                "lists, or store the files again"
            )
        return record

    def find_dataset(self, name_or_id: str) -> DatasetRecord:
        """The live dataset whose name or id (or an id prefix of 8+ digits) is ``name_or_id``."""
        key = name_or_id.strip()
        matches = [DATASETS.c.name == key, DATASETS.c.id == key]
        if len(key) >= 8:
            matches.append(DATASETS.c.id.startswith(key, autoescape=True))
        with self._read() as conn:
            rows = conn.execute(
                sa.select(DATASETS).where(DATASETS.c.deleted_at.is_(None), sa.or_(*matches))
            ).all()
        records = [self._dataset(r) for r in rows]
        exact = [r for r in records if key in (r.name, r.id)]
        if len(exact) == 1:
            return exact[0]
        if len(records) == 1:
            return records[0]
        if not records:
            raise NotStoredError(
                f"no stored dataset is named {key!r} or has that id; give a dataset folder, "
                "or a name or id the Data page lists"
            )
        raise StateError(f"{key!r} matches {len(records)} datasets; give more of the id")

    def list_datasets(self, *, include_deleted: bool = False) -> list[DatasetRecord]:
        """Stored datasets, newest first (deleted ones too when asked)."""
        query = sa.select(DATASETS).order_by(DATASETS.c.created_at.desc(), DATASETS.c.id)
        if not include_deleted:
            query = query.where(DATASETS.c.deleted_at.is_(None))
        with self._read() as conn:
            return [self._dataset(row) for row in conn.execute(query)]

    def get_dataset_folder(self, dataset_id: str) -> Path:
        """The folder holding the files of live dataset ``dataset_id`` (read it, never write)."""
        record = self.get_dataset(dataset_id)
        folder = self.datasets_dir / record.id
        if not folder.is_dir():
            raise NotStoredError(
                f"dataset {record.name!r} ({record.id[:12]}) has no files under "
                f"{self.datasets_dir}; store its files again"
            )
        return folder

    def rename_dataset(self, dataset_id: str, name: str) -> DatasetRecord:
        """Give live dataset ``dataset_id`` another name (NameTakenError when taken)."""
        name = _check_label(name, "dataset name", "Malawi mapping 2025")
        try:
            with self._write() as conn:
                record = self._dataset_row(conn, dataset_id)
                if record is None or record.deleted:
                    raise NotStoredError(
                        f"dataset {dataset_id[:64]!r} is not stored; "
                        "choose a dataset the Data page lists"
                    )
                holder = self._name_holder(conn, name, dataset_id)
                if holder is not None:
                    raise self._name_taken(name, holder)
                conn.execute(
                    sa.update(DATASETS).where(DATASETS.c.id == dataset_id).values(name=name)
                )
                renamed = self._dataset_row(conn, dataset_id)
        except IntegrityError:
            raise NameTakenError(
                f"dataset name {name!r} was just taken by another dataset; choose another name"
            ) from None
        assert renamed is not None
        return renamed

    def delete_dataset(self, dataset_id: str) -> DatasetRecord:
        """Mark live dataset ``dataset_id`` deleted and remove its files; the deleted record.

        Saved scenarios keep their reference (shown as deleted); storing the same files again
        restores the dataset under the same id.
        """
        with self._files_lock(exclusive=True):
            with self._write() as conn:
                record = self._dataset_row(conn, dataset_id)
                if record is None or record.deleted:
                    raise NotStoredError(
                        f"dataset {dataset_id[:64]!r} is not stored (or already deleted); "
                        "choose a dataset the Data page lists"
                    )
                conn.execute(
                    sa.update(DATASETS).where(DATASETS.c.id == dataset_id).values(deleted_at=_now())
                )
                deleted = self._dataset_row(conn, dataset_id)
            # After the commit: a crash in between leaves a folder that the next sweep removes.
            shutil.rmtree(self.datasets_dir / dataset_id, ignore_errors=True)
        assert deleted is not None
        log.info("dataset %s deleted", dataset_id[:12])
        return deleted

    def purge_expired(
        self, retention_days: int, *, now: datetime | None = None
    ) -> list[DatasetRecord]:
        """Delete (as ``delete_dataset``) live datasets stored more than ``retention_days`` ago."""
        if isinstance(retention_days, bool) or not isinstance(retention_days, int):
            raise StateError(f"retention_days {retention_days!r} is not a whole number of days")
        if retention_days < 1:
            raise StateError(
                f"retention_days {retention_days} is below 1; give at least 1 day "
                "(or do not purge to keep datasets until deleted)"
            )
        cutoff = (now or _now()) - timedelta(days=retention_days)
        with self._files_lock(exclusive=True):
            with self._write() as conn:
                rows = conn.execute(
                    sa.select(DATASETS).where(
                        DATASETS.c.deleted_at.is_(None), DATASETS.c.created_at < cutoff
                    )
                ).all()
                ids = [row.id for row in rows]
                if ids:
                    conn.execute(
                        sa.update(DATASETS)
                        .where(DATASETS.c.id.in_(ids))
                        .values(deleted_at=now or _now())
                    )
                purged = [
                    self._dataset(row)
                    for row in conn.execute(sa.select(DATASETS).where(DATASETS.c.id.in_(ids)))
                ]
            for dataset_id in ids:
                shutil.rmtree(self.datasets_dir / dataset_id, ignore_errors=True)
        if purged:
            log.info("%d dataset(s) older than %d days purged", len(purged), retention_days)
        return purged

    # --- scenarios --------------------------------------------------------------------------
    def _scenario_query(self) -> sa.Select[Any]:
        return sa.select(SCENARIOS, DATASETS.c.name.label("dataset_name")).select_from(
            SCENARIOS.outerjoin(DATASETS, SCENARIOS.c.dataset_id == DATASETS.c.id)
        )

    @staticmethod
    def _scenario(row: Any) -> ScenarioRecord:
        saved, updated = _utc(row.saved_at), _utc(row.updated_at)
        assert saved is not None and updated is not None
        return ScenarioRecord(
            name=row.name,
            query=row.query,
            dataset_id=row.dataset_id,
            dataset_name=row.dataset_name,
            saved_by=row.saved_by,
            saved_at=saved,
            updated_at=updated,
        )

    def save_scenario(
        self,
        name: str,
        query: Mapping[str, Any] | str,
        dataset_id: str | None,
        saved_by: str,
    ) -> ScenarioRecord:
        """Save (or overwrite) scenario ``name`` in one transaction; the saved record.

        ``query`` is the Scenarios page's query: a dict such as {"people_per_pe": "50"} or a
        query string ("?people_per_pe=50"). It is checked (planning.scenario.ScenarioError
        names a bad value) and kept in the page's form (non-default values in definition
        order), so the saved link opens the same scenario. ``dataset_id`` None means the
        app's default dataset; otherwise it must be a live stored dataset.
        """
        name = _check_label(name, "scenario name", "Lilongwe at 50 per PE")
        saved_by = _check_label(saved_by, "saved_by (who saves the scenario)", "amina")
        if isinstance(query, str):
            parsed: Mapping[str, Any] = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
        else:
            parsed = query
        canonical = urlencode(Scenario.from_query(parsed, strict=True).to_query())
        now = _now()
        with self._write() as conn:
            if dataset_id is not None:
                record = self._dataset_row(conn, dataset_id)
                if record is None or record.deleted:
                    raise NotStoredError(
                        f"dataset {dataset_id[:64]!r} is not stored (or was deleted); save the "
                        "scenario on a stored dataset or on the default one (None)"
                    )
            values = {
                "name": name,
                "dataset_id": dataset_id,
                "query": canonical,
                "saved_by": saved_by,
                "saved_at": now,
                "updated_at": now,
            }
            dialect_insert = postgresql.insert if self.backend == "postgresql" else sqlite.insert
            insert = dialect_insert(SCENARIOS).values(**values)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[SCENARIOS.c.name],
                    set_={
                        "dataset_id": insert.excluded.dataset_id,
                        "query": insert.excluded.query,
                        "saved_by": insert.excluded.saved_by,
                        "updated_at": insert.excluded.updated_at,
                    },
                )
            )
            row = conn.execute(self._scenario_query().where(SCENARIOS.c.name == name)).one()
        log.info("scenario saved (%d parameters)", len(parsed))
        return self._scenario(row)

    def list_scenarios(self) -> list[ScenarioRecord]:
        """Every saved scenario, by name."""
        with self._read() as conn:
            rows = conn.execute(self._scenario_query().order_by(SCENARIOS.c.name)).all()
        return [self._scenario(row) for row in rows]

    def get_scenario(self, name: str) -> ScenarioRecord:
        """Saved scenario ``name``; NotStoredError when there is none."""
        with self._read() as conn:
            row = conn.execute(
                self._scenario_query().where(SCENARIOS.c.name == name.strip())
            ).first()
        if row is None:
            raise NotStoredError(
                f"no saved scenario is named {name!r}; the Scenarios page and "
                "`cli.py scenarios list` list the saved ones"
            )
        return self._scenario(row)

    def delete_scenario(self, name: str) -> None:
        """Delete saved scenario ``name``; NotStoredError when there is none."""
        with self._write() as conn:
            deleted = conn.execute(
                sa.delete(SCENARIOS).where(SCENARIOS.c.name == name.strip())
            ).rowcount
        if not deleted:
            raise NotStoredError(
                f"no saved scenario is named {name!r}; the Scenarios page and "
                "`cli.py scenarios list` list the saved ones"
            )
        log.info("scenario deleted")


# --- opening from settings ---------------------------------------------------------------------
def open_store(settings: Settings) -> StateStore:
    """The store of ``settings`` (state_dir, database_url), opened and upgraded; datasets older
    than ``settings.retention_days`` are purged."""
    store = StateStore.open(settings.state_dir, settings.database_url)
    if settings.retention_days is not None:
        store.purge_expired(settings.retention_days)
    return store


_stores: dict[tuple[int, str, str | None], StateStore] = {}
_stores_lock = ForkSafeLock()


def store_for(settings: Settings) -> StateStore:
    """This process's store for ``settings``, opened on first use (one per worker process)."""
    key = (os.getpid(), str(Path(settings.state_dir).resolve()), settings.database_url)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = open_store(settings)
        return store


def current_store() -> StateStore:
    """The store of the running app's settings (services.context.current_settings())."""
    return store_for(current_settings())
