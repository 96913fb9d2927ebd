"""``/groups`` and ``/groups/{id}/members``: the groups entity set and its membership links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core import Index

from ..errors import BadRequest, ResourceNotFound
from ..schema import GROUP
from .base import DUPLICATE_MEMBER_MESSAGE, REMOVED_MEMBER_MESSAGE, EntitySet, is_guid, writable_props

__all__ = ["Groups"]


class Groups(EntitySet):
    """Groups in ``graph_groups`` (id, displayName, mailNickname) and their direct members in
    ``graph_members`` (pair ``group|member`` unique, group, member)."""

    def __init__(self, directory) -> None:
        super().__init__(directory)
        self.table = self.store.table("graph_groups", [
            Index("id", unique=True, normalize=str.lower),
            Index("displayName", normalize=str.casefold),
            Index("mailNickname", normalize=str.casefold),
        ])
        self.members = self.store.table("graph_members", [
            Index("pair", unique=True, key=lambda d: f"{d['groupId']}|{d['memberId']}"),
            Index("group", key=lambda d: d["groupId"]),
            Index("member", key=lambda d: d["memberId"]),
        ])

    def get(self, group_id: str) -> dict | None:
        """A group by id (a copy), or None; unlike the other sets, any string is looked up."""
        doc = self.table.find("id", group_id) if isinstance(group_id, str) else None
        return dict(doc) if doc is not None else None

    # ------------------------------------------------------------------ writes
    def create(self, body: Mapping, *, object_id: str | None = None, created: str | None = None,
               validate: bool = True) -> dict:
        """``POST /groups`` (``members@odata.bind`` accepted)."""
        binds = body.get("members@odata.bind") if isinstance(body, Mapping) else None
        props = writable_props(GROUP, body, allow=("members@odata.bind", "owners@odata.bind")) if validate else dict(body)
        if validate:
            for required in ("displayName", "mailEnabled", "mailNickname", "securityEnabled"):
                if props.get(required) is None or props.get(required) == "":
                    raise BadRequest(f"Invalid value specified for property '{required}' of resource 'Group'.")
        gid = object_id or self.directory.ids.guid()
        doc = {"id": gid, "createdDateTime": created or self.now(), "groupTypes": [], **props}
        if doc.get("mailEnabled"):
            doc.setdefault("mail", f"{doc['mailNickname']}@{self.directory.domains[-1]}")
            doc.setdefault("proxyAddresses", [f"SMTP:{doc['mail']}"])
        doc.setdefault("proxyAddresses", [])
        doc.setdefault("securityIdentifier", "S-1-12-1-" + "-".join(str(int(gid.replace("-", "")[i:i + 8], 16))
                                                                 for i in range(0, 32, 8)))
        doc.setdefault("visibility", "Private" if "Unified" in doc.get("groupTypes", []) else None)
        with self.store.transaction():
            self.table.add(doc)
            self.emit("group", gid, "created")
            for ref in self._bind_list(binds):
                self.add_member(gid, ref)
        return self.stored(gid)

    @staticmethod
    def _bind_list(binds: Any) -> list:
        if binds is None:
            return []
        if not isinstance(binds, list) or not all(isinstance(b, str) for b in binds):
            raise BadRequest("Invalid value for 'members@odata.bind': a list of URLs is expected.")
        if len(binds) > 20:
            raise BadRequest("The request contains more than 20 added object references for 'members'.")
        return binds

    def update(self, group_id: str, body: Mapping) -> dict:
        binds = body.get("members@odata.bind") if isinstance(body, Mapping) else None
        props = writable_props(GROUP, body, allow=("members@odata.bind", "owners@odata.bind"))
        with self.store.transaction():
            self.require(group_id)
            doc = self.find(group_id)
            changed = {k: v for k, v in props.items() if doc.get(k) != v}
            if changed:
                self.table.patch(doc.doc_id, changed)
                self.emit("group", doc["id"], "updated", props=sorted(changed))
            for ref in self._bind_list(binds):
                self.add_member(doc["id"], ref)
            return self.stored(doc["id"])

    def delete(self, group_id: str) -> None:
        """Microsoft 365 (Unified) groups are soft-deleted; security groups are deleted for good."""
        with self.store.transaction():
            group = self.require(group_id)
            gid = group["id"]
            members = [(m["memberId"], m["memberType"]) for m in self.members.find_all("group", gid)]
            for member_id, _ in members:
                self.unlink(gid, member_id)
            memberships = [m["groupId"] for m in self.members.find_all("member", gid)]
            for parent in memberships:
                self.unlink(parent, gid)
            assignments = self.directory.assignments.drop_all("principal", gid)
            self.table.delete(self.find(gid).doc_id)
            now = self.now()
            if "Unified" in (group.get("groupTypes") or []):
                stored = {**group, "deletedDateTime": now}
                self.directory.deleted_items.table.add({
                    "id": gid, "kind": "group", "deletedDateTime": now, "object": stored,
                    "members": members, "memberships": memberships, "assignments": assignments})
                self.emit("group", gid, "deleted")
            else:
                self.emit("group", gid, "purged")
        if "Unified" in (group.get("groupTypes") or []):
            self.directory.deleted_items.schedule_purge(gid, now)

    # ------------------------------------------------------------------ members
    def list_members(self, group_id: str) -> list[tuple[str, dict]]:
        """Direct members as ``(kind, doc)``, in the order they were added."""
        self.require(group_id)
        out = []
        for link in self.members.find_all("group", group_id.lower()):
            found = self.directory.get_object(link["memberId"])
            if found is not None:
                out.append(found)
        return out

    def member_links(self, group_id: str) -> list[dict]:
        return [dict(m) for m in self.members.find_all("group", group_id)]

    def member_of(self, object_id: str) -> list[dict]:
        """Groups ``object_id`` is a direct member of."""
        out = []
        for link in self.members.find_all("member", object_id):
            group = self.get(link["groupId"])
            if group is not None:
                out.append(group)
        return out

    def is_member(self, group_id: str, member_id: str) -> bool:
        return self.members.count_by("pair", f"{group_id}|{member_id}") > 0

    def add_member(self, group_id: str, member_ref: Any) -> None:
        """``POST /groups/{id}/members/$ref``; ``member_ref`` is an ``@odata.id`` URL or an object id."""
        with self.store.transaction():
            group = self.require(group_id)
            if isinstance(member_ref, str) and is_guid(member_ref):
                found = self.directory.get_object(member_ref)
                if found is None:
                    raise ResourceNotFound.for_id(member_ref)
            else:
                found = self.directory.resolve_reference(member_ref)
            kind, member = found
            if kind == "application":
                raise BadRequest("Invalid reference: an application cannot be a group member.")
            if member["id"] == group["id"]:
                raise BadRequest("A group cannot be a member of itself.")
            if self.is_member(group["id"], member["id"]):
                raise BadRequest(DUPLICATE_MEMBER_MESSAGE)
            self.members.add({"groupId": group["id"], "memberId": member["id"], "memberType": kind})
            self.emit("group", group["id"], "member_added", member=member["id"], memberType=kind)

    def remove_member(self, group_id: str, member_id: str) -> None:
        """``DELETE /groups/{id}/members/{memberId}/$ref`` (404 when not a member; see docs/fidelity.md)."""
        with self.store.transaction():
            group = self.require(group_id)
            if not self.is_member(group["id"], member_id):
                if self.directory.runtime.config.graph_remove_non_member_status == 400:
                    raise BadRequest(REMOVED_MEMBER_MESSAGE)
                raise ResourceNotFound.for_id(member_id)
            self.unlink(group["id"], member_id)

    def unlink(self, group_id: str, member_id: str) -> None:
        link = self.members.find("pair", f"{group_id}|{member_id}")
        if link is None:
            return
        self.members.delete(link.doc_id)
        self.emit("group", group_id, "member_removed", member=member_id, memberType=link["memberType"])

