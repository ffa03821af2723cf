"""Field sheets (Excel, printable HTML), on real files written to tmp_path."""

from __future__ import annotations

import openpyxl
import pandas as pd

from data_loaders.keep_file import read_keep_file
from exports.field_sheets import CONFIDENTIAL, render_html, write_workbook
from planning.caseloads import assign_caseloads
from planning.outreach import weekly_calendar


def small_plan():
    spots = pd.DataFrame(
        {
            "hotspot_id": ["H1", "H2", "H3"],
            "x_m": [0.0, 100.0, 200.0],
            "y_m": [0.0, 0.0, 0.0],
            "people": [30.0, 30.0, 80.0],
            "name": ['=HYPERLINK("x")', "Bar <b>", "Lodge"],
            "typology": ["bar", "bar", "lodge"],
            "latitude": [-13.9, -13.9, -13.9],
            "longitude": [33.7, 33.71, 33.72],
            "peak_days": ["Fri;Sat", "Sat", ""],
            "peak_times": ["20-24", "22-2", ""],
        }
    )
    result = assign_caseloads(spots, people_per_pe=60, district="Test")
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
