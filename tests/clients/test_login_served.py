"""The logins as ``httpx.Auth`` (simulator/client/login.py) over a real socket (``provsim serve``'s
server): a plain ``httpx.Client`` and an ``httpx.AsyncClient``, as a user's script holds them."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from simulator import ProvsimClient
from simulator.client.login import GenesysClientCredentials, GraphClientCredentials, LoginFailed

pytestmark = pytest.mark.clients

TENANT = "contoso.onmicrosoft.com"


def _logins(sent: list[tuple[str, str, int]]) -> int:
    return sum(1 for method, path, _ in sent if method == "POST" and path.endswith("token"))


def test_a_client_with_the_genesys_login_survives_revocation(served):
    sent: list[tuple[str, str, int]] = []
    hooks = {"response": [lambda r: sent.append((r.request.method, r.request.url.path, r.status_code))]}
    auth = GenesysClientCredentials(token_url=f"{served.url}/oauth/token")  # absolute, as a real org's login host
    with httpx.Client(base_url=f"{served.url}/api/v2/scim/v2/", auth=auth, event_hooks=hooks, timeout=30) as http:
        assert [http.get("Users", params={"count": 1}).status_code for _ in range(3)] == [200] * 3
        with ProvsimClient.connect(served.url) as admin:
            assert admin.control.revoke_genesys_tokens(client_id=auth.client_id) >= 1
        assert http.get("Users", params={"count": 1}).status_code == 200
    assert _logins(sent) == 2 and [s for s in sent if s[2] == 401] == [("GET", "/api/v2/scim/v2/Users", 401)]


def test_an_async_client_with_the_graph_login_logs_in_once_for_concurrent_requests(served):
    sent: list[tuple[str, str, int]] = []

    async def hook(response: httpx.Response) -> None:
        sent.append((response.request.method, response.request.url.path, response.status_code))

    async def run() -> list[int]:
        async with httpx.AsyncClient(base_url=f"{served.url}/v1.0/", auth=GraphClientCredentials(TENANT),
                                     event_hooks={"response": [hook]}, timeout=30) as http:
            answers = await asyncio.gather(*(http.get("users", params={"$top": "1"}) for _ in range(6)))
        return [a.status_code for a in answers]

    assert asyncio.run(run()) == [200] * 6
    assert _logins(sent) == 1


def test_an_async_client_gets_login_failed_with_entra_s_message(served):
    async def run() -> None:
        async with httpx.AsyncClient(base_url=f"{served.url}/v1.0/", timeout=30,
                                     auth=GraphClientCredentials(TENANT, "provsim-graph-client", "wrong")) as http:
            await http.get("users")

    with pytest.raises(LoginFailed, match="AADSTS"):
        asyncio.run(run())
