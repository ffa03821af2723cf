"""Data page in Chromium: upload a dataset with a bad row, read the report (checked in a
background job with a progress bar), download the rejected rows, switch the session to the
upload; a bad file gets a report, never a crash; a dataset uploaded in one browser is listed,
opened, renamed and deleted in another; a cancelled upload stores nothing. Every Data callback
refuses in aggregate-only mode.

The page's server (its own temporary state folder) is started for this module.
"""

from __future__ import annotations

import base64
import csv
import io
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from config import Settings
from services import context
from tests.browser.conftest import (
    DEMO_DIR,
    screenshot,
    start_app,
    stop_app,
    wait_for_dash_idle,
    wait_for_graph,
)
from tests.helpers import import_page

DEMO_FILES = ("boundaries.geojson", "dataset.toml", "enrolment.csv", "hotspots.csv", "sites.csv")
FATAL = Path(__file__).resolve().parents[1] / "fixtures" / "faulty_fatal"
# Records whether the check's progress bar was ever shown (it may be on screen for a moment).
PROGRESS_SEEN = """
window.__progressSeen = false;
new MutationObserver(() => {
    const box = document.getElementById('data-progress-box');
    if (box && !box.hidden) window.__progressSeen = true;
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


@pytest.fixture(scope="module")
def data_server() -> Iterator[str]:
    """The app on the demo with its own (empty) server state."""
    proc, url, _ = start_app()
    try:
        yield url
    finally:
        stop_app(proc)


def dataset_row(page, name: str):
    """The row of the team's datasets whose name cell is ``name``."""
    return page.locator("#data-datasets tbody tr").filter(
        has=page.locator("td:first-child", has_text=name)
    )


def listed_names(page) -> list[str]:
    wait_for_dash_idle(page)
    return page.locator("#data-datasets tbody tr td:first-child").all_inner_texts()


BAD_ROW = 17  # spreadsheet row number: header = 1, so data index 15
BAD_LATITUDE = "93.1"


def dataset_with_bad_row(folder: Path) -> Path:
    """A copy of the demo dataset whose hotspots.csv row 17 has latitude 93.1 (outside -90..90)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("sites.csv", "enrolment.csv", "boundaries.geojson"):
        shutil.copy(DEMO_DIR / name, folder / name)
    (folder / "dataset.toml").write_text(
        '[dataset]\nname = "Upload test"\nsynthetic = false\n', encoding="utf-8"
    )
    with open(DEMO_DIR / "hotspots.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    lat = rows[0].index("latitude")
    rows[BAD_ROW - 1][lat] = BAD_LATITUDE
    with open(folder / "hotspots.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return folder


def bad_hotspot_id() -> str:
    with open(DEMO_DIR / "hotspots.csv", newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))[BAD_ROW - 2]["hotspot_id"]


def upload_folder(page, url: str, folder: Path, name: str):
    """Open the Data page, upload every file of ``folder`` and wait for its report; the result
    box."""
    page.goto(url + "/data")
    page.locator("#data-current-report").get_by_text("In use").wait_for(timeout=30000)
    page.locator("#data-upload input[type=file]").set_input_files(
        [str(p) for p in sorted(folder.iterdir())]
    )
    result = page.locator("#data-upload-result")
    result.get_by_text(f"Uploaded: {name}").wait_for(timeout=60000)
    return result


def test_upload_bad_row_report_download_and_switch(page, data_server, tmp_path: Path):
    app_server = data_server
    folder = dataset_with_bad_row(tmp_path / "upload")
    page.add_init_script(PROGRESS_SEEN)
    result = upload_folder(page, app_server, folder, "Upload test")
    assert page.evaluate("window.__progressSeen")  # checked in a background job
    assert page.is_hidden("#data-progress-box")
    # no name given: the team sees the name in dataset.toml
    assert "Stored as “Upload test”" in result.locator("#upload-stored").inner_text()
    dataset_row(page, "Upload test").wait_for(timeout=30000)
    problems = result.locator("#validation-problems tr", has_text="latitude")
    assert problems.count() >= 1
    cells = problems.first.locator("td").all_inner_texts()
    assert cells[0] == "hotspots" and cells[1] == str(BAD_ROW) and cells[2] == "latitude"
    assert BAD_LATITUDE in cells[4]
    counts = (
        result.locator("#validation-counts tr", has_text="hotspots").locator("td").all_inner_texts()
    )
    assert counts[1:] == ["1,500", "1,499", "1"]
    screenshot(page, "data")

    with page.expect_download(timeout=30000) as info:
        result.get_by_role("button", name="Rejected hotspots rows (1) as CSV").click()
    saved = tmp_path / "rejected.csv"
    info.value.save_as(saved)
    assert info.value.suggested_filename == "hotspots_rejected.csv"
    rejected = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert len(rejected) == 1
    assert rejected[0]["problem"].startswith(f"row {BAD_ROW}: latitude")
    assert rejected[0]["latitude"] == BAD_LATITUDE
    assert rejected[0]["hotspot_id"] == bad_hotspot_id()

    page.locator("#data-use-upload").click()
    page.locator("#dataset-name").get_by_text("Upload test").wait_for(timeout=30000)
    assert page.locator("#synthetic-banner").count() == 0
    page.goto(app_server + "/map")  # the session keeps the uploaded dataset across pages
    data = wait_for_graph(page, "map-graph", min_traces=2)
    drawn = sum(t["n"] for t in data if t.get("meta") == "hotspots")
    assert drawn == 1499
    page.goto(app_server + "/data")
    page.locator("#data-use-default").click()
    page.locator("#synthetic-banner").wait_for(timeout=30000)
    assert page.console_errors == []


def test_fix_and_reupload_the_rejected_rows(page, data_server, tmp_path: Path):
    """The data manager's loop: download the rejected rows, fix the one flagged cell, upload them
    again, accepted. Southern latitudes come back as written (no apostrophe before -9.7)."""
    folder = tmp_path / "loop"
    folder.mkdir()
    for name in ("sites.csv", "boundaries.geojson"):
        shutil.copy(DEMO_DIR / name, folder / name)
    (folder / "enrolment.csv").write_text(
        "period,district,enrolled\r\n2025-Q3,Chitipa,4\r\n", encoding="utf-8"
    )
    (folder / "dataset.toml").write_text('[dataset]\nname = "Loop test"\n', encoding="utf-8")
    with open(DEMO_DIR / "hotspots.csv", newline="", encoding="utf-8-sig") as fh:
        header, *rows = list(csv.reader(fh))
    original = rows[:5]
    bad = [list(r) for r in original]
    bad[2][header.index("peak_min")] = "about 8"
    with open(folder / "hotspots.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *bad])

    result = upload_folder(page, data_server, folder, "Loop test")
    with page.expect_download(timeout=30000) as info:
        result.get_by_role("button", name="Rejected hotspots rows (1) as CSV").click()
    saved = tmp_path / "hotspots_rejected.csv"
    info.value.save_as(saved)
    got_header, got = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert got_header == [*header, "problem"]
    assert got[:-1] == bad[2]  # exactly the row as uploaded: latitude -9.x, no apostrophe
    assert got[header.index("latitude")].startswith("-9.")
    assert got[-1].startswith('row 4: peak_min: peak_min "about 8" is not a number')

    got[header.index("peak_min")] = original[2][header.index("peak_min")]  # the one fix
    again = tmp_path / "again"
    shutil.copytree(folder, again)
    with open(again / "hotspots.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([got_header, got])
    (again / "dataset.toml").write_text('[dataset]\nname = "Loop fixed"\n', encoding="utf-8")
    page.locator("#data-upload input[type=file]").set_input_files(
        [str(p) for p in sorted(again.iterdir())]
    )
    result.get_by_text("Uploaded: Loop fixed").wait_for(timeout=60000)
    counts = (
        result.locator("#validation-counts tr", has_text="hotspots").locator("td").all_inner_texts()
    )
    assert counts[1:] == ["1", "1", "0"]
    assert page.console_errors == []


def test_fatal_problems_come_first(page, data_server, tmp_path: Path):
    """Sites without a site_type column: the reason the dataset cannot load is shown first,
    above the knock-on errors, not last in the scroll box."""
    folder = dataset_with_bad_row(tmp_path / "fatal")
    with open(DEMO_DIR / "sites.csv", newline="", encoding="utf-8-sig") as fh:
        header, *rows = list(csv.reader(fh))
    keep = [i for i, h in enumerate(header) if h != "site_type"]
    with open(folder / "sites.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([[r[i] for i in keep] for r in [header, *rows]])
    page.goto(data_server + "/data")
    page.locator("#data-upload input[type=file]").set_input_files(
        [str(p) for p in sorted(folder.iterdir())]
    )
    fatal = page.locator("#data-upload-result #validation-fatal")
    fatal.wait_for(timeout=60000)
    text = fatal.inner_text()
    assert text.startswith("This is why the dataset cannot be loaded:")
    assert 'sites: required column "site_type" is missing' in text
    summary = page.locator("#data-upload-result #validation-summary").inner_text()
    assert summary.index("This is why") < summary.index("latitude 93.1")
    first = page.locator("#data-upload-result #validation-problems tbody tr").first
    assert first.locator("td").all_inner_texts()[:3] == ["sites", "1", "site_type"]
    assert "/tmp" not in summary and "DESIGN.md" not in summary


def test_bad_file_gets_a_report_not_a_crash(page, data_server, tmp_path: Path):
    app_server = data_server
    notes = tmp_path / "notes.txt"
    notes.write_text("not a dataset", encoding="utf-8")
    page.goto(app_server + "/data")
    page.locator("#data-upload input[type=file]").set_input_files(str(notes))
    refused = page.locator("#upload-refused")
    refused.wait_for(timeout=30000)
    assert "notes.txt" in refused.inner_text()
    # a zip missing required files: the loader's report lists what is missing
    archive = tmp_path / "partial.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(DEMO_DIR / "hotspots.csv", "hotspots.csv")
    page.locator("#data-upload input[type=file]").set_input_files(str(archive))
    summary = page.locator("#data-upload-result #validation-summary")
    summary.wait_for(timeout=30000)
    assert "could not be loaded" in summary.inner_text()
    assert "Not stored" in page.inner_text("#upload-not-stored")
    assert page.locator("#data-use-upload").is_disabled()
    assert "partial" not in " ".join(listed_names(page))  # an unusable upload is not kept
    assert page.console_errors == []


def test_download_a_template(page, data_server, tmp_path: Path):
    page.goto(data_server + "/data")
    button = page.get_by_role("button", name="hotspots_template.csv")
    with page.expect_download(timeout=30000) as info:
        button.click()
    saved = tmp_path / "t.csv"
    info.value.save_as(saved)
    header = saved.read_text(encoding="utf-8-sig").splitlines()[0]
    for column in ("hotspot_id", "latitude", "longitude", "typology", "peak_min", "peak_max"):
        assert column in header


def test_a_dataset_uploaded_in_one_browser_is_opened_in_another(page, browser, data_server):
    page.goto(data_server + "/data")
    assert listed_names(page)[0] == "Malawi (synthetic demo)"  # the default, first
    assert dataset_row(page, "Malawi (synthetic demo)").get_by_role("button").count() == 0
    page.fill("#data-upload-name", "team demo")
    page.locator("#data-upload input[type=file]").set_input_files(
        [str(DEMO_DIR / name) for name in DEMO_FILES]
    )
    page.locator("#upload-stored").get_by_text("Stored as “team demo”").wait_for(timeout=60000)
    row = dataset_row(page, "team demo")
    row.wait_for(timeout=30000)
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == "local user" and cells[2].endswith("UTC") and cells[3].endswith("KB")
    row.get_by_role("button", name="Open").click()
    row.get_by_text("in use").wait_for(timeout=30000)
    page.locator("#data-current-report").get_by_text("team dataset “team demo”").wait_for()
    page.locator("#synthetic-banner").wait_for(timeout=30000)
    wait_for_dash_idle(page)
    assert dataset_row(page, "team demo").locator("td").nth(4).inner_text() == "1,500"

    # another browser (its own session storage) sees the team's dataset and opens it
    other_context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        other = other_context.new_page()
        other.goto(data_server + "/data")
        other_row = dataset_row(other, "team demo")
        other_row.wait_for(timeout=30000)
        assert "in use" not in other_row.inner_text()  # this browser still uses the default
        other_row.get_by_role("button", name="Open").click()
        other_row.get_by_text("in use").wait_for(timeout=30000)
        other.locator("#data-current-report").get_by_text("team dataset “team demo”").wait_for()

        # renamed there, the new name shows here after a refresh
        other_row.get_by_role("button", name="Rename").click()
        other.fill("#data-rename-name", "team demo 2025")
        other.click("#data-rename-save")
        dataset_row(other, "team demo 2025").wait_for(timeout=30000)
        page.click("#data-datasets-refresh")
        dataset_row(page, "team demo 2025").wait_for(timeout=30000)

        # deleted there after a confirmation: gone from both lists, that session back on the
        # default, this one told
        other_row = dataset_row(other, "team demo 2025")
        other_row.get_by_role("button", name="Delete").click()
        assert "team demo 2025" in other.inner_text("#data-delete-text")
        other.click("#data-delete-cancel")
        other.wait_for_selector("#data-delete-modal", state="detached", timeout=10000)
        assert other_row.count() == 1  # kept
        other_row.get_by_role("button", name="Delete").click()
        other.click("#data-delete-confirm")
        other_row.wait_for(state="detached", timeout=30000)
        dataset_row(other, "Malawi (synthetic demo)").get_by_text("in use").wait_for()
        page.reload()
        assert "team demo 2025" not in listed_names(page)
        assert "was deleted" in page.inner_text("#unknown-dataset")
    finally:
        other_context.close()
    assert page.console_errors == []


def big_dataset(folder: Path, copies: int = 40) -> Path:
    """The demo with its hotspots repeated ``copies`` times (60,000 spots, about 8 MB, some
    seconds to check)."""
    folder.mkdir(parents=True)
    for name in DEMO_FILES:
        shutil.copy(DEMO_DIR / name, folder / name)
    hotspots = pd.read_csv(DEMO_DIR / "hotspots.csv", dtype=str)
    big = pd.concat([hotspots] * copies, ignore_index=True)
    big["hotspot_id"] = [f"HS-{i:06d}" for i in range(len(big))]
    big.to_csv(folder / "hotspots.csv", index=False)
    return folder


def test_a_cancelled_upload_stores_nothing(page, data_server, tmp_path: Path):
    folder = big_dataset(tmp_path / "big")
    page.goto(data_server + "/data")
    page.fill("#data-upload-name", "too big to wait for")
    page.locator("#data-upload input[type=file]").set_input_files(
        [str(p) for p in sorted(folder.iterdir())]
    )
    page.wait_for_selector("#data-progress-box:not([hidden])", timeout=60000)
    page.wait_for_function(
        "() => document.querySelector('#data-progress').innerText.includes('MB of files')",
        timeout=30000,
    )
    page.click("#data-cancel")
    page.locator("#upload-cancelled").get_by_text("nothing was stored").wait_for(timeout=30000)
    page.wait_for_selector("#data-progress-box[hidden]", state="attached", timeout=30000)
    assert "too big to wait for" not in listed_names(page)
    assert page.locator("#data-use-upload").is_disabled()
    assert page.console_errors == []


def test_every_data_callback_refuses_in_aggregate_mode():
    """Server side: even a crafted request gets nothing when hotspot detail is not allowed."""
    from pages import _shared

    data = import_page("data")
    job = {"id": "0" * 64, "new": True, "note": ""}
    calls = [
        lambda: data._current_report(None),
        lambda: data._list(None, None, None, None),
        lambda: data._uploaded(["data:text/csv;base64,YQ=="], ["hotspots.csv"], "x"),
        lambda: data._check_in_background(lambda _: None, job),
        lambda: data._cancelled(job),
        lambda: data._switch_dataset(1, None, [], "0" * 64, None),
        lambda: data._ask_rename([1]),
        lambda: data._rename(1, None, "0" * 64, "x"),
        lambda: data._ask_delete([1]),
        lambda: data._delete(1, "0" * 64, None),
        lambda: data._download_rejected([1]),
        lambda: data._download_template([1]),
    ]
    with context.using(Settings(aggregate_only=True)):
        for call in calls:
            with pytest.raises(_shared.HotspotDetailRefused):
                call()


def _data_urls(folder: Path) -> tuple[list[str], list[str]]:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    contents = [
        "data:application/octet-stream;base64," + base64.b64encode(p.read_bytes()).decode()
        for p in files
    ]
    return [p.name for p in files], contents


def test_upload_store_and_check_in_process(tmp_path: Path):
    """The page's steps without a browser: store an upload (the id is all the browser keeps),
    check it, list it; an unusable new upload is deleted again."""
    from services import datasets

    data = import_page("data")
    datasets.clear_cache()
    with context.using(Settings(state_dir=tmp_path / "state")):
        folder = tmp_path / "demo"
        folder.mkdir()
        for name in DEMO_FILES:
            shutil.copy(DEMO_DIR / name, folder / name)
        job = data.store_uploaded(*_data_urls(folder), "team demo")
        assert job.new and job.note == "Stored as “team demo”, shared with your team."
        view, ok = data.check_upload(job)
        assert ok and "Uploaded: Malawi (synthetic demo)" in str(view)
        rows = data.team_datasets()
        assert [r.name for r in rows] == ["Malawi (synthetic demo)", "team demo"]
        assert rows[1].key == job.dataset_id and rows[1].stored_by == "local user"
        assert not rows[0].deletable and rows[1].deletable
        again = data.store_uploaded(*_data_urls(folder), "other name")
        assert not again.new and "stored already, as “team demo”" in again.note

        fatal = data.store_uploaded(*_data_urls(FATAL), "")
        view, ok = data.check_upload(fatal)
        assert not ok and "Not stored" in str(view)
        assert [r.name for r in data.team_datasets()] == ["Malawi (synthetic demo)", "team demo"]
    datasets.clear_cache()
