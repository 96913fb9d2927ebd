"""The small parts alone: modes, scrub filters, matchers, replayer, cassette persistence."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
import vcr
from vcr.request import Request

from simulator.proxy import (
    CassetteFile,
    CassetteFormatError,
    Interaction,
    ProxyMode,
    Replayer,
    ReplayMiss,
    Scrubber,
    load_interactions,
    save_interactions,
    validate_mode,
)
from simulator.proxy.cassette import make_request, make_response
from simulator.proxy.matchers import as_vcr_matcher, make_body_matcher, method, path, query
from simulator.proxy.scrub import (
    Message,
    SecretMemory,
    drop_headers,
    pseudonym_email,
    pseudonymize,
    redact_form_fields,
    redact_headers,
    redact_json_keys,
    redact_json_paths,
    redact_known_secrets,
    redact_query_params,
)

# --------------------------------------------------------------------------- modes


def test_modes_are_a_checked_enum() -> None:
    assert validate_mode("spy") is ProxyMode.SPY
    with pytest.raises(ValueError, match="'record', 'replay', 'spy', 'passthrough'"):
        validate_mode("captrue")
    choice = click.Choice(ProxyMode, case_sensitive=False)
    assert choice.convert("REPLAY", None, None) is ProxyMode.REPLAY
    assert not ProxyMode.REPLAY.forwards and ProxyMode.SPY.forwards


# --------------------------------------------------------------------------- scrub filters


def _req(headers=(), body=b"", uri="https://api.test/x", ct=None) -> Message:
    h = tuple(headers) + ((("Content-Type", ct),) if ct else ())
    return Message("request", h, body, uri)


def test_redact_headers_and_remember_basic_secret() -> None:
    memory = SecretMemory()
    msg = redact_headers(memory=memory)(_req([("Authorization", "Basic aWQ6c2VjcmV0LXZhbHVl"), ("Cookie", "sid=abcdef123")]))
    assert dict(msg.headers) == {"Authorization": "REDACTED", "Cookie": "REDACTED"}
    assert "secret-value" in memory.values()  # the decoded secret half of the Basic credential


def test_redact_json_keys_keeps_formatting() -> None:
    body = b'{"access_token": "tok-123456", "expires_in": 3599,\n "nested": {"refresh_token": "r-abcdef"}}'
    out = redact_json_keys()(Message("response", (("Content-Type", "application/json"), ("Content-Length", str(len(body)))), body))
    assert out.body == b'{"access_token": "REDACTED", "expires_in": 3599,\n "nested": {"refresh_token": "REDACTED"}}'
    assert dict(out.headers)["Content-Length"] == str(len(out.body))


def test_unscrubbed_body_is_untouched_byte_for_byte() -> None:
    body = b'{ "userName" : "a@b.c" ,"x":1}'
    msg = Message("response", (("Content-Type", "application/json"),), body)
    assert Scrubber.default().message(msg).body == body


def test_redact_form_fields_and_query_params() -> None:
    form = _req(body=b"grant_type=client_credentials&client_id=abc&client_secret=s3cr3t!", ct="application/x-www-form-urlencoded")
    assert redact_form_fields()(form).body == b"grant_type=client_credentials&client_id=abc&client_secret=REDACTED"
    q = redact_query_params()(_req(uri="https://api.test/x?access_token=tok123&a=1"))
    assert q.uri == "https://api.test/x?access_token=REDACTED&a=1"


def test_redact_json_paths_dotted_wildcard_and_pointer() -> None:
    body = json.dumps({"emails": [{"value": "a@x.io"}, {"value": "b@x.io"}],
                       "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E42"}}).encode()
    f = redact_json_paths(["emails[*].value", "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/employeeNumber"])
    data = json.loads(f(Message("request", (("Content-Type", "application/scim+json"),), body)).body)
    assert [e["value"] for e in data["emails"]] == ["REDACTED", "REDACTED"]
    assert data["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"] == "REDACTED"


def test_known_secrets_are_redacted_wherever_they_reappear() -> None:
    memory = SecretMemory()
    redact_json_keys(memory=memory)(Message("response", (("Content-Type", "application/json"),), b'{"access_token":"tok-ABCDEFG"}'))
    echoed = redact_known_secrets(memory)(_req([("X-Echo", "tok-ABCDEFG")], b"saw tok-ABCDEFG", "https://a.test/?t=tok-ABCDEFG"))
    assert b"tok-ABCDEFG" not in echoed.body and "tok-ABCDEFG" not in echoed.uri
    assert dict(echoed.headers)["X-Echo"] == "REDACTED"


def test_drop_volatile_headers_only_on_responses() -> None:
    f = drop_headers()
    resp = f(Message("response", (("Date", "Mon"), ("Server", "W/3"), ("ETag", 'W/"1"')), b""))
    assert resp.headers == (("ETag", 'W/"1"'),)
    assert f(_req([("Date", "Mon")])).headers == (("Date", "Mon"),)


def test_pseudonyms_are_consistent_and_keyed() -> None:
    f = pseudonymize("k1")
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "Jane.Doe@contoso.com",
            "displayName": "Jane Doe", "name": {"givenName": "Jane", "familyName": "Doe"},
            "emails": [{"value": "jane.doe@contoso.com"}]}
    group = {"displayName": "Sales", "members": [{"value": "x", "display": "jane.doe@contoso.com"}]}
    a = json.loads(f(Message("request", (("Content-Type", "application/json"),), json.dumps(user).encode())).body)
    b = json.loads(f(Message("request", (("Content-Type", "application/json"),), json.dumps(user).encode())).body)
    assert a == b
    assert a["userName"] == a["emails"][0]["value"] == pseudonym_email("jane.doe@contoso.com", "k1")
    assert a["userName"].startswith("user-") and a["userName"].endswith("@example.invalid")
    assert a["displayName"].startswith("Person ") and a["name"]["givenName"].startswith("Given ")
    assert pseudonym_email("jane.doe@contoso.com", "k2") != a["userName"]
    g = json.loads(f(Message("request", (("Content-Type", "application/json"),), json.dumps(group).encode())).body)
    assert g["displayName"] == "Sales"  # group names must stay: Genesys matches groups by name
    q = f(_req(uri='https://a.test/Users?filter=userName%20eq%20%22jane.doe%40contoso.com%22'))
    assert "contoso" not in q.uri and "example.invalid" in q.uri


# --------------------------------------------------------------------------- matchers


def _r(method_="GET", uri="https://a.test/Users", body=b"", ct="application/json") -> Request:
    return make_request(method_, uri, body, [("Content-Type", ct)] if body else [])


def test_matchers_give_reasons() -> None:
    assert method(_r("GET"), _r("POST")) == (False, "method GET != recorded POST")
    assert path(_r(uri="https://a.test/Users/%41"), _r(uri="https://other.host/Users/A"))[0]
    assert query(_r(uri="https://a/x?b=2&a=1"), _r(uri="https://a/x?a=1&b=%32"))[0]
    ok, why = query(_r(uri="https://a/x?a=1"), _r(uri="https://a/x?a=2"))
    assert not ok and "a=1" in why and "a=2" in why
    body = make_body_matcher(["meta"])
    assert body(_r(body=b'{"a":1,"b":[1,2],"meta":{"v":1}}'), _r(body=b'{"b":[1,2],"a":1,"meta":{"v":2}}'))[0]
    ok, why = body(_r(body=b'{"a":{"b":1}}'), _r(body=b'{"a":{"b":2}}'))
    assert not ok and "a.b" in why
    form = "application/x-www-form-urlencoded"
    assert body(_r(body=b"a=1&b=2", ct=form), _r(body=b"b=2&a=1", ct=form))[0]
    with pytest.raises(AssertionError, match="method"):
        as_vcr_matcher(method)(_r("GET"), _r("PUT"))


# --------------------------------------------------------------------------- replayer


def _it(method_: str, uri: str, status: int, body: bytes = b"") -> Interaction:
    return Interaction(make_request(method_, uri, b"", []), make_response(status, "", [], body))


def test_replayer_order_repeats_and_closest() -> None:
    items = [_it("GET", "https://a/Users/1", 200, b"v1"), _it("PATCH", "https://a/Users/1", 200), _it("GET", "https://a/Users/1", 200, b"v2")]
    rp = Replayer(items)
    assert rp.play(_r(uri="https://x/Users/1")).index == 0
    assert rp.unused() == [1, 2]
    assert rp.play(_r(uri="https://x/Users/1")).index == 2
    with pytest.raises(ReplayMiss, match="already played"):
        rp.play(_r(uri="https://x/Users/1"))
    with pytest.raises(ReplayMiss) as miss:
        rp.play(_r("DELETE", "https://x/Users/1"))
    assert miss.value.closest["method"] in ("GET", "PATCH") and "method DELETE" in miss.value.differences[0]
    rp2 = Replayer(items, allow_repeats=True)
    assert [rp2.play(_r(uri="https://x/Users/1")).index for _ in range(3)] == [0, 2, 2]


# --------------------------------------------------------------------------- cassettes


def test_cassette_save_is_incremental_atomic_and_deterministic(tmp_path: Path) -> None:
    def write(path: Path) -> None:
        c = CassetteFile(path, fresh=True)
        for i in range(3):
            c.append(make_request("POST", f"https://a/Users?i={i}", b'{"x":1}', [("Content-Type", "application/json")]),
                     make_response(201, "Created", [("Content-Type", "application/json")], b'{"id":"%d"}' % i))
            assert len(load_interactions(path)) == i + 1  # on disk after every exchange
        assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []

    write(tmp_path / "a.yaml")
    write(tmp_path / "b.yaml")
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()
    write(tmp_path / "a.json")
    assert json.loads((tmp_path / "a.json").read_text())["version"] == 1


def test_failed_save_keeps_the_previous_cassette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    c = CassetteFile(path, fresh=True)
    c.append(make_request("GET", "https://a/1", b"", []), make_response(200, "OK", [], b"one"))
    before = path.read_bytes()
    import simulator.proxy.cassette as cassette_mod

    def crash(*a, **k):
        raise KeyboardInterrupt("crash while saving")

    monkeypatch.setattr(cassette_mod.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        c.append(make_request("GET", "https://a/2", b"", []), make_response(200, "OK", [], b"two"))
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_broken_cassette_is_an_error_not_an_empty_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("interactions: [ {request: nope")
    with pytest.raises(CassetteFormatError):
        load_interactions(bad)
    with pytest.raises(CassetteFormatError):
        CassetteFile(bad)


def test_vcrpy_itself_replays_a_provsim_cassette(tmp_path: Path) -> None:
    import httpx

    path = tmp_path / "v.yaml"
    save_interactions(path, [Interaction(
        make_request("GET", "https://api.test/Users?x=1", b"", [("Accept", "application/json")]),
        make_response(200, "OK", [("Content-Type", "application/json")], b'{"ok":true}'),
    )])
    with vcr.use_cassette(str(path), record_mode="none"), httpx.Client() as client:
        r = client.get("https://api.test/Users?x=1")
    assert r.json() == {"ok": True}


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_incremental_save_is_byte_identical_to_vcrpy_serialize(tmp_path: Path, fmt: str) -> None:
    from vcr.serialize import serialize

    from simulator.proxy.cassette import serializer_for

    path = tmp_path / f"c.{fmt}"
    c = CassetteFile(path, fresh=True)
    reqs, resps = [], []
    for i in range(4):
        body = json.dumps({"userName": f"u{i}@x.test", "note": "a long line " * 12, "n": "é"}).encode()
        req = make_request("POST", f"https://a/Users?i={i}", body, [("Content-Type", "application/json")])
        resp = make_response(201, "Created", [("Content-Type", "application/json"), ("Set-Cookie", "a=REDACTED")], body)
        c.append(req, resp)
        reqs.append(req)
        resps.append(make_response(201, "Created", [("Content-Type", "application/json"), ("Set-Cookie", "a=REDACTED")], body))
    expected = serialize({"requests": reqs, "responses": resps}, serializer_for(CassetteFile(path).format))
    assert path.read_text(encoding="utf-8") == expected
    # Appending to a loaded cassette (spy --record-new) keeps it identical too.
    again = CassetteFile(path)
    again.append(reqs[0], make_response(201, "Created", [("Content-Type", "application/json"), ("Set-Cookie", "a=REDACTED")], b"{}"))
    assert len(load_interactions(path)) == 5
