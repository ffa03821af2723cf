"""What every page shares: the session's dataset, the memoised plan, the privacy switch, headers.

Large frames stay on the server: the browser holds only a dataset id and scenario
parameters; pages call ``get_plan(dataset_id, scenario)`` and send back figures and
small tables (STYLE.md, "Callbacks stay thin").

Privacy (DESIGN.md s.4): ``hotspot_detail_allowed()`` is the single server-side switch.
Every callback that could return hotspot-level data (coordinates, ids, names, counts per
spot) must check it and refuse when it is False. Today it is False for the whole server
in ``--aggregate`` mode; a later access-control issue can make it depend on the user
(``flask.g`` / the session's role) without changing any page.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from functools import lru_cache
from typing import Any

from dash import html

from components.shell import synthetic_banner  # noqa: F401  (re-exported for pages)
from config import load_settings
from data_loaders import store

AGGREGATE_ENV = "KP_AGGREGATE"
DATASET_STORE_ID = "dataset-id"


def aggregate_mode() -> bool:
    """True when the server runs in aggregate-only mode (app.py --aggregate sets KP_AGGREGATE=1)."""
    return load_settings().aggregate_only


def hotspot_detail_allowed() -> bool:
    """Whether this request may receive hotspot-level data (False in aggregate-only mode).

    The single place to add per-user roles later: look up the request's user here.
    """
    return not aggregate_mode()


class HotspotDetailRefused(PermissionError):
    """Raised by a callback asked for hotspot-level data when hotspot_detail_allowed() is False."""


def require_hotspot_detail() -> None:
    """Raise HotspotDetailRefused unless hotspot-level data may be sent to this request."""
    if not hotspot_detail_allowed():
        raise HotspotDetailRefused(
            "hotspot-level data is not available in aggregate-only mode; "
            "ask the administrator for a planner account or use the district views"
        )


def get_dataset_for(dataset_id: str | None) -> Any:
    """The Dataset of this browser session (None = the app default).

    Raises DatasetLoadError when the dataset has fatal problems (the shell shows its
    validation summary) and store.UnknownDatasetError for an id the server does not know.
    """
    return store.get_dataset(dataset_id)


def dataset_or_none(dataset_id: str | None) -> Any:
    """The session's Dataset, or None when it cannot be loaded (the shell shows why)."""
    result = store.load_result(dataset_id) if _known(dataset_id) else None
    return None if result is None or isinstance(result, Exception) else result


def _known(dataset_id: str | None) -> bool:
    try:
        store.resolve_id(dataset_id)
    except store.UnknownDatasetError:
        return False
    return True


# One lock per (dataset, scenario): a page firing three callbacks at once for a scenario that
# is not cached yet builds its plan once, the other two wait for it.
_PLAN_LOCKS: defaultdict[tuple[str, Any], threading.Lock] = defaultdict(threading.Lock)
_PLAN_LOCKS_GUARD = threading.Lock()


@lru_cache(maxsize=64)
def _plan_cached(dataset_key: str, scenario: Any) -> Any:
    from planning.plan import build_plan

    return build_plan(store.get_dataset(dataset_key), scenario)


def default_scenario(dataset_id: str | None) -> Any:
    """The dataset's default Scenario: dataset.toml [parameters] over the Scenario defaults.

    Raises planning.scenario.ScenarioError (naming the parameter) when dataset.toml holds an
    invalid value, so the page can say so instead of planning with something else.
    """
    from planning.scenario import Scenario

    settings = getattr(store.get_dataset(dataset_id), "settings", None) or {}
    params = settings.get("parameters") or {}
    return Scenario.from_query({k: str(v) for k, v in params.items()}) if params else Scenario()


def get_plan(dataset_id: str | None, scenario: Any = None) -> Any:
    """The plan of the session's dataset under ``scenario`` (the dataset's default_scenario when
    None); memoised.

    Keyed on (dataset id, scenario): Scenario is a frozen, hashable dataclass and dataset
    ids are content hashes, so a cached plan is never stale.
    """
    key = store.resolve_id(dataset_id)
    scenario = scenario if scenario is not None else default_scenario(key)
    with _PLAN_LOCKS_GUARD:
        lock = _PLAN_LOCKS[(key, scenario)]
    with lock:
        return _plan_cached(key, scenario)


def page_header(title: str, subtitle: str = "") -> html.Div:
    """A page title with a one-line explanation below it."""
    children: list[Any] = [html.H1(title, className="h3 mb-1")]
    if subtitle:
        children.append(html.P(subtitle, className="text-muted mb-3"))
    return html.Div(children, className="page-header")


def level_note(aggregate: bool | None = None) -> str:
    """The level-of-detail statement every export and shared view carries (DESIGN.md s.4)."""
    agg = aggregate_mode() if aggregate is None else aggregate
    return ("Level of detail: district aggregates only (no hotspot locations)." if agg
            else "Level of detail: hotspot locations included — restricted, do not share publicly.")
