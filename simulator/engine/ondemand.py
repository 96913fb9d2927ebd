"""Provision on demand: one user, or one group with at most 5 members, now ("On-demand provisioning in Microsoft Entra ID" (Microsoft Learn)).

The same per-object steps as a cycle (:mod:`simulator.engine.cycle`), outside the schedule; the
entries it writes carry ``initiatedBy`` "Provision on demand" and the answer is Graph's
``stringKeyStringValuePair`` (``key``: result and error, ``value``: what was done).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .cycle import CycleResult, QuarantineSignal, guarded, process_group, process_user, resolve_manager, resolve_members
from .escrow import EscrowBook
from .logs import Initiator

if TYPE_CHECKING:
    from .job import Job
    from .runner import JobRunner
    from .source import ServicePrincipal

__all__ = ["provision_on_demand", "ON_DEMAND_INITIATOR"]

ON_DEMAND_INITIATOR = Initiator("Provision on demand", "user")


def provision_on_demand(runner: JobRunner, job: Job, sp: ServicePrincipal, object_id: str, kind: str) -> dict[str, str]:
    """Run the object (a group: its user members first) through scoping, matching and export."""
    entries: list[dict[str, Any]] = []
    writer = runner.log_writer(job, sp, runner.ids.guid(), collect=entries, initiated_by=ON_DEMAND_INITIATOR)
    result = CycleResult(initial=False)
    base = runner.jobs.job_secrets(job.service_principal_id).base_address or ""
    with runner.targets.transport_for(base) as transport:
        ctx = runner.context(job, sp, runner.target(transport, job), writer)
        ctx.on_demand = True  # the portal tells why an object is skipped, assigned or not (On-demand provisioning, scope checks)
        EscrowBook(runner.runtime.store, runner.runtime.clock, job.id).clear(object_id)  # on demand clears the backoff
        try:
            if kind == "User":
                guarded(ctx, result, "User", object_id, process_user, None)
                guarded(ctx, result, "User", object_id, resolve_manager, reference=True)
            else:
                for member_id, member_type in runner.source.member_ids(object_id):
                    if member_type == "User":
                        guarded(ctx, result, "User", member_id, process_user, None)
                guarded(ctx, result, "Group", object_id, process_group, None)
                guarded(ctx, result, "Group", object_id, resolve_members, reference=True)
        except QuarantineSignal as signal:
            result.quarantine = signal.error
    main = next((e for e in entries if e["sourceIdentity"]["id"] == object_id), None)
    outcome: dict[str, Any]
    value: dict[str, Any]
    if main is None:
        outcome = {"result": "Skipped", "details": {"errorCode": "RedundantExport",
                   "errorMessage": "The object is already in the desired state in PureCloud by Genesys.",
                   "reportableIdentifier": object_id}}
        value = {"action": "Other", "changeId": runner.ids.guid(), "provisioningSteps": [],
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
    return {"key": json.dumps(outcome, separators=(",", ":")), "value": json.dumps(value, separators=(",", ":"))}
