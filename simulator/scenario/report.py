"""The scenario report: what happened, as a person reads the portal's provisioning logs.

Text for people (``render_text``) and JSON for machines (``render_json``);
both are byte-identical for the same scenario and seed (virtual times, seeded
ids, fixed orders).  No secret ever appears: tokens are not part of any log
line.
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict
from typing import Any

from simulator.core.scrub import scrub_json

from .runner import ScenarioResult

__all__ = ["render_text", "render_json"]

_ACTION = {"create": "Create", "update": "Update", "delete": "Delete", "disable": "Disable",
           "stagedDelete": "StagedDelete", "other": "Other"}
_STATUS = {"success": "Success", "failure": "Failure", "skipped": "Skipped", "warning": "Warning"}


def _time(iso: str) -> str:
    return iso[11:19] if iso and len(iso) >= 19 else iso


def _day_time(iso: str) -> str:
    return iso.replace("T", " ").replace("Z", "Z") if iso else ""


def _entry_line(e: dict) -> str:
    action = _ACTION.get(e["provisioningAction"], e["provisioningAction"])
    status = _STATUS.get(e["provisioningStatusInfo"]["status"], e["provisioningStatusInfo"]["status"])
    kind = e["sourceIdentity"]["identityType"]
    name = e["targetIdentity"].get("displayName") or e["sourceIdentity"].get("displayName") or e["sourceIdentity"]["id"]
    detail = ""
    err = e["provisioningStatusInfo"].get("errorInformation")
    if err:
        detail = f"{err.get('errorCode')}: {err.get('reason')}"
    elif e["modifiedProperties"]:
        props = e["modifiedProperties"]
        if e["provisioningAction"] == "create":
            detail = ", ".join(_short(p["displayName"]) for p in props)
        else:
            detail = "; ".join(f"{_short(p['displayName'])}: {p['oldValue']!s} -> {p['newValue']!s}" for p in props)
    elif e["provisioningSteps"]:
        detail = e["provisioningSteps"][-1]["description"]
    return f"      {_time(e['activityDateTime'])}  {action:<12} {status:<8} {kind:<5}  {name}" + (f"\n                {detail}" if detail else "")


def _short(path: str) -> str:
    return path.replace("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:", "enterprise:")


def _cycles(result: ScenarioResult) -> "OrderedDict[str, list[dict]]":
    by_cycle: OrderedDict[str, list[dict]] = OrderedDict()
    for e in result.logs:
        by_cycle.setdefault(e["cycleId"], []).append(e)
    return by_cycle


def render_text(result: ScenarioResult) -> str:
    s = result.scenario
    lines = [f"provsim scenario: {s.name}"]
    if s.description:
        lines.append(f"  {s.description.strip()}")
    lines.append(f"  tenant {s.tenant}, seed {s.seed}; virtual time {_day_time(result.started)} .. {_day_time(result.ended)}")
    lines.append("")
    logs_by_cycle = _cycles(result)
    cycle_numbers: dict[str, int] = {}
    for outcome in result.outcomes:
        step = outcome.step
        title = step.title or (f"{step.verb} {step.args}" if step.verb == "advance" else step.verb.replace("_", " "))
        mark = "" if outcome.ok else "  [FAILED]"
        lines.append(f"[{step.index}] {_time(outcome.at)}  {title}{mark}")
        for line in outcome.lines:
            lines.append(f"    {line}")
        for cycle in outcome.cycles:
            cycle_numbers[cycle["cycleId"]] = len(cycle_numbers) + 1
            execution = cycle["status"].get("lastExecution") or {}
            kind = "initial" if cycle_numbers[cycle["cycleId"]] == 1 else "incremental"
            lines.append(f"    Cycle {cycle_numbers[cycle['cycleId']]} ({kind}) {_time(execution.get('timeBegan', ''))}-"
                         f"{_time(execution.get('timeEnded', ''))}: {execution.get('state')}, "
                         f"{execution.get('countImported', 0)} imported, {execution.get('countExported', 0)} exported, "
                         f"{execution.get('countEscrowed', 0)} escrowed; job status {cycle['status'].get('code')}")
            quarantine = cycle["status"].get("quarantine")
            if quarantine:
                lines.append(f"      Quarantine: {quarantine['reason']} since {quarantine['currentBegan']}, next attempt {quarantine['nextAttempt']}")
            for e in logs_by_cycle.get(cycle["cycleId"], []):
                lines.append(_entry_line(e))
        lines.append("")
    lines.append("Summary")
    users = result.genesys_users
    active = sum(1 for u in users if u.get("active"))
    lines.append(f"  Genesys users: {len(users)} ({active} active, {len(users) - active} inactive)")
    for g in result.genesys_groups:
        lines.append(f"  Genesys group {g['displayName']}: {len(g.get('members', []))} members")
    counts = Counter((e["provisioningAction"], e["provisioningStatusInfo"]["status"]) for e in result.logs)
    lines.append("  Provisioning log entries: " + ", ".join(
        f"{_ACTION.get(a, a)}/{_STATUS.get(st, st)} {n}" for (a, st), n in sorted(counts.items())) if counts else "  Provisioning log entries: none")
    if result.job:
        st = result.job["status"]
        lines.append(f"  Job {result.job['id']}: {st['code']}" + (f" ({st['quarantine']['reason']})" if st.get("quarantine") else ""))
    if result.outbox:
        lines.append(f"  Notification e-mails: {len(result.outbox)} (" + "; ".join(m["subject"] for m in result.outbox) + ")")
    expectations = [o for o in result.outcomes if o.step.verb == "expect"]
    if expectations:
        lines.append(f"  Expectations: {len(expectations)} steps, " + ("all held" if result.ok else f"{len(result.failures)} failed"))
    for failure in result.failures:
        lines.append(f"  FAILED {failure}")
    return "\n".join(lines) + "\n"


def render_json(result: ScenarioResult) -> str:
    data: dict[str, Any] = {
        "scenario": result.scenario.name,
        "tenant": result.scenario.tenant,
        "seed": result.scenario.seed,
        "ok": result.ok,
        "failures": result.failures,
        "started": result.started,
        "ended": result.ended,
        "job": result.job,
        "steps": [{"index": o.step.index, "verb": o.step.verb, "title": o.step.title, "at": o.at, "ok": o.ok,
                   "lines": o.lines, "cycles": [c["cycleId"] for c in o.cycles]} for o in result.outcomes],
        "provisioningLogs": result.logs,
        "genesys": {"users": result.genesys_users, "groups": result.genesys_groups},
        "outbox": [{k: v for k, v in m.items() if k != "eml"} for m in result.outbox],
    }
    return json.dumps(scrub_json(data), indent=2, ensure_ascii=False) + "\n"
