"""`cli.py caseloads` on the demo data: JSON shape, totals, --out workbook, --keep, errors.

`cli.main` runs in this process; one test runs `python cli.py caseloads` as a subprocess.
"""

from __future__ import annotations

import json
import re

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
    assert data["walking_limit_km"] == 3.0
    assert data["plan_peer_educators"] == data["lower_bound"]
    assert data["isolated_hotspots"] >= 0
    pes = data["peer_educators"]
    assert len(pes) >= data["lower_bound"]
    days = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    hhmm = re.compile(r"^([01]\d|2[0-3]):00$")
    for pe in pes:
        assert set(pe) == {"pe_id", "people", "hotspots", "orw_group", "radius_km", "visits"}
        assert pe["people"] <= 60
        assert abs(sum(h["people"] for h in pe["hotspots"]) - pe["people"]) < 0.2
        assert 0 <= pe["radius_km"] <= 3.0
        own = {h["hotspot_id"] for h in pe["hotspots"]}
        assert pe["visits"] and {v["hotspot_id"] for v in pe["visits"]} <= own
        for v in pe["visits"]:
            assert set(v) == {"hotspot_id", "day", "start", "end"} and v["day"] in days
            assert hhmm.match(v["start"]) and (hhmm.match(v["end"]) or v["end"] == "24:00")
            assert v["start"] < v["end"]
    # every Chitipa hotspot of the demo file appears
    import csv

    with open(DEMO / "hotspots.csv", newline="", encoding="utf-8-sig") as fh:
        ids = {r["hotspot_id"] for r in csv.DictReader(fh) if r["district"] == "Chitipa"}
    assert {h["hotspot_id"] for pe in pes for h in pe["hotspots"]} == ids


def test_walking_limit_flag_bounds_every_caseload_and_costs_pes(capsys):
    wide = json.loads(run_cli(capsys, "--district", "Lilongwe", "--json").stdout)
    out = run_cli(capsys, "--district", "Lilongwe", "--json", "--walking-limit-km", "0.5")
    assert out.returncode == 0, out.stderr
    tight = json.loads(out.stdout)
    assert tight["walking_limit_km"] == 0.5
    assert max(pe["radius_km"] for pe in tight["peer_educators"]) <= 0.5
    assert tight["pe_count"] >= wide["pe_count"]
    assert tight["isolated_hotspots"] >= wide["isolated_hotspots"]
    # isolated spots are alone in their caseload
    singles = sum(len(pe["hotspots"]) == 1 for pe in tight["peer_educators"])
    assert singles >= tight["isolated_hotspots"]


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
    out = run_cli(capsys, "--district", "Lilongwe", "--walking-limit-km", "0")
    assert (
        out.returncode == 2 and "walking_limit_km" in out.stderr and "Traceback" not in out.stderr
    )
