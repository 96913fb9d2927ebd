"""The Entra directory as a service: users, groups, members, managers, apps,
app-role assignments, deleted items and the change feed.  No Flask here.

The Graph views, the seeding code, scenarios and (through
:mod:`simulator.graph.reader`) the provisioning engine all go through this
class; nothing else touches its tables.  It lives in
``runtime.services["directory"]``.

Storage (``simulator.core.store`` tables, every lookup through an index)::

    graph_users              id, userPrincipalName (unique, case-insensitive), displayName, mailNickname, manager
    graph_groups             id, displayName, mailNickname
    graph_members            pair (group|member, unique), group, member
    graph_applications       id, appId
    graph_service_principals id, appId, displayName
    graph_assignments        id, principal, resource, triple (principal|resource|role, unique)
    graph_deleted            id, kind      soft-deleted objects with what they lose (memberships, assignments)
    graph_feed               the change feed: one event per directory change, append-only

The change feed is what Graph delta and the engine's reader read.  An event is
``{"seq", "type", "id", "op", ...}``; ``seq`` is the store sequence number the
event was written at, so a watermark is just a store position and
``feed.changes_since(watermark)`` costs what changed, not the tenant size.
Operations: ``created``, ``updated``, ``deleted`` (soft), ``restored``,
``purged`` (gone for good), ``manager`` (user's manager set/removed),
``member_added`` / ``member_removed`` (on the group, with ``member`` and
``memberType``), ``assigned`` / ``unassigned`` (type ``assignment``, with
``principal``, ``principalType``, ``resource``, ``appRoleId``).

Soft-deleted objects wait in ``graph_deleted`` and are purged 30 virtual days
later by a job on ``runtime.clock`` (re-scheduled when a state file is resumed).

Other code adds Graph routes (the synchronization API) with
:func:`simulator.graph.graph_blueprint`; it reaches this service through
``runtime.services["directory"]``.
"""

from __future__ import annotations

import bisect
import copy
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from simulator.core import Index, UniqueConstraintError, isoformat, parse_datetime

from .errors import BadRequest, GraphError, ResourceNotFound, not_found_message
from .schema import APPLICATION, GROUP, SERVICE_PRINCIPAL, USER, EntityType

__all__ = ["Directory", "RETENTION", "DEFAULT_ACCESS_ROLE", "DUPLICATE_MEMBER_MESSAGE", "is_guid"]

log = logging.getLogger(__name__)

#: How long soft-deleted objects stay restorable.
RETENTION = timedelta(days=30)
#: appRoleId of "default access" (reference/microsoft-graph.md §1.6).
DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"
DUPLICATE_MEMBER_MESSAGE = (
    "One or more added object references already exist for the following modified properties: 'members'."
)
REMOVED_MEMBER_MESSAGE = (
    "One or more removed object references do not exist for the following modified properties: 'members'."
)
DUPLICATE_UPN_MESSAGE = "Another object with the same value for property userPrincipalName already exists."

_HEX = set("0123456789abcdefABCDEF")


def is_guid(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    parts = value.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(c in _HEX for p in parts for c in p)


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


_KIND_TABLE = {"user": "users", "group": "groups", "servicePrincipal": "sps", "application": "apps"}


class Directory:
    """One tenant's directory, over ``runtime.store`` with ``runtime.clock`` and ids.

    Methods return plain dicts (copies); writes run in a store transaction, so
    a failing call leaves nothing half-done.  Errors are the Graph error types
    (:mod:`simulator.graph.errors`): the same code a Graph client would see.
    """

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self.ids = runtime.ids.stream("graph")
        s = self.store
        self.users = s.table("graph_users", [
            Index("id", unique=True, normalize=str.lower),
            Index("userPrincipalName", unique=True, normalize=str.casefold),
            Index("displayName", normalize=str.casefold),
            Index("mailNickname", normalize=str.casefold),
            Index("manager", key=lambda d: d.get("_manager")),
        ])
        self.groups = s.table("graph_groups", [
            Index("id", unique=True, normalize=str.lower),
            Index("displayName", normalize=str.casefold),
            Index("mailNickname", normalize=str.casefold),
        ])
        self.members = s.table("graph_members", [
            Index("pair", unique=True, key=lambda d: f"{d['groupId']}|{d['memberId']}"),
            Index("group", key=lambda d: d["groupId"]),
            Index("member", key=lambda d: d["memberId"]),
        ])
        self.apps = s.table("graph_applications", [
            Index("id", unique=True, normalize=str.lower),
            Index("appId", unique=True, normalize=str.lower),
        ])
        self.sps = s.table("graph_service_principals", [
            Index("id", unique=True, normalize=str.lower),
            Index("appId", unique=True, normalize=str.lower),
            Index("displayName", normalize=str.casefold),
        ])
        self.assignments = s.table("graph_assignments", [
            Index("id", unique=True),
            Index("principal", key=lambda d: d["principalId"]),
            Index("resource", key=lambda d: d["resourceId"]),
            Index("triple", unique=True, key=lambda d: f"{d['principalId']}|{d['resourceId']}|{d['appRoleId']}"),
        ])
        self.deleted = s.table("graph_deleted", [
            Index("id", unique=True, normalize=str.lower),
            Index("kind", key=lambda d: d["kind"]),
        ])
        self.feed = s.table("graph_feed")
        self._order: dict[str, tuple[tuple, list[int]]] = {}
        self._purge_jobs: dict[str, Any] = {}
        #: Watermarks older than this predate the in-memory change log (a
        #: resumed state file or a reset): readers get a full resync.
        self.log_floor = self.store.seq
        self._schedule_purges()

    # ------------------------------------------------------------------ tenant
    @property
    def tenant(self) -> dict:
        return self.runtime.fixture.get("tenant") or {}

    @property
    def tenant_id(self) -> str:
        return str(self.tenant.get("id") or "00000000-0000-0000-0000-000000000001")

    @property
    def domains(self) -> list[str]:
        """Verified domains: the initial ``*.onmicrosoft.com`` one first."""
        out = [self.tenant.get("domain") or "contoso.onmicrosoft.com"]
        out += [d for d in self.tenant.get("verifiedDomains") or [] if d not in out]
        return out

    def now(self) -> str:
        return isoformat(self.runtime.clock.now())

    # ------------------------------------------------------------------ lifecycle hooks (Runtime)
    def on_reset(self) -> None:
        self._purge_jobs.clear()
        self._order.clear()
        self.log_floor = self.store.seq + 1  # every watermark issued before the reset is older

    def on_restore(self) -> None:
        for job in self._purge_jobs.values():
            job.cancel()
        self._purge_jobs.clear()
        self._order.clear()
        self._schedule_purges()

    # ------------------------------------------------------------------ feed
    def watermark(self) -> int:
        """The current store position: every event so far has ``seq <= watermark()``."""
        return self.store.seq

    def _emit(self, type_: str, object_id: str, op: str, **extra: Any) -> None:
        with self.store.lock:
            # IndexedTable.add logs the write at store.seq + 1: record that in the event.
            self.feed.add({"seq": self.store.seq + 1, "type": type_, "id": object_id, "op": op, **extra})

    def events_since(self, watermark: int, until: int | None = None) -> list[dict]:
        """Feed events with ``watermark < seq <= until``, oldest first.  Costs the number of changes."""
        with self.store.lock:
            out = []
            for doc_id in self.feed.changes_since(watermark):
                event = self.feed.raw(doc_id)
                if event is None:  # written in a transaction that was rolled back
                    continue
                if event["seq"] <= watermark or (until is not None and event["seq"] > until):
                    continue
                out.append(dict(event))
            out.sort(key=lambda e: e["seq"])
            return out

    # ------------------------------------------------------------------ ordered iteration
    def ordered_ids(self, table) -> list[int]:
        """Doc ids of ``table`` in creation order; cached until the store changes."""
        version = (self.store.seq, len(table))
        cached = self._order.get(table.name)
        if cached and cached[0] == version:
            return cached[1]
        ids = sorted(table._read_table())
        self._order[table.name] = (version, ids)
        return ids

    def iter_docs(self, table, after: int = 0) -> Iterator[tuple[int, dict]]:
        """``(doc_id, live document)`` after position ``after`` (hold ``store.lock``; do not mutate)."""
        ids = self.ordered_ids(table)
        start = bisect.bisect_right(ids, after)
        raw = table._read_table()
        for doc_id in ids[start:]:
            doc = raw.get(doc_id)
            if doc is not None:
                yield doc_id, doc

    # ------------------------------------------------------------------ lookups
    def _user_doc(self, key: str):
        if not isinstance(key, str):
            return None
        doc = self.users.find("id", key) if is_guid(key) else None
        if doc is None and "@" in key:
            doc = self.users.find("userPrincipalName", key)
        return doc

    def get_user(self, key: str) -> dict | None:
        """An active user by id or userPrincipalName (a copy), or None."""
        doc = self._user_doc(key)
        return dict(doc) if doc is not None else None

    def require_user(self, key: str) -> dict:
        doc = self.get_user(key)
        if doc is None:
            raise ResourceNotFound.for_id(key)
        return doc

    def get_group(self, group_id: str) -> dict | None:
        doc = self.groups.find("id", group_id) if isinstance(group_id, str) else None
        return dict(doc) if doc is not None else None

    def require_group(self, group_id: str) -> dict:
        if not is_guid(group_id):
            raise BadRequest(f"Invalid object identifier '{group_id}'.")
        doc = self.get_group(group_id)
        if doc is None:
            raise ResourceNotFound.for_id(group_id)
        return doc

    def get_object(self, object_id: str) -> tuple[str, dict] | None:
        """Any active directory object by id: ``(kind, doc)`` with kind user/group/servicePrincipal/application."""
        if not is_guid(object_id):
            return None
        for kind, table in (("user", self.users), ("group", self.groups), ("servicePrincipal", self.sps),
                            ("application", self.apps)):
            doc = table.find("id", object_id)
            if doc is not None:
                return kind, dict(doc)
        return None

    def resolve_reference(self, odata_id: Any) -> tuple[str, dict]:
        """The object an ``@odata.id`` URL (``…/directoryObjects/{id}``, ``…/users/{id}``) names."""
        if not isinstance(odata_id, str) or not odata_id.strip():
            raise BadRequest("Invalid URL format specified in @odata.id.")
        path = urlsplit(odata_id).path if "://" in odata_id else odata_id
        segment = unquote([p for p in path.split("/") if p][-1]) if path.strip("/") else ""
        if not is_guid(segment):
            raise BadRequest(f"Invalid object identifier '{segment}'.")
        found = self.get_object(segment)
        if found is None:
            raise ResourceNotFound.for_id(segment)
        return found

    # ------------------------------------------------------------------ validation
    def _props(self, etype: EntityType, body: Mapping, *, allow: Iterable[str] = ()) -> dict:
        if not isinstance(body, Mapping):
            raise BadRequest("Empty Payload. JSON content expected.")
        out = {}
        extra = set(allow)
        for key, value in body.items():
            if key.startswith("@") or key in extra:
                continue
            prop = etype.canonical(key)
            if prop is None or prop not in etype.writable:
                if prop in etype.properties:  # read-only: Graph refuses the write
                    raise BadRequest(f"Property '{key}' is read-only and cannot be set.")
                raise BadRequest(f"Property '{key}' does not exist as a declared property or extension property.")
            if not etype.check_value(prop, value):
                raise BadRequest(f"Invalid value specified for property '{prop}' of resource '{etype.resource}'.")
            out[prop] = copy.deepcopy(value)
        return out

    def _check_upn(self, upn: str) -> None:
        local, _, domain = upn.partition("@")
        if not local or not domain:
            raise BadRequest("Invalid value specified for property 'userPrincipalName' of resource 'User'.")
        if domain.casefold() not in {d.casefold() for d in self.domains}:
            raise BadRequest("The domain portion of the userPrincipalName property is invalid. "
                             "You must use one of the verified domain names in your organization.")

    # ------------------------------------------------------------------ users
    def create_user(self, body: Mapping, *, object_id: str | None = None, created: str | None = None,
                    validate: bool = True) -> dict:
        """``POST /users``.  Returns the stored user."""
        props = self._props(USER, body, allow=("manager@odata.bind",)) if validate else dict(body)
        if validate:
            for required in ("accountEnabled", "displayName", "mailNickname", "passwordProfile", "userPrincipalName"):
                if props.get(required) in (None, ""):
                    raise BadRequest(f"Invalid value specified for property '{required}' of resource 'User'.")
            if not isinstance(props["passwordProfile"], dict) or not props["passwordProfile"].get("password"):
                raise BadRequest("Invalid value specified for property 'passwordProfile' of resource 'User'.")
            self._check_upn(props["userPrincipalName"])
            if props.get("businessPhones") and len(props["businessPhones"]) > 1:
                raise BadRequest("Invalid value specified for property 'businessPhones' of resource 'User'.")
        props.pop("passwordProfile", None)  # write-only: Graph never returns the password
        doc = {"id": object_id or self.ids.guid(), "createdDateTime": created or self.now(), **props}
        doc.setdefault("businessPhones", [])
        doc.setdefault("userType", "Member")
        doc["_manager"] = None
        with self.store.transaction():
            try:
                self.users.add(doc)
            except UniqueConstraintError as err:
                raise BadRequest(DUPLICATE_UPN_MESSAGE) from err
            self._emit("user", doc["id"], "created")
            bind = body.get("manager@odata.bind") if isinstance(body, Mapping) else None
            if bind:
                self.set_manager(doc["id"], bind)
        return self.get_user(doc["id"])  # type: ignore[return-value]

    def update_user(self, key: str, body: Mapping) -> dict:
        """``PATCH /users/{id}``: merge the given properties (null clears)."""
        props = self._props(USER, body)
        with self.store.transaction():
            doc = self._user_doc(key)
            if doc is None:
                raise ResourceNotFound.for_id(key)
            if "userPrincipalName" in props:
                if not props["userPrincipalName"]:
                    raise BadRequest("Invalid value specified for property 'userPrincipalName' of resource 'User'.")
                self._check_upn(props["userPrincipalName"])
            if props.get("businessPhones") and len(props["businessPhones"]) > 1:
                raise BadRequest("Invalid value specified for property 'businessPhones' of resource 'User'.")
            props.pop("passwordProfile", None)
            changed = {k: v for k, v in props.items() if doc.get(k) != v}
            if changed:
                try:
                    self.users.patch(doc.doc_id, changed)
                except UniqueConstraintError as err:
                    raise BadRequest(DUPLICATE_UPN_MESSAGE) from err
                self._emit("user", doc["id"], "updated", props=sorted(changed))
            return self.get_user(doc["id"])  # type: ignore[return-value]

    def delete_user(self, key: str) -> None:
        """``DELETE /users/{id}``: soft delete (restorable for 30 days)."""
        with self.store.transaction():
            doc = self._user_doc(key)
            if doc is None:
                raise ResourceNotFound.for_id(key)
            uid = doc["id"]
            memberships = [m["groupId"] for m in self.members.find_all("member", uid)]
            for gid in memberships:
                self._unlink_member(gid, uid)
            assignments = [self._drop_assignment(a) for a in self.assignments.find_all("principal", uid)]
            for report in self.users.find_all("manager", uid):
                self.users.patch(report.doc_id, {"_manager": None})
                self._emit("user", report["id"], "manager", manager=None)
            now = self.now()
            stored = dict(doc)
            manager = stored.pop("_manager", None)
            # Entra frees the UPN of a deleted user by prefixing it with the object id (no dashes).
            stored["userPrincipalName"] = uid.replace("-", "") + doc["userPrincipalName"]
            stored["deletedDateTime"] = now
            self.users.delete(doc.doc_id)
            self.deleted.add({"id": uid, "kind": "user", "deletedDateTime": now, "object": stored,
                              "originalUserPrincipalName": doc["userPrincipalName"], "manager": manager,
                              "memberships": memberships, "assignments": assignments})
            self._emit("user", uid, "deleted")
        self._schedule_purge(uid, now)

    # ------------------------------------------------------------------ manager
    def set_manager(self, user_key: str, manager_ref: Any) -> None:
        """``PUT /users/{id}/manager/$ref``."""
        with self.store.transaction():
            doc = self._user_doc(user_key)
            if doc is None:
                raise ResourceNotFound.for_id(user_key)
            if isinstance(manager_ref, str) and is_guid(manager_ref):
                manager = self.get_user(manager_ref)
                if manager is None:
                    raise ResourceNotFound.for_id(manager_ref)
                kind = "user"
            else:
                kind, manager = self.resolve_reference(manager_ref)
            if kind != "user":
                raise BadRequest("Invalid reference: the manager must be a user.")
            if manager["id"] == doc["id"]:
                raise BadRequest("A user cannot be their own manager.")
            if doc.get("_manager") != manager["id"]:
                self.users.patch(doc.doc_id, {"_manager": manager["id"]})
                self._emit("user", doc["id"], "manager", manager=manager["id"])

    def remove_manager(self, user_key: str) -> None:
        with self.store.transaction():
            doc = self._user_doc(user_key)
            if doc is None:
                raise ResourceNotFound.for_id(user_key)
            if not doc.get("_manager"):
                raise ResourceNotFound(not_found_message("manager"))
            self.users.patch(doc.doc_id, {"_manager": None})
            self._emit("user", doc["id"], "manager", manager=None)

    def manager_of(self, user_key: str) -> dict | None:
        doc = self._user_doc(user_key)
        if doc is None:
            raise ResourceNotFound.for_id(user_key)
        return self.get_user(doc["_manager"]) if doc.get("_manager") else None

    def direct_reports(self, user_id: str) -> list[dict]:
        return [dict(d) for d in self.users.find_all("manager", user_id)]

    # ------------------------------------------------------------------ groups
    def create_group(self, body: Mapping, *, object_id: str | None = None, created: str | None = None,
                     validate: bool = True) -> dict:
        """``POST /groups`` (``members@odata.bind`` accepted)."""
        binds = body.get("members@odata.bind") if isinstance(body, Mapping) else None
        props = self._props(GROUP, body, allow=("members@odata.bind", "owners@odata.bind")) if validate else dict(body)
        if validate:
            for required in ("displayName", "mailEnabled", "mailNickname", "securityEnabled"):
                if props.get(required) is None or props.get(required) == "":
                    raise BadRequest(f"Invalid value specified for property '{required}' of resource 'Group'.")
        gid = object_id or self.ids.guid()
        doc = {"id": gid, "createdDateTime": created or self.now(), "groupTypes": [], **props}
        if doc.get("mailEnabled"):
            doc.setdefault("mail", f"{doc['mailNickname']}@{self.domains[-1]}")
            doc.setdefault("proxyAddresses", [f"SMTP:{doc['mail']}"])
        doc.setdefault("proxyAddresses", [])
        doc.setdefault("securityIdentifier", "S-1-12-1-" + "-".join(str(int(gid.replace("-", "")[i:i + 8], 16))
                                                                 for i in range(0, 32, 8)))
        doc.setdefault("visibility", "Private" if "Unified" in doc.get("groupTypes", []) else None)
        with self.store.transaction():
            self.groups.add(doc)
            self._emit("group", gid, "created")
            for ref in self._bind_list(binds):
                self.add_member(gid, ref)
        return self.get_group(gid)  # type: ignore[return-value]

    @staticmethod
    def _bind_list(binds: Any) -> list:
        if binds is None:
            return []
        if not isinstance(binds, list) or not all(isinstance(b, str) for b in binds):
            raise BadRequest("Invalid value for 'members@odata.bind': a list of URLs is expected.")
        if len(binds) > 20:
            raise BadRequest("The request contains more than 20 added object references for 'members'.")
        return binds

    def update_group(self, group_id: str, body: Mapping) -> dict:
        binds = body.get("members@odata.bind") if isinstance(body, Mapping) else None
        props = self._props(GROUP, body, allow=("members@odata.bind", "owners@odata.bind"))
        with self.store.transaction():
            self.require_group(group_id)
            doc = self.groups.find("id", group_id)
            changed = {k: v for k, v in props.items() if doc.get(k) != v}
            if changed:
                self.groups.patch(doc.doc_id, changed)
                self._emit("group", doc["id"], "updated", props=sorted(changed))
            for ref in self._bind_list(binds):
                self.add_member(doc["id"], ref)
            return self.get_group(doc["id"])  # type: ignore[return-value]

    def delete_group(self, group_id: str) -> None:
        """Microsoft 365 (Unified) groups are soft-deleted; security groups are deleted for good."""
        with self.store.transaction():
            group = self.require_group(group_id)
            gid = group["id"]
            members = [(m["memberId"], m["memberType"]) for m in self.members.find_all("group", gid)]
            for member_id, _ in members:
                self._unlink_member(gid, member_id)
            memberships = [m["groupId"] for m in self.members.find_all("member", gid)]
            for parent in memberships:
                self._unlink_member(parent, gid)
            assignments = [self._drop_assignment(a) for a in self.assignments.find_all("principal", gid)]
            doc = self.groups.find("id", gid)
            self.groups.delete(doc.doc_id)
            now = self.now()
            if "Unified" in (group.get("groupTypes") or []):
                stored = {**group, "deletedDateTime": now}
                self.deleted.add({"id": gid, "kind": "group", "deletedDateTime": now, "object": stored,
                                  "members": members, "memberships": memberships, "assignments": assignments})
                self._emit("group", gid, "deleted")
            else:
                self._emit("group", gid, "purged")
        if "Unified" in (group.get("groupTypes") or []):
            self._schedule_purge(gid, now)

    # ------------------------------------------------------------------ members
    def list_members(self, group_id: str) -> list[tuple[str, dict]]:
        """Direct members as ``(kind, doc)``, in the order they were added."""
        self.require_group(group_id)
        out = []
        for link in self.members.find_all("group", group_id.lower()):
            found = self.get_object(link["memberId"])
            if found is not None:
                out.append(found)
        return out

    def member_links(self, group_id: str) -> list[dict]:
        return [dict(m) for m in self.members.find_all("group", group_id)]

    def member_of(self, object_id: str) -> list[dict]:
        """Groups ``object_id`` is a direct member of."""
        out = []
        for link in self.members.find_all("member", object_id):
            group = self.get_group(link["groupId"])
            if group is not None:
                out.append(group)
        return out

    def is_member(self, group_id: str, member_id: str) -> bool:
        return self.members.count_by("pair", f"{group_id}|{member_id}") > 0

    def add_member(self, group_id: str, member_ref: Any) -> None:
        """``POST /groups/{id}/members/$ref``; ``member_ref`` is an ``@odata.id`` URL or an object id."""
        with self.store.transaction():
            group = self.require_group(group_id)
            if isinstance(member_ref, str) and is_guid(member_ref):
                found = self.get_object(member_ref)
                if found is None:
                    raise ResourceNotFound.for_id(member_ref)
            else:
                found = self.resolve_reference(member_ref)
            kind, member = found
            if kind == "application":
                raise BadRequest("Invalid reference: an application cannot be a group member.")
            if member["id"] == group["id"]:
                raise BadRequest("A group cannot be a member of itself.")
            if self.is_member(group["id"], member["id"]):
                raise BadRequest(DUPLICATE_MEMBER_MESSAGE)
            self.members.add({"groupId": group["id"], "memberId": member["id"], "memberType": kind})
            self._emit("group", group["id"], "member_added", member=member["id"], memberType=kind)

    def remove_member(self, group_id: str, member_id: str) -> None:
        """``DELETE /groups/{id}/members/{memberId}/$ref`` (404 when not a member; see docs/fidelity.md)."""
        with self.store.transaction():
            group = self.require_group(group_id)
            if not self.is_member(group["id"], member_id):
                if self.runtime.config.extra.get("graph.remove_non_member_status") == 400:
                    raise BadRequest(REMOVED_MEMBER_MESSAGE)
                raise ResourceNotFound.for_id(member_id)
            self._unlink_member(group["id"], member_id)

    def _unlink_member(self, group_id: str, member_id: str) -> None:
        link = self.members.find("pair", f"{group_id}|{member_id}")
        if link is None:
            return
        self.members.delete(link.doc_id)
        self._emit("group", group_id, "member_removed", member=member_id, memberType=link["memberType"])

    # ------------------------------------------------------------------ applications & service principals
    def get_service_principal(self, key: str) -> dict | None:
        doc = self.sps.find("id", key) if is_guid(key) else None
        return dict(doc) if doc is not None else None

    def service_principal_by_app_id(self, app_id: str) -> dict | None:
        doc = self.sps.find("appId", app_id)
        return dict(doc) if doc is not None else None

    def require_service_principal(self, key: str) -> dict:
        if not is_guid(key):
            raise BadRequest(f"Invalid object identifier '{key}'.")
        doc = self.get_service_principal(key)
        if doc is None:
            raise ResourceNotFound.for_id(key)
        return doc

    def get_application(self, key: str) -> dict | None:
        doc = self.apps.find("id", key) if is_guid(key) else None
        return dict(doc) if doc is not None else None

    def create_application(self, body: Mapping, *, object_id: str | None = None, app_id: str | None = None,
                           extra: Mapping | None = None, validate: bool = True) -> dict:
        props = self._props(APPLICATION, body) if validate else dict(body)
        if validate and not props.get("displayName"):
            raise BadRequest("Invalid value specified for property 'displayName' of resource 'Application'.")
        doc = {"id": object_id or self.ids.guid(), "appId": app_id or self.ids.guid(), "createdDateTime": self.now(),
               "appRoles": [], "identifierUris": [], "signInAudience": "AzureADMyOrg", "tags": [], **props,
               **(extra or {})}
        with self.store.transaction():
            self.apps.add(doc)
            self._emit("application", doc["id"], "created")
        return dict(doc)

    def create_service_principal(self, body: Mapping, *, object_id: str | None = None,
                                 extra: Mapping | None = None) -> dict:
        """``POST /servicePrincipals {"appId": ...}``: the enterprise app of an application."""
        props = self._props(SERVICE_PRINCIPAL, body)
        app_id = props.get("appId")
        app = self.apps.find("appId", app_id) if isinstance(app_id, str) else None
        if app is None:
            raise BadRequest(f"The appId '{app_id}' of the service principal does not reference a valid application object.")
        if self.sps.find("appId", app_id) is not None:
            raise BadRequest("The service principal cannot be created, updated, or restored because the service "
                             "principal name " f"{app_id} is already in use.")
        doc = {"id": object_id or self.ids.guid(), "accountEnabled": True, "appDisplayName": app["displayName"],
               "appId": app["appId"], "applicationTemplateId": app.get("applicationTemplateId"),
               "appOwnerOrganizationId": self.tenant_id, "appRoleAssignmentRequired": True,
               "appRoles": copy.deepcopy(app.get("appRoles") or []), "displayName": app["displayName"],
               "notificationEmailAddresses": [], "preferredSingleSignOnMode": None,
               "servicePrincipalNames": [app["appId"]], "servicePrincipalType": "Application",
               "tags": ["WindowsAzureActiveDirectoryIntegratedApp"], **{k: v for k, v in props.items() if k != "appId"},
               **(extra or {})}
        with self.store.transaction():
            self.sps.add(doc)
            self._emit("servicePrincipal", doc["id"], "created")
        return dict(doc)

    def update_service_principal(self, key: str, body: Mapping) -> dict:
        props = self._props(SERVICE_PRINCIPAL, body)
        props.pop("appId", None)
        with self.store.transaction():
            self.require_service_principal(key)
            doc = self.sps.find("id", key)
            self.sps.patch(doc.doc_id, props)
            self._emit("servicePrincipal", doc["id"], "updated", props=sorted(props))
            return self.get_service_principal(doc["id"])  # type: ignore[return-value]

    def delete_service_principal(self, key: str) -> None:
        with self.store.transaction():
            sp = self.require_service_principal(key)
            for assignment in self.assignments.find_all("resource", sp["id"]):
                self._drop_assignment(assignment)
            self.sps.delete(self.sps.find("id", sp["id"]).doc_id)
            self._emit("servicePrincipal", sp["id"], "purged")

    def delete_application(self, key: str) -> None:
        """Soft-deletes the application; its service principal goes with it (for good)."""
        with self.store.transaction():
            app = self.get_application(key)
            if app is None:
                raise ResourceNotFound.for_id(key)
            sp = self.sps.find("appId", app["appId"])
            if sp is not None:
                self.delete_service_principal(sp["id"])
            self.apps.delete(self.apps.find("id", app["id"]).doc_id)
            now = self.now()
            self.deleted.add({"id": app["id"], "kind": "application", "deletedDateTime": now,
                              "object": {**app, "deletedDateTime": now}})
            self._emit("application", app["id"], "deleted")
        self._schedule_purge(app["id"], now)

    # ------------------------------------------------------------------ app role assignments
    def assignments_for_resource(self, sp_id: str) -> list[dict]:
        return [self._assignment_view(a) for a in self.assignments.find_all("resource", sp_id)]

    def assignments_for_principal(self, principal_id: str, resource_id: str | None = None) -> list[dict]:
        return [self._assignment_view(a) for a in self.assignments.find_all("principal", principal_id)
                if resource_id is None or a["resourceId"] == resource_id]

    def get_assignment(self, assignment_id: str) -> dict | None:
        doc = self.assignments.find("id", assignment_id)
        return self._assignment_view(doc) if doc is not None else None

    def _assignment_view(self, doc: Mapping) -> dict:
        return {k: doc.get(k) for k in ("id", "deletedDateTime", "appRoleId", "createdDateTime",
                                          "principalDisplayName", "principalId", "principalType",
                                          "resourceDisplayName", "resourceId")}

    def assign(self, resource_id: str, principal_id: Any, app_role_id: Any, *, body_resource_id: Any = None,
               object_id: str | None = None) -> dict:
        """``POST /servicePrincipals/{id}/appRoleAssignedTo``."""
        with self.store.transaction():
            sp = self.require_service_principal(resource_id)
            if body_resource_id is not None and str(body_resource_id).lower() != sp["id"].lower():
                raise BadRequest("The resourceId in the request body does not match the service principal in the URL.")
            for name, value in (("principalId", principal_id), ("appRoleId", app_role_id)):
                if not is_guid(value):
                    raise BadRequest(f"Invalid value specified for property '{name}' of resource 'AppRoleAssignment'.")
            found = self.get_object(principal_id)
            if found is None or found[0] == "application":
                raise ResourceNotFound.for_id(principal_id)
            kind, principal = found
            roles = {r["id"].lower(): r for r in sp.get("appRoles") or []}
            if app_role_id.lower() not in roles and not (app_role_id == DEFAULT_ACCESS_ROLE and not roles):
                raise BadRequest(f"Permission being assigned was not found on application '{sp['appId']}'.")
            principal_type = {"user": "User", "group": "Group", "servicePrincipal": "ServicePrincipal"}[kind]
            doc = {"id": object_id or self.ids.token(32), "deletedDateTime": None, "appRoleId": app_role_id.lower(),
                   "createdDateTime": self.now(), "principalDisplayName": principal.get("displayName"),
                   "principalId": principal["id"], "principalType": principal_type,
                   "resourceDisplayName": sp.get("displayName"), "resourceId": sp["id"]}
            try:
                self.assignments.add(doc)
            except UniqueConstraintError as err:
                raise BadRequest("Permission being assigned already exists on the object") from err
            self._emit("assignment", doc["id"], "assigned", principal=principal["id"], principalType=principal_type,
                       resource=sp["id"], appRoleId=doc["appRoleId"])
            return self._assignment_view(doc)

    def unassign(self, assignment_id: str, *, resource_id: str | None = None, principal_id: str | None = None) -> None:
        with self.store.transaction():
            doc = self.assignments.find("id", assignment_id)
            if doc is None or (resource_id and doc["resourceId"] != resource_id) or (
                    principal_id and doc["principalId"] != principal_id):
                raise ResourceNotFound.for_id(assignment_id)
            self._drop_assignment(doc)

    def _drop_assignment(self, doc) -> dict:
        view = self._assignment_view(doc)
        self.assignments.delete(doc.doc_id)
        self._emit("assignment", doc["id"], "unassigned", principal=doc["principalId"],
                   principalType=doc["principalType"], resource=doc["resourceId"], appRoleId=doc["appRoleId"])
        return view

    # ------------------------------------------------------------------ deleted items
    def list_deleted(self, kind: str) -> list[dict]:
        return [dict(d) for d in self.deleted.find_all("kind", kind)]

    def get_deleted(self, object_id: str) -> dict | None:
        doc = self.deleted.find("id", object_id) if isinstance(object_id, str) else None
        return dict(doc) if doc is not None else None

    def restore(self, object_id: str) -> tuple[str, dict]:
        """``POST /directory/deletedItems/{id}/restore``: back with its memberships and assignments."""
        with self.store.transaction():
            record = self.deleted.find("id", object_id) if is_guid(object_id) else None
            if record is None:
                raise ResourceNotFound.for_id(object_id)
            kind = record["kind"]
            obj = {k: v for k, v in record["object"].items() if k != "deletedDateTime"}
            self.deleted.delete(record.doc_id)
            if kind == "user":
                obj["userPrincipalName"] = record["originalUserPrincipalName"]
                obj["_manager"] = record.get("manager") if record.get("manager") and self.get_user(record["manager"]) else None
                try:
                    self.users.add(obj)
                except UniqueConstraintError as err:
                    raise BadRequest(DUPLICATE_UPN_MESSAGE) from err
            elif kind == "group":
                self.groups.add(obj)
            elif kind == "application":
                self.apps.add(obj)
            self._emit(kind, obj["id"], "restored")
            for gid in record.get("memberships") or []:
                if self.get_group(gid) is not None and not self.is_member(gid, obj["id"]):
                    self.members.add({"groupId": gid, "memberId": obj["id"], "memberType": kind})
                    self._emit("group", gid, "member_added", member=obj["id"], memberType=kind)
            for member_id, member_type in record.get("members") or []:
                if self.get_object(member_id) is not None and not self.is_member(obj["id"], member_id):
                    self.members.add({"groupId": obj["id"], "memberId": member_id, "memberType": member_type})
                    self._emit("group", obj["id"], "member_added", member=member_id, memberType=member_type)
            for a in record.get("assignments") or []:
                if self.get_service_principal(a["resourceId"]) is not None and self.get_assignment(a["id"]) is None:
                    self.assignments.add(dict(a))
                    self._emit("assignment", a["id"], "assigned", principal=a["principalId"],
                               principalType=a["principalType"], resource=a["resourceId"], appRoleId=a["appRoleId"])
        job = self._purge_jobs.pop(object_id.lower(), None)
        if job is not None:
            job.cancel()
        table = {"user": self.users, "group": self.groups, "application": self.apps}[kind]
        return kind, dict(table.find("id", obj["id"]))

    def purge(self, object_id: str) -> None:
        """``DELETE /directory/deletedItems/{id}``: gone for good."""
        with self.store.transaction():
            record = self.deleted.find("id", object_id) if is_guid(object_id) else None
            if record is None:
                raise ResourceNotFound.for_id(object_id)
            self.deleted.delete(record.doc_id)
            self._emit(record["kind"], record["id"], "purged")
        job = self._purge_jobs.pop(record["id"].lower(), None)
        if job is not None:
            job.cancel()

    def _schedule_purge(self, object_id: str, deleted_at: str) -> None:
        due = parse_datetime(deleted_at) + RETENTION

        def purge_job(_now, object_id=object_id):
            self._purge_jobs.pop(object_id.lower(), None)
            if self.get_deleted(object_id) is None:
                return {"purged": None}
            self.purge(object_id)
            return {"purged": object_id}

        self._purge_jobs[object_id.lower()] = self.runtime.clock.schedule(due, purge_job, name="graph.purge")

    def _schedule_purges(self) -> None:
        for _doc_id, record in list(self.deleted.docs()):
            self._schedule_purge(record["id"], record["deletedDateTime"])

    # ------------------------------------------------------------------ seeding
    def seed(self, fixture: Mapping) -> dict[str, str]:
        """Load the ``directory:`` section; returns fixture key -> object id.

        A fast path (no per-object validation, one feed event per object and
        link) so a generated 100k-user tenant loads in seconds; the fixture is
        trusted, the shapes are the same as the API's.
        """
        section = fixture.get("directory") or {}
        keys: dict[str, str] = {}
        now = self.now()
        users = section.get("users") or []
        for entry in users:  # ids first, in fixture order, so managers may be named before they appear
            keys[entry.get("key") or entry["userPrincipalName"]] = entry.get("id") or self.ids.guid()
        for entry in users:
            key = entry.get("key") or entry["userPrincipalName"]
            doc: dict[str, Any] = {"id": keys[key], "createdDateTime": now}
            for prop, value in entry.items():
                if prop in ("key", "id", "manager", "password"):
                    continue
                if USER.canonical(prop) is None:
                    raise GraphError(f"fixture user {key!r}: unknown property {prop!r}", status=500)
                doc[prop] = copy.deepcopy(value) if isinstance(value, (list, dict)) else value
            doc.setdefault("businessPhones", [])
            doc.setdefault("userType", "Member")
            manager = entry.get("manager")
            if manager is not None and manager not in keys:
                raise GraphError(f"fixture user {key!r}: unknown manager {manager!r}", status=500)
            doc["_manager"] = keys[manager] if manager is not None else None
            self.users.add(doc)
            self._emit("user", doc["id"], "created")
        kinds: dict[str, str] = {keys[k]: "user" for k in keys}
        for entry in section.get("groups") or []:
            body = {k: v for k, v in entry.items() if k not in ("key", "id", "members")}
            body.setdefault("groupTypes", [])
            group = self.create_group(body, object_id=entry.get("id"), created=now, validate=False)
            keys[entry.get("key") or group["displayName"]] = group["id"]
            kinds[group["id"]] = "group"
        for entry in section.get("groups") or []:
            gid = keys[entry.get("key") or entry["displayName"]]
            for member in entry.get("members") or []:
                if member not in keys:
                    raise GraphError(f"fixture group {entry.get('key')!r}: unknown member {member!r}", status=500)
                mid = keys[member]
                self.members.add({"groupId": gid, "memberId": mid, "memberType": kinds[mid]})
                self._emit("group", gid, "member_added", member=mid, memberType=kinds[mid])
        for entry in section.get("applications") or []:
            roles = [{"allowedMemberTypes": r.get("allowedMemberTypes") or ["User"],
                      "description": r.get("description"), "displayName": r.get("displayName"),
                      "id": r["id"], "isEnabled": r.get("isEnabled", True), "origin": "Application",
                      "value": r.get("value")} for r in entry.get("appRoles") or []]
            template = entry.get("applicationTemplateId") or _TEMPLATE_IDS.get(entry.get("template") or "")
            app = self.create_application({"displayName": entry["displayName"], "appRoles": roles},
                                          object_id=entry.get("applicationId"), app_id=entry.get("appId"),
                                          extra={"applicationTemplateId": template}, validate=False)
            sp = self.create_service_principal({"appId": app["appId"]}, object_id=entry.get("servicePrincipalId"),
                                               extra={"notificationEmailAddresses": entry.get("notificationEmailAddresses") or []})
            if entry.get("key"):
                keys[entry["key"]] = sp["id"]
            by_name = {r["displayName"]: r["id"] for r in roles}
            for assignment in entry.get("assignments") or []:
                role = assignment.get("role") or "Default Access"
                role_id = by_name.get(role) or (role if is_guid(role) else DEFAULT_ACCESS_ROLE)
                self.assign(sp["id"], keys[assignment["principal"]], role_id)
        # Scenarios and tests name fixture objects by key (${user:alex}); keep the map with the state.
        self.store.set_meta(fixture_keys=dict(keys))
        return keys

    def fixture_id(self, key: str) -> str | None:
        """The object id of the fixture object with this ``key`` (users, groups, applications)."""
        return (self.store.meta().get("fixture_keys") or {}).get(key)


#: Gallery templates the fake knows (``applicationTemplates``); the id is the fake's own.
_TEMPLATE_IDS = {"purecloud-by-genesys": "6f3a8e21-54b7-4c19-9d2e-8b1f0a7c3e59"}
