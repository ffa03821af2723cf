"""gunicorn settings of ``make serve`` (several worker processes on one port).

Everything comes from config.load_settings() (KP_* variables, set by the Makefile from
PORT, WORKERS and DATA): the listen address is KP_HOST:KP_PORT, 127.0.0.1 unless told
otherwise; another interface is refused while hotspot detail is served to anyone who can reach
it with no accounts (services.security.check_listen_address); with accounts KP_SECRET_KEY
must be set (services.auth.check_startup).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from config import load_settings
from services.auth import AccountsWithoutKeyError, accounts_enabled, check_startup
from services.security import ListenAddressRefused, check_listen_address
from services.state import StateError, open_store

_settings = load_settings()
try:
    check_startup(_settings)
    check_listen_address(_settings, accounts_on=accounts_enabled(_settings))
except (ListenAddressRefused, AccountsWithoutKeyError, StateError) as exc:
    raise SystemExit(f"make serve: {exc}") from None


_celery_worker: list[subprocess.Popen[bytes]] = []


def on_starting(_server: object) -> None:
    """Before any worker starts: open the server state once (folders made, schema upgraded,
    leftovers of a crash swept, expired datasets purged), so workers never race to do it; with
    REDIS_URL, start the Celery worker of the background callbacks (stopped in on_exit)."""
    try:
        open_store(_settings).close()
    except StateError as exc:
        raise SystemExit(f"make serve: {exc}") from None
    if _settings.redis_url:
        _celery_worker.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "celery"),
                    "-A",
                    "wsgi:celery_app",
                    "worker",
                    "--concurrency",
                    str(max(1, min(_settings.workers, 2))),
                    "--loglevel",
                    "INFO",
                ],
                cwd=Path(__file__).resolve().parent,
            )
        )


def on_exit(_server: object) -> None:
    """Stop the Celery worker with the server."""
    for proc in _celery_worker:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers
worker_class = "gthread"
threads = 4
timeout = 120  # a first load of a 100k-hotspot dataset takes seconds, not minutes
graceful_timeout = 30
max_requests = 20000  # a worker is replaced now and then: memory returns to its baseline
max_requests_jitter = 2000
# No access log: request lines can carry ids in their query strings (services.logs logs what
# happened and how long it took, never a hotspot id).
accesslog = None
errorlog = "-"
loglevel = "info"
proc_name = "kp-planner"
