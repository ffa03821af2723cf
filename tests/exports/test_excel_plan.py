"""Tests for data_loaders/excel_plan.py: sheets, titles, formula-safe text, written to a real
file."""

from __future__ import annotations

from dataclasses import replace

import openpyxl

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
