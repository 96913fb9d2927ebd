"""``create_app(config)``: one WSGI app with every surface on its real path.

    /api/v2/scim/v2/..., /api/v2/scim/..., /oauth/token     Genesys Cloud (simulator.purecloud)
    /v1.0/..., /{tenant}/oauth2/v2.0/token, discovery       Microsoft Graph + Entra login (simulator.graph)
    /_provsim/...                                           simulator control (simulator.control)
    /                                                       dashboard (simulator.web)

Nothing happens at import time; every app owns its own :class:`Runtime`.

The layers below build no app themselves: what needs a fresh simulator is handed a builder from
here (:func:`fresh_app`), and :func:`scenario_runner` is the scenario runner on one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import Flask

from simulator.core import ProvsimConfig, Runtime, StorageUnavailable
from simulator.core.services import DIRECTORY, PROVISIONING
from simulator.http import CaseInsensitive
from simulator.http.middleware import ProvsimMiddleware
from simulator.http.routing import LazyBuildRule

if TYPE_CHECKING:  # pragma: no cover
    from simulator.scenario.model import Scenario
    from simulator.scenario.runner import ScenarioRunner

__all__ = ["create_app", "fresh_app", "scenario_runner"]

log = logging.getLogger(__name__)


def create_app(config: ProvsimConfig | None = None, *, runtime: Runtime | None = None, **overrides: Any) -> Flask:
    """Build the simulator app.

    ``config`` (or keyword overrides of the default config, e.g.
    ``create_app(seed=7, fixture="blank")``) says which tenant, seed and state
    file; pass ``runtime`` to share one runtime with an engine or a test.
    """
    if runtime is None:
        config = (config or ProvsimConfig()).with_(**overrides) if overrides else (config or ProvsimConfig())
        runtime = Runtime(config)
    app = Flask("simulator")
    app.url_rule_class = LazyBuildRule  # URL builders compiled on first url_for, not per rule (simulator/http/routing.py)
    app.config.update(JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=None)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # Flask types app.json as JSONProvider; ours is DefaultJSONProvider
    app.url_map.converters["ci"] = CaseInsensitive
    app.url_map.strict_slashes = False
    app.extensions["provsim"] = runtime

    from simulator import control, graph, purecloud, web

    purecloud.init_app(app)
    graph.init_app(app)
    control.init_app(app)
    web.init_app(app)

    _register_fallback_errors(app, runtime)
    _start_provisioning_service(app, runtime)
    web.watch(app)  # the dashboard notes which requests each provisioning log entry stands for, from the start
    app.wsgi_app = ProvsimMiddleware(app.wsgi_app, runtime)  # type: ignore[method-assign]  # Flask types wsgi_app as a method; wrapping it is the documented way to add middleware
    return app


def fresh_app(config: ProvsimConfig, fixture: dict[str, Any] | None = None) -> Flask:
    """A fresh simulator for ``config``: the scenario runner's builder (:data:`simulator.scenario.runner.AppBuilder`).

    ``fixture`` is a tenant already in memory (a story's generated one); None: the runtime reads
    ``config.fixture``."""
    return create_app(runtime=Runtime(config, fixture=fixture))


def scenario_runner(scenario: Scenario, **options: Any) -> ScenarioRunner:
    """A :class:`~simulator.scenario.runner.ScenarioRunner` on a fresh simulator built for ``scenario``
    (``options``: the runner's ``seed``, ``progress``, ``extra``, ``record_target``, ``record_to``,
    ``target``), as ``provsim scenario run`` runs one: ``scenario_runner(load_scenario("demo")).run()``."""
    from simulator.scenario.runner import ScenarioRunner

    return ScenarioRunner(scenario, build=fresh_app, **options)


def _register_fallback_errors(app: Flask, runtime: Runtime) -> None:
    """What no blueprint answers (an unknown path, a method no route takes, a crash
    outside a surface) is answered in the format of the surface the path belongs to."""
    from flask import Response, request
    from werkzeug.exceptions import HTTPException

    from simulator.http.middleware import render_error_for

    def respond(status: int, message: str, headers=None) -> Response:
        body, ctype = render_error_for(runtime, request.path, status, message)
        resp = Response(body, status=status, content_type=ctype)
        for key, value in (headers or {}).items():
            resp.headers[key] = value
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        if status == 404:
            return respond(404, f"No resource at {request.path}")
        if status == 405:
            allowed = getattr(err, "valid_methods", None) or []
            return respond(405, f"{request.method} is not allowed on {request.path}",
                           {"Allow": ", ".join(allowed)} if allowed else None)
        return respond(status, err.description or err.name)

    def _storage_unavailable(err: StorageUnavailable):
        # Nothing was changed (the transaction was undone); the client may retry once the disk recovers.
        log.error("%s %s not stored: %s", request.method, request.path, err)
        return respond(503, "The simulator cannot store changes right now (its state journal cannot be written); "
                            "nothing was changed. Retry later.", {"Retry-After": "5"})

    # Blueprints' own catch-all handlers would win over an app-level one (Flask looks in the blueprint
    # first, along the whole class hierarchy), so every surface gets this one in its own scope.
    for scope in (None, *app.blueprints):
        app.error_handler_spec.setdefault(scope, {}).setdefault(None, {})[StorageUnavailable] = _storage_unavailable

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return respond(500, "An internal error occurred in the simulator.")


#: Tenant URLs on these hosts reach this app's Genesys fake in-process (no socket).
IN_PROCESS_HOSTS = ("provsim.local", "genesys.provsim.local")
#: Special-use domains no resolver answers (RFC 2606, RFC 6761): a tenant URL there can only mean this app.
RESERVED_SUFFIXES = (".test", ".example", ".invalid")


class InProcessHosts:
    """The hosts whose tenant URLs reach this app without a socket: the fixed names, the served
    address, any name under a reserved domain (``http://provsim.test``), and every host this app
    has been called at through :class:`~simulator.client.transport.InProcessTransport` (so whatever base
    URL a test's in-process client uses is a working tenant URL)."""

    def __init__(self, hosts) -> None:
        self._hosts = {h.lower() for h in hosts}

    def add(self, host: str) -> None:
        self._hosts.add(host.lower())

    def __contains__(self, host: object) -> bool:
        if not isinstance(host, str):
            return False
        host = host.lower().removesuffix(":none")  # TargetFactory also asks "host:port", port None by default
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return host in self._hosts or name.endswith(RESERVED_SUFFIXES)

    def __iter__(self):
        return iter(sorted(self._hosts))


class OutboundPolicy:
    """Where the engine may call out (cycles, Test Connection, provision on demand).

    ``provsim serve`` bound to a non-loopback address is reachable by others, and a job's
    ``BaseAddress`` is set through Graph with public demo credentials: without a limit, anyone
    could aim the engine (and the bearer token it sends) at any listener.  So it then calls only
    loopback addresses, this app's in-process names and the hosts given with ``--allow-target``.
    Names are matched as written, never resolved: a name that resolves to loopback today (DNS
    rebinding) is not loopback.  On loopback every tenant URL is allowed (that is the feature).
    """

    def __init__(self, in_process: InProcessHosts, allowed: tuple[str, ...] = ()) -> None:
        self.in_process = in_process
        self.allowed = frozenset(a.strip().lower().strip("[]") for a in allowed if a.strip())

    def allows(self, host: str, port: int | None) -> bool:
        from simulator.core.security import is_loopback_name

        name = host.strip("[]").lower()
        return (is_loopback_name(name) or name in self.allowed or f"{name}:{port}" in self.allowed
                or name in self.in_process or f"{name}:{port}" in self.in_process)

    def refusal(self, host: str, port: int | None) -> str:
        where = f"{host}:{port}" if port else host
        return (f"outbound call to {where} refused: provsim serve is bound to a non-loopback address, so the "
                "provisioning engine calls only loopback addresses, in-process names and hosts allowed with "
                f"--allow-target (serve --allow-target {host} allows this one)")

    def wrap(self, transport: Any) -> Any:
        import httpx

        policy = self

        class Guarded(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                if not policy.allows(request.url.host, request.url.port):
                    raise httpx.ConnectError(policy.refusal(request.url.host, request.url.port), request=request)
                return transport.handle_request(request)

            def close(self) -> None:
                transport.close()

        return Guarded()


def _start_provisioning_service(app: Flask, runtime: Runtime) -> None:
    """The Entra provisioning service, reading this app's directory and writing over httpx."""
    if runtime.find(PROVISIONING) is not None:
        return
    import httpx

    from simulator.engine.graph_source import GraphDirectorySource
    from simulator.engine.notify import Outbox, SmtpTarget
    from simulator.engine.service import ProvisioningService, TargetFactory
    from simulator.graph import reader_for

    directory = runtime.service(DIRECTORY)
    served = httpx.URL(runtime.config.base_url)
    hosts = InProcessHosts(IN_PROCESS_HOSTS + (f"{served.host}:{served.port}",))
    _remember_in_process_hosts(app, hosts)
    config = runtime.config
    wrapper = config.target_transport_wrapper
    if config.outbound_restricted:
        policy = OutboundPolicy(hosts, config.allowed_targets)
        inner = wrapper

        def wrapper(transport: Any) -> Any:  # the guard outermost: nothing it refuses is sent or recorded
            return policy.wrap(inner(transport) if inner is not None else transport)

    service = ProvisioningService(
        runtime, GraphDirectorySource(reader_for(runtime)),
        TargetFactory(in_process_hosts=hosts, wsgi_app=app, transport_wrapper=wrapper,
                      routes=dict(config.target_routes)),
        service_principal=directory.get_service_principal, tenant_id=directory.tenant_id,
        outbox=Outbox(runtime.store, runtime.ids.stream("outbox"), folder=config.outbox_dir,
                      smtp=SmtpTarget.parse(config.smtp) if config.smtp else None),
    )
    runtime.register(PROVISIONING, service)
    service.rehydrate()

    from simulator.engine.fixture_jobs import seed_jobs

    # A fixture's provisioning jobs (provsim snapshot keeps the app's job), after the directory is seeded.
    runtime.add_seeder("provisioning", lambda rt, fixture: seed_jobs(service, fixture, directory.fixture_id))


def _remember_in_process_hosts(app: Flask, hosts: InProcessHosts) -> None:
    from flask import request

    from simulator.core.security import IN_PROCESS_MARK

    @app.before_request
    def _remember() -> None:
        if request.environ.get(IN_PROCESS_MARK):
            hosts.add(request.host)
