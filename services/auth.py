"""Accounts on the web server: the login form, signed session cookies, and a gate on every route.

``install(server, settings)`` (app.create_app) adds:

- ``/login``: an HTML form that is also a plain form post (fields ``username`` and ``password``;
  a browser's post must also carry the form's ``csrf_token``); a success sets the session cookie
  and redirects (303) to the page asked for; a failure answers 401, a rate-limited one 429.
- ``/logout``: ends the user's sessions on the server (a copied cookie stops working too).
- a gate before every other route. With no users in the server state the server runs as
  before: 127.0.0.1 only, as the local planner (the shell says so). Once a user exists, every
  route needs a valid session: a page request is redirected to ``/login``, anything else
  (``/_dash-*``, downloads, scripts) gets 401. Only the login page and its style sheets are served
  without one. A session names its user and her session epoch: removing the user or changing
  her password ends it on the next request.
- a same-origin check on every state-changing request (POST and the like): a request whose
  ``Origin`` names another host, or that the browser marks ``Sec-Fetch-Site: cross-site``, is
  refused with 403 (the session cookie is also ``SameSite=Lax``).

Cookies: signed with ``KP_SECRET_KEY`` (the server refuses to start with accounts and no key),
``HttpOnly``, ``SameSite=Lax``, ``Secure`` when ``KP_HTTPS=1`` or the request came over HTTPS;
a session lasts ``KP_SESSION_HOURS`` (checked on the server from the cookie's signed time).
"""

from __future__ import annotations

import dataclasses
import hmac
import html
import logging
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import flask
from flask.sessions import SecureCookieSessionInterface

from config import Settings
from services import accounts, state
from services.access import VIEWER_KEY
from services.accounts import Viewer
from services.context import current_settings

log = logging.getLogger(__name__)

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
SESSION_COOKIE = "kp_session"
# What an anonymous client may fetch: the login page, its style sheets and icon fonts, /healthz.
OPEN_PATHS = frozenset({LOGIN_PATH, LOGOUT_PATH, "/healthz"})
OPEN_ASSET_SUFFIXES = (".css", ".woff", ".woff2", ".ico")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The app factory's own render of the index page (app._register_front_end_paths), made in
# process before serving: a WSGI environ key no client can set. It gets the shell only.
WARM_UP_ENVIRON = "kp.warm_up"


class AccountsWithoutKeyError(ValueError):
    """Users exist but no KP_SECRET_KEY is set: sessions could not be signed."""


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure also when this request came over HTTPS."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (
            flask.has_request_context() and flask.request.is_secure
        )


def accounts_enabled(settings: Settings) -> bool:
    """Whether the server state holds any user (then every request needs a session)."""
    return accounts.count_users(state.store_for(settings)) > 0


def check_startup(settings: Settings) -> None:
    """Refuse to start when users exist and KP_SECRET_KEY is not set."""
    if settings.secret_key is None and accounts_enabled(settings):
        raise AccountsWithoutKeyError(
            "the server state has user accounts but KP_SECRET_KEY is not set, so sessions "
            "could not be signed; set KP_SECRET_KEY to a long random value (for example the "
            'output of `python -c "import secrets; print(secrets.token_urlsafe(32))"`), the '
            "same for every worker, and start again"
        )


def client_address() -> str:
    """The client's address (the proxy's when behind one: put ProxyFix in front if so)."""
    return (flask.request.remote_addr or "unknown")[:64]


def _wants_page() -> bool:
    """Whether an unauthenticated request is a page navigation (redirect) rather than XHR (401)."""
    request = flask.request
    if request.method != "GET" or request.path.startswith(("/_dash-", "/_reload", "/assets/")):
        return False
    if request.headers.get("X-Requested-With"):
        return False
    return "text/html" in (request.headers.get("Accept") or "") or not request.headers.get("Accept")


def _safe_next(target: str | None) -> str:
    """A local path to return to after logging in ("/" for anything else)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target[:500]


def _cross_site() -> bool:
    """Whether a state-changing request comes from another site's page.

    Browsers say where a request comes from in ``Sec-Fetch-Site``: only "same-origin" (this
    app's own pages) and "none" (typed by the user) pass; "same-site" (another port or
    subdomain of the same host) and "cross-site" are refused. A client without that header is
    judged by its ``Origin`` when it sends one (this app sends ``Referrer-Policy: no-referrer``,
    so browsers send ``Origin: null`` on its own forms; a browser old enough to send no
    Sec-Fetch-Site gets refused then). Clients such as curl send neither and pass.
    """
    request = flask.request
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    host = (request.headers.get("Host") or "").strip().lower()
    return urlsplit(origin.strip()).netloc.lower() != host


def _from_browser() -> bool:
    """Whether a request carries the headers browsers add to form posts (then a CSRF token is
    required; a plain client such as curl sends none of them and has no ambient cookies)."""
    headers = flask.request.headers
    return any(h in headers for h in ("Origin", "Referer", "Sec-Fetch-Site", "Sec-Fetch-Mode"))


def session_user(settings: Settings) -> accounts.User | None:
    """The user of this request's session, or None (no session, removed user, ended session)."""
    name = flask.session.get("u")
    epoch = flask.session.get("e")
    if not isinstance(name, str) or not isinstance(epoch, int):
        return None
    user = accounts.find_user(state.store_for(settings), name)
    if user is None or user.session_epoch != epoch:
        return None
    return user


def _csrf_token() -> str:
    token = flask.session.get("csrf")
    if not isinstance(token, str):
        token = flask.session["csrf"] = secrets.token_urlsafe(32)
    return token


def _login_page(message: str = "", status: int = 200, username: str = "") -> flask.Response:
    """The login form (plain HTML, the vendored Bootstrap style sheet)."""
    token = _csrf_token()
    next_path = _safe_next(flask.request.values.get("next"))
    alert = (
        f'<div class="alert alert-danger py-2" role="alert" id="login-error">'
        f"{html.escape(message)}</div>"
        if message
        else ""
    )
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · KP coverage planner</title>
<link rel="stylesheet" href="/assets/vendor/bootstrap/bootstrap.min.css">
</head><body class="bg-light">
<main class="container" style="max-width: 26rem; margin-top: 10vh">
<h1 class="h4 mb-3">KP coverage planner</h1>
<p class="text-muted">Sign in with the account your programme gave you.</p>
{alert}
<form method="post" action="{LOGIN_PATH}" id="login-form">
<input type="hidden" name="csrf_token" value="{html.escape(token)}">
<input type="hidden" name="next" value="{html.escape(next_path)}">
<div class="mb-3"><label class="form-label" for="username">User name</label>
<input class="form-control" id="username" name="username" autocomplete="username" required
 value="{html.escape(username)}" autofocus></div>
<div class="mb-3"><label class="form-label" for="password">Password</label>
<input class="form-control" id="password" name="password" type="password"
 autocomplete="current-password" required></div>
<button class="btn btn-primary w-100" type="submit" id="login-submit">Sign in</button>
</form></main></body></html>"""
    response = flask.make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _login() -> Any:
    settings = current_settings()
    if not accounts_enabled(settings):
        return flask.redirect("/", code=303)
    request = flask.request
    if request.method == "GET":
        return _login_page()
    if _from_browser():
        sent = request.form.get("csrf_token") or ""
        expected = flask.session.get("csrf")
        if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
            log.warning("login refused: missing or wrong CSRF token")
            flask.session.pop("csrf", None)
            return _login_page("The form had expired; please sign in again.", 400)
    username = (request.form.get("username") or "").strip()
    try:
        user = accounts.log_in(
            state.store_for(settings),
            username,
            request.form.get("password") or "",
            client_address(),
        )
    except accounts.LoginRefused as refused:
        return _login_page(str(refused), 429 if refused.limited else 401, username[:100])
    next_path = _safe_next(request.form.get("next"))
    flask.session.clear()
    flask.session.permanent = True
    flask.session["u"] = user.name
    flask.session["e"] = user.session_epoch
    flask.session["csrf"] = secrets.token_urlsafe(32)
    return flask.redirect(next_path, code=303)


def _logout() -> Any:
    """End the session on the server too (the user's session epoch is raised, so a copy of the
    cookie is of no use; her sessions on other devices end as well), then clear the cookie."""
    settings = current_settings()
    if settings.secret_key is not None and accounts_enabled(settings):
        user = session_user(settings)
        if user is not None:
            accounts.end_sessions(state.store_for(settings), user.name)
    flask.session.clear()
    return flask.redirect(LOGIN_PATH, code=303)


def _is_open_asset(path: str) -> bool:
    return path.startswith("/assets/") and path.endswith(OPEN_ASSET_SUFFIXES) and ".." not in path


def _gate() -> Any:
    """Set the request's viewer, or refuse it (see the module docstring)."""
    settings = current_settings()
    request = flask.request
    if request.method not in SAFE_METHODS and _cross_site():
        log.warning("cross-site %s refused", request.method)
        return {"message": "refused: this request came from another site's page"}, 403
    if request.environ.get(WARM_UP_ENVIRON) is True and request.path == "/":
        flask.g.setdefault(VIEWER_KEY, Viewer(name="warm-up", role="donor"))
        return None
    if not accounts_enabled(settings):
        flask.g.setdefault(
            VIEWER_KEY,
            dataclasses.replace(
                accounts.local_viewer(settings.aggregate_only), address=client_address()
            ),
        )
        return None
    if settings.secret_key is None:
        return {"message": "accounts exist but KP_SECRET_KEY is not set; see README.md"}, 503
    user = session_user(settings)
    if user is not None:
        flask.g.setdefault(VIEWER_KEY, _viewer(user, settings))
        return None
    if request.path in OPEN_PATHS or _is_open_asset(request.path):
        return None
    if _wants_page():
        target = request.full_path if request.query_string else request.path
        return flask.redirect(f"{LOGIN_PATH}?next={quote(target, safe='/')}", code=302)
    return {"message": "sign in first: this server needs an account (/login)"}, 401


def _viewer(user: accounts.User, settings: Settings) -> Viewer:
    viewer = Viewer.of(user, address=client_address())
    if settings.aggregate_only and viewer.role != "donor":
        viewer = dataclasses.replace(viewer, role="donor", districts=None)
    return viewer


def install(server: flask.Flask, settings: Settings) -> None:
    """Sessions, the login and logout routes and the gate (call before other before_request
    hooks, so nothing is answered before the gate decides)."""
    server.secret_key = settings.secret_key or secrets.token_bytes(32)
    server.session_interface = _SessionInterface()
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
    )
    server.add_url_rule(LOGIN_PATH, "kp_login", _login, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "kp_logout", _logout, methods=["GET", "POST"])
    server.before_request(_gate)
