"""`cli.py validate`: each fault printed with its row, --json object, exit codes, no tracebacks.

`cli.main` runs in this process; one test runs `python cli.py validate` as a subprocess.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json

import pytest

import cli
from data_loaders.safe_text import neutralise_formula
from tests import helpers

ROOT = helpers.ROOT
FAULTY = ROOT / "tests" / "fixtures" / "faulty"
FAULTY_FATAL = ROOT / "tests" / "fixtures" / "faulty_fatal"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> helpers.CliRun:
    return helpers.run_cli(capsys, "validate", *args)


@pytest.fixture(scope="module")
def faulty_text():
    # capsys is per test; this module-scoped run captures with redirect_stdout/redirect_stderr.
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["validate", "--data", str(FAULTY)])
    result = helpers.CliRun(code, out.getvalue(), err.getvalue())
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return result.stdout


# Every fault in tests/fixtures/faulty: file, row, column and a phrase of its message.
FAULTS = """
hotspots    3  typical_max  typical_max "about 20" is not a number: write a whole number such as 20
hotspots    4  latitude     latitude 93.1 is outside -90..90
hotspots    5  latitude     latitude and longitude look swapped
hotspots    6  peak_min     peak_min 30 > peak_max 12
hotspots    7  typical_min  typical_min -3 is negative
hotspots    8  hotspot_id   duplicate hotspot_id "HS-002": row 3 has the same id
hotspots    9  district     district "Harrare" is not in the boundaries — did you mean "Harare"?
hotspots   10  district     stated district "Mutare" disagrees with the polygon
hotspots   11  latitude     lies outside every district: check the coordinates
hotspots   13  peak_max     peak_max 12.5 is not a whole number
sites       3  latitude     site has no coordinates
sites       4  site_id      duplicate site_id "SITE-1": row 2
enrolment   3  hotspot_id   hotspot_id "HS-999" is not in hotspots
enrolment   4  site_id      site_id "SITE-9" is not in sites
enrolment   5  hotspot_id   which was rejected: fix that row first
enrolment   6  period       period "Sept 2025" is not a period
enrolment   7  district     did you mean "Bulawayo"?
boundaries  4  district     duplicate district "Harare": features 1 and 4
boundaries  5  geometry     overlap by
boundaries  6  geometry     repaired with make_valid
"""


def _faults() -> list[tuple[str, int, str, str]]:
    rows = [line.split(maxsplit=3) for line in FAULTS.strip().splitlines()]
    return [(file, int(row), column, phrase) for file, row, column, phrase in rows]


@pytest.mark.parametrize("file,row,column,phrase", _faults())
def test_each_fault_is_printed_with_its_row(faulty_text, file, row, column, phrase):
    lines = [line.split() for line in faulty_text.splitlines() if phrase in line]
    assert lines, f"{phrase!r} not printed"
    assert any(cells[:3] == [file, str(row), column] for cells in lines), lines


def test_counts_table_adds_up(faulty_text):
    counts = {}
    for line in faulty_text.splitlines():
        cells = line.split()
        if (
            cells
            and cells[0] in ("boundaries", "hotspots", "sites", "enrolment")
            and len(cells) >= 4
            and cells[-1].isdigit()
            and cells[-2].isdigit()
            and cells[-3].isdigit()
        ):
            counts.setdefault(cells[0], tuple(int(c) for c in cells[-3:]))
    assert counts["hotspots"] == (12, 3, 9)
    for rows, accepted, rejected in counts.values():
        assert accepted + rejected == rows


def test_json_object(capsys):
    result = run_cli(capsys, "--data", str(FAULTY), "--json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["files"]["hotspots"] == {"rows": 12, "accepted": 3, "rejected": 9}
    assert set(data["files"]) == {"boundaries", "hotspots", "sites", "enrolment"}
    latitude = [p for p in data["problems"] if p["file"] == "hotspots" and p["row"] == 4]
    assert latitude == [
        {
            "file": "hotspots",
            "row": 4,
            "column": "latitude",
            "value": "93.1",
            "severity": "error",
            "message": "latitude 93.1 is outside -90..90: check the value "
            "(latitude and longitude swapped?)",
            "fatal": False,
        }
    ]
    for files in data["files"].values():
        assert files["accepted"] + files["rejected"] == files["rows"]


def test_fatal_faults_are_reported_not_raised_in_a_subprocess():
    result = helpers.run_cli_process("validate", "--data", str(FAULTY_FATAL))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert 'required column "latitude" is missing — did you mean "lattitude"?' in result.stdout
    assert "enrolment.csv is empty" in result.stdout


def test_missing_folder_is_a_message_and_exit_2(tmp_path, capsys):
    result = run_cli(capsys, "--data", str(tmp_path / "nowhere"), "--json")
    assert result.returncode == 2
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert "is not a folder" in data["problems"][0]["message"]


def test_clean_dataset_exits_0(tmp_path, capsys):
    from tests.data_loaders.builders import write_dataset

    folder = write_dataset(tmp_path / "ds")
    result = run_cli(capsys, "--data", str(folder))
    assert result.returncode == 0, result.stdout
    assert "OK: no errors" in result.stdout
    strict = run_cli(capsys, "--data", str(FAULTY), "--strict", "--json")
    assert strict.returncode == 2 and json.loads(strict.stdout)["ok"] is False


def test_rejected_out_writes_each_files_rejected_rows(tmp_path, capsys):
    out = tmp_path / "rejected"
    result = run_cli(capsys, "--data", str(FAULTY), "--rejected-out", str(out))
    assert result.returncode == 2
    written = sorted(p.name for p in out.iterdir())
    assert "hotspots_rejected.csv" in written
    assert "Rejected rows written: " in result.stdout
    with open(FAULTY / "hotspots.csv", newline="", encoding="utf-8-sig") as fh:
        header, *rows = list(csv.reader(fh))
    with open(out / "hotspots_rejected.csv", newline="", encoding="utf-8") as fh:
        got_header, *got = list(csv.reader(fh))
    assert got_header == [*header, "problem"]
    assert len(got) == 9  # the rejected count of the faulty fixture
    by_row = {int(r[-1].split(":")[0].removeprefix("row ")): r[:-1] for r in got}
    for number, cells in by_row.items():  # each is the file's row, cell for cell
        protected = [neutralise_formula(c) for c in rows[number - 2]]  # only formula text
        assert cells == protected
