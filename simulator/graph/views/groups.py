"""``/groups``: CRUD, members (list, add via ``$ref``, both remove forms), memberOf, appRoleAssignments."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..errors import BadRequest
from ..query import QueryOptions, parse_options
from ..schema import GROUP
from .assignments import assignment_create, assignment_delete, assignment_list
from .base import context_url, directory, eventual, json_body, list_response, odata_response, requires, shape
from .common import count_response, directory_object

__all__ = ["register"]

_INDEXED = ("id", "displayName", "mailNickname")


def list_groups() -> Response:
    opts = parse_options(request.args, GROUP, eventual=eventual(), expandable=("members",))
    context = "groups" if not opts.select else f"groups({','.join(opts.select)})"
    d = directory()

    def render(doc):
        out = shape(GROUP, doc, opts.select)
        if "members" in opts.expand:
            out["members"] = [directory_object(kind, m) for kind, m in d.groups.list_members(doc["id"])]
        return out
    return list_response(d.groups.table, GROUP, opts, context=context, index_props=_INDEXED, render=render)


def create_group() -> Response:
    group = directory().groups.create(json_body())
    return odata_response({"@odata.context": context_url("groups/$entity"), **shape(GROUP, group)}, 201,
                          {"Location": f"{request.host_url.rstrip('/')}/v1.0/groups/{group['id']}"})


def get_group(group_id: str) -> Response:
    group = directory().groups.require(group_id)
    opts = parse_options(request.args, GROUP, eventual=eventual(), expandable=("members",), allow=("$select", "$expand"))
    body = {"@odata.context": context_url("groups/$entity"), **shape(GROUP, group, opts.select)}
    if "members" in opts.expand:
        body["members"] = [directory_object(kind, m) for kind, m in directory().groups.list_members(group["id"])]
    return odata_response(body)


def update_group(group_id: str) -> Response:
    directory().groups.update(group_id, json_body())
    return Response(status=204)


def delete_group(group_id: str) -> Response:
    directory().groups.delete(group_id)
    return Response(status=204)


def list_members(group_id: str) -> Response:
    d = directory()
    group = d.groups.require(group_id)
    args = {k: v for k, v in request.args.items() if k.lower() != "$select"}  # members are polymorphic
    opts = parse_options(args, GROUP, eventual=eventual(), allow=("$top", "$skiptoken", "$count"))
    select_raw = request.args.get("$select")
    select = [s.strip() for s in select_raw.split(",") if s.strip()] if select_raw else None
    links = d.groups.members.find_all("group", group["id"])
    candidates = [link.doc_id for link in links]

    def render(link):
        found = d.get_object(link["memberId"])
        return directory_object(found[0], found[1], select) if found else {"id": link["memberId"]}
    member_opts = QueryOptions(top=opts.top, count=opts.count, skiptoken=opts.skiptoken)
    return list_response(d.groups.members, GROUP, member_opts, context="directoryObjects", candidates=candidates, render=render)


def members_count(group_id: str) -> Response:
    d = directory()
    group = d.groups.require(group_id)
    return count_response(d.groups.members.count_by("group", group["id"]))


def add_member(group_id: str) -> Response:
    body = json_body()
    if "@odata.id" not in body:
        raise BadRequest("Invalid request: the body needs '@odata.id' naming the member.")
    directory().groups.add_member(group_id, body["@odata.id"])
    return Response(status=204)


def remove_member(group_id: str, member_id: str) -> Response:
    directory().groups.remove_member(group_id, member_id)
    return Response(status=204)


def remove_member_by_query(group_id: str) -> Response:
    """``DELETE /groups/{id}/members/$ref?$id=<url>`` (the SDK's form spells it ``@id``)."""
    ref = request.args.get("$id") or request.args.get("@id") or request.args.get("id")
    if not ref:
        raise BadRequest("The $id query parameter naming the member is required.")
    d = directory()
    d.groups.require(group_id)
    _kind, member = d.resolve_reference(ref)
    d.groups.remove_member(group_id, member["id"])
    return Response(status=204)


def member_of(group_id: str) -> Response:
    d = directory()
    group = d.groups.require(group_id)
    return odata_response({"@odata.context": context_url("directoryObjects"),
                           "value": [directory_object("group", g) for g in d.groups.member_of(group["id"])]})


def group_count() -> Response:
    return count_response(len(directory().groups))


def register(bp: Blueprint) -> None:
    read, write = requires("group"), requires("group", write=True)
    member_read, member_write = requires("member"), requires("member", write=True)
    assign_write = requires("appRoleAssignment", write=True)
    bp.add_url_rule("/groups", "list_groups", read(list_groups), methods=["GET"])
    bp.add_url_rule("/groups", "create_group", write(create_group), methods=["POST"])
    bp.add_url_rule("/groups/$count", "group_count", read(group_count), methods=["GET"])
    bp.add_url_rule("/groups/<group_id>", "get_group", read(get_group), methods=["GET"])
    bp.add_url_rule("/groups/<group_id>", "update_group", write(update_group), methods=["PATCH"])
    bp.add_url_rule("/groups/<group_id>", "delete_group", write(delete_group), methods=["DELETE"])
    bp.add_url_rule("/groups/<group_id>/members", "list_members", member_read(list_members), methods=["GET"])
    bp.add_url_rule("/groups/<group_id>/members/$count", "members_count", member_read(members_count), methods=["GET"])
    bp.add_url_rule("/groups/<group_id>/members/$ref", "add_member", member_write(add_member), methods=["POST"])
    bp.add_url_rule("/groups/<group_id>/members/$ref", "remove_member_by_query", member_write(remove_member_by_query),
                    methods=["DELETE"])
    bp.add_url_rule("/groups/<group_id>/members/<member_id>/$ref", "remove_member", member_write(remove_member),
                    methods=["DELETE"])
    bp.add_url_rule("/groups/<group_id>/memberOf", "group_member_of", read(member_of), methods=["GET"])
    bp.add_url_rule("/groups/<group_id>/appRoleAssignments", "group_assignments",
                    read(lambda group_id: assignment_list(principal=directory().groups.require(group_id)["id"])),
                    methods=["GET"])
    bp.add_url_rule("/groups/<group_id>/appRoleAssignments", "group_assign",
                    assign_write(lambda group_id: assignment_create(principal=directory().groups.require(group_id)["id"])),
                    methods=["POST"])
    bp.add_url_rule("/groups/<group_id>/appRoleAssignments/<assignment_id>", "group_unassign",
                    assign_write(lambda group_id, assignment_id: assignment_delete(
                        assignment_id, principal=directory().groups.require(group_id)["id"])),
                    methods=["DELETE"])
