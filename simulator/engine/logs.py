"""Provisioning log entries in Graph's ``provisioningObjectSummary`` shape.

One entry per object per action, as the portal's provisioning logs show them:
the steps the service went through (import, scoping, matching, processing,
referenceResolution, export), what changed (modifiedProperties old/new), and
the outcome (success, failure, skipped, warning) with errorInformation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.core import Clock, IdFactory, IndexedTable, isoformat

__all__ = ["LogEntry", "LogWriter", "Step", "SOURCE_SYSTEM_NAME", "INITIATOR", "TARGET_SYSTEM"]

SOURCE_SYSTEM_NAME = "Azure Active Directory"
TARGET_SYSTEM = "PureCloud by Genesys"
INITIATOR = {"id": "", "displayName": "Azure AD Provisioning Service", "initiatorType": "system"}

_STEP_NAMES = {
    "import": "EntryImport",
    "scoping": "EntrySynchronizationScoping",
    "matching": "EntryImportByMatching",
    "processing": "EntrySynchronizationProcessing",
    "referenceResolution": "EntryReferenceResolution",
    "export": "EntryExport",
}


@dataclass
class Step:
    type: str
    status: str
    description: str
    details: dict[str, str] = field(default_factory=dict)
    name: str | None = None

    def to_graph(self) -> dict[str, Any]:
        return {
            "name": self.name or _STEP_NAMES[self.type],
            "provisioningStepType": self.type,
            "status": self.status,
            "description": self.description,
            "details": dict(self.details),
        }


@dataclass
class LogEntry:
    """Builder for one provisioningObjectSummary."""

    action: str  # create | update | delete | disable | stagedDelete | other
    object_type: str  # User | Group
    source_id: str
    source_name: str
    status: str = "success"
    target_id: str = ""
    target_name: str = ""
    steps: list[Step] = field(default_factory=list)
    modified: list[tuple[str, Any, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    fault: str | None = None

    def step(self, type_: str, status: str, description: str, **details: str) -> LogEntry:
        self.steps.append(Step(type_, status, description, {k: str(v) for k, v in details.items()}))
        return self

    def fail(self, error_information: dict[str, Any]) -> LogEntry:
        self.status = "failure"
        self.error = error_information
        return self

    def to_graph(self, *, entry_id: str, at: str, job: dict[str, Any], cycle_id: str, change_id: str, tenant_id: str,
                 service_principal: dict[str, Any], target_system: str, duration_ms: int) -> dict[str, Any]:
        target_type = "User" if self.object_type == "User" else "Group"
        return {
            "id": entry_id,
            "activityDateTime": at,
            "tenantId": tenant_id,
            "jobId": job["id"],
            "cycleId": cycle_id,
            "changeId": change_id,
            "durationInMilliseconds": duration_ms,
            "initiatedBy": dict(INITIATOR),
            "provisioningAction": self.action,
            "provisioningStatusInfo": {"status": self.status, "errorInformation": self.error},
            "provisioningSteps": [s.to_graph() for s in self.steps],
            "modifiedProperties": [
                {"displayName": name, "oldValue": _text(old), "newValue": _text(new)} for name, old, new in self.modified
            ],
            "servicePrincipal": {"id": service_principal["id"], "displayName": service_principal.get("displayName")},
            "sourceIdentity": {"id": self.source_id, "displayName": self.source_name, "identityType": self.object_type,
                               "details": {}},
            "targetIdentity": {"id": self.target_id or None, "displayName": self.target_name or None,
                               "identityType": target_type, "details": {}},
            "sourceSystem": {"id": None, "displayName": SOURCE_SYSTEM_NAME, "details": {}},
            "targetSystem": {"id": None, "displayName": target_system, "details": {
                "ApplicationId": service_principal.get("appId"),
                "ServicePrincipalId": service_principal["id"],
                "ServicePrincipalDisplayName": service_principal.get("displayName"),
            }},
        }


def _text(value: Any) -> str | None:
    """modifiedProperties carry strings, as Graph returns them."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


class LogWriter:
    """Stores each :class:`LogEntry` of one cycle (or one provision on demand) as a
    provisioningObjectSummary; ``durationInMilliseconds`` is the virtual time since the previous
    entry.  Every stored entry also goes to ``on_entry`` (the service's listeners)."""

    def __init__(self, *, table: IndexedTable, clock: Clock, ids: IdFactory, job: dict[str, Any], service_principal: dict[str, Any],
                 cycle_id: str, tenant_id: str, initiated_by: dict[str, Any] | None = None,
                 collect: list[dict[str, Any]] | None = None,
                 on_entry: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.table, self.clock, self.ids = table, clock, ids
        self.job, self.sp, self.cycle_id, self.tenant_id = job, service_principal, cycle_id, tenant_id
        self.initiated_by, self.collect, self.on_entry = initiated_by, collect, on_entry
        self._last = clock.now()

    def __call__(self, entry: LogEntry) -> None:
        now = self.clock.now()
        duration = int((now - self._last).total_seconds() * 1000)
        self._last = now
        doc = entry.to_graph(entry_id=self.ids.guid(), at=isoformat(now, millis=True), job=self.job,
                             cycle_id=self.cycle_id, change_id=self.ids.guid(), tenant_id=self.tenant_id,
                             service_principal=self.sp, target_system=TARGET_SYSTEM, duration_ms=duration)
        if self.initiated_by is not None:
            doc["initiatedBy"] = dict(self.initiated_by)
        self.table.add(doc)
        if self.collect is not None:
            self.collect.append(doc)
        if self.on_entry is not None:
            self.on_entry(doc)
