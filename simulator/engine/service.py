"""The provisioning service: synchronization jobs on the virtual clock.

What Graph's synchronization API drives (``/servicePrincipals/{id}/synchronization``):
jobs created from the PureCloud gallery template, secrets (tenant URL, secret
token, SyncAll, SkipOutOfScopeDeletions, notification settings), start, pause,
restart with a resetScope, schema get/put, validateCredentials,
provisionOnDemand, and job status.  Cycles run as scheduled jobs on the
runtime's clock: the initial cycle when the job starts, then one every 40
virtual minutes.

No Flask here: the Graph blueprint (``simulator.graph.synchronization``) calls
these methods and renders their results and errors.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

import httpx

from simulator.core import Runtime, SlidingWindowLimiter, isoformat, parse_datetime, parse_duration

from . import mappings as m
from .cycle import CycleContext, CycleResult, QuarantineSignal, run_cycle
from .escrow import EscrowBook
from .errors import EngineError, SchemaError
from .logs import LogEntry
from .profile import JobMappings
from .source import DirectorySource
from .state import ConnectorCache, tables
from .target import ErrorClass, ScimTarget, TargetError

__all__ = ["ProvisioningService", "SyncApiError", "TEMPLATE_ID", "CYCLE_INTERVAL", "RESET_SCOPES"]

log = logging.getLogger(__name__)

TEMPLATE_ID = "purecloud"
TARGET_SYSTEM = "PureCloud by Genesys"
CYCLE_INTERVAL = timedelta(minutes=40)
NEVER = "P10675199DT2H48M5.4775807S"  # what Graph shows for a job that never ran (TimeSpan.MaxValue)
ZERO_TIME = "0001-01-01T00:00:00Z"
RESET_SCOPES = ("None", "ConnectorDataStore", "Escrows", "Watermark", "QuarantineState", "Full", "ForceDeletes")
SECRET_KEYS = ("BaseAddress", "SecretToken", "SyncAll", "SkipOutOfScopeDeletions", "SyncNotificationSettings",
               "SyncAllFlag", "Domain", "ClientIdentifier", "ClientSecret", "UserName", "Password", "AppKey",
               "InstanceName", "Server", "Port", "TenantId", "ApplicationTemplateIdentifier", "Url")
DEFAULT_DELETE_THRESHOLD = 500
#: Quarantine rules (reference §4) and their defaults; provsim-specific setting names (docs/fidelity.md).
QUARANTINE_DEFAULTS = {
    "QuarantineEvaluationMinimumFailures": 5000,
    "QuarantineEscrowProportionThreshold": 40,  # percent of a cycle's events
    "QuarantineBaseEscrowThreshold": 40000,
    "QuarantineTotalEscrowThreshold": 60000,
    "QuarantineMaximumDuration": "P28D",
}


class SyncApiError(EngineError):
    """A request the synchronization API refuses, with Graph's code and status."""

    def __init__(self, status: int, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}


@dataclass
class TargetFactory:
    """Builds the httpx client a job uses for its tenant URL.

    Tenant URLs on an in-process host go straight to the Genesys fake through
    ``WSGITransport`` (no socket); any other URL is a real HTTP call (the proxy,
    another provsim, or a real org).
    """

    in_process_hosts: tuple[str, ...]
    wsgi_app: Any = None
    transport_wrapper: Callable[[httpx.BaseTransport], httpx.BaseTransport] | None = None
    timeout: float = 30.0

    def is_in_process(self, base_address: str) -> bool:
        url = httpx.URL(base_address)
        return self.wsgi_app is not None and (url.host in self.in_process_hosts
                                              or f"{url.host}:{url.port}" in self.in_process_hosts)

    def client_for(self, base_address: str) -> httpx.Client:
        if self.is_in_process(base_address):
            from simulator.transport import InProcessTransport

            transport: httpx.BaseTransport = InProcessTransport(app=self.wsgi_app)
        else:
            transport = httpx.HTTPTransport(retries=0)
        if self.transport_wrapper is not None:
            transport = self.transport_wrapper(transport)
        return httpx.Client(transport=transport, timeout=self.timeout)


class ProvisioningService:
    """Every synchronization job of the tenant, and the scheduler that runs them."""

    def __init__(self, runtime: Runtime, source: DirectorySource, targets: TargetFactory, *,
                 service_principal: Callable[[str], dict | None], tenant_id: str, outbox=None) -> None:
        self.runtime = runtime
        self.source = source
        self.targets = targets
        self.lookup_sp = service_principal
        self.tenant_id = tenant_id
        self.ids = runtime.ids.stream("engine")
        self.t = tables(runtime.store)
        self._scheduled: dict[str, Any] = {}
        self.on_demand_limit = SlidingWindowLimiter(runtime.clock, 5, timedelta(seconds=10))
        self.listeners: list[Callable[[str, dict], None]] = []  # (event, data): cycle start/end, quarantine
        self.latency = 0.25
        self.outbox = outbox

    # ------------------------------------------------------------------ jobs
    def _sp(self, sp_id: str) -> dict:
        sp = self.lookup_sp(sp_id)
        if sp is None:
            raise SyncApiError(404, "Request_ResourceNotFound",
                               f"Resource '{sp_id}' does not exist or one of its queried reference-property objects are not present.")
        return sp

    def templates(self, sp_id: str) -> list[dict]:
        self._sp(sp_id)
        return [{
            "id": TEMPLATE_ID, "applicationId": self._sp(sp_id).get("appId"), "default": True,
            "description": "Provision users and groups to PureCloud by Genesys (Genesys Cloud) over SCIM 2.0",
            "discoverable": True, "factoryTag": TEMPLATE_ID,
            "metadata": [{"key": "GalleryApplicationIdentifier", "value": "purecloudbygenesys"}],
            "schema": m.default_schema("template"),
        }]

    def create_job(self, sp_id: str, template_id: str | None) -> dict:
        sp = self._sp(sp_id)
        if template_id != TEMPLATE_ID:
            raise SyncApiError(400, "InvalidTemplate" if template_id else "Request_BadRequest",
                               f"The template '{template_id}' does not exist for this application; available templates: {TEMPLATE_ID}")
        job_id = f"{TEMPLATE_ID}.{self.ids.hex(16)}.{self.ids.hex(16)}"
        job = {
            "id": job_id,
            "templateId": template_id,
            "servicePrincipalId": sp["id"],
            "schedule": {"expiration": None, "interval": NEVER, "state": "Disabled"},
            "status": self._fresh_status("NotConfigured"),
            "synchronizationJobSettings": [
                {"name": "QuarantineTooManyDeletesThreshold", "value": str(DEFAULT_DELETE_THRESHOLD)},
                {"name": "AzureIngestionAttributeOptimization", "value": "False"},
            ],
            "schema": None,
            "watermark": None,
            "initialDone": False,
            "forceDeletes": False,
        }
        with self.runtime.store.transaction():
            self.t["jobs"].add(job)
        return self.job_view(job_id)

    @staticmethod
    def _fresh_status(code: str) -> dict:
        return {
            "code": code, "countSuccessiveCompleteFailures": 0, "escrowsPruned": False,
            "lastExecution": None, "lastSuccessfulExecution": None, "lastSuccessfulExecutionWithExports": None,
            "progress": [], "quarantine": None,
            "steadyStateFirstAchievedTime": ZERO_TIME, "steadyStateLastAchievedTime": ZERO_TIME,
            "synchronizedEntryCountByType": [], "troubleshootingUrl": None,
        }

    def _job(self, sp_id: str, job_id: str) -> Any:
        self._sp(sp_id)
        job = self.t["jobs"].find("id", job_id)
        if job is None or job["servicePrincipalId"] != sp_id:
            raise SyncApiError(404, "Request_ResourceNotFound", f"The synchronization job '{job_id}' does not exist.")
        return job

    def list_jobs(self, sp_id: str) -> list[dict]:
        self._sp(sp_id)
        return [self.job_view(j["id"]) for j in self.t["jobs"].find_all("servicePrincipalId", sp_id)]

    def job_view(self, job_id: str) -> dict:
        """The synchronizationJob as Graph returns it."""
        job = self.t["jobs"].find("id", job_id)
        counts = ConnectorCache(self.runtime.store, job_id).counts()
        status = copy.deepcopy(job["status"])
        status["synchronizedEntryCountByType"] = [
            {"key": f"{k} to {'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' if k == 'User' else 'Group'}", "value": v}
            for k, v in sorted(counts.items())]
        return {"id": job["id"], "templateId": job["templateId"], "schedule": dict(job["schedule"]), "status": status,
                "synchronizationJobSettings": list(job["synchronizationJobSettings"])}

    def get_job(self, sp_id: str, job_id: str) -> dict:
        self._job(sp_id, job_id)
        return self.job_view(job_id)

    def delete_job(self, sp_id: str, job_id: str) -> None:
        job = self._job(sp_id, job_id)
        self._unschedule(job_id)
        with self.runtime.store.transaction():
            ConnectorCache(self.runtime.store, job_id).clear()
            for e in self.t["escrows"].find_all("jobId", job_id):
                self.t["escrows"].delete(e.doc_id)
            self.t["jobs"].delete(job.doc_id)

    def update_settings(self, sp_id: str, job_id: str, settings: list[dict]) -> None:
        job = self._job(sp_id, job_id)
        current = {s["name"]: s["value"] for s in job["synchronizationJobSettings"]}
        for item in settings:
            if not isinstance(item, dict) or "name" not in item:
                raise SyncApiError(400, "Request_BadRequest", "synchronizationJobSettings items are {name, value}")
            if item["name"] == "QuarantineTooManyDeletesThreshold":
                try:
                    if int(item["value"]) < 1:
                        raise ValueError
                except (TypeError, ValueError):
                    raise SyncApiError(400, "Request_BadRequest", "QuarantineTooManyDeletesThreshold must be a positive integer") from None
            current[item["name"]] = str(item.get("value"))
        self.t["jobs"].patch(job.doc_id, {"synchronizationJobSettings": [{"name": k, "value": v} for k, v in current.items()]})

    # --------------------------------------------------------------- secrets
    def put_secrets(self, sp_id: str, values: list[dict]) -> None:
        self._sp(sp_id)
        if not isinstance(values, list) or not all(isinstance(v, dict) and "key" in v for v in values):
            raise SyncApiError(400, "Request_BadRequest", "secrets are a list of {key, value} pairs")
        merged = {s["key"]: s["value"] for s in self.secrets(sp_id)}
        for item in values:
            key = item["key"]
            if key not in SECRET_KEYS:
                raise SyncApiError(400, "Request_BadRequest", f"'{key}' is not a synchronization secret key")
            value = item.get("value")
            if key == "BaseAddress" and value:
                self._check_base_address(value)
            merged[key] = value
        with self.runtime.store.transaction():
            doc = self.t["secrets"].find("servicePrincipalId", sp_id)
            payload = {"servicePrincipalId": sp_id, "secrets": [{"key": k, "value": v} for k, v in merged.items()]}
            if doc is None:
                self.t["secrets"].add(payload)
            else:
                self.t["secrets"].put(doc.doc_id, payload)
            for job in self.t["jobs"].find_all("servicePrincipalId", sp_id):
                if job["status"]["code"] == "NotConfigured" and merged.get("BaseAddress"):
                    status = dict(job["status"], code="NotRun")
                    self.t["jobs"].patch(job.doc_id, {"status": status})

    @staticmethod
    def _check_base_address(value: str) -> None:
        try:
            url = httpx.URL(value)
        except (httpx.InvalidURL, TypeError) as err:
            raise SyncApiError(400, "Request_BadRequest", f"BaseAddress is not a URL: {err}") from err
        if url.scheme not in ("http", "https") or not url.host:
            raise SyncApiError(400, "Request_BadRequest",
                               f"BaseAddress must be an http(s) URL such as https://api.mypurecloud.com/api/v2/scim/v2, got {value!r}")

    def secrets(self, sp_id: str) -> list[dict]:
        doc = self.t["secrets"].find("servicePrincipalId", sp_id)
        return list(doc["secrets"]) if doc else []

    def _secret(self, sp_id: str, key: str) -> str | None:
        for item in self.secrets(sp_id):
            if item["key"] == key:
                return item["value"]
        return None

    def notification_settings(self, sp_id: str) -> dict:
        raw = self._secret(sp_id, "SyncNotificationSettings")
        if not raw:
            return {}
        try:
            data = json.loads(raw) if isinstance(raw, str) else dict(raw)
        except (ValueError, TypeError):
            return {}
        return data if isinstance(data, dict) else {}

    # ---------------------------------------------------------------- schema
    def get_schema(self, sp_id: str, job_id: str) -> dict:
        job = self._job(sp_id, job_id)
        return copy.deepcopy(job["schema"]) if job["schema"] else m.default_schema(job_id)

    def put_schema(self, sp_id: str, job_id: str, schema: dict) -> None:
        job = self._job(sp_id, job_id)
        if not isinstance(schema, dict):
            raise SyncApiError(400, "Request_BadRequest", "the schema must be a JSON object")
        try:
            m.compile_mappings(schema)
        except SchemaError as err:
            raise SyncApiError(400, "Request_BadRequest", str(err)) from err
        with self.runtime.store.transaction():
            # Editing mappings or filters restarts the job: a new initial cycle.
            self.t["jobs"].patch(job.doc_id, {"schema": copy.deepcopy(schema), "watermark": None, "initialDone": False})
        if self.t["jobs"].find("id", job_id)["schedule"]["state"] == "Active":
            self._schedule(job_id, self.runtime.clock.now())

    def _mappings(self, job: dict) -> JobMappings:
        return JobMappings(job["schema"] or m.default_schema(job["id"]))

    # ------------------------------------------------------- test connection
    def validate_credentials(self, sp_id: str, job_id: str | None, *, use_saved: bool, credentials: list[dict] | None) -> None:
        if job_id is not None:
            self._job(sp_id, job_id)
        else:
            self._sp(sp_id)
        creds = {s["key"]: s["value"] for s in self.secrets(sp_id)} if use_saved else {}
        for item in credentials or []:
            if isinstance(item, dict) and "key" in item:
                creds[item["key"]] = item.get("value")
        base = creds.get("BaseAddress")
        if not base:
            raise SyncApiError(400, "Request_BadRequest", "Test connection needs a BaseAddress (tenant URL).")
        self._check_base_address(base)
        try:
            self._test_connection(base, creds.get("SecretToken"))
        except TargetError as err:
            raise SyncApiError(400, "CredentialValidationUnavailable" if err.status is None else "Request_BadRequest",
                               "You appear to have entered invalid credentials. Test connection to PureCloud by Genesys "
                               f"failed: {err.message}") from err

    def _test_connection(self, base: str, token: str | None) -> None:
        with self.targets.client_for(base) as client:
            target = ScimTarget(client, base, token, sleep=self.runtime.clock.sleep, latency=0)
            target.test_connection("userName", self.ids.guid())

    # ------------------------------------------------------------ lifecycle
    def start(self, sp_id: str, job_id: str) -> None:
        job = self._job(sp_id, job_id)
        if not self._secret(sp_id, "BaseAddress"):
            raise SyncApiError(400, "Request_BadRequest",
                               "The job has no credentials: set BaseAddress and SecretToken with PUT .../synchronization/secrets first.")
        status = dict(job["status"])
        if status["code"] in ("NotConfigured", "Paused", "Quarantine"):
            status["code"] = "NotRun" if not job["initialDone"] else "Active"
        status["quarantine"] = None  # start clears quarantine (Graph docs)
        with self.runtime.store.transaction():
            self.t["jobs"].patch(job.doc_id, {"schedule": {"expiration": None, "interval": "PT40M", "state": "Active"},
                                              "status": status})
        self._schedule(job_id, self.runtime.clock.now())

    def pause(self, sp_id: str, job_id: str) -> None:
        job = self._job(sp_id, job_id)
        self._unschedule(job_id)
        status = dict(job["status"], code="Paused")
        self.t["jobs"].patch(job.doc_id, {"schedule": dict(job["schedule"], state="Paused"), "status": status})

    def restart(self, sp_id: str, job_id: str, reset_scope: Any) -> None:
        job = self._job(sp_id, job_id)
        scopes = self.parse_reset_scope(reset_scope)
        fields: dict[str, Any] = {}
        status = dict(job["status"])
        if "Watermark" in scopes or "Full" in scopes:
            fields.update(watermark=None, initialDone=False)
        if "Escrows" in scopes or "Full" in scopes:
            for e in self.t["escrows"].find_all("jobId", job_id):
                self.t["escrows"].delete(e.doc_id)
            status["escrowsPruned"] = False
        if "QuarantineState" in scopes or "Full" in scopes:
            status["quarantine"] = None
            status["countSuccessiveCompleteFailures"] = 0
            if status["code"] == "Quarantine":
                status["code"] = "Active" if job["initialDone"] else "NotRun"
        if "ConnectorDataStore" in scopes or "Full" in scopes:
            ConnectorCache(self.runtime.store, job_id).clear()
        if "ForceDeletes" in scopes:
            fields["forceDeletes"] = True
            if status["code"] == "Quarantine" and (status.get("quarantine") or {}).get("reason") == "TooManyDeletes":
                status["quarantine"] = None
                status["code"] = "Active"
        fields["status"] = status
        fields["schedule"] = dict(job["schedule"], state="Active", interval="PT40M")
        self.t["jobs"].patch(job.doc_id, fields)
        self._schedule(job_id, self.runtime.clock.now())

    @staticmethod
    def parse_reset_scope(raw: Any) -> set[str]:
        """``resetScope`` as a comma string, a list, or absent (= the portal's restart)."""
        if raw in (None, "", []):
            return {"Watermark", "Escrows", "QuarantineState"}
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, (list, tuple)):
            raise SyncApiError(400, "Request_BadRequest", "resetScope is a comma-separated string or a list")
        scopes = set()
        for item in items:
            name = str(item).strip()
            match = next((s for s in RESET_SCOPES if s.lower() == name.lower()), None)
            if match is None:
                raise SyncApiError(400, "Request_BadRequest",
                                   f"'{name}' is not a valid resetScope; valid values: {', '.join(RESET_SCOPES)}")
            scopes.add(match)
        scopes.discard("None")
        return scopes

    # ----------------------------------------------------------- scheduling
    def _unschedule(self, job_id: str) -> None:
        scheduled = self._scheduled.pop(job_id, None)
        if scheduled is not None:
            scheduled.cancel()

    def _schedule(self, job_id: str, at: datetime) -> None:
        self._unschedule(job_id)
        self._scheduled[job_id] = self.runtime.clock.schedule(at, lambda now, j=job_id: self._run_scheduled(j),
                                                             name=f"provisioning cycle {job_id}")

    def _run_scheduled(self, job_id: str) -> dict:
        self._scheduled.pop(job_id, None)
        job = self.t["jobs"].find("id", job_id)
        if job is None or job["schedule"]["state"] != "Active":
            return {"skipped": True}
        began = self.runtime.clock.now()
        result = self.run_cycle(job_id)
        job = self.t["jobs"].find("id", job_id)
        if job is not None and job["schedule"]["state"] == "Active":
            next_at = self._next_run(job, began)
            if next_at is not None:
                self._schedule(job_id, next_at)
        return {"jobId": job_id, **result}

    def _next_run(self, job: dict, began: datetime) -> datetime | None:
        quarantine = job["status"].get("quarantine")
        if quarantine and quarantine.get("nextAttempt"):
            return parse_datetime(quarantine["nextAttempt"])
        return max(began + CYCLE_INTERVAL, self.runtime.clock.now())

    def rehydrate(self) -> None:
        """Schedule the next cycle of every active job (after loading a state file)."""
        for _doc_id, job in self.t["jobs"].docs():
            if job["schedule"]["state"] == "Active":
                self._schedule(job["id"], self.runtime.clock.now())

    # ---------------------------------------------------------------- cycles
    def run_cycle(self, job_id: str, *, progress: Callable[[int, int], None] | None = None) -> dict:
        """Run one cycle of the job now; returns a summary (what ``clock/advance`` reports)."""
        job = self.t["jobs"].find("id", job_id)
        sp_id = job["servicePrincipalId"]
        sp = self._sp(sp_id)
        clock = self.runtime.clock
        began = clock.now()
        cycle_id = self.ids.guid()
        initial = not job["initialDone"] or not job["watermark"]
        base = self._secret(sp_id, "BaseAddress")
        token = self._secret(sp_id, "SecretToken")
        threshold_on = self.delete_threshold(job)
        self._emit_event("cycleStarted", {"jobId": job_id, "cycleId": cycle_id, "initial": initial, "at": isoformat(began)})
        emit = self._log_writer(job, sp, cycle_id)

        result: CycleResult | None = None
        quarantine_error: TargetError | None = None
        with self.targets.client_for(base) as client:
            target = ScimTarget(client, base, token, sleep=clock.sleep, latency=self.latency)
            ctx = self._context(job, sp, target, emit, progress=progress, threshold=threshold_on)
            try:
                if initial:
                    target.test_connection("userName", self.ids.guid())
                result = run_cycle(ctx, initial=initial, watermark=job["watermark"])
            except QuarantineSignal as signal:
                quarantine_error = signal.error
            except TargetError as err:
                if err.error_class == ErrorClass.QUARANTINE or initial:
                    quarantine_error = err
                else:
                    raise
        ended = clock.now()
        self._finish_cycle(job_id, cycle_id, began, ended, initial, result, quarantine_error)
        summary = {"cycleId": cycle_id, "initial": initial, "began": isoformat(began), "ended": isoformat(ended)}
        if result is not None:
            summary.update(imported=result.imported, exported=result.exported, failed=result.failed,
                           skipped=result.skipped, stagedDeletes=result.staged_deletes)
        if quarantine_error is not None:
            summary["quarantined"] = quarantine_error.code
        self.runtime.checkpoint()
        return summary

    def delete_threshold(self, job: dict) -> int | None:
        """The accidental-deletion threshold in force (None when the guard is off)."""
        settings = {s["name"]: s["value"] for s in job["synchronizationJobSettings"]}
        threshold = int(settings.get("QuarantineTooManyDeletesThreshold", DEFAULT_DELETE_THRESHOLD))
        notify = self.notification_settings(job["servicePrincipalId"])
        if notify.get("DeleteThresholdEnabled") is False:
            return None
        return int(notify["DeleteThresholdValue"]) if notify.get("DeleteThresholdValue") else threshold

    def _context(self, job: dict, sp: dict, target: ScimTarget, emit: Callable[[LogEntry], None], *,
                 progress: Callable[[int, int], None] | None = None, threshold: int | None = None) -> CycleContext:
        sp_id = job["servicePrincipalId"]
        base = self._secret(sp_id, "BaseAddress") or ""
        return CycleContext(
            job=job, service_principal=sp, source=self.source, target=target,
            mappings=self._mappings(job), cache=ConnectorCache(self.runtime.store, job["id"]), emit=emit,
            sync_all=str(self._secret(sp_id, "SyncAll") or "").lower() == "true",
            skip_out_of_scope_deletions=str(self._secret(sp_id, "SkipOutOfScopeDeletions") or "").lower() == "true",
            entra_quirks="aadoptscim062020" not in base.lower(),
            delete_threshold=threshold,
            force_deletes=bool(job.get("forceDeletes")),
            escrow=EscrowBook(self.runtime.store, self.runtime.clock, job["id"]),
            progress=progress,
        )

    # ------------------------------------------------------- provision on demand
    def provision_on_demand(self, sp_id: str, job_id: str, parameters: Any) -> dict:
        """Provision one user (or one group with at most 5 members) now, as the portal's
        "Provision on demand" does; returns Graph's stringKeyStringValuePair."""
        job = self._job(sp_id, job_id)
        if not isinstance(parameters, list) or not parameters or not isinstance(parameters[0], dict):
            raise SyncApiError(400, "Request_BadRequest", "parameters must be [{ruleId, subjects: [{objectId, objectTypeName}]}]")
        subjects = parameters[0].get("subjects") or []
        if len(subjects) != 1 or not isinstance(subjects[0], dict) or not subjects[0].get("objectId"):
            raise SyncApiError(400, "Request_BadRequest", "Provision on demand takes exactly one subject {objectId, objectTypeName}.")
        rule_id = parameters[0].get("ruleId")
        schema = job["schema"] or m.default_schema(job_id)
        if rule_id not in [r.get("id") for r in schema.get("synchronizationRules", [])]:
            raise SyncApiError(400, "Request_BadRequest", f"ruleId '{rule_id}' is not a synchronization rule of this job.")
        wait = self.on_demand_limit.hit(job_id)
        if wait is not None:
            raise SyncApiError(429, "TooManyRequests", f"Provision on demand allows 5 requests in 10 seconds; retry in {wait} s.",
                               retry_after=wait)
        object_id = subjects[0]["objectId"]
        kind = (subjects[0].get("objectTypeName") or "User").capitalize()
        if kind not in ("User", "Group"):
            raise SyncApiError(400, "Request_BadRequest", "objectTypeName is User or Group")
        if kind == "User" and self.source.user(object_id) is None or kind == "Group" and self.source.group(object_id) is None:
            raise SyncApiError(404, "Request_ResourceNotFound",
                               f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.")
        if kind == "Group" and len(self.source.member_ids(object_id)) > 5:
            raise SyncApiError(400, "Request_BadRequest", "Provision on demand supports groups with at most 5 members.")
        sp = self._sp(sp_id)
        base = self._secret(sp_id, "BaseAddress")
        if not base:
            raise SyncApiError(400, "Request_BadRequest", "The job has no credentials (BaseAddress, SecretToken).")
        entries: list[dict] = []
        clock = self.runtime.clock
        emit = self._log_writer(job, sp, self.ids.guid(), collect=entries,
                                initiated_by={"id": "", "displayName": "Provision on demand", "initiatorType": "user"})

        from . import cycle as c

        result = CycleResult(initial=False)
        with self.targets.client_for(base) as client:
            target = ScimTarget(client, base, self._secret(sp_id, "SecretToken"), sleep=clock.sleep, latency=self.latency)
            ctx = self._context(job, sp, target, emit)
            from .escrow import EscrowBook

            EscrowBook(self.runtime.store, clock, job_id).clear(object_id)  # on demand clears the backoff
            try:
                if kind == "User":
                    c._process_user(ctx, result, object_id, None)
                    c._resolve_manager(ctx, result, object_id)
                else:
                    for member_id, member_type in self.source.member_ids(object_id):
                        if member_type == "User":
                            c._process_user(ctx, result, member_id, None)
                    c._process_group(ctx, result, object_id, None)
                    c._resolve_members(ctx, result, object_id)
            except c.QuarantineSignal as signal:
                result.quarantine = signal.error
        main = next((e for e in entries if e["sourceIdentity"]["id"] == object_id), None)
        if main is None:
            outcome = {"result": "Skipped", "details": {"errorCode": "RedundantExport",
                       "errorMessage": "The object is already in the desired state in PureCloud by Genesys.",
                       "reportableIdentifier": object_id}}
            value = {"action": "Other", "changeId": self.ids.guid(), "provisioningSteps": [],
                     "statusInfo": {"status": "skipped"}, "sourceIdentity": {"id": object_id, "identityType": kind},
                     "modifiedProperties": []}
        else:
            status = main["provisioningStatusInfo"]["status"]
            err = main["provisioningStatusInfo"].get("errorInformation") or {}
            outcome = {"result": {"success": "Success", "failure": "Failure", "skipped": "Skipped", "warning": "Success"}[status],
                       "details": {"errorCode": err.get("errorCode"), "errorMessage": err.get("reason"),
                                   "reportableIdentifier": main["sourceIdentity"]["displayName"]}}
            value = {k: main[k] for k in ("changeId", "provisioningSteps", "modifiedProperties", "sourceIdentity",
                                          "targetIdentity", "sourceSystem", "targetSystem")}
            value["action"] = main["provisioningAction"].capitalize()
            value["statusInfo"] = main["provisioningStatusInfo"]
        self.runtime.checkpoint()
        return {"key": json.dumps(outcome, separators=(",", ":")), "value": json.dumps(value, separators=(",", ":"))}

    def _log_writer(self, job: dict, sp: dict, cycle_id: str, *, initiated_by: dict | None = None,
                    collect: list[dict] | None = None) -> Callable[[LogEntry], None]:
        """Stores each LogEntry as a provisioningObjectSummary; its duration is the time since the previous one."""
        clock = self.runtime.clock
        last = [clock.now()]

        def emit(entry: LogEntry) -> None:
            now = clock.now()
            duration = int((now - last[0]).total_seconds() * 1000)
            last[0] = now
            doc = entry.to_graph(entry_id=self.ids.guid(), at=isoformat(now, millis=True), job=job, cycle_id=cycle_id,
                                 change_id=self.ids.guid(), tenant_id=self.tenant_id, service_principal=sp,
                                 target_system=TARGET_SYSTEM, duration_ms=duration)
            if initiated_by is not None:
                doc["initiatedBy"] = dict(initiated_by)
            self.t["logs"].add(doc)
            if collect is not None:
                collect.append(doc)
            self._emit_event("log", doc)

        return emit

    def _execution(self, cycle_id: str, began: datetime, ended: datetime, result: CycleResult | None, error: dict | None) -> dict:
        state = "Succeeded"
        if error is not None or result is None:
            state = "Failed"
        elif result.failed or result.reference_failed:
            state = "EntryLevelErrors"
        return {
            "activityIdentifier": cycle_id,
            "countEntitled": result.entitled if result else 0,
            "countEntitledForProvisioning": result.entitled if result else 0,
            "countEscrowed": result.escrowed if result else 0,
            "countEscrowedRaw": (result.failed + result.reference_failed) if result else 0,
            "countExported": result.exported if result else 0,
            "countExports": result.exported if result else 0,
            "countImported": result.imported if result else 0,
            "countImportedDeltas": result.imported if result and not result.initial else 0,
            "countImportedReferenceDeltas": 0,
            "error": error,
            "state": state,
            "timeBegan": isoformat(began),
            "timeEnded": isoformat(ended),
        }

    def _finish_cycle(self, job_id: str, cycle_id: str, began: datetime, ended: datetime, initial: bool,
                      result: CycleResult | None, quarantine_error: TargetError | None) -> None:
        job = self.t["jobs"].find("id", job_id)
        status = copy.deepcopy(job["status"])
        fields: dict[str, Any] = {}
        error = None
        book = EscrowBook(self.runtime.store, self.runtime.clock, job_id)
        if quarantine_error is not None:
            error = {"code": quarantine_error.code, "message": quarantine_error.message, "tenantActionable": True}
            if quarantine_error.fault:
                error["message"] += f" (provsim fault rule {quarantine_error.fault})"
        execution = self._execution(cycle_id, began, ended, result, error)
        status["lastExecution"] = execution
        status["progress"] = [{"completedUnits": execution["countImported"], "totalUnits": execution["countImported"],
                               "units": "Objects", "progressObservationDateTime": isoformat(ended)}]
        was_quarantined = status["code"] == "Quarantine"
        escrow_rule = self._evaluate_escrow_rules(job, result, book) if result is not None else None
        complete_failure = result is not None and result.failed > 0 and result.exported == 0 and result.failed >= result.entitled
        if complete_failure:
            status["countSuccessiveCompleteFailures"] = status.get("countSuccessiveCompleteFailures", 0) + 1
        if quarantine_error is not None:
            self._quarantine(status, "EncounteredQuarantineException", error, ended, job=job)
            status["countSuccessiveCompleteFailures"] = status.get("countSuccessiveCompleteFailures", 0) + 1
        elif escrow_rule is not None:
            reason, rule_error = escrow_rule
            if initial:
                # In the initial cycle the threshold prunes escrows instead; the job then stops (reference §4).
                book.clear_all()
                status["escrowsPruned"] = True
            self._quarantine(status, reason, rule_error, ended, job=job)
            if result is not None:
                fields["watermark"] = result.watermark
                fields["initialDone"] = True
        elif result is not None and result.too_many_deletes:
            self._quarantine(status, "TooManyDeletes", {
                "code": "TooManyDeletes", "tenantActionable": True,
                "message": (f"The cycle would have disabled or deleted more objects than the accidental-deletion threshold "
                            f"allows; {result.staged_deletes} changes are staged. Review them and allow the deletes.")},
                ended, job=job)
            fields["watermark"] = job["watermark"] if not initial else None
        else:
            if not complete_failure:
                status["countSuccessiveCompleteFailures"] = 0
            if result is not None:
                fields["watermark"] = result.watermark
                fields["initialDone"] = True
                fields["forceDeletes"] = False
                if book.pruned:
                    status["escrowsPruned"] = True
                if execution["state"] in ("Succeeded", "EntryLevelErrors"):
                    if was_quarantined:
                        self._emit_event("quarantineEnded", {"jobId": job_id, "at": isoformat(ended)})
                    status["quarantine"] = None
                    status["code"] = "Active"
                if execution["state"] == "Succeeded":
                    status["lastSuccessfulExecution"] = execution
                    if result.exported:
                        status["lastSuccessfulExecutionWithExports"] = execution
                    if not result.exported and not initial:
                        if status["steadyStateFirstAchievedTime"] == ZERO_TIME:
                            status["steadyStateFirstAchievedTime"] = isoformat(ended)
                        status["steadyStateLastAchievedTime"] = isoformat(ended)
        schedule = dict(job["schedule"], interval="PT40M")
        quarantine = status.get("quarantine")
        if quarantine:
            limit = self.thresholds(job)["QuarantineMaximumDuration"]
            if ended - parse_datetime(quarantine["seriesBegan"]) > limit:
                # More than four weeks in quarantine: the job is disabled (reference §1).
                schedule["state"] = "Disabled"
                quarantine["nextAttempt"] = None
                self._unschedule(job_id)
                self._notify(job, "disabled", status)
        fields["status"] = status
        fields["schedule"] = schedule
        self.t["jobs"].patch(job.doc_id, fields)
        self._emit_event("cycleEnded", {"jobId": job_id, "cycleId": cycle_id, "status": status})

    def thresholds(self, job: dict) -> dict[str, Any]:
        """The quarantine rules in force: the documented defaults, each overridable per job through
        ``synchronizationJobSettings`` (provsim's names, docs/fidelity.md) so a small scenario can reach them."""
        settings = {s["name"]: s["value"] for s in job["synchronizationJobSettings"]}
        out: dict[str, Any] = {}
        for name, default in QUARANTINE_DEFAULTS.items():
            raw = settings.get(name, default)
            out[name] = parse_duration(str(raw)) if name == "QuarantineMaximumDuration" else float(raw)
        return out

    def _evaluate_escrow_rules(self, job: dict, result: CycleResult, book: EscrowBook) -> tuple[str, dict] | None:
        """Quarantine by escrow counts (reference §4): evaluation starts at a minimum of failures;
        more than 40% of the cycle's events failed, or more than 40,000 failures, quarantine (reference
        failures excluded from both); 60,000 failures in total (references included) always do."""
        rules = self.thresholds(job)
        objects, refs = book.counts()
        events = max(1, result.imported)
        if objects + refs > rules["QuarantineTotalEscrowThreshold"]:
            return "EncounteredTotalEscrowThreshold", {"code": "EncounteredTotalEscrowThreshold", "tenantActionable": True,
                "message": f"{objects + refs} failures are in escrow, more than the total limit of {int(rules['QuarantineTotalEscrowThreshold'])}."}
        if objects < rules["QuarantineEvaluationMinimumFailures"]:
            return None
        if result.failed / events * 100 > rules["QuarantineEscrowProportionThreshold"]:
            return "EncounteredEscrowProportionThreshold", {"code": "EncounteredEscrowProportionThreshold", "tenantActionable": True,
                "message": f"{result.failed} of {events} events of the cycle failed, more than "
                           f"{rules['QuarantineEscrowProportionThreshold']:g}%."}
        if objects > rules["QuarantineBaseEscrowThreshold"]:
            return "EncounteredBaseEscrowThreshold", {"code": "EncounteredBaseEscrowThreshold", "tenantActionable": True,
                "message": f"{objects} objects are in escrow, more than {int(rules['QuarantineBaseEscrowThreshold'])}."}
        return None

    def _quarantine(self, status: dict, reason: str, error: dict | None, now: datetime, *, job: dict) -> None:
        """Enter (or stay in) quarantine; while quarantined the job runs once a day (reference §4)."""
        previous = status.get("quarantine") or {}
        first = status["code"] != "Quarantine" or not previous
        changed = first or previous.get("reason") != reason
        status["code"] = "Quarantine"
        status["quarantine"] = {
            "currentBegan": isoformat(now) if changed else previous["currentBegan"],
            "nextAttempt": isoformat(now + timedelta(days=1)),
            "reason": reason,
            "seriesBegan": isoformat(now) if first else previous.get("seriesBegan", isoformat(now)),
            "seriesCount": 1 if first else int(previous.get("seriesCount", 0)) + 1,
            "error": error,
        }
        self._emit_event("quarantine", {"jobId": job["id"], "status": status, "changed": changed})
        if changed:
            # One e-mail when quarantine starts and another when its reason changes (reference §4).
            self._notify(job, "quarantine", status)

    def _notify(self, job: dict, kind: str, status: dict) -> None:
        if self.outbox is None:
            return
        settings = self.notification_settings(job["servicePrincipalId"])
        recipients = settings.get("Recipients") or ""
        if not settings.get("Enabled", bool(recipients)) or not recipients:
            return
        sp = self.lookup_sp(job["servicePrincipalId"]) or {}
        app = sp.get("displayName") or "PureCloud by Genesys"
        quarantine = status.get("quarantine") or {}
        error = quarantine.get("error") or {}
        now = self.runtime.clock.now()
        if kind == "disabled":
            subject = f"Provisioning for '{app}' was disabled after four weeks in quarantine"
            lead = (f"The provisioning job {job['id']} for the application '{app}' has been in quarantine since "
                    f"{quarantine.get('seriesBegan')} and was disabled. Fix the cause and restart provisioning.")
        else:
            subject = f"Provisioning for '{app}' is in quarantine ({quarantine.get('reason')})"
            lead = (f"The provisioning job {job['id']} for the application '{app}' was placed in quarantine at "
                    f"{quarantine.get('currentBegan')} because of {quarantine.get('reason')}.")
        body = "\n".join([
            lead, "",
            f"Error code:    {error.get('code') or '-'}",
            f"Error message: {error.get('message') or '-'}",
            f"Next attempt:  {quarantine.get('nextAttempt') or 'none (disabled)'}",
            f"Tenant:        {self.tenant_id}",
            "",
            "While the job is in quarantine, provisioning runs once a day. After four weeks in quarantine the job is "
            "disabled. Restart provisioning once the cause is fixed (Graph: POST .../synchronization/jobs/"
            f"{job['id']}/restart).",
            "",
            "This message was sent by the provsim simulator of the Microsoft Entra provisioning service.",
        ])
        for recipient in [r.strip() for r in recipients.replace(";", ",").split(",") if r.strip()]:
            msg = self.outbox.compose(to=recipient, subject=subject, body=body, at=now)
            self.outbox.send(msg, at=now, kind=kind)

    def _emit_event(self, event: str, data: dict) -> None:
        for listener in list(self.listeners):
            listener(event, data)

    def quarantine_on_demand(self, job_id: str, message: str = "") -> None:
        """What Microsoft does by hand: put a job in quarantine (reason QuarantinedOnDemand)."""
        job = self.t["jobs"].find("id", job_id)
        if job is None:
            raise SyncApiError(404, "Request_ResourceNotFound", f"The synchronization job '{job_id}' does not exist.")
        status = copy.deepcopy(job["status"])
        now = self.runtime.clock.now()
        self._quarantine(status, "QuarantinedOnDemand", {"code": "QuarantinedOnDemand", "tenantActionable": False,
                         "message": message or "Microsoft placed this job in quarantine."}, now, job=job)
        self.t["jobs"].patch(job.doc_id, {"status": status})
        if job["schedule"]["state"] == "Active":
            self._schedule(job_id, parse_datetime(status["quarantine"]["nextAttempt"]))

    # ------------------------------------------------------- provisioning logs
    def logs(self) -> list[dict]:
        """Every provisioning log entry, newest first (as the portal lists them)."""
        entries = [doc for _id, doc in self.t["logs"].docs()]
        return list(reversed(entries))
