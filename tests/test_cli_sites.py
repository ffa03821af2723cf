"""End-to-end tests of `cli.py sites` on the demo dataset (issue 16 contract)."""

from __future__ import annotations

import json

import pytest

import cli
from tests.helpers import DEMO_DIR, run_cli_process


def _sites(capsys, *flags: str) -> dict:
    assert cli.main(["sites", "--data", str(DEMO_DIR), "--json", *flags]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_contract_in_a_subprocess():
    done = run_cli_process("sites", "--data", str(DEMO_DIR), "--new", "3", "--distance-km", "5",
                           "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["covered_after"] >= data["covered_before"] > 0
    assert len(data["new_sites"]) == 3
    for site in data["new_sites"]:
        assert set(site) >= {"latitude", "longitude", "district", "people_newly_covered"}
    gained = sum(s["people_newly_covered"] for s in data["new_sites"])
    assert gained == pytest.approx(data["covered_after"] - data["covered_before"])
    assert data["proven_optimal"] is True


def test_more_sites_never_cover_fewer_and_district_limits_candidates(capsys):
    one = _sites(capsys, "--new", "1", "--service", "prep")
    three = _sites(capsys, "--new", "3", "--service", "prep")
    assert three["covered_after"] >= one["covered_after"] >= one["covered_before"]
    assert one["covered_before"] == three["covered_before"]
    local = _sites(capsys, "--new", "2", "--district", "Lilongwe", "--service", "prep")
    assert {s["district"] for s in local["new_sites"]} <= {"Lilongwe"}
    assert local["covered_before"] <= one["covered_before"]


def test_candidate_file(capsys, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("name,latitude,longitude\nNear Lilongwe,-13.98,33.78\n", encoding="utf-8")
    data = _sites(capsys, "--new", "1", "--candidates", str(path), "--service", "prep")
    assert [s["district"] for s in data["new_sites"]] in ([], ["Lilongwe"])
    assert data["candidates"] == 1
    path.write_text("latitude,longitude\n95,33\n", encoding="utf-8")
    assert cli.main(["sites", "--data", str(DEMO_DIR), "--new", "1", "--candidates", str(path)])
    err = capsys.readouterr().err
    assert "places.csv row 2, column latitude: '95'" in err and "Traceback" not in err


def test_bad_flags_exit_2_with_a_message(capsys):
    assert cli.main(["sites", "--data", str(DEMO_DIR), "--new", "-1"]) == 2
    assert "--new -1" in capsys.readouterr().err
    assert cli.main(["sites", "--data", str(DEMO_DIR), "--new", "1", "--distance-km", "0"]) == 2
    assert "distance_km 0 is outside" in capsys.readouterr().err
    assert cli.main(["sites", "--data", str(DEMO_DIR), "--new", "1", "--district", "Atlantis"])
    assert "district 'Atlantis' has no hotspots" in capsys.readouterr().err
