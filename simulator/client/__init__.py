"""``ProvsimClient``: one small client of a running (or in-process) provsim.

It speaks the APIs a real script uses against a tenant, and nothing else: the
Entra login and Graph (the synchronization API, provisioning logs, directory
calls), Genesys' ``/oauth/token`` and SCIM, and provsim's own ``/_provsim``
control API (virtual clock, faults, outbox).  ``provsim job``, the scenario
runner, the pytest plugin, the tests and the benchmarks all drive the
provisioning service through it, so there is one place that knows the request
shapes of the synchronization API.

    client = ProvsimClient.in_process(app)              # or ProvsimClient.connect("http://127.0.0.1:8080")
    job_id = client.jobs.configure(scope="assigned", start=True)
    client.control.advance("PT40M")
    client.jobs.get(job_id)["status"]["code"]           # "Active"

The client is a front door over one part per surface, each in its own module:

* ``client.graph`` (:class:`~simulator.client.graph.GraphApi`): the Entra login and Graph, the
  PureCloud app's service principal and assignments, users, groups and deleted items;
* ``client.genesys`` (:class:`~simulator.client.genesys.GenesysApi`): Genesys' ``/oauth/token``,
  SCIM and Platform API;
* ``client.jobs`` (:class:`~simulator.client.jobs.JobsApi`): the provisioning jobs (synchronization
  API) and the provisioning logs;
* ``client.control`` (:class:`~simulator.client.control.ControlApi`): ``/_provsim`` (clock, faults,
  traffic, outbox).

``client.graph(method, path, body)``, ``client.genesys(...)``, ``client.control(...)`` and
``client.jobs()`` still make the call they made before the split.

The logins are ``httpx.Auth`` classes (:mod:`simulator.client.login`): ``client.graph.auth`` (a
:class:`~simulator.client.login.GraphClientCredentials`) and ``client.genesys.auth`` (a
:class:`~simulator.client.login.GenesysClientCredentials`) log in on the first call, keep the token,
and log in again once when the API answers 401 (Graph: the token expired; Genesys: it expired or was
revoked).  A Genesys call given an explicit ``token=`` sends it as given.

**Deprecated** (kept working for one release, without a warning): the flat method names of the
client before the split (``client.advance``, ``client.configure``, ``client.graph_pages``, ...);
each reaches the part :data:`DEPRECATED_NAMES` names (``client.advance`` is
``client.control.advance``).  Use the parts.

Errors: a refused request raises :class:`ApiError` (HTTP status, the surface's
error code and message); no server at the URL raises :class:`Unreachable`.
Flask-free: it needs only httpx (and the app object when in-process).

The package is the client side of provsim: this module (the client), :mod:`simulator.client.login`
(client-credentials logins as real clients do them, as ``httpx.Auth``) and :mod:`simulator.client.transport`
(:class:`~simulator.client.transport.InProcessTransport`, httpx straight into the app).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from simulator.client import login
from simulator.client.base import (
    DEFAULT_ACCESS_ROLE,
    DEFAULT_TENANT,
    DEFAULT_URL,
    GALLERY_TEMPLATE_IDS,
    IN_PROCESS_BASE,
    ODATA_OBJECT,
    PLATFORM_PATH,
    RESET_SCOPES,
    SCIM_PATH,
    TEMPLATE_ID,
    ApiError,
    Unreachable,
    api_error,
    job_secrets,
)
from simulator.client.control import ControlApi
from simulator.client.genesys import GenesysApi
from simulator.client.graph import GraphApi
from simulator.client.jobs import JobsApi
from simulator.client.login import (
    DEMO_GENESYS,
    DEMO_GRAPH,
    GenesysClientCredentials,
    GraphClientCredentials,
    LoginFailed,
)
from simulator.client.transport import default_ssl_context
from simulator.core import ProvsimError  # the base of every client error, importable from here as before the split

__all__ = [
    "ProvsimClient", "ProvsimError", "ApiError", "Unreachable", "job_secrets", "GraphApi", "GenesysApi", "JobsApi", "ControlApi",
    "DEPRECATED_NAMES", "IN_PROCESS_BASE", "DEFAULT_URL", "DEFAULT_TENANT", "TEMPLATE_ID", "RESET_SCOPES", "SCIM_PATH",
    "PLATFORM_PATH", "ODATA_OBJECT", "GALLERY_TEMPLATE_IDS", "DEFAULT_ACCESS_ROLE", "login",
    "GenesysClientCredentials", "GraphClientCredentials", "LoginFailed",
]

#: The client's flat method names before the split -> the part and method that replace them.
#: Deprecated: they keep working for one release (no warning is emitted), then go.
DEPRECATED_NAMES: dict[str, tuple[str, str]] = {
    **{name: ("graph", new) for name, new in {
        "graph_token": "token", "graph_response": "response", "graph_pages": "pages",
        "service_principal_id": "service_principal_id", "assign": "assign", "assignments": "assignments",
        "unassign": "unassign", "sp_path": "sp_path", "create_user": "create_user", "update_user": "update_user",
        "set_manager": "set_manager", "remove_manager": "remove_manager", "add_member": "add_member",
        "remove_member": "remove_member", "delete_user": "delete_user", "restore_deleted": "restore_deleted",
        "purge_deleted": "purge_deleted"}.items()},
    **{name: ("genesys", new) for name, new in {
        "genesys_token": "token", "genesys_response": "response", "genesys_platform_response": "platform_response",
        "genesys_platform": "platform"}.items()},
    **{name: ("control", name) for name in (
        "now", "advance", "advance_to", "pending", "next_cycle", "reset", "add_fault", "faults", "remove_fault",
        "clear_faults", "traffic", "outbox", "revoke_genesys_tokens", "expire_genesys_tokens",
        "quarantine_on_demand")},
    **{name: ("jobs", new) for name, new in {
        "sync_path": "sync_path", "job_path": "path", "job_id": "id_of", "create_job": "create", "job": "get",
        "status": "get", "delete_job": "delete", "secrets": "secrets", "put_secrets": "put_secrets",
        "replace_secret_token": "replace_secret_token", "validate_credentials": "validate_credentials",
        "start": "start", "pause": "pause", "restart": "restart", "schema": "schema", "put_schema": "put_schema",
        "parse_expression": "parse_expression", "set_settings": "set_settings",
        "provision_on_demand": "provision_on_demand", "configure": "configure", "logs": "logs"}.items()},
}


class ProvsimClient:
    """A conversation with one provsim: a front door over its surfaces (``graph``, ``genesys``,
    ``jobs``, ``control``), sharing one ``httpx.Client`` and the cached tokens.

    The flat names of before (``client.advance``, ``client.configure``, ...) are deprecated: they
    reach the part :data:`DEPRECATED_NAMES` names, for one release."""

    def __init__(self, http: httpx.Client, *, tenant: str = DEFAULT_TENANT, service_principal: str | None = None,
                 graph_client: tuple[str, str] = DEMO_GRAPH, genesys_client: tuple[str, str] = DEMO_GENESYS) -> None:
        self.http = http
        self.tenant = tenant
        self.graph_client = graph_client
        self.genesys_client = genesys_client
        self.graph = GraphApi(self, service_principal)
        self.genesys = GenesysApi(self)
        self.jobs = JobsApi(self)
        self.control = ControlApi(self)

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def in_process(cls, app: Any, *, transport_wrapper: Any = None, base_url: str = IN_PROCESS_BASE,
                   **kwargs: Any) -> ProvsimClient:
        """A client of ``app`` (a provsim WSGI app) through :class:`InProcessTransport`: no socket.

        Any ``base_url`` works, and is then a working tenant URL for the app's jobs too."""
        from simulator.client.transport import InProcessTransport

        transport: httpx.BaseTransport = InProcessTransport(app=app)
        if transport_wrapper is not None:
            transport = transport_wrapper(transport)
        kwargs.setdefault("tenant", _fixture_domain(app.extensions["provsim"]))
        return cls(httpx.Client(transport=transport, base_url=base_url, timeout=None), **kwargs)

    @classmethod
    def connect(cls, url: str = DEFAULT_URL, **kwargs: Any) -> ProvsimClient:
        """A client of a provsim served at ``url`` (``provsim serve``)."""
        return cls(httpx.Client(base_url=url.rstrip("/"), timeout=httpx.Timeout(30.0, read=None),
                                verify=default_ssl_context()), **kwargs)

    @property
    def base_url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ProvsimClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def forget(self) -> None:
        """Drop the cached tokens and service principal id (another client reset the simulator, or
        added or removed the app), so the next call looks them up again."""
        self.graph._forget()
        self.genesys._forget()

    # ---- HTTP ----------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The one place that sends: transport failures become :class:`Unreachable`."""
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            raise Unreachable(f"cannot reach provsim at {self.base_url} ({err.__class__.__name__}: {err})") from err

    def _call(self, method: str, path: str, body: Any, params: dict | None, headers: dict,
              ok: Iterable[int] | None, auth: httpx.Auth | None = None) -> Any:
        """One call of a part: ``auth`` is the surface's login (:mod:`simulator.client.login`), if any."""
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if auth is not None:
            # The login sets the header; naming it here keeps its place among the headers, so the
            # request goes out byte for byte as when the parts set the token by hand.
            kwargs.update(headers={"Authorization": "", **headers}, auth=auth)
        if body is not None:
            kwargs["json"] = body
        resp = self.request(method, path, **kwargs)
        if ok is not None and resp.status_code not in tuple(ok):
            raise api_error(method, path, resp)
        return resp

    # ---- deprecated flat names -------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        """Deprecated: ``client.<old name>`` is the part's method :data:`DEPRECATED_NAMES` names."""
        target = DEPRECATED_NAMES.get(name)
        if target is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        part, method = target
        return getattr(object.__getattribute__(self, part), method)


def _fixture_domain(runtime: Any) -> str:
    tenant = (getattr(runtime, "fixture", None) or {}).get("tenant") or {}
    return tenant.get("domain") or DEFAULT_TENANT
