"""What the Outreach and Scenarios pages' helper functions return: small frozen records with
named, typed fields.

They live here, not in the page modules, because Dash executes a page module without putting it
in sys.modules, and ``@dataclass`` looks its class's module up there (the app would not start).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import dash_ag_grid as dag
import pandas as pd
import plotly.graph_objects as go

from components.overview_figures import Headline
from planning.caseloads import CaseloadResult
from planning.outreach import OutreachCalendar, Slot
from planning.plan import Plan
from planning.scenario import Scenario

# --- Outreach -----------------------------------------------------------------------------------


class Area(NamedTuple):
    """What the Outreach page plans: a district, or a service site's catchment within
    ``distance_km`` (a cache key)."""

    kind: str  # DISTRICT or SITE (pages/outreach.py)
    key: str  # the district's name or the site's site_id
    distance_km: float = 0.0  # sites only


class AreaInfo(NamedTuple):
    """How the Outreach page names an area: label (titles, sheets), note (the sentence above the
    summary), hotspot count, the site drawn on the map (None for a district) and a slug for file
    names."""

    label: str
    note: str
    hotspots: int
    site: dict[str, Any] | None
    slug: str


@dataclass(frozen=True)
class OutreachArgs:
    """The Outreach page's checked choice: the arguments of ``pages.outreach.compute``."""

    dataset_key: str
    area: Area
    people_per_pe: float
    hours_per_day: float
    keep_apart: bool
    walking_limit_km: float

    def memo_key(self) -> tuple[str, Area, float, float, bool, float]:
        """The arguments of ``pages.outreach.compute`` (its memo key), in its order."""
        return (
            self.dataset_key,
            self.area,
            self.people_per_pe,
            self.hours_per_day,
            self.keep_apart,
            self.walking_limit_km,
        )


@dataclass(frozen=True)
class OutreachResult:
    """The Outreach page's work for one area and parameter set (``pages.outreach.compute``)."""

    caseloads: CaseloadResult
    calendar: OutreachCalendar
    presence: pd.DataFrame  # people present by day × hour (planning.outreach.presence_grid)
    slots: list[Slot]
    info: AreaInfo


# --- Scenarios ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioResults:
    """Totals, PE map, district grid and cap allocation of one scenario (district level only)."""

    scenario: Scenario
    plan: Plan
    headlines: list[Headline]
    grid: dag.AgGrid
    map_figure: go.Figure
    allocation_text: str | None = None  # only under a cap
    allocation_figure: go.Figure | None = None
    allocation_table: pd.DataFrame | None = None  # the four allocations side by side
    new_sites_text: str | None = None  # only when the scenario proposes new sites
    new_sites_table: pd.DataFrame | None = None
