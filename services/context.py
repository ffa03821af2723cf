"""The settings of the running app, set once by ``app.create_app(settings)`` and read per request.

Pages and services never read the environment: the app factory passes its ``Settings`` here
(and into the Flask config), and code that needs the mode or a folder asks ``current_settings()``.
Outside a request (the CLI, tests, benchmarks) the settings given to ``configure`` are used,
and ``Settings()`` defaults before that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import flask

from config import Settings

SETTINGS_KEY = "KP_SETTINGS"

_configured: list[Settings] = []


def configure(settings: Settings) -> None:
    """Make ``settings`` the process's settings (the app factory; a CLI or benchmark run)."""
    _configured[:] = [settings]


def current_settings() -> Settings:
    """The settings of the app serving this request, else the configured ones, else defaults."""
    if flask.has_app_context():
        found = flask.current_app.config.get(SETTINGS_KEY)
        if isinstance(found, Settings):
            return found
    return _configured[0] if _configured else Settings()


@contextmanager
def using(settings: Settings) -> Iterator[Settings]:
    """Configure ``settings`` for the body of a ``with`` block, then restore the previous ones."""
    previous = list(_configured)
    configure(settings)
    try:
        yield settings
    finally:
        _configured[:] = previous
