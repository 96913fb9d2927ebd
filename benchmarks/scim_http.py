"""SCIM over loopback HTTP, under waitress, next to the framework floor and scim2-server, in one run (not a test).

    .venv/bin/python benchmarks/scim_http.py [--users 100000] [--requests 3000] [--threads 4]

Three apps, each behind waitress on 127.0.0.1 (the server ``provsim serve`` runs, through the
same :class:`simulator.http.server.HttpServer`):

* the floor: a bare Flask app doing the same HTTP round trip with no logic (a GET answering a
  small JSON list, a PATCH reading the JSON body and answering a small JSON object);
* the Genesys SCIM fake (the full simulator app) with ``--users`` users stored;
* scim2-server (its bearer-token WSGI app over in-memory storage) with ``--scim2-users`` users
  created through its own POST /Users.

A few client threads with keep-alive httpx clients, in a separate process (as wrk or ab would
be), send a bounded number of requests, in rounds that take each kind in turn (the best round of
each kind is kept, so a shift in the machine's other load does not land on one side of a ratio):
filter-GET (``userName eq "..."``, Entra's hot path) and PATCH /Users/{id} (a ``replace`` of
``title``, the body both servers accept; every round sends new titles, so every PATCH writes).
Then the same requests with each WSGI app called directly, as CPU time per request: the apps' own
cost without the server and the sockets, which the machine's other load barely shifts.  Reports requests/s, the fake's filter-GET as a ratio
of the floor's GET (goal >= 0.6), and the fake's PATCH as a ratio of scim2-server's (goal >= 2).
POST /Users on the fake is measured too, for reference.

Prints the figures and writes benchmarks/results/scim_http.json.  Rate limiting is off (one
token would hit 300/min on a frozen virtual clock).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import platform
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from flask import Flask, jsonify, request

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import create_app  # noqa: E402
from simulator.core import ProvsimConfig  # noqa: E402
from simulator.http.server import HttpServer, ServerKind  # noqa: E402

from store import user_doc  # noqa: E402

SCIM = "/api/v2/scim/v2"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM2_TOKEN = "benchmark-token"


class Served:
    """One WSGI app behind waitress on an ephemeral port, for the length of a ``with``."""

    def __init__(self, app) -> None:
        self.server = HttpServer(app, "127.0.0.1", 0, kind=ServerKind.WAITRESS, threads=8)
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def floor_app() -> Flask:
    """The same round trips with no logic: the cost of HTTP, waitress and Flask alone."""
    app = Flask("floor")

    @app.get("/Users")
    def users():
        return jsonify({"totalResults": 1, "Resources": [{"userName": request.args.get("filter", "")}]})

    @app.patch("/Users/<user_id>")
    def patch(user_id: str):
        body = request.get_json(force=True)
        return jsonify({"id": user_id, "operations": len(body.get("Operations", []))})

    return app


def scim2_app():
    from scim2_server.memory import InMemoryStorage
    from scim2_server.testserver.application import BearerTokenApplication
    from scim2_server.utils import load_default_provider

    return BearerTokenApplication(InMemoryStorage(), load_default_provider(), bearer_tokens=[SCIM2_TOKEN])


def _load(url: str, requests: list[tuple], headers: dict, out) -> None:
    """One client thread: keep-alive httpx, the requests in order; failures are reported back."""
    failed = []
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for method, path, params, body in requests:
            resp = client.request(method, path, params=params, json=body)
            if resp.status_code >= 300:
                failed.append((resp.status_code, resp.text[:200]))
    out.extend(failed)


def _generator(url: str, chunks: list[list[tuple]], headers: dict, queue) -> None:
    """The load generator's process: one thread per chunk; puts (elapsed seconds, failures)."""
    failed: list = []
    pool = [threading.Thread(target=_load, args=(url, chunk, headers, failed)) for chunk in chunks]
    t0 = time.perf_counter()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    queue.put((time.perf_counter() - t0, failed))


def run(url: str, total: int, threads: int, make_request: Callable[[int], tuple], headers: dict | None = None) -> float:
    """Requests per second for ``total`` requests spread over ``threads`` clients.

    The clients run in a separate process (as wrk or ab would), so the server under test
    does not share its interpreter lock with the load generator."""
    per = total // threads
    chunks = [[make_request(t * per + i) for i in range(per)] for t in range(threads)]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_generator, args=(url, chunks, headers or {}, queue))
    proc.start()
    elapsed, errors = queue.get()
    proc.join()
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
    return per * threads / elapsed


def cpu_per_request(app, requests: list[tuple], headers: dict | None = None) -> float:
    """CPU microseconds per request with the WSGI app called directly (no socket, no server): the
    apps' own cost, which the machine's other load does not shift (process time, one thread)."""
    from werkzeug.test import EnvironBuilder

    def environs() -> list[dict]:
        return [EnvironBuilder(method=m, path=path, query_string=params, json=body, headers=headers).get_environ()
                for m, path, params, body in requests]

    def call(environ: dict) -> None:
        out = app(environ, lambda status, hdrs, exc=None: None)
        for _chunk in out:
            pass
        getattr(out, "close", lambda: None)()

    for environ in environs()[:50]:  # warm-up
        call(environ)
    batch = environs()
    t0 = time.process_time()
    for environ in batch:
        call(environ)
    return (time.process_time() - t0) / len(batch) * 1e6


def _patch_body(i: int) -> dict:
    return {"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "title", "value": f"Title {i}"}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000, help="users stored in the Genesys fake")
    parser.add_argument("--scim2-users", type=int, default=1000, help="users created in scim2-server")
    parser.add_argument("--requests", type=int, default=1000, help="requests per kind and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every kind; the best of each is kept")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scim_http.json")
    args = parser.parse_args()
    logging.getLogger("waitress").setLevel(logging.CRITICAL)  # the EBADF a shutdown mid-keep-alive logs
    n, threads = args.requests, args.threads

    app = create_app(ProvsimConfig(seed=0, fixture="contoso", rate_limits=False))
    org = app.extensions["provsim"].services["purecloud"]
    t0 = time.perf_counter()
    with org.store.transaction():
        for i in range(args.users):
            org.users.add(user_doc(i))
    load_s = time.perf_counter() - t0
    token = org.issue_token("provsim-purecloud-client")["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    fake_ids = [f"00000000-0000-4000-8000-{i % args.users:012d}" for i in range(n)]

    def filter_get(users: int) -> Callable[[int], tuple]:
        return lambda i: ("GET", "/Users", {"filter": f'userName eq "user{(i * 7919) % users:06d}@contoso.com"'}, None)

    scim2_auth = {"Authorization": f"Bearer {SCIM2_TOKEN}"}
    best: dict[str, float] = {}

    def measure(name: str, url: str, make: Callable[[int], tuple], headers: dict | None = None) -> None:
        best[name] = max(best.get(name, 0.0), run(url, n, threads, make, headers))

    other_app = scim2_app()
    with Served(floor_app()) as floor, Served(app) as fake, Served(other_app) as other:
        base = fake.url + SCIM
        scim2_ids: list[str] = []
        with httpx.Client(base_url=other.url, headers=scim2_auth, timeout=60) as client:
            for i in range(args.scim2_users):
                resp = client.post("/Users", json={"schemas": [USER_URN], "userName": f"user{i:06d}@contoso.com",
                                                   "displayName": f"User {i}", "title": "Agent"})
                resp.raise_for_status()
                scim2_ids.append(resp.json()["id"])
        run(floor.url, 200, threads, filter_get(args.users))  # warm-up
        run(base, 200, threads, filter_get(args.users), auth)
        run(other.url, 200, threads, filter_get(args.scim2_users), scim2_auth)
        # Rounds, each kind in turn, the best round of each kept: the machine's other load shifts
        # over a run, and interleaving keeps a shift from landing on one side of a ratio.
        for r in range(args.rounds):
            # Each round PATCHes new titles (round r, request i): a round that re-sent the last round's
            # values would measure a PATCH that changes nothing, which the fake answers without a write.
            def patch_body(i: int, r: int = r) -> dict:
                return _patch_body(r * n + i)

            measure("floor_get", floor.url, filter_get(args.users))
            measure("get", base, filter_get(args.users), auth)
            measure("scim2_get", other.url, filter_get(args.scim2_users), scim2_auth)
            measure("floor_patch", floor.url, lambda i: ("PATCH", f"/Users/{fake_ids[i]}", None, patch_body(i)))
            measure("patch", base, lambda i: ("PATCH", f"/Users/{fake_ids[i]}", None, patch_body(i)), auth)
            measure("scim2_patch", other.url, lambda i: (
                "PATCH", f"/Users/{scim2_ids[i % len(scim2_ids)]}", None, patch_body(i)), scim2_auth)
        # The same requests in-process, CPU per request (new titles again: every PATCH writes).
        rounds = args.rounds
        cpu = {
            "floor_get": cpu_per_request(floor_app(), [filter_get(args.users)(i) for i in range(n)]),
            "get": cpu_per_request(app, [(m, SCIM + path, q, b) for m, path, q, b in
                                         (filter_get(args.users)(i) for i in range(n))], auth),
            "scim2_get": cpu_per_request(other_app, [filter_get(args.scim2_users)(i) for i in range(n)], scim2_auth),
            "floor_patch": cpu_per_request(floor_app(), [("PATCH", f"/Users/{fake_ids[i]}", None,
                                                          _patch_body(rounds * n + i)) for i in range(n)]),
            "patch": cpu_per_request(app, [("PATCH", f"{SCIM}/Users/{fake_ids[i]}", None, _patch_body(rounds * n + i))
                                           for i in range(n)], auth),
            "scim2_patch": cpu_per_request(other_app, [("PATCH", f"/Users/{scim2_ids[i % len(scim2_ids)]}", None,
                                                        _patch_body(rounds * n + i)) for i in range(n)], scim2_auth),
        }
        post_rps = run(base, n, threads, lambda i: (
            "POST", "/Users", None, {"userName": f"new{i}@contoso.com", "displayName": f"New {i}"}), auth)
    floor_get_rps, floor_patch_rps, get_rps, patch_rps = best["floor_get"], best["floor_patch"], best["get"], best["patch"]
    scim2_get_rps, scim2_patch_rps = best["scim2_get"], best["scim2_patch"]

    result = {
        "python": platform.python_version(),
        "server": "waitress (simulator.http.server.HttpServer, 8 threads)",
        "users_stored": args.users,
        "scim2_server_users": args.scim2_users,
        "load_seconds": round(load_s, 1),
        "requests_per_kind_and_round": n,
        "rounds": args.rounds,
        "client_threads": threads,
        "floor_get_rps": round(floor_get_rps),
        "floor_patch_rps": round(floor_patch_rps),
        "filter_get_rps": round(get_rps),
        "patch_rps": round(patch_rps),
        "post_rps": round(post_rps),
        "scim2_server_filter_get_rps": round(scim2_get_rps),
        "scim2_server_patch_rps": round(scim2_patch_rps),
        "filter_get_vs_floor": round(get_rps / floor_get_rps, 2),
        "patch_vs_floor": round(patch_rps / floor_patch_rps, 2),
        "patch_vs_scim2_server": round(patch_rps / scim2_patch_rps, 2),
        "filter_get_vs_scim2_server": round(get_rps / scim2_get_rps, 2),
        "in_process_cpu_us_per_request": {k: round(v) for k, v in cpu.items()},
        "in_process_patch_scim2_server_vs_fake": round(cpu["scim2_patch"] / cpu["patch"], 2),
        "in_process_filter_get_fake_vs_floor": round(cpu["get"] / cpu["floor_get"], 2),
    }
    print(f"SCIM over loopback under waitress, {args.users} users in the fake, {args.scim2_users} in scim2-server, "
          f"best of {args.rounds} rounds of {n} requests each, {threads} client threads:")
    print(f"  floor GET (bare Flask)        {floor_get_rps:8.0f} req/s")
    print(f"  floor PATCH (bare Flask)      {floor_patch_rps:8.0f} req/s")
    print(f"  fake filter-GET userName eq   {get_rps:8.0f} req/s  = {get_rps / floor_get_rps:.2f} of the floor (goal >= 0.6)")
    print(f"  fake PATCH /Users/{{id}}        {patch_rps:8.0f} req/s  = {patch_rps / scim2_patch_rps:.2f}x scim2-server "
          f"(goal >= 2), {patch_rps / floor_patch_rps:.2f} of the floor")
    print(f"  fake POST /Users              {post_rps:8.0f} req/s")
    print(f"  scim2-server filter-GET       {scim2_get_rps:8.0f} req/s")
    print(f"  scim2-server PATCH            {scim2_patch_rps:8.0f} req/s")
    print("In-process (the WSGI app called directly, CPU per request, no server):")
    for key, label in (("floor_get", "floor GET"), ("get", "fake filter-GET"), ("scim2_get", "scim2-server filter-GET"),
                       ("floor_patch", "floor PATCH"), ("patch", "fake PATCH"), ("scim2_patch", "scim2-server PATCH")):
        print(f"  {label:<28}  {cpu[key]:8.0f} us")
    print(f"  scim2-server's PATCH costs {cpu['scim2_patch'] / cpu['patch']:.2f}x the fake's; the fake's filter-GET "
          f"{cpu['get'] / cpu['floor_get']:.2f}x the floor's")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
