"""One user through a cycle: scope, match, create or update, disable or delete; then, in the reference
pass, its manager."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..connector_store import ConnectorEntry, LinkState
from ..logs import ErrorInformation, LogEntry
from ..mappings import DesiredAttributes
from ..source import SourceObject
from ..target import USER_PATH, ErrorClass, TargetError
from . import steps
from .context import SKIPPED, UPDATE, CycleContext, CycleResult
from .scope import ScopeDecision, mapping_source, user_scope


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
        steps.delete_object(ctx, result, log_entry, user_id, USER_PATH, target_id,
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
                steps.emit(ctx, result, log_entry)
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
        steps.emit(ctx, result, log_entry)
        return
    if decision.soft_deleted and result.too_many_deletes and entry_cache.state is LinkState.ACTIVE \
            and ctx.allows("User", UPDATE):
        log_entry.action = "disable"
        steps.stage_delete(ctx, result, log_entry)
        return
    _update_user(ctx, result, user, decision, log_entry, entry_cache)


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
            steps.handle_failure(ctx, result, log_entry, err)
            return
        if len(found) > 1:
            log_entry.action = "create"
            duplicate = TargetError("DuplicateTargetEntries", f"More than one PureCloud by Genesys user has {target_attr} '{source_value}'",
                                    200, ErrorClass.ESCROW, "GET", USER_PATH)
            steps.handle_failure(ctx, result, log_entry, duplicate)
            return
        log_entry.step("matching", "success", f"Searched PureCloud by Genesys for a User with {target_attr} '{source_value}': "
                       + ("found one" if found else "none found"), matchingAttribute=target_attr, matchedTargetId=found[0]["id"] if found else "")
        if found:
            matched = found[0]
            break
    if matched is None:
        created = steps.send_create(ctx, result, log_entry, "User", values,
                                    f"User '{values.get('userName')}' is in scope and not in PureCloud by Genesys")
        if created is steps.NOT_CREATED:
            return
        target_id = created.get("id") if isinstance(created, dict) else None
        log_entry.target_id = target_id or ""
        log_entry.target_name = values.get("userName", "")
        log_entry.modified = [(attr, None, value) for attr, value in values.items()]
        log_entry.step("export", "success", f"User '{values.get('userName')}' was created in PureCloud by Genesys",
                       TargetId=target_id or "")
        ctx.cache.put(user["id"], "User", target_id, user.get("displayName"), values.get("userName"), state=LinkState.ACTIVE)
        result.exported += 1
        steps.emit(ctx, result, log_entry)
        steps.clear_escrow(ctx, user["id"])
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
            steps.handle_failure(ctx, result, log_entry, err)
            return
        if current is None:
            log_entry.action = "update"
            missing = TargetError("InvalidAnchor", f"The PureCloud by Genesys user {target_id} that this user was linked to "
                                  "no longer exists (deleted in Genesys?). Restart provisioning to match it again.", 404,
                                  ErrorClass.ESCROW, "GET", USER_PATH + "/" + target_id)
            steps.handle_failure(ctx, result, log_entry, missing)
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
            steps.nothing_to_change(ctx, result, log_entry, "Matched an existing PureCloud by Genesys user" if matched
                                    else "The user is as it should be in PureCloud by Genesys")
        steps.clear_escrow(ctx, entry_cache.source_id)
        return
    if not ctx.allows("User", UPDATE):
        verb = "disabled" if disabling else "updated"
        steps.skip(ctx, result, log_entry, UPDATE, f"User '{current.get('userName')}' should be {verb} in PureCloud by Genesys")
        return
    body = ctx.mappings.build_patch(changes, entra_quirks=ctx.entra_quirks)
    if not steps.patch(ctx, result, log_entry, USER_PATH, target_id, body):
        return
    log_entry.modified = [(c[0], c[1], c[2]) for c in steps.change_triples(changes)]
    verb = "disabled" if disabling else ("re-enabled and updated" if enabling else "updated")
    log_entry.step("export", "success", f"User '{current.get('userName')}' was {verb} in PureCloud by Genesys",
                   TargetId=target_id)
    if desired.get("active") is False:
        result.deletes += 1
    ctx.cache.update(entry_cache, state=state, soft_deleted=user is None and state is LinkState.DISABLED,
                     display_name=(user or {}).get("displayName", entry_cache.display_name))
    result.exported += 1
    steps.emit(ctx, result, log_entry)
    steps.clear_escrow(ctx, entry_cache.source_id)


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
        steps.clear_escrow(ctx, user_id, kind="reference")
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
        steps.skip(ctx, result, log_entry, UPDATE, "The manager reference changed")
        return
    body = ctx.mappings.build_reference_patch("User", manager_attr, desired, current, entra_quirks=ctx.entra_quirks)
    if not steps.patch(ctx, result, log_entry, USER_PATH, target_id, body, reference=True):
        return
    log_entry.modified = [(manager_attr, current, desired)]
    log_entry.step("referenceResolution", "success", f"Resolved the manager reference to the Genesys user {desired}" if desired
                   else "Removed the manager reference")
    ctx.cache.update(entry, manager=desired)
    result.exported += 1
    steps.emit(ctx, result, log_entry)
    steps.clear_escrow(ctx, user_id, kind="reference")
