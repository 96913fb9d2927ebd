"""The developer's inner loop: ``make test-fast`` (goal: under 60 s on 2 cores) and what it is made of.

    .venv/bin/python benchmarks/inner_loop.py [--runs 3] [--apps 30]

Runs the fast suite (``pytest -m "not slow and not browser" -n auto --dist loadfile``, what
``make test-fast`` runs) ``--runs`` times, one after the other, and reports each run's wall time and
its CPU time (user + system, over pytest and its workers): on a shared machine the wall time moves
with the neighbours' load, so the median run is the figure, and the CPU time shows whether a slow
run did more work or only waited longer.  Then, in this process, the CPU cost of one fresh simulator
(:func:`simulator.create_app`, contoso, seed 0), which every test that takes the ``app`` fixture pays:
the first build (rules parsed, tenant file read) and the mean of the next ``--apps``.

Prints the figures and writes benchmarks/results/inner_loop.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMMAND = ["-m", "pytest", "-m", "not slow and not browser", "-n", "auto", "--dist", "loadfile"]  # as the Makefile


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fast_suite(run: int, runs: int) -> dict:
    """One run of the fast suite: wall seconds, CPU seconds, and the number of tests that passed."""
    print(f"  run {run}/{runs}: pytest -m 'not slow and not browser' -n auto ...", flush=True)
    cpu0, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, *COMMAND], cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0:
        raise SystemExit(f"the fast suite failed (exit {done.returncode}): {summary}\n{done.stdout[-3000:]}")
    passed = int(m.group(1)) if (m := re.search(r"(\d+) passed", summary)) else 0
    print(f"    {wall:5.1f} s wall, {cpu:5.1f} s CPU, {passed} passed", flush=True)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "passed": passed}


def app_build(apps: int) -> dict:
    """CPU milliseconds of the first fresh simulator in this process and the mean of the next ``apps``."""
    from simulator import create_app
    from simulator.core import ProvsimConfig

    t0 = time.process_time()
    create_app(ProvsimConfig(seed=0, fixture="contoso"))
    first = time.process_time() - t0
    t0 = time.process_time()
    for _ in range(apps):
        create_app(ProvsimConfig(seed=0, fixture="contoso"))
    later = (time.process_time() - t0) / apps
    return {"first_ms": round(first * 1000, 1), "later_ms": round(later * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of the fast suite (the median is the figure)")
    parser.add_argument("--apps", type=int, default=30, help="fresh simulators built to time create_app")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "inner_loop.json")
    args = parser.parse_args()
    print(f"make test-fast, {args.runs} run(s) on {os.cpu_count()} cores:", flush=True)
    runs = [fast_suite(i + 1, args.runs) for i in range(args.runs)]
    build = app_build(args.apps)
    median_wall = statistics.median(r["wall_s"] for r in runs)
    result = {
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "runs": runs,
        "median_wall_s": median_wall,
        "median_cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "goal_wall_s": 60,
        "create_app_cpu_ms": build,
    }
    print(f"median {median_wall:.1f} s wall (goal < 60 s), {result['median_cpu_s']:.1f} s CPU")
    print(f"create_app: {build['first_ms']:.1f} ms CPU for the first simulator in a process, "
          f"{build['later_ms']:.1f} ms for each later one")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
