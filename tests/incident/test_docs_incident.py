"""docs/incident.md is a contract: its commands, run as written on its example logs, print what it shows,
and its two what-if edits replay to the divergences it lists."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import cli as provsim

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "incident.md").read_text(encoding="utf-8")
COLLISION_RULE = ("  - fault: {method: PATCH, path: '/api/v2/scim/v2/Users/${genesys_user:diego.siciliani@contoso.com}', "
                  "status: 409}\n")


def block_after(marker: str) -> str:
    """The fenced block after ``marker`` in the page, without its ``$ command`` line."""
    found = re.search(re.escape(marker) + r"\n```text\n(.*?)```", DOC, re.S)
    assert found, f"docs/incident.md has no output block after {marker!r}"
    return "".join(line + "\n" for line in found.group(1).splitlines() if not line.startswith("$ "))


def shown(command: str) -> str:
    """The output docs/incident.md shows for ``$ command``."""
    found = re.search(r"```text\n\$ " + re.escape(command) + r"\n(.*?)```", DOC, re.S)
    assert found, f"docs/incident.md does not show `{command}`"
    return found.group(1)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("docs-incident")
    (folder / "docs" / "examples" / "incident").mkdir(parents=True)
    shutil.copy(REPO / "docs" / "examples" / "incident" / "logs.json", folder / "docs" / "examples" / "incident")
    return folder


def invoke(folder: Path, *args: str):
    """``provsim ARGS`` run in ``folder`` (the page's commands use paths relative to the repository)."""
    here = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(provsim, list(args))
    finally:
        os.chdir(here)


LOGS = "docs/examples/incident/logs.json"


def test_import_and_replay_print_what_the_page_shows(workdir: Path) -> None:
    imported = invoke(workdir, "incident", "import", LOGS, "--fixture", "contoso", "--out", "incident.yaml")
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == shown(f"provsim incident import {LOGS} --fixture contoso --out incident.yaml")
    replayed = invoke(workdir, "incident", "replay", "incident.yaml", "--logs", LOGS)
    assert replayed.exit_code == 0
    assert replayed.stdout == shown(f"provsim incident replay incident.yaml --logs {LOGS}")
    story = (workdir / "incident.yaml").read_text(encoding="utf-8")
    for excerpt in re.findall(r"```yaml\n(  # --- .*?)```", DOC, re.S):
        assert excerpt in story, f"the story no longer has this excerpt of docs/incident.md:\n{excerpt}"


def test_the_what_ifs_replay_as_the_page_says(workdir: Path) -> None:
    story = (workdir / "incident.yaml").read_text(encoding="utf-8")
    rule = next(line for line in story.splitlines(keepends=True) if "genesys_user:diego" in line and "fault:" in line)
    (workdir / "no-collision.yaml").write_text(story.replace(rule, ""), encoding="utf-8")
    edit = re.search(r"<!-- edit: shorter-outage -->\n```yaml\n(.*?)```", DOC, re.S)
    assert edit and COLLISION_RULE in edit.group(1)
    anchor = "".join(edit.group(1).splitlines(keepends=True)[:2])  # the step the page inserts after
    assert story.count(anchor) == 1
    (workdir / "shorter-outage.yaml").write_text(story.replace(anchor, edit.group(1)), encoding="utf-8")
    for name in ("no-collision", "shorter-outage"):
        result = invoke(workdir, "incident", "replay", f"{name}.yaml", "--logs", LOGS)
        assert result.exit_code == 1
        assert result.stdout == block_after(f"<!-- replay: {name} -->")
