"""The story file an import writes: an ordinary library-format scenario, with comments.

Comments carry what the logs said and what the importer made of it; an entry the importer
could not model is a comment line that starts with :data:`NOT_MODELLED` and the entry's id, which
``provsim incident replay`` reads back to count it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["StoryItem", "render_story", "not_modelled_ids", "NOT_MODELLED", "scalar"]

NOT_MODELLED = "not modelled:"
_NOT_MODELLED_LINE = re.compile(r"^\s*#\s*not modelled:\s*(\S+)", re.MULTILINE)


@dataclass
class StoryItem:
    """One step (or, with ``verb`` None, only comment lines)."""

    verb: str | None
    args: Any = None
    title: str | None = None
    comments: list[str] = field(default_factory=list)


def scalar(value: Any) -> str:
    """One YAML value on one line (flow style)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30, sort_keys=False, allow_unicode=True)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[:-4].strip()
    return text.removesuffix("...").strip()


def _comment(line: str, indent: str) -> str:
    return "\n".join(f"{indent}# {part}".rstrip() for part in line.splitlines() or [""])


def render_story(*, name: str, description: str, tenant: str, seed: int, header: list[str], items: list[StoryItem]) -> str:
    out = [_comment(line, "") for line in header]
    out.append(f"name: {scalar(name)}")
    out.append("description: |")
    out += [f"  {line}".rstrip() for line in description.splitlines()]
    out.append(f"tenant: {scalar(tenant)}")
    out.append(f"seed: {seed}")
    out.append("steps:")
    for item in items:
        out += [_comment(c, "  ") for c in item.comments]
        if item.verb is None:
            continue
        if item.title:
            out.append(f"  - title: {scalar(item.title)}")
            out.append(f"    {item.verb}: {scalar(item.args if item.args is not None else {})}")
        else:
            out.append(f"  - {item.verb}: {scalar(item.args if item.args is not None else {})}")
    return "\n".join(out) + "\n"


def not_modelled_ids(story_text: str) -> list[str]:
    """The ids of the entries a story says it could not model."""
    return _NOT_MODELLED_LINE.findall(story_text)
