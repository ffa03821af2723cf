"""End-to-end tests of `cli.py plan` on the demo dataset: JSON against the schema, workbook, exit
codes."""

from __future__ import annotations

import json
import math
import shutil

import jsonschema
import openpyxl
import pytest

import cli
from tests.helpers import DEMO_DIR, ROOT, run_cli_process

DEMO = DEMO_DIR
SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text(encoding="utf-8"))


def _plan_json(capsys, *flags: str) -> dict:
    assert cli.main(["plan", "--data", str(DEMO), "--json", *flags]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_end_to_end_in_a_subprocess_matches_schema():
    done = run_cli_process("plan", "--data", str(DEMO), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    jsonschema.validate(data, SCHEMA)
    districts = data["districts"]
    names = {row["district"] for row in districts}
    assert len(names) == len(districts) == data["totals"]["districts"]
    for field in ("hotspots", "peer_educators", "outreach_workers", "enrolled"):
        assert data["totals"][field] == sum(row[field] for row in districts)
    for row in districts:  # formulas of DESIGN.md s.3 at the defaults
        assert row["peer_educators"] == math.ceil(row["planning_population"] / 60 - 1e-9)
        assert row["outreach_workers"] == math.ceil(row["peer_educators"] / 6)
        assert row["condoms_per_month"] == pytest.approx(row["planning_population"] * 40)
        assert row["planning_population"] == row["estimate_mid"]
    assert "latitude" not in done.stdout and "HS-0" not in done.stdout  # aggregate only


def test_flags_change_the_plan_and_cap_adds_allocation(capsys):
    base = _plan_json(capsys)
    high = _plan_json(
        capsys,
        "--level",
        "high",
        "--people-per-pe",
        "75",
        "--target",
        "0.8",
        "--max-pe",
        "100",
        "--condoms-per-person",
        "35",
        "--distance-km",
        "10",
    )
    jsonschema.validate(high, SCHEMA)
    assert (
        high["parameters"]["people_per_pe"] == 75
        and high["parameters"]["cap_peer_educators"] == 100
    )
    assert high["totals"]["planning_population"] == base["totals"]["estimate_high"]
    assert high["totals"]["funded_peer_educators"] == 100
    assert high["totals"]["covered_population"] <= high["totals"]["planning_population"] * 0.8
    assert high["totals"]["share_within_distance"] >= base["totals"]["share_within_distance"]
    a = high["allocation"]
    assert a["covered_population_optimal"] == pytest.approx(high["totals"]["covered_population"])
    for name, other in high["allocation_alternatives"].items():
        assert other["covered_population"] <= a["covered_population_optimal"] + 1e-6, name
    assert a["covered_population_even"] > 0 and a["covered_population_proportional"] > 0
    assert all("funded_peer_educators" in row for row in high["districts"])
    with pytest.raises(jsonschema.ValidationError):  # the schema insists on allocation under a cap
        jsonschema.validate({**high, "allocation": None}, SCHEMA)


def test_budget_needs_costs_and_buys_pes(capsys):
    assert cli.main(["plan", "--data", str(DEMO), "--budget", "6500"]) == 2
    err = capsys.readouterr().err
    assert "budget_usd_month 6500 needs costs" in err and "Traceback" not in err
    data = _plan_json(capsys, "--budget", "6500", "--pe-stipend", "15", "--orw-salary", "300")
    assert data["parameters"]["cap_peer_educators"] == 100  # 6500 ÷ (15 + 300/6)
    assert data["totals"]["cost_usd_month"] is not None


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--people-per-pe", "30"], "people_per_pe 30 is outside 50–90"),
        (["--target", "2"], "target 2 is outside 0–1"),
        (["--duplication", "abc"], "duplication 'abc' is not a number"),
        (["--period", "2019-Q1"], "period '2019-Q1' has no enrolment records"),
    ],
)
def test_bad_parameters_give_one_message_and_exit_2(capsys, flags, message):
    assert cli.main(["plan", "--data", str(DEMO), *flags]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1


def test_bad_data_prints_the_report_and_exits_2(tmp_path, capsys):
    folder = tmp_path / "bad"
    shutil.copytree(DEMO, folder)
    lines = (folder / "hotspots.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("latitude")] = "93.1"
    lines[1] = ",".join(cells)
    (folder / "hotspots.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli.main(["plan", "--data", str(folder)]) == 2
    captured = capsys.readouterr()
    assert "93.1" in captured.err and "latitude" in captured.err and captured.out == ""
    assert cli.main(["plan", "--data", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "missing" in err and "Traceback" not in err


def test_human_table_is_short_and_readable(capsys):
    assert cli.main(["plan", "--data", str(DEMO), "--pe-stipend", "15"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "SYNTHETIC DEMO DATA"
    assert any(line.strip().startswith("Total") for line in lines)
    assert (
        max(
            len(line)
            for line in lines
            if "|" not in line and not line.startswith(("Malawi", "Cost", "Lubricant", "Note"))
        )
        <= 120
    )
    assert "Cost: USD" in out and "not costed: orw_salary_usd_month" in out
    assert cli.main(["plan", "--data", str(DEMO)]) == 0
    assert "Cost: not costed" in capsys.readouterr().out


def test_workbook_cell_by_cell_for_one_district(tmp_path, capsys):
    out = tmp_path / "plan.xlsx"
    data = _plan_json(capsys, "--out", str(out), "--pe-stipend", "15", "--orw-salary", "300")
    row = max(data["districts"], key=lambda r: r["planning_population"])
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["National", "Regions", "Districts", "Hotspots", "Parameters & sources"]
    ws = wb["Districts"]
    assert "synthetic demo data" in ws["A2"].value
    assert ws.freeze_panes == "B4"
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    headers = [c.value for c in ws[3]]
    found = [r for r in ws.iter_rows(min_row=4, values_only=False) if r[0].value == row["district"]]
    assert len(found) == 1
    cells = dict(zip(headers, found[0]))
    expected = {
        "Region": row["region"],
        "Hotspots": row["hotspots"],
        "Planning population (people)": row["planning_population"],
        "Enrolled (people)": row["enrolled"],
        "Coverage mid (%)": row["coverage_mid"],
        "Gap (people)": row["gap"],
        "PEs needed": row["peer_educators"],
        "ORWs needed": row["outreach_workers"],
        "Condoms / month": row["condoms_per_month"],
        "Cost (USD / month)": row["cost_usd_month"],
        "Within distance of a site (%)": row["share_within_distance"],
        "Priority rank": row["priority_rank"],
    }
    for header, value in expected.items():
        assert cells[header].value == pytest.approx(value), header
    assert cells["Coverage mid (%)"].number_format == "0.0%"
    assert cells["PEs needed"].number_format == "#,##0"
    assert "USD" in cells["Cost (USD / month)"].number_format
    hot = wb["Hotspots"]
    assert "confidential" in hot["A2"].value
    params = {r[0]: r for r in wb["Parameters & sources"].iter_rows(min_row=4, values_only=True)}
    assert params["people_per_pe"][1] == 60 and "Mombasa" in params["people_per_pe"][4]
    assert params["pe_stipend_usd_month"][1] == 15


def test_aggregate_only_workbook_has_no_hotspot_sheet(tmp_path, capsys):
    out = tmp_path / "agg.xlsx"
    assert cli.main(["plan", "--data", str(DEMO), "--out", str(out), "--aggregate-only"]) == 0
    wb = openpyxl.load_workbook(out)
    assert "Hotspots" not in wb.sheetnames
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith("HS-") for v in row)


def test_dataset_toml_parameters_are_defaults_and_checked(tmp_path, capsys):
    folder = tmp_path / "params"
    shutil.copytree(DEMO, folder)
    toml = (folder / "dataset.toml").read_text(encoding="utf-8")
    (folder / "dataset.toml").write_text(
        toml + "\n[parameters]\npeople_per_pe = 75\n", encoding="utf-8"
    )
    assert cli.main(["plan", "--data", str(folder), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["parameters"]["people_per_pe"] == 75
    assert cli.main(["plan", "--data", str(folder), "--json", "--people-per-pe", "50"]) == 0
    assert json.loads(capsys.readouterr().out)["parameters"]["people_per_pe"] == 50
    (folder / "dataset.toml").write_text(
        toml + "\n[parameters]\npeople_per_pee = 75\n", encoding="utf-8"
    )
    assert cli.main(["plan", "--data", str(folder)]) == 2
    assert "dataset.toml [parameters]" in capsys.readouterr().err


def test_allocation_contract_with_fixed_cost_and_minimum_programme(capsys):
    """issue 16: totals are the optimum's; allocation_alternatives holds the three rules."""
    flags = ["--pe-stipend", "15", "--orw-salary", "300"]
    data = _plan_json(
        capsys, *flags, "--budget", "4000", "--district-fixed-usd-month", "500",
        "--min-pe-per-district", "6",
    )  # fmt: skip
    jsonschema.validate(data, SCHEMA)
    a, others = data["allocation"], data["allocation_alternatives"]
    assert set(others) == {"priority_order", "proportional", "even"}
    assert data["totals"]["funded_peer_educators"] == a["funded_peer_educators"]
    assert data["totals"]["covered_population"] == pytest.approx(a["covered_population_optimal"])
    assert data["totals"]["funded_peer_educators"] == sum(
        row["funded_peer_educators"] for row in data["districts"]
    )
    assert all(r["funded_peer_educators"] in (0, *range(6, 10_000)) for r in data["districts"])
    assert a["proven_optimal"] and a["cost_usd_month_optimal"] <= 4000
    for other in others.values():
        assert {"covered_population", "funded_peer_educators"} <= set(other)
        assert other["covered_population"] <= a["covered_population_optimal"] + 1e-6
    assert "(F)" in a["recommended"] and "(m)" in a["recommended"]
    # a cap in PEs works the same way
    capped = _plan_json(capsys, "--max-pe", "200", "--min-pe-per-district", "1")
    assert capped["totals"]["funded_peer_educators"] == 200
    assert capped["totals"]["covered_population"] == pytest.approx(200 * 60)
    assert capped["allocation_alternatives"]["priority_order"]["covered_population"] < 12_000


def test_allocation_flags_refuse_bad_values(capsys):
    assert cli.main(["plan", "--data", str(DEMO), "--min-pe-per-district", "0"]) == 2
    assert "min_pe_per_district 0" in capsys.readouterr().err
