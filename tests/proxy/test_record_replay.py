"""Record through the proxy on a real socket, stop the upstream, replay offline."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from simulator.proxy import REPLAY_HEADER, ProxyApp, ProxyConfig, ProxyMode, load_interactions
from simulator.proxy.check import check_cassette

from proxy_helpers import (
    ACCESS_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    SESSION_COOKIE,
    basic,
    make_upstream,
    scim_session,
    serve,
)

#: What "headers that matter" means for equality of a replay with the live answer.
MATTERING = ("content-type", "location", "etag", "set-cookie")


def _view(r: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    return r.status_code, {h: r.headers.get(h, "") for h in MATTERING}, r.content


def _record(tmp_path: Path, fmt: str = "yaml") -> tuple[Path, list[httpx.Response]]:
    cassette = tmp_path / f"scim.{fmt}"
    with serve(make_upstream()) as upstream:
        app = ProxyApp(ProxyConfig(upstream=upstream, mode=ProxyMode.RECORD, cassette=cassette))
        try:
            with serve(app) as proxy_url, httpx.Client(base_url=proxy_url) as client:
                live = scim_session(client)
        finally:
            app.close()
    return cassette, live


def test_record_on_socket_then_replay_offline_is_identical(tmp_path: Path, no_network) -> None:
    cassette, live = _record(tmp_path)  # both servers are stopped when this returns
    assert [r.status_code for r in live] == [200, 200, 201, 200, 200, 200, 200, 204]
    app = ProxyApp(ProxyConfig(upstream="http://127.0.0.1:9", mode=ProxyMode.REPLAY, cassette=cassette))
    assert app.forwarder is None  # replay has no client at all
    with no_network, httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://proxy.test") as client:
        replayed = scim_session(client)
    # The token is scrubbed in the cassette, so the replayed token response differs there only.
    assert replayed[0].json() == {**live[0].json(), "access_token": "REDACTED"}
    assert replayed[0].headers["set-cookie"] == "REDACTED"
    for a, b in zip(live[1:], replayed[1:], strict=True):
        assert _view(a) == _view(b)
        assert b.headers[REPLAY_HEADER] == "hit"
    assert app.unused() == []
    assert no_network.calls == 0


def test_cassette_has_no_secret_bytes(tmp_path: Path) -> None:
    cassette, _ = _record(tmp_path)
    raw = cassette.read_bytes()
    b64_basic = basic().split(" ", 1)[1].encode()
    for secret in (ACCESS_TOKEN, CLIENT_SECRET, SESSION_COOKIE, b64_basic, ACCESS_TOKEN.split(".")[2]):
        secret_b = secret if isinstance(secret, bytes) else secret.encode()
        assert secret_b not in raw, secret
    assert b"REDACTED" in raw
    assert check_cassette(cassette).errors == []


def test_form_client_secret_and_json_secrets_are_scrubbed(tmp_path: Path) -> None:
    cassette = tmp_path / "form.json"
    with serve(make_upstream()) as upstream:
        app = ProxyApp(ProxyConfig(upstream=upstream, mode=ProxyMode.RECORD, cassette=cassette))
        with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
            r = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                 "client_secret": CLIENT_SECRET})
            assert r.json()["access_token"] == ACCESS_TOKEN  # the client gets the real answer
            client.post("/echo", json={"passwordProfile": {"password": "Hunter2-Hunter2"}, "client_assertion": "abc.def.ghi"},
                        headers={"Cookie": f"session={SESSION_COOKIE}; theme=dark"})
            client.get(f"/echo?access_token={ACCESS_TOKEN}")
        app.close()
    raw = cassette.read_text()
    for secret in (CLIENT_SECRET, ACCESS_TOKEN, "Hunter2-Hunter2", "abc.def.ghi", SESSION_COOKIE):
        assert secret not in raw
    data = json.loads(raw)
    assert "client_id=real-client-id-7f3a" in data["interactions"][0]["request"]["body"]


def test_repeated_requests_replay_in_recorded_order(tmp_path: Path, no_network) -> None:
    cassette, live = _record(tmp_path)
    app = ProxyApp(ProxyConfig(upstream="http://up.test", mode=ProxyMode.REPLAY, cassette=cassette))
    with no_network, httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
        uid = live[2].json()["id"]
        auth = {"Authorization": "Bearer whatever"}  # headers are not matched; the token is scrubbed anyway
        first = client.get(f"/api/v2/scim/v2/Users/{uid}", headers=auth)
        second = client.get(f"/api/v2/scim/v2/Users/{uid}", headers=auth)
        third = client.get(f"/api/v2/scim/v2/Users/{uid}", headers=auth)
    assert first.json()["title"] == "Engineer" and second.json()["title"] == "Manager"
    assert third.status_code == 404 and third.headers[REPLAY_HEADER] == "miss"
    assert "already played" in third.json()["message"]


def test_allow_repeats_answers_with_the_latest(tmp_path: Path, no_network) -> None:
    cassette, live = _record(tmp_path)
    app = ProxyApp(ProxyConfig(upstream="http://up.test", mode=ProxyMode.REPLAY, cassette=cassette, allow_repeats=True))
    uid = live[2].json()["id"]
    with no_network, httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
        titles = [client.get(f"/api/v2/scim/v2/Users/{uid}").json()["title"] for _ in range(3)]
    assert titles == ["Engineer", "Manager", "Manager"]


def test_miss_names_the_closest_request_and_the_differences(tmp_path: Path, no_network) -> None:
    cassette, _ = _record(tmp_path)
    app = ProxyApp(ProxyConfig(upstream="http://up.test", mode=ProxyMode.REPLAY, cassette=cassette))
    with no_network, httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
        r = client.post("/api/v2/scim/v2/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": "jane.doe@contoso.com", "displayName": "Jane Doe",
                        "name": {"givenName": "Jane", "familyName": "Doe"}, "title": "CTO"})
    assert r.status_code == 404
    assert r.headers[REPLAY_HEADER] == "miss"
    body = r.json()
    assert body["error"] == "replay_miss"
    assert body["closest"]["method"] == "POST" and body["closest"]["path"] == "/api/v2/scim/v2/Users"
    assert any("title" in d and "CTO" in d and "Engineer" in d for d in body["differences"])
    assert app.traffic.entries[-1]["source"] == "miss"


def test_ignore_field_lets_a_changed_body_match(tmp_path: Path, no_network) -> None:
    cassette, _ = _record(tmp_path)
    app = ProxyApp(ProxyConfig(upstream="http://up.test", mode=ProxyMode.REPLAY, cassette=cassette, ignore_fields=("title",)))
    with no_network, httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
        r = client.post("/api/v2/scim/v2/Users", json={"title": "CTO", "displayName": "Jane Doe",
                        "name": {"familyName": "Doe", "givenName": "Jane"}, "userName": "jane.doe@contoso.com",
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})
    assert r.status_code == 201


def test_unused_interactions_reported_after_replay(tmp_path: Path, no_network) -> None:
    cassette, _ = _record(tmp_path)
    log = tmp_path / "played.jsonl"
    app = ProxyApp(ProxyConfig(upstream="http://up.test", mode=ProxyMode.REPLAY, cassette=cassette, traffic_log=log))
    with no_network, httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
        client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": basic()})
    app.close()
    assert app.unused() == [1, 2, 3, 4, 5, 6, 7]
    from simulator.proxy.check import read_played_log

    report = check_cassette(cassette, played=read_played_log(log))
    assert [f.interaction for f in report.findings if f.code == "unused"] == [1, 2, 3, 4, 5, 6, 7]


def test_on_miss_forward_and_spy_record_new(tmp_path: Path) -> None:
    cassette, _ = _record(tmp_path)
    n = len(load_interactions(cassette))
    with serve(make_upstream()) as upstream:
        app = ProxyApp(ProxyConfig(upstream=upstream, mode=ProxyMode.SPY, cassette=cassette, record_new=True))
        with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
            hit = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": basic()})
            new = client.get("/echo", params={"x": "1"})
            again = client.get("/echo", params={"x": "1"})
        app.close()
    assert hit.headers[REPLAY_HEADER] == "hit"
    assert new.headers["X-Provsim-Source"] == "upstream" and new.json()["query"] == "x=1"
    assert again.headers["X-Provsim-Source"] == "upstream"  # recorded now, but already "played" by its own answer
    assert len(load_interactions(cassette)) == n + 2

    app = ProxyApp(ProxyConfig(upstream="http://127.0.0.1:9", mode=ProxyMode.REPLAY, cassette=cassette, on_miss="forward", timeout=0.5))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
        r = client.get("/not-recorded")
    assert r.status_code == 502  # forwarded, and the (closed) upstream port answered nothing
    assert r.json()["error"] == "upstream_unavailable"


def test_json_cassette_roundtrip(tmp_path: Path, no_network) -> None:
    cassette, live = _record(tmp_path, "json")
    data = json.loads(cassette.read_text())
    assert data["version"] == 1 and len(data["interactions"]) == len(live)
    app = ProxyApp(ProxyConfig(upstream="http://up.test", mode=ProxyMode.REPLAY, cassette=cassette))
    with no_network, httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
        replayed = scim_session(client)
    assert [r.status_code for r in replayed] == [r.status_code for r in live]


def test_pseudonymized_recording_replays(tmp_path: Path, no_network) -> None:
    cassette = tmp_path / "pseudo.yaml"
    with serve(make_upstream()) as upstream:
        app = ProxyApp(ProxyConfig(upstream=upstream, mode=ProxyMode.RECORD, cassette=cassette, pseudonymize=True))
        with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
            scim_session(client)
        app.close()
    raw = cassette.read_text()
    assert "jane.doe@contoso.com" not in raw and "contoso" not in raw
    assert "Jane" not in raw and "Doe" not in raw
    assert "@example.invalid" in raw
    app = ProxyApp(ProxyConfig(upstream="http://up.test", mode=ProxyMode.REPLAY, cassette=cassette, pseudonymize=True))
    with no_network, httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
        replayed = scim_session(client)
    assert [r.status_code for r in replayed] == [200, 200, 201, 200, 200, 200, 200, 204]
    assert replayed[2].json()["userName"].endswith("@example.invalid")


def test_replay_of_missing_cassette_fails_early(tmp_path: Path) -> None:
    from simulator.proxy import CassetteNotFoundError

    with pytest.raises(CassetteNotFoundError):
        ProxyApp(ProxyConfig(upstream="http://up.test", mode=ProxyMode.REPLAY, cassette=tmp_path / "none.yaml"))
