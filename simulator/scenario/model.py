"""Scenario files: a provisioning story and what it should lead to.

A scenario is YAML::

    name: demo
    description: The demo tenant provisioned into Genesys, then a few directory changes.
    tenant: contoso          # fixture name or path
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

Each step is a mapping with exactly one verb (plus an optional ``title``).  The
verbs and their arguments are listed in :data:`VERBS` and in docs/scenarios.md.
``${name}`` substitutes a value saved earlier; ``${user:KEY}`` / ``${group:KEY}``
the Entra id of a fixture object by its fixture key, ``${upn:KEY}`` its UPN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulator.core import FIXTURES_DIR, ConfigError, parse_duration
from simulator.core.yamlsafe import safe_load

__all__ = ["Scenario", "Step", "load_scenario", "list_scenarios", "VERBS", "ScenarioError"]


class ScenarioError(ConfigError):
    """A scenario file that cannot run; the message names the file and step."""


#: verb -> one-line help (docs/scenarios.md has the arguments)
VERBS: dict[str, str] = {
    "say": "print a narration line into the report",
    "genesys_token": "get a Genesys OAuth token with client credentials (default: the demo client); saved as ${genesys_token}",
    "configure": "create the provisioning job from the PureCloud gallery template and set its credentials and settings",
    "start": "start (or resume) provisioning",
    "pause": "pause provisioning",
    "restart": "restart provisioning with a resetScope",
    "advance": "move virtual time forward (ISO-8601 duration), running every cycle that falls due",
    "graph": "call Microsoft Graph (method, path, body, save)",
    "genesys": "call the Genesys SCIM API (method, path, body, save)",
    "fault": "add a fault rule (see /_provsim/faults)",
    "clear_faults": "remove every fault rule",
    "revoke_token": "revoke the job's Genesys token (or {token: ...} / {client_id: ...})",
    "expire_tokens": "expire every Genesys token now",
    "schema": "change the job's attribute mappings or scoping filter (a JSON-merge of the schema)",
    "expect": "check Genesys state, provisioning logs or job status; a failed expectation fails the scenario",
    "provision_on_demand": "provision one user or group now",
}


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
    report: dict = field(default_factory=dict)


def _scenario_dirs() -> list[Path]:
    return [FIXTURES_DIR / "scenarios"]


def list_scenarios() -> list[Scenario]:
    out = []
    for folder in _scenario_dirs():
        for path in sorted(folder.glob("*.yaml")):
            out.append(load_scenario(path))
    return out


def resolve_scenario(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    for folder in _scenario_dirs():
        path = folder / f"{name_or_path}.yaml"
        if path.exists():
            return path
    known = sorted(p.stem for folder in _scenario_dirs() for p in folder.glob("*.yaml"))
    raise ScenarioError(f"no scenario {str(name_or_path)!r}; known: {', '.join(known) or 'none'} (or a path to a .yaml file)")


def load_scenario(name_or_path: str | Path) -> Scenario:
    path = resolve_scenario(name_or_path)
    try:
        data = safe_load(path.read_text(encoding="utf-8")) or {}  # refuses alias bombs
    except yaml.YAMLError as err:
        raise ScenarioError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping with name, tenant, steps")
    unknown = set(data) - {"name", "description", "tenant", "seed", "steps", "report"}
    if unknown:
        raise ScenarioError(f"{path}: unknown keys {sorted(unknown)}")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScenarioError(f"{path}: 'steps' must be a non-empty list")
    steps = []
    for i, raw in enumerate(raw_steps, 1):
        if isinstance(raw, str):
            raw = {raw: {}}
        if not isinstance(raw, dict):
            raise ScenarioError(f"{path}: step {i} must be a mapping with one verb, got {raw!r}")
        title = raw.get("title")
        verbs = [k for k in raw if k != "title"]
        if len(verbs) != 1 or verbs[0] not in VERBS:
            raise ScenarioError(f"{path}: step {i} needs exactly one verb out of: {', '.join(VERBS)}; got {verbs}")
        verb = verbs[0]
        args = raw[verb] if raw[verb] is not None else {}
        if verb == "advance":
            try:
                parse_duration(str(args))
            except ValueError as err:
                raise ScenarioError(f"{path}: step {i} (advance): {err}") from err
        steps.append(Step(verb, args, title, i))
    seed = data.get("seed", 0)
    if not isinstance(seed, int):
        raise ScenarioError(f"{path}: seed must be an integer")
    return Scenario(name=str(data.get("name") or path.stem), description=str(data.get("description") or ""),
                    tenant=str(data.get("tenant") or "contoso"), seed=seed, steps=steps, path=path,
                    report=dict(data.get("report") or {}))
