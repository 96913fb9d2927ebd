"""The scenario library: every shipped story holds all its expectations and matches its goldens.

Each story runs once, in this process, with the engine's traffic on a tape (``golden.record``); its
report and cassette are compared byte for byte with ``cassettes/scenarios`` (written by another
process, ``make goldens``: equal bytes also show that two processes give the same report and
cassette), and a difference fails with ``provsim cassette diff``'s readable output.  The
10,000-user story is in test_large_tenant.py (slow).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.app import fresh_app
from simulator.proxy.cassette import load_interactions, save_interactions
from simulator.scenario import golden
from simulator.scenario.model import load_scenario, scenario_paths

ROOT = Path(__file__).resolve().parents[2]
GOLDENS = ROOT / "cassettes" / "scenarios"
LIBRARY = [p.stem for p in scenario_paths() if load_scenario(p).generate is None]
_RUNS: dict[str, golden.GoldenRun] = {}


def run_of(name: str) -> golden.GoldenRun:
    """The story's run, once per test session module (the stories are deterministic: one run serves every test)."""
    if name not in _RUNS:
        _RUNS[name] = golden.record(name, build=fresh_app)
    return _RUNS[name]


@pytest.mark.parametrize("name", LIBRARY)
def test_story_holds_every_expectation(name):
    run = run_of(name)
    assert run.ok, f"{name}: " + "\n".join(run.result.failures)
    assert [o for o in run.result.outcomes if o.step.verb == "expect"], f"{name} checks nothing"
    assert not run.result.not_run


@pytest.mark.parametrize("name", LIBRARY)
def test_story_matches_its_goldens(name):
    problems = golden.compare(run_of(name), GOLDENS)
    if problems:
        pytest.fail("\n\n".join(problems) + "\n(if the change is intended: make goldens)", pytrace=False)


def test_every_story_is_in_the_library_with_a_description_and_every_golden_has_a_story():
    stories = {p.stem for p in scenario_paths()}
    assert len(stories) >= 27
    for path in scenario_paths():
        scenario = load_scenario(path)
        assert scenario.name == path.stem and scenario.description, path.name
        # a paragraph a trainer reads aloud (the demo's one line is `make run`'s header, which stays as it is)
        assert len(scenario.description) > 300 or scenario.name == "demo", path.name
    owners = {f.name.split(".")[0] for f in GOLDENS.iterdir()}
    assert owners <= stories, f"goldens without a story: {sorted(owners - stories)}"
    assert stories - {"demo"} <= owners


def test_a_changed_engine_request_fails_the_golden_diff_with_a_readable_message(tmp_path):
    """The golden is edited as if the engine used to send another title: the diff names the request and the value."""
    run = run_of("throttling-storm")
    shutil.copy(GOLDENS / "throttling-storm.report.txt", tmp_path)
    interactions = load_interactions(GOLDENS / "throttling-storm.yaml")
    changed = next(i for i in interactions if i.request.method == "PATCH" and b"Account Director" in i.request_body)
    changed.request.body = changed.request_body.replace(b"Account Director", b"Account Manager")
    save_interactions(tmp_path / "throttling-storm.yaml", interactions)

    (problem,) = golden.compare(run, tmp_path)
    lines = problem.splitlines()
    assert lines[0] == "the engine's SCIM traffic differs (provsim cassette diff):"
    assert lines[1:3] == [f"--- {tmp_path / 'throttling-storm.yaml'}", "+++ this run"]
    assert lines[3].startswith("@@ #78 PATCH /api/v2/scim/v2/Users/") and lines[3].endswith(" @@")
    assert lines[4:] == ['- request.body.Operations[0].value: "Account Manager"',
                         '+ request.body.Operations[0].value: "Account Director"', "1 of 89 interaction(s) differ"]


def test_a_changed_mapping_schema_fails_the_golden_diff_with_a_readable_message(tmp_path):
    """The attribute-sync story recorded with a modified mapping (title = jobTitle - department) against
    the real goldens: the cassette diff shows every title that changes, the report diff the log lines."""
    text = (ROOT / "fixtures" / "scenarios" / "attribute-sync.yaml").read_text(encoding="utf-8")
    modified = text.replace("  - start: {}\n", "  - schema: {mappings: [{target: title, expression: 'Join(\" - \", [jobTitle], [department])'}]}\n"
                                               "  - start: {}\n", 1)
    assert modified != text
    story = tmp_path / "attribute-sync.yaml"
    story.write_text(modified, encoding="utf-8")
    run = golden.record(story, build=fresh_app)
    problems = golden.compare(run, GOLDENS)
    report, cassette = sorted(problems, key=lambda p: not p.startswith("the report"))
    assert report.startswith(f"the report differs from {GOLDENS / 'attribute-sync.report.txt'}:\n")
    assert "+    Schema updated: mappings" in report
    assert cassette.startswith("the engine's SCIM traffic differs (provsim cassette diff):\n")
    assert '- request.body.title: "Chief Executive Officer"' in cassette
    assert '+ request.body.title: "Chief Executive Officer - Executive"' in cassette


def test_make_goldens_re_records_the_library_through_the_cli():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    # the runtime is all it needs (make run's lean install, issue 25)
    assert "\ngoldens: $(RUNTIME)\n\t$(VENV)/bin/provsim scenario golden --dir cassettes/scenarios\n" in makefile


@pytest.mark.slow  # two stories, twice, each time in a fresh interpreter (seconds)
def test_golden_check_in_a_fresh_process_matches_and_a_changed_golden_exits_1(tmp_path):
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    command = [sys.executable, "-m", "simulator.cli", "scenario", "golden", "genesys-outage", "token-invalid-revoked", "--check",
               "--dir"]
    same = subprocess.run(command + [str(GOLDENS)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert same.returncode == 0, same.stdout + same.stderr
    assert same.stdout.splitlines() == ["genesys-outage: matches its goldens", "token-invalid-revoked: matches its goldens"]

    for name in ("genesys-outage", "token-invalid-revoked"):
        for path in golden.golden_paths(GOLDENS, name):
            shutil.copy(path, tmp_path)
    report = tmp_path / "genesys-outage.report.txt"
    report.write_text(report.read_text().replace("Genesys outage", "Genesys maintenance"), encoding="utf-8")
    differs = subprocess.run(command + [str(tmp_path)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert differs.returncode == 1
    assert "genesys-outage: DIFFERS\nthe report differs from" in differs.stdout
    assert "token-invalid-revoked: matches its goldens" in differs.stdout
    assert "some stories failed or differ from their goldens" in differs.stderr
