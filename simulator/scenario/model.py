"""Scenario files: a provisioning story and what it should lead to.

A scenario is YAML::

    name: demo
    description: >
      The demo tenant provisioned into Genesys, then a few directory changes.
    tenant: contoso          # fixture name or path (relative to this file), or {generate: {users: N, groups: G}}
    seed: 0
    steps:
      - say: "Step 2.2: get a Genesys OAuth token (the Secret Token)"
      - genesys_token: {}                         # demo client; stored as ${genesys_token}
      - configure: {scope: assigned, notify: ops@contoso.com}
      - start: {}
      - advance: PT40M
      - graph: {method: PATCH, path: "/users/${user:alex}", body: {jobTitle: Senior Account Executive}}
      - expect:
          genesys_user: {userName: alex.wilber@contoso.com, title: Senior Account Executive}

Each step is a mapping with exactly one verb (plus an optional ``title``).  The format
is ``scenario.schema.json`` beside this file (:mod:`.schema`); :func:`load_scenario`
checks a file against it, and resolves every reference, before anything runs
(:mod:`.validate`).  ``${name}`` substitutes a value saved earlier; ``${user:KEY}`` /
``${group:KEY}`` / ``${sp:KEY}`` the Entra id of a fixture object by its fixture key,
``${upn:KEY}`` its UPN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.core import FIXTURES_DIR

from . import schema as scenario_schema
from .errors import ScenarioError, ScenarioInvalid
from .validate import check_file

__all__ = ["Scenario", "Step", "load_scenario", "list_scenarios", "resolve_scenario", "paragraphs", "VERBS",
           "ScenarioError", "ScenarioInvalid"]

#: verb -> what it does (the schema's description; docs/scenarios.md has the arguments)
VERBS: dict[str, str] = {verb: node.get("description", "") for verb, node in scenario_schema.verbs().items()}


@dataclass
class Step:
    verb: str
    args: Any
    title: str | None = None
    index: int = 0


@dataclass
class Scenario:
    name: str
    description: str
    tenant: str
    seed: int
    steps: list[Step]
    path: Path | None = None
    #: the tenant fixture file (``tenant`` resolved; relative paths against the scenario's folder)
    tenant_path: Path | None = None
    #: ``tenant: {generate: {users, groups, seed}}``: a tenant built by the fixture generator instead
    generate: dict | None = None

    def fixture(self) -> dict | None:
        """The generated tenant fixture (``generate``), else None: the runtime reads ``tenant_path``."""
        if self.generate is None:
            return None
        from simulator.graph.generate import generate_tenant

        return generate_tenant(int(self.generate["users"]), int(self.generate.get("groups", 20)),
                               int(self.generate.get("seed", 0)))


def paragraphs(text: str) -> list[str]:
    """A description as paragraphs: line breaks inside one are spaces, a blank line starts the next."""
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def _scenario_dirs() -> list[Path]:
    return [FIXTURES_DIR / "scenarios"]


def scenario_paths() -> list[Path]:
    """Every shipped scenario file, by name."""
    return [path for folder in _scenario_dirs() for path in sorted(folder.glob("*.yaml"))]


def list_scenarios() -> list[Scenario]:
    """Every shipped scenario (raises :class:`ScenarioInvalid` for the first broken one)."""
    return [load_scenario(path) for path in scenario_paths()]


def resolve_scenario(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    for folder in _scenario_dirs():
        path = folder / f"{name_or_path}.yaml"
        if path.exists():
            return path
    known = sorted(p.stem for p in scenario_paths())
    raise ScenarioError(f"no scenario {str(name_or_path)!r}; known: {', '.join(known) or 'none'} (or a path to a .yaml file)")


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read and check a scenario; :class:`ScenarioInvalid` lists every problem with file, line and column."""
    path = resolve_scenario(name_or_path)
    checked = check_file(path)
    data = checked.data
    steps = []
    for i, raw in enumerate(data["steps"], 1):
        verb = next(k for k in raw if k != "title")
        args = raw[verb] if raw[verb] is not None else {}
        steps.append(Step(verb, args, raw.get("title"), i))
    tenant = data.get("tenant") or "contoso"
    generate = tenant.get("generate") if isinstance(tenant, dict) else None
    return Scenario(name=str(data.get("name") or path.stem), description="\n\n".join(paragraphs(data.get("description") or "")),
                    tenant=generated_name(generate) if generate is not None else str(tenant), seed=data.get("seed", 0),
                    steps=steps, path=path, tenant_path=checked.tenant_path, generate=generate)


def generated_name(spec: dict) -> str:
    """How a report names a generated tenant."""
    return (f"generated ({int(spec['users']):,} users, {int(spec.get('groups', 20))} groups, "
            f"seed {int(spec.get('seed', 0))})")
