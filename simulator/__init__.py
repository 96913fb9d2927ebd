"""provsim: an offline, deterministic simulator of Microsoft Entra ID automatic user
provisioning into Genesys Cloud (PureCloud by Genesys) over SCIM 2.0.

The names users need, each typed (the package ships ``py.typed``)::

    from simulator import ProvsimClient, ProvsimConfig, create_app, run_scenario

    app = create_app(ProvsimConfig(seed=1, fixture="contoso"))   # the Flask app: Graph, Genesys, control
    client = ProvsimClient.in_process(app)                      # an httpx client into it, no socket
    result = run_scenario("demo")                               # a YAML story on a fresh simulator
    assert result.ok, result.failures

* :func:`create_app` - the simulator as a WSGI (Flask) app, from a :class:`ProvsimConfig`.
* :class:`ProvsimConfig` - tenant fixture, seed, state file and settings.
* :class:`InProcessTransport` - ``httpx`` straight into the app (any SDK that takes an httpx transport).
* :class:`ProvsimClient` - the simulator's own client: tokens, Graph, Genesys SCIM and ``/_provsim`` control.
* :func:`run_scenario` - the scenario runner's entry point; :class:`ScenarioResult` is what it returns.
* :func:`intercept` - your code unchanged: ``graph.microsoft.com``, ``login.microsoftonline.com`` and every
  Genesys Cloud region's hosts answered by an in-process simulator (httpx, requests/urllib3, aiohttp)::

      with simulator.intercept() as provsim:     # a ProvsimClient of that simulator
          GraphServiceClient(ClientSecretCredential(tenant, client_id, secret)).users.get()
* :class:`Runtime`, :class:`FaultRule`, :class:`ProvsimError` - the runtime behind an app, a fault rule
  (``/_provsim/faults``), the base of the errors provsim raises on purpose.

Names are loaded on first use (PEP 562), so ``import simulator.engine`` or
``import simulator.core`` does not pull in Flask: the engine stays Flask-free.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

__all__: list[str] = ["create_app", "ProvsimConfig", "InProcessTransport", "ProvsimClient", "run_scenario",
                      "ScenarioResult", "Runtime", "FaultRule", "ProvsimError", "intercept"]
__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "create_app": "simulator.app",
    "ProvsimConfig": "simulator.core",
    "ProvsimError": "simulator.core",
    "Runtime": "simulator.core",
    "FaultRule": "simulator.core",
    "InProcessTransport": "simulator.client.transport",
    "ProvsimClient": "simulator.client",
    "ScenarioResult": "simulator.scenario",
    "intercept": "simulator.interception",
}

if TYPE_CHECKING:  # pragma: no cover
    from simulator.app import create_app
    from simulator.client import ProvsimClient
    from simulator.client.transport import InProcessTransport
    from simulator.core import FaultRule, ProvsimConfig, ProvsimError, Runtime
    from simulator.interception import intercept
    from simulator.scenario import Scenario, ScenarioResult


def run_scenario(scenario: str | os.PathLike[str] | Scenario, *, seed: int | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> ScenarioResult:
    """Run a scenario on a fresh in-process simulator and return its result (``ok``, ``failures``,
    ``logs``, ``genesys_users``, ...), as ``provsim scenario run`` does.

    ``scenario`` is a shipped scenario's name (``"demo"``), a path to a ``.yaml`` file, or a
    :class:`~simulator.scenario.Scenario` already loaded; ``seed`` overrides the file's seed.  An invalid
    file raises :class:`~simulator.scenario.ScenarioInvalid` listing every problem (file:line:column)
    before anything runs; a failed expectation is in ``result.failures``, not an exception.
    """
    from simulator.app import scenario_runner
    from simulator.scenario import Scenario, load_scenario

    story = scenario if isinstance(scenario, Scenario) else load_scenario(os.fspath(scenario))
    return scenario_runner(story, seed=seed, progress=progress).run()


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
