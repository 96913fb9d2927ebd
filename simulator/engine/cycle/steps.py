"""What every object's step shares: the per-object error boundary, logging an outcome (success,
failure into escrow or quarantine, Skipped), and the writes users and groups both send (create, PATCH,
delete, a delete held back by the accidental-deletion guard)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from simulator.core import isoformat

from ..connector_store import ConnectorEntry
from ..errors import ExpressionError
from ..logs import ErrorInformation, LogEntry
from ..target import GROUP_PATH, USER_PATH, ErrorClass, TargetError
from .context import _ACTION_LABEL, CREATE, DELETE, SKIPPED, CycleContext, CycleResult, QuarantineSignal

log = logging.getLogger(__name__)


def linked(entry: ConnectorEntry | None) -> TypeGuard[ConnectorEntry]:
    return entry is not None and entry.linked


def guarded(ctx: CycleContext, result: CycleResult, object_type: str, object_id: str, step: Callable[..., None],
            *args: Any, reference: bool = False) -> None:
    """Run one object's step inside the per-object error boundary.

    A target answer is handled where it happens (logged, escrowed); anything else that escapes
    (an expression failing on this object's values, an engine error) becomes this object's failure
    here.  For the quarantine judgement the object counts as an operation on the target when it
    wrote there or a call of it failed on the target's side (a lookup that finds nothing to change
    does not; an expression failure never reaches the target at all).
    """
    writes, failures = ctx.target.writes_sent, result.target_failures
    try:
        step(ctx, result, object_id, *args)
    except QuarantineSignal:
        raise
    except Exception as err:  # the per-object boundary: one object never stops the cycle
        log.exception("provisioning %s %s failed inside the engine", object_type, object_id)
        _object_error(ctx, result, object_type, object_id, err, reference=reference)
    if ctx.target.writes_sent != writes or result.target_failures != failures:
        result.target_operations += 1


def _object_error(ctx: CycleContext, result: CycleResult, object_type: str, object_id: str, err: Exception,
                  *, reference: bool) -> None:
    name = object_id
    try:
        obj = ctx.source.user(object_id) if object_type == "User" else ctx.source.group(object_id)
        cached = ctx.cache.get(object_id)
        name = (obj or {}).get("displayName") or (cached.display_name if cached else None) or object_id
    except Exception:  # the name is only for the log entry; the failure itself is what matters
        log.debug("no display name for %s", object_id, exc_info=True)
    entry = LogEntry("update" if reference else "other", object_type, object_id, name)
    if isinstance(err, ExpressionError):
        failure = TargetError("ExpressionEvaluationFailed", f"An attribute-mapping expression cannot be evaluated for "
                              f"this {object_type.lower()}: {err.message}", engine=True)
    else:
        failure = TargetError("InternalError", f"The provisioning service failed on this {object_type.lower()}: "
                              f"{type(err).__name__}: {err}", engine=True)
    handle_failure(ctx, result, entry, failure, reference=reference)


def emit(ctx: CycleContext, result: CycleResult, entry: LogEntry) -> None:
    result.count(f"{entry.action}:{entry.status}")
    ctx.emit(entry)


def handle_failure(ctx: CycleContext, result: CycleResult, entry: LogEntry, err: TargetError, *, reference: bool = False) -> None:
    entry.fail(err.to_error_information())
    if err.fault:
        entry.fault = err.fault
        entry.step("processing", "failure", f"The failure came from provsim fault rule {err.fault}", FaultRule=err.fault)
    if err.engine:
        entry.step("processing", "failure", err.message)
    else:
        entry.step("export", "failure", f"Failed to {entry.action} {entry.object_type.lower()} '{entry.source_name}' in "
                   f"PureCloud by Genesys: {err.message}", StatusCode=str(err.status or ""), ErrorCode=err.code)
    if reference:
        result.reference_failed += 1
    else:
        result.failed += 1
    if err.service_failure:
        result.target_failures += 1
        result.target_codes[err.code] = result.target_codes.get(err.code, 0) + 1
        result.target_fault = err.fault or result.target_fault
    if err.error_class == ErrorClass.QUARANTINE:
        emit(ctx, result, entry)
        raise QuarantineSignal(err)
    if ctx.escrow is not None:
        held = ctx.escrow.put(entry.source_id, entry.object_type, err.code, err.message, reference=reference,
                              next_cycle=ctx.next_cycle)
        retry = isoformat(held.next_retry) if held.next_retry else None
        when = f"it is retried at {retry}" if retry else "28 days after the first failure it is dropped from escrow"
        entry.step("processing", "failure", f"The change is in escrow (attempt {held.attempts}); {when}",
                   Attempt=str(held.attempts), NextRetry=str(retry))
        result.escrowed += 1
    emit(ctx, result, entry)


def skip(ctx: CycleContext, result: CycleResult, entry: LogEntry, action: str, description: str) -> None:
    """A target object action that is off: logged as Skipped, nothing sent."""
    label = _ACTION_LABEL[action]
    entry.skip(ErrorInformation(SKIPPED, (
        f"{description}, but the '{label}' target object action is off for {entry.object_type.lower()}s "
        f"(Mappings > Provision Microsoft Entra ID {entry.object_type}s > Target Object Actions); nothing was sent."),
        recommended_action=f"Turn the '{label}' target object action on if PureCloud by Genesys should get this change."))
    entry.step("export", "skipped", f"Target object action '{label}' is off: nothing was sent", TargetObjectAction=label)
    result.skipped += 1
    emit(ctx, result, entry)


def stage_delete(ctx: CycleContext, result: CycleResult, log_entry: LogEntry) -> None:
    log_entry.action = "stagedDelete"
    log_entry.skip(ErrorInformation("TooManyDeletes", (
        f"The cycle would disable or delete more objects than the accidental-deletion threshold "
        f"({ctx.delete_threshold}); the change is held back until deletes are allowed (restart with ForceDeletes)."),
        recommended_action="Check the changes in Entra ID; then allow the deletes (restart with resetScope ForceDeletes)."))
    log_entry.step("export", "skipped", "Staged: held back by the accidental-deletion guard")
    result.staged_deletes += 1
    emit(ctx, result, log_entry)


def nothing_to_change(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, description: str) -> None:
    """A full cycle looked at an object and found it as it should be: Microsoft's documented outcome is
    ``Skipped`` with ``EntrySynchronizationSkipped`` ("the user already existing in the target system
    with no further changes required", M:howto-analyze-provisioning-logs)."""
    log_entry.action = "other"
    log_entry.skip(ErrorInformation(SKIPPED, f"The {log_entry.object_type.lower()} already exists in PureCloud by Genesys "
                                    "with no further changes required."))
    log_entry.step("export", "skipped", f"{description}: nothing to change")
    result.skipped += 1
    emit(ctx, result, log_entry)


def change_triples(changes: Any) -> list[tuple[str, Any, Any]]:
    out: list[tuple[str, Any, Any]] = []
    for c in changes:
        if isinstance(c, dict):
            out.append((str(c.get("attribute") or c.get("path") or "?"), c.get("old"), c.get("new")))
        elif isinstance(c, (tuple, list)):
            out.append((c[0], c[1], c[2]))
        else:
            out.append((getattr(c, "attribute", getattr(c, "path", "?")), getattr(c, "old", None), getattr(c, "new", None)))
    return out


def patch(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, resource: str, target_id: str, body: dict[str, Any],
          *, reference: bool = False) -> bool:
    """Send one PATCH; a failure is logged, escrowed or quarantines (False means stop here)."""
    try:
        ctx.target.patch(resource, target_id, body)
    except TargetError as err:
        handle_failure(ctx, result, log_entry, err, reference=reference)
        return False
    return True


def clear_escrow(ctx: CycleContext, object_id: str, *, kind: str | None = "object") -> None:
    """The object's own change went through (``kind="object"``), or its reference update did
    (``"reference"``): its escrow entry of that kind is done."""
    if ctx.escrow is not None:
        ctx.escrow.clear(object_id, kind=kind)


#: :func:`send_create` sent nothing, or the create failed (already logged)
NOT_CREATED = object()


def send_create(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, object_type: str, values: Mapping[str, Any],
                why: str) -> Any:
    """``POST`` the object (unless the Create action is off); the answer, or :data:`NOT_CREATED`."""
    log_entry.action = "create"
    if not ctx.allows(object_type, CREATE):
        skip(ctx, result, log_entry, CREATE, why)
        return NOT_CREATED
    try:
        return ctx.target.create(USER_PATH if object_type == "User" else GROUP_PATH,
                                 ctx.mappings.build_create(object_type, values))
    except TargetError as err:
        handle_failure(ctx, result, log_entry, err)
        return NOT_CREATED


def delete_object(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, object_id: str, resource: str,
                  target_id: str, *, why: str, done: str) -> None:
    """``DELETE /Users|Groups/{id}`` unless the Delete action is off (the link goes, the target object stays)
    or the accidental-deletion guard holds it back; a 404 (already gone) counts as deleted."""
    object_type = "User" if resource == USER_PATH else "Group"
    if not ctx.allows(object_type, DELETE):
        # The Entra object is gone for good: the link goes too; the target object stays as it is.
        ctx.cache.remove(object_id)
        clear_escrow(ctx, object_id, kind=None)
        skip(ctx, result, log_entry, DELETE, why)
        return
    if result.too_many_deletes:
        stage_delete(ctx, result, log_entry)
        return
    try:
        ctx.target.delete(resource, target_id)
    except TargetError as err:
        if err.status != 404:
            handle_failure(ctx, result, log_entry, err)
            return
    log_entry.step("export", "success", done)
    ctx.cache.remove(object_id)
    result.exported += 1
    result.deletes += 1
    emit(ctx, result, log_entry)
    clear_escrow(ctx, object_id, kind=None)
