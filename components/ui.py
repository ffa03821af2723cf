"""Small layout pieces the pages share: titled cards, buttons, info icons (Dash components only).

Each piece is built the same way on every page, so the pages read as what they show, not how
Bootstrap spells it.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html


def card_title(title: str) -> html.H2:
    """A card's heading (an h2 styled small, so the page outline stays in order)."""
    return html.H2(title, className="h6 mb-0")


def titled_card(title: str, body: Any, *, action: Any = None, className: str = "mb-3") -> dbc.Card:
    """A card with a title over its body; ``action`` (e.g. an export button) sits at the
    header's right."""
    header: Any = card_title(title)
    if action is not None:
        header = dbc.Row(
            [
                dbc.Col(header, className="align-self-center"),
                dbc.Col(action, width="auto"),
            ]
        )
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className=className)


def button(
    label: str,
    button_id: Any,
    *,
    icon: str | None = None,
    color: str = "secondary",
    outline: bool = False,
    small: bool = True,
    **props: Any,
) -> dbc.Button:
    """A button; ``icon`` is a Bootstrap icon name (``bi-...``) shown before the label."""
    children: Any = [html.I(className=f"bi {icon} me-1"), label] if icon else label
    if small:
        props["size"] = "sm"
    if outline:
        props["outline"] = True
    return dbc.Button(children, id=button_id, color=color, **props)


def info_icon(tip_id: str, about: str, className: str = "bi bi-info-circle small") -> html.I:
    """The focusable (i) icon a tooltip (``dbc.Tooltip(target=tip_id)``) explains; ``about``
    names the subject for screen readers ("about the heat map")."""
    # dict unpacking: dash's typed signatures list only the named props, not aria-*
    aria: dict[str, Any] = {"aria-label": about}
    return html.I(className=className, id=tip_id, tabIndex=0, **aria)
