"""``/applications`` (app registrations) and ``/applicationTemplates`` (the gallery).

``POST /applicationTemplates/{id}/instantiate`` is how the tutorial adds
"PureCloud by Genesys" from the gallery (step 3): it creates the application
and its service principal, both carrying the gallery app's appRoles and the
template's id in ``applicationTemplateId``, and answers 201 with the
``applicationServicePrincipal`` pair.  The service principal is an ordinary
directory object: the synchronization API finds it through
``Directory.get_service_principal`` and creates its job from the ``purecloud``
template, exactly as for the fixture-seeded app.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from flask import Blueprint, Response, request

from ..directory import TEMPLATE_IDS
from ..errors import BadRequest, ResourceNotFound
from ..query import parse_filter, parse_options, parse_select, parse_top
from ..schema import APPLICATION, SERVICE_PRINCIPAL, EntityType
from .base import context_url, directory, eventual, json_body, list_response, odata_response, requires, shape
from .common import by_id_or_app_id

__all__ = ["register", "TEMPLATES", "APPLICATION_TEMPLATE", "GALLERY_APP_ROLES"]

#: The PureCloud by Genesys gallery app's appRoles (the same as fixtures/tenants/contoso.yaml's
#: purecloud application): Default Access, User, msiam_access, Supervisor.
GALLERY_APP_ROLES = [
    {"allowedMemberTypes": ["User"], "description": "Default access (no role)", "displayName": "Default Access",
     "id": "00000000-0000-0000-0000-000000000000", "isEnabled": True, "origin": "Application", "value": None},
    {"allowedMemberTypes": ["User"], "description": "Genesys Cloud user", "displayName": "User",
     "id": "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b", "isEnabled": True, "origin": "Application", "value": "User"},
    {"allowedMemberTypes": ["User"], "description": "msiam_access", "displayName": "msiam_access",
     "id": "6f5e4d3c-2b1a-4098-a7b6-c5d4e3f2a1b0", "isEnabled": True, "origin": "Application", "value": None},
    {"allowedMemberTypes": ["User"], "description": "Genesys Cloud supervisor", "displayName": "Supervisor",
     "id": "8a7b6c5d-4e3f-4a1b-9c0d-e1f2a3b4c5d6", "isEnabled": True, "origin": "Application",
     "value": "Supervisor"},
]

#: The gallery entries the fake offers.
TEMPLATES = [{
    "id": TEMPLATE_IDS["purecloud-by-genesys"],
    "displayName": "PureCloud by Genesys",
    "homePageUrl": "https://www.genesys.com",
    "supportedSingleSignOnModes": ["saml", "notSupported"],
    "supportedProvisioningTypes": ["sync"],
    "logoUrl": None,
    "categories": ["collaboration", "productivity"],
    "publisher": "Genesys",
    "description": "Genesys Cloud (formerly PureCloud) contact center: SAML single sign-on and SCIM user provisioning.",
    "appRoles": GALLERY_APP_ROLES,
}]
_TEMPLATE_FIELDS = ("id", "displayName", "homePageUrl", "supportedSingleSignOnModes", "supportedProvisioningTypes",
                    "logoUrl", "categories", "publisher", "description")


@dataclass(frozen=True)
class _TemplateType(EntityType):
    """``microsoft.graph.applicationTemplate`` (not a directory object: read-only, served from a list)."""

    def canonical(self, prop: str) -> str | None:
        return next((p for p in self.properties if p.lower() == prop.lower()), None)


APPLICATION_TEMPLATE = _TemplateType(
    resource="ApplicationTemplate",
    properties={"id": "string", "displayName": "string", "homePageUrl": "string",
                "supportedSingleSignOnModes": "string[]", "supportedProvisioningTypes": "string[]",
                "logoUrl": "string", "categories": "string[]", "publisher": "string", "description": "string"},
    writable=frozenset(), defaults=_TEMPLATE_FIELDS,
    filterable=frozenset({"id", "displayName", "categories", "publisher", "supportedProvisioningTypes",
                          "supportedSingleSignOnModes"}),
)


def list_applications() -> Response:
    opts = parse_options(request.args, APPLICATION, eventual=eventual())
    return list_response(directory().applications.table, APPLICATION, opts, context="applications", index_props=("id", "appId"))


def create_application() -> Response:
    app = directory().applications.create(json_body())
    return odata_response({"@odata.context": context_url("applications/$entity"), **shape(APPLICATION, app)}, 201)


def _application(app_object_id: str | None, app_id: str | None) -> dict:
    d = directory()
    doc = d.applications.table.find("appId", app_id) if app_id else (d.applications.get(app_object_id or ""))
    if doc is None:
        raise ResourceNotFound.for_id(app_id or app_object_id or "")
    return dict(doc)


def get_application(app_object_id: str | None = None, app_id: str | None = None) -> Response:
    app = _application(app_object_id, app_id)
    opts = parse_options(request.args, APPLICATION, eventual=eventual(), allow=("$select",))
    return odata_response({"@odata.context": context_url("applications/$entity"), **shape(APPLICATION, app, opts.select)})


def delete_application(app_object_id: str | None = None, app_id: str | None = None) -> Response:
    directory().applications.delete(_application(app_object_id, app_id)["id"])
    return Response(status=204)


def list_templates() -> Response:
    """``GET /applicationTemplates`` with ``$filter`` (``displayName eq 'PureCloud by Genesys'``), ``$select``, ``$top``."""
    raw_filter = request.args.get("$filter")
    matches = parse_filter(raw_filter, APPLICATION_TEMPLATE).matches if raw_filter is not None else None
    select = parse_select(request.args.get("$select"), APPLICATION_TEMPLATE)
    top = parse_top(request.args.get("$top"))
    items = [t for t in TEMPLATES if matches is None or matches(t)][:top]
    return odata_response({"@odata.context": context_url("applicationTemplates"),
                           "value": [shape(APPLICATION_TEMPLATE, t, select) for t in items]})


def _template(template_id: str) -> dict:
    for t in TEMPLATES:
        if t["id"] == template_id.lower():
            return t
    raise ResourceNotFound.for_id(template_id)


def get_template(template_id: str) -> Response:
    t = _template(template_id)
    select = parse_select(request.args.get("$select"), APPLICATION_TEMPLATE)
    return odata_response({"@odata.context": context_url("applicationTemplates/$entity"),
                           **shape(APPLICATION_TEMPLATE, t, select)})


def instantiate(template_id: str) -> Response:
    """``POST /applicationTemplates/{id}/instantiate {"displayName": ...}`` -> 201 applicationServicePrincipal."""
    t = _template(template_id)
    body = json_body()
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("Invalid value specified for property 'displayName' of resource 'ApplicationTemplate'.")
    d = directory()
    with d.store.transaction():
        app = d.applications.create({"displayName": name, "appRoles": copy.deepcopy(t["appRoles"])},
                                    extra={"applicationTemplateId": t["id"]}, validate=False)
        sp = d.service_principals.create({"appId": app["appId"]})
    return odata_response({
        "@odata.context": context_url("microsoft.graph.applicationServicePrincipal"),
        "application": shape(APPLICATION, app), "servicePrincipal": shape(SERVICE_PRINCIPAL, sp)}, 201)


def register(bp: Blueprint) -> None:
    read, write = requires("application"), requires("application", write=True)
    bp.add_url_rule("/applications", "list_applications", read(list_applications), methods=["GET"])
    bp.add_url_rule("/applications", "create_application", write(create_application), methods=["POST"])
    for prefix, suffix in by_id_or_app_id("applications", "app_object_id"):
        bp.add_url_rule(prefix, "get_application" + suffix, read(get_application), methods=["GET"])
        bp.add_url_rule(prefix, "delete_application" + suffix, write(delete_application), methods=["DELETE"])
    bp.add_url_rule("/applicationTemplates", "list_templates", read(list_templates), methods=["GET"])
    bp.add_url_rule("/applicationTemplates/<template_id>", "get_template", read(get_template), methods=["GET"])
    bp.add_url_rule("/applicationTemplates/<template_id>/instantiate", "instantiate", write(instantiate),
                    methods=["POST"])
