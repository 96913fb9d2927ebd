"""Point the real Microsoft clients (msal, msgraph-sdk) at a provsim server over plain http.

Prefer ``provsim serve --tls`` (the SDKs as they are, with the local CA trusted) or
``simulator.interception.intercept`` (your code unchanged, in-process): docs/graph-sdk-recipe.md.

Needs the ``sdk`` extra (msal, msgraph-sdk, requests); nothing here is
imported by the simulator itself.  The recipe, step by step, is in
docs/graph-sdk-recipe.md::

    from simulator.graph.sdk import graph_service_client
    client = graph_service_client("http://127.0.0.1:8080")      # demo tenant and credentials
    users = await client.users.get()

How it works: msal only talks to https authorities, so it is given the real
``https://login.microsoftonline.com/<tenant>`` and a ``requests.Session``
that sends those URLs to the fake instead (adding ``X-Forwarded-Proto`` /
``X-Forwarded-Host`` so the fake's discovery document keeps naming the https
host msal expects).  The Graph client gets the token through kiota's bearer
provider and the fake's ``/v1.0`` as its base URL.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LOGIN_HOST", "LoginRedirectSession", "confidential_client", "MsalTokenProvider", "graph_service_client"]

LOGIN_HOST = "https://login.microsoftonline.com"
DEMO = {"tenant": "contoso.onmicrosoft.com", "client_id": "provsim-graph-client", "client_secret": "provsim-graph-secret"}


def _session_class():
    import requests

    class LoginRedirectSession(requests.Session):
        """A requests session that sends ``https://login.microsoftonline.com/...`` to ``base_url``."""

        def __init__(self, base_url: str) -> None:
            super().__init__()
            self.base_url = base_url.rstrip("/")
            self.trust_env = False  # never send loopback traffic through a proxy from the environment

        def request(self, method, url, *args, **kwargs):  # type: ignore[override]  # requests.Session.request's long signature, passed through
            if isinstance(url, str) and url.startswith(LOGIN_HOST):
                url = self.base_url + url[len(LOGIN_HOST):]
                headers = dict(kwargs.pop("headers", None) or {})
                headers.setdefault("X-Forwarded-Proto", "https")
                headers.setdefault("X-Forwarded-Host", LOGIN_HOST.split("://", 1)[1])
                kwargs["headers"] = headers
            return super().request(method, url, *args, **kwargs)

    return LoginRedirectSession


def LoginRedirectSession(base_url: str):  # noqa: N802 - reads like the class it builds
    return _session_class()(base_url)


def confidential_client(base_url: str, *, tenant: str = DEMO["tenant"], client_id: str = DEMO["client_id"],
                        client_secret: str = DEMO["client_secret"]):
    """An ``msal.ConfidentialClientApplication`` whose login traffic goes to the fake at ``base_url``."""
    import msal

    return msal.ConfidentialClientApplication(
        client_id, client_credential=client_secret, authority=f"{LOGIN_HOST}/{tenant}",
        http_client=LoginRedirectSession(base_url), instance_discovery=False, validate_authority=False)


def _provider_class():
    from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator

    class MsalTokenProvider(AccessTokenProvider):
        """kiota access-token provider backed by msal's client-credentials flow (msal caches the token)."""

        def __init__(self, app: Any, scopes: list[str], allowed_hosts: list[str]) -> None:
            self.app = app
            self.scopes = scopes
            self._validator = AllowedHostsValidator(allowed_hosts)

        async def get_authorization_token(self, uri: str, additional_authentication_context: dict | None = None) -> str:
            result = self.app.acquire_token_for_client(scopes=self.scopes)
            if "access_token" not in result:
                raise RuntimeError(f"token request failed: {result.get('error')}: {result.get('error_description')}")
            return result["access_token"]

        def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
            return self._validator

    return MsalTokenProvider


def MsalTokenProvider(app: Any, scopes: list[str], allowed_hosts: list[str]):  # noqa: N802
    return _provider_class()(app, scopes, allowed_hosts)


def graph_service_client(base_url: str, *, tenant: str = DEMO["tenant"], client_id: str = DEMO["client_id"],
                         client_secret: str = DEMO["client_secret"],
                         scopes: tuple[str, ...] = ("https://graph.microsoft.com/.default",)):
    """A ``GraphServiceClient`` talking to the fake at ``base_url`` (token from the fake's Entra login)."""
    from urllib.parse import urlsplit

    import httpx
    from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory

    app = confidential_client(base_url, tenant=tenant, client_id=client_id, client_secret=client_secret)
    host = urlsplit(base_url).hostname or "127.0.0.1"
    auth = BaseBearerTokenAuthenticationProvider(MsalTokenProvider(app, list(scopes), [host]))
    # No pooled keep-alive connections: callers run the async SDK under several asyncio.run() calls, and a
    # connection pooled in one event loop cannot be reused from the next (servers now keep connections open).
    http_client = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0)))
    adapter = GraphRequestAdapter(auth, client=http_client)
    adapter.base_url = base_url.rstrip("/") + "/v1.0"
    return GraphServiceClient(request_adapter=adapter)
