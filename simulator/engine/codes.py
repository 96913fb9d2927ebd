"""The codes the engine writes into provisioning logs and quarantine errors, and where each comes from.

Microsoft's documented codes are used wherever one fits (``MICROSOFT``, with the source: Microsoft Learn pages abbreviated as
docs/fidelity.md's "Sources" explains, L:application-provisioning-quarantine-status,
M:howto-analyze-provisioning-logs, L:known-issues, the Graph examples).  The few codes
provsim invents are in ``PROVSIM`` with the real service's closest documented behaviour; every one
of them is listed in docs/fidelity.md ("Provisioning-log codes"), and a test checks both.
"""

from __future__ import annotations

__all__ = ["MICROSOFT", "PROVSIM", "is_known"]

_LOGS = "M:howto-analyze-provisioning-logs"

MICROSOFT: dict[str, str] = {
    "Unauthorized": _LOGS,
    "InsufficientRights": _LOGS + " (HTTP 403: authenticated, not authorized)",
    "MethodNotAllowed": _LOGS,
    "Conflict": _LOGS,
    "TooManyRequests": _LOGS + " (retried automatically)",
    "InternalServerError": _LOGS + " (retried in 40 minutes)",
    "WebExceptionProtocolError": _LOGS + " (retried in 40 minutes)",
    "InternalError": _LOGS + " (an error inside the provisioning service; retried in 40 minutes)",
    "Timeout": _LOGS + " (retried in 40 minutes)",
    "InvalidAnchor": _LOGS,
    "NotImplemented": _LOGS,
    "UnprocessableEntity": _LOGS,
    "DuplicateTargetEntries": _LOGS,
    "SystemForCrossDomainIdentityManagementMultipleEntriesInResponse": _LOGS,
    "SystemForCrossDomainIdentityManagementServiceIncompatible": _LOGS,
    "EntrySynchronizationSkipped": _LOGS + " (looked at, no further action)",
    "NotEffectivelyEntitled": "L:application-provisioning-config-problem-no-users-provisioned; provision on demand's scope check",
    "RedundantExport": "G:synchronization-synchronizationjob-provisionondemand example",
    "TooManyDeletes": "G:synchronization-synchronizationquarantine quarantineReason; L:accidental-deletions",
    "EncounteredQuarantineException": "G:synchronization-synchronizationquarantine quarantineReason",
    "EncounteredTotalEscrowThreshold": "G:synchronization-synchronizationquarantine quarantineReason",
    "EncounteredEscrowProportionThreshold": "G:synchronization-synchronizationquarantine quarantineReason",
    "EncounteredBaseEscrowThreshold": "G:synchronization-synchronizationquarantine quarantineReason",
    "QuarantinedOnDemand": "G:synchronization-synchronizationquarantine quarantineReason",
}

#: provsim's own codes and the real service's closest documented behaviour (docs/fidelity.md).
PROVSIM: dict[str, str] = {
    "BadRequest": "HTTP 400 on one object; the real logs show the target's status and message",
    "PreconditionFailed": "HTTP 412; no documented code",
    "PayloadTooLarge": "HTTP 413 on a user or group write (group memberships are split instead)",
    "UnsupportedMediaType": "HTTP 415; no documented code",
    "UserDisabled": "a disabled user is never created (L:how-provisioning-works); the real service skips it (EntrySynchronizationSkipped)",
    "GroupMissingInTarget": "Genesys cannot create groups (L:../saas-apps/purecloud-by-genesys-provisioning-tutorial); what the real job logs is unconfirmed",
    "ExpressionEvaluationFailed": "an expression that fails on one object's values; the object fails and is escrowed",
}


def is_known(code: str | None) -> bool:
    return code is None or code in MICROSOFT or code in PROVSIM
