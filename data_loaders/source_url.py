"""Dataset source URLs: ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME]``.

Told apart from folders, parsed (default schema ``public``; other libpq parameters such as
``sslmode`` pass through) and shown without their password: every message and log line shows
``DatabaseUrl.label`` or ``redact_url``, with the password as ``***``. Standard library only, so
that recognising a URL does not import the database driver (data_loaders.postgis does).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field

SCHEMES = ("postgresql://", "postgres://")
DEFAULT_SCHEMA = "public"
CONNECT_TIMEOUT_S = 10  # libpq waits forever for a silent host without it


class DatabaseSourceError(Exception):
    """A database source cannot be used: ``problems`` lists (table, message with the fix); the
    messages show the URL without its password."""

    def __init__(self, problems: Sequence[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("; ".join(message for _, message in self.problems))


def is_database_url(source: object) -> bool:
    """True when ``source`` is a postgresql:// (or postgres://) URL rather than a folder."""
    return isinstance(source, str) and source.strip().lower().startswith(SCHEMES)


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed source URL: what to connect with, the schema, and a label safe to show."""

    conninfo: str  # for psycopg: the URL without ?schema= (it may hold the password)
    schema: str
    label: str  # the URL with the password as *** (messages, logs, reports)
    identity: str  # the dataset's address: the URL without any password, scheme postgresql
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def scrub(self, text: str) -> str:
        """``text`` with the password replaced by *** and runs of whitespace as one space."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return " ".join(redact_url(text).split())

    def __repr__(self) -> str:
        return f"DatabaseUrl({self.label!r})"


def _bad_url(url: str, problem: str) -> DatabaseSourceError:
    return DatabaseSourceError(
        [
            (
                "dataset",
                f"{redact_url(url)} is not a usable database URL: {problem}; write "
                "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME]",
            )
        ]
    )


# USER:PASSWORD@ after a postgres scheme, also where a path folded its // into / (the password
# runs to the authority's last @, as urlsplit reads it); and ?password= / &password=.
_USERINFO = re.compile(r"(postgres(?:ql)?:/{1,2}[^:/?#@\s]*):[^/?#\s]*@", re.IGNORECASE)
_PASSWORD_PARAMETER = re.compile(r"([?&]password=)[^&#\s]*", re.IGNORECASE)
_FOLDED = re.compile(r"postgres(?:ql)?:/(?!/)", re.IGNORECASE)


def redact_url(text: str) -> str:
    """``text`` (a URL, or a message or path holding one) with every password as ***."""
    return _PASSWORD_PARAMETER.sub(r"\1***", _USERINFO.sub(r"\1:***@", text.strip()))


def is_folded_url(source: object) -> bool:
    """True for a postgresql:// URL that went through a file path (``Path`` folds ``//``)."""
    return not is_database_url(source) and bool(_FOLDED.search(str(source)))


def parse_url(url: str) -> DatabaseUrl:
    """Split a source URL into connection string, schema and label; DatabaseSourceError when
    it cannot be one."""
    if not is_database_url(url):
        raise _bad_url(url, "it does not start with postgresql://")
    parts = urllib.parse.urlsplit(url.strip())
    try:
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        raise _bad_url(url, "the port is not a number") from None
    database = urllib.parse.unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise _bad_url(url, "it names no database (the part after HOST:PORT/)")
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in query if key == "schema"]
    if len(schemas) > 1 or (schemas and not schemas[0].strip()):
        raise _bad_url(url, "give one non-empty ?schema=NAME, or none for the public schema")
    schema = schemas[0].strip() if schemas else DEFAULT_SCHEMA
    rest = [(key, value) for key, value in query if key != "schema"]
    if not any(key == "connect_timeout" for key, _ in rest):
        rest.append(("connect_timeout", str(CONNECT_TIMEOUT_S)))
    conninfo = urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, parts.path, urllib.parse.urlencode(rest), "")
    )
    secrets = [value for key, value in query if key == "password" and value]
    if parts.password:
        secrets += [parts.password, urllib.parse.unquote(parts.password)]
    label_query = urllib.parse.urlencode(
        [(k, "***" if k == "password" else v) for k, v in rest if k != "connect_timeout"]
        + [("schema", schema)],
        safe="*",
    )
    host = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}@" if parts.username else ""
    netloc = f"{parts.username}:***@{host}" if parts.password else f"{user}{host}"
    label = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, label_query, ""))
    identity_query = urllib.parse.urlencode(
        [(k, v) for k, v in rest if k not in ("password", "connect_timeout")] + [("schema", schema)]
    )
    identity = urllib.parse.urlunsplit(
        ("postgresql", f"{user}{host}", parts.path, identity_query, "")
    )
    ordered = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
    return DatabaseUrl(conninfo, schema, label, identity, ordered)


__all__ = [
    "DatabaseSourceError",
    "DatabaseUrl",
    "is_database_url",
    "is_folded_url",
    "parse_url",
    "redact_url",
]
