"""`cli.py scenarios`: save, list and delete the scenarios the team shares (the server state).

    python cli.py scenarios save "At 50 per PE" --people-per-pe 50 [--data DIR] [--saved-by NAME]
    python cli.py scenarios list [--json]
    python cli.py scenarios delete "At 50 per PE"

The store is the app's (services.state): KP_STATE_DIR (default ./state) and DATABASE_URL, or
--state-dir / --database-url. `save` takes the parameter flags of `cli.py plan` and keeps them
as the Scenarios page's URL query (non-default values only), so the page lists the scenario
and its link opens it. With --data DIR the folder's dataset files are validated and stored
(deduplicated by content) and the scenario is saved on that dataset; --data may also name a
dataset already stored. Exit codes: 0 done; 2 a bad value, a bad dataset or an unknown name
(one message, no traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commands.flags import add_parameter_flags
from config import Settings
from planning.parameters import in_group
from planning.scenario import SCENARIO_GROUPS, Scenario, ScenarioError

if TYPE_CHECKING:  # imported when run: SQLAlchemy and Alembic do not slow the other commands
    from services.state import ScenarioRecord, StateStore

HELP = "save, list or delete the shared scenarios (the app's server state)"
# The store is the app's, named by the environment (KP_STATE_DIR, DATABASE_URL): cli.py passes
# the settings in args.settings to commands that ask for them.
USES_SETTINGS = True
DATASET_STEMS = ("hotspots", "sites", "enrolment", "boundaries", "org_units")


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    store = parser.add_argument_group("store (default: KP_STATE_DIR and DATABASE_URL, as the app)")
    store.add_argument(
        "--state-dir", metavar="DIR", help="the state folder (default KP_STATE_DIR or ./state)"
    )
    store.add_argument(
        "--database-url",
        metavar="URL",
        help="postgresql://USER@HOST:PORT/DB holding the state (default DATABASE_URL; "
        "unset: SQLite in the state folder)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Sub-commands save, list and delete, each with the store options."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="{save,list,delete}")
    save = sub.add_parser(
        "save",
        help="save (or overwrite) a named scenario from the flags of `cli.py plan`",
        description="Save (or overwrite) a named scenario; flags not given keep their defaults.",
    )
    save.add_argument("name", metavar="NAME", help="the scenario's name (as the page lists it)")
    save.add_argument(
        "--data",
        metavar="DIR|NAME",
        help="dataset folder to store and plan on, or the name or id of a stored dataset "
        "(default: the app's default dataset)",
    )
    save.add_argument(
        "--data-name",
        metavar="NAME",
        help="name of the dataset stored from --data DIR (default: the folder's name)",
    )
    save.add_argument("--saved-by", metavar="NAME", help="who saves it (default: your login name)")
    g = save.add_argument_group("scenario (defaults and sources: planning/parameters.py)")
    add_parameter_flags(g, in_group("scenario"))
    add_parameter_flags(save.add_argument_group("costs (optional; USD)"), in_group("costs"))
    cap = save.add_argument_group(
        "cap (optional, one of the two): the allocation that covers the most people"
    ).add_mutually_exclusive_group()
    add_parameter_flags(cap, in_group("cap"))
    add_parameter_flags(save.add_argument_group("allocation model"), in_group("allocation"))
    add_parameter_flags(save.add_argument_group("new sites"), in_group("sites"))
    _add_store_options(save)

    listing = sub.add_parser("list", help="list the saved scenarios")
    listing.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array: name, saved_by, saved_at, updated_at, dataset, parameters, link",
    )
    _add_store_options(listing)

    delete = sub.add_parser("delete", help="delete a saved scenario")
    delete.add_argument("name", metavar="NAME", help="the scenario's name")
    _add_store_options(delete)


def store_settings(args: argparse.Namespace) -> Settings:
    """The settings cli.py read from the environment, with --state-dir / --database-url over
    them."""
    base = getattr(args, "settings", None)
    settings = base if isinstance(base, Settings) else Settings()
    if args.state_dir:
        settings = replace(settings, state_dir=Path(args.state_dir))
    if args.database_url:
        settings = replace(settings, database_url=args.database_url)
    return settings


def scenario_query(args: argparse.Namespace) -> dict[str, str]:
    """The page's query of the flags given (raises ScenarioError with the parameter's
    message)."""
    values: dict[str, Any] = {}
    for p in in_group(*SCENARIO_GROUPS):
        value = getattr(args, p.name, None)
        if value is not None and not (p.kind == "bool" and value is False):
            values[p.name] = value
    return Scenario.from_query(values, strict=True).to_query()


def _login_name() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid {os.getuid()}"


def _dataset_files(folder: Path) -> dict[str, Path]:
    """The dataset's own files in ``folder`` (as the loader finds them), by name."""
    return {
        p.name: p
        for p in sorted(folder.iterdir())
        if p.is_file()
        and not p.name.startswith((".", "~$"))
        and (p.stem.lower() in DATASET_STEMS or p.name.lower() == "dataset.toml")
    }


def _validated(folder: Path) -> bool:
    """True when the folder loads without errors; else the report goes to stderr."""
    from data_loaders.dataset import load_dataset
    from data_loaders.validation import DatasetLoadError

    try:
        dataset = load_dataset(folder)
    except DatasetLoadError as error:
        report = getattr(error, "report", None)
        print(report.summary_text() if report is not None else str(error), file=sys.stderr)
        return False
    if dataset.report is not None and dataset.report.has_errors:
        print(dataset.report.summary_text(), file=sys.stderr)
        print(
            "scenario not saved: fix the rows above (or remove them) and run again.",
            file=sys.stderr,
        )
        return False
    return True


def _dataset_id(store: StateStore, args: argparse.Namespace, saved_by: str) -> str | None:
    """The stored dataset --data names (a folder is validated and stored first); None without
    --data. Raises StateError; returns "" after printing why a folder was refused."""
    from services.state import StateError

    if not args.data:
        return None
    if "://" in args.data:
        raise StateError(
            f"--data {args.data.split('://')[0]}://... is a database; scenarios are saved on a "
            "dataset folder or a stored dataset's name or id"
        )
    folder = Path(args.data)
    if not folder.is_dir():
        return store.find_dataset(args.data).id
    files = _dataset_files(folder)
    if not files:
        raise StateError(
            f"--data {args.data} holds no dataset files; give the folder with hotspots, sites, "
            "enrolment and boundaries"
        )
    if not _validated(folder):
        return ""
    name = args.data_name or folder.resolve().name
    record = store.store_dataset(files, name, saved_by)
    print(f"Dataset {record.name!r} stored ({record.id[:12]}).", file=sys.stderr)
    return record.id


def _json_row(record: ScenarioRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "saved_by": record.saved_by,
        "saved_at": record.saved_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "dataset": (
            None
            if record.dataset_id is None
            else {"id": record.dataset_id, "name": record.dataset_name}
        ),
        "parameters": record.parameters,
        "link": "/scenarios" + record.search,
    }


def _print_table(records: list[ScenarioRecord]) -> None:
    if not records:
        print("No saved scenarios (save one with: cli.py scenarios save NAME [flags]).")
        return
    headers = ["Name", "Saved by", "Saved (UTC)", "Dataset", "Parameters"]
    rows = [
        [
            r.name,
            r.saved_by,
            f"{r.updated_at:%Y-%m-%d %H:%M}",
            r.dataset_name or "default",
            r.query.replace("&", " ") or "defaults",
        ]
        for r in records
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    for line in [headers, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())


def _run(store: StateStore, args: argparse.Namespace) -> int:
    if args.action == "list":
        records = store.list_scenarios()
        if args.json:
            print(json.dumps([_json_row(r) for r in records], ensure_ascii=False, indent=1))
        else:
            _print_table(records)
        return 0
    if args.action == "delete":
        store.delete_scenario(args.name)
        print(f"Deleted scenario {args.name.strip()!r}.")
        return 0
    query = scenario_query(args)  # bad values are refused before anything is stored
    saved_by = args.saved_by or _login_name()
    dataset_id = _dataset_id(store, args, saved_by)
    if dataset_id == "":
        return 2
    record = store.save_scenario(args.name, query, dataset_id, saved_by)
    print(
        f"Saved scenario {record.name!r} on {record.dataset_name or 'the default dataset'}: "
        f"/scenarios{record.search}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    """Open the store, do the action; 2 with one message on a bad value or name."""
    from services.state import StateError, open_store

    try:
        store = open_store(store_settings(args))
    except StateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        return _run(store, args)
    except (StateError, ScenarioError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
