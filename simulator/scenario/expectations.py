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
      genesys_requests: {method: PATCH, path: /Users/*, status: 429, count: 4}

Each check returns problems as readable sentences; an empty list means it held.
``body_problems`` does the same for a ``graph``/``genesys`` step's ``expect_body``.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from simulator.engine.mappings import scim_get

__all__ = ["check", "CHECKS", "body_problems", "body_value"]


def _norm(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _users(runner) -> list[dict]:
    return runner.genesys_state("Users")


def _by_username(runner) -> dict[str, dict]:
    return {u["userName"].lower(): u for u in _users(runner)}


def check(runner, args: dict) -> list[str]:
    """Every problem with the checks in ``args`` (an ``expect`` step's mapping, already validated
    against the schema's ``$defs/expectations``), each prefixed with its key."""
    problems: list[str] = []
    for name, spec in args.items():
        fn = _CHECKS[name]
        for spec_item in spec if isinstance(spec, list) and name in _LISTABLE else [spec]:
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
        elif path == "groups":  # the user's groups hold ids (and a display name only on SCIM reads)
            names = {g["id"]: g["displayName"] for g in runner.genesys_state("Groups")}
            actual = sorted(g.get("display") or names.get(g.get("value"), g.get("value")) for g in user.get("groups", []))
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
    groups = {g["displayName"]: g for g in runner.genesys_state("Groups")}
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
    view = runner.job_view()
    out = []
    for path, expected in spec.items():
        # schedule.* is the job's schedule; every other path is in its synchronizationStatus
        value: Any = view if path.startswith("schedule.") else view["status"]
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value != expected:
            out.append(f"job {path} is {value!r}, expected {expected!r}")
    return out


def _logs(runner, spec: dict) -> list[str]:
    spec = dict(spec)
    expected = spec.pop("count", None)
    entries = runner.log_entries

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
    messages = runner.client.control.outbox()
    out = []
    if "count" in spec and len(messages) != spec["count"]:
        out.append(f"{len(messages)} notification e-mails, expected {spec['count']}")
    if "subject_contains" in spec and not any(spec["subject_contains"].lower() in m["subject"].lower() for m in messages):
        out.append(f"no notification whose subject contains {spec['subject_contains']!r}")
    return out


def _genesys_requests(runner, spec: dict) -> list[str]:
    from simulator.client import SCIM_PATH
    from simulator.engine.target import USER_AGENT

    spec = dict(spec)
    expected = spec.pop("count", None)
    everything = runner.runtime.traffic.entries()
    if everything and everything[0]["seq"] > 1:
        return [f"the traffic log keeps only the last {len(everything)} requests, {everything[0]['seq'] - 1} are gone: "
                "count in a shorter story"]
    entries = [e for e in everything if e["surface"] == "purecloud"]
    pattern = spec.get("path", "*").lower()
    found = 0
    for e in entries:
        agent = next((v for k, v in e["request"]["headers"] if k.lower() == "user-agent"), "")
        if agent != USER_AGENT or not e["path"].lower().startswith(SCIM_PATH):
            continue
        if "method" in spec and e["method"] != spec["method"]:
            continue
        if "status" in spec and e["status"] != spec["status"]:
            continue
        if fnmatch.fnmatchcase(e["path"][len(SCIM_PATH):].lower(), pattern):
            found += 1
    if expected is None:
        return [] if found else [f"no request to Genesys matches {spec}"]
    return [] if found == expected else [f"{found} requests to Genesys match {spec}, expected {expected}"]


def body_value(body: Any, path: str) -> Any:
    """The value at ``path`` in a JSON answer: dotted keys and list indexes (``Resources.0.userName``),
    ``.length`` for a list's length, or a SCIM attribute path (``emails[type eq "work"].value``,
    URN-qualified names). Absent: None."""
    if "[" in path or path.startswith("urn:"):
        return scim_get(body, path) if isinstance(body, dict) else None
    value = body
    for part in path.split("."):
        if isinstance(value, list):
            if part == "length":
                value = len(value)
            elif part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def body_problems(body: Any, spec: dict) -> list[str]:
    """``expect_body``: one sentence per path whose value differs."""
    out = []
    for path, expected in spec.items():
        actual = body_value(body, path)
        if _norm(actual) != _norm(expected):
            out.append(f"the answer's {path} is {actual!r}, expected {expected!r}")
    return out


#: expectations that take one spec or a list of them (the schema's anyOf)
_LISTABLE = ("genesys_user", "genesys_group", "logs", "genesys_requests")

#: expectation -> check; the keys are the schema's $defs/expectations (a test keeps them equal)
CHECKS = _CHECKS = {
    "genesys_user": _genesys_user,
    "genesys_user_absent": _genesys_user_absent,
    "genesys_users": _genesys_users,
    "genesys_group": _genesys_group,
    "job": _job,
    "logs": _logs,
    "outbox": _outbox,
    "genesys_requests": _genesys_requests,
}
