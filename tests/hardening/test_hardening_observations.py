"""One regression test per observation of issue 11 ("no input breaks it, no acknowledged write is
lost, nothing opens it from outside"), through the HTTP APIs a user has."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest

from simulator.app import create_app
from simulator.client import login
from simulator.core import ProvsimConfig, Store, StoreError
from simulator.core.traffic import TrafficLog

TENANT = "contoso.onmicrosoft.com"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"


def _scim_list(http, headers, user_name):
    return http.get("/api/v2/scim/v2/Users", params={"filter": f'userName eq "{user_name}"'}, headers=headers)


# ---- 1. one string poisons the store -----------------------------------------------------
def test_obs1_a_lone_surrogate_is_refused_at_parse_time_on_every_surface(http, scim_headers, graph_headers):
    body = b'{"schemas":["' + USER_URN.encode() + b'"],"userName":"poison@contoso.com","displayName":"x\\ud800y"}'
    resp = http.post("/api/v2/scim/v2/Users", content=body, headers={**scim_headers, "Content-Type": "application/scim+json"})
    assert resp.status_code == 400 and resp.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert "surrogate" in resp.json()["detail"]
    assert _scim_list(http, scim_headers, "poison@contoso.com").json()["totalResults"] == 0
    assert http.get("/api/v2/scim/v2/Users", headers=scim_headers).status_code == 200  # listings still work
    graph = http.post("/v1.0/users", content=b'{"displayName":"x\\udfffy","accountEnabled":true}',
                      headers={**graph_headers, "Content-Type": "application/json"})
    assert graph.status_code == 400 and graph.json()["error"]["code"] == "Request_BadRequest"
    control = http.post("/_provsim/faults", content=b'{"status":503,"note":"\\ud800"}',
                        headers={"Content-Type": "application/json"})
    assert control.status_code == 400 and control.json()["error"]["code"] == "badRequest"


def test_obs1_a_document_that_cannot_be_stored_is_undone_not_acknowledged(tmp_path):
    store = Store(tmp_path / "state.json")
    users = store.table("users")
    users.add({"userName": "ok@contoso.com"})
    with pytest.raises(StoreError):
        users.add({"userName": "x\ud800y@contoso.com"})  # past every parser: the journal refuses it
    assert [d["userName"] for d in users.all()] == ["ok@contoso.com"]
    users.add({"userName": "after@contoso.com"})
    store.close()
    again = Store(tmp_path / "state.json").table("users")
    assert sorted(d["userName"] for d in again.all()) == ["after@contoso.com", "ok@contoso.com"]


# ---- 2. kill -9 loses acknowledged writes (the served crash test is in test_hardening_served.py)
def test_obs2_every_write_is_journaled_before_it_returns_and_replayed_on_load(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    users = store.table("users")
    for i in range(300):
        users.add({"userName": f"u{i}@contoso.com"})
    users.delete(5)
    assert not path.exists()  # no whole-store write per request ...
    assert (tmp_path / "state.json.journal").stat().st_size > 0  # ... one journal line each instead
    # no close, no flush: what a killed process leaves behind
    reloaded = Store(path).table("users")
    assert len(reloaded) == 299 and reloaded.get(doc_id=5) is None
    assert reloaded.get(doc_id=300)["userName"] == "u299@contoso.com"


def test_obs2_a_torn_last_journal_line_is_ignored_and_compaction_folds_the_journal(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    store.table("users").add({"userName": "a@contoso.com"})
    assert store.compact() is True and path.exists()
    store.table("users").add({"userName": "b@contoso.com"})
    with open(tmp_path / "state.json.journal", "ab") as fh:
        fh.write(b'{"seq": 99, "w": [["users", 9, {"userName": "torn')  # the writer died mid-line
    names = sorted(d["userName"] for d in Store(path).table("users").all())
    assert names == ["a@contoso.com", "b@contoso.com"]


# ---- 3. the control API and the dashboard answer anyone ----------------------------------
def test_obs3_cross_origin_state_changes_are_refused(http, client):
    for path, body in (("/_provsim/reset", None), ("/_provsim/clock/advance", {"duration": "PT1H"}),
                       ("/_provsim/faults", {"status": 503}), ("/_provsim/purecloud/tokens/expire", None)):
        resp = http.post(path, json=body, headers={"Origin": "https://attacker.example"})
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden", path
    assert http.post("/_provsim/reset", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert http.get("/_provsim/clock").json()["now"] == "2026-01-05T09:00:00Z"  # nothing moved
    assert http.get("/_provsim/faults").json()["value"] == []
    # the same request from the simulator's own origin, or from a script (no Origin), works
    assert http.post("/_provsim/clock/advance", json={"duration": "PT1H"},
                     headers={"Origin": "http://provsim.test"}).status_code == 200
    assert http.post("/_provsim/clock/advance", json={"duration": "PT1H"}).status_code == 200


def test_obs3_dashboard_forms_need_the_dashboards_own_cookie(client):
    refused = client.post("/dashboard/advance", data={"duration": "PT40M"})
    assert refused.status_code == 403  # a cross-site form post carries no SameSite=Strict cookie
    page = client.get("/")
    cookie = page.headers["Set-Cookie"]
    assert "SameSite=Strict" in cookie and "HttpOnly" in cookie
    assert client.post("/dashboard/advance", data={"duration": "PT40M"}).status_code == 302
    assert client.post("/dashboard/advance", data={"duration": "PT40M"},
                       headers={"Origin": "https://attacker.example"}).status_code == 403
    assert "2026-01-05T09:40:00Z" in client.get("/").get_data(as_text=True)


def test_obs3_a_dns_rebound_host_cannot_read_the_snapshot(served):
    import httpx

    with httpx.Client(base_url=served.url) as c:
        rebound = c.get("/_provsim/snapshot", headers={"Host": f"attacker.example:{served.port}"})
        assert rebound.status_code == 403 and rebound.json()["error"]["code"] == "forbidden"
        assert c.get("/", headers={"Host": "attacker.example"}).status_code == 403
        # in-process names are refused over a socket; loopback names answer
        assert c.get("/_provsim/health", headers={"Host": "provsim.local"}).status_code == 403
        assert c.get("/_provsim/health", headers={"Host": f"localhost:{served.port}"}).status_code == 200
        assert c.get("/_provsim/health").status_code == 200
        # the fakes themselves answer any Host (SDKs use their own names)
        resp = c.get("/api/v2/scim/v2/Users", headers={"Host": "api.mypurecloud.com"})
        assert resp.status_code == 401 and resp.json()["code"] == "bad.credentials"


def test_obs3_serve_warns_when_it_binds_a_non_loopback_address():
    from simulator.cli.serve import exposure_warning

    assert exposure_warning("127.0.0.1") is None and exposure_warning("::1") is None
    assert exposure_warning("localhost") is None
    text = exposure_warning("0.0.0.0")
    assert "not a loopback address" in text and "/_provsim" in text and "demo credentials" in text


# ---- 4. tokens can be forged ---------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _forge(claims: dict, key: bytes) -> str:
    head = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode()) + "." + _b64(json.dumps(claims).encode())
    return head + "." + _b64(hmac.new(key, head.encode(), hashlib.sha256).digest())


def test_obs4_forged_or_foreign_graph_tokens_are_refused(http, runtime):
    tenant_id = runtime.services["graph"].tenant_id
    seed_key = hashlib.sha256(f"provsim-entra:0:{tenant_id}".encode()).digest()  # what anyone knowing the seed can do
    now = int(runtime.clock.now().timestamp())
    base = {"aud": "https://graph.microsoft.com", "tid": tenant_id, "iat": now, "nbf": now, "exp": now + 3600,
            "roles": ["Directory.ReadWrite.All"]}
    unknown_app = _forge({**base, "appid": "11111111-2222-3333-4444-555555555555"}, seed_key)
    resp = http.get("/v1.0/users", headers={"Authorization": f"Bearer {unknown_app}"})
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "InvalidAuthenticationToken"
    no_exp = {k: v for k, v in base.items() if k != "exp"}
    resp = http.get("/v1.0/users", headers={"Authorization": f"Bearer {_forge({**no_exp, 'appid': 'x'}, seed_key)}"})
    assert resp.status_code == 401
    # a real token for another resource does not work on Graph
    arm = http.post(f"/{TENANT}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": "provsim-graph-client", "client_secret": "provsim-graph-secret",
        "scope": "https://management.azure.com/.default"}).json()["access_token"]
    resp = http.get("/v1.0/users", headers={"Authorization": f"Bearer {arm}"})
    assert resp.status_code == 401 and "audience" in resp.json()["error"]["message"]


def test_obs4_genesys_tokens_must_be_issued_by_the_fake_and_random_keys_make_them_unpredictable():
    import httpx

    from simulator.client.transport import InProcessTransport
    from simulator.core.security import random_key

    def token_of(app):
        with httpx.Client(transport=InProcessTransport(app=app), base_url="http://provsim.local") as c:
            return login.genesys_token(c)["access_token"], login.graph_token(c, TENANT)["access_token"]

    plain_a, plain_b = create_app(ProvsimConfig(seed=0)), create_app(ProvsimConfig(seed=0))
    assert token_of(plain_a) == token_of(plain_b)  # deterministic by default (same seed, same bytes)
    keyed = create_app(ProvsimConfig(seed=0, extra={"signing_key": random_key()}))
    genesys, graph = token_of(keyed)
    assert (genesys, graph) != token_of(create_app(ProvsimConfig(seed=0)))
    with httpx.Client(transport=InProcessTransport(app=plain_a), base_url="http://provsim.local") as c:
        assert c.get("/api/v2/scim/v2/Users", headers={"Authorization": f"Bearer {genesys}"}).status_code == 401
        assert c.get("/v1.0/users", headers={"Authorization": f"Bearer {graph}"}).status_code == 401
        made_up = "A" * 43
        assert c.get("/api/v2/scim/v2/Users", headers={"Authorization": f"Bearer {made_up}"}).status_code == 401


# ---- 5. bad control input corrupts state or breaks every request ----------------------------
def test_obs5_snapshot_restore_is_validated_and_atomic(http, scim_headers):
    before = http.get("/_provsim/snapshot").json()
    for bad in ({"tables": {}}, {"tables": {"purecloud_users": []}}, {"tables": "x"},
                {"tables": {**before["tables"], "purecloud_users": {"1": "not a document"}}},
                {"tables": {**before["tables"], "purecloud_memberships": {"1": {"no": "keys"}}}}):
        resp = http.post("/_provsim/snapshot/restore", json=bad)
        assert resp.status_code == 400, bad
    after = http.get("/_provsim/snapshot").json()
    assert after["tables"] == before["tables"]  # nothing wiped, nothing half-replaced
    assert http.get("/api/v2/scim/v2/Users", headers=scim_headers).status_code == 200


@pytest.mark.parametrize("rule", [
    {"status": 500, "after": "x"}, {"status": 500, "headers": "x"}, {"delay": 1e308}, {"status": 500, "nth": True},
    {"status": 500, "headers": {"X-Evil": "a\r\nSet-Cookie: x=1"}}, {"status": 500, "headers": {"Content-Length": "5"}},
    {"status": 500, "path": "re:/(a)\\1$"}, {"status": "500"}, {"status": 500, "probability": "half"},
])
def test_obs5_fault_rules_of_the_wrong_type_are_refused(http, rule):
    resp = http.post("/_provsim/faults", json=rule)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "badRequest"
    assert http.get("/_provsim/faults").json()["value"] == []


def test_obs5_a_fault_rule_answers_with_one_content_length_and_its_own_headers(served):
    import httpx

    with httpx.Client(base_url=served.url) as c:
        c.post("/_provsim/faults", json={"path": "/v1.0/*", "status": 429, "headers": {"Retry-After": 3}})
        resp = c.get("/v1.0/users")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "3"
    assert resp.headers.get_list("Content-Length") == [str(len(resp.content))]


def test_obs5_the_clock_cannot_be_moved_where_tokens_break(http):
    for body in ({"to": "9999-12-31T23:59:59Z"}, {"duration": "P99999999999D"}, {"duration": "PT" + "\u0663" + "M"},
                 {"duration": 40}, {"to": 5}, {"duration": "P" + "9" * 400 + "D"}):
        resp = http.post("/_provsim/clock/advance", json=body)
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "badRequest", body
    assert login.genesys_token(http)["access_token"]  # /oauth/token still answers


# ---- 6. unhandled 500s and HTML errors -------------------------------------------------------
def test_obs6_hostile_input_gets_4xx_in_the_surfaces_format(http, client, scim_headers, graph_headers):
    deep = b'{"a":' * 3000 + b"1" + b"}" * 3000
    resp = http.post("/api/v2/scim/v2/Users", content=deep, headers={**scim_headers, "Content-Type": "application/scim+json"})
    assert resp.status_code == 400 and resp.json()["status"] == "400"
    resp = http.get("/api/v2/scim/v2/Users", params={"filter": "(" * 5000}, headers=scim_headers)
    assert resp.status_code == 400 and resp.json()["scimType"] == "invalidFilter"
    resp = http.get("/api/v2/scim/v2/Users", params={"filter": 'emails[type eq "work" and value co "@"].value eq "x"'},
                    headers=scim_headers)
    assert resp.status_code == 400 and resp.json()["scimType"] == "invalidFilter"
    resp = http.get("/v1.0/users", params={"$filter": "(" * 5000}, headers=graph_headers)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "Request_BadRequest"
    resp = http.post("/v1.0/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/users", "headers": 5}]},
                     headers=graph_headers)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "Request_BadRequest"
    resp = http.request("PROPFIND", "/api/v2/scim/v2/Users", headers=scim_headers)
    assert resp.status_code == 405 and resp.headers["content-type"] == "application/scim+json"
    for path in ("/_provsim/nothing-here", "/nothing-here"):
        resp = http.get(path)
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "notFound"
    long = client.get("/v1.0/users?x=" + "a" * 70_000, headers=graph_headers)
    assert long.status_code == 414 and long.json["error"]["message"].startswith("The request URL is longer")
    long = client.get("/api/v2/scim/v2/Users?x=" + "a" * 70_000, headers=scim_headers)
    assert long.status_code == 414 and long.json["status"] == "414"


def test_obs6_a_crash_in_the_middleware_is_a_500_in_the_surfaces_format(http, runtime, monkeypatch, scim_headers):
    def boom(*_args, **_kw):
        raise RuntimeError("a bug")

    monkeypatch.setattr(runtime.faults, "evaluate", boom)
    resp = http.get("/api/v2/scim/v2/Users", headers=scim_headers)
    # a 500 is a gateway status on Genesys: its ErrorBody shape (reference §Errors)
    assert resp.status_code == 500 and resp.json()["code"] == "internal.server.error"
    assert "Traceback" not in resp.text and "a bug" not in resp.text


# ---- 7. secrets (the end-to-end scan is test_hardening_secrets.py) ----------------------------
def test_obs7_a_patched_password_and_query_tokens_never_reach_the_traffic_log(http, scim_headers):
    created = http.post("/api/v2/scim/v2/Users", headers=scim_headers, json={
        "schemas": [USER_URN], "userName": "pw@contoso.com", "displayName": "PW", "password": "First-Pass-11!"}).json()
    http.patch(f"/api/v2/scim/v2/Users/{created['id']}", headers=scim_headers, json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "password", "value": "Second-Pass-22!"},
                       {"op": "replace", "value": {"password": "Third-Pass-33!"}}]})
    http.get("/v1.0/users", params={"access_token": "query-token-44", "$top": "1"})
    log = json.dumps(http.get("/_provsim/traffic").json())
    for secret in ("First-Pass-11!", "Second-Pass-22!", "Third-Pass-33!", "query-token-44",
                   scim_headers["Authorization"].split()[1]):
        assert secret not in log
    assert "access_token=REDACTED" in log


def test_obs7_cassette_check_flags_a_patched_password(tmp_path):
    from simulator.proxy.check import check_cassette

    body = json.dumps({"Operations": [{"op": "replace", "path": "password", "value": "Leaked-Pass-55!"}]})
    cassette = {"version": 1, "interactions": [{
        "request": {"method": "PATCH", "uri": "https://x/api/v2/scim/v2/Users/1", "body": body, "headers": {}},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": "{}"}}}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cassette))
    report = check_cassette(path)
    assert any(f.code == "secret" and "password" in f.message for f in report.findings)
    assert "Leaked-Pass-55!" not in report.render()


# ---- 8. unbounded growth -----------------------------------------------------------------------
def test_obs8_genesys_tokens_are_purged_and_capped(runtime):
    org = runtime.services["purecloud"]
    for _ in range(1100):
        org.issue_token("provsim-purecloud-client")
    assert len(org.tokens) <= org.settings.max_tokens_per_client
    runtime.clock.advance(timedelta(hours=25))  # every token has expired
    for _ in range(64):
        org.issue_token("provsim-purecloud-client")
    assert len(org.tokens) <= 64


def test_obs8_the_traffic_ring_is_capped_in_bytes():
    ring = TrafficLog(max_bytes=1024 * 1024)
    body = b"x" * 65_536
    for _ in range(200):
        ring.record(at="t", surface="graph", method="POST", path="/v1.0/users", query="", request_headers=[],
                    request_body=body, status=201, response_headers=[], response_body=body)
    assert ring.bytes <= 1024 * 1024 and 0 < len(ring) < 200


def test_obs8_graph_and_control_bodies_are_limited(http, graph_headers):
    big = b'{"displayName":"' + b"x" * (5 * 1024 * 1024) + b'"}'
    resp = http.post("/v1.0/users", content=big, headers={**graph_headers, "Content-Type": "application/json"})
    assert resp.status_code == 413 and "error" in resp.json()
    resp = http.post("/_provsim/faults", content=big, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "payloadTooLarge"


# ---- 9. corrupt state files, alias bombs ---------------------------------------------------------
@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"[]", b"null", b'{"users": []}', b'{"users": {"x": {}}}',
                                     b'{"users": {"1": 5}}', b'{"_provsim": {"1": {"seq": "x"}}}', b"{" * 100_000])
def test_obs9_a_file_that_is_not_a_state_file_is_a_clear_store_error(tmp_path, content):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(StoreError) as err:
        Store(path)
    assert str(path) in str(err.value)


def test_obs9_serve_on_a_corrupt_state_file_fails_cleanly(tmp_path, cli):
    from simulator.cli import cli as provsim

    path = tmp_path / "state.json"
    path.write_bytes(b"[]")
    result = cli.invoke(provsim, ["serve", "--port", "0", "--state", str(path)])
    assert result.exit_code != 0 and "not a provsim state file" in result.output
    assert "Traceback" not in result.output


def test_obs9_an_alias_bomb_is_refused_by_cassette_check_and_scenarios(tmp_path):
    from simulator.proxy.check import check_cassette
    from simulator.proxy.errors import CassetteFormatError
    from simulator.scenario.model import ScenarioError, load_scenario

    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = "\n".join(lines) + "\n"
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb)
    started = time.monotonic()
    with pytest.raises(CassetteFormatError, match="alias bomb"):
        check_cassette(path)
    with pytest.raises((ScenarioError, Exception), match="alias bomb"):
        load_scenario(str(path))
    assert time.monotonic() - started < 30  # it returns (the bomb used to spin forever)


# ---- 10. a frozen clock locks clients out ---------------------------------------------------------
@pytest.mark.slow  # waits out a Retry-After in real seconds
def test_obs10_a_client_that_waits_out_retry_after_gets_through_on_a_frozen_clock(served):
    import httpx

    runtime = served.app.extensions["provsim"]
    limiter = runtime.services["purecloud"].limiter
    limiter.limit, limiter.window = 3, timedelta(seconds=2)  # Genesys' 300/min, scaled down for the test
    with httpx.Client(base_url=served.url) as c:
        headers = {"Authorization": f"Bearer {login.genesys_token(c)['access_token']}"}
        codes = [c.get("/api/v2/scim/v2/Users", headers=headers).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = c.get("/api/v2/scim/v2/Users", headers=headers)
        wait = int(refused.headers["Retry-After"])
        assert refused.json()["code"] == "too.many.requests.retry.after" and 1 <= wait <= 2
        time.sleep(wait + 0.2)
        assert c.get("/api/v2/scim/v2/Users", headers=headers).status_code == 200
    assert runtime.clock.now().isoformat().startswith("2026-01-05T09:00:00")  # virtual time never moved


def test_obs10_in_process_rate_limits_stay_on_virtual_time_and_can_be_turned_off(runtime, http, scim_headers):
    org = runtime.services["purecloud"]
    org.limiter.limit = 2
    codes = [http.get("/api/v2/scim/v2/Users", headers=scim_headers).status_code for _ in range(3)]
    assert codes == [200, 200, 429]  # deterministic: no real time counts in-process
    runtime.clock.advance(timedelta(minutes=1))
    assert http.get("/api/v2/scim/v2/Users", headers=scim_headers).status_code == 200
    off = create_app(ProvsimConfig(seed=0, rate_limits=False)).extensions["provsim"].services["purecloud"]
    assert off.settings.rate_limit_enabled is False
