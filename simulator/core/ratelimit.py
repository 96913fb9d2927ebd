"""Sliding-window rate limits on the virtual clock.

Genesys allows 300 requests per minute per client-credentials token; Graph's
provisionOnDemand allows 5 calls in 10 s.  Both are "at most N hits in any
window of W seconds"; the answer to a refused hit is how long until the oldest
hit leaves the window (the Retry-After value).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import timedelta

from .clock import Clock

__all__ = ["SlidingWindowLimiter"]


class SlidingWindowLimiter:
    def __init__(self, clock: Clock, limit: int, window: timedelta) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count a hit for ``key``; None if allowed, else Retry-After in whole seconds (>= 1)."""
        now = self.clock.now()
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
        now = self.clock.now()
        with self._lock:
            hits = self._hits.get(key, deque())
            return self.limit - sum(1 for h in hits if h > now - self.window)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
