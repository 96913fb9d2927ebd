"""provsim: an offline, deterministic simulator of Microsoft Entra ID automatic user
provisioning into Genesys Cloud (PureCloud by Genesys) over SCIM 2.0.

    from simulator import create_app, ProvsimConfig
    app = create_app(ProvsimConfig(seed=1, fixture="contoso"))
"""

from simulator.app import create_app
from simulator.core import FaultRule, ProvsimConfig, ProvsimError, Runtime

__all__ = ["create_app", "ProvsimConfig", "ProvsimError", "Runtime", "FaultRule"]
__version__ = "0.1.0"
