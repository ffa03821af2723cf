"""Tests for components/siting_figures.py: the proposed-sites trace."""

from __future__ import annotations

import pandas as pd
import pytest

from components.siting_figures import NEW_SITE_COLOUR, new_sites_trace


def _sites() -> pd.DataFrame:
    return pd.DataFrame(
        {"latitude": [-13.160001], "longitude": [33.0], "district": ["B"],
         "people_newly_covered": [40.0], "rank": [1]}
    )  # fmt: skip


def test_trace_shows_rank_district_and_people_newly_covered():
    trace = new_sites_trace(_sites(), distance_km=5)
    assert trace["type"] == "scattermap" and trace["name"] == "Proposed drop-in centre"
    assert trace["lat"] == [-13.16] and trace["customdata"] == [[1, "B", 40.0]]
    assert "within 5 km" in trace["hovertemplate"] and trace["marker"]["color"] == NEW_SITE_COLOUR


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="people_newly_covered"):
        new_sites_trace(_sites().drop(columns="people_newly_covered"), distance_km=5)
