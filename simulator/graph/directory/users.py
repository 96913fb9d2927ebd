"""``/users`` and ``/users/{id}/manager``: the users entity set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core import Index, UniqueConstraintError

from ..errors import BadRequest, ResourceNotFound, not_found_message
from ..schema import USER
from .base import DUPLICATE_UPN_MESSAGE, EntitySet, is_guid, writable_props

__all__ = ["Users"]


class Users(EntitySet):
    """Users in ``graph_users`` (id, userPrincipalName unique and case-insensitive, displayName,
    mailNickname, and ``manager``: the users whose ``_manager`` is a given id)."""

    def __init__(self, directory) -> None:
        super().__init__(directory)
        self.table = self.store.table("graph_users", [
            Index("id", unique=True, normalize=str.lower),
            Index("userPrincipalName", unique=True, normalize=str.casefold),
            Index("displayName", normalize=str.casefold),
            Index("mailNickname", normalize=str.casefold),
            Index("manager", key=lambda d: d.get("_manager")),
        ])

    # ------------------------------------------------------------------ lookups
    def doc(self, key: str):
        """The stored document of an active user by id or userPrincipalName (live; do not mutate), or None."""
        if not isinstance(key, str):
            return None
        doc = self.table.find("id", key) if is_guid(key) else None
        if doc is None and "@" in key:
            doc = self.table.find("userPrincipalName", key)
        return doc

    def get(self, key: str) -> dict | None:
        """An active user by id or userPrincipalName (a copy), or None."""
        doc = self.doc(key)
        return dict(doc) if doc is not None else None

    def require(self, key: str) -> dict:
        doc = self.get(key)
        if doc is None:
            raise ResourceNotFound.for_id(key)
        return doc

    def _check_upn(self, upn: str) -> None:
        local, _, domain = upn.partition("@")
        if not local or not domain:
            raise BadRequest("Invalid value specified for property 'userPrincipalName' of resource 'User'.")
        if domain.casefold() not in {d.casefold() for d in self.directory.domains}:
            raise BadRequest("The domain portion of the userPrincipalName property is invalid. "
                             "You must use one of the verified domain names in your organization.")

    # ------------------------------------------------------------------ writes
    def create(self, body: Mapping, *, object_id: str | None = None, created: str | None = None,
               validate: bool = True) -> dict:
        """``POST /users``.  Returns the stored user."""
        props = writable_props(USER, body, allow=("manager@odata.bind",)) if validate else dict(body)
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
        doc = {"id": object_id or self.directory.ids.guid(), "createdDateTime": created or self.now(), **props}
        doc.setdefault("businessPhones", [])
        doc.setdefault("userType", "Member")
        doc["_manager"] = None
        with self.store.transaction():
            try:
                self.table.add(doc)
            except UniqueConstraintError as err:
                raise BadRequest(DUPLICATE_UPN_MESSAGE) from err
            self.emit("user", doc["id"], "created")
            bind = body.get("manager@odata.bind") if isinstance(body, Mapping) else None
            if bind:
                self.set_manager(doc["id"], bind)
        return self.stored(doc["id"])

    def update(self, key: str, body: Mapping) -> dict:
        """``PATCH /users/{id}``: merge the given properties (null clears)."""
        props = writable_props(USER, body)
        with self.store.transaction():
            doc = self.doc(key)
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
                    self.table.patch(doc.doc_id, changed)
                except UniqueConstraintError as err:
                    raise BadRequest(DUPLICATE_UPN_MESSAGE) from err
                self.emit("user", doc["id"], "updated", props=sorted(changed))
            return self.stored(doc["id"])

    def delete(self, key: str) -> None:
        """``DELETE /users/{id}``: soft delete (restorable for 30 days)."""
        with self.store.transaction():
            doc = self.doc(key)
            if doc is None:
                raise ResourceNotFound.for_id(key)
            uid = doc["id"]
            memberships = [m["groupId"] for m in self.directory.groups.members.find_all("member", uid)]
            for gid in memberships:
                self.directory.groups.unlink(gid, uid)
            assignments = self.directory.assignments.drop_all("principal", uid)
            for report in self.table.find_all("manager", uid):
                self.table.patch(report.doc_id, {"_manager": None})
                self.emit("user", report["id"], "manager", manager=None)
            now = self.now()
            stored = dict(doc)
            manager = stored.pop("_manager", None)
            # Entra frees the UPN of a deleted user by prefixing it with the object id (no dashes).
            stored["userPrincipalName"] = uid.replace("-", "") + doc["userPrincipalName"]
            stored["deletedDateTime"] = now
            self.table.delete(doc.doc_id)
            self.directory.deleted_items.table.add({
                "id": uid, "kind": "user", "deletedDateTime": now, "object": stored,
                "originalUserPrincipalName": doc["userPrincipalName"], "manager": manager,
                "memberships": memberships, "assignments": assignments})
            self.emit("user", uid, "deleted")
        self.directory.deleted_items.schedule_purge(uid, now)

    # ------------------------------------------------------------------ manager
    def set_manager(self, user_key: str, manager_ref: Any) -> None:
        """``PUT /users/{id}/manager/$ref``."""
        with self.store.transaction():
            doc = self.doc(user_key)
            if doc is None:
                raise ResourceNotFound.for_id(user_key)
            if isinstance(manager_ref, str) and is_guid(manager_ref):
                manager = self.get(manager_ref)
                if manager is None:
                    raise ResourceNotFound.for_id(manager_ref)
                kind = "user"
            else:
                kind, manager = self.directory.resolve_reference(manager_ref)
            if kind != "user":
                raise BadRequest("Invalid reference: the manager must be a user.")
            if manager["id"] == doc["id"]:
                raise BadRequest("A user cannot be their own manager.")
            if doc.get("_manager") != manager["id"]:
                self.table.patch(doc.doc_id, {"_manager": manager["id"]})
                self.emit("user", doc["id"], "manager", manager=manager["id"])

    def remove_manager(self, user_key: str) -> None:
        with self.store.transaction():
            doc = self.doc(user_key)
            if doc is None:
                raise ResourceNotFound.for_id(user_key)
            if not doc.get("_manager"):
                raise ResourceNotFound(not_found_message("manager"))
            self.table.patch(doc.doc_id, {"_manager": None})
            self.emit("user", doc["id"], "manager", manager=None)

    def manager_of(self, user_key: str) -> dict | None:
        doc = self.doc(user_key)
        if doc is None:
            raise ResourceNotFound.for_id(user_key)
        return self.get(doc["_manager"]) if doc.get("_manager") else None

    def direct_reports(self, user_id: str) -> list[dict]:
        return [dict(d) for d in self.table.find_all("manager", user_id)]

