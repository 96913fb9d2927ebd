"""Acknowledged writes against every crash we can make (issues 11 and 21: the goal is 0 lost, every restart starts).

Generates a tenant (default 100,000 users), serves it with ``--state`` and runs these rounds on the same files:

* ``kill``: writer threads stream SCIM creates, the server is killed with SIGKILL mid-stream and restarted.
* ``torn``: as ``kill``, then half a record is appended to the journal (what a kill -9 in the middle of a large
  write, such as a snapshot restore, leaves); the server restarts, takes more writes, is killed again, and must
  start again with everything acknowledged.
* ``restore``: creates, a snapshot, a day on the clock, more creates, a snapshot restore, then SIGKILL right
  after the restore answered: the restart must keep the clock where it was (no rewind) and the id streams moving
  (a token and 12 creates all succeed, none 500).
* ``full-disk``: the state lives on a small tmpfs (``mount -t tmpfs``, needs root); writers fill it until the
  server answers 503, the disk is grown again (``mount -o remount,size=...``), health must go back to ``ok``,
  writes must succeed, then SIGKILL and restart.  Without a mountable tmpfs the round is skipped and says so
  (the ENOSPC path is then covered only by the simulated-ENOSPC test in tests/hardening/test_hardening_round2.py).

At the end a last restart counts acknowledged creates (201 received) that are missing or duplicated.  Prints and
saves benchmarks/results/durability.json.

    python benchmarks/durability.py [--users 100000] [--rounds 5] [--seconds 6] [--writers 4] [--only kill,torn,...]
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
ROUNDS = ("kill", "torn", "restore", "full-disk")


class Server:
    """``provsim serve`` on the state file; ``started`` is False (with the reason) when it refused to start."""

    def __init__(self, state: Path, fixture: Path) -> None:
        began = time.perf_counter()
        # stderr to a file: a pipe nobody reads would block the server once it has logged 64 kB
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", "--port", "0", "--state", str(state),
                                      "--fixture", str(fixture), "--no-rate-limit"],
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True, cwd=ROOT)
        line = self.proc.stdout.readline()
        found = re.search(r"serving on (http://\S+)", line)
        self.started = bool(found)
        self.error = None
        if not found:
            self.proc.wait()
            self.stderr.seek(0)
            self.error = ((self.stderr.read() or line).strip().splitlines() or [""])[-1]
        self.url = found.group(1) if found else ""
        if found:
            with httpx.Client(base_url=self.url, timeout=600) as c:
                while True:
                    try:
                        c.get("/_provsim/health")
                        break
                    except httpx.HTTPError:
                        time.sleep(0.2)
        self.startup_s = round(time.perf_counter() - began, 2)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=600)

    def token(self) -> str:
        with self.client() as c:
            return c.post("/oauth/token", data={"grant_type": "client_credentials"},
                          auth=("provsim-purecloud-client", "provsim-purecloud-secret")).json()["access_token"]

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._close()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=600)
        self._close()

    def _close(self) -> None:
        self.proc.stdout.close()
        self.stderr.close()


def _create(c: httpx.Client, headers: dict, name: str) -> httpx.Response:
    return c.post("/api/v2/scim/v2/Users", headers=headers,
                  json={"schemas": [USER_URN], "userName": name, "displayName": name.split("@")[0]})


class Ledger:
    """Every create that was acknowledged (201), by name, and the ones a restore undid on purpose."""

    def __init__(self) -> None:
        self.acknowledged: dict[str, str] = {}
        self.undone: set[str] = set()
        self.lock = threading.Lock()

    def stream(self, server: Server, tag: str, seconds: float, writers: int, *, until=None) -> dict:
        """Writers create users for ``seconds`` (or until ``until()`` is true); returns counts by status."""
        token = server.token()
        stop = threading.Event()
        statuses: dict[int, int] = {}
        latest_ack = [0.0]

        def writer(n: int) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.url, timeout=30) as c:
                i = 0
                while not stop.is_set():
                    name = f"{tag}.w{n}.{i}@contoso.com"
                    try:
                        resp = _create(c, headers, name)
                    except httpx.HTTPError:
                        return  # the server died under us: this one was never acknowledged
                    with self.lock:
                        statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
                        if resp.status_code == 201:
                            self.acknowledged[name] = resp.json()["id"]
                            latest_ack[0] = time.perf_counter()
                    i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        deadline = began + seconds
        while time.perf_counter() < deadline and not (until and until(statuses)):
            time.sleep(0.05)
        return {"stop": stop, "threads": threads, "statuses": statuses, "began": began, "latest_ack": latest_ack}

    @staticmethod
    def join(run: dict) -> None:
        run["stop"].set()
        for t in run["threads"]:
            t.join()

    def check(self, server: Server) -> tuple[int, int]:
        """(lost, duplicated or changed) acknowledged creates on a running server."""
        with server.client() as c:
            users = c.get("/_provsim/snapshot").json()["tables"]["purecloud_users"]
        stored: dict[str, list[str]] = {}
        for doc in users.values():
            stored.setdefault(doc["userName"], []).append(doc["id"])
        wanted = {n: i for n, i in self.acknowledged.items() if n not in self.undone}
        lost = [n for n in wanted if n not in stored]
        duplicated = [n for n, uid in wanted.items() if stored.get(n, [uid]) != [uid]]
        return len(lost), len(duplicated)


def _sizes(state: Path) -> dict:
    """The state file and the journal (with segments a compaction killed mid-write left behind), after the kill."""
    journals = list(state.parent.glob(f"{state.name}.journal*"))
    return {"state_mb": round(state.stat().st_size / 1e6, 1) if state.exists() else 0,
            "journal_mb": round(sum(p.stat().st_size for p in journals) / 1e6, 1), "journal_files": len(journals)}


def kill_round(ledger: Ledger, state: Path, fixture: Path, n: int, args: argparse.Namespace) -> dict:
    server = Server(state, fixture)
    if not server.started:
        return {"round": f"kill {n}", "started": False, "error": server.error}
    run = ledger.stream(server, f"k{n}", args.seconds, args.writers)
    server.kill()
    killed = time.perf_counter()
    Ledger.join(run)
    acked = run["statuses"].get(201, 0)
    return {"round": f"kill {n}", "started": True, "startup_s": server.startup_s, "acknowledged": acked,
            "creates_per_s": round(acked / (killed - run["began"]), 1),
            "last_ack_before_kill_ms": round((killed - run["latest_ack"][0]) * 1000, 1) if acked else None,
            **_sizes(state)}


def torn_round(ledger: Ledger, state: Path, fixture: Path, args: argparse.Namespace) -> dict:
    row = kill_round(ledger, state, fixture, 0, args)
    journal = state.with_name(state.name + ".journal")
    with open(journal, "ab") as fh:  # half a record: what kill -9 in the middle of a large write leaves
        fh.write(b'1234 0badc0de {"seq":999999999,"w":[["purecloud_users",99999999,{"userName":"torn')
    second = Server(state, fixture)
    if not second.started:
        return {"round": "torn tail", "started": False, "error": second.error}
    run = ledger.stream(second, "torn", max(2.0, args.seconds / 2), args.writers)
    second.kill()
    Ledger.join(run)
    third = Server(state, fixture)  # before issue 21 this one refused to start ("journal line N is damaged")
    started = third.started
    if started:
        lost, dup = ledger.check(third)
        third.stop()
    return {"round": "torn tail", "started": started, "error": None if started else third.error,
            "acknowledged": row.get("acknowledged", 0) + run["statuses"].get(201, 0),
            "startup_s": third.startup_s, "lost_so_far": lost if started else None,
            "duplicated_so_far": dup if started else None}


def restore_round(ledger: Ledger, state: Path, fixture: Path, args: argparse.Namespace) -> dict:
    server = Server(state, fixture)
    if not server.started:
        return {"round": "restore then kill", "started": False, "error": server.error}
    run = ledger.stream(server, "rs-before", 2.0, args.writers)
    Ledger.join(run)
    with server.client() as c:
        snapshot = c.get("/_provsim/snapshot").json()
        kept = {doc["userName"] for doc in snapshot["tables"]["purecloud_users"].values()}
        c.post("/_provsim/clock/advance", json={"duration": "P1D"})
    after = ledger.stream(server, "rs-after", 1.0, args.writers)
    Ledger.join(after)
    with server.client() as c:
        began = time.perf_counter()
        restored = c.post("/_provsim/snapshot/restore", json=snapshot)
        restore_s = time.perf_counter() - began
        now = c.get("/_provsim/clock").json()["now"]
    server.kill()  # right after the restore answered
    ledger.undone |= {n for n in ledger.acknowledged if n not in kept}  # the restore removed them, as asked
    again = Server(state, fixture)
    if not again.started:
        return {"round": "restore then kill", "started": False, "error": again.error}
    with again.client() as c:
        clock = c.get("/_provsim/clock").json()["now"]
        token = c.post("/oauth/token", data={"grant_type": "client_credentials"},
                       auth=("provsim-purecloud-client", "provsim-purecloud-secret"))
        codes = []
        if token.status_code == 200:
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            for i in range(12):
                resp = _create(c, headers, f"rs-check.{i}@contoso.com")
                codes.append(resp.status_code)
                if resp.status_code == 201:
                    ledger.acknowledged[f"rs-check.{i}@contoso.com"] = resp.json()["id"]
    again.stop()
    return {"round": "restore then kill", "started": True, "restore_status": restored.status_code,
            "restore_s": round(restore_s, 2), "snapshot_users": len(kept), "clock_before_kill": now,
            "clock_after_restart": clock, "clock_kept": clock == now, "token_status": token.status_code,
            "creates_after": f"{codes.count(201)}/12 created", "startup_s": again.startup_s}


def full_disk_round(ledger: Ledger, work: Path, fixture: Path, state: Path, args: argparse.Namespace) -> dict:
    """On a tmpfs sized just above the current files: fill it, grow it, check health and data, kill, restart."""
    mount = work / "tmpfs"
    mount.mkdir(exist_ok=True)
    files = [state, state.with_name(state.name + ".journal")]
    used = sum(p.stat().st_size for p in files if p.exists())
    size_kb = used // 1024 + 4096  # 4 MiB of room: filled in seconds, and too small for a compaction
    probe = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mount)],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return {"round": "full disk", "skipped": f"cannot mount a tmpfs here ({probe.stderr.strip() or 'not root'}); "
                "ENOSPC is simulated only in tests/hardening/test_hardening_round2.py"}
    try:
        disk_state = mount / state.name
        for p in state.parent.glob(f"{state.name}*"):
            (mount / p.name).write_bytes(p.read_bytes())
        server = Server(disk_state, fixture)
        if not server.started:
            return {"round": "full disk", "started": False, "error": server.error}
        token = server.token()
        # writers go on until the disk is full (the first 503), then a moment longer against the full disk
        run = ledger.stream(server, "fd", 120.0, args.writers, until=lambda statuses: statuses.get(503, 0) > 0)
        time.sleep(1.0)
        Ledger.join(run)
        with server.client() as c:
            health_full = c.get("/_provsim/health").json()
            subprocess.run(["mount", "-o", f"remount,size={size_kb + 262144}k", str(mount)], check=True)
            headers = {"Authorization": f"Bearer {token}"}
            after = [_create(c, headers, f"fd-after.{i}@contoso.com") for i in range(20)]
            for i, resp in enumerate(after):
                if resp.status_code == 201:
                    ledger.acknowledged[f"fd-after.{i}@contoso.com"] = resp.json()["id"]
            deadline = time.perf_counter() + 90  # housekeeping retries with back-off (up to 30 s)
            health_after = c.get("/_provsim/health").json()
            while health_after["status"] != "ok" and time.perf_counter() < deadline:
                time.sleep(0.5)
                health_after = c.get("/_provsim/health").json()
        server.kill()
        again = Server(disk_state, fixture)
        started = again.started
        if started:
            lost, dup = ledger.check(again)
            again.stop()
        for p in state.parent.glob(f"{state.name}*"):  # the rounds after this one go on from what the tmpfs holds
            p.unlink()
        for source in mount.glob(f"{state.name}*"):
            (state.parent / source.name).write_bytes(source.read_bytes())
        return {"round": "full disk", "started": started, "error": None if started else again.error,
                "tmpfs_kb": size_kb, "statuses_while_full": dict(sorted(run["statuses"].items())),
                "health_when_full": health_full["status"], "health_after_space_freed": health_after["status"],
                "creates_after_space_freed": f"{sum(r.status_code == 201 for r in after)}/20 created",
                "lost_so_far": lost if started else None, "duplicated_so_far": dup if started else None}
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="kill -9 rounds")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--only", default=",".join(ROUNDS), help=f"comma-separated: {', '.join(ROUNDS)}")
    args = parser.parse_args()
    only = {r.strip() for r in args.only.split(",") if r.strip()}
    work = Path(tempfile.mkdtemp(prefix="provsim-durability-"))
    fixture = work / "tenant.json"
    subprocess.run([sys.executable, "-m", "simulator.cli", "fixtures", "generate", "--users", str(args.users),
                    "--groups", "100", "--out", str(fixture), "--quiet"], check=True, cwd=ROOT)
    state = work / "state.json"
    ledger = Ledger()
    rows = []

    def report(row: dict) -> None:
        rows.append(row)
        print(json.dumps(row), flush=True)

    if "kill" in only:
        for n in range(1, args.rounds + 1):
            report(kill_round(ledger, state, fixture, n, args))
    if "torn" in only:
        report(torn_round(ledger, state, fixture, args))
    if "restore" in only:
        report(restore_round(ledger, state, fixture, args))
    if "full-disk" in only:
        report(full_disk_round(ledger, work, fixture, state, args))
    final = Server(state, fixture)
    lost = dup = None
    if final.started:
        lost, dup = ledger.check(final)
        final.stop()
    restarts = [r for r in rows if "started" in r] + [{"started": final.started}]
    summary = {"users": args.users, "rounds": rows,
               "acknowledged": len([n for n in ledger.acknowledged if n not in ledger.undone]),
               "undone_by_restore": len(ledger.undone), "lost": lost, "duplicated_or_changed": dup,
               "restarts": len(restarts), "restarts_that_started": sum(bool(r["started"]) for r in restarts),
               "final_restart_s": final.startup_s}
    print(f"{args.users} users, rounds {', '.join(r['round'] for r in rows)}: {summary['acknowledged']} acknowledged "
          f"creates kept ({summary['undone_by_restore']} undone by the restore, as asked), {lost} lost, {dup} duplicated; "
          f"{summary['restarts_that_started']} of {summary['restarts']} restarts started; last restart {final.startup_s:.1f} s")
    out = ROOT / "benchmarks" / "results" / "durability.json"
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
