"""The engine's :class:`~simulator.engine.source.DirectorySource` over the Graph
fake's :class:`~simulator.graph.reader.DirectoryReader` (its change feed).

Kept in the engine package because it speaks the engine's language (scope
needs, watermark semantics); it imports only the reader protocol's data, no Flask.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .source import AppRole, Assignment, SourceChanges, SourceObject

if TYPE_CHECKING:
    from simulator.graph.reader import DirectoryReader

__all__ = ["GraphDirectorySource"]


def _assignment(doc: Mapping[str, Any]) -> Assignment:
    return Assignment(doc["principalId"], doc.get("principalType") or "User", doc["appRoleId"])


class GraphDirectorySource:
    def __init__(self, reader: DirectoryReader) -> None:
        self.reader = reader
        self._directory = getattr(reader, "directory", None)

    def watermark(self) -> str:
        return self.reader.watermark()

    def all_user_ids(self) -> list[str]:
        return [u["id"] for u in self.reader.full_sync(select=["id"]).users]

    def all_group_ids(self) -> list[str]:
        return [g["id"] for g in self.reader.full_sync(select=["id"]).groups]

    def changes_since(self, watermark: str) -> SourceChanges:
        changes = self.reader.changes_since(watermark)
        out = SourceChanges(watermark=changes.watermark, full=changes.full)
        kinds = {"user": "User", "group": "Group"}
        out.memberships = [(c.group_id, c.member_id, kinds.get(c.member_type, c.member_type), c.op)
                           for c in changes.memberships]
        out.users = [u["id"] for u in changes.users]
        out.groups = [g["id"] for g in changes.groups]
        for removed in changes.removed:
            if removed.type in ("user", "group"):
                out.removed[removed.id] = removed.reason
                (out.users if removed.type == "user" else out.groups).append(removed.id)
        out.imported = len(out.users) + len(out.groups)
        return out

    def user(self, user_id: str) -> SourceObject | None:
        user = self.reader.get_user(user_id)
        if user is None:
            return None
        manager = user.get("manager")
        # The reader hands out a fresh copy: no need for another one.
        user["manager"] = manager.get("id") if isinstance(manager, dict) else manager
        return user

    def group(self, group_id: str) -> SourceObject | None:
        return self.reader.get_group(group_id)

    def deletion_state(self, object_id: str) -> str | None:
        if self._directory is not None:
            if self._directory.deleted_items.get(object_id) is not None:
                return "changed"
            if self.reader.get_user(object_id) is None and self.reader.get_group(object_id) is None:
                return "deleted"
            return None
        return None if (self.reader.get_user(object_id) or self.reader.get_group(object_id)) else "deleted"

    def member_ids(self, group_id: str) -> list[tuple[str, str]]:
        kinds = {"user": "User", "group": "Group", "servicePrincipal": "ServicePrincipal"}
        return [(m.id, kinds.get(m.type, m.type)) for m in self.reader.group_members(group_id)]

    def groups_of(self, user_id: str) -> list[str]:
        return self.reader.member_of(user_id)

    def assignments(self, service_principal_id: str) -> list[Assignment]:
        return [_assignment(a) for a in self.reader.app_role_assignments_for(service_principal_id)]

    def assignments_of(self, service_principal_id: str, principal_ids: Iterable[str]) -> list[Assignment]:
        out: list[Assignment] = []
        for principal_id in principal_ids:
            out += [_assignment(a) for a in self.reader.assignments_of(principal_id, service_principal_id)]
        return out

    def app_roles(self, service_principal_id: str) -> list[AppRole]:
        sp = self.reader.get_service_principal(service_principal_id) or {}
        return [AppRole(str(r["id"]), r.get("displayName"), r.get("value")) for r in sp.get("appRoles") or []]
