"""The validation summary shown instead of a page when a dataset cannot be used (and on /data).

Feeds on data_loaders.validation.ValidationReport: ``.files`` (rows, accepted, rejected per
file) and ``.problems`` (file, row, column, value, severity, message).
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from data_loaders.validation import problem_order

MAX_PROBLEMS_SHOWN = 200


def counts_table(report: Any) -> dbc.Table:
    """Rows read, accepted and rejected per file (the counts always add up to the input)."""
    header = html.Thead(
        html.Tr([html.Th("file"), html.Th("rows read"), html.Th("accepted"), html.Th("rejected")])
    )
    rows = []
    for name, counts in sorted((getattr(report, "files", None) or {}).items()):
        rows.append(
            html.Tr(
                [
                    html.Td(name),
                    html.Td(f"{counts.rows:,}"),
                    html.Td(f"{counts.accepted:,}"),
                    html.Td(
                        f"{counts.rejected:,}",
                        className="text-danger fw-bold" if counts.rejected else "",
                    ),
                ]
            )
        )
    return dbc.Table(
        [header, html.Tbody(rows)],
        bordered=False,
        size="sm",
        striped=True,
        className="validation-counts w-auto",
        id="validation-counts",
    )


def problems_table(
    report: Any, *, show_values: bool = True, limit: int = MAX_PROBLEMS_SHOWN
) -> html.P | html.Div:
    """Every problem found (up to ``limit``): file, row, column, value, severity, what is wrong.

    ``show_values=False`` hides values and messages (aggregate-only mode: a message can
    quote a hotspot's id or coordinate) and keeps only file, row, column and severity.
    """
    problems = sorted(
        getattr(report, "problems", None) or [],
        key=lambda p: problem_order(p, by_severity=True),
    )
    if not problems:
        return html.P("No problems found.", className="text-success", id="validation-problems")
    head = ["file", "row", "column", "severity"] + (
        ["value", "what is wrong"] if show_values else []
    )
    body = []
    for p in problems[:limit]:
        cells = [p.file, "" if p.row is None else str(p.row), p.column or "", p.severity]
        if show_values:
            cells += ["" if p.value is None else str(p.value), p.message]
        body.append(
            html.Tr(
                [html.Td(c) for c in cells],
                className={"error": "table-danger", "warning": "table-warning"}.get(
                    p.severity, "table-light"
                ),
            )
        )
    more = (
        html.P(
            f"… and {len(problems) - limit:,} more problems (download the rejected rows "
            "for all of them).",
            className="text-muted",
        )
        if len(problems) > limit
        else None
    )
    return html.Div(
        [
            dbc.Table(
                [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
                size="sm",
                bordered=False,
                responsive=True,
                className="small",
            ),
            more,
        ],
        id="validation-problems",
        className="validation-problems",
    )


def fatal_box(report: Any, *, show_values: bool = True) -> html.Div | None:
    """ "This is why the dataset cannot be loaded": the fatal problems (a missing file or
    required column, unreadable boundaries), each enough on its own, before any other problem;
    None when there are none. Row-level errors elsewhere are often knock-on effects of these."""
    fatal = sorted(
        (p for p in getattr(report, "problems", None) or [] if getattr(p, "fatal", False)),
        key=problem_order,
    )
    if not fatal:
        return None
    items = [
        html.Li([html.Strong(f"{p.file}: "), p.message if show_values else p.column or "file"])
        for p in fatal
    ]
    return html.Div(
        [
            html.P(
                html.Strong("This is why the dataset cannot be loaded:"),
                className="mb-1",
            ),
            html.Ul(items, className="mb-2"),
            html.P(
                "Fix these first: other errors below may only follow from them.",
                className="small mb-2",
            ),
        ],
        id="validation-fatal",
        className="validation-fatal",
    )


def verdict_text(report: Any) -> str:
    """One line: how many errors (rows rejected) and warnings the report holds."""
    problems = list(getattr(report, "problems", None) or [])
    n_err = sum(p.severity == "error" for p in problems)
    n_warn = sum(p.severity == "warning" for p in problems)
    rejected = sum(c.rejected for c in (getattr(report, "files", None) or {}).values())
    if n_err == 0:
        return (
            f"No errors; {n_warn} warning(s). Every row was accepted."
            if not rejected
            else f"No errors; {n_warn} warning(s)."
        )
    return (
        f"{n_err} error(s), {n_warn} warning(s): {rejected:,} row(s) rejected "
        "(listed below with file, row number, column and value)."
    )


def validation_summary(
    report: Any,
    *,
    title: str = "The dataset could not be loaded",
    show_values: bool = True,
    color: str = "danger",
) -> dbc.Alert:
    """An alert with the counts and the problem list of a validation report."""
    text = verdict_text(report)
    return dbc.Alert(
        [
            html.H2(title, className="h5"),
            fatal_box(report, show_values=show_values),
            html.P(
                text
                if show_values
                else "See the counts below; details are hidden in the aggregate-only view.",
                className="mb-2",
                style={"whiteSpace": "pre-line"},
            ),
            counts_table(report),
            problems_table(report, show_values=show_values),
        ],
        color=color,
        className="validation-summary",
        id="validation-summary",
    )


def load_error_view(error: Exception, *, show_values: bool = True) -> dbc.Alert:
    """The summary of a DatasetLoadError (its ``.report``), or its message when it has none."""
    report = getattr(error, "report", None)
    if report is None:
        return dbc.Alert(
            [html.H2("The dataset could not be loaded", className="h5"), html.P(str(error))],
            color="danger",
            id="validation-summary",
        )
    return validation_summary(report, show_values=show_values)
