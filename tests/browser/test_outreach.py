"""Outreach page in Chromium with the network blocked: pick a district, read the plan next to the
caseloads, sort the PE grid, pick a PE and read her week, tighten the walking limit, change people
per PE, download the field sheets and open them; pick a service site of a district, see its
catchment drawn, share the link and open it in a fresh browser; a large area is planned in the
background with a progress bar; refused when aggregate."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import openpyxl
import pytest

from config import Settings
from services import context
from tests.browser.conftest import (
    ROOT,
    is_local,
    screenshot,
    start_app,
    stop_app,
    wait_for_dash_idle,
    wait_for_graph,
)
from tests.helpers import import_page

MAP = "out-caseload-map"
SLIDER_HANDLE = "#out-people-per-pe [role=slider]"
PE_COUNT = "#out-pe-count"
# The grid's rows as displayed (sorted and filtered), from its API; null until it has rows.
GRID_ROWS = """() => { try { const rows = [];
    dash_ag_grid.getApi('out-pe-grid').forEachNodeAfterFilterAndSort(n => rows.push(n.data));
    return rows.length ? rows : null; } catch (e) { return null; } }"""


def expected_plan(district: str, people_per_pe: int, walking_limit_km: float = 3.0):
    """The caseload plan computed in the test process from the demo files (same engine,
    independent of the app)."""
    from data_loaders.dataset import load_dataset
    from planning.caseloads import CaseloadParams, district_caseloads
    from tests.browser.conftest import DEMO_DIR

    ds = load_dataset(DEMO_DIR)
    return district_caseloads(
        ds.hotspots,
        ds.crs_projected,
        CaseloadParams(people_per_pe=people_per_pe, walking_limit_km=walking_limit_km),
        district=district,
    )


def expected_catchment(site_id: str, distance_km: float = 5.0) -> set[str]:
    """Hotspot ids of a site's catchment, computed in the test process from the demo files."""
    from data_loaders.dataset import load_dataset
    from planning.access import site_catchment
    from tests.browser.conftest import DEMO_DIR

    ds = load_dataset(DEMO_DIR)
    return set(
        site_catchment(ds.hotspots, ds.sites, ds.crs_projected, site_id, distance_km=distance_km)[
            "hotspot_id"
        ]
    )


def pe_count(page) -> int:
    return int(re.match(r"[\d,]+", page.inner_text(PE_COUNT)).group(0).replace(",", ""))


def choose(page, dropdown: str, name: str) -> None:
    page.click(dropdown)
    page.get_by_role("option", name=name, exact=True).click()


def grid_rows(page, count: int) -> list[dict]:
    """The grid's displayed rows once it shows ``count`` of them."""
    page.wait_for_function(
        f"() => {{ const r = ({GRID_ROWS})(); return r && r.length === {count}; }}", timeout=30000
    )
    return page.evaluate(GRID_ROWS)


def test_outreach_journey_district_grid_walking_limit_and_field_sheet(page, app_server, tmp_path):
    page.goto(app_server + "/outreach")
    page.wait_for_selector(PE_COUNT, timeout=30000)
    choose(page, "#out-district", "Blantyre")
    page.wait_for_function(
        "() => { const gd = document.querySelector('#out-caseload-map .js-plotly-plot');"
        " return gd && gd.layout && gd.layout.title"
        " && gd.layout.title.text.endsWith(' in Blantyre'); }",
        timeout=30000,
    )
    at_60 = expected_plan("Blantyre", 60)
    pes = at_60.peer_educators["pe_id"].tolist()
    assert pe_count(page) == at_60.pe_count
    # the plan's count next to the caseloads', and why they differ, in words
    plan_shown = page.inner_text("#out-plan-pe-count")
    assert plan_shown.startswith(f"{at_60.plan_peer_educators} ")
    note = page.inner_text("#out-pe-note")
    assert f"= {at_60.plan_peer_educators} PEs" in note
    assert f"the caseloads need {at_60.pe_count}" in note and "whole spots" in note

    # the map: one outline trace with a ring per caseload, a centre marker per PE
    data = wait_for_graph(page, MAP, min_traces=4)
    outlines = [t for t in data if t["meta"] == "outlines"]
    assert len(outlines) == 1 and outlines[0]["lat"].count(None) == at_60.pe_count
    centres = next(t for t in data if t["meta"] == "centres")
    assert [c[0] for c in centres["customdata"]] == pes
    spots = next(t for t in data if t["meta"] == "caseloads")
    assert {c[0] for c in spots["customdata"]} == set(pes)
    assert any(t["meta"] == "area" for t in data)  # the district's boundary
    assert "reach" in page.inner_text("#out-best-slots")

    # the grid: one row per PE; sorting by people as a user does (click the header)
    rows = grid_rows(page, at_60.pe_count)
    assert sorted(r["pe_id"] for r in rows) == sorted(pes)
    page.locator('#out-pe-grid .ag-header-cell[col-id="people"] .ag-header-cell-label').click()
    page.wait_for_function(
        f"() => {{ const r = ({GRID_ROWS})(); return r && r[0].people <= r[r.length - 1].people"
        " && r[0].people < r[r.length - 1].people; }",
        timeout=10000,
    )
    rows = page.evaluate(GRID_ROWS)
    assert [r["people"] for r in rows] == sorted(r["people"] for r in rows)
    first_cell = page.locator('#out-pe-grid .ag-row[row-index="0"] [col-id="people"]').first
    assert first_cell.inner_text() == str(min(r["people"] for r in rows))
    # selecting a row shows that PE's week (on demand)
    chosen = rows[1]["pe_id"]
    page.locator('#out-pe-grid .ag-row[row-index="1"] [col-id="people"]').first.click()
    page.wait_for_function(
        "(pe) => (document.querySelector('#out-calendar-head') || {}).innerText?.startsWith(pe)",
        arg=chosen,
        timeout=30000,
    )
    assert chosen in page.inner_text("#out-pe-select")

    # a walking limit of 0.5 km: the plan of the test process, every radius within it
    limit = page.locator("#out-walking-limit-km")
    limit.fill("0.5")
    limit.press("Enter")
    page.wait_for_function("() => location.search.includes('walking_limit_km=0.5')", timeout=30000)
    tight = expected_plan("Blantyre", 60, walking_limit_km=0.5)
    assert tight.pe_count > at_60.pe_count
    rows = grid_rows(page, tight.pe_count)
    assert max(r["radius_km"] for r in rows) <= 0.5
    assert max(at_60.peer_educators["radius_km"]) > 0.5  # the limit changed something
    assert "0.5 km" in page.inner_text("#out-summary")
    limit.fill("3")
    limit.press("Enter")
    page.wait_for_function(
        f"() => document.querySelector('{PE_COUNT}').innerText.startsWith('{at_60.pe_count} ')",
        timeout=30000,
    )

    # keyboard: End moves the slider to 90 people per PE (the top of the allowed range) -> fewer PEs
    page.locator(SLIDER_HANDLE).first.focus()
    page.keyboard.press("End")
    at_90 = expected_plan("Blantyre", 90)
    assert at_90.pe_count < at_60.pe_count
    page.wait_for_function(
        f"() => document.querySelector('{PE_COUNT}').innerText.startsWith('{at_90.pe_count} ')",
        timeout=30000,
    )

    # download the field sheets and open them: one sheet per PE, marked confidential, naming
    # the PE's spots
    with page.expect_download(timeout=60000) as info:
        page.click("#out-download-xlsx")
    path = tmp_path / "sheets.xlsx"
    info.value.save_as(path)
    wb = openpyxl.load_workbook(path, read_only=True)
    pe_sheets = [s for s in wb.sheetnames if s.startswith("PE-BLANTYRE-")]
    assert len(pe_sheets) == at_90.pe_count
    first = list(wb[pe_sheets[0]].iter_rows(values_only=True))
    assert "Confidential" in str(first[0][0])
    first_pe = at_90.assignments[at_90.assignments["pe_id"] == pe_sheets[0]]
    cells = {str(v) for row in first for v in (row or ()) if v is not None}
    assert any(h in " ".join(cells) for h in first_pe["hotspot_id"])

    with page.expect_download(timeout=60000) as info:
        page.click("#out-download-html")
    html_path = tmp_path / "sheets.html"
    info.value.save_as(html_path)
    text = html_path.read_text(encoding="utf-8")
    assert (
        "Confidential" in text
        and "http" not in text.split("<body>", 1)[1].split("Peer educator", 1)[0]
    )
    page.goto(html_path.as_uri())  # opens offline
    assert page.locator("h2").count() == at_90.pe_count
    assert page.console_errors == []
    assert page.blocked_requests == []


SITE_ID, SITE_NAME = "SITE-046", "Synthetic Clinic 046 (Blantyre)"
NOTE_SHOWS = "(text) => (document.querySelector('#out-area-note') || {}).innerText?.includes(text)"


def drawn_site_map(pg) -> tuple[set[str], list]:
    """(hotspot ids drawn as caseload markers, the site trace's customdata) once a catchment map
    is drawn."""
    pg.wait_for_function(
        "() => { const gd = document.querySelector('#out-caseload-map .js-plotly-plot');"
        " return gd && gd.data && gd.data.some(t => t.meta === 'site'); }",
        timeout=30000,
    )
    data = wait_for_graph(pg, MAP, min_traces=2)
    spots = next(t for t in data if t["meta"] == "caseloads")
    site = next(t for t in data if t["meta"] == "site")
    return {c[1] for c in spots["customdata"]}, site["customdata"]


def test_outreach_site_catchment_and_shared_link(page, app_server, browser, tmp_path):
    page.goto(app_server + "/outreach")
    page.wait_for_selector(PE_COUNT, timeout=30000)
    # district first, then a site of that district
    choose(page, "#out-district", "Blantyre")
    page.get_by_role("radio", name="Service site").check()
    page.click("#out-site")
    offered = page.get_by_role("option").all_inner_texts()
    assert offered and all(o.endswith(" — Blantyre") for o in offered)
    page.keyboard.type("Clinic 046")
    page.get_by_role("option", name=f"{SITE_NAME} — Blantyre").click()
    expected = expected_catchment(SITE_ID)
    note = (
        f"Catchment of {SITE_NAME}: {len(expected)} hotspots whose nearest site it is, within 5 km."
    )
    page.wait_for_function(NOTE_SHOWS, arg=note, timeout=30000)
    drawn, site = drawn_site_map(page)
    assert drawn == expected and len(expected) > 10
    assert site == [SITE_ID]
    assert "Best outreach slots" in page.inner_text("#out-best-slots")
    assert page.inner_text("#out-pe-select").startswith("PE-SITE-046-")  # PEs named after the site
    # why the caseloads need more PEs than the plan, with the walking limit
    assert "walking limit" in page.inner_text("#out-pe-note") and "3 km" in page.inner_text(
        "#out-pe-note"
    )

    # fewer PEs at 90 people each; the address bar follows every control
    page.locator(SLIDER_HANDLE).first.focus()
    page.keyboard.press("End")
    page.wait_for_function("() => location.search.includes('people_per_pe=90')", timeout=30000)
    page.wait_for_function(
        "() => document.querySelector('#out-pe-count') && document.querySelector('#out-summary')"
        ".innerText.includes('at most 90 people')",
        timeout=30000,
    )
    shared_url = page.url
    assert f"site={SITE_ID}" in shared_url and "district=" not in shared_url
    count = pe_count(page)
    page.wait_for_function(
        "() => document.querySelector('#out-calendar').innerText.includes('PE-SITE-046-001')",
        timeout=30000,
    )

    # the field sheets are those of the catchment: a sheet per PE, every catchment hotspot assigned
    with page.expect_download(timeout=60000) as info:
        page.click("#out-download-xlsx")
    assert info.value.suggested_filename == "field-sheets-site-046.xlsx"
    path = tmp_path / "site.xlsx"
    info.value.save_as(path)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert len([s for s in wb.sheetnames if s.startswith("PE-SITE-046-")]) == count
    rows = list(wb["assignments"].iter_rows(values_only=True))
    spot = next(i for i, h in enumerate(rows[0]) if h in ("hotspot_id", "Spot"))
    assert {r[spot] for r in rows[1:]} == expected

    # a colleague opens the link in a fresh browser context (no session): same site, same plan
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route(
        "**/*", lambda route: route.continue_() if is_local(route.request.url) else route.abort()
    )
    other = context.new_page()
    errors: list[str] = []
    other.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    other.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        other.goto(shared_url)
        other.wait_for_function(NOTE_SHOWS, arg=note, timeout=30000)
        other.wait_for_selector(PE_COUNT, timeout=30000)
        assert other.get_by_role("radio", name="Service site").is_checked()
        assert other.inner_text("#out-district").strip() == "Blantyre"  # the site's district
        assert SITE_NAME in other.inner_text("#out-site")
        assert other.locator(SLIDER_HANDLE).first.get_attribute("aria-valuenow") == "90"
        assert pe_count(other) == count
        drawn_other, _ = drawn_site_map(other)
        assert drawn_other == expected
        assert other.url == shared_url  # opening the link does not rewrite it
        assert errors == []
    finally:
        context.close()
    assert page.console_errors == []
    assert page.blocked_requests == []


def test_outreach_screenshot_and_timing(page, app_server):
    page.goto(app_server + "/outreach")
    page.wait_for_selector(PE_COUNT, timeout=30000)
    wait_for_graph(page, MAP, min_traces=2)
    wait_for_graph(page, "out-heatmap", min_traces=1)
    ms = float(page.inner_text("#out-timing").split()[0]) if page.inner_text("#out-timing") else 0.0
    assert ms < 2000  # server-side time of the main callback (measured figure in the report)
    screenshot(page, "outreach")
    assert page.console_errors == []


def test_outreach_is_absent_in_aggregate_mode(aggregate_server):
    with urllib.request.urlopen(aggregate_server + "/_dash-layout") as response:
        layout = response.read().decode("utf-8")
    assert "out-caseload-map" not in layout
    # the page registry of the aggregate server has no /outreach
    with urllib.request.urlopen(aggregate_server + "/outreach") as response:
        body = response.read().decode("utf-8")
    assert "out-caseload-map" not in body


def test_every_outreach_callback_refuses_in_aggregate_mode():
    """Server side: even a crafted request gets no hotspot data when hotspot detail is not
    allowed."""
    with context.using(Settings(aggregate_only=True)):
        _every_outreach_callback_refuses()


def _every_outreach_callback_refuses() -> None:
    from pages import _shared

    outreach = import_page("outreach")

    with pytest.raises(_shared.HotspotDetailRefused):
        outreach._districts(None, None)
    with pytest.raises(_shared.HotspotDetailRefused):
        outreach._update(None, None, None, "Blantyre", 60, 6, [])
    with pytest.raises(_shared.HotspotDetailRefused):  # the background job checks again
        outreach._update_in_background(lambda _: None, [None, "Blantyre", 60, 6, []], None)
    with pytest.raises(_shared.HotspotDetailRefused):
        outreach._calendar("PE-BLANTYRE-001", None, "Blantyre", 60, 6, [])
    with pytest.raises(_shared.HotspotDetailRefused):
        outreach._download(1, None, None, "Blantyre", 60, 6, [])
    with pytest.raises(_shared.HotspotDetailRefused):
        outreach._spots({"map.zoom": 15}, "PE-BLANTYRE-001", None, "Blantyre", 60, 6, [])
    with pytest.raises(_shared.HotspotDetailRefused):
        outreach._sites(None, None)
    with pytest.raises(_shared.HotspotDetailRefused):
        outreach._share_url("", None, 60, 6, [], "site", "SITE-046", 5)
    for kind, area in (("site", "SITE-046"), ("district", None)):
        with pytest.raises(_shared.HotspotDetailRefused):
            outreach._update(None, None, None, "Blantyre", 60, 6, [], kind, area, 5, 1)
        with pytest.raises(_shared.HotspotDetailRefused):
            outreach._calendar("PE-SITE-046-001", None, "Blantyre", 60, 6, [], kind, area, 5)
        with pytest.raises(_shared.HotspotDetailRefused):
            outreach._download(None, 1, None, "Blantyre", 60, 6, [], kind, area, 5)


def test_share_link_round_trip():
    """Server side: the query the page writes into the address bar is read back by its layout."""
    from urllib.parse import parse_qsl

    outreach = import_page("outreach")

    search = outreach.share_search("site", "Blantyre", SITE_ID, 70, 8, ["apart"], 3, 1.5)
    assert search == (
        f"?site={SITE_ID}&distance_km=3&people_per_pe=70&walking_limit_km=1.5&hours_per_day=8"
        "&keep_apart=1"
    )
    assert (
        outreach.share_search("district", "Nkhata Bay", SITE_ID, 60, 6, [], 3)
        == "?district=Nkhata+Bay&people_per_pe=60"
    )
    assert (
        outreach.share_search("site", "Blantyre", None, 60) == ""
    )  # nothing chosen yet: leave the URL

    values: dict[str, object] = {}

    def walk(node) -> None:
        if getattr(node, "id", None) and hasattr(node, "value"):
            values[node.id] = node.value
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if hasattr(child, "to_plotly_json"):
                walk(child)

    walk(outreach.layout(**dict(parse_qsl(search[1:]))))
    ids = outreach.ID
    assert (
        values[ids.area_kind],
        values[ids.site],
        values[ids.distance_km],
        values[ids.people_per_pe],
        values[ids.hours_per_day],
        values[ids.keep_apart],
        values[ids.walking_limit_km],
    ) == ("site", SITE_ID, 3.0, 70, 8.0, ["apart"], 1.5)


def test_site_list_follows_the_district():
    """Server side: district first, then the sites of that district; "All districts" while a
    site is planned; a shared site link picks the site's district."""
    outreach = import_page("outreach")
    dataset = outreach.store.get_dataset(None)
    options, value = outreach.district_choices(dataset, "district", None, None)
    counts = dataset.hotspots["district"].value_counts()
    assert value == counts.index[0] and len(options) == len(counts)
    assert outreach.ALL_DISTRICTS not in [o["value"] for o in options]
    options, value = outreach.district_choices(dataset, "site", None, SITE_ID)
    assert options[0]["value"] == outreach.ALL_DISTRICTS and value == "Blantyre"
    sites, site = outreach.site_choices(dataset, "Blantyre", SITE_ID)
    blantyre = set(dataset.sites.loc[dataset.sites["district"] == "Blantyre", "site_id"])
    assert {o["value"] for o in sites} == blantyre and site == SITE_ID
    sites, site = outreach.site_choices(dataset, "Lilongwe", SITE_ID)  # not offered: the first
    assert SITE_ID not in {o["value"] for o in sites} and site == sites[0]["value"]
    everywhere, _ = outreach.site_choices(dataset, outreach.ALL_DISTRICTS, None)
    assert len(everywhere) == len(dataset.sites)
    # back to planning a district: "All districts" gives way to the site's district
    assert outreach.district_choices(dataset, "district", outreach.ALL_DISTRICTS, SITE_ID)[1] == (
        "Blantyre"
    )


def served_district(folder: Path, seed: int, warm_up: bool):
    """The app on a synthetic district of 2,500 spots written to ``folder``, its shared result
    cache emptied (an earlier run's plan would be served at once); ``warm_up``: its caseloads
    planned at start (services.caseload_plans), as python app.py serves by default. Yields (URL,
    log file)."""
    from bench.synthetic import synthetic_dataset, write_dataset_folder
    from services.background import cache_folder

    folder = write_dataset_folder(
        synthetic_dataset(2_500, 20, 1, boundaries="grid", seed=seed), folder
    )
    shutil.rmtree(cache_folder(Settings(data_dir=folder)))
    env = {"KP_WARM_UP_CASELOADS": "1" if warm_up else "0"}
    proc, url, log = start_app(data_dir=folder, env=env)
    try:
        yield url, log
    finally:
        stop_app(proc)


@pytest.fixture(scope="module")
def large_area_server(tmp_path_factory):
    """2,500 spots (above BACKGROUND_MIN_SPOTS), not planned ahead: the first visit plans them."""
    yield from served_district(tmp_path_factory.mktemp("large-area"), 5, warm_up=False)


# Records whether the progress bar was ever shown (it may be on screen for a second only).
PROGRESS_SEEN = """
window.__progressSeen = false;
new MutationObserver(() => {
    const box = document.getElementById('out-progress-box');
    if (box && !box.hidden) window.__progressSeen = true;
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


def test_a_large_area_is_planned_in_the_background(page, large_area_server):
    url, log = large_area_server
    outreach = import_page("outreach")
    page.add_init_script(PROGRESS_SEEN)
    page.goto(url + "/outreach")
    page.wait_for_function("() => window.__progressSeen", timeout=60000)
    page.wait_for_selector(PE_COUNT, timeout=120000)
    count = pe_count(page)
    rows = grid_rows(page, count)
    assert len(rows) > 2_500 / 90  # every PE, at most 90 people each
    assert page.is_hidden("#out-progress-box")
    assert "2,500 spots" in page.inner_text("#out-summary")
    assert outreach.BACKGROUND_MIN_SPOTS < 2_500
    # the calendar is computed by the server from the job's result, read from the shared cache
    page.wait_for_function(
        "(pe) => (document.querySelector('#out-calendar-head') || {}).innerText?.startsWith(pe)",
        arg=rows[0]["pe_id"],
        timeout=30000,
    )
    wait_for_dash_idle(page)
    assert "read from the shared cache" in log.read_text(encoding="utf-8")
    assert page.console_errors == []


@pytest.fixture(scope="module")
def celery_area_server(tmp_path_factory, redis_url):
    """The app on the 2,500-spot district with REDIS_URL set, and a Celery worker (as make serve
    starts one): background callbacks run as Celery tasks through a real Redis."""
    from bench.synthetic import synthetic_dataset, write_dataset_folder
    from services.background import cache_folder

    folder = write_dataset_folder(
        synthetic_dataset(2_500, 20, 1, boundaries="grid", seed=6),
        tmp_path_factory.mktemp("celery-area"),
    )
    shutil.rmtree(cache_folder(Settings(data_dir=folder)), ignore_errors=True)
    env = {"REDIS_URL": redis_url, "KP_DATA_DIR": str(folder), "KP_WARM_UP_CASELOADS": "0"}
    worker_log = tmp_path_factory.mktemp("celery-log") / "worker.log"
    with open(worker_log, "w", encoding="utf-8") as out:
        worker = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "wsgi:celery_app", "worker",
             "--concurrency", "1", "--loglevel", "INFO"],
            cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    proc, url, log = start_app(data_dir=folder, env=env)
    try:
        yield url, log, worker_log
    finally:
        stop_app(proc)
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_with_redis_a_large_area_is_planned_by_a_celery_worker(page, celery_area_server):
    url, log, worker_log = celery_area_server
    page.add_init_script(PROGRESS_SEEN)
    page.goto(url + "/outreach")
    page.wait_for_function("() => window.__progressSeen", timeout=90000)
    page.wait_for_selector(PE_COUNT, timeout=180000)
    assert len(grid_rows(page, pe_count(page))) > 2_500 / 90
    assert "background jobs on Celery workers" in log.read_text(encoding="utf-8")
    worker = worker_log.read_text(encoding="utf-8")
    assert "succeeded" in worker, worker[-2000:]
    assert page.console_errors == []


@pytest.fixture(scope="module")
def warm_area_server(tmp_path_factory):
    """2,500 spots (above figs.DETAIL_MAX_SPOTS), planned at start as python app.py does."""
    yield from served_district(tmp_path_factory.mktemp("warm-area"), 8, warm_up=True)


# The spots trace of the caseload map (figs.SPOT_TRACE): its legend name and its spots' PE ids.
SPOTS_DRAWN = """() => { const gd = document.querySelector('#out-caseload-map .js-plotly-plot');
    const t = gd && gd.data && gd.data.find(d => d.meta === 'caseloads');
    return t ? {name: t.name, pes: (t.customdata || []).map(c => c[0]),
                lat: Array.from(t.lat || []), lon: Array.from(t.lon || [])} : null; }"""


def spots_drawn(pg, name_starts: str) -> dict:
    """The spots trace once its legend name starts with ``name_starts``."""
    pg.wait_for_function(
        f"(s) => {{ const t = ({SPOTS_DRAWN})(); return t && t.name.startsWith(s); }}",
        arg=name_starts,
        timeout=30000,
    )
    return pg.evaluate(SPOTS_DRAWN)


def test_a_large_area_planned_at_start_is_an_overview_with_spots_on_selection_and_zoom(
    page, warm_area_server
):
    url, log = warm_area_server
    outreach = import_page("outreach")
    page.add_init_script(PROGRESS_SEEN)
    map_responses: list[tuple[int, str]] = []  # (bytes, output) of map and spots answers

    def finished(request) -> None:
        output = str((request.post_data_json or {}).get("output", ""))
        if "_dash-update-component" in request.url and (
            "out-caseload-map.figure" in output or "out-spots.data" in output
        ):
            map_responses.append((len(request.response().text()), output))

    page.on("requestfinished", finished)
    page.goto(url + "/outreach")
    page.wait_for_selector(PE_COUNT, timeout=120000)
    count = pe_count(page)
    rows = grid_rows(page, count)
    # planned at start: no background job, no progress bar
    assert "caseload warm-up: 1 of 1 large districts planned" in log.read_text(encoding="utf-8")
    assert not page.evaluate("window.__progressSeen")
    data = wait_for_graph(page, MAP, min_traces=4)
    metas = [t["meta"] for t in data]
    assert "centre-halo" not in metas  # the overview: one marker per centre
    outlines = next(t for t in data if t["meta"] == "outlines")
    assert outlines["lat"].count(None) == count
    assert next(t for t in data if t["meta"] == "centres")["n"] == count

    # the chosen PE's spots only (the list's first PE, chosen by the page)
    first = page.inner_text("#out-pe-select").strip()
    shown = spots_drawn(page, f"Spots of {first} ")
    assert shown["pes"] and set(shown["pes"]) == {first}
    # another PE chosen in the grid: her spots, sent as a patch of the spots trace only
    map_responses.clear()
    chosen = rows[3]["pe_id"]
    page.locator('#out-pe-grid .ag-row[row-index="3"] [col-id="people"]').first.click()
    shown = spots_drawn(page, f"Spots of {chosen} ")
    assert set(shown["pes"]) == {chosen} and len(shown["pes"]) == rows[3]["spots"]
    wait_for_dash_idle(page)
    assert map_responses and all(output == "out-spots.data" for _, output in map_responses)
    assert max(size for size, _ in map_responses) < 20_000  # bytes: the PE's spots, not the map

    # a spots answer made for another plan (another area, or one that arrives while a new
    # plan is running) is not drawn: the map stays as it is, with no error
    before = page.evaluate(SPOTS_DRAWN)
    page.evaluate(
        """() => window.dash_clientside.set_props('out-spots', {data: {plan: 'another-plan',
            trace: {type: 'scattermap', lat: [0], lon: [0], name: 'Spots of nobody'}}})"""
    )
    page.wait_for_timeout(500)
    assert page.evaluate(SPOTS_DRAWN) == before

    # the PE list offers a few PEs, and the ones whose id holds what is typed
    page.click("#out-pe-select")
    assert 0 < page.get_by_role("option").count() <= outreach.PE_OPTIONS_MAX + 1
    wanted = rows[7]["pe_id"]
    page.keyboard.type(wanted[-4:])
    page.get_by_role("option", name=wanted, exact=True).click()
    page.wait_for_function(
        "(pe) => (document.querySelector('#out-calendar-head') || {}).innerText?.startsWith(pe)",
        arg=wanted,
        timeout=30000,
    )
    spots_drawn(page, f"Spots of {wanted} ")

    # zoomed in on her caseload's centre: every spot in the view, none outside it
    centre = page.evaluate(
        """(pe) => { const gd = document.querySelector('#out-caseload-map .js-plotly-plot');
            const t = gd.data.find(d => d.meta === 'centres');
            const i = t.customdata.findIndex(c => c[0] === pe);
            return {lon: t.lon[i], lat: t.lat[i]}; }""",
        chosen,
    )
    page.evaluate(
        """(c) => Plotly.relayout(document.querySelector('#out-caseload-map .js-plotly-plot'),
            {'map.center': c, 'map.zoom': 15})""",
        centre,
    )
    shown = spots_drawn(page, "Spots in view: ")
    assert len(set(shown["pes"])) >= 1 and chosen in shown["pes"]
    in_view = int(re.match(r"Spots in view: ([\d,]+)", shown["name"]).group(1).replace(",", ""))
    assert in_view == len(shown["pes"]) < 2_500
    # the map's own bounds hold every spot sent (the server's view is no wider than the map's)
    west, south, east, north = page.evaluate(
        """() => { const b = document.querySelector('#out-caseload-map .js-plotly-plot')
            ._fullLayout.map._subplot.map.getBounds();
            return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"""
    )
    margin = 0.6 * (east - west)  # the server assumes a 1000 px map when told centre and zoom
    assert all(west - margin <= x <= east + margin for x in shown["lon"])
    assert all(south - margin <= y <= north + margin for y in shown["lat"])
    assert page.console_errors == []


def test_a_view_left_over_from_another_area_is_ignored():
    """Server side: the graph keeps its last view event when another area is drawn; a view
    centred outside this area gives the chosen PE's spots, one inside it the spots in view."""
    from components import outreach_figures as figs

    outreach = import_page("outreach")
    result = expected_plan("Blantyre", 60)
    lon0, lat0, lon1, lat1 = figs.area_bounds(result)
    pe = result.peer_educators["pe_id"].iloc[0]

    def shown(relayout) -> str:
        return outreach.spots_trace(result, relayout, pe)["name"]

    centre = {"lon": (lon0 + lon1) / 2, "lat": (lat0 + lat1) / 2}
    assert shown({"map.center": centre, "map.zoom": 16}).startswith("Spots in view: ")
    elsewhere = {"lon": lon1 + 1.0, "lat": lat1 + 1.0}  # another district's view
    assert shown({"map.center": elsewhere, "map.zoom": 16}).startswith(f"Spots of {pe} ")
    assert shown(None).startswith(f"Spots of {pe} ")
