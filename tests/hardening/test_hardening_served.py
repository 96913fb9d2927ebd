"""``provsim serve`` as a long-lived process: clean stops, kill -9, load, a housekeeping thread that
never dies.  Bounded (rounds, requests, seconds); the 100k-user figures are benchmarks/durability.py."""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from simulator.client import login

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"


class Served:
    """``provsim serve`` in a child process (``--json`` tells where it listens)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()  # "provsim serving on http://127.0.0.1:PORT  (...)"
        found = re.search(r"serving on (http://\S+)", line)
        if not found:
            self.proc.kill()
            raise AssertionError(f"serve did not start: {line!r}")
        self.url = found.group(1)
        self.http = httpx.Client(base_url=self.url, timeout=60)

    def scim_headers(self) -> dict:
        return {"Authorization": f"Bearer {login.genesys_token(self.http)['access_token']}"}

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.http.close()
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self.proc.stdout.close()


def _create(client: httpx.Client, headers: dict, name: str) -> httpx.Response:
    return client.post("/api/v2/scim/v2/Users", headers=headers,
                       json={"schemas": [USER_URN], "userName": name, "displayName": name.split("@")[0]})


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_flushes_and_exits_cleanly_on_a_signal_and_resumes_time_and_data(tmp_path, sig):
    state = tmp_path / "state.json"
    first = Served("--state", str(state))
    headers = first.scim_headers()
    user_id = _create(first.http, headers, "kept@contoso.com").json()["id"]
    moved = first.http.post("/_provsim/clock/advance", json={"duration": "PT3H"}).json()["now"]
    assert moved == "2026-01-05T12:00:00Z"
    assert first.stop(sig) == 0
    assert state.exists() and (tmp_path / "state.json.journal").stat().st_size == 0  # all folded into the file
    again = Served("--state", str(state))
    try:
        assert again.http.get("/_provsim/clock").json()["now"] == "2026-01-05T12:00:00Z"
        found = again.http.get(f"/api/v2/scim/v2/Users/{user_id}", headers=again.scim_headers())
        assert found.status_code == 200 and found.json()["userName"] == "kept@contoso.com"
    finally:
        assert again.stop() == 0


@pytest.fixture(scope="module")
def large_tenant(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tenant") / "tenant.json"
    subprocess.run([sys.executable, "-m", "simulator.cli", "fixtures", "generate", "--users", "3000", "--groups", "20",
                    "--out", str(out), "--quiet"], check=True)
    return out


@pytest.mark.slow
def test_kill_9_during_a_stream_of_writes_loses_no_acknowledged_write(tmp_path, large_tenant):
    """Two rounds: writers stream creates, the server is killed mid-stream, restarted on the same files."""
    state = tmp_path / "state.json"
    acknowledged: dict[str, str] = {}
    for round_no in range(2):
        served = Served("--state", str(state), "--fixture", str(large_tenant), "--no-rate-limit")
        headers = served.scim_headers()
        stop = threading.Event()
        lock = threading.Lock()

        # The round's values are bound now (default arguments): a writer that outlives join(timeout=30)
        # keeps writing for its own round, not the next one's server.
        def writer(n: int, served: Served = served, stop: threading.Event = stop, round_no: int = round_no,
                   headers: dict = headers, lock: threading.Lock = lock) -> None:
            with httpx.Client(base_url=served.url, timeout=30) as c:
                i = 0
                while not stop.is_set():
                    name = f"r{round_no}.w{n}.{i}@contoso.com"
                    try:
                        resp = _create(c, headers, name)
                    except httpx.HTTPError:
                        return  # the server died under us: this one was never acknowledged
                    if resp.status_code == 201:
                        with lock:
                            acknowledged[name] = resp.json()["id"]
                    i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        os.kill(served.proc.pid, signal.SIGKILL)
        served.proc.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        served.http.close()
        served.proc.stdout.close()
    assert len(acknowledged) > 20
    survivor = Served("--state", str(state), "--fixture", str(large_tenant), "--no-rate-limit")
    try:
        snapshot = survivor.http.get("/_provsim/snapshot").json()["tables"]["purecloud_users"]
        stored: dict[str, list[str]] = {}
        for doc in snapshot.values():
            stored.setdefault(doc["userName"], []).append(doc["id"])
        missing = [name for name in acknowledged if name not in stored]
        assert missing == []
        assert all(stored[name] == [uid] for name, uid in acknowledged.items())  # each exactly once, same id
    finally:
        survivor.stop()


@pytest.mark.slow
def test_bounded_loopback_load_every_acknowledged_create_exactly_once(served):
    clients, per_client = 16, 40
    acknowledged: list[str] = []
    latencies: list[float] = []
    failures: list[tuple] = []
    lock = threading.Lock()
    limiter = served.app.extensions["provsim"].services["purecloud"].limiter
    limiter.limit = 10_000

    def worker(n: int) -> None:
        with httpx.Client(base_url=served.url, timeout=60) as c:
            headers = {"Authorization": f"Bearer {login.genesys_token(c)['access_token']}"}
            for i in range(per_client):
                start = time.perf_counter()
                if i % 2:
                    resp = c.get("/api/v2/scim/v2/Users", headers=headers,
                                 params={"filter": f'userName eq "load.{n}.{i - 1}@contoso.com"'})
                    ok = resp.status_code == 200
                else:
                    resp = _create(c, headers, f"load.{n}.{i}@contoso.com")
                    ok = resp.status_code == 201
                    if ok:
                        with lock:
                            acknowledged.append(resp.json()["id"])
                with lock:
                    latencies.append(time.perf_counter() - start)
                    if not ok:
                        failures.append((n, i, resp.status_code))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    org = served.app.extensions["provsim"].services["purecloud"]
    ids = [doc["id"] for _, doc in org.users.docs()]
    assert all(ids.count(uid) == 1 for uid in acknowledged) and len(acknowledged) == clients * per_client // 2
    latencies.sort()
    print(f"load: {len(latencies)} requests, p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms (figures: benchmarks/serving.py)")


@pytest.mark.slow  # waits for housekeeping rounds on the real clock (seconds)
def test_housekeeping_survives_failing_rounds_and_reports_them_in_health(served, monkeypatch):
    runtime = served.app.extensions["provsim"]
    house = runtime.services["housekeeping"]
    calls = {"n": 0}

    def failing_checkpoint() -> bool:
        calls["n"] += 1
        raise OSError("No space left on device")

    monkeypatch.setattr(runtime, "checkpoint", failing_checkpoint)
    deadline = time.monotonic() + 20
    with httpx.Client(base_url=served.url) as c:
        while calls["n"] < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        health = c.get("/_provsim/health").json()
        assert health["status"] == "degraded"
        assert health["housekeeping"]["state"] == "failing"
        assert "No space left on device" in health["housekeeping"]["lastError"]
        monkeypatch.undo()  # the disk has room again
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and c.get("/_provsim/health").json()["housekeeping"]["state"] != "running":
            time.sleep(0.2)
        health = c.get("/_provsim/health").json()
        assert health["status"] == "ok" and health["housekeeping"]["state"] == "running"
        assert health["housekeeping"]["failures"] >= 2 and house.rounds > 0
        # and the server answered all along
        assert c.get("/api/v2/scim/v2/Users").status_code == 401


def test_housekeeping_survives_a_failing_wall_clock_tick(served, monkeypatch):
    from simulator.http.server import Housekeeping

    runtime = served.app.extensions["provsim"]

    def bad_tick():
        raise ValueError("a job raised out of the clock")

    monkeypatch.setattr(runtime.clock, "tick", bad_tick, raising=False)
    house = Housekeeping(runtime, interval=0.05)
    house.start()
    try:
        deadline = time.monotonic() + 10
        while house.failures < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert house._thread.is_alive() and house.health()["lastError"].startswith("ValueError")
    finally:
        house.stop()


@pytest.mark.slow
def test_serve_warns_naming_what_a_non_loopback_host_exposes():
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", "--port", "0", "--host", "0.0.0.0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        warning = proc.stderr.readline()
        assert proc.stdout.readline().startswith("provsim serving on")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        proc.stdout.close()
        proc.stderr.close()
    assert warning.startswith("WARNING: --host 0.0.0.0 is not a loopback address")
    assert "/_provsim" in warning and "--random-keys" in warning
