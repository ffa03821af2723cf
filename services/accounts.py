"""Users, roles, failed logins and the audit log, kept in the server state (services.state).

A user has a role and, for a site manager, the districts she may see:

- ``planner``: every page, every district, hotspot detail;
- ``site_manager``: hotspot detail of her districts only (every dataset is cut to them on the
  server, services.datasets);
- ``donor``: the aggregate-only view (district aggregates under disclosure control);
- ``admin``: what a planner sees; manages users from the CLI (``cli.py users``).

Passwords are hashed with Argon2id (argon2-cffi's defaults); a wrong password, an unknown
user and a rate-limited attempt all take the same path and give the same answer. Failed logins
are counted in the store, so the limit holds across worker processes: at most
MAX_FAILURES_PER_USER failures per user name and MAX_FAILURES_PER_ADDRESS per client address
within FAILURE_WINDOW.

The audit log holds every hotspot-level download or export: who, when, what, which districts.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.state import AUDIT, LOGIN_FAILURES, MAX_NAME_CHARS, USERS, StateError, StateStore

log = logging.getLogger(__name__)

ROLES = ("planner", "site_manager", "donor", "admin")
ROLE_LABELS = {
    "planner": "planner",
    "site_manager": "site manager",
    "donor": "donor (aggregate view)",
    "admin": "administrator",
}
LOCAL_NAME = "local"  # the viewer of a server with no accounts (127.0.0.1 only)
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)
_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_hasher = PasswordHasher()
# Verified against when the user does not exist, so an unknown name costs as long as a known one.
_DUMMY_HASH = _hasher.hash("not a password of anybody")


class AccountError(StateError):
    """A user command cannot be done; the message says why and what to do."""


class LoginRefused(Exception):
    """A login attempt failed: wrong name or password (one message for both), or rate-limited."""

    def __init__(self, message: str, *, limited: bool = False) -> None:
        super().__init__(message)
        self.limited = limited


@dataclass(frozen=True)
class User:
    """A stored user (never the password hash)."""

    name: str
    role: str
    districts: tuple[str, ...]
    session_epoch: int
    created_at: datetime
    updated_at: datetime

    def public(self) -> dict[str, Any]:
        """The user as ``users list --json`` prints it."""
        return {
            "name": self.name,
            "role": self.role,
            "districts": list(self.districts),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class Viewer:
    """Who a request is served for: a signed-in user, or the local planner when no accounts
    exist. ``districts`` None means every district; a tuple is a site manager's scope."""

    name: str
    role: str
    districts: tuple[str, ...] | None = None
    authenticated: bool = False
    address: str | None = field(default=None, compare=False)  # for the audit log

    @property
    def hotspot_detail(self) -> bool:
        """Whether this viewer may receive hotspot-level data (of her districts)."""
        return self.role != "donor"

    @property
    def manages_data(self) -> bool:
        """Whether this viewer may upload, rename and delete the team's datasets."""
        return self.role in ("planner", "admin")

    def cache_key(self) -> str:
        """What a shared response must match: role and district scope."""
        scope = "*" if self.districts is None else json.dumps(sorted(self.districts))
        return f"{self.role}:{scope}"

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (passed to background jobs, which run outside the request)."""
        data = asdict(self)
        data["districts"] = None if self.districts is None else list(self.districts)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Viewer:
        """The Viewer of ``to_dict``."""
        districts = data.get("districts")
        return cls(
            name=str(data["name"]),
            role=str(data["role"]),
            districts=None if districts is None else tuple(str(d) for d in districts),
            authenticated=bool(data.get("authenticated")),
            address=data.get("address"),
        )

    @classmethod
    def of(cls, user: User, address: str | None = None) -> Viewer:
        """The viewer of a signed-in user."""
        scoped = user.role == "site_manager"
        return cls(
            name=user.name,
            role=user.role,
            districts=user.districts if scoped else None,
            authenticated=True,
            address=address,
        )


def local_viewer(aggregate_only: bool) -> Viewer:
    """The viewer of a server with no accounts: a planner on 127.0.0.1, or the aggregate view."""
    return Viewer(name=LOCAL_NAME, role="donor" if aggregate_only else "planner")


# --- checks ------------------------------------------------------------------------------------
def check_user_name(name: str) -> str:
    """``name`` stripped, or AccountError saying what a user name may hold."""
    value = (name or "").strip()
    if not _USER_NAME.match(value):
        raise AccountError(
            f"user name {value[:40]!r} is not allowed: use 1 to 64 letters, digits and . _ @ -, "
            "starting with a letter or digit (e.g. amina.banda)"
        )
    return value


def check_role(role: str) -> str:
    """``role`` if it is one of ROLES, else AccountError listing them."""
    value = (role or "").strip().lower().replace("-", "_")
    if value not in ROLES:
        raise AccountError(f"role {role!r} is not one of: {', '.join(ROLES)}")
    return value


def check_password(password: str) -> str:
    """``password`` if long enough, else AccountError."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(
            f"the password has {len(password)} characters; use at least {MIN_PASSWORD_CHARS} "
            "(a passphrase of three or four words is easy to remember)"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"the password is longer than {MAX_PASSWORD_CHARS} characters")
    return password


def check_districts(
    role: str, districts: Iterable[str], known_districts: Iterable[str] | None
) -> tuple[str, ...]:
    """The districts of a user of ``role``: at least one, each a district of the dataset's
    boundaries, for a site manager; none for the other roles (they see every district)."""
    names = tuple(dict.fromkeys(d.strip() for d in districts if d and d.strip()))
    if role != "site_manager":
        if names:
            raise AccountError(
                f"a {ROLE_LABELS[role]} sees every district; give --districts to site managers only"
            )
        return ()
    if not names:
        raise AccountError(
            'a site manager needs at least one district: --districts "Lilongwe" (comma-separated)'
        )
    if known_districts is not None:
        known = {k.casefold(): k for k in known_districts}
        unknown = [d for d in names if d.casefold() not in known]
        if unknown:
            close = ", ".join(sorted(known.values())[:40])
            raise AccountError(
                f"district(s) {', '.join(repr(d) for d in unknown)} are not in the dataset's "
                f"boundaries; its districts are: {close}"
            )
        names = tuple(dict.fromkeys(known[d.casefold()] for d in names))
    return names


# --- users -------------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _user(row: Any) -> User:
    return User(
        name=row.name,
        role=row.role,
        districts=tuple(json.loads(row.districts or "[]")),
        session_epoch=int(row.session_epoch),
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
    )


def add_user(
    store: StateStore,
    name: str,
    role: str,
    password: str,
    districts: Iterable[str] = (),
    known_districts: Iterable[str] | None = None,
) -> User:
    """Add a user (AccountError when the name is taken or a value is not allowed)."""
    name = check_user_name(name)
    role = check_role(role)
    scope = check_districts(role, districts, known_districts)
    password_hash = _hasher.hash(check_password(password))
    now = _now()
    with store.write() as conn:
        if conn.execute(sa.select(USERS.c.name).where(USERS.c.name == name)).first():
            raise AccountError(
                f"a user named {name!r} exists; remove it first (users remove) or pick another "
                "name; to change a password use users set-password"
            )
        conn.execute(
            sa.insert(USERS).values(
                name=name,
                role=role,
                districts=json.dumps(list(scope)),
                password_hash=password_hash,
                # random: a cookie of a removed user never matches a new user of that name
                session_epoch=1 + secrets.randbelow(2**31 - 2),
                created_at=now,
                updated_at=now,
            )
        )
    log.info("user added (role %s, %d districts)", role, len(scope))
    return get_user(store, name)


def get_user(store: StateStore, name: str) -> User:
    """User ``name``; AccountError when there is none."""
    user = find_user(store, name)
    if user is None:
        raise AccountError(f"no user is named {name!r}; `cli.py users list` lists them")
    return user


def find_user(store: StateStore, name: str) -> User | None:
    """User ``name``, or None."""
    with store.read() as conn:
        row = conn.execute(sa.select(USERS).where(USERS.c.name == name.strip())).first()
    return None if row is None else _user(row)


def list_users(store: StateStore) -> list[User]:
    """Every user, by name."""
    with store.read() as conn:
        rows = conn.execute(sa.select(USERS).order_by(USERS.c.name)).all()
    return [_user(r) for r in rows]


def count_users(store: StateStore) -> int:
    """How many users exist (0: the server runs without accounts)."""
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(USERS)).scalar_one())


def remove_user(store: StateStore, name: str) -> None:
    """Remove user ``name``; her sessions stop working on their next request."""
    with store.write() as conn:
        removed = conn.execute(sa.delete(USERS).where(USERS.c.name == name.strip())).rowcount
    if not removed:
        raise AccountError(f"no user is named {name!r}; `cli.py users list` lists them")
    log.info("user removed")


def end_sessions(store: StateStore, name: str) -> None:
    """End every session of user ``name`` (her session epoch raised): logging out."""
    with store.write() as conn:
        conn.execute(
            sa.update(USERS)
            .where(USERS.c.name == name.strip())
            .values(session_epoch=USERS.c.session_epoch + 1)
        )


def set_password(store: StateStore, name: str, password: str) -> User:
    """Change a user's password; every session she had is ended (session_epoch raised)."""
    password_hash = _hasher.hash(check_password(password))
    with store.write() as conn:
        changed = conn.execute(
            sa.update(USERS)
            .where(USERS.c.name == name.strip())
            .values(
                password_hash=password_hash,
                session_epoch=USERS.c.session_epoch + 1,
                updated_at=_now(),
            )
        ).rowcount
    if not changed:
        raise AccountError(f"no user is named {name!r}; `cli.py users list` lists them")
    log.info("password changed; the user's sessions ended")
    return get_user(store, name)


# --- logging in --------------------------------------------------------------------------------
def _recent_failures(store: StateStore, name: str, address: str) -> tuple[int, int]:
    since = _now() - FAILURE_WINDOW
    with store.read() as conn:
        by_user = conn.execute(
            sa.select(sa.func.count())
            .select_from(LOGIN_FAILURES)
            .where(LOGIN_FAILURES.c.at >= since, LOGIN_FAILURES.c.user_name == name)
        ).scalar_one()
        by_address = conn.execute(
            sa.select(sa.func.count())
            .select_from(LOGIN_FAILURES)
            .where(LOGIN_FAILURES.c.at >= since, LOGIN_FAILURES.c.address == address)
        ).scalar_one()
    return int(by_user), int(by_address)


def _record_failure(store: StateStore, name: str, address: str) -> None:
    now = _now()
    with store.write() as conn:
        conn.execute(
            sa.insert(LOGIN_FAILURES).values(
                at=now, user_name=name[:MAX_NAME_CHARS], address=address[:64]
            )
        )
        # old rows are of no use to the limit
        conn.execute(sa.delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.at < now - FAILURE_WINDOW))


def log_in(store: StateStore, name: str, password: str, address: str) -> User:
    """The user whose name and password these are; LoginRefused otherwise (also when this name
    or this address failed too often within FAILURE_WINDOW)."""
    name = (name or "").strip()[:MAX_NAME_CHARS]
    by_user, by_address = _recent_failures(store, name, address)
    if by_user >= MAX_FAILURES_PER_USER or by_address >= MAX_FAILURES_PER_ADDRESS:
        log.warning("login refused: too many failed attempts (rate limit)")
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise LoginRefused(
            f"too many failed attempts; wait {minutes} minutes and try again", limited=True
        )
    with store.read() as conn:
        row = conn.execute(sa.select(USERS).where(USERS.c.name == name)).first()
    try:
        _hasher.verify(row.password_hash if row is not None else _DUMMY_HASH, password or "")
        ok = row is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None:
        _record_failure(store, name, address)
        log.warning("login failed (wrong user name or password)")
        raise LoginRefused("wrong user name or password")
    if _hasher.check_needs_rehash(row.password_hash):
        with store.write() as conn:
            conn.execute(
                sa.update(USERS)
                .where(USERS.c.name == name)
                .values(password_hash=_hasher.hash(password))
            )
    log.info("login (role %s)", row.role)
    return _user(row)


# --- audit log ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditEntry:
    """One hotspot-level download or export."""

    at: datetime
    user: str
    role: str
    action: str
    districts: tuple[str, ...]
    dataset_id: str | None
    address: str | None

    def public(self) -> dict[str, Any]:
        """The entry as ``cli.py audit --json`` prints it."""
        return {
            "at": self.at.isoformat(),
            "user": self.user,
            "role": self.role,
            "action": self.action,
            "districts": list(self.districts),
            "dataset_id": self.dataset_id,
            "address": self.address,
        }


def append_audit(
    store: StateStore,
    viewer: Viewer,
    action: str,
    districts: Iterable[str],
    dataset_id: str | None,
    address: str | None,
) -> None:
    """Append one entry to the audit log (one transaction)."""
    with store.write() as conn:
        conn.execute(
            sa.insert(AUDIT).values(
                at=_now(),
                user_name=viewer.name[:MAX_NAME_CHARS],
                role=viewer.role,
                action=action[:200],
                districts=json.dumps(sorted(set(districts))),
                dataset_id=(dataset_id or "default")[:64],
                address=(address or "")[:64] or None,
            )
        )


def list_audit(store: StateStore, limit: int | None = None) -> list[AuditEntry]:
    """The audit log, oldest first (the newest ``limit`` entries when given)."""
    query = sa.select(AUDIT).order_by(AUDIT.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    with store.read() as conn:
        rows = conn.execute(query).all()
    return [
        AuditEntry(
            at=_utc(r.at),
            user=r.user_name,
            role=r.role,
            action=r.action,
            districts=tuple(json.loads(r.districts or "[]")),
            dataset_id=r.dataset_id,
            address=r.address,
        )
        for r in reversed(rows)
    ]
