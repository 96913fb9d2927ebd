"""Users and groups: SCIM JSON in (validated into the stored form) and out, walking the
resource's attribute catalogue (:mod:`.schemas`); what each attribute does is its
:mod:`.rules` entry.

Attribute names match in any case; unknown plain attributes are ignored (RFC 7643
§3.1 lets a provider do so; ``name`` is not in the Genesys model); unknown schema
URNs are an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ScimError
from .rules import SCIM_AUTHORITY, Mode, OrgRules, ParseContext, RenderContext
from .schemas import ENTERPRISE_URN, GENESYS_URN, GROUP, GROUP_URN, PATCH_URN, USER, USER_URN, ResourceSchema

__all__ = ["OrgRules", "parse_resource", "render_resource", "resource_view", "parse_user", "render_user",
           "user_view", "parse_group", "render_group", "group_view", "GroupInput", "SCIM_AUTHORITY", "Mode",
           "check_schemas", "PATCH_SCHEMAS"]


def check_schemas(body: dict, allowed: list[str], *, required_core: str | None = None) -> None:
    """``schemas`` (if sent) and URN-keyed objects must name schemas this resource has."""
    known = {u.lower() for u in allowed}
    raw: Any = None
    seen_schemas = False
    unknown_key: str | None = None  # the first URN-keyed object of a schema not allowed
    for key, value in body.items():  # one pass: the first 'schemas' key counts, as the first unknown URN does
        lowered = key.lower()
        if lowered == "schemas":
            if not seen_schemas:
                raw, seen_schemas = value, True
        elif unknown_key is None and lowered.startswith("urn:") and lowered not in known:
            unknown_key = key
    if raw is not None:
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
            raise ScimError(400, "invalidSyntax", "'schemas' must be an array of strings")
        unknown = [s for s in raw if s.lower() not in known]
        if unknown:
            raise ScimError(400, "invalidValue", f"Unknown schema: {', '.join(unknown)}")
    if unknown_key is not None:
        raise ScimError(400, "invalidValue", f"Unknown schema: {unknown_key}")


def _extension(value: Any, urn: str) -> dict[str, Any]:
    """The object under an extension URN (its keys lower-cased), ``{}`` when absent."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScimError(400, "invalidValue", f"'{urn}' must be an object")
    return {k.lower(): v for k, v in value.items()}


# ---------------------------------------------------------------- any resource
def _containers(body: dict, schema: ResourceSchema) -> dict[str, dict[str, Any]]:
    """``{urn: {lower name: value}}``: the core attributes (the last of names equal in any case wins)
    and each extension's object (the first key naming its URN, in any case)."""
    core: dict[str, Any] = {}
    urn_keys: dict[str, Any] = {}
    for key, value in body.items():
        lowered = key.lower()
        core[lowered] = value
        if lowered.startswith("urn:") and lowered not in urn_keys:
            urn_keys[lowered] = value
    containers = {schema.core: core}
    for urn, lowered in schema.extension_urns:
        containers[urn] = _extension(urn_keys.get(lowered), urn)
    return containers


_ABSENT = object()


def parse_resource(body: Any, schema: ResourceSchema, ctx: ParseContext, *, before: dict | None = None) -> dict[str, Any]:
    """The stored fields for ``body`` (without id, version and timestamps), attribute by attribute.

    ``before``: the view ``body`` was patched from (:func:`resource_view` of ``ctx.current``, and
    ``body`` what :func:`~.patch.apply_operations` made of it); an attribute whose value the PATCH
    left as it was keeps its stored value without being parsed again (the view of a stored value
    parses back to it).
    """
    if before is not None and ctx.current is not None:
        return _parse_patched(body, before, schema, ctx)
    if not isinstance(body, dict):
        raise ScimError(400, "invalidSyntax", "The body must be a JSON object")
    check_schemas(body, schema.urns)
    containers = _containers(body, schema)
    out: dict[str, Any] = {}
    replacing = ctx.replacing
    for urn, lowered, key, attr in schema.parse_plan:
        values = containers[urn]
        rule = attr.rule
        if replacing and rule.keep and lowered not in values:  # type: ignore[union-attr]  # planned: rule set
            out[key] = list(ctx.current[key])  # type: ignore[index]  # replacing: current is set
        else:
            out[key] = rule.parse(attr.name, values.get(lowered), ctx, required=attr.required)  # type: ignore[union-attr]  # the parse plan lists only attributes that have a rule
    return out


def _parse_patched(view: dict, before: dict, schema: ResourceSchema, ctx: ParseContext) -> dict[str, Any]:
    """:func:`parse_resource` of a patched view.

    Both views spell every key as the catalogue does (:func:`resource_view` writes attribute names
    and extension URNs, and a PATCH writes only what a path resolves to), so the body's checks and
    case folding have nothing to do: each attribute is read under its own name.  What differs
    from ``before`` is parsed; what does not keeps the stored value.
    """
    current: dict = ctx.current  # type: ignore[assignment]  # only called with the stored document
    core = schema.core
    replacing = ctx.replacing
    out: dict[str, Any] = {}
    for urn, entries in schema.parse_groups:  # the parse plan's order, a schema at a time
        if urn == core:
            values, old = view, before
        else:
            values, old = view.get(urn) or {}, before.get(urn) or {}
        for key, name, attr in entries:
            value = values.get(name, _ABSENT)
            if key in current and value == old.get(name, _ABSENT):
                out[key] = current[key]
                continue
            rule = attr.rule
            if replacing and rule.keep and value is _ABSENT:  # type: ignore[union-attr]  # planned: rule set
                out[key] = list(current[key])
            else:
                out[key] = rule.parse(name, None if value is _ABSENT else value, ctx, required=attr.required)  # type: ignore[union-attr]  # the parse plan lists only attributes that have a rule
    return out


def _fill(out: dict[str, Any], doc: dict, plan: Any, core: str, args: tuple, keep_empty: Any = ()) -> list[str]:
    """Walk a render or view plan of ``doc`` into ``out``: the core schema's attributes at the top,
    each extension's under its URN (left out when empty unless in ``keep_empty``); each attribute's
    function, if any, is called as ``fn(value, doc, *args)``.  Returns the extension URNs written."""
    written = []
    for urn, attrs in plan:
        target = out if urn == core else {}
        for name, stored_as, fn in attrs:
            value = doc.get(stored_as)
            if fn is not None:
                value = fn(value, doc, *args)
            if value is not None:
                target[name] = value
        if urn != core and (target or urn in keep_empty):
            out[urn] = target
            written.append(urn)
    return written


def render_resource(doc: dict, schema: ResourceSchema, ctx: RenderContext, *,
                    stamp: Callable[[dict], dict]) -> dict[str, Any]:
    """The SCIM resource for a stored document."""
    out: dict[str, Any] = {"schemas": [schema.core], "id": doc["id"]}
    out["schemas"].extend(_fill(out, doc, schema.render_plan, schema.core, (ctx,), schema.render_empty))
    out["meta"] = stamp(doc)
    return out


def resource_view(doc: dict, schema: ResourceSchema) -> dict[str, Any]:
    """The writable SCIM JSON of a stored document (what a PATCH operates on)."""
    view: dict[str, Any] = {}
    _fill(view, doc, schema.view_plan, schema.core, ())
    return view


# ---------------------------------------------------------------- users
def parse_user(body: Any, rules: OrgRules, mode: str, current: dict | None = None,
               schema: ResourceSchema = USER, *, before: dict | None = None) -> dict[str, Any]:
    """The stored fields of a user for ``body`` (without id, version and timestamps)."""
    return parse_resource(body, schema, ParseContext(rules, mode, current), before=before)


def render_user(doc: dict, groups: list[tuple[str, str]], location: Callable[[str, str], str], *,
                stamp: Callable[[dict], dict], schema: ResourceSchema = USER) -> dict[str, Any]:
    """The SCIM User for a stored document; ``groups`` are (id, displayName) pairs."""
    return render_resource(doc, schema, RenderContext(location, groups=groups), stamp=stamp)


def user_view(doc: dict, schema: ResourceSchema = USER) -> dict[str, Any]:
    return resource_view(doc, schema)


# ---------------------------------------------------------------- groups
@dataclass
class GroupInput:
    display_name: str
    external_id: str | None
    members: list[str]


def parse_group(body: Any, rules: OrgRules, schema: ResourceSchema = GROUP) -> GroupInput:
    fields = parse_resource(body, schema, ParseContext(rules, Mode.REPLACE))
    return GroupInput(fields["displayName"], fields["externalId"], fields["members"])


def render_group(doc: dict, members: list[str] | None, location: Callable[[str, str], str], *,
                 stamp: Callable[[dict], dict], schema: ResourceSchema = GROUP) -> dict[str, Any]:
    return render_resource(doc, schema, RenderContext(location, members=members), stamp=stamp)


def group_view(doc: dict, members: list[str], schema: ResourceSchema = GROUP) -> dict[str, Any]:
    return resource_view({**doc, "members": members}, schema)


PATCH_SCHEMAS = [PATCH_URN, USER_URN, ENTERPRISE_URN, GENESYS_URN, GROUP_URN]
