"""Sliding-window rate limits on the virtual clock.

Genesys allows 300 requests per minute per client-credentials token; Graph's
provisionOnDemand allows 5 calls in 10 s.  Both are "at most N hits in any
window of W seconds"; the answer to a refused hit is how long until the oldest
hit leaves the window (the Retry-After value).

Which time the windows use: in-process runs (scenarios, tests, ``make run``)
use virtual time only, so a run is the same bytes every time.  A served
simulator (``real_time=True``: ``provsim serve``, the pytest plugin's socket
server) counts virtual time *plus* the real seconds since it started: on the
default frozen clock a client that waits out ``Retry-After`` really gets
through, and moving the clock still moves the windows (docs/fidelity.md).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import datetime, timedelta

from .clock import DEFAULT_EPOCH, Clock, WallClock

__all__ = ["SlidingWindowLimiter"]


class SlidingWindowLimiter:
    def __init__(self, clock: Clock, limit: int, window: timedelta, *, real_time: bool = False) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()
        self._wall: WallClock | None = None
        self.real_time = real_time

    @property
    def real_time(self) -> bool:
        return self._wall is not None

    @real_time.setter
    def real_time(self, on: bool) -> None:
        # A WallClock started at the epoch: its now() minus the epoch is the real time elapsed since.
        self._wall = WallClock(DEFAULT_EPOCH) if on and not isinstance(self.clock, WallClock) else None

    def _now(self) -> datetime:
        now = self.clock.now()
        if self._wall is not None:
            now += self._wall.now() - DEFAULT_EPOCH
        return now

    def hit(self, key: str) -> int | None:
        """Count a hit for ``key``; None if allowed, else Retry-After in whole seconds (>= 1)."""
        now = self._now()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                wait = (hits[0] + self.window - now).total_seconds()
                return max(1, math.ceil(wait))
            hits.append(now)
            return None

    def remaining(self, key: str) -> int:
        now = self._now()
        with self._lock:
            hits = self._hits.get(key, deque())
            return self.limit - sum(1 for h in hits if h > now - self.window)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
