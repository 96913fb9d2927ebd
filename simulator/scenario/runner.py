"""Run a scenario against a fresh simulator, in-process, over the real HTTP APIs.

Every step is driven through :class:`~simulator.client.ProvsimClient`, the one client of
the Entra login, Graph (and its synchronization API), Genesys' login and SCIM, and
``/_provsim``: the same requests a script against real tenants would send, only over an
in-process transport (no sockets, no wall time).

What the story leads to is *observed*, never driven, so that adding an ``expect`` never
changes what happens: the provisioning service's events (cycles and provisioning log
entries, as the portal shows them while they happen), the Genesys org's state and the job
read in-process (a SCIM or Graph request would count against Genesys' rate limit and a
story's fault rules, and shift the ids of the engine's traffic), the outbox through
``/_provsim`` (which faults never touch).  The result is a
:class:`ScenarioResult`; its renderings (``report``, ``junit``) are byte-identical for the
same scenario and seed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from simulator.client import ApiError, ProvsimClient
from simulator.core import ProvsimConfig, ProvsimError
from simulator.core.services import DIRECTORY, PROVISIONING, PURECLOUD
from simulator.proxy.cassette import Interaction, interactions_text, save_interactions
from simulator.proxy.transports import RecordingTransport

from .errors import ExpectationFailed, StepFailed
from .model import Scenario, Step
from .validate import REFERENCE

__all__ = ["AppBuilder", "ScenarioRunner", "ScenarioResult", "StepOutcome", "TargetTape", "ExpectationFailed", "StepFailed"]

_DEFAULT_OK = (200, 201, 204)


@dataclass
class StepOutcome:
    step: Step
    at: str
    lines: list[str] = field(default_factory=list)
    data: Any = None
    ok: bool = True
    #: cycles that ended during the step: {"cycleId", "status", "initial"}
    cycles: list[dict] = field(default_factory=list)
    #: provisioning log entries written during the step (cycles and provision on demand), oldest first
    entries: list[dict] = field(default_factory=list)
    #: what did not hold (expect) or why the step failed
    problems: list[str] = field(default_factory=list)
    #: "failed" (an expectation did not hold) or "error" (the step could not be carried out); None: ok
    failure: str | None = None


@dataclass
class ScenarioResult:
    scenario: Scenario
    outcomes: list[StepOutcome]
    failures: list[str]
    job_id: str | None
    started: str
    ended: str
    logs: list[dict]
    genesys_users: list[dict]
    genesys_groups: list[dict]
    job: dict | None
    outbox: list[dict]
    #: the engine's SCIM traffic, when the run recorded it (``record_target``)
    tape: TargetTape | None = None

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def not_run(self) -> list[Step]:
        """Steps after a step that could not be carried out."""
        return self.scenario.steps[len(self.outcomes):]


#: Builds a fresh simulator for a story: ``build(config, fixture)`` -> a provsim app, where ``fixture`` is
#: the tenant the story generates (``generate:``), or None when ``config.fixture`` names the file to read.
#: The composition root has the one: :func:`simulator.app.fresh_app`.
AppBuilder = Callable[[ProvsimConfig, dict | None], Any]


class ScenarioRunner:
    def __init__(self, scenario: Scenario, *, progress: Callable[[str, int, int], None] | None = None,
                 seed: int | None = None, record_to=None, extra: dict | None = None, record_target=None,
                 app: Any = None, build: AppBuilder | None = None, target: Any = None) -> None:
        """A runner on an existing provsim app (``app``), or on a fresh simulator ``build`` makes for the scenario.

        The scenario layer knows no app factory (the composition root, ``simulator.app``, stands above
        it): a fresh simulator comes from ``build``, and :func:`simulator.app.scenario_runner` is this
        runner with the composition root's builder (``scenario_runner(scenario)`` where one used to write
        ``ScenarioRunner(scenario)``).

        With ``app`` (the dashboard's Scenarios panel steps a story on the app it serves) the app's
        own tenant, seed and state are used as they are: the caller resets it first if the story
        should start from the fixture; ``seed``, ``extra`` and ``record_target`` do not apply.

        With ``target`` (a :class:`simulator.conformance.Target`: tenant URL, secret token, target
        profile) the story's job provisions into that SCIM server instead of the Genesys fake, and
        ``expect`` steps are not applicable (docs/target.md); the caller routes an in-process
        server through ``extra["target_routes"]``."""
        self.scenario = scenario
        self.progress = progress
        self.target = target
        #: with a target: sends a story's ``genesys`` (SCIM) step to the target instead of the Genesys
        #: fake, ``(method, path, body) -> response or None`` (set by simulator.conformance.run_target)
        self.target_request: Callable[[str, str, Any], httpx.Response | None] | None = None
        self.tape: TargetTape | None = None
        if app is None:
            if build is None:
                raise TypeError("ScenarioRunner needs an app (app=) or a builder of a fresh simulator (build=): "
                                "for a fresh simulator use simulator.app.scenario_runner(scenario, ...)")
            extra = dict(extra or {})
            if record_target is not None:
                self.tape = record_target if isinstance(record_target, TargetTape) else TargetTape(record_target)
                extra["target_transport_wrapper"] = self.tape.wrap
            self.config = ProvsimConfig(seed=scenario.seed if seed is None else seed,
                                        fixture=scenario.tenant_path or scenario.tenant, extra=extra)
            app = build(self.config, scenario.fixture())  # a generated tenant is built here; a file is read by the runtime
        else:
            self.config = app.extensions["provsim"].config
        self.app = app
        self.runtime = self.app.extensions["provsim"]
        self.client = ProvsimClient.in_process(self.app, transport_wrapper=record_to)
        self.vars: dict[str, Any] = {}
        self.job_id: str | None = None
        self.job_token: str | None = None
        self.cycles: list[dict] = []
        self._initial: dict[str, bool] = {}
        self.log_entries: list[dict] = []
        service = self.runtime.find(PROVISIONING)
        if service is not None:
            service.listeners.append(self._on_engine_event)

    # ------------------------------------------------------------ observing
    def _on_engine_event(self, event: str, data: dict) -> None:
        if event == "cycleStarted":
            self._initial[data["cycleId"]] = bool(data.get("initial"))
        elif event == "cycleEnded":
            self.cycles.append({"cycleId": data["cycleId"], "status": copy.deepcopy(data["status"]),
                                "initial": self._initial.pop(data["cycleId"], False)})
        elif event == "log":
            self.log_entries.append(data)
            if self.progress:
                self.progress("log", 0, 0)

    def genesys_state(self, resource: str) -> list[dict]:
        """Every Genesys user or group as stored, read in-process (no SCIM request: see the module doc)."""
        org = self.runtime.find(PURECLOUD)
        return org.export_state(resource) if org is not None and hasattr(org, "export_state") else []

    def job_view(self) -> dict:
        """The job as Graph shows it, read in-process: a Graph request would count against a story's
        Graph fault rules (``nth``, ``times``) and could itself be faulted."""
        service = self.runtime.service(PROVISIONING)
        return service.get_job(self.client.graph.service_principal_id(), self.require_job())

    def require_job(self) -> str:
        if self.job_id is None:
            raise StepFailed("no provisioning job yet: add a 'configure' step first")
        return self.job_id

    # ---------------------------------------------------------- references
    def args(self, step: Step) -> Any:
        """The step's arguments with every ``${...}`` substituted (``{}`` for none)."""
        return self.subst(step.args if step.args is not None else {})

    def subst(self, value: Any) -> Any:
        """``${name}`` and ``${kind:key}`` replaced; a value that is one ``${name}`` keeps its type."""
        if isinstance(value, str):
            whole = REFERENCE.fullmatch(value)
            if whole and whole.group(2) is None and whole.group(1) in self.vars:
                return self.vars[whole.group(1)]
            return REFERENCE.sub(lambda m: self._lookup(m.group(1), m.group(2)), value)
        if isinstance(value, list):
            return [self.subst(v) for v in value]
        if isinstance(value, dict):
            return {k: self.subst(v) for k, v in value.items()}
        return value

    def _lookup(self, name: str, key: str | None) -> str:
        if key is None:
            if name not in self.vars:
                raise StepFailed(f"${{{name}}} is not set (set it with 'save:' on an earlier step)")
            return str(self.vars[name])
        if name in ("genesys_user", "genesys_group"):
            return self._genesys_id(name, key)
        directory = self.runtime.service(DIRECTORY)
        object_id = directory.fixture_id(key) if name in ("user", "upn", "group", "sp") else None
        if object_id is None:
            raise StepFailed(f"${{{name}:{key}}} names no object of the tenant fixture")
        return directory.users.get(object_id)["userPrincipalName"] if name == "upn" else object_id

    def _genesys_id(self, kind: str, name: str) -> str:
        """``${genesys_user:USERNAME}`` / ``${genesys_group:NAME}``: the Genesys id as Genesys holds it now,
        read in-process (a SCIM lookup would count against the story's fault rules)."""
        users = kind == "genesys_user"
        field_name = "userName" if users else "displayName"
        wanted = name.lower()
        for obj in self.genesys_state("Users" if users else "Groups"):
            if str(obj.get(field_name) or obj.get("name") or "").lower() == wanted:
                return str(obj["id"])
        raise StepFailed(f"${{{kind}:{name}}}: Genesys has no {'user with userName' if users else 'group named'} {name!r} now")

    # ------------------------------------------------------------------ run
    def run_step(self, step: Step) -> StepOutcome:
        """Carry out one step now and say what came of it.

        ``outcome.failure`` is ``"failed"`` when an expectation did not hold (the story may go on)
        and ``"error"`` when the step could not be carried out (a story run stops there)."""
        outcome = StepOutcome(step, self.runtime.now_iso())
        cycles_before, entries_before = len(self.cycles), len(self.log_entries)
        try:
            getattr(self, f"do_{step.verb}")(step, outcome)
        except ExpectationFailed as err:
            outcome.ok, outcome.failure, outcome.problems = False, "failed", err.problems
            outcome.lines.append(f"FAILED: {err}")
        except ProvsimError as err:  # a refused call, a login that failed, no job yet: the story cannot go on
            outcome.ok, outcome.failure, outcome.problems = False, "error", [str(err)]
            outcome.lines.append(f"ERROR: {err}")
        outcome.cycles = self.cycles[cycles_before:]
        outcome.entries = self.log_entries[entries_before:]
        return outcome

    def close(self) -> None:
        """Stop observing the provisioning service (a runner on a long-lived app, see ``app``)."""
        service = self.runtime.find(PROVISIONING)
        if service is not None and self._on_engine_event in service.listeners:
            service.listeners.remove(self._on_engine_event)

    def run(self) -> ScenarioResult:
        outcomes: list[StepOutcome] = []
        started = self.runtime.now_iso()
        total = len(self.scenario.steps)
        for n, step in enumerate(self.scenario.steps, 1):
            if self.progress:
                self.progress(step.title or step.verb, n, total)
            outcome = self.run_step(step)
            outcomes.append(outcome)
            if outcome.failure == "error":
                break
        return self.result(outcomes, started)

    def result(self, outcomes: list[StepOutcome], started: str) -> ScenarioResult:
        """What the steps carried out so far (``outcomes``, from ``started``) came to: the run's result,
        as :meth:`run` returns it (the dashboard builds a stepped story's report with it)."""
        failures = [f"step {o.step.index} ({o.step.title or o.step.verb}): {'; '.join(o.problems)}"
                    for o in outcomes if not o.ok]
        job = self._final_job()
        outbox = self.client.control.outbox() if self.runtime.find(PROVISIONING) is not None else []
        if self.tape is not None:
            self.tape.save()
        return ScenarioResult(
            scenario=self.scenario, outcomes=outcomes, failures=failures, job_id=self.job_id, started=started,
            ended=self.runtime.now_iso(), logs=list(self.log_entries), genesys_users=self.genesys_state("Users"),
            genesys_groups=self.genesys_state("Groups"), job=job, outbox=outbox, tape=self.tape)

    def _final_job(self) -> dict | None:
        if self.job_id is None:
            return None
        try:
            return self.job_view()
        except ProvsimError:  # the story deleted its job
            return None

    # ---------------------------------------------------------------- verbs
    def do_say(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        out.lines.append(str(args))

    def do_genesys_token(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        client_id = args.get("client_id", self.client.genesys_client[0])
        secret = args.get("client_secret", self.client.genesys_client[1])
        self.vars[args.get("save", "genesys_token")] = self.client.genesys.token(client_id, secret)
        out.lines.append(f"Genesys OAuth client '{client_id}' -> access token (client credentials grant)")

    def do_configure(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        if self.target is not None:
            self._configure_target(args, out)
            return
        tenant_url = args.get("tenant_url") or f"{self.client.base_url}/api/v2/scim/v2"
        self.job_token = args.get("secret_token") or self.vars.get("genesys_token") or self.client.genesys.token()
        scope = args.get("scope", "assigned")
        tested = args.get("test_connection", True)
        self.job_id = self.client.jobs.configure(
            tenant_url=tenant_url, secret_token=self.job_token, scope=scope, notify=args.get("notify"),
            delete_threshold=args.get("delete_threshold"),
            skip_out_of_scope_deletions=bool(args.get("skip_out_of_scope_deletions")),
            template_id=args.get("template", "purecloud"), test_connection=tested)
        self.vars["job_id"] = self.job_id
        out.lines.append(f"Job {self.job_id} created from the PureCloud by Genesys template; "
                         f"tenant URL {tenant_url}; scope: {'all users and groups' if scope == 'all' else 'assigned users and groups'}; "
                         + ("test connection passed" if tested else "saved without testing the connection"))

    def do_secret_token(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        job_id = self.require_job()
        tested = args.get("test_connection", True)
        self.job_token = self.client.jobs.replace_secret_token(
            job_id, args.get("token"), client_id=args.get("client_id"), client_secret=args.get("client_secret"),
            test_connection=tested)
        source = "the given token" if args.get("token") else \
            f"a new token of Genesys OAuth client '{args.get('client_id') or self.client.genesys_client[0]}'"
        out.lines.append(f"Secret Token re-entered ({source}); " + ("test connection passed" if tested else "not tested"))

    def do_job_settings(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        self.client.jobs.set_settings(self.require_job(), **args)
        out.lines.append("Job settings: " + ", ".join(f"{k}={v}" for k, v in args.items()))

    def do_quarantine(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        self.client.control.quarantine_on_demand(self.require_job(), args.get("message", ""))
        out.lines.append("Microsoft quarantined the job on demand" + (f": {args['message']}" if args.get("message") else ""))

    def do_assign(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        assignment = self.client.graph.assign(args["principal"], args.get("role"))
        out.lines.append(f"Assigned {assignment.get('principalType', '')} {assignment.get('principalDisplayName')} "
                         f"to the app ({self._role_name(assignment.get('appRoleId'))})")

    def do_unassign(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        gone = self.client.graph.unassign(args["principal"])
        if not gone:
            raise StepFailed(f"{args['principal']} has no assignment to the app")
        out.lines.append(f"Removed {gone[0].get('principalType', '')} {gone[0].get('principalDisplayName')} from the app "
                         f"({', '.join(self._role_name(a.get('appRoleId')) for a in gone)})")

    def _role_name(self, role_id: str | None) -> str:
        roles = self.client.graph("GET", self.client.graph.sp_path(), params={"$select": "appRoles"}).get("appRoles") or []
        return next((str(r.get("displayName")) for r in roles if r.get("id") == role_id), "Default Access")

    def _configure_target(self, args: dict, out: StepOutcome) -> None:
        """``configure`` against the user's own SCIM server: its tenant URL and secret token (none:
        no Authorization header), the target profile as the job setting, then Test Connection."""
        from simulator.engine.target_profile import PROFILE_SETTING

        target = self.target
        assert target is not None
        scope = args.get("scope", "assigned")
        self.job_token = target.token or ""
        self.job_id = self.client.jobs.configure(
            tenant_url=target.tenant_url, secret_token=self.job_token, scope=scope, notify=args.get("notify"),
            delete_threshold=args.get("delete_threshold"),
            skip_out_of_scope_deletions=bool(args.get("skip_out_of_scope_deletions")),
            template_id=args.get("template", "purecloud"), settings={PROFILE_SETTING: str(target.profile)})
        self.vars["job_id"] = self.job_id
        out.lines.append(f"Job {self.job_id} created; tenant URL {target.display_url}; target profile {target.profile}; "
                         f"scope: {'all users and groups' if scope == 'all' else 'assigned users and groups'}; "
                         "test connection passed")

    def do_start(self, step: Step, out: StepOutcome) -> None:
        self.client.jobs.start(self.require_job())
        out.lines.append("Provisioning status: On")

    def do_pause(self, step: Step, out: StepOutcome) -> None:
        self.client.jobs.pause(self.require_job())
        out.lines.append("Provisioning status: Off (paused)")

    def do_restart(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        scope = args.get("resetScope") if isinstance(args, dict) else args
        self.client.jobs.restart(self.require_job(), scope or None)
        out.lines.append(f"Restarted provisioning (resetScope: {scope or 'Watermark, Escrows, QuarantineState'})")

    def do_advance(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        answer = self.client.control.advance(str(args))
        ran = [r for r in answer["ran"] if r.get("jobId")]
        out.data = ran
        out.lines.append(f"Advanced {args} to {answer['now']}: {len(ran)} provisioning cycle(s) ran")

    def _expected_statuses(self, args: dict) -> tuple[int, ...]:
        wanted = args.get("expect_status", _DEFAULT_OK)
        return tuple(wanted) if isinstance(wanted, (list, tuple)) else (wanted,)

    def _save(self, args: dict, resp: httpx.Response) -> None:
        if args.get("save") and resp.content:
            body = resp.json()
            if args.get("save_path"):
                from .expectations import body_value

                value = body_value(body, args["save_path"])
                if value is None:
                    raise StepFailed(f"the answer has nothing at {args['save_path']} to save as ${{{args['save']}}}")
                self.vars[args["save"]] = value
            else:
                self.vars[args["save"]] = body.get("id", body) if isinstance(body, dict) else body

    def do_graph(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        method = args.get("method", "GET")
        resp = self.client.graph.response(method, args["path"], args.get("body"), ok=self._expected_statuses(args))
        self._save(args, resp)
        out.lines.append(f"Graph {method} {args['path']} -> {resp.status_code}")
        self._check_body(args, resp, out)

    def do_genesys(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        method = args.get("method", "GET")
        if self.target is not None and self.target_request is not None and args.get("api") != "platform":
            self._genesys_to_target(args, method, out)
            return
        call = self.client.genesys.platform_response if args.get("api") == "platform" else self.client.genesys.response
        resp = call(method, args["path"], args.get("body"), token=self.vars.get("genesys_token"),
                    ok=self._expected_statuses(args))
        self._save(args, resp)
        where = "Genesys Platform API" if args.get("api") == "platform" else "Genesys"
        out.lines.append(f"{where} {method} {args['path']} -> {resp.status_code}")
        self._check_body(args, resp, out)

    def _genesys_to_target(self, args: dict, method: str, out: StepOutcome) -> None:
        """A story's SCIM step under --target goes to the user's server (docs/target.md): its
        expect_status and expect_body describe Genesys and are not applicable; the report judges
        the answer like any other request."""
        from simulator.engine.target_profile import target_label

        assert self.target is not None and self.target_request is not None
        label = target_label(self.target.profile)
        resp = self.target_request(method, args["path"], args.get("body"))
        if resp is None:
            raise StepFailed(f"{label} did not answer {method} {args['path']}")
        try:
            self._save(args, resp)
        except ValueError as err:  # not JSON
            raise StepFailed(f"{label} answered {method} {args['path']} with {resp.status_code}, not JSON: nothing "
                             f"to save as ${{{args['save']}}}") from err
        expectations = [k for k in ("expect_status", "expect_body") if k in args]
        out.lines.append(f"{label[:1].upper()}{label[1:]}: {method} {args['path']} -> {resp.status_code}"
                         + (f" ({' and '.join(expectations)}: not applicable with --target)" if expectations else ""))

    def _check_body(self, args: dict, resp: httpx.Response, out: StepOutcome) -> None:
        """``expect_body``: the answer's values at the given paths (the step fails, the story goes on)."""
        if "expect_body" not in args:
            return
        from .expectations import body_problems

        problems = body_problems(resp.json() if resp.content else None, args["expect_body"])
        out.lines.append("expect body: " + ("ok" if not problems else "FAILED"))
        if problems:
            raise ExpectationFailed(problems)

    def do_fault(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        self.client.control.add_fault(**args)
        effect = (f"status {args['status']}" if "status" in args else "drop" if args.get("drop")
                  else f"delay {args.get('delay')}s")
        out.lines.append(f"Fault rule: {args.get('method', '*')} {args.get('path', '*')} -> {effect}")

    def do_clear_faults(self, step: Step, out: StepOutcome) -> None:
        self.client.control.clear_faults()
        out.lines.append("Fault rules cleared")

    def do_revoke_token(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        if args:
            revoked = self.client.control.revoke_genesys_tokens(token=args.get("token"), client_id=args.get("client_id"))
        else:
            self.require_job()
            revoked = self.client.control.revoke_genesys_tokens(token=self.job_token)
        out.lines.append(f"Genesys token(s) revoked: {revoked}")

    def do_expire_tokens(self, step: Step, out: StepOutcome) -> None:
        out.lines.append(f"Genesys tokens expired: {self.client.control.expire_genesys_tokens()}")

    def do_schema(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        job_id = self.require_job()
        self.client.jobs.put_schema(job_id, _edit_schema(self.client.jobs.schema(job_id), args))
        out.lines.append("Schema updated: " + ", ".join(sorted(args)))

    def do_provision_on_demand(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        wanted = self._expected_statuses(args) if "expect_status" in args else (200,)
        try:
            result = self.client.jobs.provision_on_demand(self.require_job(), args["object_id"], args.get("type", "User"))
        except ApiError as err:
            if err.status not in wanted:
                raise
            out.data = {"status": err.status, "error": err.code}
            out.lines.append(f"Provision on demand refused: {err.status} {err.code}: {err.message}")
            return
        if 200 not in wanted:
            raise StepFailed(f"provision on demand answered 200, expected {', '.join(map(str, wanted))}")
        out.data = result
        out.lines.append(f"Provision on demand: {result['key'].get('result')}"
                         + (f" ({result['key']['details'].get('errorCode')})"
                            if (result['key'].get('details') or {}).get('errorCode') else ""))

    def do_expect(self, step: Step, out: StepOutcome) -> None:
        args = self.args(step)
        if self.target is not None:
            # The story's expectations describe the Genesys fake; the target report judges the server.
            out.lines.extend(f"expect {name}: not applicable with --target" for name in args)
            return
        from .expectations import check

        problems = check(self, args)
        for name in args:
            out.lines.append(f"expect {name}: " + ("ok" if not any(p.startswith(f"{name}:") for p in problems) else "FAILED"))
        if problems:
            raise ExpectationFailed(problems)


class TargetTape:
    """The engine's SCIM traffic of one run, scrubbed like the proxy's recordings, kept in memory.

    Every cycle's target client is wrapped (``wrap``); the interactions form one vcrpy cassette,
    written once at the end of the run (``save``) when a path was given.  A live proxy must save
    after every exchange; a story need not, and rewriting the file after each of a month-long
    story's requests would be quadratic.  The text is what the proxy's ``CassetteFile`` writes for
    the same exchanges (vcrpy's serializer), byte for byte."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.interactions: list[Interaction] = []

    def wrap(self, inner: httpx.BaseTransport) -> httpx.BaseTransport:
        return _TapeTransport(inner, self)

    # the part of CassetteFile's interface RecordingTransport uses
    def append(self, request: Any, response: dict) -> int:
        self.interactions.append(Interaction(request, response))
        return len(self.interactions) - 1

    def text(self, interactions: list[Interaction] | None = None) -> str:
        """The cassette (these ``interactions``, default all) as vcrpy's YAML."""
        return interactions_text(self.interactions if interactions is None else interactions)

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            save_interactions(self.path, self.interactions)  # atomic; JSON for a .json path


class _TapeTransport(RecordingTransport):
    """The proxy's RecordingTransport (scrubbing, vcrpy's request/response shapes) onto a tape."""

    def __init__(self, inner: httpx.BaseTransport, tape: TargetTape) -> None:
        super().__init__(inner, "tape.yaml")  # fresh and unsaved: nothing touches the disk
        self.cassette = tape  # type: ignore[assignment]  # a TargetTape quacks like the vcrpy Cassette it replaces


#: the portal's target object actions -> the schema's ``objectMapping.flowTypes`` values
_ACTION_FLOWS = {"create": "Add", "update": "Update", "delete": "Delete"}


def _edit_schema(schema: dict, args: dict) -> dict:
    """Apply the scenario's schema edits: scoping filters and attribute mapping changes."""
    schema = copy.deepcopy(schema)
    rule = schema["synchronizationRules"][0]
    for om in rule["objectMappings"]:
        kind = "User" if om["sourceObjectName"].lower() == "user" else "Group"
        if kind == "User" and "user_scope" in args:
            om["scope"] = args["user_scope"]
        if kind == "Group" and "group_scope" in args:
            om["scope"] = args["group_scope"]
        actions = args.get("user_actions" if kind == "User" else "group_actions")
        if actions is not None:  # the portal's Target Object Actions checkboxes
            flows = {f.strip() for f in str(om.get("flowTypes") or "Add, Update, Delete").split(",") if f.strip()}
            for action, on in actions.items():
                (flows.add if on else flows.discard)(_ACTION_FLOWS[action])
            om["flowTypes"] = ", ".join(f for f in _ACTION_FLOWS.values() if f in flows)
        for change in args.get("mappings", []) if kind == "User" else args.get("group_mappings", []):
            target = change["target"]
            om["attributeMappings"] = [am for am in om["attributeMappings"] if am["targetAttributeName"] != target]
            if change.get("remove"):
                continue
            source = change.get("source")
            expr = change.get("expression")
            mapping = {
                "defaultValue": change.get("default"), "exportMissingReferences": False,
                "flowBehavior": "FlowWhenChanged", "flowType": change.get("flow", "Always"),
                "matchingPriority": change.get("matchingPriority", 0),
                "source": ({"expression": expr, "name": expr, "type": "Function", "parameters": []} if expr else
                           {"expression": f"[{source}]", "name": source, "type": "Attribute", "parameters": []}),
                "targetAttributeName": target,
            }
            om["attributeMappings"].append(mapping)
    return schema
