"""``provsim incident import|replay`` on the command line: what it prints, its exit status (0 all
reproduced, 1 some diverge, 2 invalid input naming the file and the element), ``--json``, a what-if
edit, logs that begin mid-life."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.app import scenario_runner
from simulator.cli import cli as provsim
from simulator.scenario import load_scenario


@pytest.fixture(scope="module")
def outage(tmp_path_factory) -> dict:
    """genesys-outage's logs (twelve hours of 503s: six failed cycles, quarantine, the next day's attempt
    succeeds), imported once."""
    folder = tmp_path_factory.mktemp("outage")
    logs = scenario_runner(load_scenario("genesys-outage")).run().logs
    path = folder / "logs.json"
    path.write_text(json.dumps(list(reversed(logs))), encoding="utf-8")  # the portal's plain array
    result = CliRunner().invoke(provsim, ["incident", "import", str(path), "--fixture", "contoso",
                                          "--out", str(folder / "story.yaml")])
    return {"folder": folder, "logs": path, "entries": logs, "import": result}


def run(*args: str):
    return CliRunner().invoke(provsim, ["incident", *args])


def test_import_says_what_it_read_and_wrote(outage) -> None:
    result = outage["import"]
    assert result.exit_code == 0, result.output
    total = len(outage["entries"])
    assert f"read {outage['logs']}: {total} entries in 8 runs, 2026-01-05 09:00:00 to 2026-01-06 13:00:00" in result.output
    assert f"a trial run of the story reproduced {total} of {total} log entries" in result.output
    assert (outage["folder"] / "story.tenant.yaml").exists()


def test_replay_reproduces_every_entry(outage) -> None:
    result = run("replay", str(outage["folder"] / "story.yaml"), "--logs", str(outage["logs"]))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"reproduced {len(outage['entries'])} of {len(outage['entries'])} log entries"


def test_what_if_the_outage_had_been_shorter(outage, tmp_path: Path) -> None:
    """Edit the story (the outage window ends after the 10:20 cycle) and replay: Alex's change lands at
    11:00, the later failures are gone, and so is the quarantine (the next day's attempt has nothing to do)."""
    text = (outage["folder"] / "story.yaml").read_text(encoding="utf-8")
    marker = "  - title: Genesys answers again (before the 2026-01-06 13:00:00 run)\n    clear_faults: {}\n"
    assert marker in text
    text = text.replace(marker, "")
    second = "  - title: '2026-01-05 10:20:00 cycle: 1 update failure (as logged)'\n    advance: PT1.251S\n"
    assert text.count(second) == 1
    text = text.replace(second, second + "  - clear_faults: {}\n")
    story = outage["folder"] / "what-if.yaml"
    story.write_text(text, encoding="utf-8")
    result = run("replay", str(story), "--logs", str(outage["logs"]), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    by_field = {(d["field"], d["real"], d["simulated"]) for d in report["divergences"]}
    assert ("provisioningStatusInfo.status", "failure", "success") in by_field  # 11:00: Alex's change lands
    gone = [d["real"][11:16] for d in report["divergences"] if d["field"] == "entry" and d["simulated"] is None]
    assert gone == ["11:40", "12:20", "13:00", "13:00"]  # the simulated run has no entry for them (the last: a day later)
    assert report["reproduced"] == report["total"] - 5

def test_logs_that_begin_mid_life_get_a_warm_up_cycle(outage, tmp_path: Path) -> None:
    first = outage["entries"][0]["cycleId"]
    later = [e for e in outage["entries"] if e["cycleId"] != first]
    logs = tmp_path / "later.json"
    logs.write_text(json.dumps({"value": later}), encoding="utf-8")
    imported = run("import", str(logs), "--fixture", "contoso", "--out", str(tmp_path / "later.yaml"))
    assert imported.exit_code == 0, imported.output
    assert "the logs begin mid-life: a warm-up initial cycle" in imported.output
    replayed = run("replay", str(tmp_path / "later.yaml"), "--logs", str(logs))
    assert replayed.exit_code == 0, replayed.output
    assert f"reproduced {len(later)} of {len(later)}" in replayed.output


def test_invalid_logs_exit_2_naming_file_and_element(outage, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"value": [{"id": "x", "activityDateTime": 5}]}), encoding="utf-8")
    for command in (["import", str(bad), "--out", str(tmp_path / "s.yaml")],
                    ["replay", str(outage["folder"] / "story.yaml"), "--logs", str(bad)]):
        result = run(*command, "--json")
        assert result.exit_code == 2, result.output
        assert json.loads(result.stdout) == {"error": {
            "code": "invalid_logs", "file": str(bad), "element": "value[0].activityDateTime",
            "message": f"{bad}: value[0].activityDateTime: every entry needs its activityDateTime (ISO-8601 UTC)"}}
        text = run(*command)
        assert text.exit_code == 2 and f"Error: {bad}: value[0].activityDateTime" in text.output


def test_an_invalid_story_exits_2_with_line_and_column(outage, tmp_path: Path) -> None:
    story = tmp_path / "broken.yaml"
    text = (outage["folder"] / "story.yaml").read_text(encoding="utf-8").replace("clear_faults: {}", "clear_fault: {}", 1)
    story.write_text(text, encoding="utf-8")
    (tmp_path / "story.tenant.yaml").write_text((outage["folder"] / "story.tenant.yaml").read_text(encoding="utf-8"))
    story.write_text(text.replace("tenant: story.tenant.yaml", "tenant: story.tenant.yaml"), encoding="utf-8")
    result = run("replay", str(story), "--logs", str(outage["logs"]), "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "invalid_story" and error["file"] == str(story)
    assert any("unknown verb 'clear_fault'" in p["message"] and p["line"] > 1 for p in error["problems"])
    missing = run("replay", str(tmp_path / "nothing.yaml"), "--logs", str(outage["logs"]))
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_empty_logs_and_a_missing_fixture_are_invalid_input(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text('{"value": []}', encoding="utf-8")
    result = run("import", str(empty), "--out", str(tmp_path / "s.yaml"))
    assert result.exit_code == 2 and "no provisioning-log entries" in result.output
    one = tmp_path / "one.json"
    one.write_text(json.dumps([{"id": "a", "activityDateTime": "2026-01-05T09:00:00Z", "provisioningAction": "create",
                                "provisioningStatusInfo": {"status": "success"},
                                "sourceIdentity": {"id": "a", "displayName": "A", "identityType": "User"}}]))
    nofixture = run("import", str(one), "--fixture", "no-such-tenant", "--out", str(tmp_path / "s.yaml"), "--json")
    assert nofixture.exit_code == 2
    assert json.loads(nofixture.stdout)["error"]["code"] == "invalid_fixture"
