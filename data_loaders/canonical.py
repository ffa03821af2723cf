"""Canonical forms of free-text fields: peak days, peak times, periods, services, dates.

Each parser returns the canonical text, or None when the value cannot be understood (the
loader then reports it with the row and a fix). Formats follow planning/schema.py and
../shared/DESIGN.md section 2 (peak_days "Fri;Sat", peak_times "18-24;0-2", period
"2025-Q3" or "2025-09", services "condoms;lubricant;hts;prep;art;sti;fp").
"""

from __future__ import annotations

import datetime as dt
import re

from planning.schema import SERVICES, TIME_BANDS_H, WEEKDAYS

_DAY_FULL = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DAY_GROUPS = {
    "daily": list(range(7)),
    "everyday": list(range(7)),
    "all": list(range(7)),
    "alldays": list(range(7)),
    "weekend": [5, 6],
    "weekends": [5, 6],
    "weekdays": list(range(5)),
    "weekday": list(range(5)),
}
_SPLIT = re.compile(r"[;,/&+|]+|\band\b")


def _day_index(token: str) -> int | None:
    token = token.strip().lower().rstrip(".")
    if len(token) < 2:
        return None
    if token == "weds":
        return 2
    for i, full in enumerate(_DAY_FULL):
        if full.startswith(token):
            return i
    return None


def canonical_days(value: str) -> str | None:
    """'Friday, sat' / 'FRI-SUN' / 'fri/sat' -> 'Fri;Sat' (week order).

    '' stays ''; None if unreadable.
    """
    text = str(value).strip().lower()
    if not text:
        return ""
    text = re.sub(r"\s*(?:-|–|to)\s*", "-", text)
    days: set[int] = set()
    for token in (t for t in re.split(r"[;,/&+|\s]+|\band\b", text) if t):
        compact = token.replace(" ", "")
        if compact in _DAY_GROUPS:
            days.update(_DAY_GROUPS[compact])
            continue
        if "-" in token:
            parts = token.split("-")
            if len(parts) != 2:
                return None
            a, b = _day_index(parts[0]), _day_index(parts[1])
            if a is None or b is None:
                return None
            i = a
            days.add(i)
            while i != b:
                i = (i + 1) % 7
                days.add(i)
            continue
        day = _day_index(token)
        if day is None:
            return None
        days.add(day)
    return ";".join(WEEKDAYS[i] for i in sorted(days))


_HOUR = re.compile(r"^(\d{1,2})(?:[:h.](\d{2}))?(am|pm)?$")


def _hour(token: str, *, end: bool) -> int | None:
    m = _HOUR.match(token)
    if not m:
        return None
    hour, minutes, ampm = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if minutes >= 60:
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 24 or (hour == 24 and minutes):
        return None
    if end and minutes:  # an end at 01:30 covers the hour starting at 01:00
        hour += 1
    return hour


def canonical_times(value: str) -> str | None:
    """'evening;night' / '18:00-02:00' / '18-2' / '6pm-2am' -> '18-24;0-2'.

    '' stays ''; None if unreadable.

    Bands are planning.schema.TIME_BANDS_H; a range that crosses midnight is split in two.
    """
    text = str(value).strip().lower()
    if not text:
        return ""
    text = re.sub(r"\s*(?:-|–|to)\s*", "-", text)
    text = re.sub(r"\s+(am|pm)\b", r"\1", text)
    ranges: list[str] = []
    for token in (t for t in re.split(r"[;,/&+|\s]+|\band\b", text) if t):
        if token in TIME_BANDS_H:
            a, b = TIME_BANDS_H[token]
            pieces = [(a, b)]
        else:
            parts = token.split("-")
            if len(parts) != 2:
                return None
            from_h, to_h = _hour(parts[0], end=False), _hour(parts[1], end=True)
            if from_h is None or to_h is None or from_h == 24:
                return None
            to_h = 24 if to_h == 0 else to_h
            if from_h == to_h:
                return None
            pieces = [(from_h, to_h)] if from_h < to_h else [(from_h, 24), (0, to_h)]
        for a, b in pieces:
            r = f"{a}-{b}"
            if r not in ranges:
                ranges.append(r)
    return ";".join(ranges)


_QUARTER = re.compile(r"^(\d{4})\s*[-_/ ]?\s*q([1-4])$")
_QUARTER_FIRST = re.compile(r"^q([1-4])\s*[-_/ ]?\s*(\d{4})$")
_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")


def canonical_period(value: str) -> str | None:
    """'2025-Q3' / '2025Q3' / 'Q3 2025' -> '2025-Q3'; '2025-09' / '2025/9' -> '2025-09'.

    None for anything else.
    """
    text = str(value).strip().lower()
    m = _QUARTER.match(text)
    if m:
        return f"{m.group(1)}-Q{m.group(2)}"
    m = _QUARTER_FIRST.match(text)
    if m:
        return f"{m.group(2)}-Q{m.group(1)}"
    m = _MONTH.match(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    return None


_SERVICE_ALIASES = {
    "condom": "condoms",
    "male_condoms": "condoms",
    "female_condoms": "condoms",
    "lube": "lubricant",
    "lubricants": "lubricant",
    "hiv_testing": "hts",
    "testing": "hts",
    "hiv_test": "hts",
    "hct": "hts",
    "vct": "hts",
    "pre_exposure_prophylaxis": "prep",
    "treatment": "art",
    "arv": "art",
    "sti_treatment": "sti",
    "stis": "sti",
    "family_planning": "fp",
}


def canonical_services(value: str) -> tuple[str, list[str]]:
    """'Condoms, HTS; PrEP' -> ('condoms;hts;prep', unknown_tokens).

    Services come out in the order of planning.schema.SERVICES.
    """
    found: set[str] = set()
    unknown: list[str] = []
    for token in (t.strip() for t in _SPLIT.split(str(value).lower())):
        if not token:
            continue
        key = re.sub(r"[\s\-]+", "_", token)
        key = _SERVICE_ALIASES.get(key, key)
        if key in SERVICES:
            found.add(key)
        else:
            unknown.append(token)
    return ";".join(s for s in SERVICES if s in found), unknown


def canonical_date(value: str) -> str | None:
    """'2025-03-14' / '14/03/2025' / '14.03.2025' -> '2025-03-14'.

    '' stays ''; None if unreadable.
    """
    text = str(value).strip()
    if not text:
        return ""
    text = text.split(" ")[0].split("T")[0]
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None
