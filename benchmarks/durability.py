"""Acknowledged writes against kill -9, at a large tenant (issue 11: the goal is 0 lost).

Generates a tenant (default 100,000 users), serves it with ``--state``, streams SCIM creates
from several writer threads, kills the server with SIGKILL mid-stream, restarts it on the
same files, and counts acknowledged creates (201 received) that are missing.  Several rounds;
also reports create throughput per round, restart time and the state file / journal sizes.
Prints and saves benchmarks/results/durability.json.

    python benchmarks/durability.py [--users 100000] [--rounds 5] [--seconds 6] [--writers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"


def _serve(state: Path, fixture: Path) -> tuple[subprocess.Popen, str, float]:
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", "--port", "0", "--state", str(state),
                             "--fixture", str(fixture), "--no-rate-limit"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    line = proc.stdout.readline()
    found = re.search(r"serving on (http://\S+)", line)
    if not found:
        raise SystemExit(f"serve did not start: {line!r}")
    url = found.group(1)
    with httpx.Client(base_url=url, timeout=600) as c:
        while True:
            try:
                c.get("/_provsim/health")
                break
            except httpx.HTTPError:
                time.sleep(0.2)
    return proc, url, time.perf_counter() - began


def _token(url: str) -> str:
    with httpx.Client(base_url=url, timeout=60) as c:
        return c.post("/oauth/token", data={"grant_type": "client_credentials"},
                      auth=("provsim-purecloud-client", "provsim-purecloud-secret")).json()["access_token"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="provsim-durability-"))
    fixture = work / "tenant.json"
    subprocess.run([sys.executable, "-m", "simulator.cli", "fixtures", "generate", "--users", str(args.users),
                    "--groups", "100", "--out", str(fixture), "--quiet"], check=True, cwd=ROOT)
    state = work / "state.json"
    acknowledged: dict[str, str] = {}
    rounds = []
    for round_no in range(args.rounds):
        proc, url, started_in = _serve(state, fixture)
        token = _token(url)
        stop = threading.Event()
        lock = threading.Lock()
        mine: list[str] = []
        latest_ack = [0.0]

        # The round's values are bound now (default arguments), not read from the loop when the thread runs.
        def writer(n: int, url: str = url, token: str = token, round_no: int = round_no, stop: threading.Event = stop,
                   lock: threading.Lock = lock, mine: list[str] = mine, latest_ack: list[float] = latest_ack) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=url, timeout=30) as c:
                i = 0
                while not stop.is_set():
                    name = f"r{round_no}.w{n}.{i}@contoso.com"
                    try:
                        resp = c.post("/api/v2/scim/v2/Users", headers=headers, json={
                            "schemas": [USER_URN], "userName": name, "displayName": name.split("@")[0]})
                    except httpx.HTTPError:
                        return
                    if resp.status_code == 201:
                        with lock:
                            acknowledged[name] = resp.json()["id"]
                            mine.append(name)
                            latest_ack[0] = time.perf_counter()
                    i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(args.writers)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        os.kill(proc.pid, signal.SIGKILL)
        killed = time.perf_counter()
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
        proc.stdout.close()
        row = {"round": round_no + 1, "startup_s": round(started_in, 2), "acknowledged": len(mine),
               "creates_per_s": round(len(mine) / (killed - began), 1),
               "last_ack_before_kill_ms": round((killed - latest_ack[0]) * 1000, 1) if mine else None,
               "state_mb": round(state.stat().st_size / 1e6, 1) if state.exists() else 0,
               "journal_mb": round((work / "state.json.journal").stat().st_size / 1e6, 1)}
        rounds.append(row)
        print(json.dumps(row), flush=True)
    proc, url, started_in = _serve(state, fixture)
    try:
        with httpx.Client(base_url=url, timeout=600) as c:
            users = c.get("/_provsim/snapshot").json()["tables"]["purecloud_users"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=600)
    stored: dict[str, list[str]] = {}
    for doc in users.values():
        stored.setdefault(doc["userName"], []).append(doc["id"])
    lost = [n for n in acknowledged if n not in stored]
    duplicated = [n for n, uid in acknowledged.items() if stored.get(n, [uid]) != [uid]]
    summary = {"users": args.users, "rounds": rounds, "acknowledged": len(acknowledged), "lost": len(lost),
               "duplicated_or_changed": len(duplicated), "final_restart_s": round(started_in, 2)}
    print(f"{args.users} users, {args.rounds} kill -9 rounds: {len(acknowledged)} acknowledged creates, "
          f"{len(lost)} lost, {len(duplicated)} duplicated; restart {started_in:.1f} s")
    out = ROOT / "benchmarks" / "results" / "durability.json"
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
