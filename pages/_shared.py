"""What every page shares (not a page itself): the session's dataset, plans, the privacy switch.

A thin front for the service layer (services/) plus the few layout pieces and ids that more
than one page uses, so that no page imports another page.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any

from dash import html

from components.overview_figures import Headline, boundaries_geojson
from components.shell import DATASET_STORE_ID, not_available_view, synthetic_banner
from planning.plan import Plan
from planning.scenario import Scenario
from planning.schema import Dataset
from services import datasets, plans
from services.access import (
    HotspotDetailRefused,
    aggregate_mode,
    audit,
    data_manager_allowed,
    disclosure_rule,
    hotspot_detail_allowed,
    level_note,
    require_data_manager,
    require_hotspot_detail,
)
from services.plans import default_scenario

# The scenario the planner last chose on Overview or Scenarios (browser session storage).
SCENARIO_SESSION_ID = "scenario-session"

__all__ = [
    "DATASET_STORE_ID",
    "SCENARIO_SESSION_ID",
    "HotspotDetailRefused",
    "aggregate_mode",
    "audit",
    "data_manager_allowed",
    "dataset_or_none",
    "default_scenario",
    "disclosure_note",
    "disclosure_rule",
    "district_geojson",
    "get_dataset_for",
    "get_plan",
    "get_published_plan",
    "hotspot_detail_allowed",
    "level_note",
    "not_available_view",
    "page_header",
    "pe_rule_column_defs",
    "pe_rule_headlines",
    "require_data_manager",
    "require_hotspot_detail",
    "synthetic_banner",
]


def get_dataset_for(dataset_id: str | None) -> Dataset:
    """The Dataset of this browser session (None = the app default).

    Raises DatasetLoadError when the dataset has fatal problems (the shell shows its
    validation summary) and datasets.UnknownDatasetError for an id the server does not know.
    """
    return datasets.get_dataset(dataset_id)


def dataset_key(dataset_id: str | None) -> str:
    """The key of the session's dataset for this viewer (services.datasets.resolve_id: a site
    manager's key names her districts); what page-level caches must be keyed on."""
    return datasets.resolve_id(dataset_id)


def dataset_or_none(dataset_id: str | None) -> Dataset | None:
    """The session's Dataset, or None when it cannot be loaded (the shell shows why)."""
    try:
        result = datasets.load_result(dataset_id)
    except datasets.UnknownDatasetError:
        return None
    return None if isinstance(result, Exception) else result


def get_plan(dataset_id: str | None, scenario: Scenario | None = None) -> Plan:
    """The plan this request may see: the full plan, or in the aggregate-only view the published
    one (menu parameters only, counts rounded, small cells suppressed: planning.disclosure).

    Every page asks here, so no aggregate view can compute with a free parameter.
    """
    if hotspot_detail_allowed():
        return plans.get_plan(dataset_id, scenario)
    return plans.get_published_plan(dataset_id, scenario, disclosure_rule())


def get_published_plan(dataset_id: str | None, scenario: Scenario | None = None) -> Plan:
    """The published (disclosure-controlled) plan, whatever the request may see: for exports
    meant to be shared."""
    return plans.get_published_plan(dataset_id, scenario, disclosure_rule())


def disclosure_note() -> str | None:
    """The disclosure rule to state on an aggregate view (None in full detail)."""
    return None if hotspot_detail_allowed() else disclosure_rule().statement()


def district_geojson(dataset_id: str | None) -> dict[str, Any]:
    """Simplified district polygons of a dataset (district level only), cut to the viewer's
    districts (cached per dataset key: services.datasets.resolve_id)."""
    return _district_geojson(datasets.resolve_id(dataset_id))


@lru_cache(maxsize=16)
def _district_geojson(dataset_key: str) -> dict[str, Any]:
    return boundaries_geojson(get_dataset_for(dataset_key).boundaries)


def pe_rule_headlines(
    headlines: list[Headline], scenario: Scenario, detail: str | None = None
) -> list[Headline]:
    """The headlines with the PE card ("pe") saying which rule gave its count: ``detail`` (default:
    the rule and "summed over districts") and the rule's formula as its tooltip."""
    return [
        dataclasses.replace(
            h,
            detail=detail or f"{scenario.pe_count_rule()}, summed over districts",
            tooltip=f"{scenario.pe_count_formula()} Regions and the nation sum their districts.",
        )
        if h.key == "pe"
        else h
        for h in headlines
    ]


def pe_rule_column_defs(column_defs: list[dict[str, Any]], scenario: Scenario) -> list[dict]:
    """Grid column definitions with the PE column's header tooltip giving the scenario's rule."""
    return [
        {**c, "headerTooltip": scenario.pe_count_formula()}
        if c.get("field") == "peer_educators"
        else c
        for c in column_defs
    ]


def page_header(title: str, subtitle: str = "") -> html.Div:
    """A page title with a one-line explanation below it."""
    children: list[html.H1 | html.P] = [html.H1(title, className="h3 mb-1")]
    if subtitle:
        children.append(html.P(subtitle, className="text-muted mb-3"))
    return html.Div(children, className="page-header")
