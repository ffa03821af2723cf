"""`cli.py import`: validate a dataset folder and write it into PostgreSQL/PostGIS.

    python cli.py import --data data/demo --to postgresql://USER@HOST:PORT/DB?schema=demo
    python cli.py plan --data "postgresql://USER@HOST:PORT/DB?schema=demo"   # the same plan

The folder is validated exactly as `cli.py validate` does and the same report is printed. On
any error nothing is written (exit 2). Otherwise boundaries, hotspots, sites, enrolment and the
dataset settings (dataset.toml) are written into the schema (default public) in one
transaction, replacing an earlier import there (data_loaders/postgis.py has the tables).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from commands.validate import print_report
from data_loaders.dataset import load_dataset, settings_text
from data_loaders.source_url import DatabaseSourceError, is_database_url, parse_url, redact_url
from data_loaders.validation import DatasetLoadError

HELP = "validate a dataset folder and write it into a PostgreSQL/PostGIS schema (one transaction)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `cli.py import`: --data DIR, --to URL."""
    parser.add_argument(
        "--data",
        required=True,
        metavar="DIR",
        help="dataset folder (hotspots, sites, enrolment, boundaries, dataset.toml)",
    )
    parser.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME] (default schema public; "
        "its dataset tables are replaced; PostGIS must be installed or installable there)",
    )


def run(args: argparse.Namespace) -> int:
    """Validate ``args.data``; write it to ``args.to`` when it has no errors. 0 written, 2 not."""
    if is_database_url(args.data):
        print(
            f"cli.py import: --data {redact_url(args.data)} is a database; give the dataset "
            "folder to import (a database is copied with pg_dump --schema)",
            file=sys.stderr,
        )
        return 2
    try:
        target = parse_url(args.to)
    except DatabaseSourceError as exc:
        print(f"cli.py import: --to {exc}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    fatal = False
    try:
        dataset = load_dataset(args.data)
        report = dataset.report
    except DatasetLoadError as exc:
        report, fatal = exc.report, True
    print_report(args.data, report, fatal=fatal, as_json=False)
    if fatal or report.has_errors:
        print(
            f"cli.py import: nothing written to {target.label}: fix the errors above "
            "(cli.py validate shows them too) and import again.",
            file=sys.stderr,
        )
        return 2
    validated = time.perf_counter()

    from data_loaders.postgis import write_dataset  # the database driver only when writing

    try:
        counts = write_dataset(
            args.to,
            dataset,
            report.accepted_rows,
            settings_text=settings_text(args.data),
            imported_from=Path(args.data).resolve().name,
        )
    except DatabaseSourceError as exc:
        print(f"cli.py import: nothing written: {exc}", file=sys.stderr)
        return 2
    done = time.perf_counter()
    print(
        f"Wrote to {target.label} in one transaction: {counts['boundaries']} boundaries, "
        f"{counts['hotspots']} hotspots, {counts['sites']} sites, {counts['enrolment']} "
        f"enrolment rows and the dataset settings (validated in {validated - started:.1f} s, "
        f"written in {done - validated:.1f} s)."
    )
    print(f'Use it with: python cli.py plan --data "{target.label}"')
    sys.stdout.flush()
    return 0
