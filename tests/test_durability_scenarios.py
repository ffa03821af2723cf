"""Saved scenarios survive crashes of `make serve` (issue 12): scenarios are saved through the real
callback endpoint of a 2-worker gunicorn while one worker is killed with SIGKILL, then the whole
server (master and workers) is killed with SIGKILL while saves are still arriving, and restarted
on the same state folder. Every save answered with 200 is listed and intact; every listed
scenario is one that was sent, with the parameters it was sent with (nothing half-written).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

import pytest

from planning.scenario import Scenario
from tests.browser.conftest import ROOT, free_port
from tests.helpers import callback_request

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
SAVERS = 3  # threads saving at once, as several planners would
BEFORE_WORKER_KILL = 15  # acknowledged saves before a worker is killed ...
BEFORE_SERVER_KILL = 15  # ... and after it, before the whole server is killed
DEADLINE_S = 120


def _env(port: int, state_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KP_")}
    env.pop("DATABASE_URL", None)
    return {
        **env,
        "KP_PORT": str(port),
        "KP_WORKERS": "2",
        "KP_DATA_DIR": str(ROOT / "data" / "demo"),
        "KP_STATE_DIR": str(state_dir),
    }


def _request(
    port: int, method: str, path: str, body: dict | None = None, timeout: float = 60
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        conn.close()


class Server:
    """`make serve`'s gunicorn (2 workers) on ``state_dir``, in its own process group."""

    def __init__(self, state_dir: Path) -> None:
        self.port = free_port()
        self.log_path = state_dir / f"gunicorn-{self.port}.log"
        self._log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [GUNICORN, "-c", "gunicorn.conf.py", "wsgi:server"],
            cwd=ROOT,
            env=_env(self.port, state_dir),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: master and workers killed at once
        )
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            self.kill()
            pytest.fail("gunicorn did not answer: " + self.log_path.read_text(encoding="utf-8"))
        status, self.dependencies = self.get("/_dash-dependencies")
        assert status == 200

    def get(self, path: str) -> tuple[int, Any]:
        return _request(self.port, "GET", path, timeout=10)

    def callback(self, output_part: str) -> dict[str, Any]:
        """The dependency of the callback whose outputs include ``output_part``."""
        return next(d for d in self.dependencies if output_part in d["output"])

    def post(self, dependency: dict, values: dict[str, Any]) -> tuple[int, Any]:
        body = callback_request(dependency, values)
        return _request(self.port, "POST", "/_dash-update-component", body)

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once (a crash, a power cut of the box)."""
        with suppress(ProcessLookupError):  # already gone
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "state"
    folder.mkdir()
    return folder


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """The servers a test starts; any still running at the end are stopped."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def _save_values(name: str, query: dict[str, str]) -> dict[str, Any]:
    """What the Scenarios page sends when "Save scenario" is pressed."""
    return {
        "scn-save.n_clicks": 1,
        "scn-save-name.value": name,
        "scn-scenario.data": query,
        "dataset-id.data": None,
        "scn-saved-pick.value": [],
    }


def _acknowledged(status: int, body: Any, name: str) -> bool:
    """True when the answer is the page's "saved" answer: 200 and the new list holding ``name``."""
    if status != 200 or not isinstance(body, dict):
        return False
    rows = body.get("response", {}).get("scn-saved", {}).get("data") or []
    return any(row.get("name") == name for row in rows)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_every_acknowledged_save_survives_killed_workers_and_a_killed_server(state_dir, servers):
    server = Server(state_dir)
    servers.append(server)
    save = server.callback("scn-save-name.value")
    sent: dict[str, dict[str, str]] = {}  # every save attempted (name -> parameters)
    acked: dict[str, dict[str, str]] = {}  # the saves answered with 200
    lock = threading.Lock()
    stop = threading.Event()

    def saver(thread: int) -> None:
        k = 0
        while not stop.is_set():
            name = f"t{thread}-{k:04d}"
            query = Scenario(people_per_pe=50 + k % 41, target=(50 + k % 51) / 100).to_query()
            with lock:
                sent[name] = query
            try:
                status, body = server.post(save, _save_values(name, query))
            except (OSError, http.client.HTTPException):
                status, body = 0, None  # the worker (or the server) died under this request
            if _acknowledged(status, body, name):
                with lock:
                    acked[name] = query
            k += 1

    def wait_for_acks(count: int) -> None:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            with lock:
                if len(acked) >= count:
                    return
            time.sleep(0.05)
        pytest.fail(f"only {len(acked)} saves acknowledged: " + server.log_path.read_text())

    threads = [threading.Thread(target=saver, args=(t,), daemon=True) for t in range(SAVERS)]
    for thread in threads:
        thread.start()
    try:
        wait_for_acks(BEFORE_WORKER_KILL)
        victim = server.get("/healthz")[1]["worker_pid"]
        os.kill(victim, signal.SIGKILL)  # a worker dies while the others keep saving
        with lock:
            acked_at_worker_kill = len(acked)
        wait_for_acks(acked_at_worker_kill + BEFORE_SERVER_KILL)  # the server carries on
        deadline = time.monotonic() + 10
        while not _gone(victim) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(victim)
        server.kill()  # master and workers, while saves are still arriving
        servers.remove(server)
    finally:
        stop.set()
        for thread in threads:
            thread.join(DEADLINE_S)
    assert len(acked) >= BEFORE_WORKER_KILL + BEFORE_SERVER_KILL

    # Restarted on the same state folder, the page lists every acknowledged save, intact.
    again = Server(state_dir)
    servers.append(again)
    status, body = again.post(again.callback("scn-saved-alert.children"), {})
    assert status == 200
    rows = {row["name"]: row for row in body["response"]["scn-saved"]["data"]}
    missing = sorted(set(acked) - set(rows))
    assert not missing, f"acknowledged but not listed after the crash: {missing}"
    for name, row in rows.items():
        assert name in sent, f"listed but never sent: {name!r}"
        assert row["query"] == sent[name], name  # the parameters it was sent with
        assert Scenario.from_query(row["query"], strict=True).to_query() == sent[name]
        assert row["saved_by"] == "local user"
    # Saves that died with their worker may or may not have landed, but only whole.
    assert len(rows) <= len(sent)

    with closing(sqlite3.connect(state_dir / "state.db")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        count = db.execute("SELECT count(*) FROM scenarios").fetchone()[0]
    assert count == len(rows)
