"""provsim: an offline, deterministic simulator of Microsoft Entra ID automatic user
provisioning into Genesys Cloud (PureCloud by Genesys) over SCIM 2.0.

    from simulator import create_app, ProvsimConfig
    app = create_app(ProvsimConfig(seed=1, fixture="contoso"))

Names are loaded on first use (PEP 562), so ``import simulator.engine`` or
``import simulator.core`` does not pull in Flask: the engine stays Flask-free.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["create_app", "ProvsimConfig", "ProvsimError", "Runtime", "FaultRule", "InProcessTransport", "ProvsimClient"]
__version__ = "0.1.0"

_EXPORTS = {
    "create_app": "simulator.app",
    "ProvsimConfig": "simulator.core",
    "ProvsimError": "simulator.core",
    "Runtime": "simulator.core",
    "FaultRule": "simulator.core",
    "InProcessTransport": "simulator.transport",
    "ProvsimClient": "simulator.client",
}

if TYPE_CHECKING:  # pragma: no cover
    from simulator.app import create_app
    from simulator.client import ProvsimClient
    from simulator.core import FaultRule, ProvsimConfig, ProvsimError, Runtime
    from simulator.transport import InProcessTransport


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
