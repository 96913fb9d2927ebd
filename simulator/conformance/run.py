"""Run a story against the user's own SCIM server, twice, and build the target report.

The Entra side (Graph directory, synchronization API, virtual clock) is a fresh simulator per
pass, built from the scenario and seed; only the job's tenant URL points elsewhere.  Pass one
sends the tenant URL as given (Entra's default PATCH shapes), pass two appends
``?aadOptscim062020`` (RFC shapes), against the same server: the second pass meets what the
first left behind, as a real job re-pointed at the same app would (it matches instead of
creating).  After each pass the report sends a few probes of its own (reading back a deleted
user, paging), labelled as probes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from simulator.engine.target_profile import TargetProfile

from .capture import Recorder
from .report import PassSummary, TargetReport, build_report
from .target import COMPLIANCE_FLAG, Target

__all__ = ["run_target", "PASSES"]

#: (pass name, tenant-URL flag) in the order they run.
PASSES = (("default", None), (COMPLIANCE_FLAG, COMPLIANCE_FLAG))
_PROBE_HEADERS = {"Accept": "application/scim+json",
                  "User-Agent": "provsim-provisioning/0.1 (simulated Microsoft Entra provisioning service)"}
#: Deleted users read back per pass (each should answer 404).
_DELETED_PROBES = 2


def run_target(scenario: Any, server: Any, *, token: str | None = None, profile: str | TargetProfile = TargetProfile.SCIM,
               seed: int | None = None, base_url: str | None = None,
               progress: Callable[[str, int, int], None] | None = None,
               record_target: str | Path | None = None) -> TargetReport:
    """Provision the scenario's story into ``server`` and judge every request.

    ``scenario``: a name from the scenario library, a path, or a loaded
    :class:`~simulator.scenario.model.Scenario`.  ``server``: the tenant URL of a running SCIM
    server (``https://scim.example.com/scim/v2``), a WSGI app, an ASGI app, or a :class:`Target`.
    ``token``: the secret token (sent as a bearer token, never shown).  ``profile``: ``scim``
    (default: groups created and deleted) or ``genesys`` (groups only updated).  ``base_url``:
    the tenant URL an in-process app is reached at (default ``http://scim.target.invalid``).
    ``record_target``: also record the engine's traffic into this vcrpy cassette (scrubbed).
    """
    from simulator.scenario.model import Scenario, load_scenario
    from simulator.scenario.runner import ScenarioRunner, TargetTape

    story = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    target = server if isinstance(server, Target) else Target.of(server, token=token, profile=profile, base_url=base_url)
    recorder = Recorder(target.base, target.token, hidden_params=(COMPLIANCE_FLAG,))
    routes, free = target.route()
    tape = TargetTape(record_target) if record_target is not None else None

    def wrap(inner: httpx.BaseTransport) -> httpx.BaseTransport:
        return recorder.wrap(tape.wrap(inner) if tape is not None else inner)

    passes: list[PassSummary] = []
    used_seed = story.seed if seed is None else seed
    try:
        for name, flag in PASSES:
            this = target.with_flag(flag)
            recorder.phase, recorder.source = name, "engine"
            runner = ScenarioRunner(story, seed=used_seed, target=this, progress=progress,
                                    extra={"target_routes": routes, "target_transport_wrapper": wrap})
            try:
                result = runner.run()
                recorder.source = "probe"
                _probe(runner, this, recorder)
                passes.append(_summary(name, this, result))
            finally:
                runner.close()
    finally:
        free()
        if tape is not None:
            tape.save()  # both passes, one cassette
    return build_report(story.name, used_seed, target.tenant_url, target.profile, bool(target.token), passes,
                        recorder.exchanges, compliance_phase=COMPLIANCE_FLAG)


def _summary(name: str, target: Target, result: Any) -> PassSummary:
    job = result.job or {}
    status = job.get("status") or {}
    quarantine = status.get("quarantine")
    counts = Counter(f"{e['provisioningAction']}/{e['provisioningStatusInfo']['status']}" for e in result.logs)
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for e in result.logs:
        info = e["provisioningStatusInfo"]
        if info["status"] != "failure":
            continue
        error = info.get("errorInformation") or {}
        reason = " ".join(str(error.get("reason") or "").split())
        reason = reason if len(reason) <= 200 else reason[:200] + "..."
        key = (f"{e['provisioningAction']} {e['sourceIdentity'].get('identityType')}", str(error.get("errorCode")), reason)
        grouped.setdefault(key, []).append(e["sourceIdentity"].get("displayName") or e["sourceIdentity"].get("id"))
    failures = []
    for (what, code, reason), names in grouped.items():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        failures.append(f"{len(names)} x {what} ({shown}): {code}: {reason}")
    return PassSummary(
        name=name, tenant_url=target.tenant_url,
        job={"code": status.get("code"),
             "quarantine": ({"reason": quarantine.get("reason"), "error": quarantine.get("error")} if quarantine else None)},
        log_counts=dict(sorted(counts.items())), failures=failures, step_errors=list(result.failures))


def _probe(runner: Any, target: Target, recorder: Recorder) -> None:
    """Read back users the engine deleted in this pass, and page through users and groups."""
    service = runner.runtime.services["provisioning"]
    headers = dict(_PROBE_HEADERS)
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    deleted = [ex.path for ex in recorder.exchanges
               if ex.phase == recorder.phase and ex.source == "engine" and ex.method == "DELETE"
               and ex.path.lower().startswith("/users/") and ex.status in (200, 204)]
    url = httpx.URL(target.tenant_url)
    params = list(url.params.multi_items())
    with service.targets.transport_for(target.tenant_url) as transport, \
            httpx.Client(transport=transport, base_url=target.base, headers=headers, follow_redirects=False) as client:

        def get(path: str, pattern: str, query: list[tuple[str, str]]) -> httpx.Response | None:
            recorder.next_patterns = [pattern]
            try:
                return client.get(target.base + path, params=tuple(params + query))
            except httpx.HTTPError:
                return None  # recorded as "no answer"
            finally:
                recorder.next_patterns = []

        for path in deleted[:_DELETED_PROBES]:
            get(path, "read-deleted-user", [])
        first = get("/Users", "paging", [("startIndex", "1"), ("count", "1")])
        total = _total(first)
        if total is not None and total >= 2:
            get("/Users", "paging", [("startIndex", "2"), ("count", "1")])
        get("/Groups", "paging-groups", [("excludedAttributes", "members"), ("startIndex", "1"), ("count", "1")])


def _total(response: httpx.Response | None) -> int | None:
    if response is None or response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    total = body.get("totalResults") if isinstance(body, dict) else None
    return total if isinstance(total, int) else None
