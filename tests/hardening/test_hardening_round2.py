"""One regression test per observation of issue 21 ("Hardening, round two: the network edge, a journal
that survives any crash, and the last bad inputs"), through what a user has: ``provsim serve`` on the
machine's own non-loopback address, the HTTP APIs, the state files a crash leaves behind."""

from __future__ import annotations

import base64
import errno
import http.server
import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from simulator.app import create_app
from simulator.client import login
from simulator.client.transport import InProcessTransport
from simulator.core import ProvsimConfig, Store, StoreError

TENANT = "contoso.onmicrosoft.com"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


# ---------------------------------------------------------------------------------------- helpers
def _lan_address() -> str | None:
    """The machine's own non-loopback IPv4 address (what another machine on the LAN would call)."""
    found: list[str] = []
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, timeout=10).stdout
        found += re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", out)
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        found += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        pass
    for address in found:
        if not ipaddress.ip_address(address).is_loopback:
            return address
    return None


def _lan_or_skip() -> str:
    address = _lan_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to serve on")
    return address


class _Served:
    """``provsim serve`` in a child process; ``port`` from its banner, stderr kept for the warnings."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.err_path = tmp_path / f"serve-{time.monotonic_ns()}.err"
        self._err = open(self.err_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=self._err, text=True)
        line = self.proc.stdout.readline()
        found = re.search(r"serving on http://\S+:(\d+)", line)
        if not found:
            self.stop()
            raise AssertionError(f"serve did not start: {line!r} {self.err_path.read_text()!r}")
        self.port = int(found.group(1))

    def stderr(self) -> str:
        return self.err_path.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self.proc.stdout.close()
            self._err.close()


@contextmanager
def _serve(tmp_path: Path, *args: str):
    served = _Served(tmp_path, *args)
    try:
        yield served
    finally:
        served.stop()


class _Listener:
    """Any HTTP listener on the network: it records what reaches it."""

    def __init__(self, host: str) -> None:
        seen = self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                seen.append((self.path, self.headers.get("Authorization")))
                body = b'{"Resources":[],"totalResults":0}'
                self.send_response(200)
                self.send_header("Content-Type", "application/scim+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _in_process(app) -> httpx.Client:
    return httpx.Client(transport=InProcessTransport(app=app), base_url="http://localhost")


def _scim_headers(client: httpx.Client) -> dict:
    return {"Authorization": f"Bearer {login.genesys_token(client)['access_token']}"}


def _create(client: httpx.Client, headers: dict, name: str, **extra) -> httpx.Response:
    return client.post("/api/v2/scim/v2/Users", headers=headers,
                       json={"schemas": [USER_URN], "userName": name, "displayName": name.split("@")[0], **extra})


# ---- 1. serve --host <LAN address> opens the control API and dashboard -------------------------
@pytest.mark.slow
def test_obs1_serve_on_a_lan_address_answers_control_and_dashboard_only_to_loopback_peers(tmp_path):
    lan = _lan_or_skip()
    with _serve(tmp_path, "--host", lan) as served, httpx.Client(base_url=f"http://{lan}:{served.port}") as lan_client:
        reset = lan_client.post("/_provsim/reset")  # the Host is the server's own address, the peer is not loopback
        assert reset.status_code == 403, reset.text
        assert "--allow-remote-control" in reset.json()["error"]["message"]
        assert lan_client.get("/_provsim/clock").status_code == 403
        assert lan_client.get("/").status_code == 403
        # what --host is for still works from the LAN: the fakes, with the demo credentials
        assert lan_client.get("/api/v2/scim/v2/Users", headers=_scim_headers(lan_client)).status_code == 200
    assert "answer only loopback peers" in served.stderr()


# ---- 2. serve --host 0.0.0.0: a spoofed Host reaches the control API ---------------------------
@pytest.mark.slow
def test_obs2_a_spoofed_host_from_the_lan_is_refused_and_loopback_peers_still_answer(tmp_path):
    lan = _lan_or_skip()
    with _serve(tmp_path, "--host", "0.0.0.0") as served:
        with httpx.Client(base_url=f"http://{lan}:{served.port}") as lan_client:
            spoofed = lan_client.post("/_provsim/reset", headers={"Host": "localhost"})
            assert spoofed.status_code == 403, spoofed.text
            assert lan_client.get("/", headers={"Host": f"127.0.0.1:{served.port}"}).status_code == 403
        with httpx.Client(base_url=f"http://127.0.0.1:{served.port}") as local:  # the quiet case: a loopback peer
            assert local.post("/_provsim/reset").status_code == 200
            assert local.get("/").status_code == 200


@pytest.mark.slow
def test_obs2_allow_remote_control_opens_it_loudly_and_the_host_check_stays_a_second_wall(tmp_path):
    lan = _lan_or_skip()
    with _serve(tmp_path, "--host", "0.0.0.0", "--allow-remote-control") as served:
        with httpx.Client(base_url=f"http://{lan}:{served.port}") as lan_client:
            assert lan_client.post("/_provsim/clock/advance", json={"duration": "PT1M"}).status_code == 200
            rebound = lan_client.post("/_provsim/reset", headers={"Host": "attacker.example"})
            assert rebound.status_code == 403
    assert "--allow-remote-control" in served.stderr() and "WARNING" in served.stderr()


def test_obs2_every_widening_of_the_local_only_rule_is_said_at_start():
    from simulator.cli.serve import exposure_warning

    assert exposure_warning("127.0.0.1") is None
    assert "--allow-host dev.example" in exposure_warning("127.0.0.1", allow_hosts=("dev.example",))
    lan = exposure_warning("192.0.2.10")
    assert "answer only loopback peers" in lan and "--allow-target" in lan
    opened = exposure_warning("0.0.0.0", allow_remote_control=True)
    assert "WARNING: --allow-remote-control" in opened and "answer only loopback peers" not in opened


# ---- 3. a torn journal tail turns the next crash into a server that will not start -------------
def test_obs3_a_torn_tail_is_truncated_before_the_next_append_so_the_next_crash_still_starts(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    store.table("users").add({"userName": "a@contoso.com"})
    journal = tmp_path / "state.json.journal"
    with open(journal, "ab") as fh:
        fh.write(b'{"seq": 2, "w": [["users", 2, {"userName": "to')  # kill -9 in the middle of a record
    store.close()
    # first restart: the torn record was never acknowledged and is dropped
    again = Store(path)
    assert [d["userName"] for d in again.table("users").all()] == ["a@contoso.com"]
    again.table("users").add({"userName": "b@contoso.com"})  # acknowledged
    # second crash (no close, no flush): the server must start, with both acknowledged writes
    third = Store(path)
    assert sorted(d["userName"] for d in third.table("users").all()) == ["a@contoso.com", "b@contoso.com"]


def test_obs3_a_full_disk_is_never_acknowledged_never_corrupts_and_health_recovers_when_space_is_back(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    app = create_app(ProvsimConfig(seed=0, state_path=path))
    client = _in_process(app)
    headers = _scim_headers(client)
    journal_fd = app.extensions["provsim"].store._journal._fd
    real_write = os.write

    def full_disk(fd, data):
        if fd != journal_fd:
            return real_write(fd, data)
        if len(data) > 8:  # a few bytes fit, then the disk is full: a torn record in the middle of the file
            return real_write(fd, bytes(data[:8]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    refused = _create(client, headers, "refused@contoso.com")  # the first user: its id stream's first draw
    # Genesys' gateway answers 503 with its ErrorBody and a Retry-After: a client retries, nothing is half-written
    assert refused.status_code == 503 and refused.headers["Retry-After"] and refused.json()["status"] == 503, refused.text
    assert client.get("/_provsim/health").json()["status"] == "degraded"
    with pytest.raises(StoreError):  # serve's housekeeping journals the clock and id streams meanwhile, and fails
        app.extensions["provsim"].checkpoint()
    monkeypatch.setattr(os, "write", real_write)  # the space is back
    assert client.get("/api/v2/scim/v2/Users", headers={"Authorization": "Bearer nope"}).status_code == 401  # a contextId
    after = _create(client, headers, "after@contoso.com")
    assert after.status_code == 201
    assert client.get("/_provsim/health").json()["status"] == "ok"
    # kill -9 now: the next start has every acknowledged write and not the refused one, and ids go on
    again = _in_process(create_app(ProvsimConfig(seed=0, state_path=path)))
    headers = _scim_headers(again)
    more = [_create(again, headers, f"more{i}@contoso.com") for i in range(3)]
    assert [r.status_code for r in more] == [201] * 3
    ids = {after.json()["id"], *(r.json()["id"] for r in more)}
    assert len(ids) == 4
    names = {u["userName"] for u in again.get("/api/v2/scim/v2/Users", headers=headers,
                                               params={"count": 500}).json()["Resources"]}
    assert {"after@contoso.com", "more0@contoso.com"} <= names and "refused@contoso.com" not in names


def test_obs3_a_compaction_killed_mid_write_leaves_no_temporary_file_behind(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    store.table("users").add({"userName": "a@contoso.com"})
    store.compact()
    (tmp_path / ".state.json.k3j2l1.tmp").write_bytes(b'{"users": {"1": {"userN')  # kill -9 inside _write_atomically
    store.close()
    again = Store(path)
    assert [d["userName"] for d in again.table("users").all()] == ["a@contoso.com"]
    assert list(tmp_path.glob("*.tmp")) == []
    again.table("users").add({"userName": "b@contoso.com"})
    again.compact()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.journal"]


def test_obs3_a_damaged_record_in_the_middle_is_one_line_naming_the_file_and_record(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    for name in ("a", "b", "c"):
        store.table("users").add({"userName": f"{name}@contoso.com"})
    store.close()
    journal = tmp_path / "state.json.journal"
    data = bytearray(journal.read_bytes())
    middle = data.index(b"b@contoso")
    data[middle] = ord("X")  # a flipped byte in the second of three records
    journal.write_bytes(bytes(data))
    with pytest.raises(StoreError) as err:
        Store(path)
    message = str(err.value)
    assert "\n" not in message and str(journal) in message and "record 2" in message


# ---- 4. restore, then kill -9, rewinds time and ids -------------------------------------------
def test_obs4_a_restore_then_kill_9_keeps_time_and_ids_moving_forward(tmp_path):
    path = tmp_path / "state.json"
    client = _in_process(create_app(ProvsimConfig(seed=0, state_path=path)))
    headers = _scim_headers(client)
    for i in range(3):
        assert _create(client, headers, f"early{i}@contoso.com").status_code == 201
    snapshot = client.get("/_provsim/snapshot").json()
    client.post("/_provsim/clock/advance", json={"duration": "P1D"})
    headers = _scim_headers(client)  # the first token expired on the way
    for i in range(3):
        assert _create(client, headers, f"late{i}@contoso.com").status_code == 201
    assert client.post("/_provsim/snapshot/restore", json=snapshot).status_code == 200
    now = client.get("/_provsim/clock").json()["now"]
    # kill -9 right after the restore answered: another process opens the same files
    again = _in_process(create_app(ProvsimConfig(seed=0, state_path=path)))
    assert again.get("/_provsim/clock").json()["now"] == now
    token = again.post("/oauth/token", data={"grant_type": "client_credentials"},
                       auth=("provsim-purecloud-client", "provsim-purecloud-secret"))
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    created = [_create(again, headers, f"after{i}@contoso.com").status_code for i in range(12)]
    assert created == [201] * 12
    names = {u["userName"] for u in again.get("/api/v2/scim/v2/Users", headers=headers,
                                               params={"count": 500}).json()["Resources"]}
    assert {"early0@contoso.com", "after11@contoso.com"} <= names and "late0@contoso.com" not in names


# ---- 5. raw surrogate bytes pass the strict-JSON check -----------------------------------------
def test_obs5_invalid_utf8_and_raw_surrogate_bytes_are_refused_in_each_surfaces_format(http, scim_headers, graph_headers):
    for raw in (b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xff", b"\xc0\xaf"):
        body = b'{"schemas":["' + USER_URN.encode() + b'"],"userName":"s@contoso.com","displayName":"x' + raw + b'y"}'
        resp = http.post("/api/v2/scim/v2/Users", content=body,
                         headers={**scim_headers, "Content-Type": "application/scim+json"})
        assert resp.status_code == 400 and resp.json()["schemas"] == [SCIM_ERROR], (raw, resp.text)
        assert "UTF-8" in resp.json()["detail"]
        graph = http.post("/v1.0/users", content=b'{"displayName":"x' + raw + b'y","accountEnabled":true}',
                          headers={**graph_headers, "Content-Type": "application/json"})
        assert graph.status_code == 400 and graph.json()["error"]["code"] == "Request_BadRequest", graph.text
        control = http.post("/_provsim/faults", content=b'{"status":503,"note":"' + raw + b'"}',
                            headers={"Content-Type": "application/json"})
        assert control.status_code == 400 and control.json()["error"]["code"] == "badRequest"
    assert http.get("/v1.0/users", headers=graph_headers).status_code == 200
    assert http.get("/api/v2/scim/v2/Users", headers=scim_headers).status_code == 200
    assert http.get("/_provsim/snapshot").status_code == 200
    assert http.get("/_provsim/traffic").status_code == 200
    # the quiet case: real UTF-8 (a name with an accent and an emoji) still goes through
    ok = http.post("/api/v2/scim/v2/Users", content=json.dumps(
        {"schemas": [USER_URN], "userName": "zoe@contoso.com", "displayName": "Zoë 🙂"}, ensure_ascii=False).encode(),
        headers={**scim_headers, "Content-Type": "application/scim+json"})
    assert ok.status_code == 201 and ok.json()["displayName"] == "Zoë 🙂"


# ---- 6. one refused "\ud800" body breaks GET /_provsim/traffic ---------------------------------
def test_obs6_a_refused_lone_surrogate_body_leaves_the_traffic_log_and_the_dashboard_readable(http, scim_headers, client):
    body = b'{"schemas":["' + USER_URN.encode() + b'"],"userName":"p@contoso.com","displayName":"x\\ud800y"}'
    assert http.post("/api/v2/scim/v2/Users", content=body,
                     headers={**scim_headers, "Content-Type": "application/scim+json"}).status_code == 400
    traffic = http.get("/_provsim/traffic")
    assert traffic.status_code == 200, traffic.text
    entry = next(e for e in traffic.json()["value"] if e["status"] == 400 and e["method"] == "POST")
    assert "p@contoso.com" in entry["request"]["body"]
    client.get("/")
    assert client.get("/dashboard/api/state").status_code == 200


# ---- 7. secrets in other encodings, in nextLinks and in odd query spellings ---------------------
# (the full grep of every place provsim writes is test_obs7_every_secret_in_every_encoding_* below)


# ---- 8. the proxy answers 500 to a UTF-16 JSON body after the upstream has done the write -------
def test_obs8_the_recording_proxy_never_answers_500_after_the_upstream_acted(tmp_path, app):
    from simulator.proxy.app import ProxyApp, ProxyConfig
    from simulator.proxy.modes import ProxyMode

    cassette = tmp_path / "genesys.yaml"
    proxy = ProxyApp(ProxyConfig(upstream="http://provsim.local", mode=ProxyMode.RECORD, cassette=cassette),
                     transport=InProcessTransport(app=app))
    with httpx.Client(transport=httpx.WSGITransport(app=proxy), base_url="http://proxy.test") as via:
        headers = _scim_headers(via)
        for codec in ("utf-16", "utf-16-le", "utf-32"):
            name = f"u16.{codec}@contoso.com"
            body = json.dumps({"schemas": [USER_URN], "userName": name, "password": "Proxy-Pass-16!"}).encode(codec)
            resp = via.post("/api/v2/scim/v2/Users", content=body,
                            headers={**headers, "Content-Type": "application/scim+json"})
            assert resp.status_code != 500, (codec, resp.text)
            listed = via.get("/api/v2/scim/v2/Users", headers=headers, params={"filter": f'userName eq "{name}"'})
            stored = listed.json()["totalResults"]
            # either refused before anything was written, or written and answered as the upstream answered
            assert (resp.status_code == 201) == (stored == 1), (codec, resp.status_code, stored)
    proxy.close()
    assert b"Proxy-Pass-16!" not in cassette.read_bytes()


# ---- 9. a fault rule regex that backtracks -----------------------------------------------------
def test_obs9_a_fault_rule_regex_can_never_hang_a_request(http):
    rule = http.post("/_provsim/faults", json={"path": "re:^/x/(a?){30}a{30}$", "status": 503})
    if rule.status_code == 400:  # refused up front: it could backtrack
        assert "exponential" in rule.json()["error"]["message"] or "backtrack" in rule.json()["error"]["message"]
        return
    assert rule.status_code == 201
    answered: list[int] = []
    worker = threading.Thread(target=lambda: answered.append(http.get("/x/" + "a" * 30).status_code), daemon=True)
    worker.start()
    worker.join(120)  # a hang guard, not a speed target: the backtracking engine takes hours here
    assert answered == [503]


def test_obs9_ordinary_regexes_and_globs_still_match(http):
    assert http.post("/_provsim/faults", json={"path": "re:^/api/v2/scim/v2/users/[^/]+$", "status": 418}).status_code == 201
    assert http.get("/api/v2/scim/v2/Users/abc").status_code == 418
    assert http.get("/api/v2/scim/v2/Users").status_code != 418


# ---- 10. the rate limiter keeps an entry for every token ever used -----------------------------
def test_obs10_the_rate_limiter_forgets_tokens_whose_window_has_passed():
    from simulator.core import SlidingWindowLimiter, VirtualClock

    clock = VirtualClock()
    limiter = SlidingWindowLimiter(clock, 300, timedelta(minutes=1))
    for i in range(50_000):
        assert limiter.hit(f"token-{i}") is None
    clock.advance(timedelta(minutes=2))
    for i in range(3000):
        limiter.hit(f"fresh-{i}")
    assert len(limiter) <= 3000 + 2048, len(limiter)  # the idle tokens' windows are gone
    # the quiet case: a token in use keeps its window and its limit
    for _ in range(300):
        limiter.hit("busy")
    assert limiter.hit("busy") == 60


# ---- 11. --wall-clock --scale 0.001: Retry-After in real seconds does not get through ----------
@pytest.mark.slow  # waits out a Retry-After in real seconds
def test_obs11_waiting_out_retry_after_in_real_seconds_gets_through_on_a_slowed_wall_clock():
    from simulator.core import SlidingWindowLimiter, WallClock

    limiter = SlidingWindowLimiter(WallClock(scale=0.001), 2, timedelta(seconds=2), real_time=True)
    assert limiter.hit("t") is None and limiter.hit("t") is None
    wait = limiter.hit("t")
    assert wait is not None and wait <= 2
    time.sleep(wait + 0.05)  # the client does what the server said
    assert limiter.hit("t") is None


# ---- 12. out-of-range numbers in control input -------------------------------------------------
def test_obs12_numbers_out_of_range_in_control_input_are_400s(http, client):
    huge = "9" * 4001
    for field in ("delay", "probability", "status", "nth", "times"):
        resp = http.post("/_provsim/faults", content=f'{{"status":503,"{field}":{huge}}}'.encode(),
                         headers={"Content-Type": "application/json"})
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "badRequest", (field, resp.text)
        resp = http.post("/_provsim/faults", content=f'{{"status":503,"{field}":1e400}}'.encode(),
                         headers={"Content-Type": "application/json"})
        assert resp.status_code == 400, (field, resp.text)
    client.get("/")
    for body in (b'{"effect":"status","status":1e400}', b'{"effect":"status","status":503,"times":1e400}',
                 b'{"effect":"status","status":-1e400}'):
        resp = client.post("/dashboard/api/faults/add", data=body, content_type="application/json")
        assert resp.status_code == 400, (body, resp.get_data(as_text=True))
    assert http.get("/_provsim/faults").json()["value"] == []
    # the quiet case: an ordinary rule
    assert http.post("/_provsim/faults", json={"status": 503, "delay": 1.5, "probability": 0.5}).status_code == 201


# ---- 13. a Graph token with "!!" appended to its signature is accepted --------------------------
def test_obs13_a_token_with_junk_after_its_base64url_signature_is_401(http, graph_headers):
    assert http.get("/v1.0/users", headers=graph_headers).status_code == 200
    token = graph_headers["Authorization"].split(" ", 1)[1]
    for junk in ("!!", "=", "==", "*", " x"):
        resp = http.get("/v1.0/users", headers={"Authorization": f"Bearer {token}{junk}"})
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "InvalidAuthenticationToken", junk
    header, claims, signature = token.split(".")
    padded = f"{header}.{claims}=.{signature}"
    assert http.get("/v1.0/users", headers={"Authorization": f"Bearer {padded}"}).status_code == 401


# ---- 14. start-up rough edges ------------------------------------------------------------------
def _serve_fails(state: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator.cli", "serve", "--port", "0", "--state", str(state)],
                          capture_output=True, text=True, timeout=120)


def test_obs14_a_hand_edited_record_with_a_non_numeric_doc_id_is_a_one_line_error(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    store.table("users").add({"userName": "a@contoso.com"})
    store.close()
    journal = tmp_path / "state.json.journal"
    with open(journal, "a") as fh:  # hand-written, in the unframed layout older journals have
        fh.write('{"seq": 99, "w": [["users", "one", {"userName": "b@contoso.com"}]]}\n')
    with pytest.raises(StoreError) as err:
        Store(path)
    assert "\n" not in str(err.value) and str(journal) in str(err.value)
    result = _serve_fails(path)
    assert result.returncode != 0 and "Traceback" not in result.stderr and str(journal) in result.stderr


def test_obs14_a_state_file_missing_beside_its_journal_is_refused_or_fully_recovered(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    store.table("users").add({"userName": "a@contoso.com"})
    store.compact()  # a@ now lives only in the state file
    store.table("users").add({"userName": "b@contoso.com"})
    store.close()
    path.unlink()
    with pytest.raises(StoreError) as err:
        Store(path)
    assert "missing" in str(err.value) and str(path) in str(err.value)
    result = _serve_fails(path)
    assert result.returncode != 0 and "Traceback" not in result.stderr and "missing" in result.stderr
    # the quiet case: a journal that holds everything (never compacted) is recovered from
    other = tmp_path / "other.json"
    first = Store(other)
    first.table("users").add({"userName": "c@contoso.com"})
    first.close()
    assert not other.exists()
    assert [d["userName"] for d in Store(other).table("users").all()] == ["c@contoso.com"]


# ---- 15. outbound calls can be aimed anywhere ---------------------------------------------------
@pytest.mark.slow
def test_obs15_bound_to_a_lan_address_the_engine_calls_only_loopback_in_process_and_allowed_targets(tmp_path):
    from simulator.client import ApiError, ProvsimClient

    lan = _lan_or_skip()
    listener = _Listener(lan)
    try:
        with _serve(tmp_path, "--host", lan, "--wall-clock") as served:
            client = ProvsimClient.connect(f"http://{lan}:{served.port}")
            job = client.create_job()["id"]
            aimed = [{"key": "BaseAddress", "value": f"http://{lan}:{listener.port}/scim"},
                     {"key": "SecretToken", "value": "caller-token"}]
            with pytest.raises(ApiError) as err:  # Test Connection
                client.validate_credentials(job, aimed)
            assert "--allow-target" in err.value.message, err.value.message
            for name in ("attacker.example.com", "localtest.me"):  # a name that resolves anywhere (rebinding)
                with pytest.raises(ApiError):
                    client.validate_credentials(job, [{"key": "BaseAddress", "value": f"http://{name}:{listener.port}/scim"},
                                                      {"key": "SecretToken", "value": "caller-token"}])
            client.put_secrets(aimed)
            client.start(job)  # the wall clock runs the first cycle at once (the control API is not ours to call)
            deadline = time.monotonic() + 60
            status = client.job(job)["status"]
            while "--allow-target" not in json.dumps(status) and time.monotonic() < deadline:
                time.sleep(0.5)
                status = client.job(job)["status"]
            assert "--allow-target" in json.dumps(status), status
            assert listener.requests == []
            # the quiet case: the in-process Genesys fake is still a tenant URL
            token = client.genesys_token()
            client.validate_credentials(job, [{"key": "BaseAddress", "value": "http://provsim.local/api/v2/scim/v2"},
                                              {"key": "SecretToken", "value": token}])
            client.close()
        with _serve(tmp_path, "--host", lan, "--allow-target", lan) as served:
            client = ProvsimClient.connect(f"http://{lan}:{served.port}")
            job = client.create_job()["id"]
            client.validate_credentials(job, aimed)
            assert listener.requests and listener.requests[0][1] == "Bearer caller-token"
            client.close()
    finally:
        listener.close()


def test_obs15_on_loopback_a_tenant_url_anywhere_is_the_feature(tmp_path, served):
    from simulator.client import ProvsimClient

    listener = _Listener("127.0.0.1")
    try:
        client = ProvsimClient.connect(served.url)
        job = client.create_job()["id"]
        client.validate_credentials(job, [{"key": "BaseAddress", "value": f"http://127.0.0.1:{listener.port}/scim"},
                                          {"key": "SecretToken", "value": "t"}])
        assert listener.requests
        client.close()
    finally:
        listener.close()


# ---- 7, whole: every secret in every encoding, directly and through the proxy, grepped everywhere
PASSWORD = "Enc-Pass-{}-x7Q!"
QUERY_SECRET = "qs-secret-{}-9Zr"


def _bodies(index: int) -> list[tuple[str, bytes, dict]]:
    """(what, body, headers) for one password in every encoding the issue lists."""
    doc = {"schemas": [USER_URN], "userName": f"enc{index}@contoso.com", "password": PASSWORD.format(index)}
    text = json.dumps(doc)
    return [
        ("bom", b"\xef\xbb\xbf" + text.encode(), {"Content-Type": "application/scim+json"}),
        ("no content type", text.encode(), {}),
        ("utf-16", text.encode("utf-16"), {"Content-Type": "application/scim+json"}),
        ("utf-16-le charset", text.encode("utf-16-le"), {"Content-Type": "application/json; charset=utf-16le"}),
        ("text/plain", text.encode(), {"Content-Type": "text/plain"}),
        ("form as text/plain", f"userName=x&password={PASSWORD.format(index)}".encode(), {"Content-Type": "text/plain"}),
    ]


QUERY_SPELLINGS = ("access%5Ftoken", "%61ccess_token", ";access_token", "access_token[]", "ACCESS_TOKEN",
                   "client%5fsecret", "client_secret[0]", "password")


def _query(index: int) -> str:
    return "&".join(f"{name}={QUERY_SECRET.format(f'{index}-{n}')}" for n, name in enumerate(QUERY_SPELLINGS))


def test_obs7_every_secret_in_every_encoding_directly_and_through_the_proxy_is_scrubbed_everywhere(tmp_path,
                                                                                                   logged_server):
    from simulator.proxy.app import ProxyApp, ProxyConfig
    from simulator.proxy.modes import ProxyMode

    server, state, access = logged_server.server, logged_server.state, logged_server.access
    cassette = tmp_path / "genesys.yaml"
    proxy_log = tmp_path / "proxy-traffic.jsonl"
    secrets: list[str] = []
    proxy = ProxyApp(ProxyConfig(upstream=server.url, mode=ProxyMode.RECORD, cassette=cassette,
                                 traffic_log=proxy_log))
    with httpx.Client(transport=httpx.WSGITransport(app=proxy), base_url="http://proxy.test") as via_proxy, \
            httpx.Client(base_url=server.url) as direct:
        for index, (route, client) in enumerate((("direct", direct), ("proxy", via_proxy))):
            headers = _scim_headers(client)
            for what, body, extra in _bodies(index):
                secrets.append(PASSWORD.format(index))
                resp = client.post("/api/v2/scim/v2/Users", content=body, headers={**headers, **extra})
                assert resp.status_code != 500, (route, what, resp.text)
            scim = client.get(f"/api/v2/scim/v2/Users?{_query(index)}", headers=headers)
            assert scim.status_code != 500
            secrets += [QUERY_SECRET.format(f"{index}-{n}") for n in range(len(QUERY_SPELLINGS))]
            # Graph echoes the query in @odata.nextLink
            graph = {"Authorization": f"Bearer {login.graph_token(direct, TENANT)['access_token']}"}
            link_secret = f"nextlink-secret-{index}-4Kp"
            secrets.append(link_secret)
            page = direct.get(f"/v1.0/users?$top=1&client_secret={link_secret}", headers=graph)
            assert page.status_code == 200
        outputs = {"traffic": direct.get("/_provsim/traffic").content}
    proxy.close()
    server.stop()  # writes the state file (the fixture's stop is then a no-op)
    outputs["cassette"] = cassette.read_bytes()
    outputs["proxy traffic log"] = proxy_log.read_bytes()
    outputs["access log"] = access.getvalue().encode()
    outputs["state"] = state.read_bytes() + (tmp_path / "state.json.journal").read_bytes()
    leaks = []
    for where, data in outputs.items():
        for secret in set(secrets):
            forms = {secret, secret.replace("!", "%21")}
            encoded = [f.encode(codec) for f in forms for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le")]
            if any(e in data for e in encoded) or base64.b64encode(secret.encode()) in data:
                leaks.append((where, secret))
    assert leaks == []
    assert b"enc0@contoso.com" in outputs["traffic"] and b"REDACTED" in outputs["access log"]
