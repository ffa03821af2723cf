"""`cli.py validate`: load a dataset folder and print its validation report (exit 0 clean, 2
errors)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from commands.flags import add_data_argument
from data_loaders.dataset import load_dataset
from data_loaders.source_url import redact_url
from data_loaders.validation import DatasetLoadError, ValidationReport

HELP = "check a dataset (folder or database) and list every problem with its file, row and a fix"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `cli.py validate`: --data DIR|URL, --json, --strict, --rejected-out FOLDER."""
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
    parser.add_argument(
        "--rejected-out",
        metavar="FOLDER",
        type=Path,
        help="write each file's rejected rows to FOLDER/<file>_rejected.csv: the original "
        "columns and values plus a 'problem' column, to fix and load again",
    )


def run(args: argparse.Namespace) -> int:
    """Validate ``args.data`` and print the report; 0 when there are no errors, 2 when there are."""
    fatal = False
    try:
        report = load_dataset(args.data, strict=args.strict).report
    except DatasetLoadError as exc:
        report, fatal = exc.report, True
    print_report(args.data, report, fatal=fatal, as_json=args.json)
    if args.rejected_out is not None:
        written = write_rejected(report, args.rejected_out)
        if not args.json:
            print(f"Rejected rows written: {', '.join(written) or 'none (no row was rejected)'}")
    return 2 if (fatal or report.has_errors) else 0


def write_rejected(report: ValidationReport, folder: Path) -> list[str]:
    """Write ``<file>_rejected.csv`` into ``folder`` for every file with rejected rows (the
    Data page's download); the names written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file, counts in sorted(report.files.items()):
        text = report.rejected_csv(file) if counts.rejected else None
        if text is None:
            continue
        name = f"{file}_rejected.csv"
        # newline="": the text already ends its lines with CRLF (RFC 4180)
        with open(folder / name, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        written.append(name)
    return written


def print_report(data: str, report: ValidationReport, *, fatal: bool, as_json: bool) -> None:
    """Print the report of dataset ``data`` (a URL without its password) as text or JSON."""
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"Dataset: {redact_url(data)}")
        if report.fatal_problems():
            print("This is why the dataset cannot be loaded:")
            for p in report.fatal_problems():
                print(f"  - {p.file}: {p.message}")
            print()
        print(report.summary_text())
        if fatal:
            print("The dataset cannot be loaded until the errors above are fixed.")
    sys.stdout.flush()
