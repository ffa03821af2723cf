"""Command-line flags generated from the one definition of each parameter (planning.parameters)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from config import Settings
from data_loaders.source_url import is_database_url
from planning.parameters import Parameter

DATA_METAVAR = "DIR|URL|NAME"
DATA_HELP = (
    "dataset folder (hotspots, sites, enrolment, boundaries, dataset.toml), a dataset "
    "written by `cli.py import` (postgresql://USER@HOST:PORT/DB?schema=NAME), or the name or "
    "id of a dataset stored in the server state (KP_STATE_DIR or DATABASE_URL)"
)


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """The --data option every command shares: a folder or a postgresql:// URL."""
    parser.add_argument("--data", required=True, metavar=DATA_METAVAR, help=DATA_HELP)


def stored_dataset_folder(value: str, settings: Settings) -> str | None:
    """The folder of the dataset stored in the server state under the name or id ``value``, or
    None when ``value`` is a folder, a URL, or names nothing there (the loader then reports it).

    The store is only opened when it exists (never created by a typo)."""
    if is_database_url(value) or Path(value).exists():
        return None
    if settings.database_url is None and not Path(settings.state_dir, "state.db").exists():
        return None
    from services.state import StateError, store_for  # the store only when it is needed

    try:
        store = store_for(settings)
        return str(store.get_dataset_folder(store.find_dataset(value).id))
    except StateError:
        return None


def add_parameter_flags(
    group: argparse._ActionsContainer,
    parameters: Iterable[Parameter],
    *,
    with_defaults: bool = False,
) -> None:
    """One flag per parameter: its flag name, help (label, unit, allowed range, default) and
    choices.

    Values stay text (dest = the parameter's name) and are checked by the parameter itself, so a
    bad value gets the same message as on the pages. ``with_defaults`` fills each flag's default
    (for commands that do not layer a dataset's defaults under the flags).
    """
    for p in parameters:
        default = p.default if with_defaults else None
        if p.kind == "bool":
            group.add_argument(
                p.cli_flag,
                dest=p.name,
                action="store_true",
                default=bool(default),
                help=p.help_text(),
            )
        elif p.kind == "choice":
            group.add_argument(
                p.cli_flag,
                dest=p.name,
                choices=list(p.choices),
                default=default,
                help=p.help_text(),
            )
        else:
            group.add_argument(
                p.cli_flag, dest=p.name, metavar=p.metavar, default=default, help=p.help_text()
            )
