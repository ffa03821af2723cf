"""`cli.py caseloads`: peer-educator caseloads and ORW groups per district (issue 5), as JSON or Excel."""

from __future__ import annotations

import argparse
import json
import sys

from data_loaders.dataset import load_dataset
from data_loaders.keep_file import KeepFileError, read_keep_file
from data_loaders.validation import DatasetLoadError
from exports.field_sheets import write_workbook
from planning.caseloads import (
    AREA_GAP_KM_DEFAULT,
    LOCAL_REACH_FACTOR_DEFAULT,
    MAX_RADIUS_KM_DEFAULT,
    PE_PER_ORW_DEFAULT,
    PEOPLE_PER_PE_DEFAULT,
    CaseloadError,
    CaseloadParams,
    district_caseloads,
)
from planning.outreach import weekly_calendar

HELP = "assign each district's hotspots to peer educators (caseloads) and PEs to outreach-worker groups"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: --data, --district, --people-per-pe, --pe-per-orw, --keep, --keep-typology-apart, --json, --out."""
    parser.add_argument("--data", required=True, metavar="DIR", help="dataset folder")
    parser.add_argument("--district", metavar="NAME", help="one district (default: every district)")
    parser.add_argument(
        "--people-per-pe",
        type=float,
        default=PEOPLE_PER_PE_DEFAULT,
        metavar="N",
        help="caseload cap in people (default 60; 50-75 in DESIGN.md s.3)",
    )
    parser.add_argument(
        "--pe-per-orw",
        type=int,
        default=PE_PER_ORW_DEFAULT,
        metavar="N",
        help="PEs per outreach worker (default 6; DESIGN.md s.3)",
    )
    parser.add_argument(
        "--area-gap-km",
        type=float,
        default=AREA_GAP_KM_DEFAULT,
        metavar="KM",
        help=f"a clean gap this wide separates areas of operation (default {AREA_GAP_KM_DEFAULT})",
    )
    parser.add_argument(
        "--max-radius-km",
        type=float,
        default=MAX_RADIUS_KM_DEFAULT,
        metavar="KM",
        help=f"a caseload spread wider than this from its centre gets one more PE "
        f"(default {MAX_RADIUS_KM_DEFAULT}; inf for fewest PEs)",
    )
    parser.add_argument(
        "--local-reach-factor",
        type=float,
        default=LOCAL_REACH_FACTOR_DEFAULT,
        metavar="F",
        help=f"where spots are dense, a caseload's walking limit is F times the radius around a spot "
        f"that holds one PE's worth of people (default {LOCAL_REACH_FACTOR_DEFAULT}; "
        "inf: only --max-radius-km)",
    )
    parser.add_argument(
        "--keep-typology-apart",
        action="store_true",
        help="venue-based and street-based spots in separate caseloads",
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
    """Build caseloads; print JSON or a table; write the workbook. 0 on success, 2 on bad data/parameters."""
    try:
        dataset = load_dataset(args.data)
    except DatasetLoadError as exc:
        print(f"cli.py caseloads: {exc}", file=sys.stderr)
        return 2
    try:
        params = CaseloadParams(
            people_per_pe=args.people_per_pe,
            pe_per_orw=args.pe_per_orw,
            keep_typology_apart=args.keep_typology_apart,
            area_gap_km=args.area_gap_km,
            max_radius_km=args.max_radius_km,
            local_reach_factor=args.local_reach_factor,
        )
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
    if args.out:
        result = results[0]
        write_workbook(result, weekly_calendar(result.assignments, result.spots), args.out)
        print(f"wrote {args.out} (confidential: contains hotspot locations)", file=sys.stderr)
    if args.json:
        payload = [r.to_json_dict() for r in results]
        print(json.dumps(payload[0] if args.district else payload, ensure_ascii=False, indent=2))
    else:
        print(
            f"{'district':<20} {'people':>8} {'lower_bound':>11} {'PEs':>5} {'ratio':>6} {'ORWs':>5}"
        )
        for r in results:
            people = float(r.assignments["people"].sum())
            orws = r.peer_educators["orw_group"].nunique() if len(r.peer_educators) else 0
            ratio = f"{r.ratio_to_lower_bound:.2f}" if r.lower_bound else "-"
            print(
                f"{r.district:<20} {people:>8.0f} {r.lower_bound:>11} {r.pe_count:>5} {ratio:>6} {orws:>5}"
            )
    sys.stdout.flush()
    return 0
