"""The team's saved scenarios as the Scenarios page uses them: a thin front to the server store.

services.state holds the rows (SQLite under KP_STATE_DIR, or PostgreSQL), shared by every worker,
every browser and `cli.py scenarios`. This module adds what the page needs on top: who saves
(``LOCAL_USER`` until accounts exist, issue 13), which stored dataset a browser session's dataset
is, and a refusal to overwrite another scenario of the same name unless asked to replace it.
Errors are the store's (StateError and its subclasses) and planning.scenario.ScenarioError;
their messages name the value and the fix, so the page shows them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from planning.scenario import Scenario
from services.state import (
    MAX_NAME_CHARS,
    NameTakenError,
    NotStoredError,
    ScenarioRecord,
    StateStore,
    current_store,
)

# "Saved by" until there are accounts (issue 13 adds users; then the signed-in user's name).
LOCAL_USER = "local user"

__all__ = [
    "LOCAL_USER",
    "MAX_NAME_CHARS",
    "NameInUseError",
    "Saved",
    "delete",
    "list_saved",
    "save",
]


class NameInUseError(NameTakenError):
    """Another saved scenario has this name (with other parameters or another dataset); the
    page asks before replacing it. ``existing`` is that scenario."""

    def __init__(self, message: str, existing: ScenarioRecord) -> None:
        super().__init__(message)
        self.existing = existing


@dataclass(frozen=True)
class Saved:
    """A scenario just saved, and a note when its dataset could not be recorded with it."""

    record: ScenarioRecord
    note: str | None = None


def list_saved() -> list[ScenarioRecord]:
    """Every saved scenario of the team, by name."""
    return current_store().list_scenarios()


def _stored_dataset(store: StateStore, dataset_id: str | None) -> tuple[str | None, str | None]:
    """The store's id of a session's dataset (None: the default) and a note when the store does
    not hold it (an upload kept only in this server's upload folder)."""
    if not dataset_id:
        return None, None
    try:
        return store.get_dataset(dataset_id).id, None
    except NotStoredError:
        return None, (
            "This session's dataset is not in the server store, so the scenario is listed on "
            "the default dataset; its link opens the same parameters on any dataset."
        )


def _existing(store: StateStore, name: str) -> ScenarioRecord | None:
    try:
        return store.get_scenario(name)
    except NotStoredError:
        return None


def save(
    name: str,
    query: Mapping[str, Any],
    dataset_id: str | None,
    *,
    replace: bool = False,
    saved_by: str = LOCAL_USER,
) -> Saved:
    """Save the page's scenario ``query`` under ``name`` for the team, on the session's dataset.

    Saving a name again with the same parameters and dataset just updates who and when; with
    others it raises NameInUseError unless ``replace``. Raises ScenarioError for a bad value and
    StateError (the store's message) for a bad name or an unreachable store.
    """
    store = current_store()
    stored_id, note = _stored_dataset(store, dataset_id)
    if not replace:
        existing = _existing(store, name)
        canonical = urlencode(Scenario.from_query(query, strict=True).to_query())
        if existing is not None and (existing.query, existing.dataset_id) != (
            canonical,
            stored_id,
        ):
            raise NameInUseError(
                f"a scenario named {existing.name!r} was saved by {existing.saved_by} on "
                f"{existing.updated_at:%Y-%m-%d %H:%M} UTC with other parameters; replace it, "
                "or choose another name",
                existing,
            )
    record = store.save_scenario(name, query, stored_id, saved_by)
    return Saved(record, note)


def delete(name: str) -> None:
    """Delete saved scenario ``name`` for everyone; NotStoredError when there is none."""
    current_store().delete_scenario(name)
