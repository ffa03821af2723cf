"""`cli.py users` and `cli.py audit` as an administrator runs them (issue 13): subprocesses on a
temporary state folder (KP_STATE_DIR), the password on standard input only."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from config import Settings
from services import accounts, state
from services.accounts import Viewer
from tests.helpers import run_cli_process

PASSWORD = "Correct-Horse-Battery-4711"
NEW_PASSWORD = "Another-Staple-Phrase-0815"


def users_cli(state_dir: Path, *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python cli.py ARGV`` with KP_STATE_DIR=state_dir (no other store or key settings)."""
    return run_cli_process(*argv, state_dir=state_dir, stdin=stdin)


def state_bytes(state_dir: Path) -> bytes:
    """Every byte of the state folder's files (the database, its WAL and journal)."""
    return b"".join(p.read_bytes() for p in sorted(state_dir.rglob("*")) if p.is_file())


def assert_secret_kept(done: subprocess.CompletedProcess[str], *secrets: str) -> None:
    for secret in secrets:
        assert secret not in done.stdout and secret not in done.stderr


def test_add_list_set_password_remove(tmp_path):
    state_dir = tmp_path / "state"
    added = users_cli(state_dir, "users", "add", "pat", "--role", "planner", "--password-stdin",
                      stdin=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "User 'pat' added as planner." in added.stdout
    assert "set KP_SECRET_KEY" in added.stderr  # accounts are on and no key is set
    manager = users_cli(state_dir, "users", "add", "sam", "--role", "site_manager",
                        "--districts", "lilongwe", "--password-stdin", stdin=PASSWORD)  # fmt: skip
    assert manager.returncode == 0, manager.stderr
    assert "User 'sam' added as site manager for Lilongwe." in manager.stdout

    listed = users_cli(state_dir, "users", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    users = json.loads(listed.stdout)
    assert [(u["name"], u["role"], u["districts"]) for u in users] == [
        ("pat", "planner", []),
        ("sam", "site_manager", ["Lilongwe"]),
    ]
    assert set(users[0]) == {"name", "role", "districts", "created_at", "updated_at"}
    text = users_cli(state_dir, "users", "list")
    assert text.returncode == 0 and "sam" in text.stdout and "Lilongwe" in text.stdout

    settings = Settings(state_dir=state_dir)
    store = state.open_store(settings)
    try:
        epoch_before = accounts.log_in(store, "pat", PASSWORD, "127.0.0.1").session_epoch
    finally:
        store.close()

    changed = users_cli(state_dir, "users", "set-password", "pat", "--password-stdin",
                        stdin=NEW_PASSWORD + "\n")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert "Password of 'pat' changed" in changed.stdout
    store = state.open_store(settings)
    try:
        user = accounts.log_in(store, "pat", NEW_PASSWORD, "127.0.0.1")
        assert user.session_epoch == epoch_before + 1  # her sessions ended
        with pytest.raises(accounts.LoginRefused):
            accounts.log_in(store, "pat", PASSWORD, "127.0.0.1")
    finally:
        store.close()

    removed = users_cli(state_dir, "users", "remove", "sam")
    assert removed.returncode == 0, removed.stderr
    assert "User 'sam' removed" in removed.stdout
    after = json.loads(users_cli(state_dir, "users", "list", "--json").stdout)
    assert [u["name"] for u in after] == ["pat"]

    for done in (added, manager, listed, text, changed, removed):
        assert_secret_kept(done, PASSWORD, NEW_PASSWORD)
    stored = state_bytes(state_dir)
    assert stored  # the state was written
    assert PASSWORD.encode() not in stored and NEW_PASSWORD.encode() not in stored


def test_no_users_listed(tmp_path):
    empty = users_cli(tmp_path / "state", "users", "list")
    assert empty.returncode == 0, empty.stderr
    assert "No users" in empty.stdout
    assert json.loads(users_cli(tmp_path / "state", "users", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (
            ("users", "add", "sam", "--role", "site_manager", "--districts", "Atlantis"),
            PASSWORD,
            "district(s) 'Atlantis' are not in the dataset's boundaries",
        ),
        (
            ("users", "add", "sam", "--role", "site_manager"),
            PASSWORD,
            "a site manager needs at least one district",
        ),
        (
            ("users", "add", "pat", "--role", "planner"),
            "short\n",
            "the password has 5 characters; use at least 10",
        ),
        (("users", "add", "pat", "--role", "planner"), "", "the password has 0 characters"),
        (
            ("users", "add", "bad name", "--role", "planner"),
            PASSWORD,
            "user name 'bad name' is not allowed",
        ),
        (("users", "remove", "ghost"), "", "no user is named 'ghost'"),
        (("users", "set-password", "ghost"), NEW_PASSWORD, "no user is named 'ghost'"),
    ],
)
def test_bad_values_exit_2_with_one_message(tmp_path, argv, stdin, message):
    if argv[1] in ("add", "set-password"):
        argv = (*argv, "--password-stdin")
    done = users_cli(tmp_path / "state", *argv, stdin=stdin)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("error: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert_secret_kept(done, PASSWORD, NEW_PASSWORD, "short")
    if (tmp_path / "state").exists():
        assert PASSWORD.encode() not in state_bytes(tmp_path / "state")
        store = state.open_store(Settings(state_dir=tmp_path / "state"))
        try:
            assert accounts.count_users(store) == 0
        finally:
            store.close()


def test_an_existing_name_exits_2_and_keeps_the_first_password(tmp_path):
    state_dir = tmp_path / "state"
    first = users_cli(state_dir, "users", "add", "pat", "--role", "planner", "--password-stdin",
                      stdin=PASSWORD)  # fmt: skip
    assert first.returncode == 0, first.stderr
    again = users_cli(state_dir, "users", "add", "pat", "--role", "donor", "--password-stdin",
                      stdin=NEW_PASSWORD)  # fmt: skip
    assert again.returncode == 2
    assert "a user named 'pat' exists" in again.stderr
    assert_secret_kept(again, PASSWORD, NEW_PASSWORD)
    users = json.loads(users_cli(state_dir, "users", "list", "--json").stdout)
    assert [(u["name"], u["role"]) for u in users] == [("pat", "planner")]


def test_the_password_is_never_an_argument(tmp_path):
    """--password-stdin is required: there is no way to put a password on the command line."""
    done = users_cli(tmp_path / "state", "users", "add", "pat", "--role", "planner", PASSWORD)
    assert done.returncode == 2  # argparse's usage error, before any store is opened
    assert "--password-stdin" in done.stderr
    assert not (tmp_path / "state" / "state.db").exists()


def test_audit_json_lists_entries_oldest_first(tmp_path):
    state_dir = tmp_path / "state"
    empty = users_cli(state_dir, "audit", "--json")
    assert empty.returncode == 0, empty.stderr
    assert json.loads(empty.stdout) == []
    assert "The audit log is empty." in users_cli(state_dir, "audit").stdout

    store = state.open_store(Settings(state_dir=state_dir))
    try:
        sam = Viewer(name="sam", role="site_manager", districts=("Lilongwe",), authenticated=True)
        pat = Viewer(name="pat", role="planner", authenticated=True)
        accounts.append_audit(store, sam, "Excel plan", ["Lilongwe"], None, "10.0.0.5")
        accounts.append_audit(store, pat, "HTML map", ["all"], "abc", "127.0.0.1")
    finally:
        store.close()

    done = users_cli(state_dir, "audit", "--json")
    assert done.returncode == 0, done.stderr
    entries = json.loads(done.stdout)
    assert [(e["user"], e["role"], e["action"], e["districts"]) for e in entries] == [
        ("sam", "site_manager", "Excel plan", ["Lilongwe"]),
        ("pat", "planner", "HTML map", ["all"]),
    ]
    assert entries[0]["dataset_id"] == "default" and entries[0]["address"] == "10.0.0.5"
    assert set(entries[0]) == {"at", "user", "role", "action", "districts", "dataset_id", "address"}
    last = json.loads(users_cli(state_dir, "audit", "--json", "--last", "1").stdout)
    assert [e["action"] for e in last] == ["HTML map"]
    text = users_cli(state_dir, "audit")
    assert text.returncode == 0
    assert "sam (site_manager)  Excel plan  [Lilongwe]" in text.stdout
