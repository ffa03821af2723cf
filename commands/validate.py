"""`cli.py validate`: load a dataset folder and print its validation report (exit 0 clean, 2
errors)."""

from __future__ import annotations

import argparse
import json
import sys

from commands.flags import add_data_argument
from data_loaders.dataset import load_dataset
from data_loaders.source_url import redact_url
from data_loaders.validation import DatasetLoadError, ValidationReport

HELP = "check a dataset (folder or database) and list every problem with its file, row and a fix"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `cli.py validate`: --data DIR|URL, --json, --strict."""
    add_data_argument(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object {"ok", "files", "problems"} instead of tables',
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse the dataset on any error (the report is the same)",
    )


def run(args: argparse.Namespace) -> int:
    """Validate ``args.data`` and print the report; 0 when there are no errors, 2 when there are."""
    fatal = False
    try:
        report = load_dataset(args.data, strict=args.strict).report
    except DatasetLoadError as exc:
        report, fatal = exc.report, True
    print_report(args.data, report, fatal=fatal, as_json=args.json)
    return 2 if (fatal or report.has_errors) else 0


def print_report(data: str, report: ValidationReport, *, fatal: bool, as_json: bool) -> None:
    """Print the report of dataset ``data`` (a URL without its password) as text or JSON."""
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"Dataset: {redact_url(data)}")
        print(report.summary_text())
        if fatal:
            print("The dataset cannot be loaded until the errors above are fixed.")
    sys.stdout.flush()
