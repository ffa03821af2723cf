"""Property: for random mixes of good and bad rows, accepted + rejected = rows read, and no
exception escapes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_loaders.dataset import load_dataset
from tests.data_loaders.builders import (
    ENROLMENT_HEADER,
    HOTSPOT_HEADER,
    write_boundaries,
    write_csv,
)

CELL = st.one_of(
    st.sampled_from(
        [
            "",
            "about 20",
            "12.5",
            "-3",
            "93.1",
            "1e400",
            "nan",
            "Harrare",
            "=1+1",
            "Fri-",
            "18-18",
            "Chégutu Bar & Lodge",
            "HS-1",
            "  ",
            "0x10",
        ]
    ),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=12,
    ),
)


@st.composite
def good_hotspot(draw, i: int):
    lat = draw(st.floats(-17.95, -17.05))
    lon = draw(st.floats(30.05, 31.95))  # Harare or Mutare
    lo = draw(st.integers(0, 50))
    hi = lo + draw(st.integers(0, 50))
    district = draw(st.sampled_from(["", "Harare", "Mutare", "harare"]))
    return [
        f"HS-{i}",
        "spot",
        f"{lat:.5f}",
        f"{lon:.5f}",
        draw(st.sampled_from(["Bar", "street"])),
        str(lo),
        str(hi),
        str(lo),
        str(hi),
        district,
        "",
        "Fri;Sat",
        "evening",
        "",
    ]


@st.composite
def hotspot_rows(draw):
    n = draw(st.integers(0, 25))
    rows = []
    for _i in range(n):
        row = draw(good_hotspot(draw(st.integers(0, 30))))  # ids may repeat
        for _ in range(draw(st.integers(0, 3))):  # break up to 3 cells
            row[draw(st.integers(0, len(row) - 1))] = draw(CELL)
        if draw(st.booleans()):
            row = row[: draw(st.integers(0, len(row)))]  # short rows
        rows.append(row)
    return rows


@st.composite
def enrolment_rows(draw):
    n = draw(st.integers(0, 15))
    return [
        [
            draw(st.sampled_from(["2025-Q4", "2025Q3", "2025-09", "Sept"])),
            draw(st.sampled_from(["", "HS-1", "HS-2", "HS-404"])),
            draw(st.sampled_from(["", "SITE-1", "SITE-9"])),
            draw(st.sampled_from(["", "Mutare", "Bulawyo"])),
            draw(CELL),
        ]
        for _ in range(n)
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hotspots=hotspot_rows(),
    enrolment=enrolment_rows(),
    delimiter=st.sampled_from([",", ";"]),
    bom=st.booleans(),
)
def test_accepted_plus_rejected_equals_rows_read(hotspots, enrolment, delimiter, bom):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_boundaries(folder, "geojson")
        write_csv(folder / "hotspots.csv", HOTSPOT_HEADER, hotspots, delimiter=delimiter, bom=bom)
        write_csv(
            folder / "sites.csv",
            ["site_id", "name", "latitude", "longitude", "site_type"],
            [["SITE-1", "DIC", "-17.6", "30.4", "clinic"]],
        )
        write_csv(folder / "enrolment.csv", ENROLMENT_HEADER, enrolment)
        ds = load_dataset(folder)  # row-level faults never raise
        report = ds.report
        for name in ("hotspots", "sites", "enrolment"):
            counts = report.files[name]
            assert counts.accepted + counts.rejected == counts.rows
            assert len(report.rejected[name]) == counts.rejected
        assert report.files["hotspots"].accepted == len(ds.hotspots)
        assert report.files["enrolment"].accepted == len(ds.enrolment)
        assert ds.hotspots["hotspot_id"].is_unique
        assert (ds.hotspots["peak_min"] <= ds.hotspots["peak_max"]).all()
        assert ds.hotspots["district"].isin(["Harare", "Mutare"]).all()
        rows_with_errors = {p.row for p in report.errors("hotspots")}
        assert set(report.rejected["hotspots"]["row"]) == rows_with_errors
