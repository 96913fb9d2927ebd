"""Helpers for the provisioning-engine tests (issue 4); fixtures are in conftest.py.

Everything goes over the real HTTP surfaces, in-process: the Graph
synchronization API with a token from the Entra login, directory changes as
Graph calls (as a user's script would make them), ``/_provsim/clock/advance``
to run cycles, and Genesys SCIM with a token from ``/oauth/token``.  What a user
would notice is read back from three places:

* the SCIM requests the engine sent (the fakes' traffic log, surface
  ``purecloud``), as :class:`ScimCall` objects with the body parsed;
* the Genesys state (``export_state`` of the org: every user, active or not);
* the provisioning logs (``GET /v1.0/auditLogs/provisioning``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx

from simulator.client import ProvsimClient
from simulator.client.login import DEMO_GENESYS

BASE = "http://provsim.local"
TENANT_URL = f"{BASE}/api/v2/scim/v2"
SCIM_PREFIX = "/api/v2/scim/v2"
TENANT_DOMAIN = "contoso.onmicrosoft.com"
ODATA_USER = "https://graph.microsoft.com/v1.0/directoryObjects/"

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
WORK_EMAIL = 'emails[type eq "work"].value'
MOBILE = 'phoneNumbers[type eq "mobile"].value'
WORK_PHONE = 'phoneNumbers[type eq "work"].value'
DEPARTMENT = f"{ENTERPRISE}:department"
MANAGER = f"{ENTERPRISE}:manager"
EMPLOYEE_NUMBER = f"{ENTERPRISE}:employeeNumber"

ROLE_USER = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"
ROLE_SUPERVISOR = "8a7b6c5d-4e3f-4a1b-9c0d-e1f2a3b4c5d6"
DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"


@dataclass
class ScimCall:
    """One request the engine sent to the Genesys fake."""

    seq: int
    method: str
    path: str  # relative to the tenant URL: "/Users", "/Users/<id>", "/Groups/<id>"
    query: dict[str, str]
    body: Any
    status: int

    @property
    def filter(self) -> str | None:
        return self.query.get("filter")

    @property
    def ops(self) -> list[dict]:
        return list((self.body or {}).get("Operations") or [])

    def op_for(self, path: str) -> dict | None:
        for op in self.ops:
            if op.get("path") == path:
                return op
        return None

    def __repr__(self) -> str:  # readable assertion failures
        q = f"?{self.query}" if self.query else ""
        return f"<{self.method} {self.path}{q} -> {self.status} {json.dumps(self.body) if self.body else ''}>"


class Provisioning:
    """A provsim app, the demo tenant, and one PureCloud provisioning job driven over HTTP.

    Everything it sends goes through :class:`simulator.client.ProvsimClient` (``self.sim``), the
    one client of the synchronization API that the scenario runner, ``provsim job`` and the
    benchmarks use; this class adds fixture keys and status assertions for the tests."""

    def __init__(self, app) -> None:
        self.app = app
        self.runtime = app.extensions["provsim"]
        self.directory = self.runtime.services["directory"]
        self.org = self.runtime.services["purecloud"]
        self.sim = ProvsimClient.in_process(app, base_url=BASE)
        self.http = self.sim.http
        self.sp = self.sim.service_principal_id()
        self.job_id: str | None = None

    # ------------------------------------------------------------------ ids
    def id(self, key: str) -> str:
        """The object id of a fixture key (``alex``, ``sales``, ...)."""
        ident = self.directory.fixture_id(key)
        assert ident is not None, f"no fixture object {key!r}"
        return ident

    def upn(self, key: str) -> str:
        return self.graph("GET", f"/users/{self.id(key)}", expect=200).json()["userPrincipalName"]

    # ---------------------------------------------------------------- Graph
    def graph(self, method: str, path: str, json_body: Any = None, *, expect: int | tuple[int, ...] | None = None,
              params: dict | None = None) -> httpx.Response:
        if path.startswith("http"):  # a nextLink
            path = httpx.URL(path).raw_path.decode("ascii").removeprefix("/v1.0")
        resp = self.sim.graph_response(method, path, json_body, params=params)
        if expect is not None:
            wanted = (expect,) if isinstance(expect, int) else expect
            assert resp.status_code in wanted, f"{method} {path} -> {resp.status_code}: {resp.text[:500]}"
        return resp

    def sync(self, suffix: str = "") -> str:
        return self.sim.sync_path(suffix)

    def job_path(self, suffix: str = "") -> str:
        assert self.job_id, "create the job first"
        return self.sim.job_path(self.job_id, suffix)

    # --------------------------------------------------------------- Genesys
    def genesys_token(self, client_id: str = DEMO_GENESYS[0], secret: str = DEMO_GENESYS[1]) -> str:
        return self.sim.genesys_token(client_id, secret)

    def genesys(self, method: str, path: str, json_body: Any = None, *, expect: int | None = None,
                params: dict | None = None) -> httpx.Response:
        """A SCIM call made by hand (an admin editing Genesys directly)."""
        resp = self.sim.genesys_response(method, path, json_body, params=params)
        if expect is not None:
            assert resp.status_code == expect, f"{method} {path} -> {resp.status_code}: {resp.text[:500]}"
        return resp

    # ----------------------------------------------------------------- job
    def create_job(self, template: str = "purecloud") -> dict:
        body = self.sim.create_job(template)
        self.job_id = body["id"]
        return body

    def put_secrets(self, pairs: dict[str, Any], *, expect: int = 204) -> httpx.Response:
        return self.graph("PUT", self.sync("/secrets"), {"value": [{"key": k, "value": v} for k, v in pairs.items()]},
                          expect=expect)

    def configure(self, *, scope: str = "assigned", tenant_url: str = TENANT_URL, token: str | None = None,
                  **secrets: Any) -> None:
        """Create the job (if needed) and save its credentials and scope, as the portal's Save does."""
        if self.job_id is None:
            self.create_job()
        pairs = {"BaseAddress": tenant_url, "SecretToken": token or self.genesys_token(),
                 "SyncAll": "True" if scope == "all" else "False"}
        pairs.update(secrets)
        self.put_secrets(pairs)

    def start(self) -> None:
        assert self.job_id, "create the job first"
        self.sim.start(self.job_id)

    def pause(self) -> None:
        assert self.job_id, "create the job first"
        self.sim.pause(self.job_id)

    def restart(self, body: Any = None, *, expect: int = 204) -> httpx.Response:
        return self.graph("POST", self.job_path("/restart"), body, expect=expect)

    def advance(self, duration: str = "PT40M") -> list[dict]:
        """Move virtual time; returns the provisioning cycles that ran on the way."""
        return [r for r in self.sim.advance(duration)["ran"] if r.get("jobId")]

    def provision(self, **configure: Any) -> Provisioning:
        """Configure, start and run the initial cycle (it runs at once; the next one is 40 minutes later)."""
        self.configure(**configure)
        self.start()
        ran = self.advance("PT1M")
        assert len(ran) == 1 and ran[0]["initial"], ran
        return self

    def cycle(self) -> dict:
        """Run the next scheduled (incremental) cycle: advance 40 virtual minutes."""
        ran = self.advance("PT40M")
        assert len(ran) == 1, ran
        return ran[0]

    def job(self) -> dict:
        assert self.job_id, "create the job first"
        return self.sim.job(self.job_id)

    def status(self) -> dict:
        return self.job()["status"]

    def schema(self) -> dict:
        assert self.job_id, "create the job first"
        return self.sim.schema(self.job_id)

    def put_schema(self, schema: dict, *, expect: int = 204) -> httpx.Response:
        return self.graph("PUT", self.job_path("/schema"), schema, expect=expect)

    def edit_schema(self, fn) -> None:
        """GET the schema, let ``fn(user_mapping, group_mapping)`` edit it, PUT it back."""
        schema = self.schema()
        rule = schema["synchronizationRules"][0]
        by_source = {om["sourceObjectName"]: om for om in rule["objectMappings"]}
        fn(by_source["User"], by_source["Group"])
        self.put_schema(schema)

    # ---------------------------------------------------------- observation
    def mark(self) -> int:
        entries = self.runtime.traffic.entries()
        return entries[-1]["seq"] if entries else 0

    def scim(self, since: int = 0) -> list[ScimCall]:
        calls = []
        for e in self.runtime.traffic.entries(surface="purecloud", since=since):
            if not e["path"].startswith(SCIM_PREFIX):
                continue  # /oauth/token
            raw = e["request"]["body"]
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            query = {k: v[0] for k, v in parse_qs(e["query"] or "", keep_blank_values=True).items()}
            calls.append(ScimCall(e["seq"], e["method"], e["path"][len(SCIM_PREFIX):], query, body, e["status"]))
        return calls

    def writes(self, since: int = 0) -> list[ScimCall]:
        return [c for c in self.scim(since) if c.method in ("POST", "PATCH", "PUT", "DELETE")]

    def users(self) -> list[dict]:
        return self.org.export_state("Users")

    def user(self, user_name: str) -> dict | None:
        return next((u for u in self.users() if u["userName"].lower() == user_name.lower()), None)

    def group(self, name: str) -> dict | None:
        return next((g for g in self.org.export_state("Groups") if g["displayName"] == name), None)

    def target_id(self, key: str) -> str:
        user = self.user(self.upn(key))
        assert user is not None, f"{key} is not in Genesys"
        return user["id"]

    def logs(self, filter: str | None = None, top: int | None = None) -> list[dict]:
        """Provisioning log entries (newest first), following nextLinks."""
        return self.sim.logs(filter=filter, top=top, all_pages=True)

    def logs_for(self, key_or_id: str, **match: str) -> list[dict]:
        ident = self.directory.fixture_id(key_or_id) or key_or_id
        entries = self.logs(f"sourceIdentity/id eq '{ident}'")
        return [e for e in entries if all(_log_field(e, k) == v for k, v in match.items())]

    # -------------------------------------------------------- directory edits (Graph)
    def patch_user(self, key: str, **attrs: Any) -> None:
        self.sim.update_user(self.id(key), **attrs)

    def set_manager(self, key: str, manager_key: str) -> None:
        self.sim.set_manager(self.id(key), self.id(manager_key))

    def remove_manager(self, key: str) -> None:
        self.sim.remove_manager(self.id(key))

    def add_member(self, group_key: str, object_id: str) -> None:
        self.sim.add_member(self.id(group_key), object_id)

    def remove_member(self, group_key: str, object_id: str) -> None:
        self.sim.remove_member(self.id(group_key), object_id)

    def assignments(self) -> list[dict]:
        return self.sim.assignments()

    def assign(self, principal_id: str, role_id: str = ROLE_USER) -> dict:
        return self.sim.assign(principal_id, role_id)

    def unassign(self, principal_id: str) -> list[dict]:
        return self.sim.unassign(principal_id)

    def create_user(self, nickname: str, **attrs: Any) -> str:
        body = {"accountEnabled": True, "displayName": nickname.title(), "mailNickname": nickname,
                "userPrincipalName": f"{nickname}@contoso.com",
                "passwordProfile": {"password": "Pr0vsim!test", "forceChangePasswordNextSignIn": False}, **attrs}
        return self.graph("POST", "/users", body, expect=201).json()["id"]

    def soft_delete(self, key: str) -> None:
        self.sim.delete_user(self.id(key))

    def restore(self, key: str) -> None:
        self.sim.restore_deleted(self.id(key))

    def purge(self, key: str) -> None:
        self.sim.purge_deleted(self.id(key))


def _log_field(entry: dict, path: str) -> Any:
    cur: Any = entry
    for part in path.split("__"):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return cur


def user_mapping_for(om: dict, target: str) -> dict | None:
    return next((am for am in om["attributeMappings"] if am["targetAttributeName"] == target), None)


def direct(source: str, target: str, **extra: Any) -> dict:
    """An attributeMapping in Graph's shape, mapping one source attribute directly."""
    mapping = {"defaultValue": None, "exportMissingReferences": False, "flowBehavior": "FlowWhenChanged",
               "flowType": "Always", "matchingPriority": 0,
               "source": {"expression": f"[{source}]", "name": source, "type": "Attribute", "parameters": []},
               "targetAttributeName": target}
    mapping.update(extra)
    return mapping


def expression(expr: str, target: str, **extra: Any) -> dict:
    mapping = direct("x", target, **extra)
    mapping["source"] = {"expression": expr, "name": expr.split("(")[0], "type": "Function", "parameters": []}
    return mapping


def scope_filter(*groups: list[tuple[str, str, list[str]]]) -> dict:
    """A scoping filter: each argument is one filter group (ORed) of (attribute, operator, values) clauses (ANDed)."""
    return {"groups": [{"name": f"filter {n}", "clauses": [
        {"operatorName": op, "sourceOperandName": attr, "targetOperand": {"values": list(values)}}
        for attr, op, values in group]} for n, group in enumerate(groups, 1)]}
