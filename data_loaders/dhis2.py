"""DHIS2 in: enrolment from a data value set (JSON or CSV) and org units mapped to districts.

A dataset folder may hold ``enrolment.json`` (``{"dataValues": [{"dataElement", "period",
"orgUnit", "categoryOptionCombo", "value"}, ...]}``) or its CSV form (``dataelement, period,
orgunit, categoryoptioncombo, value``, as DHIS2 writes it) in place of an enrolment table.
``dataset.toml`` names the data elements::

    [dhis2.data_elements]
    enrolled = "Xyz12345678"            # required; the others are optional
    contacted = "Abc12345678"
    condoms_distributed = "Def12345678"
    tested_hiv = "Ghi12345678"
    on_prep = "Jkl12345678.CocUid00001" # a data element operand: one category option combo

A data element's values are summed over its category option combos (age and sex
disaggregations) unless an operand ``de.coc`` picks one. Periods ``2024Q1`` and ``202401``
become ``2024-Q1`` and ``2024-01``. Each org unit is placed in a district by the boundaries' code
column (a DHIS2 org-unit GeoJSON's ids), else through ``org_units.json``
(``{"organisationUnits": [{"id", "name", "level", "path", "parent"}]}``): the org unit itself or
its nearest ancestor whose id or name is a district. Org units of one district are summed.
"Rows" of a data value set are its data values, numbered from 1 in the file's order.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data_loaders.readers import ReadError, TextTable, normalise_header, read_csv_text
from data_loaders.sniff import binary_kind, not_text_message

DATA_ELEMENT_KEYS = ("enrolled", "contacted", "condoms_distributed", "tested_hiv", "on_prep")
UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
ORG_UNITS_FILE = "org_units.json"
# DHIS2's CSV data value set headers (normalised) -> the JSON names
CSV_COLUMNS = {
    "dataelement": "dataElement",
    "period": "period",
    "orgunit": "orgUnit",
    "categoryoptioncombo": "categoryOptionCombo",
    "catoptcombo": "categoryOptionCombo",
    "value": "value",
}
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")


class Dhis2Error(ValueError):
    """A DHIS2 file or setting that cannot be used (the message names it and the fix)."""


def is_value_set_csv(headers: list[str]) -> bool:
    """True when a CSV's headers are those of a DHIS2 data value set."""
    keys = {normalise_header(h).replace("_", "") for h in headers}
    return {"dataelement", "period", "orgunit", "value"} <= keys


def dhis2_period(value: str) -> str:
    """DHIS2 period -> the planner's: 2024Q1 -> 2024-Q1, 202401 -> 2024-01; others unchanged
    (the enrolment check then names them)."""
    text = str(value).strip()
    if m := _QUARTER.match(text):
        return f"{m.group(1)}-Q{m.group(2)}"
    if m := _MONTH.match(text):
        return f"{m.group(1)}-{m.group(2)}"
    return text


def _read_json(path: Path, what: str) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Dhis2Error(f"{path.name}: cannot be read ({exc.strerror})") from exc
    kind = binary_kind(data)
    if kind is not None:
        raise Dhis2Error(not_text_message(path.name, kind, expected=what))
    try:
        return json.loads(data.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as exc:  # RecursionError: arrays nested too deep
        raise Dhis2Error(
            f"{path.name}: is not valid JSON ({exc}); export the {what} from DHIS2 again"
        ) from exc


def _json_list(path: Path, key: str, what: str, fix: str) -> list[Any]:
    """The list under ``key`` of a JSON file holding ``what``; Dhis2Error saying ``fix``."""
    data = _read_json(path, what)
    found = data.get(key) if isinstance(data, dict) else None
    if not isinstance(found, list):
        raise Dhis2Error(f'{path.name}: has no "{key}" list: {fix}')
    return found


def read_data_values(path: Path) -> pd.DataFrame:
    """The data values of a data value set file (JSON or CSV) as text: dataElement, period,
    orgUnit, categoryOptionCombo, value, and ``n`` (its number in the file, from 1)."""
    columns = ["dataElement", "period", "orgUnit", "categoryOptionCombo", "value"]
    if path.suffix.lower() == ".json":
        values = _json_list(
            path,
            "dataValues",
            "data value set",
            'export a data value set ({"dataValues": [{"dataElement", "period", "orgUnit", '
            '"value"}, ...]})',
        )
        rows = [
            [_text(v.get(c)) for c in columns] if isinstance(v, dict) else [""] * len(columns)
            for v in values
        ]
        frame = pd.DataFrame(rows, columns=columns, dtype=object)
        frame["n"] = np.arange(1, len(frame) + 1)
        return frame
    try:
        table = read_csv_text(path)
    except ReadError as exc:
        raise Dhis2Error(str(exc)) from exc
    keys = {
        normalise_header(h).replace("_", ""): k
        for h, k in zip(table.original_headers, table.frame.columns)
    }
    frame = pd.DataFrame(index=table.frame.index)
    for csv_key, name in CSV_COLUMNS.items():
        if csv_key in keys and name not in frame.columns:
            frame[name] = table.frame[keys[csv_key]]
    for name in columns:
        if name not in frame.columns:
            frame[name] = ""
    frame = frame[columns].astype(object)
    frame["n"] = np.asarray(table.rows, dtype="int64")
    return frame


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_org_units(path: Path) -> pd.DataFrame:
    """Org units (id, name, level, path, parent) of an ``organisationUnits`` JSON."""
    units = _json_list(
        path,
        "organisationUnits",
        "org units (organisationUnits JSON)",
        "export the org units from DHIS2 "
        "(api/organisationUnits.json?fields=id,name,level,path,parent&paging=false)",
    )
    rows = []
    for unit in units:
        if not isinstance(unit, dict):
            continue
        parent = unit.get("parent")
        parent_id = parent.get("id") if isinstance(parent, dict) else parent
        rows.append(
            {
                "id": _text(unit.get("id")),
                "name": _text(unit.get("name") or unit.get("displayName")),
                "level": _text(unit.get("level")),
                "path": _text(unit.get("path")),
                "parent": _text(parent_id),
            }
        )
    return pd.DataFrame(rows, columns=["id", "name", "level", "path", "parent"])


def data_elements(settings: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """``[dhis2.data_elements]``: key -> (data element uid, category option combo or None);
    raises Dhis2Error naming the key and the fix."""
    section = settings.get("dhis2")
    elements = section.get("data_elements") if isinstance(section, dict) else None
    if not isinstance(elements, dict) or "enrolled" not in elements:
        raise Dhis2Error(
            "the enrolment is a DHIS2 data value set, but dataset.toml names no data element "
            'for enrolled: add [dhis2.data_elements] enrolled = "<uid>" (and optionally '
            f"{', '.join(DATA_ELEMENT_KEYS[1:])})"
        )
    return operands(elements, "dhis2.data_elements", DATA_ELEMENT_KEYS, Dhis2Error)


def operands(
    elements: dict[str, Any],
    section: str,
    allowed: tuple[str, ...],
    error: type[Dhis2Error],
) -> dict[str, tuple[str, str | None]]:
    """A dataset.toml table of name = "dataElement" or "dataElement.categoryOptionCombo" as
    name -> (data element, combo or None); raises ``error`` naming the key, value and fix."""
    out: dict[str, tuple[str, str | None]] = {}
    for key, value in elements.items():
        if key not in allowed:
            raise error(f"dataset.toml [{section}] {key} is not one of {', '.join(allowed)}")
        parts = value.split(".") if isinstance(value, str) else []
        if not 1 <= len(parts) <= 2 or not all(UID.match(p) for p in parts):
            raise error(
                f"dataset.toml [{section}] {key} = {value!r} is not a DHIS2 uid (11 letters and "
                'digits, starting with a letter, e.g. "fbfJHSPpUQD"), nor an operand '
                '"dataElement.categoryOptionCombo"'
            )
        out[key] = (parts[0], parts[1] if len(parts) == 2 else None)
    return out


def _district_of_units(
    units: list[str],
    org_units: pd.DataFrame | None,
    codes: dict[str, str],
    names: dict[str, str],
) -> tuple[dict[str, str], dict[str, str]]:
    """Org unit -> district (the boundaries' spelling) where it can be placed, and org unit ->
    its name (for the messages of those that cannot)."""
    name_of: dict[str, str] = {}
    ancestors: dict[str, list[str]] = {}
    if org_units is not None:
        name_of = dict(zip(org_units["id"], org_units["name"]))
        for uid, path, parent in zip(org_units["id"], org_units["path"], org_units["parent"]):
            chain = [p for p in path.split("/") if p] if path else []
            if not chain and parent:  # no path: walk the parents
                chain, seen = [uid], {uid}
                parent_of = dict(zip(org_units["id"], org_units["parent"]))
                step = parent
                while step and step not in seen:
                    chain.insert(0, step)
                    seen.add(step)
                    step = parent_of.get(step, "")
            ancestors[uid] = list(reversed(chain)) if chain else [uid]
    placed: dict[str, str] = {}
    for unit in units:
        for candidate in ancestors.get(unit, [unit]):
            if candidate.casefold() in codes:
                placed[unit] = codes[candidate.casefold()]
                break
            name = name_of.get(candidate, "")
            if name and name.casefold() in names:
                placed[unit] = names[name.casefold()]
                break
    return placed, name_of


def enrolment_table(
    values: pd.DataFrame,
    elements: dict[str, tuple[str, str | None]],
    org_units: pd.DataFrame | None,
    boundaries: pd.DataFrame | None,
) -> tuple[TextTable, list[str]]:
    """The enrolment rows of the data values (one per period and district, org units summed),
    as an enrolment text table whose rows are numbered by their first data value; and notes."""
    notes: list[str] = []
    wanted = {de: key for key, (de, _) in elements.items()}
    is_wanted = values["dataElement"].isin(list(wanted))
    for de, coc in elements.values():
        if coc is not None:
            is_wanted &= ~(values["dataElement"].eq(de) & values["categoryOptionCombo"].ne(coc))
    other = int((~is_wanted).sum())
    if other:
        others = values.loc[~is_wanted, "dataElement"].value_counts().head(5)
        shown = ", ".join(f"{de} ({n})" for de, n in others.items())
        notes.append(
            f"{other} data value(s) of data elements not named in [dhis2.data_elements] left out "
            f"(e.g. {shown})"
        )
    used = values[is_wanted].copy()
    used["key"] = used["dataElement"].map(wanted)
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    if boundaries is not None:
        names = {str(d).casefold(): str(d) for d in boundaries["district"]}
        if "district_code" in boundaries.columns:
            codes = {
                str(c).casefold(): str(d)
                for c, d in zip(boundaries["district_code"], boundaries["district"])
                if c
            }
    placed, name_of = _district_of_units(
        sorted(set(used["orgUnit"])), org_units, codes, names
    )  # fmt: skip
    # placed in a district, else its name (or id) so the enrolment check names what is unknown
    used["district"] = used["orgUnit"].map(lambda u: placed.get(u) or name_of.get(u) or u)
    used["period_text"] = used["period"].map(dhis2_period)
    rows = []
    for (period, district), group in used.groupby(["period_text", "district"], sort=False):
        row: dict[str, Any] = {"period": period, "district": district}
        for key in DATA_ELEMENT_KEYS:
            cells = group.loc[group["key"].eq(key), "value"].tolist()
            row[key] = _sum_text(cells)
        row["org_unit"] = ";".join(dict.fromkeys(group["orgUnit"]))
        row["dhis2_period"] = ";".join(dict.fromkeys(group["period"]))
        row["n"] = int(group["n"].min())
        rows.append(row)
    frame = pd.DataFrame(
        rows, columns=["period", "district", *DATA_ELEMENT_KEYS, "org_unit", "dhis2_period", "n"]
    )
    frame = frame.sort_values("n", kind="stable").reset_index(drop=True)
    numbers = frame.pop("n").astype("int64").tolist()
    summed = len(used) - len(frame)
    if summed > 0:
        notes.append(
            f"{len(used)} data value(s) summed into {len(frame)} enrolment row(s) (category "
            "option combos, and org units of one district); each row is numbered by its first "
            "data value"
        )
    source = pd.DataFrame(
        {
            "period": frame["dhis2_period"],
            "orgUnit": frame["org_unit"],
            "district": frame["district"],
            **{
                f"{key} ({elements[key][0]})": frame[key]
                for key in DATA_ELEMENT_KEYS
                if key in elements
            },
        }
    )
    frame = frame.drop(columns=[k for k in DATA_ELEMENT_KEYS if k not in elements]).astype(object)
    table = TextTable(
        frame,
        numbers,
        list(frame.columns),
        "utf-8",
        "",
        "",
        source=source.astype(object),
    )
    return table, notes


def _sum_text(cells: list[str]) -> str:
    """Values of one data element in one row summed; text kept (joined) when one is not a
    number, so the enrolment check names it."""
    present = [c for c in cells if c != ""]
    if not present:
        return ""
    numbers = pd.to_numeric(pd.Series(present), errors="coerce")
    if numbers.isna().any():
        return ";".join(present)
    total = float(numbers.sum())
    return str(int(total)) if total.is_integer() else str(total)


def org_units_file(folder: Path) -> Path | None:
    """``org_units.json`` of a dataset folder (any case), or None."""
    return next(
        (p for p in folder.iterdir() if p.is_file() and p.name.lower() == ORG_UNITS_FILE), None
    )


def org_unit_ids(boundaries: pd.DataFrame, folder: Path | None) -> dict[str, str]:
    """District -> DHIS2 org unit id: the boundaries' code where it is a uid (boundaries from
    DHIS2), else the org unit of ``folder``'s org_units.json with the district's name (at the
    level where most district names are found). Raises Dhis2Error for an unreadable file."""
    out: dict[str, str] = {}
    if "district_code" in boundaries.columns:
        out = {
            str(d): str(c)
            for d, c in zip(boundaries["district"], boundaries["district_code"])
            if UID.match(str(c))
        }
    path = org_units_file(folder) if folder is not None and folder.is_dir() else None
    if path is None or len(out) == len(boundaries):
        return out
    units = read_org_units(path)
    wanted = {str(d).casefold(): str(d) for d in boundaries["district"] if str(d) not in out}
    units = units[units["name"].str.casefold().isin(wanted) & units["id"].str.match(UID)]
    if units.empty:
        return out
    best_level = units["level"].value_counts().idxmax()  # the districts' level
    for uid, name in zip(units["id"], units["name"]):
        if units.loc[units["id"].eq(uid), "level"].iat[0] == best_level:
            out.setdefault(wanted[name.casefold()], uid)
    return out
