"""A fixture's application may bring its provisioning job (what provsim snapshot writes): seeded through the
synchronization API's checks, again after a reset, never twice on a resumed state file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator import ProvsimClient, create_app
from simulator.core import FixtureError, ProvsimConfig, load_fixture
from simulator.engine.mappings import default_schema


def _fixture(tmp_path: Path, provisioning: dict) -> Path:
    data = load_fixture("contoso")
    data.pop("_path", None)
    app = data["directory"]["applications"][0]
    app["provisioning"] = provisioning
    path = tmp_path / "with-job.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _schema_with_scope() -> dict:
    schema = default_schema("ignored")
    users = schema["synchronizationRules"][0]["objectMappings"][0]
    users["scope"] = {"groups": [{"clauses": [{"sourceOperandName": "department", "operatorName": "EQUALS",
                                               "targetOperand": {"values": ["Sales"]}}]}]}
    return schema


def test_the_job_is_there_configured_and_not_started(tmp_path: Path) -> None:
    path = _fixture(tmp_path, {"templateId": "purecloud",
                               "secrets": [{"key": "BaseAddress", "value": "http://provsim.local/api/v2/scim/v2"},
                                           {"key": "SyncAll", "value": "False"}],
                               "settings": [{"name": "QuarantineTooManyDeletesThreshold", "value": "7"}],
                               "schema": _schema_with_scope()})
    app = create_app(ProvsimConfig(seed=0, fixture=str(path)))
    client = ProvsimClient.in_process(app)
    job_id = client.job_id()
    job = client.job(job_id)
    assert job["status"]["code"] == "NotRun" and job["schedule"]["state"] == "Disabled"
    assert {"name": "QuarantineTooManyDeletesThreshold", "value": "7"} in job["synchronizationJobSettings"]
    schema = client.schema(job_id)
    assert schema["id"] == job_id
    assert schema["synchronizationRules"][0]["objectMappings"][0]["scope"]["groups"][0]["clauses"][0][
        "targetOperand"]["values"] == ["Sales"]
    # only the Secret Token to enter, then start: the scoping filter holds in the first cycle
    client.put_secrets([{"key": "SecretToken", "value": client.genesys_token()}])
    client.start(job_id)
    client.advance("PT1M")
    created = [e for e in client.logs(all_pages=True) if e["provisioningAction"] == "create"
               and e["provisioningStatusInfo"]["status"] == "success" and e["sourceIdentity"]["identityType"] == "User"]
    assert created and len(created) < 21  # Sales only (21 without the filter)
    # a reset brings the fixture's job back, exactly once
    client.reset()
    client.forget()
    assert len(client.jobs()) == 1 and client.job(client.job_id())["status"]["code"] == "NotRun"


def test_a_state_file_resumes_without_seeding_again(tmp_path: Path) -> None:
    path = _fixture(tmp_path, {"secrets": [{"key": "BaseAddress", "value": "http://provsim.local/api/v2/scim/v2"}]})
    state = tmp_path / "state.json"
    app = create_app(ProvsimConfig(seed=0, fixture=str(path), state_path=state))
    app.extensions["provsim"].checkpoint()
    app.extensions["provsim"].store.flush()
    again = create_app(ProvsimConfig(seed=0, fixture=str(path), state_path=state))
    assert len(ProvsimClient.in_process(again).jobs()) == 1


def test_a_schema_the_service_refuses_is_a_fixture_error_naming_the_app(tmp_path: Path) -> None:
    schema = default_schema("x")
    schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"][0]["source"] = {
        "expression": "Join(\" \", [givenName]"}
    path = _fixture(tmp_path, {"schema": schema})
    with pytest.raises(FixtureError) as caught:
        create_app(ProvsimConfig(seed=0, fixture=str(path)))
    assert "fixture application 'PureCloud by Genesys', provisioning:" in str(caught.value)
    assert "invalid expression" in str(caught.value) and "position 21" in str(caught.value)


def test_fixtures_without_a_provisioning_section_have_no_job() -> None:
    assert ProvsimClient.in_process(create_app(ProvsimConfig(seed=0, fixture="contoso"))).jobs() == []
