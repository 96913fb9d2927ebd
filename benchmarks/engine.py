"""Provisioning engine speed and memory at tenant scale (not a test).

    .venv/bin/python benchmarks/engine.py [--small 10000] [--large 100000] [--groups 100] [--members 50]
                                          [--changes 10] [--profile DIR]

1. Initial cycle, assigned scope, ``--small`` users and ``--groups`` groups of ``--members`` members,
   in-process (``httpx.WSGITransport`` to the Genesys fake, virtual time): wall time, SCIM requests
   per object, peak RSS.  Goal: under 30 s and under 1.5 GB.
2. The same at ``--large`` users: wall time and its ratio to the small run.  Goal: within 12x.
3. An incremental cycle after ``--changes`` directory changes in the large tenant (attribute edits, a
   disable, a membership added and one removed, made through Graph).  Goal: under 1 s.

Tenants come from ``provsim fixtures generate`` (.json), then are reshaped to the benchmark's
definition: ``--groups`` groups of exactly ``--members`` members, every group assigned to the
PureCloud app and pre-created in the Genesys org under the same name, and every user who is in
no group assigned directly, so the whole directory is in scope.  The job is made through the
Graph synchronization API in-process, as ``provsim job create`` and scenarios do, and cycles run
through ``POST /_provsim/clock/advance``; ``service.latency`` is left as it is (virtual time).

Each size runs in its own subprocess so ``ru_maxrss`` is the peak of that run alone.  Prints the
figures and writes benchmarks/results/engine.json.  ``--profile DIR`` writes a cProfile of each
timed cycle there.  time.perf_counter is used only here (benchmarks measure wall time; provsim
itself reads only its virtual clock).
"""

from __future__ import annotations

import argparse
import base64
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

IN_PROCESS = "http://provsim.local"
GOALS = {"initial_seconds": 30.0, "peak_rss_mb": 1536.0, "ratio": 12.0, "incremental_seconds": 1.0}


# ------------------------------------------------------------------------------------ tenants
def make_tenant(users: int, groups: int, members: int, seed: int, out: Path) -> dict:
    """Generate with the fixtures generator, then reshape the groups and assignments (see docstring)."""
    raw = out.with_name(f"generated-{users}.json")
    subprocess.run([sys.executable, "-m", "simulator.cli", "fixtures", "generate", "--users", str(users),
                    "--groups", str(groups), "--seed", str(seed), "--out", str(raw), "--quiet"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    data = json.loads(raw.read_text(encoding="utf-8"))
    raw.unlink()
    rng = random.Random(seed)
    directory = data["directory"]
    grouped: set[int] = set()
    for group in directory["groups"]:
        picked = sorted(rng.sample(range(users), min(members, users)))
        grouped.update(picked)
        group["members"] = [f"u{i}" for i in picked]
    app = directory["applications"][0]
    assignments = [{"principal": g["key"], "role": "User"} for g in directory["groups"]]
    direct = {a["principal"] for a in app["assignments"] if not a["principal"].startswith("g")}
    assignments += [a for a in app["assignments"] if a["principal"] in direct]
    assignments += [{"principal": f"u{i}", "role": "User"} for i in range(users)
                    if i not in grouped and f"u{i}" not in direct]
    app["assignments"] = assignments
    data["purecloud"]["groups"] = [{"name": g["displayName"], "description": f"{g['displayName']} (pre-created)",
                                    "type": "official", "visibility": "public"} for g in directory["groups"]]
    from simulator.graph.cli import write_fixture

    write_fixture(data, out)
    enabled = sum(1 for u in directory["users"] if u["accountEnabled"])
    return {"users": users, "enabled_users": enabled, "groups": len(directory["groups"]),
            "members_per_group": members, "assignments": len(assignments)}


# ------------------------------------------------------------------------------- child process
def counting(inner):
    """Wraps the engine's target transport: counts the SCIM requests by method."""
    import httpx

    class Counting(httpx.BaseTransport):
        def handle_request(self, request):
            COUNTS[request.method] = COUNTS.get(request.method, 0) + 1
            return inner.handle_request(request)

        def close(self) -> None:
            inner.close()

    return Counting()


COUNTS: dict[str, int] = {}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Driver:
    """A script's view of provsim: Graph + control API over the in-process transport."""

    def __init__(self, fixture: Path, seed: int) -> None:
        import httpx

        from simulator import create_app
        from simulator.core import ProvsimConfig
        from simulator.http import InProcessTransport

        started = time.perf_counter()
        self.app = create_app(ProvsimConfig(seed=seed, fixture=str(fixture),
                                            extra={"target_transport_wrapper": counting}))
        self.load_seconds = time.perf_counter() - started
        self.runtime = self.app.extensions["provsim"]
        self.http = httpx.Client(transport=InProcessTransport(app=self.app), base_url=IN_PROCESS, timeout=600)
        self.login()
        self.sp = self.runtime.services["directory"].fixture_id("purecloud")

    def login(self) -> None:
        """A Graph token from the Entra login (again once virtual time has passed its hour, as msal does)."""
        tenant = self.runtime.fixture["tenant"]["domain"]
        resp = self.http.post(f"/{tenant}/oauth2/v2.0/token", data={
            "client_id": "provsim-graph-client", "client_secret": "provsim-graph-secret",
            "scope": "https://graph.microsoft.com/.default", "grant_type": "client_credentials"})
        self.headers = {"Authorization": f"Bearer {resp.json()['access_token']}"}

    def graph(self, method: str, path: str, body=None, expect: int | tuple[int, ...] = (200, 201, 204)):
        resp = self.http.request(method, f"/v1.0{path}", json=body, headers=self.headers)
        if resp.status_code == 401 and "expired" in resp.text:
            self.login()
            resp = self.http.request(method, f"/v1.0{path}", json=body, headers=self.headers)
        expect = (expect,) if isinstance(expect, int) else expect
        assert resp.status_code in expect, (method, path, resp.status_code, resp.text[:300])
        return resp

    def create_job(self) -> str:
        sync = f"/servicePrincipals/{self.sp}/synchronization"
        job_id = self.graph("POST", f"{sync}/jobs", {"templateId": "purecloud"}, 201).json()["id"]
        basic = base64.b64encode(b"provsim-purecloud-client:provsim-purecloud-secret").decode()
        token = self.http.post("/oauth/token", data={"grant_type": "client_credentials"},
                               headers={"Authorization": f"Basic {basic}"}).json()["access_token"]
        self.graph("PUT", f"{sync}/secrets", {"value": [
            {"key": "BaseAddress", "value": f"{IN_PROCESS}/api/v2/scim/v2"},
            {"key": "SecretToken", "value": token}, {"key": "SyncAll", "value": "False"}]}, 204)
        self.graph("POST", f"{sync}/jobs/{job_id}/validateCredentials",
                   {"useSavedCredentials": True, "credentials": []}, 204)
        self.graph("POST", f"{sync}/jobs/{job_id}/start", expect=204)
        return job_id

    def advance(self, duration: str) -> list[dict]:
        resp = self.http.post("/_provsim/clock/advance", json={"duration": duration})
        assert resp.status_code == 200, resp.text[:300]
        return [r for r in resp.json()["ran"] if r.get("jobId")]

    def change_directory(self, count: int, seed: int) -> list[str]:
        """``count`` changes of the kinds a tenant sees every day, made through Graph."""
        directory = self.runtime.services["directory"]
        rng = random.Random(seed)
        users = [directory.fixture_id(f"u{i}") for i in sorted(rng.sample(range(1, len(directory.users)), count + 2))]
        groups = sorted(g["id"] for _, g in directory.iter_docs(directory.groups))
        made = []
        for n in range(count):
            uid = users[n]
            if n == count - 1 and count >= 3:
                self.graph("DELETE", f"/groups/{groups[0]}/members/{self._member_of(groups[0])}/$ref", expect=204)
                made.append("membership removed")
            elif n == count - 2 and count >= 3:
                self.graph("POST", f"/groups/{groups[1]}/members/$ref",
                           {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{users[-1]}"}, 204)
                made.append("membership added")
            elif n == count - 3 and count >= 3:
                self.graph("PATCH", f"/users/{uid}", {"accountEnabled": False}, 204)
                made.append("user disabled")
            else:
                self.graph("PATCH", f"/users/{uid}", {"jobTitle": f"Benchmark title {n}", "department": "Sales"}, 204)
                made.append("user updated")
        return made

    def _member_of(self, group_id: str) -> str:
        return self.runtime.services["directory"].member_links(group_id)[0]["memberId"]


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


def child(args: argparse.Namespace) -> None:
    profile_dir = Path(args.profile) if args.profile else None
    driver = Driver(Path(args.fixture), args.seed)
    rss_loaded = rss_mb()
    job_id = driver.create_job()
    COUNTS.clear()
    ran, initial_s, initial_cpu = timed(f"initial-{args.users}", lambda: driver.advance("PT1S"), profile_dir)
    assert len(ran) == 1 and ran[0].get("initial"), ran
    cycle = ran[0]
    requests = sum(COUNTS.values())
    objects = cycle["imported"]
    out = {"users": args.users, "load_seconds": round(driver.load_seconds, 2),
           "initial": {"seconds": round(initial_s, 2), "cpu_seconds": round(initial_cpu, 2), "objects": objects, "exported": cycle["exported"],
                       "failed": cycle["failed"], "skipped": cycle["skipped"], "scim_requests": requests,
                       "scim_requests_by_method": dict(sorted(COUNTS.items())),
                       "scim_requests_per_object": round(requests / max(objects, 1), 2),
                       "objects_per_second": round(objects / initial_s),
                       "virtual_duration": [cycle["began"], cycle["ended"]]},
           "rss_after_load_mb": round(rss_loaded, 1)}
    if args.changes:
        made = driver.change_directory(args.changes, args.seed)
        COUNTS.clear()
        ran, inc_s, inc_cpu = timed(f"incremental-{args.users}", lambda: driver.advance("PT40M"), profile_dir)
        assert ran and not ran[0].get("initial"), ran
        cycle = ran[0]
        out["incremental"] = {"changes": made, "seconds": round(inc_s, 3),
                              "cpu_seconds": round(inc_cpu, 3), "objects": cycle["imported"],
                              "exported": cycle["exported"], "failed": cycle["failed"],
                              "scim_requests": sum(COUNTS.values()),
                              "scim_requests_by_method": dict(sorted(COUNTS.items()))}
    out["peak_rss_mb"] = round(rss_mb(), 1)
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    Path(args.result).write_text(json.dumps(out), encoding="utf-8")


# --------------------------------------------------------------------------------------- parent
def run_size(users: int, changes: int, args: argparse.Namespace, workdir: Path) -> dict:
    fixture = workdir / f"tenant-{users}.json"
    started = time.perf_counter()
    shape = make_tenant(users, args.groups, args.members, args.seed, fixture)
    generate_s = time.perf_counter() - started
    result = workdir / f"result-{users}.json"
    cmd = [sys.executable, __file__, "--child", "--users", str(users), "--fixture", str(fixture),
           "--result", str(result), "--seed", str(args.seed), "--changes", str(changes)]
    if args.profile:
        cmd += ["--profile", args.profile]
    subprocess.run(cmd, check=True)
    data = json.loads(result.read_text(encoding="utf-8"))
    data["tenant"] = shape
    data["generate_seconds"] = round(generate_s, 2)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000, help="0: only the small run")
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", help="write cProfile stats of each timed cycle to this folder")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "engine.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fixture", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        small = run_size(args.small, 0 if args.large else args.changes, args, Path(tmp))
        _report("small", small)
        large = run_size(args.large, args.changes, args, Path(tmp)) if args.large else None
        if large:
            _report("large", large)
    result = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
              "groups": args.groups, "members_per_group": args.members, "seed": args.seed, "small": small}
    goals = {"small_initial_under_30s": small["initial"]["seconds"] < GOALS["initial_seconds"],
             "small_peak_rss_under_1_5gb": small["peak_rss_mb"] < GOALS["peak_rss_mb"]}
    if large:
        ratio = large["initial"]["seconds"] / small["initial"]["seconds"]
        cpu_ratio = large["initial"]["cpu_seconds"] / small["initial"]["cpu_seconds"]
        inc = large.get("incremental", {})
        goals["large_within_12x"] = ratio <= GOALS["ratio"]
        goals["incremental_under_1s"] = bool(inc) and inc["seconds"] < GOALS["incremental_seconds"]
        print(f"ratio {args.large}/{args.small} users, initial cycle: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU "
              f"(goal <= 12x; users ratio {args.large / args.small:.0f}x)")
        result.update(large=large, ratio_large_to_small=round(ratio, 2), cpu_ratio_large_to_small=round(cpu_ratio, 2))
    for name, ok in goals.items():
        print(f"  {'ok  ' if ok else 'MISS'} {name}")
    result["goals_met"] = goals
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


def _report(label: str, data: dict) -> None:
    ini = data["initial"]
    print(f"{label}: {data['users']} users ({data['tenant']['enabled_users']} enabled), {data['tenant']['groups']} groups "
          f"of {data['tenant']['members_per_group']}: fixture load {data['load_seconds']} s; initial cycle "
          f"{ini['seconds']} s (CPU {ini['cpu_seconds']} s) for {ini['objects']} objects ({ini['objects_per_second']}/s), "
          f"{ini['scim_requests']} SCIM requests = {ini['scim_requests_per_object']}/object "
          f"{ini['scim_requests_by_method']}; peak RSS {data['peak_rss_mb']} MB (after load {data['rss_after_load_mb']} MB)")
    inc = data.get("incremental")
    if inc:
        print(f"{label}: incremental cycle after {len(inc['changes'])} changes: {inc['seconds']} s (CPU {inc['cpu_seconds']} s), "
              f"{inc['objects']} objects, {inc['scim_requests']} SCIM requests {inc['scim_requests_by_method']}", flush=True)


if __name__ == "__main__":
    main()
