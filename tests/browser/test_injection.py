"""Exports run no script: a dataset with HTML and formula payloads in every text field, served in
both modes; every page, hover and export opens with no dialog, and no CSV or Excel cell can start
a formula while numbers stay numbers (issue 10).

One app start per mode (module-scoped); the downloaded HTML files are opened from file:// and
their district, hotspot and site tooltips all opened.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import openpyxl
import pytest

from tests.browser.conftest import DEMO_DIR, start_app, stop_app, wait_for_dash_idle

# --- payloads ---------------------------------------------------------------------------------
# alert(n): each number names the field it came from, so a failure says which one leaked.
DISTRICTS = {
    "Chitipa": "<img src=x onerror=alert(1)>",
    "Karonga": "</script><script>alert(2)</script>",
    "Blantyre": '=HYPERLINK("http://x","y")',
    "Balaka": "@SUM(1) <svg onload=alert(3)>",
    "Dowa": "+1+1",
    "Rumphi": "-5",  # text that reads as a number: stays as it is
}
REGIONS = {
    "Northern": '"><svg onload=alert(4)>',
    "Central": "-Central",
    "Southern": '=HYPERLINK("http://x","south")',
}
TYPOLOGIES = {
    "bar": "<img src=x onerror=alert(5)>",
    "lodge": '=hyperlink("http://x","y")',
    "street": "@sum(1)",
    "home": "-home",
}
SITE_TYPES = {
    "clinic": "<img src=x onerror=alert(6)>",
    "pharmacy": "=1+1",
    "mobile": "@sum(1)",
}
HOTSPOT_IDS = {
    "HS-00001": '=HYPERLINK("http://x","HS1")',
    "HS-00002": "<img src=x onerror=alert(7)>",
    "HS-00003": "-7",
    "HS-00004": "+HS4",
}
# District and region columns are renamed alike in every file (so the dataset still loads).
AREAS = {"district": DISTRICTS, "region": REGIONS}
SITE_IDS = {"SITE-001": "=SITE1", "SITE-002": "<b onmouseover=alert(8)>S2</b>"}
NAMES = [
    "<img src=x onerror=alert(9)>",
    "</script><script>alert(10)</script>",
    '=HYPERLINK("http://x","y")',
    "\t=1+1",
    " =1+1",
    "+1+1",
    "@SUM(1)",
    "\r=1+1",
    "-5",
    '"><svg onload=alert(11)>',
]
DATASET_NAME = '=HYPERLINK("http://x","y") <img src=x onerror=alert(12)>'
FORMULA_STARTS = ("=", "+", "-", "@")
NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
# Rejected rows keep their raw text: leading tabs and spaces, and negative coordinates that
# must stay numbers in the rejected-rows CSV.
REJECTED_LATITUDE = "-9.69737"


def _read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def _rename(rows: list[list[str]], mappings: dict[str, dict[str, str]]) -> None:
    """Replace values in the named columns (column -> {old value: new value})."""
    for column, mapping in mappings.items():
        j = rows[0].index(column)
        for row in rows[1:]:
            row[j] = mapping.get(row[j], row[j])


def _append_like_first(rows: list[list[str]], **changes: str) -> None:
    """Append a copy of the first data row with some values changed (a row to be rejected)."""
    row = dict(zip(rows[0], rows[1])) | changes
    rows.append([row[c] for c in rows[0]])


def build_injected_dataset(folder: Path) -> Path:
    """A copy of the demo dataset with payloads in every free-text field (districts renamed in the
    boundaries and in every district column alike, so it still loads), plus rejected rows."""
    folder.mkdir(parents=True, exist_ok=True)
    toml = (DEMO_DIR / "dataset.toml").read_text(encoding="utf-8")
    toml = re.sub(r'(?m)^name = ".*"$', "name = " + json.dumps(DATASET_NAME), toml)
    (folder / "dataset.toml").write_text(toml, encoding="utf-8")

    geo = json.loads((DEMO_DIR / "boundaries.geojson").read_text(encoding="utf-8"))
    for feature in geo["features"]:
        props = feature["properties"]
        props["district"] = DISTRICTS.get(props["district"], props["district"])
        props["region"] = REGIONS.get(props["region"], props["region"])
        props["adm1_code"] = "<img src=x onerror=alert(13)>"
        props["iso_3166_2"] = "=1+1"
    (folder / "boundaries.geojson").write_text(json.dumps(geo), encoding="utf-8")

    hotspots = _read_csv(DEMO_DIR / "hotspots.csv")
    header = hotspots[0]
    _rename(hotspots, {**AREAS, "typology": TYPOLOGIES, "hotspot_id": HOTSPOT_IDS})
    name, days, times = (header.index(c) for c in ("name", "peak_days", "peak_times"))
    for i, row in enumerate(hotspots[1:]):
        row[name] = NAMES[i % len(NAMES)] + ("" if i % 3 else f" {i}")
        if i % 50 == 7:  # unreadable: cleared with a warning naming the value
            row[days], row[times] = "=1+1", "<img src=x onerror=alert(14)>"
    _append_like_first(
        hotspots, hotspot_id="\t=REJ1", name=" =1+1", latitude=REJECTED_LATITUDE, longitude="east"
    )
    _append_like_first(
        hotspots, hotspot_id="@REJ2", name="\t=1+1", latitude="=1+1", longitude="-33.5"
    )
    _write_csv(folder / "hotspots.csv", hotspots)

    sites = _read_csv(DEMO_DIR / "sites.csv")
    header = sites[0]
    _rename(sites, {**AREAS, "site_type": SITE_TYPES, "site_id": SITE_IDS})
    name, services, hours = (header.index(c) for c in ("name", "services", "open_hours"))
    for i, row in enumerate(sites[1:]):
        row[name] = NAMES[i % len(NAMES)] + f" {i}"
        if i % 10 == 3:
            row[services] += ";<img src=x onerror=alert(15)>"
            row[hours] = "=1+1"
    _append_like_first(sites, site_id="+REJ", name="\r=1+1", latitude="-15.1", longitude="abc")
    _write_csv(folder / "sites.csv", sites)

    enrolment = _read_csv(DEMO_DIR / "enrolment.csv")
    _rename(enrolment, {"hotspot_id": HOTSPOT_IDS})
    _append_like_first(enrolment, hotspot_id='=HYPERLINK("http://x","none")', enrolled="-5")
    _write_csv(folder / "enrolment.csv", enrolment)
    return folder


# --- checks -----------------------------------------------------------------------------------
# Markup that only exists when a payload was parsed as HTML instead of shown as text.
INJECTED_MARKUP = "img[src='x'], svg[onload], [onerror], [onmouseover]"
RAW_PAYLOADS = ("<img src=x", "<svg onload", "<script>alert", "<b onmouseover")


def runs_formula(value: str) -> bool:
    """True for text a spreadsheet would run: a tab or carriage return first, or a formula
    character first (after spaces) in text that is not a plain number; "'" makes it text."""
    if value.startswith(("\t", "\r")):
        return True
    return value.lstrip().startswith(FORMULA_STARTS) and not NUMBER.match(value)


def workbook_problems(path: Path) -> list[str]:
    """Formula cells, hyperlinks and text cells a spreadsheet would run, as "sheet!cell: value"."""
    wb = openpyxl.load_workbook(path)
    problems = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                where = f"{ws.title}!{cell.coordinate}: {cell.value!r}"
                runs = isinstance(cell.value, str) and runs_formula(cell.value)
                if runs or cell.data_type == "f" or cell.hyperlink is not None:
                    problems.append(where)
    return problems


def csv_problems(rows: list[list[str]]) -> list[str]:
    return [f"row {i} {cell!r}" for i, row in enumerate(rows) for cell in row if runs_formula(cell)]


def column(ws: Any, header: str) -> list[Any]:
    """The values under ``header`` (its first occurrence in the sheet), blanks left out."""
    rows = list(ws.iter_rows(values_only=True))
    for i, row in enumerate(rows):
        if header in row:
            j = row.index(header)
            return [r[j] for r in rows[i + 1 :] if j < len(r) and r[j] is not None]
    raise AssertionError(f"no column {header!r} in sheet {ws.title!r}")


def assert_numbers(values: list[Any], *, negative: bool = False) -> None:
    assert values and all(isinstance(v, (int, float)) for v in values), values[:5]
    if negative:
        assert all(v < 0 for v in values), values[:5]


def assert_inert(page: Any, dialogs: list[str], where: str) -> None:
    """No dialog and no payload parsed as markup (after a moment for a broken image's onerror)."""
    page.wait_for_timeout(300)
    assert dialogs == [], where
    assert page.locator(INJECTED_MARKUP).count() == 0, where


def assert_no_refused_inline(page: Any) -> None:
    """A content security policy refusing an inline script or handler means a payload became
    markup (other console errors are the business of the other browser tests)."""
    refused = [e for e in page.console_errors if "Refused to execute inline" in e]
    assert refused == []


def hover_across(page: Any, selector: str, steps: int = 6) -> None:
    """Move the mouse over a grid of points of every element matching ``selector``."""
    for box in [el.bounding_box() for el in page.locator(selector).all()]:
        if not box or box["width"] < 10 or box["height"] < 10:
            continue
        for i in range(1, steps):
            for j in range(1, steps):
                page.mouse.move(
                    box["x"] + box["width"] * i / steps, box["y"] + box["height"] * j / steps
                )
    page.mouse.move(0, 0)


def download(page: Any, selector: str, path: Path) -> Path:
    with page.expect_download(timeout=60000) as info:
        page.locator(selector).click()
    info.value.save_as(path)
    return path


def open_exported_html(page: Any, dialogs: list[str], path: Path) -> list[str]:
    """Open a downloaded HTML file from disk, open every tooltip of its map (if any) and hover it;
    return the tooltips' text."""
    text = path.read_text(encoding="utf-8")
    assert not [p for p in RAW_PAYLOADS if p in text], path.name
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    tips = page.evaluate(
        """() => {
            const maps = Object.values(window).filter(v => window.L && v instanceof L.Map);
            const texts = [];
            for (const map of maps) {
                const features = [];
                map.eachLayer(layer => { if (layer.feature) features.push(layer); });
                for (const layer of features) {  // the tooltip is bound to the GeoJSON group
                    const latlng = layer.getBounds ? layer.getBounds().getCenter()
                                                   : layer.getLatLng();
                    const point = map.latLngToContainerPoint(latlng);
                    const event = {latlng, containerPoint: point,
                                   layerPoint: map.latLngToLayerPoint(latlng)};
                    layer.fire('mouseover', event, true);
                    document.querySelectorAll('.leaflet-tooltip')
                        .forEach(tip => texts.push(tip.innerText));
                    layer.fire('mouseout', event, true);
                }
            }
            return texts;
        }"""
    )
    hover_across(page, ".leaflet-container")
    assert_inert(page, dialogs, path.name)
    return tips


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def injected_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_injected_dataset(tmp_path_factory.mktemp("injection") / "data")


@pytest.fixture(scope="module")
def full_url(injected_dir: Path) -> Iterator[str]:
    proc, url, _ = start_app(data_dir=injected_dir)
    try:
        yield url
    finally:
        stop_app(proc)


@pytest.fixture(scope="module")
def aggregate_url(injected_dir: Path) -> Iterator[str]:
    proc, url, _ = start_app("--aggregate", data_dir=injected_dir)
    try:
        yield url
    finally:
        stop_app(proc)


@pytest.fixture
def dialogs(page: Any) -> list[str]:
    """Every alert/confirm/prompt the page opens (each dismissed)."""
    seen: list[str] = []

    def on_dialog(dialog: Any) -> None:
        seen.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return seen


OUTREACH_DISTRICT = DISTRICTS["Chitipa"]
PAGES = [
    "/",
    "/map",
    "/scenarios",
    "/outreach?" + urlencode({"district": OUTREACH_DISTRICT}),
    "/data",
]


# --- full detail --------------------------------------------------------------------------------


def test_every_page_and_hover_runs_no_script(page, dialogs, full_url):
    for path in PAGES:
        page.goto(full_url + path)
        wait_for_dash_idle(page)
        hover_across(page, ".js-plotly-plot")
        assert_inert(page, dialogs, path)
    assert_no_refused_inline(page)


def test_html_map_export_runs_no_script(page, dialogs, full_url, tmp_path):
    page.goto(full_url + "/map")
    wait_for_dash_idle(page)
    path = download(page, "#map-export-html", tmp_path / "map.html")
    tips = open_exported_html(page, dialogs, path)
    # the payloads are shown as text, escaped once (not "&lt;img")
    assert any(DISTRICTS["Chitipa"] in t for t in tips)
    assert any(REGIONS["Northern"] in t for t in tips)
    assert any(TYPOLOGIES["bar"] in t for t in tips)
    assert any(NAMES[1] in t for t in tips)
    assert not any("&lt;" in t for t in tips)


def test_scenarios_excel_and_grid_csv_run_no_formula(page, dialogs, full_url, tmp_path):
    page.goto(full_url + "/scenarios")
    wait_for_dash_idle(page)
    path = download(page, "#scn-download-xlsx", tmp_path / "plan.xlsx")
    assert workbook_problems(path) == []
    wb = openpyxl.load_workbook(path)
    assert_numbers(column(wb["Hotspots"], "Latitude (°)"), negative=True)
    assert_numbers(column(wb["Districts"], "Estimate mid (people)"))
    assert f"'{DISTRICTS['Blantyre']}" in column(wb["Districts"], "District")
    assert DISTRICTS["Rumphi"] in column(wb["Districts"], "District")  # "-5" stays as it is
    rows = _read_csv(download(page, "#scn-grid-export", tmp_path / "grid.csv"))
    assert len(rows) > 20 and csv_problems(rows) == []
    names = [r[rows[0].index("District")] for r in rows[1:]]
    assert DISTRICTS["Rumphi"] in names and f"'{DISTRICTS['Dowa']}" in names
    assert_inert(page, dialogs, "/scenarios")


def test_overview_plan_and_grid_csv_run_no_formula(page, dialogs, full_url, tmp_path):
    page.goto(full_url + "/")
    wait_for_dash_idle(page)
    path = download(page, "#ov-download-plan", tmp_path / "plan.xlsx")
    assert workbook_problems(path) == []
    assert_numbers(column(openpyxl.load_workbook(path)["Regions"], "Districts"))
    rows = _read_csv(download(page, "#ov-export-csv", tmp_path / "districts.csv"))
    assert len(rows) >= 29 and csv_problems(rows) == []  # a header and 28 districts at least
    assert_inert(page, dialogs, "/")


def test_field_sheets_run_no_script_or_formula(page, dialogs, full_url, tmp_path):
    page.goto(full_url + PAGES[3])
    page.wait_for_function(
        "() => (document.querySelector('#out-summary') || {innerText: ''})"
        ".innerText.includes('in the plan')",
        timeout=60000,
    )
    path = download(page, "#out-download-xlsx", tmp_path / "sheets.xlsx")
    assert workbook_problems(path) == []
    wb = openpyxl.load_workbook(path)
    pe_sheets = [ws for ws in wb.worksheets if ws.title not in ("summary", "assignments")]
    assert pe_sheets
    assert_numbers(column(pe_sheets[0], "Latitude"), negative=True)
    assert_numbers(column(pe_sheets[0], "Your people"))
    html_path = download(page, "#out-download-html", tmp_path / "sheets.html")
    open_exported_html(page, dialogs, html_path)
    assert OUTREACH_DISTRICT in page.inner_text("h1")


def test_rejected_rows_csv_keeps_numbers_and_runs_no_formula(page, dialogs, full_url, tmp_path):
    page.goto(full_url + "/data")
    wait_for_dash_idle(page)
    files = {}
    for name in ("hotspots", "sites", "enrolment"):
        button = page.get_by_role("button", name=re.compile(f"Rejected {name} rows"))
        with page.expect_download(timeout=30000) as info:
            button.first.click()
        info.value.save_as(tmp_path / f"{name}.csv")
        rows = _read_csv(tmp_path / f"{name}.csv")
        assert csv_problems(rows) == [], name
        files[name] = [dict(zip(rows[0], r)) for r in rows[1:]]
    hotspots = files["hotspots"]
    assert [r["latitude"] for r in hotspots] == [REJECTED_LATITUDE, "'=1+1"]
    assert hotspots[1]["longitude"] == "-33.5"
    assert [r["name"] for r in hotspots] == ["' =1+1", "'\t=1+1"]
    # one row: the carriage return stays inside its quoted cell instead of starting a row
    assert [(r["latitude"], r["name"]) for r in files["sites"]] == [("-15.1", "'\r=1+1")]
    assert len(files["enrolment"]) == 1
    assert files["enrolment"][0]["enrolled"] == "-5"
    assert_inert(page, dialogs, "/data")


# --- aggregate only -----------------------------------------------------------------------------


def test_aggregate_pages_and_exports_run_no_script_or_formula(
    page, dialogs, aggregate_url, tmp_path
):
    for path in PAGES:
        page.goto(aggregate_url + path)
        wait_for_dash_idle(page)
        hover_across(page, ".js-plotly-plot")
        assert_inert(page, dialogs, path)
    page.goto(aggregate_url + "/map")
    wait_for_dash_idle(page)
    tips = open_exported_html(
        page, dialogs, download(page, "#map-export-html", tmp_path / "m.html")
    )
    assert any(DISTRICTS["Karonga"] in t for t in tips)
    page.goto(aggregate_url + "/")
    wait_for_dash_idle(page)
    path = download(page, "#ov-download-plan", tmp_path / "plan.xlsx")
    assert workbook_problems(path) == []
    rows = _read_csv(download(page, "#ov-export-csv", tmp_path / "districts.csv"))
    assert len(rows) >= 29 and csv_problems(rows) == []  # a header and 28 districts at least
    assert_inert(page, dialogs, "/ (aggregate)")
    assert_no_refused_inline(page)
