"""Production-style Python code against ``provsim serve --tls``, run in its own process by tests/tls.

The base URL is the one thing that names provsim; the CA is trusted the way each library reads it
(SSL_CERT_FILE for httpx and aiohttp, REQUESTS_CA_BUNDLE for requests, the Genesys SDK's own
``ssl_ca_cert``). Prints one JSON line.

    python sdk_program.py msal|azure-sync|azure-async|genesys https://localhost:PORT [CA]
"""

from __future__ import annotations

import asyncio
import json
import sys
from urllib.parse import urlsplit

TENANT, CLIENT_ID, SECRET = "contoso.onmicrosoft.com", "provsim-graph-client", "provsim-graph-secret"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def msal_token(base: str) -> dict:
    import msal

    # A host msal does not know: its authority is validated against the server's own discovery document.
    app = msal.ConfidentialClientApplication(CLIENT_ID, client_credential=SECRET, authority=f"{base}/{TENANT}",
                                             instance_discovery=False)
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    return {"token_type": result.get("token_type"), "error": result.get("error")}


def graph_client(base: str, credential):
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core.authentication import AzureIdentityAuthenticationProvider

    auth = AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_SCOPE], allowed_hosts=[urlsplit(base).hostname])
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = f"{base}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


async def users(graph) -> list[str]:
    page = await graph.users.get()
    names = [u.user_principal_name for u in page.value]
    while page.odata_next_link:
        page = await graph.users.with_url(page.odata_next_link).get()
        names += [u.user_principal_name for u in page.value]
    return names


def azure_sync(base: str) -> dict:
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(TENANT, CLIENT_ID, SECRET, authority=base, disable_instance_discovery=True)
    return {"users": asyncio.run(users(graph_client(base, credential)))}


def azure_async(base: str) -> dict:
    from azure.identity.aio import ClientSecretCredential

    async def main():
        async with ClientSecretCredential(TENANT, CLIENT_ID, SECRET, authority=base,
                                          disable_instance_discovery=True) as credential:
            return await users(graph_client(base, credential))

    return {"users": asyncio.run(main())}


def genesys(base: str, ca: str) -> dict:
    import PureCloudPlatformClientV2 as sdk

    sdk.configuration.ssl_ca_cert = ca
    api = sdk.api_client.ApiClient(host=base).get_client_credentials_token("provsim-purecloud-client",
                                                                            "provsim-purecloud-secret")
    found = sdk.SCIMApi(api).get_scim_v2_users(filter='userName eq "megan.bowen@contoso.com"')
    return {"users": [u.user_name for u in found.resources]}


if __name__ == "__main__":
    kind, url = sys.argv[1], sys.argv[2].rstrip("/")
    try:
        out = {"msal": lambda: msal_token(url), "azure-sync": lambda: azure_sync(url),
               "azure-async": lambda: azure_async(url), "genesys": lambda: genesys(url, sys.argv[3])}[kind]()
    except Exception as err:  # the test reads what went wrong from the one line
        out = {"exception": type(err).__name__, "message": str(err)[:2000]}
    print(json.dumps(out))
