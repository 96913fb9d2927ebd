"""Proxy overhead and cassette persistence, in one run (not a test).

    .venv/bin/python benchmarks/proxy.py [--requests N] [--interactions N]

1. requests/s on loopback: direct to a small SCIM-shaped upstream, through the proxy in
   record mode (forward + scrub + atomic save of the whole cassette after every exchange),
   and through the proxy in replay mode (no upstream at all); all servers are werkzeug
   threaded servers on 127.0.0.1, one sequential keep-alive client.
2. cassette save and load time for N synthetic SCIM interactions, YAML vs JSON, through
   the same vcrpy persister/serializers the proxy uses.

Prints the figures and writes them to benchmarks/results/proxy.json.  time.perf_counter
is used here only (benchmarks measure wall time; the proxy itself never reads a clock).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.proxy import (  # noqa: E402
    Interaction,
    ProxyApp,
    ProxyConfig,
    ProxyMode,
    load_interactions,
    save_interactions,
)
from simulator.proxy.cassette import make_request, make_response  # noqa: E402


def user(i: int) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": f"00000000-0000-4000-8000-{i:012d}",
        "userName": f"user{i}@contoso.com",
        "displayName": f"User {i}",
        "active": True,
        "title": "Agent",
        "emails": [{"value": f"user{i}@contoso.com", "type": "work", "primary": True}],
        "meta": {"resourceType": "User", "version": "1", "created": "2026-01-01T00:00:00Z",
                 "lastModified": "2026-01-01T00:00:00Z"},
    }


@Request.application
def upstream(request: Request) -> Response:
    """A tiny SCIM-shaped upstream: GET /api/v2/scim/v2/Users/<n> answers a user."""
    n = int(request.path.rsplit("/", 1)[-1]) if request.path.rsplit("/", 1)[-1].isdigit() else 0
    return Response(json.dumps(user(n)), content_type="application/scim+json")


@contextmanager
def serve(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)


def rate(base: str, n: int) -> float:
    headers = {"Authorization": "Bearer not-a-real-token-but-long-enough"}
    with httpx.Client(base_url=base, headers=headers) as client:
        client.get("/api/v2/scim/v2/Users/0")  # warm the connection
        start = time.perf_counter()
        for i in range(n):
            r = client.get(f"/api/v2/scim/v2/Users/{i}")
            assert r.status_code == 200, r.text
        return n / (time.perf_counter() - start)


def http_figures(n: int, tmp: Path) -> dict[str, Any]:
    cassette = tmp / "bench.yaml"
    with serve(upstream) as up:
        direct = rate(up, n)
        app = ProxyApp(ProxyConfig(upstream=up, mode=ProxyMode.RECORD, cassette=cassette))
        with serve(app) as proxy_url:
            record = rate(proxy_url, n)
        app.close()
        passthrough_app = ProxyApp(ProxyConfig(upstream=up, mode=ProxyMode.PASSTHROUGH))
        with serve(passthrough_app) as proxy_url:
            passthrough = rate(proxy_url, n)
        passthrough_app.close()
    # Replay after the upstream is gone: the proxy has no client in replay mode.
    app = ProxyApp(ProxyConfig(upstream="http://127.0.0.1:9", mode=ProxyMode.REPLAY, cassette=cassette))
    with serve(app) as proxy_url:
        replay = rate(proxy_url, n)
    app.close()
    return {
        "requests": n,
        "direct_rps": round(direct, 1),
        "passthrough_rps": round(passthrough, 1),
        "record_rps": round(record, 1),
        "replay_rps": round(replay, 1),
        "cassette_interactions": len(load_interactions(cassette)),
    }


def persistence_figures(n: int, tmp: Path) -> dict[str, Any]:
    interactions = [
        Interaction(
            make_request("GET", f"https://api.mypurecloud.test/api/v2/scim/v2/Users/{i}", b"",
                         [("Accept", "application/scim+json"), ("Authorization", "Bearer REDACTED")]),
            make_response(200, "OK", [("Content-Type", "application/scim+json")], json.dumps(user(i)).encode()),
        )
        for i in range(n)
    ]
    out: dict[str, Any] = {"interactions": n}
    for fmt in ("yaml", "json"):
        path = tmp / f"big.{fmt}"
        start = time.perf_counter()
        save_interactions(path, interactions)
        saved = time.perf_counter() - start
        start = time.perf_counter()
        loaded = load_interactions(path)
        load = time.perf_counter() - start
        assert len(loaded) == n
        out[fmt] = {"save_s": round(saved, 3), "load_s": round(load, 3), "bytes": path.stat().st_size}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per HTTP measurement")
    parser.add_argument("--interactions", type=int, default=20_000, help="interactions for load/save")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "proxy.json")
    args = parser.parse_args()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no per-request access log in the timing
    with tempfile.TemporaryDirectory() as tmp:
        http = http_figures(args.requests, Path(tmp))
        persistence = persistence_figures(args.interactions, Path(tmp))
    import yaml

    result = {
        "benchmark": "proxy",
        "python": platform.python_version(),
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
        "http": http,
        "cassette_persistence": persistence,
    }
    print(f"HTTP, {http['requests']} sequential GETs on loopback (requests/s):")
    for key in ("direct_rps", "passthrough_rps", "record_rps", "replay_rps"):
        print(f"  {key.removesuffix('_rps'):12} {http[key]:>9.1f}")
    print(f"cassette of {persistence['interactions']} interactions:")
    for fmt in ("yaml", "json"):
        f = persistence[fmt]
        print(f"  {fmt:5} save {f['save_s']:>7.3f} s  load {f['load_s']:>7.3f} s  {f['bytes'] / 1e6:6.1f} MB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"saved {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
