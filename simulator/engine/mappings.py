"""Attribute mappings of the "PureCloud by Genesys" gallery app, and the SCIM bodies they produce.

The synchronization schema (directories + rules + object mappings) is kept as data in
``schema_purecloud.json`` beside this module, in the shape Graph returns from
``GET /servicePrincipals/{id}/synchronization/jobs/{jobId}/schema``.  Names chosen
there (document them if you change them):

* source directory ``Azure Active Directory`` (objects ``User``, ``Group``), with the
  provisioning service's attribute names: ``mobile`` (Graph ``mobilePhone``),
  ``telephoneNumber`` (Graph ``businessPhones[0]``), ``objectId`` (Graph ``id``),
  ``IsSoftDeleted`` (computed by the engine), ``manager`` and ``members`` (references);
* target directory ``PureCloud by Genesys`` (objects ``User``, ``Group``) listing every
  attribute the Genesys SCIM API accepts (Microsoft Learn "Configure PureCloud by Genesys for automatic user
  provisioning"; Genesys help "SCIM and Genesys Cloud field mappings");
* rule id ``AAD2PureCloudByGenesys``; object mappings ``Provision Azure Active
  Directory Users`` / ``... Groups``.

Everything here is pure: :func:`compile_mappings` turns a schema into objects that
compute the desired target attributes of one source object; :func:`diff` compares
them with what the target holds; :func:`build_patch` / :func:`build_create` write the
SCIM bodies exactly as Entra sends them (those live in :mod:`.scim_bodies` and are
re-exported here).  The engine does the I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from simulator.engine import scim_bodies
from simulator.engine.errors import ExpressionError, SchemaError, ScopingFilterError
from simulator.engine.expressions import (
    IGNORE_FLOW,
    Environment,
    Expression,
    from_mapping_source,
    select_unique_value_message,
)
from simulator.engine.scim_bodies import *  # noqa: F403  # re-exports scim_bodies.__all__ (see __all__ below)
from simulator.engine.scim_bodies import AttributeChange, diff
from simulator.engine.scoping import ScopingFilter, parse_scoping_filter

__all__ = [
    "SCHEMA_FILE",
    "SOURCE_DIRECTORY",
    "TARGET_DIRECTORY",
    "USER_MAPPING_NAME",
    "GROUP_MAPPING_NAME",
    "FlowType",
    "AttributeDefinition",
    "CompiledAttributeMapping",
    "CompiledObjectMapping",
    "CompiledMappings",
    "DesiredAttributes",
    "default_schema",
    "validate_schema",
    "problem_details",
    "compile_mappings",
]
__all__ += scim_bodies.__all__  # the SCIM side of the mappings, re-exported whole

SCHEMA_FILE: Final = Path(__file__).with_name("schema_purecloud.json")
SOURCE_DIRECTORY: Final = "Azure Active Directory"
TARGET_DIRECTORY: Final = "PureCloud by Genesys"
USER_MAPPING_NAME: Final = "Provision Azure Active Directory Users"
GROUP_MAPPING_NAME: Final = "Provision Azure Active Directory Groups"


class FlowType(str, Enum):
    """``attributeMapping.flowType`` (Graph attributeFlowType)."""

    ALWAYS = "Always"
    OBJECT_ADD_ONLY = "ObjectAddOnly"
    MULTI_VALUE_ADD_ONLY = "MultiValueAddOnly"
    VALUE_ADD_ONLY = "ValueAddOnly"
    ATTRIBUTE_ADD_ONLY = "AttributeAddOnly"


_FLOW_BEHAVIORS: Final = frozenset({"FlowWhenChanged", "FlowAlways"})
_OBJECT_FLOW_TYPES: Final = frozenset({"Add", "Update", "Delete"})



# --------------------------------------------------------------------------- default schema


@lru_cache(maxsize=1)
def _schema_text() -> str:
    # The file is package data and never changes at run time; caching the text (not a
    # parsed dict) keeps every caller's copy independent.
    return SCHEMA_FILE.read_text(encoding="utf-8")


def default_schema(job_id: str) -> dict[str, Any]:
    """A fresh copy of the gallery app's default synchronization schema for ``job_id``."""
    schema: dict[str, Any] = json.loads(_schema_text())
    schema["id"] = job_id
    return schema


# --------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class AttributeDefinition:
    """One ``attributeDefinition`` of a directory object."""

    name: str
    type: str = "String"
    multivalued: bool = False
    required: bool = False
    case_exact: bool = False
    anchor: bool = False
    mutability: str = "ReadWrite"
    flow_null_values: bool = False
    referenced_objects: tuple[str, ...] = ()

    @property
    def is_reference(self) -> bool:
        return self.type.lower() == "reference"

    @classmethod
    def from_graph(cls, raw: Mapping[str, Any]) -> AttributeDefinition:
        refs = tuple(
            str(ref.get("referencedObjectName"))
            for ref in raw.get("referencedObjects") or []
            if isinstance(ref, Mapping) and ref.get("referencedObjectName")
        )
        return cls(
            name=str(raw.get("name")),
            type=str(raw.get("type") or "String"),
            multivalued=bool(raw.get("multivalued")),
            required=bool(raw.get("required")),
            case_exact=bool(raw.get("caseExact")),
            anchor=bool(raw.get("anchor")),
            mutability=str(raw.get("mutability") or "ReadWrite"),
            flow_null_values=bool(raw.get("flowNullValues")),
            referenced_objects=refs,
        )


def _objects(schema: Mapping[str, Any], directory: str) -> dict[str, dict[str, AttributeDefinition]] | None:
    for raw_dir in schema.get("directories") or []:
        if isinstance(raw_dir, Mapping) and str(raw_dir.get("name", "")).lower() == directory.lower():
            objects: dict[str, dict[str, AttributeDefinition]] = {}
            for raw_obj in raw_dir.get("objects") or []:
                if not isinstance(raw_obj, Mapping):
                    continue
                attrs = {
                    str(a.get("name")).lower(): AttributeDefinition.from_graph(a)
                    for a in raw_obj.get("attributes") or []
                    if isinstance(a, Mapping) and a.get("name")
                }
                objects[str(raw_obj.get("name")).lower()] = attrs
            return objects
    return None


# --------------------------------------------------------------------------- compiled mappings


@dataclass(frozen=True)
class CompiledAttributeMapping:
    """One attribute mapping, parsed and checked."""

    target: str
    expression: Expression | None
    definition: AttributeDefinition
    default_value: str | None = None
    flow_type: FlowType = FlowType.ALWAYS
    flow_behavior: str = "FlowWhenChanged"
    matching_priority: int = 0

    @property
    def is_reference(self) -> bool:
        return self.definition.is_reference


class DesiredAttributes(dict):  # type: ignore[type-arg]  # a dict subclass that stays untyped: values are any SCIM value
    """Target attribute -> value, as :meth:`CompiledObjectMapping.compute` produced them.

    A plain ``dict`` of the values to write (``None`` only for attributes whose target
    definition has ``flowNullValues``, meaning "clear it"), plus ``references``:
    reference attributes (manager, members) as **source** object ids, resolved to
    target ids by the engine's reference pass.
    """

    references: dict[str, str | list[str] | None]

    def __init__(self, values: Mapping[str, Any] | None = None,
                 references: Mapping[str, str | list[str] | None] | None = None) -> None:
        super().__init__(values or {})
        self.references = dict(references or {})


@dataclass(frozen=True)
class CompiledObjectMapping:
    """An enabled or disabled object mapping (users or groups), ready to evaluate."""

    name: str
    source_object: str
    target_object: str
    enabled: bool
    flow_types: frozenset[str]
    scope: ScopingFilter
    mappings: tuple[CompiledAttributeMapping, ...]
    target_attributes: Mapping[str, AttributeDefinition] = field(repr=False)
    #: The clock and random stream expressions read (Now, Guid, RandomString); None: the default.
    env: Environment | None = field(default=None, repr=False, compare=False)

    @property
    def matching(self) -> tuple[CompiledAttributeMapping, ...]:
        """Matching attributes in precedence order (lowest matchingPriority first)."""
        return tuple(
            sorted((m for m in self.mappings if m.matching_priority > 0), key=lambda m: m.matching_priority)
        )

    def source_attributes(self) -> set[str]:
        """Source attributes the mappings and the scoping filter read."""
        names = set(self.scope.attributes())
        for mapping in self.mappings:
            if mapping.expression is not None:
                names |= mapping.expression.attributes()
        return names

    def matching_values(self, source: Mapping[str, Any]) -> list[tuple[str, Any]]:
        """``(target attribute, value)`` for each matching attribute, in precedence order.

        Null values are left out; an empty list is the documented ``ImportSkipped`` case
        (no matching value).
        """
        result: list[tuple[str, Any]] = []
        for mapping in self.matching:
            value = mapping.expression.evaluate(source, self.env) if mapping.expression is not None else None
            if value is None or value is IGNORE_FLOW or value == "":
                continue
            result.append((mapping.target, _coerce(value, mapping.definition)))
        return result

    def compute(self, source: Mapping[str, Any], *, creating: bool) -> DesiredAttributes:
        """Evaluate every mapping for one source object.

        * ``ObjectAddOnly`` mappings only flow when ``creating``.
        * ``defaultValue`` applies only when creating and the value is null.
        * Nulls (and empty strings) are skipped, as Entra never sends them, unless the
          target attribute definition has ``flowNullValues`` (then ``None`` = clear, on
          update only).
        * ``IgnoreFlowIfNullOrEmpty`` results leave the attribute out entirely.
        * Reference attributes go to ``.references`` as source object ids.

        Raises :class:`~simulator.engine.errors.ExpressionEvaluationError` if an
        expression fails for this object (the engine escrows the object).
        """
        values: dict[str, Any] = {}
        references: dict[str, str | list[str] | None] = {}
        for mapping in self.mappings:
            if mapping.flow_type is FlowType.OBJECT_ADD_ONLY and not creating:
                continue
            value = mapping.expression.evaluate(source, self.env) if mapping.expression is not None else None
            if value is IGNORE_FLOW:
                continue
            if mapping.is_reference:
                ids = _reference_ids(value, mapping.definition.multivalued)
                if ids is None or ids == []:
                    if mapping.definition.multivalued:
                        references[mapping.target] = []
                    elif mapping.definition.flow_null_values and not creating:
                        references[mapping.target] = None
                    continue
                references[mapping.target] = ids
                continue
            if value is None or value == "" or value == []:
                if creating and mapping.default_value is not None:
                    value = mapping.default_value
                elif mapping.definition.flow_null_values and not creating:
                    values[mapping.target] = None
                    continue
                else:
                    continue
            values[mapping.target] = _coerce(value, mapping.definition)
        return DesiredAttributes(values, references)

    def diff(self, target_before: Mapping[str, Any], desired: Mapping[str, Any]) -> list[AttributeChange]:
        """:func:`diff` with each attribute's ``caseExact`` taken from the target directory."""

        def case_exact(name: str) -> bool:
            definition = self.target_attributes.get(name.lower())
            return definition.case_exact if definition is not None else True

        return diff(target_before, desired, case_exact=case_exact)


@dataclass(frozen=True)
class CompiledMappings:
    """All object mappings of a schema, by source object name (``User``, ``Group``)."""

    objects: Mapping[str, CompiledObjectMapping]
    warnings: tuple[str, ...] = ()

    def for_object(self, source_object: str) -> CompiledObjectMapping | None:
        for name, mapping in self.objects.items():
            if name.lower() == source_object.lower():
                return mapping
        return None

    def with_environment(self, env: Environment | None) -> CompiledMappings:
        """The same mappings, evaluating with ``env`` (the runtime's clock and random stream)."""
        return CompiledMappings({name: replace(mapping, env=env) for name, mapping in self.objects.items()},
                                self.warnings)

    @property
    def user(self) -> CompiledObjectMapping | None:
        return self.for_object("User")

    @property
    def group(self) -> CompiledObjectMapping | None:
        return self.for_object("Group")


def _reference_ids(value: Any, multivalued: bool) -> str | list[str] | None:
    def one(item: Any) -> str | None:
        if isinstance(item, Mapping):
            ident = item.get("id") or item.get("objectId") or item.get("value")
            return str(ident) if ident else None
        return str(item) if item not in (None, "") else None

    if value is None:
        return None
    if isinstance(value, list):
        ids = [i for i in (one(item) for item in value) if i is not None]
        return ids if multivalued else (ids[0] if ids else None)
    ident = one(value)
    if multivalued:
        return [ident] if ident is not None else []
    return ident


def _coerce(value: Any, definition: AttributeDefinition) -> Any:
    """Give the value the target attribute's type (expressions work on strings)."""
    kind = definition.type.lower()
    if definition.multivalued:
        items = value if isinstance(value, list) else [value]
        return [_coerce_scalar(item, kind) for item in items if item is not None]
    if isinstance(value, list):
        value = value[0] if value else None
    return _coerce_scalar(value, kind)


def _coerce_scalar(value: Any, kind: str) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return bool(value)
    if kind == "integer":
        try:
            return int(value)
        except (TypeError, ValueError):
            return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


# --------------------------------------------------------------------------- validation


def _mapping_label(object_mapping: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> str:
    where = f"object mapping {object_mapping.get('name')!r}"
    if raw is None:
        return where
    return f"Attribute mapping to {raw.get('targetAttributeName')!r} in {where}"


def _check_schema(schema: Mapping[str, Any]) -> tuple[list[str], list[str], dict[str, CompiledObjectMapping]]:
    problems: list[str] = []
    warnings: list[str] = []
    compiled: dict[str, CompiledObjectMapping] = {}
    if not isinstance(schema, Mapping):
        return ["The synchronization schema must be a JSON object."], warnings, compiled
    rules = schema.get("synchronizationRules")
    if not isinstance(rules, list) or not rules:
        return ["The synchronization schema has no synchronizationRules."], warnings, compiled
    for rule in rules:
        if not isinstance(rule, Mapping):
            problems.append("Each synchronizationRule must be an object.")
            continue
        source_dir = str(rule.get("sourceDirectoryName") or "")
        target_dir = str(rule.get("targetDirectoryName") or "")
        source_objects = _objects(schema, source_dir)
        target_objects = _objects(schema, target_dir)
        if source_objects is None:
            problems.append(f"Synchronization rule {rule.get('id')!r}: source directory {source_dir!r} is not "
                            f"defined in 'directories'.")
        if target_objects is None:
            problems.append(f"Synchronization rule {rule.get('id')!r}: target directory {target_dir!r} is not "
                            f"defined in 'directories'.")
        if source_objects is None or target_objects is None:
            continue
        for object_mapping in rule.get("objectMappings") or []:
            if not isinstance(object_mapping, Mapping):
                problems.append("Each objectMapping must be an object.")
                continue
            result = _check_object_mapping(object_mapping, source_dir, target_dir, source_objects,
                                           target_objects, problems, warnings)
            if result is not None:
                compiled[result.source_object] = result
    return problems, warnings, compiled


def _check_object_mapping(
    object_mapping: Mapping[str, Any],
    source_dir: str,
    target_dir: str,
    source_objects: Mapping[str, Mapping[str, AttributeDefinition]],
    target_objects: Mapping[str, Mapping[str, AttributeDefinition]],
    problems: list[str],
    warnings: list[str],
) -> CompiledObjectMapping | None:
    label = _mapping_label(object_mapping)
    start = len(problems)
    source_name = str(object_mapping.get("sourceObjectName") or "")
    target_name = str(object_mapping.get("targetObjectName") or "")
    source_attrs = source_objects.get(source_name.lower())
    target_attrs = target_objects.get(target_name.lower())
    if source_attrs is None:
        problems.append(f"In {label}: source object {source_name!r} is not an object of directory {source_dir!r}.")
    if target_attrs is None:
        problems.append(f"In {label}: target object {target_name!r} is not an object of directory {target_dir!r}.")
    if source_attrs is None or target_attrs is None:
        return None
    enabled = object_mapping.get("enabled", True) is not False
    raw_flow = str(object_mapping.get("flowTypes") or "Add, Update, Delete")
    flow_types = frozenset(part.strip() for part in raw_flow.split(",") if part.strip())
    unknown_flow = sorted(flow_types - _OBJECT_FLOW_TYPES)
    if unknown_flow:
        problems.append(f"In {label}: flowTypes {raw_flow!r} has unknown values {unknown_flow}; "
                        f"use a combination of Add, Update, Delete.")
    try:
        scope = parse_scoping_filter(object_mapping.get("scope"))
    except ScopingFilterError as err:
        problems.append(f"In {label}: invalid scoping filter: {err.message}")
        scope = ScopingFilter()
    for attribute in sorted(scope.attributes()):
        if attribute.lower() not in source_attrs:
            problems.append(f"In {label}: scoping filter attribute {attribute!r} is not an attribute of "
                            f"{source_name!r} in directory {source_dir!r}.")

    mappings: list[CompiledAttributeMapping] = []
    seen_targets: dict[str, str] = {}
    for raw in object_mapping.get("attributeMappings") or []:
        if not isinstance(raw, Mapping):
            problems.append(f"In {label}: each attributeMapping must be an object.")
            continue
        compiled = _check_attribute_mapping(raw, object_mapping, source_name, source_dir, target_name,
                                            target_dir, source_attrs, target_attrs, problems, warnings)
        if compiled is None:
            continue
        key = compiled.target.lower()
        if key in seen_targets:
            problems.append(f"{_mapping_label(object_mapping, raw)}: target attribute {compiled.target!r} is "
                            f"already mapped; each target attribute can be mapped only once.")
            continue
        seen_targets[key] = compiled.target
        mappings.append(compiled)

    matching = [m for m in mappings if m.matching_priority > 0]
    if enabled and not matching:
        problems.append(f"In {label}: no attribute is used for matching; set matchingPriority on at least one "
                        f"mapping (\"Match objects using this attribute\").")
    priorities = [m.matching_priority for m in matching]
    if len(priorities) != len(set(priorities)):
        problems.append(f"In {label}: two matching attributes have the same matching precedence.")
    mapped = {m.target.lower() for m in mappings}
    for definition in target_attrs.values():
        if definition.required and definition.name.lower() not in mapped and enabled:
            warnings.append(f"In {label}: required target attribute {definition.name!r} is not mapped; "
                            f"creating objects will fail.")
    if len(problems) > start:
        return None
    return CompiledObjectMapping(
        name=str(object_mapping.get("name") or source_name),
        source_object=source_name,
        target_object=target_name,
        enabled=enabled,
        flow_types=flow_types,
        scope=scope,
        mappings=tuple(mappings),
        target_attributes=dict(target_attrs),
    )


def _check_attribute_mapping(
    raw: Mapping[str, Any],
    object_mapping: Mapping[str, Any],
    source_name: str,
    source_dir: str,
    target_name: str,
    target_dir: str,
    source_attrs: Mapping[str, AttributeDefinition],
    target_attrs: Mapping[str, AttributeDefinition],
    problems: list[str],
    warnings: list[str],
) -> CompiledAttributeMapping | None:
    label = _mapping_label(object_mapping, raw)
    start = len(problems)
    target = raw.get("targetAttributeName")
    if not isinstance(target, str) or not target:
        problems.append(f"In {_mapping_label(object_mapping)}: an attribute mapping has no targetAttributeName.")
        return None
    definition = target_attrs.get(target.lower())
    if definition is None:
        problems.append(f"{label}: target attribute {target!r} is not an attribute of {target_name!r} in "
                        f"directory {target_dir!r}.")
        return None
    if definition.anchor or definition.mutability.lower() == "readonly":
        problems.append(f"{label}: target attribute {target!r} is read-only and cannot be mapped "
                        f"(never map the target id).")
    expression: Expression | None = None
    try:
        expression = from_mapping_source(raw.get("source"))
    except ExpressionError as err:
        problems.append(f"{label}: invalid expression: {err.message}")
    default_value = raw.get("defaultValue")
    if raw.get("source") is None and default_value in (None, ""):
        problems.append(f"{label}: the mapping has neither a source nor a default value.")
    if expression is not None:
        for attribute in sorted(expression.attributes()):
            if attribute.lower() not in source_attrs:
                problems.append(f"{label}: source attribute {attribute!r} is not an attribute of {source_name!r} "
                                f"in directory {source_dir!r}.")
        if "SelectUniqueValue" in expression.functions():
            problems.append(f"{label}: invalid expression: {select_unique_value_message(target_dir)} "
                            f"at position {expression.root.pos} in: {expression.text}")
        if "Switch" in expression.functions():
            warnings.append(f"{label}: Switch can evaluate to null when another mapped attribute changes "
                            f"(documented issue); IIF is safer.")
        if "IIF" in expression.functions():
            warnings.append(f"{label}: IIF's condition fails when a source attribute it reads is null or empty "
                            f"(documented limitation); Switch with a \"\" key handles empty values.")
    if definition.is_reference:
        source_def = (
            source_attrs.get(expression.root.name.lower())  # type: ignore[attr-defined]  # root is a direct attribute reference here (is_direct), which has .name
            if expression is not None and expression.is_direct
            else None
        )
        if source_def is None or not source_def.is_reference:
            problems.append(f"{label}: reference attribute {target!r} must be mapped directly from a reference "
                            f"source attribute (such as [manager] or [members]).")
    elif expression is not None and expression.is_direct:
        source_def = source_attrs.get(expression.root.name.lower())  # type: ignore[attr-defined]  # root is a direct attribute reference here (is_direct), which has .name
        if source_def is not None and source_def.is_reference:
            problems.append(f"{label}: reference source attribute {source_def.name!r} can only be mapped to a "
                            f"reference target attribute.")
    try:
        flow_type = FlowType(str(raw.get("flowType") or "Always"))
    except ValueError:
        problems.append(f"{label}: flowType {raw.get('flowType')!r} is not one of "
                        f"{', '.join(f.value for f in FlowType)}.")
        flow_type = FlowType.ALWAYS
    flow_behavior = str(raw.get("flowBehavior") or "FlowWhenChanged")
    if flow_behavior not in _FLOW_BEHAVIORS:
        problems.append(f"{label}: flowBehavior {flow_behavior!r} is not FlowWhenChanged or FlowAlways.")
    try:
        priority = int(raw.get("matchingPriority") or 0)
    except (TypeError, ValueError):
        problems.append(f"{label}: matchingPriority must be an integer.")
        priority = 0
    if len(problems) > start:
        return None
    return CompiledAttributeMapping(
        target=definition.name,
        expression=expression,
        definition=definition,
        default_value=None if default_value in (None, "") else str(default_value),
        flow_type=flow_type,
        flow_behavior=flow_behavior,
        matching_priority=priority,
    )


_PROBLEM_TARGET: Final = re.compile(r"^(?:In )?((?:Attribute mapping to .+? in )?object mapping '.*?'|Synchronization rule '.*?')"
                                   r"(?:: |$)")


def problem_details(problems: Sequence[str]) -> list[dict[str, str]]:
    """Each problem of a refused schema as an OData error detail whose ``target`` names the element
    (``Attribute mapping to 'title' in object mapping 'Provision Azure Active Directory Users'``)."""
    details = []
    for problem in problems:
        found = _PROBLEM_TARGET.match(problem)
        details.append({"code": "InvalidSchema", "message": problem,
                        "target": found.group(1) if found else "synchronizationRules"})
    return details


def validate_schema(schema: Mapping[str, Any]) -> list[str]:
    """Check a synchronization schema the way saving it in the portal would.

    Returns warnings (saved anyway: Switch usage, unmapped required attributes).
    Raises :class:`SchemaError` listing every problem: target attribute not in the
    target directory, unknown source attribute, invalid expression (with its
    position), no matching attribute, a target mapped twice, invalid scoping filter.
    """
    problems, warnings, _ = _check_schema(schema)
    if problems:
        raise SchemaError(problems)
    return warnings


def compile_mappings(schema: Mapping[str, Any]) -> CompiledMappings:
    """Validate ``schema`` (raising :class:`SchemaError`) and compile its object mappings."""
    problems, warnings, compiled = _check_schema(schema)
    if problems:
        raise SchemaError(problems)
    return CompiledMappings(compiled, tuple(warnings))
