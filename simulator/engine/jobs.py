"""The synchronization jobs and secrets as stored, and what is derived from them.

Shared by the sync-API facade (:mod:`simulator.engine.service`) and the job runner
(:mod:`simulator.engine.runner`): one place that knows the job document's fields, the secrets of
a service principal, the job settings (accidental-deletion threshold, quarantine rules, group
PATCH sizes) and the compiled mappings.
"""

from __future__ import annotations

import json
from typing import Any

from simulator.core import Store

from . import mappings as m
from . import quarantine
from .connector_store import tables
from .job_mappings import JobMappings
from .target_profile import PROFILE_SETTING, TargetRules, rules_for

__all__ = [
    "JobBook", "fresh_status", "TEMPLATE_ID", "NEVER", "ZERO_TIME", "DEFAULT_DELETE_THRESHOLD",
    "MAX_MEMBERS_PER_PATCH", "MAX_REQUEST_BYTES",
]

TEMPLATE_ID = "purecloud"
NEVER = "P10675199DT2H48M5.4775807S"  # what Graph shows for a job that never ran (TimeSpan.MaxValue)
ZERO_TIME = "0001-01-01T00:00:00Z"
DEFAULT_DELETE_THRESHOLD = 500
#: At most this many members go into one group PATCH (provsim's choice: the real number is unconfirmed,
#: docs/fidelity.md); job setting ``MaxMembersPerPatch``.
MAX_MEMBERS_PER_PATCH = 1000
#: No request body larger than this (Genesys' ``request.bytes.max``, 512000 by default); job setting
#: ``TargetMaxRequestBytes``; a 413 naming a lower limit lowers it for the job.
MAX_REQUEST_BYTES = 512000


def fresh_status(code: str) -> dict[str, Any]:
    return {
        "code": code, "countSuccessiveCompleteFailures": 0, "escrowsPruned": False,
        "lastExecution": None, "lastSuccessfulExecution": None, "lastSuccessfulExecutionWithExports": None,
        "progress": [], "quarantine": None,
        "steadyStateFirstAchievedTime": ZERO_TIME, "steadyStateLastAchievedTime": ZERO_TIME,
        "synchronizedEntryCountByType": [], "troubleshootingUrl": None,
    }


class JobBook:
    """Job documents (``sync_jobs``) and secrets (``sync_secrets``) of one runtime's store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.t = tables(store)
        self._mappings: dict[str, tuple[int, JobMappings]] = {}

    # ---- jobs
    def get(self, job_id: str) -> Any:
        return self.t["jobs"].find("id", job_id)

    def patch(self, job_id: str, fields: dict[str, Any]) -> None:
        job = self.get(job_id)
        if job is not None:
            self.t["jobs"].patch(job.doc_id, fields)

    def all(self) -> list[dict[str, Any]]:
        return [dict(job) for _doc_id, job in self.t["jobs"].docs()]

    @staticmethod
    def settings(job: dict[str, Any]) -> dict[str, str]:
        return {s["name"]: s["value"] for s in job["synchronizationJobSettings"]}

    def mappings(self, job: dict[str, Any]) -> JobMappings:
        """The job's compiled mappings, compiled once per saved schema."""
        schema = job["schema"] or m.default_schema(job["id"])
        key = hash(json.dumps(schema, sort_keys=True, default=str))
        cached = self._mappings.get(job["id"])
        if cached is None or cached[0] != key:
            cached = (key, JobMappings(schema))
            self._mappings[job["id"]] = cached
        return cached[1]

    def target_rules(self, job: dict[str, Any]) -> TargetRules:
        """The job's target profile (job setting ``TargetProfile``; the template's when unset)."""
        return rules_for(self.settings(job).get(PROFILE_SETTING))

    def quarantine_rules(self, job: dict[str, Any]) -> dict[str, Any]:
        return quarantine.thresholds(self.settings(job))

    def delete_threshold(self, job: dict[str, Any]) -> int | None:
        """The accidental-deletion threshold in force (None when the guard is off)."""
        threshold = int(self.settings(job).get("QuarantineTooManyDeletesThreshold", DEFAULT_DELETE_THRESHOLD))
        notify = self.notification_settings(job["servicePrincipalId"])
        if notify.get("DeleteThresholdEnabled") is False:
            return None
        return int(notify["DeleteThresholdValue"]) if notify.get("DeleteThresholdValue") else threshold

    def patch_limits(self, job: dict[str, Any]) -> tuple[int, int]:
        """(members per group PATCH, bytes per request body) for this job."""
        settings = self.settings(job)
        members = int(settings.get("MaxMembersPerPatch", MAX_MEMBERS_PER_PATCH))
        limit = int(settings.get("TargetMaxRequestBytes", MAX_REQUEST_BYTES))
        learned = job.get("targetMaxRequestBytes")
        return max(1, members), min(limit, int(learned)) if learned else limit

    # ---- secrets
    def secrets(self, sp_id: str) -> list[dict[str, Any]]:
        doc = self.t["secrets"].find("servicePrincipalId", sp_id)
        return list(doc["secrets"]) if doc else []

    def secret(self, sp_id: str, key: str) -> str | None:
        for item in self.secrets(sp_id):
            if item["key"] == key:
                value: str | None = item["value"]  # put_secrets stores strings (or null) only
                return value
        return None

    def flag(self, sp_id: str, key: str) -> bool:
        return str(self.secret(sp_id, key) or "").lower() == "true"

    def notification_settings(self, sp_id: str) -> dict[str, Any]:
        raw = self.secret(sp_id, "SyncNotificationSettings")
        if not raw:
            return {}
        try:
            data = json.loads(raw) if isinstance(raw, str) else dict(raw)
        except (ValueError, TypeError):
            return {}
        return data if isinstance(data, dict) else {}


