"""``attributes`` / ``excludedAttributes`` (RFC 7644 §3.4.2.5, §3.9).

Names may be plain (``displayName``), dotted (``emails.value``, ``meta.version``)
or URN-qualified (``urn:...:enterprise:2.0:User:manager``, or a whole extension
URN).  Attributes the resource always returns (``id``, ``schemas``, ``meta``;
users also ``userName`` and ``active``, RFC 7644 §3.9 and Genesys' SCIM API docs) survive both.  Names the
schema does not know select nothing, as the RFC allows.
"""

from __future__ import annotations

from typing import Any

from .schemas import ResourceSchema

__all__ = ["project", "parse_attribute_list"]

_ALL = object()


def parse_attribute_list(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def _tree(names: list[str], schema: ResourceSchema) -> dict:
    tree: dict[str, Any] = {}
    for name in names:
        urn = schema.urn_of(name)
        if urn is not None:
            if urn == schema.core:
                continue
            tree[urn.lower()] = None
            continue
        try:
            urn, rest = schema.split_urn(name)
        except KeyError:
            continue
        parts = [p.lower() for p in rest.split(".") if p]
        if not parts:
            continue
        node = tree
        if urn != schema.core:
            sub = node.get(urn.lower(), {})
            if sub is None:
                continue
            node = node.setdefault(urn.lower(), sub)
        for i, part in enumerate(parts):
            if i == len(parts) - 1:
                node[part] = None
            else:
                child = node.get(part, {})
                if child is None:
                    break
                node = node.setdefault(part, child)
    return tree


def _prune(value: Any, tree: dict, *, select: bool) -> Any:
    """``value`` cut by a path tree: with ``select``, only what the tree names (a leaf keeps its whole
    value); without it, everything but what the tree names (a leaf drops its whole value)."""
    if isinstance(value, list):
        return [_prune(v, tree, select=select) for v in value]
    if not isinstance(value, dict):
        return value
    skip = _ALL if select else None  # not named (select) / named to the leaf (drop)
    out = {}
    for key, item in value.items():
        sub = tree.get(key.lower(), _ALL)
        if sub is skip:
            continue
        out[key] = _prune(item, sub, select=select) if isinstance(sub, dict) else item
    return out


def project(resource: dict, schema: ResourceSchema, *, attributes: list[str], excluded: list[str],
            always: tuple[str, ...]) -> dict:
    """``resource`` limited to ``attributes`` (if any) minus ``excluded``; ``always`` keys stay."""
    if not attributes and not excluded:
        return resource
    keep = {"schemas", "id", "meta", *(a.lower() for a in always)}
    if attributes:
        tree = _tree(attributes, schema)
        for key in keep:
            tree[key] = None
        return _prune(resource, tree, select=True)
    tree = {k: v for k, v in _tree(excluded, schema).items() if k not in keep}
    return _prune(resource, tree, select=False)
