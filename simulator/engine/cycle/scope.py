"""Is an object in scope (assigned, active, inside the scoping filter), and the source object as the
mapping expressions see it ("Scoping users or groups to be provisioned with scoping filters" (Microsoft Learn))."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..source import Assignment, SourceObject
from .context import CycleContext


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
