"""`cli.py caseloads` on the demo data: JSON shape, totals, --out workbook, --keep, errors.

`cli.main` runs in this process; one test runs `python cli.py caseloads` as a subprocess.
"""

from __future__ import annotations

import json

import openpyxl
import pytest

from tests import helpers

DEMO = helpers.DEMO_DIR


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> helpers.CliRun:
    return helpers.run_cli(capsys, "caseloads", "--data", str(DEMO), *args)


def test_json_for_one_district_in_a_subprocess_has_the_issue_shape_and_adds_up():
    argv = ["caseloads", "--data", str(DEMO), "--district", "Chitipa", "--json"]
    out = helpers.run_cli_process(*argv, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["district"] == "Chitipa"
    assert data["lower_bound"] >= 1
    pes = data["peer_educators"]
    assert len(pes) >= data["lower_bound"]
    for pe in pes:
        assert set(pe) == {"pe_id", "people", "hotspots", "orw_group"}
        assert pe["people"] <= 60
        assert abs(sum(h["people"] for h in pe["hotspots"]) - pe["people"]) < 0.2
    # every Chitipa hotspot of the demo file appears
    import csv

    with open(DEMO / "hotspots.csv", newline="", encoding="utf-8-sig") as fh:
        ids = {r["hotspot_id"] for r in csv.DictReader(fh) if r["district"] == "Chitipa"}
    assert {h["hotspot_id"] for pe in pes for h in pe["hotspots"]} == ids


def test_json_without_district_lists_every_district(capsys):
    out = run_cli(capsys, "--json", "--people-per-pe", "75")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert isinstance(data, list) and len(data) == 28
    assert all(pe["people"] <= 75 for d in data for pe in d["peer_educators"])


def test_out_workbook_and_keep_round_trip(tmp_path, capsys):
    book = tmp_path / "mzimba.xlsx"
    first = run_cli(capsys, "--district", "Mzimba", "--out", str(book), "--json")
    assert first.returncode == 0, first.stderr
    wb = openpyxl.load_workbook(book, read_only=True)
    assert {"summary", "assignments"} <= set(wb.sheetnames)
    before = {
        (h["hotspot_id"], pe["pe_id"])
        for pe in json.loads(first.stdout)["peer_educators"]
        for h in pe["hotspots"]
    }
    again = run_cli(capsys, "--district", "Mzimba", "--keep", str(book), "--json")
    assert again.returncode == 0, again.stderr
    after = {
        (h["hotspot_id"], pe["pe_id"])
        for pe in json.loads(again.stdout)["peer_educators"]
        for h in pe["hotspots"]
    }
    assert after == before


def test_bad_parameters_exit_2_with_a_message(capsys):
    out = run_cli(capsys, "--district", "Atlantis")
    assert out.returncode == 2 and "Atlantis" in out.stderr and "Traceback" not in out.stderr
    out = run_cli(capsys, "--people-per-pe", "10")
    assert out.returncode == 2 and "people_per_pe" in out.stderr
    out = run_cli(capsys, "--keep", "/nonexistent/keep.csv")
    assert out.returncode == 2 and "keep file" in out.stderr
    out = run_cli(capsys, "--district", "Lilongwe", "--local-reach-factor", "0")
    assert (
        out.returncode == 2
        and "local_reach_factor 0 must be above 0" in out.stderr
        and "Traceback" not in out.stderr
    )
