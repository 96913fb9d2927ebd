"""Graph fake speed and memory at tenant scale (not a test).

    .venv/bin/python benchmarks/graph.py [--small 1000] [--large 100000] [--repeat 20]

1. Delta after 10 changes: a tenant of ``--small`` and one of ``--large`` users (generated,
   loaded through the fixture path), a deltaLink taken, 10 users changed, then the delta call
   timed (median of ``--repeat`` calls of the same link).  Goal: large/small ratio close to 1.
2. Listing every user of the large tenant through ``$top=999`` nextLink pages over the
   in-process WSGI app (Flask test client): requests/s, users/s and peak memory of the walk
   (tracemalloc, a separate pass).

Prints the figures and writes benchmarks/results/graph.json.  time.perf_counter is used only
here (benchmarks measure wall time; provsim itself reads only its virtual clock).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import create_app  # noqa: E402
from simulator.core import ProvsimConfig  # noqa: E402
from simulator.graph.generate import generate_tenant, write_fixture  # noqa: E402


def build(users: int, workdir: Path, seed: int):
    path = workdir / f"tenant-{users}.json"
    write_fixture(generate_tenant(users, 20, seed=seed), path)
    started = time.perf_counter()
    app = create_app(ProvsimConfig(seed=seed, fixture=str(path)))
    load_s = time.perf_counter() - started
    client = app.test_client()
    form = {"client_id": "provsim-graph-client", "client_secret": "provsim-graph-secret",
            "scope": "https://graph.microsoft.com/.default", "grant_type": "client_credentials"}
    token = client.post(f"/tenant{seed}.onmicrosoft.com/oauth2/v2.0/token", data=form).json["access_token"]
    return app, client, {"Authorization": f"Bearer {token}"}, load_s


def delta_after_ten_changes(users: int, workdir: Path, repeat: int) -> dict:
    app, client, headers, load_s = build(users, workdir, seed=users)
    link = client.get("/v1.0/users/delta?$deltatoken=latest", headers=headers).json["@odata.deltaLink"]
    path = link.split("/v1.0", 1)[1]
    ids = [u["id"] for u in client.get("/v1.0/users?$top=999&$select=id", headers=headers).json["value"]]
    for i, uid in enumerate(ids[10:1000:99][:10]):
        assert client.patch(f"/v1.0/users/{uid}", json={"jobTitle": f"bench {i}"}, headers=headers).status_code == 204
    timings, count = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        body = client.get("/v1.0" + path, headers=headers).json
        timings.append(time.perf_counter() - started)
        count = len(body["value"])
    assert count == 10, count
    return {"users": users, "load_seconds": round(load_s, 2), "changed": count,
            "delta_ms_median": round(statistics.median(timings) * 1000, 3),
            "delta_ms_min": round(min(timings) * 1000, 3)}


def list_all(client, headers) -> tuple[int, int]:
    url, requests, users = "/v1.0/users?$top=999&$select=id,displayName,userPrincipalName,department", 0, 0
    while url:
        body = client.get(url, headers=headers).json
        requests += 1
        users += len(body["value"])
        link = body.get("@odata.nextLink")
        url = "/v1.0" + link.split("/v1.0", 1)[1] if link else None
    return requests, users


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        small = delta_after_ten_changes(args.small, workdir, args.repeat)
        large = delta_after_ten_changes(args.large, workdir, args.repeat)
        ratio = large["delta_ms_median"] / small["delta_ms_median"]
        print(f"delta after 10 changes: {small['users']} users {small['delta_ms_median']} ms, "
              f"{large['users']} users {large['delta_ms_median']} ms (ratio {ratio:.2f})")

        app, client, headers, load_s = build(args.large, workdir, seed=7)
        started = time.perf_counter()
        requests, users = list_all(client, headers)
        elapsed = time.perf_counter() - started
        tracemalloc.start()
        list_all(client, headers)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    listing = {"users": users, "requests": requests, "seconds": round(elapsed, 3),
               "requests_per_second": round(requests / elapsed, 1), "users_per_second": round(users / elapsed),
               "peak_traced_memory_mb": round(peak / 2**20, 1), "load_seconds": round(load_s, 2)}
    print(f"listing {users} users via $top=999 nextLink pages: {requests} requests in {elapsed:.2f} s "
          f"({listing['requests_per_second']} req/s, {listing['users_per_second']} users/s), "
          f"peak traced memory {listing['peak_traced_memory_mb']} MB")
    result = {"python": platform.python_version(), "machine": platform.machine(),
              "delta_after_10_changes": {"small": small, "large": large, "ratio_large_to_small": round(ratio, 2)},
              "list_all_users": listing}
    out = ROOT / "benchmarks" / "results" / "graph.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
