"""With a fixture that carries the app's provisioning job (what `provsim snapshot` writes), the story
runs on that job's configuration: its mappings become the story's `schema` step and its settings a
`job_settings` step.  Without it, a change to an expression-mapped attribute cannot be run backwards:
it is not modelled, and said so."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml

from simulator.app import scenario_runner
from simulator.core import load_fixture
from simulator.graph.generate import write_fixture
from simulator.incident import import_logs, read_logs, replay
from simulator.incident.importer import ImportOptions
from simulator.scenario import load_scenario

TITLE = 'Join(" - ", [jobTitle], [department])'


def _template_schema() -> dict:
    from simulator.engine import mappings

    return json.loads((Path(mappings.__file__).parent / "schema_purecloud.json").read_text(encoding="utf-8"))


def _production(tmp: Path) -> Path:
    story = tmp / "production.yaml"
    story.write_text(yaml.safe_dump({
        "name": "production", "tenant": "contoso", "seed": 0, "steps": [
            {"configure": {}},
            {"schema": {"mappings": [{"target": "title", "expression": TITLE}]}},
            {"job_settings": {"QuarantineTooManyDeletesThreshold": 50}},
            {"start": {}}, {"advance": "PT1M"},
            {"graph": {"method": "PATCH", "path": "/users/${user:alex}", "body": {"jobTitle": "Account Director"}}},
            {"advance": "PT40M"}]}, sort_keys=False), encoding="utf-8")
    logs = scenario_runner(load_scenario(story)).run().logs
    path = tmp / "logs.json"
    path.write_text(json.dumps(logs), encoding="utf-8")
    return path


def _snapshot_like(tmp: Path) -> Path:
    fixture = copy.deepcopy(load_fixture("contoso"))
    fixture.pop("_path", None)
    schema = _template_schema()
    users = next(om for om in schema["synchronizationRules"][0]["objectMappings"] if om["sourceObjectName"] == "User")
    title = next(am for am in users["attributeMappings"] if am["targetAttributeName"] == "title")
    title["source"] = {"expression": TITLE, "name": "Join", "type": "Function", "parameters": []}
    app = fixture["directory"]["applications"][0]
    app["provisioning"] = {"templateId": "purecloud", "schema": schema,
                           "secrets": [{"key": "BaseAddress", "value": "http://provsim.local/api/v2/scim/v2"},
                                       {"key": "SyncAll", "value": "False"}],
                           "settings": [{"name": "QuarantineTooManyDeletesThreshold", "value": "50"}]}
    path = tmp / "snapshot.yaml"
    write_fixture(fixture, path)
    return path


def test_the_fixtures_job_configuration_is_the_storys(tmp_path: Path) -> None:
    logs = _production(tmp_path)
    result = import_logs(read_logs(logs), tmp_path / "story.yaml", ImportOptions(fixture=str(_snapshot_like(tmp_path))))
    text = result.story.read_text(encoding="utf-8")
    assert "job_settings: {QuarantineTooManyDeletesThreshold: 50}" in text
    assert "schema: {mappings: [{target: title, expression: 'Join(\" - \", [jobTitle], [department])'}]}" in text
    assert not result.not_modelled
    assert "provisioning:" not in result.fixture.read_text(encoding="utf-8")  # the job is the story's, not a second one
    comparison = replay(result.story, logs).comparison
    assert comparison.ok and comparison.reproduced == comparison.total


def test_without_the_job_the_templates_mappings_are_assumed_and_said(tmp_path: Path) -> None:
    """The quiet case: without the job, the gallery template's mappings are assumed (title from
    jobTitle), so the story sets the Entra values that give the logged ones, each step naming the
    entry it comes from: a reader sees the assumption."""
    logs = _production(tmp_path)
    result = import_logs(read_logs(logs), tmp_path / "story.yaml", ImportOptions(fixture="contoso"))
    text = result.story.read_text(encoding="utf-8")
    assert "body: {jobTitle: Account Executive - Sales}" in text
    assert "title None -> 'Account Executive - Sales'" in text
    assert replay(result.story, logs).comparison.ok


def test_an_expression_is_run_backwards_by_search() -> None:
    from simulator.incident.attributes import solve

    user = {"jobTitle": "Account Executive", "department": "Sales"}
    assert solve(TITLE, user, "Account Director - Sales") == ("jobTitle", "Account Director")
    assert solve(TITLE, user, "Account Executive - Sales EMEA") == ("department", "Sales EMEA")
    assert solve('ToUpper([department])', user, "SALES EMEA") == ("department", "SALES EMEA")
    assert solve('IIF([department]="Sales", "S", "O")', user, "X") is None  # no value of one attribute gives it
