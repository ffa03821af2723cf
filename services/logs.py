"""Logging set-up for the app and the CLI: one format, level from the caller, to standard error.

Every module logs through its own ``logging.getLogger(__name__)``. What is logged: dataset loads
(time and counts), plans built, uploads, refusals and errors. What never is: a hotspot id,
name or coordinate (DESIGN.md s.4); messages carry counts, dataset ids and timings only.
"""

from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int | str = logging.INFO) -> None:
    """Send INFO and above (or ``level``) of every project logger to standard error, once."""
    root = logging.getLogger()
    if not any(getattr(h, "_kp_handler", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._kp_handler = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug logs every request line at INFO; keep it for errors only.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
