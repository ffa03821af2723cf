"""Every reader fuzzed with hypothesis (the CI share of bench/fuzz_loaders.py, which runs
100,000 cases): no input crashes a load, accepted + rejected = rows read, the rejected-rows CSV
holds exactly the rejected rows, and no message names the server's folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import fuzz_loaders as fz

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TOKEN = st.one_of(st.sampled_from(fz.TOKENS), st.binary(max_size=6))
CELL = st.one_of(st.sampled_from(fz.CELLS), st.text(max_size=10))


@pytest.fixture(scope="module")
def boundaries():
    return fz.check_boundaries_file_from_text(fz.BOUNDARIES)[0]


def check(case: fz.Case, folder: Path, boundaries) -> fz.Outcome:
    folder.mkdir(exist_ok=True)
    outcome = fz.run_case(case, folder, boundaries)
    assert outcome.crash is None, f"{case.kind} {case.data[:200]!r} {case.settings!r}"
    assert outcome.accepted + outcome.rejected == outcome.rows
    return outcome


@st.composite
def edited(draw, data: bytes) -> bytes:
    """``data`` with a few hypothesis-chosen inserts, cuts and overwrites."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(out)))
        op = draw(st.sampled_from(["insert", "cut", "truncate"]))
        if op == "insert":
            out[at:at] = draw(TOKEN)
        elif op == "cut":
            del out[at : at + draw(st.integers(1, 10))]
        else:
            del out[at:]
    return bytes(out)


@st.composite
def seed_cases(draw) -> fz.Case:
    name, seed, toml = draw(st.sampled_from(fz.SEEDS))
    return fz.Case(f"edited {name}", name, draw(edited(seed.encode())), toml)


@given(case=seed_cases())
@FUZZ
def test_edited_seed_files(tmp_path, boundaries, case):
    check(case, tmp_path / "scratch", boundaries)


@given(
    name=st.sampled_from(["hotspots.csv", "hotspots.xlsx", "enrolment.json", "boundaries.geojson"]),
    data=st.binary(max_size=300),
)
@FUZZ
def test_random_bytes(tmp_path, boundaries, name, data):
    check(fz.Case("bytes", name, data), tmp_path / "scratch", boundaries)


@given(
    name=st.sampled_from(["hotspots.csv", "sites.csv", "enrolment.csv"]),
    header=st.lists(st.sampled_from(fz.HEADERS), min_size=1, max_size=12),
    cells=st.lists(st.lists(CELL, max_size=14), max_size=5),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    dhis2=st.booleans(),
)
@FUZZ
def test_random_tables(tmp_path, boundaries, name, header, cells, delimiter, encoding, dhis2):
    text = "\r\n".join(delimiter.join(f'"{c}"' for c in row) for row in [header, *cells])
    case = fz.Case(
        "table",
        name,
        text.encode(encoding, "replace"),
        fz.DHIS2_SETTINGS if dhis2 else "",
    )
    check(case, tmp_path / "scratch", boundaries)


@given(
    sections=st.dictionaries(
        st.sampled_from(fz.TOML_SECTIONS),
        st.dictionaries(st.sampled_from(fz.TOML_KEYS), st.sampled_from(fz.TOML_VALUES)),
        max_size=4,
    )
)
@FUZZ
def test_random_dataset_toml(tmp_path, boundaries, sections):
    text = "".join(
        f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
        for name, keys in sections.items()
    )
    check(
        fz.Case("dataset.toml", "hotspots.csv", fz.HOTSPOTS.encode(), text),
        tmp_path / "s",
        boundaries,
    )


def test_the_issue_crashes_are_refused_with_a_message(tmp_path, boundaries):
    """The two crashes fuzzing found before (issue 15): a number as district_column, and a
    UTF-16 file of odd length."""
    toml = fz.Case(
        "dataset.toml", "hotspots.csv", fz.HOTSPOTS.encode(), "[boundaries]\ndistrict_column = 3\n"
    )
    assert check(toml, tmp_path / "a", boundaries).refused
    odd = fz.Case("odd", "hotspots.csv", fz.HOTSPOTS.encode("utf-16") + b"x", "")
    read = check(odd, tmp_path / "b", boundaries)
    assert (read.rows, read.accepted, read.rejected) == (4, 3, 1)  # the odd byte: a last row


@pytest.mark.parametrize(
    ("name", "data", "toml"),
    [
        ("hotspots.xlsx", None, ""),  # a Kobo workbook repeating _index (built below)
        ("enrolment.json", b'{"dataValues": ' + b"[" * 3000 + b"]" * 3000 + b"}", "dhis2"),
        ("hotspots.csv", b'_geolocation,_id\r\n"' + b"[" * 3000 + b'",1\r\n', ""),
        # a corner at 3e41 degrees: projected to metres it is inf, which GEOS cannot index
        ("boundaries.geojson", fz.GADM.replace("[29.0, -20.0]", "[3e41, -20.0]").encode(), ""),
    ],
)
def test_crashes_found_while_fuzzing(tmp_path, boundaries, name, data, toml):
    """What fuzzing found: a header repeated in a Kobo workbook, JSON nested too deep for
    Python's parser (a data value set, a _geolocation cell), a boundary corner at 3e41 degrees:
    refused or read, never a crash."""
    if data is None:
        import random

        rows = [["_index", "_index", "spot/spot_code", "_uuid"], ["1", "1", "a", "u"]]
        data = fz.xlsx_bytes(rows, random.Random(2))
    case = fz.Case("found", name, data, fz.DHIS2_SETTINGS if toml else "")
    outcome = check(case, tmp_path / "scratch", boundaries)
    if name == "boundaries.geojson":  # the damaged feature is rejected, the others kept
        _, report = fz.check_boundaries_file(tmp_path / "scratch" / name)
        assert (report.files["boundaries"].accepted, report.files["boundaries"].rejected) == (2, 1)
        assert "outside -180..180, -90..90 degrees" in report.errors()[0].message
    assert outcome.crash is None
