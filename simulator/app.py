"""``create_app(config)``: one WSGI app with every surface on its real path.

    /api/v2/scim/v2/..., /api/v2/scim/..., /oauth/token     Genesys Cloud (simulator.purecloud)
    /v1.0/..., /{tenant}/oauth2/v2.0/token, discovery       Microsoft Graph + Entra login (simulator.graph)
    /_provsim/...                                           simulator control (simulator.control)
    /                                                       dashboard (simulator.web)

Nothing happens at import time; every app owns its own :class:`Runtime`.
"""

from __future__ import annotations

import logging

from flask import Flask

from simulator.core import ProvsimConfig, Runtime
from simulator.http import CaseInsensitive
from simulator.middleware import ProvsimMiddleware

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(config: ProvsimConfig | None = None, *, runtime: Runtime | None = None, **overrides) -> Flask:
    """Build the simulator app.

    ``config`` (or keyword overrides of the default config, e.g.
    ``create_app(seed=7, fixture="blank")``) says which tenant, seed and state
    file; pass ``runtime`` to share one runtime with an engine or a test.
    """
    if runtime is None:
        config = (config or ProvsimConfig()).with_(**overrides) if overrides else (config or ProvsimConfig())
        runtime = Runtime(config)
    app = Flask("simulator")
    app.config.update(JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=None)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.converters["ci"] = CaseInsensitive
    app.url_map.strict_slashes = False
    app.extensions["provsim"] = runtime

    from simulator import control, graph, purecloud, web

    purecloud.init_app(app)
    graph.init_app(app)
    control.init_app(app)
    web.init_app(app)

    app.wsgi_app = ProvsimMiddleware(app.wsgi_app, runtime)  # type: ignore[method-assign]
    return app
