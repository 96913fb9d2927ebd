"""The SCIM side of the engine's mappings: paths, the diff, and the bodies Entra sends.

:func:`scim_get`/:func:`scim_set` read and write a SCIM resource at an attribute path
(parsed by the shared grammar, :mod:`simulator.scim.path`); :func:`diff` compares the
desired attributes with what the target holds; :func:`build_patch`,
:func:`build_members_patch` and :func:`build_create` write the SCIM bodies exactly as
Entra sends them.  Pure functions; :mod:`simulator.engine.mappings` re-exports them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, Final

from simulator.scim.path import PathSyntaxError, ScimPath, eq_pairs, parse_path, split_urn
from simulator.scim.urns import ENTERPRISE_URN, GENESYS_URN, GROUP_URN, PATCH_URN, USER_URN

__all__ = [
    "CORE_USER_SCHEMA",
    "CORE_GROUP_SCHEMA",
    "ENTERPRISE_USER_SCHEMA",
    "GENESYS_USER_SCHEMA",
    "PATCH_OP_SCHEMA",
    "PatchOp",
    "AttributeChange",
    "diff",
    "build_patch",
    "build_members_patch",
    "build_create",
    "scim_get",
    "scim_set",
    "target_values",
]

CORE_USER_SCHEMA: Final = USER_URN
CORE_GROUP_SCHEMA: Final = GROUP_URN
ENTERPRISE_USER_SCHEMA: Final = ENTERPRISE_URN
GENESYS_USER_SCHEMA: Final = GENESYS_URN
PATCH_OP_SCHEMA: Final = PATCH_URN


class PatchOp(str, Enum):
    """Kind of change; the value is the RFC 7644 (lower-case) spelling."""

    ADD = "add"
    REPLACE = "replace"
    REMOVE = "remove"

    def wire(self, entra_quirks: bool) -> str:
        """Entra capitalises ops ("Replace") unless the aadOptscim062020 flag is set."""
        return self.value.capitalize() if entra_quirks else self.value



# --------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class AttributeChange:
    """One target attribute whose value must change."""

    attribute: str
    old: Any
    new: Any
    op: PatchOp


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _normal(value: Any, case_exact: bool) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower()
    if isinstance(value, Mapping):
        return json.dumps({k: _normal(v, case_exact) for k, v in value.items()}, sort_keys=True)
    if isinstance(value, list):
        return sorted(json.dumps(_normal(item, case_exact)) for item in value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str) and not case_exact:
        return value.casefold()
    return value


def diff(
    target_before: Mapping[str, Any],
    desired: Mapping[str, Any],
    *,
    case_exact: Callable[[str], bool] | None = None,
) -> list[AttributeChange]:
    """The attributes of ``desired`` whose value differs from ``target_before``.

    Only attributes present in ``desired`` are compared: an attribute Entra does not
    flow is never touched.  A ``None`` desired value over a present target value is a
    cleared attribute (``remove``); a value over an absent one is ``add``; otherwise
    ``replace``.  Booleans equal their "True"/"False" spellings; strings of
    attributes that are not ``case_exact`` compare case-insensitively (the schema's
    caseExact is what the real engine uses to detect changes); multi-valued values
    compare as sets.  Order follows ``desired``.
    """
    changes: list[AttributeChange] = []
    lowered = {str(k).lower(): v for k, v in target_before.items()}
    for attribute, new in desired.items():
        old = lowered.get(attribute.lower())
        exact = True if case_exact is None else case_exact(attribute)
        if _is_empty(new):
            if not _is_empty(old):
                changes.append(AttributeChange(attribute, old, None, PatchOp.REMOVE))
            continue
        if _is_empty(old):
            changes.append(AttributeChange(attribute, old, new, PatchOp.ADD))
        elif _normal(old, exact) != _normal(new, exact):
            changes.append(AttributeChange(attribute, old, new, PatchOp.REPLACE))
    return changes


# --------------------------------------------------------------------------- SCIM paths


@dataclass(frozen=True)
class _Path:
    urn: str | None
    attr: str
    filter_attr: str | None = None
    filter_value: str | None = None
    sub: str | None = None

    @property
    def is_filtered(self) -> bool:
        return self.filter_attr is not None


@lru_cache(maxsize=1024)
def _parse_path(path: str) -> _Path:
    """``[urn:...:Resource:]attr[[f eq "v"]][.sub]`` (the shared grammar) as the engine reads it: one
    ``eq`` in a filter.  A mapping's target name outside the grammar is taken as written."""
    try:
        parsed: ScimPath = parse_path(path)
    except PathSyntaxError:
        urn, local = split_urn(path)
        attr, dot, sub = local.partition(".")
        return _Path(urn, attr, sub=sub if dot else None)
    if parsed.filter is not None:
        pairs = eq_pairs(parsed.filter)
        if pairs is not None and len(pairs) == 1:
            (fattr, fval), = pairs
            return _Path(parsed.urn, parsed.attr, fattr, fval, parsed.sub)
        return _Path(parsed.urn, parsed.attr + "[" + parsed.filter + "]" + ("." + parsed.sub if parsed.sub else ""))
    return _Path(parsed.urn, parsed.attr, sub=parsed.sub)


def _container(resource: dict[str, Any], urn: str | None, create: bool) -> dict[str, Any] | None:
    if urn is None:
        return resource
    for key, value in resource.items():
        if key.lower() == urn.lower() and isinstance(value, dict):
            return value
    if not create:
        return None
    created: dict[str, Any] = {}
    resource[urn] = created
    return created


def _get_key(container: Mapping[str, Any], name: str) -> Any:
    for key, value in container.items():
        if key.lower() == name.lower():
            return value
    return None


def _filter_literal(value: str) -> Any:
    return {"true": True, "false": False}.get(value.lower(), value)


def _matches(item: Any, path: _Path) -> bool:
    if not isinstance(item, Mapping) or path.filter_attr is None:
        return False
    actual = _get_key(item, path.filter_attr)
    wanted = _filter_literal(path.filter_value or "")
    if isinstance(wanted, bool):
        return _filter_literal(str(actual)) is wanted if actual is not None else False
    return str(actual).lower() == str(wanted).lower() if actual is not None else False


#: Entra marks the work e-mail as primary in a POST body (reference §1, Create).
_PRIMARY_ITEMS: Final = {("emails", "type", "work")}


def scim_set(resource: dict[str, Any], path: str, value: Any) -> None:
    """Write ``value`` at SCIM ``path`` into ``resource`` (a JSON object), in place.

    ``emails[type eq "work"].value`` becomes an ``emails`` list item
    ``{"primary": true, "type": "work", "value": ...}``; an extension URN prefix puts
    the attribute in that extension's object; ``name.givenName`` nests.
    """
    parsed = _parse_path(path)
    container = _container(resource, parsed.urn, create=True)
    assert container is not None
    if parsed.is_filtered:
        items = container.setdefault(parsed.attr, [])
        for item in items:
            if _matches(item, parsed):
                item[parsed.sub or "value"] = value
                return
        added: dict[str, Any] = {}
        if (parsed.attr.lower(), (parsed.filter_attr or "").lower(), (parsed.filter_value or "").lower()) in _PRIMARY_ITEMS:
            added["primary"] = True
        added[parsed.filter_attr or "type"] = _filter_literal(parsed.filter_value or "")
        added[parsed.sub or "value"] = value
        items.append(added)
        return
    if parsed.sub is not None:
        container.setdefault(parsed.attr, {})[parsed.sub] = value
        return
    container[parsed.attr] = value


def scim_get(resource: Mapping[str, Any], path: str) -> Any:
    """Read the value at SCIM ``path`` from a SCIM resource (``None`` when absent).

    Reference attributes read as ids: ``...:manager`` gives ``manager.value``,
    ``members`` the list of member ``value``s.  Attribute names and filter values
    compare case-insensitively, as SCIM says.
    """
    parsed = _parse_path(path)
    container = _container(dict(resource), parsed.urn, create=False) if parsed.urn else resource
    if container is None:
        return None
    value = _get_key(container, parsed.attr)
    if value is None:
        return None
    if parsed.is_filtered:
        if not isinstance(value, list):
            return None
        for item in value:
            if _matches(item, parsed):
                return _get_key(item, parsed.sub or "value")
        return None
    if parsed.sub is not None:
        return _get_key(value, parsed.sub) if isinstance(value, Mapping) else None
    if parsed.attr.lower() == "manager" and isinstance(value, Mapping):
        return value.get("value")
    if parsed.attr.lower() in ("members", "roles") and isinstance(value, list):
        # roles compare by value, as build_create/build_patch write them ([{"value": name}]).
        return [item.get("value") if isinstance(item, Mapping) else item for item in value]
    return value


def target_values(resource: Mapping[str, Any], attributes: Iterable[str]) -> dict[str, Any]:
    """``{attribute: scim_get(resource, attribute)}``: the "before" side of :func:`diff`."""
    return {attribute: scim_get(resource, attribute) for attribute in attributes}


# --------------------------------------------------------------------------- SCIM bodies


def _is_reference_path(path: str) -> bool:
    parsed = _parse_path(path)
    return not parsed.is_filtered and parsed.sub is None and parsed.attr.lower() in {"manager", "members"}


def _wire_value(value: Any, entra_quirks: bool) -> Any:
    if isinstance(value, bool) and entra_quirks:
        # Without aadOptscim062020 Entra sends booleans as the strings "True"/"False".
        return "True" if value else "False"
    if isinstance(value, list):
        return [_wire_value(item, entra_quirks) for item in value]
    return value


def _reference_value(target_id: str) -> list[dict[str, Any]]:
    return [{"$ref": None, "value": target_id}]


def build_patch(changes: Sequence[AttributeChange], *, entra_quirks: bool = True) -> dict[str, Any]:
    """The SCIM PatchOp body for ``changes``, as Entra sends it.

    ``entra_quirks=True`` (default, the non-compliant behaviour of current jobs):
    capitalised ``op`` (``Add``/``Replace``/``Remove``), booleans as ``"True"`` /
    ``"False"``, one operation per attribute.  ``entra_quirks=False`` (tenant-URL
    flag ``aadOptscim062020``): lower-case ops, real booleans, and several plain
    (non-filtered) replaces merged into one path-less ``replace`` with an object
    value; filtered paths stay separate.

    Reference attributes carry **target** ids here (the reference pass resolved
    them): ``manager`` is sent as ``[{"$ref": null, "value": id}]``; ``members`` changes
    become member adds/removes (see :func:`build_members_patch`).  An empty
    ``Operations`` list means there is nothing to send.
    """
    operations: list[dict[str, Any]] = []
    merged: list[tuple[str, Any]] = []
    for change in changes:
        path = change.attribute
        if _parse_path(path).attr.lower() == "members" and not _parse_path(path).is_filtered:
            old = [str(v) for v in (change.old or [])]
            new = [str(v) for v in (change.new or [])]
            member_ops = build_members_patch(
                add=[v for v in new if v not in old], remove=[v for v in old if v not in new],
                entra_quirks=entra_quirks,
            )["Operations"]
            operations.extend(member_ops)
            continue
        if change.op is PatchOp.REMOVE:
            operations.append({"op": PatchOp.REMOVE.wire(entra_quirks), "path": path})
            continue
        value: Any = change.new
        if _is_reference_path(path):
            value = _reference_value(str(value))
        elif path.lower() == "roles":
            value = [{"value": v} if not isinstance(v, Mapping) else dict(v) for v in (value or [])]  # as in build_create
        else:
            value = _wire_value(value, entra_quirks)
        if (
            not entra_quirks
            and change.op is PatchOp.REPLACE
            and not _parse_path(path).is_filtered
            and not _is_reference_path(path)
        ):
            merged.append((path, value))
            operations.append({"_merge": path})
            continue
        operations.append({"op": change.op.wire(entra_quirks), "path": path, "value": value})
    if len(merged) >= 2:
        operations = [op for op in operations if "_merge" not in op]
        operations.append({"op": PatchOp.REPLACE.wire(False), "value": dict(merged)})
    else:
        single = dict(merged)
        operations = [
            {"op": PatchOp.REPLACE.wire(False), "path": op["_merge"], "value": single[op["_merge"]]}
            if "_merge" in op
            else op
            for op in operations
        ]
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}


def build_members_patch(
    *, add: Sequence[str] = (), remove: Sequence[str] = (), entra_quirks: bool = True
) -> dict[str, Any]:
    """Group membership PatchOp with **target** user ids.

    Entra (reference §1, Groups): ``{"op": "Add", "path": "members", "value":
    [{"$ref": null, "value": id}, ...]}`` and the same shape with ``Remove``.  With
    ``aadOptscim062020`` removals become one ``{"op": "remove", "path":
    "members[value eq \\"id\\"]"}`` per member.
    """
    operations: list[dict[str, Any]] = []
    if add:
        value = [{"$ref": None, "value": ident} for ident in add] if entra_quirks else [{"value": i} for i in add]
        operations.append({"op": PatchOp.ADD.wire(entra_quirks), "path": "members", "value": value})
    if remove:
        if entra_quirks:
            operations.append({
                "op": PatchOp.REMOVE.wire(True),
                "path": "members",
                "value": [{"$ref": None, "value": ident} for ident in remove],
            })
        else:
            operations.extend(
                {"op": PatchOp.REMOVE.wire(False), "path": f'members[value eq "{ident}"]'} for ident in remove
            )
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}


_CORE_ORDER: Final = ("externalId", "userName", "active", "displayName", "title", "emails", "phoneNumbers", "roles")


def build_create(desired: Mapping[str, Any], *, object_type: str = "User") -> dict[str, Any]:
    """The SCIM POST body Entra sends to create a user (or a group).

    User: ``schemas`` core + enterprise (+ the Genesys extension when one of its
    attributes is mapped), then the mapped core attributes, extension objects,
    ``meta.resourceType`` and ``roles: []`` when no roles are mapped (reference §1).
    ``active`` is a real boolean: Entra's POST bodies use JSON booleans with or without
    ``aadOptscim062020`` (only PATCH differs), so there is no wire-profile switch.  Group: ``schemas``,
    ``externalId``, ``displayName``, ``meta``: never members (they follow in PATCHes).
    Reference attributes are not part of a create; the reference pass sets them.
    """
    is_group = object_type.lower() == "group"
    body: dict[str, Any] = {}
    for path, value in desired.items():
        if value is None or _is_reference_path(path):
            continue
        if path.lower() == "roles":
            value = [{"value": v} if not isinstance(v, Mapping) else dict(v) for v in (value or [])]
        scim_set(body, path, value)
    if is_group:
        schemas = [CORE_GROUP_SCHEMA]
    else:
        schemas = [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA]
        if any(key.lower() == GENESYS_USER_SCHEMA.lower() for key in body):
            schemas.append(GENESYS_USER_SCHEMA)
        body.setdefault("roles", [])
    ordered: dict[str, Any] = {"schemas": schemas}
    for key in _CORE_ORDER:
        if key in body:
            ordered[key] = body.pop(key)
    for key in sorted(k for k in body if not k.lower().startswith("urn:")):
        ordered[key] = body.pop(key)
    for key in sorted(body):
        ordered[key] = body[key]
    ordered["meta"] = {"resourceType": "Group" if is_group else "User"}
    if not is_group and "roles" in ordered:
        ordered["roles"] = ordered.pop("roles")  # Entra puts roles last, after meta
    return ordered
