"""Fuzz every reader of a dataset (tables as CSV, XLSX, Kobo exports, DHIS2 JSON/CSV, org units,
dataset.toml, boundaries) and check that no input crashes and counts add up.

    python bench/fuzz_loaders.py                  # 100,000 cases, seed 15
    python bench/fuzz_loaders.py --cases 2000 --seed 3

Each case is one file written to a scratch folder: a seed file with random byte edits (flips,
inserts of awkward tokens, cuts, BOMs), random bytes, a table of random headers and cells, an XLSX
workbook, or a dataset.toml of random sections, keys and values. Checked per case: no exception
escapes; for each file, accepted + rejected = rows read; the rejected-rows CSV holds exactly the
rejected rows; no message names the scratch folder. Prints counts per kind, crashes (with the
first few), rows read and the time per case. tests/data_loaders/test_fuzz.py runs the same
harness under hypothesis in CI.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import shutil
import sys
import tempfile
import time
import tomllib
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import geopandas as gpd
from shapely.geometry import box

from data_loaders.dataset import check_boundaries_file, check_table_file
from data_loaders.validation import ValidationReport

# --- seed files -------------------------------------------------------------------------------
HOTSPOTS = (
    "hotspot_id,name,latitude,longitude,typology,typical_min,typical_max,peak_min,peak_max,"
    "district,population,peak_days,peak_times,mapped_on\r\n"
    "HS-1,Bar A,-17.5,30.5,bar,5,10,8,15,Harare,,Fri;Sat,evening,2025-03-14\r\n"
    'HS-2,"Street, B",-17.4,31.5,street,1,3,2,6,Mutare,MSM,Sat,18-24;0-2,14/03/2025\r\n'
    "HS-3,Lodge C,-20.5,28.5,lodge,0,4,3,9,,FSW,daily,night,\r\n"
)
KOBO = (
    "start,spot/spot_code,spot/typology,spot/location,spot/_location_latitude,"
    "spot/_location_longitude,counts/typical_min,counts/typical_max,counts/peak_min,"
    "counts/peak_max,timing/peak_days,_id,_uuid,_submission_time,_index\r\n"
    "2025-03-14T18:00:00,K-1,bar,-17.5 30.5 0 0,-17.5,30.5,1,2,3,4,Fri Sat,1,u1,"
    "2025-03-14T18:25:31,1\r\n"
    "2025-03-14T18:00:00,K-2,street,-17.4 31.5 0 0,-17.4,31.5,1,2,3,x,Sat,2,u2,"
    "2025-03-15T18:25:31,2\r\n"
)
SITES = (
    "site_id,name,latitude,longitude,site_type,services\r\n"
    "S-1,Clinic,-17.6,30.6,clinic,condoms;hts\r\nS-2,DIC,-17.3,31.3,drop_in_centre,prep\r\n"
)
ENROLMENT = (
    "period,hotspot_id,site_id,district,enrolled,contacted\r\n"
    "2025-Q3,,,Harare,12,30\r\n2025-09,,,Mutare,4,\r\n2025-Q3,,,Bulawayo,-1,x\r\n"
)
DHIS2_SETTINGS = '[dhis2.data_elements]\nenrolled = "EnrolKP0001"\ncontacted = "ContKP00002"\n'
DHIS2_JSON = json.dumps(
    {
        "dataValues": [
            {"dataElement": "EnrolKP0001", "period": "2024Q1", "orgUnit": "HarareDist1",
             "categoryOptionCombo": "CocMale0001", "value": "30"},
            {"dataElement": "ContKP00002", "period": "202401", "orgUnit": "MutareDist1",
             "value": "7"},
            {"dataElement": "EnrolKP0001", "period": "2024Q1", "orgUnit": "Zzzzzzzzzz1",
             "value": "x"},
        ]
    }
)  # fmt: skip
DHIS2_CSV = (
    "dataelement,period,orgunit,categoryoptioncombo,value\r\n"
    "EnrolKP0001,2024Q1,HarareDist1,CocMale0001,30\r\nEnrolKP0001,202402,MutareDist1,,5\r\n"
)
ORG_UNITS = json.dumps(
    {
        "organisationUnits": [
            {"id": "HarareDist1", "name": "Harare", "level": 2, "path": "/ZimbabweOU1/HarareDist1"},
            {"id": "MutareDist1", "name": "Mutare", "level": 2, "parent": {"id": "ZimbabweOU1"}},
        ]
    }
)
DISTRICTS = [
    ("Harare", "Mashonaland", (30.0, -18.0, 31.0, -17.0)),
    ("Mutare", "Manicaland", (31.0, -18.0, 32.0, -17.0)),
    ("Bulawayo", "Matabeleland", (28.0, -21.0, 29.0, -20.0)),
]


def boundaries_frame() -> gpd.GeoDataFrame:
    """The three district squares of the loader tests (WGS84)."""
    return gpd.GeoDataFrame(
        {"district": [d[0] for d in DISTRICTS], "region": [d[1] for d in DISTRICTS]},
        geometry=[box(*d[2]) for d in DISTRICTS],
        crs="EPSG:4326",
    )


BOUNDARIES = boundaries_frame().to_json()
GADM = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"GID_1": f"Z.{i}_1", "NAME_1": r,
             "GID_2": f"Z.{i}.1_1", "NAME_2": d},
             "geometry": {"type": "Polygon", "coordinates": [[[b[0], b[1]], [b[2], b[1]],
                                                              [b[2], b[3]], [b[0], b[1]]]]}}
            for i, (d, r, b) in enumerate(DISTRICTS)
        ],
    }
)  # fmt: skip
# (file written, seed text, dataset.toml text used with it)
SEEDS: list[tuple[str, str, str]] = [
    ("hotspots.csv", HOTSPOTS, ""),
    ("hotspots.csv", KOBO, ""),
    ("hotspots.csv", KOBO, '[hotspots.columns]\nhotspot_id = "spot/spot_code"\n'),
    ("sites.csv", SITES, ""),
    ("enrolment.csv", ENROLMENT, ""),
    ("enrolment.json", DHIS2_JSON, DHIS2_SETTINGS),
    ("enrolment.csv", DHIS2_CSV, DHIS2_SETTINGS),
    ("org_units.json", ORG_UNITS, DHIS2_SETTINGS),
    ("boundaries.geojson", BOUNDARIES, ""),
    ("boundaries.geojson", GADM, ""),
]
TOKENS = [
    b"", b"\x00", b'"', b'""', b"\r", b"\n", b"\r\n", b",", b";", b"\t", b"=", b"-", b"+",
    b"@", b"'", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xe9", b"\xc3\xa9", b"1e999",
    b"NaN", b"-0", b"9" * 40, b"[", b"]", b"{", b"}", b"/", b".", b"_id", b"null", b"\\",
    b"2024Q5", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"=cmd|' /C calc'!A0", b"\xf0\x9f\x98\x80",
]  # fmt: skip
HEADERS = [
    "hotspot_id", "name", "latitude", "longitude", "typology", "typical_min", "typical_max",
    "peak_min", "peak_max", "district", "population", "peak_days", "peak_times", "mapped_on",
    "site_id", "site_type", "services", "period", "enrolled", "contacted", "spot/spot_code",
    "spot/location", "_geolocation", "_uuid", "_submission_time", "_index", "dataelement",
    "orgunit", "value", "", "Latitude ", "PEAK-MIN", "problem",
]  # fmt: skip
CELLS = [
    "", " ", "-9.69737", "'-9.71293", "93.1", "-17.5", "30.5", "12,5", "1e400", "nan", "x",
    "=1+1", "-5", "Harare", "harare", "Fri-Sun", "6pm-2am", "2025-Q3", "202401", "2024Q1",
    "[-17.5, 30.5]", "-17.5 30.5 0 0", "[null, null]", "HS-1", "0", "18-18", "Chégutu",
    "a\nb", '"', "\t", "\u202e", "9" * 30,
]  # fmt: skip
TOML_SECTIONS = [
    "boundaries", "crs", "sheets", "dataset", "hotspots.columns", "sites.columns",
    "dhis2.data_elements", "dhis2", "hotspots", "parameters",
]  # fmt: skip
TOML_KEYS = [
    "district_column", "region_column", "code_column", "level", "projected", "hotspots",
    "name", "hotspot_id", "latitude", "geopoint", "enrolled", "columns", "data_elements",
    "typology", "peak_min", "x",
]  # fmt: skip
TOML_VALUES = [
    "3", "0", "-1", "2", "1.5", "true", '"district"', '"NAME_2"', '"nope"', '"EPSG:4326"',
    '"EPSG:32736"', '"EnrolKP0001"', '"spot/spot_code"', '""', "[1, 2]", '["a"]', "{a = 1}",
    '"EPSG:999999"', "1979-05-27", '"\\u0000"',
]  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One fuzz input: the file written, its bytes and the dataset.toml text used with it."""

    kind: str
    name: str
    data: bytes
    settings: str = ""


@dataclass
class Outcome:
    """What one case did: rows read, accepted, rejected; refused (fatal); a crash."""

    kind: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    refused: bool = False
    crash: str | None = None
    validated: bool = True  # every row checked (else read and column checks only)


@dataclass
class Totals:
    """Counts over many cases."""

    cases: Counter[str] = field(default_factory=Counter)
    validated: int = 0
    refused: int = 0
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    crashes: list[tuple[Case, str]] = field(default_factory=list)

    def add(self, case: Case, outcome: Outcome) -> None:
        self.cases[case.kind] += 1
        self.validated += outcome.validated
        self.refused += outcome.refused
        self.rows += outcome.rows
        self.accepted += outcome.accepted
        self.rejected += outcome.rejected
        if outcome.crash is not None:
            self.crashes.append((case, outcome.crash))


# --- the harness ------------------------------------------------------------------------------
def _check_report(report: ValidationReport, folder: Path, outcome: Outcome) -> None:
    """Invariants of a report: counts add up, rejected CSV = rejected rows, no scratch path."""
    for file, counts in report.files.items():
        if counts.accepted + counts.rejected != counts.rows:
            raise AssertionError(f"{file}: {counts.accepted} + {counts.rejected} != {counts.rows}")
        if file == "boundaries":
            continue
        outcome.rows += counts.rows
        outcome.accepted += counts.accepted
        outcome.rejected += counts.rejected
        text = report.rejected_csv(file) if counts.rejected else None
        if text is not None:
            back = list(csv.reader(io.StringIO(text)))
            if len(back) - 1 != counts.rejected:
                raise AssertionError(
                    f"{file}: rejected CSV {len(back) - 1} rows != {counts.rejected}"
                )
    for p in report.problems:
        if str(folder) in p.message or str(folder) in p.value:
            raise AssertionError(f"a message names the scratch folder: {p.message[:120]}")
    outcome.refused = outcome.refused or bool(report.fatal_problems())


def run_case(
    case: Case, folder: Path, boundaries: gpd.GeoDataFrame, *, rows: bool = True
) -> Outcome:
    """Run one case in ``folder`` (emptied first) against ``boundaries``; never raises.
    ``rows=False``: read the file and check its columns only (the reader tier), else validate
    every row too."""
    outcome = Outcome(case.kind, validated=rows)
    for entry in folder.iterdir():
        entry.unlink()
    try:
        try:
            settings: dict[str, Any] = tomllib.loads(case.settings) if case.settings else {}
        except tomllib.TOMLDecodeError:
            outcome.refused = True  # the loader reports it as a fatal problem
            return outcome
        path = folder / case.name
        path.write_bytes(case.data)
        stem = case.name.split(".")[0]
        if stem == "boundaries":
            _, report = check_boundaries_file(path, settings)
            _check_report(report, folder, outcome)
            return outcome
        if stem == "org_units":
            (folder / "enrolment.json").write_text(DHIS2_JSON, encoding="utf-8")
            path, stem = folder / "enrolment.json", "enrolment"
        if case.kind == "dataset.toml":  # settings reach the boundaries and the tables
            (folder / "b.geojson").write_text(BOUNDARIES, encoding="utf-8")
            _, report = check_boundaries_file(folder / "b.geojson", settings)
            _check_report(report, folder, outcome)
        report = check_table_file(stem, path, settings, boundaries, rows=rows)
        _check_report(report, folder, outcome)
    except Exception as exc:  # the point of the harness: any escape is a crash to report
        last = traceback.extract_tb(exc.__traceback__)[-1]
        outcome.crash = (
            f"{type(exc).__name__}: {str(exc)[:200]} ({Path(last.filename).name}:{last.lineno})"
        )
    return outcome


# --- case generation (seeded, reproducible) ---------------------------------------------------
def mutate(data: bytes, rng: random.Random) -> bytes:
    """``data`` with 1-6 random edits: flips, token inserts, cuts, repeats, truncation."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        at = rng.randint(0, len(out))
        op = rng.random()
        if op < 0.35:
            out[at:at] = rng.choice(TOKENS)
        elif op < 0.55 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif op < 0.75:
            del out[at : at + rng.randint(1, 12)]
        elif op < 0.85:
            out[at:at] = out[at : at + rng.randint(1, 30)]
        elif op < 0.92:
            del out[at:]
        else:
            out[at:at] = rng.choice(CELLS).encode(
                rng.choice(["utf-8", "utf-16", "cp1252"]), "replace"
            )
    return bytes(out)


# A plausible value per column, so that most cells of a row are fine and a few are not.
GOOD_CELLS = dict(zip(HOTSPOTS.split("\r\n")[0].split(","), HOTSPOTS.split("\r\n")[1].split(",")))
GOOD_CELLS |= {"site_id": "S-9", "site_type": "clinic", "period": "2025-Q3", "enrolled": "3",
               "hotspot_id": "HS-1"}  # fmt: skip
REQUIRED = {
    "hotspots.csv": HOTSPOTS.split("\r\n")[0].split(",")[:9],
    "sites.csv": ["site_id", "name", "latitude", "longitude", "site_type"],
    "enrolment.csv": ["period", "district", "enrolled", "hotspot_id"],
}


def random_table(rng: random.Random, name: str = "hotspots.csv") -> list[list[str]]:
    """A header of real, Kobo and odd names (most often every required column of ``name``,
    so rows reach the row checks), and rows of awkward cells."""
    header = rng.sample(HEADERS, rng.randint(1, 14))
    if rng.random() < 0.6:
        header = REQUIRED.get(name, []) + header[: rng.randint(0, 3)]
        rng.shuffle(header)
    good = GOOD_CELLS
    rows = [
        [rng.choice(CELLS) if rng.random() < 0.25 else good.get(h, "1") for h in header]
        for _ in range(rng.randint(0, 6))
    ]
    if rng.random() < 0.3:  # ragged rows
        rows = [r[: rng.randint(0, len(r))] + [rng.choice(CELLS)] * rng.randint(0, 2) for r in rows]
    return [header, *rows]


def table_bytes(rows: list[list[str]], rng: random.Random) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=rng.choice([",", ";", "\t"])).writerows(rows)
    return buf.getvalue().encode(rng.choice(["utf-8", "utf-8-sig", "utf-16", "cp1252"]), "replace")


def xlsx_bytes(rows: list[list[str]], rng: random.Random) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append([_xlsx_value(c, rng) for c in row])
    if rng.random() < 0.3:  # a repeat sheet pointing at parents that may not exist
        repeat = wb.create_sheet("repeat")
        repeat.append(["peak_min", "peak_max", "_parent_index"])
        repeat.append([rng.choice(CELLS), rng.choice(CELLS), rng.choice(["1", "2", "x", ""])])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(cell: str, rng: random.Random) -> Any:
    cleaned = "".join(ch for ch in cell if ch >= " " or ch in "\t\n\r")
    try:
        return float(cleaned) if rng.random() < 0.5 else cleaned
    except ValueError:
        return cleaned


def random_toml(rng: random.Random) -> str:
    lines = []
    for section in rng.sample(TOML_SECTIONS, rng.randint(1, 4)):
        lines.append(f"[{section}]")
        for key in rng.sample(TOML_KEYS, rng.randint(0, 4)):
            lines.append(f"{key} = {rng.choice(TOML_VALUES)}")
    text = "\n".join(lines) + "\n"
    return mutate(text.encode(), rng).decode("utf-8", "replace") if rng.random() < 0.15 else text


def make_case(rng: random.Random) -> Case:
    """One random case (see the module docstring for the mix)."""
    r = rng.random()
    if r < 0.40:
        name, seed, settings = rng.choice(SEEDS)
        return Case(f"mutated {name}", name, mutate(seed.encode(), rng), settings)
    if r < 0.45:
        name = rng.choice(["hotspots.csv", "hotspots.xlsx", "enrolment.json", "boundaries.geojson"])
        return Case(f"random bytes {name}", name, rng.randbytes(rng.randint(0, 400)))
    if r < 0.85:
        name = rng.choice(["hotspots.csv", "sites.csv", "enrolment.csv"])
        settings = DHIS2_SETTINGS if rng.random() < 0.2 else ""
        return Case(f"table {name}", name, table_bytes(random_table(rng, name), rng), settings)
    if r < 0.88:
        return Case("xlsx hotspots.xlsx", "hotspots.xlsx", xlsx_bytes(random_table(rng), rng))
    if r < 0.95:
        return Case("dataset.toml", "hotspots.csv", HOTSPOTS.encode(), random_toml(rng))
    values = [
        {k: rng.choice(CELLS) for k in rng.sample(["dataElement", "period", "orgUnit", "value",
                                                   "categoryOptionCombo"], rng.randint(0, 5))}
        for _ in range(rng.randint(0, 5))
    ]  # fmt: skip
    return Case(
        "dhis2 enrolment.json",
        "enrolment.json",
        json.dumps({"dataValues": values}).encode(),
        DHIS2_SETTINGS,
    )


def run(cases: int, seed: int, every: int = 1, *, progress: bool = True) -> Totals:
    """Run ``cases`` cases from ``seed`` in this process, every ``every``-th validated row by
    row (the others read and column-checked); the totals."""
    warnings.filterwarnings("ignore", category=RuntimeWarning)  # GDAL on broken GeoJSON
    rng = random.Random(seed)
    totals = Totals()
    boundaries, _ = check_boundaries_file_from_text(BOUNDARIES)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scratch"
        folder.mkdir()
        for i in range(cases):
            case = make_case(rng)
            totals.add(case, run_case(case, folder, boundaries, rows=i % every == 0))
            if progress and (i + 1) % 10_000 == 0:
                print(f"  seed {seed}: {i + 1:,} cases, {len(totals.crashes)} crashes", flush=True)
    return totals


def run_parallel(cases: int, seed: int, workers: int, every: int = 1) -> tuple[Totals, float]:
    """``cases`` cases split over ``workers`` processes (seeds seed, seed+1, ...); the merged
    totals and the wall seconds."""
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    shares = [cases // workers + (1 if i < cases % workers else 0) for i in range(workers)]
    if workers == 1:
        return run(cases, seed, every), time.perf_counter() - started
    totals = Totals()
    with ProcessPoolExecutor(workers) as pool:
        for part in pool.map(run, shares, [seed + i for i in range(workers)], [every] * workers):
            totals.cases.update(part.cases)
            totals.validated += part.validated
            totals.refused += part.refused
            totals.rows += part.rows
            totals.accepted += part.accepted
            totals.rejected += part.rejected
            totals.crashes += part.crashes
    return totals, time.perf_counter() - started


def check_boundaries_file_from_text(text: str) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """The canonical districts of a GeoJSON text (the fixed boundaries every table is checked
    against)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "boundaries.geojson"
        path.write_text(text, encoding="utf-8")
        boundaries, report = check_boundaries_file(path)
    if boundaries is None:
        raise RuntimeError(f"the seed boundaries do not load: {report.summary_text()}")
    return boundaries, report


def main() -> int:
    """Run the benchmark and print its figures; exit 1 when any case crashed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--workers", type=int, default=1, help="processes (seeds seed, seed+1…)")
    parser.add_argument(
        "--validate-every",
        type=int,
        default=1,
        help="check every row of every N-th case; the others are read and column-checked",
    )
    args = parser.parse_args()
    totals, wall = run_parallel(args.cases, args.seed, args.workers, args.validate_every)
    n = sum(totals.cases.values())
    print(f"cases: {n:,} (seed {args.seed}) in {wall:.0f} s, {1000 * wall / max(n, 1):.1f} ms/case")
    for kind, count in sorted(totals.cases.items()):
        print(f"  {kind:<32} {count:>7,}")
    print(f"cases validated row by row: {totals.validated:,}; the others read and column-checked")
    print(f"files refused as a whole (fatal problem reported): {totals.refused:,}")
    adds_up = totals.rows == totals.accepted + totals.rejected
    print(
        f"rows read: {totals.rows:,} = accepted {totals.accepted:,} + rejected "
        f"{totals.rejected:,} ({'adds up' if adds_up else 'DOES NOT ADD UP'})"
    )
    print(f"crashes: {len(totals.crashes)}")
    for case, crash in totals.crashes[:10]:
        print(f"  {case.kind}: {crash}")
    if totals.crashes:
        shutil.rmtree(ROOT / "bench" / "fuzz_crashes", ignore_errors=True)
        out = ROOT / "bench" / "fuzz_crashes"
        out.mkdir()
        for i, (case, _crash) in enumerate(totals.crashes[:50]):
            (out / f"{i:03d}_{case.name}").write_bytes(case.data)
            (out / f"{i:03d}_dataset.toml").write_text(case.settings, encoding="utf-8")
        print(f"first crashing inputs written to {out}")
    return 1 if totals.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
