"""appRoleAssignment collections, seen from the resource (``/servicePrincipals/{id}/appRoleAssignedTo``)
or from the principal (``/users/{id}/appRoleAssignments``, ``/groups/{id}/appRoleAssignments``)."""

from __future__ import annotations

from flask import Response, request

from ..errors import BadRequest
from ..query import parse_select
from ..schema import APP_ROLE_ASSIGNMENT
from .base import context_url, directory, json_body, odata_response, shape

__all__ = ["assignment_list", "assignment_create", "assignment_delete"]


def assignment_list(*, principal: str | None = None, resource: str | None = None) -> Response:
    d = directory()
    select = parse_select(request.args.get("$select"), APP_ROLE_ASSIGNMENT)
    items = d.assignments.for_resource(resource) if resource else d.assignments.for_principal(principal or "")
    where = f"servicePrincipals('{resource}')/appRoleAssignedTo" if resource else f"users('{principal}')/appRoleAssignments"
    return odata_response({"@odata.context": context_url(where), "value": [shape(APP_ROLE_ASSIGNMENT, a, select) for a in items]})


def assignment_create(*, principal: str | None = None, resource: str | None = None) -> Response:
    body = json_body()
    principal_id = body.get("principalId")
    if principal is not None:
        if principal_id is not None and str(principal_id).lower() != principal.lower():
            raise BadRequest("The principalId in the request body does not match the principal in the URL.")
        principal_id = principal
    resource_id = resource or body.get("resourceId")
    if not isinstance(resource_id, str):
        raise BadRequest("Invalid value specified for property 'resourceId' of resource 'AppRoleAssignment'.")
    app_role_id = body.get("appRoleId")
    if app_role_id is None:
        app_role_id = "00000000-0000-0000-0000-000000000000"
    assignment = directory().assignments.create(resource_id, principal_id, app_role_id,
                                                body_resource_id=body.get("resourceId") if resource else None)
    where = (f"servicePrincipals('{resource}')/appRoleAssignedTo/$entity" if resource
             else f"users('{principal}')/appRoleAssignments/$entity")
    return odata_response({"@odata.context": context_url(where), **shape(APP_ROLE_ASSIGNMENT, assignment)}, 201)


def assignment_delete(assignment_id: str, *, principal: str | None = None, resource: str | None = None) -> Response:
    directory().assignments.delete(assignment_id, resource_id=resource, principal_id=principal)
    return Response(status=204)
