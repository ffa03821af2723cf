"""`cli.py users`: the accounts of a shared server (the server state, services.accounts).

    python cli.py users add NAME --role planner|site_manager|donor|admin \\
        [--districts "A,B"] --password-stdin [--data DIR]
    python cli.py users list [--json]
    python cli.py users remove NAME
    python cli.py users set-password NAME --password-stdin

The password is read from standard input (first line), never from the command line, where
other users of the machine could see it. A site manager needs at least one district, checked
against the boundaries of the app's dataset (KP_DATA_DIR, or --data). Once one user exists,
the app asks everybody to sign in (README: a shared server with accounts). Exit codes: 0 done;
2 a bad value or an unknown name (one message, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys

from commands.scenarios import _add_store_options, store_settings
from config import Settings

HELP = "add, list or remove the users of a shared server, or set a password"
USES_SETTINGS = True
ROLES = ("planner", "site_manager", "donor", "admin")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Sub-commands add, list, remove and set-password, each with the store options."""
    sub = parser.add_subparsers(
        dest="action", required=True, metavar="{add,list,remove,set-password}"
    )
    add = sub.add_parser("add", help="add a user (password from standard input)")
    add.add_argument("name", metavar="NAME", help="user name (letters, digits, . _ @ -)")
    add.add_argument("--role", required=True, choices=ROLES, help="what the user may see")
    add.add_argument(
        "--districts",
        metavar='"A,B"',
        default="",
        help="a site manager's districts, comma-separated (names of the dataset's boundaries)",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from the first line of standard input",
    )
    add.add_argument(
        "--data",
        metavar="DIR",
        help="dataset whose boundaries name the districts (default: the app's, KP_DATA_DIR)",
    )
    _add_store_options(add)

    listing = sub.add_parser("list", help="list the users")
    listing.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array: name, role, districts, created_at, updated_at",
    )
    _add_store_options(listing)

    remove = sub.add_parser("remove", help="remove a user (her sessions end at once)")
    remove.add_argument("name", metavar="NAME")
    _add_store_options(remove)

    setpw = sub.add_parser(
        "set-password", help="set a user's password (her other sessions end at once)"
    )
    setpw.add_argument("name", metavar="NAME")
    setpw.add_argument("--password-stdin", action="store_true", required=True)
    _add_store_options(setpw)


def _read_password() -> str:
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def _known_districts(args: argparse.Namespace, settings: Settings) -> list[str] | None:
    """District names of the dataset's boundaries (None when no district list is needed)."""
    if args.role != "site_manager":
        return None
    from data_loaders.dataset import load_dataset
    from services.datasets import as_source

    dataset = load_dataset(as_source(args.data or settings.data_dir))
    return [str(d) for d in dataset.boundaries["district"]]


def run(args: argparse.Namespace) -> int:
    """Do the action; 0 on success, 2 with a message on a bad value."""
    from data_loaders.validation import DatasetLoadError
    from services import accounts
    from services.state import StateError, open_store

    settings = store_settings(args)
    try:
        store = open_store(settings)
        try:
            if args.action == "add":
                known = _known_districts(args, settings)
                user = accounts.add_user(
                    store,
                    args.name,
                    args.role,
                    _read_password(),
                    args.districts.split(","),
                    known,
                )
                scope = f" for {', '.join(user.districts)}" if user.districts else ""
                print(f"User {user.name!r} added as {accounts.ROLE_LABELS[user.role]}{scope}.")
                if not settings.secret_key:
                    print(
                        "Accounts are on: set KP_SECRET_KEY before starting the server "
                        "(README: a shared server with accounts).",
                        file=sys.stderr,
                    )
            elif args.action == "list":
                users = accounts.list_users(store)
                if args.json:
                    print(json.dumps([u.public() for u in users], indent=2, ensure_ascii=False))
                elif not users:
                    print("No users: the server runs without accounts (127.0.0.1 only).")
                else:
                    for u in users:
                        scope = f"  {', '.join(u.districts)}" if u.districts else ""
                        print(f"{u.name:<24} {u.role:<13}{scope}")
            elif args.action == "remove":
                accounts.remove_user(store, args.name)
                print(f"User {args.name!r} removed; her sessions end on their next request.")
            else:
                accounts.set_password(store, args.name, _read_password())
                print(f"Password of {args.name!r} changed; her other sessions ended.")
        finally:
            store.close()
    except (StateError, DatasetLoadError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
