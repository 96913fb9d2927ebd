"""SCIM over loopback HTTP next to the framework floor, in one run (not a test).

    .venv/bin/python benchmarks/scim_http.py [--users 100000] [--requests 3000] [--threads 4]

Two werkzeug threaded servers on 127.0.0.1 (the kind ``provsim serve`` runs):
the full simulator app with N users stored, and a bare Flask app with one JSON
route (the floor).  A few client threads with keep-alive httpx clients send a
bounded number of requests: the floor GET, then the fake's filter-GET
(``userName eq "..."``, Entra's hot path), POST /Users and PATCH /Users/{id}.
Reports requests/s and the ratio to the floor (goal: filter-GET >= 60%).

Prints the figures and writes benchmarks/results/scim_http.json.  Rate limiting
is off (one token would hit 300/min on a frozen virtual clock).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from flask import Flask, jsonify
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import create_app  # noqa: E402
from simulator.core import ProvsimConfig  # noqa: E402

from store import user_doc  # noqa: E402

SCIM = "/api/v2/scim/v2"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Served:
    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def floor_app() -> Flask:
    app = Flask("floor")

    @app.get("/ping")
    def ping():
        return jsonify({"ok": True})

    return app


def run(url: str, total: int, threads: int, make_request: Callable[[httpx.Client, int], httpx.Response],
        headers: dict | None = None) -> float:
    """Requests per second for ``total`` requests spread over ``threads`` clients."""
    per = total // threads
    errors: list = []

    def work(t: int) -> None:
        with httpx.Client(base_url=url, headers=headers or {}, timeout=60) as client:
            for i in range(per):
                resp = make_request(client, t * per + i)
                if resp.status_code >= 300:
                    errors.append((resp.status_code, resp.text[:200]))

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    t0 = time.perf_counter()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
    return per * threads / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scim_http.json")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    app = create_app(ProvsimConfig(seed=0, fixture="contoso", rate_limits=False))
    org = app.extensions["provsim"].services["purecloud"]
    t0 = time.perf_counter()
    with org.store.transaction():
        for i in range(args.users):
            org.users.add(user_doc(i))
    load_s = time.perf_counter() - t0
    token = org.issue_token("provsim-purecloud-client")["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    n, threads = args.requests, args.threads

    with Served(floor_app()) as floor:
        run(floor.url, 200, threads, lambda c, i: c.get("/ping"))  # warm-up
        floor_rps = run(floor.url, n, threads, lambda c, i: c.get("/ping"))

    with Served(app) as fake:
        run(fake.url, 200, threads, lambda c, i: c.get(f"{SCIM}/Users", params={"filter": f'userName eq "user{i:06d}@contoso.com"'}), auth)
        get_rps = run(fake.url, n, threads, lambda c, i: c.get(
            f"{SCIM}/Users", params={"filter": f'userName eq "user{(i * 7919) % args.users:06d}@contoso.com"'}), auth)
        post_rps = run(fake.url, n, threads, lambda c, i: c.post(
            f"{SCIM}/Users", json={"userName": f"new{i}@contoso.com", "displayName": f"New {i}"}), auth)
        ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(n)]
        patch_rps = run(fake.url, n, threads, lambda c, i: c.patch(
            f"{SCIM}/Users/{ids[i]}", json={"schemas": [PATCH_URN], "Operations": [
                {"op": "Replace", "path": "title", "value": f"Title {i}"}]}), auth)

    result = {
        "python": platform.python_version(),
        "users_stored": args.users,
        "load_seconds": round(load_s, 1),
        "requests_per_kind": n,
        "client_threads": threads,
        "floor_bare_flask_rps": round(floor_rps),
        "filter_get_rps": round(get_rps),
        "post_rps": round(post_rps),
        "patch_rps": round(patch_rps),
        "filter_get_vs_floor": round(get_rps / floor_rps, 2),
        "post_vs_floor": round(post_rps / floor_rps, 2),
        "patch_vs_floor": round(patch_rps / floor_rps, 2),
    }
    print(f"SCIM over loopback, {args.users} users stored, {n} requests each, {threads} client threads:")
    print(f"  floor (bare Flask GET)  {floor_rps:8.0f} req/s")
    print(f"  filter-GET userName eq  {get_rps:8.0f} req/s  = {get_rps / floor_rps:.0%} of floor (goal >= 60%)")
    print(f"  POST /Users             {post_rps:8.0f} req/s  = {post_rps / floor_rps:.0%} of floor")
    print(f"  PATCH /Users/{{id}}       {patch_rps:8.0f} req/s  = {patch_rps / floor_rps:.0%} of floor")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {args.out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
