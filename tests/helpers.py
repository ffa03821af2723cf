"""Helpers shared by tests: loading committed scripts as modules, importing page modules."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "data" / "demo"


def load_script(name: str, path: Path) -> ModuleType:
    """Import a committed script (e.g. data/demo/build_demo.py) as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def import_page(name: str, data_dir: Path = DEMO_DIR) -> ModuleType:
    """Import ``pages.<name>`` under a pages-enabled Dash app (register_page needs one), on ``data_dir``."""
    import dash

    from services import datasets as store

    dash.Dash(__name__, use_pages=True, pages_folder="")
    store.set_default_folder(data_dir)
    return importlib.import_module(f"pages.{name}")
