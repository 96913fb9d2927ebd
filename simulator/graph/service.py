"""The Graph surface's per-runtime state: tenant identity, app clients, token issuer.

Lives in ``runtime.service(GRAPH)`` beside the :class:`Directory`
(``runtime.service(DIRECTORY)``); built by :func:`simulator.graph.init_app`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.core import ConfigError

from .auth import GraphClient, TokenIssuer
from .directory import Directory

__all__ = ["GraphService"]


@dataclass
class GraphService:
    tenant_id: str
    domain: str
    domains: list[str]
    display_name: str
    clients: list[GraphClient]
    issuer: TokenIssuer
    directory: Directory
    _by_id: dict[str, GraphClient] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, runtime, directory: Directory) -> GraphService:
        tenant = runtime.fixture.get("tenant") or {}
        try:
            clients = [GraphClient.from_fixture(c) for c in tenant.get("clients") or []]
        except KeyError as err:
            raise ConfigError(f"tenant.clients[]: every client needs {err.args[0]!r}") from err
        issuer = TokenIssuer(seed=runtime.config.seed, tenant_id=directory.tenant_id, clock=runtime.clock,
                             ids=runtime.ids.stream("entra-login"), signing_key=runtime.config.signing_key)
        service = cls(tenant_id=directory.tenant_id, domain=directory.domains[0], domains=directory.domains,
                      display_name=str(tenant.get("displayName") or directory.domains[0]), clients=clients,
                      issuer=issuer, directory=directory)
        issuer.known_app = lambda app_id: service.client_by_app_id(app_id) is not None
        return service

    def client(self, client_id: str) -> GraphClient | None:
        """By client id or appId (Entra's client_id is the appId; the fixture also names clients)."""
        if not self._by_id:
            for c in self.clients:
                self._by_id[c.client_id.lower()] = c
                self._by_id[c.app_id.lower()] = c
        return self._by_id.get((client_id or "").lower())

    def client_by_app_id(self, app_id: str) -> GraphClient | None:
        return self.client(app_id)

    def knows_tenant(self, tenant: str) -> bool:
        t = (tenant or "").lower()
        return t == self.tenant_id.lower() or t in {d.lower() for d in self.domains}

    @property
    def login_prefixes(self) -> tuple[str, ...]:
        return tuple(f"/{t}/" for t in (self.tenant_id, *self.domains))
