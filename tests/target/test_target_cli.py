"""`provsim scenario run NAME --target URL --token ...` against scim2-server on a real loopback socket."""

from __future__ import annotations

import json
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from scim2_apps import LIFECYCLE, make_scim2_app

from simulator.cli import cli as provsim

SECRET = "cli-secret-0123456789"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # no access log on the test's stderr
        pass


@pytest.fixture
def scim2_url():
    server = make_server("127.0.0.1", 0, make_scim2_app(token=SECRET, predictable=True), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v2"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow  # a served SCIM server and the CLI's --target run (seconds)
def test_target_report_over_http_as_json_into_a_file(cli, scim2_url, tmp_path):
    """--target --json --out FILE: the report in the file only; stdout a short JSON summary (issue 25)."""
    out = tmp_path / "report.json"
    result = cli.invoke(provsim, ["scenario", "run", "--target", scim2_url, "--token", SECRET, "--json", "--no-progress",
                                  "--out", str(out)])
    assert result.exit_code == 1, result.output  # patterns failed (manager, remove-members): exit 1, as documented
    data = json.loads(out.read_text())
    assert data["scenario"] == "scim-lifecycle"  # --target without a story name runs the lifecycle story
    assert data["target"] == {"tenantUrl": scim2_url, "profile": "scim", "secretToken": "given (not shown)"}
    assert {v["pattern"]: v["verdict"] for v in data["verdicts"]}["remove-members"] == "fail"
    summary = json.loads(result.stdout)
    assert len(result.stdout) < 2000 and summary["report"] == str(out)
    assert summary["failed"] == ["manager", "remove-members"] and summary["ok"] is False
    assert summary["headline"] == data["headline"] == (
        "FAILED: your SCIM server failed 2 pattern(s): Set a user's manager, Remove group members (Entra's default shape)")
    assert result.stderr.strip() == "Error: " + summary["headline"]
    assert SECRET not in result.output and SECRET not in out.read_text()


@pytest.mark.slow  # a served SCIM server and the CLI's --target run (seconds)
def test_out_in_text_keeps_the_report_in_the_file(cli, scim2_url, tmp_path):
    out = tmp_path / "report.txt"
    result = cli.invoke(provsim, ["scenario", "run", "--target", scim2_url, "--token", SECRET, "--no-progress",
                                  "--out", str(out)])
    assert result.stdout.splitlines()[0] == out.read_text().splitlines()[0]  # the headline, in both
    assert result.stdout.splitlines()[-1] == f"report written to {out}" and len(result.stdout.splitlines()) == 3
    assert "Requests (sent / expected / got):" in out.read_text()


@pytest.mark.slow  # a served SCIM server and the CLI's --target run (seconds)
def test_token_from_the_environment_and_the_genesys_profile(cli, scim2_url):
    result = cli.invoke(provsim, ["scenario", "run", str(LIFECYCLE), "--target", scim2_url, "--profile", "genesys",
                                  "--no-progress"], env={"PROVSIM_TARGET_TOKEN": SECRET})
    assert "Target profile: genesys; secret token: given (not shown)" in result.output
    assert "the genesys profile never creates groups" in result.output
    assert SECRET not in result.output


@pytest.mark.slow  # a served SCIM server and the CLI's --target run (seconds)
def test_a_wrong_token_is_the_first_line(cli, scim2_url):
    result = cli.invoke(provsim, ["scenario", "run", "--target", scim2_url, "--token", "nope", "--no-progress"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stdout.splitlines()[0] == ("FAILED: your SCIM server refused the token (401 on Test Connection). Fix: "
                                             "check --token (or $PROVSIM_TARGET_TOKEN): it is sent as Authorization: "
                                             "Bearer TOKEN.")
    assert "FAIL      Test connection" in result.output
    assert "status: answered 401, expected 200" in result.output
    assert "Genesys" not in result.output  # every message names your SCIM server


@pytest.mark.slow  # a served SCIM server and the CLI's --target run (seconds)
def test_no_token_is_the_first_line(cli, scim2_url):
    result = cli.invoke(provsim, ["scenario", "run", "--target", scim2_url, "--no-progress"])
    assert result.stdout.splitlines()[0].startswith(
        "FAILED: your SCIM server refused Test Connection with 401: no token was sent. Fix: pass the secret token")


@pytest.mark.slow  # a served SCIM server and the CLI's --target run (seconds)
def test_a_url_ending_in_users_is_the_first_line(cli, scim2_url):
    result = cli.invoke(provsim, ["scenario", "run", "--target", scim2_url + "/Users", "--token", SECRET, "--no-progress"])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "FAILED: the tenant URL ends in /Users. Fix: the URL should be the SCIM root, not …/Users: the engine appends "
        f"/Users and /Groups itself (try --target {scim2_url}).")


@pytest.mark.slow  # a served SCIM server and the CLI's --target run (seconds)
def test_provsims_own_web_root_is_not_a_scim_root(cli, served):
    """The web root of a running provsim answers /Users with a 404 page: the URL is not the SCIM root."""
    result = cli.invoke(provsim, ["scenario", "run", "--target", served.url, "--no-progress", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["diagnosis"]["code"] == "not-scim"
    assert data["headline"].startswith("FAILED: your SCIM server answered GET /Users with 404")
    assert "the URL should be the SCIM root" in data["headline"]


@pytest.mark.parametrize("args, message", [
    (["--token", "x"], "--token and --profile go with --target URL"),
    (["--profile", "scim"], "--token and --profile go with --target URL"),
    (["--target", "ftp://nowhere"], "the target must be an http(s) URL"),
    (["--target", "http://127.0.0.1:9/v2", "--junit", "x.xml"], "--junit is not available with --target"),
])
def test_option_mistakes(cli, args, message):
    result = cli.invoke(provsim, ["scenario", "run", "demo", *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_an_unreachable_server_is_the_first_line(cli):
    result = cli.invoke(provsim, ["scenario", "run", "demo", "--target", "http://127.0.0.1:9/scim", "--no-progress"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stdout.splitlines()[0] == (
        "FAILED: nothing answers at 127.0.0.1:9 (ConnectError: [Errno 111] Connection refused). Fix: start your SCIM "
        "server, or check the host and port of --target.")
    assert "FAIL      Test connection" in result.output and "answer: no answer: ConnectError" in result.output
    assert "The connection to your SCIM server failed" in result.output and "Genesys" not in result.output


def test_without_a_story_and_without_a_target_the_name_is_missing(cli):
    result = cli.invoke(provsim, ["scenario", "run"])
    assert result.exit_code == 2 and "with --target URL it defaults to scim-lifecycle" in result.output


def test_a_bad_profile_is_blamed_on_profile_not_on_the_target_url():
    """run_target_command parses the profile at its edge (mypy found a str passed on as a TargetProfile):
    a bad one names --profile, the URL stays unblamed."""
    import click

    from simulator.cli import Context
    from simulator.scenario.cli import run_target_command

    with pytest.raises(click.BadParameter) as caught:
        run_target_command(Context(), str(LIFECYCLE), "http://127.0.0.1:9/v2", token=None, profile="bogus",
                           seed=None, out=None, progress=False, record_target=None)
    assert caught.value.param_hint == "--profile"
    assert "'bogus' is not a target profile; valid: genesys, scim" in caught.value.format_message()
