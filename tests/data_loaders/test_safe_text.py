"""data_loaders/safe_text.py: text a spreadsheet would run gets an apostrophe; numbers, and text
that is a plain number, stay as they are (issue 10: the rejected-rows CSV turned -9.69737 into
'-9.69737)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from data_loaders.safe_text import frame_to_csv, neutralise_formula, neutralise_frame

RUNS = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    " =1+1",  # spreadsheets skip leading spaces
    "   @SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "-Central",
    "\t-5",  # a tab first is never a plain number
    "=cmd|' /C calc'!A0",
]
STAYS = ["-9.69737", "-5", "+5", " -5", "-1e3", "-.5", "12.5", "Bar one", "", "5-2", "a=b", "'=1"]


@pytest.mark.parametrize("text", RUNS)
def test_text_that_would_run_gets_an_apostrophe(text):
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize("text", STAYS)
def test_numbers_written_as_text_and_plain_text_stay(text):
    assert neutralise_formula(text) == text


@pytest.mark.parametrize("value", [-9.69737, -5, 0, 3.5, None, True])
def test_non_text_values_are_returned_unchanged(value):
    assert neutralise_formula(value) is value


def test_frame_keeps_number_columns_and_numbers_in_text_columns():
    frame = pd.DataFrame(
        {
            "latitude": ["-9.69737", "=1+1"],  # as read from a file: text
            "longitude": [-33.5, 33.2],
            "name": [" =1+1", "-5"],
            "=header": ["a", "b"],
        }
    )
    out = neutralise_frame(frame)
    assert out["latitude"].tolist() == ["-9.69737", "'=1+1"]
    assert out["longitude"].tolist() == [-33.5, 33.2] and out["longitude"].dtype == "float64"
    assert out["name"].tolist() == ["' =1+1", "-5"]
    assert list(out.columns) == ["latitude", "longitude", "name", "'=header"]
    assert frame["name"].tolist() == [" =1+1", "-5"]  # the input is left alone


def test_csv_keeps_a_carriage_return_inside_its_cell():
    frame = pd.DataFrame({"name": ["\r=1+1", "a\r=2+2"], "latitude": ["-15.1", "-9.5"]})
    rows = list(csv.reader(io.StringIO(frame_to_csv(frame), newline="")))
    assert rows == [["name", "latitude"], ["'\r=1+1", "-15.1"], ["a\r=2+2", "-9.5"]]


@given(st.text(max_size=12))
def test_every_text_either_stays_or_gains_one_apostrophe(text):
    out = neutralise_formula(text)
    assert out in (text, "'" + text)
    # what stays cannot start a formula: no tab or CR first, no =+-@ first unless it is a number
    if out == text:
        stripped = text.strip()
        assert not text.startswith(("\t", "\r"))
        if stripped.startswith(("=", "+", "-", "@")):
            float(stripped)  # a plain number, e.g. "-5"
