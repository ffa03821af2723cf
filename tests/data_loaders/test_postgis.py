"""data_loaders/postgis.py on a real PostgreSQL + PostGIS (tests/services_fixtures.py): a dataset
written and read back gives the frames the folder gives; what a GIS user edits is validated
again; missing schemas and tables are named with the command that writes them."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from pandas.testing import assert_frame_equal
from shapely.geometry import box

from data_loaders.dataset import load_dataset, settings_text
from data_loaders.postgis import COLUMN_TYPES, content_id, write_dataset
from data_loaders.source_url import DatabaseSourceError, parse_url, redact_url
from data_loaders.validation import DatasetLoadError
from planning.schema import BOUNDARY_COLUMNS, ENROLMENT_COLUMNS, HOTSPOT_COLUMNS, SITE_COLUMNS
from tests.data_loaders.builders import boundaries_frame, write_boundaries
from tests.data_loaders.builders import write_dataset as write_folder
from tests.helpers import DEMO_DIR
from tests.services_fixtures import free_port


def schema_url(postgres_url: str, schema: str) -> str:
    return f"{postgres_url}?schema={schema}"


def import_folder(folder: Path, url: str) -> dict[str, int]:
    dataset = load_dataset(folder)
    assert not dataset.report.has_errors
    return write_dataset(
        url,
        dataset,
        dataset.report.accepted_rows,
        settings_text=settings_text(folder),
        imported_from=folder.name,
    )


def assert_same_dataset(a, b) -> None:
    for name in ("hotspots", "sites", "boundaries"):
        left, right = getattr(a, name), getattr(b, name)
        assert_frame_equal(
            pd.DataFrame(left.drop(columns="geometry")), right.drop(columns="geometry")
        )
        assert left.crs == right.crs
        assert list(left.geometry.to_wkb()) == list(right.geometry.to_wkb())  # exact coordinates
    assert_frame_equal(a.enrolment, b.enrolment)
    assert (a.name, a.crs_projected, a.synthetic, a.settings) == (
        b.name,
        b.crs_projected,
        b.synthetic,
        b.settings,
    )


@pytest.fixture(scope="module")
def demo_url(postgres_url: str) -> str:
    url = schema_url(postgres_url, "loader_demo")
    import_folder(DEMO_DIR, url)
    return url


def run_sql(postgres_url: str, statement: str) -> list[tuple]:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        cur = conn.execute(statement)
        return cur.fetchall() if cur.description else []


def test_the_tables_hold_the_canonical_columns_in_order():
    assert list(COLUMN_TYPES["hotspots"]) == HOTSPOT_COLUMNS
    assert list(COLUMN_TYPES["sites"]) == SITE_COLUMNS
    assert list(COLUMN_TYPES["enrolment"]) == ENROLMENT_COLUMNS
    assert list(COLUMN_TYPES["boundaries"]) == BOUNDARY_COLUMNS[:2]  # area is recomputed


def test_demo_read_back_gives_the_folders_frames(demo_url):
    from_folder = load_dataset(DEMO_DIR)
    from_database = load_dataset(demo_url)
    assert_same_dataset(from_folder, from_database)
    assert from_database.report.files == from_folder.report.files
    assert not from_database.report.has_errors
    assert from_database.report.source["hotspots"] == "loader_demo.hotspots (PostGIS)"


def test_tiny_dataset_round_trip_keeps_rows_dates_and_empty_values(tmp_path, postgres_url):
    folder = write_folder(tmp_path / "tiny")
    url = schema_url(postgres_url, "loader_tiny")
    counts = import_folder(folder, url)
    original = load_dataset(folder)
    assert counts == {
        "dataset": 1,
        "boundaries": len(original.boundaries),
        "hotspots": len(original.hotspots),
        "sites": len(original.sites),
        "enrolment": len(original.enrolment),
    }
    assert_same_dataset(original, load_dataset(url))
    # the table keeps the file's rows, typed, with the point as the location
    rows = run_sql(
        postgres_url,
        "SELECT source_row, hotspot_id, latitude, longitude, mapped_on, "
        "ST_AsText(geom), ST_SRID(geom) FROM loader_tiny.hotspots ORDER BY source_row",
    )
    assert [r[0] for r in rows] == original.report.accepted_rows["hotspots"]
    first = rows[0]
    assert first[1:4] == ("HS-1", -17.5, 30.5)
    assert str(first[4]) == "2025-03-14"
    assert first[5:] == ("POINT(30.5 -17.5)", 4326)


def test_a_row_edited_in_the_database_is_validated_with_its_source_row(tmp_path, postgres_url):
    folder = write_folder(tmp_path / "tiny")
    url = schema_url(postgres_url, "loader_edited")
    import_folder(folder, url)
    # a GIS user moves the first hotspot out of every district and types a negative count
    run_sql(
        postgres_url,
        "UPDATE loader_edited.hotspots SET typical_min = -3, "
        "geom = ST_SetSRID(ST_MakePoint(10, 10), 4326) WHERE source_row = 2",
    )
    dataset = load_dataset(url)
    problems = {(p.file, p.row, p.column): p for p in dataset.report.errors()}
    assert problems[("hotspots", 2, "typical_min")].value == "-3"
    assert "lies outside every district" in problems[("hotspots", 2, "latitude")].message
    assert dataset.report.files["hotspots"].rejected == 1
    with pytest.raises(DatasetLoadError):
        load_dataset(url, strict=True)


def test_missing_schema_is_named_with_the_import_command(postgres_url, demo_url):
    url = schema_url(postgres_url, "nowhere")
    with pytest.raises(DatasetLoadError) as caught:
        load_dataset(url)
    message = str(caught.value)
    assert 'schema "nowhere" does not exist' in message
    assert "loader_demo" in message  # the schemas that do hold a dataset
    assert f"cli.py import --data DIR --to {url}" in message


def test_missing_tables_and_columns_are_each_named(tmp_path, postgres_url):
    folder = write_folder(tmp_path / "tiny")
    url = schema_url(postgres_url, "loader_missing")
    import_folder(folder, url)
    run_sql(postgres_url, "DROP TABLE loader_missing.sites, loader_missing.enrolment")
    run_sql(postgres_url, "ALTER TABLE loader_missing.boundaries DROP COLUMN district")
    with pytest.raises(DatasetLoadError) as caught:
        load_dataset(url)
    problems = {p.file: p.message for p in caught.value.report.errors()}
    assert set(problems) == {"sites", "enrolment", "boundaries"}
    assert problems["sites"].startswith("table loader_missing.sites is missing")
    assert 'no column "district"' in problems["boundaries"]
    assert all("cli.py import" in m for m in problems.values())


def test_a_password_never_reaches_a_message_or_a_log(postgres_url, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "s3cret-Pa55"
    with_password = postgres_url.replace("postgres@", f"postgres:{secret}@")
    # the test server trusts loopback: the password is accepted and ignored, the schema missing
    unreachable = f"postgresql://kp:{secret}@127.0.0.1:{free_port()}/kp"
    for url in (schema_url(with_password, "nowhere"), unreachable):
        with pytest.raises(DatasetLoadError) as caught:
            load_dataset(url)
        text = str(caught.value) + repr(caught.value.report.to_dict())
        assert secret not in text
        assert ":***@127.0.0.1:" in text
    assert "cannot connect to postgresql://kp:***@127.0.0.1:" in str(caught.value)
    assert secret not in caplog.text
    assert secret not in repr(parse_url(with_password))
    assert secret not in redact_url(f"postgresql://u:{secret}@h/db?password={secret}")


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("postgresql://127.0.0.1:port/kp", "the port is not a number"),
        ("postgresql://127.0.0.1:5432", "names no database"),
        ("postgresql://127.0.0.1:5432/kp?schema=", "non-empty ?schema=NAME"),
    ],
)
def test_bad_urls_say_what_is_wrong(url, phrase):
    with pytest.raises(DatabaseSourceError) as caught:
        parse_url(url)
    assert phrase in str(caught.value)
    assert "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME]" in str(caught.value)


def test_content_id_is_stable_and_follows_the_data(tmp_path, postgres_url):
    folder = write_folder(tmp_path / "tiny")
    url = schema_url(postgres_url, "loader_content")
    import_folder(folder, url)
    first = content_id(url)
    assert content_id(url) == first
    # the password is not part of the id (the same data, reached with another password)
    assert content_id(url.replace("postgres@", "postgres:other@")) == first
    run_sql(postgres_url, "UPDATE loader_content.sites SET name = 'Renamed' WHERE source_row = 2")
    assert content_id(url) != first


def test_foreign_tables_are_never_replaced(tmp_path, postgres_url):
    run_sql(postgres_url, "CREATE SCHEMA loader_foreign")
    run_sql(postgres_url, "CREATE TABLE loader_foreign.hotspots (id integer)")
    run_sql(postgres_url, "INSERT INTO loader_foreign.hotspots VALUES (7)")
    with pytest.raises(DatabaseSourceError, match=r"that cli\.py import did not write"):
        import_folder(write_folder(tmp_path / "tiny"), schema_url(postgres_url, "loader_foreign"))
    assert run_sql(postgres_url, "SELECT id FROM loader_foreign.hotspots") == [(7,)]


def test_reprojected_renamed_and_multipolygon_boundaries_read_back_the_same(tmp_path, postgres_url):
    """Boundaries in UTM with their own column names (dataset.toml says which) and a district
    in two parts: stored in WGS84 under the canonical names, read back to the same frames."""
    folder = write_folder(tmp_path / "tiny", toml=TOML)
    frame = boundaries_frame().rename(columns={"district": "ADM2_EN", "region": "ADM1_EN"})
    frame.loc[2, "geometry"] = frame.geometry.iloc[2].union(box(28.0, -23.0, 29.0, -22.0))
    (folder / "boundaries.geojson").unlink()
    write_boundaries(folder, "gpkg", frame.to_crs("EPSG:32736"))
    original = load_dataset(folder)
    assert not original.report.has_errors
    assert original.boundaries.geometry.iloc[2].geom_type == "MultiPolygon"
    url = schema_url(postgres_url, "loader_utm")
    import_folder(folder, url)
    assert_same_dataset(original, load_dataset(url))


TOML = """
[dataset]
name = "Tiny test"
mapped = 2025-03-14

[boundaries]
district_column = "ADM2_EN"
region_column = "ADM1_EN"

[parameters]
people_per_pe = 50
"""


def test_redaction_covers_at_signs_parameters_and_folded_paths():
    assert redact_url("postgresql://u:p@ss@h:5/db?schema=x") == "postgresql://u:***@h:5/db?schema=x"
    assert redact_url("postgres://u:a@h/db?password=b&schema=s") == (
        "postgres://u:***@h/db?password=***&schema=s"
    )
    folded = str(Path("postgresql://u:hunter2@h:5/db?schema=x").resolve())
    assert "hunter2" not in redact_url(folded)
    with pytest.raises(DatasetLoadError, match="folded") as caught:
        load_dataset(Path("postgresql://u:hunter2@h:5/db?schema=x"))
    assert "hunter2" not in str(caught.value)


def test_import_installs_postgis_in_a_database_without_it(tmp_path, postgres_url):
    run_sql(postgres_url, "CREATE DATABASE kp_plain")
    plain = postgres_url.rsplit("/", 1)[0] + "/kp_plain"
    assert run_sql(plain, "SELECT extname FROM pg_extension WHERE extname = 'postgis'") == []
    folder = write_folder(tmp_path / "tiny")
    import_folder(folder, plain + "?schema=tiny")
    assert_same_dataset(load_dataset(folder), load_dataset(plain + "?schema=tiny"))
