"""Run a scenario against a fresh simulator, in-process, over the real HTTP APIs.

Every step goes through the same requests a script against real tenants
would send (Graph v1.0 with a token from the Entra login, Genesys SCIM with a
Genesys OAuth token), only over ``httpx.WSGITransport`` to the app: no
sockets, no wall time.  The result is a :class:`ScenarioResult` whose report
(``report.render_text``) is byte-identical for the same scenario and seed.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx

from simulator import login
from simulator.core import ProvsimConfig
from simulator.client import job_secrets
from simulator.login import DEMO_GENESYS

from .model import Scenario, ScenarioError, Step

__all__ = ["ScenarioRunner", "ScenarioResult", "StepOutcome", "ExpectationFailed"]

GRAPH = "https://graph.microsoft.com/v1.0"
GENESYS_API = "https://api.mypurecloud.com"
IN_PROCESS_BASE = "http://provsim.local"
GENESYS_TENANT_URL = f"{IN_PROCESS_BASE}/api/v2/scim/v2"
_VAR = re.compile(r"\$\{([A-Za-z_][\w]*)(?::([^}]+))?\}")


class ExpectationFailed(ScenarioError):
    """An ``expect`` step whose check did not hold."""


@dataclass
class StepOutcome:
    step: Step
    at: str
    lines: list[str] = field(default_factory=list)
    data: Any = None
    ok: bool = True
    cycles: list[dict] = field(default_factory=list)


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

    @property
    def ok(self) -> bool:
        return not self.failures


class ScenarioRunner:
    def __init__(self, scenario: Scenario, *, progress: Callable[[str, int, int], None] | None = None,
                 seed: int | None = None, record_to=None, extra: dict | None = None, record_target=None) -> None:
        from simulator.app import create_app

        self.scenario = scenario
        self.progress = progress
        extra = dict(extra or {})
        if record_target is not None:
            extra["target_transport_wrapper"] = _target_recorder(record_target)
        self.config = ProvsimConfig(seed=scenario.seed if seed is None else seed, fixture=scenario.tenant, extra=extra)
        self.app = create_app(self.config)
        self.runtime = self.app.extensions["provsim"]
        self.vars: dict[str, Any] = {}
        self.job_id: str | None = None
        self._graph_token: str | None = None
        self._cycle_log: list[dict] = []
        from simulator.http import InProcessTransport

        transport: httpx.BaseTransport = InProcessTransport(app=self.app)
        if record_to is not None:
            transport = record_to(transport)
        self.http = httpx.Client(transport=transport, base_url=IN_PROCESS_BASE, timeout=30)
        service = self.runtime.services.get("provisioning")
        if service is not None:
            service.listeners.append(self._on_engine_event)

    # ------------------------------------------------------------ helpers
    def _on_engine_event(self, event: str, data: dict) -> None:
        if event == "cycleEnded":
            self._cycle_log.append({"cycleId": data["cycleId"], "status": data["status"]})
        if event == "log" and self.progress:
            self.progress("log", 0, 0)

    def _fixture_ids(self) -> dict[str, dict[str, str]]:
        directory = self.runtime.services.get("directory")
        keys = getattr(directory, "fixture_keys", None) or {}
        return keys

    def subst(self, value: Any) -> Any:
        if isinstance(value, str):
            def repl(m: re.Match) -> str:
                name, arg = m.group(1), m.group(2)
                if arg is not None:
                    return self._lookup(name, arg)
                if name not in self.vars:
                    raise ScenarioError(f"${{{name}}} is not set (set it with 'save:' on an earlier step)")
                return str(self.vars[name])
            whole = _VAR.fullmatch(value)
            if whole and whole.group(2) is None and whole.group(1) in self.vars:
                return self.vars[whole.group(1)]
            return _VAR.sub(repl, value)
        if isinstance(value, list):
            return [self.subst(v) for v in value]
        if isinstance(value, dict):
            return {k: self.subst(v) for k, v in value.items()}
        return value

    def _lookup(self, kind: str, key: str) -> str:
        directory = self.runtime.services["directory"]
        if kind in ("user", "upn"):
            user_id = directory.fixture_id(key)
            if user_id is None:
                raise ScenarioError(f"no user with fixture key {key!r}")
            if kind == "upn":
                return directory.get_user(user_id)["userPrincipalName"]
            return user_id
        if kind == "group":
            group_id = directory.fixture_id(key)
            if group_id is None:
                raise ScenarioError(f"no group with fixture key {key!r}")
            return group_id
        if kind == "sp":
            return directory.fixture_id(key)
        raise ScenarioError(f"unknown reference ${{{kind}:{key}}}; use user, upn, group or sp")

    def graph_token(self) -> str:
        if self._graph_token is None:
            tenant = self.runtime.fixture.get("tenant", {}).get("domain", "contoso.onmicrosoft.com")
            try:
                self._graph_token = login.graph_token(self.http, tenant)["access_token"]
            except login.LoginFailed as err:
                raise ScenarioError(f"could not get a Graph token: {err}") from err
        return self._graph_token

    def graph(self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = (200, 201, 204)) -> httpx.Response:
        path = path if path.startswith("/") else "/" + path
        headers = {"Authorization": f"Bearer {self.graph_token()}"}
        resp = self.http.request(method, f"/v1.0{path}", json=body, headers=headers)
        if resp.status_code == 401 and "expired" in resp.text:
            # Entra tokens live an hour; like msal, get a new one when virtual time has moved past it.
            self._graph_token = None
            headers = {"Authorization": f"Bearer {self.graph_token()}"}
            resp = self.http.request(method, f"/v1.0{path}", json=body, headers=headers)
        if ok and resp.status_code not in ok:
            raise ScenarioError(f"Graph {method} {path} answered {resp.status_code}: {resp.text[:300]}")
        return resp

    def genesys(self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = (200, 201, 204)) -> httpx.Response:
        token = self.vars.get("genesys_token") or self._genesys_token(*DEMO_GENESYS)
        path = path if path.startswith("/") else "/" + path
        resp = self.http.request(method, f"/api/v2/scim/v2{path}", json=body, headers={"Authorization": f"Bearer {token}"})
        if ok and resp.status_code not in ok:
            raise ScenarioError(f"Genesys {method} {path} answered {resp.status_code}: {resp.text[:300]}")
        return resp

    def _genesys_token(self, client_id: str, secret: str) -> str:
        try:
            return login.genesys_token(self.http, client_id, secret)["access_token"]
        except login.LoginFailed as err:
            raise ScenarioError(f"Genesys token request failed: {err}") from err

    def sp_id(self) -> str:
        directory = self.runtime.services["directory"]
        sp = directory.fixture_id("purecloud")
        if sp is None:
            raise ScenarioError("the tenant has no PureCloud by Genesys application (fixture key 'purecloud')")
        return sp

    def _sync(self, suffix: str) -> str:
        return f"/servicePrincipals/{self.sp_id()}/synchronization{suffix}"

    def _job(self) -> str:
        if self.job_id is None:
            raise ScenarioError("no provisioning job yet: add a 'configure' step first")
        return self.job_id

    # ------------------------------------------------------------- verbs
    def run(self) -> ScenarioResult:
        outcomes: list[StepOutcome] = []
        failures: list[str] = []
        started = self.runtime.now_iso()
        total = len(self.scenario.steps)
        for n, step in enumerate(self.scenario.steps, 1):
            if self.progress:
                self.progress(step.title or step.verb, n, total)
            outcome = StepOutcome(step, self.runtime.now_iso())
            try:
                getattr(self, f"do_{step.verb}")(step, outcome)
            except ExpectationFailed as err:
                outcome.ok = False
                outcome.lines.append(f"FAILED: {err}")
                failures.append(f"step {step.index} ({step.title or step.verb}): {err}")
            except ScenarioError as err:
                outcome.ok = False
                outcome.lines.append(f"ERROR: {err}")
                failures.append(f"step {step.index} ({step.title or step.verb}): {err}")
                outcomes.append(outcome)
                break
            outcomes.append(outcome)
        service = self.runtime.services.get("provisioning")
        job = service.job_view(self.job_id) if (service and self.job_id) else None
        outbox = service.outbox.messages() if service is not None and getattr(service, "outbox", None) else []
        return ScenarioResult(
            scenario=self.scenario, outcomes=outcomes, failures=failures, job_id=self.job_id, started=started,
            ended=self.runtime.now_iso(), logs=list(reversed(service.logs())) if service else [],
            genesys_users=self._genesys_all("Users"), genesys_groups=self._genesys_all("Groups"), job=job, outbox=outbox)

    def _genesys_all(self, resource: str) -> list[dict]:
        org = self.runtime.services.get("purecloud")
        if org is not None and hasattr(org, "export_state"):
            return org.export_state(resource)
        return []

    def do_say(self, step: Step, out: StepOutcome) -> None:
        out.lines.append(str(step.args))

    def do_genesys_token(self, step: Step, out: StepOutcome) -> None:
        args = step.args or {}
        client_id = args.get("client_id", DEMO_GENESYS[0])
        secret = args.get("client_secret", DEMO_GENESYS[1])
        self.vars[args.get("save", "genesys_token")] = self._genesys_token(client_id, secret)
        out.lines.append(f"Genesys OAuth client '{client_id}' -> access token (client credentials grant)")

    def do_configure(self, step: Step, out: StepOutcome) -> None:
        args = self.subst(step.args or {})
        resp = self.graph("POST", self._sync("/jobs"), {"templateId": args.get("template", "purecloud")}, ok=(201,))
        self.job_id = resp.json()["id"]
        self.vars["job_id"] = self.job_id
        token = args.get("secret_token") or self.vars.get("genesys_token") or self._genesys_token(*DEMO_GENESYS)
        secrets = job_secrets(args.get("tenant_url", GENESYS_TENANT_URL), token, scope=args.get("scope", "assigned"),
                              notify=args.get("notify"), delete_threshold=args.get("delete_threshold"),
                              skip_out_of_scope_deletions=bool(args.get("skip_out_of_scope_deletions")))
        self.graph("PUT", self._sync("/secrets"), {"value": secrets}, ok=(204,))
        self.graph("POST", self._sync(f"/jobs/{self.job_id}/validateCredentials"),
                   {"useSavedCredentials": True, "credentials": []}, ok=(204,))
        out.lines.append(f"Job {self.job_id} created from the PureCloud by Genesys template; "
                         f"tenant URL {secrets[0]['value']}; scope: {'all users and groups' if args.get('scope') == 'all' else 'assigned users and groups'}; "
                         "test connection passed")

    def _cycles(self, out: StepOutcome, fn: Callable[[], Any]) -> Any:
        before = len(self._cycle_log)
        result = fn()
        out.cycles = self._cycle_log[before:]
        return result

    def do_start(self, step: Step, out: StepOutcome) -> None:
        self.graph("POST", self._sync(f"/jobs/{self._job()}/start"), ok=(204,))
        out.lines.append("Provisioning status: On")

    def do_pause(self, step: Step, out: StepOutcome) -> None:
        self.graph("POST", self._sync(f"/jobs/{self._job()}/pause"), ok=(204,))
        out.lines.append("Provisioning status: Off (paused)")

    def do_restart(self, step: Step, out: StepOutcome) -> None:
        args = step.args or {}
        scope = args.get("resetScope") if isinstance(args, dict) else args
        body = {"criteria": {"resetScope": scope}} if scope else {}
        self.graph("POST", self._sync(f"/jobs/{self._job()}/restart"), body, ok=(204,))
        out.lines.append(f"Restarted provisioning (resetScope: {scope or 'Watermark, Escrows, QuarantineState'})")

    def do_advance(self, step: Step, out: StepOutcome) -> None:
        duration = str(step.args)
        resp = self._cycles(out, lambda: self.http.post("/_provsim/clock/advance", json={"duration": duration}))
        if resp.status_code != 200:
            raise ScenarioError(f"advance failed: {resp.text[:200]}")
        ran = [r for r in resp.json()["ran"] if r.get("jobId")]
        out.data = ran
        out.lines.append(f"Advanced {duration} to {resp.json()['now']}: {len(ran)} provisioning cycle(s) ran")

    def do_graph(self, step: Step, out: StepOutcome) -> None:
        args = self.subst(step.args)
        expect = tuple(args.get("expect_status", ())) if isinstance(args.get("expect_status"), list) else (
            (args["expect_status"],) if "expect_status" in args else (200, 201, 204))
        resp = self.graph(args.get("method", "GET").upper(), args["path"], args.get("body"), ok=expect)
        if args.get("save") and resp.content:
            self.vars[args["save"]] = resp.json().get("id", resp.json())
        out.lines.append(f"Graph {args.get('method', 'GET').upper()} {args['path']} -> {resp.status_code}")

    def do_genesys(self, step: Step, out: StepOutcome) -> None:
        args = self.subst(step.args)
        resp = self.genesys(args.get("method", "GET").upper(), args["path"], args.get("body"),
                            ok=tuple(args.get("expect_status", (200, 201, 204))) if isinstance(args.get("expect_status"), list)
                            else ((args["expect_status"],) if "expect_status" in args else (200, 201, 204)))
        if args.get("save") and resp.content:
            self.vars[args["save"]] = resp.json().get("id", resp.json())
        out.lines.append(f"Genesys {args.get('method', 'GET').upper()} {args['path']} -> {resp.status_code}")

    def do_fault(self, step: Step, out: StepOutcome) -> None:
        args = self.subst(step.args)
        resp = self.http.post("/_provsim/faults", json=args)
        if resp.status_code != 201:
            raise ScenarioError(f"fault rule refused: {resp.text[:200]}")
        out.lines.append(f"Fault rule: {args.get('method', '*')} {args.get('path', '*')} -> "
                         + (f"status {args['status']}" if 'status' in args else "drop" if args.get('drop') else f"delay {args.get('delay')}s"))

    def do_clear_faults(self, step: Step, out: StepOutcome) -> None:
        self.http.delete("/_provsim/faults")
        out.lines.append("Fault rules cleared")

    def do_revoke_token(self, step: Step, out: StepOutcome) -> None:
        args = self.subst(step.args or {})
        body = args if args else {"token": self.vars.get("genesys_token")}
        resp = self.http.post("/_provsim/purecloud/tokens/revoke", json=body)
        if resp.status_code != 200:
            raise ScenarioError(f"revoke failed: {resp.text[:200]}")
        out.lines.append(f"Genesys token(s) revoked: {resp.json()['revoked']}")

    def do_expire_tokens(self, step: Step, out: StepOutcome) -> None:
        resp = self.http.post("/_provsim/purecloud/tokens/expire")
        out.lines.append(f"Genesys tokens expired: {resp.json()['expired']}")

    def do_schema(self, step: Step, out: StepOutcome) -> None:
        args = self.subst(step.args or {})
        schema = self.graph("GET", self._sync(f"/jobs/{self._job()}/schema")).json()
        edit = _edit_schema(schema, args)
        self.graph("PUT", self._sync(f"/jobs/{self._job()}/schema"), edit, ok=(204,))
        out.lines.append("Schema updated: " + ", ".join(sorted(args)))

    def do_provision_on_demand(self, step: Step, out: StepOutcome) -> None:
        args = self.subst(step.args or {})
        schema = self.graph("GET", self._sync(f"/jobs/{self._job()}/schema")).json()
        rule_id = schema["synchronizationRules"][0]["id"]
        body = {"parameters": [{"ruleId": rule_id, "subjects": [
            {"objectId": args["object_id"], "objectTypeName": args.get("type", "User")}]}]}
        resp = self.graph("POST", self._sync(f"/jobs/{self._job()}/provisionOnDemand"), body, ok=(200,))
        key = json.loads(resp.json()["key"])
        out.data = resp.json()
        out.lines.append(f"Provision on demand: {key.get('result')}")

    def do_expect(self, step: Step, out: StepOutcome) -> None:
        from .expectations import check

        args = self.subst(step.args or {})
        problems = check(self, args)
        for name in args:
            out.lines.append(f"expect {name}: " + ("ok" if not any(p.startswith(name) for p in problems) else "FAILED"))
        if problems:
            raise ExpectationFailed("; ".join(problems))


def _target_recorder(path) -> Callable[[httpx.BaseTransport], httpx.BaseTransport]:
    """Record every request the provisioning engine sends to Genesys into one vcrpy cassette
    (scrubbed like the proxy's recordings), across all cycles of the run."""
    from pathlib import Path

    from simulator.proxy.transports import RecordingTransport

    target = Path(path)
    if target.exists():
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)

    def wrap(inner: httpx.BaseTransport) -> httpx.BaseTransport:
        return RecordingTransport(inner, target, append=True)

    return wrap


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
