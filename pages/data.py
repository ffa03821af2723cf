"""Data page (/data): the team's datasets (open, rename, delete), upload one, read its validation
report, download templates.

An upload is checked before parsing (services.uploads: size, type, zip contents) and stored in
the server state (services.state) in the request, durably and deduplicated by content; the
browser keeps only its id. It is then loaded and validated in a Dash background callback with a
progress bar and a cancel button (a cancelled or unusable new upload is deleted again); a bad
file gets the report naming file, row, column and value, never a crash. Every stored dataset is
listed for everyone using this server, newest first after the default one, which cannot be
renamed or deleted. Rejected rows download as CSV (text neutralised so no cell starts a formula,
DESIGN.md s.4). Absent in aggregate-only mode, and every server callback here refuses when
hotspot detail is not allowed (the background manager refuses before a job starts, the job
checks again).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any, NamedTuple

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html

from components import ui
from components.shell import ARIA_HIDDEN
from components.validation_view import counts_table, load_error_view, problems_table, verdict_text
from config import TEMPLATES_DIR
from data_loaders.validation import DatasetLoadError
from pages import _shared
from planning.schema import Dataset
from services import datasets as store
from services.background import jobs_enabled
from services.context import current_settings
from services.state import StateError, current_store
from services.uploads import (
    LOCAL_USER,
    UploadError,
    UploadLimits,
    dataset_toml_name,
    decode_data_urls,
    store_upload,
)

dash.register_page(
    __name__,
    path="/data",
    name="Data",
    order=9,
    title="Data · KP coverage planner",
    description="The team's datasets: upload, check, open, rename, delete; download templates",
    detail="hotspot",
    roles=("planner", "admin"),
)

TEMPLATE_SUFFIXES = (".csv", ".xlsx", ".toml", ".md")
CHECK_POLL_MS = 400  # how often the browser asks for a background check's progress


class ID:
    """Component ids of this page."""

    current = "data-current-report"
    use_default = "data-use-default"
    datasets = "data-datasets"  # the team's datasets (a table)
    datasets_note = "data-datasets-note"
    loaded = "data-loaded"  # the id whose report was just drawn (its hotspots now counted)
    refresh = "data-datasets-refresh"
    version = "data-datasets-version"  # changed whenever this page changed the list
    open = "data-open"  # pattern: {"type": open, "dataset": id}
    rename = "data-rename"  # pattern: {"type": rename, "dataset": id}
    delete = "data-delete"  # pattern: {"type": delete, "dataset": id}
    rename_modal = "data-rename-modal"
    rename_target = "data-rename-target"
    rename_name = "data-rename-name"
    rename_error = "data-rename-error"
    rename_save = "data-rename-save"
    rename_cancel = "data-rename-cancel"
    delete_modal = "data-delete-modal"
    delete_target = "data-delete-target"
    delete_text = "data-delete-text"
    delete_confirm = "data-delete-confirm"
    delete_cancel = "data-delete-cancel"
    upload_name = "data-upload-name"
    upload = "data-upload"
    upload_result = "data-upload-result"
    upload_id = "data-upload-id"
    use_upload = "data-use-upload"
    job = "data-job"  # the stored upload a background check is asked for
    cancelled = "data-cancelled"  # the upload whose check was cancelled
    progress_box = "data-progress-box"
    progress = "data-progress"
    cancel = "data-cancel"
    download = "data-download"
    rejected = "data-rejected"  # pattern: {"type": rejected, "dataset": id, "file": name}
    template = "data-template"  # pattern: {"type": template, "name": file name}


_ARIA_LIVE: dict[str, Any] = {"aria-live": "polite"}


def template_files() -> list[Path]:
    """The downloadable templates in data/templates (CSV, XLSX, dataset.toml, README)."""
    if not TEMPLATES_DIR.is_dir():
        return []
    return sorted(
        p for p in TEMPLATES_DIR.iterdir() if p.is_file() and p.suffix in TEMPLATE_SUFFIXES
    )


def layout(**_query: Any) -> html.Div:
    """The team's datasets, the dataset in use, upload and templates (no data in the static
    layout: the callbacks fill it)."""
    if not _shared.hotspot_detail_allowed():
        return _shared.not_available_view("Data")
    if not _shared.data_manager_allowed():
        return _shared.not_available_view("Data", for_role=True)
    max_mb = current_settings().max_upload_mb
    in_use = [
        html.H2("Dataset in use", className="h5"),
        html.Div(id=ID.current),
        ui.button("Use the default dataset", ID.use_default, outline=True, className="mt-2"),
    ]
    return html.Div(
        [
            _shared.page_header(
                "Data",
                "Your team's datasets, the one in use, upload your own, download templates. "
                "A dataset is a folder of hotspots, sites, enrolment and boundaries files "
                "(CSV or XLSX; boundaries GeoJSON, GeoPackage or zipped Shapefile).",
            ),
            dcc.Download(id=ID.download),
            dcc.Store(id=ID.upload_id),
            dcc.Store(id=ID.version),
            dcc.Store(id=ID.loaded),
            # no data= at all: a Store mounted with data=None sets its data (to undefined) and
            # would start the background check on every page load
            dcc.Store(id=ID.job),
            dcc.Store(id=ID.cancelled),
            _team_datasets(),
            dbc.Row(
                [
                    dbc.Col(in_use, lg=6, className="mb-3"),
                    dbc.Col([*_upload(max_mb), *_templates()], lg=6),
                ]
            ),
            *_modals(),
        ]
    )


def _team_datasets() -> dbc.Card:
    """The card listing the datasets stored on this server (filled by ``_list``)."""
    return ui.titled_card(
        "Team datasets",
        [
            html.P(
                "Every dataset uploaded to this server, shared with everyone who uses it. "
                "Open one to use it in this browser session; hotspots are counted once this "
                "server has loaded the dataset.",
                className="small text-muted mb-2",
            ),
            html.Div(id=ID.datasets_note, **_ARIA_LIVE),
            html.Div(id=ID.datasets),
        ],
        action=ui.button("Refresh", ID.refresh, icon="bi-arrow-clockwise", outline=True),
    )


def _upload(max_mb: int) -> list[Any]:
    """The upload box, its progress, its result and the button that opens the upload."""
    drop_here: list[Any] = [
        html.I(className="bi bi-upload me-2", **ARIA_HIDDEN),
        "Drop the dataset files or one .zip here, or ",
        html.A("choose files", href="#", className="link-primary"),
    ]
    return [
        html.H2("Upload a dataset", className="h5"),
        dbc.Label("Name (seen by your team)", html_for=ID.upload_name, className="small mb-1"),
        dbc.Input(
            id=ID.upload_name,
            placeholder="e.g. Malawi mapping 2025 (blank: the name in dataset.toml)",
            maxLength=100,
            size="sm",
            className="mb-2",
        ),
        dcc.Upload(
            html.Div(drop_here),
            id=ID.upload,
            multiple=True,
            max_size=max_mb * 1024 * 1024,
            className="upload-box",
            style_active={"borderColor": "#0072B2"},
        ),
        html.Div(
            "Files: hotspots, sites, enrolment (.csv/.xlsx), boundaries (.geojson/.gpkg/.zip), "
            f"optional dataset.toml; at most {max_mb} MB per file.",
            className="small text-muted mb-2",
        ),
        _progress_box(),
        dcc.Loading(html.Div(id=ID.upload_result, **_ARIA_LIVE), delay_show=300),
        ui.button(
            "Use the uploaded dataset in this browser session",
            ID.use_upload,
            icon="bi-arrow-left-right",
            color="primary",
            small=False,
            className="mt-2",
            disabled=True,
        ),
    ]


def _progress_box() -> html.Div:
    """Progress bar and cancel button of a background check (shown while one runs)."""
    return html.Div(
        id=ID.progress_box,
        hidden=True,
        className="mb-2",
        children=[
            html.Div("Checking the upload in the background.", className="small mb-1"),
            dbc.Progress(
                id=ID.progress,
                value=0,
                label="",
                striped=True,
                animated=True,
                className="mb-1",
                style={"height": "1.2rem"},
            ),
            ui.button("Cancel", ID.cancel, icon="bi-x-circle", outline=True),
        ],
        **_ARIA_LIVE,
    )


def _templates() -> list[Any]:
    """A download link per template file."""
    links = [
        ui.button(
            p.name,
            {"type": ID.template, "name": p.name},
            icon="bi-download",
            color="link",
            className="d-block text-start px-0",
        )
        for p in template_files()
    ]
    return [
        html.H2("Templates", className="h5 mt-4"),
        html.P(
            "Fill these in and upload them (column meanings are in README.md).",
            className="small text-muted mb-1",
        ),
        html.Div(links, id="data-templates"),
    ]


def _modals() -> list[dbc.Modal]:
    """The rename dialog and the delete confirmation."""
    rename = dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Rename the dataset")),
            dbc.ModalBody(
                [
                    dcc.Store(id=ID.rename_target),
                    dbc.Label("New name", html_for=ID.rename_name, className="small"),
                    dbc.Input(id=ID.rename_name, maxLength=100),
                    html.Div(id=ID.rename_error, className="text-danger small mt-1"),
                ]
            ),
            dbc.ModalFooter(
                [
                    ui.button("Cancel", ID.rename_cancel, outline=True, small=False),
                    ui.button("Rename", ID.rename_save, color="primary", small=False),
                ]
            ),
        ],
        id=ID.rename_modal,
        is_open=False,
    )
    delete = dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Delete the dataset?")),
            dbc.ModalBody([dcc.Store(id=ID.delete_target), html.P(id=ID.delete_text)]),
            dbc.ModalFooter(
                [
                    ui.button("Keep it", ID.delete_cancel, outline=True, small=False),
                    ui.button(
                        "Delete for everyone",
                        ID.delete_confirm,
                        icon="bi-trash",
                        color="danger",
                        small=False,
                    ),
                ]
            ),
        ],
        id=ID.delete_modal,
        is_open=False,
    )
    return [rename, delete]


# --- the team's datasets ---------------------------------------------------------------------


class DatasetRow(NamedTuple):
    """One line of the team's datasets: ``key`` is the id a session opens (DEFAULT_ID for the
    default dataset); ``hotspots`` None until this server process has loaded it."""

    key: str
    name: str
    stored_by: str
    stored_at: str
    size_bytes: int | None
    hotspots: int | None
    deletable: bool


def _hotspots_loaded(key: str) -> int | None:
    result = store.cached_result(key)
    return len(result.hotspots) if isinstance(result, Dataset) else None


def _folder_bytes(source: store.Source) -> int | None:
    if not isinstance(source, Path) or not source.is_dir():
        return None
    return sum(p.stat().st_size for p in source.iterdir() if p.is_file())


def _default_name(source: store.Source) -> str:
    """The default dataset's name without loading it: as loaded, else its dataset.toml's."""
    default = store.cached_result(None)
    if isinstance(default, Dataset):
        return default.name
    toml = source / "dataset.toml" if isinstance(source, Path) else None
    if toml is not None and toml.is_file():
        named = dataset_toml_name({"dataset.toml": toml.read_bytes()})
        if named:
            return named
    return store.source_label(source)


def team_datasets() -> list[DatasetRow]:
    """The default dataset, then every dataset of the server state, newest first."""
    source = store.default_folder()
    rows = [
        DatasetRow(
            key=store.DEFAULT_ID,
            name=_default_name(source),
            stored_by="this server (default)",
            stored_at="",
            size_bytes=_folder_bytes(source),
            hotspots=_hotspots_loaded(store.DEFAULT_ID),
            deletable=False,
        )
    ]
    for record in current_store().list_datasets():
        rows.append(
            DatasetRow(
                key=record.id,
                name=record.name,
                stored_by=record.created_by,
                stored_at=f"{record.created_at:%Y-%m-%d %H:%M} UTC",
                size_bytes=record.size_bytes,
                hotspots=_hotspots_loaded(record.id),
                deletable=True,
            )
        )
    return rows


def size_text(size_bytes: int | None) -> str:
    """A file size as people read it: "452 KB", "12.3 MB" ("" when unknown)."""
    if size_bytes is None:
        return ""
    if size_bytes < 1_000_000:
        return f"{max(1, round(size_bytes / 1000)):,} KB"
    return f"{size_bytes / 1e6:,.1f} MB"


def datasets_table(rows: list[DatasetRow], in_use: str) -> dbc.Table:
    """The team's datasets with Open, Rename and Delete per row; ``in_use`` is this session's."""
    head = html.Thead(
        html.Tr(
            [
                html.Th("name"),
                html.Th("stored by"),
                html.Th("when"),
                html.Th("size", className="text-end"),
                html.Th("hotspots", className="text-end"),
                html.Th(html.Span("actions", className="visually-hidden")),
            ]
        )
    )
    body = []
    for row in rows:
        if row.key == in_use:
            opener: Any = dbc.Badge("in use", color="success", className="me-1")
        else:
            opener = ui.button(
                "Open", {"type": ID.open, "dataset": row.key}, color="primary", className="me-1"
            )
        actions = [opener]
        if row.deletable:
            actions += [
                ui.button(
                    "Rename",
                    {"type": ID.rename, "dataset": row.key},
                    outline=True,
                    className="me-1",
                ),
                ui.button(
                    "Delete", {"type": ID.delete, "dataset": row.key}, color="danger", outline=True
                ),
            ]
        body.append(
            html.Tr(
                [
                    html.Td(row.name, className="fw-semibold"),
                    html.Td(row.stored_by),
                    html.Td(row.stored_at),
                    html.Td(size_text(row.size_bytes), className="text-end"),
                    html.Td(
                        "" if row.hotspots is None else f"{row.hotspots:,}", className="text-end"
                    ),
                    html.Td(actions, className="text-nowrap"),
                ],
                className="table-active" if row.key == in_use else "",
            )
        )
    return dbc.Table(
        [head, html.Tbody(body)],
        size="sm",
        hover=True,
        responsive=True,
        className="small mb-0 data-datasets",
    )


# --- reports -----------------------------------------------------------------------------------


def report_card(result: Dataset, key: str, *, title: str) -> dbc.Card:
    """Counts, every problem and rejected-row downloads of a loaded dataset's report."""
    report = result.report
    downloads = [
        ui.button(
            f"Rejected {name} rows ({counts.rejected:,}) as CSV",
            {"type": ID.rejected, "dataset": key, "file": name},
            icon="bi-filetype-csv",
            color="danger",
            outline=True,
            className="me-2 mb-1",
        )
        for name, counts in sorted(report.files.items())
        if counts.rejected
    ]
    if key == store.DEFAULT_ID:
        source = "default dataset"
    else:
        stored = store.stored_name(key)
        source = "team dataset" + (f" “{stored}”" if stored and stored != result.name else "")
    return dbc.Card(
        dbc.CardBody(
            [
                html.H3(f"{title}: {result.name}", className="h6"),
                html.P(
                    [
                        source + (" · synthetic demo data" if result.synthetic else ""),
                        html.Br(),
                        verdict_text(report),
                    ],
                    className="small mb-2",
                ),
                counts_table(report),
                html.Div(downloads, className="mb-2"),
                problems_table(report),
            ]
        ),
        className="data-report",
    )


def report_view(dataset_id: str | None, *, title: str) -> dbc.Card | dbc.Alert:
    """The report of a dataset as this process loads it (cached)."""
    result = store.load_result(dataset_id)
    if isinstance(result, Exception):
        return load_error_view(result)
    return report_card(result, store.resolve_id(dataset_id), title=title)


class Job(NamedTuple):
    """A stored upload to check: its id, whether this upload added it (so a cancelled or
    unusable one is deleted again) and what to say above its report."""

    dataset_id: str
    new: bool
    note: str

    def to_data(self) -> dict[str, Any]:
        """The job as the browser keeps it (ids and text, no data)."""
        return {"id": self.dataset_id, "new": self.new, "note": self.note}

    @classmethod
    def from_data(cls, data: Any) -> Job | None:
        """The job of a store's data; None when there is none."""
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return None
        return cls(str(data["id"]), bool(data.get("new")), str(data.get("note") or ""))


def store_uploaded(names: list[str], contents: list[str], name: str | None) -> Job:
    """Decode and check an upload and store it in the server state (services.uploads): the
    check to run next. Raises UploadError or services.state.StateError."""
    settings = current_settings()
    limits = UploadLimits(max_file_bytes=settings.max_upload_mb * 1024 * 1024)
    files = decode_data_urls(names, contents, limits=limits)
    stored = store_upload(files, name, LOCAL_USER, current_store(), limits=limits)
    record = stored.record
    if not stored.new:
        note = (
            f"These files were stored already, as “{record.name}” by {record.created_by} on "
            f"{record.created_at:%Y-%m-%d %H:%M} UTC."
        )
    elif record.name != stored.asked_name:
        note = f"Stored as “{record.name}”: “{stored.asked_name}” is taken by another dataset."
    else:
        note = f"Stored as “{record.name}”, shared with your team."
    return Job(record.id, stored.new, note)


def check_upload(
    job: Job, progress: store.Progress | None = None, *, cached: bool = False
) -> tuple[Any, bool]:
    """Load and validate a stored upload: (its report, whether it can be used). ``cached``:
    load it into this process's cache (it serves the upload next), else load it only to check
    it, reporting to ``progress`` (a background job). A new upload that cannot be used is
    deleted again (it would only clutter the team's list)."""
    try:
        if cached:
            result = store.load_result(job.dataset_id)
        else:
            result = store.load_uncached(job.dataset_id, progress)
    except store.UnknownDatasetError as exc:
        return dbc.Alert(str(exc), color="warning"), False
    if isinstance(result, DatasetLoadError):
        if job.new:
            _delete_quietly(job.dataset_id)
            note = (
                "Not stored: this dataset cannot be used. Fix the problems below and upload "
                "it again."
            )
        else:
            note = "These files were stored before, but they cannot be used (see below)."
        return html.Div(
            [dbc.Alert(note, color="danger", id="upload-not-stored"), load_error_view(result)]
        ), False
    return html.Div(
        [
            dbc.Alert(job.note, color="success", className="py-2", id="upload-stored"),
            report_card(result, job.dataset_id, title="Uploaded"),
        ]
    ), True


def _delete_quietly(dataset_id: str) -> None:
    """Delete a stored upload again (cancelled or unusable); nothing to do when it is gone."""
    with contextlib.suppress(store.UnknownDatasetError):
        store.delete_stored(dataset_id)


def _version() -> int:
    """A new value for the list's version store (the list is drawn again)."""
    return time.time_ns()


# --- callbacks --------------------------------------------------------------------------


@callback(
    Output(ID.current, "children"),
    Output(ID.loaded, "data"),
    Input(_shared.DATASET_STORE_ID, "data"),
)
def _current_report(dataset_id: str | None) -> tuple[dbc.Card | dbc.Alert, str | None]:
    _shared.require_data_manager("the Data page")
    try:
        return report_view(dataset_id, title="In use"), dataset_id
    except store.UnknownDatasetError as exc:
        return dbc.Alert(str(exc), color="warning"), dataset_id


@callback(
    Output(ID.datasets, "children"),
    Input(_shared.DATASET_STORE_ID, "data"),
    Input(ID.loaded, "data"),
    Input(ID.refresh, "n_clicks"),
    Input(ID.version, "data"),
)
def _list(
    dataset_id: str | None, _loaded: Any, _refresh: int | None, _version: Any
) -> dbc.Table | dbc.Alert:
    """The team's datasets, read from the server state on every page load and change (and
    again once the dataset in use is loaded, to count its hotspots)."""
    _shared.require_data_manager("the Data page")
    try:
        rows = team_datasets()
    except StateError as exc:
        return dbc.Alert(f"The team's datasets cannot be read: {exc}", color="danger")
    return datasets_table(rows, dataset_id or store.DEFAULT_ID)


@callback(
    Output(ID.upload_result, "children"),
    Output(ID.upload_id, "data"),
    Output(ID.use_upload, "disabled"),
    Output(ID.version, "data", allow_duplicate=True),
    Input(ID.upload, "contents"),
    State(ID.upload, "filename"),
    State(ID.upload_name, "value"),
    prevent_initial_call=True,
)
def _uploaded(
    contents: list[str] | None, names: list[str] | None, name: str | None
) -> tuple[Any, str | None, bool, Any]:
    """Store the upload (its id is the acknowledgement), then check it: in the background when
    jobs run, else here."""
    _shared.require_data_manager("the Data page")
    if not contents:
        raise dash.exceptions.PreventUpdate
    try:
        job = store_uploaded(list(names or []), list(contents), name)
    except (UploadError, StateError) as exc:
        refused = dbc.Alert(
            [html.Strong("Upload refused. "), str(exc)], color="danger", id="upload-refused"
        )
        return refused, None, True, dash.no_update
    if store.cached_result(job.dataset_id) is not None or not jobs_enabled():
        # loaded here before, or no background jobs (tests): checked in this request
        view, ok = check_upload(job, cached=True)
        return view, job.dataset_id if ok else None, not ok, _version()
    # a side update, as the Outreach page hands its job over (pages/outreach.py, _hand_over)
    dash.set_props(ID.job, {"data": job.to_data()})
    pending = dbc.Alert(job.note + " Checking it…", color="info", className="py-2")
    return pending, job.dataset_id, True, _version()


@callback(
    Output(ID.upload_result, "children", allow_duplicate=True),
    Output(ID.upload_id, "data", allow_duplicate=True),
    Output(ID.use_upload, "disabled", allow_duplicate=True),
    Output(ID.version, "data", allow_duplicate=True),
    Input(ID.job, "data"),
    background=True,
    interval=CHECK_POLL_MS,
    progress=[Output(ID.progress, "value"), Output(ID.progress, "label")],
    progress_default=[0, ""],
    running=[
        (Output(ID.progress_box, "hidden"), False, True),
        (Output(ID.upload, "disabled"), True, False),
    ],
    prevent_initial_call=True,
)
def _check_in_background(set_progress, data):
    """Load and validate a stored upload in a background process, reporting progress."""
    _shared.require_data_manager("the Data page")
    job = Job.from_data(data)
    if job is None:
        raise dash.exceptions.PreventUpdate

    def progress(percent: int, label: str) -> None:
        set_progress((percent, f"{label} ({percent}%)"))

    view, ok = check_upload(job, progress)
    return view, job.dataset_id if ok else None, not ok, _version()


clientside_callback(
    # Cancel empties the job store: Dash stops the running job as it starts the (empty) new one
    # (Dash's cancel= option is not used: its server callback would answer any client). The
    # cancelled job goes to _cancelled, which deletes a new upload again.
    """function(n, job) {
        const none = window.dash_clientside.no_update;
        if (!n || !job) { return [none, none]; }
        return [null, job];
    }""",
    Output(ID.job, "data"),
    Output(ID.cancelled, "data"),
    Input(ID.cancel, "n_clicks"),
    State(ID.job, "data"),
    prevent_initial_call=True,
)


@callback(
    Output(ID.upload_result, "children", allow_duplicate=True),
    Output(ID.upload_id, "data", allow_duplicate=True),
    Output(ID.use_upload, "disabled", allow_duplicate=True),
    Output(ID.version, "data", allow_duplicate=True),
    Input(ID.cancelled, "data"),
    prevent_initial_call=True,
)
def _cancelled(data: Any) -> tuple[Any, Any, bool, Any]:
    """After a cancelled check: a new upload is deleted again, an earlier one stays."""
    _shared.require_data_manager("the Data page")
    job = Job.from_data(data)
    if job is None:
        raise dash.exceptions.PreventUpdate
    if job.new:
        _delete_quietly(job.dataset_id)
        message = "Upload cancelled: nothing was stored."
        return dbc.Alert(message, color="secondary", id="upload-cancelled"), None, True, _version()
    message = "Checking stopped. " + job.note
    alert = dbc.Alert(message, color="secondary", id="upload-cancelled")
    return alert, dash.no_update, True, dash.no_update


@callback(
    Output(_shared.DATASET_STORE_ID, "data"),
    Input(ID.use_upload, "n_clicks"),
    Input(ID.use_default, "n_clicks"),
    Input({"type": ID.open, "dataset": ALL}, "n_clicks"),
    State(ID.upload_id, "data"),
    State(_shared.DATASET_STORE_ID, "data"),
    prevent_initial_call=True,
)
def _switch_dataset(
    use_upload: int | None,
    use_default: int | None,
    _opened: list[int | None],
    upload_id: str | None,
    current: str | None,
) -> str | None:
    """Open a dataset in this browser session (the session keeps its id only)."""
    _shared.require_data_manager("the Data page")
    # Returns the current id (not PreventUpdate) when nothing was clicked: Dash may run this on
    # page load, and a prevented update would stop the callbacks that read the dataset id.
    trigger = ctx.triggered_id
    clicked = bool(ctx.triggered and ctx.triggered[0].get("value"))
    if trigger == ID.use_default and use_default:
        return None
    chosen = None
    if trigger == ID.use_upload and use_upload and upload_id:
        chosen = upload_id
    elif isinstance(trigger, dict) and trigger.get("type") == ID.open and clicked:
        chosen = str(trigger.get("dataset"))
        if chosen == store.DEFAULT_ID:
            return None
    if chosen is None:
        return current
    try:
        return store.resolve_id(chosen)  # only an id this server holds
    except store.UnknownDatasetError as exc:
        dash.set_props(ID.datasets_note, {"children": dbc.Alert(str(exc), color="warning")})
        dash.set_props(ID.version, {"data": _version()})
        return current


@callback(
    Output(ID.rename_modal, "is_open"),
    Output(ID.rename_target, "data"),
    Output(ID.rename_name, "value"),
    Output(ID.rename_error, "children"),
    Input({"type": ID.rename, "dataset": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def _ask_rename(_clicks: list[int | None]) -> tuple[bool, str, str, str]:
    """Open the rename dialog for the dataset whose Rename was clicked."""
    _shared.require_data_manager("the Data page")
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0].get("value")):
        raise dash.exceptions.PreventUpdate
    dataset_id = str(trigger.get("dataset"))
    try:
        name = current_store().get_dataset(dataset_id).name
    except StateError:
        raise dash.exceptions.PreventUpdate from None
    return True, dataset_id, name, ""


@callback(
    Output(ID.rename_modal, "is_open", allow_duplicate=True),
    Output(ID.rename_error, "children", allow_duplicate=True),
    Output(ID.version, "data", allow_duplicate=True),
    Input(ID.rename_save, "n_clicks"),
    Input(ID.rename_name, "n_submit"),
    State(ID.rename_target, "data"),
    State(ID.rename_name, "value"),
    prevent_initial_call=True,
)
def _rename(_save: int | None, _submit: int | None, dataset_id: str | None, name: str | None):
    """Rename the dataset for the whole team; a taken or empty name is said in the dialog."""
    _shared.require_data_manager("the Data page")
    if not dataset_id:
        raise dash.exceptions.PreventUpdate
    try:
        store.rename_stored(dataset_id, name or "")
    except (StateError, store.UnknownDatasetError) as exc:
        return True, str(exc), dash.no_update
    return False, "", _version()


@callback(
    Output(ID.delete_modal, "is_open"),
    Output(ID.delete_target, "data"),
    Output(ID.delete_text, "children"),
    Input({"type": ID.delete, "dataset": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def _ask_delete(_clicks: list[int | None]) -> tuple[bool, str, str]:
    """Ask for confirmation before a dataset is deleted."""
    _shared.require_data_manager("the Data page")
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0].get("value")):
        raise dash.exceptions.PreventUpdate
    dataset_id = str(trigger.get("dataset"))
    try:
        record = current_store().get_dataset(dataset_id)
    except StateError:
        raise dash.exceptions.PreventUpdate from None
    text = (
        f"Delete “{record.name}” (stored by {record.created_by} on "
        f"{record.created_at:%Y-%m-%d %H:%M} UTC) for everyone on this server? Its files are "
        "removed; browsers using it go back to the default dataset. Scenarios saved on it keep "
        "their parameters."
    )
    return True, dataset_id, text


@callback(
    Output(ID.delete_modal, "is_open", allow_duplicate=True),
    Output(ID.version, "data", allow_duplicate=True),
    Output(_shared.DATASET_STORE_ID, "data", allow_duplicate=True),
    Input(ID.delete_confirm, "n_clicks"),
    State(ID.delete_target, "data"),
    State(_shared.DATASET_STORE_ID, "data"),
    prevent_initial_call=True,
)
def _delete(confirmed: int | None, dataset_id: str | None, current: str | None):
    """Delete the dataset (files and cached load); a session using it goes back to the
    default."""
    _shared.require_data_manager("the Data page")
    if not confirmed or not dataset_id:
        raise dash.exceptions.PreventUpdate
    _delete_quietly(dataset_id)
    return False, _version(), None if current == dataset_id else dash.no_update


clientside_callback(
    "function(n) { return n ? false : window.dash_clientside.no_update; }",
    Output(ID.rename_modal, "is_open", allow_duplicate=True),
    Input(ID.rename_cancel, "n_clicks"),
    prevent_initial_call=True,
)

clientside_callback(
    "function(n) { return n ? false : window.dash_clientside.no_update; }",
    Output(ID.delete_modal, "is_open", allow_duplicate=True),
    Input(ID.delete_cancel, "n_clicks"),
    prevent_initial_call=True,
)


@callback(
    Output(ID.download, "data", allow_duplicate=True),
    Input({"type": ID.rejected, "dataset": ALL, "file": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def _download_rejected(clicks: list[int | None]) -> dict[str, str]:
    _shared.require_data_manager("the Data page")
    trigger = ctx.triggered_id
    if not trigger or not any(clicks):
        raise dash.exceptions.PreventUpdate
    try:
        dataset = store.get_dataset(trigger["dataset"])
    except (store.UnknownDatasetError, DatasetLoadError):
        raise dash.exceptions.PreventUpdate from None
    text = dataset.report.rejected_csv(trigger["file"])
    if text is None:
        raise dash.exceptions.PreventUpdate
    _shared.audit(f"rejected rows of {trigger['file']}"[:200], None, str(trigger["dataset"]))
    return dict(content=text, filename=f"{trigger['file']}_rejected.csv", type="text/csv")


@callback(
    Output(ID.download, "data", allow_duplicate=True),
    Input({"type": ID.template, "name": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def _download_template(clicks: list[int | None]) -> dict[str, Any]:
    _shared.require_data_manager("the Data page")
    trigger = ctx.triggered_id
    if not trigger or not any(clicks or []):
        raise dash.exceptions.PreventUpdate
    allowed = {p.name: p for p in template_files()}
    path = allowed.get(trigger["name"])
    if path is None:  # only files listed by the server, never a path from the browser
        raise dash.exceptions.PreventUpdate
    return dcc.send_file(str(path))
