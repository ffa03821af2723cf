"""The vendored plotly.js (assets/vendor/plotly, built by assets/vendor/fetch_vendor.sh) is the
version plotly.py validates figures against, and it draws every trace type the app builds."""

from __future__ import annotations

import re

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs_version

from tests.helpers import ROOT

BUNDLE = ROOT / "assets" / "vendor" / "plotly" / "plotly-kp.min.js"
# where figures are built
FIGURE_CODE = ("components", "pages", "exports", "planning", "services")
# a trace type given as a value ("type": "bar", type="scattermap") or a graph object (go.Bar()
TYPE_VALUE = re.compile(r"""["']?type["']?\s*[:=]\s*["']([a-z0-9]+)["']""")
GRAPH_OBJECT = re.compile(r"\bgo\.([A-Z][A-Za-z0-9]+)\(")


def all_trace_types() -> set[str]:
    return set(go.Figure()._data_validator.class_strs_map)


def bundled_trace_types() -> set[str]:
    text = BUNDLE.read_text(encoding="utf-8")
    return set(re.findall(r'moduleType:"trace",name:"([a-z0-9]+)"', text))


def app_trace_types() -> set[str]:
    """Trace types named anywhere in the app's figure code."""
    known = all_trace_types()
    found: set[str] = set()
    for folder in FIGURE_CODE:
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found |= {t for t in TYPE_VALUE.findall(text) if t in known}
            found |= {name.lower() for name in GRAPH_OBJECT.findall(text)} & known
    return found


def test_the_bundle_is_the_plotly_js_version_plotly_py_validates_against():
    text = BUNDLE.read_text(encoding="utf-8")
    versions = set(re.findall(r'\.version="(\d+\.\d+\.\d+)"', text))
    assert versions == {get_plotlyjs_version()}


def test_every_trace_type_the_app_builds_is_in_the_bundle():
    used = app_trace_types()
    assert {"scattermap", "choroplethmap", "heatmap", "bar"} <= used  # the scan finds them
    missing = used - bundled_trace_types()
    assert not missing, (
        f"trace types {sorted(missing)} are drawn by the app but not in {BUNDLE.name}: add them "
        "to the entry in assets/vendor/fetch_vendor.sh and run it"
    )


def test_the_scan_would_see_a_trace_type_missing_from_the_bundle():
    assert "pie" in all_trace_types() - bundled_trace_types()
    assert TYPE_VALUE.findall('dict(type="pie", values=[1])') == ["pie"]
    assert GRAPH_OBJECT.findall("go.Pie(values=[1])") == ["Pie"]
