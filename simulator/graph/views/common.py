"""Small shared pieces: ``$count`` answers, polymorphic directoryObject items, appId addressing."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response

from ..errors import BadRequest
from ..schema import APPLICATION, GROUP, SERVICE_PRINCIPAL, USER
from .base import eventual, shape

__all__ = ["count_response", "directory_object", "by_id_or_app_id", "KIND_TYPES"]

KIND_TYPES = {"user": USER, "group": GROUP, "servicePrincipal": SERVICE_PRINCIPAL, "application": APPLICATION}


def count_response(n: int) -> Response:
    """``GET …/$count``: text/plain, and only as an advanced query ("Advanced query capabilities on Microsoft Entra ID objects" on Microsoft Learn)."""
    if not eventual():
        raise BadRequest("$count is not currently supported.")
    return Response(str(n), status=200, content_type="text/plain;charset=utf-8")


def directory_object(kind: str, doc: Mapping, select=None) -> dict:
    """An item of a directoryObject collection (members, memberOf, deletedItems): with ``@odata.type``."""
    etype = KIND_TYPES[kind]
    if select:
        select = [p for p in select if p in etype.properties] or ["id"]
    return shape(etype, doc, select, odata_type=True)


def by_id_or_app_id(collection: str, id_param: str) -> tuple[tuple[str, str], ...]:
    """The two addresses of an application or a service principal, each with its endpoint-name suffix:
    ``/{collection}/<id_param>`` (the object id) and ``/{collection}(appId='<app_id>')`` (the alternate key)."""
    return (f"/{collection}/<{id_param}>", ""), (f"/{collection}(appId='<app_id>')", "_by_app_id")
