"""``/servicePrincipals/{id}/appRoleAssignedTo`` and ``/users/{id}/appRoleAssignments``: who is assigned
to which app, in which role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core import Index, UniqueConstraintError

from ..errors import BadRequest, ResourceNotFound
from .base import DEFAULT_ACCESS_ROLE, EntitySet, is_guid

__all__ = ["AppRoleAssignments"]

_VIEW = ("id", "deletedDateTime", "appRoleId", "createdDateTime", "principalDisplayName", "principalId",
         "principalType", "resourceDisplayName", "resourceId")


class AppRoleAssignments(EntitySet):
    """App role assignments in ``graph_assignments`` (id, principal, resource, and the unique triple
    ``principal|resource|role``)."""

    def __init__(self, directory) -> None:
        super().__init__(directory)
        self.table = self.store.table("graph_assignments", [
            Index("id", unique=True),
            Index("principal", key=lambda d: d["principalId"]),
            Index("resource", key=lambda d: d["resourceId"]),
            Index("triple", unique=True, key=lambda d: f"{d['principalId']}|{d['resourceId']}|{d['appRoleId']}"),
        ])

    def for_resource(self, sp_id: str) -> list[dict]:
        return [self.view(a) for a in self.table.find_all("resource", sp_id)]

    def for_principal(self, principal_id: str, resource_id: str | None = None) -> list[dict]:
        return [self.view(a) for a in self.table.find_all("principal", principal_id)
                if resource_id is None or a["resourceId"] == resource_id]

    def get(self, assignment_id: str) -> dict | None:
        doc = self.table.find("id", assignment_id)
        return self.view(doc) if doc is not None else None

    def view(self, doc: Mapping) -> dict:
        """The appRoleAssignment a client sees."""
        return {k: doc.get(k) for k in _VIEW}

    def create(self, resource_id: str, principal_id: Any, app_role_id: Any, *, body_resource_id: Any = None,
               object_id: str | None = None) -> dict:
        """``POST /servicePrincipals/{id}/appRoleAssignedTo``."""
        with self.store.transaction():
            sp = self.directory.service_principals.require(resource_id)
            if body_resource_id is not None and str(body_resource_id).lower() != sp["id"].lower():
                raise BadRequest("The resourceId in the request body does not match the service principal in the URL.")
            for name, value in (("principalId", principal_id), ("appRoleId", app_role_id)):
                if not is_guid(value):
                    raise BadRequest(f"Invalid value specified for property '{name}' of resource 'AppRoleAssignment'.")
            found = self.directory.get_object(principal_id)
            if found is None or found[0] == "application":
                raise ResourceNotFound.for_id(principal_id)
            kind, principal = found
            roles = {r["id"].lower(): r for r in sp.get("appRoles") or []}
            if app_role_id.lower() not in roles and not (app_role_id == DEFAULT_ACCESS_ROLE and not roles):
                raise BadRequest(f"Permission being assigned was not found on application '{sp['appId']}'.")
            principal_type = {"user": "User", "group": "Group", "servicePrincipal": "ServicePrincipal"}[kind]
            doc = {"id": object_id or self.directory.ids.token(32), "deletedDateTime": None,
                   "appRoleId": app_role_id.lower(),
                   "createdDateTime": self.now(), "principalDisplayName": principal.get("displayName"),
                   "principalId": principal["id"], "principalType": principal_type,
                   "resourceDisplayName": sp.get("displayName"), "resourceId": sp["id"]}
            try:
                self.table.add(doc)
            except UniqueConstraintError as err:
                raise BadRequest("Permission being assigned already exists on the object") from err
            self.emit("assignment", doc["id"], "assigned", principal=principal["id"], principalType=principal_type,
                      resource=sp["id"], appRoleId=doc["appRoleId"])
            return self.view(doc)

    def delete(self, assignment_id: str, *, resource_id: str | None = None, principal_id: str | None = None) -> None:
        with self.store.transaction():
            doc = self.table.find("id", assignment_id)
            if doc is None or (resource_id and doc["resourceId"] != resource_id) or (
                    principal_id and doc["principalId"] != principal_id):
                raise ResourceNotFound.for_id(assignment_id)
            self.drop(doc)

    def drop(self, doc) -> dict:
        """Remove a stored assignment (inside the caller's transaction); returns what it was."""
        view = self.view(doc)
        self.table.delete(doc.doc_id)
        self.emit("assignment", doc["id"], "unassigned", principal=doc["principalId"],
                  principalType=doc["principalType"], resource=doc["resourceId"], appRoleId=doc["appRoleId"])
        return view


    def drop_all(self, index: str, object_id: str) -> list[dict]:
        """Drop every assignment of a principal (``index="principal"``) or to a resource (``"resource"``)."""
        return [self.drop(a) for a in self.table.find_all(index, object_id)]
