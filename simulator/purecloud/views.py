"""The SCIM 2.0 routes of Genesys Cloud, mounted at ``/api/v2/scim/v2`` and
``/api/v2/scim`` (PureCloudPlatformClientV2 SCIMApi: same operations, models and permissions).

Every request is authenticated (bearer token from ``/oauth/token``), counted
against the token's rate limit, and checked for the permission the reference
table lists; views then call :class:`~simulator.purecloud.org.PureCloudOrg`
and render.  Resource segments match in any case (``/Users`` == ``/users``).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import Blueprint, Request, Response, g, request
from werkzeug.exceptions import HTTPException

from simulator.core.services import PURECLOUD
from simulator.http import dumps, runtime
from simulator.http.middleware import BODY_KEY

from .errors import SCIM_CONTENT_TYPE, PureCloudError, ScimError
from .filter import parse_filter
from .model import PATCH_SCHEMAS, check_schemas
from .org import PureCloudOrg, TokenInfo, etag
from .patch import parse_operations
from .projection import parse_attribute_list, project
from .schemas import LIST_URN, ResourceSchema, resource_type_documents, schema_documents, service_provider_config

__all__ = ["scim_bp", "V2_NAME", "V1_NAME"]

log = logging.getLogger(__name__)

V2_NAME = "purecloud_scim_v2"
V1_NAME = "purecloud_scim"
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

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
def _request() -> Request:
    """The request behind Flask's proxy, looked up once by a helper that reads it several times."""
    return request._get_current_object()  # type: ignore[attr-defined]  # werkzeug's LocalProxy method, untyped


def _org() -> PureCloudOrg:
    return runtime().service(PURECLOUD)


def _token() -> TokenInfo:
    return g.purecloud_token


def _base() -> str:
    req = _request()
    family = "/api/v2/scim/v2" if req.blueprint == V2_NAME else "/api/v2/scim"
    # scheme://host as request.host_url has it, without its IRI decoding (an ASCII host: the same text)
    return f"{req.scheme}://{req.host}{family}"


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
    req = _request()
    info = org.resolve_token(req.headers.get("Authorization"))
    org.check_rate(info.token)
    g.purecloud_token = info
    limit = org.settings.max_request_bytes
    if req.content_length is not None and req.content_length > limit:
        raise ScimError(413, None, f"Maximum bytes: {limit}")


def _json_body(org: PureCloudOrg) -> Any:
    req = _request()
    raw = req.environ.get(BODY_KEY)  # read once by the middleware; a second stream would copy it again
    if raw is None:
        raw = req.get_data(cache=True)
    limit = org.settings.max_request_bytes
    if len(raw) > limit:
        raise ScimError(413, None, f"Maximum bytes: {limit}")
    mimetype = req.mimetype
    if mimetype and mimetype not in ("application/json", "application/scim+json"):
        raise ScimError(415, None, f"Unsupported Content-Type {mimetype!r}; use application/scim+json or application/json")
    if not raw.strip():
        raise ScimError(400, "invalidSyntax", "The request body is empty")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ScimError(400, "invalidSyntax", f"The request body is not valid JSON: {err}") from err


def _arg(name: str) -> str | None:
    """``request.args.get(name)``, without the KeyError werkzeug raises and catches for a parameter not sent."""
    args = request.args
    return args[name] if name in args else None


def _int_param(name: str, default: int) -> int:
    raw = _arg(name)
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
    if not request.environ.get("QUERY_STRING"):
        return [], []  # what the parse of no query gives, without building request.args
    return parse_attribute_list(_arg("attributes")), parse_attribute_list(_arg("excludedAttributes"))


def _with_etag(data: dict, doc: dict, status: int = 200, extra: dict | None = None) -> Response:
    return _scim(data, status, {"ETag": etag(doc), **(extra or {})})


def _not_modified(doc: dict) -> bool:
    """If-None-Match names the current version (or ``*``): the client's copy is current (304)."""
    if_none = request.headers.get("If-None-Match")
    if not if_none:
        return False
    if if_none.strip() == "*":
        return True
    return etag(doc).strip('"') in [v.strip().removeprefix("W/").strip('"') for v in if_none.split(",")]


# ---- /Users and /Groups: one handler set --------------------------------------------
@dataclass(frozen=True)
class Kind:
    """What differs between the resource types: the org's operations and catalogue, the
    permissions of each verb (reference table), and the verbs Genesys refuses."""

    segment: str
    read: tuple[str, ...]
    edit: tuple[str, ...]
    add: tuple[str, ...] = ()       # () : POST is not supported
    delete: tuple[str, ...] = ()    # () : DELETE is not supported
    #: v2 listing without a filter is 400 unless the org setting allows it (groups)
    filter_required: bool = False
    #: the reason a refused verb gives (405)
    unsupported: str = ""

    def schema(self, org: PureCloudOrg) -> ResourceSchema:
        return org.user_schema if self.segment == "users" else org.group_schema

    def table(self, org: PureCloudOrg):
        return org.users if self.segment == "users" else org.groups

    def get(self, org: PureCloudOrg, ident: str) -> dict:
        return org.get_user(ident) if self.segment == "users" else org.get_group(ident)

    def search(self, org: PureCloudOrg, terms) -> list[int]:
        return org.search_users(terms) if self.segment == "users" else org.search_groups(terms)

    def replace(self, org: PureCloudOrg, ident: str, body, if_match: str | None) -> dict:
        return (org.replace_user if self.segment == "users" else org.replace_group)(ident, body, if_match)

    def patch(self, org: PureCloudOrg, ident: str, operations, if_match: str | None) -> dict:
        return (org.patch_user if self.segment == "users" else org.patch_group)(ident, operations, if_match)

    def render(self, org: PureCloudOrg, doc: dict, base: str,
               projection: tuple[list[str], list[str]] | None = None) -> dict:
        attributes, excluded = projection if projection is not None else _projection()
        schema = self.schema(org)
        if self.segment == "users":
            rendered = org.render_user(doc, _location(base))
        else:  # members are looked up only when the answer shows them (a group may have thousands)
            wants_members = not any(e.lower() == "members" for e in excluded) and (
                not attributes or any(a.lower().split(".")[0] in ("members", schema.core.lower() + ":members")
                                      for a in attributes))
            rendered = org.render_group(doc, _location(base), members=wants_members)
        return project(rendered, schema, attributes=attributes, excluded=excluded, always=schema.always_returned)


USERS = Kind("users", read=("directory:user:view", "directory:user:edit", "directory:user:add"),
             edit=("directory:user:edit",), add=("directory:user:add",), delete=("directory:user:delete",))
GROUPS = Kind("groups", read=("directory:group:edit",), edit=("directory:group:edit",), filter_required=True,
              unsupported="Genesys Cloud groups are created and deleted in Genesys (Admin > Groups), and updated through SCIM")


def list_resources(kind: Kind, _r: str):
    _token().require_any(*kind.read)
    org = _org()
    raw_filter = _arg("filter")
    if raw_filter is None and kind.filter_required and request.blueprint == V2_NAME and org.settings.groups_filter_required:
        raise ScimError(400, "invalidFilter", f"The 'filter' parameter is required on /api/v2/scim/v2/{kind.segment} "
                                              "(for example displayName eq \"Sales\")")
    terms = parse_filter(raw_filter, kind.schema(org)) if raw_filter is not None else None
    base = _base()
    table = kind.table(org)
    with org.store.lock:
        ids = kind.search(org, terms)
        start, page, _ = _page(ids)
        projection = _projection()  # once for the page
        resources = [kind.render(org, table.row(i), base, projection) for i in page]
    return _list(resources, len(ids), start)


def create_resource(kind: Kind, _r: str):
    if not kind.add:
        _unsupported(kind, None)
    _token().require_any(*kind.add)
    org = _org()
    body = _json_body(org)
    base = _base()
    with org.store.transaction():
        doc = org.create_user(body)
        data = kind.render(org, doc, base)
    return _with_etag(data, doc, 201, {"Location": data["meta"]["location"]})


def get_resource(kind: Kind, _r: str, ident: str):
    _token().require_any(*kind.read)
    org = _org()
    with org.store.lock:
        doc = kind.get(org, ident)
        if _not_modified(doc):
            return Response(status=304, headers={"ETag": etag(doc)})
        data = kind.render(org, doc, _base())
    return _with_etag(data, doc)


def replace_resource(kind: Kind, _r: str, ident: str):
    _token().require_any(*kind.edit)
    org = _org()
    body = _json_body(org)
    with org.store.transaction():
        doc = kind.replace(org, ident, body, request.headers.get("If-Match"))
        data = kind.render(org, doc, _base())
    return _with_etag(data, doc)


def patch_resource(kind: Kind, _r: str, ident: str):
    """200 with the resource, as the Genesys API documents (Microsoft's guidance expects 204 for groups)."""
    _token().require_any(*kind.edit)
    org = _org()
    body = _json_body(org)
    if isinstance(body, dict):
        check_schemas(body, PATCH_SCHEMAS)
    operations = parse_operations(body)
    with org.store.transaction():
        doc = kind.patch(org, ident, operations, request.headers.get("If-Match"))
        data = kind.render(org, doc, _base())
    return _with_etag(data, doc)


def delete_resource(kind: Kind, _r: str, ident: str):
    if not kind.delete:
        _unsupported(kind, ident)
    _token().require_any(*kind.delete)
    _org().delete_user(ident, request.headers.get("If-Match"))
    return Response(status=204)


def _unsupported(kind: Kind, ident: str | None) -> None:
    allow = ", ".join(m for m, ok in (("GET", True), ("POST", kind.add), ("PUT", ident), ("PATCH", ident),
                                      ("DELETE", ident and kind.delete)) if ok)
    raise ScimError(405, None, f"{request.method} is not supported on {kind.segment}: {kind.unsupported}",
                    headers={"Allow": allow})


for _kind in (USERS, GROUPS):
    _collection, _one = f"/<ci('{_kind.segment}'):_r>", f"/<ci('{_kind.segment}'):_r>/<ident>"
    scim_bp.add_url_rule(_collection, f"list_{_kind.segment}", partial(list_resources, _kind), methods=["GET"])
    scim_bp.add_url_rule(_collection, f"create_{_kind.segment}", partial(create_resource, _kind), methods=["POST"])
    scim_bp.add_url_rule(_one, f"get_{_kind.segment}", partial(get_resource, _kind), methods=["GET"])
    scim_bp.add_url_rule(_one, f"replace_{_kind.segment}", partial(replace_resource, _kind), methods=["PUT"])
    scim_bp.add_url_rule(_one, f"patch_{_kind.segment}", partial(patch_resource, _kind), methods=["PATCH"])
    scim_bp.add_url_rule(_one, f"delete_{_kind.segment}", partial(delete_resource, _kind), methods=["DELETE"])


# ---- discovery ----------------------------------------------------------------
def _resources() -> tuple[ResourceSchema, ...]:
    org = _org()
    return (org.user_schema, org.group_schema)


def _no_filter() -> None:
    if _arg("filter") is not None:
        raise ScimError(403, None, "Filtering is not supported on this endpoint")


@scim_bp.get("/<ci('serviceproviderconfig'):_r>")
def service_provider(_r: str):
    settings = _org().settings
    return _scim(service_provider_config(_base(), max_results=settings.max_page_size))


@scim_bp.get("/<ci('resourcetypes'):_r>")
def resource_types(_r: str):
    _no_filter()
    docs = resource_type_documents(_base(), _resources())
    return _list(docs, len(docs), 1)


@scim_bp.get("/<ci('resourcetypes'):_r>/<name>")
def resource_type(_r: str, name: str):
    doc = next((d for d in resource_type_documents(_base(), _resources()) if d["id"].lower() == name.lower()), None)
    if doc is None:
        raise ScimError(404, None, f"Resource type {name} not found")
    return _scim(doc)


@scim_bp.get("/<ci('schemas'):_r>")
def schemas(_r: str):
    _no_filter()
    docs = schema_documents(_base(), _resources())
    return _list(docs, len(docs), 1)


@scim_bp.get("/<ci('schemas'):_r>/<path:urn>")
def schema(_r: str, urn: str):
    doc = next((d for d in schema_documents(_base(), _resources()) if d["id"].lower() == urn.lower()), None)
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
