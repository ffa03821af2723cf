"""components/map_export.py: the standalone HTML map inlines Leaflet and refers to nothing
online."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import folium
import numpy as np
import pandas as pd
import pytest

from components import map_scale, maps
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
    towns = maps.basemap_features(tuple(boundaries().total_bounds))["places"]["features"]
    assert page.count('"type": "Point"') == 3 + 2 + len(towns)  # every hotspot, site and town
    assert "Lake Malawi" in page  # the offline context layers
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


# Leaflet renders tooltip strings as HTML: names from the data must arrive as text.
XSS = {
    "North": "<img src=x onerror=alert(1)>",
    "South": "</script><script>alert(2)</script>",
    "R1": '"><svg onload=alert(3)>',
}
RAW = ("<img src=x", "<svg onload", "<script>alert")


class _Markup(HTMLParser):
    """Start tags (with their attributes) and text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text += data


def markup(fragment: str) -> _Markup:
    parsed = _Markup()
    parsed.feed(fragment)
    parsed.close()
    return parsed


def tooltips(fmap: folium.Map) -> list[str]:
    """The tooltip HTML of every GeoJSON feature of the map (districts, hotspots, sites; not the
    Natural Earth towns)."""
    out: list[str] = []

    def walk(element) -> None:
        for child in element._children.values():
            if isinstance(child, folium.GeoJson):
                out.extend(
                    f["properties"].get("summary") or f["properties"]["tip"]
                    for f in child.data["features"]
                    # Natural Earth context (lakes, rivers, towns) is not data
                    if f["properties"].get("kind") != "town"
                    and ("summary" in f["properties"] or "tip" in f["properties"])
                )
            walk(child)

    walk(fmap)
    return out


def injected(frame, columns=("district", "region")):
    out = frame.copy()
    for column in columns:
        if column in out:
            out[column] = out[column].map(lambda v: XSS.get(v, v))
    return out


def test_tooltips_show_names_from_the_data_as_text():
    spots = hotspots()
    spots["name"] = ["<img src=x onerror=alert(4)>", "-5", "=1+1"]
    spots["hotspot_id"] = ["<b onmouseover=alert(5)>H1</b>", "H2", "H3"]
    spots["typology"] = ["<svg onload=alert(6)>", "bar", "lodge"]
    spots["peak_times"] = ["</script><script>alert(7)</script>", "", ""]
    places = sites()
    places["name"] = ["<img src=x onerror=alert(8)>", "DIC"]
    places["site_type"] = ["<i onclick=alert(9)>", "clinic"]
    places["services"] = ["<img src=x onerror=alert(10)>", "prep"]
    fmap = map_export.folium_map(
        injected(boundaries()),
        injected(districts()),
        hotspots=spots,
        sites=places,
        title="<img src=x onerror=alert(11)>",
        level_note="<svg onload=alert(12)>",
    )
    tips = tooltips(fmap)
    assert len(tips) == 2 + 3 + 2
    for tip in tips:  # only the markup the export writes itself, never an attribute
        parsed = markup(tip)
        assert {tag for tag, _ in parsed.tags} <= {"b", "br"} and all(
            not attrs for _, attrs in parsed.tags
        ), tip
    text = " ".join(markup(tip).text for tip in tips)
    for payload in [*XSS.values(), "<img src=x onerror=alert(4)>", "<svg onload=alert(6)>"]:
        assert payload in text  # shown to the reader as written, escaped once
    page = fmap.get_root().render()
    assert not [raw for raw in RAW if raw in page]
    assert "&lt;img src=x onerror=alert(11)&gt;" in page  # title and legend escaped


def test_a_district_without_figures_still_gets_an_escaped_tooltip():
    fmap = map_export.folium_map(injected(boundaries()), injected(districts()).iloc[:1])
    tips = tooltips(fmap)
    assert len(tips) == 2
    assert markup(tips[1]).tags == [("b", [])]
    assert markup(tips[1]).text == XSS["South"]


def test_a_national_export_of_many_spots_carries_grid_cells_not_spots():
    rng = np.random.default_rng(0)
    n = 400
    many = pd.concat([hotspots()] * (n // 3 + 1), ignore_index=True).head(n)
    many["hotspot_id"] = [f"HX{i:04d}" for i in range(n)]
    many["latitude"] = rng.uniform(-13.9, -12.1, n)
    many["longitude"] = rng.uniform(34.1, 34.9, n)
    page = map_export.standalone_map_html(
        boundaries(), districts(), hotspots=many, level_note="restricted", point_limit=100
    )
    assert map_export.CELL_CLASS in page
    assert '"className": "kp-hotspot"' not in page
    assert "HX0001" not in page and "Bar one" not in page  # no single spot is written
    assert f"{n:,} hotspots summed in grid cells" in page
    cells = map_scale.grid_cells(
        many, map_scale.cell_size_deg(maps.view_for_bounds((34, -14, 35, -12), width_px=900)[1])
    )
    assert int(cells["hotspots"].sum()) == n  # the cells add up to every spot
    assert page.count(" in this cell") == len(cells)
