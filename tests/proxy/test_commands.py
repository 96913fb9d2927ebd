"""``provsim proxy`` and ``provsim cassette check|diff|verify`` through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from simulator.proxy import RecordingTransport
from simulator.proxy.cli import cassette, proxy

from proxy_helpers import ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, fake_proxy_server, make_upstream, scim_session, serve

BASE = "https://api.mypurecloud.test"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _record(path: Path) -> None:
    with httpx.Client(transport=RecordingTransport(httpx.WSGITransport(app=make_upstream()), path), base_url=BASE) as c:
        scim_session(c)


def _edit(path: Path, fn) -> None:
    data = yaml.safe_load(path.read_text())
    fn(data["interactions"])
    path.write_text(yaml.safe_dump(data))


# --------------------------------------------------------------------------- check


def test_check_clean_cassette(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "c.yaml"
    _record(path)
    result = runner.invoke(cassette, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "8 interaction(s), 0 error(s)" in result.output


def test_check_finds_secrets_malformed_and_duplicates(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "c.yaml"
    _record(path)

    def plant(items: list) -> None:
        items[1]["request"]["headers"]["authorization"] = [f"Bearer {ACCESS_TOKEN}"]
        items[0]["request"]["body"] = f"grant_type=client_credentials&client_secret={CLIENT_SECRET}"
        items[2]["response"]["body"]["string"] = json.dumps({"note": "Basic cmVhbDpzZWNyZXQ="})
        items[3]["response"]["status"] = {"code": "two hundred"}
        items.append(items[4])

    _edit(path, plant)
    result = runner.invoke(cassette, ["check", str(path), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    codes = {(f["code"], f["interaction"]) for f in report["findings"]}
    assert ("secret", 1) in codes and ("secret", 0) in codes and ("secret", 2) in codes
    assert ("malformed", 3) in codes and ("duplicate", 8) in codes
    assert ACCESS_TOKEN not in result.output and CLIENT_SECRET not in result.output  # the report masks what it found
    human = runner.invoke(cassette, ["check", str(path)])
    assert "JWT" in human.output and "client_secret" in human.output


def test_check_unused_from_played_log(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "c.yaml"
    _record(path)
    played = tmp_path / "played.json"
    played.write_text("[0, 1, 2, 3, 4, 5]")
    result = runner.invoke(cassette, ["check", str(path), "--played", str(played)])
    assert result.exit_code == 1
    assert "#6" in result.output and "#7" in result.output and "never played" in result.output


def test_check_missing_file_is_exit_3(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cassette, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 3 and "not found" in result.output


# --------------------------------------------------------------------------- diff


def test_diff_equal_and_volatile_fields_ignored(tmp_path: Path, runner: CliRunner) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    _record(a)
    _record(b)

    def volatile(items: list) -> None:
        body = json.loads(items[2]["response"]["body"]["string"])
        body["id"] = "11111111-2222-4333-8444-555555555555"
        body["meta"]["lastModified"] = "2030-01-01T00:00:00Z"
        body["meta"]["version"] = "9"
        items[2]["response"]["body"]["string"] = json.dumps(body)
        items[2]["response"]["headers"]["ETag"] = ['W/"9"']

    _edit(b, volatile)
    result = runner.invoke(cassette, ["diff", str(a), str(b)])
    assert result.exit_code == 0, result.output
    assert "no differences" in result.output
    strict = runner.invoke(cassette, ["diff", str(a), str(b), "--no-default-ignores"])
    assert strict.exit_code == 1 and "meta.version" in strict.output


def test_diff_changed_body_reads_like_a_diff(tmp_path: Path, runner: CliRunner) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    _record(a)
    _record(b)

    def change(items: list) -> None:
        body = json.loads(items[5]["response"]["body"]["string"])
        body["title"] = "Director"
        items[5]["response"]["body"]["string"] = json.dumps(body)
        items[5]["response"]["status"]["code"] = 202

    _edit(b, change)
    result = runner.invoke(cassette, ["diff", str(a), str(b)])
    assert result.exit_code == 1
    out = result.output
    assert f"--- {a}" in out and f"+++ {b}" in out
    assert "@@ #5 GET /api/v2/scim/v2/Users/" in out
    assert '- response.body.title: "Manager"' in out and '+ response.body.title: "Director"' in out
    assert "- status: 200" in out and "+ status: 202" in out
    data = json.loads(runner.invoke(cassette, ["diff", str(a), str(b), "--json"]).output)
    assert data["equal"] is False and data["differences"][0]["index"] == 5


# --------------------------------------------------------------------------- verify


def test_verify_agrees_then_reports_an_edited_cassette(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "c.yaml"
    _record(path)
    with serve(make_upstream()) as live:
        # Shift the live server's ids, so verify must follow them (POST -> id, later GET/PATCH/DELETE).
        with httpx.Client(base_url=live) as c:
            tok = c.post("/oauth/token", auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
            c.post("/api/v2/scim/v2/Users", json={"userName": "other@x.test"}, headers={"Authorization": f"Bearer {tok}"})
        args = ["verify", str(path), "--against", live, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]
        ok = runner.invoke(cassette, args)
        assert ok.exit_code == 0, ok.output
        assert "fidelity: 8/8" in ok.output

        def disagree(items: list) -> None:
            body = json.loads(items[5]["response"]["body"]["string"])
            body["title"] = "Recorded Title"
            items[5]["response"]["body"]["string"] = json.dumps(body)

        _edit(path, disagree)
        bad = runner.invoke(cassette, args)
        report = json.loads(runner.invoke(cassette, [*args, "--json"]).output)
    assert bad.exit_code == 1
    assert "DIFF #5 GET" in bad.output and '"Recorded Title"' in bad.output and "fidelity: 7/8" in bad.output
    assert report["agreed"] == 7 and report["results"][5]["agrees"] is False


def test_verify_needs_a_token(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "c.yaml"
    _record(path)
    result = runner.invoke(cassette, ["verify", str(path), "--against", "http://127.0.0.1:9"])
    assert result.exit_code == 3 and "--token" in result.output


# --------------------------------------------------------------------------- proxy command


def test_proxy_command_validates_at_the_edge(runner: CliRunner, tmp_path: Path) -> None:
    bad_mode = runner.invoke(proxy, ["--upstream", "http://127.0.0.1:1", "--mode", "captrue"])
    assert bad_mode.exit_code == 2 and "record" in bad_mode.output
    no_cassette = runner.invoke(proxy, ["--upstream", "http://127.0.0.1:1", "--mode", "replay"])
    assert no_cassette.exit_code == 2 and "needs a cassette" in no_cassette.output
    missing = runner.invoke(proxy, ["--upstream", "http://127.0.0.1:1", "--mode", "replay", "--cassette", str(tmp_path / "x.yaml")])
    assert missing.exit_code == 3 and "not found" in missing.output
    help_text = runner.invoke(proxy, ["--help"]).output
    for option in ("--on-miss", "--scrub-json-path", "--pseudonymize", "--certfile", "--insecure", "--ignore-field"):
        assert option in help_text


def test_proxy_command_serves_until_interrupted(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command builds the app and provsim serve's HTTP server (waitress), bound to loopback, and
    serves until SIGTERM/SIGINT."""
    seen = fake_proxy_server(monkeypatch)
    result = runner.invoke(proxy, ["--upstream", "http://127.0.0.1:1", "--cassette", str(tmp_path / "c.yaml"), "--port", "0"])
    assert result.exit_code == 0, result.output
    assert seen["host"] == "127.0.0.1" and seen["ran"].port == 18090
    assert "record" in result.output and "http://127.0.0.1:18090" in result.output
