"""Who may see what, per request: the viewer, her level of detail and district scope
(DESIGN.md s.4; issue 13).

Every callback and download that could return hotspot-level data (coordinates, ids, names,
counts per spot) calls ``require_hotspot_detail()``. The answer follows the request's viewer
(``current_viewer()``: the signed-in user, set by services.auth; the local planner when the
server has no accounts) and the server's mode (``Settings.aggregate_only``, ``app.py
--aggregate``, which makes every viewer a donor). A donor gets the aggregate view; a site
manager gets hotspot detail of her districts only: ``district_scope()`` names them and
services.datasets cuts every dataset to them before any page sees it.

Background jobs run outside the request: the job manager (app.py) passes the viewer of the
request that started the job in the job's callback context, where ``current_viewer()`` finds it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import flask

from planning.disclosure import DisclosureRule
from services import accounts, state
from services.accounts import Viewer, local_viewer
from services.context import current_settings

log = logging.getLogger(__name__)

VIEWER_KEY = "kp_viewer"  # flask.g attribute (requests) and callback-context key (jobs)


class HotspotDetailRefused(PermissionError):
    """Raised when hotspot-level data is asked for and hotspot_detail_allowed() is False."""


class RoleRefused(HotspotDetailRefused):
    """Raised when a viewer's role may not use a page or an action (a 403)."""


# Where a background job finds the viewer it was started for: app.py registers a reader of
# dash's callback context (services never import dash).
_job_context_readers: list[Callable[[], dict[str, Any] | None]] = []


def set_job_context_reader(reader: Callable[[], dict[str, Any] | None]) -> None:
    """Register how to read a background job's callback context (app.py, once)."""
    _job_context_readers[:] = [reader]


def _job_viewer() -> Viewer | None:
    """The viewer a background job was started for (its callback context), or None."""
    for reader in _job_context_readers:
        context = reader()
        found = context.get(VIEWER_KEY) if context else None
        if isinstance(found, dict):
            return Viewer.from_dict(found)
    return None


def current_viewer() -> Viewer:
    """The viewer of this request (set by services.auth), of this background job, or the local
    viewer (no accounts: a planner, or a donor in aggregate-only mode; the CLI)."""
    if flask.has_request_context():
        found = flask.g.get(VIEWER_KEY)
        if isinstance(found, Viewer):
            return found
    job = _job_viewer()
    if job is not None:
        return job
    return local_viewer(current_settings().aggregate_only)


def aggregate_mode() -> bool:
    """True when this request gets district aggregates only (a donor, or ``app.py
    --aggregate``)."""
    return current_settings().aggregate_only or not current_viewer().hotspot_detail


def hotspot_detail_allowed() -> bool:
    """Whether this request may receive hotspot-level data (of its district scope)."""
    return not aggregate_mode()


def district_scope() -> tuple[str, ...] | None:
    """The districts this request may see (a site manager's), or None for every district."""
    return current_viewer().districts


def data_manager_allowed() -> bool:
    """Whether this request may manage the team's datasets (planner or admin, full detail)."""
    return hotspot_detail_allowed() and current_viewer().manages_data


def require_data_manager(what: str = "the Data page") -> None:
    """Raise RoleRefused unless the viewer may manage the team's datasets (planner, admin)."""
    require_hotspot_detail(what)
    viewer = current_viewer()
    if not viewer.manages_data:
        log.warning("refused: %s asked for by a %s", what, viewer.role)
        raise RoleRefused(
            f"{what} is for planners and administrators; your account "
            f"({viewer.role.replace('_', ' ')}) sees the plans and maps of its districts"
        )


def require_hotspot_detail(what: str = "hotspot-level data") -> None:
    """Raise HotspotDetailRefused (and log the refusal) unless hotspot detail is allowed."""
    if not hotspot_detail_allowed():
        log.warning("refused: %s asked for in the aggregate-only view", what)
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


def audit(
    action: str, districts: Iterable[str] | None = None, dataset_id: str | None = None
) -> None:
    """Append a hotspot-level download or export to the audit log: who (this request's or job's
    viewer), when, ``action`` (e.g. "Excel plan"), which districts (``districts``, else the
    viewer's scope, else "all districts")."""
    viewer = current_viewer()
    covered = list(districts) if districts is not None else list(viewer.districts or ["all"])
    accounts.append_audit(
        state.current_store(), viewer, action, covered, dataset_id, viewer.address
    )
    log.info("audit: %s by a %s (%d districts)", action, viewer.role, len(covered))
