"""Helpers for the proxy tests: a small SCIM-like upstream (until the Genesys fake serves
SCIM, and for routes the fake does not have), loopback servers that the tests stop, and a
transport that fails the test if replay ever tries the network."""

from __future__ import annotations

import base64
import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from flask import Flask, Response, request
from werkzeug.serving import make_server

CLIENT_ID = "real-client-id-7f3a"
CLIENT_SECRET = "s3cr3t-Client-Secret-9bq2XkLm"
#: JWT-looking, like Genesys/Entra tokens, so the byte scan also proves the JWT pattern.
ACCESS_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm92c2ltLXRlc3QiLCJuIjoxfQ.c2lnbmF0dXJlLW5vdC1yZWFs"
SESSION_COOKIE = "sess-4b7e0d1c9a8f6e5d"


def make_upstream(*, slow_event: threading.Event | None = None) -> Flask:
    """An upstream mimicking Genesys: ``/oauth/token`` (client credentials over Basic) and
    ``/api/v2/scim/v2/Users`` CRUD with meta/ETag, plus helper routes for forwarding tests."""
    app = Flask("mini-upstream")
    users: dict[str, dict[str, Any]] = {}
    counter = {"n": 0}

    def scim(data: Any, status: int = 200, **headers: str) -> Response:
        resp = Response(json.dumps(data), status=status, content_type="application/scim+json")
        for k, v in headers.items():
            resp.headers[k.replace("_", "-")] = v
        return resp

    def authorized() -> bool:
        return request.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}"

    @app.post("/oauth/token")
    def token() -> Response:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form_ok = request.form.get("client_secret") == CLIENT_SECRET
        if request.headers.get("Authorization") != expected and not form_ok:
            return Response(json.dumps({"error": "invalid_client"}), 401, content_type="application/json")
        resp = Response(
            json.dumps({"access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 86399}),
            content_type="application/json",
        )
        resp.headers["Set-Cookie"] = f"session={SESSION_COOKIE}; Path=/; HttpOnly"
        return resp

    @app.route("/api/v2/scim/v2/Users", methods=["GET", "POST"])
    def users_collection() -> Response:
        if not authorized():
            return scim({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "401"}, 401)
        if request.method == "POST":
            counter["n"] += 1
            uid = f"00000000-0000-4000-8000-{counter['n']:012d}"
            body = request.get_json()
            user = {**body, "id": uid, "active": body.get("active", True),
                    "meta": {"resourceType": "User", "version": "1", "created": "2026-01-01T00:00:00Z",
                             "lastModified": "2026-01-01T00:00:00Z", "location": f"/api/v2/scim/v2/Users/{uid}"}}
            users[uid] = user
            return scim(user, 201, Location=user["meta"]["location"], ETag='W/"1"')
        found = list(users.values())
        flt = request.args.get("filter", "")
        if flt.startswith("userName eq "):
            wanted = flt.split(" eq ", 1)[1].strip('"')
            found = [u for u in found if u.get("userName") == wanted]
        return scim({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                     "totalResults": len(found), "startIndex": 1, "itemsPerPage": len(found), "Resources": found})

    @app.route("/api/v2/scim/v2/Users/<uid>", methods=["GET", "PATCH", "PUT", "DELETE"])
    def user_item(uid: str) -> Response:
        if not authorized():
            return scim({"status": "401"}, 401)
        user = users.get(uid)
        if user is None:
            return scim({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404",
                         "detail": f"User {uid} not found"}, 404)
        if request.method == "DELETE":
            del users[uid]
            return Response(status=204)
        if request.method == "PATCH":
            for op in request.get_json().get("Operations", []):
                if op.get("op", "").lower() == "replace":
                    if "path" in op:
                        user[op["path"]] = op["value"]
                    else:
                        user.update(op["value"])
            user["meta"]["version"] = str(int(user["meta"]["version"]) + 1)
        if request.method == "PUT":
            user.update(request.get_json())
            user["meta"]["version"] = str(int(user["meta"]["version"]) + 1)
        return scim(user, ETag=f'W/"{user["meta"]["version"]}"')

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @app.route("/echo/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo(rest: str = "") -> Response:
        data = request.get_data()
        return Response(json.dumps({
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode(),
            "headers": {k: v for k, v in request.headers.items()},
            "body_len": len(data),
            "body_head": data[:64].decode("latin-1"),
        }, sort_keys=True), content_type="application/json")

    @app.get("/gzip")
    def gzipped() -> Response:
        raw = gzip.compress(json.dumps({"compressed": True}).encode(), mtime=0)
        return Response(raw, content_type="application/json", headers={"Content-Encoding": "gzip"})

    @app.get("/big")
    def big() -> Response:
        def gen() -> Iterator[bytes]:
            for _ in range(64):
                yield b"x" * 65536
        return Response(gen(), content_type="application/octet-stream", headers={"Content-Length": str(64 * 65536)})

    @app.get("/slow")
    def slow() -> Response:
        if slow_event is not None:
            slow_event.wait(2.0)  # released by the test right after its timeout fired
        return Response("late", content_type="text/plain")

    return app


@contextmanager
def serve(app: Any, *, ssl_context: Any = None) -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1 (any free port) in a thread; always stopped on exit."""
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    scheme = "https" if ssl_context else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


class NoNetwork(httpx.BaseTransport):
    """Fails the test if anything tries the network while it is active (``with guard:``):
    httpx's default transport and raw socket connects are both patched."""

    def __init__(self) -> None:
        self.calls = 0
        self._patch: pytest.MonkeyPatch | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        pytest.fail(f"replay tried the network: {request.method} {request.url}")

    def __enter__(self) -> NoNetwork:
        import socket

        def refuse(*args: Any, **kwargs: Any) -> None:
            self.calls += 1
            pytest.fail(f"replay opened a connection: {args[1:]!r}")

        self._patch = pytest.MonkeyPatch()
        self._patch.setattr(httpx.HTTPTransport, "handle_request", lambda _self, req: self.handle_request(req))
        self._patch.setattr(socket, "create_connection", refuse)
        self._patch.setattr(socket.socket, "connect", refuse)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._patch is not None
        self._patch.undo()


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def scim_session(client: httpx.Client) -> list[httpx.Response]:
    """A provisioning-shaped conversation: token, filter (miss), create, get, patch, get, list, delete."""
    out = []
    tok = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": basic()})
    out.append(tok)
    auth = {"Authorization": f"Bearer {tok.json()['access_token']}"}
    out.append(client.get("/api/v2/scim/v2/Users", params={"filter": 'userName eq "jane.doe@contoso.com"'}, headers=auth))
    created = client.post(
        "/api/v2/scim/v2/Users",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "jane.doe@contoso.com",
              "displayName": "Jane Doe", "name": {"givenName": "Jane", "familyName": "Doe"}, "title": "Engineer"},
        headers=auth,
    )
    out.append(created)
    uid = created.json()["id"]
    out.append(client.get(f"/api/v2/scim/v2/Users/{uid}", headers=auth))
    out.append(client.patch(f"/api/v2/scim/v2/Users/{uid}", json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                            "Operations": [{"op": "replace", "path": "title", "value": "Manager"}]}, headers=auth))
    out.append(client.get(f"/api/v2/scim/v2/Users/{uid}", headers=auth))
    out.append(client.get("/api/v2/scim/v2/Users", params={"filter": 'userName eq "jane.doe@contoso.com"'}, headers=auth))
    out.append(client.delete(f"/api/v2/scim/v2/Users/{uid}", headers=auth))
    return out


def fake_proxy_server(monkeypatch: pytest.MonkeyPatch, port: int = 18090) -> dict:
    """Stand in for provsim serve's ``HttpServer`` under ``provsim proxy``: the command builds its
    app and server and "serves" until an immediate stop signal. Returns what it saw (host, port,
    ssl, app, and the server it ran)."""
    import simulator.http.server

    seen: dict = {}

    class FakeServer:
        def __init__(self, app, host, port_, ssl_context=None) -> None:
            self.port = port
            seen.update(host=host, port=port_, ssl=ssl_context, app=app)

    monkeypatch.setattr(simulator.http.server, "HttpServer", FakeServer)
    def run_until_signal(server, ready=None) -> None:
        if ready is not None:
            ready()
        seen.update(ran=server)

    monkeypatch.setattr(simulator.http.server, "run_until_signal", run_until_signal)
    return seen
