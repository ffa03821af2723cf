"""Batch entry: the same plans as the dashboard, no browser.

    python cli.py validate  --data DIR [--json]
    python cli.py plan      --data DIR [options]   (see --help)
    python cli.py caseloads --data DIR [--district NAME] ...

Exit codes: 0 success, 2 bad data or bad parameters (with a message, never a traceback).
"""

from __future__ import annotations

import argparse
import sys

from commands import caseloads as caseloads_command
from commands import plan as plan_command
from commands import validate as validate_command

COMMANDS = {
    "validate": validate_command,
    "plan": plan_command,
    "caseloads": caseloads_command,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cli.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
