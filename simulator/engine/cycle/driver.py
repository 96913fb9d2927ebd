"""The cycle itself: what it imports (initial scope, or the change feed since the watermark, plus what
escrow holds), the accidental-deletion guard's count, every object through its step, then the reference
pass (managers, then memberships)."""

from __future__ import annotations

import logging

from ..connector_store import LinkState
from ..errors import EngineError
from ..target import GROUP_PATH, TargetError
from .context import DELETE, UPDATE, CycleContext, CycleResult
from .groups import apply_membership_changes, process_group, resolve_members
from .scope import group_scope, mapping_source, user_scope
from .steps import guarded, linked
from .users import process_user, resolve_manager

log = logging.getLogger(__name__)


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
        was_linked = user_id in retries and linked(ctx.cache.get(user_id))
        guarded(ctx, result, "User", user_id, process_user, removed.get(user_id))
        if user_id in retries and not was_linked and linked(ctx.cache.get(user_id)):
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
