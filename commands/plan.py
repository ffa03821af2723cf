"""`cli.py plan`: the resource plan of one scenario for a whole country, as a table, JSON or Excel.

    python cli.py plan --data data/demo                        # short table in the terminal
    python cli.py plan --data data/demo --json                 # schemas/plan.schema.json
    python cli.py plan --data data/demo --max-pe 300 --out plan.xlsx

Defaults come from planning.parameters (with their sources), then the
dataset's dataset.toml [parameters], then these flags. Exit codes: 0 success; 2 bad data (the
validation report goes to stderr) or bad parameters (one message); no traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from commands.flags import add_data_argument, add_parameter_flags
from data_loaders.source_url import redact_url
from planning.parameters import in_group
from planning.plan import Plan, build_plan
from planning.scenario import SCENARIO_GROUPS, Scenario, ScenarioError

HELP = "resource plan (PEs, ORWs, commodities, costs, allocation under a cap) for a dataset"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `cli.py plan`, generated from planning.parameters (checked by Scenario)."""
    add_data_argument(parser)
    g = parser.add_argument_group("scenario (defaults and sources: planning/parameters.py)")
    add_parameter_flags(g, in_group("scenario"))
    add_parameter_flags(parser.add_argument_group("costs (optional; USD)"), in_group("costs"))
    cap = parser.add_argument_group(
        "cap (optional, one of the two): the allocation that covers the most people"
    ).add_mutually_exclusive_group()
    add_parameter_flags(cap, in_group("cap"))
    add_parameter_flags(
        parser.add_argument_group("allocation model under a cap (planning/allocation_opt.py)"),
        in_group("allocation"),
    )
    add_parameter_flags(
        parser.add_argument_group("new sites (planning/siting.py; `cli.py sites` lists them)"),
        in_group("sites"),
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--json", action="store_true", help="print one JSON object (schemas/plan.schema.json)"
    )
    out.add_argument("--out", metavar="PLAN.xlsx", help="write an Excel workbook")
    out.add_argument(
        "--dhis2-out",
        metavar="FILE.json",
        help="write the district estimates and targets as a DHIS2 data value set (data elements "
        "from dataset.toml [dhis2.export.data_elements]; org units from DHIS2 boundaries or "
        "org_units.json)",
    )
    out.add_argument(
        "--dhis2-period",
        metavar="PERIOD",
        help="DHIS2 period of --dhis2-out, e.g. 2025, 2025Q1, 202501 (default: [dhis2.export] "
        "period)",
    )
    out.add_argument(
        "--aggregate-only",
        dest="aggregate_only",
        action="store_true",
        help="leave hotspot-level rows out of the workbook (donor/public use)",
    )


def scenario_from_args(
    args: argparse.Namespace, defaults: dict[str, Any] | None = None
) -> Scenario:
    """The Scenario of the flags on top of ``defaults`` (dataset.toml [parameters]); raises
    ScenarioError."""
    values: dict[str, Any] = dict(defaults or {})
    for p in in_group(*SCENARIO_GROUPS):
        value = getattr(args, p.name, None)
        if value is not None:
            values[p.name] = value
    return Scenario.from_query(values, strict=True)


def _load(path: str):
    from data_loaders.dataset import load_dataset
    from data_loaders.validation import DatasetLoadError

    try:
        dataset = load_dataset(path)
    except DatasetLoadError as error:
        report = getattr(error, "report", None)
        print(report.summary_text() if report is not None else str(error), file=sys.stderr)
        return None
    if dataset.report is not None and dataset.report.has_errors:
        print(dataset.report.summary_text(), file=sys.stderr)
        print("plan refused: fix the rows above (or remove them) and run again.", file=sys.stderr)
        return None
    return dataset


def _fmt(value: Any, kind: str = "int") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "pct":
        return f"{value:.0%}"
    return f"{value:,.0f}"


def render_table(plan: Plan) -> str:
    """A short terminal table of the plan: districts in priority order, then totals and
    parameters."""
    d = plan.districts.sort_values("priority_rank")
    capped = "funded_peer_educators" in d.columns
    distance = plan.scenario.distance_km
    headers = [
        "#",
        "District",
        "Region",
        "Pop",
        "Enrolled",
        "Coverage",
        "Gap",
        "PEs",
        "ORWs",
        "Condoms/mo",
        f"≤{distance:g}km",
    ]
    if capped:
        headers += ["Funded", "Covered"]
    rows = []
    for r in d.itertuples(index=False):
        row = [
            str(r.priority_rank),
            str(r.district)[:22],
            str(r.region)[:12],
            _fmt(r.planning_population),
            _fmt(r.enrolled),
            _coverage_range(r.coverage_low, r.coverage_high),
            _fmt(r.gap),
            _fmt(r.peer_educators),
            _fmt(r.outreach_workers),
            _fmt(r.condoms_per_month),
            _fmt(r.share_within_distance, "pct"),
        ]
        if capped:
            row += [_fmt(r.funded_peer_educators), _fmt(r.covered_population)]
        rows.append(row)
    t = plan.totals
    total = [
        "",
        "Total",
        f"{t['districts']} districts",
        _fmt(t["planning_population"]),
        _fmt(t["enrolled"]),
        _coverage_range(t["coverage_low"], t["coverage_high"]),
        _fmt(t["gap"]),
        _fmt(t["peer_educators"]),
        _fmt(t["outreach_workers"]),
        _fmt(t["condoms_per_month"]),
        _fmt(t["share_within_distance"], "pct"),
    ]
    if capped:
        total += [_fmt(t["funded_peer_educators"]), _fmt(t["covered_population"])]
    widths = [max(len(h), *(len(x[i]) for x in rows + [total])) for i, h in enumerate(headers)]
    left = {1, 2}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
        )

    s, p = plan.scenario, plan.parameters
    out = []
    if plan.synthetic:
        out.append("SYNTHETIC DEMO DATA")
    out.append(
        f"{plan.dataset_name}: plan on {s.basis}-day {s.level} estimates, target {s.target:.0%}, "
        f"1 PE per {s.people_per_pe:g}, 1 ORW per {s.pe_per_orw:g} PEs, "
        f"{s.condoms_per_person_month:g} condoms/person/month, "
        f"enrolment {p['period'] or 'none'}"
    )
    out += (
        [line(headers), line(["-" * w for w in widths])]
        + [line(r) for r in rows]
        + [line(["-" * w for w in widths]), line(total)]
    )
    out.append("Pop = planning population; Gap = target × Pop − enrolled.")
    out.append(
        "Coverage = enrolled ÷ high .. enrolled ÷ low estimate (the mapping's min–max range)."
    )
    out.append(
        f"Lubricant {_fmt(t['lubricant_per_month'])} sachets/month; "
        f"HIV test kits {_fmt(t['test_kits_per_month'])}/month."
    )
    if s.costed:
        missing = f" (not costed: {', '.join(p['not_costed'])})" if p["not_costed"] else ""
        out.append(
            f"Cost: USD {_fmt(t['cost_usd_month'])}/month, "
            f"USD {_fmt(t['cost_usd_year'])}/year{missing}."
        )
    else:
        out.append(
            "Cost: not costed (give --pe-stipend, --orw-salary, --condom-cost ... "
            "to cost the plan)."
        )
    if plan.allocation_totals:
        a = plan.allocation_totals
        how = (
            f"budget USD {s.budget_usd_month:,.0f}/month"
            if s.budget_usd_month is not None
            else f"cap of {a['cap_peer_educators']:,} PEs"
        )
        out.append(
            f"Allocation ({how}): {a['funded_peer_educators']:,} of "
            f"{a['peer_educators_needed']:,} PEs needed funded in "
            f"{a['districts_funded_optimal']:,} districts, covering "
            f"{a['covered_population_optimal']:,.0f} people; priority order "
            f"{a['covered_population_priority_order']:,.0f}, even spread "
            f"{a['covered_population_even']:,.0f}, proportional to size "
            f"{a['covered_population_proportional']:,.0f}."
        )
        out.append(str(a["recommended"]))
    if plan.new_sites_totals:
        n = plan.new_sites_totals
        out.append(
            f"{len(plan.new_sites) if plan.new_sites is not None else 0} proposed drop-in "
            f"centre(s) added to the plan: people within {n['distance_km']:g} km of a site "
            f"{n['covered_before']:,.0f} → {n['covered_after']:,.0f} (`cli.py sites` lists them)."
        )
    for note in plan.warnings:
        out.append(f"Note: {note}")
    return "\n".join(out)


def _coverage_range(low: Any, high: Any) -> str:
    """Coverage as the range the mapping's min–max counts give, e.g. "53–91%"."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    return f"{low * 100:.0f}–{high * 100:.0f}%"


def _write_dhis2(plan: Plan, dataset: Any, args: argparse.Namespace) -> bool:
    """Write ``--dhis2-out``; False (the reason on stderr) when it cannot be written."""
    from pathlib import Path

    from data_loaders.dhis2 import Dhis2Error, org_unit_ids
    from exports.dhis2 import Dhis2ExportError, data_value_set, export_settings

    try:
        export = export_settings(dataset.settings or {}, args.dhis2_period)
        folder = Path(dataset.source_dir) if dataset.source_dir else None
        payload = data_value_set(plan, export, org_unit_ids(dataset.boundaries, folder))
        with open(args.dhis2_out, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False, indent=1)
    except (Dhis2Error, Dhis2ExportError) as error:
        print(f"error: --dhis2-out: {error}", file=sys.stderr)
        return False
    except OSError as error:
        print(
            f"error: cannot write --dhis2-out {args.dhis2_out}: {error.strerror or error}; "
            "choose a writable path.",
            file=sys.stderr,
        )
        return False
    if not args.json:
        print(
            f"Wrote {args.dhis2_out}: {len(payload['dataValues'])} DHIS2 data values for period "
            f"{export.period} (district aggregates only)."
        )
    return True


def run(args: argparse.Namespace) -> int:
    """Load, plan, print (table or JSON) and optionally write the workbook; 2 on bad data or
    parameters."""
    dataset = _load(args.data)
    if dataset is None:
        return 2
    defaults = dict((dataset.settings or {}).get("parameters", {}) or {})
    try:
        Scenario.from_query(defaults, strict=True)
    except ScenarioError as error:
        where = redact_url(args.data)
        print(f"error: dataset.toml [parameters] in {where}: {error}", file=sys.stderr)
        return 2
    try:
        scenario = scenario_from_args(args, defaults)
        plan = build_plan(dataset, scenario)
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.out:
        from exports.excel_plan import write_plan_xlsx

        try:
            written = write_plan_xlsx(plan, args.out, aggregate_only=args.aggregate_only)
        except OSError as error:
            print(
                f"error: cannot write --out {args.out}: {error.strerror or error}; "
                "choose a writable path.",
                file=sys.stderr,
            )
            return 2
        if not args.json:
            contents = (
                "district aggregates only"
                if args.aggregate_only
                else "includes hotspot locations: confidential"
            )
            print(f"Wrote {written} ({contents}).")
    if args.dhis2_out and not _write_dhis2(plan, dataset, args):
        return 2
    if args.json:
        json.dump(plan.to_json_dict(), sys.stdout, ensure_ascii=False, indent=1, allow_nan=False)
        sys.stdout.write("\n")
    else:
        print(render_table(plan))
    return 0
