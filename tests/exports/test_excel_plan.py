"""Tests for data_loaders/excel_plan.py: sheets, titles, formula-safe text, written to a real
file."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import xlsxwriter

from exports import excel_plan
from exports.excel_plan import write_plan_xlsx
from planning.plan import build_plan
from planning.scenario import Scenario
from tests.planning.test_plan import _dataset


def _hostile_dataset():
    ds = _dataset()
    hotspots = ds.hotspots.copy()
    hotspots["name"] = ['=HYPERLINK("http://x")', "+1+1", "@SUM(A1)"]
    boundaries = ds.boundaries.copy()
    boundaries["district"] = ["-A", "B", "C"]
    hotspots["district"] = ["-A", "-A", "B"]
    enrolment = ds.enrolment.copy()
    enrolment["district"] = enrolment["district"].replace({"A": "-A"})
    return replace(ds, hotspots=hotspots, boundaries=boundaries, enrolment=enrolment)


def test_no_cell_from_data_starts_a_formula(tmp_path):
    plan = build_plan(_hostile_dataset(), Scenario(max_pe=1))
    path = write_plan_xlsx(
        plan, tmp_path / "plan.xlsx", dataset_name="=cmd|' /C calc'!A0", synthetic=False
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "National",
        "Regions",
        "Districts",
        "Hotspots",
        "Allocation",
        "Allocations compared",
        "Parameters & sources",
    ]
    texts = [
        v
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if isinstance(v, str)
    ]
    assert texts and not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    assert '\'=HYPERLINK("http://x")' in texts and "'-A" in texts
    assert not any("synthetic demo data" in t for t in texts)


def test_aggregate_only_and_levels_of_detail(tmp_path):
    plan = build_plan(_dataset(), Scenario())
    path = write_plan_xlsx(plan, tmp_path / "agg.xlsx", aggregate_only=True)
    wb = openpyxl.load_workbook(path)
    assert "Hotspots" not in wb.sheetnames and "Allocation" not in wb.sheetnames
    assert wb["Districts"]["A1"].value.startswith("Handmade")
    assert (
        "no hotspot locations" in wb["Districts"]["A2"].value
        and "synthetic demo data" in wb["Districts"]["A2"].value
    )
    assert "no hotspot locations" in wb["Parameters & sources"]["A2"].value
    national = wb["National"]
    headers = [c.value for c in national[3]]
    values = [c.value for c in national[4]]
    assert dict(zip(headers, values))["PEs needed"] == plan.totals["peer_educators"]
    assert national.print_title_rows == "$3:$3"


def test_allocations_compared_say_which_is_recommended_and_new_sites_stay_confidential(tmp_path):
    s = Scenario(max_pe=1, min_pe_per_district=1, new_sites=1, service="prep")
    plan = build_plan(_dataset(), s)
    wb = openpyxl.load_workbook(write_plan_xlsx(plan, tmp_path / "plan.xlsx"))
    sheet = wb["Allocations compared"]
    assert "Recommended: the optimal allocation" in sheet["A1"].value
    assert "(F)" in sheet["A1"].value and "(m)" in sheet["A1"].value
    labels = [sheet.cell(row=r, column=1).value for r in range(4, 8)]
    assert labels == ["Optimal (recommended)", "Priority order", "Proportional to size",
                      "Even spread"]  # fmt: skip
    assert "New sites" in wb.sheetnames
    assert wb["New sites"]["A2"].value.startswith("hotspot-level")
    aggregate = openpyxl.load_workbook(
        write_plan_xlsx(plan, tmp_path / "agg.xlsx", aggregate_only=True)
    )
    assert "New sites" not in aggregate.sheetnames


# --- columns written at once (issue 14, item 4): the same cells as cell-by-cell writing -------
def _rich_frame() -> pd.DataFrame:
    """Every kind of cell the plan sheets hold, and the text XlsxWriter treats specially."""
    hostile = [
        "plain",
        '=HYPERLINK("http://x")',
        "  =1+1",
        "-5",
        "-A",
        "\u3000@SUM(A1)",
        "\tTab",
        "ctrl\x01char",
        "_x0041_ literal",
        " leading",
        "trailing ",
        'a & b < c > d "q"',
        "line\nbreak",
        "x" * 40_000,
        "emoji 🙂",
        "",
    ]
    n = len(hostile)
    floats = [1.5, np.nan, np.inf, -np.inf, -0.0, 1e-5, 1e16, 0.1 + 0.2, 123456789.123, 2.0]
    return pd.DataFrame(
        {
            "hotspot_id": pd.Series(hostile, dtype="str"),
            "district": pd.Series((["-A", "B", "=C"] * n)[:n], dtype="str"),
            "name": pd.Series(hostile[:-3] + [None, "x", "x"], dtype="str"),
            # distinct values, none like _xHHHH_: written in-line
            "typology": pd.Series([h for h in hostile if "_x" not in h] + ["y"], dtype="str"),
            "estimate_mid": (floats * 2)[:n],
            "peer_educators": np.arange(n, dtype="int64") * 1_000_003,
            "within_distance": [True, False] * (n // 2),
            "value": [1, "two", None, 3.5, np.nan, "=4", np.int64(5), True] * (n // 8),
            "coverage_mid": np.linspace(0, 1, n),
        }
    )


def _read_cells(path: Path) -> dict:
    ws = openpyxl.load_workbook(path)["S"]
    return {
        (c.row, c.column): (c.value, c.data_type, c.number_format, bool(c.alignment.wrap_text))
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }


def test_columns_give_the_cells_cell_by_cell_writing_gives(tmp_path):
    frame = _rich_frame()
    options = {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": False}
    written = {}
    for how in ("cells", "columns"):
        path = tmp_path / f"{how}.xlsx"
        wb = (xlsxwriter.Workbook if how == "cells" else excel_plan._Workbook)(str(path), options)
        fmt = excel_plan._Formats(wb)
        formats = [
            fmt.number(f) if (f := excel_plan.LABELS.get(c, (c, None))[1]) else None
            for c in frame.columns
        ]
        wrapped = [fmt.wrap if c == "name" else None for c in frame.columns]
        sheet = excel_plan.CellByCellSheet if how == "cells" else excel_plan._ColumnSheet
        ws = wb.add_worksheet("S", worksheet_class=sheet)
        ws.write_columns(3, frame, formats, wrapped)
        ws.write_string(0, 0, "title")
        wb.close()
        written[how] = _read_cells(path)
    assert written["columns"] == written["cells"]
    texts = [v[0] for v in written["columns"].values() if isinstance(v[0], str)]
    assert not any(t.startswith(("=", "+", "@", "\t")) for t in texts)
    assert len(written["cells"]) > 100
    with zipfile.ZipFile(tmp_path / "columns.xlsx") as archive:  # both kinds of text cell
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert 't="inlineStr"' in sheet and 't="s"' in sheet


def test_a_large_sheet_is_written_in_chunks_with_every_row(tmp_path, monkeypatch):
    monkeypatch.setattr(excel_plan, "ROWS_PER_WRITE", 7)  # several chunks on a small plan
    plan = build_plan(_dataset(), Scenario(max_pe=1))
    big = pd.concat([plan.hotspots] * 10, ignore_index=True)
    path = write_plan_xlsx(replace(plan, hotspots=big), tmp_path / "big.xlsx")
    ws = openpyxl.load_workbook(path)["Hotspots"]
    ids = [row[0] for row in ws.iter_rows(min_row=4, values_only=True)]
    assert ids == big["hotspot_id"].tolist()
    with zipfile.ZipFile(path) as archive:  # deflated, at the fast level
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())
