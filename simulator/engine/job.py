"""A synchronization job as values: :class:`Job`, its :class:`Schedule` and :class:`JobStatus` (with
:class:`Quarantine` and :class:`TaskExecution`).

The engine reads and writes these; :meth:`Job.to_graph` is the one place that writes Graph's
``synchronizationJob`` JSON (G:synchronization-synchronizationjob, -synchronizationstatus,
-synchronizationquarantine, -synchronizationtaskexecution), and :meth:`Job.to_doc` /
:meth:`Job.from_doc` the one place that knows the stored document (a state file written by an
earlier provsim still loads: the stored status *is* Graph's shape).

Times are whole seconds, as Graph shows them (``2026-01-05T09:40:00Z``); what a value holds is
exactly what Graph shows, so a simulator resumed from its state file schedules from the same
instants as one that kept running.  Only :attr:`Job.next_cycle`, provsim's own bookkeeping, keeps
sub-second precision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from simulator.core import isoformat, parse_datetime

from .job_settings import JobSettings, check_setting, parse_job_settings

__all__ = [
    "Job", "JobCode", "JobStatus", "Schedule", "ScheduleState", "Quarantine", "ErrorInfo", "TaskExecution",
    "ExecutionState", "NEVER", "ZERO_TIME", "INTERVAL", "TEMPLATE_ID", "CREATION_SETTINGS", "whole_seconds",
]

TEMPLATE_ID = "purecloud"
NEVER = "P10675199DT2H48M5.4775807S"  # what Graph shows for a job that never ran (TimeSpan.MaxValue)
INTERVAL = "PT40M"
ZERO_TIME = "0001-01-01T00:00:00Z"
#: The settings a job is created with, as Graph's job example shows them (G:synchronization-synchronizationjob-get);
#: carried for the view, not chosen by the admin (so the accidental-deletion guard stays off).
CREATION_SETTINGS = (("QuarantineTooManyDeletesThreshold", "500"), ("AzureIngestionAttributeOptimization", "False"))


def whole_seconds(moment: datetime) -> datetime:
    """``moment`` as Graph shows it: to the second."""
    return moment.replace(microsecond=0)


def _time(text: str | None) -> datetime | None:
    return parse_datetime(text) if text and text != ZERO_TIME else None


def _text(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment is not None else None


class JobCode(str, Enum):
    """``synchronizationStatus.code``."""

    NOT_CONFIGURED = "NotConfigured"
    NOT_RUN = "NotRun"
    ACTIVE = "Active"
    PAUSED = "Paused"
    QUARANTINE = "Quarantine"


class ScheduleState(str, Enum):
    ACTIVE = "Active"
    DISABLED = "Disabled"
    PAUSED = "Paused"


class ExecutionState(str, Enum):
    """``synchronizationTaskExecution.state``."""

    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    ENTRY_LEVEL_ERRORS = "EntryLevelErrors"


@dataclass(frozen=True)
class Schedule:
    state: ScheduleState = ScheduleState.DISABLED
    interval: str = NEVER
    expiration: str | None = None

    @property
    def active(self) -> bool:
        return self.state is ScheduleState.ACTIVE

    def to_graph(self) -> dict[str, Any]:
        return {"expiration": self.expiration, "interval": self.interval, "state": self.state.value}

    @classmethod
    def from_graph(cls, data: Mapping[str, Any]) -> Schedule:
        return cls(ScheduleState(data.get("state") or "Disabled"), str(data.get("interval") or NEVER), data.get("expiration"))


@dataclass(frozen=True)
class ErrorInfo:
    """``quarantine.error`` and ``lastExecution.error``: code, message, tenantActionable."""

    code: str
    message: str
    tenant_actionable: bool = True

    def to_graph(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "tenantActionable": self.tenant_actionable}

    @classmethod
    def from_graph(cls, data: Mapping[str, Any] | None) -> ErrorInfo | None:
        if not data:
            return None
        return cls(str(data.get("code") or ""), str(data.get("message") or ""), bool(data.get("tenantActionable", True)))


@dataclass(frozen=True)
class Quarantine:
    """``synchronizationQuarantine``: why the job is quarantined and when it tries next."""

    reason: str
    error: ErrorInfo
    current_began: datetime
    series_began: datetime
    series_count: int = 1
    next_attempt: datetime | None = None

    def to_graph(self) -> dict[str, Any]:
        return {"currentBegan": isoformat(self.current_began), "nextAttempt": _text(self.next_attempt),
                "reason": self.reason, "seriesBegan": isoformat(self.series_began), "seriesCount": self.series_count,
                "error": self.error.to_graph()}

    @classmethod
    def from_graph(cls, data: Mapping[str, Any] | None) -> Quarantine | None:
        if not data:
            return None
        began = parse_datetime(data["currentBegan"])
        return cls(reason=str(data.get("reason") or "Unknown"),
                   error=ErrorInfo.from_graph(data.get("error")) or ErrorInfo("Unknown", ""),
                   current_began=began, series_began=_time(data.get("seriesBegan")) or began,
                   series_count=int(data.get("seriesCount") or 1), next_attempt=_time(data.get("nextAttempt")))


@dataclass(frozen=True)
class TaskExecution:
    """``synchronizationTaskExecution``: one cycle's counts and outcome."""

    activity_identifier: str
    state: ExecutionState
    time_began: datetime
    time_ended: datetime
    count_entitled: int = 0
    count_escrowed: int = 0
    count_escrowed_raw: int = 0
    count_exported: int = 0
    count_imported: int = 0
    count_imported_deltas: int = 0
    error: ErrorInfo | None = None

    def to_graph(self) -> dict[str, Any]:
        return {
            "activityIdentifier": self.activity_identifier,
            "countEntitled": self.count_entitled,
            "countEntitledForProvisioning": self.count_entitled,
            "countEscrowed": self.count_escrowed,
            "countEscrowedRaw": self.count_escrowed_raw,
            "countExported": self.count_exported,
            "countExports": self.count_exported,
            "countImported": self.count_imported,
            "countImportedDeltas": self.count_imported_deltas,
            "countImportedReferenceDeltas": 0,
            "error": self.error.to_graph() if self.error else None,
            "state": self.state.value,
            "timeBegan": isoformat(self.time_began),
            "timeEnded": isoformat(self.time_ended),
        }

    @classmethod
    def from_graph(cls, data: Mapping[str, Any] | None) -> TaskExecution | None:
        if not data:
            return None
        return cls(activity_identifier=str(data.get("activityIdentifier") or ""),
                   state=ExecutionState(data.get("state") or "Succeeded"),
                   time_began=parse_datetime(data["timeBegan"]), time_ended=parse_datetime(data["timeEnded"]),
                   count_entitled=int(data.get("countEntitled") or 0), count_escrowed=int(data.get("countEscrowed") or 0),
                   count_escrowed_raw=int(data.get("countEscrowedRaw") or 0),
                   count_exported=int(data.get("countExported") or 0), count_imported=int(data.get("countImported") or 0),
                   count_imported_deltas=int(data.get("countImportedDeltas") or 0),
                   error=ErrorInfo.from_graph(data.get("error")))


@dataclass(frozen=True)
class JobStatus:
    """``synchronizationStatus`` (``synchronizedEntryCountByType`` comes from the connector data
    store when the view is written)."""

    code: JobCode = JobCode.NOT_CONFIGURED
    count_successive_complete_failures: int = 0
    escrows_pruned: bool = False
    last_execution: TaskExecution | None = None
    last_successful_execution: TaskExecution | None = None
    last_successful_execution_with_exports: TaskExecution | None = None
    #: the progress bar: (completed, total, observed at); Graph's ``progress`` list holds at most this one
    progress: tuple[int, int, datetime] | None = None
    quarantine: Quarantine | None = None
    steady_state_first_achieved: datetime | None = None
    steady_state_last_achieved: datetime | None = None
    troubleshooting_url: str | None = None

    @property
    def quarantined(self) -> bool:
        return self.code is JobCode.QUARANTINE and self.quarantine is not None

    def to_graph(self, counts: Mapping[str, int] | None = None) -> dict[str, Any]:
        progress = [] if self.progress is None else [{
            "completedUnits": self.progress[0], "totalUnits": self.progress[1], "units": "Objects",
            "progressObservationDateTime": isoformat(self.progress[2])}]
        return {
            "code": self.code.value,
            "countSuccessiveCompleteFailures": self.count_successive_complete_failures,
            "escrowsPruned": self.escrows_pruned,
            "lastExecution": self.last_execution.to_graph() if self.last_execution else None,
            "lastSuccessfulExecution": self.last_successful_execution.to_graph() if self.last_successful_execution else None,
            "lastSuccessfulExecutionWithExports": (self.last_successful_execution_with_exports.to_graph()
                                                   if self.last_successful_execution_with_exports else None),
            "progress": progress,
            "quarantine": self.quarantine.to_graph() if self.quarantine else None,
            "steadyStateFirstAchievedTime": _text(self.steady_state_first_achieved) or ZERO_TIME,
            "steadyStateLastAchievedTime": _text(self.steady_state_last_achieved) or ZERO_TIME,
            "synchronizedEntryCountByType": [
                {"key": f"{kind} to {'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' if kind == 'User' else 'Group'}",
                 "value": value} for kind, value in sorted((counts or {}).items())],
            "troubleshootingUrl": self.troubleshooting_url,
        }

    @classmethod
    def from_graph(cls, data: Mapping[str, Any]) -> JobStatus:
        progress = None
        for item in data.get("progress") or []:
            progress = (int(item.get("completedUnits") or 0), int(item.get("totalUnits") or 0),
                        parse_datetime(item["progressObservationDateTime"]))
        return cls(code=JobCode(data.get("code") or "NotConfigured"),
                   count_successive_complete_failures=int(data.get("countSuccessiveCompleteFailures") or 0),
                   escrows_pruned=bool(data.get("escrowsPruned")),
                   last_execution=TaskExecution.from_graph(data.get("lastExecution")),
                   last_successful_execution=TaskExecution.from_graph(data.get("lastSuccessfulExecution")),
                   last_successful_execution_with_exports=TaskExecution.from_graph(data.get("lastSuccessfulExecutionWithExports")),
                   progress=progress, quarantine=Quarantine.from_graph(data.get("quarantine")),
                   steady_state_first_achieved=_time(data.get("steadyStateFirstAchievedTime")),
                   steady_state_last_achieved=_time(data.get("steadyStateLastAchievedTime")),
                   troubleshooting_url=data.get("troubleshootingUrl"))


@dataclass(frozen=True)
class Job:
    """One synchronization job and the provisioning service's own bookkeeping for it."""

    id: str
    service_principal_id: str
    template_id: str = TEMPLATE_ID
    schedule: Schedule = field(default_factory=Schedule)
    status: JobStatus = field(default_factory=JobStatus)
    #: ``synchronizationJobSettings`` as stored (canonical text), in order
    setting_pairs: tuple[tuple[str, str], ...] = CREATION_SETTINGS
    #: the settings the admin set (``PATCH …/jobs/{id}``), not left at their defaults
    explicit_settings: frozenset[str] = frozenset()
    #: the saved synchronization schema (None: the template's)
    schema: Mapping[str, Any] | None = None
    #: position in the directory's change feed after the last successful cycle (None: the next cycle is initial)
    watermark: str | None = None
    initial_done: bool = False
    #: restart with ForceDeletes: the next cycle lets staged deletes through
    force_deletes: bool = False
    #: when the next cycle runs (provsim's schedule; sub-second precision kept)
    next_cycle: datetime | None = None
    #: a lower request-body limit the target named in a 413 (remembered for the job)
    learned_max_request_bytes: int | None = None

    @property
    def settings(self) -> JobSettings:
        return parse_job_settings([{"name": n, "value": v} for n, v in self.setting_pairs],
                                  explicit=self.explicit_settings, strict=False)

    @property
    def initial_pending(self) -> bool:
        """The next cycle is an initial one (never ran, or restarted)."""
        return not self.initial_done or not self.watermark

    def with_settings(self, items: Sequence[Mapping[str, Any]]) -> Job:
        """The job with ``[{name, value}]`` applied; raises :class:`~.job_settings.SettingError` naming a
        bad value (nothing is applied then).  A setting saved with the value every job is created with
        (a fixture copied from a real job carries ``QuarantineTooManyDeletesThreshold`` 500) is not
        an admin's choice: it does not switch the accidental-deletion guard on."""
        current = dict(self.setting_pairs)
        explicit = set(self.explicit_settings)
        for item in items:
            name = str(item["name"])
            current[name] = check_setting(name, item.get("value"))
            if (name, current[name]) in CREATION_SETTINGS:
                explicit.discard(name)
            else:
                explicit.add(name)
        return replace(self, setting_pairs=tuple(current.items()), explicit_settings=frozenset(explicit))

    # ---- Graph
    def to_graph(self, counts: Mapping[str, int] | None = None) -> dict[str, Any]:
        """The synchronizationJob as Graph returns it."""
        return {"id": self.id, "templateId": self.template_id, "schedule": self.schedule.to_graph(),
                "status": self.status.to_graph(counts),
                "synchronizationJobSettings": [{"name": n, "value": v} for n, v in self.setting_pairs]}

    # ---- storage
    def to_doc(self) -> dict[str, Any]:
        status = self.status.to_graph()
        del status["synchronizedEntryCountByType"]  # counted from the connector data store when shown
        return {
            "id": self.id, "templateId": self.template_id, "servicePrincipalId": self.service_principal_id,
            "schedule": self.schedule.to_graph(), "status": status,
            "synchronizationJobSettings": [{"name": n, "value": v} for n, v in self.setting_pairs],
            "settingsSet": sorted(self.explicit_settings),
            "schema": self.schema, "watermark": self.watermark, "initialDone": self.initial_done,
            "forceDeletes": self.force_deletes,
            "nextCycle": self.next_cycle.isoformat().replace("+00:00", "Z") if self.next_cycle else None,
            "targetMaxRequestBytes": self.learned_max_request_bytes,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Job:
        pairs = tuple((str(s["name"]), "" if s.get("value") is None else str(s["value"]))
                      for s in doc.get("synchronizationJobSettings") or [])
        if "settingsSet" in doc:
            explicit = frozenset(doc["settingsSet"] or ())
        else:  # a state file from before the admin's choices were kept: what differs from creation
            explicit = frozenset(name for name, value in pairs if (name, value) not in CREATION_SETTINGS)
        learned = doc.get("targetMaxRequestBytes")
        return cls(id=doc["id"], service_principal_id=doc["servicePrincipalId"],
                   template_id=doc.get("templateId") or TEMPLATE_ID,
                   schedule=Schedule.from_graph(doc.get("schedule") or {}),
                   status=JobStatus.from_graph(doc.get("status") or {}),
                   setting_pairs=pairs, explicit_settings=explicit, schema=doc.get("schema"),
                   watermark=doc.get("watermark"), initial_done=bool(doc.get("initialDone")),
                   force_deletes=bool(doc.get("forceDeletes")),
                   next_cycle=parse_datetime(doc["nextCycle"]) if doc.get("nextCycle") else None,
                   learned_max_request_bytes=int(learned) if learned else None)
