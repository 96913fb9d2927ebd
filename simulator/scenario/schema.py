"""The scenario format: ``scenario.schema.json`` (JSON Schema 2020-12), shipped in the package.

It is the one description of a scenario file: :mod:`.validate` checks files against it
before anything runs, ``provsim scenario schema`` prints it (point an editor's YAML
language server at it), and the reference part of docs/scenarios.md is rendered from it
(:func:`render_markdown`; a test keeps the two equal).  Every verb is a key of
``$defs/verbs``, every expectation a key of ``$defs/expectations``; ``description`` and
``examples`` there are the documentation.  Two annotations JSON Schema ignores shape the
error messages: ``x-expected`` names in words the values a node takes (where a ``pattern``
or an ``anyOf`` would read badly), ``x-message`` is the sentence for an ``anyOf`` of
``required`` alternatives (a fault needs status, delay or drop).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["SCHEMA_PATH", "schema", "verbs", "expectations", "validator", "resolve", "type_phrase", "render_markdown", "splice_docs",
           "DOCS_BEGIN", "DOCS_END"]

SCHEMA_PATH = Path(__file__).with_name("scenario.schema.json")

DOCS_BEGIN = ("<!-- BEGIN reference: generated from simulator/scenario/scenario.schema.json by "
              "`provsim scenario schema --markdown`; edit the schema, not this part -->")
DOCS_END = "<!-- END reference -->"


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def verbs() -> dict[str, dict]:
    """verb -> its argument schema, in the order the docs list them."""
    return schema()["$defs"]["verbs"]


def expectations() -> dict[str, dict]:
    """``expect`` key -> its schema."""
    return schema()["$defs"]["expectations"]


@lru_cache(maxsize=1)
def validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def resolve(node: dict) -> dict:
    """``node`` with a local ``$ref`` merged in (the node's own keys win, as siblings of $ref do)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 10:
        target: Any = schema()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node


_TYPE_WORDS = {"string": "text", "integer": "whole number", "number": "number", "boolean": "true/false",
               "object": "mapping", "array": "list", "null": "nothing"}


def type_phrase(node: dict, *, code: bool = False) -> str:
    """What a value must be, in words: ``whole number >= 1``, ``assigned | all``, ``list of text``."""
    node = resolve(node)
    quote = (lambda v: f"`{v}`") if code else repr
    if "x-expected" in node:
        return node["x-expected"]
    if "enum" in node:
        return " | ".join(quote(json.dumps(v) if not isinstance(v, str) else v) for v in node["enum"])
    if "const" in node:
        return quote(node["const"])
    for key in ("anyOf", "oneOf"):
        if key in node and all("required" not in b for b in node[key]):
            return " or ".join(dict.fromkeys(type_phrase(b, code=code) for b in node[key]))
    types = node.get("type")
    if types is None:
        return "any value"
    phrases = []
    for t in types if isinstance(types, list) else [types]:
        word = _TYPE_WORDS[t]
        if t == "array" and "items" in node:
            word = f"list of {type_phrase(node['items'], code=code)}"
        if t in ("integer", "number"):
            if "minimum" in node and "maximum" in node:
                word += f" {node['minimum']}..{node['maximum']}"
            elif "minimum" in node:
                word += f" >= {node['minimum']}"
        phrases.append(word)
    return " or ".join(phrases)


# ---------------------------------------------------------------------- docs
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _arguments_table(node: dict) -> list[str]:
    node = resolve(node)
    if "anyOf" in node:  # e.g. restart: nothing, a string or a mapping; document the mapping's keys
        mappings = [resolve(b) for b in node["anyOf"] if resolve(b).get("type") == "object"]
        if mappings:
            node = mappings[0]
    props = node.get("properties") or {}
    if not props:
        return []
    required = set(node.get("required") or [])
    rows = ["| argument | value | default | meaning |", "|---|---|---|---|"]
    for name, prop in props.items():
        prop = resolve(prop)
        default = "required" if name in required else (
            f"`{json.dumps(prop['default']) if not isinstance(prop['default'], str) else prop['default']}`"
            if "default" in prop else "")
        rows.append(f"| `{name}` | {_cell(type_phrase(prop, code=True))} | {default} | {_cell(prop.get('description', ''))} |")
    return rows


def _example(key: str, value: Any, *, step: bool) -> str:
    """``key: value`` as a person writes it: block style outside, flow style for small inner values."""
    text = yaml.safe_dump({key: value}, sort_keys=False, default_flow_style=None if isinstance(value, (dict, list)) else False,
                          width=110, allow_unicode=True).rstrip()
    return "- " + text.replace("\n", "\n  ") if step else text


def _verb_value(node: dict) -> str:
    node = resolve(node)
    if "properties" in node and not node["properties"]:
        return "`{}` (no arguments)"
    if node.get("properties"):
        return "mapping (arguments below)"
    return type_phrase(node, code=True)


def render_markdown() -> str:
    """The reference part of docs/scenarios.md: top-level keys, every verb, every expectation."""
    s = schema()
    out = [DOCS_BEGIN, "", "## Top-level keys", "", "| key | value | default | meaning |", "|---|---|---|---|"]
    for name, prop in s["properties"].items():
        prop = resolve(prop)
        default = "required" if name in s.get("required", []) else (f"`{prop['default']}`" if "default" in prop else "")
        value = "list of steps" if name == "steps" else type_phrase(prop, code=True)
        out.append(f"| `{name}` | {_cell(value)} | {default} | {_cell(prop.get('description', ''))} |")
    step = s["$defs"]["step"]
    out += ["", f"A step is a mapping with exactly one verb and an optional `title`: {step['properties']['title']['description']}",
            "", "## Verbs", ""]
    out.append("| verb | value |")
    out.append("|---|---|")
    for verb, node in verbs().items():
        out.append(f"| [`{verb}`](#{verb}) | {_cell(_verb_value(node))} |")
    for verb, node in verbs().items():
        node = resolve(node)
        out += ["", f"### {verb}", "", node.get("description", "")]
        table = _arguments_table(node)
        if table:
            out += [""] + table
        elif "properties" in node:
            out += ["", "No arguments: write `{}`."]
        if node.get("examples"):
            out += ["", "```yaml"] + [_example(verb, ex, step=True) for ex in node["examples"]] + ["```"]
    out += ["", "## Expectations", "",
            "Keys of an `expect` step; one step may check several. A failed check marks the step FAILED, "
            "the story goes on, and the run exits 1.", ""]
    for name, node in expectations().items():
        node = resolve(node)
        out += [f"### {name}", "", node.get("description", "")]
        specs = [resolve(b) for b in node.get("anyOf", [node]) if resolve(b).get("type") == "object"]
        if specs:
            table = _arguments_table(specs[0])
            if table:
                out += [""] + [row.replace("| argument |", "| key |", 1) for row in table]
        if node.get("examples"):
            out += ["", "```yaml"] + [_example(name, ex, step=False) for ex in node["examples"]] + ["```"]
        out.append("")
    out.append(DOCS_END)
    return "\n".join(out) + "\n"


def splice_docs(page: str) -> str:
    """``page`` (docs/scenarios.md) with its reference part replaced by :func:`render_markdown`."""
    begin, end = page.find(DOCS_BEGIN), page.find(DOCS_END)
    if begin < 0 or end < begin:
        raise ValueError("the page has no generated reference part (BEGIN/END markers)")
    return page[:begin] + render_markdown() + page[end + len(DOCS_END) + 1:]

