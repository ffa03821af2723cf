"""Batch entry: the same plans as the dashboard, no browser.

    python cli.py validate  --data DIR [--json]
    python cli.py plan      --data DIR [options]   (see --help)
    python cli.py caseloads --data DIR [--district NAME] ...
    python cli.py import    --data DIR --to postgresql://USER@HOST:PORT/DB[?schema=NAME]
    python cli.py sites     --data DIR --new K [--distance-km D] [--service S] [--json]
    python cli.py scenarios save NAME [plan flags] [--data DIR] | list [--json] | delete NAME
    python cli.py users add NAME --role ROLE [--districts "A,B"] --password-stdin | list | remove
    python cli.py audit [--json]

--data takes a folder or a dataset written by `cli.py import` (postgresql://...?schema=NAME).

Exit codes: 0 success, 2 bad data or bad parameters (with a message, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from commands import audit as audit_command
from commands import caseloads as caseloads_command
from commands import import_db as import_command
from commands import plan as plan_command
from commands import scenarios as scenarios_command
from commands import sites as sites_command
from commands import users as users_command
from commands import validate as validate_command
from commands.flags import stored_dataset_folder
from config import SettingsError, load_settings

COMMANDS = {
    "validate": validate_command,
    "plan": plan_command,
    "caseloads": caseloads_command,
    "import": import_command,
    "scenarios": scenarios_command,
    "users": users_command,
    "audit": audit_command,
    "sites": sites_command,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cli.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module = COMMANDS[args.command]
    data = getattr(args, "data", None)
    needs_settings = getattr(module, "USES_SETTINGS", False) or (
        isinstance(data, str) and not Path(data).exists()  # perhaps a stored dataset's name
    )
    if needs_settings:  # the app's settings (KP_*, DATABASE_URL)
        try:
            args.settings = load_settings()
        except SettingsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if isinstance(data, str) and not getattr(module, "USES_SETTINGS", False):
            args.data = stored_dataset_folder(data, args.settings) or data
    return module.run(args)


if __name__ == "__main__":
    sys.exit(main())
