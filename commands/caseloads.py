"""`cli.py caseloads`: peer-educator caseloads and ORW groups per district (issue 5), as JSON or
Excel."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping
from typing import Any

from commands.flags import add_data_argument, add_parameter_flags
from data_loaders.dataset import load_dataset
from data_loaders.keep_file import KeepFileError, read_keep_file
from data_loaders.validation import DatasetLoadError
from exports.field_sheets import write_workbook
from planning.caseloads import CaseloadError, CaseloadParams, district_caseloads
from planning.outreach import weekly_calendar
from planning.parameters import FIELD_ALIASES, parameter

HELP = (
    "assign each district's hotspots to peer educators (caseloads) and PEs to outreach-worker "
    "groups"
)


# CaseloadParams fields offered as flags (duplication_rate is the parameter "duplication").
CASELOAD_FLAGS = tuple(
    FIELD_ALIASES.get(f.name, f.name) for f in dataclasses.fields(CaseloadParams)
)


def params_from_args(args: argparse.Namespace, defaults: Mapping[str, Any]) -> CaseloadParams:
    """CaseloadParams of the flags over ``defaults`` (dataset.toml [parameters]); CaseloadError if
    bad."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(CaseloadParams):
        name = FIELD_ALIASES.get(f.name, f.name)
        flag = getattr(args, name, None)
        if flag is not None and flag is not False:
            values[f.name] = flag
        elif name in defaults:
            values[f.name] = defaults[name]
    return CaseloadParams(**values)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: --data, --district, the caseload parameters (planning.parameters), --keep, --json,
    --out."""
    add_data_argument(parser)
    parser.add_argument("--district", metavar="NAME", help="one district (default: every district)")
    add_parameter_flags(
        parser.add_argument_group(
            "caseload parameters (defaults and sources: planning/parameters.py)"
        ),
        [parameter(name) for name in CASELOAD_FLAGS],
    )
    parser.add_argument(
        "--keep",
        metavar="FILE",
        help="CSV/XLSX of previous assignments (hotspot_id, pe_id) to hold fixed",
    )
    parser.add_argument("--json", action="store_true", help="print the caseloads as JSON")
    parser.add_argument(
        "--out",
        metavar="FILE.xlsx",
        help="write field sheets (confidential: hotspot locations) to this Excel file; "
        "needs --district when the dataset has several districts",
    )


def run(args: argparse.Namespace) -> int:
    """Build caseloads; print JSON or a table; write the workbook. 0 on success, 2 on bad
    data/parameters."""
    try:
        dataset = load_dataset(args.data)
    except DatasetLoadError as exc:
        print(f"cli.py caseloads: {exc}", file=sys.stderr)
        return 2
    try:
        params = params_from_args(args, dataset.settings.get("parameters") or {})
        keep = read_keep_file(args.keep) if args.keep else None
        hotspots = dataset.hotspots
        districts = (
            [args.district]
            if args.district
            else sorted(set(hotspots["district"].astype(str)) - {""})
        )
        if args.out and len(districts) != 1:
            raise CaseloadError(
                f"--out {args.out!r} writes one district's field sheets; add --district NAME"
            )
        results = [
            district_caseloads(hotspots, dataset.crs_projected, params, district=d, fixed=keep)
            for d in districts
        ]
    except (CaseloadError, KeepFileError, ValueError) as exc:
        print(f"cli.py caseloads: {exc}", file=sys.stderr)
        return 2
    calendars = [weekly_calendar(r.assignments, r.spots) for r in results]
    if args.out:
        write_workbook(results[0], calendars[0], args.out)
        print(f"wrote {args.out} (confidential: contains hotspot locations)", file=sys.stderr)
    if args.json:
        payload = [r.to_json_dict(c.visits) for r, c in zip(results, calendars)]
        print(json.dumps(payload[0] if args.district else payload, ensure_ascii=False, indent=2))
    else:
        print(
            f"{'district':<20} {'people':>8} {'lower_bound':>11} "
            f"{'PEs':>5} {'ratio':>6} {'ORWs':>5} {'isolated':>8}"
        )
        for r in results:
            people = float(r.assignments["people"].sum())
            orws = r.peer_educators["orw_group"].nunique() if len(r.peer_educators) else 0
            ratio = f"{r.ratio_to_lower_bound:.2f}" if r.lower_bound else "-"
            print(
                f"{r.district:<20} {people:>8.0f} {r.lower_bound:>11} "
                f"{r.pe_count:>5} {ratio:>6} {orws:>5} {r.isolated_hotspots:>8}"
            )
    sys.stdout.flush()
    return 0
