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
import json
import logging
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import httpx

from simulator.core import Runtime, SlidingWindowLimiter

from . import logs as logs_module
from . import mappings as m
from . import quarantine
from .connector_store import ConnectorCache
from .errors import EngineError, SchemaError
from .escrow import EscrowBook
from .expressions import EXPRESSION_STREAM, Environment
from .job import INTERVAL, TEMPLATE_ID, Job, JobCode, Schedule, ScheduleState
from .job_settings import SettingError, check_secret
from .jobs import JobBook
from .notify import Notifier, Outbox
from .ondemand import provision_on_demand
from .runner import CYCLE_INTERVAL, CycleSummary, JobRunner
from .source import DirectorySource, ServicePrincipal
from .target import ScimTarget, TargetError

__all__ = ["ProvisioningService", "SyncApiError", "TEMPLATE_ID", "CYCLE_INTERVAL", "RESET_SCOPES", "TargetFactory"]

log = logging.getLogger(__name__)

RESET_SCOPES = ("None", "ConnectorDataStore", "Escrows", "Watermark", "QuarantineState", "Full", "ForceDeletes")
SECRET_KEYS = ("BaseAddress", "SecretToken", "SyncAll", "SkipOutOfScopeDeletions", "SyncNotificationSettings",
               "SyncAllFlag", "Domain", "ClientIdentifier", "ClientSecret", "UserName", "Password", "AppKey",
               "InstanceName", "Server", "Port", "TenantId", "ApplicationTemplateIdentifier", "Url")
#: What Graph answers when a service principal id is unknown.
_NO_SP = "Resource '{}' does not exist or one of its queried reference-property objects are not present."
#: The portal's Test Connection failure code (what the admin center shows when the target refuses).
CREDENTIAL_VALIDATION_FAILURE = "SystemForCrossDomainIdentityManagementCredentialValidationFailure"


class SyncApiError(EngineError):
    """A request the synchronization API refuses, with Graph's code and status."""

    def __init__(self, status: int, code: str, message: str, *, retry_after: int | None = None,
                 details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        #: every problem, as OData error details ({code, message, target}); a refused schema names each element
        self.details = list(details or [])


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
            from simulator.client.transport import InProcessTransport

            transport = InProcessTransport(app=self.wsgi_app)
        else:
            from simulator.client.transport import default_ssl_context

            transport = httpx.HTTPTransport(retries=0, verify=default_ssl_context())
        if self.transport_wrapper is not None:
            transport = self.transport_wrapper(transport)
        return transport


class ProvisioningService:
    """Every synchronization job of the tenant, as the synchronization API sees them."""

    def __init__(self, runtime: Runtime, source: DirectorySource, targets: TargetFactory, *,
                 service_principal: Callable[[str], Mapping[str, Any] | None], tenant_id: str,
                 outbox: Outbox | None = None) -> None:
        self.runtime = runtime
        self.source = source
        self.targets = targets
        self.lookup_sp = service_principal
        self.ids = runtime.ids.stream("engine")
        self.jobs = JobBook(runtime.store, Environment(now=runtime.clock.now,
                                                       random=runtime.ids.stream(EXPRESSION_STREAM)))
        self.t = self.jobs.t
        self.on_demand_limit = SlidingWindowLimiter(runtime.clock, 5, timedelta(seconds=10))
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []  # (event, data): cycle start/end, quarantine, log
        self.outbox = outbox
        self.runner = JobRunner(runtime, self.jobs, source, targets, service_principal=self.service_principal,
                                tenant_id=tenant_id, listeners=self.listeners,
                                notifier=Notifier(outbox, settings=lambda sp_id: self.jobs.job_secrets(sp_id).notifications,
                                                  service_principal=self.service_principal, tenant_id=tenant_id))

    def service_principal(self, sp_id: str) -> ServicePrincipal | None:
        doc = self.lookup_sp(sp_id)
        return ServicePrincipal.of(doc) if doc is not None else None

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

    def health(self) -> dict[str, object]:
        return self.runner.health()

    # ------------------------------------------------------------------ jobs
    def _sp(self, sp_id: str) -> ServicePrincipal:
        sp = self.service_principal(sp_id)
        if sp is None:
            raise SyncApiError(404, "Request_ResourceNotFound", _NO_SP.format(sp_id))
        return sp

    def templates(self, sp_id: str) -> list[dict[str, Any]]:
        sp = self._sp(sp_id)
        return [{
            "id": TEMPLATE_ID, "applicationId": sp.app_id, "default": True,
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
        job = Job(id=f"{TEMPLATE_ID}.{self.ids.hex(16)}.{self.ids.hex(16)}", service_principal_id=sp.id,
                  template_id=template_id)
        with self.runtime.store.transaction():
            self.jobs.add(job)
        return self.job_view(job.id)

    def _job(self, sp_id: str, job_id: str) -> Job:
        self._sp(sp_id)
        job = self.jobs.get(job_id)
        if job is None or job.service_principal_id != sp_id:
            raise SyncApiError(404, "Request_ResourceNotFound", f"The synchronization job '{job_id}' does not exist.")
        return job

    def list_jobs(self, sp_id: str) -> list[dict[str, Any]]:
        self._sp(sp_id)
        return [self._view(job) for job in self.jobs.of(sp_id)]

    def _view(self, job: Job) -> dict[str, Any]:
        return job.to_graph(ConnectorCache(self.runtime.store, job.id).counts())

    def job_view(self, job_id: str) -> dict[str, Any]:
        """The synchronizationJob as Graph returns it."""
        job = self.jobs.get(job_id)
        if job is None:
            raise SyncApiError(404, "Request_ResourceNotFound", f"The synchronization job '{job_id}' does not exist.")
        return self._view(job)

    def get_job(self, sp_id: str, job_id: str) -> dict[str, Any]:
        return self._view(self._job(sp_id, job_id))

    def delete_job(self, sp_id: str, job_id: str) -> None:
        self._job(sp_id, job_id)
        self.runner.unschedule(job_id, record=False)
        with self.runtime.store.transaction():
            ConnectorCache(self.runtime.store, job_id).clear()
            EscrowBook(self.runtime.store, self.runtime.clock, job_id).clear_all()
            self.jobs.delete(job_id)

    def update_settings(self, sp_id: str, job_id: str, settings: Any) -> None:
        """``PATCH …/jobs/{id}`` with ``synchronizationJobSettings``: every value is parsed here, so a bad
        one is refused naming the setting, and nothing is saved (simulator.engine.job_settings)."""
        job = self._job(sp_id, job_id)
        if not isinstance(settings, list) or not all(isinstance(item, dict) and "name" in item for item in settings):
            raise SyncApiError(400, "Request_BadRequest", "synchronizationJobSettings items are {name, value}")
        try:
            updated = job.with_settings(settings)
        except SettingError as err:
            raise SyncApiError(400, "Request_BadRequest",
                               f"Invalid value for the synchronization job setting {err.message}") from err
        with self.runtime.store.transaction():
            self.jobs.save(updated)

    # --------------------------------------------------------------- secrets
    def put_secrets(self, sp_id: str, values: Any) -> None:
        self._sp(sp_id)
        if not isinstance(values, list) or not all(isinstance(v, dict) and "key" in v for v in values):
            raise SyncApiError(400, "Request_BadRequest", "secrets are a list of {key, value} pairs")
        merged = dict(self.jobs.secrets(sp_id))
        for item in values:
            key = item["key"]
            if key not in SECRET_KEYS:
                raise SyncApiError(400, "Request_BadRequest", f"'{key}' is not a synchronization secret key")
            value = item.get("value")
            if value is not None and not isinstance(value, str):  # synchronizationSecretKeyStringValuePair: a String
                raise SyncApiError(400, "Request_BadRequest", f"The value of '{key}' must be a string")
            if key == "BaseAddress" and value:
                self._check_base_address(value)
            try:
                check_secret(key, value)
            except SettingError as err:
                raise SyncApiError(400, "Request_BadRequest", f"Invalid value for the secret {err.message}") from err
            merged[key] = value
        with self.runtime.store.transaction():
            self.jobs.put_secrets(sp_id, merged.items())
            for job in self.jobs.of(sp_id):
                if job.status.code is JobCode.NOT_CONFIGURED and merged.get("BaseAddress"):
                    self.jobs.save(replace(job, status=replace(job.status, code=JobCode.NOT_RUN)))

    @staticmethod
    def _check_base_address(value: str) -> None:
        try:
            url = httpx.URL(value)
        except (httpx.InvalidURL, TypeError) as err:
            raise SyncApiError(400, "Request_BadRequest", f"BaseAddress is not a URL: {err}") from err
        if url.scheme not in ("http", "https") or not url.host:
            raise SyncApiError(400, "Request_BadRequest",
                               f"BaseAddress must be an http(s) URL such as https://api.mypurecloud.com/api/v2/scim/v2, got {value!r}")

    def secrets(self, sp_id: str) -> list[dict[str, str | None]]:
        """The stored secrets as Graph's ``[{key, value}]`` (the view hides what Graph hides)."""
        return [{"key": key, "value": value} for key, value in self.jobs.secrets(sp_id)]

    # ---------------------------------------------------------------- schema
    def get_schema(self, sp_id: str, job_id: str) -> dict[str, Any]:
        return copy.deepcopy(dict(self.jobs.schema(self._job(sp_id, job_id))))

    def put_schema(self, sp_id: str, job_id: str, schema: Any) -> None:
        """Save the job's schema.  A changed schema (mappings, scoping filters) restarts provisioning
        automatically, as Microsoft documents: escrows, quarantine and the watermark are cleared and
        the next cycle is an initial one (L:application-provisioning-quarantine-status)."""
        job = self._job(sp_id, job_id)
        if not isinstance(schema, dict):
            raise SyncApiError(400, "Request_BadRequest", "the schema must be a JSON object")
        try:
            m.compile_mappings(schema)
        except SchemaError as err:
            raise SyncApiError(400, "Request_BadRequest", str(err), details=m.problem_details(err.problems)) from err
        changed = json.dumps(schema, sort_keys=True) != json.dumps(self.jobs.schema(job), sort_keys=True)
        with self.runtime.store.transaction():
            job = replace(job, schema=copy.deepcopy(schema))
            if changed:
                job = self._restart(job, {"Watermark", "Escrows", "QuarantineState"})
            self.jobs.save(job)
        if changed and job.schedule.active:
            self.runner.schedule(job_id, self.runtime.clock.now())

    # ------------------------------------------------------- test connection
    def validate_credentials(self, sp_id: str, job_id: str | None, *, use_saved: bool, credentials: Any) -> None:
        if job_id is not None:
            self._job(sp_id, job_id)
        else:
            self._sp(sp_id)
        creds: dict[str, str | None] = dict(self.jobs.secrets(sp_id)) if use_saved else {}
        for item in credentials or []:
            if isinstance(item, dict) and "key" in item:
                creds[str(item["key"])] = item.get("value")
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
            raise SyncApiError(400, CREDENTIAL_VALIDATION_FAILURE, _test_connection_message(err)) from err

    # ------------------------------------------------------------ lifecycle
    def start(self, sp_id: str, job_id: str) -> None:
        job = self._job(sp_id, job_id)
        if not self.jobs.job_secrets(sp_id).base_address:
            raise SyncApiError(400, "Request_BadRequest",
                               "The job has no credentials: set BaseAddress and SecretToken with PUT .../synchronization/secrets first.")
        status = job.status
        if status.code in (JobCode.NOT_CONFIGURED, JobCode.PAUSED, JobCode.QUARANTINE):
            status = replace(status, code=JobCode.ACTIVE if job.initial_done else JobCode.NOT_RUN)
        status = replace(status, quarantine=None)  # start clears quarantine (Graph docs)
        with self.runtime.store.transaction():
            self.jobs.save(replace(job, schedule=Schedule(ScheduleState.ACTIVE, INTERVAL), status=status))
        self.runner.schedule(job_id, self.runtime.clock.now())

    def pause(self, sp_id: str, job_id: str) -> None:
        self._job(sp_id, job_id)
        self.runner.unschedule(job_id)
        job = self._job(sp_id, job_id)
        self.jobs.save(replace(job, schedule=replace(job.schedule, state=ScheduleState.PAUSED),
                               status=replace(job.status, code=JobCode.PAUSED)))

    def restart(self, sp_id: str, job_id: str, reset_scope: Any) -> None:
        job = self._restart(self._job(sp_id, job_id), self.parse_reset_scope(reset_scope))
        job = replace(job, schedule=replace(job.schedule, state=ScheduleState.ACTIVE, interval=INTERVAL))
        self.jobs.save(job)
        self.runner.schedule(job_id, self.runtime.clock.now())

    def _restart(self, job: Job, scopes: set[str]) -> Job:
        """The job after a restart with ``scopes`` (escrows and links are cleared in the store)."""
        status, initial_done = job.status, job.initial_done
        cache = ConnectorCache(self.runtime.store, job.id)
        if "Watermark" in scopes or "Full" in scopes:
            job = replace(job, watermark=None, initial_done=False)
        if "Escrows" in scopes or "Full" in scopes:
            EscrowBook(self.runtime.store, self.runtime.clock, job.id).clear_all()
            status = replace(status, escrows_pruned=False)
        if "QuarantineState" in scopes or "Full" in scopes:
            status, _was = quarantine.leave(status, initial_done=initial_done)
            status = replace(status, count_successive_complete_failures=0)
        if "ConnectorDataStore" in scopes or "Full" in scopes:
            cache.clear()
        if "ForceDeletes" in scopes:
            job = replace(job, force_deletes=True)
            if status.quarantined and status.quarantine is not None and status.quarantine.reason == "TooManyDeletes":
                status = replace(status, quarantine=None, code=JobCode.ACTIVE)
        # The portal's object counts are recalculated only by a restart ("Check the status of user provisioning" (Microsoft Learn)).
        cache.recount()
        return replace(job, status=status)

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

    def run_cycle(self, job_id: str, *, progress: Callable[[int, int], None] | None = None) -> CycleSummary:
        """Run one cycle of the job now, outside its schedule (the runner's)."""
        return self.runner.run_cycle(job_id, progress=progress)

    def quarantine_on_demand(self, job_id: str, message: str = "") -> None:
        """What Microsoft does by hand: put a job in quarantine (reason QuarantinedOnDemand)."""
        if self.jobs.get(job_id) is None:
            raise SyncApiError(404, "Request_ResourceNotFound", f"The synchronization job '{job_id}' does not exist.")
        self.runner.quarantine_on_demand(job_id, message)

    # ------------------------------------------------------- provision on demand
    def provision_on_demand(self, sp_id: str, job_id: str, parameters: Any) -> dict[str, str]:
        """Provision one user (or one group with at most 5 members) now, as the portal's
        "Provision on demand" does; returns Graph's stringKeyStringValuePair."""
        job = self._job(sp_id, job_id)
        if not isinstance(parameters, list) or not parameters or not isinstance(parameters[0], dict):
            raise SyncApiError(400, "Request_BadRequest", "parameters must be [{ruleId, subjects: [{objectId, objectTypeName}]}]")
        subjects = parameters[0].get("subjects") or []
        if len(subjects) != 1 or not isinstance(subjects[0], dict) or not subjects[0].get("objectId"):
            raise SyncApiError(400, "Request_BadRequest", "Provision on demand takes exactly one subject {objectId, objectTypeName}.")
        rule_id = parameters[0].get("ruleId")
        if rule_id not in [r.get("id") for r in self.jobs.schema(job).get("synchronizationRules", [])]:
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
            raise SyncApiError(404, "Request_ResourceNotFound", _NO_SP.format(object_id))
        if kind == "Group" and len(self.source.member_ids(object_id)) > 5:
            raise SyncApiError(400, "Request_BadRequest", "Provision on demand supports groups with at most 5 members.")
        sp = self._sp(sp_id)
        if not self.jobs.job_secrets(sp_id).base_address:
            raise SyncApiError(400, "Request_BadRequest", "The job has no credentials (BaseAddress, SecretToken).")
        answer = provision_on_demand(self.runner, job, sp, object_id, kind)
        self.runtime.checkpoint()
        return answer

    # ------------------------------------------------------- provisioning logs
    def logs(self) -> list[dict[str, Any]]:
        """Every provisioning log entry of the last 30 days, newest first (as the portal lists them)."""
        now = self.runtime.clock.now()
        entries = [doc for _id, doc in self.t["logs"].docs() if logs_module.retained(doc, now)]
        return list(reversed(entries))


def _test_connection_message(err: TargetError) -> str:
    """The portal's Test Connection failure text, then provsim's readable cause.

    The admin center shows, for a refused token: "While attempting to validate our authorization to
    access your application, we received this unexpected response: Received response from Web
    resource. Resource: …/Users?filter=… Operation: GET Response Status Code: Unauthorized …"."""
    if err.status is None:
        received = f"We could not reach your application: {err.message}"
    else:
        received = (f"Received response from Web resource. Resource: {err.url} Operation: {err.method or 'GET'} "
                    f"Response Status Code: {_status_name(err.status)}")
    return (f"While attempting to validate our authorization to access your application, we received this unexpected "
            f"response: {received} (provsim: Test connection to PureCloud by Genesys failed: {err.message})")


def _status_name(status: int) -> str:
    """The .NET HttpStatusCode name the portal prints (``Unauthorized``, ``NotFound``, ...)."""
    try:
        return "".join(word.capitalize() for word in HTTPStatus(status).phrase.replace("-", " ").split())
    except ValueError:
        return str(status)
