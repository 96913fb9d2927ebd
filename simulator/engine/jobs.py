"""The synchronization jobs and secrets as stored, read and written as values.

Shared by the sync-API facade (:mod:`simulator.engine.service`) and the job runner
(:mod:`simulator.engine.runner`): the one place that reads and writes the ``sync_jobs`` and
``sync_secrets`` tables.  Jobs come out as :class:`~simulator.engine.job.Job` values, secrets as
:class:`~simulator.engine.job_settings.JobSecrets`; the compiled mappings of each saved schema are
kept here too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from simulator.core import Store

from . import mappings as m
from .connector_store import tables
from .expressions import Environment
from .job import Job
from .job_mappings import JobMappings
from .job_settings import JobSecrets, parse_secrets
from .quarantine import deletion_guard
from .target_profile import TargetRules, rules_for

__all__ = ["JobBook", "SecretPair"]

#: One stored secret: (key, value); the value is a string, or None when cleared.
SecretPair = tuple[str, "str | None"]


class JobBook:
    """Job documents (``sync_jobs``) and secrets (``sync_secrets``) of one runtime's store."""

    def __init__(self, store: Store, env: Environment | None = None) -> None:
        self.store = store
        self.t = tables(store)
        self._mappings: dict[str, tuple[tuple[str, bool], JobMappings]] = {}
        #: the runtime's clock and expression random stream, for Now, Guid and RandomString
        self.env = env

    # ---- jobs
    def get(self, job_id: str) -> Job | None:
        doc = self.t["jobs"].find("id", job_id)
        return Job.from_doc(doc) if doc is not None else None

    def of(self, sp_id: str) -> list[Job]:
        return [Job.from_doc(doc) for doc in self.t["jobs"].find_all("servicePrincipalId", sp_id)]

    def all(self) -> list[Job]:
        return [Job.from_doc(doc) for _doc_id, doc in self.t["jobs"].docs()]

    def add(self, job: Job) -> None:
        self.t["jobs"].add(job.to_doc())

    def save(self, job: Job) -> None:
        """Store the job as it is now (nothing if it was deleted meanwhile)."""
        doc = self.t["jobs"].find("id", job.id)
        if doc is not None:
            self.t["jobs"].put(doc.doc_id, job.to_doc())

    def delete(self, job_id: str) -> None:
        doc = self.t["jobs"].find("id", job_id)
        if doc is not None:
            self.t["jobs"].delete(doc.doc_id)

    def schema(self, job: Job) -> Mapping[str, Any]:
        """The job's saved synchronization schema, or the template's."""
        return job.schema if job.schema is not None else m.default_schema(job.id)

    def mappings(self, job: Job) -> JobMappings:
        """The job's compiled mappings, compiled once per saved schema (and Split setting)."""
        schema = self.schema(job)
        trims = job.settings.split_trims_whitespace
        env = replace(self.env, split_trims=trims) if self.env is not None else None
        key = (json.dumps(schema, sort_keys=True, default=str), trims)
        cached = self._mappings.get(job.id)
        if cached is None or cached[0] != key:
            cached = (key, JobMappings(schema, env))
            self._mappings[job.id] = cached
        return cached[1]

    def target_rules(self, job: Job) -> TargetRules:
        """The job's target profile (job setting ``TargetProfile``; the template's when unset)."""
        return rules_for(job.settings.target_profile)

    def delete_threshold(self, job: Job) -> int | None:
        """The accidental-deletion threshold in force (None when the guard is off)."""
        return deletion_guard(job.settings, self.job_secrets(job.service_principal_id).notifications)

    def patch_limits(self, job: Job) -> tuple[int, int]:
        """(members per group PATCH, bytes per request body) for this job."""
        settings = job.settings
        limit = settings.max_request_bytes
        learned = job.learned_max_request_bytes
        return max(1, settings.members_per_patch), min(limit, learned) if learned else limit

    # ---- secrets
    def secrets(self, sp_id: str) -> list[SecretPair]:
        """The stored secrets, in the order they were first saved."""
        doc = self.t["secrets"].find("servicePrincipalId", sp_id)
        return [(s["key"], s["value"]) for s in doc["secrets"]] if doc else []

    def put_secrets(self, sp_id: str, pairs: Iterable[SecretPair]) -> None:
        doc = self.t["secrets"].find("servicePrincipalId", sp_id)
        payload = {"servicePrincipalId": sp_id, "secrets": [{"key": k, "value": v} for k, v in pairs]}
        if doc is None:
            self.t["secrets"].add(payload)
        else:
            self.t["secrets"].put(doc.doc_id, payload)

    def job_secrets(self, sp_id: str) -> JobSecrets:
        """The secrets the engine reads, typed."""
        return parse_secrets({"key": k, "value": v} for k, v in self.secrets(sp_id))
