"""Record against provsim's own Genesys fake on a real socket, replay it offline, verify it.

Skipped while ``simulator.app.create_app`` does not yet serve ``/oauth/token`` and
``/api/v2/scim/v2/Users`` (the fake is built by a colleague in parallel)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from simulator.proxy import REPLAY_HEADER, ProxyApp, ProxyConfig, ProxyMode
from simulator.proxy.check import check_cassette
from simulator.proxy.cli import cassette as cassette_group

from proxy_helpers import serve

CLIENT_ID = "provsim-purecloud-client"
CLIENT_SECRET = "provsim-purecloud-secret"
MATTERING = ("content-type", "location", "etag")


def _fake_app():
    try:
        from simulator import create_app
        from simulator.core import ProvsimConfig
    except ImportError as err:  # pragma: no cover - before the foundation lands
        pytest.skip(f"simulator.create_app not importable yet: {err}")
    app = create_app(ProvsimConfig(seed=0, fixture="contoso"))
    rules = {r.rule for r in app.url_map.iter_rules()}
    if "/oauth/token" not in rules or not any(r.startswith("/api/v2/scim/v2/") and "users" in r for r in rules):
        pytest.skip("the Genesys fake does not serve /oauth/token and SCIM Users yet")
    return app


@pytest.fixture
def fake_url() -> Iterator[str]:
    with serve(_fake_app()) as url:
        yield url


def session(client: httpx.Client) -> list[httpx.Response]:
    """What the Entra provisioning service does for one new user, against Genesys."""
    out = [client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET))]
    auth = {"Authorization": f"Bearer {out[0].json()['access_token']}"}
    flt = {"filter": 'userName eq "proxy.test@contoso.com"'}
    out.append(client.get("/api/v2/scim/v2/Users", params=flt, headers=auth))
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "proxy.test@contoso.com",
            "active": True, "displayName": "Proxy Test", "title": "Engineer",
            "emails": [{"primary": True, "type": "work", "value": "proxy.test@contoso.com"}]}
    out.append(client.post("/api/v2/scim/v2/Users", json=user, headers=auth))
    uid = out[-1].json()["id"]
    out.append(client.get(f"/api/v2/scim/v2/Users/{uid}", headers=auth))
    out.append(client.patch(f"/api/v2/scim/v2/Users/{uid}", headers=auth, json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Manager"}]}))
    out.append(client.get(f"/api/v2/scim/v2/Users/{uid}", headers=auth))
    out.append(client.get("/api/v2/scim/v2/Users", params=flt, headers=auth))
    out.append(client.delete(f"/api/v2/scim/v2/Users/{uid}", headers=auth))
    return out


def _record(tmp_path: Path) -> tuple[Path, list[httpx.Response]]:
    path = tmp_path / "genesys-fake.yaml"
    with serve(_fake_app()) as fake:
        app = ProxyApp(ProxyConfig(upstream=fake, mode=ProxyMode.RECORD, cassette=path))
        with serve(app) as proxy_url, httpx.Client(base_url=proxy_url) as client:
            live = session(client)
        app.close()
    return path, live


def test_record_the_fake_on_a_socket_then_replay_offline(tmp_path: Path, no_network) -> None:
    path, live = _record(tmp_path)  # the fake and the proxy are stopped now
    assert [r.status_code for r in live] == [200, 200, 201, 200, 200, 200, 200, 204]
    app = ProxyApp(ProxyConfig(upstream="http://127.0.0.1:9", mode=ProxyMode.REPLAY, cassette=path))
    with no_network, httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://proxy.test") as client:
        replayed = session(client)
    assert no_network.calls == 0 and app.unused() == []
    assert replayed[0].json()["access_token"] == "REDACTED"
    for a, b in zip(live[1:], replayed[1:], strict=True):
        assert a.status_code == b.status_code
        assert {h: a.headers.get(h) for h in MATTERING} == {h: b.headers.get(h) for h in MATTERING}
        assert a.content == b.content
        assert b.headers[REPLAY_HEADER] == "hit"


def test_fake_recording_holds_no_secret(tmp_path: Path) -> None:
    path, live = _record(tmp_path)
    raw = path.read_bytes()
    token = live[0].json()["access_token"].encode()
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode())
    for secret in (token, basic, CLIENT_SECRET.encode()):
        assert secret not in raw
    assert check_cassette(path).errors == []


def test_verify_a_fake_recording_against_a_fresh_fake(tmp_path: Path, fake_url: str) -> None:
    path, _ = _record(tmp_path)
    runner = CliRunner()
    args = ["verify", str(path), "--against", fake_url, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]
    agreed = runner.invoke(cassette_group, args)
    assert agreed.exit_code == 0, agreed.output

    data = yaml.safe_load(path.read_text())
    body = json.loads(data["interactions"][5]["response"]["body"]["string"])
    body["title"] = "Edited To Disagree"
    data["interactions"][5]["response"]["body"]["string"] = json.dumps(body)
    data["interactions"][7]["response"]["status"]["code"] = 200
    path.write_text(yaml.safe_dump(data))
    with serve(_fake_app()) as fresh:
        result = runner.invoke(cassette_group, ["verify", str(path), "--against", fresh, "--client-id", CLIENT_ID,
                                                "--client-secret", CLIENT_SECRET])
    assert result.exit_code == 1
    assert '"Edited To Disagree"' in result.output and "DIFF #7 DELETE" in result.output
    assert "fidelity: 6/8" in result.output
