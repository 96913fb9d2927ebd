"""Provisioning engine speed and memory at tenant scale (not a test).

    .venv/bin/python benchmarks/engine.py [--small 10000] [--large 100000] [--groups 100] [--members 50]
                                          [--generated 10000,20000,100000] [--generated-groups 20]
                                          [--changes 10] [--profile DIR]

Two tenant shapes, both from ``provsim fixtures generate`` (.json):

* **reshaped**: ``--groups`` groups of exactly ``--members`` members, every group assigned to the
  PureCloud app and pre-created in the Genesys org under the same name, every user who is in no group
  assigned directly, so the whole directory is in scope.
* **generated**: the generator's own groups as they come (department groups of thousands: at 100k
  users Sales has over 15,000 members), assigned and pre-created as the generator makes them.

Figures (goals from issue 10):

1. Initial cycle, reshaped, ``--small`` users: wall time, SCIM requests per object, peak RSS, and the
   **in-process floor**: the same number of bare Flask round trips (GET with a filter, POST and
   PATCH with SCIM-sized JSON bodies) through ``httpx.WSGITransport``, timed in the same process
   right after the cycle.  Goal: the cycle within 3x the floor.
2. The same at ``--large`` users: ratio to the small run.  Goal: within 12x.
3. An incremental cycle after ``--changes`` directory changes in the large tenant (attribute edits,
   a disable, a membership added and one removed, made through Graph).  Goal: under 1 s.
4. Initial cycle, generated shape, at each of the ``--generated`` sizes: the largest group
   provisioned completely, no request body over the org's ``maxRequestBytes`` (and no 413); the
   largest size within 12x of the smallest (for 10x the users).

The job is made and driven through :class:`simulator.client.ProvsimClient` in-process (the Graph
synchronization API, ``/_provsim/clock/advance``), as ``provsim job`` and scenarios do;
``service.latency`` is left as it is (virtual time).  Each size runs in its own subprocess so
``ru_maxrss`` is the peak of that run alone.  Prints the figures and writes
benchmarks/results/engine.json.  ``--profile DIR`` writes a cProfile of each timed cycle there.
time.perf_counter is used only here (benchmarks measure wall time; provsim reads its virtual clock).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOALS = {"floor_ratio": 3.0, "peak_rss_mb": 1536.0, "ratio": 12.0, "incremental_seconds": 1.0}


# ------------------------------------------------------------------------------------ tenants
def make_tenant(users: int, shape: str, groups: int, members: int, seed: int, out: Path) -> dict:
    """Generate with the fixtures generator; the reshaped shape then redraws groups and assignments."""
    raw = out.with_name(f"generated-{users}-{shape}.json")
    subprocess.run([sys.executable, "-m", "simulator.cli", "fixtures", "generate", "--users", str(users),
                    "--groups", str(groups), "--seed", str(seed), "--out", str(raw), "--quiet"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    data = json.loads(raw.read_text(encoding="utf-8"))
    raw.unlink()
    directory = data["directory"]
    app = directory["applications"][0]
    if shape == "reshaped":
        rng = random.Random(seed)
        grouped: set[int] = set()
        for group in directory["groups"]:
            picked = sorted(rng.sample(range(users), min(members, users)))
            grouped.update(picked)
            group["members"] = [f"u{i}" for i in picked]
        assignments = [{"principal": g["key"], "role": "User"} for g in directory["groups"]]
        direct = {a["principal"] for a in app["assignments"] if not a["principal"].startswith("g")}
        assignments += [a for a in app["assignments"] if a["principal"] in direct]
        assignments += [{"principal": f"u{i}", "role": "User"} for i in range(users)
                        if i not in grouped and f"u{i}" not in direct]
        app["assignments"] = assignments
        data["purecloud"]["groups"] = [{"name": g["displayName"], "description": f"{g['displayName']} (pre-created)",
                                        "type": "official", "visibility": "public"} for g in directory["groups"]]
    from simulator.graph.generate import write_fixture

    write_fixture(data, out)
    enabled = sum(1 for u in directory["users"] if u["accountEnabled"])
    sizes = sorted((len(g.get("members") or []) for g in directory["groups"]), reverse=True)
    return {"users": users, "shape": shape, "enabled_users": enabled, "groups": len(directory["groups"]),
            "largest_group_members": sizes[0] if sizes else 0, "assignments": len(app["assignments"]),
            "genesys_groups": len(data["purecloud"].get("groups") or []),
            "max_request_bytes": int(data["purecloud"]["org"].get("maxRequestBytes", 512000))}


# ------------------------------------------------------------------------------- child process
COUNTS: dict[str, int] = {}
BODIES = {"max": 0, "413": 0}


def counting(inner):
    """Wraps the engine's target transport: counts the SCIM requests by method, the largest body, 413s."""
    import httpx

    class Counting(httpx.BaseTransport):
        def handle_request(self, request):
            COUNTS[request.method] = COUNTS.get(request.method, 0) + 1
            BODIES["max"] = max(BODIES["max"], len(request.content or b""))
            response = inner.handle_request(request)
            BODIES["413"] += response.status_code == 413
            return response

        def close(self) -> None:
            inner.close()

    return Counting()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def timed(label: str, fn, profile_dir: Path | None):
    """(result, wall seconds, CPU seconds of this process): CPU time shows the cost when other
    processes share the two cores (wall time is the goal's measure)."""
    profiler = None
    if profile_dir is not None:
        import cProfile

        profiler = cProfile.Profile()
    cpu, started = time.process_time(), time.perf_counter()
    out = profiler.runcall(fn) if profiler else fn()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler:
        profile_dir.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(profile_dir / f"{label}.prof"))
    return out, elapsed, cpu


def floor(counts: dict[str, int]) -> tuple[float, float]:
    """The in-process floor: as many bare Flask round trips through ``httpx.WSGITransport`` as the
    cycle sent, per method, with SCIM-sized bodies (a lookup that finds nothing, a create answered with
    the user, a PATCH answered with the user).  Returns (wall, CPU) seconds."""
    import httpx
    from flask import Flask, jsonify, request

    app = Flask("floor")
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "id": "3f2b7c1e-8d4a-4f6b-9c2d-1e0f5a6b7c8d", "externalId": "b1d2c3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e",
            "userName": "adele.vance@contoso.com", "active": True, "displayName": "Adele Vance",
            "title": "Account Executive", "emails": [{"primary": True, "type": "work", "value": "adele.vance@contoso.com"}],
            "phoneNumbers": [{"type": "mobile", "value": "+14255550100"}, {"type": "work", "value": "+14255550101"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales", "employeeNumber": "E1001"},
            "meta": {"resourceType": "User", "location": "/api/v2/scim/v2/Users/3f2b7c1e-8d4a-4f6b-9c2d-1e0f5a6b7c8d",
                     "version": "W/\"1\"", "created": "2026-01-05T09:00:00Z", "lastModified": "2026-01-05T09:00:00Z"}}
    empty = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "itemsPerPage": 0,
             "startIndex": 1, "Resources": []}

    @app.get("/Users")
    def lookup():
        request.args.get("filter")
        return jsonify(empty)

    @app.post("/Users")
    def create():
        request.get_json()
        return jsonify(user), 201

    @app.patch("/Users/<user_id>")
    def patch(user_id):
        request.get_json()
        return jsonify(user)

    create_body = {k: v for k, v in user.items() if k not in ("id", "meta")}
    patch_body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
         "value": [{"$ref": None, "value": "3f2b7c1e-8d4a-4f6b-9c2d-1e0f5a6b7c8d"}]}]}
    headers = {"Accept": "application/scim+json", "Authorization": "Bearer x" * 4}
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://floor.local", headers=headers) as client:
        cpu, started = time.process_time(), time.perf_counter()
        for _ in range(counts.get("GET", 0)):
            client.get("/Users", params={"filter": 'userName eq "adele.vance@contoso.com"'})
        for _ in range(counts.get("POST", 0)):
            client.post("/Users", json=create_body)
        for _ in range(counts.get("PATCH", 0) + counts.get("DELETE", 0)):
            client.patch("/Users/3f2b7c1e-8d4a-4f6b-9c2d-1e0f5a6b7c8d", json=patch_body)
        return time.perf_counter() - started, time.process_time() - cpu


class Driver:
    """A script's view of provsim: one ProvsimClient over the in-process transport."""

    def __init__(self, fixture: Path, seed: int) -> None:
        from simulator import create_app
        from simulator.client import ProvsimClient
        from simulator.core import ProvsimConfig

        started = time.perf_counter()
        self.app = create_app(ProvsimConfig(seed=seed, fixture=str(fixture), extra={"target_transport_wrapper": counting}))
        self.load_seconds = time.perf_counter() - started
        self.runtime = self.app.extensions["provsim"]
        self.client = ProvsimClient.in_process(self.app)

    def cycles(self, duration: str) -> list[dict]:
        return [r for r in self.client.advance(duration)["ran"] if r.get("jobId")]

    def change_directory(self, count: int, seed: int) -> list[str]:
        """``count`` changes of the kinds a tenant sees every day, made through Graph."""
        directory = self.runtime.services["directory"]
        rng = random.Random(seed)
        users = [directory.fixture_id(f"u{i}") for i in sorted(rng.sample(range(1, len(directory.users.table)), count + 2))]
        groups = sorted(g["id"] for _, g in directory.iter_docs(directory.groups.table))
        graph, made = self.client.graph, []
        for n in range(count):
            uid = users[n]
            if n == count - 1 and count >= 3:
                member = directory.groups.member_links(groups[0])[0]["memberId"]
                graph("DELETE", f"/groups/{groups[0]}/members/{member}/$ref")
                made.append("membership removed")
            elif n == count - 2 and count >= 3:
                present = {link["memberId"] for link in directory.groups.member_links(groups[1])}
                newcomer = next(u for u in reversed(users) if u not in present)
                graph("POST", f"/groups/{groups[1]}/members/$ref",
                      {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{newcomer}"})
                made.append("membership added")
            elif n == count - 3 and count >= 3:
                graph("PATCH", f"/users/{uid}", {"accountEnabled": False})
                made.append("user disabled")
            else:
                graph("PATCH", f"/users/{uid}", {"jobTitle": f"Benchmark title {n}", "department": "Sales"})
                made.append("user updated")
        return made

    def largest_group(self) -> dict:
        """The largest Entra group with a Genesys counterpart: its members, those that can be provisioned
        (enabled users: disabled ones are never created), and the Genesys group's member count."""
        directory = self.runtime.services["directory"]
        org = self.runtime.services["purecloud"]
        genesys = {g["displayName"]: g for g in org.export_state("Groups")}
        sizes = sorted(((len(directory.groups.member_links(g["id"])), g["displayName"], g["id"])
                        for _, g in directory.iter_docs(directory.groups.table) if g["displayName"] in genesys), reverse=True)
        members, name, group_id = sizes[0]
        enabled = sum(1 for link in directory.groups.member_links(group_id) if link["memberType"] == "user"
                      and (directory.users.get(link["memberId"]) or {}).get("accountEnabled"))
        return {"name": name, "entra_members": members, "enabled_members": enabled,
                "genesys_members": len(genesys[name].get("members") or [])}


def child(args: argparse.Namespace) -> None:
    profile_dir = Path(args.profile) if args.profile else None
    driver = Driver(Path(args.fixture), args.seed)
    rss_loaded = rss_mb()
    job_id = driver.client.configure(start=True)
    COUNTS.clear()
    ran, initial_s, initial_cpu = timed(f"initial-{args.shape}-{args.users}", lambda: driver.cycles("PT1S"), profile_dir)
    assert len(ran) == 1 and ran[0].get("initial"), ran
    cycle = ran[0]
    requests = sum(COUNTS.values())
    objects = cycle["imported"]
    out = {"users": args.users, "shape": args.shape, "load_seconds": round(driver.load_seconds, 2),
           "initial": {"seconds": round(initial_s, 2), "cpu_seconds": round(initial_cpu, 2), "objects": objects,
                       "exported": cycle["exported"], "failed": cycle["failed"], "skipped": cycle["skipped"],
                       "scim_requests": requests, "scim_requests_by_method": dict(sorted(COUNTS.items())),
                       "scim_requests_per_object": round(requests / max(objects, 1), 2),
                       "objects_per_second": round(objects / initial_s),
                       "largest_body_bytes": BODIES["max"], "answers_413": BODIES["413"],
                       "virtual_duration": [cycle["began"], cycle["ended"]]},
           "job_state": driver.client.job(job_id)["status"]["lastExecution"]["state"],
           "rss_after_load_mb": round(rss_loaded, 1)}
    if args.shape == "generated":
        out["largest_group"] = driver.largest_group()
    if args.floor:
        floor_s, floor_cpu = floor(COUNTS)
        out["floor"] = {"seconds": round(floor_s, 2), "cpu_seconds": round(floor_cpu, 2),
                        "ratio": round(initial_s / floor_s, 2), "cpu_ratio": round(initial_cpu / floor_cpu, 2)}
    if args.changes:
        made = driver.change_directory(args.changes, args.seed)
        COUNTS.clear()
        ran, inc_s, inc_cpu = timed(f"incremental-{args.shape}-{args.users}", lambda: driver.cycles("PT40M"), profile_dir)
        assert ran and not ran[0].get("initial"), ran
        cycle = ran[0]
        out["incremental"] = {"changes": made, "seconds": round(inc_s, 3), "cpu_seconds": round(inc_cpu, 3),
                              "objects": cycle["imported"], "exported": cycle["exported"], "failed": cycle["failed"],
                              "scim_requests": sum(COUNTS.values()), "scim_requests_by_method": dict(sorted(COUNTS.items()))}
    out["peak_rss_mb"] = round(rss_mb(), 1)
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    Path(args.result).write_text(json.dumps(out), encoding="utf-8")


# --------------------------------------------------------------------------------------- parent
def run_size(users: int, shape: str, args: argparse.Namespace, workdir: Path, *, changes: int = 0, floor: bool = False) -> dict:
    fixture = workdir / f"tenant-{users}-{shape}.json"
    started = time.perf_counter()
    groups = args.groups if shape == "reshaped" else args.generated_groups
    tenant = make_tenant(users, shape, groups, args.members, args.seed, fixture)
    generate_s = time.perf_counter() - started
    result = workdir / f"result-{users}-{shape}.json"
    cmd = [sys.executable, __file__, "--child", "--users", str(users), "--shape", shape, "--fixture", str(fixture),
           "--result", str(result), "--seed", str(args.seed), "--changes", str(changes)]
    if floor:
        cmd.append("--floor")
    if args.profile:
        cmd += ["--profile", args.profile]
    subprocess.run(cmd, check=True)
    data = json.loads(result.read_text(encoding="utf-8"))
    data["tenant"] = tenant
    data["generate_seconds"] = round(generate_s, 2)
    _report(data)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000, help="0: no large reshaped run")
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--generated", default="10000,20000,100000",
                        help="comma-separated user counts of the generated-shape runs ('' for none)")
    parser.add_argument("--generated-groups", type=int, default=20)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", help="write cProfile stats of each timed cycle to this folder")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "engine.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--shape", help=argparse.SUPPRESS)
    parser.add_argument("--fixture", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    result: dict = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
                    "groups": args.groups, "members_per_group": args.members, "seed": args.seed}
    goals: dict[str, bool] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        small = run_size(args.small, "reshaped", args, work, changes=0 if args.large else args.changes, floor=True)
        result["small"] = small
        goals["small_initial_within_3x_floor"] = small["floor"]["ratio"] <= GOALS["floor_ratio"]
        goals["small_peak_rss_under_1_5gb"] = small["peak_rss_mb"] < GOALS["peak_rss_mb"]
        if args.large:
            large = run_size(args.large, "reshaped", args, work, changes=args.changes)
            ratio = large["initial"]["seconds"] / small["initial"]["seconds"]
            cpu_ratio = large["initial"]["cpu_seconds"] / small["initial"]["cpu_seconds"]
            inc = large.get("incremental", {})
            goals["large_within_12x"] = ratio <= GOALS["ratio"]
            goals["incremental_under_1s"] = bool(inc) and inc["seconds"] < GOALS["incremental_seconds"]
            print(f"reshaped {args.large}/{args.small} users, initial cycle: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU "
                  f"(goal <= 12x; users ratio {args.large / args.small:.0f}x)")
            result.update(large=large, ratio_large_to_small=round(ratio, 2), cpu_ratio_large_to_small=round(cpu_ratio, 2))
        sizes = [int(n) for n in args.generated.split(",") if n.strip()]
        runs = []
        for users in sizes:
            gen = run_size(users, "generated", args, work)
            runs.append(gen)
            goals[f"generated_{users}_largest_group_complete"] = _complete(gen)
            goals[f"generated_{users}_no_body_over_limit"] = _under_limit(gen)
        result["generated"] = runs
        if len(runs) > 1:
            first, last = runs[0], runs[-1]
            ratio = last["initial"]["seconds"] / first["initial"]["seconds"]
            scale = last["users"] / first["users"]
            print(f"generated {last['users']}/{first['users']} users, initial cycle: {ratio:.2f}x wall "
                  f"(users ratio {scale:.0f}x; goal <= {GOALS['ratio'] * scale / 10:.0f}x)")
            result["generated_ratio_largest_to_smallest"] = round(ratio, 2)
            goals["generated_within_12x_per_10x_users"] = ratio <= GOALS["ratio"] * scale / 10
    for name, ok in goals.items():
        print(f"  {'ok  ' if ok else 'MISS'} {name}")
    result["goals_met"] = goals
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


def _complete(data: dict) -> bool:
    group = data["largest_group"]
    return group["genesys_members"] == group["enabled_members"] and data["initial"]["failed"] == 0


def _under_limit(data: dict) -> bool:
    return data["initial"]["largest_body_bytes"] <= data["tenant"]["max_request_bytes"] and data["initial"]["answers_413"] == 0


def _report(data: dict) -> None:
    ini, tenant = data["initial"], data["tenant"]
    label = f"{tenant['shape']} {data['users']}"
    print(f"{label}: {data['users']} users ({tenant['enabled_users']} enabled), {tenant['groups']} groups (largest "
          f"{tenant['largest_group_members']} members): fixture load {data['load_seconds']} s; initial cycle "
          f"{ini['seconds']} s (CPU {ini['cpu_seconds']} s) for {ini['objects']} objects ({ini['objects_per_second']}/s), "
          f"{ini['scim_requests']} SCIM requests = {ini['scim_requests_per_object']}/object "
          f"{ini['scim_requests_by_method']}, largest body {ini['largest_body_bytes']} bytes, {ini['answers_413']} x 413; "
          f"peak RSS {data['peak_rss_mb']} MB (after load {data['rss_after_load_mb']} MB)", flush=True)
    if "floor" in data:
        fl = data["floor"]
        print(f"{label}: in-process floor (bare Flask through httpx.WSGITransport, same requests) {fl['seconds']} s "
              f"(CPU {fl['cpu_seconds']} s): the cycle is {fl['ratio']}x the floor ({fl['cpu_ratio']}x CPU; goal <= 3x)",
              flush=True)
    if "largest_group" in data:
        group = data["largest_group"]
        print(f"{label}: largest group {group['name']}: {group['genesys_members']} members in Genesys, of "
              f"{group['enabled_members']} enabled ({group['entra_members']} in Entra)", flush=True)
    inc = data.get("incremental")
    if inc:
        print(f"{label}: incremental cycle after {len(inc['changes'])} changes: {inc['seconds']} s (CPU {inc['cpu_seconds']} s), "
              f"{inc['objects']} objects, {inc['scim_requests']} SCIM requests {inc['scim_requests_by_method']}", flush=True)


if __name__ == "__main__":
    main()
