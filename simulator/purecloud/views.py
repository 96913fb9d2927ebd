"""The SCIM 2.0 routes of Genesys Cloud, mounted at ``/api/v2/scim/v2`` and
``/api/v2/scim`` (reference §1: same operations, models and permissions).

Every request is authenticated (bearer token from ``/oauth/token``), counted
against the token's rate limit, and checked for the permission the reference
table lists; views then call :class:`~simulator.purecloud.org.PureCloudOrg`
and render.  Resource segments match in any case (``/Users`` == ``/users``).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from flask import Blueprint, Response, g, request
from werkzeug.exceptions import HTTPException

from simulator.http import dumps, runtime

from .errors import SCIM_CONTENT_TYPE, PureCloudError, ScimError
from .filter import parse_filter
from .model import PATCH_SCHEMAS, check_schemas
from .org import PureCloudOrg, TokenInfo, etag
from .patch import parse_operations
from .projection import parse_attribute_list, project
from .schemas import GROUP, LIST_URN, USER, resource_type_documents, schema_documents, service_provider_config

__all__ = ["scim_bp", "V2_NAME", "V1_NAME"]

log = logging.getLogger(__name__)

V2_NAME = "purecloud_scim_v2"
V1_NAME = "purecloud_scim"
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_USER_ALWAYS = ("userName", "active")
_GROUP_ALWAYS: tuple[str, ...] = ()

scim_bp = Blueprint("purecloud_scim", __name__)

#: the routes this surface has, for telling 405 (known path, other method) from 404
_KNOWN = [
    (re.compile(r"^users/?$", re.I), ("GET", "POST")),
    (re.compile(r"^users/[^/]+/?$", re.I), ("GET", "PUT", "PATCH", "DELETE")),
    (re.compile(r"^groups/?$", re.I), ("GET",)),
    (re.compile(r"^groups/[^/]+/?$", re.I), ("GET", "PUT", "PATCH")),
    (re.compile(r"^serviceproviderconfig/?$", re.I), ("GET",)),
    (re.compile(r"^resourcetypes(/[^/]+)?/?$", re.I), ("GET",)),
    (re.compile(r"^schemas(/[^/]+)?/?$", re.I), ("GET",)),
]


# ---- plumbing ----------------------------------------------------------------
def _org() -> PureCloudOrg:
    return runtime().services["purecloud"]


def _token() -> TokenInfo:
    return g.purecloud_token


def _base() -> str:
    family = "/api/v2/scim/v2" if request.blueprint == V2_NAME else "/api/v2/scim"
    return request.host_url.rstrip("/") + family


def _location(base: str):
    return lambda segment, obj_id: f"{base}/{segment}/{obj_id}"


def _scim(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    resp = Response(dumps(data), status=status, content_type=SCIM_CONTENT_TYPE)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _render_error(err: PureCloudError) -> Response:
    body, ctype, headers = err.render(_org().context_id())
    resp = Response(body, status=err.status, content_type=ctype)
    for k, v in headers.items():
        resp.headers[k] = v
    return resp


@scim_bp.errorhandler(PureCloudError)
def _known_error(err: PureCloudError):
    return _render_error(err)


@scim_bp.errorhandler(HTTPException)
def _http_error(err: HTTPException):
    status = err.code or 500
    return _render_error(ScimError(status, "invalidSyntax" if status == 400 else None, err.description or err.name))


@scim_bp.errorhandler(Exception)
def _unexpected(err: Exception):
    context = _org().context_id()
    log.exception("unexpected error on %s %s (contextId %s)", request.method, request.path, context)
    return _render_error(ScimError(500, None, f"An internal error occurred (contextId {context})"))


@scim_bp.before_request
def _authenticate() -> None:
    org = _org()
    info = org.resolve_token(request.headers.get("Authorization"))
    org.check_rate(info.token)
    g.purecloud_token = info
    limit = org.settings.max_request_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ScimError(413, None, f"Maximum bytes: {limit}")


def _json_body() -> Any:
    raw = request.get_data(cache=True)
    limit = _org().settings.max_request_bytes
    if len(raw) > limit:
        raise ScimError(413, None, f"Maximum bytes: {limit}")
    mimetype = request.mimetype
    if mimetype and mimetype not in ("application/json", "application/scim+json"):
        raise ScimError(415, None, f"Unsupported Content-Type {mimetype!r}; use application/scim+json or application/json")
    if not raw.strip():
        raise ScimError(400, "invalidSyntax", "The request body is empty")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ScimError(400, "invalidSyntax", f"The request body is not valid JSON: {err}") from err


def _int_param(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as err:
        raise ScimError(400, "invalidValue", f"'{name}' must be an integer, got {raw!r}") from err


def _page(ids: list[int]) -> tuple[int, list[int], int]:
    settings = _org().settings
    start = max(1, _int_param("startIndex", 1))
    count = min(max(0, _int_param("count", settings.default_page_size)), settings.max_page_size)
    return start, ids[start - 1:start - 1 + count], count


def _list(resources: list[dict], total: int, start: int) -> Response:
    return _scim({"schemas": [LIST_URN], "totalResults": total, "startIndex": start,
                  "itemsPerPage": len(resources), "Resources": resources})


def _projection():
    return (parse_attribute_list(request.args.get("attributes")),
            parse_attribute_list(request.args.get("excludedAttributes")))


def _user_out(doc: dict, base: str) -> dict:
    attributes, excluded = _projection()
    return project(_org().render_user(doc, _location(base)), USER, attributes=attributes, excluded=excluded,
                   always=_USER_ALWAYS)


def _group_out(doc: dict, base: str) -> dict:
    attributes, excluded = _projection()
    wants_members = not any(e.lower() == "members" for e in excluded) and (
        not attributes or any(a.lower().split(".")[0] in ("members", GROUP.core.lower() + ":members") for a in attributes))
    rendered = _org().render_group(doc, _location(base), members=wants_members)
    return project(rendered, GROUP, attributes=attributes, excluded=excluded, always=_GROUP_ALWAYS)


def _with_etag(data: dict, doc: dict, status: int = 200, extra: dict | None = None) -> Response:
    return _scim(data, status, {"ETag": etag(doc), **(extra or {})})


# ---- users -------------------------------------------------------------------
@scim_bp.get("/<ci('users'):_r>")
def list_users(_r: str):
    _token().require_any("directory:user:view", "directory:user:edit", "directory:user:add")
    org = _org()
    raw_filter = request.args.get("filter")
    terms = parse_filter(raw_filter, "User") if raw_filter is not None else None
    base = _base()
    with org.store.lock:
        ids = org.search_users(terms)
        start, page, _ = _page(ids)
        resources = [_user_out(org.users.row(i), base) for i in page]
    return _list(resources, len(ids), start)


@scim_bp.post("/<ci('users'):_r>")
def create_user(_r: str):
    _token().require_any("directory:user:add")
    body = _json_body()
    org = _org()
    base = _base()
    with org.store.transaction():
        doc = org.create_user(body)
        data = _user_out(doc, base)
    return _with_etag(data, doc, 201, {"Location": data["meta"]["location"]})


def _not_modified(doc: dict) -> bool:
    """If-None-Match names the current version (or ``*``): the client's copy is current (304)."""
    if_none = request.headers.get("If-None-Match")
    if not if_none:
        return False
    if if_none.strip() == "*":
        return True
    return etag(doc).strip('"') in [v.strip().removeprefix("W/").strip('"') for v in if_none.split(",")]


@scim_bp.get("/<ci('users'):_r>/<user_id>")
def get_user(_r: str, user_id: str):
    _token().require_any("directory:user:view", "directory:user:edit", "directory:user:add")
    org = _org()
    with org.store.lock:
        doc = org.get_user(user_id)
        if _not_modified(doc):
            return Response(status=304, headers={"ETag": etag(doc)})
        data = _user_out(doc, _base())
    return _with_etag(data, doc)


@scim_bp.put("/<ci('users'):_r>/<user_id>")
def replace_user(_r: str, user_id: str):
    _token().require_any("directory:user:edit")
    body = _json_body()
    org = _org()
    with org.store.transaction():
        doc = org.replace_user(user_id, body, request.headers.get("If-Match"))
        data = _user_out(doc, _base())
    return _with_etag(data, doc)


@scim_bp.patch("/<ci('users'):_r>/<user_id>")
def patch_user(_r: str, user_id: str):
    _token().require_any("directory:user:edit")
    body = _json_body()
    if isinstance(body, dict):
        check_schemas(body, PATCH_SCHEMAS)
    operations = parse_operations(body)
    org = _org()
    with org.store.transaction():
        doc = org.patch_user(user_id, operations, request.headers.get("If-Match"))
        data = _user_out(doc, _base())
    return _with_etag(data, doc)


@scim_bp.delete("/<ci('users'):_r>/<user_id>")
def delete_user(_r: str, user_id: str):
    _token().require_any("directory:user:delete")
    _org().delete_user(user_id, request.headers.get("If-Match"))
    return Response(status=204)


# ---- groups ------------------------------------------------------------------
@scim_bp.get("/<ci('groups'):_r>")
def list_groups(_r: str):
    _token().require_any("directory:group:edit")
    org = _org()
    raw_filter = request.args.get("filter")
    if raw_filter is None and request.blueprint == V2_NAME and org.settings.groups_filter_required:
        raise ScimError(400, "invalidFilter", "The 'filter' parameter is required on /api/v2/scim/v2/groups "
                                              "(for example displayName eq \"Sales\")")
    terms = parse_filter(raw_filter, "Group") if raw_filter is not None else None
    base = _base()
    with org.store.lock:
        ids = org.search_groups(terms)
        start, page, _ = _page(ids)
        resources = [_group_out(org.groups.row(i), base) for i in page]
    return _list(resources, len(ids), start)


@scim_bp.get("/<ci('groups'):_r>/<group_id>")
def get_group(_r: str, group_id: str):
    _token().require_any("directory:group:edit")
    org = _org()
    with org.store.lock:
        doc = org.get_group(group_id)
        if _not_modified(doc):
            return Response(status=304, headers={"ETag": etag(doc)})
        data = _group_out(doc, _base())
    return _with_etag(data, doc)


@scim_bp.put("/<ci('groups'):_r>/<group_id>")
def replace_group(_r: str, group_id: str):
    _token().require_any("directory:group:edit")
    body = _json_body()
    org = _org()
    with org.store.transaction():
        doc = org.replace_group(group_id, body, request.headers.get("If-Match"))
        data = _group_out(doc, _base())
    return _with_etag(data, doc)


@scim_bp.patch("/<ci('groups'):_r>/<group_id>")
def patch_group(_r: str, group_id: str):
    """200 with the group, as the Genesys API documents (Microsoft's guidance expects 204)."""
    _token().require_any("directory:group:edit")
    body = _json_body()
    if isinstance(body, dict):
        check_schemas(body, PATCH_SCHEMAS)
    operations = parse_operations(body)
    org = _org()
    with org.store.transaction():
        doc = org.patch_group(group_id, operations, request.headers.get("If-Match"))
        data = _group_out(doc, _base())
    return _with_etag(data, doc)


@scim_bp.route("/<ci('groups'):_r>", methods=["POST"])
@scim_bp.route("/<ci('groups'):_r>/<group_id>", methods=["DELETE"])
def groups_not_supported(_r: str, group_id: str | None = None):
    allow = "GET" if group_id is None else "GET, PUT, PATCH"
    raise ScimError(405, None, f"{request.method} is not supported on groups: Genesys Cloud groups are created and "
                               "deleted in Genesys (Admin > Groups), and updated through SCIM",
                    headers={"Allow": allow})


# ---- discovery ----------------------------------------------------------------
def _no_filter() -> None:
    if request.args.get("filter") is not None:
        raise ScimError(403, None, "Filtering is not supported on this endpoint")


@scim_bp.get("/<ci('serviceproviderconfig'):_r>")
def service_provider(_r: str):
    settings = _org().settings
    return _scim(service_provider_config(_base(), max_results=settings.max_page_size))


@scim_bp.get("/<ci('resourcetypes'):_r>")
def resource_types(_r: str):
    _no_filter()
    docs = resource_type_documents(_base())
    return _list(docs, len(docs), 1)


@scim_bp.get("/<ci('resourcetypes'):_r>/<name>")
def resource_type(_r: str, name: str):
    doc = next((d for d in resource_type_documents(_base()) if d["id"].lower() == name.lower()), None)
    if doc is None:
        raise ScimError(404, None, f"Resource type {name} not found")
    return _scim(doc)


@scim_bp.get("/<ci('schemas'):_r>")
def schemas(_r: str):
    _no_filter()
    docs = schema_documents(_base())
    return _list(docs, len(docs), 1)


@scim_bp.get("/<ci('schemas'):_r>/<path:urn>")
def schema(_r: str, urn: str):
    doc = next((d for d in schema_documents(_base()) if d["id"].lower() == urn.lower()), None)
    if doc is None:
        raise ScimError(404, None, f"Schema {urn} not found")
    return _scim(doc)


# ---- everything else under the prefix ---------------------------------------------
@scim_bp.route("/", defaults={"rest": ""}, methods=_ALL_METHODS)
@scim_bp.route("/<path:rest>", methods=_ALL_METHODS)
def not_found(rest: str):
    for pattern, methods in _KNOWN:
        if pattern.match(rest):
            raise ScimError(405, None, f"{request.method} is not supported on /{rest}",
                            headers={"Allow": ", ".join(methods)})
    raise ScimError(404, None, f"No SCIM resource at {request.path}")
