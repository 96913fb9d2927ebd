"""The target report: per request what was sent, expected and got; a verdict per Entra pattern.

Verdicts, worst first: ``fail`` (a must-check failed: the service could not use an answer),
``warn`` (only should-checks failed: Microsoft asks for it, the service carries on),
``deviation`` (every failure is a documented deviation of the target profile, e.g. Genesys'
group PATCH answering 200), ``pass``, and ``not exercised`` (the story sent no such request).

Same scenario, seed and server -> same bytes: ids the server assigned are shown as
``{user-1}``, ``{group-1}`` ... in order of first appearance, and ``meta.created``,
``meta.lastModified``, ``meta.version`` as ``(varies)``, so two runs against a server that
stamps uuid4 ids and wall-clock times still compare.  The secret token never appears.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from simulator.engine.target_profile import TargetProfile, rules_for

from .capture import Exchange
from .diagnose import Diagnosis, diagnose, headline, name_target, target_label
from .patterns import PATTERN_BY_ID, PATTERNS, Check, Story, check_exchange, check_probe, classify
from .validator import CLEANUP, VALIDATOR_PROBES, check_validator_probe

__all__ = ["TargetReport", "PassSummary", "PatternVerdict", "build_report", "render_text", "render_json", "DEVIATIONS",
           "VERDICTS"]

#: Verdicts from worst to best.
VERDICTS = ("fail", "warn", "deviation", "pass", "not exercised")
_RANK = {v: i for i, v in enumerate(VERDICTS)}

_GROUP_PATCH_200 = ("genesys-cloud-scim.md §5 (groups) and docs/fidelity.md 'Genesys Cloud SCIM > PATCH': Genesys "
                    "answers group PATCH with 200 and the group (Entra accepts both)")
_GROUPS_FILTER_REQUIRED = ("genesys-cloud-scim.md §4 (filters) and docs/fidelity.md 'Filters': GET "
                           "/api/v2/scim/v2/groups requires a filter (400 invalidFilter without one)")

#: Documented deviations of a target profile: (pattern, check name or "*") -> where it is documented.
DEVIATIONS: dict[TargetProfile, dict[tuple[str, str], str]] = {
    TargetProfile.GENESYS: {
        ("update-group", "status"): _GROUP_PATCH_200,
        ("add-members", "status"): _GROUP_PATCH_200,
        ("remove-members", "status"): _GROUP_PATCH_200,
        ("remove-members-rfc", "status"): _GROUP_PATCH_200,
        ("paging-groups", "*"): _GROUPS_FILTER_REQUIRED,
    },
    TargetProfile.SCIM: {},
}

#: Patterns a profile never sends, and why.
_NEVER_SENT = {
    TargetProfile.GENESYS: {
        "create-group": "the genesys profile never creates groups: Genesys can't create or delete groups through "
                        "this app (Microsoft Learn, 'Configure PureCloud by Genesys for automatic user provisioning')",
        "duplicate-group": "the genesys profile never creates groups, so no group is created twice (Microsoft Learn, 'Configure PureCloud by Genesys for automatic user provisioning')",
        "delete-group": "the genesys profile never deletes groups: Genesys can't create or delete groups through "
                        "this app (Microsoft Learn, 'Configure PureCloud by Genesys for automatic user provisioning')",
    },
}


@dataclass
class PassSummary:
    """One run of the story: with the tenant URL as given, then with ``aadOptscim062020``."""

    name: str
    tenant_url: str
    job: dict  # {"code", "quarantine"}
    log_counts: dict[str, int]
    failures: list[str]  # failed provisioning-log entries, as the portal lists them
    step_errors: list[str]


@dataclass
class PatternVerdict:
    pattern: Any  # patterns.Pattern
    verdict: str
    requests: list[int] = field(default_factory=list)
    findings: list[tuple[int, Check]] = field(default_factory=list)
    note: str | None = None


@dataclass
class TargetReport:
    scenario: str
    seed: int
    tenant_url: str
    profile: TargetProfile
    token_given: bool
    passes: list[PassSummary]
    verdicts: list[PatternVerdict]
    exchanges: list[Exchange]
    #: why the run failed and what to change, when one cause explains it (diagnose.py)
    diagnosis: Diagnosis | None = None

    @property
    def label(self) -> str:
        """How the report names the server ("your SCIM server"; "Genesys" for the genesys profile)."""
        return target_label(self.profile)

    @property
    def headline(self) -> str:
        """The first line: the cause and the fix, or what failed, or that nothing did."""
        return headline(self.diagnosis, self.verdicts, self.label)

    @property
    def ok(self) -> bool:
        """No pattern failed (warnings and documented deviations do not fail a run)."""
        return not any(v.verdict == "fail" for v in self.verdicts)

    def verdict(self, pattern_id: str) -> PatternVerdict:
        return next(v for v in self.verdicts if v.pattern.id == pattern_id)


def _worst(results: list[str], default: str = "pass") -> str:
    return min(results, key=_RANK.__getitem__) if results else default


def result_of(ex: Exchange) -> str:
    return _worst([c.result for c in ex.checks])


def build_report(scenario: str, seed: int, tenant_url: str, profile: TargetProfile, token_given: bool,
                 passes: list[PassSummary], exchanges: list[Exchange], *, compliance_phase: str) -> TargetReport:
    """Classify and check every exchange, apply the profile's documented deviations, make the
    server's ids stable, and judge each pattern."""
    stories: dict[str, Story] = {}
    first_pages: dict[tuple[str, str], Exchange] = {}
    by_n = {ex.n: ex for ex in exchanges}
    for ex in exchanges:
        if ex.source in ("engine", "story"):  # the engine's requests, and a story's own SCIM steps
            # The flag changes the shapes of a non-gallery app only (a genesys-profile job ignores it).
            ex.patterns = classify(ex, rfc=ex.phase == compliance_phase and rules_for(profile).honours_compliance_flag)
            if ex.source == "story" and not ex.patterns and ex.method == "GET" and ex.param("startIndex"):
                ex.patterns = ["paging"]
                ex.checks = check_probe(ex)
            else:
                ex.checks = check_exchange(ex, stories.setdefault(ex.phase, Story()))
        elif not ex.patterns or ex.patterns[0] == CLEANUP:
            ex.checks = []
        elif ex.patterns[0] in VALIDATOR_PROBES:
            level = PATTERN_BY_ID[ex.patterns[0]].level
            ex.checks = check_validator_probe(ex, by_n.get, "must" if level == "MUST" else "should")
        else:
            key = (ex.phase, ex.patterns[0])
            first = first_pages.get(key) if ex.param("startIndex") not in (None, "1") else None
            ex.checks = check_probe(ex, first)
            if ex.param("startIndex") == "1":
                first_pages[key] = ex
        for check in ex.checks:
            if check.ok:
                continue
            for pattern_id in ([check.pattern] if check.pattern else ex.patterns):
                documented = DEVIATIONS.get(profile, {})
                reason = documented.get((pattern_id, check.name)) or documented.get((pattern_id, "*"))
                if reason:
                    check.deviation = reason
    for summary in passes:  # the engine names the target its profile's way; the report names your server
        summary.failures = [name_target(f, profile) for f in summary.failures]
        summary.step_errors = [name_target(e, profile) for e in summary.step_errors]
        quarantine = summary.job.get("quarantine")
        if quarantine and isinstance(quarantine.get("error"), dict) and quarantine["error"].get("message"):
            quarantine["error"]["message"] = name_target(str(quarantine["error"]["message"]), profile)
    _stabilize(exchanges, passes)
    verdicts = []
    for pattern in PATTERNS:
        members = [ex for ex in exchanges if pattern.id in ex.patterns]
        if not members:
            why = _NEVER_SENT.get(profile, {}).get(pattern.id) or f"not sent in this story; exercised by {pattern.exercise}"
            if pattern.id not in _NEVER_SENT.get(profile, {}) and any(p.failures for p in passes):
                why += " (objects whose requests failed wait in escrow, so their later changes are not sent yet)"
            verdicts.append(PatternVerdict(pattern, "not exercised", note=why))
            continue
        findings = [(ex.n, c) for ex in members for c in ex.checks if not c.ok and c.pattern in (None, pattern.id)]
        results = [c.result for _n, c in findings]
        verdicts.append(PatternVerdict(pattern, _worst(results), [ex.n for ex in members], findings))
    failed = any(v.verdict == "fail" for v in verdicts)
    diagnosis = diagnose(tenant_url, token_given, exchanges, profile) if failed else None
    return TargetReport(scenario, seed, tenant_url, profile, token_given, passes, verdicts, exchanges, diagnosis)


# --------------------------------------------------------------------------- stable ids

_VOLATILE_META = ("created", "lastModified", "version")


def _stabilize(exchanges: list[Exchange], passes: list[PassSummary]) -> None:
    labels: dict[str, str] = {}
    counts = {"user": 0, "group": 0}

    def learn(resource: Any, kind: str) -> None:
        if isinstance(resource, dict) and isinstance(resource.get("id"), str) and resource["id"] and resource["id"] not in labels:
            counts[kind] += 1
            labels[resource["id"]] = f"{{{kind}-{counts[kind]}}}"

    for ex in exchanges:
        parts = [p for p in ex.path.split("/") if p]
        if not parts or parts[0].lower() not in ("users", "groups"):
            continue  # discovery answers carry ids too ("User", schema URNs): not the server's object ids
        kind = "group" if parts[0].lower() == "groups" else "user"
        answer = ex.answer
        if isinstance(answer, dict) and isinstance(answer.get("Resources"), list):
            for resource in answer["Resources"]:
                learn(resource, kind)
        elif ex.status is not None and ex.status < 300:
            learn(answer, kind)
    if not labels:
        return
    ordered = sorted(labels, key=len, reverse=True)

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            for ident in ordered:
                if ident in value:
                    value = value.replace(ident, labels[ident])
            return value
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, tuple):
            return tuple(fix(v) for v in value)
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k == "meta" and isinstance(v, dict):
                    v = {mk: ("(varies)" if mk in _VOLATILE_META else mv) for mk, mv in v.items()}
                out[k] = fix(v)
            return out
        return value

    for ex in exchanges:
        ex.path, ex.query, ex.body, ex.answer, ex.location = fix(ex.path), fix(ex.query), fix(ex.body), fix(ex.answer), fix(ex.location)
        for check in ex.checks:
            check.detail = fix(check.detail)
    for summary in passes:
        summary.failures = fix(summary.failures)


# --------------------------------------------------------------------------- rendering


def _compact(value: Any, limit: int | None) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if limit is not None and len(text) > limit:
        return text[:limit] + f"... ({len(text)} characters)"
    return text


def _check_json(check: Check) -> dict:
    out = {"check": check.name, "result": check.result, "severity": check.severity, "detail": check.detail}
    if check.pattern:
        out["pattern"] = check.pattern
    if check.deviation:
        out["documented"] = check.deviation
    return out


def to_dict(report: TargetReport) -> dict:
    return {
        "headline": report.headline,
        "diagnosis": report.diagnosis.to_dict() if report.diagnosis else None,
        "scenario": report.scenario,
        "seed": report.seed,
        "target": {"tenantUrl": report.tenant_url, "profile": report.profile.value,
                   "secretToken": "given (not shown)" if report.token_given else "none (no Authorization header)"},
        "ok": report.ok,
        "summary": {v: sum(1 for p in report.verdicts if p.verdict == v) for v in VERDICTS},
        "verdicts": [{
            "pattern": v.pattern.id, "title": v.pattern.title, "verdict": v.verdict, "sent": v.pattern.sent,
            "expected": v.pattern.expected, "fact": v.pattern.fact, "rfc": v.pattern.rfc,
            **({"level": v.pattern.level} if v.pattern.level else {}), "requests": v.requests,
            "findings": [{"request": n, **_check_json(c)} for n, c in v.findings],
            **({"note": v.note} if v.note else {}),
        } for v in report.verdicts],
        "passes": [{"name": p.name, "tenantUrl": p.tenant_url, "job": p.job, "logCounts": p.log_counts,
                    "failures": p.failures, "stepErrors": p.step_errors} for p in report.passes],
        "requests": [{
            "n": ex.n, "pass": ex.phase, "source": ex.source, "patterns": ex.patterns, "result": result_of(ex),
            **({"ref": ex.ref} if ex.ref is not None else {}),
            "sent": {"method": ex.method, "path": ex.path, "query": [list(q) for q in ex.query], "body": ex.body},
            "expected": "; ".join(_expected(p) for p in ex.patterns) or "a SCIM answer",
            "got": {"status": ex.status, "contentType": ex.content_type, "location": ex.location, "body": ex.answer,
                    **({"error": ex.error} if ex.error else {})},
            "checks": [_check_json(c) for c in ex.checks],
        } for ex in report.exchanges],
    }


def _expected(pattern_id: str) -> str:
    if pattern_id == CLEANUP:
        return "a clean-up of what a probe created (not judged)"
    return PATTERN_BY_ID[pattern_id].expected


def render_json(report: TargetReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


_MARK = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "deviation": "DEVIATION", "not exercised": "-"}


def render_text(report: TargetReport, *, body_limit: int = 240) -> str:
    lines = [report.headline, "",
             f"Target report: scenario {report.scenario} (seed {report.seed}) against {report.label} at {report.tenant_url}",
             f"Target profile: {report.profile.value}; secret token: "
             + ("given (not shown)" if report.token_given else "none (no Authorization header)"),
             "Each story ran twice: with the tenant URL as given (Entra's default PATCH shapes) and with "
             "?aadOptscim062020 (RFC shapes).", ""]
    for p in report.passes:
        job = p.job
        state = job.get("code") or "?"
        if job.get("quarantine"):
            q = job["quarantine"]
            state += f" (quarantine: {q.get('reason')}; {q.get('error', {}).get('code')}: {q.get('error', {}).get('message')})"
        counts = ", ".join(f"{k} {v}" for k, v in p.log_counts.items()) or "none"
        lines.append(f"Pass {p.name}: {p.tenant_url}")
        lines.append(f"  job {state}; provisioning log entries: {counts}")
        lines += [f"  failed: {f}" for f in p.failures]
        lines += [f"  step error: {e}" for e in p.step_errors]
    width = max(len(v.pattern.title) for v in report.verdicts)
    for heading, validator in (("Verdicts per Entra request pattern:", False),
                               ("Validator checks (probes; the RFC's MUST or SHOULD):", True)):
        lines += ["", heading]
        for v in report.verdicts:
            if (v.pattern.id in VALIDATOR_PROBES) is not validator:
                continue
            where = f"requests {_ranges(v.requests)}" if v.requests else (v.note or "")
            word = f"{v.pattern.level:<6} " if validator else ""
            lines.append(f"  {_MARK[v.verdict]:<9} {word}{v.pattern.title:<{width}}  {where}")
    findings = [(v, n, c) for v in report.verdicts for n, c in v.findings]
    if findings:
        lines += ["", "Findings (each names the reference fact it checks):"]
        for v in report.verdicts:
            if not v.findings:
                continue
            lines.append(f"  {v.pattern.title} [{_MARK[v.verdict]}]")
            lines.append(f"    fact: {v.pattern.fact}")
            if v.pattern.rfc:
                lines.append(f"    rests on: {v.pattern.rfc}" + (f" ({v.pattern.level})" if v.pattern.level else ""))
            shown: dict[tuple[str, str, str], list[int]] = {}
            for n, c in v.findings:
                shown.setdefault((c.result, c.name, c.detail), []).append(n)
            for (result, name, detail), ns in shown.items():
                lines.append(f"    #{_ranges(ns)} {_MARK[result]} {name}: {detail}")
                documented = next((c.deviation for n2, c in v.findings if c.name == name and c.deviation), None)
                if documented and result == "deviation":
                    lines.append(f"      documented: {documented}")
    lines += ["", "Requests (sent / expected / got):"]
    for ex in report.exchanges:
        label = ", ".join(ex.patterns) or "other"
        got = "no answer" if ex.status is None else f"{ex.status}" + (f" {ex.content_type}" if ex.content_type else "")
        source = {"probe": ", probe", "story": ", story"}.get(ex.source, "")
        lines.append(f"  #{ex.n} [{ex.phase}{source}] {ex.target}  -> {got}  "
                     f"{label}  {_MARK[result_of(ex)]}")
        if ex.body is not None:
            lines.append(f"      sent     {_compact(ex.body, body_limit)}")
        lines.append(f"      expected {'; '.join(_expected(p) for p in ex.patterns) or 'a SCIM answer'}")
        if ex.error:
            lines.append(f"      got      {ex.error}")
        elif ex.answer is not None:
            lines.append(f"      got      {_compact(ex.answer, body_limit)}")
        for c in ex.checks:
            if not c.ok:
                lines.append(f"      {_MARK[c.result]} {c.name}: {c.detail}")
    total = {v: sum(1 for p in report.verdicts if p.verdict == v) for v in VERDICTS}
    lines += ["", "Summary: " + ", ".join(f"{n} {v}" for v, n in total.items() if n) +
              f"; {len(report.exchanges)} requests; " + ("no pattern failed" if report.ok else "some patterns FAILED")]
    return "\n".join(lines) + "\n"


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7"."""
    out: list[str] = []
    start = prev = None
    for n in numbers:
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            out.append(f"{start}-{prev}" if prev != start else f"{start}")
        start = prev = n
    if start is not None:
        out.append(f"{start}-{prev}" if prev != start else f"{start}")
    return ", ".join(out)
