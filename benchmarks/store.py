"""Store speed and memory at Genesys scale (not a test).

    .venv/bin/python benchmarks/store.py [--users 100000] [--tinydb 3000]

1. Insert N users into the purecloud users table (the org's real indexes) and
   look each one up by userName; time and peak memory (tracemalloc, separate pass).
2. Lookup time per userName at 1k users and at N users (goal: within 1.5x).
3. TinyDB's default JSONStorage, for comparison: per-insert cost as the file grows
   (it rewrites the whole file on every insert).
4. Durability: the same inserts with a state file, each one its own journaled commit (as
   requests are), then a compaction of the N-user store in a background thread while this
   thread keeps looking users up: the longest lookup during it is what a request waits.

Prints the figures and writes benchmarks/results/store.json.  time.perf_counter is
used only here (benchmarks measure wall time; provsim itself reads only its clock).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinydb import TinyDB  # noqa: E402

from simulator.core import ProvsimConfig, Runtime  # noqa: E402
from simulator.purecloud import PureCloudOrg  # noqa: E402

_FIXTURE = {"purecloud": {"org": {"id": "bench"}, "roles": [{"name": "employee", "permissions": []}]}}


def user_doc(i: int) -> dict:
    return {"id": f"00000000-0000-4000-8000-{i:012d}", "userName": f"user{i:06d}@contoso.com",
            "displayName": f"User {i}", "active": True, "title": "Agent", "externalId": f"ext-{i}",
            "workEmail": {"value": f"user{i:06d}.work@contoso.com"}, "phoneNumbers": [{"value": "+14255550100", "type": "work"}],
            "roles": ["employee"], "division": "Home", "department": "Sales", "manager": None,
            "employeeNumber": str(i), "dateHire": None, "routingSkills": [], "routingLanguages": [], "externalIds": [],
            "hasPassword": True, "version": 1, "created": "2026-01-05T09:00:00.000Z", "lastModified": "2026-01-05T09:00:00.000Z"}


def fresh_org() -> PureCloudOrg:
    return PureCloudOrg(Runtime(ProvsimConfig(), fixture=_FIXTURE))


def insert(org: PureCloudOrg, n: int, start: int = 0) -> float:
    t0 = time.perf_counter()
    with org.store.transaction():
        for i in range(start, start + n):
            org.users.add(user_doc(i))
    return time.perf_counter() - t0


def lookup_all(org: PureCloudOrg, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        assert org.users.ids_by("userName", f"USER{i:06d}@contoso.com")
    return time.perf_counter() - t0


def lookup_sample(org: PureCloudOrg, size: int, samples: int = 20000, rounds: int = 5) -> float:
    """Median per-lookup seconds (find: index hit + copy of the document, as a request does)."""
    rng = random.Random(1)
    names = [f"user{rng.randrange(size):06d}@contoso.com" for _ in range(samples)]
    timings = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for name in names:
            org.users.find("userName", name)
        timings.append((time.perf_counter() - t0) / samples)
    return sorted(timings)[len(timings) // 2]


def tinydb_per_insert(n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = TinyDB(Path(tmp) / "db.json")
        table = db.table("users")
        marks = {}
        chunk = max(1, n // 6)
        t0 = time.perf_counter()
        for i in range(n):
            table.insert(user_doc(i))
            if (i + 1) % chunk == 0:
                t1 = time.perf_counter()
                marks[i + 1] = (t1 - t0) / chunk
                t0 = t1
        db.close()
    return {str(k): round(v * 1e6, 1) for k, v in marks.items()}


def journaled(n: int) -> dict:
    """Per-insert cost with the write-ahead journal, and the stall a compaction causes."""
    import threading

    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime(ProvsimConfig(state_path=Path(tmp) / "state.json"), fixture=_FIXTURE)
        org = PureCloudOrg(runtime)
        t0 = time.perf_counter()
        for i in range(n):
            org.users.add(user_doc(i))  # one commit (one journal line) each, like one request each
        per_insert = (time.perf_counter() - t0) / n
        journal_mb = runtime.store.journal_bytes() / 1e6
        done = threading.Event()
        took = {}

        def compact() -> None:
            c0 = time.perf_counter()
            runtime.store.compact()
            took["s"] = time.perf_counter() - c0
            done.set()

        worker = threading.Thread(target=compact)
        rng = random.Random(2)
        worst, lookups = 0.0, 0
        worker.start()
        while not done.is_set():
            l0 = time.perf_counter()
            org.users.find("userName", f"user{rng.randrange(n):06d}@contoso.com")
            worst = max(worst, time.perf_counter() - l0)
            lookups += 1
        worker.join()
        state_mb = (Path(tmp) / "state.json").stat().st_size / 1e6
    return {"journaled_insert_per_user_us": round(per_insert * 1e6, 1), "journal_mb": round(journal_mb, 1),
            "compaction_seconds": round(took["s"], 2), "state_mb": round(state_mb, 1),
            "longest_lookup_during_compaction_ms": round(worst * 1000, 1), "lookups_during_compaction": lookups}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--tinydb", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "store.json")
    args = parser.parse_args()
    n = args.users

    small = fresh_org()
    insert(small, 1000)
    at_1k = lookup_sample(small, 1000)

    org = fresh_org()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    insert_s = insert(org, n)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lookup_s = lookup_all(org, n)
    at_n = lookup_sample(org, n)

    tracemalloc.start()
    mem_org = fresh_org()
    insert(mem_org, n)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del mem_org

    ours_per_insert = insert_s / n
    tiny = tinydb_per_insert(args.tinydb)
    result = {
        "python": platform.python_version(),
        "users": n,
        "insert_seconds": round(insert_s, 2),
        "insert_per_user_us": round(ours_per_insert * 1e6, 1),
        "lookup_all_by_userName_seconds": round(lookup_s, 3),
        "lookup_us_at_1k": round(at_1k * 1e6, 2),
        f"lookup_us_at_{n // 1000}k": round(at_n * 1e6, 2),
        "lookup_ratio": round(at_n / at_1k, 2),
        "peak_traced_memory_mb": round(peak / 2**20, 1),
        "maxrss_growth_mb": round((rss1 - rss0) / 1024, 1),
        "tinydb_jsonstorage_per_insert_us_at_size": tiny,
        "store_per_insert_us": round(ours_per_insert * 1e6, 1),
        "durability": journaled(n),
    }
    print(f"store: {n} users inserted in {insert_s:.2f} s ({ours_per_insert * 1e6:.1f} us/user), "
          f"each looked up by userName in {lookup_s:.2f} s")
    print(f"  peak memory (tracemalloc) {result['peak_traced_memory_mb']} MB; max RSS grew {result['maxrss_growth_mb']} MB")
    print(f"  lookup (find by userName, incl. copy): {at_1k * 1e6:.2f} us at 1k, {at_n * 1e6:.2f} us at {n // 1000}k "
          f"-> ratio {at_n / at_1k:.2f} (goal <= 1.5)")
    print(f"  TinyDB JSONStorage per insert (us) by table size: {tiny}  vs provsim store {ours_per_insert * 1e6:.1f} us")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    d = result["durability"]
    print(f"  journaled: {d['journaled_insert_per_user_us']} us/insert ({d['journal_mb']} MB journal); compaction of "
          f"{d['state_mb']} MB took {d['compaction_seconds']} s, longest lookup meanwhile {d['longest_lookup_during_compaction_ms']} ms")
    print(f"saved {args.out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
