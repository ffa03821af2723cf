"""Typed settings read from the environment, with defaults (KP_* variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent
DEMO_DATA_DIR = ROOT_DIR / "data" / "demo"
TEMPLATES_DIR = ROOT_DIR / "data" / "templates"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Run-time settings of the app and the CLI."""

    data_dir: Path = DEMO_DATA_DIR
    host: str = "127.0.0.1"
    port: int = 8050
    aggregate_only: bool = False
    upload_dir: Path = ROOT_DIR / "uploads"
    max_upload_mb: int = 50
    debug: bool = False


def load_settings() -> Settings:
    """Settings from KP_DATA_DIR, KP_HOST, KP_PORT, KP_AGGREGATE, KP_UPLOAD_DIR, KP_MAX_UPLOAD_MB."""
    return Settings(
        data_dir=Path(os.environ.get("KP_DATA_DIR", str(DEMO_DATA_DIR))),
        host=os.environ.get("KP_HOST", "127.0.0.1"),
        port=int(os.environ.get("KP_PORT", "8050")),
        aggregate_only=_env_bool("KP_AGGREGATE", False),
        upload_dir=Path(os.environ.get("KP_UPLOAD_DIR", str(ROOT_DIR / "uploads"))),
        max_upload_mb=int(os.environ.get("KP_MAX_UPLOAD_MB", "50")),
        debug=_env_bool("KP_DEBUG", False),
    )
