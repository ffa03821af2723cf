"""The validation report: sorting, the --json object, the text tables, DatasetLoadError."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from data_loaders.validation import DatasetLoadError, FileCounts, ValidationReport


def make_report() -> ValidationReport:
    report = ValidationReport()
    report.files["hotspots"] = FileCounts(10, 8, 2)
    report.files["boundaries"] = FileCounts(3, 3, 0)
    report.add("hotspots", 7, "latitude", "93.1", "error", "latitude 93.1 is outside -90..90")
    report.add("hotspots", 3, "district", "Mutare", "warning", "stated district disagrees")
    report.add("boundaries", None, "district", None, "info", "district names taken from column")
    report.rejected["hotspots"] = pd.DataFrame({"row": [7], "reasons": ["latitude: ..."]})
    return report


def test_to_dict_is_the_cli_json_object_sorted_by_file_then_row():
    data = make_report().to_dict()
    assert data["ok"] is False
    assert list(data["files"]) == ["boundaries", "hotspots"]
    assert data["files"]["hotspots"] == {"rows": 10, "accepted": 8, "rejected": 2}
    assert [(p["file"], p["row"]) for p in data["problems"]] == [
        ("boundaries", None),
        ("hotspots", 3),
        ("hotspots", 7),
    ]
    assert data["problems"][2] == {
        "file": "hotspots",
        "row": 7,
        "column": "latitude",
        "value": "93.1",
        "severity": "error",
        "message": "latitude 93.1 is outside -90..90",
        "fatal": False,
    }
    json.dumps(data)  # serialisable as is


def test_summary_text_lists_counts_and_every_problem_aligned():
    text = make_report().summary_text()
    lines = text.splitlines()
    assert lines[0].split() == ["file", "source", "rows", "accepted", "rejected"]
    problem_lines = [line for line in lines if line.startswith("hotspots ") and "outside" in line]
    assert problem_lines and "   7  latitude" in problem_lines[0]
    assert text.rstrip().endswith("1 error(s): rows with errors are rejected; 1 warning(s).")
    header = next(line for line in lines if line.startswith("file") and "severity" in line)
    assert header.index("message") == problem_lines[0].index("latitude 93.1")


def test_severity_is_checked_and_counts_filter():
    report = make_report()
    with pytest.raises(ValueError, match="severity 'fatal'"):
        report.add("hotspots", 2, "x", "", "fatal", "m")
    assert [p.row for p in report.errors()] == [7]
    assert [p.row for p in report.warnings("hotspots")] == [3]
    assert report.has_errors


def test_dataset_load_error_message_names_file_row_column():
    error = DatasetLoadError(make_report())
    assert str(error).startswith(
        "the dataset could not be loaded: hotspots row 7 latitude: latitude 93.1"
    )
    assert error.report.files["hotspots"].rows == 10
