"""The job runner: schedule -> run -> record -> reschedule, for every job of the tenant.

Each active job has one entry on the runtime's clock (``provisioning cycle <jobId>``).  When it
falls due the runner runs the job's cycle, asks :func:`~simulator.engine.quarantine.decide` for the
judgement and records it in the job's :class:`~simulator.engine.job.JobStatus` (execution,
escrows, quarantine, steady state), sends the notification e-mail a quarantine calls for, and
schedules the next cycle: 40 minutes after this one began, or at the quarantine's ``nextAttempt``.
The reschedule is in ``finally``: whatever happens inside a cycle, the job stays on the schedule,
and nothing raises out of the clock (``clock/advance`` never answers 500 because of a job).  What
did go wrong is kept for ``/_provsim/health``.

Each job's next due time is stored with the job (``nextCycle``, to the microsecond), so a runtime
resumed from a state file continues the schedule (40 minutes after the last cycle, quarantine's
next attempt) instead of running every active job at once.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from simulator.core import Runtime, ScheduledJob, isoformat

from . import logs, quarantine
from .connector_store import ConnectorCache, tables
from .cycle import CycleContext, CycleResult, QuarantineSignal, run_cycle
from .escrow import EscrowBook
from .job import INTERVAL, ErrorInfo, ExecutionState, Job, JobCode, ScheduleState, TaskExecution
from .jobs import JobBook
from .logs import INITIATOR, Initiator, LogEntry, LogWriter
from .notify import Notifier
from .source import DirectorySource, ServicePrincipal
from .target import ErrorClass, ScimTarget, TargetError

__all__ = ["JobRunner", "CycleSummary", "TargetTransports", "CYCLE_INTERVAL"]

log = logging.getLogger(__name__)

CYCLE_INTERVAL = timedelta(minutes=40)
#: How many job-level failures ``health()`` keeps.
ERRORS_KEPT = 20


class TargetTransports(Protocol):
    """Where the runner gets the transport to a tenant URL (:class:`~simulator.engine.service.TargetFactory`)."""

    timeout: float

    def transport_for(self, base_address: str) -> httpx.BaseTransport: ...


@dataclass(frozen=True)
class CycleSummary:
    """What ``clock/advance`` reports for one cycle."""

    job_id: str
    cycle_id: str
    initial: bool
    began: datetime
    ended: datetime
    result: CycleResult | None = None
    quarantined: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"jobId": self.job_id, "cycleId": self.cycle_id, "initial": self.initial,
                                  "began": isoformat(self.began), "ended": isoformat(self.ended)}
        if self.result is not None:
            r = self.result
            out.update(imported=r.imported, exported=r.exported, failed=r.failed, skipped=r.skipped,
                       stagedDeletes=r.staged_deletes)
        if self.quarantined is not None:
            out["quarantined"] = self.quarantined
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class _Outcome:
    """A cycle's raw outcome inside its boundary."""

    result: CycleResult | None = None
    refused: TargetError | None = None  # quarantines at once (credentials, not SCIM)
    unreachable: TargetError | None = None  # the initial cycle's test connection failed on the target's side
    crash: BaseException | None = None


class JobRunner:
    """Runs the cycles of every synchronization job on the runtime's clock."""

    def __init__(self, runtime: Runtime, jobs: JobBook, source: DirectorySource, targets: TargetTransports, *,
                 service_principal: Callable[[str], ServicePrincipal | None], tenant_id: str, notifier: Notifier,
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
        self.errors: deque[dict[str, str | None]] = deque(maxlen=ERRORS_KEPT)
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
            self._record_next(job_id, at)
        self._scheduled[job_id] = self.runtime.clock.schedule(at, lambda _now: self._tick(job_id),
                                                              name=f"provisioning cycle {job_id}")

    def unschedule(self, job_id: str, *, record: bool = True) -> None:
        scheduled = self._scheduled.pop(job_id, None)
        if scheduled is not None:
            scheduled.cancel()
        if record:
            self._record_next(job_id, None)

    def _record_next(self, job_id: str, at: datetime | None) -> None:
        job = self.jobs.get(job_id)
        if job is not None and job.next_cycle != at:
            self.jobs.save(replace(job, next_cycle=at))

    def rehydrate(self) -> None:
        """Schedule every active job where its schedule stood (after loading a state file or a snapshot):
        the stored next cycle, else the quarantine's next attempt, else now."""
        for job in self.jobs.all():
            if not job.schedule.active:
                continue
            attempt = job.status.quarantine.next_attempt if job.status.quarantine else None
            due = job.next_cycle or attempt
            self.schedule(job.id, due or self.runtime.clock.now(), record=due is None)

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

    def health(self) -> dict[str, object]:
        """For ``/_provsim/health``: what is scheduled, how many cycles ran, what failed."""
        return {
            "scheduledCycles": [{"jobId": job_id, "due": isoformat(s.due)} for job_id, s in sorted(self._scheduled.items())],
            "cyclesRun": self.cycles_run,
            "errors": list(self.errors),
        }

    def _tick(self, job_id: str) -> dict[str, object]:
        """The clock's callback: run the job's cycle; whatever happens, schedule the next one."""
        self._scheduled.pop(job_id, None)
        job = self.jobs.get(job_id)
        if job is None or not job.schedule.active:
            return {"skipped": True}
        began = self.runtime.clock.now()
        summary: dict[str, object] = {"jobId": job_id}
        try:
            summary.update(self.run_cycle(job_id).to_json())
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
        if job is None or not job.schedule.active:
            return
        now = self.runtime.clock.now()
        attempt = job.status.quarantine.next_attempt if job.status.quarantine else None
        if job.status.code is JobCode.QUARANTINE and attempt is not None and attempt > now:
            self.schedule(job_id, attempt)
        else:
            self.schedule(job_id, max(began + CYCLE_INTERVAL, now))

    # ------------------------------------------------------------------ cycles
    def service_principal(self, job: Job) -> ServicePrincipal:
        sp = self.lookup_sp(job.service_principal_id)
        if sp is None:
            raise LookupError(f"the service principal {job.service_principal_id} of job {job.id} no longer exists")
        return sp

    def context(self, job: Job, sp: ServicePrincipal, target: ScimTarget, emit: Callable[[LogEntry], None], *,
                progress: Callable[[int, int], None] | None = None,
                threshold: int | None = None, next_cycle: datetime | None = None) -> CycleContext:
        secrets = self.jobs.job_secrets(job.service_principal_id)
        members, max_bytes = self.jobs.patch_limits(job)
        rules = self.jobs.target_rules(job)
        return CycleContext(
            job_id=job.id, service_principal=sp, source=self.source, target=target,
            mappings=self.jobs.mappings(job), cache=ConnectorCache(self.runtime.store, job.id), emit=emit,
            sync_all=secrets.sync_all,
            skip_out_of_scope_deletions=secrets.skip_out_of_scope_deletions,
            # aadOptscim062020 applies to non-gallery apps only (L:application-provisioning-config-problem-scim-
            # compatibility): the PureCloud gallery app keeps Entra's default shapes whatever the tenant URL says.
            entra_quirks=not (secrets.entra_quirks_flag and rules.honours_compliance_flag),
            rules=rules,
            delete_threshold=threshold,
            force_deletes=job.force_deletes,
            escrow=EscrowBook(self.runtime.store, self.runtime.clock, job.id),
            progress=progress,
            next_cycle=next_cycle,
            members_per_patch=members,
            max_request_bytes=max_bytes,
            on_request_limit=lambda limit: self._learn_request_limit(job.id, limit),
        )

    def _learn_request_limit(self, job_id: str, limit: int) -> None:
        job = self.jobs.get(job_id)
        if job is not None:
            self.jobs.save(replace(job, learned_max_request_bytes=limit))

    def target(self, transport: httpx.BaseTransport, job: Job) -> ScimTarget:
        secrets = self.jobs.job_secrets(job.service_principal_id)
        return ScimTarget(transport, secrets.base_address or "", secrets.secret_token,
                          sleep=self.runtime.clock.sleep, latency=self.latency, timeout=self.targets.timeout,
                          name=self.jobs.target_rules(job).name)

    def log_writer(self, job: Job, sp: ServicePrincipal, cycle_id: str, *, initiated_by: Initiator = INITIATOR,
                   collect: list[dict[str, Any]] | None = None) -> LogWriter:
        return LogWriter(table=self.logs, clock=self.runtime.clock, ids=self.ids, job_id=job.id, service_principal=sp,
                         cycle_id=cycle_id, tenant_id=self.tenant_id, on_entry=lambda doc: self.emit("log", doc),
                         initiated_by=initiated_by, collect=collect)

    def run_cycle(self, job_id: str, *, progress: Callable[[int, int], None] | None = None) -> CycleSummary:
        """Run one cycle of the job now; returns its summary (what ``clock/advance`` reports)."""
        job = self.jobs.get(job_id)
        if job is None:
            raise LookupError(f"the synchronization job {job_id} does not exist")
        sp = self.service_principal(job)
        clock = self.runtime.clock
        began = clock.now()
        cycle_id = self.ids.guid()
        initial = job.initial_pending
        threshold = self.jobs.delete_threshold(job)
        self.emit("cycleStarted", {"jobId": job_id, "cycleId": cycle_id, "initial": initial, "at": isoformat(began)})
        writer = self.log_writer(job, sp, cycle_id)

        outcome = self._execute(job, sp, writer, cycle_id, began, initial, progress, threshold)
        ended = clock.now()
        if outcome.crash is not None:
            self._record_error(job_id, began, outcome.crash, cycle_id)
        verdict = self._finish(job_id, cycle_id, began, ended, initial, outcome, threshold)
        self.cycles_run += 1
        self.runtime.checkpoint()
        crash = outcome.crash
        return CycleSummary(job_id, cycle_id, initial, began, ended, outcome.result,
                            quarantined=verdict.code if verdict is not None else None,
                            error=f"{type(crash).__name__}: {crash}" if crash is not None else None)

    def _execute(self, job: Job, sp: ServicePrincipal, writer: LogWriter, cycle_id: str, began: datetime, initial: bool,
                 progress: Callable[[int, int], None] | None, threshold: int | None) -> _Outcome:
        """The cycle itself, inside its boundary."""
        base = self.jobs.job_secrets(job.service_principal_id).base_address or ""
        with self.targets.transport_for(base) as transport:
            target = self.target(transport, job)
            ctx = self.context(job, sp, target, writer, progress=progress, threshold=threshold,
                               next_cycle=began + CYCLE_INTERVAL)
            try:
                if initial:
                    target.test_connection("userName", self.ids.guid())
                return _Outcome(result=run_cycle(ctx, initial=initial, watermark=job.watermark))
            except QuarantineSignal as signal:
                return _Outcome(refused=signal.error)
            except TargetError as err:
                if err.error_class == ErrorClass.QUARANTINE:
                    return _Outcome(refused=err)
                if initial and err.service_failure:
                    return _Outcome(unreachable=err)
                return _Outcome(crash=err)
            except Exception as err:  # the cycle boundary: recorded as a failed execution, the job carries on
                log.exception("provisioning cycle %s of %s failed", cycle_id, job.id)
                return _Outcome(crash=err)

    @staticmethod
    def _execution(cycle_id: str, began: datetime, ended: datetime, result: CycleResult | None,
                   error: ErrorInfo | None) -> TaskExecution:
        state = ExecutionState.SUCCEEDED
        if error is not None or result is None:
            state = ExecutionState.FAILED
        elif result.failed or result.reference_failed:
            state = ExecutionState.ENTRY_LEVEL_ERRORS
        if result is None:
            return TaskExecution(cycle_id, state, began, ended, error=error)
        return TaskExecution(cycle_id, state, began, ended, count_entitled=result.entitled, count_escrowed=result.escrowed,
                             count_escrowed_raw=result.failed + result.reference_failed, count_exported=result.exported,
                             count_imported=result.imported, count_imported_deltas=0 if result.initial else result.imported,
                             error=error)

    @staticmethod
    def _report(initial: bool, outcome: _Outcome, escrow: tuple[int, int], threshold: int | None) -> quarantine.CycleReport:
        """What the quarantine judge needs to know about the cycle."""
        def failure(err: TargetError | None) -> quarantine.Failure | None:
            return quarantine.Failure(err.code, err.message, err.fault) if err is not None else None

        result = outcome.result
        if result is None:
            return quarantine.CycleReport(initial=initial, completed=False, refused=failure(outcome.refused),
                                          unreachable=failure(outcome.unreachable), crashed=outcome.crash is not None,
                                          escrow_objects=escrow[0], escrow_references=escrow[1], delete_threshold=threshold)
        return quarantine.CycleReport(
            initial=initial, refused=failure(result.quarantine), target_operations=result.target_operations,
            target_failures=result.target_failures, target_codes=dict(result.target_codes), target_fault=result.target_fault,
            failed=result.failed, events=result.imported, escrow_objects=escrow[0], escrow_references=escrow[1],
            too_many_deletes=result.too_many_deletes, staged_deletes=result.staged_deletes, delete_threshold=threshold)

    def _finish(self, job_id: str, cycle_id: str, began: datetime, ended: datetime, initial: bool, outcome: _Outcome,
                threshold: int | None) -> quarantine.Verdict | None:
        """Record the cycle in the job's status as :func:`quarantine.decide` judges it ("Application provisioning in quarantine status" (Microsoft Learn))."""
        job = self.jobs.get(job_id)
        if job is None:  # deleted while its cycle ran
            return None
        settings = job.settings
        book = EscrowBook(self.runtime.store, self.runtime.clock, job_id)
        result = outcome.result
        judgement = quarantine.decide(self._report(initial, outcome, book.counts(), threshold), job.status, settings)
        if judgement.prune_escrows:
            # In the initial cycle the threshold prunes escrows instead; the job then stops (Application provisioning in quarantine status).
            book.clear_all()

        error: ErrorInfo | None = None
        failure = outcome.refused or outcome.unreachable
        if failure is not None:
            error = quarantine.Verdict("", failure.code, failure.message, fault=failure.fault).error
        elif outcome.crash is not None:
            crash = outcome.crash
            error = ErrorInfo("InternalError", f"The provisioning service failed while running the cycle: "
                              f"{type(crash).__name__}: {crash}", tenant_actionable=False)
        execution = self._execution(cycle_id, began, ended, result, error)
        status = replace(job.status, last_execution=execution,
                         progress=(execution.count_imported, execution.count_imported, ended),
                         count_successive_complete_failures=judgement.successive_complete_failures,
                         escrows_pruned=job.status.escrows_pruned or judgement.prune_escrows)
        if result is not None and not judgement.keep_watermark:
            job = replace(job, watermark=result.watermark, initial_done=True)
        elif result is not None and judgement.keep_watermark and initial:
            job = replace(job, watermark=None)  # the staged changes come again with the next initial cycle

        if judgement.verdict is not None:
            status, changed = quarantine.enter(status, judgement.verdict, ended)
            self.emit("quarantine", {"jobId": job_id, "status": status.to_graph(), "changed": changed})
            if changed:
                # One e-mail when quarantine starts and another when its reason changes (Application provisioning in quarantine status).
                self.notifier.send(job, "quarantine", status, at=self.runtime.clock.now())
        elif judgement.stay_quarantined:
            status = quarantine.retry_later(status, ended)  # the attempt failed again: try again tomorrow
        elif result is not None:
            job = replace(job, force_deletes=False)
            if book.pruned:
                status = replace(status, escrows_pruned=True)
            status, was = quarantine.leave(status, initial_done=True)
            if was:
                self.emit("quarantineEnded", {"jobId": job_id, "at": isoformat(ended)})
            status = replace(status, code=JobCode.ACTIVE)
            if execution.state is ExecutionState.SUCCEEDED:
                status = replace(status, last_successful_execution=execution)
                if result.exported:
                    status = replace(status, last_successful_execution_with_exports=execution)
                if not result.exported and not initial:
                    status = replace(status, steady_state_first_achieved=status.steady_state_first_achieved or ended,
                                     steady_state_last_achieved=ended)
        schedule = replace(job.schedule, interval=INTERVAL)
        if quarantine.expired(status, ended, settings):
            # More than four weeks in quarantine: the job is disabled ("Application provisioning in quarantine status" (Microsoft Learn)).
            schedule = replace(schedule, state=ScheduleState.DISABLED)
            assert status.quarantine is not None  # expired() says so
            status = replace(status, quarantine=replace(status.quarantine, next_attempt=None))
            self.unschedule(job_id)
            job = replace(job, next_cycle=None)
            self.notifier.send(job, "disabled", status, at=self.runtime.clock.now())
        job = replace(job, status=status, schedule=schedule)
        self.jobs.save(job)
        logs.prune(self.logs, ended)  # the service keeps 30 days of provisioning logs
        self.emit("cycleEnded", {"jobId": job_id, "cycleId": cycle_id, "status": status.to_graph()})
        return judgement.verdict

    # ------------------------------------------------------------- quarantine
    def quarantine_on_demand(self, job_id: str, message: str = "") -> None:
        """What Microsoft does by hand: put a job in quarantine (reason QuarantinedOnDemand)."""
        job = self.jobs.get(job_id)
        if job is None:
            raise LookupError(f"the synchronization job {job_id} does not exist")
        now = self.runtime.clock.now()
        status, changed = quarantine.enter(job.status, quarantine.on_demand_verdict(message), now)
        self.emit("quarantine", {"jobId": job_id, "status": status.to_graph(), "changed": changed})
        if changed:
            self.notifier.send(job, "quarantine", status, at=now)
        self.jobs.save(replace(job, status=status))
        if job.schedule.active and status.quarantine is not None and status.quarantine.next_attempt is not None:
            self.schedule(job_id, status.quarantine.next_attempt)
