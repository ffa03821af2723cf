"""End-to-end tests of `cli.py scenarios save | list | delete` on the app's store (SQLite in a
temporary KP_STATE_DIR, and a real PostgreSQL through DATABASE_URL)."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

import cli
from planning.parameters import PARAMETERS, in_group
from planning.scenario import SCENARIO_GROUPS, Scenario
from services.state import StateStore
from tests.data_loaders.builders import write_dataset
from tests.helpers import ROOT, import_page, run_cli, run_cli_process

PG_DATABASE = "kp_state_cli"


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    """An empty state folder, named by KP_STATE_DIR as the app would get it."""
    folder = tmp_path / "state"
    monkeypatch.setenv("KP_STATE_DIR", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("KP_RETENTION_DAYS", raising=False)
    return folder


@pytest.fixture(scope="module")
def pg_url(postgres_url):
    """A database of this module on the session's PostgreSQL server; dropped afterwards."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    yield postgres_url.rsplit("/", 1)[0] + "/" + PG_DATABASE
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def _listed(capsys, *options: str) -> list[dict]:
    done = run_cli(capsys, "scenarios", "list", "--json", *options)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_save_list_delete_end_to_end(capsys, state_dir):
    done = run_cli(
        capsys, "scenarios", "save", "At 50", "--people-per-pe", "50", "--target", "0.8",
        "--saved-by", "amina",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "/scenarios?people_per_pe=50&target=0.8" in done.stdout
    assert (state_dir / "state.db").is_file()  # KP_STATE_DIR: the app's store

    [row] = _listed(capsys)
    assert row["name"] == "At 50" and row["saved_by"] == "amina"
    assert row["parameters"] == {"people_per_pe": "50", "target": "0.8"}
    assert row["dataset"] is None and row["link"] == "/scenarios?people_per_pe=50&target=0.8"
    assert row["saved_at"].endswith("+00:00")

    table = run_cli(capsys, "scenarios", "list")
    assert table.returncode == 0 and "At 50" in table.stdout and "amina" in table.stdout

    # The app's store sees the same scenario.
    store = StateStore.open(state_dir)
    try:
        assert store.get_scenario("At 50").scenario() == Scenario(people_per_pe=50, target=0.8)
    finally:
        store.close()

    assert run_cli(capsys, "scenarios", "delete", "At 50").returncode == 0
    assert _listed(capsys) == []
    missing = run_cli(capsys, "scenarios", "delete", "At 50")
    assert missing.returncode == 2 and "no saved scenario is named 'At 50'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_saved_query_is_the_scenarios_pages_link(capsys, state_dir):
    page = import_page("scenarios")
    flags = ["--people-per-pe", "55", "--basis", "typical", "--pe-stipend", "15"]
    flags += ["--budget", "6500"]
    assert run_cli(capsys, "scenarios", "save", "Costed", *flags).returncode == 0
    [row] = _listed(capsys)
    scenario = Scenario(
        people_per_pe=55, basis="typical", pe_stipend_usd_month=15, budget_usd_month=6500
    )
    assert row["link"] == "/scenarios" + page.search_string(scenario)
    assert Scenario.from_query(row["parameters"], strict=True) == scenario


def test_save_takes_every_plan_flag(capsys):
    save_help = run_cli(capsys, "scenarios", "save", "--help").stdout
    plan_help = run_cli(capsys, "plan", "--help").stdout
    for p in in_group(*SCENARIO_GROUPS):
        assert p.cli_flag in save_help and p.cli_flag in plan_help


@pytest.mark.parametrize(
    "flags,parameter,value",
    [
        (["--people-per-pe", "500"], "people_per_pe", 500),
        (["--target", "1.5"], "target", 1.5),
    ],
)
def test_bad_values_exit_2_with_the_parameters_refusal(capsys, state_dir, flags, parameter, value):
    done = run_cli(capsys, "scenarios", "save", "Bad", *flags)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {PARAMETERS[parameter].refusal(value)}"
    assert _listed(capsys) == []


def test_two_caps_are_refused_by_argparse(capsys, state_dir):
    done = run_cli(capsys, "scenarios", "save", "Bad", "--max-pe", "10", "--budget", "100")
    assert done.returncode == 2 and "not allowed with argument" in done.stderr


def test_data_folder_is_validated_stored_once_and_named(capsys, state_dir, tmp_path):
    folder = write_dataset(tmp_path / "lilongwe")
    (folder / "notes.txt").write_text("not part of the dataset", encoding="utf-8")
    first = run_cli(capsys, "scenarios", "save", "A", "--data", str(folder), "--saved-by", "amina")
    assert first.returncode == 0, first.stderr
    second = run_cli(
        capsys, "scenarios", "save", "B", "--data", str(folder), "--people-per-pe", "70"
    )
    assert second.returncode == 0, second.stderr
    third = run_cli(capsys, "scenarios", "save", "C", "--data", "lilongwe")  # by its name
    assert third.returncode == 0, third.stderr

    rows = {r["name"]: r for r in _listed(capsys)}
    datasets = {r["dataset"]["id"] for r in rows.values()}
    assert len(datasets) == 1 and rows["A"]["dataset"]["name"] == "lilongwe"
    store = StateStore.open(state_dir)
    try:
        [record] = store.list_datasets()
        stored = store.get_dataset_folder(record.id)
        assert sorted(p.name for p in stored.iterdir()) == sorted(
            p.name for p in folder.iterdir() if p.name != "notes.txt"
        )
        assert record.created_by == "amina"
    finally:
        store.close()


def test_a_faulty_data_folder_is_refused_and_nothing_is_stored(capsys, state_dir):
    done = run_cli(
        capsys, "scenarios", "save", "Bad", "--data", str(ROOT / "tests" / "fixtures" / "faulty")
    )
    assert done.returncode == 2 and "scenario not saved" in done.stderr
    assert "Traceback" not in done.stderr
    assert _listed(capsys) == []
    store = StateStore.open(state_dir)
    try:
        assert store.list_datasets() == []
    finally:
        store.close()


def test_unknown_dataset_name_exits_2(capsys, state_dir):
    done = run_cli(capsys, "scenarios", "save", "X", "--data", "Nowhere")
    assert done.returncode == 2 and "no stored dataset is named 'Nowhere'" in done.stderr


def test_a_bad_setting_exits_2(capsys, state_dir, monkeypatch):
    monkeypatch.setenv("KP_RETENTION_DAYS", "soon")
    done = run_cli(capsys, "scenarios", "list")
    assert done.returncode == 2 and "KP_RETENTION_DAYS='soon'" in done.stderr


def test_postgresql_through_database_url_in_subprocesses(pg_url, tmp_path, monkeypatch):
    url = f"{pg_url}?schema=cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("KP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DATABASE_URL", url)  # the subprocesses inherit it
    saved = run_cli_process("scenarios", "save", "On PG", "--people-per-pe", "65")
    assert saved.returncode == 0, saved.stderr
    listed = run_cli_process("scenarios", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["name"] == "On PG" and row["parameters"] == {"people_per_pe": "65"}
    assert not (tmp_path / "state" / "state.db").exists()  # the rows are in PostgreSQL

    # --database-url over the environment: another (empty) store.
    other = f"{pg_url}?schema=cli_{uuid.uuid4().hex[:8]}"
    assert run_cli_process("scenarios", "list", "--json", "--database-url", other).stdout == "[]\n"
    assert run_cli_process("scenarios", "delete", "On PG").returncode == 0
    assert json.loads(run_cli_process("scenarios", "list", "--json").stdout) == []


def test_cli_main_loads_settings_only_for_commands_that_ask():
    parser = cli.build_parser()
    assert getattr(cli.COMMANDS["scenarios"], "USES_SETTINGS", False)
    assert not getattr(cli.COMMANDS["plan"], "USES_SETTINGS", False)
    assert parser.parse_args(["scenarios", "list", "--state-dir", "x"]).state_dir == "x"
