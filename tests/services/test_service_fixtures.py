"""The real servers the fixtures start answer, and stop afterwards (tests/services_fixtures.py)."""

from __future__ import annotations

import socket

import psycopg
import redis


def test_postgres_fixture_serves_postgis(postgres_url):
    with psycopg.connect(postgres_url) as conn:
        version = conn.execute("SELECT postgis_version()").fetchone()[0]
        area = conn.execute("SELECT ST_Area(ST_MakeEnvelope(0, 0, 2, 3, 3857))").fetchone()[0]
    assert version and area == 6.0


def test_redis_fixture_stores_and_reads(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.set("kp", "1")
    assert client.get("kp") == b"1"
    host, port = redis_url.split("//")[1].split("/")[0].split(":")
    with socket.socket() as s:
        assert s.connect_ex((host, int(port))) == 0
