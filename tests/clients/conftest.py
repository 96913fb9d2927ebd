"""scim2-client as its users install it (``scim2-client[httpx2]``): its own ``SyncSCIMClient`` over
an ``httpx2.Client``, nothing of ours in between (the README says it works unchanged)."""

from __future__ import annotations

import pytest


@pytest.fixture
def scim2_client(served):
    """scim2-client's network engine on ``{served}/api/v2/scim/v2/`` with a Genesys bearer token, discovered."""
    httpx2 = pytest.importorskip("httpx2")
    engine = pytest.importorskip("scim2_client.engines.httpx2")
    token = httpx2.post(f"{served.url}/oauth/token", data={"grant_type": "client_credentials"},
                        auth=("provsim-purecloud-client", "provsim-purecloud-secret")).json()["access_token"]
    with httpx2.Client(base_url=f"{served.url}/api/v2/scim/v2/", headers={"Authorization": f"Bearer {token}"},
                       timeout=30) as http:
        client = engine.SyncSCIMClient(http)
        client.discover()
        yield client
