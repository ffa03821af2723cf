"""Uploaded datasets survive crashes of `make serve` (issue 12): uploads go through the Data page's
real callback endpoint of a 2-worker gunicorn; while one is being stored (its temporary folder
is on disk) every worker is killed with SIGKILL, then the whole server (master too) while
uploads are still arriving; restarted on the same state folder, every upload answered with its
id is listed and opens intact, and every listed dataset is whole (its files hash to its id).

Also: a dataset uploaded through one worker opens in the other (the id is looked up in the
server state, not in the worker that stored it).
"""

from __future__ import annotations

import base64
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

import psutil
import pytest

from services.state import DATASETS_FOLDER, StateStore, dataset_content_id
from tests.browser.conftest import DEMO_DIR, ROOT, free_port
from tests.helpers import callback_request

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
DEMO_FILES = ("boundaries.geojson", "enrolment.csv", "hotspots.csv", "sites.csv")
UPLOADERS = 3  # threads uploading at once, as several planners would
BEFORE_KILL = 4  # acknowledged uploads before the workers are killed
PADDING_BYTES = 3_000_000  # a comment in dataset.toml: storing takes long enough to be caught
DEADLINE_S = 120


def _env(port: int, state_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KP_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return {
        **env,
        "KP_PORT": str(port),
        "KP_WORKERS": "2",
        "KP_DATA_DIR": str(DEMO_DIR),
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
        self.log_path = state_dir.parent / f"gunicorn-{self.port}.log"
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

    def callback(self, output_start: str, input_id: str) -> dict[str, Any]:
        """The dependency of the callback whose outputs start with ``output_start`` and whose
        first input is component ``input_id``."""
        return next(
            d
            for d in self.dependencies
            if d["output"].lstrip(".").startswith(output_start)
            and d["inputs"]
            and d["inputs"][0]["id"] == input_id
        )

    def post(self, dependency: dict, values: dict[str, Any]) -> tuple[int, Any]:
        body = callback_request(dependency, values)
        return _request(self.port, "POST", "/_dash-update-component", body)

    def workers(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children()

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


def _data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


DEMO_BYTES = {name: (DEMO_DIR / name).read_bytes() for name in DEMO_FILES}


def upload_files(name: str, padding: int = PADDING_BYTES) -> dict[str, bytes]:
    """The demo files with a dataset.toml of their own (so each upload is a new dataset),
    padded with a comment of ``padding`` bytes."""
    toml = (DEMO_DIR / "dataset.toml").read_text(encoding="utf-8")
    toml = toml.replace('name = "Malawi (synthetic demo)"', f'name = "{name}"')
    assert f'name = "{name}"' in toml
    comment = ("# " + "padding " * 9 + "\n") * (padding // 75)
    return {**DEMO_BYTES, "dataset.toml": (toml + comment).encode()}


def _upload_values(name: str, files: dict[str, bytes]) -> dict[str, Any]:
    """What the Data page sends when files are dropped on its upload box."""
    return {
        "data-upload.contents": [_data_url(data) for data in files.values()],
        "data-upload.filename": list(files),
        "data-upload-name.value": name,
    }


def _acknowledged_id(status: int, body: Any) -> str | None:
    """The stored dataset's id when the answer is the page's "stored" answer, else None."""
    if status != 200 or not isinstance(body, dict):
        return None
    found = body.get("response", {}).get("data-upload-id", {}).get("data")
    return found if isinstance(found, str) else None


def _opened_report(server: Server, dataset_id: str) -> str:
    """The Data page's "Dataset in use" report of ``dataset_id`` as text (its JSON)."""
    status, body = server.post(
        server.callback("data-current-report", "dataset-id"), {"dataset-id.data": dataset_id}
    )
    assert status == 200, body
    return json.dumps(body["response"]["data-current-report"]["children"], ensure_ascii=False)


def test_an_upload_through_one_worker_opens_in_the_other(state_dir, servers):
    server = Server(state_dir)
    servers.append(server)
    upload = server.callback("data-upload-result", "data-upload")
    status, body = server.post(upload, _upload_values("team demo", upload_files("team demo", 0)))
    dataset_id = _acknowledged_id(status, body)
    assert dataset_id is not None, body
    # Open it until both workers have loaded it (/healthz says which worker answers and what
    # it holds); a worker that did not store it finds it in the server state.
    holders: set[int] = set()
    for _ in range(60):
        assert '"In use: team demo"' in _opened_report(server, dataset_id)
        health = server.get("/healthz")[1]
        if dataset_id in health["cache"]["loaded"]:
            holders.add(health["worker_pid"])
        if len(holders) == 2:
            break
    assert len(holders) == 2, f"only worker(s) {holders} opened it"


def test_every_acknowledged_upload_survives_killed_workers_and_a_killed_server(state_dir, servers):
    server = Server(state_dir)
    servers.append(server)
    upload = server.callback("data-upload-result", "data-upload")
    datasets_dir = state_dir / DATASETS_FOLDER
    sent: dict[str, str] = {}  # every upload attempted: name -> content id
    acked: dict[str, str] = {}  # the uploads answered with their id: name -> id
    lock = threading.Lock()
    stop = threading.Event()

    def uploader(thread: int) -> None:
        k = 0
        while not stop.is_set():
            name = f"crash test {thread}-{k:03d}"
            files = upload_files(name)
            with lock:
                sent[name] = dataset_content_id(files)
            try:
                status, body = server.post(upload, _upload_values(name, files))
            except (OSError, http.client.HTTPException):
                status, body = 0, None  # the worker (or the server) died under this request
            dataset_id = _acknowledged_id(status, body)
            if dataset_id is not None:
                assert dataset_id == sent[name]
                with lock:
                    acked[name] = dataset_id
            k += 1

    threads = [threading.Thread(target=uploader, args=(t,), daemon=True) for t in range(UPLOADERS)]
    for thread in threads:
        thread.start()
    caught_storing = []
    try:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            with lock:
                enough = len(acked) >= BEFORE_KILL
            # an upload's files being written: its temporary folder is there
            storing = [p.name for p in datasets_dir.iterdir() if p.name.startswith(".tmp-")]
            if enough and storing:
                workers = server.workers()
                for worker in workers:
                    worker.send_signal(signal.SIGKILL)
                caught_storing = storing
                break
            time.sleep(0.001)
        else:
            pytest.fail(f"no upload caught while stored ({len(acked)} acknowledged)")
        assert len(workers) == 2
        psutil.wait_procs(workers, timeout=10)
        time.sleep(0.5)  # the master starts new workers; uploads keep arriving
        server.kill()  # master and workers
        servers.remove(server)
    finally:
        stop.set()
        for thread in threads:
            thread.join(DEADLINE_S)
    assert caught_storing

    # Restarted on the same state folder (crash leftovers swept when the store opens).
    again = Server(state_dir)
    servers.append(again)
    assert not [p for p in datasets_dir.iterdir() if p.name.startswith(".tmp-")]
    status, body = again.post(again.callback("data-datasets", "dataset-id"), {})
    assert status == 200
    listed_text = json.dumps(body["response"]["data-datasets"]["children"], ensure_ascii=False)
    for name in acked:
        assert f'"{name}"' in listed_text, f"acknowledged but not listed after the crash: {name}"

    store = StateStore.open(state_dir)
    try:
        records = {r.name: r for r in store.list_datasets()}
        for name, dataset_id in acked.items():
            assert records[name].id == dataset_id
        # nothing half-written: every listed dataset is one that was sent, and whole
        for name, record in records.items():
            assert sent.get(name) == record.id, f"listed but never sent whole: {name!r}"
            folder = store.get_dataset_folder(record.id)
            assert dataset_content_id(folder) == record.id
            assert record.file_count == 5
        assert sorted(p.name for p in datasets_dir.iterdir() if p.name != ".lock") == sorted(
            r.id for r in records.values()
        )
    finally:
        store.close()
    # every acknowledged upload opens in the restarted server, validated
    for name, dataset_id in acked.items():
        report = _opened_report(again, dataset_id)
        assert f'"In use: {name}"' in report
        assert "No errors" in report

    with closing(sqlite3.connect(state_dir / "state.db")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
