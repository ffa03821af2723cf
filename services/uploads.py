"""Check uploaded dataset files before anyone parses them (size, type, zip contents; never
executed), then store them in the server state (services.state) under a name the team sees.

DESIGN.md section 4: "Uploaded files are checked before parsing (size, type, zip contents) and
never executed". Accepts several files, or one .zip holding the dataset folder. Zip members are
read one by one with size limits (no extractall), names are reduced to their base name, and only
the dataset's own file names are kept. The only nested archive allowed is a zipped Shapefile
named boundaries.zip. XLSX files (zip archives themselves) are checked for their uncompressed size.

``store_upload`` stores the checked files with ``StateStore.store_dataset``: deduplicated by
content (the same files give the same id, which the browser keeps), durable before it returns,
shared with every worker process and the team. Validation (loading) is the caller's next step.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import tomllib
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath

from data_loaders.readers import BOUNDARY_SUFFIXES, TABLE_SUFFIXES
from services.state import (
    MAX_NAME_CHARS,
    DatasetRecord,
    NameTakenError,
    NotStoredError,
    StateStore,
    dataset_content_id,
)

log = logging.getLogger(__name__)

DATASET_STEMS = ("hotspots", "sites", "enrolment", "boundaries")
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
ALLOWED_SUFFIXES = {
    "hotspots": TABLE_SUFFIXES,
    "sites": TABLE_SUFFIXES,
    "enrolment": (*TABLE_SUFFIXES, ".json"),  # .json: a DHIS2 data value set
    "boundaries": BOUNDARY_SUFFIXES,
    "dataset": (".toml",),
    "org_units": (".json",),  # DHIS2 org units placing enrolment's org units in districts
}


class UploadError(ValueError):
    """An upload was refused; the message names the file and says how to fix it."""


@dataclass(frozen=True)
class UploadLimits:
    """Limits on an upload (defaults fit a national dataset; config.Settings.max_upload_mb
    overrides)."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024
    max_files: int = 20


def _target_name(name: str) -> str:
    """The dataset file name an uploaded name maps to; raises UploadError for anything else."""
    base = PurePosixPath(name.replace("\\", "/")).name
    if not base or base in (".", ".."):
        raise UploadError(
            f'file name "{name}" is empty: name files hotspots.csv, sites.csv, '
            "enrolment.csv, boundaries.geojson"
        )
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        raise UploadError(
            f'file "{base}" has no extension: use .csv, .xlsx, .geojson, .gpkg, .zip or .toml'
        )
    key = stem.lower()
    suffix = "." + suffix.lower()
    if key not in ALLOWED_SUFFIXES:
        raise UploadError(
            f'file "{base}" is not part of a dataset: name the files hotspots, '
            "sites, enrolment and boundaries (and optionally dataset.toml)"
        )
    if suffix not in ALLOWED_SUFFIXES[key]:
        raise UploadError(
            f'file "{base}" has extension {suffix}, not one of '
            f"{', '.join(ALLOWED_SUFFIXES[key])}: save it in one of those formats"
        )
    return f"{key}{suffix}"


def _is_link(info: zipfile.ZipInfo) -> bool:
    return (info.external_attr >> 16) & 0o170000 == 0o120000


def _check_archive_member(info: zipfile.ZipInfo, archive: str) -> None:
    """Refuse absolute paths, '..' components and symbolic links inside a zip."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in name.split("/"):
        raise UploadError(
            f'{archive} holds "{info.filename}", a path outside the archive: zip '
            "the dataset files again without folders that climb out ('..')"
        )
    if _is_link(info):
        raise UploadError(
            f'{archive} holds "{info.filename}", a symbolic link: zip the files themselves'
        )


XLSX_MAX_ENTRIES = 1000  # a workbook is a zip of many small XML parts


def _check_zip(data: bytes, name: str, limits: UploadLimits, *, kind: str) -> None:
    """Check a zip (kind "archive", "shapefile" or "xlsx") before anyone parses it."""
    shapefile = kind == "shapefile"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise UploadError(f"{name} is not a readable zip/xlsx file ({exc}): save it again") from exc
    max_entries = XLSX_MAX_ENTRIES if kind == "xlsx" else limits.max_files
    if len(infos) > max_entries:
        raise UploadError(
            f"{name} holds {len(infos)} entries (limit {max_entries}): zip only the dataset files"
        )
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        raise UploadError(
            f"{name} expands to {total / 1e6:.1f} MB (limit "
            f"{limits.max_total_bytes / 1e6:.0f} MB): upload a smaller file"
        )
    for info in infos:
        _check_archive_member(info, name)
        if shapefile and not info.is_dir():
            suffix = PurePosixPath(info.filename).suffix.lower()
            if suffix not in SHAPEFILE_PARTS and not PurePosixPath(info.filename).name.startswith(
                "."
            ):
                raise UploadError(
                    f'{name} holds "{info.filename}": a zipped Shapefile may only '
                    f"hold {', '.join(SHAPEFILE_PARTS)} files"
                )


def _checked_files(files: list[tuple[str, bytes]], limits: UploadLimits) -> dict[str, bytes]:
    """Name-checked, size-checked files keyed by their dataset file name."""
    if not files:
        raise UploadError("no files were uploaded: choose the dataset files or one .zip")
    if len(files) > limits.max_files:
        raise UploadError(
            f"{len(files)} files uploaded (limit {limits.max_files}): upload only the dataset files"
        )
    out: dict[str, bytes] = {}
    total = 0
    for name, data in files:
        if len(data) > limits.max_file_bytes:
            raise UploadError(
                f"{name} is {len(data) / 1e6:.1f} MB (limit "
                f"{limits.max_file_bytes / 1e6:.0f} MB): upload a smaller file"
            )
        total += len(data)
        if total > limits.max_total_bytes:
            raise UploadError(
                f"the upload is over {limits.max_total_bytes / 1e6:.0f} MB in total: "
                "upload fewer or smaller files"
            )
        target = _target_name(name)
        stem = target.rsplit(".", 1)[0]
        if any(k.rsplit(".", 1)[0] == stem for k in out):
            raise UploadError(f"two {stem} files uploaded ({name} and another): upload one")
        if target.endswith((".zip", ".xlsx")):
            _check_zip(data, name, limits, kind="shapefile" if target.endswith(".zip") else "xlsx")
        out[target] = data
    return out


def _unpack_dataset_zip(name: str, data: bytes, limits: UploadLimits) -> list[tuple[str, bytes]]:
    """The dataset files inside an uploaded .zip (folders flattened; OS clutter skipped)."""
    _check_zip(data, name, limits, kind="archive")
    members: list[tuple[str, bytes]] = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            base = PurePosixPath(info.filename.replace("\\", "/")).name
            if info.is_dir() or "__MACOSX" in info.filename or base.startswith(".") or not base:
                continue
            suffix = PurePosixPath(base).suffix.lower()
            if suffix == ".zip" and PurePosixPath(base).stem.lower() != "boundaries":
                raise UploadError(
                    f'{name} holds another archive "{info.filename}": only a zipped '
                    "Shapefile named boundaries.zip may be nested"
                )
            if info.file_size > limits.max_file_bytes:
                raise UploadError(
                    f'{name}: "{info.filename}" expands to {info.file_size / 1e6:.1f} '
                    f"MB (limit {limits.max_file_bytes / 1e6:.0f} MB)"
                )
            with zf.open(info) as fh:  # read at most the declared size + 1 byte
                content = fh.read(limits.max_file_bytes + 1)
            if len(content) > limits.max_file_bytes:
                raise UploadError(f'{name}: "{info.filename}" is larger than it declares: refused')
            members.append((base, content))
    if not members:
        raise UploadError(f"{name} holds no files: zip hotspots, sites, enrolment and boundaries")
    return members


def check_upload_files(
    files: list[tuple[str, bytes]], *, limits: UploadLimits = UploadLimits()
) -> dict[str, bytes]:
    """The checked dataset files of an upload of (name, bytes) pairs, keyed by their dataset
    file name (hotspots.csv, boundaries.geojson, ...).

    One .zip not named boundaries.zip is treated as the whole dataset and unpacked (checked
    first); otherwise each file must be hotspots/sites/enrolment/boundaries/dataset.toml with an
    allowed extension. Raises UploadError when anything is refused.
    """
    if (
        len(files) == 1
        and files[0][0].lower().endswith(".zip")
        and PurePosixPath(files[0][0].replace("\\", "/")).stem.lower() != "boundaries"
    ):
        name, data = files[0]
        if len(data) > limits.max_file_bytes:
            raise UploadError(
                f"{name} is {len(data) / 1e6:.1f} MB (limit "
                f"{limits.max_file_bytes / 1e6:.0f} MB): upload a smaller file"
            )
        files = _unpack_dataset_zip(name, data, limits)
    try:
        return _checked_files(files, limits)
    except UploadError as exc:
        log.warning(
            "upload refused (%d files, %.1f MB): %s",
            len(files),
            sum(len(d) for _, d in files) / 1e6,
            exc,
        )
        raise


def decode_data_urls(
    names: list[str], contents: list[str], *, limits: UploadLimits = UploadLimits()
) -> list[tuple[str, bytes]]:
    """The (name, bytes) of files a browser sent as data URLs ("data:...;base64,...", what
    dcc.Upload gives); a file above the size limit is refused from its encoded length, before
    it is decoded."""
    if len(names) != len(contents):
        raise UploadError("the upload arrived incomplete (names and files differ); upload again")
    if len(contents) > limits.max_files:
        raise UploadError(
            f"{len(contents)} files uploaded (limit {limits.max_files}): "
            "upload only the dataset files"
        )
    files = []
    for name, content in zip(names, contents):
        _header, comma, encoded = content.partition(",")
        if not comma:
            raise UploadError(f"{name} arrived damaged (no data); upload it again")
        at_least = len(encoded) // 4 * 3 - 2  # base64: 4 characters per 3 bytes, at most 2 pad
        if at_least > limits.max_file_bytes:
            raise UploadError(
                f"{name} is {at_least / 1e6:.1f} MB (limit "
                f"{limits.max_file_bytes / 1e6:.0f} MB): upload a smaller file"
            )
        try:
            files.append((name, base64.b64decode(encoded, validate=True)))
        except (ValueError, binascii.Error) as exc:
            raise UploadError(f"{name} arrived damaged ({exc}); upload it again") from exc
    return files


# Who stores an upload until planner accounts exist (issue 13).
LOCAL_USER = "local user"
# A taken name gets " (2)", " (3)", ... up to this number before the upload is refused.
MAX_NAME_SUFFIX = 20


@dataclass(frozen=True)
class StoredUpload:
    """An upload stored in the server state.

    ``new`` is False when the same files were stored already (``record`` is that dataset, under
    its existing name); ``asked_name`` is the name asked for (``record.name`` differs when it was
    taken, or the files were stored before).
    """

    record: DatasetRecord
    new: bool
    asked_name: str


def dataset_toml_name(files: dict[str, bytes]) -> str | None:
    """The ``[dataset] name`` of an uploaded dataset.toml, if it has a readable one."""
    data = files.get("dataset.toml")
    if data is None:
        return None
    try:
        meta = tomllib.loads(data.decode("utf-8-sig")).get("dataset", {})
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # the loader reports the problem with the file
    name = meta.get("name") if isinstance(meta, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def _name_candidates(name: str) -> list[str]:
    """``name``, then ``name (2)`` ... ``name (MAX_NAME_SUFFIX)``, each within MAX_NAME_CHARS."""
    out = [name]
    for n in range(2, MAX_NAME_SUFFIX + 1):
        suffix = f" ({n})"
        out.append(name[: MAX_NAME_CHARS - len(suffix)].rstrip() + suffix)
    return out


def store_upload(
    files: list[tuple[str, bytes]],
    name: str | None,
    created_by: str,
    store: StateStore,
    *,
    limits: UploadLimits = UploadLimits(),
) -> StoredUpload:
    """Check an upload (``check_upload_files``) and store it in ``store``, durably, as dataset
    ``name`` (blank: the dataset.toml name, else "upload <date time> UTC"; a name another
    dataset holds gets " (2)", " (3)", ...).

    The same files give the same id: when they are stored already, that dataset is returned
    (``new`` False). Raises UploadError for refused files or when every candidate name is
    taken, services.state.StateError for a bad name or a store that cannot be written.
    """
    checked = check_upload_files(files, limits=limits)
    asked = (name or "").strip() or dataset_toml_name(checked) or _upload_name()
    try:
        existing: DatasetRecord | None = store.get_dataset(dataset_content_id(checked))
    except NotStoredError:
        existing = None
    if existing is not None:
        record = store.store_dataset(checked, existing.name, created_by)
        log.info("upload already stored as dataset %s", record.id[:12])
        return StoredUpload(record, new=False, asked_name=asked)
    for candidate in _name_candidates(asked):
        try:
            record = store.store_dataset(checked, candidate, created_by)
        except NameTakenError:
            continue
        log.info(
            "upload stored as dataset %s: %d files, %.1f MB",
            record.id[:12],
            len(checked),
            record.size_bytes / 1e6,
        )
        return StoredUpload(record, new=True, asked_name=asked)
    raise UploadError(
        f'the dataset names "{asked}" to "{_name_candidates(asked)[-1]}" are all taken: '
        "choose another name, or delete or rename datasets the team no longer needs"
    )


def _upload_name() -> str:
    return f"upload {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
