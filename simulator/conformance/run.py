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

from simulator.core import ProvsimError
from simulator.core.services import PROVISIONING
from simulator.engine.target_profile import TargetProfile, rules_for

from .capture import Recorder
from .report import PassSummary, TargetReport, build_report
from .target import COMPLIANCE_FLAG, Target
from .validator import Prober, ReadBack, mapped_user_attributes, send_validator_probes

__all__ = ["run_target", "PASSES", "DEFAULT_STORY"]

#: The story ``--target`` runs when none is named: every Entra request pattern at least once.
DEFAULT_STORY = "scim-lifecycle"

#: (pass name, tenant-URL flag) in the order they run.
PASSES = (("default", None), (COMPLIANCE_FLAG, COMPLIANCE_FLAG))
_PROBE_HEADERS = {"Accept": "application/scim+json",
                  "User-Agent": "provsim-provisioning/0.1 (simulated Microsoft Entra provisioning service)"}
#: Deleted users read back per pass (each should answer 404).
_DELETED_PROBES = 2


def run_target(scenario: Any = None, server: Any = None, *, token: str | None = None,
               profile: str | TargetProfile = TargetProfile.SCIM, seed: int | None = None, base_url: str | None = None,
               progress: Callable[[str, int, int], None] | None = None,
               record_target: str | Path | None = None) -> TargetReport:
    """Provision the scenario's story into ``server`` and judge every request.

    ``scenario``: a name from the scenario library, a path, or a loaded
    :class:`~simulator.scenario.model.Scenario` (``None``: :data:`DEFAULT_STORY`, the lifecycle
    story that sends every request pattern).  ``server``: the tenant URL of a running SCIM
    server (``https://scim.example.com/scim/v2``), a WSGI app, an ASGI app, or a :class:`Target`.
    ``token``: the secret token (sent as a bearer token, never shown).  ``profile``: ``scim``
    (default: groups created and deleted) or ``genesys`` (groups only updated).  ``base_url``:
    the tenant URL an in-process app is reached at (default ``http://scim.target.invalid``).
    ``record_target``: also record the engine's traffic into this vcrpy cassette (scrubbed).
    """
    from simulator.app import scenario_runner
    from simulator.scenario.model import Scenario, load_scenario
    from simulator.scenario.runner import TargetTape

    if server is None:
        raise TypeError("run_target needs a server: a tenant URL, a WSGI or ASGI app, or a Target")
    story = scenario if isinstance(scenario, Scenario) else load_scenario(scenario or DEFAULT_STORY)
    target = server if isinstance(server, Target) else Target.of(server, token=token, profile=profile, base_url=base_url)
    recorder = Recorder(target.base, target.token, hidden_params=(COMPLIANCE_FLAG,))
    headers = dict(_PROBE_HEADERS)
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    recorder.after_engine = ReadBack(recorder, headers)
    routes, free = target.route()
    tape = TargetTape(record_target) if record_target is not None else None

    def wrap(inner: httpx.BaseTransport) -> httpx.BaseTransport:
        return recorder.wrap(tape.wrap(inner) if tape is not None else inner)

    passes: list[PassSummary] = []
    used_seed = story.seed if seed is None else seed
    try:
        for number, (name, flag) in enumerate(PASSES):
            this = target.with_flag(flag)
            recorder.phase, recorder.source = name, "engine"
            runner = scenario_runner(story, seed=used_seed, target=this, progress=progress,
                                     extra={"target_routes": routes, "target_transport_wrapper": wrap})
            runner.target_request = _story_requests(runner, this, recorder, headers)
            try:
                result = runner.run()
                _probe(runner, this, recorder, headers, first_pass=number == 0, seed=used_seed)
                passes.append(_summary(name, this, result))
            finally:
                runner.close()
    finally:
        free()
        if tape is not None:
            tape.save()  # both passes, one cassette
    return build_report(story.name, used_seed, target.tenant_url, target.profile, bool(target.token), passes,
                        recorder.exchanges, compliance_phase=COMPLIANCE_FLAG)


def _story_requests(runner: Any, target: Target, recorder: Recorder,
                    headers: dict[str, str]) -> Callable[[str, str, Any], httpx.Response | None]:
    """What a story's ``genesys`` step (the SCIM API) sends under --target: the request goes to the
    user's server (path relative to the tenant URL, with its token), recorded as the story's."""

    def send(method: str, path: str, body: Any) -> httpx.Response | None:
        service = runner.runtime.service(PROVISIONING)
        url = httpx.URL(target.base + "/" + path.lstrip("/"))
        url = url.copy_merge_params(httpx.URL(target.tenant_url).params)
        recorder.source = "story"
        try:
            with service.targets.transport_for(target.tenant_url) as transport, \
                    httpx.Client(transport=transport, headers=headers, follow_redirects=False) as client:
                return client.request(method, url, json=body)
        except httpx.HTTPError:
            return None  # recorded as "no answer"
        finally:
            recorder.source = "engine"

    return send


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


def _probe(runner: Any, target: Target, recorder: Recorder, headers: dict[str, str], *, first_pass: bool,
           seed: int) -> None:
    """After a pass: read back users the engine deleted, page through users and groups, then the
    validator's probes (validator.py)."""
    service = runner.runtime.service(PROVISIONING)
    deleted = [ex.path for ex in recorder.exchanges
               if ex.phase == recorder.phase and ex.source == "engine" and ex.method == "DELETE"
               and ex.path.lower().startswith("/users/") and ex.status in (200, 204)]
    mapped: list[tuple[str, str]] = []
    if first_pass and runner.job_id is not None:
        try:
            mapped = mapped_user_attributes(runner.client.jobs.schema(runner.job_id))
        except ProvsimError:  # the story deleted its job
            mapped = []
    with service.targets.transport_for(target.tenant_url) as transport:
        prober = Prober(recorder, transport, target.base, list(httpx.URL(target.tenant_url).params.multi_items()), headers)
        for path in deleted[:_DELETED_PROBES]:
            prober.send("GET", path, "read-deleted-user")
        first = prober.send("GET", "/Users", "paging", query=[("startIndex", "1"), ("count", "1")])
        total = _total(first)
        if total is not None and total >= 2:
            prober.send("GET", "/Users", "paging", query=[("startIndex", "2"), ("count", "1")])
        prober.send("GET", "/Groups", "paging-groups",
                    query=[("excludedAttributes", "members"), ("startIndex", "1"), ("count", "1")])
        send_validator_probes(prober, recorder.exchanges, recorder.phase, groups=rules_for(target.profile).creates_groups,
                              first_pass=first_pass, mapped=mapped, seed=seed)


def _total(response: httpx.Response | None) -> int | None:
    if response is None or response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    total = body.get("totalResults") if isinstance(body, dict) else None
    return total if isinstance(total, int) else None
