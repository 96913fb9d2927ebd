"""What the dashboard shows, as pure functions over what the public APIs answered.

The portal's provisioning blade reads a synchronization job, its provisioning logs, the
directory and the target; these functions turn the Graph, SCIM and ``/_provsim`` answers
(plain dicts) into the rows and sentences a trainer puts on a projector.  No I/O and no
clock here (:mod:`.portal` fetches), so every rule is testable alone and the page shows
the same text for the same state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from simulator.engine.job_settings import NotificationSettings, SettingError

__all__ = [
    "NEVER", "ACTIONS", "STATUSES", "RESET_SCOPES", "FAULT_PRESETS", "preset_rules", "active_presets",
    "overview", "cycle_counts", "setup_view", "user_rows", "group_rows", "genesys_only", "log_filter",
    "log_row", "log_detail", "quarantine_advice", "deleted_upn", "is_guid", "ScopeInputs", "user_version",
    "user_summary",
]

#: Graph's "never happened" time (steadyState*, synchronizationStatus).
NEVER = "0001-01-01T00:00:00Z"
#: Portal action and status values of the provisioning logs, in the portal's order.
ACTIONS = ("create", "update", "delete", "disable", "stagedDelete", "other")
STATUSES = ("success", "failure", "skipped", "warning")
#: resetScope values a trainer may pick (G:synchronization-synchronizationjob-restart); None means "start instead" and is left out.
RESET_SCOPES = ("Watermark", "Escrows", "QuarantineState", "Full", "ForceDeletes", "ConnectorDataStore")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DELETED_PREFIX = re.compile(r"^[0-9a-fA-F]{32}")
_SCIM_USERS = "User to urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

#: Fault presets: a name a class understands, and the rules behind it (all on Genesys' SCIM API).
FAULT_PRESETS: dict[str, dict[str, Any]] = {
    "outage": {
        "label": "Genesys outage",
        "description": "Every SCIM request to Genesys answers 503 Service Unavailable. Changes fail and wait in "
                       "escrow; enough failures quarantine the job.",
        "rules": [{"method": "*", "path": "/api/v2/scim/*", "status": 503,
                   "note": "Genesys outage (dashboard preset)"}],
    },
    "expired-token": {
        "label": "Expired token",
        "description": "Genesys refuses the secret token: every SCIM request answers 401 bad.credentials, as "
                       "after the OAuth client's token expired. The next cycle quarantines the job.",
        "rules": [{"method": "*", "path": "/api/v2/scim/*", "status": 401,
                   "note": "Invalid login credentials. (dashboard preset: expired token)"}],
    },
    "throttling": {
        "label": "Throttling",
        "description": "Genesys answers 429 Too Many Requests with Retry-After: 60 on every SCIM request "
                       "(its rate limit). The service retries the changes later.",
        "rules": [{"method": "*", "path": "/api/v2/scim/*", "status": 429, "headers": {"Retry-After": "60"},
                   "note": "Too many requests (dashboard preset: throttling)"}],
    },
    "drops": {
        "label": "Dropped connections",
        "description": "Genesys closes the connection without answering on every SCIM request (a network "
                       "failure between Microsoft and Genesys).",
        "rules": [{"method": "*", "path": "/api/v2/scim/*", "drop": True,
                   "note": "Connection dropped (dashboard preset)"}],
    },
}


def preset_rules(key: str) -> list[dict]:
    """The fault rules of a preset (copies); KeyError names an unknown preset."""
    return [dict(rule) for rule in FAULT_PRESETS[key]["rules"]]


def active_presets(faults: Iterable[dict]) -> set[str]:
    notes = {f.get("note") for f in faults}
    return {key for key, preset in FAULT_PRESETS.items() if all(r["note"] in notes for r in preset["rules"])}


# ---------------------------------------------------------------------------- overview
def _never(value: str | None) -> str | None:
    return None if not value or value == NEVER else value


def _counts_by_type(status: dict) -> dict[str, int]:
    users = groups = 0
    for item in status.get("synchronizedEntryCountByType") or []:
        key = str(item.get("key", ""))
        if key.startswith("Group"):
            groups += int(item.get("value") or 0)
        elif key.startswith("User") or key == _SCIM_USERS:
            users += int(item.get("value") or 0)
    return {"users": users, "groups": groups}


def _cycle_kind(execution: dict | None) -> str | None:
    """Initial or incremental, from Graph's counts: an initial cycle imports everything and no deltas."""
    if not execution:
        return None
    if int(execution.get("countImportedDeltas") or 0) == 0 and int(execution.get("countImported") or 0) > 0:
        return "initial"
    return "incremental"


def quarantine_advice(quarantine: dict) -> str:
    """What the admin does next, by quarantine reason and error (L:application-provisioning-quarantine-status)."""
    reason = quarantine.get("reason") or ""
    code = str((quarantine.get("error") or {}).get("code") or "")
    if reason == "TooManyDeletes":
        return ("Review the StagedDelete entries in the provisioning logs. If the deletes are intended, restart "
                "provisioning with ForceDeletes (\"Allow deletes\"); otherwise fix the cause and restart.")
    if code in ("Unauthorized", "InvalidCredentials") or "401" in str((quarantine.get("error") or {}).get("message")):
        return ("Genesys no longer accepts the secret token. In Setup: get a new token (or paste one), Test "
                "Connection, Save, then Restart provisioning: the restarted job's next cycle is due at once. Do not wait "
                "for the next attempt: it is a day away, and a Genesys token issued now (the demo client's live "
                "24 hours) may have expired by then, which quarantines the job again.")
    if reason in ("EncounteredEscrowProportionThreshold", "EncounteredTotalEscrowThreshold",
                  "EncounteredBaseEscrowThreshold"):
        return ("Too many changes failed. Look at the failures in the provisioning logs, fix their cause, then "
                "restart provisioning.")
    if reason == "QuarantinedOnDemand":
        return "Microsoft quarantined the job by hand. Restart provisioning once the cause is fixed."
    return ("Fix the cause shown above, then restart provisioning; the job also leaves quarantine by itself when "
            "the next attempt succeeds.")


def cycle_counts(entries: Iterable[dict]) -> list[dict]:
    """Provisioning log entries of one cycle counted by action and status, in the portal's order."""
    table: dict[str, dict[str, int]] = {}
    for entry in entries:
        action = entry.get("provisioningAction") or "other"
        status = (entry.get("provisioningStatusInfo") or {}).get("status") or "success"
        row = table.setdefault(action, {s: 0 for s in STATUSES})
        row[status] = row.get(status, 0) + 1
    order = list(ACTIONS) + sorted(a for a in table if a not in ACTIONS)
    return [{"action": a, **table[a], "total": sum(table[a].values())} for a in order if a in table]


def overview(job: dict | None, *, pending: list[dict], last_cycle_entries: list[dict],
             last_changes_entries: list[dict], notifications: int = 0,
             words: Callable[[list[dict]], str] | None = None) -> dict | None:
    """The Overview page: status line, progress, counts, last cycle, next run, steady state, quarantine."""
    if job is None:
        return None
    status = job.get("status") or {}
    schedule = job.get("schedule") or {}
    code = status.get("code") or "NotConfigured"
    last = status.get("lastExecution")
    with_exports = status.get("lastSuccessfulExecutionWithExports")
    kind = _cycle_kind(last)
    if code == "NotConfigured":
        text = "Provisioning is not configured: enter the admin credentials and save."
    elif code == "Quarantine":
        text = "The provisioning job is in quarantine."
    elif last is None:
        text = ("Initial cycle not run yet: it runs when the job starts." if schedule.get("state") != "Active"
                else "Initial cycle scheduled: it runs at the next clock move.")
    elif last.get("state") == "Failed":
        text = f"The last {kind or ''} cycle failed.".replace("  ", " ")
    else:
        text = f"{(kind or 'incremental').capitalize()} cycle completed."
        if last.get("state") == "EntryLevelErrors":
            text = f"{(kind or 'incremental').capitalize()} cycle completed with errors on some objects."
    progress = (status.get("progress") or [{}])[0] if status.get("progress") else {}
    total, done = int(progress.get("totalUnits") or 0), int(progress.get("completedUnits") or 0)
    percent = 100 if last is not None and total == 0 else (round(100 * done / total) if total else 0)
    job_id = job.get("id") or ""
    next_run = next((p.get("due") for p in pending if job_id and job_id in str(p.get("job", ""))), None)
    quarantine = status.get("quarantine")
    q_view = None
    if quarantine:
        error = quarantine.get("error") or {}
        q_view = {"reason": quarantine.get("reason"), "since": quarantine.get("currentBegan"),
                  "seriesBegan": quarantine.get("seriesBegan"), "nextAttempt": quarantine.get("nextAttempt"),
                  "seriesCount": quarantine.get("seriesCount"), "errorCode": error.get("code"),
                  "errorMessage": error.get("message"), "advice": quarantine_advice(quarantine),
                  "notifications": notifications}
    return {
        "code": code, "statusText": text, "provisioningStatus": "On" if schedule.get("state") == "Active" else "Off",
        "scheduleState": schedule.get("state"), "interval": schedule.get("interval"),
        "progress": {"percent": percent, "completed": done, "total": total},
        "counts": _counts_by_type(status), "nextRun": next_run,
        "lastCycle": _execution_view(last, last_cycle_entries, words),
        "lastCycleWithChanges": (_execution_view(with_exports, last_changes_entries, words)
                                 if with_exports and (not last or with_exports.get("activityIdentifier")
                                                      != last.get("activityIdentifier")) else None),
        "steadyState": {"first": _never(status.get("steadyStateFirstAchievedTime")),
                        "last": _never(status.get("steadyStateLastAchievedTime"))},
        "lastSuccessful": (status.get("lastSuccessfulExecution") or {}).get("timeEnded"),
        "countSuccessiveCompleteFailures": status.get("countSuccessiveCompleteFailures") or 0,
        "escrowsPruned": bool(status.get("escrowsPruned")),
        "quarantine": q_view,
    }


def _execution_view(execution: dict | None, entries: list[dict],
                    words: Callable[[list[dict]], str] | None = None) -> dict | None:
    if not execution:
        return None
    error = execution.get("error") or {}
    return {"cycleId": execution.get("activityIdentifier"), "kind": _cycle_kind(execution),
            "state": execution.get("state"), "began": execution.get("timeBegan"), "ended": execution.get("timeEnded"),
            "imported": execution.get("countImported") or 0, "exported": execution.get("countExported") or 0,
            "escrowed": execution.get("countEscrowed") or 0, "entitled": execution.get("countEntitled") or 0,
            "errorCode": error.get("code"), "errorMessage": error.get("message"), "actions": cycle_counts(entries),
            "account": _cycle_account(execution, entries, words)}


def _cycle_account(execution: dict, entries: list[dict], words: Callable[[list[dict]], str] | None) -> str | None:
    if words is None:
        return None
    error = execution.get("error") or {}
    if execution.get("state") == "Failed" and not entries:
        return (f"The cycle stopped before anything reached Genesys: {error.get('code') or 'an error'}"
                + (f" ({error.get('message')})" if error.get("message") else "") + ".")
    if execution.get("state") == "Failed":
        return f"The cycle failed ({error.get('code') or 'an error'}). " + words(entries)
    return words(entries)


# ------------------------------------------------------------------------------- setup
def setup_view(secrets: list[dict], *, default_tenant_url: str) -> dict:
    """The saved admin credentials and settings, as the provisioning page shows them (never the token)."""
    values = {s.get("key"): s.get("value") for s in secrets}
    saved_keys = {s.get("key") for s in secrets}
    try:  # read as the engine reads it (engine.job_settings), so the boxes show what the service will do
        notify = NotificationSettings.parse(values.get("SyncNotificationSettings"))
    except SettingError:  # stored by an older provsim and no longer valid: the engine uses the defaults too
        notify = NotificationSettings()
    return {
        "tenantUrl": values.get("BaseAddress") or "",
        "defaultTenantUrl": default_tenant_url,
        # Graph never returns the token's value: only whether one is saved.
        "tokenSaved": "SecretToken" in saved_keys,
        "scope": "all" if str(values.get("SyncAll", "")).lower() == "true" else "assigned",
        "skipOutOfScopeDeletions": str(values.get("SkipOutOfScopeDeletions", "")).lower() == "true",
        "notify": ", ".join(notify.recipients),
        "notifyEnabled": notify.enabled,
        "deleteThresholdEnabled": bool(notify.delete_threshold_enabled),
        "deleteThreshold": notify.delete_threshold_value,
    }


# --------------------------------------------------------------------------- directory
class ScopeInputs:
    """What decides whether a directory object is in the job's scope (assignment scope only)."""

    def __init__(self, *, assignments: list[dict], roles: dict[str, str], group_members: dict[str, list[dict]],
                 groups: dict[str, dict], sync_all: bool) -> None:
        self.sync_all = sync_all
        self.direct: dict[str, str] = {}
        for a in assignments:
            self.direct[a["principalId"]] = roles.get(str(a.get("appRoleId")).lower(), "Default Access")
        self.via: dict[str, list[str]] = {}
        for gid, members in group_members.items():
            if gid not in self.direct:
                continue
            for m in members:
                self.via.setdefault(m["id"], []).append(groups.get(gid, {}).get("displayName") or gid)


def user_version(user: dict) -> str:
    """What an edit of the user starts from, as a short digest of the fields the Edit dialog changes
    (Graph keeps no version of a user: the page compares this digest when it saves)."""
    import hashlib

    manager = user.get("manager") or {}
    fields = [user.get("displayName"), user.get("jobTitle"), user.get("department"),
              user.get("accountEnabled", True), manager.get("id") if isinstance(manager, dict) else manager]
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:16]


def user_summary(user: dict) -> str:
    """The edited fields of a user in words (for a refused, stale edit)."""
    manager = user.get("manager") or {}
    return (f"job title {user.get('jobTitle') or '(none)'}, department {user.get('department') or '(none)'}, "
            f"manager {(manager.get('displayName') if isinstance(manager, dict) else manager) or '(none)'}, "
            f"account {'enabled' if user.get('accountEnabled', True) else 'disabled'}")


def is_guid(text: str) -> bool:
    return bool(_GUID.match(text or ""))


def deleted_upn(upn: str) -> str:
    """A soft-deleted user's UPN carries its object id (without dashes) in front: take it off."""
    return _DELETED_PREFIX.sub("", upn or "", count=1)


def _user_scope(user: dict, scope: ScopeInputs, *, deleted: bool) -> dict:
    uid = user["id"]
    if deleted:
        return {"inScope": False, "state": "deleted",
                "text": "Soft-deleted in Entra (restorable for 30 days)"}
    if user.get("accountEnabled") is False:
        return {"inScope": False, "state": "disabled", "text": "Disabled in Entra (accountEnabled false)"}
    if scope.sync_all:
        return {"inScope": True, "state": "all", "text": "In scope: sync all users and groups"}
    if uid in scope.direct:
        return {"inScope": True, "state": "assigned", "text": f"Assigned ({scope.direct[uid]})"}
    if uid in scope.via:
        return {"inScope": True, "state": "group", "text": "Assigned through " + ", ".join(scope.via[uid])}
    return {"inScope": False, "state": "unassigned", "text": "Not assigned to the app"}


def _genesys_user_state(genesys: dict | None, *, created: bool, in_scope: bool, job_ran: bool) -> dict:
    if genesys is None:
        return {"state": "missing", "text": "Not in Genesys"}
    base = {"id": genesys.get("id"), "userName": genesys.get("userName"), "title": genesys.get("title"),
            "department": (genesys.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User") or {}).get(
                "department")}
    if genesys.get("active") is False:
        return {**base, "state": "disabled", "text": "Disabled in Genesys (active false)"}
    if created:
        return {**base, "state": "created", "text": "Created by provisioning"}
    if in_scope and job_ran:
        return {**base, "state": "matched", "text": "Matched on userName (existed in Genesys)"}
    return {**base, "state": "exists", "text": "Exists in Genesys (not provisioned)"}


def user_rows(users: list[dict], deleted: list[dict], scope: ScopeInputs, genesys_users: list[dict], *,
              created: dict[str, str], job_ran: bool) -> list[dict]:
    """One row per Entra user (active ones in directory order, then the soft-deleted ones)."""
    by_id = {u.get("id"): u for u in genesys_users}
    by_name = {str(u.get("userName", "")).casefold(): u for u in genesys_users}
    rows = []
    for user, is_deleted in [(u, False) for u in users] + [(u, True) for u in deleted]:
        upn = deleted_upn(user.get("userPrincipalName") or "") if is_deleted else user.get("userPrincipalName") or ""
        sc = _user_scope(user, scope, deleted=is_deleted)
        target = by_id.get(created.get(user["id"], "")) or by_name.get(upn.casefold())
        manager = user.get("manager") or None
        rows.append({
            "id": user["id"], "displayName": user.get("displayName"), "userPrincipalName": upn,
            "jobTitle": user.get("jobTitle"), "department": user.get("department"),
            "accountEnabled": user.get("accountEnabled", True), "deleted": is_deleted,
            "manager": {"id": manager.get("id"), "displayName": manager.get("displayName")} if manager else None,
            "assignedDirectly": user["id"] in scope.direct, "groups": scope.via.get(user["id"], []),
            "version": user_version(user),
            "scope": sc,
            "genesys": _genesys_user_state(target, created=user["id"] in created, in_scope=sc["inScope"],
                                           job_ran=job_ran),
        })
    return rows


def group_rows(groups: list[dict], scope: ScopeInputs, group_members: dict[str, list[dict]],
               genesys_groups: list[dict], *, linked: dict[str, str] | None = None) -> list[dict]:
    """One row per Entra group: assignment, members, and its Genesys group: the one the service linked (by id,
    from the provisioning logs), else the one of the same name."""
    exact = {g.get("displayName"): g for g in genesys_groups}
    folded = {str(g.get("displayName", "")).casefold(): g for g in genesys_groups}
    by_id = {g.get("id"): g for g in genesys_groups}
    rows = []
    for group in groups:
        gid = group["id"]
        name = group.get("displayName") or ""
        target = by_id.get((linked or {}).get(gid)) or exact.get(name) or folded.get(name.casefold())
        members = [{"id": m["id"], "displayName": m.get("displayName"),
                    "userPrincipalName": m.get("userPrincipalName")} for m in group_members.get(gid, [])]
        if target is None:
            genesys: dict[str, Any] = {"state": "missing",
                       "text": "No Genesys group with this name: the service cannot create groups, an admin "
                               "creates it in Genesys with the identical name"}
        else:
            count = len(target.get("members") or [])
            other = target.get("displayName") if target.get("displayName") != name else None
            genesys = {"state": "exists", "id": target.get("id"), "members": count, "name": target.get("displayName"),
                       "text": (f"Linked to the Genesys group '{other}' ({count} members)" if other
                                else f"Exists in Genesys ({count} members)")}
        assigned = scope.direct.get(gid)
        rows.append({"id": gid, "displayName": name, "description": group.get("description"),
                     "assigned": assigned is not None, "role": assigned,
                     "scope": {"inScope": assigned is not None or scope.sync_all,
                               "text": (f"Assigned ({assigned}): direct members are in scope" if assigned
                                        else "In scope: sync all users and groups" if scope.sync_all
                                        else "Not assigned to the app")},
                     "members": members, "genesys": genesys})
    return rows


def genesys_only(genesys_users: list[dict], known_upns: Iterable[str], created_targets: Iterable[str]) -> list[dict]:
    """Genesys users no Entra user matches: provisioning never touches them."""
    known = {u.casefold() for u in known_upns}
    linked = set(created_targets)
    return [{"id": u.get("id"), "userName": u.get("userName"), "displayName": u.get("displayName"),
             "active": u.get("active", True), "title": u.get("title")}
            for u in genesys_users
            if str(u.get("userName", "")).casefold() not in known and u.get("id") not in linked]


# -------------------------------------------------------------------------- logs
def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _moment(text: str) -> str:
    """A date-time input (``2026-01-05T09:30`` from the page) as Graph's UTC literal."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text):
        text += ":00"
    if not text.endswith("Z") and not re.search(r"[+-]\d{2}:\d{2}$", text):
        text += "Z"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", text):
        raise ValueError(f"not a date and time: {text!r} (example: 2026-01-05T09:40)")
    return text


def log_filter(*, action: str = "", status: str = "", identity: str = "", since: str = "", until: str = "",
               cycle: str = "") -> str:
    """The Graph ``$filter`` for the portal's log filters (ValueError names a bad value)."""
    clauses = []
    if action:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
        clauses.append(f"provisioningAction eq {_quote(action)}")
    if status:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        clauses.append(f"provisioningStatusInfo/status eq {_quote(status)}")
    identity = identity.strip()
    if identity:
        if _GUID.match(identity):
            clauses.append(f"(sourceIdentity/id eq {_quote(identity)} or targetIdentity/id eq {_quote(identity)})")
        else:
            clauses.append(f"(contains(sourceIdentity/displayName,{_quote(identity)}) or "
                           f"contains(targetIdentity/displayName,{_quote(identity)}))")
    if since:
        clauses.append(f"activityDateTime ge {_moment(since)}")
    if until:
        clauses.append(f"activityDateTime le {_moment(until)}")
    if cycle:
        clauses.append(f"cycleId eq {_quote(cycle.strip())}")
    return " and ".join(clauses)


def _change(prop: dict) -> str:
    name = str(prop.get("displayName", "")).split(":")[-1]
    old, new = prop.get("oldValue"), prop.get("newValue")
    if old in (None, ""):
        return f"{name}: {new}"
    return f"{name}: {old} \u2192 {new}"


def log_row(entry: dict) -> dict:
    """A row of the provisioning log list: date, identity, action, systems, status, error or change."""
    info = entry.get("provisioningStatusInfo") or {}
    error = info.get("errorInformation") or {}
    source, target = entry.get("sourceIdentity") or {}, entry.get("targetIdentity") or {}
    steps = entry.get("provisioningSteps") or []
    props = entry.get("modifiedProperties") or []
    if error:
        summary = f"{error.get('errorCode')}: {error.get('reason')}"
    elif props:
        summary = "; ".join(_change(p) for p in props[:3]) + (f"; +{len(props) - 3} more" if len(props) > 3 else "")
    elif steps:
        summary = str(steps[-1].get("description") or "")
    else:
        summary = ""
    return {"id": entry.get("id"), "at": entry.get("activityDateTime"), "action": entry.get("provisioningAction"),
            "status": info.get("status"), "identityType": source.get("identityType") or target.get("identityType"),
            "identity": source.get("displayName") or target.get("displayName"), "sourceId": source.get("id"),
            "targetId": target.get("id"), "sourceSystem": (entry.get("sourceSystem") or {}).get("displayName"),
            "targetSystem": (entry.get("targetSystem") or {}).get("displayName"), "cycleId": entry.get("cycleId"),
            "errorCode": error.get("errorCode"), "summary": summary,
            "initiatedBy": (entry.get("initiatedBy") or {}).get("displayName")}


def log_detail(entry: dict) -> dict:
    """The detail pane: steps, troubleshooting, modified properties (old and new), summary ids."""
    info = entry.get("provisioningStatusInfo") or {}
    return {
        **log_row(entry),
        "steps": [{"name": s.get("name"), "type": s.get("provisioningStepType"), "status": s.get("status"),
                   "description": s.get("description"),
                   "details": [{"key": k, "value": v} for k, v in (s.get("details") or {}).items()]}
                  for s in entry.get("provisioningSteps") or []],
        "modifiedProperties": [{"name": p.get("displayName"), "old": p.get("oldValue"), "new": p.get("newValue")}
                               for p in entry.get("modifiedProperties") or []],
        "error": info.get("errorInformation"),
        "changeId": entry.get("changeId"), "jobId": entry.get("jobId"),
        "durationInMilliseconds": entry.get("durationInMilliseconds"),
        "sourceIdentity": entry.get("sourceIdentity"), "targetIdentity": entry.get("targetIdentity"),
    }
