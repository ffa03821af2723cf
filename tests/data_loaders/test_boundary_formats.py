"""Boundary files as published (geoBoundaries, GADM, HDX COD-AB, DHIS2 org units), written by the
tests as real GeoJSON files and loaded with no dataset.toml; codes join enrolment."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import box, mapping

from data_loaders.boundary_formats import recognise
from data_loaders.dataset import load_dataset
from data_loaders.validation import DatasetLoadError
from tests.data_loaders.builders import DISTRICTS, ENROLMENT_HEADER, write_csv, write_dataset

PCODES = {"Harare": "ZW19", "Mutare": "ZW11", "Bulawayo": "ZW10"}


def publish(folder, columns_of) -> None:
    """Replace the dataset's boundaries with a GeoJSON whose attributes are ``columns_of(name,
    region)``."""
    frame = gpd.GeoDataFrame(
        [columns_of(name, region) for name, region, _ in DISTRICTS],
        geometry=[box(*b) for _, _, b in DISTRICTS],
        crs="EPSG:4326",
    )
    (folder / "boundaries.geojson").unlink()
    frame.to_file(folder / "boundaries.geojson", driver="GeoJSON")


def info_lines(dataset) -> str:
    return "\n".join(p.message for p in dataset.report.problems if p.file == "boundaries")


def test_geoboundaries(tmp_path):
    folder = write_dataset(tmp_path / "d")
    publish(
        folder,
        lambda n, r: {
            "shapeName": n,
            "shapeISO": "",
            "shapeID": f"ZWE-ADM2-{n[:3]}",
            "shapeGroup": "ZWE",
            "shapeType": "ADM2",
        },
    )
    ds = load_dataset(folder)
    assert sorted(ds.boundaries["district"]) == ["Bulawayo", "Harare", "Mutare"]
    assert set(ds.boundaries["district_code"]) == {"ZWE-ADM2-Har", "ZWE-ADM2-Mut", "ZWE-ADM2-Bul"}
    assert set(ds.boundaries["region"]) == {""}
    assert "recognised as geoBoundaries" in info_lines(ds)


@pytest.mark.parametrize(("level", "district_of"), [(None, "Harare"), (1, "Mashonaland")])
def test_gadm_deepest_level_or_the_one_asked(tmp_path, level, district_of):
    toml = None if level is None else f"[boundaries]\nlevel = {level}\n"
    enrol = [["2025-Q3", "", "", district_of, "4"]]
    folder = write_dataset(tmp_path / "d", toml=toml, enrolment=enrol)
    publish(
        folder,
        lambda n, r: {
            "GID_0": "ZWE",
            "NAME_0": "Zimbabwe",
            "GID_1": f"ZWE.{r[:3]}_1",
            "NAME_1": r,
            "GID_2": f"ZWE.{n[:3]}.1_1",
            "NAME_2": n,
        },
    )
    ds = load_dataset(folder)
    if level is None:
        harare = ds.boundaries.set_index("district").loc["Harare"]
        assert (harare["region"], harare["district_code"]) == ("Mashonaland", "ZWE.Har.1_1")
        assert "GADM level 2" in info_lines(ds)
    else:
        assert sorted(ds.boundaries["district"]) == ["Manicaland", "Mashonaland", "Matabeleland"]
        assert "ZWE.Mas_1" in set(ds.boundaries["district_code"])
    assert ds.enrolment["district"].tolist() == [district_of]


def test_gadm_level_absent_is_a_clear_fatal_problem(tmp_path):
    folder = write_dataset(tmp_path / "d", toml="[boundaries]\nlevel = 3\n")
    publish(folder, lambda n, r: {"GID_1": r, "NAME_1": r, "GID_2": n, "NAME_2": n})
    with pytest.raises(DatasetLoadError) as info:
        load_dataset(folder)
    [fatal] = info.value.report.fatal_problems()
    assert "level = 3" in fatal.message and "[1, 2]" in fatal.message


def test_cod_ab_pcodes_join_enrolment(tmp_path):
    enrol = [["2025-Q3", "", "", "ZW19", "12"], ["2025-Q3", "", "", "zw10", "3"]]
    folder = write_dataset(tmp_path / "d", enrolment=enrol)
    publish(
        folder,
        lambda n, r: {
            "ADM0_EN": "Zimbabwe",
            "ADM0_PCODE": "ZW",
            "ADM1_EN": r,
            "ADM1_PCODE": f"ZW1{r[:1]}",
            "ADM2_EN": n,
            "ADM2_PCODE": PCODES[n],
        },
    )
    ds = load_dataset(folder)
    assert dict(zip(ds.boundaries["district"], ds.boundaries["district_code"])) == PCODES
    assert ds.enrolment["district"].tolist() == ["Harare", "Bulawayo"]
    assert ds.enrolment["enrolled"].tolist() == [12, 3]
    assert "HDX COD-AB level 2" in info_lines(ds)


def test_dhis2_org_unit_geojson_with_two_levels(tmp_path):
    folder = write_dataset(tmp_path / "d", enrolment=[["2025-Q3", "", "", "Hq8Vd2nPp1a", "7"]])
    write_csv(folder / "enrolment.csv", ENROLMENT_HEADER, [["2025-Q3", "", "", "Hq8Vd2nPp1a", "7"]])
    features = [
        {
            "type": "Feature",
            "id": uid,
            "geometry": mapping(box(*b)),
            "properties": {"id": uid, "name": name, "level": 3, "parent": "ZimbabweOU1"},
        }
        for uid, (name, _, b) in zip(["Hq8Vd2nPp1a", "Mt5Xc9LrQ2b", "Bw3Kd7MnZ4c"], DISTRICTS)
    ]
    features.append(
        {
            "type": "Feature",
            "id": "ZimbabweOU1",
            "geometry": mapping(box(27, -22, 33, -16)),
            "properties": {"id": "ZimbabweOU1", "name": "Zimbabwe", "level": 1, "parent": ""},
        }
    )
    (folder / "boundaries.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    ds = load_dataset(folder)
    assert sorted(ds.boundaries["district"]) == ["Bulawayo", "Harare", "Mutare"]
    assert ds.enrolment["district"].tolist() == ["Harare"]
    assert "1 org unit(s) of other levels left out" in info_lines(ds)


def test_plain_files_are_not_mistaken_for_a_publisher():
    frame = gpd.GeoDataFrame({"district": ["A"], "region": ["R"]}, geometry=[box(0, 0, 1, 1)])
    assert recognise(frame) is None
