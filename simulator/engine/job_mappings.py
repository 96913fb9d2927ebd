"""The job's mappings as the cycle uses them: one object over the compiled schema.

Keeps :mod:`cycle` independent of how schemas are compiled, and holds the wire
profile choice (Entra's quirks, or RFC shapes with ``aadOptscim062020``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import mappings as m
from .expressions import Environment
from .scoping import ScopingFilter

__all__ = ["JobMappings"]


class JobMappings:
    def __init__(self, schema: Mapping[str, Any], env: Environment | None = None) -> None:
        self.schema = schema
        self.compiled = m.compile_mappings(schema).with_environment(env)

    def _object(self, object_type: str) -> m.CompiledObjectMapping | None:
        mapping = self.compiled.for_object(object_type)
        return mapping if mapping is not None and mapping.enabled else None

    def enabled(self, object_type: str) -> bool:
        return self._object(object_type) is not None

    def flow_types(self, object_type: str) -> frozenset[str]:
        mapping = self._object(object_type)
        return mapping.flow_types if mapping else frozenset()

    def scoping_filter(self, object_type: str) -> ScopingFilter | None:
        mapping = self._object(object_type)
        return mapping.scope if mapping else None

    def compute(self, object_type: str, source: Mapping[str, Any], *, creating: bool) -> m.DesiredAttributes:
        """The values the mappings give this source object (and its references, as source ids)."""
        mapping = self._object(object_type)
        if mapping is None:
            return m.DesiredAttributes()
        return mapping.compute(source, creating=creating)

    def matching_values(self, object_type: str, values: Mapping[str, Any]) -> list[tuple[str, Any]]:
        """Matching attributes in precedence order with the value this object would send."""
        mapping = self._object(object_type)
        if mapping is None:
            return []
        return [(mm.target, values.get(mm.target)) for mm in mapping.matching if values.get(mm.target) not in (None, "")]

    def read_target(self, object_type: str, resource: Mapping[str, Any], attributes: Iterable[str]) -> dict[str, Any]:
        return m.target_values(resource, list(attributes))

    def diff(self, current: Mapping[str, Any], desired: Mapping[str, Any]) -> list[m.AttributeChange]:
        return m.diff(current, desired)

    def build_create(self, object_type: str, values: Mapping[str, Any]) -> dict[str, Any]:
        return m.build_create(values, object_type=object_type)

    def build_patch(self, changes: Sequence[m.AttributeChange], *, entra_quirks: bool) -> dict[str, Any]:
        return m.build_patch(changes, entra_quirks=entra_quirks)

    def reference_target(self, object_type: str, kind: str) -> str | None:
        """The target attribute a reference (``manager``/``members``) is mapped to, if mapped."""
        mapping = self._object(object_type)
        if mapping is None:
            return None
        for mm in mapping.mappings:
            if mm.is_reference and mm.target.lower().rsplit(":", 1)[-1] == kind.lower():
                return mm.target
        return None

    def build_reference_patch(self, object_type: str, attribute: str, desired: str | None, current: str | None,
                              *, entra_quirks: bool) -> dict[str, Any]:
        op = m.PatchOp.REMOVE if desired is None else (m.PatchOp.ADD if current is None else m.PatchOp.REPLACE)
        return m.build_patch([m.AttributeChange(attribute, current, desired, op)], entra_quirks=entra_quirks)

    def build_members_patch(self, add: list[str], remove: list[str], *, entra_quirks: bool) -> dict[str, Any]:
        return m.build_members_patch(add=add, remove=remove, entra_quirks=entra_quirks)
