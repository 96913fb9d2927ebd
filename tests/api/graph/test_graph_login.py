"""Entra login: token endpoint, AADSTS errors, discovery, token validation on Graph."""

from __future__ import annotations

from datetime import timedelta

import pytest

from graph_helpers import CLIENT, READER, TENANT, TENANT_ID, assert_graph_error, get_token


def _token(client, tenant=TENANT, **form):
    data = {**CLIENT, "scope": "https://graph.microsoft.com/.default", "grant_type": "client_credentials", **form}
    return client.post(f"/{tenant}/oauth2/v2.0/token", data={k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize("tenant", [TENANT, TENANT_ID, "contoso.com", "CONTOSO.onmicrosoft.com"])
def test_token_by_tenant_id_or_domain(client, tenant):
    resp = _token(client, tenant, client_info="1", claims='{"access_token":{"xms_cc":{"values":["CP1"]}}}')
    assert resp.status_code == 200
    body = resp.json
    assert list(body) == ["token_type", "expires_in", "ext_expires_in", "access_token"]
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["ext_expires_in"] == 3599
    assert body["access_token"].count(".") == 2


def test_token_accepts_client_secret_basic_and_app_id(client):
    import base64

    basic = base64.b64encode(b"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0:provsim-graph-secret").decode()
    resp = client.post(f"/{TENANT}/oauth2/v2.0/token", headers={"Authorization": f"Basic {basic}"},
                       data={"scope": "https://graph.microsoft.com/.default", "grant_type": "client_credentials"})
    assert resp.status_code == 200, resp.json


@pytest.mark.parametrize("form,status,error,code,start", [
    ({"client_secret": "wrong"}, 401, "invalid_client", 7000215, "AADSTS7000215: Invalid client secret provided."),
    ({"client_secret": None}, 401, "invalid_client", 7000218, "AADSTS7000218: The request body must contain"),
    ({"client_id": "nobody"}, 400, "unauthorized_client", 700016, "AADSTS700016: Application with identifier 'nobody'"),
    ({"scope": "https://graph.microsoft.com/User.Read"}, 400, "invalid_scope", 1002012, "AADSTS1002012: "),
    ({"scope": None}, 400, "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'scope'."),
    ({"grant_type": None}, 400, "invalid_request", 900144, "AADSTS900144: "),
    ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003, "AADSTS70003: "),
])
def test_token_errors_have_the_aadsts_shape(client, form, status, error, code, start):
    resp = _token(client, **form)
    assert resp.status_code == status
    body = resp.json
    assert list(body) == ["error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"]
    assert body["error"] == error and body["error_codes"] == [code]
    assert body["error_description"].startswith(start)
    assert "\r\nTrace ID: " in body["error_description"]
    assert body["timestamp"] == "2026-01-05 09:00:00Z"


def test_unknown_tenant(client):
    resp = _token(client, "fabrikam.onmicrosoft.com")
    assert resp.status_code == 400 and resp.json["error_codes"] == [90002]


def test_correlation_id_echoes_client_request_id(client):
    resp = client.post(f"/{TENANT}/oauth2/v2.0/token", headers={"client-request-id": "abc"},
                       data={**CLIENT, "client_secret": "x", "scope": "api://x/.default", "grant_type": "client_credentials"})
    assert resp.json["correlation_id"] == "abc"


def test_discovery_document_points_at_the_fake(client):
    resp = client.get(f"/{TENANT}/v2.0/.well-known/openid-configuration", base_url="http://127.0.0.1:9999")
    doc = resp.json
    assert doc["token_endpoint"] == f"http://127.0.0.1:9999/{TENANT_ID}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"http://127.0.0.1:9999/{TENANT_ID}/oauth2/v2.0/authorize"
    assert doc["issuer"] == f"http://127.0.0.1:9999/{TENANT_ID}/v2.0"
    forwarded = client.get(f"/{TENANT_ID}/v2.0/.well-known/openid-configuration",
                           headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "login.microsoftonline.com"}).json
    assert forwarded["token_endpoint"] == f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token"
    assert client.get("/fabrikam.com/v2.0/.well-known/openid-configuration").status_code == 400
    assert client.get(f"/{TENANT}/discovery/v2.0/keys").json == {"keys": []}
    assert "metadata" in client.get("/common/discovery/instance").json


def test_graph_needs_a_token(client):
    resp = client.get("/v1.0/users")
    err = assert_graph_error(resp, 401, "InvalidAuthenticationToken", "Access token is empty.")
    assert err["innerError"]["date"] == "2026-01-05T09:00:00"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert_graph_error(client.get("/v1.0/users", headers={"Authorization": "Bearer nonsense"}), 401, "InvalidAuthenticationToken")


def test_tampered_token_is_refused(client):
    token = get_token(client)
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload[:-2]}xx.{sig}"
    assert_graph_error(client.get("/v1.0/users", headers={"Authorization": f"Bearer {forged}"}), 401,
                       "InvalidAuthenticationToken")


def test_tokens_expire_on_the_virtual_clock(client, clock):
    token = get_token(client)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1.0/users", headers=headers).status_code == 200
    clock.advance(timedelta(seconds=3598))
    assert client.get("/v1.0/users", headers=headers).status_code == 200
    clock.advance(timedelta(seconds=2))
    assert_graph_error(client.get("/v1.0/users", headers=headers), 401, "InvalidAuthenticationToken",
                       "Lifetime validation failed, the token is expired.")


def test_client_without_the_permission_is_denied(client):
    token = get_token(client, READER)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1.0/users", headers=headers).status_code == 200
    assert client.get("/v1.0/groups", headers=headers).status_code == 200
    resp = client.post("/v1.0/users", json={"displayName": "x"}, headers=headers)
    assert_graph_error(resp, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    assert_graph_error(client.get("/v1.0/servicePrincipals", headers=headers), 403, "Authorization_RequestDenied")


def test_same_seed_same_token(app, config):
    from simulator import create_app

    other = create_app(config).test_client()
    assert get_token(app.test_client()) == get_token(other)
