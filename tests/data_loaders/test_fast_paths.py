"""The loaders' fast paths (issue 14, item 3) give exactly what the reference paths give: CSV read
by pyarrow = csv.reader + the same row numbers (or it declines and the csv module reads it),
the one-pass strip = str.strip(), plain-number parsing = pandas.to_numeric, the distinct-value
lookup = Series.map."""

from __future__ import annotations

import csv
import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from data_loaders import readers
from data_loaders.dataset import (
    _mapped,
    _per_distinct,
    _plain_numbers,
    _stripped,
    load_dataset,
)
from data_loaders.readers import PY_WHITESPACE, _finish, _read_csv_arrow
from tests.data_loaders.builders import hotspot_row, write_dataset


def reference(text: str, delimiter: str) -> readers.TextTable:
    """The table the csv module gives (the path every file took before issue 14)."""
    raw = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return _finish(raw, None, "utf-8", delimiter, "")  # type: ignore[arg-type]


def assert_same_table(fast: readers.TextTable, slow: readers.TextTable) -> None:
    assert fast.rows == slow.rows
    assert fast.original_headers == slow.original_headers
    assert list(fast.frame.columns) == list(slow.frame.columns)
    assert fast.frame.dtypes.tolist() == slow.frame.dtypes.tolist()
    assert fast.frame.to_numpy().tolist() == slow.frame.to_numpy().tolist()


def test_py_whitespace_is_what_str_strip_removes():
    assert "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) == PY_WHITESPACE


CASES = {
    "plain": "id,name\nH1,Bar\nH2,Lodge\n",
    "crlf and no final newline": "id,name\r\nH1,Bar\r\nH2,Lodge",
    "blank lines keep the numbering": "id,name\nH1,Bar\n\n\nH2,Lodge\n",
    "row of empty cells": "id,name\nH1,Bar\n,\n  ,\u3000\nH2,x\n",
    "quoted comma, quote and newline": 'id,name\nH1,"Bar, ""Joe\'s""\nupstairs"\nH2,x\n',
    "trailing empty headers": "id,name,,\nH1,Bar,,\nH2,x,,\n",
    "repeated and empty headers": "id,id,,name\n1,2,3,4\n",
    "semicolons": "id;name\nH1;Bar\n",
    "only a header": "id,name\n",
    "unicode": "id,name\nH1,Lilongwe – Area 25 🙂\n",
    "cells keep their spaces": "id,name\n  H1 , Bar \t\n",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_arrow_reads_as_the_csv_module_does(text):
    delimiter = readers.detect_delimiter(text)
    fast = _read_csv_arrow(text, delimiter, "utf-8")
    assert fast is not None, "the fast path should take this file"
    assert_same_table(fast, reference(text, delimiter))


DECLINED = {
    "short row": "id,name\nH1\n",
    "long row": "id,name\nH1,Bar,extra\n",
    "quote inside a cell": 'id,name\nH1,Bar "Joe"\n',
    "text after a closing quote": 'id,name\nH1,"Bar"x\n',
    "unterminated quote": 'id,name\nH1,"Bar\n',
    "NUL": "id,name\nH1,B\x00r\n",
    "blank first line": "\nid,name\nH1,Bar\n",
    "cells beyond the headers": "id,name,\nH1,Bar,more\n",
}


@pytest.mark.parametrize("text", DECLINED.values(), ids=DECLINED.keys())
def test_arrow_declines_what_it_may_read_differently(text):
    assert _read_csv_arrow(text, ",", "utf-8") is None


def test_the_csv_module_still_reads_what_arrow_declines(tmp_path):
    path = tmp_path / "hotspots.csv"
    path.write_text('id,name\nH1,Bar "Joe"\nH2\n\nH3,x,y\n', encoding="utf-8")
    table = readers.read_csv_text(path)
    assert table.rows == [2, 3, 5]
    assert table.frame["name"].tolist() == ['Bar "Joe"', "", "x | y"]


cells = st.text(alphabet=st.sampled_from(list('ab ,;"\n\r\t\u3000\x85éx')), max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.integers(1, 4).flatmap(  # rows of one width, as most files have
        lambda width: st.lists(st.lists(cells, min_size=width, max_size=width), max_size=8)
    ),
    delimiter=st.sampled_from([",", ";"]),
    quote_all=st.booleans(),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_whenever_arrow_reads_a_file_it_reads_it_as_the_csv_module(
    rows, delimiter, quote_all, line_end
):
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        lineterminator=line_end,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerows(rows)
    text = buffer.getvalue()
    fast = _read_csv_arrow(text, delimiter, "utf-8")
    event("read by pyarrow" if fast is not None else "declined")
    if fast is not None:
        assert_same_table(fast, reference(text, delimiter))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list(" \t\u3000\x85\x1cab-1.")), max_size=5)))
def test_strip_is_str_strip(values):
    column = pd.Series(values, dtype=object)
    assert _stripped(column).tolist() == [v.strip() for v in values]
    assert _stripped(column).dtype == object


def test_strip_of_other_values_takes_the_general_path():
    column = pd.Series([" a ", None, 3, np.nan], dtype=object)
    assert _stripped(column).tolist() == ["a", "", "3", ""]


numbers = st.one_of(
    st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{1,8})?", fullmatch=True),
    st.sampled_from(["", "-0", "-0.0", "007", "1e3", "+5", ".5", "5.", "nan", "inf", "12,5"]),
    st.floats(allow_nan=False).map(repr),
    st.text(max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(numbers, max_size=20))
def test_plain_numbers_parse_as_pandas_does(values):
    text = pd.Series(values, dtype=object)
    fast = _plain_numbers(text).to_numpy()
    slow = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy()
    assert fast.dtype == np.float64
    np.testing.assert_array_equal(np.signbit(fast), np.signbit(slow))
    np.testing.assert_array_equal(fast, slow)


def test_mapped_is_series_map():
    text = pd.Series(["Fri", "x", "Fri", "", "sat"], dtype=object)
    mapping = {"Fri": "Fri", "sat": "Sat", "x": None}
    got = _mapped(text, mapping)
    want = text.map(mapping)
    assert got.isna().tolist() == want.isna().tolist()
    assert got.fillna("").tolist() == want.fillna("").tolist()


def test_per_distinct_is_the_str_accessor():
    text = pd.Series(["Bar", "BAR", "Straße", "bar", "", "Lodge"] * 3, dtype=object)
    assert _per_distinct(text, str.lower).tolist() == text.str.lower().tolist()
    assert _per_distinct(text, str.casefold).tolist() == text.str.casefold().tolist()
    assert _per_distinct(text, str.upper).dtype == object


def test_a_point_on_a_shared_border_gets_the_district_gpd_sjoin_gives(tmp_path):
    # Harare and Mutare share the edge lon 31: points on it lie in both
    rows = [
        hotspot_row(hotspot_id=f"B{i}", latitude=lat, longitude="31.0", district="")
        for i, lat in enumerate(["-17.5", "-17.25", "-17.0", "-18.0", "-17.9"])
    ]
    loaded = load_dataset(write_dataset(tmp_path / "border", hotspots=rows))
    located = loaded.hotspots.set_index("hotspot_id")["district"]
    points = gpd.GeoDataFrame(
        {"i": range(len(rows))},
        geometry=gpd.points_from_xy([31.0] * len(rows), [float(r[2]) for r in rows]),
        crs="EPSG:4326",
    )
    joined = gpd.sjoin(points, loaded.boundaries, how="left", predicate="intersects")
    first = joined[~joined["i"].duplicated(keep="first")]["district"].tolist()
    assert [located[f"B{i}"] for i in range(len(rows))] == first
