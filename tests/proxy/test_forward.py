"""Forwarding: what reaches the upstream, what comes back, and what is refused."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import httpx
import pytest

from simulator.proxy import ProxyApp, ProxyConfig, ProxyMode, load_interactions
from simulator.proxy.forward import Upstream, strip_hop_by_hop

from proxy_helpers import make_upstream, serve


def _raw_request(url: str, request_line: str, extra: str = "", body: bytes = b"", connection: str = "close") -> tuple[int, bytes]:
    """Send one raw HTTP/1.1 request (absolute-form and CONNECT need the wire)."""
    hostport = url.split("://", 1)[1]
    host, port = hostport.split(":")
    length = f"Content-Length: {len(body)}\r\n" if body else ""
    with socket.create_connection((host, int(port)), timeout=2) as sock:
        head = f"{request_line}\r\nHost: {hostport}\r\n{extra}{length}Connection: {connection}\r\n\r\n"
        sock.sendall(head.encode() + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_hop_by_hop_headers_are_removed_including_those_named_in_connection() -> None:
    headers = [("Connection", "keep-alive, X-Hop"), ("X-Hop", "1"), ("Keep-Alive", "5"), ("TE", "trailers"),
               ("Upgrade", "h2c"), ("Proxy-Authorization", "Basic x"), ("Accept", "application/json")]
    assert strip_hop_by_hop(headers) == [("Accept", "application/json")]


def test_upstream_parse_and_same_origin() -> None:
    up = Upstream.parse("https://API.mypurecloud.com/base/")
    assert up.netloc == "api.mypurecloud.com" and up.base_path == "/base"
    assert up.url_for("/Users", "a=1") == "https://api.mypurecloud.com/base/Users?a=1"
    assert up.is_same_origin("https://api.mypurecloud.com:443/x")
    assert not up.is_same_origin("http://api.mypurecloud.com/x")
    assert not up.is_same_origin("https://evil.example/x")
    with pytest.raises(ValueError):
        Upstream.parse("ftp://x")


def test_request_is_forwarded_as_sent(upstream_url: str) -> None:
    app = ProxyApp(ProxyConfig(upstream=upstream_url, mode=ProxyMode.PASSTHROUGH))
    with serve(app) as proxy_url:
        status, body = _raw_request(
            proxy_url,
            "PATCH /echo/a%20b?b=2&a=1&a=0 HTTP/1.1",
            "X-Custom: yes\r\nX-Custom-Hop: drop-me\r\nContent-Type: text/plain\r\n",
            body=b"hello",
            connection="close, X-Custom-Hop",
        )
    app.close()
    assert status == 200
    echo = json.loads(body)
    assert echo["method"] == "PATCH" and echo["path"] == "/echo/a b" and echo["query"] == "b=2&a=1&a=0"
    assert echo["body_head"] == "hello" and echo["body_len"] == 5
    assert echo["headers"]["X-Custom"] == "yes"
    assert "X-Custom-Hop" not in echo["headers"]
    assert echo["headers"]["Host"] == upstream_url.split("://", 1)[1]  # Host rewritten to the upstream


def test_body_headers_and_query_forwarded_in_process(upstream_url: str) -> None:
    app = ProxyApp(ProxyConfig(upstream=upstream_url, mode=ProxyMode.PASSTHROUGH))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://proxy.test") as client:
        r = client.post("/echo", content=b"payload", params={"q": "x y"}, headers={"X-Trace": "7", "Content-Type": "text/plain"})
    app.close()
    echo = r.json()
    assert echo["body_len"] == 7 and echo["body_head"] == "payload"
    assert echo["query"] == "q=x+y" and echo["headers"]["X-Trace"] == "7"
    assert "User-Agent" in echo["headers"]  # the client's own, not added by the proxy's client
    assert app.traffic.entries[0]["source"] == "upstream"


def test_large_bodies_stream_in_passthrough(upstream_url: str) -> None:
    app = ProxyApp(ProxyConfig(upstream=upstream_url, mode=ProxyMode.PASSTHROUGH))
    big = b"y" * (3 * 1024 * 1024)
    with serve(app) as proxy_url, httpx.Client(base_url=proxy_url) as client:
        up = client.post("/echo", content=big, headers={"Content-Type": "application/octet-stream"})
        with client.stream("GET", "/big") as down:
            total = sum(len(c) for c in down.iter_raw())
    app.close()
    assert up.json()["body_len"] == len(big)
    assert total == 64 * 65536


def test_absolute_form_to_a_foreign_host_is_refused(upstream_url: str) -> None:
    app = ProxyApp(ProxyConfig(upstream=upstream_url, mode=ProxyMode.PASSTHROUGH))
    with serve(app) as proxy_url:
        status, body = _raw_request(proxy_url, "GET http://evil.example/steal HTTP/1.1")
        ok_status, _ = _raw_request(proxy_url, f"GET {upstream_url}/echo HTTP/1.1")
    app.close()
    assert status == 403
    payload = json.loads(body)
    assert payload["error"] == "forbidden_target"
    assert "evil.example" in payload["message"] and "forwards only to" in payload["message"]
    assert ok_status == 200  # absolute-form aimed at the upstream itself is fine


def test_connect_is_refused(upstream_url: str) -> None:
    app = ProxyApp(ProxyConfig(upstream=upstream_url, mode=ProxyMode.PASSTHROUGH))
    with serve(app) as proxy_url:
        status, body = _raw_request(proxy_url, "CONNECT evil.example:443 HTTP/1.1")
    app.close()
    assert status == 403
    assert "does not open tunnels" in json.loads(body)["message"]


def test_upstream_down_is_a_502_that_says_so(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = ProxyApp(ProxyConfig(upstream=f"http://127.0.0.1:{port}", mode=ProxyMode.RECORD, cassette=tmp_path / "c.yaml"))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
        r = client.get("/api/v2/scim/v2/Users")
    app.close()
    assert r.status_code == 502
    body = r.json()
    assert body["error"] == "upstream_unavailable"
    assert f"127.0.0.1:{port}" in body["upstream"] and "could not be reached" in body["message"]
    assert not (tmp_path / "c.yaml").exists()  # nothing recorded for a failed exchange


def test_upstream_timeout_is_a_504() -> None:
    release = threading.Event()
    with serve(make_upstream(slow_event=release)) as upstream:
        app = ProxyApp(ProxyConfig(upstream=upstream, mode=ProxyMode.PASSTHROUGH, timeout=0.2))
        try:
            with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
                r = client.get("/slow")
        finally:
            release.set()
            app.close()
    assert r.status_code == 504
    assert r.json()["error"] == "upstream_timeout" and "did not answer in time" in r.json()["message"]


def test_compressed_responses_are_recorded_decoded(upstream_url: str, tmp_path: Path) -> None:
    cassette = tmp_path / "gz.yaml"
    app = ProxyApp(ProxyConfig(upstream=upstream_url, mode=ProxyMode.RECORD, cassette=cassette))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://p") as client:
        r = client.get("/gzip", headers={"Accept-Encoding": "gzip"})
    app.close()
    assert r.json() == {"compressed": True}
    recorded = load_interactions(cassette)[0]
    assert json.loads(recorded.response_body) == {"compressed": True}
    assert "Content-Encoding" not in recorded.response["headers"]
    assert "Date" not in recorded.response["headers"] and "Server" not in recorded.response["headers"]


def test_tls_on_the_listening_side(upstream_url: str, tmp_path: Path) -> None:
    """--certfile/--keyfile: the same (cert, key) tuple the CLI hands to werkzeug."""
    pytest.importorskip("cryptography")
    import ssl

    from cryptography.hazmat.primitives import serialization
    from werkzeug.serving import generate_adhoc_ssl_pair

    cert, key = generate_adhoc_ssl_pair(cn="127.0.0.1")
    certfile, keyfile = tmp_path / "c.pem", tmp_path / "k.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()))
    client_ctx = ssl.create_default_context(cafile=str(certfile))
    client_ctx.check_hostname = False  # the ad-hoc certificate names no IP; the chain is still verified
    app = ProxyApp(ProxyConfig(upstream=upstream_url, mode=ProxyMode.PASSTHROUGH))
    with serve(app, ssl_context=(str(certfile), str(keyfile))) as proxy_url:
        assert proxy_url.startswith("https://")
        with httpx.Client(base_url=proxy_url, verify=client_ctx) as client:
            r = client.get("/echo")
    app.close()
    assert r.status_code == 200 and r.json()["path"] == "/echo"


def test_upstream_tls_is_verified_by_default() -> None:
    app = ProxyApp(ProxyConfig(upstream="https://127.0.0.1:9", mode=ProxyMode.PASSTHROUGH))
    ssl_ctx = app.forwarder.client._transport._pool._ssl_context  # httpx internals: the verify setting
    app.close()
    import ssl

    assert ssl_ctx.verify_mode == ssl.CERT_REQUIRED
