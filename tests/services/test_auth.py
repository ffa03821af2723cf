"""Accounts on the web server and in the server state (issue 13): services/auth.py's login form,
session cookie, gate and same-origin checks, and services/accounts.py's users, rate limit and
audit log. Flask's test client on apps made in this process (no browser; the Chromium role
matrix is tests/browser/test_roles.py).

One app with accounts is shared by the module (create_app takes a while); each test that
changes a user or the failure counts uses its own user name or client address, so the tests
stay independent of their order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from config import Settings
from services import accounts, context, datasets, state
from services.accounts import AccountError, LoginRefused, Viewer

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
SECRET = "auth-unit-test-secret-0123456789abcdef"
PASSWORD = "a long test passphrase"
HOST = {"Host": "127.0.0.1"}
USERS = {
    "dana": ("donor", ()),
    "sam": ("site_manager", ("Lilongwe",)),
    "pat": ("planner", ()),
    "ada": ("admin", ()),
}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def demo_districts() -> list[str]:
    from data_loaders.dataset import load_dataset

    return [str(d) for d in load_dataset(DEMO).boundaries["district"]]


@pytest.fixture(scope="module")
def restore_globals() -> Iterator[None]:
    """create_app configures the process (settings, default dataset): put them back after."""
    configured = list(context._configured)
    yield
    context._configured[:] = configured
    datasets.set_default_folder(DEMO)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(state_dir=tmp_path_factory.mktemp("auth") / "state", secret_key=SECRET)


@pytest.fixture(scope="module")
def store(settings: Settings) -> state.StateStore:
    return state.store_for(settings)


@pytest.fixture(scope="module")
def server(settings: Settings, store: state.StateStore, restore_globals: None) -> Any:
    """The Flask server of an app whose state holds one user of each role."""
    import app as app_module

    known = demo_districts()
    for name, (role, districts) in USERS.items():
        accounts.add_user(store, name, role, PASSWORD, districts, known)
    return app_module.create_app(settings).server


@pytest.fixture
def client(server: Any) -> Any:
    return server.test_client()


def client_from(server: Any, address: str) -> Any:
    """A test client whose requests come from ``address``."""
    client = server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def log_in(client: Any, name: str, password: str = PASSWORD, next_path: str = "/", **kw: Any):
    """A plain (curl-like) form post to /login."""
    headers = {**HOST, **kw.pop("headers", {})}
    data = {"username": name, "password": password, "next": next_path, **kw.pop("data", {})}
    return client.post("/login", data=data, headers=headers, **kw)


def layout(client: Any) -> Any:
    return client.get("/_dash-layout", headers=HOST)


def session_cookie(response: Any) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("kp_session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def cookie_flags(cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def session_of(server: Any, client: Any) -> dict[str, Any]:
    """The decoded session of ``client``'s cookie ({} without one)."""
    cookie = client.get_cookie("kp_session", domain="127.0.0.1")
    if cookie is None:
        return {}
    serializer = server.session_interface.get_signing_serializer(server)
    return dict(serializer.loads(cookie.value))


# --- the gate without a session ------------------------------------------------------------------
def test_anonymous_page_is_redirected_to_login_with_next(client):
    response = client.get("/map?district=Lilongwe", headers={**HOST, "Accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/map%3Fdistrict%3DLilongwe"
    root = client.get("/", headers=HOST)
    assert root.status_code == 302 and root.headers["Location"] == "/login?next=/"


def test_anonymous_dash_endpoints_and_scripts_get_401(client):
    assert layout(client).status_code == 401
    assert client.get("/_dash-dependencies", headers=HOST).status_code == 401
    update = client.post("/_dash-update-component", json={"output": "x.children"}, headers=HOST)
    assert update.status_code == 401
    assert "sign in first" in update.get_json()["message"]
    # an XHR asking for a page is not redirected either
    xhr = client.get("/map", headers={**HOST, "X-Requested-With": "XMLHttpRequest"})
    assert xhr.status_code == 401
    script = client.get("/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js")
    assert script.status_code == 401
    assert client.get("/assets/basemap/africa.json", headers=HOST).status_code == 401
    assert client.get("/assets/../app.py", headers=HOST).status_code in (401, 404)


def test_login_page_style_sheet_and_healthz_are_open(client):
    page = client.get("/login?next=/outreach", headers=HOST)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert 'id="login-form"' in page.text
    assert 'name="next" value="/outreach"' in page.text
    assert CSRF_FIELD.search(page.text)
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    assert sheets == ["/assets/vendor/bootstrap/bootstrap.min.css"]
    css = client.get(sheets[0], headers=HOST)
    assert css.status_code == 200 and css.data
    assert client.get("/assets/style.css", headers=HOST).status_code == 200
    assert client.get("/healthz", headers=HOST).status_code == 200


# --- logging in ----------------------------------------------------------------------------------
def test_wrong_password_is_401_and_starts_no_session(server):
    client = client_from(server, "10.1.0.1")
    response = log_in(client, "pat", "not the password at all")
    assert response.status_code == 401
    assert 'id="login-error"' in response.text and "wrong user name or password" in response.text
    assert "u" not in session_of(server, client)
    assert layout(client).status_code == 401
    unknown = log_in(client, "nobody.here", "not the password at all")
    assert unknown.status_code == 401
    assert "wrong user name or password" in unknown.text  # the same answer for an unknown name


def test_plain_post_logs_in_with_303_and_a_lax_httponly_cookie(server):
    client = client_from(server, "10.1.0.2")
    response = log_in(client, "pat", next_path="/outreach?x=1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/outreach?x=1"
    cookie = session_cookie(response)
    flags = cookie_flags(cookie)
    assert "httponly" in flags
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in flags
    assert "expires" in flags  # a permanent session, KP_SESSION_HOURS long
    assert session_of(server, client)["u"] == "pat"
    assert layout(client).status_code == 200
    assert client.get("/", headers=HOST).status_code == 200


def test_cookie_is_secure_when_the_request_came_over_https(server):
    client = client_from(server, "10.1.0.3")
    response = log_in(client, "pat", base_url="https://127.0.0.1")
    assert response.status_code == 303
    assert "secure" in cookie_flags(session_cookie(response))


def test_cookie_is_secure_with_settings_https(tmp_path):
    """KP_HTTPS=1 (behind a TLS proxy, the request itself is plain HTTP)."""
    from flask import Flask

    from services import auth

    https = Settings(state_dir=tmp_path / "state", secret_key=SECRET, https=True)
    accounts.add_user(state.store_for(https), "pat", "planner", PASSWORD)
    server = Flask(__name__)
    server.config[context.SETTINGS_KEY] = https
    auth.install(server, https)
    response = log_in(server.test_client(), "pat")
    assert response.status_code == 303
    cookie = session_cookie(response)
    assert {"secure", "httponly"} <= cookie_flags(cookie)
    assert "samesite=lax" in cookie.lower()


@pytest.mark.parametrize(
    ("asked", "sent_to"),
    [
        ("//evil.example", "/"),
        ("//evil.example/login", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("evil.example", "/"),
        ("", "/"),
        ("/scenarios", "/scenarios"),
    ],
)
def test_next_never_leaves_the_site(server, asked, sent_to):
    client = client_from(server, "10.1.0.4")
    response = log_in(client, "pat", next_path=asked)
    assert response.status_code == 303
    assert response.headers["Location"] == sent_to


def test_login_form_does_not_echo_a_foreign_next(client):
    page = client.get("/login?next=//evil.example", headers=HOST)
    assert 'name="next" value="/"' in page.text
    assert "evil.example" not in page.text


# --- rate limit ----------------------------------------------------------------------------------
def test_five_failures_for_a_user_refuse_even_the_right_password(server, store):
    accounts.add_user(store, "rl.user", "planner", PASSWORD)
    for i in range(accounts.MAX_FAILURES_PER_USER - 1):
        # spread over addresses: the limit is per user name
        wrong = log_in(client_from(server, f"10.2.0.{i}"), "rl.user", "wrong password!")
        assert wrong.status_code == 401
    assert log_in(client_from(server, "10.2.1.0"), "rl.user").status_code == 303  # 4 failures: ok
    assert log_in(client_from(server, "10.2.1.1"), "rl.user", "wrong password!").status_code == 401
    client = client_from(server, "10.2.1.2")
    refused = log_in(client, "rl.user")
    assert refused.status_code == 429
    assert "too many failed attempts" in refused.text
    assert "u" not in session_of(server, client)
    # other users are not affected
    assert log_in(client_from(server, "10.2.1.3"), "ada").status_code == 303


def test_twenty_failures_from_an_address_refuse_every_user_there(server):
    address = "10.3.0.1"
    for i in range(accounts.MAX_FAILURES_PER_ADDRESS - 1):
        # a different name each time: the per-user limit is never reached
        wrong = log_in(client_from(server, address), f"guess{i}", "wrong password!")
        assert wrong.status_code == 401
    assert log_in(client_from(server, address), "pat").status_code == 303  # 19 failures: ok
    assert log_in(client_from(server, address), "guess-last", "wrong").status_code == 401
    assert log_in(client_from(server, address), "pat").status_code == 429
    assert log_in(client_from(server, address), "dana").status_code == 429
    # another address is not affected
    assert log_in(client_from(server, "10.3.0.2"), "pat").status_code == 303


# --- CSRF and same-origin ------------------------------------------------------------------------
def test_browser_post_needs_the_forms_csrf_token(server):
    client = client_from(server, "10.4.0.1")
    browser = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate"}
    missing = log_in(client, "pat", headers=browser)
    assert missing.status_code == 400
    assert "The form had expired" in missing.text
    assert "u" not in session_of(server, client)
    page = client.get("/login", headers=HOST)
    token = CSRF_FIELD.search(page.text).group(1)
    wrong = log_in(client, "pat", headers=browser, data={"csrf_token": token[::-1]})
    assert wrong.status_code == 400
    # a wrong token drops the session's token: fetch the form again
    token = CSRF_FIELD.search(client.get("/login", headers=HOST).text).group(1)
    ok = log_in(client, "pat", headers=browser, data={"csrf_token": token}, next_path="/map")
    assert ok.status_code == 303 and ok.headers["Location"] == "/map"
    assert session_of(server, client)["u"] == "pat"
    # the token is renewed at login: the old one is of no use to anybody who saw it
    assert session_of(server, client)["csrf"] != token


def test_a_referer_or_same_host_origin_also_needs_the_token(server):
    client = client_from(server, "10.4.0.2")
    client.get("/login", headers=HOST)
    referer = log_in(client, "pat", headers={"Referer": "http://127.0.0.1/login"})
    assert referer.status_code == 400
    origin = log_in(client, "pat", headers={"Origin": "http://127.0.0.1"})
    assert origin.status_code == 400


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "http://evil.example"},
        {"Origin": "http://127.0.0.1:9999"},
        {"Origin": "null"},
    ],
)
def test_cross_site_state_changing_requests_are_403(server, headers):
    client = client_from(server, "10.4.0.3")
    token = CSRF_FIELD.search(client.get("/login", headers=HOST).text).group(1)
    login = log_in(client, "pat", headers=headers, data={"csrf_token": token})
    assert login.status_code == 403
    assert "another site" in login.get_json()["message"]
    # a signed-in user's callbacks are refused the same way
    assert log_in(client, "pat").status_code == 303
    update = client.post(
        "/_dash-update-component", json={"output": "x.children"}, headers={**HOST, **headers}
    )
    assert update.status_code == 403
    assert client.post("/logout", headers={**HOST, **headers}).status_code == 403
    assert layout(client).status_code == 200  # still signed in


# --- sessions end ---------------------------------------------------------------------------------
def test_a_removed_users_session_ends(server, store):
    accounts.add_user(store, "leaver", "planner", PASSWORD)
    client = client_from(server, "10.5.0.1")
    assert log_in(client, "leaver").status_code == 303
    assert layout(client).status_code == 200
    accounts.remove_user(store, "leaver")
    assert layout(client).status_code == 401
    assert client.get("/", headers=HOST).status_code == 302


def test_a_removed_users_session_does_not_come_back_with_a_new_user_of_that_name(server, store):
    accounts.add_user(store, "reused", "planner", PASSWORD)
    client = client_from(server, "10.5.0.5")
    assert log_in(client, "reused").status_code == 303
    accounts.remove_user(store, "reused")
    assert layout(client).status_code == 401
    accounts.add_user(store, "reused", "donor", "somebody else's passphrase")
    assert layout(client).status_code == 401


def test_a_copy_of_the_cookie_is_of_no_use_after_logout(server):
    client = client_from(server, "10.5.0.6")
    assert log_in(client, "pat").status_code == 303
    copy = client.get_cookie("kp_session", domain="127.0.0.1").value
    assert client.get("/logout", headers=HOST).status_code == 303
    thief = client_from(server, "10.5.0.7")
    thief.set_cookie("kp_session", copy, domain="127.0.0.1")
    assert layout(thief).status_code == 401


def test_set_password_ends_the_old_session(server, store):
    before = accounts.add_user(store, "changer", "planner", PASSWORD)
    client = client_from(server, "10.5.0.2")
    assert log_in(client, "changer").status_code == 303
    user = accounts.set_password(store, "changer", "another long passphrase")
    assert user.session_epoch == before.session_epoch + 1
    assert layout(client).status_code == 401
    assert log_in(client, "changer").status_code == 401  # the old password
    assert log_in(client, "changer", "another long passphrase").status_code == 303
    assert layout(client).status_code == 200


def test_logout_ends_the_session(server):
    client = client_from(server, "10.5.0.3")
    assert log_in(client, "pat").status_code == 303
    assert layout(client).status_code == 200
    out = client.get("/logout", headers=HOST)
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    assert layout(client).status_code == 401
    assert session_of(server, client) == {}


def test_a_forged_or_unsigned_cookie_is_not_a_session(server):
    from itsdangerous import URLSafeTimedSerializer

    client = client_from(server, "10.5.0.4")
    forged = URLSafeTimedSerializer("another key", salt="cookie-session").dumps(
        {"u": "pat", "e": 1}
    )
    client.set_cookie("kp_session", forged, domain="127.0.0.1")
    assert layout(client).status_code == 401


# --- what each role's navbar offers ---------------------------------------------------------------
def nav_ids(client: Any) -> set[str]:
    response = layout(client)
    assert response.status_code == 200
    return set(re.findall(r'"id":\s*"(nav-[a-z_0-9-]+)"', response.text))


@pytest.mark.parametrize(
    ("name", "outreach", "data"),
    [("dana", False, False), ("sam", True, False), ("pat", True, True), ("ada", True, True)],
)
def test_navbar_links_follow_the_role(server, name, outreach, data):
    client = client_from(server, "10.6.0.1")
    assert log_in(client, name).status_code == 303
    ids = nav_ids(client)
    assert "nav-overview" in ids  # every role has the overview
    assert ("nav-outreach" in ids) is outreach
    assert ("nav-data" in ids) is data
    text = layout(client).text
    assert "local-banner" not in text
    assert 'id": "logout"' in text or '"id":"logout"' in text


# --- a server without accounts --------------------------------------------------------------------
def test_without_users_pages_are_served_as_the_local_planner(tmp_path, restore_globals):
    import app as app_module

    local = app_module.create_app(Settings(state_dir=tmp_path / "state")).server
    client = local.test_client()
    assert client.get("/", headers=HOST).status_code == 200
    response = layout(client)
    assert response.status_code == 200
    assert '"local-banner"' in response.text
    assert {"nav-outreach", "nav-data"} <= nav_ids(client)
    assert client.get("/login", headers=HOST).headers["Location"] == "/"


def test_check_startup_refuses_users_without_a_secret_key(tmp_path, restore_globals):
    from services import auth

    keyless = Settings(state_dir=tmp_path / "state")
    auth.check_startup(keyless)  # no users: fine
    accounts.add_user(state.store_for(keyless), "pat", "planner", PASSWORD)
    with pytest.raises(auth.AccountsWithoutKeyError, match="KP_SECRET_KEY"):
        auth.check_startup(keyless)
    auth.check_startup(Settings(state_dir=tmp_path / "state", secret_key=SECRET))


# --- services.accounts ---------------------------------------------------------------------------
@pytest.fixture
def fresh_store(tmp_path: Path) -> Iterator[state.StateStore]:
    store = state.open_store(Settings(state_dir=tmp_path / "state"))
    yield store
    store.close()


def test_password_is_stored_as_an_argon2id_hash(fresh_store):
    user = accounts.add_user(fresh_store, "pat", "planner", PASSWORD)
    assert "password" not in str(user.public()) and PASSWORD not in repr(user)
    with fresh_store.read() as conn:
        stored = conn.execute(
            sa.select(state.USERS.c.password_hash).where(state.USERS.c.name == "pat")
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert accounts.log_in(fresh_store, "pat", PASSWORD, "127.0.0.1").name == "pat"
    with pytest.raises(LoginRefused, match="wrong user name or password"):
        accounts.log_in(fresh_store, "pat", PASSWORD.upper(), "127.0.0.1")


@pytest.mark.parametrize(
    ("name", "role", "password", "districts", "message"),
    [
        ("", "planner", PASSWORD, (), "user name '' is not allowed"),
        ("-dash", "planner", PASSWORD, (), "starting with a letter or digit"),
        ("has space", "planner", PASSWORD, (), "is not allowed"),
        ("x" * 65, "planner", PASSWORD, (), "1 to 64 letters"),
        ("pat", "boss", PASSWORD, (), "role 'boss' is not one of: planner, site_manager"),
        ("pat", "planner", "short", (), "the password has 5 characters; use at least 10"),
        ("pat", "planner", "x" * 1025, (), "longer than 1024 characters"),
        ("pat", "donor", PASSWORD, ("Lilongwe",), "give --districts to site managers only"),
        ("pat", "site_manager", PASSWORD, (), "a site manager needs at least one district"),
        ("pat", "site_manager", PASSWORD, (" ", ""), "needs at least one district"),
    ],
)
def test_bad_values_are_refused_with_a_message(
    fresh_store, name, role, password, districts, message
):
    with pytest.raises(AccountError) as refused:
        accounts.add_user(fresh_store, name, role, password, districts, None)
    assert message in str(refused.value)
    assert accounts.count_users(fresh_store) == 0


def test_site_manager_districts_must_be_the_datasets(fresh_store):
    known = demo_districts()
    with pytest.raises(AccountError, match="'Atlantis' are not in the dataset's boundaries"):
        accounts.add_user(fresh_store, "sam", "site_manager", PASSWORD, ["Atlantis"], known)
    user = accounts.add_user(fresh_store, "sam", "site-manager", PASSWORD, [" lilongwe "], known)
    assert user.role == "site_manager"
    assert user.districts == ("Lilongwe",)  # the dataset's spelling
    viewer = Viewer.of(user)
    assert viewer.districts == ("Lilongwe",) and viewer.hotspot_detail
    assert not viewer.manages_data
    assert Viewer.of(accounts.add_user(fresh_store, "pat", "planner", PASSWORD)).districts is None


def test_names_are_unique_and_unknown_names_are_reported(fresh_store):
    accounts.add_user(fresh_store, "pat", "planner", PASSWORD)
    with pytest.raises(AccountError, match="a user named 'pat' exists"):
        accounts.add_user(fresh_store, "pat", "donor", PASSWORD)
    for action in (
        lambda: accounts.remove_user(fresh_store, "ghost"),
        lambda: accounts.set_password(fresh_store, "ghost", PASSWORD),
        lambda: accounts.get_user(fresh_store, "ghost"),
    ):
        with pytest.raises(AccountError, match="no user is named 'ghost'"):
            action()
    assert [u.name for u in accounts.list_users(fresh_store)] == ["pat"]


def test_audit_log_is_appended_and_listed_oldest_first(fresh_store):
    donor = Viewer(name="dana", role="donor", authenticated=True)
    sam = Viewer(name="sam", role="site_manager", districts=("Lilongwe",), authenticated=True)
    accounts.append_audit(
        fresh_store, sam, "Excel plan", ["Lilongwe", "Lilongwe"], None, "10.0.0.9"
    )
    accounts.append_audit(fresh_store, donor, "HTML map", ["B", "A"], "abc123", None)
    accounts.append_audit(fresh_store, sam, "outreach list", ["Lilongwe"], "abc123", "")
    entries = accounts.list_audit(fresh_store)
    assert [e.action for e in entries] == ["Excel plan", "HTML map", "outreach list"]
    assert entries[0].public() | {"at": None} == {
        "at": None,
        "user": "sam",
        "role": "site_manager",
        "action": "Excel plan",
        "districts": ["Lilongwe"],
        "dataset_id": "default",
        "address": "10.0.0.9",
    }
    assert entries[1].districts == ("A", "B") and entries[1].address is None
    assert entries[0].at <= entries[1].at <= entries[2].at
    assert entries[0].at.tzinfo is not None
    assert [e.action for e in accounts.list_audit(fresh_store, limit=2)] == [
        "HTML map",
        "outreach list",
    ]


def test_a_district_given_twice_in_two_spellings_is_stored_once(fresh_store):
    user = accounts.add_user(
        fresh_store, "sam", "site_manager", PASSWORD, ["lilongwe", "Lilongwe"], demo_districts()
    )
    assert user.districts == ("Lilongwe",)
