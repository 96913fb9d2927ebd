"""/oauth/token and bearer-token handling (reference §2): Genesys' shapes for every failure."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from purecloud_helpers import CLIENT_ID, CLIENT_SECRET, SCIM, assert_genesys_error


def test_client_credentials_with_basic_auth(http):
    resp = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert list(body) == ["access_token", "token_type", "expires_in"]
    assert body["token_type"] == "bearer" and body["expires_in"] == 86400
    assert resp.headers["cache-control"] == "no-store"


def test_client_credentials_in_the_form(http):
    resp = http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                           "client_secret": CLIENT_SECRET})
    assert resp.status_code == 200


def test_tokens_are_deterministic_per_seed(app, config):
    import httpx

    from simulator import create_app
    from simulator.client.transport import InProcessTransport

    def first_token(a):
        with httpx.Client(transport=InProcessTransport(app=a), base_url="http://x") as c:
            return c.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET)).json()

    assert first_token(app) == first_token(create_app(config))


@pytest.mark.parametrize("auth", [(CLIENT_ID, "wrong"), ("nobody", CLIENT_SECRET)])
def test_bad_client_credentials(http, auth):
    resp = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert resp.status_code == 401
    assert resp.json() == {"error": "invalid_client", "description": "client authentication failed"}


def test_malformed_basic_header(http):
    resp = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                     headers={"Authorization": "Basic !!notbase64"})
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


def test_no_credentials_and_wrong_grant(http):
    assert http.post("/oauth/token", data={"grant_type": "client_credentials"}).json()["error"] == "invalid_client"
    resp = http.post("/oauth/token", data={"grant_type": "password"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert resp.status_code == 400 and resp.json()["error"] == "unsupported_grant_type"
    resp = http.post("/oauth/token", data={}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"
    resp = http.post("/oauth/token", json={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"
    resp = http.get("/oauth/token")
    assert resp.status_code == 405 and resp.json()["error"] == "invalid_request"


def test_missing_and_malformed_bearer(http):
    body = assert_genesys_error(http.get(f"{SCIM}/Users"), 401, "bad.credentials")
    assert body["message"] == "No authentication bearer token specified in authorization header."
    assert body["contextId"]
    assert_genesys_error(http.get(f"{SCIM}/Users", headers={"Authorization": "Bearer"}), 401, "bad.credentials")
    basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert_genesys_error(http.get(f"{SCIM}/Users", headers={"Authorization": basic}), 401, "bad.credentials")


def test_unknown_token(http):
    body = assert_genesys_error(http.get(f"{SCIM}/Users", headers={"Authorization": "Bearer nope"}), 401, "bad.credentials")
    assert body["message"] == "Invalid login credentials."


def test_token_expires_on_the_virtual_clock(scim, clock):
    assert scim.get("/Users").status_code == 200
    clock.advance(timedelta(seconds=86399))
    assert scim.get("/Users").status_code == 200
    clock.advance(timedelta(seconds=1))
    assert_genesys_error(scim.get("/Users"), 401, "bad.credentials")


def test_lifetime_per_client(org, http, clock):
    org.add_client("short-lived", "s3cret", roles=["admin"], token_lifetime=300)
    resp = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("short-lived", "s3cret"))
    assert resp.json()["expires_in"] == 300
    headers = {"Authorization": "Bearer " + resp.json()["access_token"]}
    clock.advance(timedelta(seconds=301))
    assert http.get(f"{SCIM}/Users", headers=headers).status_code == 401


def test_revoke_and_expire_all_from_python(scim, org):
    other = scim.login()
    assert org.revoke_token(scim.token) is True
    assert_genesys_error(scim.get("/Users"), 401, "bad.credentials")
    scim.token = other
    assert scim.get("/Users").status_code == 200
    assert org.expire_all_tokens() >= 1
    assert_genesys_error(scim.get("/Users"), 401, "bad.credentials")
    scim.token = org.issue_token(CLIENT_ID)["access_token"]
    assert scim.get("/Users").status_code == 200


def test_missing_permission_is_403(scim):
    scim.token = scim.login("provsim-purecloud-viewer", "provsim-purecloud-viewer-secret")
    assert scim.get("/Users").status_code == 200
    body = assert_genesys_error(scim.post("/Users", {"userName": "x@contoso.com", "displayName": "X"}), 403,
                                "missing.any.permissions")
    assert "directory:user:add" in body["message"]
    user_id = scim.get("/Users").json()["Resources"][0]["id"]
    assert_genesys_error(scim.patch(f"/Users/{user_id}", {"op": "replace", "path": "title", "value": "t"}), 403,
                         "missing.any.permissions")
    assert_genesys_error(scim.delete(f"/Users/{user_id}"), 403, "missing.any.permissions")
    assert_genesys_error(scim.get("/Groups", params={"filter": 'displayName eq "Sales"'}), 403, "missing.any.permissions")
    assert scim.get("/ServiceProviderConfig").status_code == 200


def test_rate_limit_300_per_minute_per_token(scim, clock):
    for _ in range(300):
        assert scim.get("/ServiceProviderConfig").status_code == 200
    resp = scim.get("/ServiceProviderConfig")
    body = assert_genesys_error(resp, 429, "too.many.requests.retry.after")
    assert resp.headers["retry-after"] == "60"
    assert body["message"] == "Rate limit exceeded the maximum. Retry the request in [60] seconds"
    other = scim.login()
    assert scim.get("/Users", headers={"Authorization": f"Bearer {other}"}).status_code == 200  # per token
    clock.advance(timedelta(seconds=60))
    assert scim.get("/ServiceProviderConfig").status_code == 200


def test_rate_limit_switch_in_the_fixture(runtime):
    import httpx

    from simulator import create_app
    from simulator.client.transport import InProcessTransport

    fixture = dict(runtime.fixture)
    fixture["purecloud"] = {**fixture["purecloud"], "org": {**fixture["purecloud"]["org"], "rateLimitEnabled": False}}
    from simulator.core import Runtime
    app = create_app(runtime=Runtime(runtime.config, fixture=fixture))
    org = app.extensions["provsim"].services["purecloud"]
    headers = {"Authorization": "Bearer " + org.issue_token(CLIENT_ID)["access_token"]}
    with httpx.Client(transport=InProcessTransport(app=app), base_url="http://x") as c:
        assert all(c.get(f"{SCIM}/ServiceProviderConfig", headers=headers).status_code == 200 for _ in range(320))
