"""``expect`` steps: what a person would check in Genesys, the provisioning logs and the job status.

    expect:
      genesys_user: {userName: alex.wilber@contoso.com, active: true, title: Senior Account Executive,
                     "emails[type eq \\"work\\"].value": alex.wilber@contoso.com}
      genesys_user_absent: lee.gu@contoso.com
      genesys_users: {active: 21, inactive: 1}
      genesys_group: {displayName: Sales, members: [alex.wilber@contoso.com, ...]}
      job: {code: Active, "quarantine.reason": TooManyDeletes}
      logs: {action: create, status: success, count: 20}          # in the whole run so far
      outbox: {count: 1, subject_contains: quarantine}

Each check returns problems as readable sentences; an empty list means it held.
"""

from __future__ import annotations

from typing import Any

from simulator.engine.mappings import scim_get

__all__ = ["check", "problems_in"]

#: expectation -> (required keys, allowed keys; None: any key, e.g. SCIM attribute paths)
_SHAPES: dict[str, tuple[frozenset[str], frozenset[str] | None]] = {
    "genesys_user": (frozenset({"userName"}), None),
    "genesys_group": (frozenset({"displayName"}), frozenset({"displayName", "members", "externalId"})),
    "genesys_users": (frozenset(), frozenset({"active", "inactive", "total"})),
    "job": (frozenset(), None),
    "logs": (frozenset(), frozenset({"action", "status", "user", "error", "count"})),
    "outbox": (frozenset(), frozenset({"count", "subject_contains"})),
}


def problems_in(args: Any) -> list[str]:
    """What is wrong with an ``expect`` step's arguments themselves (checked when the file loads)."""
    if not isinstance(args, dict) or not args:
        return ["expect needs a mapping of expectations, e.g. {genesys_user: {userName: ...}}"]
    out = []
    for name, spec in args.items():
        if name not in _CHECKS:
            out.append(f"unknown expectation {name!r} (known: {', '.join(sorted(_CHECKS))})")
            continue
        if name == "genesys_user_absent":
            if not isinstance(spec, (str, list)):
                out.append("genesys_user_absent takes a userName or a list of them")
            continue
        required, allowed = _SHAPES[name]
        listed = name in ("genesys_user", "genesys_group", "logs") and isinstance(spec, list)
        for item in spec if listed else [spec]:
            if not isinstance(item, dict):
                out.append(f"{name} takes a mapping" + (" (or a list of them)" if name in ("genesys_user", "genesys_group", "logs") else "")
                           + f", got {item!r}")
                continue
            missing = sorted(required - set(item))
            unknown = sorted(set(item) - allowed) if allowed is not None else []
            if missing:
                out.append(f"{name} needs {', '.join(missing)}")
            if unknown:
                out.append(f"{name} has unknown key(s) {', '.join(map(repr, unknown))} (known: {', '.join(sorted(allowed))})")
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _users(runner) -> list[dict]:
    return runner._genesys_all("Users")


def _by_username(runner) -> dict[str, dict]:
    return {u["userName"].lower(): u for u in _users(runner)}


def check(runner, args: dict) -> list[str]:
    problems: list[str] = []
    for name, spec in args.items():
        fn = _CHECKS.get(name)
        if fn is None:
            problems.append(f"{name}: unknown expectation (known: {', '.join(sorted(_CHECKS))})")
            continue
        for spec_item in spec if isinstance(spec, list) and name in ("genesys_user", "genesys_group", "logs") else [spec]:
            problems.extend(f"{name}: {p}" for p in fn(runner, spec_item))
    return problems


def _genesys_user(runner, spec: dict) -> list[str]:
    spec = dict(spec)
    username = spec.pop("userName")
    user = _by_username(runner).get(username.lower())
    if user is None:
        return [f"no Genesys user {username}"]
    out = []
    for path, expected in spec.items():
        if path == "manager":
            manager_id = scim_get(user, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
            manager = next((u for u in _users(runner) if u["id"] == manager_id), None)
            actual = manager["userName"] if manager else None
        elif path == "groups":
            actual = sorted(g.get("display") or g.get("value") for g in user.get("groups", []))
            expected = sorted(expected)
        else:
            actual = scim_get(user, path)
        if _norm(actual) != _norm(expected):
            out.append(f"{username} {path} is {actual!r}, expected {expected!r}")
    return out


def _genesys_user_absent(runner, spec) -> list[str]:
    names = spec if isinstance(spec, list) else [spec]
    present = _by_username(runner)
    return [f"Genesys has a user {n}, expected none" for n in names if n.lower() in present]


def _genesys_users(runner, spec: dict) -> list[str]:
    users = _users(runner)
    counts = {"active": sum(1 for u in users if u.get("active")), "inactive": sum(1 for u in users if not u.get("active")),
              "total": len(users)}
    return [f"{k} users: {counts[k]}, expected {v}" for k, v in spec.items() if counts.get(k) != v]


def _genesys_group(runner, spec: dict) -> list[str]:
    groups = {g["displayName"]: g for g in runner._genesys_all("Groups")}
    group = groups.get(spec["displayName"])
    if group is None:
        return [f"no Genesys group {spec['displayName']}"]
    out = []
    if "members" in spec:
        by_id = {u["id"]: u["userName"] for u in _users(runner)}
        actual = sorted(by_id.get(m["value"], m["value"]) for m in group.get("members", []))
        if actual != sorted(spec["members"]):
            out.append(f"group {spec['displayName']} members are {actual}, expected {sorted(spec['members'])}")
    if "externalId" in spec and group.get("externalId") != spec["externalId"]:
        out.append(f"group {spec['displayName']} externalId is {group.get('externalId')!r}, expected {spec['externalId']!r}")
    return out


def _job(runner, spec: dict) -> list[str]:
    service = runner.runtime.services["provisioning"]
    view = service.job_view(runner._job())
    out = []
    for path, expected in spec.items():
        value: Any = view["status"] if path != "schedule.state" else view
        for part in (path.split(".") if path != "schedule.state" else ["schedule", "state"]):
            value = value.get(part) if isinstance(value, dict) else None
        if value != expected:
            out.append(f"job {path} is {value!r}, expected {expected!r}")
    return out


def _logs(runner, spec: dict) -> list[str]:
    spec = dict(spec)
    expected = spec.pop("count", None)
    service = runner.runtime.services["provisioning"]
    entries = service.logs()
    def match(e: dict) -> bool:
        if "action" in spec and e["provisioningAction"] != spec["action"]:
            return False
        if "status" in spec and e["provisioningStatusInfo"]["status"] != spec["status"]:
            return False
        if "user" in spec and (e["sourceIdentity"]["displayName"] != spec["user"] and e["targetIdentity"]["displayName"] != spec["user"]):
            return False
        if "error" in spec and (e["provisioningStatusInfo"].get("errorInformation") or {}).get("errorCode") != spec["error"]:
            return False
        return True
    found = sum(1 for e in entries if match(e))
    if expected is None:
        return [] if found else [f"no provisioning log entry matches {spec}"]
    return [] if found == expected else [f"{found} provisioning log entries match {spec}, expected {expected}"]


def _outbox(runner, spec: dict) -> list[str]:
    service = runner.runtime.services["provisioning"]
    messages = service.outbox.messages() if getattr(service, "outbox", None) else []
    out = []
    if "count" in spec and len(messages) != spec["count"]:
        out.append(f"{len(messages)} notification e-mails, expected {spec['count']}")
    if "subject_contains" in spec and not any(spec["subject_contains"].lower() in m["subject"].lower() for m in messages):
        out.append(f"no notification whose subject contains {spec['subject_contains']!r}")
    return out


_CHECKS = {
    "genesys_user": _genesys_user,
    "genesys_user_absent": _genesys_user_absent,
    "genesys_users": _genesys_users,
    "genesys_group": _genesys_group,
    "job": _job,
    "logs": _logs,
    "outbox": _outbox,
}
