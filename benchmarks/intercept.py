"""What ``simulator.intercept()`` and ``serve --tls`` cost per request (not a test).

    .venv/bin/python benchmarks/intercept.py [--requests 400]

1. In-process: ``GET https://graph.microsoft.com/v1.0/users?$top=1`` with a token, ``--requests``
   times, through httpx inside ``intercept()``, requests (urllib3) inside it, and aiohttp inside
   it, against the baseline of an httpx client on ``InProcessTransport`` (what ``ProvsimClient``
   uses, nothing patched): requests/s and the ratio to the baseline.
2. Over a socket: the same call to ``provsim``'s server class on loopback, plain http (waitress)
   and ``--tls`` (cheroot, one keep-alive httpx client trusting the local CA): requests/s.

Prints the figures and writes benchmarks/results/intercept.json.  time.perf_counter is used only
here (benchmarks measure wall time; provsim itself reads only its virtual clock).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import ssl
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

import simulator  # noqa: E402
from simulator import InProcessTransport, ProvsimClient, create_app  # noqa: E402

PATH = "/v1.0/users?$top=1"
GRAPH = "https://graph.microsoft.com"


def rate(n: int, started: float) -> float:
    return round(n / (time.perf_counter() - started), 1)


def baseline(n: int) -> float:
    app = create_app()
    token = ProvsimClient.in_process(app).graph_token()
    with httpx.Client(transport=InProcessTransport(app=app), base_url=GRAPH,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        client.get(PATH).raise_for_status()
        started = time.perf_counter()
        for _ in range(n):
            client.get(PATH)
        return rate(n, started)


def through_httpx(n: int) -> float:
    with simulator.intercept() as provsim, httpx.Client(headers={"Authorization": f"Bearer {provsim.graph_token()}"}) as c:
        c.get(GRAPH + PATH).raise_for_status()
        started = time.perf_counter()
        for _ in range(n):
            c.get(GRAPH + PATH)
        return rate(n, started)


def through_requests(n: int) -> float:
    import requests

    with simulator.intercept() as provsim, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {provsim.graph_token()}"
        session.get(GRAPH + PATH).raise_for_status()
        started = time.perf_counter()
        for _ in range(n):
            session.get(GRAPH + PATH)
        return rate(n, started)


def through_aiohttp(n: int) -> float:
    import aiohttp

    async def run(token: str) -> float:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
            async with session.get(GRAPH + PATH) as response:
                response.raise_for_status()
            started = time.perf_counter()
            for _ in range(n):
                async with session.get(GRAPH + PATH) as response:
                    await response.read()
            return rate(n, started)

    with simulator.intercept() as provsim:
        return asyncio.run(run(provsim.graph_token()))


def over_socket(n: int, tls: bool) -> float:
    from simulator.http.server import ServerThread
    from simulator.http.tls import ensure_tls

    app = create_app()
    with tempfile.TemporaryDirectory() as folder:
        files = ensure_tls(Path(folder)) if tls else None
        server = ServerThread(app, "127.0.0.1", 0, ssl_context=files.pair if files else None, housekeeping=False)
        server.start()
        try:
            base = f"https://localhost:{server.port}" if files else server.url
            verify = ssl.create_default_context(cafile=str(files.ca)) if files else True
            token = ProvsimClient.in_process(app).graph_token()
            with httpx.Client(base_url=base, verify=verify, trust_env=False,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                client.get(PATH).raise_for_status()
                started = time.perf_counter()
                for _ in range(n):
                    client.get(PATH)
                return rate(n, started)
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    n = parser.parse_args().requests
    base = baseline(n)
    figures = {"requests": n, "in_process_per_s": {"baseline_httpx_inprocess_transport": base,
                                                   "intercept_httpx": through_httpx(n),
                                                   "intercept_requests": through_requests(n),
                                                   "intercept_aiohttp": through_aiohttp(n)},
               "socket_per_s": {"plain_http_waitress": over_socket(n, tls=False), "tls_cheroot": over_socket(n, tls=True)}}
    figures["ratio_to_baseline"] = {k: round(v / base, 2) for k, v in figures["in_process_per_s"].items()}
    figures["tls_to_plain"] = round(figures["socket_per_s"]["tls_cheroot"] / figures["socket_per_s"]["plain_http_waitress"], 2)
    figures["machine"] = {"python": platform.python_version(), "platform": platform.platform()}
    for section in ("in_process_per_s", "socket_per_s"):
        for name, value in figures[section].items():
            print(f"{name:40} {value:8.1f} req/s")
    print(f"ratio to the baseline: {figures['ratio_to_baseline']}; TLS/plain over a socket: {figures['tls_to_plain']}")
    out = ROOT / "benchmarks" / "results" / "intercept.json"
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
