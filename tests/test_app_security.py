"""Security headers on every response, the Host allowlist and the refusal to serve full hotspot
detail to the network (issue 10; services/security.py, app.py).

One real server (``python app.py`` on the demo, full detail, KP_ALLOWED_HOSTS set) answers the
header and host checks: creating Dash apps in this process would register the page callbacks
again. Requests go through http.client so that the Host header is exactly what a test says.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest

from services.security import host_allowed, host_name, is_loopback
from tests.browser.conftest import ROOT, free_port, start_app, stop_app
from tests.helpers import callback_request

CONFIGURED_HOST = "planner.example.org"
HARDENING = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
REFUSAL_TIMEOUT_S = 60  # app.py imports Dash and pandas before it parses its options


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Server:
    url: str
    port: int

    def request(
        self,
        path: str,
        *,
        host: str | None = "",
        method: str = "GET",
        body: dict | None = None,
    ) -> Reply:
        """``method path`` with Host ``host`` (``""``: 127.0.0.1:port, None: no Host header)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            if host is not None:
                conn.putheader("Host", host or f"127.0.0.1:{self.port}")
            data = json.dumps(body).encode() if body is not None else b""
            if body is not None:
                conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data)
            response = conn.getresponse()
            return Reply(response.status, dict(response.getheaders()), response.read())
        finally:
            conn.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    proc, url, _log = start_app(env={"KP_ALLOWED_HOSTS": f" {CONFIGURED_HOST} , "})
    try:
        yield Server(url, int(urlparse(url).port or 0))
    finally:
        stop_app(proc)


def _policy(reply: Reply) -> dict[str, list[str]]:
    """The Content-Security-Policy of ``reply`` as {directive: sources}."""
    value = reply.headers["Content-Security-Policy"]
    return {
        name: sources
        for name, *sources in (part.split() for part in value.split(";") if part.strip())
    }


def _assert_hardened(reply: Reply) -> None:
    for name, value in HARDENING.items():
        assert reply.headers.get(name) == value, name
    policy = _policy(reply)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    sources = [s for values in policy.values() for s in values]
    assert not [s for s in sources if "://" in s or s in {"*", "http:", "https:"}], sources
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]


def _callback_body(server: Server) -> dict:
    dependencies = json.loads(server.request("/_dash-dependencies").body)
    navbar = next(d for d in dependencies if d["output"] == "navbar-collapse.is_open")
    return callback_request(navbar, {"navbar-toggler.n_clicks": 1})


@pytest.mark.parametrize(
    ("what", "path"),
    [
        ("page", "/"),
        ("another page", "/outreach?district=Lilongwe"),
        ("layout", "/_dash-layout"),
        ("asset", "/assets/style.css"),
        ("vendored asset", "/assets/vendor/bootstrap/bootstrap.min.css"),
        ("missing asset", "/assets/no-such-file.css"),
    ],
)
def test_every_response_carries_the_security_headers(server: Server, what: str, path: str):
    reply = server.request(path)
    assert reply.status == (404 if "missing" in what else 200)
    _assert_hardened(reply)


def test_a_callback_response_carries_the_security_headers(server: Server):
    reply = server.request("/_dash-update-component", method="POST", body=_callback_body(server))
    assert reply.status == 200
    assert json.loads(reply.body)["response"]["navbar-collapse"]["is_open"] is True
    _assert_hardened(reply)


def test_the_policy_lists_the_hash_of_every_inline_script_of_the_page(server: Server):
    reply = server.request("/")
    # Dash's Internet Explorer notice sits in an HTML comment: never run, no hash needed.
    html = re.sub(r"<!--.*?-->", "", reply.body.decode("utf-8"), flags=re.S)
    inline = [
        code
        for attributes, code in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
        if "src=" not in attributes and "application/json" not in attributes
    ]
    assert inline, "the Dash index has inline scripts (the renderer start-up at least)"
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"
        for code in inline
    }
    assert hashes <= set(_policy(reply)["script-src"])


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8050",
        "127.0.0.1.nip.io",
        "localhost.evil.example",
        "192.168.1.10",
        "",  # an empty Host header
    ],
)
def test_a_request_naming_a_foreign_host_is_refused(server: Server, host: str):
    reply = server.request("/_dash-layout", host=host or " ")
    assert reply.status == 400
    assert b"hotspot" not in reply.body.lower()
    _assert_hardened(reply)
    posted = server.request(
        "/_dash-update-component", host=host or " ", method="POST", body=_callback_body(server)
    )
    assert posted.status == 400


def test_a_request_without_a_host_header_is_refused(server: Server):
    assert server.request("/", host=None).status == 400


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost:8050", "LOCALHOST", "[::1]:1234", CONFIGURED_HOST + ":80"]
)
def test_loopback_and_configured_hosts_are_served(server: Server, host: str):
    assert server.request("/_dash-layout", host=host).status == 200


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8050", "127.0.0.1"),
        ("[::1]:8050", "::1"),
        ("[::1]", "::1"),
        ("LocalHost.:80", "localhost"),
        ("planner.example.org", "planner.example.org"),
    ],
)
def test_host_name_drops_port_brackets_and_case(header: str, name: str):
    assert host_name(header) == name


def test_host_allowed_needs_an_exact_name():
    allowed = frozenset({"localhost", "planner.lan"})
    assert host_allowed("planner.lan:8050", allowed)
    assert not host_allowed("x.planner.lan", allowed)
    assert not host_allowed("planner.lan.evil.example", allowed)
    assert not host_allowed(None, allowed)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("planner.lan", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10"])
def test_full_detail_on_a_network_host_refuses_to_start(host: str):
    done = subprocess.run(
        [sys.executable, "app.py", "--host", host, "--port", str(free_port())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=REFUSAL_TIMEOUT_S,
    )
    assert done.returncode == 2
    assert "full hotspot detail" in done.stderr
    assert "to the network" in done.stderr
    assert "--aggregate" in done.stderr
    assert "accounts" in done.stderr
    assert "Traceback" not in done.stderr


def test_aggregate_on_a_network_host_starts_with_a_warning():
    proc, url, log_path = start_app("--host", "0.0.0.0", "--aggregate")
    try:
        log = log_path.read_text(encoding="utf-8")
        assert "WARNING" in log
        assert "reachable from the network" in log
        assert "KP_ALLOWED_HOSTS" in log
        port = int(urlparse(url).port or 0)
        served = Server(url, port)
        assert served.request("/").status == 200
        assert served.request("/", host=f"192.168.1.10:{port}").status == 400
    finally:
        stop_app(proc)
