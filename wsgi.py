"""WSGI entry: ``waitress-serve wsgi:server`` (settings from KP_* variables, see config.py)."""

from __future__ import annotations

from app import create_app
from config import load_settings
from services.logs import configure_logging

configure_logging()
server = create_app(load_settings()).server
