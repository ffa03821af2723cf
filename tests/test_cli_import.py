"""`cli.py import` and `--data postgresql://...` on a real PostgreSQL + PostGIS server
(tests/services_fixtures.py): the same plan as from the folder, nothing written when the folder
has errors, a re-import replaces the data in one transaction, clear messages (exit 2, no
traceback, no password)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

import cli
from tests import helpers
from tests.helpers import DEMO_DIR
from tests.services_fixtures import free_port

SECRET = "pw-N0t-Sh0wn"


def cli_run(*argv: str) -> helpers.CliRun:
    """``cli.main(argv)`` in this process with its output captured (usable in module fixtures)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    done = helpers.CliRun(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in done.stdout + done.stderr
    return done


def run_sql(postgres_url: str, statement: str) -> list[tuple]:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        cur = conn.execute(statement)
        return cur.fetchall() if cur.description else []


def tables_of(postgres_url: str, schema: str) -> list[str]:
    rows = run_sql(
        postgres_url,
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}' "
        "ORDER BY 1",
    )
    return [r[0] for r in rows]


def copy_demo(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for f in DEMO_DIR.iterdir():
        if f.is_file():
            shutil.copy(f, dest / f.name)
    return dest


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def edit_rows(path: Path, change: Callable[[list[dict[str, str]]], object]) -> None:
    """Rewrite a CSV file after ``change`` edited its rows (dicts; rows[0] is spreadsheet row 2)."""
    rows = read_rows(path)
    header = list(rows[0])
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(rows)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def demo_url(postgres_url: str) -> str:
    """The demo imported into schema cli_demo, through a URL with a password."""
    url = postgres_url.replace("postgres@", f"postgres:{SECRET}@") + "?schema=cli_demo"
    done = cli_run("import", "--data", str(DEMO_DIR), "--to", url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert "1500 hotspots, 62 sites, 4374 enrolment rows" in done.stdout
    assert "Wrote to postgresql://postgres:***@127.0.0.1:" in done.stdout
    assert "OK: no errors" in done.stdout  # the report `validate` prints
    return url


def test_plan_json_from_the_database_equals_the_folders(demo_url):
    from_folder = cli_run("plan", "--data", str(DEMO_DIR), "--json")
    from_database = cli_run("plan", "--data", demo_url, "--json")
    assert from_folder.returncode == from_database.returncode == 0, from_database.stderr
    assert from_database.stdout == from_folder.stdout  # byte for byte
    assert json.loads(from_database.stdout)["dataset"]["name"] == "Malawi (synthetic demo)"


def test_plan_flags_and_dataset_parameters_give_the_same_plan_too(demo_url):
    flags = ("--json", "--level", "high", "--max-pe", "100", "--pe-stipend", "40")
    from_folder = cli_run("plan", "--data", str(DEMO_DIR), *flags)
    from_database = cli_run("plan", "--data", demo_url, *flags)
    assert from_database.returncode == 0, from_database.stderr
    assert from_database.stdout == from_folder.stdout


def test_plan_as_a_subprocess_from_the_database(demo_url):
    done = helpers.run_cli_process("plan", "--data", demo_url, "--json")
    assert done.returncode == 0, done.stderr
    assert done.stdout == cli_run("plan", "--data", str(DEMO_DIR), "--json").stdout


def test_caseloads_and_validate_work_on_the_database(demo_url):
    args = ("caseloads", "--district", "Lilongwe", "--json")
    from_folder = cli_run(*args, "--data", str(DEMO_DIR))
    from_database = cli_run(*args, "--data", demo_url)
    assert from_database.returncode == 0, from_database.stderr
    assert from_database.stdout == from_folder.stdout
    report = cli_run("validate", "--data", demo_url)
    assert report.returncode == 0
    rows = [line.split() for line in report.stdout.splitlines()]
    assert ["hotspots", "cli_demo.hotspots", "(PostGIS)", "1500", "1500", "0"] in rows
    assert "Dataset: postgresql://postgres:***@" in report.stdout
    assert SECRET not in report.stdout + report.stderr


def test_a_row_with_an_error_writes_nothing(tmp_path, postgres_url):
    folder = copy_demo(tmp_path / "broken")
    edit_rows(folder / "hotspots.csv", lambda rows: rows[5].update(typical_min="about 5"))

    url = f"{postgres_url}?schema=cli_broken"
    done = cli_run("import", "--data", str(folder), "--to", url)
    assert done.returncode == 2
    validate = cli_run("validate", "--data", str(folder))
    assert done.stdout == validate.stdout  # the same report as `cli.py validate`
    line = next(x for x in done.stdout.splitlines() if "about 5" in x)
    assert line.split()[:4] == ["hotspots", "7", "typical_min", "about"]  # rows[5]: row 7
    assert 'typical_min "about 5" is not a number' in line
    assert "nothing written to" in done.stderr
    assert tables_of(postgres_url, "cli_broken") == []


def test_an_error_leaves_an_earlier_import_untouched(tmp_path, postgres_url):
    url = f"{postgres_url}?schema=cli_kept"
    assert cli_run("import", "--data", str(DEMO_DIR), "--to", url).returncode == 0
    folder = copy_demo(tmp_path / "broken")
    replace_in(folder / "dataset.toml", 'name = "Malawi (synthetic demo)"', 'name = "Broken"')
    edit_rows(folder / "sites.csv", lambda rows: rows[0].update(latitude="95"))  # out of range
    assert cli_run("import", "--data", str(folder), "--to", url).returncode == 2
    assert run_sql(postgres_url, "SELECT name FROM cli_kept.dataset") == [
        ("Malawi (synthetic demo)",)
    ]
    assert run_sql(postgres_url, "SELECT count(*) FROM cli_kept.sites") == [(62,)]


def test_reimport_replaces_the_data(tmp_path, postgres_url):
    url = f"{postgres_url}?schema=cli_again"
    assert cli_run("import", "--data", str(DEMO_DIR), "--to", url).returncode == 0
    folder = copy_demo(tmp_path / "changed")
    replace_in(folder / "dataset.toml", 'name = "Malawi (synthetic demo)"', 'name = "Changed"')
    named = {r.get("site_id") for r in read_rows(folder / "enrolment.csv")}
    # drop a site no enrolment row names
    edit_rows(
        folder / "sites.csv",
        lambda rows: rows.remove(next(r for r in rows if r["site_id"] not in named)),
    )

    done = cli_run("import", "--data", str(folder), "--to", url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "61 sites" in done.stdout
    assert run_sql(postgres_url, "SELECT name FROM cli_again.dataset") == [("Changed",)]
    assert run_sql(postgres_url, "SELECT count(*) FROM cli_again.sites") == [(61,)]
    from_database = cli_run("plan", "--data", url, "--json")
    assert from_database.stdout == cli_run("plan", "--data", str(folder), "--json").stdout


def test_a_failure_while_writing_rolls_the_whole_import_back(tmp_path, postgres_url):
    """The server refuses the enrolment table after boundaries, hotspots and sites were replaced
    (an event trigger): the earlier import is still there, whole."""
    url = f"{postgres_url}?schema=cli_atomic"
    assert cli_run("import", "--data", str(DEMO_DIR), "--to", url).returncode == 0
    before = run_sql(postgres_url, "SELECT count(*), min(source_row) FROM cli_atomic.hotspots")
    folder = copy_demo(tmp_path / "changed")
    replace_in(folder / "dataset.toml", 'name = "Malawi (synthetic demo)"', 'name = "Changed"')
    run_sql(
        postgres_url,
        """
        CREATE FUNCTION refuse_enrolment() RETURNS event_trigger LANGUAGE plpgsql AS $$
        DECLARE r record;
        BEGIN
          FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
            IF r.object_identity = 'cli_atomic.enrolment' THEN
              RAISE EXCEPTION 'simulated failure while writing enrolment';
            END IF;
          END LOOP;
        END $$
        """,
    )
    run_sql(
        postgres_url,
        "CREATE EVENT TRIGGER refuse_enrolment ON ddl_command_end "
        "WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION refuse_enrolment()",
    )
    try:
        done = cli_run("import", "--data", str(folder), "--to", url)
    finally:
        run_sql(postgres_url, "DROP EVENT TRIGGER refuse_enrolment")
        run_sql(postgres_url, "DROP FUNCTION refuse_enrolment()")
    assert done.returncode == 2
    assert "nothing written" in done.stderr
    assert "simulated failure while writing enrolment" in done.stderr
    assert run_sql(postgres_url, "SELECT name FROM cli_atomic.dataset") == [
        ("Malawi (synthetic demo)",)
    ]
    assert run_sql(postgres_url, "SELECT count(*), min(source_row) FROM cli_atomic.hotspots") == (
        before
    )
    assert cli_run("plan", "--data", url, "--json").stdout == (
        cli_run("plan", "--data", str(DEMO_DIR), "--json").stdout
    )


@pytest.mark.parametrize("command", ["plan", "validate", "caseloads"])
def test_a_missing_schema_is_exit_2_with_the_fix(postgres_url, command):
    url = postgres_url.replace("postgres@", f"postgres:{SECRET}@") + "?schema=cli_nowhere"
    done = cli_run(command, "--data", url)
    assert done.returncode == 2
    text = done.stdout + done.stderr
    assert 'schema "cli_nowhere" does not exist' in text
    assert "cli.py import --data DIR --to postgresql://postgres:***@" in text
    assert SECRET not in text


def test_a_missing_table_is_named(tmp_path, postgres_url):
    url = f"{postgres_url}?schema=cli_no_sites"
    assert cli_run("import", "--data", str(DEMO_DIR), "--to", url).returncode == 0
    run_sql(postgres_url, "DROP TABLE cli_no_sites.sites")
    done = cli_run("plan", "--data", url, "--json")
    assert done.returncode == 2
    assert "table cli_no_sites.sites is missing" in done.stderr
    assert done.stdout == ""


def test_unreachable_server_and_bad_urls_are_exit_2():
    url = f"postgresql://kp:{SECRET}@127.0.0.1:{free_port()}/kp?schema=x"
    for argv in (
        ("plan", "--data", url),
        ("import", "--data", str(DEMO_DIR), "--to", url),
        ("import", "--data", str(DEMO_DIR), "--to", "postgresql://127.0.0.1:port/kp"),
        ("import", "--data", url, "--to", url),
    ):
        done = cli_run(*argv)
        assert done.returncode == 2, argv
        assert SECRET not in done.stdout + done.stderr
    assert (
        "cannot connect to postgresql://kp:***@127.0.0.1:" in cli_run("plan", "--data", url).stderr
    )


def test_the_same_plan_from_a_folder_the_server_state_and_postgis(demo_url, tmp_path):
    """Issue 12: `cli.py plan --json` equal from the folder, from the dataset stored in the
    SQLite-backed server state (by its name, as the Data page stored it) and from PostGIS."""
    from services.state import StateStore

    state = tmp_path / "state"
    store = StateStore.open(state)
    record = store.store_dataset(DEMO_DIR, "team demo", "local user")
    store.close()
    plans = {}
    for label, data in (("folder", str(DEMO_DIR)), ("state", "team demo"),
                        ("state id", record.id), ("postgis", demo_url)):  # fmt: skip
        done = helpers.run_cli_process(
            "plan", "--data", data, "--json", state_dir=state, timeout=300
        )
        assert done.returncode == 0, (label, done.stderr)
        plans[label] = done.stdout
    assert plans["state"] == plans["folder"] == plans["postgis"] == plans["state id"]
    # a name the store does not hold is still reported as a missing folder, exit 2
    missing = helpers.run_cli_process(
        "plan", "--data", "no such dataset", "--json", state_dir=state, timeout=300
    )
    assert missing.returncode == 2 and "no such dataset" in missing.stderr
