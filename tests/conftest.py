"""Session fixtures shared by every test folder: real PostgreSQL/PostGIS and Redis servers
(tests/services_fixtures.py), started only by the tests that ask for them."""

from __future__ import annotations

from tests.services_fixtures import postgres_url, redis_url

__all__ = ["postgres_url", "redis_url"]
