"""The typed job model (issue 19): one table of job settings and secrets, parsed where they arrive, the
scenario schema's job_settings block and docs/fidelity.md's table generated from it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from simulator.engine import job_settings as js
from simulator.engine.job import Job, JobStatus
from simulator.engine.target_profile import TargetProfile
from simulator.scenario.schema import SCHEMA_PATH

from engine_helpers import Provisioning

ROOT = Path(__file__).resolve().parents[2]
FIX = "run `python -m simulator.engine.job_settings` to regenerate it"


def test_the_scenario_schemas_job_settings_are_generated_from_the_table():
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    assert js.splice_scenario_schema(text) == text, f"scenario.schema.json's job_settings block is stale: {FIX}"
    properties = json.loads(text)["$defs"]["verbs"]["job_settings"]["properties"]
    assert list(properties) == [s.name for s in js.JOB_SETTINGS]


def test_the_fidelity_table_is_generated_from_the_table():
    page = (ROOT / "docs" / "fidelity.md").read_text(encoding="utf-8")
    assert js.markdown_table() in page, f"docs/fidelity.md's job-settings table is stale: {FIX}"
    for setting in (*js.JOB_SETTINGS, *js.SECRETS):
        assert f"`{setting.name}`" in page


def test_every_declared_setting_has_a_meaning_a_default_and_a_typed_attribute():
    defaults = js.JobSettings()
    for setting in js.JOB_SETTINGS:
        assert setting.meaning and setting.attribute and setting.default_text()
        assert getattr(defaults, setting.attribute) == setting.default
    described = {d["name"]: d for d in js.describe()}  # what the dashboard's setup page reads
    assert described["QuarantineSuccessiveCompleteFailures"]["default"] == "6"
    assert described["SyncNotificationSettings"]["kind"] == "secret"


@pytest.mark.parametrize(("name", "raw", "expected"), [
    ("QuarantineEscrowProportionThreshold", "40", 40.0),
    ("QuarantineEscrowProportionThreshold", "12.5", 12.5),
    ("QuarantineSuccessiveCompleteFailures", "3", 3),
    ("QuarantineMaximumDuration", "P7D", timedelta(days=7)),
    ("TargetProfile", "SCIM", TargetProfile.SCIM),
])
def test_values_are_typed(name, raw, expected):
    settings = js.parse_job_settings([{"name": name, "value": raw}])
    attribute = next(s.attribute for s in js.JOB_SETTINGS if s.name == name)
    assert getattr(settings, attribute) == expected


@pytest.mark.parametrize(("name", "raw"), [
    ("QuarantineEscrowProportionThreshold", "forty"), ("QuarantineEscrowProportionThreshold", "140"),
    ("QuarantineSuccessiveCompleteFailures", "0"), ("QuarantineSuccessiveCompleteFailures", "2.5"),
    ("MaxMembersPerPatch", "-1"), ("QuarantineMaximumDuration", "28 days"), ("TargetProfile", "okta"),
    ("QuarantineTotalEscrowThreshold", "nan"),
])
def test_a_bad_value_names_the_setting(name, raw):
    with pytest.raises(js.SettingError) as err:
        js.check_setting(name, raw)
    assert err.value.name == name and name in err.value.message


def test_a_stored_bad_value_falls_back_to_its_default_instead_of_stopping_cycles():
    job = Job(id="j", service_principal_id="sp",
              setting_pairs=(("QuarantineEscrowProportionThreshold", "forty"),))
    assert job.settings.escrow_proportion_threshold == 40.0


def test_notification_settings_and_the_guard_box():
    parsed = js.NotificationSettings.parse(json.dumps({"Enabled": True, "Recipients": "a@x.com; b@x.com",
                                                       "DeleteThresholdEnabled": True, "DeleteThresholdValue": 25}))
    assert parsed.recipients == ("a@x.com", "b@x.com") and parsed.sends
    assert parsed.delete_threshold_enabled is True and parsed.delete_threshold_value == 25
    assert js.NotificationSettings.parse("").delete_threshold_enabled is None
    for bad in ("{not json", "[1, 2]", json.dumps({"DeleteThresholdValue": "many"}), json.dumps({"Enabled": "maybe"})):
        with pytest.raises(js.SettingError, match="SyncNotificationSettings"):
            js.NotificationSettings.parse(bad)


def test_a_stored_job_document_round_trips_and_old_documents_load():
    job = Job(id="j", service_principal_id="sp")
    assert Job.from_doc(job.to_doc()) == job
    old = job.to_doc()
    del old["settingsSet"]  # a state file from before the admin's choices were kept
    assert Job.from_doc(old).explicit_settings == frozenset()
    assert JobStatus.from_graph(job.status.to_graph()) == job.status


def test_graph_refuses_a_bad_setting_and_a_bad_secret_naming_them(provisioned: Provisioning):
    p = provisioned
    resp = p.graph("PATCH", p.job_path(), {"synchronizationJobSettings": [
        {"name": "QuarantineSuccessiveCompleteFailures", "value": "3"},
        {"name": "MaxMembersPerPatch", "value": "lots"}]})
    assert resp.status_code == 400 and "MaxMembersPerPatch" in resp.json()["error"]["message"]
    settings = {s["name"]: s["value"] for s in p.job()["synchronizationJobSettings"]}
    assert "QuarantineSuccessiveCompleteFailures" not in settings  # nothing of a refused request is saved
    resp = p.put_secrets({"SyncNotificationSettings": "{\"DeleteThresholdValue\": -3}"}, expect=400)
    assert "SyncNotificationSettings" in resp.json()["error"]["message"]
    resp = p.put_secrets({"SyncAll": "sometimes"}, expect=400)
    assert "SyncAll" in resp.json()["error"]["message"]
    p.graph("PATCH", p.job_path(), {"synchronizationJobSettings": [
        {"name": "QuarantineEscrowProportionThreshold", "value": 25}, {"name": "AzureIngestionAttributeOptimization",
                                                                        "value": "True"}]}, expect=204)
    settings = {s["name"]: s["value"] for s in p.job()["synchronizationJobSettings"]}
    assert settings["QuarantineEscrowProportionThreshold"] == "25" and settings["AzureIngestionAttributeOptimization"] == "True"


def test_saving_the_creation_value_is_not_an_admins_choice():
    """A fixture copied from a real job (provsim snapshot) carries QuarantineTooManyDeletesThreshold 500:
    seeding it must not switch the accidental-deletion guard on; any other value does."""
    job = Job(id="j", service_principal_id="sp")
    assert job.with_settings([{"name": "QuarantineTooManyDeletesThreshold", "value": "500"}]).explicit_settings == frozenset()
    chosen = job.with_settings([{"name": "QuarantineTooManyDeletesThreshold", "value": "40"}])
    assert chosen.settings.is_set("QuarantineTooManyDeletesThreshold") and chosen.settings.delete_threshold == 40
