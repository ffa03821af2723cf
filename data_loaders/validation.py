"""The validation report: every problem a load found, with file, row, column, value and a fix.

Row numbers are those a spreadsheet shows (header = row 1, first data row = row 2); for
boundaries they are feature numbers (first feature = 1). ``row`` is None for problems of a
whole file (missing column, empty file). Severity is "error" (the row is rejected, or the
file refused when fatal), "warning" (the row is kept, the message says what was changed)
or "info" (what the loader decided on its own, e.g. which column holds district names).
See ../shared/DESIGN.md section 2: nothing is dropped silently, counts add up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from data_loaders.safe_text import frame_to_csv

SEVERITIES = ("error", "warning", "info")
FILE_ORDER = ("dataset", "boundaries", "hotspots", "sites", "enrolment")


@dataclass(frozen=True)
class Problem:
    """One problem: where it is (file, row, column), the value found, and how to fix it."""

    file: str
    row: int | None
    column: str
    value: str
    severity: str
    message: str
    # True when this problem alone stops the dataset loading (a missing file or required
    # column, unreadable boundaries): shown first, as "why the dataset cannot be loaded".
    fatal: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready dict (the `cli.py validate --json` problem object)."""
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "severity": self.severity,
            "message": self.message,
            "fatal": self.fatal,
        }


@dataclass(frozen=True)
class FileCounts:
    """Rows read from a file and how many were accepted or rejected (accepted + rejected = rows)."""

    rows: int
    accepted: int
    rejected: int


def _file_key(name: str) -> int:
    return FILE_ORDER.index(name) if name in FILE_ORDER else len(FILE_ORDER)


def problem_order(p: Problem, *, by_severity: bool = False) -> tuple[int, int, int, str, int]:
    """Sort key of a problem: fatal ones first; then (``by_severity``) errors, warnings, infos;
    then files in load order (dataset, boundaries, hotspots, sites, enrolment), then row."""
    severity = SEVERITIES.index(p.severity) if p.severity in SEVERITIES else len(SEVERITIES)
    return (
        0 if p.fatal else 1,
        severity if by_severity else 0,
        _file_key(p.file),
        p.file,
        -1 if p.row is None else p.row,
    )


# An absolute server path (POSIX /tmp/x/y, /vsizip/..., or Windows C:\x\y) inside a message:
# a report names files by their own name only, never where the server keeps them.
_PATH = re.compile(
    r"(?<![\w.:/])(?:/vsi\w+/)?/?(?:/[^\s/'\"<>|]+){2,}/?"
    r"|\b[A-Za-z]:\\(?:[^\s\\'\"<>|]+\\)+[^\s\\'\"<>|]*"
)


def without_paths(text: str) -> str:
    """``text`` with every absolute file path replaced by its last part (the file's name)."""

    def last(match: re.Match[str]) -> str:
        parts = [p for p in re.split(r"[/\\]", match.group(0)) if p]
        return parts[-1] if parts else ""

    return _PATH.sub(last, text)


@dataclass
class ValidationReport:
    """Everything a load found: per-file counts, problems (sorted by file, then row), rejected
    rows."""

    files: dict[str, FileCounts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    # The same rejected rows as the file holds them (its headers and cell text) plus a
    # "problem" column: what the rejected-rows download writes, to fix and upload again.
    rejected_original: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Columns an ODK/Kobo export writes itself (_id, _uuid, _submission_time, ...), per source
    # row ("row"), kept as the provenance of each record.
    provenance: dict[str, pd.DataFrame] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    # The source row (spreadsheet row, feature number) of each accepted row, in the order of the
    # canonical frame: what `cli.py import` stores so later problems still name the file's row.
    accepted_rows: dict[str, list[int]] = field(default_factory=dict)

    def add(
        self,
        file: str,
        row: int | None,
        column: str,
        value: Any,
        severity: str,
        message: str,
        *,
        fatal: bool = False,
    ) -> None:
        """Record one problem (value is kept as text, exactly as read; a server path in the
        message is cut to the file's name). ``fatal``: the dataset cannot load because of it."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity {severity!r} is not one of {SEVERITIES}")
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        if file in ("dataset", "boundaries") and row is None:
            text = without_paths(text)  # file-level values name files, never where they are
        self.problems.append(
            Problem(
                file,
                None if row is None else int(row),
                column,
                text,
                severity,
                without_paths(message),
                # a whole file's error always stops the load (missing, unreadable, refused)
                severity == "error" and (fatal or row is None),
            )
        )

    def add_file_problem(
        self, file: str, severity: str, message: str, *, value: Any = "", fatal: bool = False
    ) -> None:
        """Record a problem of a whole file (no row, no column)."""
        self.add(file, None, "", value, severity, message, fatal=fatal)

    def sort(self) -> None:
        """Sort problems: fatal ones first, then by file (dataset, boundaries, hotspots, sites,
        enrolment) and row."""
        self.problems.sort(key=problem_order)

    def rejected_csv(self, file: str) -> str | None:
        """The rejected rows of ``file`` as CSV: its own columns and values, exactly as read,
        plus a ``problem`` column; text that is not a number cannot start a formula. None when
        the file has no rejected rows recorded."""
        frame = self.rejected_original.get(file)
        if frame is None:
            frame = self.rejected.get(file)
        if frame is None:
            return None
        return frame_to_csv(frame)

    def fatal_problems(self) -> list[Problem]:
        """The problems that stop the dataset loading (each one alone is enough)."""
        return [p for p in self.problems if p.fatal]

    @property
    def has_errors(self) -> bool:
        """True when any problem is an error (the CLI then exits with 2)."""
        return any(p.severity == "error" for p in self.problems)

    def errors(self, file: str | None = None) -> list[Problem]:
        """Problems of severity error (of one file when ``file`` is given)."""
        return [
            p for p in self.problems if p.severity == "error" and (file is None or p.file == file)
        ]

    def warnings(self, file: str | None = None) -> list[Problem]:
        """Problems of severity warning (of one file when ``file`` is given)."""
        return [
            p for p in self.problems if p.severity == "warning" and (file is None or p.file == file)
        ]

    def to_dict(self) -> dict[str, Any]:
        """The `cli.py validate --json` object: {"ok", "files": {...}, "problems": [...]}."""
        self.sort()
        return {
            "ok": not self.has_errors,
            "files": {
                name: {"rows": c.rows, "accepted": c.accepted, "rejected": c.rejected}
                for name, c in self._ordered_files()
            },
            "problems": [p.to_dict() for p in self.problems],
        }

    def counts_table(self) -> str:
        """Per-file counts as an aligned text table."""
        header = ("file", "source", "rows", "accepted", "rejected")
        rows = [header] + [
            (name, self.source.get(name, ""), str(c.rows), str(c.accepted), str(c.rejected))
            for name, c in self._ordered_files()
        ]
        return _aligned(rows, numeric={2, 3, 4})

    def _ordered_files(self) -> list[tuple[str, FileCounts]]:
        return sorted(self.files.items(), key=lambda item: (_file_key(item[0]), item[0]))

    def problems_table(self) -> str:
        """Problems as an aligned text table (file, row, column, value, severity, message)."""
        self.sort()
        header = ("file", "row", "column", "value", "severity", "message")
        rows = [header] + [
            (
                p.file,
                "" if p.row is None else str(p.row),
                p.column,
                _short(p.value),
                p.severity,
                p.message,
            )
            for p in self.problems
        ]
        return _aligned(rows, numeric={1})

    def summary_text(self) -> str:
        """A readable summary: the counts table, then every problem, then a one-line verdict."""
        n_err = len(self.errors())
        n_warn = len(self.warnings())
        parts = [self.counts_table(), ""] if self.files else []
        if self.problems:
            parts += [self.problems_table(), ""]
        verdict = (
            "OK: no errors" if n_err == 0 else f"{n_err} error(s): rows with errors are rejected"
        )
        parts.append(f"{verdict}; {n_warn} warning(s).")
        return "\n".join(parts)


def _short(value: str, limit: int = 40) -> str:
    value = value.replace("\n", " ").replace("\r", " ")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _aligned(rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    # the last column (message) is not padded so long messages do not push widths
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = []
        for i, cell in enumerate(r):
            if i in numeric:
                cells.append(cell.rjust(widths[i]))
            elif i == len(r) - 1:
                cells.append(cell)
            else:
                cells.append(cell.ljust(widths[i]))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


class DatasetLoadError(Exception):
    """A dataset could not be loaded (missing file or column, unreadable boundaries, strict mode).

    ``report`` holds every problem found, fatal or not; ``str(error)`` lists the fatal ones.
    """

    def __init__(self, report: ValidationReport, message: str | None = None):
        report.sort()
        self.report = report
        if message is None:
            errors = report.errors()
            shown = "; ".join(_problem_line(p) for p in errors[:5])
            more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
            message = f"the dataset could not be loaded: {shown}{more}"
        super().__init__(message)


def _problem_line(p: Problem) -> str:
    where = p.file if p.row is None else f"{p.file} row {p.row}"
    col = f" {p.column}" if p.column else ""
    return f"{where}{col}: {p.message}"
