"""`make serve`: gunicorn with several workers, /healthz, compression, the request size limit and
the refusal to serve hotspot detail on another interface (issue 12; gunicorn.conf.py, app.py,
services/health.py).

One real gunicorn server (2 workers, the demo, a temporary state folder) answers; it is stopped
at the end of the module.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, free_port

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
MASTER: list[int] = []  # the served fixture's gunicorn master pid


def _env(port: int, state_dir: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KP_")}
    env.pop("DATABASE_URL", None)
    return {
        **env,
        "KP_PORT": str(port),
        "KP_WORKERS": "2",
        "KP_DATA_DIR": str(ROOT / "data" / "demo"),
        "KP_STATE_DIR": state_dir,
        "KP_MAX_REQUEST_MB": "5",
        **extra,
    }


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def served() -> Iterator[int]:
    """Port of a gunicorn server started as `make serve` starts it (2 workers)."""
    port = free_port()
    state = tempfile.mkdtemp(prefix="kp-serve-state-")
    log = open(Path(state) / "gunicorn.log", "w", encoding="utf-8")  # noqa: SIM115
    proc = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "wsgi:server"],
        cwd=ROOT,
        env=_env(port, state),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _get(port, "/healthz")[0] in (200, 503):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("gunicorn did not answer: " + (Path(state) / "gunicorn.log").read_text())
        MASTER[:] = [proc.pid]
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


def test_make_serve_runs_this_gunicorn_configuration():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "gunicorn -c gunicorn.conf.py wsgi:server" in makefile


def test_healthz_reports_dataset_and_store_from_several_workers(served):
    children = Path(f"/proc/{MASTER[0]}/task/{MASTER[0]}/children").read_text().split()
    workers = {int(pid) for pid in children}
    assert len(workers) == 2
    pids = set()
    for _ in range(40):
        status, headers, body = _get(served, "/healthz")
        assert status == 200 and headers["content-type"].startswith("application/json")
        data = json.loads(body)
        assert data["status"] == "ok" and data["store"]["ok"] is True
        assert data["store"]["backend"] == "sqlite"
        assert data["dataset"]["default"] == "demo"
        # loaded at start-up by every worker, before any page was asked for (issue 14)
        assert data["dataset"]["state"] == "loaded"
        pids.add(data["worker_pid"])
    assert pids <= workers  # answered by the workers (which one is the kernel's choice)


def test_callback_responses_are_compressed(served):
    status, headers, raw = _get(served, "/_dash-layout", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip"
    layout = json.loads(gzip.decompress(raw))
    assert "props" in layout
    status, headers, plain = _get(served, "/_dash-layout")
    assert "content-encoding" not in headers and len(raw) < len(plain)


def test_a_body_above_the_limit_is_refused_before_it_is_read(served):
    conn = http.client.HTTPConnection("127.0.0.1", served, timeout=60)
    try:
        conn.putrequest("POST", "/_dash-update-component")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(6 * 1024 * 1024))
        conn.endheaders()
        conn.send(b"{" + b" " * 1024)  # far less than announced: refused from the header
        r = conn.getresponse()
        body = json.loads(r.read())
    finally:
        conn.close()
    assert r.status == 413 and "5 MB" in body["message"]
    assert _get(served, "/healthz")[0] == 200  # the worker still serves


def test_another_interface_is_refused_in_full_detail_mode(tmp_path):
    port = free_port()
    out = subprocess.run(
        [GUNICORN, "-c", "gunicorn.conf.py", "wsgi:server"],
        cwd=ROOT,
        env=_env(port, str(tmp_path), KP_HOST="0.0.0.0"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "KP_HOST='0.0.0.0'" in out.stderr + out.stdout
    assert "KP_AGGREGATE=1" in out.stderr + out.stdout


def test_every_worker_serves_the_scripts_the_index_page_names(served):
    """Dash learns its script paths while rendering the index page; each worker renders it at
    start, so a script is served by whichever worker the browser reaches (no 500)."""
    status, _, page = _get(served, "/")
    assert status == 200
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', page.decode())
    assert scripts
    statuses = {_get(served, scripts[0])[0] for _ in range(16)}
    assert statuses == {200}
