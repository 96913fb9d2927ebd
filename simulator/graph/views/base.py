"""What every Graph view shares: the blueprint factory (authentication,
request ids, OData errors), response shaping and paging.

:func:`graph_blueprint` is also the extension point for code outside this
package (the synchronization API of the next issue)::

    bp = graph_blueprint("graph_synchronization")
    @bp.post("/servicePrincipals/<sp_id>/synchronization/jobs/<job_id>/start")
    @requires("synchronization", write=True)
    def start(sp_id, job_id): ...
    app.register_blueprint(bp)

Its routes get the same bearer-token check, permission model, request ids
and error bodies as the built-in ones.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, g, request
from werkzeug.exceptions import HTTPException

from simulator.core import isoformat
from simulator.core.services import DIRECTORY, GRAPH
from simulator.http import dumps, runtime

from ..auth import GraphClient
from ..directory import Directory
from ..errors import AuthorizationDenied, BadRequest, GraphError
from ..query import QueryOptions, decode_skiptoken, encode_skiptoken
from ..schema import EntityType

__all__ = ["graph_blueprint", "requires", "directory", "service", "odata_response", "error_body", "shape",
           "public_base", "json_body", "list_response", "context_url", "ODATA_JSON", "eventual"]

log = logging.getLogger(__name__)

ODATA_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


# ---------------------------------------------------------------------- accessors
def service():
    """The Graph service bundle of this app (directory, token issuer, clients)."""
    return runtime().service(GRAPH)


def directory() -> Directory:
    return runtime().service(DIRECTORY)


def public_base() -> str:
    """Scheme://host of the request as the client sees it (honours X-Forwarded-Proto/-Host)."""
    proto = request.headers.get("X-Forwarded-Proto")
    host = request.headers.get("X-Forwarded-Host")
    if proto or host:
        return f"{(proto or request.scheme).split(',')[0].strip()}://{(host or request.host).split(',')[0].strip()}"
    return request.host_url.rstrip("/")


def eventual() -> bool:
    return request.headers.get("ConsistencyLevel", "").strip().lower() == "eventual"


def context_url(fragment: str) -> str:
    return f"{public_base()}/v1.0/$metadata#{fragment}"


# ---------------------------------------------------------------------- errors
def error_body(status: int, code: str, message: str, details: list[dict] | None = None) -> dict:
    rt = runtime()
    request_id = getattr(g, "graph_request_id", None) or rt.ids.stream("graph-requests").guid()
    client_request_id = request.headers.get("client-request-id") or request_id
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    error["innerError"] = {"date": isoformat(rt.clock.now()).rstrip("Z"), "request-id": request_id,
                           "client-request-id": client_request_id}
    return {"error": error}


def odata_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    resp = Response(dumps(data), status=status, content_type=ODATA_JSON)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _render_graph_error(err: GraphError) -> Response:
    headers = dict(err.headers)
    if err.status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/'
                                               'common/oauth2/authorize", client_id="' "00000003-0000-0000-c000-000000000000\"")
    return odata_response(error_body(err.status, err.code, err.message, err.details), err.status, headers)


def _render_http_error(err: HTTPException) -> Response:
    status = err.code or 500
    if status == 404:
        return odata_response(error_body(400, "BadRequest", f"Resource not found for the segment '{request.path.rsplit('/', 1)[-1]}'."), 400)
    if status == 405:
        return odata_response(error_body(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."), 405)
    if status in (400, 415):
        return odata_response(error_body(400, "Request_BadRequest", "Unable to read JSON request payload. Please ensure "
                                         "Content-Type header is set and payload is of valid JSON format."), 400)
    return odata_response(error_body(status, "generalException", err.description or "Error"), status)


def _render_unexpected(err: Exception) -> Response:
    log.exception("unexpected error in a Graph view: %s %s", request.method, request.path)
    return odata_response(error_body(500, "generalException", "An unexpected error occurred in the simulator."), 500)


# ---------------------------------------------------------------------- blueprint
def _before() -> None:
    rt = runtime()
    g.graph_request_id = rt.ids.stream("graph-requests").guid()
    token = service().issuer.verify(request.headers.get("Authorization"))
    g.graph_token = token
    g.graph_client = service().client_by_app_id(token.app_id)


def _after(resp: Response) -> Response:
    rid = getattr(g, "graph_request_id", None)
    if rid:
        resp.headers["request-id"] = rid
        resp.headers["client-request-id"] = request.headers.get("client-request-id") or rid
    return resp


def graph_blueprint(name: str, url_prefix: str = "/v1.0") -> Blueprint:
    """A blueprint wired like the Graph surface: bearer token, permissions, request ids, OData errors."""
    bp = Blueprint(name, __name__, url_prefix=url_prefix)
    bp.before_request(_before)
    bp.after_request(_after)
    bp.register_error_handler(GraphError, _render_graph_error)
    bp.register_error_handler(HTTPException, _render_http_error)
    bp.register_error_handler(Exception, _render_unexpected)
    return bp


def requires(area: str, *, write: bool = False) -> Callable:
    """Refuse with 403 Authorization_RequestDenied unless the token's roles cover ``area``."""
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            client: GraphClient | None = getattr(g, "graph_client", None)
            roles = g.graph_token.roles if getattr(g, "graph_token", None) else ()
            probe = client or GraphClient("?", "", "?", "?", tuple(roles))
            if not probe.allows(area, write):
                raise AuthorizationDenied()
            return view(*args, **kwargs)
        return wrapped
    return decorate


# ---------------------------------------------------------------------- bodies and shapes
def json_body() -> dict:
    if not request.data:
        raise BadRequest("Empty Payload. JSON content expected.")
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise BadRequest("Unable to read JSON request payload. Please ensure Content-Type header is set and payload "
                         "is of valid JSON format.")
    return data


def shape(etype: EntityType, doc: Mapping, select: Iterable[str] | None = None, *, odata_type: bool = False) -> dict:
    """A stored document as Graph returns it: the selected (or default) properties, in a fixed order."""
    out: dict[str, Any] = {}
    if odata_type:
        out["@odata.type"] = etype.odata_type
    for prop in (select or etype.defaults):
        if prop in etype.properties:
            value = doc.get(prop)
            if value is None and etype.properties[prop].endswith("[]"):
                value = []
            out[prop] = value
    return out


# ---------------------------------------------------------------------- paging
_SAFE = "$'(),:"


def _next_link(token: str) -> str:
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k.lower() != "$skiptoken"]
    pairs.append(("$skiptoken", token))
    return f"{public_base()}{request.path}?{urlencode(pairs, safe=_SAFE, quote_via=quote)}"


def list_response(table, etype: EntityType, opts: QueryOptions, *, context: str,
                  predicate: Callable[[Mapping], bool] | None = None,
                  candidates: Iterable[int] | None = None,
                  render: Callable[[Mapping], dict] | None = None,
                  index_props: Iterable[str] = ()) -> Response:
    """One page of a collection with ``$filter``/``$search``/``$orderby``/``$count`` and a nextLink.

    Plain listing walks the table in creation order from the skiptoken's
    position (cost: one page); ``$filter`` on an indexed property (``eq``,
    ``in``) starts from the index's candidates instead of scanning.
    ``$orderby``, ``$search`` and ``$count`` need every match (advanced
    queries: O(n), as on the real service they are served from an index we
    do not have).
    """
    d = directory()
    render = render or (lambda doc: shape(etype, doc, opts.select))
    tests = [p for p in (predicate, opts.filter.matches if opts.filter else None, opts.search) if p]

    def ok(doc: Mapping) -> bool:
        return all(t(doc) for t in tests)

    if candidates is None and opts.filter and opts.filter.index_hint and opts.filter.index_hint[0] in index_props:
        prop, values = opts.filter.index_hint
        found: set[int] = set()
        for value in values:
            if value is not None:
                found.update(doc.doc_id for doc in table.find_all(prop, value))
        candidates = sorted(found)
    with d.store.lock:
        raw = table._read_table()
        source = list(candidates) if candidates is not None else None
        body: dict[str, Any] = {"@odata.context": context_url(context)}
        if opts.orderby or opts.count or opts.search:
            ids = source if source is not None else d.ordered_ids(table)
            matches = [i for i in ids if i in raw and ok(raw[i])]
            if opts.orderby:
                prop, desc = opts.orderby
                matches.sort(key=lambda i: (str(raw[i].get(prop) or "").casefold(), i), reverse=desc)
            offset = 0
            if opts.skiptoken:
                kind, value = decode_skiptoken(opts.skiptoken)
                offset = int(value) if kind == "o" and value.isdigit() else 0
            page = matches[offset:offset + opts.top]
            if opts.count:
                body["@odata.count"] = len(matches)
            more = offset + opts.top < len(matches)
            token = encode_skiptoken("o", offset + opts.top) if more else None
        else:
            after = 0
            if opts.skiptoken:
                kind, value = decode_skiptoken(opts.skiptoken)
                if kind != "d" or not value.isdigit():
                    raise BadRequest("The specified page token value has expired or is invalid.")
                after = int(value)
            page, token = [], None
            walk = ((i, raw[i]) for i in source if i > after and i in raw) if source is not None else d.iter_docs(table, after)
            for doc_id, doc in walk:
                if not ok(doc):
                    continue
                if len(page) == opts.top:
                    token = encode_skiptoken("d", page[-1])
                    break
                page.append(doc_id)
        if token:
            body["@odata.nextLink"] = _next_link(token)
        body["value"] = [render(raw[i]) for i in page]
    return odata_response(body)
