"""The Genesys Cloud Platform API subset the tutorial needs (steps 2.1–2.3, and
looking at the result in Admin), on the same host and bearer token as SCIM:

    POST/GET  /api/v2/oauth/clients            oauth:client:add / oauth:client:view
    GET/DELETE /api/v2/oauth/clients/{id}      oauth:client:view / oauth:client:delete
    GET       /api/v2/authorization/roles      authorization:role:view   (pageSize, pageNumber, name, id, permission)
    GET       /api/v2/authorization/roles/{id} authorization:role:view
    GET       /api/v2/authorization/divisions  authorization:division:view
    GET       /api/v2/authorization/divisions/home   any token
    POST/GET  /api/v2/groups                   directory:group:add / any token (pageSize, pageNumber, id, sortOrder)
    GET/PUT/DELETE /api/v2/groups/{id}         any token / directory:group:edit / directory:group:delete
    GET       /api/v2/users                    any token (pageSize, pageNumber, id, state, sortOrder, expand)
    GET       /api/v2/users/{id}               any token (expand, state)

Permissions are the SDK documentation's "Requires ANY permissions" lists
(its OAuthApi, AuthorizationApi, GroupsApi and
UsersApi pages); where it says "Requires no permissions" any valid token
will do.  Errors are Genesys' ``ErrorBody`` (``application/json``), never a
traceback.  State and rules: :mod:`.platform_service`; JSON: :mod:`.platform_model`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from simulator.core import Runtime, Surface
from simulator.core.services import PURECLOUD, PURECLOUD_PLATFORM
from simulator.http import dumps, runtime
from simulator.http.middleware import is_observer

from .errors import GenesysApiError, PureCloudError, error_body
from .org import TokenInfo
from .platform_model import (
    CLIENTS,
    DIVISIONS,
    GROUPS,
    ROLES,
    USERS,
    entity_listing,
    render_client,
    render_division,
    render_group,
    render_role,
    render_user,
)
from .platform_service import PlatformService, seed_platform

__all__ = ["platform_bp", "init_platform", "PLATFORM_PREFIXES", "DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE"]

log = logging.getLogger(__name__)

PLATFORM_PREFIXES = ("/api/v2/oauth", "/api/v2/authorization", "/api/v2/groups", "/api/v2/users")
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 500
_USER_EXPANDS = ("groups", "authorization")
_HTTP_CODES = {400: "bad.request", 401: "bad.credentials", 403: "missing.any.permissions", 404: "not.found",
               405: "method.not.allowed", 413: "request.entity.too.large", 415: "unsupported.media.type",
               429: "too.many.requests.retry.after", 500: "internal.server.error"}

platform_bp = Blueprint("purecloud_platform", __name__)


# ---- plumbing ----------------------------------------------------------------------
def _service() -> PlatformService:
    return runtime().service(PURECLOUD_PLATFORM)


def _token() -> TokenInfo:
    return g.purecloud_token


def _json(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status=status, content_type="application/json")


def _render(err: PureCloudError) -> Response:
    body, ctype, headers = err.render(_service().org.context_id())
    resp = Response(body, status=err.status, content_type=ctype)
    for k, v in headers.items():
        resp.headers[k] = v
    return resp


@platform_bp.errorhandler(PureCloudError)
def _known_error(err: PureCloudError):
    return _render(err)


@platform_bp.errorhandler(HTTPException)
def _http_error(err: HTTPException):
    status = err.code or 500
    resp = _render(GenesysApiError(status, _HTTP_CODES.get(status, "bad.request"), err.description or err.name))
    if status == 405 and getattr(err, "valid_methods", None):
        resp.headers["Allow"] = ", ".join(err.valid_methods)  # type: ignore[attr-defined]  # MethodNotAllowed carries valid_methods; HTTPException does not declare it
    return resp


@platform_bp.errorhandler(Exception)
def _unexpected(err: Exception):
    context = _service().org.context_id()
    log.exception("unexpected error on %s %s (contextId %s)", request.method, request.path, context)
    return _render(GenesysApiError(500, "internal.server.error", f"An internal error occurred (contextId {context})"))


#: Who the dashboard's in-process reads are: the admin's view, without a token (see :func:`_authenticate`).
_OBSERVER = TokenInfo("", "provsim-dashboard (observer)", frozenset({"*"}))


@platform_bp.before_request
def _authenticate() -> None:
    org = _service().org
    if request.method == "GET" and is_observer(request.environ):
        # The dashboard drawing its Genesys admin pages: looking must leave no trace, so no token is minted
        # (a story that revokes the client's tokens counts the same with the page open) and no rate is spent.
        # Only in-process, never over a socket (simulator.http.middleware.is_observer).
        g.purecloud_token = _OBSERVER
        return
    info = org.resolve_token(request.headers.get("Authorization"))
    org.check_rate(info.token)
    g.purecloud_token = info
    limit = org.settings.max_request_bytes
    if request.content_length is not None and request.content_length > limit:
        raise GenesysApiError(413, "request.entity.too.large", f"Maximum bytes: {limit}")


def _body() -> Any:
    raw = request.get_data(cache=True)
    if request.mimetype and request.mimetype != "application/json":
        raise GenesysApiError(415, "unsupported.media.type",
                              f"Unsupported Content-Type {request.mimetype!r}; use application/json")
    if not raw.strip():
        raise GenesysApiError(400, "bad.request", "The request body is empty.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise GenesysApiError(400, "bad.request", f"The request could not be understood by the server due to "
                                                  f"malformed syntax: {err}") from err


def _int_arg(name: str, default: int, *, low: int = 1, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise GenesysApiError(400, "bad.request", f"Value [{raw}] is not valid for field type [Integer]. "
                                                  f"Allowable values are: whole numbers") from err
    if value < low or (high is not None and value > high):
        allowed = f"{low} - {high}" if high is not None else f">= {low}"
        raise GenesysApiError(400, "invalid.value", f"Value [{value}] is not valid for field {name}. "
                                                    f"Allowable values are: {allowed}")
    return value


def _list_arg(name: str) -> list[str]:
    """Repeated and comma-joined values both (the SDK joins lists with commas)."""
    out: list[str] = []
    for raw in request.args.getlist(name):
        out += [p.strip() for p in raw.split(",") if p.strip()]
    return out


def _paging() -> tuple[int, int]:
    return (_int_arg("pageSize", DEFAULT_PAGE_SIZE, high=MAX_PAGE_SIZE), _int_arg("pageNumber", 1))


def _descending() -> bool:
    order = (request.args.get("sortOrder") or "ASC").strip().lower()
    if order not in ("asc", "ascending", "desc", "descending"):
        raise GenesysApiError(400, "invalid.value", f"sortOrder must be ASC or DESC, got {order!r}")
    return order.startswith("desc")


# ---- OAuth clients ---------------------------------------------------------------
def _client_json(doc: dict, *, with_secret: bool = False) -> dict:
    service = _service()
    grants = service.client_grants(doc)
    role_ids = []
    for grant in grants:
        if grant["roleId"] not in role_ids:
            role_ids.append(grant["roleId"])
    return render_client(doc, grants, role_ids, with_secret=with_secret)


@platform_bp.get(CLIENTS)
def list_clients():
    _token().require_any("oauth:client:view")
    clients = _service().list_clients()
    return _json(entity_listing(clients, _client_json, path=CLIENTS, page_size=max(len(clients), 1), page_number=1))


@platform_bp.post(CLIENTS)
def create_client():
    _token().require_any("oauth:client:add")
    doc = _service().create_client(_body())
    return _json(_client_json(doc, with_secret=True))


@platform_bp.get(f"{CLIENTS}/<client_id>")
def get_client(client_id: str):
    _token().require_any("oauth:client:view")
    return _json(_client_json(_service().get_client(client_id)))


@platform_bp.delete(f"{CLIENTS}/<client_id>")
def delete_client(client_id: str):
    _token().require_any("oauth:client:delete")
    _service().delete_client(client_id)
    return Response(status=204)


# ---- roles and divisions ----------------------------------------------------------
@platform_bp.get(ROLES)
def list_roles():
    _token().require_any("authorization:role:view")
    service = _service()
    page_size, page_number = _paging()
    roles = service.list_roles(name=request.args.get("name"), ids=_list_arg("id"),
                               permissions=_list_arg("permission"))
    with_counts = (request.args.get("userCount") or "true").lower() != "false"
    counts = service.role_user_counts() if with_counts else {}
    query = {k: v for k, v in (("name", request.args.get("name")),) if v}
    return _json(entity_listing(roles, lambda r: render_role(r, counts.get(r["name"], 0) if with_counts else None),
                                path=ROLES, page_size=page_size, page_number=page_number, query=query))


@platform_bp.get(f"{ROLES}/<role_id>")
def get_role(role_id: str):
    _token().require_any("authorization:role:view")
    service = _service()
    role = service.get_role(role_id)
    return _json(render_role(role, service.role_user_counts().get(role["name"], 0)))


@platform_bp.get(DIVISIONS)
def list_divisions():
    _token().require_any("authorization:division:view")
    page_size, page_number = _paging()
    service = _service()
    home = service.home_division()["id"]
    return _json(entity_listing(service.list_divisions(), lambda d: render_division(d, home=d["id"] == home),
                                path=DIVISIONS, page_size=page_size, page_number=page_number))


@platform_bp.get(f"{DIVISIONS}/home")
def home_division():
    return _json(render_division(_service().home_division(), home=True))


@platform_bp.get(f"{DIVISIONS}/<division_id>")
def get_division(division_id: str):
    _token().require_any("authorization:division:view")
    service = _service()
    division = service.get_division(division_id)
    return _json(render_division(division, home=division["id"] == service.home_division()["id"]))


# ---- groups ----------------------------------------------------------------------------
def _group_json(doc: dict) -> dict:
    return render_group(doc, _service().member_count(doc["id"]))


@platform_bp.get(GROUPS)
def list_groups():
    page_size, page_number = _paging()
    groups = _service().list_groups(ids=_list_arg("id"), descending=_descending())
    return _json(entity_listing(groups, _group_json, path=GROUPS, page_size=page_size, page_number=page_number))


@platform_bp.post(GROUPS)
def create_group():
    _token().require_any("directory:group:add")
    return _json(_group_json(_service().create_group(_body())))


@platform_bp.get(f"{GROUPS}/<group_id>")
def get_group(group_id: str):
    return _json(_group_json(_service().get_group(group_id)))


@platform_bp.put(f"{GROUPS}/<group_id>")
def update_group(group_id: str):
    _token().require_any("directory:group:edit")
    return _json(_group_json(_service().update_group(group_id, _body())))


@platform_bp.delete(f"{GROUPS}/<group_id>")
def delete_group(group_id: str):
    _token().require_any("directory:group:delete")
    _service().delete_group(group_id)
    return Response(status=204)


# ---- users -------------------------------------------------------------------------------
def _expands() -> set[str]:
    wanted = set(_list_arg("expand"))
    return {e for e in wanted if e in _USER_EXPANDS}  # others are best effort (UsersApi.md): ignored


def _user_json(doc: dict, expands: set[str]) -> dict:
    service = _service()
    division = service.division_by_name(doc.get("division")) or service.home_division()
    roles = None
    if "authorization" in expands:
        roles = []
        for name in doc.get("roles") or []:
            role = service.roles.find("name", name)
            if role is not None:
                roles.append({"id": role["id"], "name": role["name"]})
    groups = service.groups_of(doc["id"]) if "groups" in expands else None
    return render_user(doc, division=division, groups=groups, roles=roles)


@platform_bp.get(USERS)
def list_users():
    page_size, page_number = _paging()
    state = (request.args.get("state") or "active").lower()
    if state not in ("active", "inactive", "any"):
        raise GenesysApiError(400, "invalid.value", f"state must be active, inactive or any, got {state!r}")
    expands = _expands()
    users = _service().list_users(state=state, ids=_list_arg("id"), descending=_descending())
    query = {k: v for k, v in (("state", request.args.get("state")), ("expand", ",".join(sorted(expands))))
             if v}
    return _json(entity_listing(users, lambda u: _user_json(u, expands), path=USERS, page_size=page_size,
                                page_number=page_number, query=query))


@platform_bp.get(f"{USERS}/<user_id>")
def get_user(user_id: str):
    return _json(_user_json(_service().get_user(user_id), _expands()))


# ---- everything else under these prefixes ----------------------------------------------------
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Known paths and their methods: the others answer 405 here (a routing 405 would bypass the
#: blueprint's error handlers and answer in HTML).
_ALLOWED = {CLIENTS: ("GET", "POST"), f"{CLIENTS}/<_id>": ("GET", "DELETE"), ROLES: ("GET",),
            f"{ROLES}/<_id>": ("GET",), DIVISIONS: ("GET",), f"{DIVISIONS}/<_id>": ("GET",),
            GROUPS: ("GET", "POST"), f"{GROUPS}/<_id>": ("GET", "PUT", "DELETE"), USERS: ("GET",), f"{USERS}/<_id>": ("GET",)}


def _method_not_allowed(allowed: tuple[str, ...]):
    def view(_id: str | None = None):
        raise GenesysApiError(405, "method.not.allowed", f"{request.method} is not supported on {request.path}; "
                                                         f"use {', '.join(allowed)}", headers={"Allow": ", ".join(allowed)})

    return view


for _path, _allowed in _ALLOWED.items():
    platform_bp.add_url_rule(_path, f"not_allowed_{_path}", _method_not_allowed(_allowed),
                             methods=[m for m in _METHODS if m not in _allowed])


@platform_bp.route("/api/v2/oauth/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@platform_bp.route("/api/v2/authorization/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@platform_bp.route(f"{GROUPS}/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@platform_bp.route(f"{USERS}/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_simulated(rest: str):
    raise GenesysApiError(404, "not.found", f"{request.method} {request.path} is not part of the Platform API "
                                            "subset provsim simulates (see docs/fidelity.md, \"Genesys Platform API\").")


# ---- registration --------------------------------------------------------------------------
def _error_renderer(rt: Runtime):
    def render(status: int, message: str) -> tuple[bytes, str]:
        context = rt.ids.stream("purecloud-context").guid()
        return error_body(status, _HTTP_CODES.get(status, "bad.request"), message, context), "application/json"

    return render


def init_platform(app: Flask) -> None:
    """Register the Platform API blueprint and its surface (after the SCIM fake's ``init_app``)."""
    rt: Runtime = app.extensions["provsim"]
    if rt.find(PURECLOUD_PLATFORM) is None:
        rt.register(PURECLOUD_PLATFORM, PlatformService(rt, rt.service(PURECLOUD)))
    app.register_blueprint(platform_bp)
    rt.add_surface(Surface(name="purecloud-platform", prefixes=PLATFORM_PREFIXES, render_error=_error_renderer(rt),
                           seed=seed_platform))
