"""A scenario file checked before anything runs: YAML, the schema, then every reference.

    checked = check_file(Path("fixtures/scenarios/demo.yaml"))   # raises ScenarioInvalid
    checked.data, checked.tenant_path

Three passes, each problem a :class:`~.errors.Problem` with the file, the 1-based line and
column of the YAML node it is about, and a sentence saying what was expected:

1. YAML: a syntax error, or a key written twice in one mapping (YAML would silently keep
   the last one).
2. The JSON Schema (``scenario.schema.json``, through ``jsonschema``): unknown top-level keys,
   verbs, arguments and expectation keys (with the closest known name), wrong types, values
   out of range.  jsonschema's own messages are rephrased for a person writing YAML.
3. Meaning: the tenant fixture exists and loads; ``${user:KEY}``, ``${upn:KEY}``,
   ``${group:KEY}`` and ``${sp:KEY}`` name objects of that fixture; ``${name}`` is saved by an
   earlier step; a step that needs the provisioning job comes after ``configure``.

Nothing here starts a simulator, so a bad file costs milliseconds, never a run.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from simulator.core import ConfigError, resolve_fixture
from simulator.core.yamlsafe import YamlBombError, check_expansion

from . import schema as scenario_schema
from .errors import Problem, ScenarioInvalid

__all__ = ["check_file", "check_text", "Checked", "REFERENCE", "REFERENCE_KINDS", "GENESYS_KINDS", "fixture_keys", "resolve_tenant"]

#: ``${name}`` or ``${kind:key}`` inside any string argument
REFERENCE = re.compile(r"\$\{([A-Za-z_]\w*)(?::([^}]+))?\}")
#: reference kind -> the fixture collection its keys come from
REFERENCE_KINDS = {"user": "users", "upn": "users", "group": "groups", "sp": "applications"}
#: references to Genesys objects (the id of the Genesys user with that userName, of the group with that
#: name): looked up when the step runs, since Genesys hands out its ids as the story goes
GENESYS_KINDS = ("genesys_user", "genesys_group")
#: verbs that act on the provisioning job, so need a ``configure`` step before them
_NEEDS_JOB = ("start", "pause", "restart", "schema", "provision_on_demand", "secret_token", "job_settings", "quarantine")


@dataclass
class Checked:
    """A valid scenario file: its data, and the tenant fixture file it runs on (None: a generated tenant)."""

    path: Path
    data: dict
    tenant_path: Path | None


def check_file(path: Path) -> Checked:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioInvalid([Problem(str(path), 1, 1, f"cannot read the file: {err}")]) from err
    return check_text(text, path)


def check_text(text: str, path: Path) -> Checked:
    """Check a scenario's text (``path`` names it in problems and anchors relative tenant paths)."""
    file = str(path)
    data, root = _parse(text, file)
    problems = _duplicate_keys(root, file)
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"{_kind(data)}"
        raise ScenarioInvalid(problems + [Problem(file, *_pos(root), f"a scenario is a mapping with steps (and name, "
                                                  f"description, tenant, seed); got {got}")])
    locate = _Locator(root, file)
    problems += _schema_problems(data, locate)
    tenant_path, more = _meaning_problems(data, locate, path.parent)
    problems += more
    if problems:
        raise ScenarioInvalid(problems)
    return Checked(path, data, tenant_path)


# ---------------------------------------------------------------------------- YAML
def _parse(text: str, file: str) -> tuple[Any, yaml.Node | None]:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        check_expansion(root)  # an alias bomb is refused before anything is built from it
        data = loader.construct_document(root) if root is not None else None
    except YamlBombError as err:
        raise ScenarioInvalid([Problem(file, 1, 1, str(err))]) from err
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = ": ".join(str(part) for part in (err.context, err.problem) if part)
        if err.context_mark is not None and err.problem_mark is not None and err.context_mark.line != err.problem_mark.line:
            reason += f" (it began at line {err.context_mark.line + 1}, column {err.context_mark.column + 1})"
        raise ScenarioInvalid([Problem(file, line, column, f"YAML syntax error: {reason}")]) from err
    except yaml.YAMLError as err:
        raise ScenarioInvalid([Problem(file, 1, 1, f"YAML syntax error: {err}")]) from err
    finally:
        loader.dispose()
    return data, root


def _pos(node: yaml.Node | None) -> tuple[int, int]:
    if node is None:
        return 1, 1
    return node.start_mark.line + 1, node.start_mark.column + 1


def _duplicate_keys(root: yaml.Node | None, file: str) -> list[Problem]:
    out: list[Problem] = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        out.append(Problem(file, *_pos(key), f"duplicate key {key.value!r}: a mapping takes each key "
                                                             "once (YAML would keep only the last)"))
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return out


class _Locator:
    """Positions of the YAML nodes behind a path of keys and indexes."""

    def __init__(self, root: yaml.Node | None, file: str) -> None:
        self.root, self.file = root, file

    def nodes(self, path: list) -> tuple[yaml.Node | None, yaml.Node | None]:
        """(key node, value node) at ``path``; the deepest node found when the path goes further."""
        key_node, node = None, self.root
        for part in path:
            if isinstance(node, yaml.MappingNode):
                match = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)]
                if not match:
                    break
                key_node, node = match[-1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                key_node, node = None, node.value[part]
            else:
                break
        return key_node, node

    def at(self, path: list, message: str, *, key: bool = False) -> Problem:
        key_node, value_node = self.nodes(path)
        return Problem(self.file, *_pos(key_node if key and key_node is not None else value_node), message)


# -------------------------------------------------------------------------- schema
def _where(path: list) -> str:
    """``['steps', 2, 'expect', 'logs', 0, 'action']`` -> ``step 3 (expect) logs#1.action``."""
    if not path:
        return "the scenario"
    if path[0] != "steps" or len(path) < 2:
        return str(path[0]) + _tail(path[1:])
    head = f"step {path[1] + 1}"
    if len(path) == 2:
        return head
    head += f" ({path[2]})"
    rest = _tail(path[3:])
    return head + (" " + rest.lstrip(".") if rest else "")


def _tail(parts: list) -> str:
    out = ""
    for part in parts:
        out += f"#{part + 1}" if isinstance(part, int) else f".{part}"
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text ({shown!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _hint(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _schema_problems(data: dict, locate: _Locator) -> list[Problem]:
    out: list[Problem] = []
    for error in scenario_schema.validator().iter_errors(data):
        out.extend(_translate(error, locate))
    return out


def _translate(error, locate: _Locator) -> list[Problem]:
    path = list(error.absolute_path)
    node = error.schema if isinstance(error.schema, dict) else {}
    where = _where(path)
    instance, kind, value = error.instance, error.validator, error.validator_value

    if "propertyNames" in error.absolute_schema_path:
        expected = scenario_schema.resolve(node).get("x-expected") or scenario_schema.type_phrase(node)
        return [locate.at(path + [instance], f"{where}: {instance!r} is not {expected}", key=True)]
    if kind == "additionalProperties":
        allowed = list(node.get("properties") or {})
        return [locate.at(path + [name], _unknown_key(path, name, allowed) + _flow_comma_hint(locate, path, name), key=True)
                for name in instance if name not in allowed]
    if kind == "oneOf" and len(path) == 2 and path[0] == "steps":
        return _step_verbs(path, instance, locate)
    if kind in ("anyOf", "oneOf"):
        return _alternatives(error, locate)
    if kind == "type" and len(path) == 2 and path[0] == "steps":
        example = f"{instance}: {{}}" if isinstance(instance, str) and instance in scenario_schema.verbs() else "advance: PT40M"
        return [locate.at(path, f"step {path[1] + 1}: a step is a mapping of one verb to its arguments "
                                f"(like `{example}`), got {_kind(instance)}")]
    if kind == "type":
        return [locate.at(path, f"{where}: expected {scenario_schema.type_phrase(node)}, got {_kind(instance)}")]
    if kind == "required":
        missing = [name for name in value if name not in instance]
        props = node.get("properties") or {}
        return [locate.at(path, f"{where}: missing {name!r}" + (f" ({scenario_schema.resolve(props[name]).get('description')})"
                                                                   if name in props and scenario_schema.resolve(props[name]).get("description") else ""))
                for name in missing]
    if kind in ("enum", "const"):
        choices = value if kind == "enum" else [value]
        shown = ", ".join(c if isinstance(c, str) else json.dumps(c) for c in choices)
        hint = _hint(instance, [c for c in choices if isinstance(c, str)]) if isinstance(instance, str) else ""
        return [locate.at(path, f"{where}: {instance!r} is not one of: {shown}{hint}")]
    if kind == "pattern":
        expected = node.get("x-expected") or f"matching {value}"
        return [locate.at(path, f"{where}: {instance!r} is not {expected}")]
    if kind == "minItems":
        what = "a scenario needs at least one step" if path == ["steps"] else f"needs at least {value} item(s)"
        return [locate.at(path, f"{where}: {what}" if path != ["steps"] else what)]
    if kind == "minProperties":
        names = ", ".join(node.get("properties") or {}) or "a key"
        return [locate.at(path, f"{where}: needs at least one of: {names}")]
    if kind == "maxProperties":
        names = ", ".join(node.get("properties") or {})
        return [locate.at(path, f"{where}: give at most {value} of: {names}")]
    if kind == "minLength":
        return [locate.at(path, f"{where}: must not be empty")]
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        return [locate.at(path, f"{where}: {instance!r} is out of range: must be {bound} {value}")]
    return [locate.at(path, f"{where}: {error.message}")]


def _unknown_key(path: list, name: Any, allowed: list[str]) -> str:
    name = str(name)
    hint = _hint(name, allowed)
    if not path:
        return f"unknown key {name!r}{hint}; a scenario has: {', '.join(allowed)}"
    if len(path) == 2 and path[0] == "steps":
        known = [v for v in allowed if v != "title"]
        return f"step {path[1] + 1}: unknown verb {name!r}{hint}; the verbs: {', '.join(known)}"
    if len(path) == 3 and path[0] == "steps":
        verb = path[2]
        if verb == "expect":
            return f"step {path[1] + 1} (expect): unknown expectation {name!r}{hint}; the expectations: {', '.join(allowed)}"
        if not allowed:
            return f"step {path[1] + 1} ({verb}): {verb} takes no arguments, got {name!r} (write {verb}: {{}})"
        return f"step {path[1] + 1} ({verb}): unknown argument {name!r}{hint}; {verb} takes: {', '.join(allowed)}"
    return f"{_where(path)}: unknown key {name!r}{hint}; expected: {', '.join(allowed)}"


def _flow_comma_hint(locate: _Locator, path: list, name: Any) -> str:
    """``{resetScope: Watermark, Escrows}`` makes ``Escrows`` a key: say so."""
    _, parent = locate.nodes(path)
    key_node, value_node = locate.nodes(path + [name])
    if (isinstance(parent, yaml.MappingNode) and parent.flow_style and isinstance(value_node, yaml.ScalarNode)
            and value_node.tag.endswith(":null") and value_node.value == "" and isinstance(key_node, yaml.ScalarNode) and key_node.style is None):
        return " (inside {...} a comma ends the value: quote a value that has commas, e.g. \"Watermark, Escrows\")"
    return ""


def _step_verbs(path: list, step: dict, locate: _Locator) -> list[Problem]:
    if not isinstance(step, dict):
        return []  # the type error says it
    known = scenario_schema.verbs()
    present = [k for k in step if k in known]
    if not present:
        if any(k not in known and k != "title" for k in step):
            return []  # the unknown verb is reported by additionalProperties
        what = "no verb (only a title)" if step else "an empty step"
        return [locate.at(path, f"step {path[1] + 1}: {what}; the verbs: {', '.join(known)}")]
    return [locate.at(path, f"step {path[1] + 1}: {len(present)} verbs ({', '.join(present)}); a step does one thing: "
                            "split it into one step per verb")]


def _alternatives(error, locate: _Locator) -> list[Problem]:
    """anyOf/oneOf: explain the branch the value was meant for (the one its type fits), else list them."""
    path = list(error.absolute_path)
    node = error.schema if isinstance(error.schema, dict) else {}
    branches: dict[int, list] = {}
    for sub in error.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [errs for errs in branches.values()
               if not any(e.validator == "type" and list(e.absolute_path) == path for e in errs)]
    if len(fitting) == 1:
        out: list[Problem] = []
        for sub in fitting[0]:
            out.extend(_translate(sub, locate))
        return out
    if not fitting:  # the value is of none of the types offered
        return [locate.at(path, f"{_where(path)}: expected {scenario_schema.type_phrase(node)}, got {_kind(error.instance)}")]
    return [locate.at(path, f"{_where(path)}: {node.get('x-message') or error.message}")]


# ------------------------------------------------------------------------- meaning
def resolve_tenant(tenant: str, scenario_dir: Path) -> Path:
    """A fixture name (``contoso``) or a path, relative to the scenario file first, then to the current directory."""
    candidate = Path(tenant)
    if candidate.suffix in (".yaml", ".yml", ".json") and not candidate.is_absolute():
        beside = scenario_dir / candidate
        if beside.exists():
            return beside
    return resolve_fixture(tenant)


@lru_cache(maxsize=8)
def _fixture_keys_cached(path: str, mtime_ns: int) -> dict[str, tuple[str, ...]]:
    from simulator.core import load_fixture

    return _keys_of(load_fixture(path))


def fixture_keys(path: Path) -> dict[str, tuple[str, ...]]:
    """The keys ``${user:…}``, ``${group:…}`` and ``${sp:…}`` may name in this tenant fixture."""
    return _fixture_keys_cached(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def generated_keys(users: int, groups: int, seed: int) -> dict[str, tuple[str, ...]]:
    """The same for a generated tenant (``tenant: {generate: ...}``)."""
    from simulator.graph.generate import generate_tenant

    return _keys_of(generate_tenant(users, groups, seed))


def _keys_of(fixture: dict) -> dict[str, tuple[str, ...]]:
    directory = fixture.get("directory") or {}
    return {
        "users": tuple(u.get("key") or u.get("userPrincipalName") for u in directory.get("users") or []),
        "groups": tuple(g.get("key") or g.get("displayName") for g in directory.get("groups") or []),
        "applications": tuple(a["key"] for a in directory.get("applications") or [] if a.get("key")),
    }


def _strings(value: Any, path: list) -> Iterator[tuple[str, list]]:
    if isinstance(value, str):
        yield value, path
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, path + [i])
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + [key])


def _saves(verb: str, args: Any) -> list[str]:
    """The ``${names}`` a step sets for the steps after it."""
    if verb == "configure":
        return ["job_id"]
    if verb == "genesys_token":
        name = args.get("save") if isinstance(args, dict) else None
        return [name if isinstance(name, str) else "genesys_token"]
    if verb in ("graph", "genesys") and isinstance(args, dict) and isinstance(args.get("save"), str):
        return [args["save"]]
    return []


def _meaning_problems(data: dict, locate: _Locator, scenario_dir: Path) -> tuple[Path | None, list[Problem]]:
    out: list[Problem] = []
    tenant = data.get("tenant", "contoso")
    tenant_path: Path | None = None
    keys: dict[str, tuple[str, ...]] | None = None
    if isinstance(tenant, str) and tenant:
        try:
            tenant_path = resolve_tenant(tenant, scenario_dir)
            keys = fixture_keys(tenant_path)
        except ConfigError as err:
            out.append(locate.at(["tenant"], f"tenant: {err}"))
    elif isinstance(tenant, dict) and isinstance(tenant.get("generate"), dict):
        spec = tenant["generate"]
        try:  # the schema has checked the numbers; a generator refusal is still a problem, not a crash
            keys = generated_keys(int(spec.get("users", 0)), int(spec.get("groups", 20)), int(spec.get("seed", 0)))
        except (TypeError, ValueError) as err:
            out.append(locate.at(["tenant"], f"tenant: the generator refused it: {err}"))
        tenant = "generated"
    steps = found if isinstance(found := data.get("steps"), list) else []
    verbs = scenario_schema.verbs()
    parsed = []
    for step in steps:
        names = [k for k in step if k in verbs] if isinstance(step, dict) else []
        parsed.append((names[0], step[names[0]]) if len(names) == 1 else (None, None))
    saved_by: dict[str, int] = {}
    for i, (verb, args) in enumerate(parsed):
        for name in _saves(verb, args) if verb else []:
            saved_by.setdefault(name, i)
    defined: set[str] = set()
    has_job = False
    for i, (verb, args) in enumerate(parsed):
        if verb is None:
            continue
        where = f"step {i + 1} ({verb})"
        base = ["steps", i, verb]
        for text, path in _strings(args, base):
            for match in REFERENCE.finditer(text):
                message = _reference_problem(match, defined, saved_by, i, keys, str(tenant))
                if message:
                    out.append(_at_reference(locate, path, match, f"{where}: {message}"))
        needs_job = verb in _NEEDS_JOB or (verb == "expect" and isinstance(args, dict) and "job" in args) or (
            verb == "revoke_token" and not args)
        if needs_job and not has_job:
            what = "the job's token" if verb == "revoke_token" else "the provisioning job"
            out.append(locate.at(base, f"{where}: there is no provisioning job yet ({what} is needed): "
                                       "add a 'configure' step before it", key=True))
        if verb == "schema" and isinstance(args, dict):
            for field in ("mappings", "group_mappings"):
                for n, mapping in enumerate(args.get(field) or []):
                    if isinstance(mapping, dict) and not mapping.get("remove") and (
                            ("source" in mapping) == ("expression" in mapping)):
                        out.append(locate.at(base + [field, n], f"{where} {field}#{n + 1}: give either 'source' or "
                                                                 "'expression' (or remove: true)"))
        defined.update(_saves(verb, args))
        has_job = has_job or verb == "configure"
    return tenant_path, out


def _reference_problem(match: re.Match, defined: set[str], saved_by: dict[str, int], step: int,
                       keys: dict[str, tuple[str, ...]] | None, tenant: str) -> str | None:
    name, key = match.group(1), match.group(2)
    if key is None:
        if name in defined:
            return None
        later = saved_by.get(name)
        if later is not None and later >= step:
            return (f"{match.group(0)} is used before it is set: step {later + 1} saves it"
                    + (" (a step's own save is set after the step)" if later == step else ""))
        known = sorted(defined)
        return (f"{match.group(0)} is not set: no earlier step saves it (save: NAME on a graph or genesys step, "
                f"or genesys_token / configure)" + _hint(name, known)
                + (f"; set so far: {', '.join(known)}" if known else ""))
    if name in GENESYS_KINDS:
        return None  # Genesys objects come and go as the story runs: the runner looks them up
    collection = REFERENCE_KINDS.get(name)
    if collection is None:
        return (f"{match.group(0)}: unknown reference kind {name!r}{_hint(name, [*REFERENCE_KINDS, *GENESYS_KINDS])}; "
                "use user, upn, group, sp, genesys_user or genesys_group")
    if keys is None:
        return None  # the tenant itself is reported
    if key in keys[collection]:
        return None
    singular = {"users": "user", "groups": "group", "applications": "application"}[collection]
    elsewhere = [kind for kind, col in (("group", "groups"), ("user", "users"), ("sp", "applications"))
                 if col != collection and key in keys[col]]
    hint = f" ({key!r} is a {'application' if elsewhere[0] == 'sp' else elsewhere[0]}: write ${{{elsewhere[0]}:{key}}})" if elsewhere \
        else _hint(key, list(keys[collection]))
    return f"{match.group(0)}: the tenant {tenant} has no {singular} with key {key!r}{hint}"


def _at_reference(locate: _Locator, path: list, match: re.Match, message: str) -> Problem:
    """Point at the reference itself when the scalar is on one line, else at the scalar."""
    _, node = locate.nodes(path)
    problem = locate.at(path, message)
    if isinstance(node, yaml.ScalarNode) and node.start_mark.line == node.end_mark.line and node.style in (None, "'", '"'):
        offset = match.start() + (1 if node.style else 0)
        return Problem(problem.file, problem.line, problem.column + offset, message)
    return problem
