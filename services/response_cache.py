"""A cache of callback responses shared by the server's worker processes (flask-caching).

Most of what a planner or a donor opens is the same for everyone on the same data: the Overview
with the default scenario, the national map, a scenario a colleague shared. A page marks the
component ids whose callbacks are pure (``mark_pure``): their response depends only on the
request body (inputs and states), the dataset's content, the server's level of detail and the
code. Such a request is answered from the cache when the same body was answered before; a
callback with a side effect (saving a scenario, a download, an upload, a background job) is
never marked and never cached.

Key: sha256 of the level of detail, the default dataset's content hash, the code version
(services.background.code_version), the viewer's role and district scope
(services.access.current_viewer: a donor, a site manager of Lilongwe and a planner never share
an answer) and the request body. Uploaded datasets are named by their content in the body, so
changed data never meets an old response. services.auth's gate runs before the lookup, so a
request without a valid session never reaches the cache.

Store: flask-caching's FileSystemCache under ``<state_dir>/cache/responses`` (shared by the
workers of one machine) or RedisCache when ``settings.redis_url`` is set. Bounded in bytes:
at most MAX_ENTRIES entries of at most MAX_ENTRY_BYTES each, expired after TIMEOUT_S.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import flask
import orjson
from flask_caching import Cache

from config import Settings
from services.access import current_viewer
from services.background import code_version
from services.datasets import folder_content_hash

log = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"
MAX_ENTRY_BYTES = 2 * 2**20
MAX_ENTRIES = 500  # x MAX_ENTRY_BYTES: at most 1 GB on disk
TIMEOUT_S = 3600
HEADER = "X-KP-Cache"  # "hit" or "miss" on the answers of pure callbacks

_pure_ids: set[str] = set()


def mark_pure(*component_ids: str) -> None:
    """Declare the callbacks whose every output is one of these components pure (cacheable)."""
    _pure_ids.update(component_ids)


def _output_ids(body: dict[str, Any]) -> list[str]:
    outputs = body.get("outputs")
    items = outputs if isinstance(outputs, list) else [outputs]
    ids = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return []  # pattern-matching ids and anything unusual: never cached
        ids.append(item["id"])
    return ids


def _deployment_key(settings: Settings) -> str:
    try:
        data = folder_content_hash(settings.data_dir)
    except FileNotFoundError:
        data = "unreadable"
    mode = "aggregate" if settings.aggregate_only else "full"
    return f"{mode}:{data}:{code_version()}"


def install(server: flask.Flask, settings: Settings) -> Cache:
    """Answer pure callbacks from the shared cache; store their fresh 200 answers."""
    config: dict[str, Any] = {
        "CACHE_DEFAULT_TIMEOUT": TIMEOUT_S,
        "CACHE_THRESHOLD": MAX_ENTRIES,
        "CACHE_KEY_PREFIX": "kp-response:",
    }
    if settings.redis_url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=settings.redis_url)
    else:
        folder = settings.state_dir / "cache" / "responses"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        config.update(CACHE_TYPE="FileSystemCache", CACHE_DIR=str(folder))
    cache = Cache(server, config=config)
    prefix = _deployment_key(settings)

    def lookup() -> flask.Response | None:
        request = flask.request
        if request.method != "POST" or request.path != CALLBACK_PATH or request.query_string:
            return None
        raw = request.get_data(cache=True)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        ids = _output_ids(body) if isinstance(body, dict) else []
        if not ids or not set(ids) <= _pure_ids:
            return None
        viewer = current_viewer().cache_key()
        key = hashlib.sha256(prefix.encode() + b"\0" + viewer.encode() + b"\0" + raw).hexdigest()
        flask.g.response_cache_key = key
        cached = cache.get(key)
        if cached is None:
            return None
        flask.g.response_cache_hit = True
        response = flask.Response(cached, status=200, mimetype="application/json")
        response.headers[HEADER] = "hit"
        return response

    def store(response: flask.Response) -> flask.Response:
        key = getattr(flask.g, "response_cache_key", None)
        if (
            key is None
            or getattr(flask.g, "response_cache_hit", False)
            or response.status_code != 200
            or response.direct_passthrough
        ):
            return response
        data = response.get_data()
        if len(data) <= MAX_ENTRY_BYTES:
            cache.set(key, data)
        response.headers[HEADER] = "miss"
        return response

    server.before_request(lookup)
    server.after_request(store)
    log.info(
        "callback responses cached in %s (at most %d entries of %d MB)",
        "Redis" if settings.redis_url else "the state folder",
        MAX_ENTRIES,
        MAX_ENTRY_BYTES >> 20,
    )
    return cache
