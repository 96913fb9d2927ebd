"""``provsim job`` and ``provsim outbox`` against a served simulator (real socket) and in-process."""

from __future__ import annotations

import json

import httpx
import pytest

from simulator.cli import cli as provsim
from simulator.cli.job import format_status


@pytest.fixture
def job(cli, served):
    """Run ``provsim job ...`` (or any ``provsim`` command) against the served app."""

    def run(*args: str, root: tuple[str, ...] = (), expect: int = 0):
        group = () if args and args[0] == "outbox" else ("job",)
        result = cli.invoke(provsim, [*root, *group, *args, "--url", served.url])
        assert result.exit_code == expect, result.output
        return result

    return run


def created_job_id(job, *extra: str) -> str:
    return json.loads(job("create", *extra, root=("--json",)).output)["jobId"]


def test_create_stores_secrets_and_tests_the_connection(job, served, app):
    out = job("create", "--notify", "ops@contoso.com").output
    assert "created job purecloud." in out and "test connection passed" in out
    service = app.extensions["provsim"].services["provisioning"]
    sp_id = app.extensions["provsim"].services["directory"].fixture_id("purecloud")
    secrets = {s["key"]: s["value"] for s in service.secrets(sp_id)}
    assert secrets["BaseAddress"] == f"{served.url}/api/v2/scim/v2"
    assert secrets["SyncAll"] == "False"
    assert json.loads(secrets["SyncNotificationSettings"])["Recipients"] == "ops@contoso.com"
    assert secrets["SecretToken"]  # from Genesys' /oauth/token with the demo client
    listed = json.loads(job("list", root=("--json",)).output)
    assert len(listed) == 1 and listed[0]["status"]["code"] == "NotRun"


def test_create_scope_all_and_start_flag(job, app):
    data = json.loads(job("create", "--scope", "all", "--start", root=("--json",)).output)
    assert data["scope"] == "all" and data["started"] is True
    service = app.extensions["provsim"].services["provisioning"]
    sp_id = app.extensions["provsim"].services["directory"].fixture_id("purecloud")
    assert {s["key"]: s["value"] for s in service.secrets(sp_id)}["SyncAll"] == "True"
    assert json.loads(job("status", "--json").output)["schedule"]["state"] == "Active"


def test_start_advance_status_and_logs(job):
    job_id = created_job_id(job)
    assert f"job {job_id}: started" in job("start").output
    out = job("advance", "PT1M").output
    assert "now 2026-01-05T09:01:00Z" in out or "now 2026-01-05T09:0" in out
    assert "initial cycle" in out and "imported" in out
    status = job("status", job_id).output
    assert "Status:        Active" in status
    assert "Last cycle:    Succeeded" in status
    assert "Synchronized:  Group to Group: 3" in status
    data = json.loads(job("status", root=("--json",)).output)
    assert data["id"] == job_id and data["status"]["lastExecution"]["countImported"] > 0
    creates = job("logs", "--action", "create", "--top", "5").output.splitlines()
    assert len(creates) == 5 and all(" create " in line and " success " in line for line in creates)
    skipped = json.loads(job("logs", "--status", "skipped", root=("--json",)).output)
    assert skipped and {e["provisioningStatusInfo"]["status"] for e in skipped} == {"skipped"}
    assert any("GroupMissingInTarget" in line for line in job("logs", "--status", "skipped").output.splitlines())
    assert json.loads(job("logs", "--job", "no-such-job", root=("--json",)).output) == []


def test_pause_and_restart(job):
    job_id = created_job_id(job)
    job("start", job_id)
    assert "paused" in job("pause", job_id).output
    assert json.loads(job("status", "--json").output)["status"]["code"] == "Paused"
    out = job("restart", job_id, "--reset-scope", "watermark, escrows").output
    assert "restarted (resetScope Watermark,Escrows)" in out
    assert json.loads(job("status", "--json").output)["schedule"]["state"] == "Active"
    assert "Watermark, Escrows, QuarantineState" in job("restart").output


def test_bad_input_fails_before_any_request(job):
    bad_scope = job("restart", "--reset-scope", "Watermark,Everything", expect=2).output
    assert "'Everything' is not a resetScope" in bad_scope and "ForceDeletes" in bad_scope
    assert "not an ISO-8601 duration" in job("advance", "40 minutes", expect=2).output
    assert "--state needs --in-process" in job("list", "--state", "x.json", expect=2).output


def test_refusals_carry_graphs_message(job, served):
    from simulator.client import ProvsimClient

    out = job("status", "purecloud.nope.nope", expect=1).output
    assert "Request_ResourceNotFound" in out and "does not exist" in out
    assert "no provisioning job yet" in job("start", expect=1).output
    created_job_id(job)
    with ProvsimClient.connect(served.url) as graph_user:  # a second job made through Graph, not the CLI
        graph_user.create_job()
    assert "several jobs" in job("start", expect=1).output


def test_a_second_create_saves_the_settings_on_the_one_job(job):
    """The portal gives an app one provisioning job: saving the page again edits it (issue 12, obs. 4)."""
    first = created_job_id(job)
    again = json.loads(job("create", "--scope", "all", "--notify", "ops@contoso.com", root=("--json",)).output)
    assert again["jobId"] == first and again["created"] is False and again["scope"] == "all"
    assert "already set up" in job("create").output
    assert [j["id"] for j in json.loads(job("list", "--json").output)] == [first]
    assert json.loads(job("status", "--json").output)["id"] == first  # no "which job?"


def test_create_reports_a_failed_connection_test(job):
    out = job("create", "--secret-token", "not-a-genesys-token", expect=1).output
    assert "was created but the connection test failed" in out
    assert "SystemForCrossDomainIdentityManagementCredentialValidationFailure" in out


def test_unknown_tenant_says_how_to_fix_it(job):
    out = job("list", "--tenant", "fabrikam.onmicrosoft.com", expect=1).output
    assert "Entra login for tenant fabrikam.onmicrosoft.com failed" in out and "--tenant" in out


def test_server_not_reachable(cli):
    result = cli.invoke(provsim, ["job", "list", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 3
    assert "cannot reach provsim at http://127.0.0.1:9" in result.output and "provsim serve" in result.output
    result = cli.invoke(provsim, ["outbox", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 3


def test_outbox_lists_quarantine_notifications(job, served):
    job("create", "--notify", "ops@contoso.com", "--start")
    assert "the outbox is empty" in job("outbox").output
    job("advance", "PT1M")
    httpx.post(f"{served.url}/_provsim/purecloud/tokens/revoke", json={"client_id": "provsim-purecloud-client"})
    job("restart")  # the new initial cycle tests the connection first: 401 -> quarantine
    assert "QUARANTINED (Unauthorized)" in job("advance", "PT1M").output
    lines = job("outbox").output.splitlines()
    assert lines and all("to ops@contoso.com" in line for line in lines)
    messages = json.loads(job("outbox", root=("--json",)).output)
    assert messages and all("eml" not in m for m in messages)
    raw = json.loads(job("outbox", "--raw", root=("--json",)).output)
    assert raw[0]["eml"].startswith("From: ") or "Subject:" in raw[0]["eml"]
    assert "Subject:" in job("outbox", "--raw").output


def test_in_process_with_a_state_file(cli, tmp_path):
    state = str(tmp_path / "state.json")

    def run(*args: str) -> str:
        result = cli.invoke(provsim, ["job", *args, "--in-process", "--state", state])
        assert result.exit_code == 0, result.output
        return result.output

    assert "tenant URL http://provsim.local/api/v2/scim/v2" in run("create")
    run("start")
    assert "initial cycle" in run("advance", "PT1M")
    assert "Last cycle:    Succeeded" in run("status")
    assert len(run("logs", "--action", "create", "--top", "3").splitlines()) == 3


def test_in_process_without_state_is_one_shot(cli):
    result = cli.invoke(provsim, ["job", "list", "--in-process"])
    assert result.exit_code == 0 and "no provisioning jobs" in result.output


def test_format_status_shows_quarantine_and_never():
    text = format_status({
        "id": "purecloud.a.b", "templateId": "purecloud", "schedule": {"state": "Active", "interval": "PT40M"},
        "status": {"code": "Quarantine", "lastExecution": {
            "state": "Failed", "timeBegan": "2026-01-05T09:00:00Z", "timeEnded": "2026-01-05T09:00:01Z",
            "countImported": 0, "countExported": 0, "countEscrowed": 0, "countEntitled": 0,
            "error": {"code": "Unauthorized", "message": "Genesys answered 401"}},
            "lastSuccessfulExecution": None, "countSuccessiveCompleteFailures": 2,
            "quarantine": {"reason": "EncounteredQuarantineException", "currentBegan": "2026-01-05T09:00:01Z",
                           "seriesCount": 2, "nextAttempt": "2026-01-06T09:00:01Z",
                           "error": {"code": "Unauthorized", "message": "Genesys answered 401"}},
            "steadyStateFirstAchievedTime": "0001-01-01T00:00:00Z", "steadyStateLastAchievedTime": "0001-01-01T00:00:00Z",
            "synchronizedEntryCountByType": []}})
    assert "Status:        Quarantine" in text
    assert "error Unauthorized: Genesys answered 401" in text
    assert "Quarantine:    EncounteredQuarantineException since 2026-01-05T09:00:01Z (series of 2)" in text
    assert "Last success:  never" in text and "first never" in text
    assert "Successive complete failures: 2" in text
