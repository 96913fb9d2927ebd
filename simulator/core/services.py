"""Typed keys for the services a runtime holds (:meth:`Runtime.register`, :meth:`Runtime.service`).

A key carries the type of what it finds, so ``runtime.service(DIRECTORY)`` is a
:class:`~simulator.graph.directory.Directory` to mypy at every use site, where
the old look-up by a name string was ``Any``.  The well-known keys live here, in the kernel,
because their users sit in layers that may not import each other (the dashboard reads the Genesys
org, the HTTP middleware too); the types are imported for the type checker only, so core loads
nothing above it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:  # types only: core imports no layer above it at run time
    from simulator.engine.service import ProvisioningService
    from simulator.graph.directory import Directory
    from simulator.graph.service import GraphService
    from simulator.http.server import Housekeeping
    from simulator.purecloud.org import PureCloudOrg
    from simulator.purecloud.platform_service import PlatformService

__all__ = ["ServiceKey", "DIRECTORY", "GRAPH", "PURECLOUD", "PURECLOUD_PLATFORM", "PROVISIONING", "HOUSEKEEPING"]

T = TypeVar("T")


class ServiceKey(Generic[T]):
    """The name a service is registered under, typed by what it finds.  Keys compare by identity;
    ``name`` is what :attr:`Runtime.services` and ``/_provsim/health`` show."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ServiceKey({self.name!r})"


#: The Entra directory (users, groups, applications, service principals), simulator/graph/directory/.
DIRECTORY: ServiceKey[Directory] = ServiceKey("directory")
#: Microsoft Graph's tenant, clients and token issuer, simulator/graph/service.py.
GRAPH: ServiceKey[GraphService] = ServiceKey("graph")
#: The Genesys Cloud org behind the SCIM API, simulator/purecloud/org.py.
PURECLOUD: ServiceKey[PureCloudOrg] = ServiceKey("purecloud")
#: The Genesys Platform API's view of the same org, simulator/purecloud/platform_service.py.
PURECLOUD_PLATFORM: ServiceKey[PlatformService] = ServiceKey("purecloud-platform")
#: The Entra provisioning service (jobs, logs, outbox), simulator/engine/service.py.
PROVISIONING: ServiceKey[ProvisioningService] = ServiceKey("provisioning")
#: A long-lived server's background flush and clock ticks, simulator/http/server.py.
HOUSEKEEPING: ServiceKey[Housekeeping] = ServiceKey("housekeeping")
