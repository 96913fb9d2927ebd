"""Quarantine: when the provisioning service stops a job's normal cycles (reference §4).

Pure decisions over a cycle's outcome and the job's ``synchronizationStatus``; the job
runner (:mod:`simulator.engine.runner`) applies them, writes the status and sends the
notification e-mail.

Reasons, in the order they are evaluated at the end of a cycle:

=====================================  ======================================================
``EncounteredQuarantineException``     bad credentials (401/403), a failed test connection, or
                                       an outage: most or all of the cycle's calls to the target
                                       failed on the target's side (5xx, timeouts, dropped
                                       connections, a SCIM compliance problem), whatever the count
``EncounteredTotalEscrowThreshold``    more failures in escrow than the total limit (60,000,
                                       reference failures included)
``EncounteredEscrowProportionThreshold`` from 5,000 object failures on: more than 40% of the
                                       cycle's events failed
``EncounteredBaseEscrowThreshold``     from 5,000 object failures on: more than 40,000 in escrow
``TooManyDeletes``                     the accidental-deletion guard held deletes back
``QuarantinedOnDemand``                Microsoft quarantined the job by hand
=====================================  ======================================================

While quarantined the job runs once a day (``nextAttempt``); a cycle that succeeds ends
quarantine; more than four weeks in quarantine disable the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from simulator.core import isoformat, parse_datetime, parse_duration

__all__ = [
    "Verdict", "QUARANTINE_DEFAULTS", "ATTEMPT_INTERVAL", "thresholds", "credentials_verdict", "escrow_verdict",
    "outage_verdict", "too_many_deletes_verdict", "on_demand_verdict", "enter", "leave", "expired",
]

#: Quarantine rules (reference §4) and their defaults; provsim's own setting names (docs/fidelity.md),
#: each overridable per job through ``synchronizationJobSettings`` so a small story can reach them.
QUARANTINE_DEFAULTS: dict[str, Any] = {
    "QuarantineEvaluationMinimumFailures": 5000,
    "QuarantineEscrowProportionThreshold": 40,  # percent of a cycle's events
    "QuarantineBaseEscrowThreshold": 40000,
    "QuarantineTotalEscrowThreshold": 60000,
    "QuarantineOutageProportionThreshold": 50,  # percent of the cycle's target calls ("most or all")
    "QuarantineMaximumDuration": "P28D",
}

#: While quarantined, the job runs once a day (the real service "slows gradually to once a day").
ATTEMPT_INTERVAL = timedelta(days=1)


@dataclass(frozen=True)
class Verdict:
    """Why a job goes into quarantine: the Graph ``quarantineReason`` and ``quarantine.error``."""

    reason: str
    code: str
    message: str
    tenant_actionable: bool = True

    @property
    def error(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "tenantActionable": self.tenant_actionable}


def thresholds(settings: Mapping[str, str]) -> dict[str, Any]:
    """The rules in force: the documented defaults, overridden by the job's settings."""
    out: dict[str, Any] = {}
    for name, default in QUARANTINE_DEFAULTS.items():
        raw = settings.get(name, default)
        out[name] = parse_duration(str(raw)) if name == "QuarantineMaximumDuration" else float(raw)
    return out


def credentials_verdict(code: str, message: str) -> Verdict:
    """401/403 or a failed test connection: the whole job stops at once."""
    return Verdict("EncounteredQuarantineException", code, message)


def escrow_verdict(rules: Mapping[str, Any], *, objects: int, references: int, failed: int, events: int) -> Verdict | None:
    """Quarantine by escrow counts (reference §4): 60,000 failures in total (references included)
    always quarantine; from a minimum of object failures on, more than 40% of the cycle's events
    failing or more than 40,000 object failures do (reference failures excluded from both)."""
    total_limit = rules["QuarantineTotalEscrowThreshold"]
    if objects + references > total_limit:
        return Verdict("EncounteredTotalEscrowThreshold", "EncounteredTotalEscrowThreshold",
                       f"{objects + references} failures are in escrow, more than the total limit of {int(total_limit)}.")
    if objects < rules["QuarantineEvaluationMinimumFailures"]:
        return None
    proportion = rules["QuarantineEscrowProportionThreshold"]
    if failed / max(1, events) * 100 > proportion:
        return Verdict("EncounteredEscrowProportionThreshold", "EncounteredEscrowProportionThreshold",
                       f"{failed} of {events} events of the cycle failed, more than {proportion:g}%.")
    if objects > rules["QuarantineBaseEscrowThreshold"]:
        return Verdict("EncounteredBaseEscrowThreshold", "EncounteredBaseEscrowThreshold",
                       f"{objects} objects are in escrow, more than {int(rules['QuarantineBaseEscrowThreshold'])}.")
    return None


def outage_verdict(rules: Mapping[str, Any], *, touched: int, service_failed: int, codes: Mapping[str, int]) -> Verdict | None:
    """Most or all of the cycle's work that reached the target failed on the target's side: an
    outage or a SCIM compliance problem quarantines whatever the failure count (reference §4).

    ``touched``: objects and reference updates that tried to write to the target or failed on its side;
    ``service_failed``: those that failed with a 5xx, a timeout, a dropped connection or a SCIM
    compliance problem;
    ``codes``: their error codes.  Data errors (4xx on one object) never count here."""
    if service_failed <= 0 or touched <= 0:
        return None
    if service_failed / touched * 100 <= rules["QuarantineOutageProportionThreshold"]:
        return None
    code = max(sorted(codes), key=lambda c: codes[c]) if codes else "InternalServerError"
    return Verdict("EncounteredQuarantineException", code,
                   f"The target failed {service_failed} of {touched} operations of the cycle ({code}): "
                   "PureCloud by Genesys appears to be unavailable or not SCIM compliant.")


def too_many_deletes_verdict(staged: int, threshold: int | None) -> Verdict:
    return Verdict("TooManyDeletes", "TooManyDeletes",
                   f"The cycle would have disabled or deleted more objects than the accidental-deletion threshold "
                   f"({threshold}) allows; {staged} changes are staged. Review them and allow the deletes.")


def on_demand_verdict(message: str) -> Verdict:
    return Verdict("QuarantinedOnDemand", "QuarantinedOnDemand", message or "Microsoft placed this job in quarantine.",
                   tenant_actionable=False)


def enter(status: dict[str, Any], verdict: Verdict, now: datetime, *, fault: str | None = None) -> bool:
    """Put (or keep) the job in quarantine; returns True when the quarantine starts or its reason
    changes (each of which sends an e-mail, reference §4)."""
    previous = status.get("quarantine") or {}
    first = status.get("code") != "Quarantine" or not previous
    changed = first or previous.get("reason") != verdict.reason
    error = verdict.error
    if fault:
        error["message"] += f" (provsim fault rule {fault})"
    status["code"] = "Quarantine"
    status["quarantine"] = {
        "currentBegan": isoformat(now) if changed else previous["currentBegan"],
        "nextAttempt": isoformat(now + ATTEMPT_INTERVAL),
        "reason": verdict.reason,
        "seriesBegan": isoformat(now) if first else previous.get("seriesBegan", isoformat(now)),
        "seriesCount": 1 if first else int(previous.get("seriesCount", 0)) + 1,
        "error": error,
    }
    return changed


def leave(status: dict[str, Any], *, initial_done: bool) -> bool:
    """End quarantine (a successful cycle, ``start``, a restart with QuarantineState); True if it was on."""
    was = status.get("code") == "Quarantine"
    status["quarantine"] = None
    if was:
        status["code"] = "Active" if initial_done else "NotRun"
    return was


def expired(status: Mapping[str, Any], now: datetime, rules: Mapping[str, Any]) -> bool:
    """More than four weeks (``QuarantineMaximumDuration``) in quarantine: the job is disabled."""
    quarantine = status.get("quarantine")
    if not quarantine:
        return False
    limit: timedelta = rules["QuarantineMaximumDuration"]
    return now - parse_datetime(quarantine["seriesBegan"]) > limit
