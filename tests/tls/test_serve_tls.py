"""``provsim serve --tls``: the local CA, its reuse, plain http refused, and Microsoft's and Genesys'
Python libraries with only the CA trusted (issue 22, observation 1 and "Done when")."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import sys
from pathlib import Path

import pytest
from cryptography import x509

from tls_helpers import HERE, PROVSIM, read_json, run_program, start_serve, stop, user_env

PROGRAM = HERE / "programs" / "sdk_program.py"
pytestmark = [pytest.mark.slow, pytest.mark.clients]  # each client program is its own Python process (~5 s)


def _trusted(ca: Path) -> dict:
    return user_env(SSL_CERT_FILE=str(ca), REQUESTS_CA_BUNDLE=str(ca))


# ------------------------------------------------------------------------ the Python SDKs, only the CA trusted
def test_msal_with_the_ca_trusted(tls_server):
    out = run_program(sys.executable, PROGRAM, "msal", tls_server.url, env=_trusted(tls_server.ca))
    assert out == {"token_type": "Bearer", "error": None}


@pytest.mark.parametrize("kind", ["azure-sync", "azure-async"])
def test_azure_identity_and_msgraph_sdk_with_the_ca_trusted(tls_server, kind):
    out = run_program(sys.executable, PROGRAM, kind, tls_server.url, env=_trusted(tls_server.ca))
    assert "megan.bowen@contoso.com" in out.get("users", []), out
    assert len(out["users"]) == len(set(out["users"])) >= 20            # every page, followed over https


def test_the_genesys_sdk_with_its_ssl_ca_cert(tls_server):
    out = run_program(sys.executable, PROGRAM, "genesys", tls_server.url, str(tls_server.ca), env=user_env())
    assert out == {"users": ["megan.bowen@contoso.com"]}


@pytest.mark.parametrize("kind", ["msal", "azure-sync"])
def test_without_the_ca_the_libraries_refuse_the_certificate(tls_server, kind):
    out = run_program(sys.executable, PROGRAM, kind, tls_server.url, env=user_env())
    assert "CERTIFICATE_VERIFY_FAILED" in out.get("message", "") or "certificate verify failed" in out.get("message", ""), out


# ------------------------------------------------------------------------ the CA and the certificate
def test_the_banner_names_the_ca_to_trust(tls_server, tls_dir):
    assert tls_server.info["base_url"].startswith("https://127.0.0.1:")
    assert tls_server.info["tls"] == {"ca": str(tls_dir / "ca.pem"), "dir": str(tls_dir), "created": True,
                                      "names": ["localhost", "127.0.0.1", "::1"]}
    assert (tls_dir / "ca-key.pem").stat().st_mode & 0o077 == 0       # the CA's key: the user's alone


def test_the_certificate_is_for_localhost_and_both_loopback_addresses_signed_by_the_ca(tls_server):
    port = int(tls_server.url.rsplit(":", 1)[1])
    context = ssl.create_default_context(cafile=str(tls_server.ca))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as tls:
        der = tls.getpeercert(binary_form=True)
    names = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]


def _plain(port: int, method: str, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=b"grant_type=client_credentials" if method == "POST" else None)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def test_plain_http_on_the_tls_port_is_redirected_or_refused(tls_server):
    port = int(tls_server.url.rsplit(":", 1)[1])
    get = _plain(port, "GET", "/v1.0/users?$top=1")
    assert get.status == 301 and get.getheader("Location") == f"https://127.0.0.1:{port}/v1.0/users?$top=1"
    post = _plain(port, "POST", "/oauth/token")            # a token request is never silently re-sent as a GET
    assert post.status == 400 and b"speaks only HTTPS" in post.body and post.getheader("Location") is None
    # and the port still serves https afterwards
    context = ssl.create_default_context(cafile=str(tls_server.ca))
    connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=10)
    connection.request("GET", "/_provsim/health")
    assert connection.getresponse().status == 200


def test_the_ca_is_reused_on_the_next_start_and_its_certificate_still_verifies(tmp_path):
    folder = tmp_path / "tls"
    first = start_serve("--tls-dir", str(folder), cwd=tmp_path)
    stop(first)
    ca_bytes, key_bytes = (folder / "ca.pem").read_bytes(), (folder / "ca-key.pem").read_bytes()
    second = start_serve("--tls", "--tls-dir", str(folder), cwd=tmp_path)
    try:
        assert second.info["tls"]["created"] is False and "(reused)" not in second.banner  # JSON banner
        assert (folder / "ca.pem").read_bytes() == ca_bytes and (folder / "ca-key.pem").read_bytes() == key_bytes
        out = run_program(sys.executable, PROGRAM, "msal", second.url, env=_trusted(folder / "ca.pem"))
        assert out["token_type"] == "Bearer"
    finally:
        stop(second)


def test_without_tls_dir_a_per_user_folder_is_used_and_printed(tmp_path):
    env = user_env(XDG_DATA_HOME=str(tmp_path / "data"), HOME=str(tmp_path / "home"))
    import subprocess

    process = subprocess.Popen([PROVSIM, "serve", "--port", "0", "--tls"],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(9)]
    finally:
        process.send_signal(2)
        process.wait(timeout=30)
    banner = "".join(lines)
    expected = tmp_path / "data" / "provsim" / "tls" / "ca.pem"
    assert f"local CA {expected} (made now)" in banner and f"NODE_EXTRA_CA_CERTS={expected}" in banner, banner
    assert expected.is_file()


def test_half_a_ca_is_refused_with_a_clear_error_and_nothing_is_overwritten(tmp_path):
    import subprocess

    folder = tmp_path / "tls"
    folder.mkdir()
    (folder / "ca.pem").write_text("trusted somewhere already\n")
    done = subprocess.run([PROVSIM, "serve", "--port", "0", "--tls-dir", str(folder)],
                          cwd=tmp_path, env=user_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"{folder} has ca.pem but not ca-key.pem" in done.stderr and "Traceback" not in done.stderr
    assert (folder / "ca.pem").read_text() == "trusted somewhere already\n" and not (folder / "ca-key.pem").exists()


def test_the_proxy_serves_tls_with_the_same_ca(tls_server, tls_dir, tmp_path):
    """``provsim proxy --tls-dir`` (same folder) in front of ``serve --tls``: a client that trusts the one
    ca.pem talks https to the proxy, and the proxy to the upstream."""
    import subprocess

    import httpx

    proxy = subprocess.Popen([PROVSIM, "--json", "proxy", "--mode", "passthrough", "--upstream", tls_server.url,
                              "--port", "0", "--tls-dir", str(tls_dir)], cwd=tmp_path, env=_trusted(tls_server.ca),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info, _ = read_json(proxy)
        assert info["url"].startswith("https://127.0.0.1:") and info["tls_ca"] == str(tls_dir / "ca.pem")
        port = info["url"].rsplit(":", 1)[1]
        with httpx.Client(verify=ssl.create_default_context(cafile=str(tls_server.ca)), trust_env=False) as client:
            token = client.post(f"https://localhost:{port}/oauth/token", data={"grant_type": "client_credentials"},
                                auth=("provsim-purecloud-client", "provsim-purecloud-secret"))
        assert token.status_code == 200 and token.json()["token_type"] == "bearer", token.text
    finally:
        proxy.send_signal(2)
        proxy.wait(timeout=30)
