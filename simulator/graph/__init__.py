"""The Microsoft Graph v1.0 and Entra login fake.

    init_app(app)         registers /v1.0 (Graph) and /{tenant}/... (Entra login) on a provsim app
    Directory             the directory as a service (runtime.service(DIRECTORY))
    DirectoryReader       the engine's narrow view of it (StoreDirectoryReader implements it)
    graph_blueprint       build a blueprint wired like Graph (extensions: the synchronization API)

State lives on the app's runtime, never on this module.
"""

from __future__ import annotations

from flask import Flask

from simulator.core import Surface
from simulator.core.services import DIRECTORY, GRAPH
from simulator.http import dumps

from .auth import GraphClient, TokenIssuer
from .directory import Directory
from .errors import (
    AuthorizationDenied,
    BadRequest,
    GraphError,
    InvalidAuthenticationToken,
    LoginError,
    ResourceNotFound,
    UnsupportedQuery,
)
from .reader import (
    AssignmentChange,
    ChangeSet,
    DirectoryReader,
    DirectorySnapshot,
    MemberRef,
    MembershipChange,
    Removed,
    StoreDirectoryReader,
    Watermark,
)
from .service import GraphService

__all__ = [
    "init_app", "Directory", "DirectoryReader", "StoreDirectoryReader", "DirectorySnapshot", "ChangeSet", "Removed",
    "MembershipChange", "AssignmentChange", "MemberRef", "Watermark", "GraphService", "GraphClient", "TokenIssuer",
    "GraphError", "ResourceNotFound", "BadRequest", "UnsupportedQuery", "AuthorizationDenied",
    "InvalidAuthenticationToken", "LoginError", "graph_blueprint", "reader_for", "render_graph_error",
]


def render_graph_error(runtime):
    """The surface's error renderer (fault responses): OData shape; 429 -> TooManyRequests."""
    from simulator.core import isoformat

    codes = {429: "TooManyRequests", 503: "ServiceNotAvailable", 504: "GatewayTimeout", 401: "InvalidAuthenticationToken",
             403: "Authorization_RequestDenied", 404: "Request_ResourceNotFound", 400: "Request_BadRequest"}

    def render(status: int, message: str) -> tuple[bytes, str]:
        request_id = runtime.ids.stream("graph-requests").guid()
        body = {"error": {"code": codes.get(status, "generalException"), "message": message, "innerError": {
            "date": isoformat(runtime.clock.now()).rstrip("Z"), "request-id": request_id,
            "client-request-id": request_id}}}
        return dumps(body).encode(), "application/json"
    return render


def reader_for(runtime) -> StoreDirectoryReader:
    """The :class:`DirectoryReader` over a runtime's directory (what the engine is given)."""
    return StoreDirectoryReader(runtime.service(DIRECTORY))


def init_app(app: Flask) -> None:
    """Register Graph (``/v1.0``) and Entra login on ``app`` and seed the directory from the fixture."""
    from . import login
    from .views import build_blueprint, graph_blueprint  # noqa: F401  (re-exported below)

    runtime = app.extensions["provsim"]
    directory = runtime.find(DIRECTORY)
    if directory is None:
        directory = Directory(runtime)
        runtime.register(DIRECTORY, directory)
    service = runtime.find(GRAPH)
    if service is None:
        service = GraphService.build(runtime, directory)
        runtime.register(GRAPH, service)

    app.register_blueprint(build_blueprint())
    app.register_blueprint(login.bp)
    runtime.add_surface(Surface(name="graph", prefixes=("/v1.0",), render_error=render_graph_error(runtime),
                                seed=lambda rt, fixture: rt.service(DIRECTORY).seed(fixture)))
    runtime.add_surface(Surface(name="entra-login", prefixes=service.login_prefixes + ("/common/", "/organizations/"),
                                render_error=login.render_login_error(runtime)))


def graph_blueprint(name: str, url_prefix: str = "/v1.0"):
    """See :func:`simulator.graph.views.base.graph_blueprint`."""
    from .views.base import graph_blueprint as factory

    return factory(name, url_prefix)
