"""The narrow interface through which the provisioning engine reads the directory.

The engine never imports Flask and never reads the Graph tables: it gets a
:class:`DirectoryReader` (docs/architecture.md, "Layers").  The reader is built on
the same change feed that Graph delta exposes, so an engine cycle costs what
changed since its watermark, exactly like the real provisioning service's
incremental cycles.

    reader = StoreDirectoryReader(runtime.service(DIRECTORY))
    snapshot = reader.full_sync()                     # initial cycle
    ...
    changes = reader.changes_since(snapshot.watermark)  # incremental cycle
    for user in changes.users: ...                    # created/updated, or membership/assignment changed
    for gone in changes.removed: ...                  # reason "changed" (soft-deleted) / "deleted" (gone)
    next_watermark = changes.watermark

What ``changes_since`` reports, per kind of event in the feed:

=============================  ======================================================================
event                          appears as
=============================  ======================================================================
user created/updated/restored  ``users`` (current state)
user manager set/removed       ``users`` (``manager`` shows the new value)
user soft-deleted              ``removed`` with reason ``changed``
user purged                    ``removed`` with reason ``deleted``
group created/updated          ``groups``
member added/removed           ``memberships`` (+ the member in ``users``/``groups``, + the group in ``groups``)
assignment added/removed       ``assignments`` (+ the principal; for a group principal, also its
                               current direct members in ``users``: their scope changed)
=============================  ======================================================================

An object that changed and was then removed in the same window only appears
in ``removed``.  Watermarks are opaque strings (:func:`encode_watermark`).  A
watermark older than the in-memory change log of a state file this process
resumed is answered from the feed's stored events (one scan of the feed, then
the in-memory log again), so a resumed engine sees exactly the changes it would
have seen without the restart; a watermark from before a reset gives a full
resync (``ChangeSet.full`` is True).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from simulator.core.security import b64url_decode
from simulator.core.table import _clone

from .directory import Directory, is_guid

__all__ = [
    "DirectoryReader",
    "StoreDirectoryReader",
    "DirectorySnapshot",
    "ChangeSet",
    "Removed",
    "MembershipChange",
    "AssignmentChange",
    "MemberRef",
    "Watermark",
    "encode_watermark",
    "decode_watermark",
    "InvalidWatermark",
]

#: An opaque position in the directory's change feed.
Watermark = str

_PREFIX = "pw1:"


class InvalidWatermark(ValueError):
    """A watermark this directory did not issue."""


def encode_watermark(seq: int) -> Watermark:
    return base64.urlsafe_b64encode(f"{_PREFIX}{int(seq)}".encode()).decode().rstrip("=")


def decode_watermark(token: Watermark) -> int:
    try:
        raw = b64url_decode(token).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError(raw)
        return int(raw[len(_PREFIX):])
    except (ValueError, binascii.Error, UnicodeDecodeError) as err:
        raise InvalidWatermark(f"not a directory watermark: {token!r}") from err


@dataclass(frozen=True)
class MemberRef:
    """A direct member of a group: ``type`` is ``user``, ``group`` or ``servicePrincipal``."""

    id: str
    type: str


@dataclass(frozen=True)
class Removed:
    """An object gone from the directory: ``changed`` = soft-deleted (restorable), ``deleted`` = gone for good."""

    id: str
    type: Literal["user", "group", "servicePrincipal", "application"]
    reason: Literal["changed", "deleted"]


@dataclass(frozen=True)
class MembershipChange:
    group_id: str
    member_id: str
    member_type: str
    op: Literal["added", "removed"]


@dataclass(frozen=True)
class AssignmentChange:
    """``assignment`` is the appRoleAssignment as Graph shows it (id, appRoleId, principalId, principalType, resourceId...)."""

    assignment: dict
    op: Literal["added", "removed"]


@dataclass(frozen=True)
class DirectorySnapshot:
    users: list[dict]
    groups: list[dict]
    watermark: Watermark


@dataclass(frozen=True)
class ChangeSet:
    users: list[dict] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    memberships: list[MembershipChange] = field(default_factory=list)
    assignments: list[AssignmentChange] = field(default_factory=list)
    watermark: Watermark = ""
    full: bool = False

    def __bool__(self) -> bool:
        return bool(self.users or self.groups or self.removed or self.memberships or self.assignments)


@runtime_checkable
class DirectoryReader(Protocol):
    """What an Entra-like provisioning engine needs from the directory.

    User and group dicts carry every stored Graph property (not just Graph's
    default ``$select`` set) plus ``manager``: ``{"id": ...}`` or None for
    users.  Everything returned is a copy.
    """

    def watermark(self) -> Watermark:
        """The current position of the change feed."""

    def full_sync(self, *, select: Sequence[str] | None = None) -> DirectorySnapshot:
        """Every active user and group (``select``: keep only these properties, plus ``id``)."""

    def changes_since(self, watermark: Watermark) -> ChangeSet:
        """What changed after ``watermark`` (see the module docstring); costs the number of changes."""

    def get_user(self, user_id: str) -> dict | None:
        """An active user by id or userPrincipalName."""

    def get_group(self, group_id: str) -> dict | None:
        ...

    def group_members(self, group_id: str) -> list[MemberRef]:
        """Direct members only (Entra does not scope provisioning through nested groups)."""

    def member_of(self, object_id: str) -> list[str]:
        """Ids of the groups ``object_id`` is a direct member of."""

    def manager_of(self, user_id: str) -> str | None:
        ...

    def get_service_principal(self, sp_id: str) -> dict | None:
        """By object id or appId."""

    def app_role_assignments_for(self, sp_id: str) -> list[dict]:
        """Every assignment to the enterprise app: who (user or group) with which appRoleId."""

    def assignments_of(self, principal_id: str, sp_id: str | None = None) -> list[dict]:
        """A principal's own assignments (not inherited through groups)."""

    def effective_assignments(self, sp_id: str, user_id: str) -> list[dict]:
        """A user's assignments to ``sp_id``: direct ones and those of groups it is a direct member of."""

    def is_assigned(self, sp_id: str, user_id: str) -> bool:
        ...


class StoreDirectoryReader:
    """:class:`DirectoryReader` over the in-process :class:`Directory` service."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        #: The change log's floor when this reader was made: below it lie the events of a resumed
        #: state file (stored in the feed table); a reset raises the floor past every old watermark.
        self._resumed_floor = directory.log_floor

    # -- shapes
    def _user(self, doc: dict | None, select: Sequence[str] | None = None) -> dict | None:
        if doc is None:
            return None
        manager = doc.get("_manager")
        out = {k: v for k, v in doc.items() if not k.startswith("_")}
        out["manager"] = {"id": manager} if manager else None
        if select:
            out = {k: out.get(k) for k in ("id", *[s for s in select if s != "id"])}
        return out

    @staticmethod
    def _group(doc: dict | None, select: Sequence[str] | None = None) -> dict | None:
        if doc is None:
            return None
        out = {k: v for k, v in doc.items() if not k.startswith("_")}
        if select:
            out = {k: out.get(k) for k in ("id", *[s for s in select if s != "id"])}
        return out

    # -- protocol
    def watermark(self) -> Watermark:
        return encode_watermark(self.directory.watermark())

    def full_sync(self, *, select: Sequence[str] | None = None) -> DirectorySnapshot:
        d = self.directory
        with d.store.lock:
            users = [self._user(dict(doc), select) for _, doc in d.iter_docs(d.users.table)]
            groups = [self._group(dict(doc), select) for _, doc in d.iter_docs(d.groups.table)]
            return DirectorySnapshot(users, groups, encode_watermark(d.watermark()))  # type: ignore[arg-type]  # _user()/_group() return None only for None

    def changes_since(self, watermark: Watermark) -> ChangeSet:
        d = self.directory
        since = decode_watermark(watermark)
        with d.store.lock:
            now = d.watermark()
            if since < d.log_floor and d.log_floor != self._resumed_floor:
                snap = self.full_sync()
                return ChangeSet(users=snap.users, groups=snap.groups, watermark=snap.watermark, full=True)
            if since < d.log_floor:
                events = sorted((dict(e) for _doc_id, e in d.feed.docs() if since < e["seq"] <= now),
                                key=lambda e: e["seq"])
            else:
                events = d.events_since(since, now)
            user_ids: dict[str, None] = {}
            group_ids: dict[str, None] = {}
            gone: dict[tuple[str, str], str] = {}
            memberships: list[MembershipChange] = []
            assignments: list[AssignmentChange] = []
            for ev in events:
                kind, oid, op = ev["type"], ev["id"], ev["op"]
                if kind == "user":
                    user_ids[oid] = None
                elif kind == "group":
                    group_ids[oid] = None
                    if op in ("member_added", "member_removed"):
                        memberships.append(MembershipChange(oid, ev["member"], ev["memberType"],
                                                            "added" if op == "member_added" else "removed"))
                        (user_ids if ev["memberType"] == "user" else group_ids)[ev["member"]] = None
                elif kind == "assignment":
                    view = {"id": oid, "appRoleId": ev["appRoleId"], "principalId": ev["principal"],
                            "principalType": ev["principalType"], "resourceId": ev["resource"]}
                    assignments.append(AssignmentChange(view, "added" if op == "assigned" else "removed"))
                    if ev["principalType"] == "User":
                        user_ids[ev["principal"]] = None
                    elif ev["principalType"] == "Group":
                        group_ids[ev["principal"]] = None
                        for link in d.groups.member_links(ev["principal"]):
                            if link["memberType"] == "user":
                                user_ids[link["memberId"]] = None
                if kind in ("user", "group", "servicePrincipal", "application"):
                    if op == "deleted":
                        gone[(kind, oid)] = "changed"
                    elif op == "purged":
                        gone[(kind, oid)] = "deleted"
                    elif op in ("created", "restored"):
                        gone.pop((kind, oid), None)
            users: list[dict | None] = []
            groups: list[dict | None] = []
            removed: list[Removed] = []
            tables = {"user": d.users.table, "group": d.groups.table}
            for kind, ids, shape, found in (("user", user_ids, self._user, users),
                                            ("group", group_ids, self._group, groups)):
                for oid in ids:
                    doc = tables[kind].find("id", oid)
                    if doc is not None:
                        found.append(shape(dict(doc)))
                    elif (kind, oid) not in gone:
                        gone[(kind, oid)] = "changed" if d.deleted_items.get(oid) else "deleted"
            for (kind, oid), reason in gone.items():
                if kind in tables and tables[kind].find("id", oid) is not None:
                    continue
                removed.append(Removed(oid, kind, reason))  # type: ignore[arg-type]  # feed kinds and reasons are the Literals' values
            return ChangeSet(users, groups, removed, memberships, assignments, encode_watermark(now))  # type: ignore[arg-type]  # as above: lists of dicts, never None

    # The engine calls the lookups below for every object of a cycle: they read the stored
    # documents in place under the store lock and copy only what they return (the same
    # values Directory's copying accessors would give).
    def get_user(self, user_id: str) -> dict | None:
        d = self.directory
        if not isinstance(user_id, str):
            return None
        with d.store.lock:
            ids = d.users.table.ids_by("id", user_id) if is_guid(user_id) else []
            if not ids and "@" in user_id:
                ids = d.users.table.ids_by("userPrincipalName", user_id)
            return self._user(_clone(d.users.table.raw(ids[0]))) if ids else None

    def get_group(self, group_id: str) -> dict | None:
        d = self.directory
        if not isinstance(group_id, str):
            return None
        with d.store.lock:
            ids = d.groups.table.ids_by("id", group_id)
            return self._group(_clone(d.groups.table.raw(ids[0]))) if ids else None

    def group_members(self, group_id: str) -> list[MemberRef]:
        members = self.directory.groups.members
        with self.directory.store.lock:
            return [MemberRef(link["memberId"], link["memberType"])
                    for link in map(members.raw, members.ids_by("group", group_id))]

    def member_of(self, object_id: str) -> list[str]:
        members = self.directory.groups.members
        with self.directory.store.lock:
            return [members.raw(i)["groupId"] for i in members.ids_by("member", object_id)]

    def manager_of(self, user_id: str) -> str | None:
        doc = self.directory.users.doc(user_id)
        return doc.get("_manager") if doc is not None else None

    def get_service_principal(self, sp_id: str) -> dict | None:
        d = self.directory
        return d.service_principals.get(sp_id) or d.service_principals.by_app_id(sp_id)

    def app_role_assignments_for(self, sp_id: str) -> list[dict]:
        return self.directory.assignments.for_resource(sp_id)

    def assignments_of(self, principal_id: str, sp_id: str | None = None) -> list[dict]:
        d = self.directory
        with d.store.lock:
            table = d.assignments.table
            stored = (table.raw(doc_id) for doc_id in table.ids_by("principal", principal_id))
            return [d.assignments.view(a) for a in stored if a is not None and (sp_id is None or a["resourceId"] == sp_id)]

    def effective_assignments(self, sp_id: str, user_id: str) -> list[dict]:
        d = self.directory
        out = d.assignments.for_principal(user_id, sp_id)
        for gid in self.member_of(user_id):
            out += d.assignments.for_principal(gid, sp_id)
        return out

    def is_assigned(self, sp_id: str, user_id: str) -> bool:
        return bool(self.effective_assignments(sp_id, user_id))
