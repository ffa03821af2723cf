"""Helpers shared by tests: loading committed scripts as modules, importing page modules,
running `cli.py` in this process or as a subprocess."""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

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
    """Import ``pages.<name>`` under a pages-enabled Dash app (register_page needs one), on
    ``data_dir``."""
    import dash

    from services import datasets as store

    dash.Dash(__name__, use_pages=True, pages_folder="")
    store.set_default_folder(data_dir)
    return importlib.import_module(f"pages.{name}")


@dataclass(frozen=True)
class CliRun:
    """What `python cli.py ...` gives: the exit code and the text written to stdout and stderr."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> CliRun:
    """Run ``cli.main(argv)`` in this process and return its exit code and captured output.

    An argparse usage error (or --help) raises SystemExit; its code is returned as a process
    would return it. Any other exception propagates and fails the test (a traceback).
    """
    import cli

    capsys.readouterr()  # drop whatever earlier calls printed
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    out, err = capsys.readouterr()
    return CliRun(code, out, err)


def run_cli_process(
    *argv: str,
    state_dir: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``python cli.py ARGV`` as a subprocess in the repository root; text output captured.

    With ``state_dir`` the process works on that state folder and sees no other store or key
    setting of this environment (KP_*, DATABASE_URL), only those in ``env``."""
    environ = dict(os.environ)
    if state_dir is not None:
        environ = {k: v for k, v in environ.items() if not k.startswith("KP_")}
        environ.pop("DATABASE_URL", None)
        environ["KP_STATE_DIR"] = str(state_dir)
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "cli.py", *argv],
        cwd=ROOT,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _prop(spec: str) -> dict[str, object]:
    component, prop = spec.rsplit(".", 1)
    return {"id": component, "property": prop}


def callback_request(dependency: dict, values: dict[str, object] | None = None) -> dict:
    """The body a crafted client POSTs to /_dash-update-component for one callback of
    /_dash-dependencies: every input and state set from ``values`` ("id.property" -> value,
    None when absent), the first input marked as changed."""
    values = values or {}
    output = dependency["output"]
    if output.startswith(".."):
        outputs: object = [_prop(p) for p in output.strip(".").split("...")]
    else:
        outputs = _prop(output)

    def items(key: str) -> list[dict[str, object]]:
        return [
            {
                "id": i["id"],
                "property": i["property"],
                "value": values.get(f"{i['id']}.{i['property']}"),
            }
            for i in dependency.get(key, [])
        ]

    inputs = items("inputs")
    changed = [f"{inputs[0]['id']}.{inputs[0]['property']}"] if inputs else []
    return {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "state": items("state"),
        "changedPropIds": changed,
    }
