"""Tests for data_loaders/candidates.py on real files: districts resolved, every problem named."""

from __future__ import annotations

import pytest

from data_loaders.candidates import CandidateFileError, load_candidates
from tests.planning import handmade


def _write(tmp_path, text, name="candidates.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_districts_from_the_polygons_or_as_stated(tmp_path):
    path = _write(tmp_path, "name,latitude,longitude,district\nP,-13.01,33.0,\nQ,-13.17,33,B\n")
    frame = load_candidates(path, handmade.boundaries())
    assert frame["district"].tolist() == ["A", "B"]
    assert frame["name"].tolist() == ["P", "Q"] and frame["latitude"].tolist() == [-13.01, -13.17]


def test_every_problem_names_file_row_column_and_value(tmp_path):
    text = "latitude;longitude;district\n93.1;33;A\n-13.0;abc;\n-13.0;33.0;Nowhere\n10;10;\n"
    with pytest.raises(CandidateFileError) as error:
        load_candidates(_write(tmp_path, text), handmade.boundaries())
    message = str(error.value)
    assert "candidates.csv row 2, column latitude: '93.1': is not a latitude" in message
    assert "row 3, column longitude: 'abc'" in message
    assert "row 4, column district: 'Nowhere': is not a district" in message
    assert "row 5, column latitude, longitude: '10, 10': lies outside every district" in message
    assert len(error.value.problems) == 4


def test_missing_columns_and_empty_files_are_refused(tmp_path):
    with pytest.raises(CandidateFileError, match="missing column\\(s\\) longitude"):
        load_candidates(_write(tmp_path, "latitude,x\n1,2\n"), handmade.boundaries())
    with pytest.raises(CandidateFileError, match="has no data rows"):
        load_candidates(_write(tmp_path, "latitude,longitude\n"), handmade.boundaries())
    with pytest.raises(CandidateFileError, match="cannot be read"):
        load_candidates(tmp_path / "absent.csv", handmade.boundaries())
