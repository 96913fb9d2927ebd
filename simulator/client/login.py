"""Client-credentials logins as real clients do them: Genesys ``/oauth/token`` and the Entra token endpoint.

One place for the request shapes and for reading the error bodies, used by ``provsim token``,
``provsim job``, the scenario runner and its tests.  Works over any ``httpx.Client``
(in-process or a real server); transport errors are the caller's to report.
"""

from __future__ import annotations

from typing import Any

import httpx

from simulator.core import ProvsimError

__all__ = ["LoginFailed", "genesys_token", "graph_token", "DEMO_GENESYS", "DEMO_GRAPH", "GRAPH_SCOPE"]

DEMO_GENESYS = ("provsim-purecloud-client", "provsim-purecloud-secret")
DEMO_GRAPH = ("provsim-graph-client", "provsim-graph-secret")
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


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


def genesys_token(client: httpx.Client, client_id: str = DEMO_GENESYS[0], client_secret: str = DEMO_GENESYS[1],
                  *, base: str = "") -> dict:
    """The token response of ``POST {base}/oauth/token`` (HTTP Basic, ``grant_type=client_credentials``)."""
    resp = client.post(f"{base.rstrip('/')}/oauth/token", data={"grant_type": "client_credentials"},
                       auth=(client_id, client_secret))
    return _token_body(resp)


def graph_token(client: httpx.Client, tenant: str, client_id: str = DEMO_GRAPH[0], client_secret: str = DEMO_GRAPH[1],
                *, scope: str = GRAPH_SCOPE, base: str = "") -> dict:
    """The token response of ``POST {base}/{tenant}/oauth2/v2.0/token`` (client credentials)."""
    resp = client.post(f"{base.rstrip('/')}/{tenant}/oauth2/v2.0/token", data={
        "client_id": client_id, "client_secret": client_secret, "scope": scope, "grant_type": "client_credentials"})
    return _token_body(resp)
