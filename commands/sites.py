"""`cli.py sites`: where to open K new drop-in centres so the most people are within D km of a site.

    python cli.py sites --data data/demo --new 3 --distance-km 5 --json
    python cli.py sites --data data/demo --new 2 --service prep --district Lilongwe
    python cli.py sites --data data/demo --new 5 --candidates places.csv

Candidates are the hotspots' own locations unless --candidates names a file (latitude,
longitude; optional name, district). --district limits hotspots and candidates to one district;
existing sites anywhere count. The output holds proposed locations: when candidates are hotspots
it is hotspot-level detail (confidential). Exit codes: 0 success; 2 bad data or parameters.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from commands.flags import add_data_argument, add_parameter_flags
from commands.plan import _load
from planning import estimates
from planning.parameters import ParameterError, parameter
from planning.plan import HOTSPOT_DETAIL
from planning.siting import propose_sites

HELP = "where to open new drop-in centres (maximal covering location, existing sites fixed)"
_NEW_MAX = 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `cli.py sites`."""
    add_data_argument(parser)
    parser.add_argument(
        "--new", required=True, metavar="K", type=int, help="number of new sites to open (≥ 0)"
    )
    names = ("distance_km", "service", "basis", "level", "duplication")
    add_parameter_flags(parser, [parameter(name) for name in names])
    parser.add_argument("--district", metavar="NAME", help="only this district's hotspots")
    parser.add_argument(
        "--candidates",
        metavar="FILE",
        help="CSV/XLSX of candidate locations (latitude, longitude; optional name, district) "
        "instead of the hotspots' own locations",
    )
    parser.add_argument(
        "--weighted",
        action="store_true",
        help="weight people by dataset.toml [district_weights] (e.g. HIV prevalence)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _value(args: argparse.Namespace, name: str) -> Any:
    raw = getattr(args, name)
    p = parameter(name)
    return p.check(p.default if raw is None else raw)


def run(args: argparse.Namespace) -> int:
    """Load, propose, print; 2 on bad data or parameters."""
    if not 0 <= args.new <= _NEW_MAX:
        print(f"error: --new {args.new}: give 0 to {_NEW_MAX} new sites.", file=sys.stderr)
        return 2
    try:
        values = {n: _value(args, n) for n in ("distance_km", "service", "basis", "level")}
        duplication = _value(args, "duplication")
    except ParameterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    dataset = _load(args.data)
    if dataset is None:
        return 2
    candidates = None
    if args.candidates:
        from data_loaders.candidates import CandidateFileError, load_candidates

        try:
            candidates = load_candidates(args.candidates, dataset.boundaries)
        except CandidateFileError as error:
            print(f"error: --candidates refused:\n{error}", file=sys.stderr)
            return 2
    weights = None
    if args.weighted:
        from planning.plan import district_weights

        try:
            found = district_weights(dataset, dataset.boundaries["district"])
        except ParameterError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if found is None:
            print("error: --weighted: dataset.toml has no [district_weights].", file=sys.stderr)
            return 2
        weights = dict(zip(dataset.boundaries["district"].astype(str), found))
    spots = estimates.hotspot_estimates(
        dataset.hotspots, basis=values["basis"], duplication_rate=duplication
    )
    try:
        new_sites, summary = propose_sites(
            spots,
            dataset.sites,
            dataset.crs_projected,
            k=args.new,
            distance_km=values["distance_km"],
            service=values["service"],
            level=values["level"],
            district=args.district,
            candidates=candidates,
            weights=weights,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = {
        "covered_before": summary["covered_before"],
        "covered_after": summary["covered_after"],
        "new_sites": [
            {
                "latitude": float(r.latitude),
                "longitude": float(r.longitude),
                "district": str(r.district),
                "people_newly_covered": float(r.people_newly_covered),
            }
            for r in new_sites.itertuples(index=False)
        ],
        **{k: v for k, v in summary.items() if k not in ("covered_before", "covered_after")},
        "level_of_detail": HOTSPOT_DETAIL
        if candidates is None
        else "proposed locations from the candidate file; people counted from hotspots",
    }
    if args.json:
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    where = f" in {args.district}" if args.district else ""
    print(
        f"{len(new_sites)} new site(s){where} within {values['distance_km']:g} km: people covered "
        f"{summary['covered_before']:,.0f} → {summary['covered_after']:,.0f} of "
        f"{summary['people']:,.0f} ("
        + (
            "proven optimal"
            if summary["proven_optimal"]
            else f"within {100 * summary['optimality_gap']:.2g}% of optimal"
        )
        + ")."
    )
    for i, r in enumerate(new_sites.itertuples(index=False), start=1):
        print(
            f"{i:>3}. {r.latitude:.5f}, {r.longitude:.5f}  {r.district:<20} "
            f"+{r.people_newly_covered:,.0f} people"
        )
    print(f"Level of detail: {out['level_of_detail']}.")
    return 0
