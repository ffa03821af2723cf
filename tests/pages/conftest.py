"""Fixtures of the page tests: page modules imported under a pages-enabled Dash app."""

from __future__ import annotations

import pytest

from tests.helpers import import_page


@pytest.fixture(scope="module")
def ov():
    """pages/overview.py."""
    return import_page("overview")


@pytest.fixture(scope="module")
def sc():
    """pages/scenarios.py."""
    return import_page("scenarios")
