"""services/datasets.py with a postgresql:// default dataset (app.py --data URL) on a real
PostgreSQL + PostGIS: served like a folder, never turned into a path, id by content, no
password in a log or an error."""

from __future__ import annotations

import logging

import psycopg
import pytest

from data_loaders.dataset import load_dataset, settings_text
from data_loaders.postgis import write_dataset
from data_loaders.validation import DatasetLoadError
from services import datasets as store
from tests.helpers import DEMO_DIR

SECRET = "pw-Serv1ce"


@pytest.fixture(scope="module")
def demo_url(postgres_url: str) -> str:
    url = f"{postgres_url}?schema=service_demo"
    dataset = load_dataset(DEMO_DIR)
    write_dataset(
        url,
        dataset,
        dataset.report.accepted_rows,
        settings_text=settings_text(DEMO_DIR),
        imported_from="demo",
    )
    return url.replace("postgres@", f"postgres:{SECRET}@")


@pytest.fixture
def default_is():
    """Set the default dataset for one test; the demo folder again afterwards."""

    def use(source: str) -> None:
        store.set_default_folder(source)

    yield use
    store.set_default_folder(DEMO_DIR)


def test_a_database_url_is_served_as_the_default_dataset(demo_url, default_is, caplog):
    caplog.set_level(logging.INFO)
    default_is(demo_url)
    assert store.folder_of(None) == demo_url  # kept as text: a Path would fold its "//"
    dataset = store.get_dataset(None)
    folder = load_dataset(DEMO_DIR)
    assert dataset.name == folder.name and dataset.synthetic
    assert len(dataset.hotspots) == len(folder.hotspots) == 1500
    assert store.get_dataset(None) is dataset  # loaded once
    assert SECRET not in caplog.text
    assert store.source_label(demo_url).startswith("postgresql://postgres:***@")
    assert store.source_label(DEMO_DIR) == "demo"


def test_content_hash_of_a_database_is_stable_and_follows_the_data(demo_url, postgres_url):
    first = store.folder_content_hash(demo_url)
    assert store.folder_content_hash(demo_url) == first
    assert store.folder_content_hash(demo_url.replace(SECRET, "another")) == first
    assert first != store.folder_content_hash(DEMO_DIR)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE service_demo.hotspots SET name = name || ' ' WHERE source_row = 2")
    try:
        assert store.folder_content_hash(demo_url) != first
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("UPDATE service_demo.hotspots SET name = rtrim(name) WHERE source_row = 2")
    assert store.folder_content_hash(demo_url) == first


def test_a_missing_schema_is_a_load_error_without_the_password(demo_url, default_is, caplog):
    caplog.set_level(logging.DEBUG)
    missing = demo_url.replace("schema=service_demo", "schema=service_nowhere")
    default_is(missing)
    with pytest.raises(DatasetLoadError, match='schema "service_nowhere" does not exist') as err:
        store.get_dataset(None)
    assert SECRET not in str(err.value)
    with pytest.raises(FileNotFoundError, match=r"cli\.py import") as err:
        store.folder_content_hash(missing)
    assert SECRET not in str(err.value)
    assert SECRET not in caplog.text
