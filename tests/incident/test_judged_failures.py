"""Issue 23 on issue 19's engine: the importer recreates what the logs imply about the job's settings
and the service's judgement.

- The deletion guard is opt-in: logs with TooManyDeletes switch it on in the story, and where an earlier
  cycle disabled more than the threshold (the guard was off then), the story switches it on between the
  two, as the admin did (SyncNotificationSettings, DeleteThresholdEnabled).
- A fixture job with the guard on gets it on (its threshold); with it off, the story leaves it off.
- One failed write among reads (a 503 on a PATCH, the object read first) is a window on that method only:
  the entry keeps its target identity.
- A full cycle's "nothing to change" entries (Other, Skipped, EntrySynchronizationSkipped) are a
  restart that keeps the links unless they show each object looked up again (resetScope Full)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from simulator.app import scenario_runner
from simulator.core import load_fixture
from simulator.graph.generate import write_fixture
from simulator.incident import import_logs, read_logs, replay
from simulator.incident.importer import ImportOptions
from simulator.scenario import load_scenario
from simulator.scenario.model import scenario_paths


def _library_logs(name: str, tmp: Path) -> tuple[Path, str]:
    path = next(p for p in scenario_paths() if p.stem == name)
    scenario = load_scenario(path)
    logs = tmp / f"{name}.json"
    logs.write_text(json.dumps({"value": list(reversed(scenario_runner(scenario).run().logs))}), encoding="utf-8")
    return logs, str(scenario.tenant_path or scenario.tenant)


def _steps(story: Path) -> list[dict]:
    return yaml.safe_load(story.read_text(encoding="utf-8"))["steps"]


@pytest.mark.slow
def test_the_guard_switched_on_mid_story_is_switched_on_there(tmp_path: Path) -> None:
    logs, fixture = _library_logs("deletion-guard", tmp_path)
    result = import_logs(read_logs(logs), tmp_path / "story.yaml", ImportOptions(fixture=fixture))
    steps = _steps(result.story)
    assert "delete_threshold" not in steps[0]["configure"]  # Support's six disables flowed: the guard was off
    switch = next(i for i, s in enumerate(steps) if "synchronization/secrets" in str(s.get("graph", {}).get("path")))
    value = json.loads(steps[switch]["graph"]["body"]["value"][0]["value"])
    assert value["DeleteThresholdEnabled"] is True and value["DeleteThresholdValue"] == 3
    unassigned = [i for i, s in enumerate(steps) if "unassign" in s]
    assert unassigned[0] < switch < unassigned[1]  # between Support's removal and Sales'
    comparison = replay(result.story, logs).comparison
    assert comparison.ok and comparison.reproduced == comparison.total


@pytest.mark.slow
def test_a_guard_on_from_the_start_is_in_the_configure_step(tmp_path: Path) -> None:
    """The headline case of before issue 19: every deletion of the logs held back, so the guard was on
    from the first cycle."""
    logs, fixture = _library_logs("mass-deletion", tmp_path)
    result = import_logs(read_logs(logs), tmp_path / "story.yaml", ImportOptions(fixture=fixture))
    steps = _steps(result.story)
    assert steps[0]["configure"].get("delete_threshold")
    assert not any("synchronization/secrets" in str(s.get("graph", {}).get("path")) for s in steps)


def _production_logs(tmp: Path) -> Path:
    story = tmp / "production.yaml"
    story.write_text(yaml.safe_dump({"name": "production", "tenant": "contoso", "seed": 0, "steps": [
        {"configure": {}}, {"start": {}}, {"advance": "PT1M"},
        {"graph": {"method": "PATCH", "path": "/users/${user:alex}", "body": {"jobTitle": "Account Director"}}},
        {"advance": "PT40M"}]}, sort_keys=False), encoding="utf-8")
    path = tmp / "logs.json"
    path.write_text(json.dumps(scenario_runner(load_scenario(story)).run().logs), encoding="utf-8")
    return path


def _snapshot_with(tmp: Path, notification: dict) -> Path:
    fixture = copy.deepcopy(load_fixture("contoso"))
    fixture.pop("_path", None)
    fixture["directory"]["applications"][0]["provisioning"] = {"templateId": "purecloud", "secrets": [
        {"key": "BaseAddress", "value": "http://provsim.local/api/v2/scim/v2"},
        {"key": "SyncNotificationSettings", "value": json.dumps(notification)}]}
    path = tmp / "snapshot.yaml"
    write_fixture(fixture, path)
    return path


@pytest.mark.parametrize(("enabled", "expected"), [(True, 7), (False, None)], ids=["guard-on", "guard-off"])
def test_a_snapshots_deletion_guard_is_the_storys(tmp_path: Path, enabled: bool, expected: int | None) -> None:
    logs = _production_logs(tmp_path)
    snapshot = _snapshot_with(tmp_path, {"Enabled": False, "DeleteThresholdEnabled": enabled, "DeleteThresholdValue": 7})
    result = import_logs(read_logs(logs), tmp_path / "story.yaml", ImportOptions(fixture=str(snapshot)))
    assert _steps(result.story)[0]["configure"].get("delete_threshold") == expected
    assert replay(result.story, logs).comparison.ok


@pytest.mark.slow
def test_a_failed_write_after_a_good_read_fails_writes_only(tmp_path: Path) -> None:
    logs, fixture = _library_logs("transient-error", tmp_path)
    result = import_logs(read_logs(logs), tmp_path / "story.yaml", ImportOptions(fixture=fixture))
    faults = [s["fault"] for s in _steps(result.story) if "fault" in s]
    assert faults == [{"path": "/api/v2/scim/v2/*", "method": "PATCH", "status": 503,
                       "note": "as logged: InternalServerError"}]
    comparison = replay(result.story, logs).comparison
    assert comparison.ok and comparison.reproduced == comparison.total  # Alex's target identity too


@pytest.mark.slow
def test_a_full_reset_is_told_from_a_restart_by_the_lookups(tmp_path: Path) -> None:
    logs, fixture = _library_logs("restart-reset-scopes", tmp_path)
    result = import_logs(read_logs(logs), tmp_path / "story.yaml", ImportOptions(fixture=fixture))
    restarts = [s["restart"] for s in _steps(result.story) if "restart" in s]
    assert "Full" in restarts and restarts.count("Full") == 1
    comparison = replay(result.story, logs).comparison
    assert comparison.ok and comparison.reproduced == comparison.total


def _outage_logs(tmp: Path, settings: dict | None) -> Path:
    """An outage with a change waiting, three hours long; the admin restarts provisioning after it."""
    steps: list[dict] = [{"configure": {}}]
    if settings:
        steps.append({"job_settings": settings})
    steps += [{"start": {}}, {"advance": "PT1M"},
              {"fault": {"path": "/api/v2/scim/v2/*", "status": 503}},
              {"graph": {"method": "PATCH", "path": "/users/${user:alex}", "body": {"jobTitle": "Account Director"}}},
              {"advance": "PT3H"}, {"clear_faults": {}}, {"restart": {}}, {"advance": "PT1M"}]
    story = tmp / "production.yaml"
    story.write_text(yaml.safe_dump({"name": "production", "tenant": "contoso", "seed": 0, "steps": steps},
                                    sort_keys=False), encoding="utf-8")
    path = tmp / "logs.json"
    path.write_text(json.dumps(scenario_runner(load_scenario(story)).run().logs), encoding="utf-8")
    return path


@pytest.mark.parametrize(("failures", "expected"), [(3, {"QuarantineSuccessiveCompleteFailures": 3}), (None, None)],
                         ids=["quarantined-after-3", "default-6"])
def test_cycles_that_stop_after_complete_failures_give_the_quarantine_count(
        tmp_path: Path, failures: int | None, expected: dict | None) -> None:
    """Logs show a quarantine only as cycles that stop: three failed cycles, then silence until the
    restart, is a job quarantined after three complete failures (a job setting).  The quiet case: an
    outage that outlasts six failed cycles, as the default judges it, needs no setting."""
    logs = _outage_logs(tmp_path, {"QuarantineSuccessiveCompleteFailures": failures} if failures else None)
    failed = {e["cycleId"] for e in json.loads(logs.read_text(encoding="utf-8"))
              if e["provisioningStatusInfo"]["status"] == "failure"}
    assert len(failed) == (failures or 4)  # 4: the three-hour outage ends before a sixth failed cycle
    result = import_logs(read_logs(logs), tmp_path / "story.yaml", ImportOptions(fixture="contoso"))
    settings = [s["job_settings"] for s in _steps(result.story) if "job_settings" in s]
    assert settings == ([expected] if expected else [])
    comparison = replay(result.story, logs).comparison
    assert comparison.ok and comparison.reproduced == comparison.total
