"""Data page (/data): upload a dataset, read its validation report, switch this session to it.

Uploads are checked before parsing by services.uploads (size, type, zip contents) and
loaded by data_loaders.dataset; a bad file gets the report, never a crash. Rejected rows
download as CSV (text neutralised so no cell starts a formula, DESIGN.md s.4). Absent in
aggregate-only mode, and every callback here refuses when hotspot detail is not allowed.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from components import ui
from components.shell import ARIA_HIDDEN
from components.validation_view import counts_table, load_error_view, problems_table, verdict_text
from config import TEMPLATES_DIR
from data_loaders.safe_text import frame_to_csv
from pages import _shared
from services import datasets as store
from services.context import current_settings
from services.uploads import UploadError, UploadLimits, save_upload_files

dash.register_page(
    __name__,
    path="/data",
    name="Data",
    order=9,
    title="Data · KP coverage planner",
    description="Upload a dataset, check it, download templates",
    detail="hotspot",
)

TEMPLATE_SUFFIXES = (".csv", ".xlsx", ".toml", ".md")


class ID:
    """Component ids of this page."""

    current = "data-current-report"
    upload = "data-upload"
    upload_result = "data-upload-result"
    upload_id = "data-upload-id"
    use_upload = "data-use-upload"
    use_default = "data-use-default"
    download = "data-download"
    rejected = "data-rejected"  # pattern: {"type": rejected, "dataset": id, "file": name}
    template = "data-template"  # pattern: {"type": template, "name": file name}


def template_files() -> list[Path]:
    """The downloadable templates in data/templates (CSV, XLSX, dataset.toml, README)."""
    if not TEMPLATES_DIR.is_dir():
        return []
    return sorted(
        p for p in TEMPLATES_DIR.iterdir() if p.is_file() and p.suffix in TEMPLATE_SUFFIXES
    )


def layout(**_query: Any) -> html.Div:
    """Current dataset report, upload, templates (no data in the static layout)."""
    if not _shared.hotspot_detail_allowed():
        return _shared.not_available_view("Data")
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
                "Check the dataset in use, upload your own, download templates. "
                "A dataset is a folder of hotspots, sites, enrolment and boundaries files "
                "(CSV or XLSX; boundaries GeoJSON, GeoPackage or zipped Shapefile).",
            ),
            dcc.Download(id=ID.download),
            dcc.Store(id=ID.upload_id),
            dbc.Row(
                [
                    dbc.Col(in_use, lg=6, className="mb-3"),
                    dbc.Col([*_upload(max_mb), *_templates()], lg=6),
                ]
            ),
        ]
    )


def _upload(max_mb: int) -> list[Any]:
    """The upload box, its result and the button that switches the session to the upload."""
    drop_here: list[Any] = [
        html.I(className="bi bi-upload me-2", **ARIA_HIDDEN),
        "Drop the dataset files or one .zip here, or ",
        html.A("choose files", href="#", className="link-primary"),
    ]
    return [
        html.H2("Upload a dataset", className="h5"),
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
        dcc.Loading(html.Div(id=ID.upload_result), delay_show=300),
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


def report_view(dataset_id: str | None, *, title: str) -> dbc.Card | dbc.Alert:
    """Counts, every problem and rejected-row downloads of a dataset's validation report."""
    result = store.load_result(dataset_id)
    if isinstance(result, Exception):
        return load_error_view(result)
    report = result.report
    key = store.resolve_id(dataset_id)
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
    source = "default dataset" if key == store.DEFAULT_ID else "uploaded dataset"
    return dbc.Card(
        dbc.CardBody(
            [
                html.H3(f"{title}: {result.name}", className="h6"),
                html.P(
                    [
                        f"{source}" + (" · synthetic demo data" if result.synthetic else ""),
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


def save_and_register(
    names: list[str], contents: list[str], upload_dir: Path, limits: UploadLimits
) -> str:
    """Decode dcc.Upload contents, save them checked (services.uploads), return the dataset id."""
    files = []
    for name, content in zip(names, contents):
        try:
            _header, b64 = content.split(",", 1)
            files.append((name, base64.b64decode(b64, validate=True)))
        except (ValueError, binascii.Error) as exc:
            raise UploadError(f"{name} arrived damaged ({exc}); upload it again") from exc
    folder = save_upload_files(files, upload_dir, limits=limits)
    return store.register_folder(folder)


# --- callbacks --------------------------------------------------------------------------


@callback(Output(ID.current, "children"), Input(_shared.DATASET_STORE_ID, "data"))
def _current_report(dataset_id: str | None) -> dbc.Card | dbc.Alert:
    _shared.require_hotspot_detail("the Data page")
    try:
        return report_view(dataset_id, title="In use")
    except store.UnknownDatasetError as exc:
        return dbc.Alert(str(exc), color="warning")


@callback(
    Output(ID.upload_result, "children"), Output(ID.upload_id, "data"),
    Output(ID.use_upload, "disabled"),
    Input(ID.upload, "contents"), State(ID.upload, "filename"), prevent_initial_call=True,
)  # fmt: skip
def _uploaded(
    contents: list[str] | None, names: list[str] | None
) -> tuple[dbc.Card | dbc.Alert, str | None, bool]:
    _shared.require_hotspot_detail()
    if not contents:
        raise dash.exceptions.PreventUpdate
    settings = current_settings()
    limits = UploadLimits(max_file_bytes=settings.max_upload_mb * 1024 * 1024)
    try:
        dataset_id = save_and_register(
            list(names or []), list(contents), settings.upload_dir, limits
        )
    except UploadError as exc:
        return (
            dbc.Alert(
                [html.Strong("Upload refused. "), str(exc)], color="danger", id="upload-refused"
            ),
            None,
            True,
        )
    ok = not isinstance(store.load_result(dataset_id), Exception)
    return report_view(dataset_id, title="Uploaded"), dataset_id, not ok


@callback(
    Output(_shared.DATASET_STORE_ID, "data"),
    Input(ID.use_upload, "n_clicks"), Input(ID.use_default, "n_clicks"),
    State(ID.upload_id, "data"), State(_shared.DATASET_STORE_ID, "data"),
    prevent_initial_call=True,
)  # fmt: skip
def _switch_dataset(
    use_upload: int | None, use_default: int | None, upload_id: str | None, current: str | None
) -> str | None:
    _shared.require_hotspot_detail("the Data page")
    # Returns the current id (not PreventUpdate) when nothing was clicked: Dash may run this on
    # page load, and a prevented update would stop the callbacks that read the dataset id.
    if ctx.triggered_id == ID.use_default and use_default:
        return None
    if ctx.triggered_id == ID.use_upload and use_upload and upload_id:
        store.resolve_id(upload_id)  # raises for an id this server never made
        return upload_id
    return current


@callback(
    Output(ID.download, "data", allow_duplicate=True),
    Input({"type": ID.rejected, "dataset": ALL, "file": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def _download_rejected(clicks: list[int | None]) -> dict[str, str]:
    _shared.require_hotspot_detail()
    trigger = ctx.triggered_id
    if not trigger or not any(clicks):
        raise dash.exceptions.PreventUpdate
    dataset = store.get_dataset(trigger["dataset"])
    frame = dataset.report.rejected.get(trigger["file"])
    if frame is None:
        raise dash.exceptions.PreventUpdate
    text = frame_to_csv(frame)
    return dict(content=text, filename=f"rejected_{trigger['file']}.csv", type="text/csv")


@callback(
    Output(ID.download, "data", allow_duplicate=True),
    Input({"type": ID.template, "name": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def _download_template(clicks: list[int | None]) -> dict[str, Any]:
    _shared.require_hotspot_detail("the Data page")
    trigger = ctx.triggered_id
    if not trigger or not any(clicks or []):
        raise dash.exceptions.PreventUpdate
    allowed = {p.name: p for p in template_files()}
    path = allowed.get(trigger["name"])
    if path is None:  # only files listed by the server, never a path from the browser
        raise dash.exceptions.PreventUpdate
    return dcc.send_file(str(path))
