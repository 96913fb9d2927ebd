"""The secret scan: a run that uses known secret values on every surface (passwords in POST and PATCH,
tokens in Authorization headers and in query strings, client secrets), then a byte search of everything
provsim wrote: the state file and its journal, the traffic log, the snapshot, the dashboard, the access
log and a proxy cassette.  None may hold any of them."""

from __future__ import annotations

import base64

import httpx

from simulator.client import login
from simulator.proxy.app import ProxyApp, ProxyConfig
from simulator.proxy.check import check_cassette
from simulator.proxy.modes import ProxyMode

TENANT = "contoso.onmicrosoft.com"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
PASSWORDS = ("Scan-Create-Pass-1!", "Scan-Patch-Path-2!", "Scan-Patch-Value-3!", "Scan-Graph-Pass-4!")
QUERY_TOKEN = "scan-query-token-5Zq"


def test_nothing_provsim_writes_holds_a_secret(tmp_path, logged_server):
    server, state, access = logged_server.server, logged_server.state, logged_server.access
    cassette = tmp_path / "genesys.yaml"
    seen: list[str] = []
    proxy = ProxyApp(ProxyConfig(upstream=server.url, mode=ProxyMode.RECORD, cassette=cassette))
    with httpx.Client(transport=httpx.WSGITransport(app=proxy), base_url="http://proxy.test") as via_proxy, \
            httpx.Client(base_url=server.url) as direct:
        # Genesys, through the recording proxy
        genesys = login.genesys_token(via_proxy)["access_token"]
        auth = {"Authorization": f"Bearer {genesys}"}
        user = via_proxy.post("/api/v2/scim/v2/Users", headers=auth, json={
            "schemas": [USER_URN], "userName": "scan@contoso.com", "displayName": "Scan", "password": PASSWORDS[0]})
        assert user.status_code == 201
        patched = via_proxy.patch(f"/api/v2/scim/v2/Users/{user.json()['id']}", headers=auth, json={
            "schemas": [PATCH_URN], "Operations": [
                {"op": "replace", "path": "password", "value": PASSWORDS[1]},
                {"op": "replace", "value": {"password": PASSWORDS[2], "title": "Scanner"}}]})
        assert patched.status_code == 200
        via_proxy.get("/api/v2/scim/v2/Users", params={"access_token": QUERY_TOKEN})
        client = via_proxy.post("/api/v2/oauth/clients", headers=auth, json={
            "name": "scan client", "authorizedGrantType": "CLIENT-CREDENTIALS", "roleIds": []})
        assert client.status_code == 200, client.text
        seen.append(client.json()["secret"])  # shown once, to its creator (the cassette redacts it)
        # Graph and Entra login, directly
        graph = login.graph_token(direct, TENANT)["access_token"]
        gauth = {"Authorization": f"Bearer {graph}"}
        direct.post("/v1.0/users", headers=gauth, json={
            "accountEnabled": True, "displayName": "Scan G", "mailNickname": "scang",
            "userPrincipalName": "scan.g@contoso.com",
            "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": PASSWORDS[3]}})
        direct.get("/v1.0/users", params={"access_token": QUERY_TOKEN, "$top": "1"})
        # control API and dashboard
        direct.post("/_provsim/clock/advance", json={"duration": "PT1M"})
        outputs = {
            "traffic": direct.get("/_provsim/traffic").content,
            "snapshot": direct.get("/_provsim/snapshot").content,
            "dashboard": direct.get("/").content,
            "health": direct.get("/_provsim/health").content,
        }
    proxy.close()
    server.stop()
    outputs["state"] = state.read_bytes() + (tmp_path / "state.json.journal").read_bytes()
    outputs["cassette"] = cassette.read_bytes()
    outputs["access log"] = access.getvalue().encode()
    secrets = [*PASSWORDS, QUERY_TOKEN, genesys, graph, "provsim-purecloud-secret",
               base64.b64encode(b"provsim-purecloud-client:provsim-purecloud-secret").decode(), *seen]
    leaks = [(where, secret[:6]) for where, data in outputs.items() for secret in secrets if secret.encode() in data]
    assert leaks == []
    assert b"scan@contoso.com" in outputs["traffic"] and b"access_token=REDACTED" in outputs["access log"]
    assert check_cassette(cassette).errors == []
