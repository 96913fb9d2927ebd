"""Issue 23, "Done when": the example responses of Microsoft's Graph documentation for
``GET /auditLogs/provisioning`` import without error (tests/incident/data/README.md says where they
come from).  Neither describes what a PureCloud by Genesys job logs (a RolesCompound provisioned into
Entra ID; a group create answered 409 by an app that creates groups), so both entries are kept as
comments and counted as not modelled: never dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import cli as provsim
from simulator.scenario.model import load_scenario

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(("example", "why"), [
    ("example1", "a RolesCompound object"),
    ("example2", "PureCloud by Genesys never creates or deletes groups"),
])
def test_the_graph_docs_example_imports(example: str, why: str, tmp_path: Path) -> None:
    logs = DATA / f"graph-docs-list-provisioningobjectsummary-{example}.json"
    story = tmp_path / "story.yaml"
    result = CliRunner().invoke(provsim, ["incident", "import", str(logs), "--out", str(story), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["entries"] == 1 and len(report["notModelled"]) == 1
    assert why in report["notModelled"][0]["why"]
    entry_id = json.loads(logs.read_text(encoding="utf-8").replace("},\n            ],", "}\n            ],"))["value"][0]["id"]
    assert f"# not modelled: {entry_id} " in story.read_text(encoding="utf-8")
    load_scenario(story)  # a valid library-format scenario
    replayed = CliRunner().invoke(provsim, ["incident", "replay", str(story), "--logs", str(logs)])
    assert replayed.exit_code == 1
    assert "reproduced 0 of 1 log entries (1 not modelled)" in replayed.output
    assert f"log {entry_id}" in replayed.output and "not modelled: the story keeps it as a comment" in replayed.output


def test_example1_has_microsofts_trailing_comma_and_it_is_said(tmp_path: Path) -> None:
    result = CliRunner().invoke(provsim, ["incident", "import", str(DATA / "graph-docs-list-provisioningobjectsummary-example1.json"),
                                          "--out", str(tmp_path / "story.yaml")])
    assert result.exit_code == 0, result.output
    assert "note: a trailing comma (not JSON) was ignored at line 61" in result.output
