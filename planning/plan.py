"""The plan orchestrator: one Dataset and one Scenario in, every planning table out (DESIGN.md s.3).

build_plan chains the pure steps: hotspot estimates (basis, duplication) → district roll-up →
enrolment and coverage (level, target, period) → geographic access (distance_km, service) →
resources (PEs, ORWs, commodities, costs) → priority rank → allocation under a cap. PEs per
district follow the scenario's ``pe_count_from``: the ratio rule, or the district's caseload
count (``caseload_counts``: the caseloads planning.caseloads makes, as the Outreach page does).
Regions and the nation are SUMS of their districts (PEs and ORWs are hired district by
district; gaps do not cancel across districts); ratios (coverage, density, share within
distance) are recomputed from the summed numerators and denominators.

``Plan.hotspots`` holds hotspot locations: it never goes into ``to_json_dict`` or an
aggregate-only export (DESIGN.md s.4).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from planning import access, coverage, estimates, priority
from planning._frames import text_column
from planning.allocation import allocate, allocation_summary, alternatives
from planning.caseloads import CaseloadParams, district_caseloads
from planning.coverage import COVERAGE_COLUMNS
from planning.estimates import ESTIMATE_COLUMNS
from planning.resources import RESOURCE_COLUMNS, resource_table
from planning.scenario import Scenario, ScenarioError
from planning.schema import SERVICES, Dataset
from planning.siting import propose_sites

# Columns of a district row in the plan (and of `cli.py plan --json`), in order.
DISTRICT_COLUMNS = [
    "district", "region", "hotspots", *ESTIMATE_COLUMNS, "planning_population", "enrolled",
    *COVERAGE_COLUMNS, "gap", *RESOURCE_COLUMNS,
    "share_within_distance", "estimate_within_distance", "unserved_hotspots",
    "density_per_km2", "area_km2", "priority_rank", "priority_score",
]  # fmt: skip
CAP_COLUMNS = ["funded_peer_educators", "covered_population"]
# Summed from districts to regions and the nation.
SUM_COLUMNS = [
    "hotspots", *ESTIMATE_COLUMNS, "planning_population", "enrolled", "gap", *RESOURCE_COLUMNS,
    "estimate_within_distance", "unserved_hotspots", "area_km2", *CAP_COLUMNS,
]  # fmt: skip
INT_COLUMNS = {
    "hotspots", "enrolled", "peer_educators", "outreach_workers", "unserved_hotspots",
    "priority_rank", "funded_peer_educators",
}  # fmt: skip
HOTSPOT_DETAIL = "hotspot-level: contains locations — handle as confidential"
AGGREGATE_DETAIL = "district aggregates: no hotspot locations"


@dataclass(frozen=True)
class Plan:
    """Every table of one scenario on one dataset; frames are new (never views of the dataset)."""

    scenario: Scenario
    parameters: dict[str, Any]
    national: pd.DataFrame
    regions: pd.DataFrame
    districts: pd.DataFrame
    hotspots: pd.DataFrame
    totals: dict[str, Any]
    allocation: pd.DataFrame | None = None
    allocation_totals: dict[str, Any] | None = None
    # Proposed new sites (planning.siting; scenario.new_sites > 0): they stand on hotspot
    # locations, so like ``hotspots`` they never go into ``to_json_dict`` or an aggregate view.
    new_sites: pd.DataFrame | None = None
    new_sites_totals: dict[str, Any] | None = None
    dataset_name: str = ""
    synthetic: bool = False
    warnings: list[str] = field(default_factory=list)
    # The disclosure rule applied (planning.disclosure) when this is an aggregate-only view.
    disclosure: str | None = None

    def without_hotspots(self) -> Plan:
        """The same plan with an empty hotspot table: safe for aggregate-only views and exports."""
        return replace(
            self,
            new_sites=None,
            new_sites_totals=None,
            hotspots=self.hotspots.iloc[0:0][
                [c for c in self.hotspots.columns if c not in ("latitude", "longitude")]
            ],
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The `cli.py plan --json` object (schemas/plan.schema.json): district aggregates only.

        NaN and infinities become null, integer columns ints.
        """
        out: dict[str, Any] = {
            "dataset": {
                "name": self.dataset_name,
                "synthetic": self.synthetic,
                "level_of_detail": AGGREGATE_DETAIL,
            },
            "parameters": _json_value(self.parameters),
            "totals": _json_value(self.totals),
            "regions": _records(self.regions),
            "districts": _records(self.districts),
        }
        if self.allocation_totals is not None:
            out["allocation"] = _json_value(self.allocation_totals)
            out["allocation_alternatives"] = _json_value(alternatives(self.allocation_totals))
        if self.new_sites_totals is not None:  # totals only: the sites stand on hotspots
            out["new_sites"] = _json_value(self.new_sites_totals)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for record in frame.to_dict(orient="records"):
        row = {}
        for key, value in record.items():
            value = _json_value(value)
            if key in INT_COLUMNS and isinstance(value, float):
                value = int(value)
            row[key] = value
        rows.append(row)
    return rows


def safe_ratio(numerator: pd.Series, denominator: pd.Series) -> np.ndarray:
    """numerator ÷ denominator per row; NaN where the denominator is 0 or missing."""
    num = numerator.to_numpy(dtype="float64")
    den = denominator.to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def recompute_ratios(areas: pd.DataFrame) -> None:
    """Coverage (low/mid/high), share within the access distance and density of ``areas``,
    recomputed in place from its counts (NaN where a denominator is 0 or missing)."""
    areas["coverage_low"] = safe_ratio(areas["enrolled"], areas["estimate_high"])
    areas["coverage_mid"] = safe_ratio(areas["enrolled"], areas["estimate_mid"])
    areas["coverage_high"] = safe_ratio(areas["enrolled"], areas["estimate_low"])
    areas["share_within_distance"] = safe_ratio(
        areas["estimate_within_distance"], areas["planning_population"]
    )
    if "area_km2" in areas:
        areas["density_per_km2"] = safe_ratio(areas["estimate_mid"], areas["area_km2"])


def aggregate(districts: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Regions (``by="region"``) or the nation (``by=None``) as sums of district rows.

    Ratios are recomputed from the sums.
    """
    columns = [c for c in SUM_COLUMNS if c in districts.columns]
    if by is None:
        summed = districts[columns].sum(min_count=0).to_frame().T
        for c in ("cost_usd_month", "cost_usd_year"):
            if c in columns:
                summed[c] = districts[c].sum(min_count=1)
        summed.insert(0, "level", "national")
    else:
        grouped = districts.groupby(by, sort=True)
        summed = grouped[columns].sum(min_count=0)
        for c in ("cost_usd_month", "cost_usd_year"):
            if c in columns:
                summed[c] = grouped[c].sum(min_count=1)
        summed.insert(0, "districts", grouped.size())
        summed = summed.reset_index()
    recompute_ratios(summed)
    for c in INT_COLUMNS & set(summed.columns):
        summed[c] = summed[c].astype("int64")
    for c in set(columns) - INT_COLUMNS:
        summed[c] = summed[c].astype("float64")
    return summed.reset_index(drop=True)


def caseload_counts(
    dataset: Dataset,
    *,
    people_per_pe: float,
    basis: str,
    level: str,
    duplication: float,
) -> pd.Series:
    """Caseloads per district: ``district_caseloads(...).pe_count`` of each district's hotspots
    at these people per PE, basis, level and duplication and the default walking limit (what the
    Outreach page makes). Indexed by district name (the hotspots' district column), int64; a
    district without hotspots is absent (it needs 0)."""
    hotspots = dataset.hotspots
    params = CaseloadParams(
        people_per_pe=people_per_pe, basis=basis, level=level, duplication_rate=duplication
    )
    names = sorted(set(text_column(hotspots, "district")))
    counts = {
        name: district_caseloads(hotspots, dataset.crs_projected, params, district=name).pe_count
        for name in names
    }
    return pd.Series(counts, dtype="int64", name="caseloads").rename_axis("district")


def scenario_caseload_counts(dataset: Dataset, scenario: Scenario) -> pd.Series:
    """``caseload_counts`` at the scenario's people per PE, basis, level and duplication."""
    return caseload_counts(
        dataset,
        people_per_pe=scenario.people_per_pe,
        basis=scenario.basis,
        level=scenario.level,
        duplication=scenario.duplication,
    )


def with_new_sites(
    sites: pd.DataFrame, new_sites: pd.DataFrame, service: str | None
) -> pd.DataFrame:
    """``sites`` plus the proposed ones as drop-in centres (ids NEW-01, ...) offering ``service``
    (every service when None), for the access figures of a plan that adds them."""
    added = pd.DataFrame(
        {
            "site_id": [f"NEW-{i:02d}" for i in range(1, len(new_sites) + 1)],
            "name": [f"Proposed drop-in centre {i}" for i in range(1, len(new_sites) + 1)],
            "latitude": new_sites["latitude"].to_numpy(dtype="float64"),
            "longitude": new_sites["longitude"].to_numpy(dtype="float64"),
            "site_type": "drop_in_centre",
            "district": new_sites["district"].astype(str).to_numpy(),
            "services": service or ";".join(SERVICES),
        }
    )
    columns = ["site_id", "name", "latitude", "longitude", "site_type", "district", "services"]
    base = pd.DataFrame({c: sites[c].to_numpy() if c in sites else "" for c in columns})
    return pd.concat([base, added], ignore_index=True)


def district_weights(dataset: Dataset, districts: pd.Series) -> np.ndarray | None:
    """Weights of the people covered per district (e.g. HIV prevalence among the key
    population), from dataset.toml ``[district_weights]`` (district = weight); districts not
    listed weigh 1. None when the dataset gives none; ScenarioError naming the entry when a
    weight is not a number ≥ 0 or names no district."""
    given = (dataset.settings or {}).get("district_weights")
    if not given:
        return None
    known = set(districts.astype(str))
    problems, weights = [], {}
    for name, raw in dict(given).items() if isinstance(given, dict) else []:
        value = raw if isinstance(raw, int | float) and not isinstance(raw, bool) else None
        if value is None or not math.isfinite(value) or value < 0:
            problems.append(f'"{name}" = {raw!r} is not a number ≥ 0')
        elif str(name) not in known:
            problems.append(f'"{name}" is not a district of the boundaries')
        else:
            weights[str(name)] = float(value)
    if problems or not isinstance(given, dict):
        raise ScenarioError(
            "dataset.toml [district_weights]: "
            + ("; ".join(problems) or "give a table of district = weight")
            + ". Give each district's weight as a number ≥ 0 (e.g. HIV prevalence, 0.29)."
        )
    mapped: np.ndarray = districts.astype(str).map(weights).fillna(1.0).to_numpy(dtype="float64")
    return mapped


def build_plan(
    dataset: Dataset,
    scenario: Scenario,
    *,
    caseloads: Mapping[str, int] | pd.Series | None = None,
) -> Plan:
    """The full plan of ``scenario`` on ``dataset`` (pure: the dataset is not modified).

    When the scenario counts PEs from caseloads, ``caseloads`` (district -> caseload count, as
    ``scenario_caseload_counts`` gives; a cache passes it) is used, else computed here; it is
    refused for a scenario on the ratio rule. Raises ScenarioError when a parameter does not fit
    the data (e.g. a period with no records).
    """
    s = scenario
    if caseloads is not None and not s.pe_from_caseloads:
        raise ScenarioError(
            "build_plan: caseload counts given but the scenario counts PEs at "
            f"1 per {s.people_per_pe:g} people; set pe_count_from to 'caseloads' to use them."
        )
    hotspot_est = estimates.hotspot_estimates(
        dataset.hotspots, basis=s.basis, duplication_rate=s.duplication
    )
    district_est = estimates.rollup(hotspot_est, dataset.boundaries, level="district")
    if s.period is not None:
        available = coverage.periods(dataset.enrolment)
        if s.period not in available:
            raise ScenarioError(
                f"period {s.period!r} has no enrolment records in {dataset.name!r}; choose one of "
                f"{', '.join(available) or '(none: the dataset has no enrolment)'} "
                "or leave it empty for the latest."
            )
    enrolled = coverage.enrolled_by_district(dataset.enrolment, dataset.boundaries, period=s.period)
    used_period = str(enrolled["period"].iloc[0]) if len(enrolled) else ""
    covered = coverage.coverage_table(district_est, enrolled, level=s.level, target=s.target)

    weights = district_weights(dataset, dataset.boundaries["district"])
    new_sites, new_sites_summary = None, None
    sites = dataset.sites
    if s.new_sites > 0:
        new_sites, new_sites_summary = propose_sites(
            hotspot_est,
            dataset.sites,
            dataset.crs_projected,
            k=s.new_sites,
            distance_km=s.distance_km,
            service=s.service,
            level=s.level,
        )
        sites = with_new_sites(dataset.sites, new_sites, s.service)
    nearest = access.nearest_site_km(
        dataset.hotspots, sites, dataset.crs_projected, service=s.service
    )
    reach = access.access_by_district(
        hotspot_est,
        nearest,
        distance_km=s.distance_km,
        level=s.level,
        boundaries=dataset.boundaries,
    )
    districts = covered.merge(reach, on="district", how="left")
    districts["estimate_within_distance"] = districts["estimate_within_distance"].fillna(0.0)
    districts["unserved_hotspots"] = districts["unserved_hotspots"].fillna(0).astype("int64")

    district_caseload_counts = None
    if s.pe_from_caseloads:
        found = pd.Series(
            caseloads if caseloads is not None else scenario_caseload_counts(dataset, s),
            dtype="float64",
        )
        district_caseload_counts = (
            districts["district"].map(found).fillna(0.0).to_numpy(dtype="float64")
        )
    districts = resource_table(districts, s, caseloads=district_caseload_counts)
    districts = priority.rank_districts(districts)

    cap = None
    alloc = alloc_totals = None
    if s.cap is not None:
        named = (
            dict(zip(dataset.boundaries["district"].astype(str), weights))
            if weights is not None
            else {}
        )
        alloc = allocate(
            districts,
            s,
            weights=None if weights is None else districts["district"].map(named).fillna(1.0),
        )
        districts["funded_peer_educators"] = alloc["funded_peer_educators"].to_numpy()
        districts["covered_population"] = alloc["covered_population"].to_numpy()
        alloc_totals = allocation_summary(alloc, s)
        cap = alloc_totals["cap_peer_educators"]

    order = DISTRICT_COLUMNS + (CAP_COLUMNS if cap is not None else [])
    districts = districts[[c for c in order if c in districts.columns]].reset_index(drop=True)
    districts["priority_rank"] = districts["priority_rank"].astype("int64")

    regions = aggregate(districts, "region")
    national = aggregate(districts, None)
    national.insert(1, "name", dataset.name)
    totals = {k: v for k, v in national.iloc[0].to_dict().items() if k not in ("level", "name")}
    totals["districts"] = len(districts)

    hotspots = hotspot_est.copy()
    hotspots["planning_population"] = hotspots[f"estimate_{s.level}"]
    hotspots = hotspots.merge(
        nearest[["hotspot_id", "nearest_site_id", "distance_km"]], on="hotspot_id", how="left"
    )
    hotspots["within_distance"] = hotspots["distance_km"].to_numpy() <= s.distance_km

    parameters = s.to_dict()
    parameters["period"] = used_period
    parameters["cap_peer_educators"] = cap
    parameters["pe_count_rule"] = s.pe_count_rule()
    parameters["cost_usd_per_pe_month"] = s.cost_usd_per_pe_month() if s.costed else None
    parameters["not_costed"] = [
        c
        for c in s.to_dict()
        if c.endswith(("_usd_month", "_cost_usd"))
        and c != "budget_usd_month"
        and getattr(s, c) is None
    ]
    return Plan(
        scenario=s,
        parameters=parameters,
        national=national,
        regions=regions,
        districts=districts,
        hotspots=hotspots,
        totals=totals,
        allocation=alloc,
        allocation_totals=alloc_totals,
        new_sites=new_sites,
        new_sites_totals=new_sites_summary,
        dataset_name=dataset.name,
        synthetic=bool(dataset.synthetic),
        warnings=s.warnings(),
    )


__all__ = [
    "CAP_COLUMNS",
    "DISTRICT_COLUMNS",
    "RESOURCE_COLUMNS",
    "Plan",
    "aggregate",
    "build_plan",
    "caseload_counts",
    "scenario_caseload_counts",
]
