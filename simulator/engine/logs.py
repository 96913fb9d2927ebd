"""Provisioning log entries in Graph's ``provisioningObjectSummary`` shape.

One entry per object per action, as the portal's provisioning logs show them:
the steps the service went through (import, scoping, matching, processing,
referenceResolution, export), what changed (modifiedProperties old/new), and
the outcome (success, failure, skipped, warning) with errorInformation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulator.core import Clock, IdFactory, IndexedTable, isoformat, parse_datetime

if TYPE_CHECKING:
    from .source import ServicePrincipal

__all__ = ["LogEntry", "LogWriter", "Step", "ErrorInformation", "Initiator", "SOURCE_SYSTEM_NAME", "INITIATOR",
           "TARGET_SYSTEM", "RETENTION", "PROPERTIES", "known_property", "prune", "retained"]

#: How long the service keeps provisioning logs (30 days with Entra ID P1/P2, M:howto-analyze-provisioning-logs;
#: provsim keeps the P1/P2 span, docs/fidelity.md).
RETENTION = timedelta(days=30)

#: A tree of property names: a leaf (or a collection/open type, which ends a path) maps to None.
PropertyTree = Mapping[str, "PropertyTree | None"]

_IDENTITY: PropertyTree = {"id": None, "displayName": None, "identityType": None, "details": None}
_SYSTEM: PropertyTree = {"id": None, "displayName": None, "details": None}
#: The properties of a provisioningObjectSummary, nested (G:provisioningobjectsummary): what ``$filter`` and
#: ``$orderby`` may name.
PROPERTIES: PropertyTree = {
    "id": None, "activityDateTime": None, "tenantId": None, "jobId": None, "cycleId": None, "changeId": None,
    "durationInMilliseconds": None, "provisioningAction": None, "provisioningSteps": None, "modifiedProperties": None,
    "initiatedBy": {"id": None, "displayName": None, "initiatorType": None},
    "provisioningStatusInfo": {"status": None, "errorInformation": {
        "errorCode": None, "reason": None, "additionalDetails": None, "errorCategory": None, "recommendedAction": None}},
    "servicePrincipal": {"id": None, "displayName": None},
    "sourceIdentity": _IDENTITY, "targetIdentity": _IDENTITY, "sourceSystem": _SYSTEM, "targetSystem": _SYSTEM,
}


def known_property(path: str) -> bool:
    """Is ``path`` (``provisioningStatusInfo/status``) a property of a provisioning log entry?"""
    node: PropertyTree | None = PROPERTIES
    for part in path.split("/"):
        if node is None or part not in node:
            return False
        node = node[part]
    return True


def retained(entry: Mapping[str, Any], now: datetime) -> bool:
    """Is the entry inside the retention span?"""
    return parse_datetime(str(entry["activityDateTime"])) > now - RETENTION


def prune(table: IndexedTable, now: datetime) -> int:
    """Drop the entries older than :data:`RETENTION` (they are stored oldest first); how many went."""
    old = []
    for doc_id, doc in table.docs():
        if retained(doc, now):
            break
        old.append(doc_id)
    for doc_id in old:
        table.delete(doc_id)
    return len(old)

SOURCE_SYSTEM_NAME = "Azure Active Directory"
TARGET_SYSTEM = "PureCloud by Genesys"


@dataclass(frozen=True)
class Initiator:
    """``initiatedBy``: who started the provisioning (the service, or an admin on demand)."""

    display_name: str
    initiator_type: str = "system"

    def to_graph(self) -> dict[str, str]:
        return {"id": "", "displayName": self.display_name, "initiatorType": self.initiator_type}


INITIATOR = Initiator("Azure AD Provisioning Service")


@dataclass(frozen=True)
class ErrorInformation:
    """``provisioningStatusInfo.errorInformation`` (G:provisioningerrorinfo)."""

    code: str
    reason: str
    additional_details: str | None = None
    #: failure | nonServiceFailure | success
    category: str = "nonServiceFailure"
    recommended_action: str | None = None

    def to_graph(self) -> dict[str, str | None]:
        return {"errorCode": self.code, "reason": self.reason, "additionalDetails": self.additional_details,
                "errorCategory": self.category, "recommendedAction": self.recommended_action}

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
    error: ErrorInformation | None = None
    fault: str | None = None

    def step(self, type_: str, status: str, description: str, **details: str) -> LogEntry:
        self.steps.append(Step(type_, status, description, {k: str(v) for k, v in details.items()}))
        return self

    def fail(self, error_information: ErrorInformation) -> LogEntry:
        self.status = "failure"
        self.error = error_information
        return self

    def skip(self, error_information: ErrorInformation) -> LogEntry:
        self.status = "skipped"
        self.error = error_information
        return self

    def to_graph(self, *, entry_id: str, at: str, job_id: str, cycle_id: str, change_id: str, tenant_id: str,
                 service_principal: ServicePrincipal, target_system: str, duration_ms: int,
                 initiated_by: Initiator = INITIATOR) -> dict[str, Any]:
        target_type = "User" if self.object_type == "User" else "Group"
        return {
            "id": entry_id,
            "activityDateTime": at,
            "tenantId": tenant_id,
            "jobId": job_id,
            "cycleId": cycle_id,
            "changeId": change_id,
            "durationInMilliseconds": duration_ms,
            "initiatedBy": initiated_by.to_graph(),
            "provisioningAction": self.action,
            "provisioningStatusInfo": {"status": self.status,
                                       "errorInformation": self.error.to_graph() if self.error else None},
            "provisioningSteps": [s.to_graph() for s in self.steps],
            "modifiedProperties": [
                {"displayName": name, "oldValue": _text(old), "newValue": _text(new)} for name, old, new in self.modified
            ],
            "servicePrincipal": {"id": service_principal.id, "displayName": service_principal.display_name},
            "sourceIdentity": {"id": self.source_id, "displayName": self.source_name, "identityType": self.object_type,
                               "details": {}},
            "targetIdentity": {"id": self.target_id or None, "displayName": self.target_name or None,
                               "identityType": target_type, "details": {}},
            "sourceSystem": {"id": None, "displayName": SOURCE_SYSTEM_NAME, "details": {}},
            "targetSystem": {"id": None, "displayName": target_system, "details": {
                "ApplicationId": service_principal.app_id,
                "ServicePrincipalId": service_principal.id,
                "ServicePrincipalDisplayName": service_principal.display_name,
            }},
        }


def _text(value: Any) -> str | None:
    """modifiedProperties carry strings, as Graph returns them."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


class LogWriter:
    """Stores each :class:`LogEntry` of one cycle (or one provision on demand) as a
    provisioningObjectSummary; ``durationInMilliseconds`` is the virtual time since the previous
    entry.  Every stored entry also goes to ``on_entry`` (the service's listeners)."""

    def __init__(self, *, table: IndexedTable, clock: Clock, ids: IdFactory, job_id: str,
                 service_principal: ServicePrincipal, cycle_id: str, tenant_id: str, initiated_by: Initiator = INITIATOR,
                 collect: list[dict[str, Any]] | None = None, on_entry: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.table, self.clock, self.ids = table, clock, ids
        self.job_id, self.sp, self.cycle_id, self.tenant_id = job_id, service_principal, cycle_id, tenant_id
        self.initiated_by, self.collect, self.on_entry = initiated_by, collect, on_entry
        self._last = clock.now()

    def __call__(self, entry: LogEntry) -> None:
        now = self.clock.now()
        duration = int((now - self._last).total_seconds() * 1000)
        self._last = now
        doc = entry.to_graph(entry_id=self.ids.guid(), at=isoformat(now, millis=True), job_id=self.job_id,
                             cycle_id=self.cycle_id, change_id=self.ids.guid(), tenant_id=self.tenant_id,
                             service_principal=self.sp, target_system=TARGET_SYSTEM, duration_ms=duration,
                             initiated_by=self.initiated_by)
        self.table.add(doc)
        if self.collect is not None:
            self.collect.append(doc)
        if self.on_entry is not None:
            self.on_entry(doc)
