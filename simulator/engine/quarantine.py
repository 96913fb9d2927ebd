"""Quarantine: when the provisioning service stops a job's normal cycles ("Application provisioning in quarantine status" (Microsoft Learn)).

:func:`decide` is the whole judgement, a pure function of what one cycle saw (:class:`CycleReport`),
the job's status and settings; the job runner (:mod:`simulator.engine.runner`) only records its
:class:`Judgement`, writes the status and sends the e-mail.  It reads like Microsoft's page
(L:application-provisioning-quarantine-status), in this order:

1. **Credentials refused, or the endpoint is not SCIM** (401/403 on any call; 404 instead of a
   ListResponse on a root lookup; a failed test connection): most or all calls will fail, whatever
   the count → ``EncounteredQuarantineException`` at once.
2. **The target is down** (5xx, timeouts, dropped connections): the objects go into escrow and are
   retried by the next cycle (documented as "retried in 40 minutes").  Only a cycle in which *every*
   call to the target failed on its side is a *complete failure*; the job is quarantined when
   ``QuarantineSuccessiveCompleteFailures`` cycles in a row were (``countSuccessiveCompleteFailures``,
   default 6: provsim's reading of "consistently", docs/fidelity.md).  A cycle with calls that got
   answers ends the series; a cycle with no calls leaves it as it is.
3. **Escrow thresholds** (per-object data errors and expression failures only go into escrow):
   ``EncounteredTotalEscrowThreshold`` (60,000, references included), and from 5,000 object failures
   on ``EncounteredEscrowProportionThreshold`` (more than 40% of the cycle's events) or
   ``EncounteredBaseEscrowThreshold`` (more than 40,000).  In the initial cycle they prune the
   escrows instead (``escrowsPruned``) and the job stops.
4. **Too many deletes**: the accidental-deletion guard, when it is on (:func:`deletion_guard`).

provsim's own failures (an engine error in a cycle) and its own bookkeeping calls (the per-cycle
re-lookup of a group missing in Genesys) never count.  ``QuarantinedOnDemand`` is Microsoft's hand.

While quarantined the job runs once a day (``nextAttempt``); a cycle that completes without a new
verdict ends the quarantine; more than four weeks in quarantine (``QuarantineMaximumDuration``)
disable the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from .job import ErrorInfo, JobCode, JobStatus, Quarantine, whole_seconds
from .job_settings import JobSettings, NotificationSettings

__all__ = [
    "Verdict", "CycleReport", "Failure", "Judgement", "decide", "deletion_guard", "on_demand_verdict", "enter",
    "leave", "retry_later", "expired", "ATTEMPT_INTERVAL",
]

#: While quarantined, the job runs once a day (the real service "slows gradually to once a day").
ATTEMPT_INTERVAL = timedelta(days=1)

QUARANTINE_EXCEPTION = "EncounteredQuarantineException"


@dataclass(frozen=True)
class Verdict:
    """Why a job goes into quarantine: the Graph ``quarantineReason`` and ``quarantine.error``."""

    reason: str
    code: str
    message: str
    tenant_actionable: bool = True
    #: the provsim fault rule behind the failure, if any (named in the error message)
    fault: str | None = None

    @property
    def error(self) -> ErrorInfo:
        message = self.message + (f" (provsim fault rule {self.fault})" if self.fault else "")
        return ErrorInfo(self.code, message, self.tenant_actionable)


@dataclass(frozen=True)
class Failure:
    """A failed call as the judge sees it: the provisioning-log code, the message, the fault rule."""

    code: str
    message: str
    fault: str | None = None


@dataclass(frozen=True)
class CycleReport:
    """What one cycle saw, as :func:`decide` needs it."""

    initial: bool
    #: the cycle ran to its end (it has counts); False when it could not start or crashed
    completed: bool = True
    #: a call the target refused for the whole job (401/403, not SCIM): quarantine at once
    refused: Failure | None = None
    #: the cycle could not start: its test connection failed on the target's side (5xx, timeout, connection)
    unreachable: Failure | None = None
    #: the cycle failed inside provsim (an engine error): recorded, never judged against the target
    crashed: bool = False
    #: calls to the target the cycle made for objects (writes, and reads that failed), bookkeeping excluded
    target_operations: int = 0
    #: ... of which failed on the target's side, by code
    target_failures: int = 0
    target_codes: Mapping[str, int] = field(default_factory=dict)
    target_fault: str | None = None
    #: object failures of the cycle and the events it imported (the 40% rule)
    failed: int = 0
    events: int = 0
    #: what is in escrow after the cycle
    escrow_objects: int = 0
    escrow_references: int = 0
    #: the accidental-deletion guard held deletes back
    too_many_deletes: bool = False
    staged_deletes: int = 0
    delete_threshold: int | None = None

    @property
    def complete_failure(self) -> bool:
        """Every call to the target failed on its side (or the cycle could not even start)."""
        if self.unreachable is not None:
            return True
        return self.target_operations > 0 and self.target_failures >= self.target_operations


@dataclass(frozen=True)
class Judgement:
    """What the runner records for a cycle."""

    #: enter (or stay in) quarantine for this reason; None: no quarantine from this cycle
    verdict: Verdict | None
    #: the new ``countSuccessiveCompleteFailures``
    successive_complete_failures: int
    #: the initial cycle reached an escrow threshold: drop the escrows (``escrowsPruned``)
    prune_escrows: bool = False
    #: staged deletes: the watermark stays, so the held-back changes come again
    keep_watermark: bool = False
    #: no new verdict, but the job is quarantined and this attempt did not get through (it failed on the
    #: target's side, or could not run): same reason, next attempt a day later
    stay_quarantined: bool = False


def decide(report: CycleReport, status: JobStatus, settings: JobSettings) -> Judgement:
    """The quarantine judgement for one cycle (see the module docstring for the rules and their order)."""
    count = status.count_successive_complete_failures
    if report.refused is not None:
        failure = report.refused
        return Judgement(Verdict(QUARANTINE_EXCEPTION, failure.code, failure.message, fault=failure.fault), count + 1,
                         keep_watermark=True)
    if report.crashed:
        return Judgement(None, count, keep_watermark=True, stay_quarantined=status.quarantined)
    if report.complete_failure:
        count += 1
    elif report.target_operations > 0:
        count = 0
    verdict: Verdict | None = None
    if report.complete_failure and count >= settings.successive_complete_failures:
        verdict = _outage_verdict(report, count)
    prune = False
    if verdict is None and report.completed:
        verdict = _escrow_verdict(report, settings)
        prune = verdict is not None and report.initial
    if verdict is None and report.too_many_deletes:
        verdict = Verdict("TooManyDeletes", "TooManyDeletes",
                          f"The cycle would have disabled or deleted more objects than the accidental-deletion threshold "
                          f"({report.delete_threshold}) allows; {report.staged_deletes} changes are staged. Review them "
                          "and allow the deletes.")
    stay = verdict is None and status.quarantined and (report.complete_failure or not report.completed)
    return Judgement(verdict, count, prune_escrows=prune,
                     keep_watermark=report.too_many_deletes or not report.completed, stay_quarantined=stay)


def _outage_verdict(report: CycleReport, count: int) -> Verdict:
    if report.unreachable is not None and not report.target_codes:
        code, fault = report.unreachable.code, report.unreachable.fault
        what = f"the connection test failed ({report.unreachable.message})"
    else:
        codes = report.target_codes
        code = max(sorted(codes), key=lambda c: codes[c]) if codes else "InternalServerError"
        fault = report.target_fault
        what = f"every call to the target failed ({report.target_failures} of {report.target_operations}, {code})"
    return Verdict(QUARANTINE_EXCEPTION, code,
                   f"{count} cycles in a row could not reach the target: in the last one {what}. PureCloud by Genesys "
                   "appears to be unavailable; the failed changes are in escrow and are retried.", fault=fault)


def _escrow_verdict(report: CycleReport, settings: JobSettings) -> Verdict | None:
    """Quarantine by escrow counts (Application provisioning in quarantine status, Escrow thresholds): 60,000 failures in total (references included)
    always quarantine; from a minimum of object failures on, more than 40% of the cycle's events
    failing or more than 40,000 object failures do (reference failures excluded from both)."""
    objects, references = report.escrow_objects, report.escrow_references
    if objects + references > settings.total_escrow_threshold:
        return Verdict("EncounteredTotalEscrowThreshold", "EncounteredTotalEscrowThreshold",
                       f"{objects + references} failures are in escrow, more than the total limit of "
                       f"{settings.total_escrow_threshold}.")
    if objects < settings.evaluation_minimum_failures:
        return None
    proportion = settings.escrow_proportion_threshold
    if report.failed / max(1, report.events) * 100 > proportion:
        return Verdict("EncounteredEscrowProportionThreshold", "EncounteredEscrowProportionThreshold",
                       f"{report.failed} of {report.events} events of the cycle failed, more than {proportion:g}%.")
    if objects > settings.base_escrow_threshold:
        return Verdict("EncounteredBaseEscrowThreshold", "EncounteredBaseEscrowThreshold",
                       f"{objects} objects are in escrow, more than {settings.base_escrow_threshold}.")
    return None


def deletion_guard(settings: JobSettings, notifications: NotificationSettings) -> int | None:
    """The accidental-deletion threshold in force, or None when the guard is off.

    The guard is opt-in (the portal's "Prevent accidental deletions" box, "Enable accidental deletions prevention in the Microsoft Entra provisioning service" (Microsoft Learn)): on when
    ``SyncNotificationSettings.DeleteThresholdEnabled`` is true (its ``DeleteThresholdValue``, else the
    job setting), or when the admin set ``QuarantineTooManyDeletesThreshold`` on the job; off when the
    box is unticked or nobody chose either."""
    if notifications.delete_threshold_enabled is False:
        return None
    if notifications.delete_threshold_enabled:
        return notifications.delete_threshold_value or settings.delete_threshold
    if settings.is_set("QuarantineTooManyDeletesThreshold"):
        return settings.delete_threshold
    return None


def on_demand_verdict(message: str) -> Verdict:
    return Verdict("QuarantinedOnDemand", "QuarantinedOnDemand", message or "Microsoft placed this job in quarantine.",
                   tenant_actionable=False)


# ----------------------------------------------------------------------- status transitions
def enter(status: JobStatus, verdict: Verdict, now: datetime) -> tuple[JobStatus, bool]:
    """The status in (or still in) quarantine; the flag is True when the quarantine starts or its
    reason changes (each of which sends an e-mail: Application provisioning in quarantine status)."""
    now = whole_seconds(now)
    previous = status.quarantine if status.code is JobCode.QUARANTINE else None
    changed = previous is None or previous.reason != verdict.reason
    quarantine = Quarantine(
        reason=verdict.reason, error=verdict.error,
        current_began=now if changed or previous is None else previous.current_began,
        series_began=now if previous is None else previous.series_began,
        series_count=1 if previous is None else previous.series_count + 1,
        next_attempt=now + ATTEMPT_INTERVAL)
    return replace(status, code=JobCode.QUARANTINE, quarantine=quarantine), changed


def retry_later(status: JobStatus, now: datetime) -> JobStatus:
    """A quarantined job whose attempt neither succeeded nor failed anew (the cycle crashed or could
    not start): same reason, next attempt a day later."""
    if status.quarantine is None:
        return status
    quarantine = replace(status.quarantine, next_attempt=whole_seconds(now) + ATTEMPT_INTERVAL,
                         series_count=status.quarantine.series_count + 1)
    return replace(status, quarantine=quarantine)


def leave(status: JobStatus, *, initial_done: bool) -> tuple[JobStatus, bool]:
    """Quarantine ends (a cycle that completes, ``start``, a restart with QuarantineState); the flag
    is True if it was on."""
    was = status.code is JobCode.QUARANTINE
    code = (JobCode.ACTIVE if initial_done else JobCode.NOT_RUN) if was else status.code
    return replace(status, quarantine=None, code=code), was


def expired(status: JobStatus, now: datetime, settings: JobSettings) -> bool:
    """Longer than ``QuarantineMaximumDuration`` (four weeks) in quarantine: the job is disabled."""
    if status.quarantine is None:
        return False
    return now - status.quarantine.series_began > settings.maximum_duration
