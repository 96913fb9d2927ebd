"""provsim's pytest plugin as a user meets it: a user suite run with pytester.

Each run is a subprocess, as a user's is: in-process runs would drop the modules the first run
imported (Flask's context variables among them) and re-import them beside the old ones."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = Path(__file__).parent / "sample_project"


@pytest.fixture
def user_project(pytester):
    for item in SAMPLE.iterdir():
        if item.is_file():
            shutil.copy(item, pytester.path / item.name)
    return pytester


@pytest.mark.slow  # user suites in pytest subprocesses (seconds each)
def test_a_user_suite_using_every_fixture_passes_and_replays_its_golden_cassette(user_project):
    first = user_project.runpytest_subprocess("--provsim-record")
    first.assert_outcomes(passed=7)
    golden = user_project.path / "cassettes" / "test_user_project" / "test_engine_traffic_matches_the_golden_cassette.yaml"
    assert golden.is_file() and "/api/v2/scim/v2/Users" in golden.read_text()
    user_project.runpytest_subprocess().assert_outcomes(passed=7)  # compared with the golden, not rewritten
    recorded = golden.read_bytes()
    user_project.runpytest_subprocess("--provsim-record", "-k", "golden").assert_outcomes(passed=1)
    assert golden.read_bytes() == recorded  # same seed, same traffic, same bytes


BROKEN = '''
def test_expects_a_delete_that_never_happens(provsim_job, provsim_traffic):
    provsim_job.run_cycle()
    provsim_traffic.assert_called("DELETE", "/api/v2/scim/v2/Users/*")


def test_job_status(provsim_job):
    provsim_job.run_cycle()
    assert provsim_job.status()["status"]["code"] == "Quarantine"
'''


@pytest.mark.slow  # user suites in pytest subprocesses (seconds each)
def test_a_broken_expectation_fails_with_a_readable_message(pytester):
    pytester.makepyfile(test_broken=BROKEN)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*AssertionError: expected DELETE /api/v2/scim/v2/Users/* at least once, saw it 0 time(s)",
        "*traffic (* request(s)):",
        "*21 x POST /api/v2/scim/v2/Users -> 201",
        "*PATCH /api/v2/scim/v2/Users/{id} -> 200",
    ])
    result.stdout.fnmatch_lines(["*provsim*", "tenant contoso, seed 0"])  # how to reproduce the run
    result.stdout.fnmatch_lines(["*assert 'Active' == 'Quarantine'*"])


CASSETTE_TEST = '''
def test_traffic(provsim_job, assert_matches_cassette):
    provsim_job.run_cycle()
    assert_matches_cassette("golden/initial.yaml")
'''


@pytest.mark.slow  # user suites in pytest subprocesses (seconds each)
def test_a_changed_golden_cassette_fails_with_the_difference_and_how_to_refresh_it(pytester):
    pytester.makepyfile(test_traffic=CASSETTE_TEST)
    missing = pytester.runpytest_subprocess()
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["*no golden cassette */golden/initial.yaml: run `pytest --provsim-record` to write it*"])
    pytester.runpytest_subprocess("--provsim-record").assert_outcomes(passed=1)
    golden = pytester.path / "golden" / "initial.yaml"
    golden.write_text(golden.read_text().replace('"title":"Account Executive"', '"title":"Chief Executive"', 1))
    changed = pytester.runpytest_subprocess()
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines([
        "*the engine's SCIM traffic differs from */golden/initial.yaml:",
        '*- request.body.title: "Chief Executive"',
        '*+ request.body.title: "Account Executive"',
        "*(if the change is intended: pytest --provsim-record)",
    ])


@pytest.mark.slow  # user suites in pytest subprocesses (seconds each)
def test_ini_options_pick_tenant_and_seed(pytester):
    pytester.makeini("[pytest]\nprovsim_tenant = blank\nprovsim_seed = 3\n")
    pytester.makepyfile(test_ini='''
def test_ini(provsim_config, provsim):
    assert (provsim_config.fixture, provsim_config.seed) == ("blank", 3)
    assert provsim.control("GET", "/health")["seed"] == 3
''')
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_the_plugin_imports_without_pytest():
    code = ("import sys; sys.modules['pytest'] = None\n"
            "import simulator.pytest_plugin as plugin\n"
            "assert not hasattr(plugin, 'provsim_job') and plugin.ProvisioningJob\n"
            "from simulator.cli import main\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
