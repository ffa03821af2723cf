"""pages/_shared.py: the privacy switch follows the mode; unknown dataset ids give None."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings
from pages import _shared
from services import context

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def test_hotspot_detail_is_refused_in_aggregate_mode():
    with context.using(Settings(aggregate_only=True)):
        assert _shared.aggregate_mode() and not _shared.hotspot_detail_allowed()
        with pytest.raises(_shared.HotspotDetailRefused, match="aggregate-only"):
            _shared.require_hotspot_detail()
        assert "district aggregates only" in _shared.level_note()
    assert _shared.hotspot_detail_allowed()
    _shared.require_hotspot_detail()
    assert "hotspot locations included" in _shared.level_note()


def test_dataset_or_none_for_unknown_ids():
    assert _shared.dataset_or_none("up-doesnotexist") is None
