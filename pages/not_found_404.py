"""The page for an address the app does not serve: where the reader can go instead."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.shell import visible_pages

dash.register_page(__name__, path="/404", name="Not found", order=99, title="Not found", nav=False)


def layout(**_query: Any) -> dbc.Alert:
    """No such page: a list of the pages this view offers."""
    links = [
        html.Li(html.A(p["name"], href=p["relative_path"]))
        for p in visible_pages()
        if p.get("nav", True)
    ]
    return dbc.Alert(
        [
            html.H1("There is no page at this address", className="h5"),
            html.P("The link may be old or mistyped. The pages of this view are:"),
            html.Ul(links, className="mb-0"),
        ],
        color="info",
        id="not-found",
    )
