"""Plain words: what a cycle (or a story step) did, in one paragraph a class understands.

"Allan Deyoung was created in Genesys; Sales gained 2 members; Marketing is still missing in
Genesys, so its members were skipped."  Built only from what Graph's provisioning logs say of each
object (action, status, error code and reason, modified properties, steps), so every story and
every click gets one, and nothing is written per story.  Pure functions: the same entries give
the same paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["account", "names", "attribute_words", "step_words", "duration_words", "cycle_words"]

_SHOWN = 4

#: SCIM attribute paths of the PureCloud app as a class says them.
_ATTRIBUTE_WORDS = {
    "username": "user name", "active": "account state", "displayname": "name", "title": "job title",
    'emails[type eq "work"].value': "work e-mail", 'phonenumbers[type eq "mobile"].value': "mobile phone",
    'phonenumbers[type eq "work"].value': "work phone", "department": "department", "manager": "manager",
    "employeenumber": "employee number", "datehire": "hire date", "division": "division", "externalid": "external id",
    "members": "members", "roles": "roles",
}

#: A skipped object, by error code: why, in words (``{name}`` is the object).
_SKIPPED = {
    "GroupMissingInTarget": "{name} is still missing in Genesys, so its members were skipped (an admin creates "
                            "a Genesys group with exactly this name)",
    "NotEffectivelyEntitled": "{name} was skipped: out of scope (not effectively entitled: not assigned, or left "
                              "out by a scoping filter)",
    "UserDisabled": "{name} was skipped: disabled in Entra",
    "TooManyDeletes": "{name} was held back by accidental-deletion prevention",
    "RedundantExport": "{name} was already up to date in Genesys",
}


def names(items: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``; beyond four, ``A, B, C, D and 5 others``."""
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if len(items) <= _SHOWN:
        return ", ".join(items[:-1]) + " and " + items[-1]
    rest = len(items) - _SHOWN
    return ", ".join(items[:_SHOWN]) + f" and {rest} other{'s' if rest > 1 else ''}"


def attribute_words(path: str) -> str:
    """A SCIM attribute path (``urn:…:User:department``, ``emails[type eq "work"].value``) in words."""
    key = path.split(":")[-1] if path.startswith("urn:") else path
    return _ATTRIBUTE_WORDS.get(key.lower(), key)


def _name(entry: Mapping[str, Any]) -> str:
    source, target = entry.get("sourceIdentity") or {}, entry.get("targetIdentity") or {}
    return str(source.get("displayName") or target.get("displayName") or source.get("id") or "an object")


def _kind(entry: Mapping[str, Any]) -> str:
    return str((entry.get("sourceIdentity") or {}).get("identityType")
               or (entry.get("targetIdentity") or {}).get("identityType") or "User")


def _status(entry: Mapping[str, Any]) -> str:
    return str((entry.get("provisioningStatusInfo") or {}).get("status") or "success")


def _error(entry: Mapping[str, Any]) -> dict:
    return (entry.get("provisioningStatusInfo") or {}).get("errorInformation") or {}


def _members(entry: Mapping[str, Any]) -> tuple[int, int] | None:
    for prop in entry.get("modifiedProperties") or []:
        if prop.get("displayName") == "members":
            found = re.search(r"\(\+(\d+) -(\d+)\)", str(prop.get("newValue") or ""))
            if found:
                return int(found.group(1)), int(found.group(2))
    for step in entry.get("provisioningSteps") or []:
        found = re.search(r"(\d+) added, (\d+) removed", str(step.get("description") or ""))
        if found:
            return int(found.group(1)), int(found.group(2))
    return None


def _matched(entry: Mapping[str, Any]) -> bool:
    """The object already existed in Genesys and the service found it (its matching step says so)."""
    return any(s.get("provisioningStepType") == "matching" and (
        (s.get("details") or {}).get("matchedTargetId") or re.search(r"\bfound [1-9]", str(s.get("description") or "")))
        for s in entry.get("provisioningSteps") or [])


def _turned_off(entry: Mapping[str, Any]) -> bool:
    return any(str(p.get("displayName")) == "active" and str(p.get("newValue")).lower() == "false"
               for p in entry.get("modifiedProperties") or [])


def _reason(error: Mapping[str, Any]) -> str:
    text = str(error.get("reason") or error.get("errorCode") or "an error").strip()
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first.rstrip(".")


def account(entries: Iterable[Mapping[str, Any]]) -> str:
    """One paragraph for the provisioning log entries of a cycle (or of a step), in the order a class
    cares about: what arrived, what changed, what was held back, what failed."""
    created: list[str] = []
    matched: list[str] = []
    disabled: list[str] = []
    deleted: list[str] = []
    changed: dict[tuple[str, ...], list[str]] = {}
    managers: list[str] = []
    groups: list[str] = []
    linked: list[str] = []
    skipped: dict[str, list[str]] = {}
    skipped_other: list[str] = []
    staged: list[str] = []
    failed: dict[tuple[str, bool], list[str]] = {}
    warned: list[str] = []
    # Graph lists the newest first; a story step's entries come oldest first: tell them as they happened.
    for entry in sorted(entries, key=lambda e: str(e.get("activityDateTime") or "")):
        action, status, name = entry.get("provisioningAction"), _status(entry), _name(entry)
        error = _error(entry)
        if status == "failure":
            retried = "retried" in str(error.get("recommendedAction") or "").lower()
            failed.setdefault((_reason(error), retried), []).append(name)
            continue
        if action == "stagedDelete" or error.get("errorCode") == "TooManyDeletes":
            staged.append(name)
            continue
        if status == "skipped":
            code = str(error.get("errorCode") or "")
            if code in _SKIPPED:
                skipped.setdefault(code, []).append(name)
            else:
                skipped_other.append(f"{name} ({_reason(error).lower()})" if error else name)
            continue
        if status == "warning":
            warned.append(f"{name} ({_reason(error).lower()})" if error else name)
        if action == "create":
            created.append(name)
        elif action == "delete":
            deleted.append(name)
        elif action == "disable" or (action == "update" and _turned_off(entry)):
            disabled.append(name)
        elif action == "update" and _kind(entry) == "Group":
            delta = _members(entry)
            if delta is None and _matched(entry):
                linked.append(name)
            elif delta is None:
                props = [attribute_words(str(p.get("displayName"))) for p in entry.get("modifiedProperties") or []]
                groups.append(f"{name}'s {names(props)} changed in Genesys" if props else f"{name} was updated")
            else:
                added, removed = delta
                parts = []
                if added:
                    parts.append(f"gained {added} member{'s' if added != 1 else ''}")
                if removed:
                    parts.append(f"lost {removed} member{'s' if removed != 1 else ''}")
                groups.append(f"{name} {' and '.join(parts) or 'kept its members'}")
        elif action == "update":
            props = [attribute_words(str(p.get("displayName"))) for p in entry.get("modifiedProperties") or []]
            if props and set(props) == {"manager"}:
                managers.append(name)
            elif _matched(entry):
                matched.append(name)
            else:
                changed.setdefault(tuple(dict.fromkeys(props)), []).append(name)
    sentences: list[str] = []
    if created:
        sentences.append(f"{names(created)} {'was' if len(created) == 1 else 'were'} created in Genesys")
    if matched:
        sentences.append(f"{names(matched)} already existed in Genesys: matched on user name and brought up to date")
    for changed_attributes, people in changed.items():
        what = names(list(changed_attributes)) if changed_attributes else "details"
        sentences.append(f"{names(people)}: {what} changed in Genesys")
    if managers:
        sentences.append(f"manager links were set for {names(managers)}")
    if disabled:
        sentences.append(f"{names(disabled)} {'was' if len(disabled) == 1 else 'were'} disabled in Genesys "
                         "(kept, but inactive)")
    if deleted:
        sentences.append(f"{names(deleted)} {'was' if len(deleted) == 1 else 'were'} deleted from Genesys")
    if linked:
        sentences.append(f"{names(linked)} {'was' if len(linked) == 1 else 'were'} found in Genesys by name and "
                         "linked")
    sentences.extend(groups)
    for code, who in skipped.items():
        sentences.append(_SKIPPED[code].format(name=names(who)))
    if skipped_other:
        sentences.append(f"skipped: {names(skipped_other)}")
    if staged:
        sentences.append(f"{names(staged)}: {'its' if len(staged) == 1 else 'their'} removal was held back by "
                         "accidental-deletion prevention (nothing changed in Genesys)")
    for (reason, retried), who in failed.items():
        sentences.append(f"{names(who)} could not be provisioned: {reason}"
                         + ("; the service retries later" if retried else ""))
    if warned:
        sentences.append(f"with a warning: {names(warned)}")
    if not sentences:
        return "Nothing needed to change, so nothing was sent to Genesys."
    text = "; ".join(sentences)
    return text[0].upper() + text[1:] + "."


def cycle_words(cycles: Sequence[Mapping[str, Any]]) -> str:
    """What the clock ran, from the cycles' statuses (``[{"initial", "status"}]``)."""
    if not cycles:
        return ""
    initial = sum(1 for c in cycles if c.get("initial"))
    parts = [f"{len(cycles)} provisioning cycle{'s' if len(cycles) != 1 else ''} ran"
             + (" (the first one an initial cycle)" if initial and len(cycles) > 1 else
                " (an initial cycle)" if initial else "")]
    last = cycles[-1].get("status") or {}
    quarantine = last.get("quarantine")
    if quarantine:
        error = quarantine.get("error") or {}
        parts.append(f"the job is in quarantine ({quarantine.get('reason')}"
                     + (f": {error.get('code')}" if error.get("code") else "") + ")")
    elif last.get("code") == "Active":
        parts.append("the job is active")
    return "; ".join(parts) + "."


# ---------------------------------------------------------------------------- story steps
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def duration_words(text: str) -> str:
    """``PT40M`` -> ``40 minutes``, ``P1DT6H`` -> ``1 day 6 hours``."""
    found = _DURATION.match(str(text or "").strip())
    if not found or not any(found.groups()):
        return str(text)
    out = []
    for value, unit in zip(found.groups(), ("day", "hour", "minute", "second"), strict=True):
        if value and int(value):
            out.append(f"{int(value)} {unit}{'s' if int(value) != 1 else ''}")
    return " ".join(out) or "no time"


def _graph_words(args: Mapping[str, Any], name_of: Any) -> str:
    method = str(args.get("method") or "GET").upper()
    path = str(args.get("path") or "")
    body = args.get("body") if isinstance(args.get("body"), Mapping) else {}
    ids = re.findall(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", path)
    who = [name_of(i) for i in ids]
    ref = str((body or {}).get("@odata.id") or "")
    ref_name = name_of(ref.rsplit("/", 1)[-1]) if ref else ""
    if re.fullmatch(r"/users/[^/]+", path):
        if method == "PATCH":
            fields = ", ".join(f"{k} = {v!r}" if not isinstance(v, bool) else f"{k} = {str(v).lower()}"
                               for k, v in (body or {}).items())
            return f"In Entra, change {who[0] if who else 'a user'}" + (f": {fields}" if fields else "")
        if method == "DELETE":
            return f"In Entra, delete {who[0] if who else 'a user'} (soft delete)"
    if path == "/users" and method == "POST":
        return f"In Entra, create the user {(body or {}).get('displayName') or (body or {}).get('userPrincipalName')}"
    if re.fullmatch(r"/groups/[^/]+/members/\$ref", path) and method == "POST":
        return f"In Entra, add {ref_name or 'a member'} to {who[0] if who else 'a group'}"
    if re.fullmatch(r"/groups/[^/]+/members/[^/]+/\$ref", path) and method == "DELETE":
        return f"In Entra, remove {who[1] if len(who) > 1 else 'a member'} from {who[0] if who else 'a group'}"
    if re.fullmatch(r"/users/[^/]+/manager/\$ref", path):
        if method == "DELETE":
            return f"In Entra, remove {who[0] if who else 'a user'}'s manager"
        return f"In Entra, make {ref_name or 'someone'} the manager of {who[0] if who else 'a user'}"
    if path.startswith("/directory/deletedItems/"):
        if path.endswith("/restore"):
            return f"In Entra, restore {who[0] if who else 'a deleted object'}"
        if method == "DELETE":
            return f"In Entra, delete {who[0] if who else 'an object'} permanently"
    if path.endswith("/appRoleAssignedTo") and method == "POST":
        principal = name_of(str((body or {}).get("principalId") or ""))
        return f"In Entra, assign {principal or 'a user or group'} to the app"
    if "/appRoleAssignedTo/" in path and method == "DELETE":
        return "In Entra, remove an assignment from the app"
    shown = path
    for ident, name in zip(ids, who, strict=True):
        shown = shown.replace(ident, name)
    return f"Graph {method} {_placeholders(shown)}"


def _genesys_words(args: Mapping[str, Any]) -> str:
    """A Genesys admin's own request, by what it does to which kind of object (ids mean nothing to a class)."""
    method = str(args.get("method") or "GET").upper()
    path = str(args.get("path") or "")
    kind = "group" if "/groups" in path.lower() else "user" if "/users" in path.lower() else "object"
    one = bool(re.search(r"/(users|groups)/[^/?]+", path, re.IGNORECASE))
    verb = {"POST": "create a", "PUT": "replace a", "PATCH": "change a", "DELETE": "delete a"}.get(method)
    if verb is not None:
        return f"In Genesys, an admin's own request: {verb} {kind} by hand ({method} {_placeholders(path)})"
    return f"In Genesys, look up {'a ' + kind if one else kind + 's'} ({method} {_placeholders(path)})"


def _placeholders(text: str) -> str:
    """``${saved}`` references not known yet, as the words they stand for."""
    return re.sub(r"\$\{([^}]+)\}", lambda m: "{" + m.group(1).split(":")[-1].replace("_", " ") + "}", text)


def step_words(verb: str, args: Any, name_of: Any) -> str:
    """An untitled story step as a sentence (``args`` with ``${...}`` already substituted; ``name_of``
    turns an object id into a display name)."""
    if verb == "graph" and isinstance(args, Mapping):
        return _graph_words(args, name_of)
    if verb == "genesys" and isinstance(args, Mapping):
        return _genesys_words(args)
    if verb == "advance":
        if isinstance(args, Mapping) and args.get("to"):
            return f"Move the clock to {args['to']}"
        return f"Move the clock {duration_words(str(args.get('duration') if isinstance(args, Mapping) else args))}"
    if verb == "expect" and isinstance(args, Mapping):
        return "Check " + ", ".join(k.replace("_", " ") for k in args)
    words = {"configure": "Set up provisioning", "start": "Provisioning status: On", "pause": "Provisioning status: Off",
             "restart": "Restart provisioning", "assign": "Assign to the app", "unassign": "Remove from the app",
             "expire_tokens": "Expire every Genesys token", "revoke_token": "Revoke a Genesys token",
             "clear_faults": "Clear the fault rules", "fault": "Break Genesys on purpose (a fault rule)",
             "secret_token": "Enter a new secret token", "genesys_token": "Get a token from Genesys",
             "schema": "Change the mappings", "provision_on_demand": "Provision on demand",
             "job_settings": "Change the job's settings", "quarantine": "Quarantine the job (as support would)"}
    return words.get(verb, verb.replace("_", " ").capitalize())
