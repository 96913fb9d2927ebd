"""The job runner: schedule -> run -> record -> reschedule, for every job of the tenant.

Each active job has one entry on the runtime's clock (``provisioning cycle <jobId>``).  When it
falls due the runner runs the job's cycle, records its outcome in the job's
``synchronizationStatus`` (execution, escrows, quarantine, steady state), sends the notification
e-mail a quarantine calls for, and schedules the next cycle: 40 minutes after this one began, or
at the quarantine's ``nextAttempt``.  The reschedule is in ``finally``: whatever happens inside a
cycle, the job stays on the schedule, and nothing raises out of the clock (``clock/advance`` never
answers 500 because of a job).  What did go wrong is kept for ``/_provsim/health``.

Each job's next due time is stored with the job (``nextCycle``), so a runtime resumed from a
state file continues the schedule (40 minutes after the last cycle, quarantine's next attempt)
instead of running every active job at once.
"""

from __future__ import annotations

import copy
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from simulator.core import Runtime, ScheduledJob, isoformat, parse_datetime

from . import quarantine
from .connector_store import ConnectorCache, tables
from .cycle import CycleContext, CycleResult, QuarantineSignal, run_cycle
from .escrow import EscrowBook
from .jobs import ZERO_TIME, JobBook
from .logs import LogEntry, LogWriter
from .notify import Notifier
from .source import DirectorySource
from .target import ErrorClass, ScimTarget, TargetError

__all__ = ["JobRunner", "CYCLE_INTERVAL"]

log = logging.getLogger(__name__)

CYCLE_INTERVAL = timedelta(minutes=40)
#: How many job-level failures ``health()`` keeps.
ERRORS_KEPT = 20


class JobRunner:
    """Runs the cycles of every synchronization job on the runtime's clock."""

    def __init__(self, runtime: Runtime, jobs: JobBook, source: DirectorySource, targets: Any, *,
                 service_principal: Callable[[str], dict[str, Any] | None], tenant_id: str, notifier: Notifier,
                 listeners: list[Callable[[str, dict[str, Any]], None]]) -> None:
        self.runtime = runtime
        self.jobs = jobs
        self.source = source
        self.targets = targets
        self.lookup_sp = service_principal
        self.tenant_id = tenant_id
        self.notifier = notifier
        self.listeners = listeners
        self.ids = runtime.ids.stream("engine")
        self.logs = tables(runtime.store)["logs"]
        #: virtual seconds each SCIM request costs (docs/fidelity.md, "Cycles and time")
        self.latency = 0.25
        self._scheduled: dict[str, ScheduledJob] = {}
        self.errors: deque[dict[str, Any]] = deque(maxlen=ERRORS_KEPT)
        self.cycles_run = 0

    # ------------------------------------------------------------------ events
    def emit(self, event: str, data: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            listener(event, data)

    # --------------------------------------------------------------- schedule
    def schedule(self, job_id: str, at: datetime, *, record: bool = True) -> None:
        """The job's next cycle runs at ``at`` (or now, if that is past)."""
        self.unschedule(job_id, record=False)
        at = max(at, self.runtime.clock.now())
        if record:
            self.jobs.patch(job_id, {"nextCycle": isoformat(at)})
        self._scheduled[job_id] = self.runtime.clock.schedule(at, lambda _now: self._tick(job_id),
                                                              name=f"provisioning cycle {job_id}")

    def unschedule(self, job_id: str, *, record: bool = True) -> None:
        scheduled = self._scheduled.pop(job_id, None)
        if scheduled is not None:
            scheduled.cancel()
        if record:
            self.jobs.patch(job_id, {"nextCycle": None})

    def rehydrate(self) -> None:
        """Schedule every active job where its schedule stood (after loading a state file or a snapshot):
        the stored next cycle, else the quarantine's next attempt, else now."""
        for job in self.jobs.all():
            if job["schedule"]["state"] != "Active":
                continue
            attempt = (job["status"].get("quarantine") or {}).get("nextAttempt")
            due = job.get("nextCycle") or attempt
            self.schedule(job["id"], parse_datetime(due) if due else self.runtime.clock.now(), record=due is None)

    def on_reset(self) -> None:
        """``/_provsim/reset``: the clock dropped every scheduled job; forget them and what went wrong."""
        self._scheduled.clear()
        self.errors.clear()
        self.cycles_run = 0

    def on_restore(self) -> None:
        """A snapshot was restored: the schedule follows the restored jobs."""
        for scheduled in self._scheduled.values():
            scheduled.cancel()
        self._scheduled.clear()
        self.rehydrate()

    def health(self) -> dict[str, Any]:
        """For ``/_provsim/health``: what is scheduled, how many cycles ran, what failed."""
        return {
            "scheduledCycles": [{"jobId": job_id, "due": isoformat(s.due)} for job_id, s in sorted(self._scheduled.items())],
            "cyclesRun": self.cycles_run,
            "errors": list(self.errors),
        }

    def _tick(self, job_id: str) -> dict[str, Any]:
        """The clock's callback: run the job's cycle; whatever happens, schedule the next one."""
        self._scheduled.pop(job_id, None)
        job = self.jobs.get(job_id)
        if job is None or job["schedule"]["state"] != "Active":
            return {"skipped": True}
        began = self.runtime.clock.now()
        summary: dict[str, Any] = {"jobId": job_id}
        try:
            summary.update(self.run_cycle(job_id))
        except Exception as err:  # the job boundary: a cycle that crashes is recorded, never fatal
            log.exception("provisioning cycle of %s failed", job_id)
            summary["error"] = self._record_error(job_id, began, err)
        finally:
            self._reschedule(job_id, began)
        return summary

    def _record_error(self, job_id: str, at: datetime, err: BaseException, cycle_id: str | None = None) -> str:
        text = f"{type(err).__name__}: {err}"
        self.errors.append({"at": isoformat(at), "jobId": job_id, "cycleId": cycle_id, "error": text})
        return text

    def _reschedule(self, job_id: str, began: datetime) -> None:
        job = self.jobs.get(job_id)
        if job is None or job["schedule"]["state"] != "Active":
            return
        now = self.runtime.clock.now()
        attempt = (job["status"].get("quarantine") or {}).get("nextAttempt")
        if job["status"].get("code") == "Quarantine" and attempt and parse_datetime(attempt) > now:
            self.schedule(job_id, parse_datetime(attempt))
        else:
            self.schedule(job_id, max(began + CYCLE_INTERVAL, now))

    # ------------------------------------------------------------------ cycles
    def context(self, job: dict[str, Any], sp: dict[str, Any], target: ScimTarget, emit: Callable[[LogEntry], None], *,
                progress: Callable[[int, int], None] | None = None,
                threshold: int | None = None, next_cycle: datetime | None = None) -> CycleContext:
        sp_id = job["servicePrincipalId"]
        base = self.jobs.secret(sp_id, "BaseAddress") or ""
        members, max_bytes = self.jobs.patch_limits(job)
        job_id = job["id"]
        return CycleContext(
            job=job, service_principal=sp, source=self.source, target=target,
            mappings=self.jobs.mappings(job), cache=ConnectorCache(self.runtime.store, job_id), emit=emit,
            sync_all=self.jobs.flag(sp_id, "SyncAll"),
            skip_out_of_scope_deletions=self.jobs.flag(sp_id, "SkipOutOfScopeDeletions"),
            entra_quirks="aadoptscim062020" not in base.lower(),
            rules=self.jobs.target_rules(job),
            delete_threshold=threshold,
            force_deletes=bool(job.get("forceDeletes")),
            escrow=EscrowBook(self.runtime.store, self.runtime.clock, job_id),
            progress=progress,
            next_cycle=next_cycle,
            members_per_patch=members,
            max_request_bytes=max_bytes,
            on_request_limit=lambda limit: self.jobs.patch(job_id, {"targetMaxRequestBytes": limit}),
        )

    def target(self, transport: httpx.BaseTransport, job: dict[str, Any]) -> ScimTarget:
        sp_id = job["servicePrincipalId"]
        return ScimTarget(transport, self.jobs.secret(sp_id, "BaseAddress") or "", self.jobs.secret(sp_id, "SecretToken"),
                          sleep=self.runtime.clock.sleep, latency=self.latency, timeout=self.targets.timeout,
                          name=self.jobs.target_rules(job).name)

    def log_writer(self, job: dict[str, Any], sp: dict[str, Any], cycle_id: str, **kwargs: Any) -> LogWriter:
        return LogWriter(table=self.logs, clock=self.runtime.clock, ids=self.ids, job=job, service_principal=sp,
                         cycle_id=cycle_id, tenant_id=self.tenant_id, on_entry=lambda doc: self.emit("log", doc), **kwargs)

    def run_cycle(self, job_id: str, *, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Run one cycle of the job now; returns a summary (what ``clock/advance`` reports)."""
        job = self.jobs.get(job_id)
        sp = self.lookup_sp(job["servicePrincipalId"])
        if sp is None:
            raise LookupError(f"the service principal {job['servicePrincipalId']} of job {job_id} no longer exists")
        clock = self.runtime.clock
        began = clock.now()
        cycle_id = self.ids.guid()
        initial = not job["initialDone"] or not job["watermark"]
        threshold = self.jobs.delete_threshold(job)
        self.emit("cycleStarted", {"jobId": job_id, "cycleId": cycle_id, "initial": initial, "at": isoformat(began)})
        writer = self.log_writer(job, sp, cycle_id)

        result, failure, crash = self._execute(job, sp, writer, cycle_id, began, initial, progress, threshold)
        ended = clock.now()
        if crash is not None:
            self._record_error(job_id, began, crash, cycle_id)
        self._finish(job_id, cycle_id, began, ended, initial, result, failure, crash)
        self.cycles_run += 1
        summary: dict[str, Any] = {"cycleId": cycle_id, "initial": initial, "began": isoformat(began), "ended": isoformat(ended)}
        if result is not None:
            summary.update(imported=result.imported, exported=result.exported, failed=result.failed,
                           skipped=result.skipped, stagedDeletes=result.staged_deletes)
        if failure is not None:
            summary["quarantined"] = failure.code
        if crash is not None:
            summary["error"] = f"{type(crash).__name__}: {crash}"
        self.runtime.checkpoint()
        return summary

    def _execute(self, job: dict[str, Any], sp: dict[str, Any], writer: LogWriter, cycle_id: str, began: datetime, initial: bool,
                 progress: Callable[[int, int], None] | None, threshold: int | None) -> tuple[CycleResult | None, TargetError | None, BaseException | None]:
        """The cycle itself, inside its boundary: (result, a failure that quarantines, a crash)."""
        base = self.jobs.secret(job["servicePrincipalId"], "BaseAddress") or ""
        with self.targets.transport_for(base) as transport:
            target = self.target(transport, job)
            ctx = self.context(job, sp, target, writer, progress=progress, threshold=threshold,
                               next_cycle=began + CYCLE_INTERVAL)
            try:
                if initial:
                    target.test_connection("userName", self.ids.guid())
                return run_cycle(ctx, initial=initial, watermark=job["watermark"]), None, None
            except QuarantineSignal as signal:
                return None, signal.error, None
            except TargetError as err:
                if err.error_class == ErrorClass.QUARANTINE or initial:
                    return None, err, None
                return None, None, err
            except Exception as err:  # the cycle boundary: recorded as a failed execution, the job carries on
                log.exception("provisioning cycle %s of %s failed", cycle_id, job["id"])
                return None, None, err

    @staticmethod
    def _execution(cycle_id: str, began: datetime, ended: datetime, result: CycleResult | None, error: dict[str, Any] | None) -> dict[str, Any]:
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

    def _finish(self, job_id: str, cycle_id: str, began: datetime, ended: datetime, initial: bool,
                result: CycleResult | None, failure: TargetError | None, crash: BaseException | None) -> None:
        """Record the cycle in the job's status and apply the quarantine rules (reference §4)."""
        job = self.jobs.get(job_id)
        status = copy.deepcopy(job["status"])
        rules = self.jobs.quarantine_rules(job)
        book = EscrowBook(self.runtime.store, self.runtime.clock, job_id)
        fields: dict[str, Any] = {}
        error: dict[str, Any] | None = None
        if failure is not None:
            error = {"code": failure.code, "message": failure.message, "tenantActionable": True}
            if failure.fault:
                error["message"] += f" (provsim fault rule {failure.fault})"
        elif crash is not None:
            error = {"code": "InternalError", "tenantActionable": False,
                     "message": f"The provisioning service failed while running the cycle: {type(crash).__name__}: {crash}"}
        execution = self._execution(cycle_id, began, ended, result, error)
        status["lastExecution"] = execution
        status["progress"] = [{"completedUnits": execution["countImported"], "totalUnits": execution["countImported"],
                               "units": "Objects", "progressObservationDateTime": isoformat(ended)}]
        complete_failure = result is not None and result.failed > 0 and result.exported == 0 and result.failed >= result.entitled
        if complete_failure:
            status["countSuccessiveCompleteFailures"] = status.get("countSuccessiveCompleteFailures", 0) + 1

        verdict: quarantine.Verdict | None = None
        fault: str | None = None
        if failure is not None:
            verdict, fault = quarantine.credentials_verdict(failure.code, failure.message), failure.fault
            status["countSuccessiveCompleteFailures"] = status.get("countSuccessiveCompleteFailures", 0) + 1
        elif result is not None:
            objects, refs = book.counts()
            verdict = quarantine.escrow_verdict(rules, objects=objects, references=refs, failed=result.failed,
                                                events=result.imported)
            if verdict is not None and initial:
                # In the initial cycle the threshold prunes escrows instead; the job then stops (reference §4).
                book.clear_all()
                status["escrowsPruned"] = True
            if verdict is None:
                verdict = quarantine.outage_verdict(rules, touched=result.touched, service_failed=result.service_failed,
                                                    codes=result.service_codes)
                fault = result.service_fault if verdict is not None else None
            if verdict is None and result.too_many_deletes:
                verdict = quarantine.too_many_deletes_verdict(result.staged_deletes, self.jobs.delete_threshold(job))
                fields["watermark"] = job["watermark"] if not initial else None  # the staged changes come again
            else:
                fields["watermark"] = result.watermark
                fields["initialDone"] = True
        if verdict is not None:
            changed = quarantine.enter(status, verdict, ended, fault=fault)
            self.emit("quarantine", {"jobId": job_id, "status": status, "changed": changed})
            if changed:
                # One e-mail when quarantine starts and another when its reason changes (reference §4).
                self.notifier.send(job, "quarantine", status, at=self.runtime.clock.now())
        else:
            if crash is None and not complete_failure:
                status["countSuccessiveCompleteFailures"] = 0
            if result is not None:
                fields["forceDeletes"] = False
                if book.pruned:
                    status["escrowsPruned"] = True
                if quarantine.leave(status, initial_done=True):
                    self.emit("quarantineEnded", {"jobId": job_id, "at": isoformat(ended)})
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
        if quarantine.expired(status, ended, rules):
            # More than four weeks in quarantine: the job is disabled (reference §1).
            schedule["state"] = "Disabled"
            status["quarantine"]["nextAttempt"] = None
            self.unschedule(job_id)
            self.notifier.send(job, "disabled", status, at=self.runtime.clock.now())
        fields["status"] = status
        fields["schedule"] = schedule
        self.jobs.patch(job_id, fields)
        self.emit("cycleEnded", {"jobId": job_id, "cycleId": cycle_id, "status": status})

    # ------------------------------------------------------------- quarantine
    def quarantine_on_demand(self, job_id: str, message: str = "") -> None:
        """What Microsoft does by hand: put a job in quarantine (reason QuarantinedOnDemand)."""
        job = self.jobs.get(job_id)
        status = copy.deepcopy(job["status"])
        now = self.runtime.clock.now()
        changed = quarantine.enter(status, quarantine.on_demand_verdict(message), now)
        self.emit("quarantine", {"jobId": job_id, "status": status, "changed": changed})
        if changed:
            self.notifier.send(job, "quarantine", status, at=now)
        self.jobs.patch(job_id, {"status": status})
        if job["schedule"]["state"] == "Active":
            self.schedule(job_id, parse_datetime(status["quarantine"]["nextAttempt"]))
