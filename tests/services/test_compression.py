"""services/compression.py: responses compressed as the browser accepts; the compressed bytes of
versioned front-end files kept (bounded), never those of callback answers or pages."""

from __future__ import annotations

import gzip

import flask

from services import compression

BUNDLE = ("/* a front-end bundle */ " + "function f(x){return x*2}; " * 20_000).encode()


def make_server() -> tuple[flask.Flask, compression.BoundedBytesCache]:
    server = flask.Flask("compression-test")
    answers = iter(range(1_000_000))

    @server.get("/_dash-component-suites/lib/bundle.v1_0_0m123.min.js")
    def bundle() -> flask.Response:
        return flask.Response(BUNDLE, mimetype="application/javascript")

    @server.post("/_dash-update-component")
    def callback() -> flask.Response:
        # each answer differs (as a viewer's callback answers do)
        return flask.jsonify(answer=next(answers), padding="x" * 5_000)

    compression.install(server)
    return server, server.extensions["kp_compress_cache"]


def test_a_front_end_file_is_compressed_once_and_served_from_memory():
    server, cache = make_server()
    client = server.test_client()
    first = client.get(
        "/_dash-component-suites/lib/bundle.v1_0_0m123.min.js",
        headers={"Accept-Encoding": "gzip"},
    )
    assert first.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(first.data) == BUNDLE
    assert len(first.data) < len(BUNDLE) / 10
    kept = cache.size_bytes
    assert kept == len(first.data)
    again = client.get(
        "/_dash-component-suites/lib/bundle.v1_0_0m123.min.js",
        headers={"Accept-Encoding": "gzip"},
    )
    assert again.data == first.data and cache.size_bytes == kept
    plain = client.get("/_dash-component-suites/lib/bundle.v1_0_0m123.min.js")
    assert plain.data == BUNDLE and "Content-Encoding" not in plain.headers


def test_callback_answers_are_compressed_each_time_and_never_kept():
    server, cache = make_server()
    client = server.test_client()
    answers = [
        client.post("/_dash-update-component", json={}, headers={"Accept-Encoding": "gzip"})
        for _ in range(3)
    ]
    assert all(a.headers["Content-Encoding"] == "gzip" for a in answers)
    values = [flask.json.loads(gzip.decompress(a.data))["answer"] for a in answers]
    assert values == [0, 1, 2]  # not an earlier answer from a cache
    assert cache.size_bytes == 0


def test_the_cache_keeps_within_its_bound_dropping_the_least_recently_used():
    cache = compression.BoundedBytesCache(max_bytes=100)
    cache.set("gzip;/a", b"a" * 40)
    cache.set("gzip;/b", b"b" * 40)
    assert cache.get("gzip;/a") == b"a" * 40  # /a used last
    cache.set("gzip;/c", b"c" * 40)
    assert cache.get("gzip;/b") is None and cache.get("gzip;/a") is not None
    assert cache.size_bytes == 80
    cache.set("gzip;/huge", b"h" * 101)  # larger than the whole cache: not kept
    assert cache.get("gzip;/huge") is None and cache.size_bytes == 80
    cache.set(f"gzip;{compression._NOT_KEPT}7", b"x")
    assert cache.size_bytes == 80
