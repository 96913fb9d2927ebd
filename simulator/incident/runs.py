"""Runs: the entries of one provisioning cycle, or of one provision on demand, together.

A cycle is what the logs' ``cycleId`` names; provision on demand is told apart by
``initiatedBy`` (a person or an app started it, not the service's schedule).  A run begins when its
first entry's action began (its ``activityDateTime`` less its ``durationInMilliseconds``: provsim
counts the first entry's duration from the cycle's start, and Microsoft's first action begins
moments after it).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from .logs import LogRecord

__all__ = ["Run", "group_runs", "fixture_id", "object_key"]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def fixture_id(log_id: str) -> str:
    """The directory id a story gives the object a log entry names: the log's own id when it is a
    GUID (Graph's ids are), else a GUID derived from it (the same one every time)."""
    if _GUID.match(log_id):
        return log_id.lower()
    digest = hashlib.sha256(f"provsim-incident:{log_id}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def object_key(record: LogRecord) -> tuple[str, str]:
    """(identity type, directory id) of the entry's source object: how a real entry and a simulated
    one are paired."""
    kind = record.source.kind or record.source.type
    return kind, fixture_id(record.source.id) if record.source.id else f"~{record.source.display_name}"


@dataclass
class Run:
    """One cycle (or one provision on demand) and its entries, oldest first."""

    key: str
    on_demand: bool
    records: list[LogRecord] = field(default_factory=list)

    @property
    def begin(self) -> datetime:
        return min(r.begin for r in self.records)

    @property
    def end(self) -> datetime:
        return max(r.at for r in self.records)

    @property
    def kind(self) -> str:
        return "provision on demand" if self.on_demand else "cycle"

    def label(self) -> str:
        counts: dict[str, int] = {}
        for r in self.records:
            name = f"{r.action} {r.status}"
            counts[name] = counts.get(name, 0) + 1
        what = ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return f"{self.begin.strftime('%Y-%m-%d %H:%M:%S')} {self.kind}: {what}"


def group_runs(records: list[LogRecord]) -> list[Run]:
    """The records' runs in the order they began; entries without a cycleId are a run each."""
    runs: dict[str, Run] = {}
    for record in records:
        key = f"{'od' if record.on_demand else 'cy'}:{record.cycle_id or record.id}"
        run = runs.get(key)
        if run is None:
            run = runs[key] = Run(key, record.on_demand)
        run.records.append(record)
    return sorted(runs.values(), key=lambda r: (r.begin, r.records[0].index))
