"""SCIM PATCH (RFC 7644 §3.5.2) over a resource's JSON, as Entra sends it.

A pure function: :func:`apply_operations` takes the writable view of a resource
(the SCIM JSON a client could PUT) and the operations, and returns the view
after them; the org then validates the result exactly as it validates a PUT,
so PATCH and PUT cannot disagree and a failing operation changes nothing.

What Entra sends and this accepts (RFC 7644 §3.5.2 and PureCloudPlatformClientV2's ScimV2PatchRequest;
Microsoft's SCIM guidance): ops in any case (``Replace``), ``add``/``replace``
without ``path`` whose value is an object (keys may be attribute names,
dotted names or URN-qualified names, or an extension URN with an object),
value paths such as ``emails[type eq "work"].value`` that create the element
when none matches, ``members`` add/remove with ``[{"$ref": null, "value": id}]``
and ``members[value eq "id"]``.  Value coercion (``"False"``) is the
validator's job.
"""

from __future__ import annotations

import json
from typing import Any

from simulator.scim.path import PathSyntaxError, eq_pairs, parse_path

from .errors import ScimError
from .filter import parse_bracket_filter
from .schemas import Attr, ResourceSchema

__all__ = ["apply_operations", "parse_operations"]

_OPS = ("add", "replace", "remove")


def parse_operations(body: Any) -> list[dict[str, Any]]:
    """The ``Operations`` of a PatchOp body, checked for shape (400 invalidSyntax otherwise)."""
    if not isinstance(body, dict):
        raise ScimError(400, "invalidSyntax", "The PATCH body must be a JSON object with 'Operations'")
    ops = next((v for k, v in body.items() if k.lower() == "operations"), None)
    if not isinstance(ops, list) or not ops:
        raise ScimError(400, "invalidSyntax", "'Operations' must be a non-empty array")
    out = []
    for i, op in enumerate(ops):
        if not isinstance(op, dict):
            raise ScimError(400, "invalidSyntax", f"Operations[{i}] must be an object")
        lowered = {k.lower(): v for k, v in op.items()}
        name = lowered.get("op")
        if not isinstance(name, str) or name.lower() not in _OPS:
            raise ScimError(400, "invalidSyntax", f"Operations[{i}].op must be add, replace or remove, got {name!r}")
        path = lowered.get("path")
        if path is not None and not isinstance(path, str):
            raise ScimError(400, "invalidPath", f"Operations[{i}].path must be a string")
        if name.lower() != "remove" and "value" not in lowered:
            raise ScimError(400, "invalidSyntax", f"Operations[{i}] ({name}) needs a 'value'")
        out.append({"op": name.lower(), "path": path.strip() if isinstance(path, str) and path.strip() else None,
                    "value": lowered.get("value")})
    return out


def apply_operations(view: dict[str, Any], operations: list[dict[str, Any]], schema: ResourceSchema) -> dict[str, Any]:
    """``view`` after ``operations`` (a new dict; ``view`` is not changed).

    Copied on write: the result starts as a copy of ``view``'s top level and of its objects (the
    extension containers); lists are never changed in place here (an operation builds a new one)
    and a complex attribute's object is copied before a sub-attribute is set in it, so the
    objects the result shares with ``view`` are never changed."""
    result = {k: dict(v) if type(v) is dict else v for k, v in view.items()}
    for op in operations:
        if op["path"] is None:
            if op["op"] == "remove":
                raise ScimError(400, "noTarget", "A 'remove' operation needs a 'path'")
            value = op["value"]
            if not isinstance(value, dict):
                raise ScimError(400, "invalidValue", f"An '{op['op']}' without 'path' needs an object value")
            for key, item in value.items():
                urn = schema.urn_of(key)
                if urn is not None and urn != schema.core:
                    if not isinstance(item, dict):
                        raise ScimError(400, "invalidValue", f"The value of '{key}' must be an object")
                    for sub_key, sub_item in item.items():
                        _apply_path(result, op["op"], f"{urn}:{sub_key}", sub_item, schema)
                elif key.lower() == "schemas":
                    continue
                else:
                    _apply_path(result, op["op"], key, item, schema)
        else:
            _apply_path(result, op["op"], op["path"], op["value"], schema)
    return result


#: the most paths :func:`_resolve` remembers per resource type (a client can send any number)
_PATH_CACHE_SIZE = 512


def _resolve(path: str, schema: ResourceSchema) -> tuple[str, Attr, str | None, str | None]:
    """The schema, attribute, bracketed filter text and sub-attribute a path names (the shared grammar).

    A pure function of the path and the catalogue: a path that resolves is remembered on the catalogue."""
    cache = schema.path_cache
    hit = cache.get(path)
    if hit is None:
        hit = _resolve_path(path, schema)
        if len(cache) >= _PATH_CACHE_SIZE:
            cache.clear()
        cache[path] = hit
    return hit


def _resolve_path(path: str, schema: ResourceSchema) -> tuple[str, Attr, str | None, str | None]:
    try:
        parsed = parse_path(path)
    except PathSyntaxError as err:
        raise ScimError(400, "invalidPath", f"Unsupported path '{path}'") from err
    urn = schema.core if parsed.urn is None else schema.urn_of(parsed.urn)
    if urn is None:
        raise ScimError(400, "invalidPath", f"Unknown schema in path '{path}'")
    attr = schema.attr(urn, parsed.attr)
    if attr is None:
        raise ScimError(400, "invalidPath", f"Unknown attribute in path '{path}'")
    if attr.mutability == "readOnly":
        raise ScimError(400, "mutability", f"'{attr.name}' is read-only")
    sub = parsed.sub
    if sub is not None:
        child = attr.child(sub)
        if child is None:
            raise ScimError(400, "invalidPath", f"'{attr.name}' has no sub-attribute '{sub}' (path '{path}')")
        sub = child.name
    if parsed.filter is not None and not attr.multi:
        raise ScimError(400, "invalidPath", f"'{attr.name}' is not multi-valued; a [filter] does not apply")
    return urn, attr, parsed.filter, sub


def _bracket_pairs(text: str) -> list[tuple[str, object]]:
    """``type eq "work"`` (what Entra sends) read by the shared grammar; anything else by the full filter parser."""
    pairs = eq_pairs(text)
    if pairs is None:
        return parse_bracket_filter(text)
    return [(name.lower(), value) for name, value in pairs]


def _container(doc: dict, urn: str, schema: ResourceSchema, create: bool) -> dict | None:
    if urn == schema.core:
        return doc
    ext = doc.get(urn)
    if not isinstance(ext, dict):
        if not create:
            return None
        ext = doc[urn] = {}
    return ext


def _hashable(value: Any) -> Any:
    """A value as a set member: JSON objects and lists by their canonical text."""
    if isinstance(value, (dict, list)):
        return ("json", json.dumps(value, sort_keys=True, separators=(",", ":"), default=str))
    return value


def _element_key(attr: Attr, item: Any) -> Any:
    if attr.key and isinstance(item, dict):
        for k, v in item.items():
            if k.lower() == attr.key.lower():
                return v.casefold() if isinstance(v, str) and attr.key != "value" else v
    return None


def _matches(item: Any, pairs: list[tuple[str, Any]]) -> bool:
    if not isinstance(item, dict):
        return False
    lowered = {k.lower(): v for k, v in item.items()}
    for name, expected in pairs:
        actual = lowered.get(name)
        if isinstance(actual, bool):
            actual = "true" if actual else "false"
        if actual is None or str(actual).casefold() != str(expected).casefold():
            return False
    return True


def _apply_path(doc: dict, op: str, path: str, value: Any, schema: ResourceSchema) -> None:
    urn, attr, filt, sub = _resolve(path, schema)
    container = _container(doc, urn, schema, create=op != "remove")
    if container is None:
        return  # removing from an extension the resource does not have: nothing to do
    name = attr.name
    if filt is not None:
        _apply_filtered(container, op, attr, _bracket_pairs(filt), sub, value, path)
        return
    if sub is not None:
        if attr.multi:
            raise ScimError(400, "invalidPath", f"'{path}' needs a [filter] to pick elements of '{name}'")
        current = container.get(name)
        if op == "remove":
            if isinstance(current, dict):
                current = container[name] = dict(current)  # copied on write: the view may share it
                current.pop(sub, None)
            return
        current = container[name] = dict(current) if isinstance(current, dict) else {}
        current[sub] = value
        return
    if not attr.multi:
        if op == "remove":
            container.pop(name, None)
        else:
            container[name] = value
        return
    items = value if isinstance(value, list) else ([] if value is None else [value])
    if op == "replace":
        container[name] = list(items)
    elif op == "add":
        current = container.get(name)
        current = list(current) if isinstance(current, list) else []
        # An element whose key is already there replaces it (moved to the end); an unkeyed element
        # already there is skipped.  Linear in the list: a group PATCH may add thousands of members.
        added_keys = {_hashable(k) for k in (_element_key(attr, i) for i in items) if k is not None}
        if added_keys:
            current = [c for c in current if _hashable(_element_key(attr, c)) not in added_keys]
        present = {_hashable(c) for c in current}
        appended: dict[Any, Any] = {}
        for item in items:
            key = _element_key(attr, item)
            if key is not None:
                appended.pop(("key", _hashable(key)), None)  # the last of equal keys wins, at the end
                appended[("key", _hashable(key))] = item
            elif _hashable(item) not in present:
                present.add(_hashable(item))
                appended[("item", len(appended), _hashable(item))] = item
        current.extend(appended.values())
        container[name] = current
    else:  # remove
        if value is None:
            container.pop(name, None)
            return
        current = container.get(name)
        if not isinstance(current, list):
            return
        keys = {_hashable(k) for k in (_element_key(attr, i) for i in items) if k is not None}
        gone = {_hashable(i) for i in items}
        container[name] = [c for c in current if _hashable(c) not in gone and _hashable(_element_key(attr, c)) not in keys]


def _apply_filtered(container: dict, op: str, attr: Attr, pairs: list[tuple[str, Any]], sub: str | None,
                    value: Any, path: str) -> None:
    for name, _ in pairs:
        if attr.child(name) is None:
            raise ScimError(400, "invalidPath", f"'{attr.name}' has no sub-attribute '{name}' (path '{path}')")
    current = container.get(attr.name)
    current = list(current) if isinstance(current, list) else []
    hits = [i for i, item in enumerate(current) if _matches(item, pairs)]
    if op == "remove":
        if sub is None:
            current = [item for i, item in enumerate(current) if i not in hits]
        else:
            for i in hits:
                current[i] = {k: v for k, v in current[i].items() if k.lower() != sub.lower()}
        container[attr.name] = current
        return
    if sub is None and not isinstance(value, dict):
        raise ScimError(400, "invalidValue", f"'{path}' selects whole elements; the value must be an object")
    if not hits:
        # Entra sends Replace for a phone type the user does not have yet: create it from the filter.
        element = {attr.child(name).name: val for name, val in pairs}  # type: ignore[union-attr]  # a filtered path names a complex attribute, which has children
        current.append(element)
        hits = [len(current) - 1]
    for i in hits:
        element = dict(current[i])
        if sub is None:
            element.update(value)
        else:
            element[sub] = value
        current[i] = element
    container[attr.name] = current
