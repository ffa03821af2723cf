"""The Dash app: `python app.py [--data DIR] [--port 8050] [--aggregate]` serves on 127.0.0.1.

Creates the app (use_pages=True; every page module in pages/), the shell layout
(components/shell.py) and exposes ``server`` for a WSGI server. No CDN: Bootstrap and
icons are vendored in assets/vendor/ (assets/vendor/fetch_vendor.sh).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options of the app."""
    from config import DEMO_DATA_DIR

    parser = argparse.ArgumentParser(description="Serve the KP coverage planning dashboard.")
    parser.add_argument("--data", default=os.environ.get("KP_DATA_DIR", str(DEMO_DATA_DIR)),
                        help="dataset folder (default: the synthetic demo, data/demo)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    parser.add_argument("--aggregate", action="store_true",
                        help="aggregate-only view: district level, no hotspot data reaches a browser")
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (dev tools)")
    return parser.parse_args(argv)


def create_app():
    """The Dash app for the mode in the environment (KP_AGGREGATE, KP_DATA_DIR)."""
    import dash

    from components.shell import shell_layout
    from config import load_settings
    from data_loaders import store

    store.set_default_folder(load_settings().data_dir)
    dash_app = dash.Dash(__name__, use_pages=True, suppress_callback_exceptions=True,
                         external_stylesheets=[], title="KP coverage planner",
                         assets_ignore=r".*leaflet-export.*", serve_locally=True,
                         update_title=None)
    dash_app.layout = shell_layout
    return dash_app


def main(argv: list[str] | None = None) -> None:
    """Parse options, set the mode in the environment (pages read it at import) and serve."""
    args = parse_args(argv)
    os.environ["KP_DATA_DIR"] = str(Path(args.data).resolve())
    os.environ["KP_AGGREGATE"] = "1" if args.aggregate else "0"
    dash_app = create_app()
    dash_app.run(host=args.host, port=args.port, debug=args.debug)


if __name__ == "__main__":
    main()
else:
    # Under a WSGI server (`waitress-serve app:server`): mode and data from KP_* variables.
    app = create_app()
    server = app.server
