"""One group through a cycle: scope, match, create or update, delete (where the target takes groups);
then, in the reference pass, its memberships: whole, or the feed's changes member by member, in PATCHes
no larger than the target takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..connector_store import ConnectorEntry, LinkState
from ..logs import ErrorInformation, LogEntry
from ..target import GROUP_PATH, INCOMPATIBLE, ErrorClass, TargetError, encode_body, max_request_bytes
from . import steps
from .context import SKIPPED, UPDATE, CycleContext, CycleResult
from .scope import group_scope, mapping_source


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
            steps.emit(ctx, result, log_entry)
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
            steps.emit(ctx, result, log_entry)
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
            steps.handle_failure(ctx, result, log_entry, err)
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
                steps.handle_failure(ctx, result, log_entry, err)
                return
            log_entry.step("matching", "success", f"Searched PureCloud by Genesys for a Group with {target_attr} '{value}': "
                           + (f"found {len(found)}" if found else "none found"), matchingAttribute=target_attr)
            if len(found) > 1:
                ambiguous = TargetError("SystemForCrossDomainIdentityManagementMultipleEntriesInResponse",
                                        f"More than one Genesys group is named '{value}'", 200, ErrorClass.ESCROW, "GET",
                                        GROUP_PATH)
                log_entry.action = "update"
                steps.handle_failure(ctx, result, log_entry, ambiguous)
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
        steps.emit(ctx, result, log_entry)
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
            steps.nothing_to_change(ctx, result, log_entry, f"Linked to the Genesys group '{current.get('displayName')}'"
                                    if newly_linked else f"The Genesys group '{current.get('displayName')}' is as it should be")
        steps.clear_escrow(ctx, group_id)
        return
    if not ctx.allows("Group", UPDATE):
        steps.skip(ctx, result, log_entry, UPDATE, f"Group '{current.get('displayName')}' should be updated in PureCloud by Genesys")
        return
    body = ctx.mappings.build_patch(changes, entra_quirks=ctx.entra_quirks)
    if not steps.patch(ctx, result, log_entry, GROUP_PATH, target_id, body):
        return
    log_entry.modified = steps.change_triples(changes)
    log_entry.step("export", "success", f"Group '{current.get('displayName')}' was updated in PureCloud by Genesys")
    result.exported += 1
    steps.emit(ctx, result, log_entry)
    steps.clear_escrow(ctx, group_id)


def _create_group(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, group_id: str, name: str,
                  values: Mapping[str, Any]) -> None:
    """``POST /Groups`` with ``externalId`` and ``displayName``, never members ("Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID" (Microsoft Learn), Groups):
    the reference pass adds them once the group is linked."""
    created = steps.send_create(ctx, result, log_entry, "Group", values, f"Group '{name}' is in scope and not in the app")
    if created is steps.NOT_CREATED:
        return
    target_id = created.get("id") if isinstance(created, dict) else None
    if not target_id:
        err = TargetError(INCOMPATIBLE, "The app created the group but its answer has no id", 201, ErrorClass.ESCROW,
                          "POST", GROUP_PATH, created)
        steps.handle_failure(ctx, result, log_entry, err)
        return
    ctx.cache.put(group_id, "Group", target_id, name, values.get("displayName", name), state=LinkState.ACTIVE)
    result.linked_groups.add(group_id)
    log_entry.target_id = target_id
    log_entry.target_name = values.get("displayName", name)
    log_entry.modified = [(attr, None, value) for attr, value in values.items()]
    log_entry.step("export", "success", f"Group '{name}' was created in the app", TargetId=target_id)
    result.exported += 1
    steps.emit(ctx, result, log_entry)
    steps.clear_escrow(ctx, group_id)


def _delete_group(ctx: CycleContext, result: CycleResult, log_entry: LogEntry, entry_cache: ConnectorEntry, why: str) -> None:
    """``DELETE /Groups/{id}`` (the SCIM endpoint tutorial on Microsoft Learn, Groups); a group already gone (404) counts as deleted."""
    log_entry.action = "delete"
    log_entry.target_id = entry_cache.target_id or ""
    log_entry.target_name = entry_cache.target_name or ""
    steps.delete_object(ctx, result, log_entry, entry_cache.source_id, GROUP_PATH, entry_cache.target_id or "", why=why,
                        done=f"{why}; the group was deleted in the app")


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
        if not steps.linked(member) or member.target_id is None:
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
        if not steps.linked(member) or member.target_id is None:
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
        steps.skip(ctx, result, log_entry, UPDATE, f"{len(to_add)} members should be added to and {len(to_remove)} removed "
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
        steps.handle_failure(ctx, result, log_entry, error, reference=True)
        return
    log_entry.modified = [("members", f"{len(current)} members", f"{len(current) - len(removed) + len(added)} members "
                                                                  f"(+{len(added)} -{len(removed)})")]
    log_entry.step("referenceResolution", "success", f"Group memberships updated: {len(added)} added, {len(removed)} removed"
                   + (f" in {requests} PATCH requests" if requests > 1 else ""),
                   Added=",".join(added), Removed=",".join(removed))
    result.exported += 1
    steps.emit(ctx, result, log_entry)
    steps.clear_escrow(ctx, group_id, kind="reference")


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
