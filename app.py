"""The Dash app: ``python app.py [--data DIR] [--host H] [--port 8050] [--aggregate] [--debug]``.

``create_app(settings)`` builds the app (use_pages=True; every page module in pages/) around the
shell layout (components/shell.py); the settings are passed in, never read at import. A WSGI
server takes ``wsgi:server`` (settings from KP_* variables). No CDN: Bootstrap and icons are
vendored in assets/vendor/ (assets/vendor/fetch_vendor.sh).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path
from typing import Any

import dash
import flask
import plotly.io
from dash import _callback_context as dash_callback_context

from config import Settings, load_settings
from services import (
    auth,
    background,
    compression,
    context,
    datasets,
    health,
    response_cache,
    security,
    state,
)
from services.access import (
    VIEWER_KEY,
    HotspotDetailRefused,
    current_viewer,
    require_hotspot_detail,
    set_job_context_reader,
)
from services.caseload_plans import warm_up_in_background
from services.logs import configure_logging

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> dash.Dash:
    """The Dash app for ``settings`` (mode, data folder, uploads); its Flask server is
    ``.server``."""
    from components.shell import shell_layout

    context.configure(settings)
    set_job_context_reader(_job_context)
    auth.check_startup(settings)
    datasets.set_default_folder(settings.data_dir)
    dash_app = dash.Dash(
        __name__,
        use_pages=True,
        suppress_callback_exceptions=True,
        external_stylesheets=[],
        title="KP coverage planner",
        # the HTML map export inlines these files; the app's pages do not load them
        assets_path_ignore=["leaflet-export"],
        serve_locally=True,
        update_title="",  # falsy: the tab title stays put while callbacks run
        background_callback_manager=_background_manager(settings),
    )
    dash_app.server.config[context.SETTINGS_KEY] = settings
    # A request body is refused (413) from its Content-Length, before it is read or decoded.
    dash_app.server.config["MAX_CONTENT_LENGTH"] = settings.max_request_mb * 1024 * 1024
    dash_app.server.register_error_handler(413, _too_large)
    # JSON responses compressed (gzip/brotli, as the browser accepts), figures encoded by orjson.
    plotly.io.json.config.default_engine = "orjson"
    compression.install(dash_app.server)
    # Order matters: the Host check, then the accounts gate, then the response cache.
    security.install(dash_app.server, dash_app.csp_hashes, settings.allowed_hosts)
    auth.install(dash_app.server, settings)
    health.install(dash_app.server)
    response_cache.install(dash_app.server, settings)
    dash_app.server.register_error_handler(HotspotDetailRefused, _refused)
    dash_app.server.register_error_handler(KeyError, _malformed)
    dash_app.layout = shell_layout
    _register_front_end_paths(dash_app)
    datasets.warm_default()  # validated (or read from its snapshot) before the first request
    if settings.warm_up_caseloads and not settings.aggregate_only:
        warm_up_in_background()
    log.info(
        "app created: %s view, data %s",
        "aggregate-only" if settings.aggregate_only else "full-detail",
        datasets.source_label(settings.data_dir),
    )
    return dash_app


class _RefusedWithoutDetail:
    """Background callbacks serve hotspot-level pages only: a job starts only when hotspot detail
    is allowed, checked in the request that asks for it, before a process or task is started (a
    refusal is a 403). The job runs for the request's viewer: her role and district scope travel
    in the job's callback context (services.access reads them there)."""

    def call_job_fn(self, key: str, job_fn: Any, args: Any, dash_context: Any) -> Any:
        """Refuse (HotspotDetailRefused), or start the job as Dash does, for this viewer."""
        require_hotspot_detail("a background computation")
        context = dict(dash_context or {})
        context[VIEWER_KEY] = current_viewer().to_dict()
        return super().call_job_fn(key, job_fn, args, context)  # type: ignore[misc]


def _job_context() -> dict[str, Any] | None:
    """The callback context of the running background job (dash sets it in the job)."""
    try:
        found = dash_callback_context.context_value.get()
    except LookupError:
        return None
    return found if isinstance(found, dict) else None


class HotspotDetailManager(_RefusedWithoutDetail, dash.DiskcacheManager):
    """Dash's diskcache manager (forked processes; services.background), refusing as above."""


class CeleryHotspotDetailManager(_RefusedWithoutDetail, dash.CeleryManager):
    """Dash's Celery manager (workers fed through Redis), refusing as above."""


def _background_manager(settings: Settings) -> dash.DiskcacheManager | dash.CeleryManager:
    """Celery with Redis when settings.redis_url is set, else diskcache. The diskcache folder
    also holds the result cache the pages share (services.background.SharedMemo) in both."""
    jobs = background.job_cache(settings)
    celery = background.celery_app(settings)
    if celery is not None:
        return CeleryHotspotDetailManager(celery)
    return HotspotDetailManager(jobs)


def _register_front_end_paths(dash_app: dash.Dash) -> None:
    """Render the index page once, in this process, before serving.

    Dash learns which of its JavaScript files it may serve while rendering the index page. Under
    several worker processes the browser can fetch the page from one worker and the scripts from
    another, which would otherwise answer 500 ("dash is not a registered library").
    """
    with dash_app.server.test_client() as client:
        status = client.get(
            "/", headers={"Host": "127.0.0.1"}, environ_base={auth.WARM_UP_ENVIRON: True}
        ).status_code
    if status != 200:
        log.warning("index page warm-up answered %d", status)


def _data_source(data: str) -> Path | str:
    """--data as a resolved folder, or a postgresql:// URL kept as text (a Path folds its //)."""
    source = datasets.as_source(data)
    return source.resolve() if isinstance(source, Path) else source


def _too_large(_error: Exception) -> tuple[dict[str, str], int]:
    """A request body above settings.max_request_mb: 413 with what to do, never a 500."""
    limit = context.current_settings().max_request_mb
    return {
        "message": f"the request is larger than this server accepts ({limit} MB); upload fewer "
        "or smaller files at once, or ask the administrator to raise KP_MAX_REQUEST_MB"
    }, 413


def _refused(error: HotspotDetailRefused) -> tuple[dict[str, str], int]:
    """A refused request is a 403 with the reason, never a 500 (it is logged by services.access)."""
    return {"message": str(error)}, 403


def _malformed(error: KeyError) -> tuple[dict[str, str], int]:
    """A callback request naming no server callback (a crafted or stale client) is a 400."""
    if flask.request.path.endswith("/_dash-update-component"):
        log.warning("bad callback request refused: %s", type(error).__name__)
        return {"message": "no such callback; reload the page"}, 400
    raise error


def parse_args(argv: list[str] | None = None, defaults: Settings | None = None) -> Settings:
    """The settings of ``python app.py``: its options over ``defaults`` (KP_* variables)."""
    base = defaults or load_settings()
    parser = argparse.ArgumentParser(description="Serve the KP coverage planning dashboard.")
    parser.add_argument(
        "--data",
        default=str(base.data_dir),
        help="dataset folder, or postgresql://USER@HOST:PORT/DB?schema=NAME written by "
        "cli.py import (default: the synthetic demo, data/demo)",
    )
    parser.add_argument(
        "--host", default=base.host, help="interface to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=base.port, help="port (default 8050)")
    parser.add_argument(
        "--aggregate",
        action="store_true",
        default=base.aggregate_only,
        help="aggregate-only view: district level, no hotspot data reaches a browser",
    )
    parser.add_argument(
        "--debug", action="store_true", default=base.debug, help="Dash debug mode (dev tools)"
    )
    args = parser.parse_args(argv)
    if (
        not args.aggregate
        and not security.is_loopback(args.host)
        and not auth.accounts_enabled(base)
    ):
        parser.error(
            f"--host {args.host} would serve full hotspot detail (where a criminalised "
            "population can be found) to the network; serve on 127.0.0.1, or add --aggregate "
            "for district aggregates only, or add user accounts (cli.py users add)"
        )
    return dataclasses.replace(
        base,
        data_dir=_data_source(args.data),
        host=args.host,
        port=args.port,
        aggregate_only=args.aggregate,
        debug=args.debug,
    )


def main(argv: list[str] | None = None) -> None:
    """Parse options and serve with Flask's server on the settings' host and port."""
    configure_logging()
    settings = parse_args(argv)
    try:
        auth.check_startup(settings)
    except auth.AccountsWithoutKeyError as exc:
        raise SystemExit(f"app.py: {exc}") from None
    if not security.is_loopback(settings.host):
        log.warning(
            "aggregate-only view listening on %s, reachable from the network; only requests "
            "naming 127.0.0.1, localhost, [::1] or KP_ALLOWED_HOSTS (%s) are served",
            settings.host,
            ", ".join(settings.allowed_hosts) or "none set",
        )
    state.store_for(settings)  # the server state's schema upgraded before the first request
    # The dev tools' version check calls plotly.com: the app stays offline (and its CSP says so).
    create_app(settings).run(
        host=settings.host,
        port=settings.port,
        debug=settings.debug,
        dev_tools_disable_version_check=True,
    )


if __name__ == "__main__":
    main()
