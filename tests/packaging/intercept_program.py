"""A user's program, run by tests/packaging/test_wheel.py in a fresh venv with ``provsim[sdk]`` from the
wheel: production code (an Entra admin script, a provisioning check, a Genesys integration) with not one
host, URL or authority changed, inside ``simulator.intercept()``. Prints one JSON line."""

import asyncio
import json

import msal
import PureCloudPlatformClientV2 as genesys
import requests
from azure.identity import ClientSecretCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential
from msgraph import GraphServiceClient

import simulator

TENANT, CLIENT_ID, SECRET = "contoso.onmicrosoft.com", "provsim-graph-client", "provsim-graph-secret"


async def group_names() -> list[str]:
    async with AsyncClientSecretCredential(TENANT, CLIENT_ID, SECRET) as credential:
        return sorted(g.display_name for g in (await GraphServiceClient(credential).groups.get()).value)


def production_code() -> dict:
    graph = GraphServiceClient(ClientSecretCredential(TENANT, CLIENT_ID, SECRET))
    users = asyncio.run(graph.users.get())
    app = msal.ConfidentialClientApplication(CLIENT_ID, client_credential=SECRET,
                                             authority=f"https://login.microsoftonline.com/{TENANT}")
    token = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    api = genesys.api_client.ApiClient().get_client_credentials_token("provsim-purecloud-client",
                                                                      "provsim-purecloud-secret")
    scim = genesys.SCIMApi(api).get_scim_v2_users(filter='userName eq "megan.bowen@contoso.com"')
    return {"graph_users": len(users.value), "groups": asyncio.run(group_names()),
            "msal": token.get("token_type"), "genesys": [u.display_name for u in scim.resources]}


with simulator.intercept() as provsim:
    out = production_code()
    try:
        requests.get("https://example.com/", timeout=5)
        out["other_host"] = "was sent"
    except simulator.ProvsimError as err:
        out["other_host"] = str(err)
    out["traffic"] = len(provsim.traffic())
print(json.dumps(out))
