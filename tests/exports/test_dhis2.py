"""The plan's district estimates and targets as a DHIS2 data value set (`cli.py plan
--dhis2-out`), org units from org_units.json or DHIS2 boundaries, read back and checked against
the plan."""

from __future__ import annotations

import json

import pytest

from data_loaders.dataset import load_dataset
from exports.dhis2 import Dhis2ExportError, data_value_set, export_settings
from planning.plan import build_plan
from planning.scenario import Scenario
from tests import helpers
from tests.data_loaders.builders import write_dataset

TOML = """
[dhis2.export]
data_set = "PopEstKP001"
[dhis2.export.data_elements]
estimate_mid = "EstMidKP001"
peer_educators = "PeersKP0001.CocTotal001"
condoms_per_month = "CondomsKP01"
"""
ORG_UNITS = {
    "organisationUnits": [
        {"id": "HarareDist1", "name": "Harare", "level": 2},
        {"id": "HarareFac01", "name": "Harare", "level": 3},  # a facility of the same name
        {"id": "MutareDist1", "name": "Mutare", "level": 2},
        {"id": "BulawayoDi1", "name": "bulawayo", "level": 2},
    ]
}
IDS = {"Harare": "HarareDist1", "Mutare": "MutareDist1", "Bulawayo": "BulawayoDi1"}


@pytest.fixture
def folder(tmp_path):
    folder = write_dataset(tmp_path / "d", toml=TOML)
    (folder / "org_units.json").write_text(json.dumps(ORG_UNITS), encoding="utf-8")
    return folder


def test_cli_writes_the_plan_as_a_data_value_set(folder, tmp_path, capsys):
    out = tmp_path / "plan.json"
    run = helpers.run_cli(
        capsys, "plan", "--data", str(folder), "--dhis2-out", str(out), "--dhis2-period", "2025Q1"
    )
    assert run.returncode == 0, run.stderr
    assert "DHIS2 data values for period 2025Q1" in run.stdout
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["dataSet"] == "PopEstKP001" and payload["period"] == "2025Q1"
    plan = build_plan(load_dataset(folder), Scenario())
    expected = {
        (element, IDS[d.district], str(round(getattr(d, column))))
        for d in plan.districts.itertuples()
        for column, element in (
            ("estimate_mid", "EstMidKP001"),
            ("peer_educators", "PeersKP0001"),
            ("condoms_per_month", "CondomsKP01"),
        )
    }
    got = {(v["dataElement"], v["orgUnit"], v["value"]) for v in payload["dataValues"]}
    assert got == expected
    assert len(payload["dataValues"]) == 3 * len(plan.districts)
    pe = next(v for v in payload["dataValues"] if v["dataElement"] == "PeersKP0001")
    assert pe["categoryOptionCombo"] == "CocTotal001"
    assert "peak-day mapping estimates" in pe["comment"]  # the basis travels with each number
    assert all(v["period"] == "2025Q1" for v in payload["dataValues"])


def test_a_district_without_an_org_unit_is_refused(folder, tmp_path, capsys):
    units = {"organisationUnits": ORG_UNITS["organisationUnits"][:2]}
    (folder / "org_units.json").write_text(json.dumps(units), encoding="utf-8")
    out = tmp_path / "plan.json"
    run = helpers.run_cli(
        capsys, "plan", "--data", str(folder), "--dhis2-out", str(out), "--dhis2-period", "2025"
    )
    assert run.returncode == 2
    assert "2 district(s) have no DHIS2 org unit id (" in run.stderr
    assert "Traceback" not in run.stderr and not out.exists()


@pytest.mark.parametrize(
    ("settings", "period", "phrase"),
    [
        ({}, "2025", "names no data elements to export"),
        ({"dhis2": {"export": {"data_elements": {"gap": "short"}}}}, "2025", "not a DHIS2 uid"),
        (
            {"dhis2": {"export": {"data_elements": {"nope": "EstMidKP001"}}}},
            "2025",
            "nope is not one of hotspots",
        ),
        ({"dhis2": {"export": {"data_elements": {"gap": "EstMidKP001"}}}}, "2025-Q1", "period"),
        ({"dhis2": {"export": {"data_elements": {"gap": "EstMidKP001"}}}}, None, "period"),
    ],
)
def test_export_settings_name_what_is_wrong(settings, period, phrase):
    with pytest.raises(Dhis2ExportError, match=phrase):
        export_settings(settings, period)


def test_a_column_the_plan_lacks_is_named(folder):
    plan = build_plan(load_dataset(folder), Scenario())
    export = export_settings({"dhis2": {"export": {"data_elements": {
        "funded_peer_educators": "EstMidKP001"}}}}, "2025")  # fmt: skip
    with pytest.raises(Dhis2ExportError, match="no column funded_peer_educators"):
        data_value_set(plan, export, IDS)
