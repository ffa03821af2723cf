"""Data page in Chromium: upload a dataset with a bad row, read the report, download the rejected
rows, switch the session to the upload; a bad file gets a report, never a crash."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

from tests.browser.conftest import DEMO_DIR, screenshot, wait_for_graph

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


def test_upload_bad_row_report_download_and_switch(page, app_server, tmp_path: Path):
    folder = dataset_with_bad_row(tmp_path / "upload")
    page.goto(app_server + "/data")
    page.locator("#data-current-report").get_by_text("In use").wait_for(timeout=30000)
    page.locator("#data-upload input[type=file]").set_input_files(
        [str(p) for p in sorted(folder.iterdir())]
    )
    result = page.locator("#data-upload-result")
    result.get_by_text("Uploaded: Upload test").wait_for(timeout=60000)
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
    rejected = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert len(rejected) == 1
    assert rejected[0]["row"] == str(BAD_ROW)
    assert rejected[0]["latitude"] == BAD_LATITUDE
    assert rejected[0]["hotspot_id"] == bad_hotspot_id()
    assert "latitude" in rejected[0]["reasons"]

    page.locator("#data-use-upload").click()
    page.locator("#dataset-name").get_by_text("Upload test").wait_for(timeout=30000)
    assert page.locator("#synthetic-banner").count() == 0
    page.goto(app_server + "/map")  # the session keeps the uploaded dataset across pages
    data = wait_for_graph(page, "map-graph", min_traces=2)
    drawn = sum(len(t["ids"]) for t in data if t["meta"] == "hotspots")
    assert drawn == 1499
    page.goto(app_server + "/data")
    page.locator("#data-use-default").click()
    page.locator("#synthetic-banner").wait_for(timeout=30000)
    assert page.console_errors == []


def test_bad_file_gets_a_report_not_a_crash(page, app_server, tmp_path: Path):
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
    assert page.locator("#data-use-upload").is_disabled()
    assert page.console_errors == []


def test_download_a_template(page, app_server, tmp_path: Path):
    page.goto(app_server + "/data")
    button = page.get_by_role("button", name="hotspots_template.csv")
    with page.expect_download(timeout=30000) as info:
        button.click()
    saved = tmp_path / "t.csv"
    info.value.save_as(saved)
    header = saved.read_text(encoding="utf-8-sig").splitlines()[0]
    for column in ("hotspot_id", "latitude", "longitude", "typology", "peak_min", "peak_max"):
        assert column in header
