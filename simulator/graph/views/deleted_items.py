"""``/directory/deletedItems`` (soft-deleted users, Microsoft 365 groups, applications),
``/directoryObjects`` and ``/organization``.

Listing needs a type cast; the SDK sends the short form ``graph.user``, the
docs the long ``microsoft.graph.user``: both are routed.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..errors import BadRequest, ResourceNotFound
from ..query import parse_top
from .base import context_url, directory, json_body, odata_response, requires
from .common import directory_object

__all__ = ["register"]

_CASTS = {"user": "user", "group": "group", "application": "application", "serviceprincipal": "servicePrincipal"}
_AREA = {"user": "user", "group": "group", "application": "application", "servicePrincipal": "application"}


def _cast(segment: str) -> str | None:
    lowered = segment.lower()
    for prefix in ("microsoft.graph.", "graph."):
        if lowered.startswith(prefix):
            return _CASTS.get(lowered[len(prefix):])
    return None


def _deleted_view(record: dict, select=None) -> dict:
    return directory_object(record["kind"], record["object"], select)


@requires("directory")
def list_unsupported() -> Response:
    raise BadRequest("Unsupported Query: deleted items must be listed by type, for example "
                     "/directory/deletedItems/microsoft.graph.user.")


@requires("directory")
def item(segment: str) -> Response:
    kind = _cast(segment)
    d = directory()
    if kind is not None:
        top = parse_top(request.args.get("$top"))
        records = sorted(d.deleted_items.of_kind(kind), key=lambda r: r["deletedDateTime"])
        select = [s.strip() for s in request.args.get("$select", "").split(",") if s.strip()] or None
        return odata_response({"@odata.context": context_url(f"directoryObjects/{segment}"),
                               "value": [_deleted_view(r, select) for r in records[:top]]})
    record = d.deleted_items.get(segment)
    if record is None:
        raise ResourceNotFound.for_id(segment)
    return odata_response({"@odata.context": context_url("directoryObjects/$entity"), **_deleted_view(record)})


def _check_write(object_id: str) -> dict:
    from flask import g

    record = directory().deleted_items.get(object_id)
    if record is None:
        raise ResourceNotFound.for_id(object_id)
    client = g.graph_client
    if client is None or not client.allows(_AREA[record["kind"]], True):
        from ..errors import AuthorizationDenied
        raise AuthorizationDenied()
    return record


def restore(object_id: str) -> Response:
    _check_write(object_id)
    kind, obj = directory().deleted_items.restore(object_id)
    return odata_response({"@odata.context": context_url("directoryObjects/$entity"), **directory_object(kind, obj)})


def purge(object_id: str) -> Response:
    _check_write(object_id)
    directory().deleted_items.purge(object_id)
    return Response(status=204)


@requires("directory")
def get_directory_object(object_id: str) -> Response:
    found = directory().get_object(object_id)
    if found is None:
        raise ResourceNotFound.for_id(object_id)
    return odata_response({"@odata.context": context_url("directoryObjects/$entity"), **directory_object(*found)})


@requires("directory")
def get_by_ids() -> Response:
    body = json_body()
    ids = body.get("ids")
    if not isinstance(ids, list) or len(ids) > 1000:
        raise BadRequest("Invalid value specified for property 'ids': a list of at most 1000 ids is expected.")
    wanted = {t.lower() for t in body.get("types") or []}
    d = directory()
    out = []
    for object_id in ids:
        found = d.get_object(str(object_id))
        if found is not None and (not wanted or found[0].lower() in wanted):
            out.append(directory_object(*found))
    return odata_response({"@odata.context": context_url("directoryObjects"), "value": out})


@requires("directory")
def organization() -> Response:
    from .base import service

    s = service()
    domains = [{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": i == len(s.domains) - 1,
                "isInitial": i == 0, "name": name, "type": "Managed"} for i, name in enumerate(s.domains)]
    return odata_response({"@odata.context": context_url("organization"), "value": [
        {"id": s.tenant_id, "displayName": s.display_name, "verifiedDomains": domains}]})


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/directory/deletedItems", "deleted_list_unsupported", list_unsupported, methods=["GET"])
    bp.add_url_rule("/directory/deletedItems/<segment>", "deleted_item", item, methods=["GET"])
    bp.add_url_rule("/directory/deletedItems/<object_id>/restore", "deleted_restore", restore, methods=["POST"])
    bp.add_url_rule("/directory/deletedItems/<object_id>/microsoft.graph.restore", "deleted_restore_long", restore,
                    methods=["POST"])
    bp.add_url_rule("/directory/deletedItems/<object_id>", "deleted_purge", purge, methods=["DELETE"])
    bp.add_url_rule("/directoryObjects/<object_id>", "directory_object", get_directory_object, methods=["GET"])
    bp.add_url_rule("/directoryObjects/getByIds", "get_by_ids", get_by_ids, methods=["POST"])
    bp.add_url_rule("/directoryObjects/microsoft.graph.getByIds", "get_by_ids_long", get_by_ids, methods=["POST"])
    bp.add_url_rule("/organization", "organization", organization, methods=["GET"])
