"""``client.genesys``: Genesys Cloud's ``/oauth/token``, SCIM and Platform API, as an admin makes the calls by hand."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpx

from simulator.client import login
from simulator.client.base import PLATFORM_PATH, SCIM_PATH, Unreachable, api_error, parsed

if TYPE_CHECKING:
    from simulator.client import ProvsimClient

__all__ = ["GenesysApi"]


class GenesysApi:
    """A Genesys SCIM call is ``client.genesys(method, path, body)``; ``platform`` for the Platform API."""

    def __init__(self, client: ProvsimClient) -> None:
        self._c = client
        self._token: str | None = None

    def _forget(self) -> None:
        self._token = None

    # ---- Genesys login and SCIM ----------------------------------------------------------
    def token(self, client_id: str | None = None, client_secret: str | None = None, *, base: str = "") -> str:
        """A token from Genesys' ``/oauth/token`` (this provsim's, or the org at ``base``)."""
        cid, secret = client_id or self._c.genesys_client[0], client_secret or self._c.genesys_client[1]
        try:
            if base and base.rstrip("/") != self._c.base_url:
                with httpx.Client(timeout=30) as other:
                    return login.genesys_token(other, cid, secret, base=base)["access_token"]
            return login.genesys_token(self._c.http, cid, secret)["access_token"]
        except httpx.TransportError as err:
            raise Unreachable(f"cannot reach the Genesys login at {base or self._c.base_url}/oauth/token: {err}") from err

    def response(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                         token: str | None = None, ok: Iterable[int] | None = None) -> httpx.Response:
        """A Genesys SCIM call (``path`` under ``/api/v2/scim/v2``), as an admin would make it by hand."""
        path = path if path.startswith("/") else "/" + path
        return self._c._call(method, f"{SCIM_PATH}{path}", body, params,
                          {"Authorization": f"Bearer {token or self._admin_token()}"}, ok)

    def __call__(self, method: str, path: str, body: Any = None, *, params: dict | None = None, token: str | None = None,
                ok: Iterable[int] = (200, 201, 204)) -> Any:
        return parsed(self.response(method, path, body, params=params, token=token, ok=ok))

    def platform_response(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                                  token: str | None = None, ok: Iterable[int] | None = None) -> httpx.Response:
        """A Genesys Platform API call (``path`` under ``/api/v2``, e.g. ``POST /groups`` as Admin >
        Groups does): what SCIM cannot do, such as creating a group or an OAuth client."""
        path = path if path.startswith("/") else "/" + path
        return self._c._call(method, f"{PLATFORM_PATH}{path}", body, params,
                          {"Authorization": f"Bearer {token or self._admin_token()}"}, ok)

    def platform(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                         ok: Iterable[int] = (200, 201, 204), login: bool = True) -> Any:
        """A Genesys Platform API call as the admin (the demo OAuth client); the parsed body.

        Like an admin's script, it logs in again once when Genesys says the token is no longer good
        (expired or revoked: 401); anything else not in ``ok`` raises :class:`ApiError`.
        ``login=False`` sends no token: only the dashboard's in-process observer reads are answered so."""
        if not login:
            path = path if path.startswith("/") else "/" + path
            return parsed(self._c._call(method, f"{PLATFORM_PATH}{path}", body, params, {}, ok))
        resp = self.platform_response(method, path, body, params=params)
        if resp.status_code == 401:
            self._token = None
            resp = self.platform_response(method, path, body, params=params)
        if resp.status_code not in tuple(ok):
            raise api_error(method, f"{PLATFORM_PATH}{path}", resp)
        return parsed(resp)

    def _admin_token(self) -> str:
        if self._token is None:
            self._token = self.token()
        return self._token
