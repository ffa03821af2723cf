"""Who may see what: the single server-side switch for hotspot-level data (DESIGN.md s.4).

Every callback and download that could return hotspot-level data (coordinates, ids, names,
counts per spot) calls ``require_hotspot_detail()``. Today the answer follows the server's mode
(``Settings.aggregate_only``, set by ``app.py --aggregate``); per-user roles plug in here
without changing any page.
"""

from __future__ import annotations

import logging

from planning.disclosure import DisclosureRule
from services.context import current_settings

log = logging.getLogger(__name__)


class HotspotDetailRefused(PermissionError):
    """Raised when hotspot-level data is asked for and hotspot_detail_allowed() is False."""


def aggregate_mode() -> bool:
    """True when the app serves district aggregates only (``app.py --aggregate``)."""
    return current_settings().aggregate_only


def hotspot_detail_allowed() -> bool:
    """Whether this request may receive hotspot-level data (False in aggregate-only mode)."""
    return not aggregate_mode()


def require_hotspot_detail(what: str = "hotspot-level data") -> None:
    """Raise HotspotDetailRefused (and log the refusal) unless hotspot detail is allowed."""
    if not hotspot_detail_allowed():
        log.warning("refused: %s asked for in aggregate-only mode", what)
        raise HotspotDetailRefused(
            f"{what} is not available in the aggregate-only view; "
            "ask the administrator for a planner account or use the district views"
        )


def level_note(aggregate: bool | None = None) -> str:
    """The level-of-detail statement every export and shared view carries (DESIGN.md s.4)."""
    agg = aggregate_mode() if aggregate is None else aggregate
    return (
        "Level of detail: district aggregates only (no hotspot locations). "
        + disclosure_rule().statement()
        if agg
        else "Level of detail: hotspot locations included — restricted, do not share publicly."
    )


def disclosure_rule() -> DisclosureRule:
    """The disclosure rule of aggregate-only views, from the settings."""
    settings = current_settings()
    return DisclosureRule(
        rounding_base=settings.disclosure_rounding,
        min_hotspots=settings.disclosure_min_hotspots,
        min_people=settings.disclosure_min_people,
    )
