"""``/applications`` and ``/servicePrincipals``: app registrations and their enterprise apps."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from simulator.core import Index

from ..errors import BadRequest, ResourceNotFound
from ..schema import APPLICATION, SERVICE_PRINCIPAL
from .base import EntitySet, writable_props

__all__ = ["Applications", "ServicePrincipals"]


class Applications(EntitySet):
    """App registrations in ``graph_applications`` (id, appId)."""

    def __init__(self, directory) -> None:
        super().__init__(directory)
        self.table = self.store.table("graph_applications", [
            Index("id", unique=True, normalize=str.lower),
            Index("appId", unique=True, normalize=str.lower),
        ])

    def create(self, body: Mapping, *, object_id: str | None = None, app_id: str | None = None,
               extra: Mapping | None = None, validate: bool = True) -> dict:
        props = writable_props(APPLICATION, body) if validate else dict(body)
        if validate and not props.get("displayName"):
            raise BadRequest("Invalid value specified for property 'displayName' of resource 'Application'.")
        ids = self.directory.ids
        doc = {"id": object_id or ids.guid(), "appId": app_id or ids.guid(), "createdDateTime": self.now(),
               "appRoles": [], "identifierUris": [], "signInAudience": "AzureADMyOrg", "tags": [], **props,
               **(extra or {})}
        with self.store.transaction():
            self.table.add(doc)
            self.emit("application", doc["id"], "created")
        return dict(doc)

    def delete(self, key: str) -> None:
        """Soft-deletes the application; its service principal goes with it (for good)."""
        with self.store.transaction():
            app = self.get(key)
            if app is None:
                raise ResourceNotFound.for_id(key)
            sp = self.directory.service_principals.table.find("appId", app["appId"])
            if sp is not None:
                self.directory.service_principals.delete(sp["id"])
            self.table.delete(self.find(app["id"]).doc_id)
            now = self.now()
            self.directory.deleted_items.table.add({"id": app["id"], "kind": "application", "deletedDateTime": now,
                                                    "object": {**app, "deletedDateTime": now}})
            self.emit("application", app["id"], "deleted")
        self.directory.deleted_items.schedule_purge(app["id"], now)



class ServicePrincipals(EntitySet):
    """Enterprise apps in ``graph_service_principals`` (id, appId, displayName)."""

    def __init__(self, directory) -> None:
        super().__init__(directory)
        self.table = self.store.table("graph_service_principals", [
            Index("id", unique=True, normalize=str.lower),
            Index("appId", unique=True, normalize=str.lower),
            Index("displayName", normalize=str.casefold),
        ])

    def by_app_id(self, app_id: str) -> dict | None:
        doc = self.table.find("appId", app_id)
        return dict(doc) if doc is not None else None

    def create(self, body: Mapping, *, object_id: str | None = None, extra: Mapping | None = None) -> dict:
        """``POST /servicePrincipals {"appId": ...}``: the enterprise app of an application."""
        props = writable_props(SERVICE_PRINCIPAL, body)
        app_id = props.get("appId")
        app = self.directory.applications.table.find("appId", app_id) if isinstance(app_id, str) else None
        if app is None:
            raise BadRequest(f"The appId '{app_id}' of the service principal does not reference a valid application object.")
        if self.table.find("appId", app_id) is not None:
            raise BadRequest("The service principal cannot be created, updated, or restored because the service "
                             "principal name " f"{app_id} is already in use.")
        doc = {"id": object_id or self.directory.ids.guid(), "accountEnabled": True, "appDisplayName": app["displayName"],
               "appId": app["appId"], "applicationTemplateId": app.get("applicationTemplateId"),
               "appOwnerOrganizationId": self.directory.tenant_id, "appRoleAssignmentRequired": True,
               "appRoles": copy.deepcopy(app.get("appRoles") or []), "displayName": app["displayName"],
               "notificationEmailAddresses": [], "preferredSingleSignOnMode": None,
               "servicePrincipalNames": [app["appId"]], "servicePrincipalType": "Application",
               "tags": ["WindowsAzureActiveDirectoryIntegratedApp"], **{k: v for k, v in props.items() if k != "appId"},
               **(extra or {})}
        with self.store.transaction():
            self.table.add(doc)
            self.emit("servicePrincipal", doc["id"], "created")
        return dict(doc)

    def update(self, key: str, body: Mapping) -> dict:
        props = writable_props(SERVICE_PRINCIPAL, body)
        props.pop("appId", None)
        with self.store.transaction():
            self.require(key)
            doc = self.find(key)
            self.table.patch(doc.doc_id, props)
            self.emit("servicePrincipal", doc["id"], "updated", props=sorted(props))
            return self.stored(doc["id"])

    def delete(self, key: str) -> None:
        with self.store.transaction():
            sp = self.require(key)
            self.directory.assignments.drop_all("resource", sp["id"])
            self.table.delete(self.find(sp["id"]).doc_id)
            self.emit("servicePrincipal", sp["id"], "purged")

