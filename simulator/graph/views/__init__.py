"""The Graph v1.0 views, one module per resource; :func:`build_blueprint` composes them.

    users.py               /users, manager, memberOf, directReports, appRoleAssignments
    groups.py              /groups, members
    delta.py               /users/delta, /groups/delta
    service_principals.py  /servicePrincipals, appRoleAssignedTo
    synchronization.py     /servicePrincipals/{id}/synchronization/..., /auditLogs/provisioning (the engine)
    expressions.py         .../synchronization/jobs|templates/{id}/schema/parseExpression (Test expression)
    applications.py        /applications, /applicationTemplates
    deleted_items.py       /directory/deletedItems, /directoryObjects, /organization
    batch.py               /$batch
    base.py                blueprint factory, auth, errors, shaping, paging (the extension point)
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from ..errors import BadRequest, GraphError
from . import (
    applications,
    batch,
    deleted_items,
    delta,
    expressions,
    groups,
    service_principals,
    synchronization,
    users,
)
from .base import graph_blueprint, requires

__all__ = ["build_blueprint", "graph_blueprint", "requires"]


def _unknown(rest: str = ""):
    """No route matched: 405 if the path exists for another method, else Graph's segment error."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        if method == request.method:
            continue
        try:
            endpoint, _ = adapter.match(method=method)
        except (NotFound, MethodNotAllowed):
            continue
        if endpoint != "graph.unknown":
            raise GraphError("Specified HTTP method is not allowed for the request target.", status=405,
                             code="Request_BadRequest")
    segment = [s for s in rest.split("/") if s][0] if rest.strip("/") else ""
    raise BadRequest(f"Resource not found for the segment '{segment}'.", code="BadRequest")


def build_blueprint(name: str = "graph") -> Blueprint:
    bp = graph_blueprint(name)
    for module in (users, groups, delta, service_principals, synchronization, expressions, applications, deleted_items,
                   batch):
        module.register(bp)
    bp.add_url_rule("/", "unknown", _unknown, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    bp.add_url_rule("/<path:rest>", "unknown", _unknown, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    return bp
