"""The layout of STYLE.md, enforced on the import statements of every module.

``planning`` <- ``data_loaders`` <- ``services`` <- ``components`` <- ``exports`` <- ``pages``,
never back: the domain core imports no UI, file or server code; loaders only read and validate;
writers live in exports/; shared state in services/; no page imports another page; benchmarks
(and the caseload baseline they compare against) stay in bench/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

UI = {"dash", "plotly", "dash_bootstrap_components", "dash_ag_grid", "folium", "branca"}
WRITERS = {"xlsxwriter", "folium", "branca"}
ENTRY_POINTS = {"app", "wsgi", "cli", "commands", "bench", "tests"}

# For each package: the top-level modules it must never import.
FORBIDDEN = {
    "planning": UI
    | WRITERS
    | ENTRY_POINTS
    | {"flask", "data_loaders", "services", "components", "exports", "pages", "config", "openpyxl"},
    "data_loaders": UI
    | WRITERS
    | ENTRY_POINTS
    | {"flask", "services", "components", "exports", "pages"},
    "services": UI | WRITERS | ENTRY_POINTS | {"components", "exports", "pages"},
    "components": ENTRY_POINTS | {"exports", "pages", "xlsxwriter"},
    "exports": ENTRY_POINTS | {"dash", "dash_bootstrap_components", "dash_ag_grid", "pages"},
    "pages": ENTRY_POINTS,
    # the batch entry points: no UI, no pages, no other entry point but cli.py
    "commands": {"dash", "dash_bootstrap_components", "dash_ag_grid", "pages"}
    | (ENTRY_POINTS - {"cli", "commands"}),
}
# The project's packages (the entry points and tests aside).
PACKAGES = ("planning", "data_loaders", "services", "components", "exports", "pages", "commands")
# Modules that are not loaders and must not come back to data_loaders/ (issue 9's move).
NOT_LOADERS = {"store", "uploads", "excel_plan", "field_sheets", "map_export"}


def _imported_modules(path: Path) -> set[str]:
    """Dotted names of every absolute import in ``path`` (``from a.b import c`` gives a.b and
    a.b.c)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_respect_layering(package: str) -> None:
    offenders = []
    for path in _modules(package):
        bad = {name.split(".")[0] for name in _imported_modules(path)} & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert _modules(package), f"{package}/ has no modules: the check would pass vacuously"
    assert not offenders, "layering broken:\n" + "\n".join(offenders)


def test_no_page_imports_another_page() -> None:
    pages = {p.stem for p in _modules("pages") if not p.stem.startswith("_")}
    offenders = []
    for path in _modules("pages"):
        imported = _imported_modules(path)
        others = {f"pages.{name}" for name in pages - {path.stem}}
        if imported & others:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(imported & others)}")
    assert len(pages) >= 5
    assert not offenders, (
        "a page imports another page (move the shared part to pages/_shared.py "
        "or services/):\n" + "\n".join(offenders)
    )


def test_writers_services_and_baselines_live_in_their_packages() -> None:
    loaders = {p.stem for p in _modules("data_loaders")}
    assert not loaders & NOT_LOADERS, (
        f"data_loaders/ holds non-loaders again: {sorted(loaders & NOT_LOADERS)}"
    )
    assert {"excel_plan", "field_sheets", "map_export"} <= {p.stem for p in _modules("exports")}
    assert {"datasets", "plans", "uploads", "access", "context"} <= {
        p.stem for p in _modules("services")
    }
    assert not [p for p in _modules("planning") if "baseline" in p.stem], (
        "baselines belong in bench/"
    )
    assert (ROOT / "bench" / "caseloads_baseline.py").is_file()


def test_only_tests_and_benchmarks_import_bench() -> None:
    offenders = []
    for package in PACKAGES:
        for path in _modules(package):
            if any(name.split(".")[0] == "bench" for name in _imported_modules(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


def test_settings_are_read_from_the_environment_only_by_config() -> None:
    """Settings are passed explicitly (app.create_app(settings)); no module reads KP_* itself."""
    offenders = []
    for package in PACKAGES:
        for path in _modules(package):
            text = path.read_text(encoding="utf-8")
            if "os.environ" in text or "getenv(" in text or "load_settings" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, (
        f"read settings from services.context.current_settings() instead: {offenders}"
    )


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    """Guard against the checks passing vacuously: a planted import is found."""
    probe = tmp_path / "probe.py"  # not in the tree: a parallel run never sees it
    probe.write_text("from pages.map import layout\nimport dash\n", encoding="utf-8")
    found = _imported_modules(probe)
    assert {"pages.map", "pages.map.layout", "dash"} <= found
