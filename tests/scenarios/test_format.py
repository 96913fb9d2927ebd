"""The scenario format is one JSON Schema; the runner, the checks, the engine's vocabularies and
docs/scenarios.md agree with it (so none can drift), and every shipped story passes it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from simulator.cli import cli as provsim
from simulator.scenario.expectations import CHECKS
from simulator.scenario.model import load_scenario, scenario_paths
from simulator.scenario.runner import ScenarioRunner
from simulator.scenario.schema import SCHEMA_PATH, expectations, render_markdown, schema, splice_docs, verbs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"


def test_the_schema_is_a_valid_json_schema_shipped_in_the_package():
    Draft202012Validator.check_schema(schema())
    assert SCHEMA_PATH.parent.name == "scenario" and SCHEMA_PATH.parent.parent.name == "simulator"
    # setuptools package-data ships it (tests/packaging/test_wheel.py checks the built wheel)
    pyproject = tomllib.loads(Path(__file__).resolve().parents[2].joinpath("pyproject.toml").read_text())
    assert "*.json" in pyproject["tool"]["setuptools"]["package-data"]["simulator.scenario"]


def test_every_verb_of_the_schema_is_a_step_the_runner_can_do_and_no_other():
    step = schema()["$defs"]["step"]
    assert set(step["properties"]) - {"title"} == set(verbs())
    assert [branch["required"] for branch in step["oneOf"]] == [[v] for v in verbs()]
    runner_verbs = {name[3:] for name in dir(ScenarioRunner) if name.startswith("do_")}
    assert runner_verbs == set(verbs())


def test_every_expectation_of_the_schema_has_a_check_and_no_other():
    assert set(expectations()) == set(CHECKS)
    assert set(verbs()["expect"]["properties"]) == set(expectations())


def test_engine_vocabularies_match_the_schema():
    from simulator.client import RESET_SCOPES
    from simulator.engine.mappings import FlowType

    pattern = schema()["$defs"]["resetScope"]["pattern"]
    assert re.search(r"\(([^()]*)\)", pattern).group(1).split("|") == list(RESET_SCOPES)
    assert schema()["$defs"]["attributeMapping"]["properties"]["flow"]["enum"] == [f.value for f in FlowType]


def test_fault_surfaces_are_the_simulator_surfaces(runtime):
    assert set(verbs()["fault"]["properties"]["surface"]["enum"]) == {s.name for s in runtime.surfaces}


def test_docs_reference_is_generated_from_the_schema():
    page = DOCS.read_text(encoding="utf-8")
    assert splice_docs(page) == page, "docs/scenarios.md is stale: run `provsim scenario schema --update docs/scenarios.md`"
    reference = render_markdown()
    for verb in verbs():
        assert f"### {verb}\n" in reference
    for name in expectations():
        assert f"### {name}\n" in reference


def test_docs_examples_are_valid_steps():
    """Every example the schema gives (and so the docs show) is a valid step or expectation."""
    validator = Draft202012Validator(schema())
    for verb, node in verbs().items():
        for example in node.get("examples", []):
            errors = list(validator.iter_errors({"steps": [{"configure": {}}, {verb: example}]}))
            assert not errors, (verb, example, [e.message for e in errors])
    for name, node in expectations().items():
        for example in node.get("examples", []):
            assert validator.is_valid({"steps": [{"expect": {name: example}}]}), (name, example)


@pytest.mark.parametrize("path", scenario_paths(), ids=lambda p: p.stem)
def test_every_shipped_scenario_is_valid(path):
    assert Draft202012Validator(schema()).is_valid(yaml.safe_load(path.read_text()))
    scenario = load_scenario(path)  # schema, tenant, references
    assert scenario.description, f"{path.name} needs a description for `provsim scenario list`"


def test_schema_command_prints_the_schema_and_its_docs(cli):
    result = cli.invoke(provsim, ["scenario", "schema"])
    assert result.exit_code == 0 and result.output == SCHEMA_PATH.read_text()
    result = cli.invoke(provsim, ["scenario", "schema", "--markdown"])
    assert result.exit_code == 0 and result.output == render_markdown()


def test_schema_update_rewrites_only_the_reference_part(cli, tmp_path):
    page = tmp_path / "scenarios.md"
    stale = DOCS.read_text().replace("### advance\n", "### advance (old)\n")
    page.write_text(stale)
    result = cli.invoke(provsim, ["scenario", "schema", "--update", str(page)])
    assert result.exit_code == 0, result.output
    assert page.read_text() == DOCS.read_text()
