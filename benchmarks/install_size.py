"""What an install costs: `make run` on a fresh clone, and each extra alone in a fresh venv.

    .venv/bin/python benchmarks/install_size.py [--ref HEAD] [--extras ,pytest,sdk,test,lint] [--no-make-run]

For `make run`: a fresh `git clone` of REF into a temporary folder, then `make run` there (it creates
.venv, installs the runtime and runs the demo): wall seconds, the size of .venv, the installed packages.
For each extra: `python3 -m venv`, then `pip install 'CLONE[EXTRA]'` (not editable): seconds, the size of
site-packages (pip itself included), the packages.  Packages come from wherever pip is configured to
fetch them (its cache makes a second run faster).  Prints the figures and writes
benchmarks/results/install_size.json.  Issue 25: `make run` must install at most a tenth of the 1.0 GB
the test extras weigh.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "install_size.json"


def size_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return round(total / 1_000_000, 1)


def packages(python: Path) -> int:
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True, check=True)
    return len([line for line in listed.stdout.splitlines() if line.strip()])


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    return round(time.perf_counter() - start, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", default="HEAD", help="the commit to clone (default: HEAD)")
    parser.add_argument("--extras", default=",pytest,sdk,test,lint", help="comma-separated extras ('' = none)")
    parser.add_argument("--no-make-run", action="store_true", help="skip the fresh-clone `make run`")
    args = parser.parse_args()
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="provsim-install-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "checkout", "-q", args.ref], cwd=clone, check=True)
        if not args.no_make_run:
            seconds = timed(["make", "run"], clone)
            venv = clone / ".venv"
            figures["make run"] = {"seconds": seconds, "venv_mb": size_mb(venv), "packages": packages(venv / "bin" / "python")}
            print(f"make run (fresh clone): {seconds} s, .venv {figures['make run']['venv_mb']} MB, "
                  f"{figures['make run']['packages']} packages", flush=True)
        for extra in args.extras.split(","):
            venv = Path(tmp) / f"venv-{extra or 'runtime'}"
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            target = f"{clone}[{extra}]" if extra else str(clone)
            seconds = timed([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", target], Path(tmp))
            label = f"provsim[{extra}]" if extra else "provsim"
            figures[label] = {"seconds": seconds, "site_packages_mb": size_mb(site_packages(venv)),
                              "packages": packages(venv / "bin" / "python")}
            print(f"{label}: {seconds} s, site-packages {figures[label]['site_packages_mb']} MB, "
                  f"{figures[label]['packages']} packages", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
