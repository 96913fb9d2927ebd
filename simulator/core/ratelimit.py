"""Sliding-window rate limits on the virtual clock (and, when served, real time too).

Genesys allows 300 requests per minute per client-credentials token; Graph's
provisionOnDemand allows 5 calls in 10 s.  Both are "at most N hits in any
window of W seconds"; the answer to a refused hit is how long until the oldest
hit leaves the window (the Retry-After value).

Which time the windows use: in-process runs (scenarios, tests, ``make run``)
use virtual time only, so a run is the same bytes every time.  A served
simulator (``real_time=True``: ``provsim serve``, the pytest plugin's socket
server) lets a hit leave its window when *either* the window has passed in
virtual time (moving the clock still moves the windows) *or* in real seconds,
and answers Retry-After in real seconds: on the default frozen clock, and on a
slowed ``--wall-clock --scale 0.001``, a client that waits what the server said
really gets through (docs/fidelity.md).

Memory stays bounded: a token whose window has passed is forgotten (a sweep
runs at most once per window, and when the table has doubled), so a server
handing out a fresh token per request does not grow.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from datetime import datetime, timedelta

from .clock import Clock, WallClock

__all__ = ["SlidingWindowLimiter"]

_SWEEP_MIN = 1024


class SlidingWindowLimiter:
    def __init__(self, clock: Clock, limit: int, window: timedelta, *, real_time: bool = False) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        # per key: (virtual time, real monotonic seconds) of each hit in the window, oldest first
        self._hits: dict[str, deque[tuple[datetime, float]]] = {}
        self._lock = threading.Lock()
        self.real_time = real_time
        self._sweep_size = _SWEEP_MIN
        self._swept_at: tuple[datetime, float] | None = None

    @property
    def _window_s(self) -> float:
        return self.window.total_seconds()

    def _speed(self) -> float:
        """Virtual seconds per real second (how fast the virtual window drains while a client waits)."""
        if isinstance(self.clock, WallClock):
            return max(float(getattr(self.clock, "_scale", 1.0)), 1e-9)
        return 1.0  # a frozen clock moves only when advanced: a client may advance it by Retry-After

    def _expire(self, hits: deque[tuple[datetime, float]], now: datetime, real: float) -> None:
        edge, real_edge = now - self.window, real - self._window_s
        while hits and (hits[0][0] <= edge or (self.real_time and hits[0][1] <= real_edge)):
            hits.popleft()

    def _stamp(self) -> tuple[datetime, float]:
        return self.clock.now(), time.monotonic() if self.real_time else 0.0

    def hit(self, key: str) -> int | None:
        """Count a hit for ``key``; None if allowed, else Retry-After in whole seconds (>= 1)."""
        now, real = self._stamp()
        with self._lock:
            self._maybe_sweep(now, real)
            hits = self._hits.get(key)
            if hits is None:
                hits = self._hits[key] = deque()
            self._expire(hits, now, real)
            if len(hits) >= self.limit:
                oldest, oldest_real = hits[0]
                wait = (oldest + self.window - now).total_seconds()
                if self.real_time:
                    wait = min(wait / self._speed(), oldest_real + self._window_s - real)
                return max(1, math.ceil(wait))
            hits.append((now, real))
            return None

    def _maybe_sweep(self, now: datetime, real: float) -> None:
        """Forget keys whose windows have passed: once per window, or when the table has doubled."""
        last = self._swept_at
        due = last is None or now - last[0] >= self.window or (self.real_time and real - last[1] >= self._window_s)
        if not due and len(self._hits) <= self._sweep_size:
            return
        for key in list(self._hits):
            hits = self._hits[key]
            self._expire(hits, now, real)
            if not hits:
                del self._hits[key]
        self._sweep_size = max(_SWEEP_MIN, 2 * len(self._hits))
        self._swept_at = (now, real)

    def remaining(self, key: str) -> int:
        now, real = self._stamp()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                return self.limit
            self._expire(hits, now, real)
            return self.limit - len(hits)

    def __len__(self) -> int:
        """How many keys (tokens) have hits in their window (idle ones are forgotten)."""
        return len(self._hits)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
            self._sweep_size = _SWEEP_MIN
            self._swept_at = None
