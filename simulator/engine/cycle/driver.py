"""One provisioning cycle, as the Entra provisioning service runs it ("How Application Provisioning works in Microsoft Entra ID" (Microsoft Learn)).

Initial cycle: import every user and group in scope (assigned, or all), and for
each: scoping -> matching (``GET /Users?filter=userName eq "..."``) -> create
(POST) or update (PATCH with only what changed); store the target id.  Then a
separate reference pass sets managers and group memberships.  Incremental
cycles do the same for what the directory's change feed says changed since the
watermark, and deprovision what left scope (PATCH active false) or was deleted
for good (DELETE).

Group memberships: an initial cycle (and a group linked for the first time, or
retried from escrow) resolves a group's whole membership; an incremental cycle
applies only the membership changes the feed reports, member by member, as the
real service does.  So, as documented among its known issues, a member who
comes into scope later, or a user restored from soft delete, is added to the
group only after a restart.  Membership PATCHes are split so that none carries
more than ``members_per_patch`` members or ``max_request_bytes`` bytes.

Every object is processed inside an error boundary: whatever goes wrong with
one object (a target answer, an expression that fails on its values, an engine
error) becomes that object's failure (a provisioning-log entry, escrow) and the
cycle carries on.  Only :class:`QuarantineSignal` stops a cycle.

Target object actions (Create / Update / Delete of the object mapping) are
honoured: an action that is off is logged as Skipped and nothing is sent.

Decisions (scope, desired values, what changed) are pure functions in
``mappings`` and ``scoping``; this module sequences them and does the I/O
through :class:`~simulator.engine.target.ScimTarget`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeGuard

from simulator.core import isoformat

from ..connector_store import ConnectorEntry, LinkState
from ..errors import EngineError, ExpressionError
from ..logs import ErrorInformation, LogEntry
from ..mappings import DesiredAttributes
from ..source import AppRole, Assignment, DirectorySource, ServicePrincipal, SourceObject
from ..target import (
    GROUP_PATH,
    INCOMPATIBLE,
    USER_PATH,
    ErrorClass,
    ScimTarget,
    TargetError,
    encode_body,
    max_request_bytes,
)
from ..target_profile import DEFAULT_PROFILE, TargetRules, rules_for

if TYPE_CHECKING:
    from ..connector_store import ConnectorCache
    from ..escrow import EscrowBook
    from ..job_mappings import JobMappings

__all__ = ["CycleContext", "CycleResult", "run_cycle", "QuarantineSignal", "DEFAULT_ACCESS_ROLE",
           "process_user", "process_group", "resolve_manager", "resolve_members", "guarded"]

log = logging.getLogger(__name__)

DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"
#: Target object actions as the synchronization schema's ``objectMapping.flowTypes`` names them.
CREATE, UPDATE, DELETE = "Add", "Update", "Delete"
_ACTION_LABEL = {CREATE: "Create", UPDATE: "Update", DELETE: "Delete"}
#: The documented provisioning-log code for an object the service looked at and left alone.
SKIPPED = "EntrySynchronizationSkipped"


class QuarantineSignal(Exception):
    """Raised out of a cycle when a failure quarantines the whole job (bad credentials, ...)."""

    def __init__(self, error: TargetError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class CycleResult:
    initial: bool
    imported: int = 0
    entitled: int = 0
    exported: int = 0
    escrowed: int = 0
    skipped: int = 0
    failed: int = 0
    reference_failed: int = 0
    deletes: int = 0
    staged_deletes: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    watermark: str = ""
    quarantine: TargetError | None = None
    too_many_deletes: bool = False
    #: objects and reference updates that wrote to the target, or whose calls failed on its side
    #: (provsim's bookkeeping lookups excluded): what "every call failed" is measured against
    target_operations: int = 0
    #: ... of which failed on the target's side (5xx, timeout, dropped connection), by code
    target_failures: int = 0
    target_codes: dict[str, int] = field(default_factory=dict)
    target_fault: str | None = None
    #: groups linked to a Genesys group in this cycle (their whole membership is resolved)
    linked_groups: set[str] = field(default_factory=set)
    #: users restored from soft delete in this cycle (memberships wait for a restart: known issue)
    restored_users: set[str] = field(default_factory=set)

    def count(self, action: str) -> None:
        self.actions[action] = self.actions.get(action, 0) + 1


@dataclass
class CycleContext:
    """Everything a cycle needs, handed in by the job runner."""

    job_id: str
    service_principal: ServicePrincipal
    source: DirectorySource
    target: ScimTarget
    mappings: JobMappings
    cache: ConnectorCache
    emit: Callable[[LogEntry], None]
    sync_all: bool = False
    skip_out_of_scope_deletions: bool = False
    entra_quirks: bool = True
    #: what the target app takes (PureCloud by Genesys: groups are never created or deleted)
    rules: TargetRules = field(default_factory=lambda: rules_for(DEFAULT_PROFILE))
    delete_threshold: int | None = None
    force_deletes: bool = False
    escrow: EscrowBook | None = None
    progress: Callable[[int, int], None] | None = None
    initial: bool = False
    #: when the job's next cycle runs: errors retried "in 40 minutes" are retried then
    next_cycle: datetime | None = None
    members_per_patch: int = 1000
    max_request_bytes: int = 512000
    #: told when a 413 names a lower request limit than ``max_request_bytes`` (the job remembers it)
    on_request_limit: Callable[[int], None] | None = None
    #: provision on demand: an object out of scope is reported (a cycle never imports unassigned ones)
    on_demand: bool = False
    #: missing groups found again by provsim's lookup this cycle: group id -> the Genesys group
    found_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    _roles: dict[str, AppRole] | None = None
    _flows: dict[str, frozenset[str]] | None = None

    def app_roles(self) -> dict[str, AppRole]:
        """The app's roles by id, read once per cycle (they do not change within one)."""
        if self._roles is None:
            self._roles = {r.id: r for r in self.source.app_roles(self.service_principal.id)}
        return self._roles

    def allows(self, object_type: str, action: str) -> bool:
        """Is this target object action (Add/Update/Delete) on for the object mapping?"""
        if self._flows is None:
            self._flows = {}
        if object_type not in self._flows:
            enabled = self.mappings.enabled(object_type)
            self._flows[object_type] = self.mappings.flow_types(object_type) if enabled else frozenset(_ACTION_LABEL)
        return action in self._flows[object_type]


# ---------------------------------------------------------------------------------------------
# Scope


@dataclass
class ScopeDecision:
    in_scope: bool
    reasons: list[str]
    assignments: list[Assignment]
    active: bool
    soft_deleted: bool
    filter_details: list[str]


def user_scope(ctx: CycleContext, user: SourceObject | None, deletion: str | None) -> ScopeDecision:
    """Is this user in scope, and is ``IsSoftDeleted`` true for it?"""
    sp_id = ctx.service_principal.id
    if user is None:
        return ScopeDecision(False, [f"The user is {'soft-deleted' if deletion == 'changed' else 'deleted'} in Entra ID"],
                             [], False, True, [])
    principals = [user["id"], *ctx.source.groups_of(user["id"])]
    assignments = ctx.source.assignments_of(sp_id, principals)
    reasons: list[str] = []
    entitled = ctx.sync_all or bool(assignments)
    if not entitled:
        reasons.append("Assigned: the user is not assigned to the application, directly or through a group it is a direct member of")
    active = bool(user.get("accountEnabled", True))
    if not active:
        reasons.append("IsActive: the user is disabled in Entra ID (accountEnabled is false)")
    in_filter, details = _scoping_filter(ctx, "User", user, assignments, reasons)
    in_scope = entitled and in_filter
    return ScopeDecision(in_scope, reasons, assignments, active, not (in_scope and active), details)


def group_scope(ctx: CycleContext, group: SourceObject | None) -> ScopeDecision:
    sp_id = ctx.service_principal.id
    if group is None:
        return ScopeDecision(False, ["The group is deleted in Entra ID"], [], False, True, [])
    assignments = ctx.source.assignments_of(sp_id, [group["id"]])
    reasons: list[str] = []
    entitled = ctx.sync_all or bool(assignments)
    if not entitled:
        reasons.append("Assigned: the group is not assigned to the application")
    in_filter, details = _scoping_filter(ctx, "Group", group, assignments, reasons)
    in_scope = entitled and in_filter
    return ScopeDecision(in_scope, reasons, assignments, True, not in_scope, details)


def _scoping_filter(ctx: CycleContext, object_type: str, obj: SourceObject, assignments: list[Assignment],
                    reasons: list[str]) -> tuple[bool, list[str]]:
    """Evaluate the object mapping's scoping filter; a miss adds the unmet clauses to ``reasons``."""
    flt = ctx.mappings.scoping_filter(object_type)
    if flt is None or flt.is_empty:
        return True, []
    in_filter, clause_results = flt.evaluate(mapping_source(ctx, obj, assignments, soft_deleted=False))
    details = [getattr(c, "message", str(c)) for c in clause_results]
    if not in_filter:
        unmet = [d for d in details if "not met" in d or "false" in d.lower()]
        reasons.append("ScopingFilter: " + ("; ".join(unmet) if unmet else "not met"))
    return in_filter, details


def mapping_source(ctx: CycleContext, obj: SourceObject, assignments: Iterable[Assignment], *,
                   soft_deleted: bool) -> SourceObject:
    """The source object as mapping expressions see it (Entra attribute names)."""
    roles = ctx.app_roles()
    role_list = []
    for a in assignments:
        role = roles.get(a.app_role_id)
        role_list.append({"appRoleId": a.app_role_id, "displayName": role.display_name if role else None,
                          "value": role.value if role else None, "principalType": a.principal_type})
    src = dict(obj)
    src["objectId"] = obj.get("id")
    src["IsSoftDeleted"] = soft_deleted
    src["appRoleAssignments"] = role_list
    if "mobilePhone" in obj:
        src.setdefault("mobile", obj.get("mobilePhone"))
    phones = obj.get("businessPhones") or []
    src.setdefault("telephoneNumber", phones[0] if phones else None)
    return src


# ---------------------------------------------------------------------------------------------
# The cycle


def run_cycle(ctx: CycleContext, *, initial: bool, watermark: str | None) -> CycleResult:
    """Run one cycle; returns counts and the new watermark.  Raises QuarantineSignal."""
    result = CycleResult(initial=initial)
    source = ctx.source
    full = initial or not watermark
    ctx.initial = full  # a restart's (or the first) cycle; ``full`` also covers a feed that lost track
    delta: dict[str, dict[str, str]] = {}
    lookups: list[str] = []  # missing groups looked up again: not imported (nothing changed in Entra)
    if full or not watermark:  # (``not watermark`` already makes ``full``: said again for the type checker)
        new_watermark = source.watermark()
        user_ids, group_ids = _initial_scope(ctx)
        removed: dict[str, str] = {}
        # Objects provisioned earlier that are no longer anywhere (restart without wiping the cache).
        known = set(user_ids) | set(group_ids)
        for entry in ctx.cache.entries():
            if entry.source_id not in known:
                state = source.deletion_state(entry.source_id)
                (user_ids if entry.object_type == "User" else group_ids).append(entry.source_id)
                if state:
                    removed[entry.source_id] = state
    else:
        changes = source.changes_since(watermark)
        new_watermark = changes.watermark
        removed = dict(changes.removed)
        user_ids = list(dict.fromkeys(changes.users))
        group_ids = list(dict.fromkeys(changes.groups))
        if changes.full:
            full = True  # the feed could not say what changed (a resumed state file): resolve every membership
        for object_id in removed:
            cached = ctx.cache.get(object_id)
            if cached is None:
                continue
            if cached.object_type == "User" and object_id not in user_ids:
                user_ids.append(object_id)
            if cached.object_type == "Group" and object_id not in group_ids:
                group_ids.append(object_id)
        for group_id, member_id, member_type, op in changes.memberships:
            if member_type == "User":  # nested groups are not provisioned (How Application Provisioning works, Scoping)
                delta.setdefault(group_id, {})[member_id] = op
        # A group with no Genesys counterpart is looked up again every cycle (provsim's own bookkeeping,
        # below): linked once it exists.
        lookups = [g for g in ctx.cache.missing_groups() if g not in group_ids]
    retries: set[str] = set()
    if ctx.escrow is not None:
        # Escrow backoff: an object waiting for its retry is left alone by the cycles in between;
        # objects whose retry falls due now join this cycle ("Application provisioning in quarantine status" (Microsoft Learn), Retry duration).
        user_ids = [u for u in user_ids if not ctx.escrow.waiting(u)]
        group_ids = [g for g in group_ids if not ctx.escrow.waiting(g)]
        delta = {g: members for g, members in delta.items() if not ctx.escrow.waiting(g)}
        for object_id, object_type in ctx.escrow.due():
            retries.add(object_id)
            target_list = user_ids if object_type == "User" else group_ids
            if object_id not in target_list:
                target_list.append(object_id)
        lookups = [g for g in lookups if g not in group_ids and not ctx.escrow.waiting(g)]

    result.imported = len(user_ids) + len(group_ids)
    total = result.imported + len(lookups)
    done = 0
    deletes_planned = _plan_deletes(ctx, user_ids, removed) if ctx.delete_threshold else 0
    if ctx.delete_threshold and ctx.rules.deletes_groups:
        deletes_planned += _plan_group_deletes(ctx, group_ids)  # group deletes count too ("Enable accidental deletions prevention in the Microsoft Entra provisioning service" (Microsoft Learn))
    if ctx.delete_threshold and deletes_planned > ctx.delete_threshold and not ctx.force_deletes:
        result.too_many_deletes = True

    relinked: list[str] = []  # users linked in this cycle by an escrow retry: their memberships follow
    for user_id in user_ids:
        was_linked = user_id in retries and _linked(ctx.cache.get(user_id))
        guarded(ctx, result, "User", user_id, process_user, removed.get(user_id))
        if user_id in retries and not was_linked and _linked(ctx.cache.get(user_id)):
            relinked.append(user_id)
        done += 1
        if ctx.progress:
            ctx.progress(done, total)
    for group_id in group_ids:
        guarded(ctx, result, "Group", group_id, process_group, removed.get(group_id))
        done += 1
        if ctx.progress:
            ctx.progress(done, total)
    for group_id in lookups:
        if _missing_group_found(ctx, group_id):
            guarded(ctx, result, "Group", group_id, process_group, None)
            group_ids.append(group_id)
        done += 1
        if ctx.progress:
            ctx.progress(done, total)

    # Reference pass: managers, then memberships.
    for user_id in user_ids:
        guarded(ctx, result, "User", user_id, resolve_manager, reference=True)
    # Whole memberships: every group of a full cycle, else groups linked now or retried from escrow;
    # the other groups get the feed's member-by-member changes.
    whole = dict.fromkeys(g for g in group_ids if full or g in result.linked_groups or g in retries)
    for user_id in relinked:
        for group_id in ctx.source.groups_of(user_id):
            if group_id not in whole:
                delta.setdefault(group_id, {})[user_id] = "added"
    for group_id in whole:
        guarded(ctx, result, "Group", group_id, resolve_members, reference=True)
    for group_id, members in delta.items():
        if group_id not in whole:
            guarded(ctx, result, "Group", group_id, apply_membership_changes, members, reference=True)
    result.watermark = new_watermark
    return result


def _linked(entry: ConnectorEntry | None) -> TypeGuard[ConnectorEntry]:
    return entry is not None and entry.linked


def _missing_group_found(ctx: CycleContext, group_id: str) -> bool:
    """provsim's own bookkeeping: look a group that had no Genesys counterpart up again by name.

    Nothing changed in Entra, so the real, delta-driven service would not even look; this lookup is
    provsim's way to link the group once an admin creates it in Genesys.  It is never logged, never
    counted as a call of the cycle and never fails it: any error just means "not found this time".
    When the group is there, its Genesys resource is handed to :func:`process_group` (no second GET)."""
    group = ctx.source.group(group_id)
    if group is None:
        return False
    decision = group_scope(ctx, group)
    if not decision.in_scope:
        return True  # left scope meanwhile: process_group records it (no call to the target)
    try:
        values = ctx.mappings.compute("Group", mapping_source(ctx, group, decision.assignments, soft_deleted=False),
                                      creating=True)
        for attribute, value in ctx.mappings.matching_values("Group", values):
            found = ctx.target.find(GROUP_PATH, attribute, value, exclude_members=True)
            if len(found) == 1:
                ctx.found_groups[group_id] = found[0]
            if found:
                return True  # (several: process_group looks again and reports the ambiguity)
    except (TargetError, EngineError) as err:
        log.debug("looking the missing group %s up again failed (%s); trying again next cycle", group_id, err)
    return False


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
    _handle_failure(ctx, result, entry, failure, reference=reference)


def _initial_scope(ctx: CycleContext) -> tuple[list[str], list[str]]:
    """What the initial cycle imports: assigned principals (and direct members of assigned groups), or all."""
    source = ctx.source
    if ctx.sync_all:
        return source.all_user_ids(), source.all_group_ids()
    users: dict[str, None] = {}
    groups: dict[str, None] = {}
    for a in source.assignments(ctx.service_principal.id):
        if a.principal_type == "User":
            users[a.principal_id] = None
        elif a.principal_type == "Group":
            groups[a.principal_id] = None
    for group_id in list(groups):
        for member_id, member_type in source.member_ids(group_id):
            if member_type == "User":
                users.setdefault(member_id, None)
    order = {uid: i for i, uid in enumerate(source.all_user_ids())}
    gorder = {gid: i for i, gid in enumerate(source.all_group_ids())}
    return sorted(users, key=lambda u: order.get(u, 1 << 30)), sorted(groups, key=lambda g: gorder.get(g, 1 << 30))


def _plan_group_deletes(ctx: CycleContext, group_ids: list[str]) -> int:
    """How many linked groups this cycle would delete (deleted in Entra, or out of scope)."""
    count = 0
    for group_id in group_ids:
        entry = ctx.cache.get(group_id)
        if entry is None or not entry.linked or entry.state is not LinkState.ACTIVE or not ctx.allows("Group", DELETE):
            continue
        try:
            count += not group_scope(ctx, ctx.source.group(group_id)).in_scope
        except Exception:  # the group's own processing reports it; here it just is not a planned delete
            log.debug("cannot plan the deprovisioning of %s", group_id, exc_info=True)
    return count


def _plan_deletes(ctx: CycleContext, user_ids: list[str], removed: dict[str, str]) -> int:
    """How many disables/deletes this cycle would send (for the accidental-deletion guard)."""
    count = 0
    for user_id in user_ids:
        entry = ctx.cache.get(user_id)
        if entry is None or entry.state is not LinkState.ACTIVE:
            continue
        if removed.get(user_id) == "deleted":
            count += ctx.allows("User", DELETE)
            continue
        try:
            user = ctx.source.user(user_id)
            decision = user_scope(ctx, user, removed.get(user_id))
        except Exception:  # the object's own processing reports it; here it just is not a planned delete
            log.debug("cannot plan the deprovisioning of %s", user_id, exc_info=True)
            continue
        skipped = ctx.skip_out_of_scope_deletions and user is not None and decision.active and not decision.in_scope
        if decision.soft_deleted and not skipped and ctx.allows("User", UPDATE):
            count += 1
    return count


def _emit(ctx: CycleContext, result: CycleResult, entry: LogEntry) -> None:
    result.count(f"{entry.action}:{entry.status}")
    ctx.emit(entry)


def _handle_failure(ctx: CycleContext, result: CycleResult, entry: LogEntry, err: TargetError, *, reference: bool = False) -> None:
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
        _emit(ctx, result, entry)
        raise QuarantineSignal(err)
    if ctx.escrow is not None:
        held = ctx.escrow.put(entry.source_id, entry.object_type, err.code, err.message, reference=reference,
                              next_cycle=ctx.next_cycle)
        retry = isoformat(held.next_retry) if held.next_retry else None
        when = f"it is retried at {retry}" if retry else "28 days after the first failure it is dropped from escrow"
        entry.step("processing", "failure", f"The change is in escrow (attempt {held.attempts}); {when}",
                   Attempt=str(held.attempts), NextRetry=str(retry))
        result.escrowed += 1
    _emit(ctx, result, entry)


def _skip(ctx: CycleContext, result: CycleResult, entry: LogEntry, action: str, description: str) -> None:
    """A target object action that is off: logged as Skipped, nothing sent."""
    label = _ACTION_LABEL[action]
    entry.skip(ErrorInformation(SKIPPED, (
        f"{description}, but the '{label}' target object action is off for {entry.object_type.lower()}s "
        f"(Mappings > Provision Microsoft Entra ID {entry.object_type}s > Target Object Actions); nothing was sent."),
        recommended_action=f"Turn the '{label}' target object action on if PureCloud by Genesys should get this change."))
    entry.step("export", "skipped", f"Target object action '{label}' is off: nothing was sent", TargetObjectAction=label)
    result.skipped += 1
    _emit(ctx, result, entry)


def process_user(ctx: CycleContext, result: CycleResult, user_id: str, removal: str | None) -> None:
    source = ctx.source
    user = source.user(user_id)
    deletion = removal or (source.deletion_state(user_id) if user is None else None)
    decision = user_scope(ctx, user, deletion)
    entry_cache = ctx.cache.get(user_id)
    name = (user or {}).get("displayName") or (entry_cache.display_name if entry_cache else None) or user_id
    upn = (user or {}).get("userPrincipalName")
    if decision.in_scope:
        result.entitled += 1
    log_entry = LogEntry("other", "User", user_id, name)
    log_entry.step("import", "success", f"Received User '{upn or name}' change of type ({'Delete' if user is None else 'Add/Update'}) from Azure Active Directory",
                   accountEnabled=str((user or {}).get("accountEnabled")), userPrincipalName=str(upn))
    if decision.in_scope and decision.active:
        log_entry.step("scoping", "success", "Determine if User in scope by evaluating against each scoping filter",
                       Assigned="True", IsActive="True", ScopingFilter="True" if not decision.filter_details else "; ".join(decision.filter_details))
    else:
        log_entry.step("scoping", "skipped" if entry_cache is None else "success",
                       "User is not in scope: " + "; ".join(decision.reasons))

    # Hard delete of a managed user -> DELETE (only if it was disabled/removed while managed, not after an unassign).
    if user is None and deletion == "deleted":
        if entry_cache is None or not entry_cache.linked:
            return
        if entry_cache.state is LinkState.OUT_OF_SCOPE:
            # Unassigned earlier: no longer managed, so nothing is deleted (How Application Provisioning works, De-provisioning).
            ctx.cache.remove(user_id)
            return
        target_id = entry_cache.target_id or ""
        log_entry.action = "delete"
        log_entry.target_id = target_id
        log_entry.target_name = entry_cache.target_name or ""
        _delete_object(ctx, result, log_entry, user_id, USER_PATH, target_id,
                       why=f"User '{name}' was deleted for good in Entra ID",
                       done=f"User '{name}' was deleted in PureCloud by Genesys")
        return

    if entry_cache is None or not entry_cache.linked:
        # Not managed yet: only objects in scope and active are ever created.
        if user is None or not (decision.in_scope and decision.active):
            if user is not None and (decision.in_scope or ctx.sync_all or decision.assignments or ctx.on_demand):
                log_entry.skip(ErrorInformation("NotEffectivelyEntitled" if not decision.in_scope else "UserDisabled",
                                                "; ".join(decision.reasons)))
                result.skipped += 1
                _emit(ctx, result, log_entry)
            return
        _create_or_match_user(ctx, result, user, decision, log_entry)
        return

    # Managed: update, disable or re-enable.
    log_entry.target_id = entry_cache.target_id or ""
    if user is not None and entry_cache.soft_deleted:
        # Back from soft delete: re-enabled below; its group memberships wait for a restart (known issue).
        result.restored_users.add(user_id)
        entry_cache = ctx.cache.update(entry_cache, soft_deleted=False)
    if decision.soft_deleted and user is not None and not decision.in_scope and ctx.skip_out_of_scope_deletions:
        log_entry.skip(ErrorInformation(SKIPPED, "SkipOutOfScopeDeletions is on: the user left scope and is not disabled"))
        log_entry.step("processing", "skipped", "SkipOutOfScopeDeletions is on: the user left scope and is not disabled")
        ctx.cache.update(entry_cache, state=LinkState.OUT_OF_SCOPE)
        result.skipped += 1
        _emit(ctx, result, log_entry)
        return
    if decision.soft_deleted and result.too_many_deletes and entry_cache.state is LinkState.ACTIVE \
            and ctx.allows("User", UPDATE):
        log_entry.action = "disable"
        _stage_delete(ctx, result, log_entry)
        return
    _update_user(ctx, result, user, decision, log_entry, entry_cache)


def _stage_delete(ctx: CycleContext, result: CycleResult, log_entry: LogEntry) -> None:
    log_entry.action = "stagedDelete"
    log_entry.skip(ErrorInformation("TooManyDeletes", (
        f"The cycle would disable or delete more objects than the accidental-deletion threshold "
        f"({ctx.delete_threshold}); the change is held back until deletes are allowed (restart with ForceDeletes)."),
        recommended_action="Check the changes in Entra ID; then allow the deletes (restart with resetScope ForceDeletes)."))
    log_entry.step("export", "skipped", "Staged: held back by the accidental-deletion guard")
    result.staged_deletes += 1
    _emit(ctx, result, log_entry)


def _nothing_to_change(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, description: str) -> None:
    """A full cycle looked at an object and found it as it should be: Microsoft's documented outcome is
    ``Skipped`` with ``EntrySynchronizationSkipped`` ("the user already existing in the target system
    with no further changes required", M:howto-analyze-provisioning-logs)."""
    log_entry.action = "other"
    log_entry.skip(ErrorInformation(SKIPPED, f"The {log_entry.object_type.lower()} already exists in PureCloud by Genesys "
                                    "with no further changes required."))
    log_entry.step("export", "skipped", f"{description}: nothing to change")
    result.skipped += 1
    _emit(ctx, result, log_entry)


def _desired_user(ctx: CycleContext, user: SourceObject, decision: ScopeDecision, *,
                  creating: bool) -> DesiredAttributes:
    src = mapping_source(ctx, user, decision.assignments, soft_deleted=decision.soft_deleted)
    return ctx.mappings.compute("User", src, creating=creating)


def _create_or_match_user(ctx: CycleContext, result: CycleResult, user: SourceObject, decision: ScopeDecision,
                          log_entry: LogEntry) -> None:
    values = _desired_user(ctx, user, decision, creating=True)
    matched = None
    for target_attr, source_value in ctx.mappings.matching_values("User", values):
        if source_value in (None, ""):
            continue
        try:
            found = ctx.target.find(USER_PATH, target_attr, source_value)
        except TargetError as err:
            log_entry.action = "create"
            _handle_failure(ctx, result, log_entry, err)
            return
        if len(found) > 1:
            log_entry.action = "create"
            duplicate = TargetError("DuplicateTargetEntries", f"More than one PureCloud by Genesys user has {target_attr} '{source_value}'",
                                    200, ErrorClass.ESCROW, "GET", USER_PATH)
            _handle_failure(ctx, result, log_entry, duplicate)
            return
        log_entry.step("matching", "success", f"Searched PureCloud by Genesys for a User with {target_attr} '{source_value}': "
                       + ("found one" if found else "none found"), matchingAttribute=target_attr, matchedTargetId=found[0]["id"] if found else "")
        if found:
            matched = found[0]
            break
    if matched is None:
        created = _send_create(ctx, result, log_entry, "User", values,
                               f"User '{values.get('userName')}' is in scope and not in PureCloud by Genesys")
        if created is _NOT_CREATED:
            return
        target_id = created.get("id") if isinstance(created, dict) else None
        log_entry.target_id = target_id or ""
        log_entry.target_name = values.get("userName", "")
        log_entry.modified = [(attr, None, value) for attr, value in values.items()]
        log_entry.step("export", "success", f"User '{values.get('userName')}' was created in PureCloud by Genesys",
                       TargetId=target_id or "")
        ctx.cache.put(user["id"], "User", target_id, user.get("displayName"), values.get("userName"), state=LinkState.ACTIVE)
        result.exported += 1
        _emit(ctx, result, log_entry)
        _clear_escrow(ctx, user["id"])
        return
    # Matched an existing Genesys user: link it and bring its attributes in line.
    linked = ctx.cache.put(user["id"], "User", matched["id"], user.get("displayName"), matched.get("userName"),
                           state=LinkState.ACTIVE)
    log_entry.target_id = matched["id"]
    _update_user(ctx, result, user, decision, log_entry, linked, current=matched, matched=True)


def _update_user(ctx: CycleContext, result: CycleResult, user: SourceObject | None, decision: ScopeDecision,
                 log_entry: LogEntry, entry_cache: ConnectorEntry, *, current: Mapping[str, Any] | None = None,
                 matched: bool = False) -> None:
    target_id = entry_cache.target_id or ""
    desired: Mapping[str, Any]
    if user is None:
        # Soft-deleted in Entra: only 'active' can be computed; disable.
        desired = {"active": False}
    else:
        desired = _desired_user(ctx, user, decision, creating=False)
        if not decision.in_scope and desired.get("active") is False:
            desired = {"active": False}  # left scope: only the disable flows, not attribute updates (How Application Provisioning works)
    if current is None:
        try:
            current = ctx.target.get(USER_PATH, target_id)
        except TargetError as err:
            log_entry.action = "update"
            _handle_failure(ctx, result, log_entry, err)
            return
        if current is None:
            log_entry.action = "update"
            missing = TargetError("InvalidAnchor", f"The PureCloud by Genesys user {target_id} that this user was linked to "
                                  "no longer exists (deleted in Genesys?). Restart provisioning to match it again.", 404,
                                  ErrorClass.ESCROW, "GET", USER_PATH + "/" + target_id)
            _handle_failure(ctx, result, log_entry, missing)
            return
    entry_cache = _seen_manager(ctx, entry_cache, user, current)
    current_values = ctx.mappings.read_target("User", current, desired.keys())
    changes = ctx.mappings.diff(current_values, desired)
    disabling = desired.get("active") is False and current_values.get("active") is not False
    enabling = desired.get("active") is True and current_values.get("active") is False
    log_entry.action = "disable" if disabling else "update"
    log_entry.target_name = current.get("userName", "")
    if desired.get("active") is False:
        gone = (user is not None and not decision.in_scope) or (user is None and entry_cache.state is LinkState.OUT_OF_SCOPE)
        state = LinkState.OUT_OF_SCOPE if gone else LinkState.DISABLED
    else:
        state = LinkState.ACTIVE
    if not changes:
        # Once unassigned (outOfScope) the user stays unmanaged through a later soft delete: no DELETE on purge.
        ctx.cache.update(entry_cache, state=state, soft_deleted=user is None and state is LinkState.DISABLED)
        if ctx.initial or matched:
            _nothing_to_change(ctx, result, log_entry, "Matched an existing PureCloud by Genesys user" if matched
                               else "The user is as it should be in PureCloud by Genesys")
        _clear_escrow(ctx, entry_cache.source_id)
        return
    if not ctx.allows("User", UPDATE):
        verb = "disabled" if disabling else "updated"
        _skip(ctx, result, log_entry, UPDATE, f"User '{current.get('userName')}' should be {verb} in PureCloud by Genesys")
        return
    body = ctx.mappings.build_patch(changes, entra_quirks=ctx.entra_quirks)
    if not _patch(ctx, result, log_entry, USER_PATH, target_id, body):
        return
    log_entry.modified = [(c[0], c[1], c[2]) for c in _change_triples(changes)]
    verb = "disabled" if disabling else ("re-enabled and updated" if enabling else "updated")
    log_entry.step("export", "success", f"User '{current.get('userName')}' was {verb} in PureCloud by Genesys",
                   TargetId=target_id)
    if desired.get("active") is False:
        result.deletes += 1
    ctx.cache.update(entry_cache, state=state, soft_deleted=user is None and state is LinkState.DISABLED,
                     display_name=(user or {}).get("displayName", entry_cache.display_name))
    result.exported += 1
    _emit(ctx, result, log_entry)
    _clear_escrow(ctx, entry_cache.source_id)


def _change_triples(changes: Any) -> list[tuple[str, Any, Any]]:
    out: list[tuple[str, Any, Any]] = []
    for c in changes:
        if isinstance(c, dict):
            out.append((str(c.get("attribute") or c.get("path") or "?"), c.get("old"), c.get("new")))
        elif isinstance(c, (tuple, list)):
            out.append((c[0], c[1], c[2]))
        else:
            out.append((getattr(c, "attribute", getattr(c, "path", "?")), getattr(c, "old", None), getattr(c, "new", None)))
    return out


def _patch(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, resource: str, target_id: str, body: dict[str, Any],
           *, reference: bool = False) -> bool:
    """Send one PATCH; a failure is logged, escrowed or quarantines (False means stop here)."""
    try:
        ctx.target.patch(resource, target_id, body)
    except TargetError as err:
        _handle_failure(ctx, result, log_entry, err, reference=reference)
        return False
    return True


def _clear_escrow(ctx: CycleContext, object_id: str, *, kind: str | None = "object") -> None:
    """The object's own change went through (``kind="object"``), or its reference update did
    (``"reference"``): its escrow entry of that kind is done."""
    if ctx.escrow is not None:
        ctx.escrow.clear(object_id, kind=kind)


def process_group(ctx: CycleContext, result: CycleResult, group_id: str, removal: str | None) -> None:
    source = ctx.source
    group = source.group(group_id)
    decision = group_scope(ctx, group)
    entry_cache = ctx.cache.get(group_id)
    name = (group or {}).get("displayName") or (entry_cache.display_name if entry_cache else None) or group_id
    log_entry = LogEntry("other", "Group", group_id, name)
    log_entry.step("import", "success", f"Received Group '{name}' change of type ({'Delete' if group is None else 'Add/Update'}) from Azure Active Directory")
    if group is None:
        if entry_cache is not None and ctx.rules.deletes_groups and entry_cache.linked:
            _delete_group(ctx, result, log_entry, entry_cache, "The group was deleted in Entra ID")
            return
        if entry_cache is not None:
            # Genesys groups cannot be deleted through SCIM: the link is dropped, the group stays.
            log_entry.target_id = entry_cache.target_id or ""
            log_entry.skip(ErrorInformation(SKIPPED, "The group was deleted in Entra ID; PureCloud by Genesys does not "
                                            "support deleting groups, so the Genesys group is left as it is"))
            log_entry.step("processing", "skipped", "The group was deleted in Entra ID; PureCloud by Genesys does not support "
                           "deleting groups, so the Genesys group is left as it is")
            ctx.cache.remove(group_id)
            result.skipped += 1
            _emit(ctx, result, log_entry)
        return
    if not decision.in_scope:
        if entry_cache is not None and ctx.rules.deletes_groups and entry_cache.linked \
                and entry_cache.state is LinkState.ACTIVE:
            # A group has nothing to disable: leaving scope deletes it in the app (docs/fidelity.md).
            _delete_group(ctx, result, log_entry, entry_cache, "The group left the app's scope: " + "; ".join(decision.reasons))
            return
        if entry_cache is not None:
            ctx.cache.update(entry_cache, state=LinkState.OUT_OF_SCOPE)
        if ctx.sync_all or entry_cache is not None or ctx.on_demand:
            log_entry.skip(ErrorInformation("NotEffectivelyEntitled", "; ".join(decision.reasons)))
            log_entry.step("scoping", "skipped", "Group is not in scope: " + "; ".join(decision.reasons))
            result.skipped += 1
            _emit(ctx, result, log_entry)
        return
    result.entitled += 1
    log_entry.step("scoping", "success", "Group is in scope (assigned to the application)")
    values = ctx.mappings.compute("Group", mapping_source(ctx, group, decision.assignments, soft_deleted=False),
                                  creating=entry_cache is None)
    current: Mapping[str, Any] | None = None
    if entry_cache is not None and entry_cache.target_id:
        try:
            current = ctx.target.get(GROUP_PATH, entry_cache.target_id, exclude_members=True)
        except TargetError as err:
            log_entry.action = "update"
            _handle_failure(ctx, result, log_entry, err)
            return
    found_again = ctx.found_groups.pop(group_id, None)
    if current is None and found_again is not None:
        current = found_again  # found by provsim's lookup of a missing group, just now
        log_entry.step("matching", "success", f"Searched PureCloud by Genesys for the Group '{name}': found 1")
    if current is None:
        for target_attr, value in ctx.mappings.matching_values("Group", values):
            if value in (None, ""):
                continue
            try:
                found = ctx.target.find(GROUP_PATH, target_attr, value, exclude_members=True)
            except TargetError as err:
                log_entry.action = "update"
                _handle_failure(ctx, result, log_entry, err)
                return
            log_entry.step("matching", "success", f"Searched PureCloud by Genesys for a Group with {target_attr} '{value}': "
                           + (f"found {len(found)}" if found else "none found"), matchingAttribute=target_attr)
            if len(found) > 1:
                ambiguous = TargetError("SystemForCrossDomainIdentityManagementMultipleEntriesInResponse",
                                        f"More than one Genesys group is named '{value}'", 200, ErrorClass.ESCROW, "GET",
                                        GROUP_PATH)
                log_entry.action = "update"
                _handle_failure(ctx, result, log_entry, ambiguous)
                return
            if found:
                current = found[0]
                break
    if current is None and ctx.rules.creates_groups:
        _create_group(ctx, result, log_entry, group_id, name, values)
        return
    if current is None:
        # Genesys groups are never created through SCIM ("Tutorial: Configure PureCloud by Genesys for automatic user provisioning" (Microsoft Learn)): a logged, explained skip the first time
        # (and in every initial cycle); later cycles look the group up again and link it once it exists.
        announce = entry_cache is None or entry_cache.state is not LinkState.MISSING or ctx.initial
        ctx.cache.put(group_id, "Group", None, name, None, state=LinkState.MISSING)
        if not announce:
            return
        log_entry.action = "other"
        log_entry.skip(ErrorInformation("GroupMissingInTarget", (
            f"PureCloud by Genesys has no group named '{name}'. Genesys does not create groups through SCIM: create a "
            f"group with exactly this name in Genesys Cloud (Admin > Directory > Groups); the next cycle links it."),
            recommended_action=f"Create the Genesys group '{name}'."))
        log_entry.step("export", "skipped", f"No Genesys group named '{name}': groups are never created in PureCloud by Genesys")
        result.skipped += 1
        _emit(ctx, result, log_entry)
        return
    target_id = current["id"]
    newly_linked = entry_cache is None or entry_cache.target_id != target_id
    if newly_linked or entry_cache is None:
        ctx.cache.put(group_id, "Group", target_id, name, current.get("displayName"), state=LinkState.ACTIVE)
        result.linked_groups.add(group_id)
    else:
        ctx.cache.update(entry_cache, state=LinkState.ACTIVE, display_name=name)
    log_entry.target_id = target_id
    log_entry.target_name = current.get("displayName", "")
    current_values = ctx.mappings.read_target("Group", current, values.keys())
    changes = ctx.mappings.diff(current_values, values)
    log_entry.action = "update"
    if not changes:
        if newly_linked or ctx.initial:
            _nothing_to_change(ctx, result, log_entry, f"Linked to the Genesys group '{current.get('displayName')}'"
                               if newly_linked else f"The Genesys group '{current.get('displayName')}' is as it should be")
        _clear_escrow(ctx, group_id)
        return
    if not ctx.allows("Group", UPDATE):
        _skip(ctx, result, log_entry, UPDATE, f"Group '{current.get('displayName')}' should be updated in PureCloud by Genesys")
        return
    body = ctx.mappings.build_patch(changes, entra_quirks=ctx.entra_quirks)
    if not _patch(ctx, result, log_entry, GROUP_PATH, target_id, body):
        return
    log_entry.modified = _change_triples(changes)
    log_entry.step("export", "success", f"Group '{current.get('displayName')}' was updated in PureCloud by Genesys")
    result.exported += 1
    _emit(ctx, result, log_entry)
    _clear_escrow(ctx, group_id)


#: :func:`_send_create` sent nothing, or the create failed (already logged)
_NOT_CREATED = object()


def _send_create(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, object_type: str, values: Mapping[str, Any],
                 why: str) -> Any:
    """``POST`` the object (unless the Create action is off); the answer, or :data:`_NOT_CREATED`."""
    log_entry.action = "create"
    if not ctx.allows(object_type, CREATE):
        _skip(ctx, result, log_entry, CREATE, why)
        return _NOT_CREATED
    try:
        return ctx.target.create(USER_PATH if object_type == "User" else GROUP_PATH,
                                 ctx.mappings.build_create(object_type, values))
    except TargetError as err:
        _handle_failure(ctx, result, log_entry, err)
        return _NOT_CREATED


def _create_group(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, group_id: str, name: str,
                  values: Mapping[str, Any]) -> None:
    """``POST /Groups`` with ``externalId`` and ``displayName``, never members ("Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID" (Microsoft Learn), Groups):
    the reference pass adds them once the group is linked."""
    created = _send_create(ctx, result, log_entry, "Group", values, f"Group '{name}' is in scope and not in the app")
    if created is _NOT_CREATED:
        return
    target_id = created.get("id") if isinstance(created, dict) else None
    if not target_id:
        err = TargetError(INCOMPATIBLE, "The app created the group but its answer has no id", 201, ErrorClass.ESCROW,
                          "POST", GROUP_PATH, created)
        _handle_failure(ctx, result, log_entry, err)
        return
    ctx.cache.put(group_id, "Group", target_id, name, values.get("displayName", name), state=LinkState.ACTIVE)
    result.linked_groups.add(group_id)
    log_entry.target_id = target_id
    log_entry.target_name = values.get("displayName", name)
    log_entry.modified = [(attr, None, value) for attr, value in values.items()]
    log_entry.step("export", "success", f"Group '{name}' was created in the app", TargetId=target_id)
    result.exported += 1
    _emit(ctx, result, log_entry)
    _clear_escrow(ctx, group_id)


def _delete_group(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, entry_cache: ConnectorEntry, why: str) -> None:
    """``DELETE /Groups/{id}`` (the SCIM endpoint tutorial on Microsoft Learn, Groups); a group already gone (404) counts as deleted."""
    log_entry.action = "delete"
    log_entry.target_id = entry_cache.target_id or ""
    log_entry.target_name = entry_cache.target_name or ""
    _delete_object(ctx, result, log_entry, entry_cache.source_id, GROUP_PATH, entry_cache.target_id or "", why=why,
                   done=f"{why}; the group was deleted in the app")


def _delete_object(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, object_id: str, resource: str,
                   target_id: str, *, why: str, done: str) -> None:
    """``DELETE /Users|Groups/{id}`` unless the Delete action is off (the link goes, the target object stays)
    or the accidental-deletion guard holds it back; a 404 (already gone) counts as deleted."""
    object_type = "User" if resource == USER_PATH else "Group"
    if not ctx.allows(object_type, DELETE):
        # The Entra object is gone for good: the link goes too; the target object stays as it is.
        ctx.cache.remove(object_id)
        _clear_escrow(ctx, object_id, kind=None)
        _skip(ctx, result, log_entry, DELETE, why)
        return
    if result.too_many_deletes:
        _stage_delete(ctx, result, log_entry)
        return
    try:
        ctx.target.delete(resource, target_id)
    except TargetError as err:
        if err.status != 404:
            _handle_failure(ctx, result, log_entry, err)
            return
    log_entry.step("export", "success", done)
    ctx.cache.remove(object_id)
    result.exported += 1
    result.deletes += 1
    _emit(ctx, result, log_entry)
    _clear_escrow(ctx, object_id, kind=None)


# ---------------------------------------------------------------------------------------------
# Managers


def _desired_manager(ctx: CycleContext, user: SourceObject) -> tuple[str | None, str | None]:
    """(Entra's manager id, the Genesys id to reference).  The manager's link counts whatever the
    manager's own state: a manager who is disabled or leaves scope is still the manager (Entra's
    manager attribute did not change), so Genesys keeps the reference.  None when the manager was
    never provisioned (known issue: linked only after a restart)."""
    manager_id = user.get("manager")
    manager_entry = ctx.cache.get(manager_id) if manager_id else None
    return manager_id, manager_entry.target_id if manager_entry is not None and manager_entry.linked else None


def _seen_manager(ctx: CycleContext, entry: ConnectorEntry, user: SourceObject | None,
                  resource: Mapping[str, Any]) -> ConnectorEntry:
    """The service checks the current value before a manager update ("Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID" (Microsoft Learn)): when the user
    read from Genesys already holds the manager Entra wants, remember that, so no PATCH is sent."""
    attribute = ctx.mappings.reference_target("User", "manager")
    if attribute is None or user is None:
        return entry
    _manager_id, desired = _desired_manager(ctx, user)
    held = ctx.mappings.read_target("User", resource, [attribute]).get(attribute)
    if desired is not None and held == desired and entry.manager != desired:
        return ctx.cache.update(entry, manager=desired)
    return entry


def resolve_manager(ctx: CycleContext, result: CycleResult, user_id: str) -> None:
    manager_attr = ctx.mappings.reference_target("User", "manager")
    if manager_attr is None:
        return
    entry = ctx.cache.get(user_id)
    if entry is None or not entry.linked or entry.state is not LinkState.ACTIVE:
        return
    user = ctx.source.user(user_id)
    if user is None:
        return
    manager_id, desired = _desired_manager(ctx, user)
    current = entry.manager
    if desired == current:
        _clear_escrow(ctx, user_id, kind="reference")
        return
    target_id = entry.target_id or ""
    log_entry = LogEntry("update", "User", user_id, user.get("displayName", user_id), target_id=target_id,
                         target_name=entry.target_name or "")
    if manager_id and desired is None:
        # The manager is not provisioned (never in scope): linked after a later restart ("Known issues for provisioning in Microsoft Entra ID" (Microsoft Learn), "Manager isn't provisioned").
        log_entry.status = "warning"
        log_entry.step("referenceResolution", "warning", f"The manager ({manager_id}) is not provisioned in PureCloud by "
                       "Genesys (out of scope?); the reference is left unset")
        if current is None:
            return
    if not ctx.allows("User", UPDATE):
        _skip(ctx, result, log_entry, UPDATE, "The manager reference changed")
        return
    body = ctx.mappings.build_reference_patch("User", manager_attr, desired, current, entra_quirks=ctx.entra_quirks)
    if not _patch(ctx, result, log_entry, USER_PATH, target_id, body, reference=True):
        return
    log_entry.modified = [(manager_attr, current, desired)]
    log_entry.step("referenceResolution", "success", f"Resolved the manager reference to the Genesys user {desired}" if desired
                   else "Removed the manager reference")
    ctx.cache.update(entry, manager=desired)
    result.exported += 1
    _emit(ctx, result, log_entry)
    _clear_escrow(ctx, user_id, kind="reference")


# ---------------------------------------------------------------------------------------------
# Group memberships


def _active_group(ctx: CycleContext, group_id: str) -> ConnectorEntry | None:
    """The group's link when its memberships are the job's to write (linked, in scope, members mapped)."""
    entry = ctx.cache.get(group_id)
    if entry is None or not entry.linked or entry.state is not LinkState.ACTIVE:
        return None
    if ctx.mappings.reference_target("Group", "members") is None:
        return None
    return entry


def resolve_members(ctx: CycleContext, result: CycleResult, group_id: str) -> None:
    """The group's whole membership: every direct user member that is provisioned, against what the
    Genesys group has from earlier cycles (initial cycles, newly linked groups, escrow retries)."""
    entry = _active_group(ctx, group_id)
    if entry is None:
        return
    desired: dict[str, None] = {}
    unmanaged: set[str] = set()
    for member_id, member_type in ctx.source.member_ids(group_id):
        if member_type != "User":
            continue  # nested groups are not provisioned (How Application Provisioning works, Scoping)
        member = ctx.cache.get(member_id)
        if not _linked(member) or member.target_id is None:
            continue
        if member.managed:
            desired[member.target_id] = None
        else:
            unmanaged.add(member.target_id)  # unassigned earlier: no longer managed, left as it is
    have = set(entry.members)
    to_add = [m for m in desired if m not in have]
    to_remove = [m for m in entry.members if m not in desired and m not in unmanaged]
    _write_members(ctx, result, entry, to_add, to_remove)


def apply_membership_changes(ctx: CycleContext, result: CycleResult, group_id: str, changes: dict[str, str]) -> None:
    """Incremental cycles: only the members the change feed reports as added to or removed from the group."""
    entry = _active_group(ctx, group_id)
    if entry is None:
        return
    have = set(entry.members)
    to_add: list[str] = []
    to_remove: list[str] = []
    for member_id, op in changes.items():
        member = ctx.cache.get(member_id)
        if not _linked(member) or member.target_id is None:
            continue  # not provisioned (out of scope, or failed): added by a later restart (known issue)
        if op == "added":
            if member.target_id not in have and member.managed and member_id not in result.restored_users:
                to_add.append(member.target_id)
        elif member.target_id in have:
            to_remove.append(member.target_id)
    _write_members(ctx, result, entry, to_add, to_remove)


def _write_members(ctx: CycleContext, result: CycleResult, entry: ConnectorEntry, to_add: list[str],
                   to_remove: list[str]) -> None:
    if not to_add and not to_remove:
        return
    group_id = entry.source_id
    target_id = entry.target_id or ""
    log_entry = LogEntry("update", "Group", group_id, entry.display_name or group_id, target_id=target_id,
                         target_name=entry.target_name or "")
    if not ctx.allows("Group", UPDATE):
        _skip(ctx, result, log_entry, UPDATE, f"{len(to_add)} members should be added to and {len(to_remove)} removed "
              f"from the group in PureCloud by Genesys")
        return
    current = list(entry.members)
    added: list[str] = []
    removed: list[str] = []
    pending = [("add", m) for m in to_add] + [("remove", m) for m in to_remove]
    requests = 0
    error: TargetError | None = None
    while pending:
        batch = _member_batch(ctx, pending)
        add = [m for op, m in batch if op == "add"]
        remove = [m for op, m in batch if op == "remove"]
        body = ctx.mappings.build_members_patch(add, remove, entra_quirks=ctx.entra_quirks)
        try:
            ctx.target.patch(GROUP_PATH, target_id, body)
        except TargetError as err:
            limit = max_request_bytes(err)
            if limit is not None and limit < ctx.max_request_bytes:
                # The org takes less than we thought: remember its limit and send this batch again, smaller.
                ctx.max_request_bytes = limit
                if ctx.on_request_limit is not None:
                    ctx.on_request_limit(limit)
                continue
            if err.status == 413 and len(batch) > 1:
                ctx.members_per_patch = max(1, len(batch) // 2)
                continue
            error = err
            break
        requests += 1
        pending = pending[len(batch):]
        added += add
        removed += remove
    if added or removed:
        gone = set(removed)
        ctx.cache.update(entry, members=tuple([m for m in current if m not in gone] + added))
    if error is not None:
        log_entry.step("referenceResolution", "failure", f"{len(added)} members added and {len(removed)} removed in "
                       f"{requests} PATCH requests before the failure", Added=str(len(added)), Removed=str(len(removed)))
        _handle_failure(ctx, result, log_entry, error, reference=True)
        return
    log_entry.modified = [("members", f"{len(current)} members", f"{len(current) - len(removed) + len(added)} members "
                                                                  f"(+{len(added)} -{len(removed)})")]
    log_entry.step("referenceResolution", "success", f"Group memberships updated: {len(added)} added, {len(removed)} removed"
                   + (f" in {requests} PATCH requests" if requests > 1 else ""),
                   Added=",".join(added), Removed=",".join(removed))
    result.exported += 1
    _emit(ctx, result, log_entry)
    _clear_escrow(ctx, group_id, kind="reference")


def _member_batch(ctx: CycleContext, pending: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The longest head of ``pending`` that fits one PATCH: at most ``members_per_patch`` members and
    a body of at most ``max_request_bytes`` bytes."""
    batch = pending[:ctx.members_per_patch]
    while len(batch) > 1:
        add = [m for op, m in batch if op == "add"]
        remove = [m for op, m in batch if op == "remove"]
        size = len(encode_body(ctx.mappings.build_members_patch(add, remove, entra_quirks=ctx.entra_quirks)))
        if size <= ctx.max_request_bytes:
            break
        # Shrink in proportion to the overshoot (bodies grow linearly with the member count).
        batch = batch[:max(1, min(len(batch) - 1, int(len(batch) * ctx.max_request_bytes / size)))]
    return batch
