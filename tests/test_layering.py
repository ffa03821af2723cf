"""The import direction of STYLE.md: planning <- data_loaders <- components <- pages, never back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# For each package: the top-level modules it must never import.
FORBIDDEN = {
    "planning": {"dash", "plotly", "flask", "dash_bootstrap_components", "dash_ag_grid",
                 "folium", "data_loaders", "components", "pages", "app", "cli", "config"},
    "data_loaders": {"dash", "plotly", "flask", "components", "pages", "app", "cli"},
    "components": {"pages", "app", "cli"},
}


def _imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_respect_layering(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imported_top_modules(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "layering broken:\n" + "\n".join(offenders)


def test_planning_is_not_empty() -> None:
    # Guard against the check passing vacuously.
    assert list((ROOT / "planning").glob("*.py")), "planning/ has no modules"
