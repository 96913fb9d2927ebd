"""simulator.http.tls: the local CA of ``serve --tls`` (made once, reused), and HTTPS on the shared server
class with plain http answered, not dropped (issue 22). The CLI and the SDKs: tests/tls/."""

from __future__ import annotations

import http.client
import socket
import ssl

import httpx
import pytest

from simulator.http.server import ServerKind, ServerThread
from simulator.http.tls import TlsError, ensure_tls


def test_the_ca_is_made_once_and_reused_the_server_certificate_each_time(tmp_path):
    first = ensure_tls(tmp_path / "tls")
    ca, key, cert = first.ca.read_bytes(), (first.folder / "ca-key.pem").read_bytes(), first.cert.read_bytes()
    again = ensure_tls(tmp_path / "tls")
    assert first.created and not again.created
    assert again.ca.read_bytes() == ca and (again.folder / "ca-key.pem").read_bytes() == key
    assert again.cert.read_bytes() != cert                         # a fresh server certificate, same CA
    assert oct((again.folder / "ca-key.pem").stat().st_mode & 0o777) == "0o600"
    assert oct(again.key.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(("host", "names"), [
    ("127.0.0.1", ("localhost", "127.0.0.1", "::1")),
    ("0.0.0.0", ("localhost", "127.0.0.1", "::1")),               # a wildcard is no name
    ("[::]", ("localhost", "127.0.0.1", "::1")),
    ("devbox.lan", ("localhost", "127.0.0.1", "::1", "devbox.lan")),
    ("10.0.0.5", ("localhost", "127.0.0.1", "::1", "10.0.0.5")),
])
def test_the_certificate_names_loopback_and_a_named_host(tmp_path, host, names):
    assert ensure_tls(tmp_path, names=(host,)).names == names


def test_a_key_that_is_not_pem_is_a_clear_error(tmp_path):
    ensure_tls(tmp_path)
    (tmp_path / "ca-key.pem").write_text("not a key")
    with pytest.raises(TlsError, match="is not a PEM certificate and key"):
        ensure_tls(tmp_path)


@pytest.fixture
def https_server(app, tmp_path):
    files = ensure_tls(tmp_path / "tls")
    server = ServerThread(app, "127.0.0.1", 0, ssl_context=files.pair, housekeeping=False)
    server.start()
    try:
        yield server, files
    finally:
        server.stop()


def test_https_with_the_ca_trusted_and_nothing_else(https_server):
    server, files = https_server
    assert server.server.kind is ServerKind.CHEROOT and server.url.startswith("https://127.0.0.1:")
    url = f"https://localhost:{server.port}/oauth/token"
    token = httpx.post(url, data={"grant_type": "client_credentials"}, verify=ssl.create_default_context(cafile=str(files.ca)),
                       auth=("provsim-purecloud-client", "provsim-purecloud-secret"), trust_env=False)
    assert token.status_code == 200
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(url, trust_env=False)                             # the system's CAs do not know it


@pytest.mark.parametrize(("method", "status"), [("GET", 301), ("HEAD", 301), ("POST", 400), ("DELETE", 400)])
def test_plain_http_gets_an_answer_not_a_reset(https_server, method, status):
    server, _ = https_server
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(method, "/v1.0/users?$top=1", headers={"Host": f"localhost:{server.port}"})
    response = connection.getresponse()
    body = response.read()
    assert response.status == status
    if status == 301:
        assert response.getheader("Location") == f"https://localhost:{server.port}/v1.0/users?$top=1"
        assert body == (b"" if method == "HEAD" else f"This port speaks HTTPS: https://localhost:{server.port}/v1.0/users?$top=1\n".encode())
    else:
        assert b"speaks only HTTPS" in body


def test_a_hostile_host_header_is_not_echoed_into_the_redirect(https_server):
    server, _ = https_server
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    raw.sendall(b"GET / HTTP/1.1\r\nHost: evil.example/x?\r\n\r\n")
    answer = raw.recv(4096)
    raw.close()
    assert answer.startswith(b"HTTP/1.1 400") and b"evil.example" not in answer
