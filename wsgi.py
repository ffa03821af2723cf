"""WSGI entry: ``gunicorn -c gunicorn.conf.py wsgi:server`` (make serve; settings from KP_*
variables, see config.py) and ``celery -A wsgi:celery_app worker`` when REDIS_URL is set."""

from __future__ import annotations

from app import create_app
from config import load_settings
from services.background import made_celery_app
from services.logs import configure_logging

configure_logging()
server = create_app(load_settings()).server
# The Celery application of the background callbacks (None without REDIS_URL): its worker runs
# `celery -A wsgi:celery_app worker`, so it registers the same callbacks.
celery_app = made_celery_app()
