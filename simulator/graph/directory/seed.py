"""Loading a tenant fixture's ``directory:`` section into the :class:`~simulator.graph.directory.Directory`."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import GraphError
from ..schema import USER
from .base import DEFAULT_ACCESS_ROLE, is_guid

if TYPE_CHECKING:
    from . import Directory

__all__ = ["seed_directory", "TEMPLATE_IDS"]

#: Gallery templates the fake knows (``applicationTemplates``); the id is the fake's own.
TEMPLATE_IDS = {"purecloud-by-genesys": "6f3a8e21-54b7-4c19-9d2e-8b1f0a7c3e59"}


def seed_directory(d: Directory, fixture: Mapping) -> dict[str, str]:
    """Load the ``directory:`` section; returns fixture key -> object id.

    A fast path (no per-object validation, one feed event per object and
    link) so a generated 100k-user tenant loads in seconds; the fixture is
    trusted, the shapes are the same as the API's.
    """
    section = fixture.get("directory") or {}
    keys: dict[str, str] = {}
    now = d.now()
    users = section.get("users") or []
    for entry in users:  # ids first, in fixture order, so managers may be named before they appear
        keys[entry.get("key") or entry["userPrincipalName"]] = entry.get("id") or d.ids.guid()
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
        d.users.table.add(doc)
        d.emit("user", doc["id"], "created")
    kinds: dict[str, str] = {keys[k]: "user" for k in keys}
    for entry in section.get("groups") or []:
        body = {k: v for k, v in entry.items() if k not in ("key", "id", "members")}
        body.setdefault("groupTypes", [])
        group = d.groups.create(body, object_id=entry.get("id"), created=now, validate=False)
        keys[entry.get("key") or group["displayName"]] = group["id"]
        kinds[group["id"]] = "group"
    for entry in section.get("groups") or []:
        gid = keys[entry.get("key") or entry["displayName"]]
        for member in entry.get("members") or []:
            if member not in keys:
                raise GraphError(f"fixture group {entry.get('key')!r}: unknown member {member!r}", status=500)
            mid = keys[member]
            d.groups.members.add({"groupId": gid, "memberId": mid, "memberType": kinds[mid]})
            d.emit("group", gid, "member_added", member=mid, memberType=kinds[mid])
    for entry in section.get("applications") or []:
        roles = [{"allowedMemberTypes": r.get("allowedMemberTypes") or ["User"],
                  "description": r.get("description"), "displayName": r.get("displayName"),
                  "id": r["id"], "isEnabled": r.get("isEnabled", True), "origin": "Application",
                  "value": r.get("value")} for r in entry.get("appRoles") or []]
        template = entry.get("applicationTemplateId") or TEMPLATE_IDS.get(entry.get("template") or "")
        app = d.applications.create({"displayName": entry["displayName"], "appRoles": roles},
                                    object_id=entry.get("applicationId"), app_id=entry.get("appId"),
                                    extra={"applicationTemplateId": template}, validate=False)
        sp = d.service_principals.create(
            {"appId": app["appId"]}, object_id=entry.get("servicePrincipalId"),
            extra={"notificationEmailAddresses": entry.get("notificationEmailAddresses") or []})
        if entry.get("key"):
            keys[entry["key"]] = sp["id"]
        by_name = {r["displayName"]: r["id"] for r in roles}
        for assignment in entry.get("assignments") or []:
            role = assignment.get("role") or "Default Access"
            role_id = by_name.get(role) or (role if is_guid(role) else DEFAULT_ACCESS_ROLE)
            d.assignments.create(sp["id"], keys[assignment["principal"]], role_id)
    # Scenarios and tests name fixture objects by key (${user:alex}); keep the map with the state.
    d.store.set_meta(fixture_keys=dict(keys))
    return keys
