"""Canonical forms of peak days, peak times, periods, services and dates."""

from __future__ import annotations

import pytest

from data_loaders.canonical import (
    canonical_date,
    canonical_days,
    canonical_period,
    canonical_services,
    canonical_times,
)

# (value as written in a file, its canonical form; None when it cannot be read) per function
CASES = {
    canonical_days: [
        ("Fri;Sat", "Fri;Sat"), ("Friday, sat", "Fri;Sat"), ("FRI", "Fri"), ("fri/sat", "Fri;Sat"),
        ("Fri-Sun", "Fri;Sat;Sun"), ("Fri - Mon", "Mon;Fri;Sat;Sun"), ("weekend", "Sat;Sun"),
        ("Sat;Fri;Sat", "Fri;Sat"), ("thurs", "Thu"), ("", ""), ("someday", None), ("Fri-", None),
        ("x-Sun", None),
    ],
    canonical_times: [
        ("18-24;0-2", "18-24;0-2"), ("18-2", "18-24;0-2"), ("18:00-02:00", "18-24;0-2"),
        ("evening;night", "18-24;0-6"), ("morning", "6-12"), ("Afternoon", "12-18"),
        ("6pm-2am", "18-24;0-2"), ("20:30-23:30", "20-24"), ("22-0", "22-24"), ("", ""),
        ("whenever", None), ("18-18", None), ("25-3", None), ("18:75-20", None),
    ],
    canonical_period: [
        ("2025-Q3", "2025-Q3"), ("2025Q3", "2025-Q3"), ("2025 q3", "2025-Q3"),
        ("Q3 2025", "2025-Q3"), ("2025-09", "2025-09"), ("2025-9", "2025-09"),
        ("2025/09", "2025-09"), ("2025-13", None), ("2025-Q5", None), ("Sept 2025", None),
        ("", None),
    ],
    canonical_date: [
        ("2025-03-14", "2025-03-14"), ("14/03/2025", "2025-03-14"), ("14.03.2025", "2025-03-14"),
        ("2025-03-14 00:00:00", "2025-03-14"), ("", ""), ("last year", None), ("2025-02-30", None),
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    "canonical,value,expected",
    [
        (canonical, value, expected)
        for canonical, cases in CASES.items()
        for value, expected in cases
    ],
)
def test_canonical_forms(canonical, value, expected):
    assert canonical(value) == expected


def test_services_order_aliases_and_unknown():
    assert canonical_services("PrEP, HTS; condoms") == ("condoms;hts;prep", [])
    assert canonical_services("lube/condom") == ("condoms;lubricant", [])
    assert canonical_services("condoms;magic") == ("condoms", ["magic"])
    assert canonical_services("") == ("", [])
