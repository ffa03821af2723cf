"""Outreach timing: people present by day × hour, best slots, contact load, weekly calendar.

DESIGN.md s.3 "Outreach timing" ("peak times and peak days might be utilized to determine
time of outreach", programmatic-mapping-jmir-2019.txt Table 1) and "Contact load"
(AMETHIST, amethist-trial-protocol.txt: high-risk people are followed up weekly, medium
twice a month, low monthly). Peak days are canonical "Mon;...;Sun", peak times canonical
hour ranges "18-24;0-2" (planning/schema.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import SupportsFloat, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from planning._frames import require_columns, text_column
from planning.parameters import default_number, default_whole, parameter
from planning.schema import WEEKDAYS

HOURS = list(range(24))
WEEKS_PER_MONTH = 52.0 / 12.0  # 4.33: "weekly" contacts per month
# AMETHIST: high risk weekly, medium twice a month, low monthly (contacts per person per month).
CONTACTS_PER_MONTH_BY_RISK = {"high": WEEKS_PER_MONTH, "medium": 2.0, "low": 1.0}
# DEFAULT risk mix: an assumption to be replaced by the programme's own risk assessment
# (AMETHIST re-assesses each caseload every 3 months); no source gives a national mix.
RISK_MIX_DEFAULT = {"high": 0.3, "medium": 0.4, "low": 0.3}


def _mix_items(risk_mix: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    """Validate a risk mix (keys high/medium/low, shares >= 0 summing to 1)."""
    keys = set(risk_mix)
    if not keys <= set(CONTACTS_PER_MONTH_BY_RISK) or not keys:
        raise ValueError(
            f"risk_mix={risk_mix!r}: keys must be among {list(CONTACTS_PER_MONTH_BY_RISK)}"
        )
    shares = {k: float(v) for k, v in risk_mix.items()}
    if any(v < 0 for v in shares.values()) or abs(sum(shares.values()) - 1.0) > 1e-6:
        raise ValueError(
            f"risk_mix={risk_mix!r}: shares must be >= 0 and sum to 1, e.g. {RISK_MIX_DEFAULT}"
        )
    return tuple(sorted(shares.items()))


@dataclass(frozen=True)
class OutreachParams:
    """Working limits of a PE and the assumptions of the contact load (planning.parameters)."""

    # Defaults, ranges and their (lack of) sources: planning.parameters.
    hours_per_day: float = default_number("hours_per_day")
    days_per_week: int = default_whole("days_per_week")
    minutes_per_contact: float = default_number("minutes_per_contact")
    risk_mix: tuple[tuple[str, float], ...] = field(
        default_factory=lambda: _mix_items(RISK_MIX_DEFAULT)
    )

    def __post_init__(self) -> None:
        for name in ("hours_per_day", "days_per_week", "minutes_per_contact"):
            object.__setattr__(self, name, parameter(name).check(getattr(self, name)))
        object.__setattr__(self, "risk_mix", _mix_items(dict(self.risk_mix)))


def contacts_per_person_month(risk_mix: Mapping[str, float] | None = None) -> float:
    """Mean contacts per person per month for a risk mix.

    AMETHIST frequencies; the default mix gives 2.40.
    """
    mix = dict(_mix_items(risk_mix or RISK_MIX_DEFAULT))
    return float(sum(share * CONTACTS_PER_MONTH_BY_RISK[k] for k, share in mix.items()))


def contact_load(
    people: npt.ArrayLike, risk_mix: Mapping[str, float] | None = None
) -> float | npt.NDArray[np.float64]:
    """Contacts per month needed for ``people`` (scalar or array).

    people × mean contacts per person.
    """
    return (
        np.asarray(people, dtype="float64") * contacts_per_person_month(risk_mix)
        if not np.isscalar(people)
        # a scalar head count is a number (float() raises for any other scalar np.isscalar admits)
        else float(cast(SupportsFloat, people)) * contacts_per_person_month(risk_mix)
    )


# --- peak windows -------------------------------------------------------------------------


def _parse_days(text: str) -> npt.NDArray[np.bool_] | None:
    """Bool[7] of canonical peak days, or None when unknown."""
    parts = [p.strip()[:3].title() for p in str(text).split(";") if p.strip()]
    days = [WEEKDAYS.index(p) for p in parts if p in WEEKDAYS]
    if not days:
        return None
    out = np.zeros(7, dtype=bool)
    out[days] = True
    return out


def _parse_hours(text: str) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]] | None:
    """(hours on the listed day, hours on the next calendar morning), each bool[24], of
    canonical hour ranges "20-24;0-3"; None when unknown.

    Peak days name nights (DESIGN.md s.3, "Outreach timing"): a window that starts on a listed
    day and runs past midnight continues into the next calendar morning. So a part from
    midnight ("0-3") that follows a part reaching midnight ("20-24", or a range that wraps,
    "22-5") is the same night's early hours, on the next calendar day. Early hours given alone
    ("0-4", or the band "night" = 0-6) are the listed day's own early hours: the night before
    that day's morning.
    """
    parts: list[tuple[int, int]] = []
    for part in str(text).split(";"):
        bits = part.strip().split("-")
        if len(bits) != 2:
            continue
        try:
            start, end = int(float(bits[0])), int(float(bits[1]))
        except ValueError:
            continue
        if 0 <= start <= 24 and 0 <= end <= 24 and start != end:
            parts.append((start, end))
    same_day = np.zeros(24, dtype=bool)
    next_morning = np.zeros(24, dtype=bool)
    reaches_midnight = any(end == 24 or start > end for start, end in parts)
    for start, end in parts:
        if start > end:  # wraps midnight: the evening on the day, the rest the next morning
            same_day[start:] = True
            next_morning[:end] = True
        elif start == 0 and reaches_midnight:
            next_morning[start:end] = True
        else:
            same_day[start:end] = True
    if not (same_day.any() or next_morning.any()):
        return None
    return same_day, next_morning


def peak_mask(
    hotspots: pd.DataFrame,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(mask bool[n, 7, 24] of spot at peak, days_known bool[n], hours_known bool[n]).

    ``mask[i, d, h]``: spot i is at its peak on calendar day d (0 = Mon) at hour h. Peak days
    name nights: ``Fri;Sat`` with ``20-24;0-3`` is Fri 20:00-Sat 03:00 and Sat 20:00-Sun
    03:00 (see ``_parse_hours``). Unknown days or hours are all True in ``mask`` (the spot may
    be found any time) and flagged False in the known arrays.
    """
    days = text_column(hotspots, "peak_days")
    times = text_column(hotspots, "peak_times")
    n = len(hotspots)
    mask = np.zeros((n, 7, 24), dtype=bool)
    days_known = np.zeros(n, dtype=bool)
    hours_known = np.zeros(n, dtype=bool)
    cache: dict[tuple[str, str], npt.NDArray[np.bool_]] = {}
    for i, (d, t) in enumerate(zip(days, times)):
        dm, hours = _parse_days(d), _parse_hours(t)
        days_known[i] = dm is not None
        hours_known[i] = hours is not None
        if (d, t) not in cache:
            day_mask = np.ones(7, dtype=bool) if dm is None else dm
            if hours is None:
                cache[(d, t)] = day_mask[:, None] & np.ones(24, dtype=bool)[None, :]
            else:
                same_day, next_morning = hours
                # a listed night's early hours fall on the next calendar day (Sun -> Mon)
                cache[(d, t)] = (day_mask[:, None] & same_day[None, :]) | (
                    np.roll(day_mask, 1)[:, None] & next_morning[None, :]
                )
        mask[i] = cache[(d, t)]
    return mask, days_known, hours_known


def _people(hotspots: pd.DataFrame, people: npt.ArrayLike | None) -> npt.NDArray[np.float64]:
    """People per spot: the given array/Series, a ``people`` column, or the peak mid estimate."""
    if people is not None:
        return np.asarray(people, dtype="float64")
    values: npt.NDArray[np.float64]
    if "people" in hotspots.columns:
        values = hotspots["people"].to_numpy(dtype="float64")
        return values
    require_columns(hotspots, ["peak_min", "peak_max"], argument="hotspots", function="outreach")
    values = (
        hotspots["peak_min"].to_numpy(dtype="float64")
        + hotspots["peak_max"].to_numpy(dtype="float64")
    ) / 2.0
    return values


def presence_grid(hotspots: pd.DataFrame, *, people: npt.ArrayLike | None = None) -> pd.DataFrame:
    """People present at peak by weekday (rows Mon..Sun) × hour (columns 0..23).

    A spot adds its people (``people`` argument, else a ``people`` column, else the mid of
    peak_min/peak_max) to every hour of its peak times on each of its peak days. A spot
    without peak days is spread evenly over the 7 days (people ÷ 7 a day), one without
    peak times evenly over 24 hours (÷ 24 an hour); their people are in
    ``grid.attrs["people_without_peak_info"]``.
    """
    p = _people(hotspots, people)
    mask, dk, hk = peak_mask(hotspots)
    weight = p * np.where(dk, 1.0, 1.0 / 7.0) * np.where(hk, 1.0, 1.0 / 24.0)
    grid = np.einsum("n,ndh->dh", weight, mask.astype("float64")) if len(p) else np.zeros((7, 24))
    out = pd.DataFrame(
        grid, index=pd.Index(WEEKDAYS, name="day"), columns=pd.Index(HOURS, name="hour")
    )
    out.attrs["people_without_peak_info"] = float(p[~(dk & hk)].sum()) if len(p) else 0.0
    out.attrs["people_total"] = float(p.sum()) if len(p) else 0.0
    return out


@dataclass(frozen=True)
class Slot:
    """An outreach window: ``days`` (weekday names), hours [start_h, end_h), people, share.

    ``people`` is the number reached and ``share`` their share of all people.
    """

    days: tuple[str, ...]
    start_h: int
    end_h: int
    people: float
    share: float

    def label(self) -> str:
        """e.g. 'Fri and Sat 20:00–24:00'."""
        days = (
            " and ".join(self.days)
            if len(self.days) <= 2
            else ", ".join(self.days[:-1]) + " and " + self.days[-1]
        )
        return f"{days} {self.start_h:02d}:00–{self.end_h:02d}:00"


def best_slots(
    hotspots: pd.DataFrame,
    *,
    people: npt.ArrayLike | None = None,
    n_slots: int = 3,
    window_hours: int = 4,
    max_days: int = 2,
) -> list[Slot]:
    """The outreach windows that reach most people, chosen greedily (each adds the most new people).

    A window is up to ``max_days`` weekdays × one block of ``window_hours`` hours inside the day.
    A person is reached by a window when her spot is at peak (known peak days AND times) in
    at least one hour of it; ``share`` = people newly reached ÷ all people of the spots given
    (spots without peak information stay in the denominator and are never counted reached).
    """
    if not (1 <= window_hours <= 24) or not (1 <= max_days <= 7) or n_slots < 1:
        raise ValueError(
            f"best_slots: window_hours={window_hours} (1..24), max_days={max_days} (1..7), "
            f"n_slots={n_slots} (>= 1)"
        )
    p = _people(hotspots, people)
    total = float(p.sum())
    if total <= 0:
        return []
    mask, dk, hk = peak_mask(hotspots)
    known = dk & hk
    starts = list(range(0, 24 - window_hours + 1))
    # at_day[n, d, s]: spot at peak on day d in hours [s, s + window_hours)
    csum = np.concatenate([np.zeros((len(p), 7, 1), dtype=int), np.cumsum(mask, axis=2)], axis=2)
    at_day = (csum[:, :, [s + window_hours for s in starts]] - csum[:, :, starts]) > 0
    at_day &= known[:, None, None]
    from itertools import combinations

    day_sets = [c for r in range(1, max_days + 1) for c in combinations(range(7), r)]
    # people-hours present at peak in each (day, window start): the tie-break between windows
    # that reach the same people (prefer the one where they are present longest)
    hours_csum = np.concatenate(
        [np.zeros((7, 1)), np.cumsum(np.einsum("n,ndh->dh", p * known, mask), axis=1)], axis=1
    )
    presence = (
        hours_csum[:, [s + window_hours for s in starts]] - hours_csum[:, starts]
    )  # 7 × starts
    remaining = p.copy()
    out: list[Slot] = []
    for _ in range(n_slots):
        best = None
        for ds in day_sets:
            reached = at_day[:, list(ds), :].any(axis=1)  # n × starts
            gain = np.round(remaining @ reached, 9)
            tie = presence[list(ds), :].sum(axis=0)
            s = int(np.lexsort((-tie, -gain))[0])
            # prefer more people reached, then longer presence, then fewer days, then earlier
            # day/hour
            key = (float(gain[s]), round(float(tie[s]), 6), -len(ds))
            if best is None or key > best[0]:
                best = (key, ds, s, reached[:, s])
        if best is None or best[0][0] <= 0:
            break
        _, ds, s, reached = best
        gained = float(remaining[reached].sum())
        remaining = np.where(reached, 0.0, remaining)
        out.append(
            Slot(
                tuple(WEEKDAYS[d] for d in ds),
                starts[s],
                starts[s] + window_hours,
                gained,
                gained / total,
            )
        )
    return out


def describe_best_slots(slots: list[Slot]) -> str:
    """Slots in words.

    e.g. 'Fri and Sat 20:00–24:00 reach 62% of people; then Wed 18:00–22:00 a further 9%'.
    """
    if not slots:
        return (
            "No peak days and times are recorded for these spots, "
            "so no outreach slot can be suggested."
        )
    first, rest = slots[0], slots[1:]
    text = f"{first.label()} reach {first.share:.0%} of people"
    for s in rest:
        text += f"; then {s.label()} a further {s.share:.0%}"
    return text + "."


# --- weekly calendar ------------------------------------------------------------------------


@dataclass(frozen=True)
class OutreachCalendar:
    """A weekly plan: ``visits`` [pe_id, day, start_h, end_h, hotspot_id, contacts_per_week] and
    ``load`` per PE [pe_id, people, contacts_per_month, hours_needed_per_week,
    hours_scheduled_per_week, capacity_hours_per_week, capacity_contacts_per_month, load_pct,
    unscheduled_spots, overloaded]."""

    visits: pd.DataFrame
    load: pd.DataFrame


def weekly_calendar(
    assignments: pd.DataFrame, spots: pd.DataFrame, params: OutreachParams = OutreachParams()
) -> OutreachCalendar:
    """For each PE, a weekly plan visiting each of its spots inside the spot's peak window.

    ``assignments`` [hotspot_id, pe_id, people] (planning.caseloads), ``spots`` [hotspot_id,
    peak_days, peak_times]. Each spot needs contact_load(people) ÷ 4.33 contacts a week at
    ``minutes_per_contact``, in whole hours (at least one visit a week). Hours are placed on
    the spot's peak days and hours (any day 18-24 when unknown), one place per hour, at most
    ``hours_per_day`` a day on at most ``days_per_week`` days. A PE is overloaded when some
    hours cannot be placed or the contacts needed exceed capacity.
    """
    require_columns(
        assignments,
        ["hotspot_id", "pe_id", "people"],
        argument="assignments",
        function="weekly_calendar",
    )
    require_columns(spots, ["hotspot_id"], argument="spots", function="weekly_calendar")
    mix = dict(params.risk_mix)
    per_person = contacts_per_person_month(mix)
    sp = spots.drop_duplicates("hotspot_id").reset_index(drop=True)
    mask, _dk, hk = peak_mask(sp)
    evening = np.zeros(24, dtype=bool)
    evening[18:24] = True
    for i in np.flatnonzero(~hk):
        mask[i] = mask[i] & evening[None, :]
    pos = {h: i for i, h in enumerate(sp["hotspot_id"].astype(str))}
    contacts_per_hour = 60.0 / float(params.minutes_per_contact)
    cap_hours = float(params.hours_per_day) * params.days_per_week
    visits, loads = [], []
    a_pe = assignments["pe_id"].astype(str).to_numpy()
    a_h = assignments["hotspot_id"].astype(str).to_numpy()
    a_p = assignments["people"].to_numpy(dtype="float64")
    # per PE: spots by people descending, then hotspot_id (deterministic)
    order = np.lexsort((a_h, -a_p, pd.factorize(a_pe)[0]))
    pe_order = list(dict.fromkeys(a_pe))
    rows_of: dict[str, list[int]] = {pe: [] for pe in pe_order}
    for j in order:
        rows_of[a_pe[j]].append(int(j))
    default_mask = np.tile(evening, (7, 1))
    capacity_contacts = cap_hours * contacts_per_hour * WEEKS_PER_MONTH
    for pe in pe_order:
        used = np.zeros((7, 24), dtype=bool)
        day_hours = np.zeros(7)
        unscheduled = 0
        need_total = scheduled_total = 0
        people = 0.0
        for j in rows_of[pe]:
            h, p = a_h[j], float(a_p[j])
            people += p
            contacts_week = p * per_person / WEEKS_PER_MONTH
            need = max(1, math.ceil(contacts_week / contacts_per_hour - 1e-9)) if p > 0 else 0
            need_total += need
            m = mask[pos[h]] if h in pos else default_mask
            placed = 0
            while placed < need:
                free = m & ~used & (day_hours[:, None] < params.hours_per_day)
                if int((day_hours > 0).sum()) >= params.days_per_week:
                    free &= (day_hours > 0)[:, None]
                per_day = free.sum(axis=1)
                if not per_day.any():
                    break
                # day with the most free peak hours for this spot (ties: earlier day)
                d = int(np.argmax(per_day))
                hours = np.flatnonzero(free[d])
                # a contiguous block from the first free hour
                block = [int(hours[0])]
                for hh in hours[1:]:
                    if (
                        hh == block[-1] + 1
                        and len(block) < need - placed
                        and day_hours[d] + len(block) < params.hours_per_day
                    ):
                        block.append(int(hh))
                    else:
                        break
                used[d, block] = True
                day_hours[d] += len(block)
                placed += len(block)
                visits.append(
                    (
                        pe,
                        WEEKDAYS[d],
                        block[0],
                        block[-1] + 1,
                        h,
                        contacts_week * len(block) / need if need else 0.0,
                    )
                )
            scheduled_total += placed
            if placed < need:
                unscheduled += 1
        contacts_month = people * per_person
        loads.append(
            (
                pe,
                people,
                contacts_month,
                need_total,
                scheduled_total,
                cap_hours,
                capacity_contacts,
                100.0 * contacts_month / capacity_contacts,
                unscheduled,
                bool(unscheduled > 0 or contacts_month > capacity_contacts + 1e-9),
            )
        )
    visits_df = pd.DataFrame(
        visits, columns=["pe_id", "day", "start_h", "end_h", "hotspot_id", "contacts_per_week"]
    )
    load_df = pd.DataFrame(
        loads,
        columns=[
            "pe_id",
            "people",
            "contacts_per_month",
            "hours_needed_per_week",
            "hours_scheduled_per_week",
            "capacity_hours_per_week",
            "capacity_contacts_per_month",
            "load_pct",
            "unscheduled_spots",
            "overloaded",
        ],
    )
    day_order = {d: i for i, d in enumerate(WEEKDAYS)}
    visits_df = (
        visits_df.assign(_d=visits_df["day"].map(day_order))
        .sort_values(["pe_id", "_d", "start_h"], kind="stable")
        .drop(columns="_d")
        .reset_index(drop=True)
    )
    return OutreachCalendar(visits=visits_df, load=load_df)
