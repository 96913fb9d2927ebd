"""Which WSGI server runs ``provsim serve``: cheroot, waitress or werkzeug's development server.

Each server runs the same app (contoso, seed 0, rate limits off) in its own process;
this process drives it over loopback with 8 and then 64 concurrent keep-alive
connections (one thread each), a mix of SCIM reads (``userName eq`` filter) and
creates, for a fixed number of requests.  Prints and saves throughput and
p50/p99 latency (benchmarks/results/serving.json).

    python benchmarks/serving.py [--requests 4000] [--servers cheroot,waitress,werkzeug]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SERVER = """
import sys, threading
sys.path.insert(0, {root!r})
from simulator.app import create_app
from simulator.core import ProvsimConfig
from simulator.http.server import ServerThread
app = create_app(ProvsimConfig(seed=0, rate_limits=False))
server = ServerThread(app, "127.0.0.1", 0, kind={kind!r}, threads=64)
server.start()
print(server.port, flush=True)
sys.stdin.read()
server.stop()
"""


def _drive(url: str, connections: int, total: int) -> dict:
    latencies: list[float] = []
    lock = threading.Lock()
    per = total // connections
    errors = [0]

    def worker(n: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            token = c.post("/oauth/token", data={"grant_type": "client_credentials"},
                           auth=("provsim-purecloud-client", "provsim-purecloud-secret")).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            mine = []
            for i in range(per):
                start = time.perf_counter()
                if i % 4 == 0:
                    resp = c.post("/api/v2/scim/v2/Users", headers=headers, json={
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": f"b{connections}.{n}.{i}@contoso.com", "displayName": f"B {n} {i}"})
                else:
                    resp = c.get("/api/v2/scim/v2/Users", headers=headers,
                                 params={"filter": 'userName eq "megan.bowen@contoso.com"'})
                mine.append(time.perf_counter() - start)
                if resp.status_code >= 400:
                    errors[0] += 1
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {"connections": connections, "requests": len(latencies), "errors": errors[0],
            "throughput_rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--servers", default="cheroot,waitress,werkzeug")
    args = parser.parse_args()
    results = []
    for kind in args.servers.split(","):
        proc = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT), kind=kind)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            port = int(proc.stdout.readline())
            url = f"http://127.0.0.1:{port}"
            for connections in (8, 64):
                row = {"server": kind, **_drive(url, connections, args.requests)}
                results.append(row)
                print(f"{kind:9} {connections:3} conn  {row['throughput_rps']:8.1f} req/s  p50 {row['p50_ms']:7.2f} ms  "
                      f"p99 {row['p99_ms']:8.2f} ms  errors {row['errors']}", flush=True)
        finally:
            proc.stdin.close()
            proc.wait(timeout=60)
    out = ROOT / "benchmarks" / "results" / "serving.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"requests_per_run": args.requests, "results": results}, indent=2) + "\n")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
