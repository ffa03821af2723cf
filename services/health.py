"""``/healthz``: whether this worker can serve, for a load balancer or a person checking.

Answers 200 with the default dataset's status (loaded, refused, or not loaded yet: a health check
never starts a load), the datasets this worker holds and their memory, and the server state's
store; 503 when the default dataset was refused or the store cannot be reached. Never a hotspot
id, name or coordinate, and never a password.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import flask

from services import datasets
from services.context import current_settings

log = logging.getLogger(__name__)


def _store_status() -> dict[str, Any]:
    """The state store's backend and whether a query answers (services.state)."""
    from services import state  # the store's driver only when it is asked for

    started = time.perf_counter()
    try:
        store = state.current_store()
        scenarios = len(store.list_scenarios())
        stored = len(store.list_datasets())
    except Exception as exc:  # a health check reports any failure, never raises
        log.warning("health check: state store unavailable: %s", type(exc).__name__)
        return {"ok": False, "error": type(exc).__name__}
    return {
        "ok": True,
        "backend": store.backend,
        "datasets": stored,
        "scenarios": scenarios,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


def health_status() -> tuple[dict[str, Any], int]:
    """The /healthz body and status code."""
    settings = current_settings()
    cache = datasets.cache_status()
    loaded = cache["loaded"]
    assert isinstance(loaded, dict)
    default = loaded.get(datasets.DEFAULT_ID)
    dataset_state = (
        "not loaded yet" if default is None else "refused" if default == "refused" else "loaded"
    )
    store = _store_status()
    ok = dataset_state != "refused" and bool(store["ok"])
    body = {
        "status": "ok" if ok else "unavailable",
        "mode": "aggregate-only" if settings.aggregate_only else "full-detail",
        "dataset": {
            "default": datasets.source_label(settings.data_dir),
            "state": dataset_state,
        },
        "cache": cache,
        "store": store,
        "worker_pid": os.getpid(),
    }
    return body, 200 if ok else 503


def install(server: flask.Flask) -> None:
    """Register GET /healthz on ``server``."""

    def healthz() -> tuple[flask.Response, int]:
        body, status = health_status()
        return flask.jsonify(body), status

    server.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
