"""The app shell every page sits in: navbar from the page registry, dataset status, page container.

The shell holds the browser session's dataset id (``dcc.Store("dataset-id")``, None = the
app default) and shows, above every page, the synthetic-data banner or, when the dataset
cannot be loaded, its validation summary instead of a crash.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from components.validation_view import load_error_view
from planning.schema import Dataset
from services import datasets as store
from services.access import aggregate_mode, current_viewer, hotspot_detail_allowed
from services.accounts import ROLE_LABELS

DATASET_STORE_ID = "dataset-id"
STATUS_ID = "dataset-status"
LOCATION_ID = "url"
# Keyword arguments hiding a decorative icon from screen readers (``**ARIA_HIDDEN``); typed
# dict[str, Any] because dash's typed signatures list only the named props, not aria-*.
ARIA_HIDDEN: dict[str, Any] = {"aria-hidden": "true"}


def synthetic_banner(dataset: Dataset | None) -> dbc.Alert | None:
    """A visible "synthetic demo data" banner when the dataset says so (dataset.toml synthetic)."""
    if dataset is None or not getattr(dataset, "synthetic", False):
        return None
    return dbc.Alert(
        [
            html.I(className="bi bi-exclamation-triangle-fill me-2", **ARIA_HIDDEN),
            html.Strong("Synthetic demo data. "),
            f"{dataset.name}: invented hotspots, sites and enrolment for trying the tool — "
            "not real programme data.",
        ],
        color="warning",
        className="py-2 mb-2",
        id="synthetic-banner",
    )


def visible_pages() -> list[dict[str, Any]]:
    """The registered pages this request may open, in their ``order`` (pages registered with
    ``detail="hotspot"`` need hotspot detail; with ``roles=(...)`` one of those roles)."""
    detail = hotspot_detail_allowed()
    role = current_viewer().role
    pages = [
        p
        for p in dash.page_registry.values()
        if (detail or p.get("detail") != "hotspot") and role in p.get("roles", (role,))
    ]
    return sorted(pages, key=lambda p: (p.get("order") or 0, p["path"]))


def account_item() -> dbc.NavItem | None:
    """Who is signed in (name, role, districts) and a sign-out link; None without accounts."""
    viewer = current_viewer()
    if not viewer.authenticated:
        return None
    scope = f" · {', '.join(viewer.districts)}" if viewer.districts else ""
    return dbc.NavItem(
        html.Span(
            [
                html.Span(
                    [
                        html.I(className="bi bi-person-circle me-1", **ARIA_HIDDEN),
                        viewer.name,
                        html.Small(f" · {ROLE_LABELS[viewer.role]}{scope}", className="ms-1"),
                    ],
                    className="navbar-text me-2",
                    id="account-name",
                ),
                html.A("Sign out", href="/logout", className="nav-link d-inline", id="logout"),
            ],
            className="d-flex align-items-center ms-lg-3",
        )
    )


def local_banner() -> html.Div | None:
    """Without accounts: say who the visitor is taken to be (the local planner, this machine
    only) and how to share the server."""
    viewer = current_viewer()
    if viewer.authenticated:
        return None
    return html.Div(
        [
            html.I(className="bi bi-person-lock me-1", **ARIA_HIDDEN),
            "No user accounts on this server: you are the local "
            f"{'viewer' if aggregate_mode() else 'planner'}, on this machine only (127.0.0.1). "
            "To share it with a team, add accounts (README: a shared server with accounts).",
        ],
        className="text-muted small mb-1",
        id="local-banner",
    )


def not_available_view(page_name: str, for_role: bool = False) -> dbc.Alert:
    """What a page shows to a viewer who may not use it: in the aggregate-only view (a page
    that needs hotspot detail), or to a role it is not for (``for_role``): why, and where to
    go."""
    why = (
        "This page is for planners and administrators: your account sees the plans, maps and "
        "outreach of its districts."
        if for_role
        else "This server shows district aggregates only: pages with hotspot-level detail are "
        "not served here. Ask the programme for a planner account if you need them."
    )
    return dbc.Alert(
        [
            html.H1(f"{page_name} is not available in this view", className="h5"),
            html.P(why),
            html.Div(
                ["Go to ", html.A("Overview", href="/"), " or ", html.A("Map", href="/map"), "."]
            ),
        ],
        color="info",
        id="not-available",
    )


def navbar() -> dbc.Navbar:
    """A navbar with one link per page this request may open, in the pages' ``order``."""
    pages = [p for p in visible_pages() if p.get("nav", True)]
    links: list[Any] = [
        dbc.NavItem(
            dbc.NavLink(
                p["name"],
                href=p["relative_path"],
                active="exact",
                id=f"nav-{p['module'].split('.')[-1]}",
            )
        )
        for p in pages
    ]
    account = account_item()
    if account is not None:
        links.append(account)
    mode = (
        dbc.Badge("aggregate-only view", color="info", className="ms-2", id="mode-badge")
        if aggregate_mode()
        else None
    )
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [
                        html.I(className="bi bi-geo-alt-fill me-2", **ARIA_HIDDEN),
                        "KP coverage planner",
                        mode,
                    ],
                    href="/",
                ),
                dbc.NavbarToggler(id="navbar-toggler", n_clicks=0),
                dbc.Collapse(
                    dbc.Nav(links, navbar=True, className="ms-auto"),
                    id="navbar-collapse",
                    navbar=True,
                    is_open=False,
                ),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        expand="lg",
        className="mb-2",
        id="navbar",
    )


def shell_layout() -> html.Div:
    """The layout around dash.page_container (called per request, so the registry is complete)."""
    return html.Div(
        [
            dcc.Location(id=LOCATION_ID),
            dcc.Store(id=DATASET_STORE_ID, storage_type="session"),
            navbar(),
            dbc.Container(
                [
                    local_banner(),
                    html.Div(id=STATUS_ID, role="status"),
                    html.Main(dash.page_container, id="main"),
                ],
                fluid=True,
                className="pb-4",
            ),
        ]
    )


def dataset_status(dataset_id: str | None) -> dbc.Alert | html.Div | None:
    """The banner or validation summary for a session's dataset (None when nothing to say)."""
    try:
        result = store.load_result(dataset_id)
    except store.UnknownDatasetError as exc:
        return dbc.Alert(
            [str(exc), " ", html.A("Go to the Data page", href="/data")]
            if hotspot_detail_allowed()
            else [str(exc), " Reload the page to see the default dataset."],
            color="warning",
            id="unknown-dataset",
        )
    if isinstance(result, Exception):
        return load_error_view(result, show_values=not aggregate_mode())
    if getattr(result, "synthetic", False):
        return synthetic_banner(result)
    return html.Div(f"Dataset: {result.name}", className="text-muted small mb-2", id="dataset-name")


@dash.callback(Output(STATUS_ID, "children"), Input(DATASET_STORE_ID, "data"))
def _show_dataset_status(dataset_id: str | None) -> dbc.Alert | html.Div | None:
    return dataset_status(dataset_id)


@dash.callback(
    Output("navbar-collapse", "is_open"),
    Input("navbar-toggler", "n_clicks"),
    dash.State("navbar-collapse", "is_open"),
    prevent_initial_call=True,
)
def _toggle_navbar(n_clicks: int, is_open: bool) -> bool:
    return not is_open
