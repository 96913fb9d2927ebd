"""Escrow: objects whose export failed, waiting for their retry (reference §4).

Retries fall 6 h, 12 h and 24 h after the first failure, then every 24 h; 28
days after the first failure the entry is pruned (``escrowsPruned``).  The
errors Microsoft documents as "automatically retried in 40 minutes"
(:data:`RETRY_NEXT_CYCLE`: InternalServerError, WebExceptionProtocolError,
InternalError, Timeout, and TooManyRequests) are retried by the next cycle
instead, until the same 28 days are up.  An object whose retry is not due yet
is left alone by the cycles in between; restart with ``Escrows`` (or
provisionOnDemand) clears the backoff.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from simulator.core import Clock, Store, isoformat, parse_datetime

from .connector_store import tables

__all__ = ["EscrowBook", "retry_schedule", "RETRY_OFFSETS", "PRUNE_AFTER", "RETRY_NEXT_CYCLE"]

RETRY_OFFSETS = (timedelta(hours=6), timedelta(hours=12), timedelta(hours=24))
PRUNE_AFTER = timedelta(days=28)
#: Error codes documented as "automatically retried in 40 minutes" (M:howto-analyze-provisioning-logs);
#: TooManyRequests is documented as retried automatically too.
RETRY_NEXT_CYCLE = frozenset({"InternalServerError", "WebExceptionProtocolError", "InternalError", "Timeout",
                              "TooManyRequests"})


def retry_schedule(first_failure: datetime, attempts: int) -> datetime | None:
    """When retry number ``attempts`` (1-based) falls due; None once past 28 days (prune)."""
    if attempts <= len(RETRY_OFFSETS):
        due = first_failure + RETRY_OFFSETS[attempts - 1]
    else:
        due = first_failure + timedelta(hours=24 * (attempts - len(RETRY_OFFSETS) + 1))
    return due if due - first_failure <= PRUNE_AFTER else None


class EscrowBook:
    def __init__(self, store: Store, clock: Clock, job_id: str) -> None:
        self.table = tables(store)["escrows"]
        self.clock = clock
        self.job_id = job_id
        self.pruned = 0

    def _key(self, object_id: str) -> str:
        return f"{self.job_id}|{object_id}"

    def put(self, object_id: str, object_type: str, error: Any, *, reference: bool = False,
            next_cycle: datetime | None = None) -> dict[str, Any]:
        """Record a failure; returns the entry with its next retry time.

        ``next_cycle``: when the job's next cycle runs; errors in :data:`RETRY_NEXT_CYCLE` are
        retried then instead of 6, 12, 24 hours after the first failure."""
        now = self.clock.now()
        existing = self.table.find("key", self._key(object_id))
        attempts = (existing["attempts"] + 1) if existing else 1
        first = parse_datetime(existing["firstFailure"]) if existing else now
        if next_cycle is not None and getattr(error, "code", None) in RETRY_NEXT_CYCLE:
            due = next_cycle if next_cycle - first <= PRUNE_AFTER else None
        else:
            due = retry_schedule(first, attempts)
        doc = {"key": self._key(object_id), "jobId": self.job_id, "objectId": object_id, "objectType": object_type,
               "firstFailure": isoformat(first), "lastFailure": isoformat(now), "attempts": attempts,
               "nextRetry": isoformat(due) if due else None,
               "errorCode": getattr(error, "code", str(error)), "message": getattr(error, "message", str(error)),
               "reference": reference or bool(existing and existing.get("reference") and reference)}
        if existing is not None:
            if due is None:
                self.table.delete(existing.doc_id)
                self.pruned += 1
                return doc
            self.table.put(existing.doc_id, doc)
        elif due is not None:
            self.table.add(doc)
        return doc

    def get(self, object_id: str) -> dict[str, Any] | None:
        return self.table.find("key", self._key(object_id))

    def waiting(self, object_id: str) -> bool:
        """In escrow and its retry is not due yet."""
        entry = self.get(object_id)
        return entry is not None and entry["nextRetry"] is not None and parse_datetime(entry["nextRetry"]) > self.clock.now()

    def clear(self, object_id: str, *, kind: str | None = None) -> None:
        """Drop the object's entry: any (``kind=None``), or only an ``"object"`` or ``"reference"`` failure."""
        existing = self.table.find("key", self._key(object_id))
        if existing is None:
            return
        if kind is not None and bool(existing.get("reference")) != (kind == "reference"):
            return
        self.table.delete(existing.doc_id)

    def due(self) -> list[tuple[str, str]]:
        now = self.clock.now()
        out = []
        for doc in self.table.find_all("jobId", self.job_id):
            if doc["nextRetry"] and parse_datetime(doc["nextRetry"]) <= now:
                out.append((doc["objectId"], doc["objectType"]))
        return out

    def entries(self) -> list[dict[str, Any]]:
        return list(self.table.find_all("jobId", self.job_id))

    def next_due(self) -> datetime | None:
        times = [parse_datetime(d["nextRetry"]) for d in self.table.find_all("jobId", self.job_id) if d["nextRetry"]]
        return min(times) if times else None

    def counts(self) -> tuple[int, int]:
        """(object failures, reference failures) currently in escrow."""
        objects = refs = 0
        for doc in self.table.find_all("jobId", self.job_id):
            if doc.get("reference"):
                refs += 1
            else:
                objects += 1
        return objects, refs

    def clear_all(self) -> None:
        for doc in list(self.table.find_all("jobId", self.job_id)):
            self.table.delete(doc.doc_id)
