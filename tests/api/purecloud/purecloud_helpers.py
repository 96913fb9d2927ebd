"""Helpers for the Genesys Cloud contract tests: :class:`ScimActions` (a SCIM client in one
line per call, bearer token of the demo client) and assertions on the two error shapes."""

from __future__ import annotations

from typing import Any

import httpx

SCIM = "/api/v2/scim/v2"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GENESYS = "urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User"
CLIENT_ID = "provsim-purecloud-client"
CLIENT_SECRET = "provsim-purecloud-secret"


class ScimActions:
    """What a SCIM client does, in one line per call (flaskr's ``AuthActions``, for SCIM)."""

    def __init__(self, http: httpx.Client, org, base: str = SCIM) -> None:
        self.http = http
        self.org = org
        self.base = base
        self.token = self.login()

    def login(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> str:
        resp = self.http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, client_secret))
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def request(self, method: str, path: str, *, headers: dict | None = None, **kw: Any) -> httpx.Response:
        url = path if path.startswith("/") and path.startswith("/api/") else f"{self.base}{path}"
        return self.http.request(method, url, headers={**self.headers, **(headers or {})}, **kw)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, json=body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, json=body, **kw)

    def patch(self, path: str, *operations: dict, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, json={"schemas": [PATCH_URN], "Operations": list(operations)}, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    # -- shortcuts ---------------------------------------------------------
    def create_user(self, user_name: str = "alex.wilber@contoso.com", display: str = "Alex Wilber", **extra: Any) -> dict:
        resp = self.post("/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name,
                                    "displayName": display, **extra})
        assert resp.status_code == 201, resp.text
        return resp.json()

    def find_user(self, user_name: str) -> list[dict]:
        resp = self.get("/Users", params={"filter": f'userName eq "{user_name}"'})
        assert resp.status_code == 200, resp.text
        return resp.json()["Resources"]

    def group(self, name: str) -> dict:
        resp = self.get("/Groups", params={"filter": f'displayName eq "{name}"'})
        assert resp.status_code == 200, resp.text
        (group,) = resp.json()["Resources"]
        return group


def assert_scim_error(resp: httpx.Response, status: int, scim_type: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/scim+json")
    body = resp.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]
    assert "Traceback" not in resp.text
    return body


def assert_genesys_error(resp: httpx.Response, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert list(body) == ["message", "code", "status", "messageWithParams", "messageParams", "contextId", "details", "errors"]
    assert body["status"] == status and body["code"] == code
    return body
