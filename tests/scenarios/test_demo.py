"""`make run`: the demo story end to end, as a user sees it."""

import json

from simulator.cli import cli as provsim


def test_demo_runs_every_expectation_and_is_byte_identical(cli):
    first = cli.invoke(provsim, ["demo", "--no-progress"])
    assert first.exit_code == 0, first.output
    second = cli.invoke(provsim, ["demo", "--no-progress"])
    assert first.output == second.output
    out = first.output
    assert "Expectations: 3 steps, all held" in out
    # the provisioning story a user reads: created, matched, skipped, disabled, deleted
    assert "Create       Success  User   alex.wilber@contoso.com" in out
    assert "Update       Success  User   megan.bowen@contoso.com" in out  # matched the hand-made Genesys user
    assert "GroupMissingInTarget" in out and "Marketing" in out
    assert "Disable      Success  User   joni.sherman@contoso.com" in out
    assert "Delete       Success  User   patti.fernandez@contoso.com" in out
    # no secret reaches the report
    assert "provsim-purecloud-secret" not in out and "Bearer" not in out


def test_demo_json_report_is_machine_readable_and_scrubbed(cli):
    result = cli.invoke(provsim, ["--json", "demo", "--no-progress"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True and data["scenario"] == "demo"
    actions = {e["provisioningAction"] for e in data["provisioningLogs"]}
    assert {"create", "update", "disable", "delete", "other"} <= actions
    assert all(e["jobId"] == data["job"]["id"] for e in data["provisioningLogs"])
    assert "provsim-purecloud-secret" not in result.output


def test_demo_report_file_has_no_progress_bar(cli, tmp_path):
    out = tmp_path / "report.txt"
    result = cli.invoke(provsim, ["demo", "--progress", "--out", str(out)])
    assert result.exit_code == 0
    text = out.read_text()
    assert "[####" not in text and "\r" not in text
    assert text.startswith("provsim scenario: demo")
