"""Issue 12, observation 5: default ignores at any depth, no duplicate headers in record mode,
replay without --upstream."""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from vcr.request import Request

from simulator.cli import cli as provsim
from simulator.http.server import HttpServer
from simulator.proxy.app import ProxyApp, ProxyConfig
from simulator.proxy.cassette import Interaction, make_response, save_interactions
from simulator.proxy.diff import DiffOptions, diff_interactions
from simulator.proxy.matchers import make_body_matcher

from proxy_helpers import fake_proxy_server, make_upstream, serve

LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def _filter_get(title: str, version: str, stamp: str) -> Interaction:
    """A filter GET as Entra sends most of its traffic: the user sits inside Resources[]."""
    body = {"schemas": [LIST_URN], "totalResults": 1, "Resources": [{
        "userName": "alex.wilber@contoso.com", "title": title,
        "meta": {"resourceType": "User", "created": stamp, "lastModified": stamp, "version": version}}]}
    request = Request("GET", 'https://api.mypurecloud.test/api/v2/scim/v2/Users?filter=userName+eq+"alex.wilber@contoso.com"',
                      b"", {})
    return Interaction(request, make_response(200, "OK", [("content-type", "application/scim+json")],
                                              json.dumps(body).encode()))


def test_meta_timestamps_and_versions_are_ignored_inside_resources():
    a = [_filter_get("Engineer", '"3"', "2026-01-05T09:00:00Z")]
    b = [_filter_get("Engineer", '"7"', "2026-02-11T17:45:00Z")]
    assert diff_interactions(a, b).equal
    changed = diff_interactions(a, [_filter_get("Manager", '"7"', "2026-02-11T17:45:00Z")])
    assert [c.where for c in changed.interactions[0].changes] == ["response.body.Resources[0].title"]
    assert not diff_interactions(a, b, options=DiffOptions.build(defaults=False)).equal  # opt-out still compares them


def test_replay_matching_ignores_dotted_fields_at_any_depth():
    def post(version: str) -> Request:
        body = {"Operations": [{"op": "replace", "value": {"meta": {"version": version}, "title": "Lead"}}]}
        return Request("PATCH", "https://x.test/api/v2/scim/v2/Users/1", json.dumps(body).encode(),
                       {"Content-Type": "application/scim+json"})

    matcher = make_body_matcher(["meta.version"])
    assert matcher(post('"1"'), post('"9"')) == (True, "")


@pytest.fixture(params=["waitress", "werkzeug"])
def recording_proxy(tmp_path: Path, request):
    """The proxy on provsim serve's HTTP server: waitress, and werkzeug (what serves TLS)."""
    with serve(make_upstream()) as upstream:
        app = ProxyApp(ProxyConfig(upstream=upstream, cassette=tmp_path / "c.yaml"))
        server = HttpServer(app, "127.0.0.1", 0, kind=request.param)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.port
        finally:
            server.shutdown()
            app.close()
            thread.join(timeout=5)


def _header_names(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return [name for name, _ in response.getheaders()]
    finally:
        conn.close()


def test_record_mode_answers_with_one_server_and_one_date_header(recording_proxy):
    names = _header_names(recording_proxy, "POST", "/oauth/token", "grant_type=client_credentials",
                          {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic eDp5"})
    lowered = [n.lower() for n in names]
    assert lowered.count("server") == 1 and lowered.count("date") == 1, names
    own = [n.lower() for n in _header_names(recording_proxy, "CONNECT", "example.com:443")]  # refused by the proxy itself
    assert own.count("server") == 1 and own.count("date") == 1


def test_replay_needs_no_upstream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cassette = tmp_path / "c.yaml"
    save_interactions(cassette, [_filter_get("Engineer", '"1"', "2026-01-05T09:00:00Z")])
    seen = fake_proxy_server(monkeypatch, 18099)
    runner = CliRunner()
    result = runner.invoke(provsim, ["proxy", "--mode", "replay", "--cassette", str(cassette), "--port", "0"])
    assert result.exit_code == 0, result.output
    assert seen["app"].config.upstream == "https://api.mypurecloud.test"
    assert "-> https://api.mypurecloud.test" in result.output
    refused = runner.invoke(provsim, ["proxy", "--mode", "record", "--cassette", str(cassette), "--port", "0"])
    assert refused.exit_code == 2 and "--upstream is required in record mode" in refused.output
    forward = runner.invoke(provsim, ["proxy", "--mode", "replay", "--on-miss", "forward", "--cassette", str(cassette)])
    assert forward.exit_code == 2 and "--on-miss forward" in forward.output
