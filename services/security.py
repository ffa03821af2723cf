"""HTTP hardening: security headers on every response and a Host allowlist.

``install(server, script_hashes, allowed_hosts)`` is called once by ``app.create_app``. Every
response (pages, callbacks, assets, errors, refusals) gets a Content-Security-Policy and the
nosniff/frame/referrer headers; a request whose Host header names no allowed host is refused
with 400 before any view runs, so a web page elsewhere cannot reach a planner's local instance
through DNS rebinding (its requests carry the attacker's host name).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable, Sequence

import flask

from config import LOOPBACK_HOSTS, Settings

log = logging.getLogger(__name__)

# Everything is served by the app itself (assets vendored, no CDN), so 'self' is the only origin.
CSP_DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    # script-src: 'self' plus the hashes of Dash's inline scripts (the renderer start-up and the
    # clientside callbacks), added per app by content_security_policy().
    "script-src": ("'self'",),
    # dash-renderer and dash_core_components insert <style> elements they generate at run time
    # (CSS-in-JS), plotly.js too (Lib.addStyleRule); without 'unsafe-inline' Chromium blocks
    # them on every page. Their content varies, so no hash can list it, and Dash has no style
    # nonce. CSS cannot run script, which is what script-src guards.
    "style-src": ("'self'", "'unsafe-inline'"),
    # Bootstrap's CSS draws its check marks and select arrows as data: SVG; plotly's PNG export
    # (Plotly.downloadImage) loads the chart's SVG from a blob: URL into an image to paint it.
    "img-src": ("'self'", "data:", "blob:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    # MapLibre (inside plotly.js) starts its tile workers from blob: URLs it creates itself.
    "worker-src": ("blob:",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    """The Content-Security-Policy value: CSP_DIRECTIVES with ``script_hashes`` (quoted CSP
    hash sources such as ``'sha256-…'``, from ``dash.Dash.csp_hashes()``) added to script-src."""
    directives = dict(CSP_DIRECTIVES)
    directives["script-src"] = (*directives["script-src"], *script_hashes)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def host_name(host_header: str) -> str:
    """The host of a Host header (or an allowlist entry), lower case, without port, brackets or
    trailing dot: ``'[::1]:8050'`` gives ``'::1'``, ``'LocalHost.:80'`` gives ``'localhost'``."""
    value = host_header.strip().lower()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


def is_loopback(host: str) -> bool:
    """True when ``host`` (a name or address, as given to ``--host``) is this machine only."""
    name = host_name(host)
    if name in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def allowed_host_names(extra: Iterable[str] = ()) -> frozenset[str]:
    """The host names a request may name: the loopback ones (any port) and ``extra``."""
    return frozenset(host_name(host) for host in (*LOOPBACK_HOSTS, *extra) if host.strip())


def host_allowed(host_header: str | None, allowed: frozenset[str]) -> bool:
    """Whether a request with this Host header may be served (no Host header: refused)."""
    return bool(host_header) and host_name(host_header or "") in allowed


def install(
    server: flask.Flask,
    script_hashes: Callable[[], Sequence[str]],
    allowed_hosts: Iterable[str] = (),
) -> None:
    """Refuse requests to hosts outside the allowlist (400) and add the security headers to
    every response of ``server``.

    ``script_hashes`` is called once, on the first response, when every inline script (a
    clientside callback defined by a page) is known.
    """
    allowed = allowed_host_names(allowed_hosts)
    policy: list[str] = []

    def refuse_foreign_host() -> tuple[dict[str, str], int] | None:
        host = flask.request.headers.get("Host")
        if host_allowed(host, allowed):
            return None
        log.warning("request refused: Host %r is not an allowed host", host_name(host or "")[:100])
        return {"message": "unknown host; see KP_ALLOWED_HOSTS in README.md"}, 400

    def add_headers(response: flask.Response) -> flask.Response:
        if not policy:
            policy.append(content_security_policy(script_hashes()))
        response.headers["Content-Security-Policy"] = policy[0]
        response.headers.update(SECURITY_HEADERS)
        return response

    server.before_request(refuse_foreign_host)
    server.after_request(add_headers)


class ListenAddressRefused(ValueError):
    """Serving hotspot detail on an address other machines can reach, with no accounts."""


def check_listen_address(settings: Settings, accounts_on: bool = False) -> None:
    """Refuse a non-loopback listen address while every visitor would get hotspot detail.

    Full-detail mode with no accounts serves hotspot locations of a criminalised population to
    anyone who can reach the port: that is allowed on this machine only. With accounts
    (``accounts_on``: users exist in the server state) every request needs a session.
    """
    if is_loopback(settings.host) or settings.aggregate_only or accounts_on:
        return
    raise ListenAddressRefused(
        f"KP_HOST={settings.host!r} would serve hotspot locations to every machine that can "
        "reach it. Serve on 127.0.0.1 (the default), add user accounts (`cli.py users add`, "
        "README: a shared server with accounts), or set KP_AGGREGATE=1 to serve district "
        "aggregates only."
    )
