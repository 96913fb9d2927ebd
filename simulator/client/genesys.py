"""``client.genesys``: Genesys Cloud's ``/oauth/token``, SCIM and Platform API, as an admin makes the calls by hand."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpx

from simulator.client import login
from simulator.client.base import PLATFORM_PATH, SCIM_PATH, Unreachable, parsed
from simulator.client.transport import default_ssl_context

if TYPE_CHECKING:
    from simulator.client import ProvsimClient

__all__ = ["GenesysApi"]


class GenesysApi:
    """A Genesys SCIM call is ``client.genesys(method, path, body)``; ``platform`` for the Platform API."""

    def __init__(self, client: ProvsimClient) -> None:
        self._c = client
        #: The admin's Genesys login (the client's OAuth client), as an ``httpx.Auth``: one token for
        #: every call made without an explicit ``token``, and a new login when Genesys answers 401
        #: (the token expired or was revoked), as an admin's script does.
        self.auth = login.GenesysClientCredentials(*client.genesys_client, token_url=f"{client.base_url}/oauth/token")

    def _forget(self) -> None:
        self.auth.forget()

    # ---- Genesys login and SCIM ----------------------------------------------------------
    def token(self, client_id: str | None = None, client_secret: str | None = None, *, base: str = "") -> str:
        """A token from Genesys' ``/oauth/token`` (this provsim's, or the org at ``base``)."""
        cid, secret = client_id or self._c.genesys_client[0], client_secret or self._c.genesys_client[1]
        try:
            if base and base.rstrip("/") != self._c.base_url:
                with httpx.Client(timeout=30, verify=default_ssl_context()) as other:
                    return login.genesys_token(other, cid, secret, base=base)["access_token"]
            return login.genesys_token(self._c.http, cid, secret)["access_token"]
        except httpx.TransportError as err:
            raise Unreachable(f"cannot reach the Genesys login at {base or self._c.base_url}/oauth/token: {err}") from err

    def response(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                         token: str | None = None, ok: Iterable[int] | None = None) -> httpx.Response:
        """A Genesys SCIM call (``path`` under ``/api/v2/scim/v2``), as an admin would make it by hand:
        with ``token`` as given, else logged in through :attr:`auth`."""
        return self._send(method, SCIM_PATH, path, body, params, token, ok)

    def __call__(self, method: str, path: str, body: Any = None, *, params: dict | None = None, token: str | None = None,
                ok: Iterable[int] = (200, 201, 204)) -> Any:
        return parsed(self.response(method, path, body, params=params, token=token, ok=ok))

    def platform_response(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                                  token: str | None = None, ok: Iterable[int] | None = None) -> httpx.Response:
        """A Genesys Platform API call (``path`` under ``/api/v2``, e.g. ``POST /groups`` as Admin >
        Groups does): what SCIM cannot do, such as creating a group or an OAuth client."""
        return self._send(method, PLATFORM_PATH, path, body, params, token, ok)

    def platform(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                         ok: Iterable[int] = (200, 201, 204), login: bool = True) -> Any:
        """A Genesys Platform API call as the admin (the demo OAuth client); the parsed body.

        Like an admin's script, it logs in again once when Genesys says the token is no longer good
        (expired or revoked: 401); anything else not in ``ok`` raises :class:`ApiError`.
        ``login=False`` sends no token: only the dashboard's in-process observer reads are answered so."""
        if not login:
            path = path if path.startswith("/") else "/" + path
            return parsed(self._c._call(method, f"{PLATFORM_PATH}{path}", body, params, {}, ok))
        return parsed(self.platform_response(method, path, body, params=params, ok=ok))

    def _send(self, method: str, base: str, path: str, body: Any, params: dict | None, token: str | None,
              ok: Iterable[int] | None) -> httpx.Response:
        path = path if path.startswith("/") else "/" + path
        if token:  # the caller's own token, sent as given (a 401 is the caller's answer)
            return self._c._call(method, f"{base}{path}", body, params, {"Authorization": f"Bearer {token}"}, ok)
        return self._c._call(method, f"{base}{path}", body, params, {}, ok, auth=self.auth)
