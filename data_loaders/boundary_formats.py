"""Boundary files as they are published: geoBoundaries, GADM, HDX COD-AB and DHIS2 org-unit
GeoJSON, recognised by their columns with no dataset.toml.

- geoBoundaries (``shapeName``, ``shapeISO``, ``shapeID``): district names from shapeName,
  codes from shapeISO (else shapeID), no region;
- GADM (``NAME_1``, ``GID_1``, ``NAME_2``, ...): NAME_L, region NAME_(L-1), codes GID_L;
- HDX COD-AB (``ADM1_EN``, ``ADM1_PCODE``, ``ADM2_EN``, ...): ADML_EN (or _FR, _PT, _ES, ...),
  region ADM(L-1)_EN, codes ADML_PCODE;
- DHIS2 org units (``id``, ``name``, ``level``, ``parent``): name, codes id (11-character uid).

L is the deepest level the file holds, or ``[boundaries] level`` in dataset.toml. The code of
each district is kept (``district_code``) so enrolment can name districts by P-code, GID or
DHIS2 org-unit id. A file with more than one DHIS2 level keeps the features of the chosen level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

# DHIS2 uids: a letter, then 10 letters or digits (DHIS2 CodeGenerator)
DHIS2_UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
_GADM = re.compile(r"^name_(\d)$", re.IGNORECASE)
_COD = re.compile(r"^adm(\d)_([a-z]{2})$", re.IGNORECASE)
_COD_PREFERRED_LANGUAGE = ("en", "fr", "pt", "es")


@dataclass(frozen=True)
class BoundaryFormat:
    """A recognised publisher's layout: which columns hold district and region names and the
    district code, and the admin level used."""

    publisher: str
    district_column: str
    region_column: str | None
    code_column: str | None
    level: int | None = None
    level_filter: str | None = None  # DHIS2: keep features whose level column equals ``level``

    def describe(self) -> str:
        """One line for the report: what was recognised and which columns are used."""
        level = f" level {self.level}" if self.level is not None else ""
        region = f', regions from "{self.region_column}"' if self.region_column else ""
        code = f', codes from "{self.code_column}"' if self.code_column else ""
        return (
            f"boundaries recognised as {self.publisher}{level}: district names from "
            f'"{self.district_column}"{region}{code}; set [boundaries] district_column (or '
            "level) in dataset.toml to choose otherwise"
        )


def _lower(columns: list[str]) -> dict[str, str]:
    return {str(c).lower(): str(c) for c in columns}


def _level(levels: list[int], wanted: Any) -> int | None:
    """The chosen level: ``wanted`` when the file has it, else the deepest; None when wanted is
    given but absent."""
    if wanted is None:
        return max(levels)
    return wanted if wanted in levels else None


def _geoboundaries(lower: dict[str, str], raw: pd.DataFrame) -> BoundaryFormat | None:
    if "shapename" not in lower or "shapeid" not in lower:
        return None
    iso = lower.get("shapeiso")
    # ADM2 files often leave shapeISO empty: the shapeID is then the only code
    has_iso = iso is not None and raw[iso].astype(str).str.strip().replace("None", "").ne("").all()
    code = iso if has_iso else lower["shapeid"]
    return BoundaryFormat("geoBoundaries", lower["shapename"], None, code)


def _gadm(lower: dict[str, str], wanted: Any) -> BoundaryFormat | None:
    levels = sorted(int(m.group(1)) for k in lower if (m := _GADM.match(k)))
    levels = [lv for lv in levels if lv >= 1]
    if not levels or not any(k.startswith("gid_") for k in lower):
        return None
    level = _level(levels, wanted)
    if level is None:
        return None
    region = lower.get(f"name_{level - 1}") if level > 1 else None
    return BoundaryFormat("GADM", lower[f"name_{level}"], region, lower.get(f"gid_{level}"), level)


def _cod_name(lower: dict[str, str], level: int) -> str | None:
    names = {
        m.group(2).lower(): v
        for k, v in lower.items()
        if (m := _COD.match(k)) and int(m.group(1)) == level and m.group(2).lower() != "pc"
    }
    for lang in _COD_PREFERRED_LANGUAGE:
        if lang in names:
            return names[lang]
    return next(iter(sorted(names.values())), None)


def _cod_ab(lower: dict[str, str], wanted: Any) -> BoundaryFormat | None:
    levels = sorted(int(k[3]) for k in lower if re.fullmatch(r"adm\d_pcode", k) and k[3] != "0")
    levels = [lv for lv in levels if _cod_name(lower, lv)]
    if not levels:
        return None
    level = _level(levels, wanted)
    if level is None:
        return None
    district = _cod_name(lower, level)
    assert district is not None  # levels keeps only those with a name column
    region = _cod_name(lower, level - 1) if level > 1 else None
    return BoundaryFormat("HDX COD-AB", district, region, lower[f"adm{level}_pcode"], level)


def _dhis2(lower: dict[str, str], raw: pd.DataFrame, wanted: Any) -> BoundaryFormat | None:
    if not {"id", "name", "level"} <= set(lower) or not (
        {"parent", "parentgraph", "path"} & set(lower)
    ):
        return None
    ids = raw[lower["id"]].astype(str)
    if not len(ids) or not ids.str.fullmatch(DHIS2_UID).all():
        return None
    levels = sorted(
        {int(v) for v in pd.to_numeric(raw[lower["level"]], errors="coerce").dropna().tolist()}
    )
    if not levels:
        return None
    level = _level(levels, wanted)
    if level is None:
        return None
    many = len(levels) > 1
    return BoundaryFormat(
        "DHIS2 org units", lower["name"], None, lower["id"], level, lower["level"] if many else None
    )


def recognise(raw: pd.DataFrame, level: Any = None) -> BoundaryFormat | None:
    """The publisher layout of boundary features ``raw`` (their attribute columns), or None.

    ``level`` is ``[boundaries] level`` of dataset.toml (an int) or None for the deepest.
    """
    lower = _lower([c for c in raw.columns if c != "geometry"])
    return (
        _dhis2(lower, raw, level)
        or _geoboundaries(lower, raw)
        or _gadm(lower, level)
        or _cod_ab(lower, level)
    )


def levels_available(raw: pd.DataFrame) -> list[int]:
    """The admin levels a GADM or COD-AB file holds (for a message when a level is absent)."""
    lower = _lower([c for c in raw.columns if c != "geometry"])
    found = {int(m.group(1)) for k in lower if (m := _GADM.match(k))}
    found |= {int(k[3]) for k in lower if re.fullmatch(r"adm\d_pcode", k)}
    if {"id", "name", "level"} <= set(lower):
        levels = pd.to_numeric(raw[lower["level"]], errors="coerce").dropna()
        found |= {int(v) for v in levels.tolist()}
    return sorted(lv for lv in found if lv >= 1)


def select_level(raw: pd.DataFrame, fmt: BoundaryFormat) -> tuple[pd.DataFrame, int]:
    """The features of ``fmt``'s level (DHIS2 files can hold several) and how many were left
    out."""
    if fmt.level_filter is None or fmt.level is None:
        return raw, 0
    keep = pd.to_numeric(raw[fmt.level_filter], errors="coerce").eq(fmt.level).to_numpy()
    return raw[keep], int((~keep).sum())
