"""Issue 12, observation 4: every command honours --json (global and after the command), and no user
mistake ends in a traceback: a readable message and a non-zero exit status instead."""

from __future__ import annotations

import json
from pathlib import Path

import click
import httpx
import pytest

from simulator.cli import cli as provsim

SCENARIO = """name: {name}
tenant: {tenant}
steps:
  - configure: {{}}
  - start: {{}}
  - advance: PT1M
  - expect:
{expect}
"""


def readable_failure(result, *needles: str) -> str:
    """The command failed the way a user should see it: exit 1 (or 2), a message, no traceback."""
    assert result.exit_code in (1, 2), (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, result.output
    return result.output


def leaf_commands(group: click.Group, ctx: click.Context, prefix=()):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from leaf_commands(command, ctx, (*prefix, name))
        elif command is not None:
            yield (*prefix, name)


def test_every_command_takes_json_after_it(cli):
    commands = list(leaf_commands(provsim, click.Context(provsim)))
    assert ("job", "secret") in commands and ("job", "delete") in commands and ("demo",) in commands
    missing = [" ".join(c) for c in commands if "--json" not in cli.invoke(provsim, [*c, "--help"]).output]
    assert not missing, missing


@pytest.mark.parametrize("args", [
    ["demo", "--json"], ["--json", "demo"],
    ["scenario", "list", "--json"], ["tour", "--json"], ["token", "graph", "--json"],
    ["job", "list", "--in-process", "--json"],
])
def test_json_output_parses(cli, args):
    result = cli.invoke(provsim, args)
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)


@pytest.mark.parametrize("where", ["global", "after"])
def test_cassette_check_and_diff_honour_json(cli, where):
    golden = str(Path(__file__).resolve().parents[2] / "cassettes" / "proxy" / "mini-scim-session.yaml")
    for command in (["cassette", "check", golden], ["cassette", "diff", golden, golden]):
        args = ["--json", *command] if where == "global" else [*command, "--json"]
        result = cli.invoke(provsim, args)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["ok" if command[1] == "check" else "equal"] is True


def test_tour_on_the_blank_tenant(cli):
    result = cli.invoke(provsim, ["tour", "--fixture", "blank"])
    assert result.exit_code == 0, result.output
    assert "skipped: this org has no group Sales" in result.output
    steps = json.loads(cli.invoke(provsim, ["tour", "--fixture", "blank", "--json"]).output)["steps"]
    assert [s for s in steps if "skipped" in s]


def test_scenario_naming_an_unknown_tenant(cli, tmp_path):
    path = tmp_path / "story.yaml"
    path.write_text(SCENARIO.format(name="story", tenant="nosuch", expect="      job: {code: Active}"))
    readable_failure(cli.invoke(provsim, ["scenario", "run", str(path)]), "no tenant fixture 'nosuch'", "contoso")


@pytest.mark.parametrize("expect, message", [
    ("      genesys_user: {usrName: alex.wilber@contoso.com}", "genesys_user: missing 'userName'"),
    ("      logs: {acton: create, count: 3}", "logs: unknown key 'acton' (did you mean 'action'?)"),
    ("      genesys_group: {members: []}", "genesys_group: missing 'displayName'"),
    ("      genesys_usr: {userName: x@contoso.com}", "unknown expectation 'genesys_usr'"),
    ("      outbox: 3", "outbox: expected mapping, got a number"),
])
def test_an_expectation_with_a_misspelt_key(cli, tmp_path, expect, message):
    path = tmp_path / "story.yaml"
    path.write_text(SCENARIO.format(name="story", tenant="contoso", expect=expect))
    readable_failure(cli.invoke(provsim, ["scenario", "run", str(path)]), "step 4 (expect)", message)


def test_serve_given_a_scenario_file(cli):
    demo = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios" / "demo.yaml"
    readable_failure(cli.invoke(provsim, ["serve", "--fixture", str(demo), "--port", "0"]),
                     "is a scenario, not a tenant fixture", "provsim scenario run")


@pytest.mark.parametrize("text, message", [
    ("just: text\n", "a tenant fixture is a mapping"),
    ("tenant: contoso\ndirectory: [1, 2]\npurecloud: {}\n", "directory is not a mapping"),
    ("- 1\n- 2\n", "a tenant fixture is a mapping"),
])
def test_a_tenant_file_that_is_not_a_tenant(cli, tmp_path, text, message):
    path = tmp_path / "tenant.yaml"
    path.write_text(text)
    for args in (["serve", "--fixture", str(path), "--port", "0"], ["tour", "--fixture", str(path)],
                 ["job", "list", "--in-process", "--fixture", str(path)], ["token", "purecloud", "--fixture", str(path)]):
        readable_failure(cli.invoke(provsim, args), message)


def test_store_errors_are_readable_in_every_command(cli, tmp_path, monkeypatch):
    """Whatever the store refuses (issue 11 makes it refuse corrupt state files) reaches the user as text."""
    from simulator.core import StoreError, runtime

    def refuse(path, **_options):
        raise StoreError(f"{path}: not a provsim state file")

    monkeypatch.setattr(runtime, "Store", refuse)
    state = str(tmp_path / "state.json")
    for args in (["serve", "--state", state, "--port", "0"], ["job", "list", "--in-process", "--state", state],
                 ["outbox", "--in-process", "--state", state]):
        readable_failure(cli.invoke(provsim, args), "not a provsim state file")


@pytest.mark.parametrize("content", ['{"a": 1}', "[1, 2]", '{"_default": [1]}'])
def test_a_state_file_that_is_json_but_not_state(cli, tmp_path, content):
    state = tmp_path / "state.json"
    state.write_text(content)
    readable_failure(cli.invoke(provsim, ["job", "list", "--in-process", "--state", str(state)]))


def test_token_purecloud_says_where_its_token_works(cli, served):
    local = cli.invoke(provsim, ["token", "purecloud"])
    assert local.exit_code == 0 and "only works in this process" in local.stderr and "--url" in local.stderr
    token = cli.invoke(provsim, ["token", "purecloud", "--url", served.url]).stdout.strip()
    users = httpx.get(f"{served.url}/api/v2/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    assert users.status_code == 200
    env_token = cli.invoke(provsim, ["token", "purecloud"], env={"PROVSIM_URL": served.url})
    assert "only works in this process" not in env_token.stderr
    assert httpx.get(f"{served.url}/api/v2/scim/v2/Users",
                     headers={"Authorization": f"Bearer {env_token.stdout.strip()}"}).status_code == 200


def test_job_secret_re_enters_the_token_after_it_was_revoked(cli, served):
    def job(*args, expect=0):
        result = cli.invoke(provsim, ["job", *args, "--url", served.url])
        assert result.exit_code == expect, result.output
        return result

    job_id = json.loads(job("create", "--start", "--json").output)["jobId"]
    job("advance", "PT1M")
    httpx.post(f"{served.url}/_provsim/purecloud/tokens/revoke", json={"client_id": "provsim-purecloud-client"})
    job("restart")  # a full cycle again, with the revoked token
    job("advance", "PT1M")
    quarantine = json.loads(job("status", "--json").output)["status"]["quarantine"]
    assert quarantine["reason"] == "EncounteredQuarantineException" and quarantine["error"]["code"] == "Unauthorized"
    saved = json.loads(job("secret", "--json").output)
    assert saved == {"jobId": job_id, "tenantUrl": f"{served.url}/api/v2/scim/v2", "secretTokenSaved": True,
                     "connectionTested": True}
    job("restart", "--reset-scope", "QuarantineState")
    job("advance", "PT1M")
    status = json.loads(job("status", "--json").output)["status"]
    assert status.get("quarantine") is None and status["lastExecution"]["state"] == "Succeeded"
    bad = job("secret", "--secret-token", "not-a-token", expect=1).output
    assert "the connection test failed" in bad


def test_job_delete(cli, served):
    def job(*args, expect=0, **kwargs):
        result = cli.invoke(provsim, ["job", *args, "--url", served.url], **kwargs)
        assert result.exit_code == expect, result.output
        return result

    job_id = json.loads(job("create", "--json").output)["jobId"]
    assert "Aborted" in job("delete", expect=1, input="n\n").output
    assert f"job {job_id}: deleted" in job("delete", "--yes").output
    assert "no provisioning job yet" in job("status", expect=1).output
