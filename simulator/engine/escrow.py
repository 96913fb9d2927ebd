"""Escrow: objects whose export failed, waiting for their retry ("Application provisioning in quarantine status" (Microsoft Learn), Retry duration).

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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from simulator.core import Clock, Store, isoformat, parse_datetime

from .connector_store import tables

__all__ = ["EscrowBook", "EscrowEntry", "retry_schedule", "RETRY_OFFSETS", "PRUNE_AFTER", "RETRY_NEXT_CYCLE"]

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


@dataclass(frozen=True)
class EscrowEntry:
    """One object waiting for its retry."""

    object_id: str
    object_type: str
    first_failure: datetime
    last_failure: datetime
    attempts: int
    #: when the retry falls due; None: pruned (28 days after the first failure)
    next_retry: datetime | None
    error_code: str
    message: str
    #: a reference update (manager, members) failed, not the object itself
    reference: bool = False

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> EscrowEntry:
        return cls(doc["objectId"], doc["objectType"], parse_datetime(doc["firstFailure"]), parse_datetime(doc["lastFailure"]),
                   int(doc["attempts"]), parse_datetime(doc["nextRetry"]) if doc.get("nextRetry") else None,
                   str(doc.get("errorCode") or ""), str(doc.get("message") or ""), bool(doc.get("reference")))

    def to_doc(self, job_id: str) -> dict[str, object]:
        return {"key": f"{job_id}|{self.object_id}", "jobId": job_id, "objectId": self.object_id,
                "objectType": self.object_type, "firstFailure": isoformat(self.first_failure),
                "lastFailure": isoformat(self.last_failure), "attempts": self.attempts,
                "nextRetry": isoformat(self.next_retry) if self.next_retry else None,
                "errorCode": self.error_code, "message": self.message, "reference": self.reference}


class EscrowBook:
    def __init__(self, store: Store, clock: Clock, job_id: str) -> None:
        self.table = tables(store)["escrows"]
        self.clock = clock
        self.job_id = job_id
        self.pruned = 0

    def _key(self, object_id: str) -> str:
        return f"{self.job_id}|{object_id}"

    def put(self, object_id: str, object_type: str, code: str, message: str, *, reference: bool = False,
            next_cycle: datetime | None = None) -> EscrowEntry:
        """Record a failure (its provisioning-log ``code`` and message); returns the entry with its next
        retry time.

        ``next_cycle``: when the job's next cycle runs; errors in :data:`RETRY_NEXT_CYCLE` are
        retried then instead of 6, 12, 24 hours after the first failure."""
        now = self.clock.now()
        existing_doc = self.table.find("key", self._key(object_id))
        existing = EscrowEntry.from_doc(existing_doc) if existing_doc is not None else None
        attempts = existing.attempts + 1 if existing else 1
        first = existing.first_failure if existing else now
        if next_cycle is not None and code in RETRY_NEXT_CYCLE:
            due = next_cycle if next_cycle - first <= PRUNE_AFTER else None
        else:
            due = retry_schedule(first, attempts)
        entry = EscrowEntry(object_id, object_type, first, now, attempts, due, code, message, reference)
        if existing_doc is not None:
            if due is None:
                self.table.delete(existing_doc.doc_id)
                self.pruned += 1
                return entry
            self.table.put(existing_doc.doc_id, entry.to_doc(self.job_id))
        elif due is not None:
            self.table.add(entry.to_doc(self.job_id))
        return entry

    def get(self, object_id: str) -> EscrowEntry | None:
        doc = self.table.find("key", self._key(object_id))
        return EscrowEntry.from_doc(doc) if doc is not None else None

    def waiting(self, object_id: str) -> bool:
        """In escrow and its retry is not due yet."""
        entry = self.get(object_id)
        return entry is not None and entry.next_retry is not None and entry.next_retry > self.clock.now()

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

    def entries(self) -> list[EscrowEntry]:
        return [EscrowEntry.from_doc(doc) for doc in self.table.find_all("jobId", self.job_id)]

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
