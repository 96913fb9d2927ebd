"""What each button of the dashboard does, as the calls an admin's tools would make.

Every action takes the :class:`~.portal.Portal` and the JSON body the page posted, checks
the body (400 with a sentence for the trainer), makes its Graph, Genesys or ``/_provsim``
calls through ``portal.actor`` and answers ``{"message": ...}`` (plus data some buttons
show).  :data:`ACTIONS` maps the path under ``/dashboard/api/`` to the function.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from simulator.client import GALLERY_TEMPLATE_IDS, TEMPLATE_ID, ApiError
from simulator.client.login import LoginFailed

from . import model
from .portal import DEMO_PASSWORD, GALLERY_APP_NAME, ActionError, Portal

__all__ = ["ACTIONS", "run_action"]

Action = Callable[[Portal, dict], dict]
ACTIONS: dict[str, Action] = {}


def action(name: str) -> Callable[[Action], Action]:
    def register(fn: Action) -> Action:
        ACTIONS[name] = fn
        return fn

    return register


def run_action(portal: Portal, name: str, body: Any) -> dict:
    """Carry out one click (one at a time); ActionError for anything the trainer should read."""
    fn = ACTIONS.get(name)
    if fn is None:
        raise ActionError(404, "notFound", f"the dashboard has no action {name!r}")
    if not isinstance(body, dict):
        raise ActionError(400, "badRequest", "the body must be a JSON object")
    with portal.lock:
        try:
            return fn(portal, body)
        except ApiError as err:
            raise ActionError(err.status if 400 <= err.status < 500 else 502, err.code or "error", err.message) from err
        finally:
            portal.invalidate()


# ------------------------------------------------------------------------ body fields
def _text(body: dict, key: str, *, required: bool = False, limit: int = 256, label: str | None = None) -> str:
    value = body.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ActionError(400, "badRequest", f"{label or key} must be text")
    value = value.strip()
    if required and not value:
        raise ActionError(400, "badRequest", f"{label or key} is required")
    if len(value) > limit:
        raise ActionError(400, "badRequest", f"{label or key} is longer than {limit} characters")
    return value


def _flag(body: dict, key: str, default: bool = False) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise ActionError(400, "badRequest", f"{key} must be true or false")
    return value


def _guid(body: dict, key: str, label: str | None = None) -> str:
    value = _text(body, key, required=True, label=label)
    if not model.is_guid(value):
        raise ActionError(400, "badRequest", f"{label or key} must be an object id (GUID), got {value!r}")
    return value


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ------------------------------------------------------------------------------ clock
def _ran_message(answer: dict, moved: str) -> str:
    cycles = [r for r in answer.get("ran") or [] if r.get("jobId")]
    text = f"{moved} to {answer['now']}: {_plural(len(cycles), 'provisioning cycle')} ran"
    exported, failed = sum(int(r.get("exported") or 0) for r in cycles), sum(int(r.get("failed") or 0) for r in cycles)
    if exported or failed:
        text += f" ({_plural(exported, 'change')} sent to Genesys" + (f", {failed} failed" if failed else "") + ")"
    quarantined = sorted({str(r["quarantined"]) for r in cycles if r.get("quarantined")})
    if quarantined:
        text += f"; the job went into quarantine ({', '.join(quarantined)})"
    return text + "."


@action("clock/advance")
def advance(portal: Portal, body: dict) -> dict:
    duration = _text(body, "duration", required=True, limit=40, label="the duration")
    return {"message": _ran_message(portal.actor.control.advance(duration), f"Advanced {duration}")}


@action("clock/next-cycle")
def next_cycle(portal: Portal, body: dict) -> dict:
    """Move the clock to the job's next cycle and run it (a cycle due now runs without moving)."""
    job_id = portal.job_id()
    clock = portal.actor.control("GET", "/clock")
    due = next((p["due"] for p in clock.get("pending") or [] if job_id in str(p.get("job", ""))), None)
    if due is None:
        raise ActionError(409, "NoCycleScheduled", f"job {job_id} has no cycle scheduled (start it first; a paused "
                                                   "or disabled job runs none)")
    # Both times are shown to the second: a cycle due "now" may be a fraction of a second behind the clock.
    answer = portal.actor.control.advance("PT0S") if due <= clock["now"] else portal.actor.control.advance_to(due)
    return {"message": _ran_message(answer, "Ran the next cycle")}


# ------------------------------------------------------------------------------ setup
@action("app/add")
def add_app(portal: Portal, body: dict) -> dict:
    """Enterprise applications > New application > PureCloud by Genesys (the gallery template)."""
    try:
        portal.actor.forget()
        portal.actor.graph.service_principal_id()
    except ApiError:
        pass
    else:
        raise ActionError(409, "appExists", f"the tenant already has the {GALLERY_APP_NAME} app")
    template = sorted(GALLERY_TEMPLATE_IDS)[0]
    portal.actor.graph("POST", f"/applicationTemplates/{template}/instantiate", {"displayName": GALLERY_APP_NAME},
                       ok=(201,))
    portal.actor.forget()
    return {"message": f"{GALLERY_APP_NAME} added from the gallery: assign users and groups, then create its "
                       "provisioning job."}


@action("job/create")
def create_job(portal: Portal, body: dict) -> dict:
    portal.sp_id()
    if portal.actor.jobs():
        raise ActionError(409, "jobExists", "the app already has its provisioning job (delete it first to start over)")
    job = portal.actor.jobs.create(TEMPLATE_ID)
    return {"message": f"Provisioning job created from the {GALLERY_APP_NAME} template ({job['id']}). "
                       "Next: the admin credentials.", "jobId": job["id"]}


def _credentials(body: dict, *, token_required: bool) -> tuple[str, str]:
    url = _text(body, "tenantUrl", required=True, limit=2048, label="the tenant URL")
    token = _text(body, "secretToken", required=token_required, limit=8192, label="the secret token")
    return url, token


@action("job/credentials")
def save_credentials(portal: Portal, body: dict) -> dict:
    """Save on the provisioning page: admin credentials and settings (``PUT …/synchronization/secrets``)."""
    portal.job_id()
    saved = {s["key"] for s in portal.actor.jobs.secrets()}
    url, token = _credentials(body, token_required="SecretToken" not in saved)
    scope = _text(body, "scope") or "assigned"
    if scope not in ("assigned", "all"):
        raise ActionError(400, "badRequest", "scope is 'assigned' (sync only assigned users and groups) or 'all'")
    notify = _text(body, "notify", limit=320, label="the notification e-mail")
    if notify and "@" not in notify:
        raise ActionError(400, "badRequest", f"the notification e-mail {notify!r} is not an e-mail address")
    # "Send an email notification when a failure occurs": the portal's tick box (a script that names an
    # address without it means the e-mail to be sent, as before the page had the box)
    send = _flag(body, "notifyEnabled", bool(notify))
    if send and not notify:
        raise ActionError(400, "badRequest", "enter the notification e-mail the failure notifications go to",
                          details=[{"target": "notify", "message": "required when e-mail notifications are on"}])
    # "Prevent accidental deletion": opt-in, as the portal's box is (issue 19, docs/fidelity.md)
    prevent = _flag(body, "preventDeletes", False)
    threshold_raw = body.get("deleteThreshold", 500)
    try:
        threshold = int(threshold_raw)
    except (TypeError, ValueError):
        raise ActionError(400, "badRequest", "the accidental deletion threshold is a whole number") from None
    if prevent and not 1 <= threshold <= 1_000_000:
        raise ActionError(400, "badRequest", "the accidental deletion threshold is between 1 and 1000000")
    settings: dict[str, Any] = {"Enabled": send, "Recipients": notify, "DeleteThresholdEnabled": prevent}
    if prevent:
        settings["DeleteThresholdValue"] = threshold
    values = [{"key": "BaseAddress", "value": url}]
    if token:
        values.append({"key": "SecretToken", "value": token})
    values += [{"key": "SyncAll", "value": "True" if scope == "all" else "False"},
               {"key": "SkipOutOfScopeDeletions", "value": "True" if _flag(body, "skipOutOfScopeDeletions") else "False"},
               {"key": "SyncNotificationSettings", "value": json.dumps(settings)}]
    portal.actor.jobs.put_secrets(values)
    what = "Admin credentials and settings saved" + ("" if token else " (the saved secret token is kept)")
    return {"message": what + "."}


@action("job/test-connection")
def test_connection(portal: Portal, body: dict) -> dict:
    """Test Connection: the service looks up a user that cannot exist and expects an empty list."""
    job_id = portal.job_id()
    url, token = _credentials(body, token_required=False)
    credentials = [{"key": "BaseAddress", "value": url}]
    if token:
        credentials.append({"key": "SecretToken", "value": token})
    try:
        portal.actor.graph("POST", portal.actor.jobs.path(job_id, "/validateCredentials"),
                           {"useSavedCredentials": not token, "credentials": credentials}, ok=(204,))
    except ApiError as err:
        raise ActionError(400, err.code or "Request_BadRequest", err.message) from err
    return {"message": f"The supplied credentials are authorized to enable provisioning ({GALLERY_APP_NAME} "
                       "answered the test query)."}


@action("genesys/token")
def genesys_token(portal: Portal, body: dict) -> dict:
    """Tutorial step 2.2: an OAuth client (client credentials grant) gets the token Entra saves as Secret Token:
    the client made in step 2.1 (``clientId`` and ``clientSecret``), or the demo admin client."""
    client_id = _text(body, "clientId", limit=128) or portal.actor.genesys_client[0]
    secret = _text(body, "clientSecret", limit=256) or None
    if client_id != portal.actor.genesys_client[0] and not secret:
        raise ActionError(400, "badRequest", "the client secret is required (Genesys showed it once, when the "
                                             "client was created)")
    try:
        token = portal.actor.genesys.token(client_id, secret)
    except LoginFailed as err:
        raise ActionError(400, "invalid_client", f"Genesys refused the OAuth client '{client_id}': {err.detail}") from err
    return {"message": f"Genesys issued a token to the OAuth client '{client_id}' (client credentials grant): "
                       "it is in the Secret Token field now.", "token": token}


@action("job/start")
def start(portal: Portal, body: dict) -> dict:
    portal.actor.jobs.start(portal.job_id())
    return {"message": "Provisioning status: On. The next cycle runs at the next clock move."}


@action("job/pause")
def pause(portal: Portal, body: dict) -> dict:
    portal.actor.jobs.pause(portal.job_id())
    return {"message": "Provisioning status: Off (paused). Nothing is created, updated or removed until it is started."}


@action("job/restart")
def restart(portal: Portal, body: dict) -> dict:
    scopes = body.get("resetScope") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s in model.RESET_SCOPES for s in scopes):
        raise ActionError(400, "badRequest", f"resetScope is a list of {', '.join(model.RESET_SCOPES)}")
    portal.actor.jobs.restart(portal.job_id(), ",".join(scopes) if scopes else None)
    what = ", ".join(scopes) if scopes else "Watermark, Escrows, QuarantineState (the portal's restart)"
    return {"message": f"Provisioning restarted (resetScope: {what}): a new initial cycle runs at the next clock move."}


@action("job/delete")
def delete_job(portal: Portal, body: dict) -> dict:
    job_id = portal.job_id()
    portal.actor.jobs.delete(job_id)
    return {"message": f"Provisioning job {job_id} deleted with all its state."}


@action("job/provision-on-demand")
def provision_on_demand(portal: Portal, body: dict) -> dict:
    job_id = portal.job_id()
    object_id = _guid(body, "objectId", "the user or group")
    kind = _text(body, "type") or "User"
    if kind not in ("User", "Group"):
        raise ActionError(400, "badRequest", "type is User or Group")
    result = portal.actor.jobs.provision_on_demand(job_id, object_id, kind)
    key, value = result["key"], result["value"]
    details = key.get("details") or {}
    outcome = key.get("result") or "Unknown"
    message = f"Provision on demand: {outcome}"
    if details.get("errorCode"):
        message += f" ({details['errorCode']}: {details.get('errorMessage')})"
    return {"message": message + ".", "result": outcome, "details": details,
            "steps": [{"name": s.get("name"), "type": s.get("provisioningStepType"), "status": s.get("status"),
                       "description": s.get("description")} for s in value.get("provisioningSteps") or []],
            "modifiedProperties": [{"name": p.get("displayName"), "old": p.get("oldValue"), "new": p.get("newValue")}
                                   for p in value.get("modifiedProperties") or []],
            "action": value.get("action")}


# -------------------------------------------------------------------------- directory
def _display(portal: Portal, object_id: str) -> str:
    try:
        data = portal.actor.graph("GET", f"/directoryObjects/{object_id}")
    except ApiError:
        return object_id
    return data.get("displayName") or object_id


@action("directory/assign")
def assign(portal: Portal, body: dict) -> dict:
    """Users and groups > Add user/group (the app's User role unless another is picked)."""
    principal = _guid(body, "principalId", "the user or group")
    portal.sp_id()
    role = _text(body, "role") or None
    assigned = portal.actor.graph.assign(principal, role)
    roles = {str(r["id"]).lower(): r.get("displayName") for r in portal.actor.graph(
        "GET", portal.actor.graph.sp_path(), params={"$select": "appRoles"}).get("appRoles") or []}
    name = roles.get(str(assigned.get("appRoleId")).lower()) or "Default Access"
    message = f"{_display(portal, principal)} assigned to {GALLERY_APP_NAME} with the role {name}."
    if name == "Default Access":
        message += (" The seed tutorial (2020) warns that Default Access users are skipped as 'not effectively "
                    "entitled'; since July 2020 the service provisions them like any other role.")
    return {"message": message}


@action("directory/unassign")
def unassign(portal: Portal, body: dict) -> dict:
    principal = _guid(body, "principalId", "the user or group")
    portal.sp_id()
    mine = portal.actor.graph.unassign(principal)
    if not mine:
        raise ActionError(409, "notAssigned", f"{_display(portal, principal)} is not assigned directly to the app")
    return {"message": f"{mine[0].get('principalDisplayName') or principal} removed from {GALLERY_APP_NAME}."}


@action("directory/user/update")
def update_user(portal: Portal, body: dict) -> dict:
    """Edit a user as HR would: job title, department, manager, account enabled (only what changed is sent)."""
    uid = _guid(body, "id", "the user")
    current = portal.actor.graph("GET", f"/users/{uid}", params={
        "$select": "id,displayName,jobTitle,department,accountEnabled", "$expand": "manager"})
    started = body.get("version")
    if started is not None and started != model.user_version(current):
        # Graph keeps no version of a user: the page compares what the edit started from with what is there now
        raise ActionError(409, "staleEdit", f"Not saved: {current.get('displayName') or uid} was changed by someone "
                                            "else since you opened the edit (now: " + model.user_summary(current)
                          + "). Open Edit again and redo your change.")
    patch: dict[str, Any] = {}
    for key in ("jobTitle", "department"):
        if key in body:
            value = _text(body, key, limit=128) or None
            if value != current.get(key):
                patch[key] = value
    if "accountEnabled" in body:
        enabled = _flag(body, "accountEnabled")
        if enabled != current.get("accountEnabled", True):
            patch["accountEnabled"] = enabled
    changed = [k for k in patch]
    if patch:
        portal.actor.graph.update_user(uid, **patch)
    if "managerId" in body:
        manager = _text(body, "managerId")
        old = (current.get("manager") or {}).get("id") or ""
        if manager != old:
            if manager:
                if not model.is_guid(manager) or manager == uid:
                    raise ActionError(400, "badRequest", "the manager is another user of the directory")
                portal.actor.graph.set_manager(uid, manager)
            else:
                portal.actor.graph.remove_manager(uid)
            changed.append("manager")
    name = current.get("displayName") or uid
    if not changed:
        return {"message": f"{name}: nothing changed."}
    return {"message": f"{name} updated in Entra ({', '.join(changed)}); the next cycle sends it to Genesys."}


@action("directory/user/create")
def create_user(portal: Portal, body: dict) -> dict:
    name = _text(body, "displayName", required=True, limit=128, label="the display name")
    upn = _text(body, "userPrincipalName", required=True, limit=113, label="the user principal name")
    if "@" not in upn:
        raise ActionError(400, "badRequest", "the user principal name looks like name@contoso.com")
    payload: dict[str, Any] = {"accountEnabled": True, "displayName": name, "mailNickname": upn.split("@")[0],
                               "userPrincipalName": upn, "mail": upn,
                               "passwordProfile": {"password": DEMO_PASSWORD, "forceChangePasswordNextSignIn": True}}
    for key in ("jobTitle", "department"):
        value = _text(body, key, limit=128)
        if value:
            payload[key] = value
    created = portal.actor.graph("POST", "/users", payload, ok=(201,))
    return {"message": f"{name} created in Entra ({upn}). Assign the user (or a group) to provision it.",
            "id": created["id"]}


@action("directory/user/delete")
def delete_user(portal: Portal, body: dict) -> dict:
    uid = _guid(body, "id", "the user")
    name = _display(portal, uid)
    portal.actor.graph.delete_user(uid)
    return {"message": f"{name} deleted (soft delete: restorable from deleted users for 30 days)."}


@action("directory/user/restore")
def restore_user(portal: Portal, body: dict) -> dict:
    uid = _guid(body, "id", "the user")
    user = portal.actor.graph.restore_deleted(uid)
    return {"message": f"{user.get('displayName') or uid} restored with its group memberships and assignments."}


@action("directory/user/purge")
def purge_user(portal: Portal, body: dict) -> dict:
    uid = _guid(body, "id", "the user")
    portal.actor.graph.purge_deleted(uid)
    return {"message": "User permanently deleted (as Entra does 30 days after a soft delete): the next cycle "
                       "deletes it in Genesys."}


@action("directory/group/add-member")
def add_member(portal: Portal, body: dict) -> dict:
    gid, uid = _guid(body, "groupId", "the group"), _guid(body, "userId", "the user")
    portal.actor.graph.add_member(gid, uid)
    return {"message": f"{_display(portal, uid)} added to {_display(portal, gid)}."}


@action("directory/group/remove-member")
def remove_member(portal: Portal, body: dict) -> dict:
    gid, uid = _guid(body, "groupId", "the group"), _guid(body, "userId", "the user")
    portal.actor.graph.remove_member(gid, uid)
    return {"message": f"{_display(portal, uid)} removed from {_display(portal, gid)}."}


# ---------------------------------------------------------------------------- failures
@action("faults/preset")
def fault_preset(portal: Portal, body: dict) -> dict:
    key = _text(body, "preset", required=True)
    if key not in model.FAULT_PRESETS:
        raise ActionError(400, "badRequest", f"no preset {key!r}; presets: {', '.join(model.FAULT_PRESETS)}")
    preset = model.FAULT_PRESETS[key]
    notes = {r["note"] for r in preset["rules"]}
    if _flag(body, "on", True):
        if key in model.active_presets(portal.actor.control.faults()):
            return {"message": f"{preset['label']} is already on."}
        for rule in model.preset_rules(key):
            portal.actor.control.add_fault(**rule)
        return {"message": f"{preset['label']} is on: {preset['description']}"}
    removed = 0
    for rule in portal.actor.control.faults():
        if rule.get("note") in notes:
            portal.actor.control.remove_fault(rule["id"])
            removed += 1
    return {"message": f"{preset['label']} is off ({_plural(removed, 'fault rule')} removed)."}


@action("faults/add")
def add_fault(portal: Portal, body: dict) -> dict:
    method = (_text(body, "method") or "*").upper()
    if method not in ("*", "GET", "POST", "PUT", "PATCH", "DELETE"):
        raise ActionError(400, "badRequest", "method is *, GET, POST, PUT, PATCH or DELETE")
    rule: dict[str, Any] = {"method": method, "path": _text(body, "path", limit=512) or "/api/v2/scim/*",
                            "note": _text(body, "note", limit=200) or "added from the dashboard"}
    effect = _text(body, "effect") or "status"
    if effect == "drop":
        rule["drop"] = True
    elif effect == "status":
        try:
            rule["status"] = int(body.get("status") or 503)
        except (TypeError, ValueError, OverflowError):
            raise ActionError(400, "badRequest", "the status is an HTTP status code such as 503") from None
        if not 400 <= rule["status"] <= 599:
            raise ActionError(400, "badRequest", "the status is an HTTP error status (400-599)")
        if rule["status"] == 429:
            rule["headers"] = {"Retry-After": _text(body, "retryAfter", limit=8) or "60"}
    else:
        raise ActionError(400, "badRequest", "effect is status or drop")
    times = body.get("times")
    if times not in (None, ""):
        try:
            rule["times"] = int(times)
        except (TypeError, ValueError, OverflowError):
            raise ActionError(400, "badRequest", "times is a whole number") from None
    added = portal.actor.control.add_fault(**rule)
    effect_text = "drop the connection" if rule.get("drop") else f"answer {rule['status']}"
    return {"message": f"Fault rule added: {method} {rule['path']} -> {effect_text}.", "id": added.get("id")}


@action("faults/remove")
def remove_fault(portal: Portal, body: dict) -> dict:
    rule_id = _text(body, "id", required=True, limit=64)
    portal.actor.control.remove_fault(rule_id)
    return {"message": "Fault rule removed."}


@action("faults/clear")
def clear_faults(portal: Portal, body: dict) -> dict:
    portal.actor.control.clear_faults()
    return {"message": "Every fault rule cleared: Genesys answers normally again."}


@action("tokens/expire")
def expire_tokens(portal: Portal, body: dict) -> dict:
    count = portal.actor.control.expire_genesys_tokens()
    return {"message": f"{_plural(count, 'Genesys token')} expired now: the saved secret token no longer works."}


@action("tokens/revoke")
def revoke_tokens(portal: Portal, body: dict) -> dict:
    client_id = portal.actor.genesys_client[0]
    count = portal.actor.control.revoke_genesys_tokens(client_id=client_id)
    return {"message": f"{_plural(count, 'token')} of the OAuth client '{client_id}' revoked."}


@action("reset")
def reset(portal: Portal, body: dict) -> dict:
    if portal.story is not None:
        portal.story.close()
        portal.story = None
    answer = portal.actor.control.reset()
    portal.observer.forget()
    portal.wire.forget()
    return {"message": f"Simulator reset to the tenant fixture's first state (virtual time {answer['now']})."}


# ----------------------------------------------------------------------------- stories
@action("story/load")
def story_load(portal: Portal, body: dict) -> dict:
    from .stories import StorySession

    name = _text(body, "name", required=True, limit=128, label="the story")
    session = StorySession.load(portal, name)
    return {"message": f"Story '{session.scenario.name}' loaded: the simulator was reset to its tenant. "
                       f"{_plural(len(session.scenario.steps), 'step')} to go."}


@action("story/step")
def story_step(portal: Portal, body: dict) -> dict:
    if portal.story is None:
        raise ActionError(409, "noStory", "no story is loaded: load one from the library first")
    outcome = portal.story.step()
    return {"message": outcome["headline"], "outcome": outcome}


@action("story/close")
def story_close(portal: Portal, body: dict) -> dict:
    if portal.story is not None:
        portal.story.close()
        portal.story = None
    return {"message": "Story closed (the simulator keeps its state)."}


# The pages with clicks of their own register them here (they import ``action`` from this module).
from . import genesys, mappings  # noqa: E402,F401
