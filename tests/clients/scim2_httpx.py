"""scim2-client over a plain ``httpx.Client`` (real socket).

scim2-client 0.13 ships its network engine for the ``httpx2`` fork, which is not
a provsim dependency; its engine is three methods, so this adapter gives it an
``httpx.Client`` instead.  Everything else (payload checks, content-type and
status checks, discovery) is scim2-client's own code.
"""

from __future__ import annotations

from typing import Any

import httpx
from scim2_client import BaseSyncSCIMClient
from scim2_client.errors import RequestNetworkException


class HttpxSCIMClient(BaseSyncSCIMClient):
    def __init__(self, client: httpx.Client, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        base = self.client.base_url
        url = self.client.build_request("GET", endpoint).url
        return url.scheme == base.scheme and url.host == base.host and url.port == base.port \
            and url.raw_path.startswith(base.raw_path)

    def _parse_json(self, response: Any) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, url, **kwargs)
        except httpx.RequestError as exc:
            err = RequestNetworkException()
            err.add_note(str(exc))
            raise err from exc


def scim_http_client(base_url: str, client_id: str = "provsim-purecloud-client",
                     client_secret: str = "provsim-purecloud-secret") -> httpx.Client:
    """An httpx client for ``{base_url}/api/v2/scim/v2`` with a fresh Genesys bearer token."""
    token = httpx.post(f"{base_url}/oauth/token", data={"grant_type": "client_credentials"},
                       auth=(client_id, client_secret)).json()["access_token"]
    return httpx.Client(base_url=f"{base_url}/api/v2/scim/v2/", headers={"Authorization": f"Bearer {token}"}, timeout=30)
