"""`cli.py audit`: the audit log of hotspot-level downloads and exports (services.accounts).

    python cli.py audit [--json] [--last N]

Each entry: when (UTC), who, her role, what was downloaded or exported, which districts it
covered, the dataset and the client address. The store is the app's (KP_STATE_DIR,
DATABASE_URL, or --state-dir / --database-url).
"""

from __future__ import annotations

import argparse
import json
import sys

from commands.scenarios import _add_store_options, store_settings

HELP = "print the audit log of hotspot-level downloads and exports"
USES_SETTINGS = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--json, --last N and the store options."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array: at, user, role, action, districts, dataset_id, address",
    )
    parser.add_argument("--last", type=int, metavar="N", help="only the newest N entries")
    _add_store_options(parser)


def run(args: argparse.Namespace) -> int:
    """Print the log; 0, or 2 with a message when the store cannot be opened."""
    from services import accounts
    from services.state import StateError, open_store

    try:
        store = open_store(store_settings(args))
        try:
            entries = accounts.list_audit(store, args.last)
        finally:
            store.close()
    except StateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([e.public() for e in entries], indent=2, ensure_ascii=False))
        return 0
    if not entries:
        print("The audit log is empty.")
    for e in entries:
        districts = ", ".join(e.districts)
        print(f"{e.at:%Y-%m-%d %H:%M:%S} UTC  {e.user} ({e.role})  {e.action}  [{districts}]")
    return 0
