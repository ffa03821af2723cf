"""components/validation_view.py: the summary shows counts and every problem with its row number."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.validation_view import load_error_view, validation_summary, verdict_text
from data_loaders.dataset import load_dataset
from data_loaders.validation import DatasetLoadError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def texts(component) -> list[str]:
    """Every string in a Dash component tree."""
    out = []
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif node is not None and hasattr(node, "children"):
            stack.append(node.children)
    return out


def test_summary_lists_each_problem_with_file_row_and_value():
    dataset = load_dataset(FIXTURES / "faulty")
    report = dataset.report
    shown = texts(validation_summary(report))
    errors = [p for p in report.problems if p.severity == "error"]
    assert errors, "the faulty fixture should hold errors"
    for p in errors[:20]:
        assert str(p.row) in shown and p.message in shown
    assert f"{len(errors)} error(s)" in verdict_text(report)
    # aggregate-only: values and messages (which can quote a hotspot) are hidden
    hidden = texts(validation_summary(report, show_values=False))
    assert not any(p.message in hidden for p in errors)


def test_fatal_load_error_shows_its_report():
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(FIXTURES / "faulty_fatal")
    shown = texts(load_error_view(info.value))
    assert "The dataset could not be loaded" in shown
    assert any(p.message in shown for p in info.value.report.errors())


def test_fatal_problems_come_first_and_are_named_as_the_reason():
    from data_loaders.validation import ValidationReport

    report = ValidationReport()
    report.add("boundaries", 3, "district", "X", "error", "duplicate district")
    report.add("enrolment", 2, "site_id", "S-1", "error", "not in sites")
    report.add("sites", 1, "site_type", "", "error", 'required column "site_type"', fatal=True)
    view = validation_summary(report)
    fatal = view.children[1]
    assert fatal.id == "validation-fatal"
    shown = texts(fatal)
    assert "This is why the dataset cannot be loaded:" in shown
    assert 'required column "site_type"' in shown and "duplicate district" not in shown
    rows = view.children[-1].children[0].children[1].children
    firsts = [[td.children for td in tr.children][:3] for tr in rows]
    # the fatal one, then the other errors in load order (boundaries before enrolment)
    assert firsts == [["sites", "1", "site_type"], ["boundaries", "3", "district"],
                      ["enrolment", "2", "site_id"]]  # fmt: skip
