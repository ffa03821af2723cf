"""components/map_export.py: the standalone HTML map inlines Leaflet and refers to nothing
online."""

from __future__ import annotations

import re

import pytest

from exports import map_export
from tests.components.test_maps import boundaries, districts, hotspots, sites

REMOTE = re.compile(r"""<(script|link)[^>]+(src|href)=["']?(https?:)?//""", re.IGNORECASE)


def test_full_detail_export_is_offline_and_holds_every_hotspot():
    page = map_export.standalone_map_html(
        boundaries(),
        districts(),
        metric="gap",
        hotspots=hotspots(),
        sites=sites(),
        rings_sites=sites(),
        crs_projected="EPSG:32736",
        distance_km=5,
        title="Test map",
        level_note="Level of detail: hotspot locations included",
        synthetic=True,
    )
    assert not REMOTE.search(page)
    assert "L.map(" in page or "L.map" in page  # leaflet inlined and used
    assert '"className": "kp-hotspot"' in page and '"className": "kp-site"' in page
    assert page.count('"type": "Point"') == 3 + 2  # every hotspot and every site
    assert all(f"({hid})" in page for hid in ("H1", "H2", "H3", "S1", "S2"))
    assert "Bar one" in page and "Level of detail: hotspot locations included" in page
    assert "Synthetic demo data" in page
    assert "jquery" not in page.lower() and "awesome-markers" not in page


def test_aggregate_export_holds_no_hotspot():
    page = map_export.standalone_map_html(
        boundaries(), districts(), level_note="district aggregates only"
    )
    assert not REMOTE.search(page)
    assert "district aggregates only" in page
    assert "kp-hotspot" not in page and "kp-site" not in page
    for h in hotspots().itertuples():
        assert f'"{h.hotspot_id}"' not in page and f"({h.hotspot_id})" not in page
        assert f"[{h.latitude}, {h.longitude}]" not in page
    assert "Bar one" not in page and "Lodge" not in page


def test_unused_folium_files_are_dropped_and_unknown_remote_files_refused():
    page = map_export.inline_assets(
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
        '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>'
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"/>'
    )
    assert "jquery" not in page and not REMOTE.search(page)
    assert "Leaflet" in page and "leaflet-container" in page
    with pytest.raises(RuntimeError, match=r"https://cdn\.example\.org/x\.js"):
        map_export.inline_assets('<script src="https://cdn.example.org/x.js"></script>')
