"""The Map shows proposed drop-in centres to planners and never in the aggregate-only view."""

from __future__ import annotations

import json

from plotly.utils import PlotlyJSONEncoder

from config import Settings
from services import context, plans
from tests.helpers import import_page

QUERY = {"new_sites": "2", "service": "prep"}


def _names(figure) -> list[str]:
    return [trace.get("name", "") for trace in figure["data"]]


def test_planners_see_the_proposed_sites_with_people_newly_covered():
    page = import_page("map")
    figure = page._update_map(None, ["districts", "sites"], "coverage_mid", None, QUERY)[0]
    assert "Proposed drop-in centre" in _names(figure)
    trace = next(t for t in figure["data"] if t.get("name") == "Proposed drop-in centre")
    assert len(trace["lat"]) == 2 and all(row[2] > 0 for row in trace["customdata"])
    plain = page._update_map(None, ["districts", "sites"], "coverage_mid", None, {})[0]
    assert "Proposed drop-in centre" not in _names(plain)


def test_the_aggregate_view_never_gets_them():
    page = import_page("map")
    plans.clear_cache()
    with context.using(Settings(aggregate_only=True)):
        crafted = page._update_map(None, ["districts", "sites"], "coverage_mid", None, QUERY)[0]
    text = json.dumps(crafted, cls=PlotlyJSONEncoder)
    assert "Proposed drop-in centre" not in text and "people newly" not in text
