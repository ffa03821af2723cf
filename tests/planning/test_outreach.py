"""Tests of planning/outreach.py: presence grid, best slots, contact load, weekly calendar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.outreach import (
    OutreachParams,
    best_slots,
    contact_load,
    contacts_per_person_month,
    describe_best_slots,
    peak_mask,
    presence_grid,
    weekly_calendar,
)


def three_spots():
    """A bar busy Fri/Sat 20-24 (40 people), a street spot Sat 22-2 (20), one without peak info
    (40)."""
    return pd.DataFrame(
        {
            "hotspot_id": ["A", "B", "C"],
            "people": [40.0, 20.0, 40.0],
            "peak_days": ["Fri;Sat", "Sat", ""],
            "peak_times": ["20-24", "22-2", ""],
        }
    )


def test_presence_grid_counts_people_at_peak_hours_and_spreads_unknown_spots():
    grid = presence_grid(three_spots())
    assert grid.shape == (7, 24)
    assert grid.loc["Fri", 21] == pytest.approx(40 + 40 / 7 / 24)
    assert grid.loc["Sat", 23] == pytest.approx(40 + 20 + 40 / 7 / 24)
    # Sat 22-2 is Saturday night: its early hours are on Sunday's calendar morning
    assert grid.loc["Sun", 1] == pytest.approx(20 + 40 / 7 / 24)
    assert grid.loc["Sat", 1] == pytest.approx(40 / 7 / 24)
    assert grid.loc["Mon", 10] == pytest.approx(40 / 7 / 24)
    assert grid.attrs["people_without_peak_info"] == 40.0


def test_best_slot_share_is_people_at_peak_in_the_window_over_all_people():
    slots = best_slots(three_spots(), n_slots=2, window_hours=4, max_days=2)
    first = slots[0]
    # Sat 20-24 reaches A and B (60 of 100 people); C has no peak info and is never reached
    assert first.share == pytest.approx(0.6)
    assert "Sat" in first.days
    assert len(slots) == 1  # nothing more to reach
    text = describe_best_slots(slots)
    assert text.startswith(first.label()) and "60%" in text


def test_describe_without_peak_info_says_so():
    assert "No peak days" in describe_best_slots([])


def test_contact_load_follows_amethist_frequencies():
    # weekly = 52/12 a month, twice a month = 2, monthly = 1
    assert contacts_per_person_month({"high": 1.0}) == pytest.approx(52 / 12)
    assert contacts_per_person_month({"low": 1.0}) == pytest.approx(1.0)
    expected = 0.3 * 52 / 12 + 0.4 * 2 + 0.3 * 1
    assert contact_load(60) == pytest.approx(60 * expected)
    with pytest.raises(ValueError, match="sum to 1"):
        contact_load(10, {"high": 0.5, "low": 0.2})


def test_calendar_places_visits_inside_peak_windows_and_flags_overload():
    spots = three_spots()
    assignments = pd.DataFrame(
        {"hotspot_id": ["A", "B", "C"], "pe_id": ["P1", "P1", "P1"], "people": [40.0, 20.0, 40.0]}
    )
    cal = weekly_calendar(assignments, spots)
    mask, _, hk = peak_mask(spots)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    for v in cal.visits.itertuples():
        i = {"A": 0, "B": 1, "C": 2}[v.hotspot_id]
        d = days.index(v.day)
        for h in range(v.start_h, v.end_h):
            if hk[i]:
                assert mask[i, d, h], (
                    f"visit to {v.hotspot_id} on {v.day} {h}:00 is outside its peak window"
                )
            else:
                assert 18 <= h < 24
    # one place per hour per PE
    hours = [(v.day, h) for v in cal.visits.itertuples() for h in range(v.start_h, v.end_h)]
    assert len(hours) == len(set(hours))
    load = cal.load.set_index("pe_id").loc["P1"]
    assert load["contacts_per_month"] == pytest.approx(contact_load(100))
    # A and B compete for Sat 22-24 and Fri 20-24: 40 people need ~5.6 h/week at 15 min a contact
    tight = weekly_calendar(assignments, spots, OutreachParams(hours_per_day=1, days_per_week=1))
    assert bool(tight.load["overloaded"].iloc[0])
    assert tight.load["unscheduled_spots"].iloc[0] >= 1


def test_params_refuse_out_of_range_values():
    with pytest.raises(ValueError, match="hours_per_day"):
        OutreachParams(hours_per_day=0)
    with pytest.raises(ValueError, match="days_per_week"):
        OutreachParams(days_per_week=8)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30))
def test_slot_shares_add_up_to_at_most_one_and_grid_total_matches(seed, n):
    rng = np.random.default_rng(seed)
    day_sets = ["Fri;Sat", "Sat", "Mon;Tue;Wed", "", "Sun"]
    time_sets = ["18-24;0-2", "20-24", "12-18", "", "6-12"]
    spots = pd.DataFrame(
        {
            "hotspot_id": [f"H{i}" for i in range(n)],
            "people": rng.integers(0, 50, n).astype(float),
            "peak_days": rng.choice(day_sets, n),
            "peak_times": rng.choice(time_sets, n),
        }
    )
    slots = best_slots(spots, n_slots=3)
    assert sum(s.share for s in slots) <= 1.0 + 1e-9
    assert all(s.share > 0 for s in slots)
    grid = presence_grid(spots)
    assert (grid.to_numpy() >= 0).all()
    assert grid.attrs["people_total"] == pytest.approx(spots["people"].sum())


def _peak_hours(days: str, times: str) -> dict[str, tuple[int, ...]]:
    """{calendar day: hours at peak} of one spot (days without a peak hour left out)."""
    mask, _, _ = peak_mask(
        pd.DataFrame({"hotspot_id": ["X"], "peak_days": [days], "peak_times": [times]})
    )
    days_of_week = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return {
        days_of_week[d]: tuple(int(h) for h in np.flatnonzero(mask[0, d]))
        for d in range(7)
        if mask[0, d].any()
    }


@pytest.mark.parametrize(
    ("days", "times", "expected"),
    [
        # the case: Fri and Sat nights, 19:00 to 03:00
        (
            "Fri;Sat",
            "19-24;0-3",
            {"Fri": (19, 20, 21, 22, 23), "Sat": (0, 1, 2, 19, 20, 21, 22, 23), "Sun": (0, 1, 2)},
        ),
        # a range that wraps midnight
        ("Fri", "22-5", {"Fri": (22, 23), "Sat": (0, 1, 2, 3, 4)}),
        ("Fri", "22-24;0-5", {"Fri": (22, 23), "Sat": (0, 1, 2, 3, 4)}),
        ("Wed", "18-24;0-2", {"Wed": (18, 19, 20, 21, 22, 23), "Thu": (0, 1)}),
        # early hours alone are the listed day's own early hours (the night before its morning)
        ("Fri", "0-4", {"Fri": (0, 1, 2, 3)}),
        ("Fri", "0-6", {"Fri": (0, 1, 2, 3, 4, 5)}),  # the band "night" alone
        ("Fri", "18-24;0-6", {"Fri": (18, 19, 20, 21, 22, 23), "Sat": (0, 1, 2, 3, 4, 5)}),
        # Sunday night runs into Monday morning
        ("Sun", "20-24;0-2", {"Sun": (20, 21, 22, 23), "Mon": (0, 1)}),
        # a daytime window stays on its day
        ("Mon", "4-10", {"Mon": (4, 5, 6, 7, 8, 9)}),
    ],
)
def test_peak_days_name_nights(days, times, expected):
    assert _peak_hours(days, times) == expected


def test_daily_nights_cover_every_early_morning():
    every = "Mon;Tue;Wed;Thu;Fri;Sat;Sun"
    hours = _peak_hours(every, "20-24;0-2")
    assert set(hours) == {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    assert all(h == (0, 1, 20, 21, 22, 23) for h in hours.values())


def test_calendar_visits_fall_on_the_real_night():
    """Fri;Sat 19-24;0-3: a visit after midnight is on Saturday or Sunday, never Friday."""
    spots = pd.DataFrame(
        {"hotspot_id": ["A"], "peak_days": ["Fri;Sat"], "peak_times": ["19-24;0-3"]}
    )
    assignments = pd.DataFrame({"hotspot_id": ["A"], "pe_id": ["PE-1"], "people": [400.0]})
    calendar = weekly_calendar(assignments, spots)
    early = calendar.visits[calendar.visits["start_h"] < 3]
    assert len(early) and set(early["day"]) <= {"Sat", "Sun"}
