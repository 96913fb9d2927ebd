"""What a user gets from `provsim scenario run NAME` and `provsim scenario list`: the timeline, the exit
status, --json, --junit (read back by a JUnit parser, as CI does), the same bytes every run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from simulator.cli import cli as provsim
from simulator.scenario import model

# A story that shows every kind of outcome: cycles, provision on demand, a check that does not
# hold, a long advance, a call the simulator refuses, and a check that never runs.
MIXED = """
name: mixed
description: |
  A small story for the tests:
  one cycle, one on-demand provisioning.

  Then things go wrong.
steps:
  - configure: {}
  - start: {}
  - title: The initial cycle
    advance: PT40M
  - provision_on_demand: {object_id: "${user:lee}"}
  - title: Counts and status
    expect:
      genesys_users: {active: 99}
      job: {code: Active}
  - advance: PT23H  # the demo Genesys token lives 24 h: a day would expire it (see the quarantine stories)
  - graph: {method: GET, path: /users/nobody-here}
  - title: Never checked
    expect: {logs: {action: create}}
"""

GREEN = """
name: green
description: Configure and start; nothing provisioned yet.
steps:
  - genesys_token: {}
  - configure: {scope: assigned}
  - start: {}
  - title: Only the hand-made Genesys users so far
    expect:
      genesys_users: {total: 2}
      job: {schedule.state: Active}
  - expect: {outbox: {count: 0}}
"""


def _write(tmp_path, text, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    """Run MIXED once through the CLI: (result, report text, JUnit path, story path)."""
    from click.testing import CliRunner

    tmp = tmp_path_factory.mktemp("mixed")
    path = _write(tmp, MIXED, "mixed")
    junit = tmp / "junit.xml"
    result = CliRunner().invoke(provsim, ["scenario", "run", str(path), "--no-progress", "--junit", str(junit)])
    return result, result.stdout, junit, path


def test_timeline_shows_cycles_entries_on_demand_failures_and_what_did_not_run(mixed_run):
    result, text, _, _ = mixed_run
    assert result.exit_code == 1
    assert "Error: 2 step(s) failed" in result.stderr
    lines = text.splitlines()
    assert lines[:4] == ["provsim scenario: mixed", "  A small story for the tests: one cycle, one on-demand provisioning.",
                         "", "  Then things go wrong."]
    assert "[3] 09:00:00  The initial cycle" in lines
    assert "    Cycle 1 (initial) 09:00:00-09:00:19: Succeeded, 27 imported, 49 exported, 0 escrowed; job status Active" in lines
    assert "      09:00:01  Create       Success  User   alex.wilber@contoso.com" in lines
    # the on-demand entry is on the step's timeline, not lost for want of a cycle
    at = lines.index("[4] 09:40:00  provision on demand")
    assert lines[at + 1:at + 3] == ["    Provision on demand: Skipped (UserDisabled)", "      09:40:00  Other        Skipped  User   Lee Gu"]
    assert "[5] 09:40:00  Counts and status  [FAILED]" in lines
    assert "    expect genesys_users: FAILED" in lines and "    expect job: ok" in lines
    # a day of idle cycles is one line, and times after the first day carry the date
    assert ("    Cycles 3-36 (incremental) 10:20:00 .. 2026-01-06 08:20:00: 34 cycles, nothing to import or export; "
            "job status Active") in lines
    assert "[7] 2026-01-06 08:40:00  graph  [ERROR]" in lines
    assert any(line.startswith("    ERROR: Request_ResourceNotFound:") and "(GET /v1.0/users/nobody-here -> 404)" in line
               for line in lines)
    assert "[8] not run  Never checked" in lines
    assert "  Expectations: 2 steps, 1 failed, 1 not run" in lines
    assert "  FAILED step 5 (Counts and status): genesys_users: active users: 23, expected 99" in lines


def test_junit_has_one_testcase_per_expect_step_as_ci_reads_it(mixed_run):
    _, _, junit, _ = mixed_run
    xml = JUnitXml.fromfile(str(junit))
    (suite,) = list(xml)
    assert (suite.name, suite.tests, suite.failures, suite.errors, suite.skipped, suite.time) == ("mixed", 3, 1, 1, 1, 0)
    checks, refused, never = list(suite)
    assert checks.classname == "provsim.scenario.mixed" and checks.name == "step 5: Counts and status"
    assert isinstance(checks.result[0], Failure)
    assert checks.result[0].message == "genesys_users: active users: 23, expected 99"
    assert "expect job: ok" in checks.system_out
    assert refused.name == "step 7: graph" and isinstance(refused.result[0], Error)
    assert "Request_ResourceNotFound" in refused.result[0].message
    assert never.name == "step 8: Never checked" and isinstance(never.result[0], Skipped)
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "1" and root.get("errors") == "1"
    assert {e.get("time") for e in root.iter() if e.get("time") is not None} == {"0"}  # no wall time anywhere
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props == {"tenant": "contoso", "seed": "0", "virtualStart": "2026-01-05T09:00:00Z",
                     "virtualEnd": "2026-01-06T08:40:00Z"}


def test_green_story_exits_0_and_its_junit_passes(cli, tmp_path):
    path = _write(tmp_path, GREEN, "green")
    junit = tmp_path / "junit.xml"
    result = cli.invoke(provsim, ["scenario", "run", str(path), "--no-progress", "--junit", str(junit)])
    assert result.exit_code == 0, result.output
    assert "  Expectations: 2 steps, all held" in result.stdout
    (suite,) = list(JUnitXml.fromfile(str(junit)))
    assert suite.tests == 2 and all(case.is_passed for case in suite)
    assert [case.name for case in suite] == ["step 4: Only the hand-made Genesys users so far", "step 5: expect"]


def test_json_after_the_command_is_the_global_json(cli, tmp_path):
    path = _write(tmp_path, GREEN, "green")
    after = cli.invoke(provsim, ["scenario", "run", str(path), "--json", "--no-progress"])
    before = cli.invoke(provsim, ["--json", "scenario", "run", str(path), "--no-progress"])
    assert after.exit_code == before.exit_code == 0
    assert after.stdout == before.stdout
    data = json.loads(after.stdout)
    assert data["ok"] is True and data["notRun"] == []
    assert [s["outcome"] for s in data["steps"]] == ["ok"] * 5


def test_json_report_marks_failed_error_and_not_run_steps(mixed_run, cli):
    _, _, _, path = mixed_run
    data = json.loads(cli.invoke(provsim, ["scenario", "run", str(path), "--json", "--no-progress"]).stdout)
    by_index = {s["index"]: s for s in data["steps"]}
    assert by_index[5]["outcome"] == "failed" and by_index[5]["problems"] == ["genesys_users: active users: 23, expected 99"]
    assert by_index[7]["outcome"] == "error"
    assert data["notRun"] == [{"index": 8, "verb": "expect", "title": "Never checked"}]
    on_demand = by_index[4]["logEntries"]
    assert len(on_demand) == 1 and on_demand[0] in {e["id"] for e in data["provisioningLogs"]}


@pytest.mark.slow  # the story again in two fresh interpreters (seconds)
def test_same_story_same_seed_same_bytes_in_two_processes(mixed_run, tmp_path):
    """Report, JSON and JUnit are byte-identical across processes (no wall time, no host detail)."""
    _, text, junit, path = mixed_run
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    outputs = []
    for n in (1, 2):
        out_junit = tmp_path / f"junit{n}.xml"
        run = subprocess.run([sys.executable, "-m", "simulator.cli", "--json", "scenario", "run", str(path), "--no-progress",
                              "--junit", str(out_junit)], capture_output=True, text=True, env=env, timeout=300)
        assert run.returncode == 1, run.stderr
        outputs.append((run.stdout, out_junit.read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][1] == junit.read_bytes()  # and the same as the in-process run


def test_list_shows_each_story_with_its_paragraph_and_flags_a_broken_one(cli, tmp_path, monkeypatch):
    _write(tmp_path, MIXED, "mixed")
    _write(tmp_path, GREEN.replace("configure: {scope: assigned}", "configure: {scop: assigned}"), "broken")
    monkeypatch.setattr(model, "_scenario_dirs", lambda: [tmp_path])
    result = cli.invoke(provsim, ["scenario", "list"])
    assert result.exit_code == 2
    assert result.stdout.startswith(
        "broken  INVALID\n"
        f"  {tmp_path / 'broken.yaml'}:5:17: step 2 (configure): unknown argument 'scop' (did you mean 'scope'?)")
    assert ("mixed  (tenant contoso, 8 steps)\n"
            "  A small story for the tests: one cycle, one on-demand provisioning.\n"
            "\n"
            "  Then things go wrong.\n") in result.stdout
    data = json.loads(cli.invoke(provsim, ["scenario", "list", "--json"]).stdout)
    assert [(i["name"], i["valid"]) for i in data] == [("broken", False), ("mixed", True)]
    assert data[1]["description"] == "A small story for the tests: one cycle, one on-demand provisioning.\n\nThen things go wrong."


def test_shipped_list_exits_0_and_shows_every_story_with_its_description(cli):
    result = cli.invoke(provsim, ["scenario", "list"])
    assert result.exit_code == 0, result.output
    assert "\ndemo  (tenant contoso, 17 steps)\n  Contoso's Entra directory provisioned" in result.stdout
    for scenario in model.list_scenarios():
        assert f"{scenario.name}  (tenant {scenario.tenant}, {len(scenario.steps)} steps)\n  " in result.stdout


def test_a_tenant_beside_the_story_is_used(cli, tmp_path, tenant_beside):
    path = _write(tmp_path, 'tenant: tenants/mine.yaml\nsteps:\n  - say: "Alex is ${upn:alexw}"\n', "beside")
    result = cli.invoke(provsim, ["scenario", "run", str(path), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "    Alex is alex.wilber@contoso.com" in result.stdout


OBSERVED = """
steps:
  - configure: {}
  - start: {}
  - fault: {surface: graph, method: GET, path: "*", nth: 1, status: 503}
  - expect: {job: {code: NotRun, schedule.state: Active}, genesys_users: {total: 2}, outbox: {count: 0}}
  - title: The first Graph GET after the fault rule is the one it hits
    graph: {method: GET, path: /users, expect_status: 503}
  - advance: PT40M
  - expect: {logs: {action: create, count: 21}, job: {lastExecution.state: Succeeded}}
"""


def test_expectations_observe_without_changing_the_story(cli, tmp_path):
    """An expect step sends nothing a fault rule, a rate limit or an id stream could see: the story's own
    Graph call still meets the fault it was written for, and the engine's traffic is the same without it."""
    with_checks = _write(tmp_path, OBSERVED, "with")
    without = _write(tmp_path, "\n".join(line for line in OBSERVED.splitlines() if "expect:" not in line), "without")
    cassettes = []
    for path in (with_checks, without):
        cassette = tmp_path / f"{path.stem}.cassette.yaml"
        result = cli.invoke(provsim, ["scenario", "run", str(path), "--no-progress", "--record-target", str(cassette)])
        assert result.exit_code == 0, result.output
        cassettes.append(cassette.read_bytes())
    assert cassettes[0] == cassettes[1]


def test_a_runner_without_an_app_is_built_by_the_composition_root():
    """The scenario layer builds no app (the app -> web -> scenario cycle is broken): a runner is given
    an app or a builder, and ``simulator.app.scenario_runner`` is the one on a fresh simulator."""
    from simulator.app import create_app, fresh_app, scenario_runner
    from simulator.scenario.runner import ScenarioRunner

    story = model.load_scenario("demo")
    with pytest.raises(TypeError, match=r"simulator\.app\.scenario_runner"):
        ScenarioRunner(story)
    runner = scenario_runner(story, seed=7)
    assert runner.config.seed == 7 and runner.config.fixture == (story.tenant_path or story.tenant)
    assert runner.runtime.config is runner.config
    built = []
    ScenarioRunner(story, build=lambda config, fixture: built.append((config, fixture)) or fresh_app(config, fixture))
    assert [(c.seed, f) for c, f in built] == [(story.seed, None)]
    app = create_app(seed=3)
    assert ScenarioRunner(story, app=app).runtime is app.extensions["provsim"]
