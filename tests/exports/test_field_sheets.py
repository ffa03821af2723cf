"""Field sheets (Excel, printable HTML), on real files written to tmp_path."""

from __future__ import annotations

import openpyxl
import pandas as pd

from data_loaders.keep_file import read_keep_file
from exports.field_sheets import CONFIDENTIAL, render_html, write_workbook
from planning.caseloads import assign_caseloads
from planning.outreach import weekly_calendar
from tests.exports.test_map_export import markup


def small_plan(district: str = "Test", **text: list[str]):
    """Caseloads and calendar of three spots in a row (the third above one PE's cap); ``text``
    replaces a text column (hotspot_id, name, typology, peak_times)."""
    spots = pd.DataFrame(
        {
            "hotspot_id": ["H1", "H2", "H3"], "x_m": [0.0, 100.0, 200.0], "y_m": [0.0, 0.0, 0.0],
            "people": [30.0, 30.0, 80.0], "name": ['=HYPERLINK("x")', "Bar <b>", "Lodge"],
            "typology": ["bar", "bar", "lodge"], "latitude": [-13.9, -13.9, -13.9],
            "longitude": [33.7, 33.71, 33.72], "peak_days": ["Fri;Sat", "Sat", ""],
            "peak_times": ["20-24", "22-2", ""],
        }
    ).assign(**text)  # fmt: skip
    result = assign_caseloads(spots, people_per_pe=60, district=district)
    return result, weekly_calendar(result.assignments, result.spots)


def test_workbook_has_a_confidential_sheet_per_pe_and_neutralised_text(tmp_path):
    result, calendar = small_plan()
    path = tmp_path / "sheets.xlsx"
    write_workbook(result, calendar, path)
    wb = openpyxl.load_workbook(path)
    pe_sheets = [s for s in wb.sheetnames if s.startswith("PE-")]
    assert len(pe_sheets) == result.pe_count == 3
    for name in pe_sheets + ["summary"]:
        assert wb[name]["A1"].value == CONFIDENTIAL
    cells = [
        c for row in wb[pe_sheets[0]].iter_rows(values_only=True) for c in row if isinstance(c, str)
    ]
    assert not any(c.startswith("=") for c in cells)
    assert any(c.startswith("'=HYPERLINK") for c in cells)


def test_assignments_sheet_reads_back_as_a_keep_file(tmp_path):
    result, calendar = small_plan()
    path = tmp_path / "sheets.xlsx"
    write_workbook(result, calendar, path)
    keep = read_keep_file(path)
    assert sorted(zip(keep["hotspot_id"], keep["pe_id"])) == sorted(
        zip(result.assignments["hotspot_id"], result.assignments["pe_id"])
    )


def test_html_is_self_contained_escaped_and_marked(tmp_path):
    result, calendar = small_plan()
    text = render_html(result, calendar)
    assert text.count("<h2>") == 3
    assert text.count(CONFIDENTIAL.split(":")[0]) >= 4
    assert "<b>" not in text.replace("<b>", "", 0) or "Bar &lt;b&gt;" in text
    assert "Bar &lt;b&gt;" in text
    assert (
        "http://" not in text
        and "https://" not in text
        and "<script" not in text
        and "<link" not in text
    )


PAYLOAD_DISTRICT = "<img src=x onerror=alert(1)>"


def injected_plan():
    """small_plan with payloads in every text field (names, ids, typology, peak times, district)."""
    return small_plan(
        PAYLOAD_DISTRICT,
        hotspot_id=['=HYPERLINK("http://x","H1")', "<b onmouseover=alert(2)>", "-7"],
        name=["</script><script>alert(3)</script>", " =1+1", "-5"],
        typology=["<svg onload=alert(4)>", "@sum(1)", "+1+1"],
        peak_times=["20-24", "<img src=x onerror=alert(5)>", "\t=1+1"],
    )


def test_html_shows_payloads_as_text_and_holds_no_markup_from_the_data():
    result, calendar = injected_plan()
    text = render_html(result, calendar)
    for raw in ("<img src=x", "<svg onload", "<script>alert", "<b onmouseover"):
        assert raw not in text
    parsed = markup(text)
    assert not [
        (tag, attrs) for tag, attrs in parsed.tags if any(a.startswith("on") for a, _ in attrs)
    ]
    assert {tag for tag, _ in parsed.tags} <= {
        "html", "head", "meta", "title", "style", "body", "p", "h1", "h2",
        "table", "thead", "tbody", "tr", "th", "td",
    }  # fmt: skip
    for payload in (
        PAYLOAD_DISTRICT,
        "</script><script>alert(3)</script>",
        "<svg onload=alert(4)>",
    ):
        assert payload in parsed.text


def test_workbook_cells_run_no_formula_and_numbers_stay_numbers(tmp_path):
    result, calendar = injected_plan()
    path = tmp_path / "sheets.xlsx"
    write_workbook(result, calendar, path)
    wb = openpyxl.load_workbook(path)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f" and cell.hyperlink is None, cell.coordinate
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert not [t for t in texts if t.lstrip().startswith(("=", "+", "@", "\t"))]
    assert not [t for t in texts if t.startswith("-") and t not in ("-5", "-7")]
    assert {'\'=HYPERLINK("http://x","H1")', "' =1+1", "'@sum(1)", "'+1+1"} <= set(texts)
    assert {"-5", "-7"} <= set(texts)  # text that reads as a number stays as it is
    sheet = wb[next(s for s in wb.sheetnames if s.startswith("PE-"))]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r and "latitude" in r)
    latitudes = [r[header.index("latitude")] for r in rows[rows.index(header) + 1 :]]
    assert latitudes and all(isinstance(v, float) and v < 0 for v in latitudes)
