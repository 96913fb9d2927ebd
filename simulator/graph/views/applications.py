"""``/applications`` (app registrations) and ``/applicationTemplates`` (the gallery).

``POST /applicationTemplates/{id}/instantiate`` is how the tutorial adds
"PureCloud by Genesys" from the gallery: it creates the application and its
service principal with the template's appRoles.
"""

from __future__ import annotations

import copy

from flask import Blueprint, Response, request

from ..directory import DEFAULT_ACCESS_ROLE, _TEMPLATE_IDS
from ..errors import ResourceNotFound
from ..query import parse_options
from ..schema import APPLICATION, SERVICE_PRINCIPAL
from .base import context_url, directory, eventual, json_body, list_response, odata_response, requires, shape

__all__ = ["register", "TEMPLATES"]

#: The gallery entries the fake offers (appRoles as the PureCloud gallery app declares them).
TEMPLATES = [{
    "id": _TEMPLATE_IDS["purecloud-by-genesys"],
    "displayName": "PureCloud by Genesys",
    "homePageUrl": "https://www.genesys.com",
    "supportedSingleSignOnModes": ["saml", "notSupported"],
    "supportedProvisioningTypes": ["sync"],
    "logoUrl": None,
    "categories": ["collaboration", "productivity"],
    "publisher": "Genesys",
    "description": "Genesys Cloud (formerly PureCloud) contact center: SAML single sign-on and SCIM user provisioning.",
    "appRoles": [
        {"allowedMemberTypes": ["User"], "description": "msiam_access", "displayName": "msiam_access",
         "id": "6f5e4d3c-2b1a-4098-a7b6-c5d4e3f2a1b0", "isEnabled": True, "origin": "Application", "value": None},
        {"allowedMemberTypes": ["User"], "description": "Genesys Cloud user", "displayName": "User",
         "id": "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b", "isEnabled": True, "origin": "Application", "value": "User"},
    ],
}]
_TEMPLATE_FIELDS = ("id", "displayName", "homePageUrl", "supportedSingleSignOnModes", "supportedProvisioningTypes",
                    "logoUrl", "categories", "publisher", "description")


def list_applications() -> Response:
    opts = parse_options(request.args, APPLICATION, eventual=eventual())
    return list_response(directory().apps, APPLICATION, opts, context="applications", index_props=("id", "appId"))


def create_application() -> Response:
    app = directory().create_application(json_body())
    return odata_response({"@odata.context": context_url("applications/$entity"), **shape(APPLICATION, app)}, 201)


def _application(app_object_id: str | None, app_id: str | None) -> dict:
    d = directory()
    doc = d.apps.find("appId", app_id) if app_id else (d.get_application(app_object_id or ""))
    if doc is None:
        raise ResourceNotFound.for_id(app_id or app_object_id or "")
    return dict(doc)


def get_application(app_object_id: str | None = None, app_id: str | None = None) -> Response:
    app = _application(app_object_id, app_id)
    opts = parse_options(request.args, APPLICATION, eventual=eventual(), allow=("$select",))
    return odata_response({"@odata.context": context_url("applications/$entity"), **shape(APPLICATION, app, opts.select)})


def delete_application(app_object_id: str | None = None, app_id: str | None = None) -> Response:
    directory().delete_application(_application(app_object_id, app_id)["id"])
    return Response(status=204)


def list_templates() -> Response:
    wanted = request.args.get("$filter", "")
    items = [{k: t[k] for k in _TEMPLATE_FIELDS} for t in TEMPLATES]
    if "displayName eq" in wanted:
        name = wanted.split("eq", 1)[1].strip().strip("'")
        items = [t for t in items if t["displayName"].casefold() == name.casefold()]
    return odata_response({"@odata.context": context_url("applicationTemplates"), "value": items})


def _template(template_id: str) -> dict:
    for t in TEMPLATES:
        if t["id"] == template_id.lower():
            return t
    raise ResourceNotFound.for_id(template_id)


def get_template(template_id: str) -> Response:
    t = _template(template_id)
    return odata_response({"@odata.context": context_url("applicationTemplates/$entity"), **{k: t[k] for k in _TEMPLATE_FIELDS}})


def instantiate(template_id: str) -> Response:
    t = _template(template_id)
    body = json_body()
    d = directory()
    roles = copy.deepcopy(t["appRoles"])
    app = d.create_application({"displayName": body.get("displayName") or t["displayName"], "appRoles": roles},
                               extra={"applicationTemplateId": t["id"]}, validate=False)
    sp = d.create_service_principal({"appId": app["appId"]})
    # The gallery app's service principal also offers default access (reference §1.6).
    sp_roles = roles + [{"allowedMemberTypes": ["User"], "description": "Default access", "displayName": "Default Access",
                         "id": DEFAULT_ACCESS_ROLE, "isEnabled": True, "origin": "Application", "value": None}]
    sp = d.update_service_principal(sp["id"], {"appRoles": sp_roles})
    return odata_response({
        "@odata.context": context_url("microsoft.graph.applicationServicePrincipal"),
        "application": shape(APPLICATION, app), "servicePrincipal": shape(SERVICE_PRINCIPAL, sp)}, 201)


def register(bp: Blueprint) -> None:
    read, write = requires("application"), requires("application", write=True)
    bp.add_url_rule("/applications", "list_applications", read(list_applications), methods=["GET"])
    bp.add_url_rule("/applications", "create_application", write(create_application), methods=["POST"])
    for prefix, suffix in (("/applications/<app_object_id>", ""), ("/applications(appId='<app_id>')", "_by_app_id")):
        bp.add_url_rule(prefix, "get_application" + suffix, read(get_application), methods=["GET"])
        bp.add_url_rule(prefix, "delete_application" + suffix, write(delete_application), methods=["DELETE"])
    bp.add_url_rule("/applicationTemplates", "list_templates", read(list_templates), methods=["GET"])
    bp.add_url_rule("/applicationTemplates/<template_id>", "get_template", read(get_template), methods=["GET"])
    bp.add_url_rule("/applicationTemplates/<template_id>/instantiate", "instantiate", write(instantiate),
                    methods=["POST"])
