"""Typed settings of the app and the CLI, with defaults; read from the environment only when asked.

``Settings`` is passed explicitly (``app.create_app(settings)``); ``load_settings()`` builds one
from KP_* environment variables for a WSGI server (``wsgi.py``), and nothing reads the
environment at import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent
DEMO_DATA_DIR = ROOT_DIR / "data" / "demo"
TEMPLATES_DIR = ROOT_DIR / "data" / "templates"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class SettingsError(ValueError):
    """A setting has a value the app cannot use; the message names the variable and the fix."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(
            f"{name}={value!r} is not a whole number; unset it or give e.g. {default}"
        ) from None


def _env_optional_positive_int(name: str, unset_means: str) -> int | None:
    """Variable ``name`` as a whole number >= 1, or None when unset or empty."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise SettingsError(
            f"{name}={value!r} is not a whole number of at least 1; "
            f"unset it ({unset_means}) or give e.g. 90"
        )
    return number


def _data_source(value: str) -> Path | str:
    """KP_DATA_DIR as a folder, or a postgresql:// URL kept as text (a Path folds its //)."""
    text = value.strip()
    return text if text.lower().startswith(("postgresql://", "postgres://")) else Path(text)


def _env_list(name: str) -> tuple[str, ...]:
    """The comma-separated items of variable ``name``, stripped, empty ones dropped."""
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """Run-time settings of the app and the CLI.

    host/port/debug are what ``python app.py`` serves on; aggregate_only serves district
    aggregates only; an uploaded file is at most max_upload_mb (uploads are stored in the
    server state, below).
    allowed_hosts are the host names (or addresses) a request's Host header may name besides
    the loopback ones (services.security refuses any other with 400).
    The server state (services.state: stored datasets, saved scenarios) lives under state_dir:
    a SQLite file state_dir/state.db, or the PostgreSQL database of database_url when it is set
    (dataset files stay under state_dir/datasets either way); datasets are purged
    retention_days after they were stored (None: kept until deleted).
    """

    data_dir: Path | str = DEMO_DATA_DIR  # a folder, or a postgresql://...?schema= URL (text)
    host: str = "127.0.0.1"
    port: int = 8050
    aggregate_only: bool = False
    max_upload_mb: int = 50
    debug: bool = False
    allowed_hosts: tuple[str, ...] = ()
    # Disclosure control of aggregate-only views (planning.disclosure, docs/privacy.md).
    disclosure_rounding: int = 10
    disclosure_min_hotspots: int = 5
    disclosure_min_people: int = 20
    # Server state (services.state, issue 12).
    state_dir: Path = ROOT_DIR / "state"
    database_url: str | None = None
    retention_days: int | None = None
    # make serve: gunicorn worker processes (gunicorn.conf.py).
    workers: int = 4
    # Loaded datasets kept in memory per process, in MB (least recently used dropped first; the
    # default dataset always stays). One request body at most max_request_mb (uploads included).
    dataset_cache_mb: int = 1024
    max_request_mb: int = 120
    # Background callbacks on Celery workers with Redis as broker and result store (make serve
    # starts a worker); None: forked processes with a diskcache folder (services.background).
    redis_url: str | None = None
    # Accounts (services.auth, issue 13): session cookies are signed with secret_key (required
    # once any user exists); marked Secure when https (or when the request came over HTTPS);
    # a session lasts session_hours.
    secret_key: str | None = None
    https: bool = False
    session_hours: int = 12
    # Plan the default dataset's large districts' caseloads in a background thread at start
    # (services.caseload_plans): on for python app.py and make serve (KP_WARM_UP_CASELOADS),
    # off for settings made in code (tests, the CLI).
    warm_up_caseloads: bool = False


def load_settings() -> Settings:
    """Settings from KP_DATA_DIR, KP_HOST, KP_PORT, KP_AGGREGATE, KP_MAX_UPLOAD_MB,
    KP_DEBUG, KP_ALLOWED_HOSTS (comma-separated), KP_DISCLOSURE_*, KP_WORKERS, KP_DATASET_CACHE_MB,
    KP_MAX_REQUEST_MB, KP_STATE_DIR, DATABASE_URL, KP_RETENTION_DAYS, REDIS_URL, KP_SECRET_KEY,
    KP_HTTPS, KP_SESSION_HOURS and KP_WARM_UP_CASELOADS."""
    return Settings(
        data_dir=_data_source(os.environ.get("KP_DATA_DIR", str(DEMO_DATA_DIR))),
        host=os.environ.get("KP_HOST", "127.0.0.1"),
        port=_env_int("KP_PORT", 8050),
        aggregate_only=_env_bool("KP_AGGREGATE", False),
        max_upload_mb=_env_int("KP_MAX_UPLOAD_MB", 50),
        debug=_env_bool("KP_DEBUG", False),
        allowed_hosts=_env_list("KP_ALLOWED_HOSTS"),
        disclosure_rounding=_env_int("KP_DISCLOSURE_ROUNDING", 10),
        disclosure_min_hotspots=_env_int("KP_DISCLOSURE_MIN_HOTSPOTS", 5),
        disclosure_min_people=_env_int("KP_DISCLOSURE_MIN_PEOPLE", 20),
        workers=_env_int("KP_WORKERS", 4),
        dataset_cache_mb=_env_int("KP_DATASET_CACHE_MB", 1024),
        max_request_mb=_env_int("KP_MAX_REQUEST_MB", 120),
        redis_url=os.environ.get("REDIS_URL", "").strip() or None,
        state_dir=Path(os.environ.get("KP_STATE_DIR") or str(ROOT_DIR / "state")),
        database_url=os.environ.get("DATABASE_URL", "").strip() or None,
        retention_days=_env_optional_positive_int("KP_RETENTION_DAYS", "datasets are kept"),
        secret_key=os.environ.get("KP_SECRET_KEY", "").strip() or None,
        https=_env_bool("KP_HTTPS", False),
        session_hours=_env_int("KP_SESSION_HOURS", 12),
        warm_up_caseloads=_env_bool("KP_WARM_UP_CASELOADS", True),
    )
