"""Virtual time and the scheduler that runs what falls due on it.

Every part of provsim reads time from a :class:`Clock` handed to it (docs/architecture.md,
"Determinism"): token expiry, rate-limit windows, provisioning cycles, escrow
retries, soft-delete purges.  ``advance`` moves time forward and runs each due
job at its own due time, in time order (ties in scheduling order), so a
40-minute advance that crosses a cycle, a retry and a token expiry runs them
exactly as the real services would have.

This is the only module allowed to read the wall clock (``WallClock``), for
``provsim serve --wall-clock``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "Clock",
    "VirtualClock",
    "WallClock",
    "ScheduledJob",
    "DEFAULT_EPOCH",
    "parse_duration",
    "format_duration",
    "isoformat",
    "parse_datetime",
]

log = logging.getLogger(__name__)

#: Where virtual time starts unless a fixture or seed says otherwise.
DEFAULT_EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration such as ``PT40M`` or ``P1DT2H`` (no years/months).

    Raises ``ValueError`` naming the input when it is not a duration.
    """
    if not isinstance(text, str):
        raise ValueError(f"duration must be an ISO-8601 string such as 'PT40M', got {text!r}")
    m = _DURATION.match(text.strip())
    if not m or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise ValueError(f"not an ISO-8601 duration (examples: PT40M, PT6H, P1D): {text!r}")
    parts = {k: float(v) for k, v in m.groupdict().items() if v is not None}
    return timedelta(**parts)


def format_duration(delta: timedelta) -> str:
    """The inverse of :func:`parse_duration`: ``timedelta(minutes=40)`` -> ``PT40M``."""
    total = int(delta.total_seconds())
    if total == 0:
        return "PT0S"
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    if hours or minutes or seconds:
        out += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (
            f"{seconds}S" if seconds else ""
        )
    return out


def isoformat(moment: datetime, *, millis: bool = False) -> str:
    """UTC ISO-8601 with a ``Z`` suffix, the form both Graph and Genesys emit."""
    moment = moment.astimezone(UTC)
    if moment.year < 1000:  # strftime's %Y does not pad such years on every platform: keep its form
        if millis:
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The same text as strftime, at half its cost (every request stamps a time): isoformat()
    # pads the year to four digits and truncates to milliseconds as the strftime form does.
    if millis:
        return moment.isoformat(timespec="milliseconds")[:23] + "Z"
    return moment.isoformat(timespec="seconds")[:19] + "Z"


def parse_datetime(text: str) -> datetime:
    """Parse ISO-8601 (``Z`` or offset); naive input is taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(order=True)
class ScheduledJob:
    """A callback due at ``due``; ``seq`` keeps scheduling order among equal times."""

    due: datetime
    seq: int
    name: str = field(compare=False)
    callback: Callable[[datetime], object] = field(compare=False, repr=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """Interface: ``now()``, ``schedule(at, callback)``, ``advance(delta)``."""

    def now(self) -> datetime:  # pragma: no cover - interface
        raise NotImplementedError

    def schedule(self, at: datetime, callback: Callable[[datetime], object], *, name: str = "") -> ScheduledJob:
        raise NotImplementedError  # pragma: no cover

    def advance(self, delta: timedelta) -> list[dict[str, Any]]:
        raise NotImplementedError  # pragma: no cover

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time (virtual: moves time, runs nothing)."""
        raise NotImplementedError  # pragma: no cover


class VirtualClock(Clock):
    """Time that moves only when told to.

    ``advance(delta)`` walks through every job due up to ``now + delta`` in
    order; each job runs with the clock set to its due time and may schedule
    further jobs (a cycle scheduling the next one), which also run if they fall
    inside the window.  Returns what ran, for ``/_provsim/clock/advance``.

    A job that raises does not stop the others: the exception is logged, kept in
    :attr:`failures` (the newest :data:`FAILURES_KEPT`, shown by
    ``/_provsim/health``) and reported in its ``ran`` entry as ``error``; time
    keeps moving.  Jobs that must survive their own failure (provisioning cycles)
    reschedule themselves in ``finally``.
    """

    #: How many job failures :attr:`failures` keeps.
    FAILURES_KEPT = 20

    def __init__(self, start: datetime = DEFAULT_EPOCH) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._now = start
        self._jobs: list[ScheduledJob] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()
        self._advancing = False
        self.failures: deque[dict[str, Any]] = deque(maxlen=self.FAILURES_KEPT)

    def now(self) -> datetime:
        return self._now

    def schedule(self, at: datetime, callback: Callable[[datetime], object], *, name: str = "") -> ScheduledJob:
        with self._lock:
            job = ScheduledJob(max(at, self._now), next(self._seq), name or getattr(callback, "__name__", "job"), callback)
            heapq.heappush(self._jobs, job)
            return job

    def pending(self) -> list[ScheduledJob]:
        """Jobs not yet run, in due order."""
        with self._lock:
            return sorted(j for j in self._jobs if not j.cancelled)

    def next_due(self) -> datetime | None:
        with self._lock:
            live = [j for j in self._jobs if not j.cancelled]
            return min(live).due if live else None

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)

    def reset(self, start: datetime) -> None:
        """Back to ``start`` with nothing scheduled (``/_provsim/reset``)."""
        with self._lock:
            self._now = start if start.tzinfo else start.replace(tzinfo=UTC)
            self._jobs.clear()
            self.failures.clear()

    def set(self, moment: datetime) -> list[dict[str, Any]]:
        """Move to an absolute time (forward only), running what falls due."""
        return self.advance(moment - self._now)

    def advance(self, delta: timedelta) -> list[dict[str, Any]]:
        if delta < timedelta(0):
            raise ValueError("virtual time only moves forward")
        with self._lock:
            target = self._now + delta
            ran: list[dict[str, Any]] = []
            while self._jobs and self._jobs[0].due <= target:
                job = heapq.heappop(self._jobs)
                if job.cancelled:
                    continue
                self._now = max(self._now, job.due)
                try:
                    result = job.callback(self._now)
                except Exception as err:  # the job boundary: one failing job never stops the clock
                    log.exception("scheduled job %r failed at %s", job.name, isoformat(self._now))
                    result = {"error": f"{type(err).__name__}: {err}"}
                    self.failures.append({"at": isoformat(self._now), "job": job.name, "error": result["error"]})
                entry = {"at": isoformat(self._now), "job": job.name}
                if isinstance(result, dict):
                    entry.update(result)
                ran.append(entry)
            # A job may itself have slept past the target (a long cycle).
            self._now = max(self._now, target)
            return ran


class WallClock(VirtualClock):
    """Real time, optionally scaled (``scale=60``: one real second is a virtual minute).

    Scheduled jobs run when something calls :meth:`tick` (``provsim serve`` does
    it from a background thread).
    """

    def __init__(self, start: datetime | None = None, *, scale: float = 1.0) -> None:
        real_start = datetime.fromtimestamp(time.time(), UTC)
        super().__init__(start or real_start)
        self._origin_virtual = self._now
        self._origin_real = time.monotonic()
        self._scale = scale

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._origin_real) * self._scale
        return max(self._now, self._origin_virtual + timedelta(seconds=elapsed))

    def reset(self, start: datetime) -> None:
        super().reset(start)
        self._origin_virtual = self._now
        self._origin_real = time.monotonic()

    def tick(self) -> list[dict[str, Any]]:
        """Run whatever is due by the current (scaled) wall time."""
        return self.advance(max(timedelta(0), self.now() - self._now))
