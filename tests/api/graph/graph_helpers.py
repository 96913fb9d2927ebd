"""Graph contract-test helpers: a signed-in Graph client over Flask's test client."""

from __future__ import annotations

TENANT = "contoso.onmicrosoft.com"
TENANT_ID = "7d3c2a1e-5b4f-4c8d-9e6a-1f2b3c4d5e6f"
CLIENT = {"client_id": "provsim-graph-client", "client_secret": "provsim-graph-secret"}
READER = {"client_id": "provsim-graph-reader", "client_secret": "provsim-graph-reader-secret"}


def get_token(client, creds=CLIENT, tenant=TENANT) -> str:
    resp = client.post(f"/{tenant}/oauth2/v2.0/token", data={
        **creds, "scope": "https://graph.microsoft.com/.default", "grant_type": "client_credentials"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.json["access_token"]


class GraphActions:
    """``graph.get("/users")`` -> Flask response, authenticated, under /v1.0."""

    def __init__(self, client, token: str) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers):
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path, headers=None, **kw):
        return self.client.get("/v1.0" + path, headers=self._headers(headers), **kw)

    def post(self, path, json=None, headers=None, **kw):
        return self.client.post("/v1.0" + path, json=json, headers=self._headers(headers), **kw)

    def patch(self, path, json=None, headers=None):
        return self.client.patch("/v1.0" + path, json=json, headers=self._headers(headers))

    def put(self, path, json=None, headers=None):
        return self.client.put("/v1.0" + path, json=json, headers=self._headers(headers))

    def delete(self, path, headers=None, **kw):
        return self.client.delete("/v1.0" + path, headers=self._headers(headers), **kw)

    # -- conveniences
    def user(self, upn: str) -> dict:
        resp = self.get(f"/users/{upn}")
        assert resp.status_code == 200, resp.json
        return resp.json

    def group_id(self, name: str) -> str:
        resp = self.get(f"/groups?$filter=displayName eq '{name}'")
        assert resp.status_code == 200, resp.json
        return resp.json["value"][0]["id"]

    def new_user(self, nick: str, **extra) -> dict:
        body = {"accountEnabled": True, "displayName": nick.title(), "mailNickname": nick,
                "userPrincipalName": f"{nick}@contoso.com",
                "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "xWwvJ]6NMw+bWH-d"}, **extra}
        resp = self.post("/users", json=body)
        assert resp.status_code == 201, resp.json
        return resp.json


def assert_graph_error(resp, status: int, code: str, message: str | None = None) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    err = resp.json["error"]
    assert list(err) == ["code", "message", "innerError"]
    assert err["code"] == code, err
    if message is not None:
        assert err["message"] == message, err["message"]
    inner = err["innerError"]
    assert set(inner) == {"date", "request-id", "client-request-id"}
    return err
