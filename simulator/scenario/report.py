"""The scenario report: what happened, as a person reads the portal's provisioning logs.

Text for people (``render_text``) and JSON for machines (``render_json``);
both are byte-identical for the same scenario and seed (virtual times, seeded
ids, fixed orders).  No secret ever appears: tokens are not part of any log
line.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter, OrderedDict
from typing import Any

from simulator.core.scrub import scrub_json

from .model import paragraphs
from .runner import ScenarioResult, StepOutcome

__all__ = ["render_text", "render_json", "describe"]

_ACTION = {"create": "Create", "update": "Update", "delete": "Delete", "disable": "Disable",
           "stagedDelete": "StagedDelete", "other": "Other"}
_STATUS = {"success": "Success", "failure": "Failure", "skipped": "Skipped", "warning": "Warning"}


class _Clock:
    """Virtual times as the report prints them: ``HH:MM:SS`` on the run's first day, the date too after it."""

    def __init__(self, started: str) -> None:
        self.day = started[:10]

    def __call__(self, iso: str) -> str:
        if not iso or len(iso) < 19:
            return iso or ""
        return iso[11:19] if iso[:10] == self.day else f"{iso[:10]} {iso[11:19]}"


def _day_time(iso: str) -> str:
    return iso.replace("T", " ") if iso else ""


def _entry_line(e: dict, clock: _Clock) -> str:
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
    return f"      {clock(e['activityDateTime'])}  {action:<12} {status:<8} {kind:<5}  {name}" + (f"\n                {detail}" if detail else "")


def _short(path: str) -> str:
    return path.replace("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:", "enterprise:")


def _idle(cycle: dict, entries: list[dict]) -> bool:
    """A cycle that found nothing to do: no entry, nothing imported, exported or escrowed, no quarantine."""
    execution = cycle["status"].get("lastExecution") or {}
    return (not entries and not cycle["status"].get("quarantine") and execution.get("state") == "Succeeded"
            and not execution.get("countImported") and not execution.get("countExported") and not execution.get("countEscrowed"))


def _cycle_lines(outcome: StepOutcome, numbers: dict[str, int], clock: _Clock) -> list[str]:
    """The step's cycles with their log entries; a run of idle cycles (a long ``advance``) is one line."""
    by_cycle: OrderedDict[str, list[dict]] = OrderedDict((c["cycleId"], []) for c in outcome.cycles)
    others: list[dict] = []
    for e in outcome.entries:
        by_cycle[e["cycleId"]].append(e) if e.get("cycleId") in by_cycle else others.append(e)
    lines: list[str] = []
    idle: list[dict] = []

    def flush_idle() -> None:
        if len(idle) == 1:
            lines.extend(_cycle_header(idle[0], numbers, clock))
        elif idle:
            first, last = idle[0], idle[-1]
            lines.append(f"    Cycles {numbers[first['cycleId']]}-{numbers[last['cycleId']]} (incremental) "
                         f"{clock((first['status'].get('lastExecution') or {}).get('timeBegan', ''))} .. "
                         f"{clock((last['status'].get('lastExecution') or {}).get('timeEnded', ''))}: "
                         f"{len(idle)} cycles, nothing to import or export; job status {last['status'].get('code')}")
        idle.clear()

    for cycle in outcome.cycles:
        numbers[cycle["cycleId"]] = len(numbers) + 1
        entries = by_cycle[cycle["cycleId"]]
        if not cycle.get("initial") and _idle(cycle, entries):
            idle.append(cycle)
            continue
        flush_idle()
        lines.extend(_cycle_header(cycle, numbers, clock))
        lines.extend(_entry_line(e, clock) for e in entries)
    flush_idle()
    lines.extend(_entry_line(e, clock) for e in others)
    return lines


def _cycle_header(cycle: dict, numbers: dict[str, int], clock: _Clock) -> list[str]:
    execution = cycle["status"].get("lastExecution") or {}
    number = numbers[cycle["cycleId"]]
    kind = "initial" if cycle.get("initial") else "incremental"  # a restart's cycle is an initial one too
    lines = [f"    Cycle {number} ({kind}) {clock(execution.get('timeBegan', ''))}-"
             f"{clock(execution.get('timeEnded', ''))}: {execution.get('state')}, "
             f"{execution.get('countImported', 0)} imported, {execution.get('countExported', 0)} exported, "
             f"{execution.get('countEscrowed', 0)} escrowed; job status {cycle['status'].get('code')}"]
    quarantine = cycle["status"].get("quarantine")
    if quarantine:
        lines.append(f"      Quarantine: {quarantine['reason']} since {quarantine['currentBegan']}, next attempt {quarantine['nextAttempt']}")
    return lines


def describe(text: str, indent: str = "  ", width: int = 100) -> list[str]:
    """A scenario description as wrapped paragraphs (blank line between them)."""
    out: list[str] = []
    for n, paragraph in enumerate(paragraphs(text)):
        if n:
            out.append("")
        out.extend(textwrap.wrap(paragraph, width=width, initial_indent=indent, subsequent_indent=indent))
    return out


def render_text(result: ScenarioResult) -> str:
    s = result.scenario
    clock = _Clock(result.started)
    lines = [f"provsim scenario: {s.name}"]
    lines.extend(describe(s.description))
    lines.append(f"  tenant {s.tenant}, seed {s.seed}; virtual time {_day_time(result.started)} .. {_day_time(result.ended)}")
    lines.append("")
    cycle_numbers: dict[str, int] = {}
    for outcome in result.outcomes:
        step = outcome.step
        title = step.title or (f"{step.verb} {step.args}" if step.verb == "advance" else step.verb.replace("_", " "))
        mark = "" if outcome.ok else "  [FAILED]" if outcome.failure == "failed" else "  [ERROR]"
        lines.append(f"[{step.index}] {clock(outcome.at)}  {title}{mark}")
        for line in outcome.lines:
            lines.append(f"    {line}")
        lines.extend(_cycle_lines(outcome, cycle_numbers, clock))
        lines.append("")
    for step in result.not_run:
        lines.append(f"[{step.index}] not run  {step.title or step.verb.replace('_', ' ')}")
    if result.not_run:
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
    ran = [o for o in result.outcomes if o.step.verb == "expect"]
    skipped = [st for st in result.not_run if st.verb == "expect"]
    if ran or skipped:
        failed = sum(1 for o in ran if not o.ok)
        verdict = ", ".join(part for part in (f"{failed} failed" if failed else "",
                                              f"{len(skipped)} not run" if skipped else "") if part)
        lines.append(f"  Expectations: {len(ran) + len(skipped)} steps, " + (verdict or "all held"))
    if result.not_run:
        lines.append(f"  Not run: {len(result.not_run)} step(s) after the error in step {result.outcomes[-1].step.index}")
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
                   "outcome": o.failure or "ok", "problems": o.problems, "lines": o.lines,
                   "cycles": [c["cycleId"] for c in o.cycles], "logEntries": [e["id"] for e in o.entries]}
                  for o in result.outcomes],
        "notRun": [{"index": st.index, "verb": st.verb, "title": st.title} for st in result.not_run],
        "provisioningLogs": result.logs,
        "genesys": {"users": result.genesys_users, "groups": result.genesys_groups},
        "outbox": [{k: v for k, v in m.items() if k != "eml"} for m in result.outbox],
    }
    return json.dumps(scrub_json(data), indent=2, ensure_ascii=False) + "\n"
