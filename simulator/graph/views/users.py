"""``/users``: CRUD, manager, memberOf, directReports, appRoleAssignments, $count.

Graph returns a small default property set for users; the rest (department,
employeeId, accountEnabled, ...) only with ``$select`` (docs/fidelity.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Blueprint, Response, request

from ..errors import BadRequest, ResourceNotFound
from ..query import parse_options, parse_select
from ..schema import GROUP, USER, EntityType
from .assignments import assignment_create, assignment_delete, assignment_list
from .base import context_url, directory, eventual, json_body, list_response, odata_response, requires, shape
from .common import count_response

__all__ = ["register", "render_user"]

_INDEXED = ("id", "userPrincipalName", "displayName", "mailNickname")


def render_user(doc, select=None, expand=(), *, odata_type: bool = False) -> dict:
    out = shape(USER, doc, select, odata_type=odata_type)
    if "manager" in expand:
        manager = directory().users.get(doc["_manager"]) if doc.get("_manager") else None
        out["manager"] = shape(USER, manager, odata_type=True) if manager else None
    return out


def list_users() -> Response:
    opts = parse_options(request.args, USER, eventual=eventual(), expandable=("manager",))
    context = "users" if not opts.select else f"users({','.join(opts.select)})"
    d = directory()
    return list_response(d.users.table, USER, opts, context=context, index_props=_INDEXED,
                         render=lambda doc: render_user(doc, opts.select, opts.expand))


def create_user() -> Response:
    user = directory().users.create(json_body())
    body = {"@odata.context": context_url("users/$entity"), **shape(USER, user)}
    return odata_response(body, 201, {"Location": f"{request.host_url.rstrip('/')}/v1.0/users/{user['id']}"})


def get_user(user_id: str) -> Response:
    d = directory()
    doc = d.users.get(user_id)
    if doc is None:
        raise ResourceNotFound.for_id(user_id)
    opts = parse_options(request.args, USER, eventual=eventual(), expandable=("manager",), allow=("$select", "$expand"))
    body = {"@odata.context": context_url("users/$entity"), **render_user(doc, opts.select, opts.expand)}
    return odata_response(body)


def update_user(user_id: str) -> Response:
    directory().users.update(user_id, json_body())
    return Response(status=204)


def delete_user(user_id: str) -> Response:
    directory().users.delete(user_id)
    return Response(status=204)


def get_manager(user_id: str) -> Response:
    manager = directory().users.manager_of(user_id)
    if manager is None:
        raise ResourceNotFound("Resource 'manager' does not exist or one of its queried reference-property objects are not present.")
    select = parse_select(request.args.get("$select"), USER)
    return odata_response({"@odata.context": context_url("directoryObjects/$entity"),
                           **shape(USER, manager, select, odata_type=True)})


def set_manager(user_id: str) -> Response:
    body = json_body()
    if "@odata.id" not in body:
        raise BadRequest("Invalid request: the body needs '@odata.id' naming the manager.")
    directory().users.set_manager(user_id, body["@odata.id"])
    return Response(status=204)


def remove_manager(user_id: str) -> Response:
    directory().users.remove_manager(user_id)
    return Response(status=204)


def _directory_objects(etype: EntityType, docs: Iterable[Mapping]) -> Response:
    """A directoryObject collection of one entity type: ``$select`` applies, each item has ``@odata.type``."""
    select = parse_select(request.args.get("$select"), etype)
    return odata_response({"@odata.context": context_url("directoryObjects"),
                           "value": [shape(etype, doc, select, odata_type=True) for doc in docs]})


def direct_reports(user_id: str) -> Response:
    d = directory()
    user = d.users.require(user_id)
    return _directory_objects(USER, d.users.direct_reports(user["id"]))


def member_of(user_id: str) -> Response:
    d = directory()
    user = d.users.require(user_id)
    return _directory_objects(GROUP, d.groups.member_of(user["id"]))


def user_count() -> Response:
    return count_response(len(directory().users))


def register(bp: Blueprint) -> None:
    read, write = requires("user"), requires("user", write=True)
    bp.add_url_rule("/users", "list_users", read(list_users), methods=["GET"])
    bp.add_url_rule("/users", "create_user", write(create_user), methods=["POST"])
    bp.add_url_rule("/users/$count", "user_count", read(user_count), methods=["GET"])
    bp.add_url_rule("/users/<user_id>", "get_user", read(get_user), methods=["GET"])
    bp.add_url_rule("/users/<user_id>", "update_user", write(update_user), methods=["PATCH"])
    bp.add_url_rule("/users/<user_id>", "delete_user", write(delete_user), methods=["DELETE"])
    bp.add_url_rule("/users/<user_id>/manager", "get_manager", read(get_manager), methods=["GET"])
    bp.add_url_rule("/users/<user_id>/manager/$ref", "set_manager", write(set_manager), methods=["PUT"])
    bp.add_url_rule("/users/<user_id>/manager/$ref", "remove_manager", write(remove_manager), methods=["DELETE"])
    bp.add_url_rule("/users/<user_id>/directReports", "direct_reports", read(direct_reports), methods=["GET"])
    bp.add_url_rule("/users/<user_id>/memberOf", "user_member_of", read(member_of), methods=["GET"])
    bp.add_url_rule("/users/<user_id>/appRoleAssignments", "user_assignments",
                    read(lambda user_id: assignment_list(principal=directory().users.require(user_id)["id"])),
                    methods=["GET"])
    bp.add_url_rule("/users/<user_id>/appRoleAssignments", "user_assign",
                    requires("appRoleAssignment", write=True)(
                        lambda user_id: assignment_create(principal=directory().users.require(user_id)["id"])),
                    methods=["POST"])
    bp.add_url_rule("/users/<user_id>/appRoleAssignments/<assignment_id>", "user_unassign",
                    requires("appRoleAssignment", write=True)(
                        lambda user_id, assignment_id: assignment_delete(
                            assignment_id, principal=directory().users.require(user_id)["id"])),
                    methods=["DELETE"])

