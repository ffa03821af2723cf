"""Scenarios page (/scenarios): every scenario parameter, live totals, PE map, district plan, cap
allocation.

The browser holds only the scenario's parameters (a small query dict); plans are built and
memoised on the server (pages._shared.get_plan). The scenario lives in the URL query string
so a plan can be shared as a link. Saved scenarios live in the server store
(services.scenarios_store over services.state), shared by every browser, worker and
`cli.py scenarios`: the page lists them (polling every SAVED_POLL_MS, answered with no_update
while nothing changed), opens one by its link, deletes one after a confirmation and compares
the ticked ones server-side with planning.compare. "Count peer educators from"
(pe_count_from) switches every PE figure (totals, map, grid, allocation, Excel) between the
people-per-PE ratio and the districts' caseload counts (services.caseload_counts), and the page
says which rule gave the count. Not served in aggregate-only
mode: the Excel plan and the plan itself are planner tools (DESIGN.md s.1, s.4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from components import scenario_figures as sf
from components import ui
from components.overview_figures import headline_cards
from components.page_results import ScenarioResults
from exports import excel_plan
from pages import _shared
from planning import compare as compare_mod
from planning import coverage as coverage_mod
from planning.parameters import PARAMETERS, in_group
from planning.scenario import COST_FIELDS, Scenario, ScenarioError
from services import response_cache, scenarios_store
from services.state import ScenarioRecord, StateError

dash.register_page(
    __name__,
    path="/scenarios",
    name="Scenarios",
    title="Scenarios · KP coverage planner",
    order=2,
    detail="hotspot",
)


class Ids:
    """Component ids of the Scenarios page."""

    LOCATION = "scn-url"
    NAV = "scn-nav"
    SCENARIO = "scn-scenario"
    ALERT = "scn-alert"
    WARNINGS = "scn-warnings"
    TOTALS = "scn-totals"
    TOTALS_PREFIX = "scn"
    MAP = "scn-map"
    GRID = "scn-grid"
    GRID_EXPORT = "scn-grid-export"
    ALLOCATION = "scn-allocation"
    SHARE_URL = "scn-share-url"
    COPY = "scn-copy"
    RESET = "scn-reset"
    SAVE_NAME = "scn-save-name"
    SAVE = "scn-save"
    SAVE_STATUS = "scn-save-status"
    SAVED = "scn-saved"  # the saved scenarios as the store listed them (saved_rows)
    SAVED_POLL = "scn-saved-poll"
    SAVED_ALERT = "scn-saved-alert"
    SAVED_COUNT = "scn-saved-count"
    SAVED_PICK = "scn-saved-pick"
    DELETE = "scn-delete"  # pattern: {"type": DELETE, "name": scenario name}
    DELETE_TARGET = "scn-delete-target"
    DELETE_CONFIRM = "scn-delete-confirm"
    REPLACE_CONFIRM = "scn-replace-confirm"
    COMPARE = "scn-compare"
    DOWNLOAD_BUTTON = "scn-download-xlsx"
    DOWNLOAD = "scn-download"
    CAP_KIND = "scn-cap-kind"
    CAP_VALUE = "scn-cap-value"
    PE_RULE = "scn-pe-rule"
    ALLOCATION_TABLE = "scn-allocation-table"
    NEW_SITES_TEXT = "scn-new-sites-text"
    NEW_SITES_TABLE = "scn-new-sites-table"


# Scenario field -> control id. Percent fields are shown as 0-100 and stored as shares.
FIELD_IDS: dict[str, str] = {
    f.name: "scn-" + f.name.replace("_", "-")
    for f in fields(Scenario)
    if f.name not in ("max_pe", "budget_usd_month")
}
PERCENT_FIELDS = tuple(name for name in FIELD_IDS if PARAMETERS[name].percent)
LABELS: dict[str, str] = {name: PARAMETERS[name].label for name in FIELD_IDS}
CAP_KINDS = [("none", "No cap")] + [(p.name, p.label) for p in in_group("cap")]
# The choices of pe_count_from (planning/parameters.toml) as the radio buttons say them.
PE_COUNT_LABELS = {"ratio": "People per PE", "caseloads": "Caseloads (as on Outreach)"}
# How often an open page asks the store for the team's saved scenarios. A colleague's save shows
# within seconds without a click; each poll is one small indexed read answered with no_update
# while nothing changed, so 50 open pages cost 10 tiny requests a second.
SAVED_POLL_MS = 5000


# --- pure helpers (tested without a browser) --------------------------------------------------


def scenario_from_controls(
    values: dict[str, Any], cap_kind: str | None, cap_value: Any
) -> Scenario:
    """The Scenario of the page's control values (percent sliders → shares, empty costs → not set).

    Raises ScenarioError (message names the parameter, value and allowed range) for bad values.
    """
    query: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if name in PERCENT_FIELDS:
            value = float(value) / 100
        query[name] = value
    if cap_kind in ("max_pe", "budget_usd_month"):
        if cap_value is None or (isinstance(cap_value, str) and not cap_value.strip()):
            label = (
                LABELS.get(cap_kind, cap_kind) if cap_kind in LABELS else dict(CAP_KINDS)[cap_kind]
            )
            raise ScenarioError(f"{label}: give a value, or choose 'No cap'.")
        query[cap_kind] = cap_value
    return Scenario.from_query(query)


def control_values(scenario: Scenario) -> dict[str, Any]:
    """The control values showing ``scenario`` (shares as percents, None as empty)."""
    out = {}
    for name in FIELD_IDS:
        value = getattr(scenario, name)
        if name in PERCENT_FIELDS and value is not None:
            value = round(value * 100, 6)
        out[name] = value
    return out


def search_string(scenario: Scenario) -> str:
    """The URL query ("?people_per_pe=50") of a scenario, "" for the defaults."""
    query = scenario.to_query()
    return "?" + urlencode(query) if query else ""


def pe_rule_sentence(scenario: Scenario) -> str:
    """Which rule gave the PE count, as the page says it under the totals."""
    if scenario.pe_from_caseloads:
        return (
            f"{scenario.pe_count_rule()}: each district's caseloads of at most "
            f"{scenario.people_per_pe:g} people, as the Outreach page makes them"
            + (f", × target {scenario.target:.0%} rounded up." if scenario.target < 1 else ".")
        )
    return f"{scenario.pe_count_rule()}, rounded up per district."


def results(dataset_id: str | None, query: dict[str, str]) -> ScenarioResults:
    """Totals, PE map, district grid and allocation of one scenario (district-level frames only)."""
    scenario = Scenario.from_query(query)
    plan = _shared.get_plan(dataset_id, scenario)
    totals = dict(plan.totals)
    heads = _shared.pe_rule_headlines(
        sf.scenario_totals(
            totals,
            people_per_pe=scenario.people_per_pe,
            pe_per_orw=scenario.pe_per_orw,
            costed=scenario.costed,
        ),
        scenario,
    )
    allocation_text = allocation_figure = allocation_table = None
    new_sites_text = new_sites_table = None
    if plan.allocation is not None and plan.allocation_totals:
        allocation_text = sf.allocation_sentence(
            plan.allocation_totals, people_per_pe=scenario.people_per_pe
        )
        allocation_figure = sf.allocation_figure(plan.allocation)
        allocation_table = sf.allocation_table(plan.allocation_totals)
    if plan.new_sites is not None and plan.new_sites_totals:
        new_sites_text = sf.new_sites_sentence(plan.new_sites_totals)
        new_sites_table = new_sites_frame(plan.new_sites)
    grid = sf.plan_grid(plan.districts, grid_id=Ids.GRID)
    grid.columnDefs = _shared.pe_rule_column_defs(grid.columnDefs, scenario)
    return ScenarioResults(
        scenario=scenario,
        plan=plan,
        headlines=heads,
        grid=grid,
        map_figure=sf.pe_choropleth(plan.districts, _shared.district_geojson(dataset_id)),
        allocation_text=allocation_text,
        allocation_figure=allocation_figure,
        allocation_table=allocation_table,
        new_sites_text=new_sites_text,
        new_sites_table=new_sites_table,
    )


def new_sites_frame(new_sites: pd.DataFrame) -> pd.DataFrame:
    """The proposed drop-in centres as the page lists them (hotspot locations: planners only)."""
    return pd.DataFrame(
        {
            "#": new_sites["rank"].to_numpy(),
            "District": new_sites["district"].astype(str).to_numpy(),
            "People newly covered": new_sites["people_newly_covered"].round(0).astype("int64"),
            "Latitude": new_sites["latitude"].round(5).to_numpy(),
            "Longitude": new_sites["longitude"].round(5).to_numpy(),
        }
    )


@lru_cache(maxsize=8)
def plan_xlsx_bytes(dataset_id: str | None, scenario: Scenario, aggregate_only: bool) -> bytes:
    """The Excel plan (exports.excel_plan) as bytes, cached per dataset, scenario and level of
    detail."""
    plan = _shared.get_plan(dataset_id, scenario)
    if aggregate_only:
        plan = plan.without_hotspots()
    return excel_plan.workbook_bytes(plan, aggregate_only=aggregate_only)


def comparison(
    dataset_id: str | None, saved: dict[str, dict], names: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Totals and per-district comparison of the named saved scenarios (planning.compare)."""
    plans = {
        name: _shared.get_plan(dataset_id, Scenario.from_query(saved[name]))
        for name in names
        if name in saved
    }
    return compare_mod.compare_totals(plans), compare_mod.compare_plans(plans)


def parameter_summary(parameters: Mapping[str, str]) -> str:
    """A saved scenario's non-default parameters in words ("People per peer educator 50 ·
    Coverage target 80%"), "default parameters" when there are none."""
    try:
        scenario = Scenario.from_query(parameters)
    except ScenarioError:  # saved under older ranges: show the text as saved
        return " · ".join(f"{k} {v}" for k, v in parameters.items())
    parts = []
    for name in scenario.to_query():
        p = PARAMETERS[name]
        value = getattr(scenario, name)
        if p.percent:  # "Coverage target 80%": the label's "(% of ...)" is said by the value
            parts.append(f"{p.label.split(' (')[0]} {value * 100:g}%")
        else:
            parts.append(
                f"{p.label} {value:g}" if isinstance(value, float | int) else f"{p.label} {value}"
            )
    return " · ".join(parts) or "default parameters"


def saved_rows(records: Sequence[ScenarioRecord]) -> list[dict[str, Any]]:
    """What the browser keeps of the team's saved scenarios (Ids.SAVED): name, parameters, link
    query, who saved it last and when (UTC), and the dataset's name (None: the default)."""
    return [
        {
            "name": r.name,
            "query": r.parameters,
            "search": r.search,
            "saved_by": r.saved_by,
            "updated_at": r.updated_at.isoformat(),
            "dataset": r.dataset_name,
        }
        for r in records
    ]


def saved_options(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Tick boxes of the saved scenarios: name, an "open" link (the share link), a delete
    button, the parameters, who saved it and when."""
    options = []
    for row in rows:
        name = row["name"]
        when = row["updated_at"][:16].replace("T", " ")
        meta = f"saved by {row['saved_by']}, {when} UTC"
        if row.get("dataset"):
            meta += f", on dataset {row['dataset']}"
        # dict: dash's typed signatures list only the named props, not aria-*
        delete_label: dict[str, Any] = {"aria-label": f"Delete {name}"}
        label = html.Span(
            [
                html.Strong(name),
                " ",
                dcc.Link(
                    "open",
                    href=dash.get_relative_path("/scenarios") + row["search"],
                    className="small",
                    title=f"Open {name}",
                ),
                " ",
                html.Button(
                    html.I(className="bi bi-trash"),
                    id={"type": Ids.DELETE, "name": name},
                    n_clicks=0,
                    title=f"Delete {name}",
                    className="btn btn-link btn-sm p-0 align-baseline text-danger",
                    **delete_label,
                ),
                html.Span(parameter_summary(row["query"]), className="d-block small"),
                html.Span(meta, className="d-block small text-muted"),
            ]
        )
        options.append({"label": label, "value": name})
    return options


def _alert(message: str, color: str, alert_id: str) -> dbc.Alert:
    return dbc.Alert(message, color=color, className="py-2 small", id=alert_id, dismissable=True)


def team_rows() -> tuple[list[dict[str, Any]], dbc.Alert | None]:
    """The team's saved scenarios (saved_rows), or [] and an alert with the store's message."""
    try:
        return saved_rows(scenarios_store.list_saved()), None
    except StateError as exc:
        return [], _alert(f"Saved scenarios cannot be listed: {exc}", "danger", "scn-list-error")


class SaveOutcome(NamedTuple):
    """What pressing "Save scenario" gives: the new list and ticks (None when nothing was
    saved), an alert, or the question to ask before replacing a scenario of the same name.

    (A NamedTuple: Dash imports page modules outside sys.modules, where dataclasses fail.)
    """

    rows: list[dict[str, Any]] | None = None
    ticked: list[str] | None = None
    status: dbc.Alert | None = None
    ask_replace: str | None = None


def save_for_team(
    name: str | None,
    query: Mapping[str, Any] | None,
    dataset_id: str | None,
    ticked: Sequence[str] | None,
    *,
    replace: bool = False,
) -> SaveOutcome:
    """Save scenario ``query`` as ``name`` in the server store (saved by the local user, on the
    session's dataset); the saved one comes ticked for the comparison."""
    try:
        saved = scenarios_store.save(name or "", query or {}, dataset_id, replace=replace)
    except scenarios_store.NameInUseError as exc:
        old = exc.existing
        return SaveOutcome(
            ask_replace=f"{old.name!r} was saved by {old.saved_by} on "
            f"{old.updated_at:%Y-%m-%d %H:%M} UTC with other parameters "
            f"({parameter_summary(old.parameters)}). Replace it for everyone with the current "
            "ones? (Cancel keeps it: choose another name.)"
        )
    except (StateError, ScenarioError) as exc:
        return SaveOutcome(status=_alert(f"Not saved: {exc}", "danger", "scn-save-error"))
    record = saved.record
    message = f"Saved {record.name!r} for the team: {parameter_summary(record.parameters)}."
    status = _alert(
        message + (f" {saved.note}" if saved.note else ""),
        "warning" if saved.note else "success",
        "scn-save-done",
    )
    rows, problem = team_rows()
    ticks = list(ticked or [])
    return SaveOutcome(
        rows=rows if problem is None else None,
        ticked=ticks if record.name in ticks else [*ticks, record.name],
        status=status if problem is None else problem,
    )


def delete_for_team(name: str | None) -> tuple[list[dict[str, Any]] | None, dbc.Alert]:
    """Delete saved scenario ``name`` from the server store; the new list (None when nothing
    changed) and an alert saying what happened."""
    try:
        scenarios_store.delete(name or "")
    except StateError as exc:
        return None, _alert(f"Not deleted: {exc}", "danger", "scn-delete-error")
    rows, problem = team_rows()
    done = _alert(f"Deleted {name!r} for everyone.", "success", "scn-delete-done")
    return (None, problem) if problem is not None else (rows, done)


# --- layout -----------------------------------------------------------------------------------


# dict[str, Any]: dash's typed signatures list only the named props, not aria-*.
_ARIA_SOURCE: dict[str, Any] = {"aria-label": "source"}


def _tip(target: str, field: str) -> dbc.Tooltip:
    return dbc.Tooltip(PARAMETERS[field].tooltip(), target=target, placement="right")


def _label(field: str) -> html.Label:
    label_id = f"{FIELD_IDS[field]}-label"
    return html.Label(
        [
            LABELS[field],
            " ",
            html.I(className="bi bi-info-circle", id=label_id, tabIndex=0, **_ARIA_SOURCE),
        ],
        htmlFor=FIELD_IDS[field],
        className="form-label small fw-semibold mb-0",
    )


def _field(field: str, *controls: Any, spacing: str = "mb-2") -> html.Div:
    """A scenario control: its label, the control(s), and the tooltip giving the default's
    source."""
    return html.Div(
        [_label(field), *controls, _tip(f"{FIELD_IDS[field]}-label", field)], className=spacing
    )


def _slider(field: str, value: Any, marks: tuple[int, ...], *, always_visible: bool = False) -> Any:
    """A slider over the parameter's whole allowed range (percent parameters shown as 0-100)."""
    p = PARAMETERS[field]
    scale = 100 if p.percent else 1
    low, high = (p.low or 0) * scale, (p.high or 0) * scale
    suffix = "%" if p.percent else ""
    return dcc.Slider(
        id=FIELD_IDS[field],
        min=low,
        max=high,
        step=(p.step or 1) * scale,
        value=value,
        marks={m: f"{m}{suffix}" for m in marks if low <= m <= high},
        tooltip={"placement": "bottom", "always_visible": always_visible},
        updatemode="mouseup",
    )


def _number(field: str, value: Any, placeholder: str = "") -> html.Div:
    # no min/max on the input: the browser would silently drop an out-of-range value, while
    # Scenario refuses it with a message naming the range and its source
    return _field(
        field,
        dbc.Input(
            id=FIELD_IDS[field],
            type="number",
            value=value,
            step=PARAMETERS[field].step or "any",
            size="sm",
            debounce=True,
            placeholder=placeholder,
        ),
    )


def _radio(field: str, value: Any, labels: dict[str, str]) -> html.Div:
    """Inline radio buttons of a choice parameter (value -> label)."""
    options = [{"label": label, "value": choice} for choice, label in labels.items()]
    return _field(
        field,
        dbc.RadioItems(
            id=FIELD_IDS[field], value=value, inline=True, className="small", options=options
        ),
    )


def _dropdown(field: str, value: Any, choices: Sequence[str], placeholder: str) -> html.Div:
    """A dropdown of a parameter's choices; cleared, it means ``placeholder``."""
    options = [{"label": choice, "value": choice} for choice in choices]
    return _field(
        field,
        dcc.Dropdown(
            id=FIELD_IDS[field],
            value=value,
            placeholder=placeholder,
            options=options,
            clearable=True,
        ),
    )


def _controls(s: Scenario, periods: list[str]) -> list[Any]:
    v = control_values(s)
    cap_kind = s.cap or "none"
    cap_value = s.max_pe if s.max_pe is not None else s.budget_usd_month
    usual_low, usual_high = PARAMETERS["people_per_pe"].usual or (50, 75)
    return [
        _field(
            "people_per_pe",
            _slider("people_per_pe", v["people_per_pe"], (50, 60, 75, 90), always_visible=True),
            html.Div(
                f"Usually 1 PE per {usual_low:g}–{usual_high:g} people (PM paper Table 1; Mombasa; "
                "AMETHIST); up to 90 where outreach works at that ratio (Kenya)",
                className="form-text mt-3",
            ),
            spacing="mb-3",
        ),
        _radio("pe_count_from", s.pe_count_from, PE_COUNT_LABELS),
        _number("pe_per_orw", v["pe_per_orw"]),
        _radio("basis", s.basis, {"peak": "Peak day", "typical": "Typical day"}),
        _radio("level", s.level, {x: x.capitalize() for x in ("low", "mid", "high")}),
        _field("target", _slider("target", v["target"], (0, 50, 80, 100))),
        _field("duplication", _slider("duplication", v["duplication"], (0, 10, 25, 50))),
        _number("condoms_per_person_month", v["condoms_per_person_month"]),
        _number("lubricant_per_condom", v["lubricant_per_condom"]),
        _number("test_kits_per_person_quarter", v["test_kits_per_person_quarter"]),
        _number("buffer_stock_pct", v["buffer_stock_pct"]),
        _number("distance_km", v["distance_km"]),
        _dropdown("service", s.service, PARAMETERS["service"].choices, "Any service"),
        _dropdown("period", s.period, periods, "Latest period"),
        html.Details(
            [
                html.Summary("Costs (optional)", className="small fw-semibold mb-2"),
                html.P(
                    "Leave empty for items you do not cost; costs are shown as assumptions.",
                    className="form-text",
                ),
                *[_number(f, v[f], placeholder="not costed") for f in COST_FIELDS],
            ],
            open=s.costed,
            className="mb-2",
        ),
        html.Fieldset(
            [
                html.Legend("Cap (optional)", className="small fw-semibold mb-1"),
                dbc.RadioItems(
                    id=Ids.CAP_KIND,
                    value=cap_kind,
                    className="small",
                    options=[{"label": lab, "value": k} for k, lab in CAP_KINDS],
                ),
                html.Label(
                    "Cap value (PEs, or USD per month)",
                    htmlFor=Ids.CAP_VALUE,
                    className="visually-hidden",
                ),
                dbc.Input(
                    id=Ids.CAP_VALUE,
                    type="number",
                    min=0,
                    value=cap_value,
                    size="sm",
                    debounce=True,
                    placeholder="PEs, or USD per month",
                ),
                html.Div(
                    "The recommended allocation covers the most people under the model below "
                    "(proven by HiGHS); priority order, proportional and even spread are shown "
                    "beside it. A budget needs a PE stipend or a fixed cost.",
                    className="form-text",
                ),
                _number("district_fixed_usd_month", v["district_fixed_usd_month"]),
                _number(
                    "min_pe_per_district",
                    v["min_pe_per_district"],
                    placeholder=f"PEs per ORW ({s.pe_per_orw})",
                ),
            ],
            className="mb-3",
        ),
        _number("new_sites", v["new_sites"]),
        ui.button("Reset to defaults", Ids.RESET, outline=True),
    ]


def _saved_scenarios() -> list[Any]:
    """Body of the "Saved scenarios" card: name and save, the team's list (tick to compare, open,
    delete), the comparison."""
    return [
        dcc.Store(id=Ids.SAVED),
        dcc.Interval(id=Ids.SAVED_POLL, interval=SAVED_POLL_MS),
        dcc.Store(id=Ids.DELETE_TARGET),
        dcc.ConfirmDialog(id=Ids.DELETE_CONFIRM),
        dcc.ConfirmDialog(id=Ids.REPLACE_CONFIRM),
        html.Label("Scenario name", htmlFor=Ids.SAVE_NAME, className="visually-hidden"),
        dbc.InputGroup(
            [
                dbc.Input(
                    id=Ids.SAVE_NAME,
                    placeholder="Name this scenario, e.g. 'lean 75'",
                    maxLength=scenarios_store.MAX_NAME_CHARS,
                    size="sm",
                ),
                ui.button("Save scenario", Ids.SAVE, color="primary"),
            ],
            size="sm",
            className="mb-2",
        ),
        html.Div(id=Ids.SAVE_STATUS),
        html.Div(
            [
                "Saved on the server for everyone using this planner (parameters, not data; ",
                html.Code("cli.py scenarios list"),
                " lists the same ones). Tick two or more to compare; the first ticked is the base.",
            ],
            className="form-text mb-1",
        ),
        html.Div(id=Ids.SAVED_ALERT),
        html.Div(id=Ids.SAVED_COUNT, className="small text-muted mb-1"),
        dbc.Checklist(id=Ids.SAVED_PICK, options=[], value=[], className="small mb-2"),
        html.Div(id=Ids.COMPARE),
    ]


def layout(**query: Any) -> html.Div:
    """The Scenarios layout; the scenario comes from the URL query so a plan can be shared as a
    link."""
    if not _shared.hotspot_detail_allowed():
        return _shared.not_available_view("Scenarios")
    problem = None
    try:
        scenario = Scenario.from_query({k: v for k, v in query.items() if isinstance(v, str)})
    except ScenarioError as exc:
        scenario, problem = Scenario(), f"The link's scenario was not used: {exc}"
    periods = [scenario.period] if scenario.period else []  # the rest come from list_periods
    return html.Div(
        [
            dcc.Location(id=Ids.LOCATION, refresh=False),
            dcc.Location(id=Ids.NAV, refresh="callback-nav"),
            dcc.Store(id=_shared.SCENARIO_SESSION_ID, storage_type="session"),
            dcc.Store(id=Ids.SCENARIO, data=scenario.to_query()),
            dcc.Download(id=Ids.DOWNLOAD),
            _shared.page_header(
                "Scenarios",
                "Change the assumptions on the left; totals, the map and the district plan "
                "update at once. "
                "Share the link, save scenarios for the team and compare them, or download the "
                "plan as Excel.",
            ),
            html.Div(
                dbc.Alert(problem, color="warning", className="py-2") if problem else None,
                id=Ids.ALERT,
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(_controls(scenario, periods)), className="scn-controls"
                        ),
                        lg=3,
                        md=4,
                        className="mb-3",
                    ),
                    dbc.Col(
                        [
                            html.Div(id=Ids.WARNINGS),
                            dcc.Loading(html.Div(id=Ids.TOTALS), type="dot", delay_show=300),
                            dbc.Row(
                                [
                                    dbc.Col(
                                        dbc.InputGroup(
                                            [
                                                dbc.InputGroupText(
                                                    html.Label(
                                                        "Link to this scenario",
                                                        htmlFor=Ids.SHARE_URL,
                                                        className="mb-0",
                                                    )
                                                ),
                                                dbc.Input(
                                                    id=Ids.SHARE_URL, readonly=True, size="sm"
                                                ),
                                                dbc.InputGroupText(
                                                    dcc.Clipboard(
                                                        target_id=Ids.SHARE_URL,
                                                        id=Ids.COPY,
                                                        title="Copy link",
                                                        style={"cursor": "pointer"},
                                                    )
                                                ),
                                            ],
                                            size="sm",
                                        ),
                                        md=8,
                                        className="mb-2",
                                    ),
                                    dbc.Col(
                                        ui.button(
                                            "Download Excel plan",
                                            Ids.DOWNLOAD_BUTTON,
                                            icon="bi-file-earmark-excel",
                                            color="primary",
                                        ),
                                        md=4,
                                        className="mb-2 text-md-end",
                                    ),
                                ],
                                className="mt-2",
                            ),
                            html.Div(id=Ids.ALLOCATION),
                            ui.titled_card(
                                "Peer educators needed by district",
                                [
                                    dcc.Graph(
                                        id=Ids.MAP,
                                        config={"displaylogo": False, "scrollZoom": True},
                                    ),
                                    html.P(
                                        "District totals only; no hotspot locations.",
                                        className="small text-muted mb-0",
                                    ),
                                ],
                            ),
                            ui.titled_card(
                                "District plan",
                                sf.plan_grid(
                                    pd.DataFrame({"district": pd.Series(dtype=str)}),
                                    grid_id=Ids.GRID,
                                ),
                                action=ui.button("Export CSV", Ids.GRID_EXPORT, outline=True),
                            ),
                            ui.titled_card("Saved scenarios", _saved_scenarios()),
                        ],
                        lg=9,
                        md=8,
                    ),
                ]
            ),
        ]
    )


# --- callbacks --------------------------------------------------------------------------------

_FIELD_INPUTS = [Input(cid, "value") for cid in FIELD_IDS.values()]


@callback(
    Output(Ids.SCENARIO, "data"), Output(Ids.LOCATION, "search"), Output(Ids.ALERT, "children"),
    *_FIELD_INPUTS, Input(Ids.CAP_KIND, "value"), Input(Ids.CAP_VALUE, "value"),
    State(Ids.LOCATION, "search"), prevent_initial_call=True,
)  # fmt: skip
def update_scenario(*args: Any):
    """Check the controls' scenario; keep it in the page store and the URL query, or explain what
    is wrong."""
    _shared.require_hotspot_detail("the Scenarios page")
    values = dict(zip(FIELD_IDS, args[: len(FIELD_IDS)]))
    cap_kind, cap_value, search = args[len(FIELD_IDS) :]
    try:
        scenario = scenario_from_controls(values, cap_kind, cap_value)
    except ScenarioError as exc:
        return (
            no_update,
            no_update,
            dbc.Alert(str(exc), color="danger", className="py-2", id="scn-error"),
        )
    new_search = search_string(scenario)
    return scenario.to_query(), (new_search if new_search != (search or "") else no_update), None


# The results are a pure callback (scenario, dataset and level of detail decide them): answered
# from the shared response cache when the same request was answered before.
response_cache.mark_pure(Ids.TOTALS, Ids.MAP, Ids.GRID, Ids.ALLOCATION, Ids.WARNINGS)


@callback(
    Output(Ids.TOTALS, "children"), Output(Ids.MAP, "figure"), Output(Ids.GRID, "rowData"),
    Output(Ids.GRID, "columnDefs"), Output(Ids.ALLOCATION, "children"),
    Output(Ids.WARNINGS, "children"),
    Input(Ids.SCENARIO, "data"), Input(_shared.DATASET_STORE_ID, "data"),
)  # fmt: skip
def show_results(query: dict | None, dataset_id: str | None):
    """Totals, PE map, district grid and allocation for the scenario in the page store."""
    _shared.require_hotspot_detail("the Scenarios page")
    if _shared.dataset_or_none(dataset_id) is None:
        return (
            None,
            {},
            [],
            no_update,
            None,
            dbc.Alert(
                "The dataset could not be loaded; the Data page lists its problems.", color="danger"
            ),
        )
    try:
        r = results(dataset_id, query or {})
    except ScenarioError as exc:
        return (
            no_update,
            no_update,
            no_update,
            no_update,
            no_update,
            dbc.Alert(str(exc), color="danger"),
        )
    s = r.scenario
    notes = list(r.plan.warnings)
    warn = (
        dbc.Alert([html.Div(n) for n in notes], color="warning", className="py-2 small")
        if notes
        else None
    )
    alloc = []
    if r.allocation_figure is not None:
        table = r.allocation_table if r.allocation_table is not None else pd.DataFrame()
        alloc.append(
            ui.titled_card(
                "Allocation under the cap: optimal, priority order, proportional, even",
                [
                    html.P(r.allocation_text, id="scn-allocation-text", className="fw-semibold"),
                    dbc.Table.from_dataframe(
                        table,
                        id=Ids.ALLOCATION_TABLE,
                        size="sm",
                        striped=True,
                        className="small",
                        style={"maxWidth": "48rem"},
                    ),
                    dcc.Graph(
                        figure=r.allocation_figure,
                        id="scn-allocation-figure",
                        config={"displaylogo": False},
                    ),
                ],
            )
        )
    if r.new_sites_table is not None:
        alloc.append(
            ui.titled_card(
                "Proposed new drop-in centres (hotspot locations: confidential)",
                [
                    html.P(r.new_sites_text, id=Ids.NEW_SITES_TEXT),
                    dbc.Table.from_dataframe(
                        r.new_sites_table,
                        id=Ids.NEW_SITES_TABLE,
                        size="sm",
                        striped=True,
                        className="small",
                        style={"maxWidth": "40rem"},
                    ),
                ],
            )
        )
    cards = headline_cards(r.headlines, id_prefix=Ids.TOTALS_PREFIX, xl=True)
    basis = "peak-day" if s.basis == "peak" else "typical-day"
    caption = html.P(
        [
            f"Plan on the {s.level} {basis} estimate, target {s.target:.0%}. ",
            html.Span(pe_rule_sentence(s), id=Ids.PE_RULE),
            f" 1 ORW per {s.pe_per_orw:g} PEs, enrolment period "
            f"{r.plan.parameters.get('period') or 'latest'}. Each control's info icon gives the "
            "source of its default (DESIGN.md s.3).",
        ],
        className="small text-muted mt-1 mb-0",
    )
    return [cards, caption], r.map_figure, r.grid.rowData, r.grid.columnDefs, alloc or None, warn


clientside_callback(
    """function(search) {
        return window.location.origin + window.location.pathname + (search || "");
    }""",
    Output(Ids.SHARE_URL, "value"),
    Input(Ids.LOCATION, "search"),
)


@callback(
    Output(Ids.GRID, "exportDataAsCsv"),
    Input(Ids.GRID_EXPORT, "n_clicks"),
    prevent_initial_call=True,
)
def export_grid(n_clicks: int | None) -> bool:
    """Download the district plan grid (as sorted and filtered) as district_plan.csv."""
    _shared.require_hotspot_detail("the Scenarios page")
    return bool(n_clicks)


@callback(
    Output(Ids.SAVED, "data"), Output(Ids.SAVED_ALERT, "children"),
    Input(Ids.SAVED_POLL, "n_intervals"), State(Ids.SAVED, "data"),
    State(Ids.SAVED_ALERT, "children"),
)  # fmt: skip
def refresh_saved(_n: int | None, shown: list | None, alert: Any):
    """The team's saved scenarios from the store; no_update while they are what the page shows."""
    _shared.require_hotspot_detail("the Scenarios page")
    rows, problem = team_rows()
    if problem is not None:
        return no_update, problem
    return (no_update if rows == shown else rows), (None if alert else no_update)


@callback(
    Output(Ids.SAVED, "data", allow_duplicate=True), Output(Ids.SAVE_NAME, "value"),
    Output(Ids.SAVE_STATUS, "children"), Output(Ids.SAVED_PICK, "value", allow_duplicate=True),
    Output(Ids.REPLACE_CONFIRM, "displayed"), Output(Ids.REPLACE_CONFIRM, "message"),
    Input(Ids.SAVE, "n_clicks"), Input(Ids.SAVE_NAME, "n_submit"),
    Input(Ids.REPLACE_CONFIRM, "submit_n_clicks"), State(Ids.SAVE_NAME, "value"),
    State(Ids.SCENARIO, "data"), State(_shared.DATASET_STORE_ID, "data"),
    State(Ids.SAVED_PICK, "value"), prevent_initial_call=True,
)  # fmt: skip
def save_scenario(
    _save: int | None,
    _submit: int | None,
    _replace: int | None,
    name: str | None,
    query: dict | None,
    dataset_id: str | None,
    ticked: list[str] | None,
):
    """Save the current scenario for the team under ``name``; the confirmation to replace another
    scenario of that name saves it again with ``replace``."""
    _shared.require_hotspot_detail("the Scenarios page")
    replace = dash.ctx.triggered_id == Ids.REPLACE_CONFIRM
    out = save_for_team(name, query, dataset_id, ticked, replace=replace)
    if out.ask_replace is not None:
        return no_update, no_update, None, no_update, True, out.ask_replace
    saved = out.rows is not None
    return (
        out.rows if saved else no_update,
        "" if saved else no_update,
        out.status,
        out.ticked if saved else no_update,
        False,
        no_update,
    )


@callback(
    Output(Ids.DELETE_CONFIRM, "displayed"), Output(Ids.DELETE_CONFIRM, "message"),
    Output(Ids.DELETE_TARGET, "data"),
    Input({"type": Ids.DELETE, "name": ALL}, "n_clicks"), prevent_initial_call=True,
)  # fmt: skip
def ask_delete(_clicks: list[int | None]):
    """Ask before deleting the scenario whose delete button was pressed (it goes for everyone)."""
    _shared.require_hotspot_detail("the Scenarios page")
    target = dash.ctx.triggered_id
    if not isinstance(target, Mapping) or not dash.ctx.triggered[0].get("value"):
        raise dash.exceptions.PreventUpdate  # the list was (re)drawn, no button was pressed
    name = str(target["name"])
    return (
        True,
        f"Delete the saved scenario {name!r} for everyone? This cannot be undone.",
        name,
    )


@callback(
    Output(Ids.SAVED, "data", allow_duplicate=True),
    Output(Ids.SAVE_STATUS, "children", allow_duplicate=True),
    Input(Ids.DELETE_CONFIRM, "submit_n_clicks"), State(Ids.DELETE_TARGET, "data"),
    prevent_initial_call=True,
)  # fmt: skip
def delete_scenario(_confirmed: int | None, name: str | None):
    """Delete the confirmed scenario from the store; the new list."""
    _shared.require_hotspot_detail("the Scenarios page")
    rows, status = delete_for_team(name)
    return (no_update if rows is None else rows), status


@callback(
    Output(Ids.SAVED_PICK, "options"), Output(Ids.SAVED_PICK, "value"),
    Output(Ids.SAVED_COUNT, "children"),
    Input(Ids.SAVED, "data"), State(Ids.SAVED_PICK, "value"),
)  # fmt: skip
def list_saved(rows: list[dict] | None, ticked: list[str] | None):
    """Tick boxes of the team's saved scenarios (open link and delete button each); ticks of
    scenarios deleted meanwhile are dropped."""
    _shared.require_hotspot_detail("the Scenarios page")
    rows = rows or []
    names = {row["name"] for row in rows}
    kept = [t for t in (ticked or []) if t in names]
    count = (
        f"{len(rows)} saved scenario{'s' if len(rows) != 1 else ''}"
        if rows
        else "No saved scenarios yet: name the current one above and save it."
    )
    return saved_options(rows), (kept if kept != (ticked or []) else no_update), count


@callback(
    Output(Ids.COMPARE, "children"),
    Input(Ids.SAVED_PICK, "value"),
    Input(_shared.DATASET_STORE_ID, "data"),
    Input(Ids.SAVED, "data"),
)
def show_comparison(names: list[str] | None, dataset_id: str | None, rows: list[dict] | None):
    """Side-by-side totals (and per district) of the ticked saved scenarios, built on the server."""
    _shared.require_hotspot_detail("the Scenarios page")
    saved = {row["name"]: row["query"] for row in rows or []}
    names = [n for n in (names or []) if n in saved]
    if len(names) < 2:
        return html.P(
            "Tick two or more saved scenarios to compare them.", className="small text-muted mb-0"
        )
    if _shared.dataset_or_none(dataset_id) is None:
        return None
    try:
        totals, per_district = comparison(dataset_id, saved, names)
    except (ScenarioError, ValueError) as exc:
        return dbc.Alert(f"Cannot compare: {exc}", color="danger")
    return html.Div(
        [
            html.H3(
                f"Totals: {' vs '.join(names)} (differences from '{names[0]}')", className="h6"
            ),
            sf.compare_grid(sf.label_figures(totals), grid_id="scn-compare-totals"),
            html.Details(
                [
                    html.Summary("Per district", className="small fw-semibold mt-2"),
                    sf.compare_grid(per_district, grid_id="scn-compare-districts"),
                ]
            ),
        ]
    )


# A background callback (services.background): a national plan's workbook takes seconds to
# write, so it is written off the request; the button is disabled until the file arrives.
@callback(
    Output(Ids.DOWNLOAD, "data"),
    Input(Ids.DOWNLOAD_BUTTON, "n_clicks"), State(Ids.SCENARIO, "data"),
    State(_shared.DATASET_STORE_ID, "data"), prevent_initial_call=True, background=True,
    running=[(Output(Ids.DOWNLOAD_BUTTON, "disabled"), True, False)],
)  # fmt: skip
def download_plan(n_clicks: int | None, query: dict | None, dataset_id: str | None):
    """The Excel plan of the current scenario (exports.excel_plan); hotspot sheet only where
    detail is allowed."""
    _shared.require_hotspot_detail("the Scenarios Excel plan")
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    data = plan_xlsx_bytes(_shared.dataset_key(dataset_id), Scenario.from_query(query or {}), False)
    name = "kp_plan" + (
        "_" + "_".join(f"{k}-{v}" for k, v in sorted((query or {}).items())) if query else ""
    )
    _shared.audit("Scenarios Excel plan (hotspot sheet included)", None, dataset_id)
    return dcc.send_bytes(data, filename=f"{name[:120]}.xlsx")


@callback(
    *[Output(cid, "value") for cid in FIELD_IDS.values()],
    Output(Ids.CAP_KIND, "value"), Output(Ids.CAP_VALUE, "value"),
    Input(Ids.RESET, "n_clicks"), prevent_initial_call=True,
)  # fmt: skip
def reset_controls(n_clicks: int | None):
    """Put every control back to the default scenario (the scenario callback then updates URL and
    results)."""
    _shared.require_hotspot_detail("the Scenarios page")
    defaults = control_values(Scenario())
    return (*[defaults[name] for name in FIELD_IDS], "none", None)


@callback(
    Output(_shared.SCENARIO_SESSION_ID, "data"),
    Input(Ids.SCENARIO, "data"),
    State(Ids.LOCATION, "search"),
)
def remember_scenario(query: dict | None, search: str | None):
    """Keep the current scenario in the browser session so the Overview shows the same one."""
    _shared.require_hotspot_detail("the Scenarios page")
    if dash.ctx.triggered_id is None and not search:
        # plain /scenarios: restore_scenario may bring the session's back
        raise dash.exceptions.PreventUpdate
    return dict(query or {})


@callback(
    Output(Ids.NAV, "search"),
    Input(_shared.SCENARIO_SESSION_ID, "data"),
    State(Ids.LOCATION, "search"),
    State(Ids.SCENARIO, "data"),
)
def restore_scenario(session_query: dict | None, search: str | None, shown: dict | None):
    """Opening plain /scenarios (e.g. from the navbar) shows the session's scenario rather than the
    defaults."""
    _shared.require_hotspot_detail("the Scenarios page")
    if search or not session_query or session_query == (shown or {}):
        raise dash.exceptions.PreventUpdate
    try:
        return search_string(Scenario.from_query(session_query)) or no_update
    except ScenarioError:
        raise dash.exceptions.PreventUpdate from None


@callback(
    Output(FIELD_IDS["period"], "options"),
    Input(_shared.DATASET_STORE_ID, "data"),
    State(FIELD_IDS["period"], "value"),
)
def list_periods(dataset_id: str | None, chosen: str | None):
    """The enrolment periods of the session's dataset (latest last) for the period dropdown."""
    _shared.require_hotspot_detail("the Scenarios page")
    dataset = _shared.dataset_or_none(dataset_id)
    found = coverage_mod.periods(dataset.enrolment) if dataset is not None else []
    if chosen and chosen not in found:
        found = [*found, chosen]
    return [{"label": p, "value": p} for p in found]
