"""YAML that cannot blow up: ``safe_load`` with a ceiling on what aliases expand to.

A "billion laughs" document is a few hundred bytes whose aliases refer to
aliases, nine levels deep: loading it builds 10^9 references, and walking the
result (``cassette check``, a scenario's steps) never ends.  PyYAML composes a
document into a node graph where an alias is a shared node, which costs what
the text costs; :func:`safe_load` counts how many nodes the graph stands for
once expanded and refuses a document past :data:`MAX_NODES` before building
any Python object.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["safe_load", "check_expansion", "YamlBombError", "MAX_NODES"]

#: The most nodes a document may expand to (a 100k-user tenant fixture has about 3 million).
MAX_NODES = 20_000_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlBombError(yaml.YAMLError):
    """The document's aliases expand past :data:`MAX_NODES` (an alias bomb)."""


def _expanded_size(root: yaml.Node, limit: int) -> int:
    sizes: dict[int, int] = {}
    # Iterative post-order walk: shared (aliased) nodes are counted once per use, computed once.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                children += [k, v]
        if not done:
            sizes[key] = -1  # in progress (a recursive alias points back here)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1
        for child in children:
            size = sizes.get(id(child), 1)
            if size < 0:
                raise YamlBombError("the document refers to itself through an alias")
            total += size
            if total > limit:
                raise YamlBombError(f"the document's aliases expand to more than {limit:,} nodes (an alias bomb); refused")
        sizes[key] = total
    return sizes.get(id(root), 0)


def check_expansion(node: yaml.Node | None, max_nodes: int = MAX_NODES) -> None:
    """Raise :class:`YamlBombError` when a composed document expands past ``max_nodes``
    (for callers that compose nodes themselves, e.g. to report line numbers)."""
    if node is not None:
        _expanded_size(node, max_nodes)


def safe_load(text: str | bytes, *, max_nodes: int = MAX_NODES) -> Any:
    """``yaml.safe_load``, refusing documents whose aliases expand past ``max_nodes``."""
    if "*" in (text if isinstance(text, str) else text.decode("utf-8", "replace")):
        node = yaml.compose(text, Loader=_Loader)
        if node is None:
            return None
        _expanded_size(node, max_nodes)
    return yaml.load(text, Loader=_Loader)
