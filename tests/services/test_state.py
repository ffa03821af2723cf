"""The server state (services/state.py) on real files, real SQLite and a real PostgreSQL: round
trips, deduplication, deletion and retention, a writer killed between its files and its commit,
and several processes saving at once."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from config import Settings
from planning.parameters import PARAMETERS
from planning.scenario import Scenario, ScenarioError
from services.state import (
    DATASETS,
    METADATA,
    NameTakenError,
    NotStoredError,
    StateError,
    StateStore,
    dataset_content_id,
    open_store,
    store_url,
)
from tests.helpers import ROOT

FILES = {"hotspots.csv": b"hotspot_id,latitude\nHS-1,-13.9\n", "sites.csv": b"site_id\nS-1\n"}
OTHER = {"hotspots.csv": b"hotspot_id,latitude\nHS-2,-14.0\n"}
PG_DATABASE = "kp_state_services"


@pytest.fixture(scope="module")
def pg_database(postgres_url):
    """A database of this module on the session's PostgreSQL server; dropped afterwards."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    yield postgres_url.rsplit("/", 1)[0] + "/" + PG_DATABASE
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path) -> tuple[Path, str | None]:
    """(state_dir, database_url) of an empty store: SQLite in tmp_path, or a fresh schema of
    this module's PostgreSQL database (the files under tmp_path either way)."""
    if request.param == "sqlite":
        return tmp_path / "state", None
    schema = "t_" + uuid.uuid4().hex[:12]
    return tmp_path / "state", f"{request.getfixturevalue('pg_database')}?schema={schema}"


@pytest.fixture
def store(location):
    opened = StateStore.open(*location)
    yield opened
    opened.close()


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _leftovers(store: StateStore) -> list[str]:
    return sorted(p.name for p in store.datasets_dir.iterdir() if p.name != ".lock")


# --- datasets -----------------------------------------------------------------------------------
def test_dataset_round_trip_survives_reopening(location, store):
    record = store.store_dataset(FILES, "Malawi 2025", "amina")
    assert record.id == dataset_content_id(FILES) and len(record.id) == 64
    assert (record.name, record.created_by, record.file_count) == ("Malawi 2025", "amina", 2)
    assert record.size_bytes == sum(len(v) for v in FILES.values())
    assert record.created_at.tzinfo is not None and not record.deleted
    folder = store.get_dataset_folder(record.id)
    assert folder == store.datasets_dir / record.id
    assert _folder_files(folder) == FILES
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)  # hotspot files: owner only
    store.close()

    again = StateStore.open(*location)
    try:
        assert again.list_datasets() == [record]
        assert again.get_dataset(record.id) == record
        assert _folder_files(again.get_dataset_folder(record.id)) == FILES
        assert again.status() == {
            "backend": "sqlite" if location[1] is None else "postgresql",
            "schema_revision": "0002",
            "datasets": 1,
            "scenarios": 0,
        }
    finally:
        again.close()


def test_same_files_are_stored_once_whatever_the_name(tmp_path, store):
    first = store.store_dataset(FILES, "Upload one", "amina")
    folder = tmp_path / "same"
    folder.mkdir()
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    second = store.store_dataset(folder, "Upload two", "bob")  # a folder: the same content
    assert second == first  # the existing record, under its first name
    assert store.list_datasets() == [first]
    assert _leftovers(store) == [first.id]

    other = store.store_dataset(OTHER, "Other", "bob")
    assert other.id != first.id
    assert {r.name for r in store.list_datasets()} == {"Upload one", "Other"}


def test_content_id_separates_names_from_bytes():
    # One file holding what two files hold, joined, is another dataset.
    joined = {"a.csv": b"x\0" + b"b.csv\0" + b"y"}
    assert dataset_content_id({"a.csv": b"x", "b.csv": b"y"}) != dataset_content_id(joined)
    assert dataset_content_id({"a.csv": b"x"}) != dataset_content_id({"b.csv": b"x"})


def test_names_are_unique_among_live_datasets(store):
    first = store.store_dataset(FILES, "Malawi", "amina")
    with pytest.raises(NameTakenError, match=r"dataset name 'Malawi' is taken by dataset .* amina"):
        store.store_dataset(OTHER, "Malawi", "bob")
    assert _leftovers(store) == [first.id]  # refused before any file was written
    store.delete_dataset(first.id)
    assert store.store_dataset(OTHER, "Malawi", "bob").name == "Malawi"
    with pytest.raises(NameTakenError):
        store.rename_dataset(store.store_dataset(FILES, "Zomba", "c").id, "Malawi")


def test_delete_hides_and_removes_files_and_storing_again_restores(store):
    record = store.store_dataset(FILES, "Malawi", "amina")
    saved = store.save_scenario("On Malawi", {"people_per_pe": "50"}, record.id, "amina")
    deleted = store.delete_dataset(record.id)
    assert deleted.deleted and deleted.id == record.id
    assert store.list_datasets() == []
    assert [r.id for r in store.list_datasets(include_deleted=True)] == [record.id]
    assert not (store.datasets_dir / record.id).exists()
    with pytest.raises(NotStoredError, match="was deleted"):
        store.get_dataset_folder(record.id)
    with pytest.raises(NotStoredError, match="already deleted"):
        store.delete_dataset(record.id)
    # The scenario keeps naming its dataset.
    assert store.get_scenario("On Malawi").dataset_id == saved.dataset_id == record.id

    restored = store.store_dataset(FILES, "Malawi again", "bob")
    assert (restored.id, restored.name, restored.created_by) == (record.id, "Malawi again", "bob")
    assert not restored.deleted
    assert _folder_files(store.get_dataset_folder(record.id)) == FILES


def test_purge_expired_deletes_datasets_older_than_the_retention(store):
    record = store.store_dataset(FILES, "Old", "amina")
    assert store.purge_expired(30) == []
    later = record.created_at + timedelta(days=31)
    purged = store.purge_expired(30, now=later)
    assert [r.id for r in purged] == [record.id] and purged[0].deleted
    assert store.list_datasets() == [] and _leftovers(store) == []
    with pytest.raises(StateError, match="retention_days 0 is below 1"):
        store.purge_expired(0)


def test_find_dataset_by_name_id_or_prefix(store):
    record = store.store_dataset(FILES, "Malawi", "amina")
    assert store.find_dataset("Malawi") == record
    assert store.find_dataset(record.id) == record
    assert store.find_dataset(record.id[:10]) == record
    with pytest.raises(NotStoredError, match="no stored dataset is named 'Zambia'"):
        store.find_dataset("Zambia")


def test_bad_file_names_and_empty_datasets_are_refused(store):
    with pytest.raises(StateError, match=r"'\.\./hotspots\.csv' is not a plain file name"):
        store.store_dataset({"../hotspots.csv": b"x"}, "Bad", "amina")
    with pytest.raises(StateError, match="at least one file"):
        store.store_dataset({}, "Empty", "amina")
    with pytest.raises(StateError, match="dataset name is empty"):
        store.store_dataset(FILES, "  ", "amina")
    assert _leftovers(store) == []


def test_threads_storing_the_same_files_make_one_dataset(store):
    results, errors = [], []

    def worker() -> None:
        try:
            results.append(store.store_dataset(FILES, "Same", "amina"))
        except Exception as exc:  # collected and reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert len({r.id for r in results}) == 1 and len(results) == 4
    assert _leftovers(store) == [results[0].id]


# --- crashes ------------------------------------------------------------------------------------
CHILD = textwrap.dedent(
    """
    import sys
    from services.state import StateStore

    store = StateStore.open(sys.argv[1], sys.argv[2] or None)
    print("ready", flush=True)
    sys.stdin.readline()
    size = int(sys.argv[3])
    files = {"hotspots.csv": b"hotspot_id\\n" + b"H" * size, "sites.csv": b"site_id\\n"}
    store.store_dataset(files, "crashed", "child")
    print("stored", flush=True)
    """
)


def _start_child(state_dir: Path, url: str | None, size: int) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(state_dir), url or "", str(size)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def _kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL


def _wait_for(predicate, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class _WriteLock:
    """Hold the database's write lock on datasets from outside the store (a raw connection)."""

    def __init__(self, state_dir: Path, url: str | None) -> None:
        if url is None:
            self.conn = sqlite3.connect(state_dir / "state.db", isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            base, schema = url.split("?schema=")
            self.conn = psycopg.connect(base, options=f"-c search_path={schema}")
            self.conn.execute("LOCK TABLE datasets IN EXCLUSIVE MODE")

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


def test_a_writer_killed_between_its_files_and_its_commit_leaves_nothing_listed(location):
    state_dir, url = location
    StateStore.open(state_dir, url).close()  # schema in place before the lock is taken
    child = _start_child(state_dir, url, 1000)
    lock = _WriteLock(state_dir, url)
    try:
        child.stdin.write("go\n")
        child.stdin.flush()
        datasets = state_dir / "datasets"
        # The files are in place under the dataset's id; its row waits for the write lock.
        _wait_for(lambda: any(len(p.name) == 64 for p in datasets.iterdir()))
        _kill(child)
    finally:
        lock.release()
        if child.poll() is None:
            child.kill()
            child.wait()
    assert any(len(p.name) == 64 for p in (state_dir / "datasets").iterdir())

    store = StateStore.open(state_dir, url)  # the next start sweeps the leftover away
    try:
        assert store.list_datasets(include_deleted=True) == []
        assert _leftovers(store) == []
    finally:
        store.close()


def test_a_writer_killed_while_writing_leaves_nothing_listed(tmp_path):
    state_dir = tmp_path / "state"
    child = _start_child(state_dir, None, 64 * 1024 * 1024)
    child.stdin.write("go\n")
    child.stdin.flush()
    datasets = state_dir / "datasets"
    _wait_for(lambda: any(p.name != ".lock" for p in datasets.iterdir()))
    _kill(child)  # wherever it was: writing, renaming or committing
    store = StateStore.open(state_dir)
    try:
        listed = store.list_datasets()
        if listed:  # it got as far as its commit: then it is whole
            assert [r.name for r in listed] == ["crashed"]
            assert _leftovers(store) == [listed[0].id]
            assert store.get_dataset_folder(listed[0].id).joinpath("sites.csv").exists()
        else:
            assert _leftovers(store) == []
    finally:
        store.close()


def test_leftover_temporary_and_unlisted_folders_are_removed_on_open(tmp_path):
    state_dir = tmp_path / "state"
    store = StateStore.open(state_dir)
    kept = store.store_dataset(FILES, "Kept", "amina")
    store.close()
    half = state_dir / "datasets" / ".tmp-0123abcd"
    half.mkdir()
    (half / "hotspots.csv").write_bytes(b"half a fi")
    (state_dir / "datasets" / ("f" * 64)).mkdir()
    store = StateStore.open(state_dir)
    try:
        assert _leftovers(store) == [kept.id]
        assert store.list_datasets() == [kept]
    finally:
        store.close()


# --- scenarios ----------------------------------------------------------------------------------
def test_scenario_round_trip_in_the_pages_query_form(store):
    record = store.store_dataset(FILES, "Malawi", "amina")
    page_query = Scenario(people_per_pe=50, target=0.8).to_query()  # as the page stores it
    saved = store.save_scenario("At 50", page_query, record.id, "amina")
    assert saved.query == urlencode(page_query) == "people_per_pe=50&target=0.8"
    assert saved.search == "?people_per_pe=50&target=0.8"
    assert saved.parameters == page_query
    assert saved.scenario() == Scenario(people_per_pe=50, target=0.8)
    assert (saved.dataset_id, saved.dataset_name, saved.saved_by) == (record.id, "Malawi", "amina")
    assert store.get_scenario("At 50") == saved

    # A query string works too and is kept in the same form (defaults dropped).
    other = store.save_scenario("Defaults", "?people_per_pe=60&basis=peak", None, "bob")
    assert other.query == "" and other.search == "" and other.dataset_id is None
    assert [s.name for s in store.list_scenarios()] == ["At 50", "Defaults"]


def test_saving_a_name_again_overwrites_it(store):
    first = store.save_scenario("Plan", {"people_per_pe": "50"}, None, "amina")
    time.sleep(0.01)
    second = store.save_scenario("Plan", {"people_per_pe": "70"}, None, "bob")
    assert second.query == "people_per_pe=70" and second.saved_by == "bob"
    assert second.saved_at == first.saved_at and second.updated_at > first.updated_at
    assert store.list_scenarios() == [second]


def test_delete_scenario(store):
    store.save_scenario("Plan", {}, None, "amina")
    store.delete_scenario("Plan")
    assert store.list_scenarios() == []
    with pytest.raises(NotStoredError, match="no saved scenario is named 'Plan'"):
        store.delete_scenario("Plan")
    with pytest.raises(NotStoredError):
        store.get_scenario("Plan")


def test_bad_scenarios_are_refused_with_the_parameters_message(store):
    with pytest.raises(ScenarioError) as caught:
        store.save_scenario("Bad", {"people_per_pe": "500"}, None, "amina")
    assert str(caught.value) == PARAMETERS["people_per_pe"].refusal(500)
    with pytest.raises(ScenarioError, match="unknown scenario parameter"):
        store.save_scenario("Bad", {"people_per_p": "50"}, None, "amina")
    with pytest.raises(NotStoredError, match="is not stored"):
        store.save_scenario("Bad", {}, "0" * 64, "amina")
    assert store.list_scenarios() == []


def _save_many(state_dir: str, url: str | None, worker: int, count: int, barrier) -> None:
    """One process of the concurrency test: open the (maybe new) store, save ``count`` own
    scenarios and overwrite a shared one each time."""
    barrier.wait(60)
    store = StateStore.open(state_dir, url)
    try:
        for i in range(count):
            query = {"people_per_pe": str(50 + i)}
            store.save_scenario(f"w{worker}-{i}", query, None, f"w{worker}")
            store.save_scenario("shared", {"target": "0.9"}, None, f"w{worker}")
    finally:
        store.close()


def test_processes_saving_at_once_all_land(location):
    state_dir, url = location  # a new store: the processes also race to create the schema
    ctx = multiprocessing.get_context("spawn")
    workers, count = 3, 10
    barrier = ctx.Barrier(workers)
    procs = [
        ctx.Process(target=_save_many, args=(str(state_dir), url, w, count, barrier))
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0] * workers
    store = StateStore.open(state_dir, url)
    try:
        names = {s.name for s in store.list_scenarios()}
        assert names == {f"w{w}-{i}" for w in range(workers) for i in range(count)} | {"shared"}
        assert store.get_scenario("w2-9").query == "people_per_pe=59"
        assert store.schema_revision() == "0002"
    finally:
        store.close()


# --- opening -------------------------------------------------------------------------------------
def test_urls_get_the_psycopg_driver_and_bad_ones_are_explained(tmp_path):
    assert store_url(tmp_path, None).render_as_string() == f"sqlite+pysqlite:///{tmp_path}/state.db"
    pg = store_url(tmp_path, "postgresql://kp:secret@db:5432/state")
    assert pg.drivername == "postgresql+psycopg" and pg.database == "state"
    assert store_url(tmp_path, "postgres://db/state").drivername == "postgresql+psycopg"
    with pytest.raises(StateError, match="DATABASE_URL uses 'mysql'; give postgresql://"):
        store_url(tmp_path, "mysql://db/state")
    with pytest.raises(StateError, match="not a database URL"):
        store_url(tmp_path, "not a url")


def test_an_unreachable_database_is_explained(tmp_path):
    from tests.services_fixtures import free_port

    url = f"postgresql://nobody:hunter2@127.0.0.1:{free_port()}/none"
    with pytest.raises(StateError, match="cannot open the state database") as caught:
        StateStore.open(tmp_path / "state", url)
    assert "hunter2" not in str(caught.value) and "DATABASE_URL" in str(caught.value)


def test_the_migrations_build_the_schema_the_code_describes(store):
    # Alembic's autogenerate finds nothing to add: migrations/ and METADATA agree.
    with store._engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), METADATA) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    store = StateStore.open(tmp_path / "state")
    try:
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.close()


def test_open_store_uses_the_settings_and_purges_by_their_retention(tmp_path):
    settings = Settings(state_dir=tmp_path / "state", retention_days=30)
    store = open_store(settings)
    old = store.store_dataset(FILES, "Old", "amina")
    new = store.store_dataset(OTHER, "New", "amina")
    with store._engine.begin() as conn:  # as if stored 31 days ago
        conn.execute(
            sa.update(DATASETS)
            .where(DATASETS.c.id == old.id)
            .values(created_at=old.created_at - timedelta(days=31))
        )
    store.close()
    store = open_store(settings)
    try:
        assert store.state_dir == tmp_path / "state" and store.backend == "sqlite"
        assert [r.id for r in store.list_datasets()] == [new.id]
        assert _leftovers(store) == [new.id]
    finally:
        store.close()
