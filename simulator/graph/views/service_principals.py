"""``/servicePrincipals``: enterprise apps, their appRoles and ``appRoleAssignedTo``.

The synchronization API (jobs, schema, secrets, provisionOnDemand) belongs to
the provisioning engine's issue: it adds its routes with
:func:`simulator.graph.views.base.graph_blueprint` under
``/servicePrincipals/<sp_id>/synchronization``, or by extending :func:`register`
here; :func:`resolve_service_principal` accepts both ``{id}`` and
``(appId='…')`` addressing.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..errors import ResourceNotFound
from ..query import parse_options
from ..schema import SERVICE_PRINCIPAL
from .assignments import assignment_create, assignment_delete, assignment_list
from .base import context_url, directory, eventual, json_body, list_response, odata_response, requires, shape
from .common import by_id_or_app_id

__all__ = ["register", "resolve_service_principal"]


def resolve_service_principal(sp_id: str | None = None, app_id: str | None = None) -> dict:
    d = directory()
    if app_id is not None:
        sp = d.service_principals.by_app_id(app_id)
        if sp is None:
            raise ResourceNotFound.for_id(app_id)
        return sp
    return d.service_principals.require(sp_id or "")


def list_service_principals() -> Response:
    opts = parse_options(request.args, SERVICE_PRINCIPAL, eventual=eventual())
    return list_response(directory().service_principals.table, SERVICE_PRINCIPAL, opts, context="servicePrincipals",
                         index_props=("id", "appId", "displayName"))


def create_service_principal() -> Response:
    sp = directory().service_principals.create(json_body())
    return odata_response({"@odata.context": context_url("servicePrincipals/$entity"), **shape(SERVICE_PRINCIPAL, sp)}, 201)


def get_service_principal(sp_id: str | None = None, app_id: str | None = None) -> Response:
    sp = resolve_service_principal(sp_id, app_id)
    opts = parse_options(request.args, SERVICE_PRINCIPAL, eventual=eventual(), allow=("$select",))
    return odata_response({"@odata.context": context_url("servicePrincipals/$entity"),
                           **shape(SERVICE_PRINCIPAL, sp, opts.select)})


def update_service_principal(sp_id: str | None = None, app_id: str | None = None) -> Response:
    sp = resolve_service_principal(sp_id, app_id)
    directory().service_principals.update(sp["id"], json_body())
    return Response(status=204)


def delete_service_principal(sp_id: str | None = None, app_id: str | None = None) -> Response:
    sp = resolve_service_principal(sp_id, app_id)
    directory().service_principals.delete(sp["id"])
    return Response(status=204)


def assigned_to(sp_id: str | None = None, app_id: str | None = None) -> Response:
    return assignment_list(resource=resolve_service_principal(sp_id, app_id)["id"])


def assign(sp_id: str | None = None, app_id: str | None = None) -> Response:
    return assignment_create(resource=resolve_service_principal(sp_id, app_id)["id"])


def unassign(assignment_id: str, sp_id: str | None = None, app_id: str | None = None) -> Response:
    return assignment_delete(assignment_id, resource=resolve_service_principal(sp_id, app_id)["id"])


def register(bp: Blueprint) -> None:
    read, write = requires("application"), requires("application", write=True)
    assign_read, assign_write = requires("appRoleAssignment"), requires("appRoleAssignment", write=True)
    bp.add_url_rule("/servicePrincipals", "list_service_principals", read(list_service_principals), methods=["GET"])
    bp.add_url_rule("/servicePrincipals", "create_service_principal", write(create_service_principal), methods=["POST"])
    for prefix, suffix in by_id_or_app_id("servicePrincipals", "sp_id"):
        bp.add_url_rule(prefix, "get_service_principal" + suffix, read(get_service_principal), methods=["GET"])
        bp.add_url_rule(prefix, "update_service_principal" + suffix, write(update_service_principal), methods=["PATCH"])
        bp.add_url_rule(prefix, "delete_service_principal" + suffix, write(delete_service_principal), methods=["DELETE"])
        bp.add_url_rule(prefix + "/appRoleAssignedTo", "assigned_to" + suffix, assign_read(assigned_to), methods=["GET"])
        bp.add_url_rule(prefix + "/appRoleAssignedTo", "assign" + suffix, assign_write(assign), methods=["POST"])
        bp.add_url_rule(prefix + "/appRoleAssignedTo/<assignment_id>", "unassign" + suffix, assign_write(unassign),
                        methods=["DELETE"])
