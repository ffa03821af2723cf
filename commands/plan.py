"""`cli.py plan`: not built yet."""

from __future__ import annotations

import argparse

HELP = "plan (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="dataset folder")


def run(args: argparse.Namespace) -> int:
    raise SystemExit("not built yet")
