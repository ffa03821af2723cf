"""gunicorn settings of ``make serve`` (several worker processes on one port).

Everything comes from config.load_settings() (KP_* variables, set by the Makefile from
PORT, WORKERS and DATA): the listen address is KP_HOST:KP_PORT, 127.0.0.1 unless told
otherwise; another interface is refused while hotspot detail is served to anyone who can reach
it (services.security.check_listen_address).
"""

from __future__ import annotations

from config import load_settings
from services.security import ListenAddressRefused, check_listen_address
from services.state import StateError, open_store

_settings = load_settings()
try:
    check_listen_address(_settings)
except ListenAddressRefused as exc:
    raise SystemExit(f"make serve: {exc}") from None


def on_starting(_server: object) -> None:
    """Before any worker starts: open the server state once (folders made, schema upgraded,
    leftovers of a crash swept, expired datasets purged), so workers never race to do it."""
    try:
        open_store(_settings).close()
    except StateError as exc:
        raise SystemExit(f"make serve: {exc}") from None


bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers
worker_class = "gthread"
threads = 4
timeout = 120  # a first load of a 100k-hotspot dataset takes seconds, not minutes
graceful_timeout = 30
max_requests = 2000  # a worker is replaced now and then: memory returns to its baseline
max_requests_jitter = 200
# No access log: request lines can carry ids in their query strings (services.logs logs what
# happened and how long it took, never a hotspot id).
accesslog = None
errorlog = "-"
loglevel = "info"
proc_name = "kp-planner"
