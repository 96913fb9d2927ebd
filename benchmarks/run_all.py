"""Run every benchmark in benchmarks/, one subprocess each, then print a summary (``make bench``).

    .venv/bin/python benchmarks/run_all.py [--only engine,graph] [--skip proxy]

Each script prints its own figures and writes benchmarks/results/<name>.json; this runner only
sequences them (one at a time, so they do not compete for the cores), keeps going when one fails,
and exits non-zero if any did.  time.perf_counter is used only here (benchmarks measure wall time).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def scripts() -> list[Path]:
    """Every benchmark script: the .py files of benchmarks/ except this runner, in name order."""
    return sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))


def _names(text: str | None) -> set[str]:
    return {n.strip().removesuffix(".py") for n in (text or "").split(",") if n.strip()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated benchmark names to run (default: all)")
    parser.add_argument("--skip", help="comma-separated benchmark names to leave out")
    args = parser.parse_args()
    only, skip = _names(args.only), _names(args.skip)
    selected = [p for p in scripts() if (not only or p.stem in only) and p.stem not in skip]
    unknown = (only | skip) - {p.stem for p in scripts()}
    if unknown:
        parser.error(f"no benchmark named {', '.join(sorted(unknown))}; known: {', '.join(p.stem for p in scripts())}")

    summary: list[tuple[str, int, float, str]] = []
    for script in selected:
        print(f"=== {script.stem} ({script.relative_to(ROOT)})", flush=True)
        result = HERE / "results" / f"{script.stem}.json"
        before = result.stat().st_mtime_ns if result.exists() else None
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=ROOT)
        elapsed = time.perf_counter() - started
        written = result.exists() and result.stat().st_mtime_ns != before
        saved = str(result.relative_to(ROOT)) if written else "(no new results)"
        summary.append((script.stem, code, elapsed, saved))
        print(flush=True)

    print("=== summary")
    width = max((len(name) for name, *_ in summary), default=4)
    for name, code, elapsed, saved in summary:
        status = "ok" if code == 0 else f"FAILED ({code})"
        print(f"  {name:<{width}}  {status:<12}  {elapsed:7.1f} s  {saved}")
    failed = [name for name, code, *_ in summary if code != 0]
    if failed:
        print(f"{len(failed)} of {len(summary)} benchmarks failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
