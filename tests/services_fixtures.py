"""Real PostgreSQL (with PostGIS) and Redis servers for tests, on free loopback ports.

``postgres_url`` and ``redis_url`` (session fixtures, registered in tests/conftest.py) start the
Debian servers in a temporary folder and stop them at the end of the session; nothing keeps
running. They are installed by ``make test`` (Makefile target ``services``) when missing; a test
that needs them fails (never skips) with the command to install them.

    postgresql://postgres@127.0.0.1:PORT/kp_test   (PostGIS extension created)
    redis://127.0.0.1:PORT/0
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

INSTALL_HINT = (
    "apt-get install -y postgresql-15-postgis-3 redis-server (make test does it when run as root)"
)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(f"PostgreSQL's {name} is missing: {INSTALL_HINT}")
    return found[-1]


def _wait_port(port: int, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"{what} did not listen on 127.0.0.1:{port} within {seconds:g} s")


def _as_postgres_user() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root (initdb refuses root), else None."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail(f"no 'postgres' user to run PostgreSQL as: {INSTALL_HINT}")
    return pw.pw_uid, pw.pw_gid


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL 15 + PostGIS server for this test session; yields its URL."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not glob.glob("/usr/share/postgresql/*/extension/postgis.control"):
        pytest.fail(f"PostGIS is missing: {INSTALL_HINT}")
    root = Path(tempfile.mkdtemp(prefix="kp-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    ids = _as_postgres_user()
    if ids:
        os.chown(root, *ids)
        os.chown(sock, *ids)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            check=True,
            capture_output=True,
            text=True,
            user=ids[0] if ids else None,
            group=ids[1] if ids else None,
        )

    port = free_port()
    run(initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(pg_ctl, "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start")
    try:
        _wait_port(port, 30, "PostgreSQL")
        psql = _pg_bin("psql")
        base = ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1"]
        run(psql, *base, "-d", "postgres", "-c", "CREATE DATABASE kp_test")
        run(psql, *base, "-d", "kp_test", "-c", "CREATE EXTENSION postgis")
        yield f"postgresql://postgres@127.0.0.1:{port}/kp_test"
    finally:
        subprocess.run(
            [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            user=ids[0] if ids else None,
            group=ids[1] if ids else None,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server (no persistence) for this test session; yields its URL."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail(f"redis-server is missing: {INSTALL_HINT}")
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, 15, "Redis")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
