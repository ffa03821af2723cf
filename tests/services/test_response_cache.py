"""services/response_cache.py against a real 2-worker gunicorn on the demo: a pure callback's
second identical request is answered from the shared cache with the same bytes, by any worker;
changed inputs are computed afresh; callbacks not marked pure are never cached."""

from __future__ import annotations

import http.client
import json

from tests.helpers import callback_request
from tests.test_serve import served  # noqa: F401  (the module's gunicorn fixture)


def _post(port: int, body: bytes) -> tuple[int, str | None, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(
            "POST",
            "/_dash-update-component",
            body=body,
            headers={"Content-Type": "application/json"},
        )
        r = conn.getresponse()
        return r.status, r.getheader("X-KP-Cache"), r.read()
    finally:
        conn.close()


def _dependency(port: int, output_id: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", "/_dash-dependencies")
        deps = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    return next(d for d in deps if output_id in d["output"])


def _map_request(port: int, metric: str) -> bytes:
    body = callback_request(_dependency(port, "map-graph.figure"), {"map-metric.value": metric})
    return json.dumps(body).encode()


def test_a_pure_callback_is_answered_from_the_shared_cache(served):  # noqa: F811
    first = _post(served, _map_request(served, "coverage_mid"))
    assert first[0] == 200 and first[1] in {"miss", "hit"}  # another test may have asked first
    answers = [_post(served, _map_request(served, "coverage_mid")) for _ in range(6)]
    assert all(a[0] == 200 and a[1] == "hit" for a in answers)
    assert all(a[2] == first[2] for a in answers)  # the same bytes from either worker
    other = _post(served, _map_request(served, "coverage_low"))
    assert other[0] == 200 and other[1] == "miss" and other[2] != first[2]


def test_callbacks_not_marked_pure_are_never_cached(served):  # noqa: F811
    body = json.dumps(callback_request(_dependency(served, "dataset-status.children"))).encode()
    for _ in range(2):
        status, header, _ = _post(served, body)
        assert status == 200 and header is None
