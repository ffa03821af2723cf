"""Field sheets (Excel, printable HTML), on real files written to tmp_path: plain headings, whole
people that add up, shared spots explained, visits as people read them, one printed page and one
offline map per peer educator, no internal names, no markup or formula from the data."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_loaders.keep_file import read_keep_file
from exports.field_sheets import (
    CONFIDENTIAL,
    ROUNDING_NOTE,
    days_text,
    hours_text,
    pe_sheet_frame,
    pe_sheet_names,
    render_html,
    sheet_frames,
    visit_texts,
    whole_people,
    write_workbook,
)
from planning.caseloads import CaseloadParams, assign_caseloads, district_caseloads
from planning.outreach import weekly_calendar
from planning.schema import WEEKDAYS
from tests.exports.test_map_export import markup

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
PE_HEADINGS = [
    "No.", "Spot", "Name", "Type of place", "Latitude", "Longitude", "Busiest days",
    "Busiest hours", "Your people", "Visit on",
]  # fmt: skip
HTML_HEADINGS = [
    "No.", "Spot", "Name", "Type of place", "Where (lat, lon)", "Busiest days", "Busiest hours",
    "Your people", "Visit on",
]  # fmt: skip
# Names from the code that a reader of a field sheet must never meet: snake_case column and
# function names, documents and modules, and pandas' words for missing or boolean values.
INTERNAL = re.compile(
    r"\b[A-Za-z]+(?:_[A-Za-z0-9]+)+\b|DESIGN|\.md\b|\.py\b|\btypology\b"
    r"|\b(?:nan|NaN|None|True|False|NaT)\b"
)


# --- plans ------------------------------------------------------------------------------------


def small_plan(district: str = "Test", **text: list[str]):
    """Caseloads and calendar of three spots in a row (the third above one PE's cap); ``text``
    replaces a text column (hotspot_id, name, typology, peak_times)."""
    spots = pd.DataFrame(
        {
            "hotspot_id": ["H1", "H2", "H3"], "x_m": [0.0, 100.0, 200.0], "y_m": [0.0, 0.0, 0.0],
            "people": [30.0, 30.0, 80.0], "name": ['=HYPERLINK("x")', "Bar <b>", "Lodge"],
            "typology": ["bar", "bar", "lodge"], "latitude": [-13.9, -13.9, -13.9],
            "longitude": [33.7, 33.71, 33.72], "peak_days": ["Fri;Sat", "Sat", ""],
            "peak_times": ["20-24", "22-2", ""],
        }
    ).assign(**text)  # fmt: skip
    result = assign_caseloads(spots, people_per_pe=60, district=district)
    return result, weekly_calendar(result.assignments, result.spots)


def split_plan():
    """A hand-made case a reader can check: a bar of 86.5 people (above the cap of 60, so
    shared: 60 + 26.5, whole 60 + 27 of 87) and two small spots of 20.4 and 12.5 people (whole:
    20 and 13) beside it; the bar's night runs past midnight."""
    spots = pd.DataFrame(
        {
            "hotspot_id": ["S1", "S2", "S3"], "x_m": [0.0, 300.0, 0.0],
            "y_m": [0.0, 0.0, 400.0], "people": [86.5, 20.4, 12.5],
            "name": ["Big bar", "Corner", "Lodge"], "typology": ["bar", "street", "truck_stop"],
            "latitude": [-13.9, -13.9, -13.896], "longitude": [33.7, 33.703, 33.7],
            "peak_days": ["Fri;Sat", "Mon;Tue;Wed;Thu;Fri;Sat;Sun", ""],
            "peak_times": ["20-24;0-3", "18-23", ""],
        }
    )  # fmt: skip
    result = assign_caseloads(spots, people_per_pe=60, district="Hand")
    return result, weekly_calendar(result.assignments, result.spots)


@pytest.fixture(scope="module")
def demo():
    """Caseloads and calendar of the demo's largest district (which has spots above the cap)."""
    from data_loaders.dataset import load_dataset

    ds = load_dataset(DEMO)
    district = ds.hotspots["district"].value_counts().index[0]
    result = district_caseloads(ds.hotspots, ds.crs_projected, CaseloadParams(), district=district)
    return result, weekly_calendar(result.assignments, result.spots)


# --- reading the files back -------------------------------------------------------------------


def sheet_rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def pe_table(ws) -> pd.DataFrame:
    """A PE sheet's table: the rows under the heading row that starts with "No."."""
    rows = sheet_rows(ws)
    start = next(i for i, r in enumerate(rows) if r and r[0] == "No.")
    header = [h for h in rows[start] if h is not None]
    body = []
    for r in rows[start + 1 :]:
        if not isinstance(r[0], int):
            break
        body.append(r[: len(header)])
    return pd.DataFrame(body, columns=header)


def cell_texts(wb) -> list[str]:
    return [str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r if c]


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str, cls: str | None = None) -> list[Node]:
        out = []
        for child in self.children:
            if child.tag == tag and (cls is None or cls in child.attrs.get("class", "").split()):
                out.append(child)
            out += child.find(tag, cls)
        return out

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


class _Tree(HTMLParser):
    VOID = {"meta", "br", "img", "hr", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.root = Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        while len(self.stack) > 1:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data):
        self.stack[-1].text += data


def tree(text: str) -> Node:
    parser = _Tree()
    parser.feed(text)
    parser.close()
    return parser.root


def week_hours(text: str) -> set[int]:
    """The hours of the week (0 = Mon 00:00) of a "Visit on" text, parsed back."""
    day = "(" + "|".join(WEEKDAYS) + ")"
    within = re.compile(rf"{day} (\d\d):00–(\d\d):00(?: \({day} night\))?")
    across = re.compile(rf"{day} (\d\d):00 – {day} (\d\d):00")
    hours: set[int] = set()
    for part in text.split("; "):
        if m := within.fullmatch(part):
            d = WEEKDAYS.index(m[1])
            start, end = 24 * d + int(m[2]), 24 * d + int(m[3])
            if m[4]:  # the night named is the day before
                assert WEEKDAYS.index(m[4]) == (d - 1) % 7 and int(m[2]) < 6, part
        elif m := across.fullmatch(part):
            start = 24 * WEEKDAYS.index(m[1]) + int(m[2])
            end = 24 * WEEKDAYS.index(m[3]) + int(m[4])
            end += 168 if end <= start else 0
        else:
            raise AssertionError(f"visit text {part!r} is not Day HH:MM–HH:MM")
        hours |= {h % 168 for h in range(start, end)}
    return hours


def calendar_hours(visits: pd.DataFrame) -> set[int]:
    d = visits["day"].map(WEEKDAYS.index)
    return {
        int(24 * di + h)
        for di, s, e in zip(d, visits["start_h"], visits["end_h"])
        for h in range(s, e)
    }


# --- whole people -----------------------------------------------------------------------------


def test_whole_shares_by_largest_remainder_by_hand():
    a = pd.DataFrame(
        {
            "hotspot_id": ["A", "A", "B", "B", "B", "C", "D", "D"],
            "people": [60.0, 26.5, 33.4, 33.3, 33.3, 12.5, 0.5, 0.5],
        }
    )
    # A: 86.5 -> 87 = 60 + 27; B: 100 = 34 + 33 + 33; C: 12.5 -> 13; D: 1 = 1 + 0 (tie: first)
    assert whole_people(a).tolist() == [60, 27, 34, 33, 33, 13, 1, 0]
    assert whole_people(a.iloc[:0]).tolist() == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2000), min_size=1, max_size=6), min_size=1, max_size=8))
def test_whole_shares_add_up_to_the_spots_whole_total(spots_tenths):
    """Shares in tenths of a person: each spot's whole shares add up to its people rounded half
    up, and each whole share is within one person of the exact share."""
    rows = [(f"H{i}", t / 10) for i, shares in enumerate(spots_tenths) for t in shares]
    a = pd.DataFrame(rows, columns=["hotspot_id", "people"]).sample(frac=1.0, random_state=1)
    whole = whole_people(a)
    assert whole.index.equals(a.index) and whole.dtype == "int64"
    for i, shares in enumerate(spots_tenths):
        assert whole[a["hotspot_id"] == f"H{i}"].sum() == (sum(shares) + 5) // 10
    assert ((whole - a["people"]).abs() < 1).all()


# --- times as people read them ----------------------------------------------------------------


def test_days_and_hours_in_words():
    assert days_text("Fri;Sat") == "Fri, Sat"
    assert days_text(";".join(WEEKDAYS)) == "every day"
    assert days_text("") == hours_text(" ") == "not known"
    assert hours_text("20-24;0-3") == "20:00–03:00"  # one night past midnight
    assert hours_text("22-5") == "22:00–05:00"
    assert hours_text("0-4") == "00:00–04:00"  # early hours alone stay as they are
    assert hours_text("8-17") == "08:00–17:00"
    assert hours_text("18-23;0-2") == "18:00–23:00, 00:00–02:00"  # not one night: a gap
    assert hours_text("after dark") == "after dark"


def test_visits_on_the_day_they_happen_joined_across_midnight():
    visits = pd.DataFrame(
        [
            ("P", "A", "Fri", 20, 24), ("P", "A", "Sat", 0, 3),  # one night
            ("P", "B", "Sat", 0, 3),  # early hours alone: the night from Friday
            ("P", "C", "Sun", 22, 24), ("P", "C", "Mon", 0, 2),  # the week repeats
            ("P", "D", "Tue", 18, 20), ("P", "D", "Mon", 18, 19),
        ],
        columns=["pe_id", "hotspot_id", "day", "start_h", "end_h"],
    )  # fmt: skip
    texts = visit_texts(visits)
    assert texts[("P", "A")] == "Fri 20:00 – Sat 03:00"
    assert texts[("P", "B")] == "Sat 00:00–03:00 (Fri night)"
    assert texts[("P", "C")] == "Sun 22:00 – Mon 02:00"
    assert texts[("P", "D")] == "Mon 18:00–19:00; Tue 18:00–20:00"
    for key, text in texts.items():  # nothing lost in the words
        sel = visits[(visits["pe_id"] == key[0]) & (visits["hotspot_id"] == key[1])]
        assert week_hours(text) == calendar_hours(sel)


# --- the workbook -----------------------------------------------------------------------------


def check_workbook(result, calendar, path: Path) -> openpyxl.Workbook:
    """Properties every workbook has; returns it opened."""
    write_workbook(result, calendar, path)
    wb = openpyxl.load_workbook(path)
    pes = [str(p) for p in result.peer_educators["pe_id"]]
    assert wb.sheetnames == ["summary", "assignments", *pes]
    for name in ["summary", *pes]:
        assert wb[name]["A1"].value == CONFIDENTIAL
    assert CONFIDENTIAL in [c.value for c in wb["assignments"][1]]
    assert ROUNDING_NOTE in [r[0] for r in sheet_rows(wb["summary"])]
    plan = wb["summary"]["A3"].value  # the plan's PE count beside the field plan's
    assert f"The plan counts {result.plan_peer_educators} peer educator(s)" in plan
    assert f"This field plan has {result.pe_count}:" in plan
    leaks = [t for t in cell_texts(wb) if INTERNAL.search(t)] + [
        n for n in wb.sheetnames if INTERNAL.search(n)
    ]
    assert leaks == []

    spots = result.spots.set_index("hotspot_id")
    whole_total = np.floor(spots["people"] + 0.5).astype(int)  # half up
    shares: dict[str, int] = {}
    summary = pd.DataFrame(sheet_rows(wb["summary"])[5:], columns=sheet_rows(wb["summary"])[4])
    summary = summary[summary["Peer educator"].isin(pes)].set_index("Peer educator")
    for pe in pes:
        ws = wb[pe]
        table = pe_table(ws)
        assert list(table.columns) == PE_HEADINGS[: None if calendar is not None else -1]
        assert table["No."].tolist() == list(range(1, len(table) + 1))
        assert all(isinstance(v, int) for v in table["Your people"])
        assert all(isinstance(v, float) and v < 0 for v in table["Latitude"])
        assert summary.loc[pe, "People"] == table["Your people"].sum()
        assert ROUNDING_NOTE in [r[0] for r in sheet_rows(ws)]
        firsts = [str(r[0]) for r in sheet_rows(ws) if r[0] is not None]
        for row in table.itertuples(index=False):
            spot, mine = row[1], row[8]
            shares[spot] = shares.get(spot, 0) + mine
            sharers = result.assignments.loc[result.assignments["hotspot_id"] == spot, "pe_id"]
            if len(sharers) > 1:  # the split spot explained on this PE's sheet
                others = ", ".join(str(p) for p in sharers if p != pe)
                sentence = (
                    f"{spot} (No. {row[0]}): your share {mine} of {whole_total[spot]}; "
                    f"also {others}"
                )
                assert sentence in firsts
            if calendar is not None:
                mask = (calendar.visits["pe_id"] == pe) & (calendar.visits["hotspot_id"] == spot)
                if mask.any():
                    assert week_hours(row[9]) == calendar_hours(calendar.visits[mask])
    assert shares == whole_total.to_dict()  # whole shares add up to every spot's total
    assert summary["People"].sum() == whole_total.sum()
    return wb


def test_hand_made_split_spot_workbook(tmp_path):
    result, calendar = split_plan()
    wb = check_workbook(result, calendar, tmp_path / "sheets.xlsx")
    owners = result.assignments.groupby("hotspot_id")["pe_id"].agg(list)
    assert len(owners["S1"]) == 2  # the bar is shared: 60 + 26.5 of 86.5
    bar = {pe: pe_table(wb[pe]).set_index("Spot").loc["S1"] for pe in owners["S1"]}
    big, small = sorted(owners["S1"], key=lambda pe: -bar[pe]["Your people"])
    assert [bar[big]["Your people"], bar[small]["Your people"]] == [60, 27]
    texts = {pe: [str(r[0]) for r in sheet_rows(wb[pe])] for pe in (big, small)}
    assert any(t.endswith(f"your share 60 of 87; also {small}") for t in texts[big])
    assert any(t.endswith(f"your share 27 of 87; also {big}") for t in texts[small])
    assert bar[small]["Busiest days"] == "Fri, Sat"
    assert bar[small]["Busiest hours"] == "20:00–03:00"
    places = {t for pe in wb.sheetnames[2:] for t in pe_table(wb[pe])["Type of place"]}
    assert places == {"bar", "street", "truck stop"}


def test_isolated_spots_are_named_in_the_plan_sentence(tmp_path):
    spots = pd.DataFrame(
        {"hotspot_id": ["A", "B", "FAR"], "x_m": [0.0, 50.0, 20_000.0], "y_m": [0.0, 0.0, 0.0],
         "people": [10.0, 10.0, 5.0], "latitude": [-13.9, -13.9, -13.9],
         "longitude": [33.7, 33.7005, 33.88]}
    )  # fmt: skip
    result = assign_caseloads(spots, people_per_pe=60, walking_limit_km=3.0)
    assert result.isolated == ("FAR",)
    wb = check_workbook(result, None, tmp_path / "far.xlsx")
    assert "1 spot farther than that from every other spot" in wb["summary"]["A3"].value


def test_demo_workbook(demo, tmp_path):
    result, calendar = demo
    assert result.assignments["split"].any()  # the demo has spots above the cap
    check_workbook(result, calendar, tmp_path / "demo.xlsx")


def test_assignments_sheet_reads_back_as_a_keep_file(tmp_path):
    result, calendar = split_plan()
    path = tmp_path / "sheets.xlsx"
    write_workbook(result, calendar, path)
    keep = read_keep_file(path)
    assert sorted(zip(keep["hotspot_id"], keep["pe_id"])) == sorted(
        zip(result.assignments["hotspot_id"], result.assignments["pe_id"])
    )


def test_sheet_frames_and_one_pe():
    result, calendar = split_plan()
    frames = sheet_frames(result, calendar)
    assert list(frames) == [str(p) for p in result.peer_educators["pe_id"]]
    pe = next(iter(frames))
    assert pe_sheet_frame(result, pe, calendar).equals(frames[pe])
    assert "Visit on" not in pe_sheet_frame(result, pe).columns
    with pytest.raises(KeyError, match="PE-NOBODY"):
        pe_sheet_frame(result, "PE-NOBODY")


# --- the printable page -----------------------------------------------------------------------


def px_per_metre(svg: Node) -> float:
    """The map's scale read from its scale bar (bar length in px ÷ its label in metres)."""
    bar = svg.find("g", "scale-bar")
    assert len(bar) == 1
    line = bar[0].find("line")[0]
    metres = float(bar[0].attrs["data-metres"])
    label = bar[0].find("text")[0].text
    assert label == (f"{metres:g} m" if metres < 1000 else f"{metres / 1000:g} km")
    assert f"{metres:g}"[0] in "125" and set(f"{metres:g}"[1:]) <= {"0"}  # 1, 2 or 5 × 10^k
    return (float(line.attrs["x2"]) - float(line.attrs["x1"])) / metres


def check_html(result, calendar, text: str) -> Node:
    """Properties every printable page has; returns its parsed tree."""
    assert INTERNAL.findall(text) == []
    for remote in ("http://", "https://", "<script", "<link", "<iframe", "<img"):
        assert remote not in text
    assert re.search(r"\.sheet\{[^}]*page-break-before:always", text)
    root = tree(text)
    pes = [str(p) for p in result.peer_educators["pe_id"]]
    sections = root.find("section", "sheet")
    assert len(sections) == len(pes) and len(root.find("svg")) == len(pes)
    spots = result.spots.set_index("hotspot_id")
    info = result.peer_educators.set_index("pe_id")
    for pe, section in zip(pes, sections):
        assert section.find("h2")[0].text == f"Peer educator {pe}"
        assert [p.all_text() for p in section.find("p", "conf")] == [CONFIDENTIAL]
        (svg,) = section.find("svg")
        (table,) = section.find("table")
        assert [th.text for th in table.find("th")] == HTML_HEADINGS
        rows = [[td.text for td in tr.find("td")] for tr in table.find("tbody")[0].find("tr")]
        dots = svg.find("circle", "spot")
        assert len(dots) == len(rows) > 0
        numbers = [t.text for t in svg.find("text", "spot-no")]
        assert numbers == [r[0] for r in rows] == [str(k) for k in range(1, len(rows) + 1)]
        assert [t.text for t in svg.find("g", "north-arrow")[0].find("text")] == ["N"]
        scale = px_per_metre(svg)
        xy = spots.loc[[r[1] for r in rows], ["x_m", "y_m"]].to_numpy()
        pix = np.array([[float(c.attrs["cx"]), float(c.attrs["cy"])] for c in dots])
        # every dot where its spot is: same scale both ways, north up (y down on the page)
        expected = (xy - xy[0]) * [scale, -scale]
        assert np.allclose(pix - pix[0], expected, atol=0.25)
        (centre,) = svg.find("path", "centre")
        m = re.match(r"M([\d.]+) ([\d.]+)h18", centre.attrs["d"])
        assert m is not None
        cx, cy = float(m[1]) + 9, float(m[2])
        want = (info.loc[pe, ["x_m", "y_m"]].to_numpy(dtype=float) - xy[0]) * [scale, -scale]
        assert np.allclose([cx, cy] - pix[0], want, atol=0.25)
        lats = spots.loc[[r[1] for r in rows], "latitude"]
        assert [r[4].split(",")[0] for r in rows] == [f"{v:.5f}" for v in lats]
        if calendar is not None:
            assert all(r[8] for r in rows)
    return root


def test_hand_made_split_spot_page():
    result, calendar = split_plan()
    root = check_html(result, calendar, render_html(result, calendar))
    items = [li.text for li in root.find("li")]
    owners = result.assignments.groupby("hotspot_id")["pe_id"].agg(list)["S1"]
    assert len(items) == 2 and all(" of 87; also " in t for t in items)
    assert {t.rsplit("also ", 1)[1] for t in items} == set(owners)
    page = render_html(result, calendar, pe_ids=[owners[1]])
    assert len(tree(page).find("section", "sheet")) == 1
    with pytest.raises(KeyError, match="PE-NOBODY"):
        render_html(result, calendar, pe_ids=["PE-NOBODY"])


def test_demo_page(demo):
    result, calendar = demo
    root = check_html(result, calendar, render_html(result, calendar))
    labels = {px_per_metre(svg) for svg in root.find("svg")}
    assert len(labels) > 1  # each map is scaled to its own spots
    assert math.isfinite(max(labels))


# --- nothing from the data runs ---------------------------------------------------------------


PAYLOAD_DISTRICT = "<img src=x onerror=alert(1)>"


def injected_plan():
    """small_plan with payloads in every text field (names, ids, typology, peak times, district)."""
    return small_plan(
        PAYLOAD_DISTRICT,
        hotspot_id=['=HYPERLINK("http://x","H1")', "<b onmouseover=alert(2)>", "-7"],
        name=["</script><script>alert(3)</script>", " =1+1", "-5"],
        typology=["<svg onload=alert(4)>", "@sum(1)", "+1+1"],
        peak_times=["20-24", "<img src=x onerror=alert(5)>", "\t=1+1"],
    )


def test_html_is_self_contained_escaped_and_marked():
    result, calendar = small_plan()
    text = render_html(result, calendar)
    assert len(tree(text).find("section", "sheet")) == result.pe_count
    assert text.count(CONFIDENTIAL) == result.pe_count + 1
    assert "Bar &lt;b&gt;" in text and "Bar <b>" not in text
    for remote in ("http://", "https://", "<script", "<link"):
        assert remote not in text


def test_html_shows_payloads_as_text_and_holds_no_markup_from_the_data():
    result, calendar = injected_plan()
    text = render_html(result, calendar)
    for raw in ("<img src=x", "<svg onload", "<script>alert", "<b onmouseover"):
        assert raw not in text
    parsed = markup(text)
    assert not [
        (tag, attrs) for tag, attrs in parsed.tags if any(a.startswith("on") for a, _ in attrs)
    ]
    assert {tag for tag, _ in parsed.tags} <= {
        "html", "head", "meta", "title", "style", "body", "p", "h1", "h2", "h3", "section",
        "div", "ul", "li", "table", "thead", "tbody", "tr", "th", "td",
        "svg", "rect", "circle", "text", "path", "line", "g",
    }  # fmt: skip
    for payload in (
        PAYLOAD_DISTRICT,
        "</script><script>alert(3)</script>",
        "<svg onload=alert(4)>",
    ):
        assert payload in parsed.text


def test_workbook_cells_run_no_formula_and_numbers_stay_numbers(tmp_path):
    result, calendar = injected_plan()
    path = tmp_path / "sheets.xlsx"
    write_workbook(result, calendar, path)
    wb = openpyxl.load_workbook(path)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f" and cell.hyperlink is None, cell.coordinate
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert not [t for t in texts if t.lstrip().startswith(("=", "+", "@", "\t"))]
    assert not [t for t in texts if t.startswith("-") and t not in ("-5", "-7")]
    assert {'\'=HYPERLINK("http://x","H1")', "' =1+1", "'@sum(1)", "'+1+1"} <= set(texts)
    assert {"-5", "-7"} <= set(texts)  # text that reads as a number stays as it is
    for pe in result.peer_educators["pe_id"]:
        table = pe_table(wb[str(pe)])
        assert all(isinstance(v, float) and v < 0 for v in table["Latitude"])
        assert all(isinstance(v, int) for v in table["Your people"])


def test_pe_ids_that_clean_to_one_sheet_name_get_their_own_sheets(tmp_path):
    """PE/1 and pe\\1 both clean to "PE_1" (Excel ignores case): once an HTTP 500; a PE called
    "summary" silently replaced the summary sheet."""
    result, calendar = small_plan()
    ids = sorted(result.peer_educators["pe_id"].astype(str).unique())
    assert len(ids) == 3
    rename = dict(zip(ids, ["PE/1", "pe\\1", "summary"]))
    renamed = dataclasses.replace(
        result,
        assignments=result.assignments.assign(pe_id=result.assignments["pe_id"].map(rename)),
        peer_educators=result.peer_educators.assign(
            pe_id=result.peer_educators["pe_id"].map(rename)
        ),
    )
    visits = calendar.visits.assign(pe_id=calendar.visits["pe_id"].map(rename))
    path = tmp_path / "collide.xlsx"
    write_workbook(renamed, dataclasses.replace(calendar, visits=visits), path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["summary", "assignments"]
    assert sorted(wb.sheetnames[2:]) == ["PE_1", "pe_1 (2)", "summary (2)"]
    assert wb["summary (2)"]["A2"].value.startswith("Peer educator summary, ")
    assert pe_sheet_names(["a" * 40, "A" * 40]) == {"a" * 40: "a" * 31, "A" * 40: "A" * 27 + " (2)"}
