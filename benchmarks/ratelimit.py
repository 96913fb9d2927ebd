"""Memory of the rate limiter over many one-use tokens (issue 21: it kept a window for every token ever used).

A client that takes a fresh Genesys token for every request (one a virtual second here) uses each token
once; the limiter must forget a token once its window has passed.  Prints the limiter's traced memory
after every 10,000 tokens and how many tokens it still tracks; saves benchmarks/results/ratelimit.json.

    python benchmarks/ratelimit.py [--tokens 50000]
"""

from __future__ import annotations

import argparse
import json
import tracemalloc
from datetime import timedelta
from pathlib import Path

from simulator.core import SlidingWindowLimiter, VirtualClock

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=50_000)
    args = parser.parse_args()
    clock = VirtualClock()
    limiter = SlidingWindowLimiter(clock, 300, timedelta(minutes=1))  # Genesys: 300 a minute per token
    tracemalloc.start()
    marks = []
    for i in range(args.tokens):
        limiter.hit(f"token-{i:08d}-{'x' * 32}")  # about the size of a Genesys token
        clock.advance(timedelta(seconds=1))
        if (i + 1) % 10_000 == 0:
            marks.append({"tokens": i + 1, "traced_mib": round(tracemalloc.get_traced_memory()[0] / 2**20, 2),
                          "tracked": len(limiter)})
            print(json.dumps(marks[-1]), flush=True)
    tracemalloc.stop()
    summary = {"tokens": args.tokens, "marks": marks, "tracked_at_end": len(limiter)}
    print(f"{args.tokens} one-use tokens: {len(limiter)} still tracked, "
          f"{marks[-1]['traced_mib'] if marks else 0} MiB traced at the end")
    out = ROOT / "benchmarks" / "results" / "ratelimit.json"
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
