"""``simulator.intercept()``: production code, not one host, URL or authority changed, against an
in-process simulator (issue 22, observation 2). Each SDK is used exactly as its own docs show."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

import simulator
from simulator.interception import GENESYS_REGIONS, HOSTS, Intercept, InterceptError, genesys_hosts

TENANT = "contoso.onmicrosoft.com"
TENANT_ID = "7d3c2a1e-5b4f-4c8d-9e6a-1f2b3c4d5e6f"  # the token endpoint the discovery document names
GRAPH_CLIENT, GRAPH_SECRET = "provsim-graph-client", "provsim-graph-secret"
GENESYS_CLIENT, GENESYS_SECRET = "provsim-purecloud-client", "provsim-purecloud-secret"
NEW_HIRE = {"accountEnabled": True, "displayName": "Nora New", "mailNickname": "nora.new",
            "userPrincipalName": "nora.new@contoso.com", "mail": "nora.new@contoso.com", "jobTitle": "Agent",
            "passwordProfile": {"password": "Secret-123!", "forceChangePasswordNextSignIn": True}}


def _new_hire():
    from msgraph.generated.models.password_profile import PasswordProfile
    from msgraph.generated.models.user import User

    return User(account_enabled=True, display_name="Nora New", mail_nickname="nora.new", job_title="Agent",
                user_principal_name="nora.new@contoso.com", mail="nora.new@contoso.com",
                password_profile=PasswordProfile(password="Secret-123!", force_change_password_next_sign_in=True))


def _paths(provsim, method=None):
    return [(e["method"], e["path"]) for e in provsim.traffic() if method is None or e["method"] == method]


# ------------------------------------------------------------------------ Microsoft's SDKs
def test_azure_identity_and_msgraph_sdk_with_no_base_url(provsim_intercept):
    from azure.identity import ClientSecretCredential
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph import GraphServiceClient
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder

    credential = ClientSecretCredential(TENANT, GRAPH_CLIENT, GRAPH_SECRET)
    graph = GraphServiceClient(credential)   # https://graph.microsoft.com/v1.0, scope .default

    async def production_code():
        config = RequestConfiguration(query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(top=10))
        page = await graph.users.get(request_configuration=config)
        names = [u.user_principal_name for u in page.value]
        while page.odata_next_link:              # an absolute https://graph.microsoft.com/... link
            assert page.odata_next_link.startswith("https://graph.microsoft.com/v1.0/users")
            page = await graph.users.with_url(page.odata_next_link).get()
            names += [u.user_principal_name for u in page.value]
        created = await graph.users.post(_new_hire())
        return names, created

    names, created = asyncio.run(production_code())
    calls = _paths(provsim_intercept)
    assert "megan.bowen@contoso.com" in names and len(names) == len(set(names)) > 10
    assert provsim_intercept.graph("GET", f"/users/{created.id}")["displayName"] == "Nora New"
    assert [p for m, p in calls if p.endswith("/oauth2/v2.0/token")] == [f"/{TENANT_ID}/oauth2/v2.0/token"]


def test_azure_identity_async_credential_goes_through_aiohttp(provsim_intercept):
    from azure.identity.aio import ClientSecretCredential
    from msgraph import GraphServiceClient

    async def production_code():
        async with ClientSecretCredential(TENANT, GRAPH_CLIENT, GRAPH_SECRET) as credential:
            graph = GraphServiceClient(credential)
            return [g.display_name for g in (await graph.groups.get()).value]

    assert {"Sales", "Support", "Engineering", "Marketing"} <= set(asyncio.run(production_code()))


def test_msal_with_microsofts_authority_reads_the_discovery_documents(provsim_intercept):
    import msal

    app = msal.ConfidentialClientApplication(GRAPH_CLIENT, client_credential=GRAPH_SECRET,
                                             authority=f"https://login.microsoftonline.com/{TENANT}")
    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert result.get("token_type") == "Bearer", result
    import requests

    me = requests.get("https://graph.microsoft.com/v1.0/users?$top=1",
                      headers={"Authorization": f"Bearer {result['access_token']}"}, timeout=10)
    assert me.status_code == 200 and len(me.json()["value"]) == 1
    assert ("GET", f"/{TENANT}/v2.0/.well-known/openid-configuration") in _paths(provsim_intercept)


def test_msal_instance_discovery_of_a_tenant_it_does_not_know(provsim_intercept):
    """A non-default authority host makes msal ask the common instance discovery endpoint first."""
    import msal

    app = msal.ConfidentialClientApplication(GRAPH_CLIENT, client_credential=GRAPH_SECRET,
                                             authority=f"https://login.microsoftonline.com/{TENANT}",
                                             instance_discovery=True, validate_authority=True)
    assert app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"]).get("access_token")


def test_msal_wrong_secret_gets_entras_error_not_an_exception(provsim_intercept):
    import msal

    app = msal.ConfidentialClientApplication(GRAPH_CLIENT, client_credential="wrong",
                                             authority=f"https://login.microsoftonline.com/{TENANT}")
    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert result["error"] == "invalid_client" and "AADSTS7000215" in result["error_description"]


# ------------------------------------------------------------------------ Genesys' SDK
@pytest.mark.slow  # imports Genesys' Python SDK (~6,600 modules: seconds)
def test_genesys_sdk_with_its_default_environment(provsim_intercept):
    import PureCloudPlatformClientV2 as genesys

    api = genesys.api_client.ApiClient().get_client_credentials_token(GENESYS_CLIENT, GENESYS_SECRET)
    found = genesys.SCIMApi(api).get_scim_v2_users(filter='userName eq "megan.bowen@contoso.com"')
    assert found.total_results == 1 and found.resources[0].display_name == "Megan Bowen"
    assert ("POST", "/oauth/token") in _paths(provsim_intercept)      # at login.mypurecloud.com


@pytest.mark.slow  # imports Genesys' Python SDK (~6,600 modules: seconds)
@pytest.mark.parametrize("region", ["eu_west_1", "ap_southeast_2", "eusc_de_east_1"])
def test_genesys_sdk_in_another_region(provsim_intercept, region):
    import PureCloudPlatformClientV2 as genesys

    genesys.configuration.host = genesys.PureCloudRegionHosts[region].get_api_host()
    try:
        api = genesys.api_client.ApiClient().get_client_credentials_token(GENESYS_CLIENT, GENESYS_SECRET)
        groups = genesys.GroupsApi(api).get_groups()
    finally:
        genesys.configuration.host = "https://api.mypurecloud.com"
    assert {"Sales", "Support", "Engineering"} <= {g.name for g in groups.entities}


@pytest.mark.slow  # imports Genesys' Python SDK (~6,600 modules: seconds)
def test_the_region_list_is_the_genesys_sdks():
    genesys = pytest.importorskip("PureCloudPlatformClientV2")
    known = {r.name: r.get_api_host() for r in genesys.PureCloudRegionHosts}
    assert {name: f"https://api.{domain}" for name, domain in GENESYS_REGIONS.items()} == known
    assert set(genesys_hosts()) <= HOSTS and len(genesys_hosts()) == 2 * len(known)


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_every_host_reaches_the_simulator(host):
    with simulator.intercept():
        assert httpx.get(f"https://{host}/_provsim/health").status_code == 200


# ------------------------------------------------------------------------ a whole story
@pytest.mark.slow  # imports Genesys' Python SDK (~6,600 modules: seconds)
def test_a_new_hire_made_with_msgraph_reaches_genesys_through_its_real_tenant_url(provsim_intercept):
    """The admin script creates the user; the job's tenant URL is Genesys' own; the integration reads it back."""
    import PureCloudPlatformClientV2 as genesys
    from azure.identity import ClientSecretCredential
    from msgraph import GraphServiceClient

    graph = GraphServiceClient(ClientSecretCredential(TENANT, GRAPH_CLIENT, GRAPH_SECRET))
    user = asyncio.run(graph.users.post(_new_hire()))
    provsim = provsim_intercept
    job = provsim.configure(tenant_url="https://api.mypurecloud.com/api/v2/scim/v2", start=True)
    provsim.assign(user.id)
    provsim.next_cycle(job)
    api = genesys.api_client.ApiClient().get_client_credentials_token(GENESYS_CLIENT, GENESYS_SECRET)
    found = genesys.SCIMApi(api).get_scim_v2_users(filter='userName eq "nora.new@contoso.com"')
    assert found.total_results == 1 and found.resources[0].title == "Agent"


# ------------------------------------------------------------------------ other hosts: refused, not sent
async def _aiohttp_get(url):
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status


async def _httpx_async_get(url):
    async with httpx.AsyncClient() as client:
        return (await client.get(url)).status_code


def _urllib3_get(url):
    import urllib3

    return urllib3.PoolManager().request("GET", url).status


def _requests_get(url):
    import requests

    return requests.get(url, timeout=5).status_code


OTHER_WAYS = {
    "httpx": lambda url: httpx.get(url).status_code,
    "httpx-async": lambda url: asyncio.run(_httpx_async_get(url)),
    "requests": _requests_get,
    "urllib3": _urllib3_get,
    "aiohttp": lambda url: asyncio.run(_aiohttp_get(url)),
}


@pytest.mark.parametrize("way", sorted(OTHER_WAYS))
@pytest.mark.parametrize("url", ["https://api.github.com/zen", "http://127.0.0.1:9/", "https://graph.microsoft.us/v1.0/users"])
def test_any_other_host_raises_naming_it(way, url):
    with simulator.intercept(), pytest.raises(InterceptError) as info:
        OTHER_WAYS[way](url)
    host = httpx.URL(url).host
    assert info.value.host == host and f"{host} is not a host provsim serves" in str(info.value)


def test_a_plain_request_inside_the_block_reaches_the_simulator(provsim_intercept):
    token = httpx.post("https://login.mypurecloud.com/oauth/token", data={"grant_type": "client_credentials"},
                       auth=(GENESYS_CLIENT, GENESYS_SECRET)).json()["access_token"]
    users = httpx.get("https://api.mypurecloud.com/api/v2/scim/v2/Users", params={"count": 1},
                      headers={"Authorization": f"Bearer {token}"})
    assert users.status_code == 200 and users.json()["totalResults"] > 1


# ------------------------------------------------------------------------ leaving restores everything
def _patched_points():
    import httpcore
    import urllib3.connectionpool
    from aiohttp.connector import TCPConnector

    return (urllib3.connectionpool.HTTPConnectionPool.urlopen, TCPConnector._create_connection,
            httpcore.ConnectionPool.handle_request, httpcore.AsyncConnectionPool.handle_async_request)


def test_leaving_restores_every_library():
    before = _patched_points()
    with simulator.intercept():
        assert all(a is not b for a, b in zip(before, _patched_points(), strict=True))
    assert _patched_points() == before


def test_leaving_through_an_exception_restores_too():
    before = _patched_points()
    with pytest.raises(KeyError), simulator.intercept():
        raise KeyError("boom")
    assert _patched_points() == before


def test_nested_blocks_the_innermost_answers_and_the_outer_stays_until_it_leaves():
    before = _patched_points()
    with simulator.intercept() as outer:
        with simulator.intercept(fixture="blank") as inner:
            assert inner.http is not outer.http
            sps = httpx.get("https://graph.microsoft.com/v1.0/servicePrincipals",
                            headers={"Authorization": f"Bearer {inner.graph_token()}"}).json()
            assert sps["value"] == []                                  # the blank tenant answers
        sps = httpx.get("https://graph.microsoft.com/v1.0/servicePrincipals",
                        headers={"Authorization": f"Bearer {outer.graph_token()}"}).json()
        assert sps["value"]                                            # contoso again
    assert _patched_points() == before


def test_as_a_decorator_sync_and_async_each_call_a_fresh_simulator():
    seen = []

    @simulator.intercept(seed=3)
    def sync_code():
        token = httpx.post(f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token",
                           data={"grant_type": "client_credentials", "client_id": GRAPH_CLIENT,
                                 "client_secret": GRAPH_SECRET, "scope": "https://graph.microsoft.com/.default"})
        seen.append(token.json()["access_token"])

    @simulator.intercept(seed=3)
    async def async_code():
        async with httpx.AsyncClient() as client:
            token = await client.post(f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token",
                                      data={"grant_type": "client_credentials", "client_id": GRAPH_CLIENT,
                                            "client_secret": GRAPH_SECRET, "scope": "https://graph.microsoft.com/.default"})
            seen.append(token.json()["access_token"])

    sync_code()
    sync_code()
    asyncio.run(async_code())
    assert len(seen) == 3 and len(set(seen)) == 1      # same seed, fresh simulator: the same token bytes
    with pytest.raises(InterceptError):                 # and nothing is left patched between calls
        _requests_get_patched_check()


def _requests_get_patched_check():
    """Outside any block urllib3 is the real one again: prove it without the network (a refused port)."""
    import urllib3

    try:
        urllib3.PoolManager(retries=False).request("GET", "http://127.0.0.1:9/")
    except urllib3.exceptions.HTTPError as err:          # the real urllib3 tried a socket
        raise InterceptError("GET", "http://127.0.0.1:9/", "real urllib3") from err


def test_one_intercept_object_cannot_be_entered_twice_at_once():
    block = simulator.intercept()
    with block, pytest.raises(simulator.ProvsimError, match="already active"), block:
        pass


def test_requests_from_another_thread_are_served_too(provsim_intercept):
    import requests

    results = []
    thread = threading.Thread(target=lambda: results.append(
        requests.post("https://login.mypurecloud.jp/oauth/token", data={"grant_type": "client_credentials"},
                      auth=(GENESYS_CLIENT, GENESYS_SECRET), timeout=10).status_code))
    thread.start()
    thread.join(30)
    assert results == [200]


# ------------------------------------------------------------------------ faults look like the network's
def test_a_dropped_connection_is_the_error_each_library_raises_for_one(provsim_intercept):
    import aiohttp
    import requests

    provsim_intercept.add_fault(method="GET", path="/api/v2/scim/v2/ServiceProviderConfig", drop=True)
    url = "https://api.mypurecloud.com/api/v2/scim/v2/ServiceProviderConfig"
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        asyncio.run(_aiohttp_get(url))


def test_one_transient_drop_is_retried_by_urllib3_as_on_the_network(provsim_intercept):
    import urllib3

    path = f"/{TENANT}/v2.0/.well-known/openid-configuration"
    provsim_intercept.add_fault(method="GET", path=path, drop=True, times=1)
    response = urllib3.PoolManager(retries=urllib3.Retry(total=2)).request("GET", f"https://login.microsoftonline.com{path}")
    assert response.status == 200 and response.json()["token_endpoint"].startswith("https://login.microsoftonline.com/")


def test_the_fixture_serves_the_same_simulator_as_the_others(provsim_intercept, provsim, provsim_graph):
    assert provsim_intercept is provsim
    created = httpx.post("https://graph.microsoft.com/v1.0/users", json=NEW_HIRE,
                         headers={"Authorization": f"Bearer {provsim.graph_token()}"})
    assert created.status_code == 201
    assert provsim_graph.get(f"users/{created.json()['id']}").json()["displayName"] == "Nora New"


def test_intercept_takes_a_whole_config():
    from simulator.core import ProvsimConfig

    block = simulator.intercept(config=ProvsimConfig(seed=5, fixture="blank"))
    assert isinstance(block, Intercept)
    with block as provsim:
        assert provsim.graph("GET", "/servicePrincipals")["value"] == []
