"""The provisioning service's face: what Graph's synchronization API drives.

``/servicePrincipals/{id}/synchronization``: jobs created from the PureCloud gallery
template, secrets (tenant URL, secret token, SyncAll, SkipOutOfScopeDeletions,
notification settings), start, pause, restart with a resetScope, schema get/put,
validateCredentials, provisionOnDemand, job status, provisioning logs.

A thin facade: requests are validated here and turned into job documents
(:mod:`~simulator.engine.jobs`); the cycles themselves, their schedule, their
outcome and quarantine belong to the job runner (:mod:`~simulator.engine.runner`,
:mod:`~simulator.engine.quarantine`), provision on demand to
:mod:`~simulator.engine.ondemand`.

No Flask here: the Graph blueprint (``simulator.graph.views.synchronization``) calls
these methods and renders their results and errors.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from simulator.core import Runtime, SlidingWindowLimiter

from . import mappings as m
from . import quarantine
from .connector_store import ConnectorCache
from .errors import EngineError, SchemaError
from .escrow import EscrowBook
from .jobs import DEFAULT_DELETE_THRESHOLD, NEVER, TEMPLATE_ID, JobBook, fresh_status
from .notify import Notifier, Outbox
from .ondemand import provision_on_demand
from .runner import CYCLE_INTERVAL, JobRunner
from .source import DirectorySource
from .target import ScimTarget, TargetError
from .target_profile import PROFILE_SETTING, parse_profile

__all__ = ["ProvisioningService", "SyncApiError", "TEMPLATE_ID", "CYCLE_INTERVAL", "RESET_SCOPES", "TargetFactory"]

log = logging.getLogger(__name__)

RESET_SCOPES = ("None", "ConnectorDataStore", "Escrows", "Watermark", "QuarantineState", "Full", "ForceDeletes")
SECRET_KEYS = ("BaseAddress", "SecretToken", "SyncAll", "SkipOutOfScopeDeletions", "SyncNotificationSettings",
               "SyncAllFlag", "Domain", "ClientIdentifier", "ClientSecret", "UserName", "Password", "AppKey",
               "InstanceName", "Server", "Port", "TenantId", "ApplicationTemplateIdentifier", "Url")
#: Job settings that must be positive integers (the deletion threshold, provsim's group PATCH limits).
_INTEGER_SETTINGS = ("QuarantineTooManyDeletesThreshold", "MaxMembersPerPatch", "TargetMaxRequestBytes")


class SyncApiError(EngineError):
    """A request the synchronization API refuses, with Graph's code and status."""

    def __init__(self, status: int, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}


@dataclass
class TargetFactory:
    """Builds the httpx transport a job uses for its tenant URL.

    Tenant URLs on an in-process host go straight to the Genesys fake through
    ``WSGITransport`` (no socket); tenant URLs on a host of ``routes`` go through that
    host's own transport (a user's SCIM server run in-process: ``simulator.conformance``
    with a WSGI or ASGI app); any other URL is a real HTTP call (the proxy, another
    provsim, a real org, the user's server).
    """

    in_process_hosts: Container[str]  # the app's InProcessHosts (it learns hosts as it is called), or a tuple
    wsgi_app: Any = None
    transport_wrapper: Callable[[httpx.BaseTransport], httpx.BaseTransport] | None = None
    timeout: float = 30.0
    #: ``host`` or ``host:port`` -> a callable giving the transport to the server on that host
    routes: dict[str, Callable[[], httpx.BaseTransport]] = field(default_factory=dict)

    def _route(self, base_address: str) -> Any:
        url = httpx.URL(base_address)
        return self.routes.get(f"{url.host}:{url.port}") if url.port else self.routes.get(url.host)

    def is_in_process(self, base_address: str) -> bool:
        url = httpx.URL(base_address)
        return self.wsgi_app is not None and (url.host in self.in_process_hosts
                                              or f"{url.host}:{url.port}" in self.in_process_hosts)

    def transport_for(self, base_address: str) -> httpx.BaseTransport:
        """The transport for one cycle (or one test connection); close it after use (``with``)."""
        routed = self._route(base_address) if self.routes else None
        transport: httpx.BaseTransport
        if routed is not None:
            transport = routed()
        elif self.is_in_process(base_address):
            from simulator.transport import InProcessTransport

            transport = InProcessTransport(app=self.wsgi_app)
        else:
            transport = httpx.HTTPTransport(retries=0)
        if self.transport_wrapper is not None:
            transport = self.transport_wrapper(transport)
        return transport


class ProvisioningService:
    """Every synchronization job of the tenant, as the synchronization API sees them."""

    def __init__(self, runtime: Runtime, source: DirectorySource, targets: TargetFactory, *,
                 service_principal: Callable[[str], dict[str, Any] | None], tenant_id: str, outbox: Outbox | None = None) -> None:
        self.runtime = runtime
        self.source = source
        self.targets = targets
        self.lookup_sp = service_principal
        self.tenant_id = tenant_id
        self.ids = runtime.ids.stream("engine")
        self.jobs = JobBook(runtime.store)
        self.t = self.jobs.t
        self.on_demand_limit = SlidingWindowLimiter(runtime.clock, 5, timedelta(seconds=10))
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []  # (event, data): cycle start/end, quarantine, log
        self.outbox = outbox
        self.runner = JobRunner(runtime, self.jobs, source, targets, service_principal=service_principal,
                                tenant_id=tenant_id, listeners=self.listeners,
                                notifier=Notifier(outbox, settings=self.jobs.notification_settings,
                                                  service_principal=service_principal, tenant_id=tenant_id))

    @property
    def latency(self) -> float:
        """Virtual seconds each SCIM request costs (the runner's)."""
        return self.runner.latency

    @latency.setter
    def latency(self, value: float) -> None:
        self.runner.latency = value

    # ------------------------------------------------------------------ lifecycle of the simulator
    def rehydrate(self) -> None:
        """Schedule every active job where it stood (after loading a state file)."""
        self.runner.rehydrate()

    def on_reset(self) -> None:
        self.runner.on_reset()
        self.on_demand_limit = SlidingWindowLimiter(self.runtime.clock, 5, timedelta(seconds=10))

    def on_restore(self) -> None:
        self.runner.on_restore()

    def health(self) -> dict[str, Any]:
        return self.runner.health()

    # ------------------------------------------------------------------ jobs
    def _sp(self, sp_id: str) -> dict[str, Any]:
        sp = self.lookup_sp(sp_id)
        if sp is None:
            raise SyncApiError(404, "Request_ResourceNotFound",
                               f"Resource '{sp_id}' does not exist or one of its queried reference-property objects are not present.")
        return sp

    def templates(self, sp_id: str) -> list[dict[str, Any]]:
        sp = self._sp(sp_id)
        return [{
            "id": TEMPLATE_ID, "applicationId": sp.get("appId"), "default": True,
            "description": "Provision users and groups to PureCloud by Genesys (Genesys Cloud) over SCIM 2.0",
            "discoverable": True, "factoryTag": TEMPLATE_ID,
            "metadata": [{"key": "GalleryApplicationIdentifier", "value": "purecloudbygenesys"}],
            "schema": m.default_schema("template"),
        }]

    def create_job(self, sp_id: str, template_id: str | None) -> dict[str, Any]:
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
            "status": fresh_status("NotConfigured"),
            "synchronizationJobSettings": [
                {"name": "QuarantineTooManyDeletesThreshold", "value": str(DEFAULT_DELETE_THRESHOLD)},
                {"name": "AzureIngestionAttributeOptimization", "value": "False"},
            ],
            "schema": None,
            "watermark": None,
            "initialDone": False,
            "forceDeletes": False,
            "nextCycle": None,
        }
        with self.runtime.store.transaction():
            self.t["jobs"].add(job)
        return self.job_view(job_id)

    def _job(self, sp_id: str, job_id: str) -> Any:
        self._sp(sp_id)
        job = self.jobs.get(job_id)
        if job is None or job["servicePrincipalId"] != sp_id:
            raise SyncApiError(404, "Request_ResourceNotFound", f"The synchronization job '{job_id}' does not exist.")
        return job

    def list_jobs(self, sp_id: str) -> list[dict[str, Any]]:
        self._sp(sp_id)
        return [self.job_view(j["id"]) for j in self.t["jobs"].find_all("servicePrincipalId", sp_id)]

    def job_view(self, job_id: str) -> dict[str, Any]:
        """The synchronizationJob as Graph returns it."""
        job = self.jobs.get(job_id)
        counts = ConnectorCache(self.runtime.store, job_id).counts()
        status = copy.deepcopy(job["status"])
        status["synchronizedEntryCountByType"] = [
            {"key": f"{k} to {'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' if k == 'User' else 'Group'}", "value": v}
            for k, v in sorted(counts.items())]
        return {"id": job["id"], "templateId": job["templateId"], "schedule": dict(job["schedule"]), "status": status,
                "synchronizationJobSettings": list(job["synchronizationJobSettings"])}

    def get_job(self, sp_id: str, job_id: str) -> dict[str, Any]:
        self._job(sp_id, job_id)
        return self.job_view(job_id)

    def delete_job(self, sp_id: str, job_id: str) -> None:
        job = self._job(sp_id, job_id)
        self.runner.unschedule(job_id, record=False)
        with self.runtime.store.transaction():
            ConnectorCache(self.runtime.store, job_id).clear()
            EscrowBook(self.runtime.store, self.runtime.clock, job_id).clear_all()
            self.t["jobs"].delete(job.doc_id)

    def update_settings(self, sp_id: str, job_id: str, settings: list[dict[str, Any]]) -> None:
        job = self._job(sp_id, job_id)
        current = {s["name"]: s["value"] for s in job["synchronizationJobSettings"]}
        for item in settings:
            if not isinstance(item, dict) or "name" not in item:
                raise SyncApiError(400, "Request_BadRequest", "synchronizationJobSettings items are {name, value}")
            if item["name"] in _INTEGER_SETTINGS:
                try:
                    if int(item["value"]) < 1:
                        raise ValueError
                except (TypeError, ValueError):
                    raise SyncApiError(400, "Request_BadRequest", f"{item['name']} must be a positive integer") from None
            if item["name"] == PROFILE_SETTING:
                try:
                    item = {"name": PROFILE_SETTING, "value": parse_profile(item.get("value")).value}
                except ValueError as err:
                    raise SyncApiError(400, "Request_BadRequest", f"{PROFILE_SETTING}: {err}") from None
            current[item["name"]] = str(item.get("value"))
        self.t["jobs"].patch(job.doc_id, {"synchronizationJobSettings": [{"name": k, "value": v} for k, v in current.items()]})

    # --------------------------------------------------------------- secrets
    def put_secrets(self, sp_id: str, values: list[dict[str, Any]]) -> None:
        self._sp(sp_id)
        if not isinstance(values, list) or not all(isinstance(v, dict) and "key" in v for v in values):
            raise SyncApiError(400, "Request_BadRequest", "secrets are a list of {key, value} pairs")
        merged = {s["key"]: s["value"] for s in self.secrets(sp_id)}
        for item in values:
            key = item["key"]
            if key not in SECRET_KEYS:
                raise SyncApiError(400, "Request_BadRequest", f"'{key}' is not a synchronization secret key")
            value = item.get("value")
            if value is not None and not isinstance(value, str):  # synchronizationSecretKeyStringValuePair: a String
                raise SyncApiError(400, "Request_BadRequest", f"The value of '{key}' must be a string")
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

    def secrets(self, sp_id: str) -> list[dict[str, Any]]:
        return self.jobs.secrets(sp_id)

    def notification_settings(self, sp_id: str) -> dict[str, Any]:
        return self.jobs.notification_settings(sp_id)

    # ---------------------------------------------------------------- schema
    def get_schema(self, sp_id: str, job_id: str) -> dict[str, Any]:
        job = self._job(sp_id, job_id)
        return copy.deepcopy(job["schema"]) if job["schema"] else m.default_schema(job_id)

    def put_schema(self, sp_id: str, job_id: str, schema: dict[str, Any]) -> None:
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
        if self.jobs.get(job_id)["schedule"]["state"] == "Active":
            self.runner.schedule(job_id, self.runtime.clock.now())

    # ------------------------------------------------------- test connection
    def validate_credentials(self, sp_id: str, job_id: str | None, *, use_saved: bool, credentials: list[dict[str, Any]] | None) -> None:
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
            with self.targets.transport_for(base) as transport:
                target = ScimTarget(transport, base, creds.get("SecretToken"), sleep=self.runtime.clock.sleep, latency=0,
                                    timeout=self.targets.timeout)
                target.test_connection("userName", self.ids.guid())
        except TargetError as err:
            raise SyncApiError(400, "CredentialValidationUnavailable" if err.status is None else "Request_BadRequest",
                               "You appear to have entered invalid credentials. Test connection to PureCloud by Genesys "
                               f"failed: {err.message}") from err

    # ------------------------------------------------------------ lifecycle
    def start(self, sp_id: str, job_id: str) -> None:
        job = self._job(sp_id, job_id)
        if not self.jobs.secret(sp_id, "BaseAddress"):
            raise SyncApiError(400, "Request_BadRequest",
                               "The job has no credentials: set BaseAddress and SecretToken with PUT .../synchronization/secrets first.")
        status = dict(job["status"])
        if status["code"] in ("NotConfigured", "Paused", "Quarantine"):
            status["code"] = "NotRun" if not job["initialDone"] else "Active"
        status["quarantine"] = None  # start clears quarantine (Graph docs)
        with self.runtime.store.transaction():
            self.t["jobs"].patch(job.doc_id, {"schedule": {"expiration": None, "interval": "PT40M", "state": "Active"},
                                              "status": status})
        self.runner.schedule(job_id, self.runtime.clock.now())

    def pause(self, sp_id: str, job_id: str) -> None:
        job = self._job(sp_id, job_id)
        self.runner.unschedule(job_id)
        status = dict(job["status"], code="Paused")
        self.t["jobs"].patch(job.doc_id, {"schedule": dict(job["schedule"], state="Paused"), "status": status})

    def restart(self, sp_id: str, job_id: str, reset_scope: Any) -> None:
        job = self._job(sp_id, job_id)
        scopes = self.parse_reset_scope(reset_scope)
        fields: dict[str, Any] = {}
        status = dict(job["status"])
        cache = ConnectorCache(self.runtime.store, job_id)
        if "Watermark" in scopes or "Full" in scopes:
            fields.update(watermark=None, initialDone=False)
        if "Escrows" in scopes or "Full" in scopes:
            EscrowBook(self.runtime.store, self.runtime.clock, job_id).clear_all()
            status["escrowsPruned"] = False
        if "QuarantineState" in scopes or "Full" in scopes:
            quarantine.leave(status, initial_done=job["initialDone"])
            status["countSuccessiveCompleteFailures"] = 0
        if "ConnectorDataStore" in scopes or "Full" in scopes:
            cache.clear()
        if "ForceDeletes" in scopes:
            fields["forceDeletes"] = True
            if status["code"] == "Quarantine" and (status.get("quarantine") or {}).get("reason") == "TooManyDeletes":
                status["quarantine"] = None
                status["code"] = "Active"
        # The portal's object counts are recalculated only by a restart (reference §5).
        cache.recount()
        fields["status"] = status
        fields["schedule"] = dict(job["schedule"], state="Active", interval="PT40M")
        self.t["jobs"].patch(job.doc_id, fields)
        self.runner.schedule(job_id, self.runtime.clock.now())

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

    def run_cycle(self, job_id: str, *, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Run one cycle of the job now, outside its schedule (the runner's)."""
        return self.runner.run_cycle(job_id, progress=progress)

    def quarantine_on_demand(self, job_id: str, message: str = "") -> None:
        """What Microsoft does by hand: put a job in quarantine (reason QuarantinedOnDemand)."""
        if self.jobs.get(job_id) is None:
            raise SyncApiError(404, "Request_ResourceNotFound", f"The synchronization job '{job_id}' does not exist.")
        self.runner.quarantine_on_demand(job_id, message)

    # ------------------------------------------------------- provision on demand
    def provision_on_demand(self, sp_id: str, job_id: str, parameters: Any) -> dict[str, Any]:
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
        if not self.jobs.secret(sp_id, "BaseAddress"):
            raise SyncApiError(400, "Request_BadRequest", "The job has no credentials (BaseAddress, SecretToken).")
        answer = provision_on_demand(self.runner, job, sp, object_id, kind)
        self.runtime.checkpoint()
        return answer

    # ------------------------------------------------------- provisioning logs
    def logs(self) -> list[dict[str, Any]]:
        """Every provisioning log entry, newest first (as the portal lists them)."""
        entries = [doc for _id, doc in self.t["logs"].docs()]
        return list(reversed(entries))
