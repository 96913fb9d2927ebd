"""Client-credentials logins as real clients do them: Genesys ``/oauth/token`` and the Entra token endpoint.

Two ways to use them, over any ``httpx.Client`` (in-process through
:class:`~simulator.client.transport.InProcessTransport`, or a real ``provsim serve``):

* as ``httpx.Auth``, the way httpx structures authentication (``auth_flow``, and
  ``sync_auth_flow``/``async_auth_flow`` where the flow locks): the client logs in on the first
  request, keeps the token until shortly before its ``expires_in``, sends ``Authorization: Bearer …``,
  and when the API answers 401 (the token was revoked, or expired early) logs in again once and
  retries the request::

      auth = GenesysClientCredentials("my-client-id", "my-secret")
      with httpx.Client(base_url="http://127.0.0.1:8080/api/v2/scim/v2/", auth=auth) as http:
          http.get("Users")                  # POST /oauth/token, then GET /Users
          http.get("Users", params={"startIndex": 26})  # the same token

      graph = GraphClientCredentials("contoso.onmicrosoft.com", "app-id", "secret")
      httpx.Client(base_url="http://127.0.0.1:8080/v1.0/", auth=graph).get("users")

  ``token_url`` is where the login goes.  A relative one (the defaults: ``/oauth/token``,
  ``/{tenant}/oauth2/v2.0/token``) is resolved against each API request's URL, right for provsim,
  where the logins and the APIs share one origin; for a real org name the login host
  (``https://login.mypurecloud.com/oauth/token``, ``https://login.microsoftonline.com/…``).
  One instance may serve several clients and threads: the token refresh holds a lock (a
  ``threading.Lock`` under ``httpx.Client``, an ``anyio.Lock`` under ``httpx.AsyncClient``), so
  concurrent requests share one login.
* as functions returning the token endpoint's answer, a new login per call:
  :func:`genesys_token` and :func:`graph_token` (``provsim token``, ``provsim job``, the snapshot
  fetcher, the tests).

A login the endpoint refuses raises :class:`LoginFailed` with the endpoint's own explanation
(Genesys' ``description``, the first line of Entra's ``AADSTS…`` ``error_description``).
Neither the secret nor a token is ever logged or shown by ``repr``.  Transport errors are the
caller's to report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import anyio
import httpx

from simulator.core import ProvsimError

__all__ = [
    "LoginFailed", "ClientCredentials", "GenesysClientCredentials", "GraphClientCredentials",
    "genesys_token", "graph_token", "DEMO_GENESYS", "DEMO_GRAPH", "GRAPH_SCOPE",
]

DEMO_GENESYS = ("provsim-purecloud-client", "provsim-purecloud-secret")
DEMO_GRAPH = ("provsim-graph-client", "provsim-graph-secret")
GRAPH_SCOPE = "https://graph.microsoft.com/.default"

#: The request headers a login carries over from the API request it precedes (the client's
#: defaults, in their order); never the API request's Authorization, cookies or body headers.
_CARRIED_HEADERS = frozenset({b"accept", b"accept-encoding", b"connection", b"user-agent"})


class LoginFailed(ProvsimError):
    """The login endpoint refused; ``detail`` is its own explanation, ``body`` its parsed answer."""

    def __init__(self, url: str, status: int, detail: str, body: Any) -> None:
        super().__init__(f"token request to {url} failed ({status}): {detail}")
        self.url, self.status, self.detail, self.body = url, status, detail, body


def _token_body(resp: httpx.Response) -> dict:
    try:
        body = resp.json()
    except ValueError:
        body = None
    if resp.status_code == 200 and isinstance(body, dict) and "access_token" in body:
        return body
    detail = resp.text[:200]
    if isinstance(body, dict):
        # Genesys answers {"error", "description"}; Entra {"error", "error_description": "AADSTS...\r\nTrace ID..."}.
        found = body.get("description") or body.get("error_description") or body.get("message")
        if found:
            detail = str(found).split("\r\n")[0]
    raise LoginFailed(str(resp.request.url), resp.status_code, detail, body)


class _Token:
    """A cached access token and the moment (on the auth's clock) it stops being used."""

    __slots__ = ("value", "renew_at")

    def __init__(self, value: str, renew_at: float) -> None:
        self.value, self.renew_at = value, renew_at

    def __repr__(self) -> str:
        return "<token>"


class ClientCredentials(httpx.Auth):
    """An OAuth 2.0 client-credentials login (RFC 6749 §4.4) as an ``httpx.Auth``: the shared part of
    :class:`GenesysClientCredentials` and :class:`GraphClientCredentials`, which say what the token
    request looks like (:meth:`_form`, :meth:`_sign`).

    ``leeway``: seconds before ``expires_in`` runs out at which the token is renewed (at most half
    its lifetime); ``clock``: the monotonic clock that measures it.  ``relogin_on``: which answers
    mean "log in again and retry once" among the API's 401 answers (default: all of them)."""

    requires_request_body = True  # a retried request is sent twice
    requires_response_body = True  # auth_flow reads the token answer (sync_auth_flow/async_auth_flow read it themselves)

    def __init__(self, client_id: str, client_secret: str, *, token_url: str, leeway: float = 60.0,
                 relogin_on: Callable[[httpx.Response], bool] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client_id = client_id
        self.token_url = token_url
        self.leeway = leeway
        self._secret = client_secret
        self._relogin_on = relogin_on or (lambda response: True)
        self._clock = clock
        self._token: _Token | None = None
        self._lock = threading.Lock()
        self._async_lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.client_id!r}, token_url={self.token_url!r})"

    # ---- the token request: what each login endpoint wants --------------------------------
    def _form(self) -> dict[str, str]:
        raise NotImplementedError

    def _sign(self, login: httpx.Request) -> None:
        """Add the client authentication the endpoint wants beyond the form (nothing by default)."""

    def _login_request(self, request: httpx.Request) -> httpx.Request:
        """The login that precedes ``request``: to :attr:`token_url` resolved against its URL."""
        headers = [(k, v) for k, v in request.headers.raw if k.lower() in _CARRIED_HEADERS]
        login = httpx.Request("POST", request.url.join(self.token_url), data=self._form(), headers=headers,
                              extensions={k: v for k, v in request.extensions.items() if k == "timeout"})
        self._sign(login)
        return login

    # ---- the token cache ------------------------------------------------------------------
    def _cached(self, unless: str | None = None) -> str | None:
        """The cached token while it is good (and is not ``unless``, the one the API just refused)."""
        token = self._token
        if token is None or token.value == unless or self._clock() >= token.renew_at:
            return None
        return token.value

    def _accept(self, response: httpx.Response) -> str:
        """Keep the token of a (read) login answer; :class:`LoginFailed` when the endpoint refused."""
        return self._keep(_token_body(response))

    def _keep(self, body: dict) -> str:
        value = str(body["access_token"])
        try:
            lifetime = float(body.get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = 0.0
        renew_at = self._clock() + lifetime - min(self.leeway, lifetime / 2) if lifetime > 0 else float("inf")
        self._token = _Token(value, renew_at)
        return value

    def forget(self) -> None:
        """Drop the cached token: the next request logs in again."""
        self._token = None

    # ---- outside a request: a token, or a fresh login -------------------------------------
    def login(self, client: httpx.Client) -> dict:
        """A new login through ``client`` (a relative :attr:`token_url` goes to its ``base_url``): the
        token endpoint's answer (``access_token``, ``expires_in``, ...); its token is cached."""
        with self._lock:
            body = _token_body(self._send_login(client))
            self._keep(body)
        return body

    def token(self, client: httpx.Client, *, fresh: bool = False) -> str:
        """The cached token, after a login through ``client`` when there is none good (or ``fresh``)."""
        with self._lock:
            token = None if fresh else self._cached()
            return token if token is not None else self._accept(self._send_login(client))

    def _send_login(self, client: httpx.Client) -> httpx.Response:
        request = client.build_request("POST", self.token_url, data=self._form())
        self._sign(request)
        return client.send(request, auth=None)  # never through a client's own auth (this one, maybe)

    # ---- httpx.Auth ---------------------------------------------------------------------------
    @staticmethod
    def _authorize(request: httpx.Request, token: str) -> httpx.Request:
        request.headers["Authorization"] = f"Bearer {token}"  # in place when the request has one (a retry)
        return request

    def _refused(self, response: httpx.Response) -> bool:
        """Whether the API's answer means the token is no longer good: a 401 that ``relogin_on`` accepts."""
        return response.status_code == 401 and self._relogin_on(response)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """The flow without a lock (the client reads each answer first: ``requires_response_body``);
        httpx's clients use :meth:`sync_auth_flow` and :meth:`async_auth_flow`."""
        token = self._cached()
        if token is None:
            token = self._accept((yield self._login_request(request)))
        response = yield self._authorize(request, token)
        if self._refused(response):
            token = self._cached(unless=token) or self._accept((yield self._login_request(request)))
            yield self._authorize(request, token)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.read()
        token = yield from self._sync_token(request)
        response = yield self._authorize(request, token)
        if response.status_code == 401:
            response.read()
            if self._refused(response):
                token = yield from self._sync_token(request, unless=token)
                yield self._authorize(request, token)

    def _sync_token(self, request: httpx.Request,
                    unless: str | None = None) -> Generator[httpx.Request, httpx.Response, str]:
        with self._lock:  # one login at a time: who waited finds the new token cached
            token = self._cached(unless)
            if token is None:
                answer = yield self._login_request(request)
                answer.read()
                token = self._accept(answer)
        return token

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()
        async with self._async_lock:  # async generators have no "yield from": the login step is spelt out twice
            token = self._cached()
            if token is None:
                answer = yield self._login_request(request)
                await answer.aread()
                token = self._accept(answer)
        response = yield self._authorize(request, token)
        if response.status_code == 401:
            await response.aread()
            if self._refused(response):
                async with self._async_lock:
                    token = self._cached(unless=token)
                    if token is None:
                        answer = yield self._login_request(request)
                        await answer.aread()
                        token = self._accept(answer)
                yield self._authorize(request, token)


class GenesysClientCredentials(ClientCredentials):
    """Genesys Cloud's client-credentials login: ``POST {token_url}`` with HTTP Basic
    (``client_id:client_secret``) and ``grant_type=client_credentials`` ("Use client credentials
    grant" in the Genesys Cloud developer center); the default ``token_url`` is ``/oauth/token`` on
    the API's own origin (provsim), a real org's is ``https://login.<region domain>/oauth/token``."""

    def __init__(self, client_id: str = DEMO_GENESYS[0], client_secret: str = DEMO_GENESYS[1], *,
                 token_url: str = "/oauth/token", **kwargs: Any) -> None:
        super().__init__(client_id, client_secret, token_url=token_url, **kwargs)

    def _form(self) -> dict[str, str]:
        return {"grant_type": "client_credentials"}

    def _sign(self, login: httpx.Request) -> None:
        next(httpx.BasicAuth(self.client_id, self._secret).auth_flow(login))  # sets Authorization: Basic …


class GraphClientCredentials(ClientCredentials):
    """The Entra login for Microsoft Graph: ``POST {token_url}`` (default
    ``/{tenant}/oauth2/v2.0/token`` on the API's origin; Entra's is
    ``https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token``) with the client id, secret,
    ``scope`` and ``grant_type=client_credentials`` in the form ("Microsoft identity platform and the
    OAuth 2.0 client credentials flow" on Microsoft Learn)."""

    def __init__(self, tenant: str, client_id: str = DEMO_GRAPH[0], client_secret: str = DEMO_GRAPH[1], *,
                 scope: str = GRAPH_SCOPE, token_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(client_id, client_secret, token_url=token_url or f"/{tenant}/oauth2/v2.0/token", **kwargs)
        self.tenant, self.scope = tenant, scope

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(tenant={self.tenant!r}, client_id={self.client_id!r}, "
                f"scope={self.scope!r}, token_url={self.token_url!r})")

    def _form(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self._secret, "scope": self.scope,
                "grant_type": "client_credentials"}


def genesys_token(client: httpx.Client, client_id: str = DEMO_GENESYS[0], client_secret: str = DEMO_GENESYS[1],
                  *, base: str = "") -> dict:
    """The token response of ``POST {base}/oauth/token`` (HTTP Basic, ``grant_type=client_credentials``)."""
    return GenesysClientCredentials(client_id, client_secret, token_url=f"{base.rstrip('/')}/oauth/token").login(client)


def graph_token(client: httpx.Client, tenant: str, client_id: str = DEMO_GRAPH[0], client_secret: str = DEMO_GRAPH[1],
                *, scope: str = GRAPH_SCOPE, base: str = "") -> dict:
    """The token response of ``POST {base}/{tenant}/oauth2/v2.0/token`` (client credentials)."""
    return GraphClientCredentials(tenant, client_id, client_secret, scope=scope,
                                  token_url=f"{base.rstrip('/')}/{tenant}/oauth2/v2.0/token").login(client)
