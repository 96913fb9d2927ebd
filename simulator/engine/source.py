"""The source side: what the engine needs to know about the Entra directory.

The engine never reads the Graph fake's tables.  It reads through this narrow
interface, which an adapter implements over the directory's change feed (the
same feed Graph delta queries expose: ``simulator.graph``), so a watermark is a
delta token and an incremental cycle costs what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["DirectorySource", "SourceChanges", "Assignment", "AppRole", "ServicePrincipal", "SourceObject"]

#: A user or group as Graph shows it: any Entra attribute by name (mapping expressions may read any).
#: Read-only to the engine.
SourceObject = Mapping[str, Any]


@dataclass(frozen=True)
class ServicePrincipal:
    """The app's service principal, as the provisioning logs and e-mails name it."""

    id: str
    app_id: str | None = None
    display_name: str | None = None

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> ServicePrincipal:
        return cls(str(doc["id"]), doc.get("appId"), doc.get("displayName"))


@dataclass(frozen=True)
class AppRole:
    """One of the app's appRoles."""

    id: str
    display_name: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Assignment:
    """An app-role assignment to the app's service principal."""

    principal_id: str
    principal_type: str  # "User" | "Group"
    app_role_id: str


@dataclass
class SourceChanges:
    """What changed since a watermark.

    ``users``/``groups``: ids to evaluate again (attribute, manager, membership
    or assignment changes: the adapter widens a group's assignment change to
    its direct members).  ``removed``: id -> "changed" (soft-deleted,
    restorable) or "deleted" (gone for good), as delta's ``@removed``.
    ``memberships``: (group id, member id, "User"|"Group", "added"|"removed") in
    feed order.  ``full``: the feed could not tell what changed (a watermark older
    than the feed): everything is listed and memberships must be read whole.
    """

    users: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    removed: dict[str, str] = field(default_factory=dict)
    watermark: str = ""
    imported: int = 0
    memberships: list[tuple[str, str, str, str]] = field(default_factory=list)
    full: bool = False


class DirectorySource(Protocol):
    def watermark(self) -> str:
        """A position in the change feed: "now"."""

    def all_user_ids(self) -> list[str]:
        """Every user (not soft-deleted), in directory order."""

    def all_group_ids(self) -> list[str]:
        """Every group, in directory order."""

    def changes_since(self, watermark: str) -> SourceChanges:
        """What changed after ``watermark``, and the new watermark."""

    def user(self, user_id: str) -> SourceObject | None:
        """The user as Graph shows it (plus ``manager``: the manager's id or None); None when
        soft- or hard-deleted."""

    def group(self, group_id: str) -> SourceObject | None:
        """The group as Graph shows it; None when deleted."""

    def deletion_state(self, object_id: str) -> str | None:
        """"changed" if soft-deleted (restorable), "deleted" if gone for good, else None."""

    def member_ids(self, group_id: str) -> list[tuple[str, str]]:
        """Direct members of a group as (id, "User"|"Group")."""

    def groups_of(self, user_id: str) -> list[str]:
        """Groups the user is a direct member of."""

    def assignments(self, service_principal_id: str) -> list[Assignment]:
        """Every app-role assignment to the app."""

    def assignments_of(self, service_principal_id: str, principal_ids: Iterable[str]) -> list[Assignment]:
        """Assignments to the app of these principals."""

    def app_roles(self, service_principal_id: str) -> list[AppRole]:
        """The app's appRoles."""
