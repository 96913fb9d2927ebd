"""The client-credentials logins as ``httpx.Auth`` (simulator/client/login.py), against the in-process app:
one login for many requests, one re-login and retry when the token was expired or revoked, the
endpoint's own message when a login is refused, one login for concurrent requests, and no secret
or token in a repr or a log line."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import httpx
import pytest

from simulator import ProvsimClient, ProvsimConfig, create_app
from simulator.client.login import (
    DEMO_GENESYS,
    DEMO_GRAPH,
    GenesysClientCredentials,
    GraphClientCredentials,
    LoginFailed,
    genesys_token,
    graph_token,
)
from simulator.client.transport import InProcessTransport

BASE = "http://provsim.local"
TENANT = "contoso.onmicrosoft.com"
SCIM = f"{BASE}/api/v2/scim/v2/"
GRAPH = f"{BASE}/v1.0/"
GENESYS_LOGIN = "/oauth/token"
GRAPH_LOGIN = f"/{TENANT}/oauth2/v2.0/token"


@pytest.fixture(scope="module")
def shared_app():
    return create_app(ProvsimConfig(seed=1, fixture="contoso"))


@pytest.fixture()
def app(shared_app):
    """The module's app, back to the fixture's first state (tokens, clock) without fault rules."""
    with ProvsimClient.in_process(shared_app) as control:
        control.control.reset()
        control.control.clear_faults()
    return shared_app


@pytest.fixture()
def admin(app):
    """provsim's own client: the control API (expire and revoke Genesys tokens, the virtual clock)."""
    with ProvsimClient.in_process(app) as client:
        yield client


class Wire:
    """What went over the (in-process) wire: ``(method, path, status)`` per request, logins included."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, int]] = []

    def hooks(self) -> dict:
        return {"response": [lambda r: self.sent.append((r.request.method, r.request.url.path, r.status_code))]}

    def logins(self, path: str) -> int:
        return sum(1 for method, where, _ in self.sent if (method, where) == ("POST", path))


def _http(app, base: str, auth: httpx.Auth | None, wire: Wire) -> httpx.Client:
    return httpx.Client(transport=InProcessTransport(app=app), base_url=base, auth=auth, event_hooks=wire.hooks())


# ---------------------------------------------------------------- one login, many requests
def test_one_genesys_login_serves_many_requests(app):
    wire = Wire()
    with _http(app, SCIM, GenesysClientCredentials(), wire) as http:
        for _ in range(5):
            assert http.get("Users", params={"count": 1}).status_code == 200
        assert http.get("Groups", params={"filter": 'displayName eq "Sales"'}).status_code == 200
    assert wire.sent[0] == ("POST", GENESYS_LOGIN, 200)
    assert wire.logins(GENESYS_LOGIN) == 1 and len(wire.sent) == 7


def test_one_graph_login_serves_many_requests(app):
    wire = Wire()
    with _http(app, GRAPH, GraphClientCredentials(TENANT), wire) as http:
        for _ in range(5):
            assert http.get("users", params={"$top": "1"}).status_code == 200
    assert wire.sent[0] == ("POST", GRAPH_LOGIN, 200)
    assert wire.logins(GRAPH_LOGIN) == 1 and len(wire.sent) == 6


def test_the_login_carries_the_form_and_client_authentication_each_endpoint_wants(app):
    seen: list[httpx.Request] = []
    hooks = {"request": [lambda r: seen.append(r) if r.url.path.endswith("token") else None]}
    transport = InProcessTransport(app=app)
    with httpx.Client(transport=transport, base_url=BASE, event_hooks=hooks) as http:
        http.get("/api/v2/scim/v2/Users", auth=GenesysClientCredentials())
        http.get("/v1.0/users", auth=GraphClientCredentials(TENANT, scope="https://graph.microsoft.com/.default"))
    genesys, graph = seen
    assert genesys.headers["Authorization"] == httpx.BasicAuth(*DEMO_GENESYS)._auth_header  # HTTP Basic id:secret
    assert genesys.content == b"grant_type=client_credentials"
    assert "Authorization" not in graph.headers
    assert dict(httpx.QueryParams(graph.content.decode())) == {
        "client_id": DEMO_GRAPH[0], "client_secret": DEMO_GRAPH[1], "scope": "https://graph.microsoft.com/.default",
        "grant_type": "client_credentials"}


# ---------------------------------------------------------------- a token no longer good: one re-login, one retry
def test_after_expire_genesys_tokens_the_request_logs_in_again_and_succeeds(app, admin):
    wire = Wire()
    with _http(app, SCIM, GenesysClientCredentials(), wire) as http:
        assert http.get("Users", params={"count": 1}).status_code == 200
        assert admin.control.expire_genesys_tokens() >= 1
        wire.sent.clear()
        answer = http.get("Users", params={"count": 1})
        assert answer.status_code == 200
        assert wire.sent == [("GET", "/api/v2/scim/v2/Users", 401), ("POST", GENESYS_LOGIN, 200),
                             ("GET", "/api/v2/scim/v2/Users", 200)]
        http.get("Users", params={"count": 1})
        assert wire.logins(GENESYS_LOGIN) == 1, "the new token is kept"


def test_after_the_client_s_tokens_are_revoked_a_write_is_retried_once_with_its_body(app, admin):
    wire = Wire()
    with _http(app, f"{BASE}/api/v2/", GenesysClientCredentials(), wire) as http:
        assert http.get("groups").status_code == 200
        assert admin.control.revoke_genesys_tokens(client_id=DEMO_GENESYS[0]) >= 1
        wire.sent.clear()
        created = http.post("groups", json={"name": "Revoked then retried", "type": "official", "visibility": "public",
                                            "rulesVisible": True})
        assert created.status_code in (200, 201), created.text
        assert created.json()["name"] == "Revoked then retried"
        assert [s[:2] for s in wire.sent] == [("POST", "/api/v2/groups"), ("POST", GENESYS_LOGIN), ("POST", "/api/v2/groups")]
        assert wire.sent[0][2] == 401


def test_a_graph_token_past_its_virtual_hour_is_renewed_on_graph_s_401(app, admin):
    wire = Wire()
    with _http(app, GRAPH, GraphClientCredentials(TENANT), wire) as http:
        assert http.get("users", params={"$top": "1"}).status_code == 200
        admin.control.advance("PT2H")  # Entra tokens live an hour of virtual time; the auth's own clock saw seconds
        wire.sent.clear()
        assert http.get("users", params={"$top": "1"}).status_code == 200
        assert wire.sent == [("GET", "/v1.0/users", 401), ("POST", GRAPH_LOGIN, 200), ("GET", "/v1.0/users", 200)]


def test_a_401_that_stays_is_answered_after_one_retry(app, admin):
    wire = Wire()
    admin.control.add_fault(method="GET", path="/api/v2/scim/v2/Users*", status=401)
    with _http(app, SCIM, GenesysClientCredentials(), wire) as http:
        assert http.get("Users").status_code == 401
    assert [s[:2] for s in wire.sent] == [("POST", GENESYS_LOGIN), ("GET", "/api/v2/scim/v2/Users"),
                                          ("POST", GENESYS_LOGIN), ("GET", "/api/v2/scim/v2/Users")]


def test_relogin_on_narrows_which_401_answers_mean_log_in_again(app, admin):
    wire = Wire()
    admin.control.add_fault(method="GET", path="/api/v2/scim/v2/Users*", status=401, times=1)
    auth = GenesysClientCredentials(relogin_on=lambda response: "expired" in response.text)
    with _http(app, SCIM, auth, wire) as http:
        assert http.get("Users").status_code == 401  # the fault's 401 does not say "expired": no re-login
    assert wire.logins(GENESYS_LOGIN) == 1


def test_the_token_is_renewed_shortly_before_expires_in_on_the_auth_s_clock(app):
    now = [1000.0]
    wire = Wire()
    auth = GenesysClientCredentials(clock=lambda: now[0], leeway=60)
    with _http(app, SCIM, auth, wire) as http:
        http.get("Users", params={"count": 1})
        now[0] += 86400 - 61  # the demo client's tokens live 86,400 s
        http.get("Users", params={"count": 1})
        assert wire.logins(GENESYS_LOGIN) == 1
        now[0] += 2  # inside the last minute: a new login before the request, no 401 on the way
        http.get("Users", params={"count": 1})
    assert wire.logins(GENESYS_LOGIN) == 2 and all(status == 200 for *_, status in wire.sent)


# ---------------------------------------------------------------- refused logins
def test_a_refused_genesys_login_raises_login_failed_with_genesys_description(app):
    with _http(app, SCIM, GenesysClientCredentials(DEMO_GENESYS[0], "not-the-secret"), Wire()) as http:
        with pytest.raises(LoginFailed) as caught:
            http.get("Users")
    err = caught.value
    assert err.status == 401 and err.body["error"] == "invalid_client"
    assert err.detail == err.body["description"] == "client authentication failed"
    assert err.url == f"{BASE}{GENESYS_LOGIN}" and "client authentication failed" in str(err)


def test_a_refused_entra_login_raises_login_failed_with_the_aadsts_message(app):
    with _http(app, GRAPH, GraphClientCredentials(TENANT, DEMO_GRAPH[0], "not-the-secret"), Wire()) as http:
        with pytest.raises(LoginFailed) as caught:
            http.get("users")
    err = caught.value
    assert err.status in (400, 401) and err.detail.startswith("AADSTS")
    assert err.detail == err.body["error_description"].split("\r\n")[0]
    assert "Trace ID" not in str(err)


def test_a_failed_relogin_raises_login_failed(app, admin):
    with _http(app, SCIM, GenesysClientCredentials(), Wire()) as http:
        http.get("Users", params={"count": 1})
        admin.control.expire_genesys_tokens()
        admin.control.add_fault(method="POST", path=GENESYS_LOGIN, status=503)
        with pytest.raises(LoginFailed) as caught:
            http.get("Users", params={"count": 1})
    assert caught.value.status == 503


# ---------------------------------------------------------------- secrets stay secret
def test_neither_the_secret_nor_the_token_shows_in_a_repr_or_a_log_line(app, caplog):
    genesys = GenesysClientCredentials("provsim-purecloud-client", DEMO_GENESYS[1])
    graph = GraphClientCredentials(TENANT, DEMO_GRAPH[0], DEMO_GRAPH[1])
    caplog.set_level(logging.DEBUG)
    with _http(app, BASE, None, Wire()) as http:  # no client-wide auth: one per request
        http.get("/api/v2/scim/v2/Users", auth=genesys)
        http.get("/v1.0/users", auth=graph)
        tokens = [genesys.token(http), graph.token(http)]
        with pytest.raises(LoginFailed) as refused:
            http.get("/api/v2/scim/v2/Users", auth=GenesysClientCredentials(DEMO_GENESYS[0], "a-wrong-secret"))
    shown = [repr(genesys), str(genesys), repr(graph), str(graph), repr(genesys._token), str(refused.value),
             *(record.getMessage() for record in caplog.records)]
    assert repr(genesys) == "GenesysClientCredentials(client_id='provsim-purecloud-client', token_url='/oauth/token')"
    for text in shown:
        for secret in (DEMO_GENESYS[1], DEMO_GRAPH[1], "a-wrong-secret", *tokens):
            assert secret not in text, text


# ---------------------------------------------------------------- concurrency
class SlowLogins(httpx.BaseTransport):
    """The in-process app, with logins that take a while (so concurrent requests meet the lock)."""

    def __init__(self, app) -> None:
        self.inner = InProcessTransport(app=app)
        self.lock = threading.Lock()  # one request at a time into the app: the test is about the auth's lock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            time.sleep(0.05)
        with self.lock:
            response = self.inner.handle_request(request)
            response.read()
        return response


def test_threads_sharing_one_auth_log_in_once(app):
    wire, auth = Wire(), GenesysClientCredentials()
    barrier, answers = threading.Barrier(6), []

    def work() -> None:
        with httpx.Client(transport=SlowLogins(app), base_url=SCIM, auth=auth, event_hooks=wire.hooks()) as http:
            barrier.wait()
            answers.extend(http.get("Users", params={"count": 1}).status_code for _ in range(3))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert answers == [200] * 18
    assert wire.logins(GENESYS_LOGIN) == 1


def _async_bridge(app) -> httpx.MockTransport:
    """httpx.AsyncClient into the in-process app (WSGI is synchronous: each answer is read whole)."""
    inner = SlowLogins(app)

    async def handle(request: httpx.Request) -> httpx.Response:
        await request.aread()
        answer = await asyncio.to_thread(inner.handle_request, request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return httpx.MockTransport(handle)


def test_async_tasks_sharing_one_auth_log_in_once_and_log_in_again_after_expiry(app, admin):
    wire, auth = Wire(), GenesysClientCredentials()

    async def hook(response: httpx.Response) -> None:
        wire.hooks()["response"][0](response)

    async def run() -> list[int]:
        async with httpx.AsyncClient(transport=_async_bridge(app), base_url=SCIM, auth=auth,
                                     event_hooks={"response": [hook]}) as http:
            first = await asyncio.gather(*(http.get("Users", params={"count": 1}) for _ in range(5)))
            await asyncio.to_thread(admin.control.expire_genesys_tokens)
            second = await asyncio.gather(*(http.get("Users", params={"count": 1}) for _ in range(3)))
        return [r.status_code for r in (*first, *second)]

    assert asyncio.run(run()) == [200] * 8
    assert wire.logins(GENESYS_LOGIN) == 2  # one at the start, one after the expiry, however many tasks waited


# ---------------------------------------------------------------- the functions and ProvsimClient's parts
def test_genesys_token_and_graph_token_still_answer_the_token_response(app):
    with httpx.Client(transport=InProcessTransport(app=app), base_url=BASE) as http:
        genesys = genesys_token(http)
        graph = graph_token(http, TENANT)
        assert genesys["token_type"] == "bearer" and genesys["expires_in"] == 86400 and genesys["access_token"]
        assert graph["token_type"] == "Bearer" and graph["access_token"].count(".") == 2
        assert genesys_token(http)["access_token"] != genesys["access_token"], "a new login per call"
        with pytest.raises(LoginFailed, match="client authentication failed"):
            genesys_token(http, DEMO_GENESYS[0], "wrong")


def test_provsim_client_parts_log_in_through_the_auth_classes(app, admin):
    wire = Wire()
    with ProvsimClient.in_process(app, transport_wrapper=lambda t: t) as client:
        client.http.event_hooks["response"] = wire.hooks()["response"]
        assert isinstance(client.genesys.auth, GenesysClientCredentials)
        assert isinstance(client.graph.auth, GraphClientCredentials) and client.graph.auth.tenant == TENANT
        client.genesys("GET", "/Users", params={"count": "1"})
        client.genesys("GET", "/Users", params={"count": "2"})
        assert wire.logins(GENESYS_LOGIN) == 1
        admin.control.expire_genesys_tokens()
        assert client.genesys("GET", "/Users", params={"count": "1"})["totalResults"] >= 1  # logged in again
        assert client.genesys.platform("GET", "/groups")["entities"] is not None
        assert wire.logins(GENESYS_LOGIN) == 2
        token = client.graph.token()
        assert client.graph.token() == token and client.graph.token(fresh=True) != token
        client.forget()
        assert client.graph.auth._token is None and client.genesys.auth._token is None


def test_a_login_lost_on_the_wire_leaves_the_lock_free_for_the_next_request(app, admin):
    auth = GenesysClientCredentials()
    admin.control.add_fault(method="POST", path=GENESYS_LOGIN, drop=True, times=1)
    with _http(app, SCIM, auth, Wire()) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("Users", params={"count": 1})
        assert not auth._lock.locked()
        assert http.get("Users", params={"count": 1}).status_code == 200
