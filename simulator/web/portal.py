"""The dashboard's conversation with one provsim app, through its public APIs only.

Everything the page does is a call a script could make: Graph (the synchronization API,
provisioning logs, users, groups, assignments, deleted items), Genesys' ``/oauth/token``,
and ``/_provsim`` (clock, faults, tokens, outbox, traffic), sent in-process through
:class:`~simulator.client.ProvsimClient`.  Two clients:

- ``actor`` makes the trainer's clicks happen: its requests are real traffic (they land in
  the traffic log and fault rules apply to them), as the portal's own Graph calls would;
- ``observer`` reads what the page draws: its requests carry
  :data:`~simulator.http.middleware.OBSERVER_MARK`, so drawing the page neither trips a fault
  rule (a rule's ``times`` would count the page's reads) nor fills the traffic log.

The Genesys org is read through its public export (``runtime.service(PURECLOUD).export_state``),
the same read the scenario runner uses: a SCIM read would count against Genesys' rate limit.
Nothing here reads the provisioning engine's tables.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from email import message_from_string
from email.policy import default as default_policy
from typing import TYPE_CHECKING, Any

import httpx

from simulator.client import IN_PROCESS_BASE, ApiError, ProvsimClient
from simulator.core.services import PURECLOUD

if TYPE_CHECKING:
    from .stories import StorySession
from simulator.client.transport import InProcessTransport
from simulator.http.middleware import OBSERVER_MARK

from . import model, plain
from .wire import WireWatch, engine_exchanges

__all__ = ["Portal", "ActionError", "portal_for", "GALLERY_APP_NAME", "DEMO_PASSWORD"]

GALLERY_APP_NAME = "PureCloud by Genesys"
#: Password of users created from the page (Graph requires one; the fake never checks it).
DEMO_PASSWORD = "Pr0vsim!demo"
_LOG_PAGE = 1000
_DIRECTORY_PAGE = 999


class ActionError(Exception):
    """A click the page cannot carry out: HTTP ``status``, a ``code`` and a message for the trainer;
    ``details`` (``[{"target", "message"}]``) name the fields or elements each problem belongs to."""

    def __init__(self, status: int, code: str, message: str, *, details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


def _observing(app: Any) -> Callable:
    def observe(environ: dict, start_response: Callable):
        environ[OBSERVER_MARK] = True
        return app(environ, start_response)

    return observe


def portal_for(app: Any) -> Portal:
    """The app's one :class:`Portal` (kept in ``app.extensions``)."""
    portal = app.extensions.get("provsim_portal")
    if portal is None:
        portal = app.extensions.setdefault("provsim_portal", Portal(app))
    return portal


def _query_value(link: str | None, name: str) -> str | None:
    if not link:
        return None
    return httpx.URL(link).params.get(name)


class Portal:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.runtime = app.extensions["provsim"]
        self.actor = ProvsimClient.in_process(app)
        tenant = self.actor.tenant
        self.observer = ProvsimClient(httpx.Client(transport=InProcessTransport(app=_observing(app)),
                                                   base_url=IN_PROCESS_BASE, timeout=None), tenant=tenant)
        #: one click at a time (two trainers' clicks, or a double click, never interleave)
        self.lock = threading.RLock()
        self.story: StorySession | None = None  # while a library story is loaded
        #: which traffic-log exchanges each provisioning log entry stands for (the Details pane's wire)
        self.wire: WireWatch = app.extensions.get("provsim_wire") or app.extensions.setdefault(
            "provsim_wire", WireWatch(self.runtime))
        self._cache: tuple[str, dict] | None = None
        #: bumped by every click: a reset brings the store, the clock and the traffic log back to the numbers
        #: they had before, so without it the revision after loading a second story could repeat an old one
        self.epoch = 0

    # ------------------------------------------------------------------ change detection
    def revision(self) -> str:
        """Changes whenever anything the page shows may have changed (state, time, faults, traffic, story)."""
        rt = self.runtime
        faults = ",".join(f"{r.id}:{r.fired}" for r in rt.faults.rules())
        last = rt.traffic.entries(limit=1)
        traffic = last[0]["seq"] if last else 0
        story = self.story.version if self.story is not None else 0
        return f"{self.epoch}.{rt.store.seq}.{rt.now_iso()}.{traffic}.{story}.{zlib.crc32(faults.encode()):x}"

    # ------------------------------------------------------------------ reading
    def _sp(self) -> str | None:
        self.observer.forget()  # the app may have been added, or the simulator reset, since the last read
        try:
            return self.observer.graph.service_principal_id()
        except ApiError as err:
            if err.status == 404:
                return None
            raise

    def _all_logs(self, flt: str) -> list[dict]:
        return self.observer.graph.pages("/auditLogs/provisioning", params={"$filter": flt, "$top": str(_LOG_PAGE)})

    def snapshot(self) -> dict:
        """Everything the page draws but the provisioning logs list (:meth:`logs`), at one revision."""
        with self.lock:
            rev = self.revision()
            if self._cache is not None and self._cache[0] == rev:
                return self._cache[1]
            data = self._snapshot(rev)
            self._cache = (rev, data)
            return data

    def _snapshot(self, rev: str) -> dict:
        obs = self.observer
        rt = self.runtime
        clock = obs.control("GET", "/clock")
        sp_id = self._sp()
        app = job = None
        secrets: list[dict] = []
        roles: list[dict] = []
        if sp_id is not None:
            sp = obs.graph("GET", f"/servicePrincipals/{sp_id}", params={"$select": "id,appId,displayName,appRoles"})
            roles = [{"id": r["id"], "displayName": r.get("displayName")} for r in sp.get("appRoles") or []
                     if r.get("isEnabled", True)]
            app = {"id": sp_id, "appId": sp.get("appId"), "displayName": sp.get("displayName")}
            jobs = obs.jobs()
            job = obs.job(jobs[0]["id"]) if jobs else None
            secrets = obs.secrets()
        setup = model.setup_view(secrets, default_tenant_url="")
        outbox = obs.outbox()
        faults = obs.faults()
        directory = self._directory(sp_id, roles, sync_all=setup["scope"] == "all", job=job)
        status = (job or {}).get("status") or {}
        last = status.get("lastExecution") or {}
        with_exports = status.get("lastSuccessfulExecutionWithExports") or {}
        last_entries = self._all_logs(f"cycleId eq '{last['activityIdentifier']}'") if last.get("activityIdentifier") else []
        changes_entries = (self._all_logs(f"cycleId eq '{with_exports['activityIdentifier']}'")
                           if with_exports.get("activityIdentifier") and with_exports.get("activityIdentifier")
                           != last.get("activityIdentifier") else [])
        quarantine_mail = [m for m in outbox if m.get("kind") == "quarantine"]
        presets = model.active_presets(faults)
        fixture = rt.fixture.get("_path") or ""
        tenant = (rt.fixture.get("tenant") or {})
        return {
            "revision": rev, "now": clock["now"], "wallClock": bool(rt.config.wall_clock),
            "tenant": {"displayName": tenant.get("displayName") or "", "domain": tenant.get("domain") or "",
                       "fixture": fixture.rsplit("/", 1)[-1], "seed": rt.config.seed},
            "app": app, "roles": roles,
            "job": ({"id": job["id"], "templateId": job.get("templateId"), "schedule": job.get("schedule"),
                     "settings": job.get("synchronizationJobSettings") or []} if job else None),
            "overview": model.overview(job, pending=clock.get("pending") or [], last_cycle_entries=last_entries,
                                       last_changes_entries=changes_entries, notifications=len(quarantine_mail),
                                       words=plain.account),
            "setup": setup,
            "directory": directory,
            "failures": {
                "faults": faults,
                "presets": [{"key": key, "label": p["label"], "description": p["description"],
                             "active": key in presets} for key, p in model.FAULT_PRESETS.items()],
                "outbox": [{k: m.get(k) for k in ("id", "at", "kind", "to", "subject", "delivered")}
                           for m in reversed(outbox)],
                "traffic": [{k: t.get(k) for k in ("seq", "at", "surface", "method", "path", "status", "fault")}
                            for t in reversed(obs.traffic(limit=25))],
            },
            "story": self.story.view() if self.story is not None else None,
        }

    def _directory(self, sp_id: str | None, roles: list[dict], *, sync_all: bool, job: dict | None) -> dict:
        obs = self.observer
        # One Graph page of each (999): a classroom tenant fits; a generated 100k-user tenant is cut, and says so.
        page = obs.graph("GET", "/users", params={
            "$select": "id,displayName,userPrincipalName,jobTitle,department,accountEnabled", "$expand": "manager",
            "$top": str(_DIRECTORY_PAGE)})
        users, truncated = page.get("value", []), bool(page.get("@odata.nextLink"))
        deleted = obs.graph("GET", "/directory/deletedItems/microsoft.graph.user",
                            params={"$top": str(_DIRECTORY_PAGE)}).get("value", [])
        page = obs.graph("GET", "/groups", params={"$select": "id,displayName,description", "$top": str(_DIRECTORY_PAGE)})
        groups, truncated = page.get("value", []), truncated or bool(page.get("@odata.nextLink"))
        members = {g["id"]: [m for m in obs.graph("GET", f"/groups/{g['id']}/members", params={
            "$select": "id,displayName,userPrincipalName", "$top": str(_DIRECTORY_PAGE)}).get("value", [])
            if "user" in str(m.get("@odata.type", "user"))] for g in groups}
        assignments = (obs.graph_pages(f"/servicePrincipals/{sp_id}/appRoleAssignedTo", params={"$top": "999"})
                       if sp_id else [])
        scope = model.ScopeInputs(assignments=assignments, roles={r["id"].lower(): r["displayName"] for r in roles},
                                  group_members=members, groups={g["id"]: g for g in groups}, sync_all=sync_all)
        org = self.runtime.find(PURECLOUD)
        genesys_users = org.export_state("Users") if org is not None else []
        genesys_groups = org.export_state("Groups") if org is not None else []
        created: dict[str, str] = {}
        linked: dict[str, str] = {}  # Entra group -> the Genesys group the service updated (it keeps the link by id)
        if job is not None:
            for entry in self._all_logs("provisioningAction eq 'create' and provisioningStatusInfo/status eq 'success'"):
                source, target = entry.get("sourceIdentity") or {}, entry.get("targetIdentity") or {}
                if source.get("id") and target.get("id") and source.get("identityType") == "User":
                    created[source["id"]] = target["id"]
            for entry in self._all_logs("provisioningAction eq 'update' and provisioningStatusInfo/status eq 'success' "
                                        "and sourceIdentity/identityType eq 'Group'"):
                source, target = entry.get("sourceIdentity") or {}, entry.get("targetIdentity") or {}
                if source.get("identityType") == "Group" and source.get("id") and target.get("id"):
                    linked.setdefault(source["id"], target["id"])
        job_ran = bool(((job or {}).get("status") or {}).get("lastExecution"))
        scoping = False
        if job is not None:
            rules = obs.schema(job["id"]).get("synchronizationRules") or []
            scoping = any(om.get("scope") for rule in rules for om in rule.get("objectMappings") or [])
        user_rows = model.user_rows(users, deleted, scope, genesys_users, created=created, job_ran=job_ran)
        return {
            "users": user_rows,
            "groups": model.group_rows(groups, scope, members, genesys_groups, linked=linked),
            "genesysOnly": model.genesys_only(genesys_users, [r["userPrincipalName"] for r in user_rows],
                                              created.values()),
            "genesysUsers": {"active": sum(1 for u in genesys_users if u.get("active", True)),
                             "total": len(genesys_users)},
            "scopingFilters": scoping,
            "truncated": truncated,
        }

    def logs(self, query: dict[str, str]) -> dict:
        """One page of provisioning logs for the page's filters (Graph ``$filter``, ``$top``, ``$skiptoken``)."""
        try:
            flt = model.log_filter(action=query.get("action", ""), status=query.get("status", ""),
                                   identity=query.get("identity", ""), since=query.get("since", ""),
                                   until=query.get("until", ""), cycle=query.get("cycle", ""))
            top = int(query.get("top") or 25)
        except ValueError as err:
            raise ActionError(400, "badRequest", str(err)) from err
        if not 1 <= top <= 200:
            raise ActionError(400, "badRequest", "a page holds 1 to 200 entries")
        params = {"$top": str(top)}
        if flt:
            params["$filter"] = flt
        skip = str(query.get("skiptoken") or "")
        if skip:
            params["$skiptoken"] = skip
        data = self._graph(self.observer, "GET", "/auditLogs/provisioning", params=params)
        return {"filter": flt, "top": top, "skip": int(skip) if skip.isdigit() else 0,
                "next": _query_value(data.get("@odata.nextLink"), "$skiptoken"),
                "rows": [model.log_row(e) for e in data.get("value", [])]}

    def log_entry(self, entry_id: str) -> dict:
        if not model.is_guid(entry_id):
            raise ActionError(404, "notFound", f"no provisioning log entry {entry_id!r}")
        found = self._graph(self.observer, "GET", "/auditLogs/provisioning",
                            params={"$filter": f"id eq '{entry_id}'"}).get("value", [])
        if not found:
            raise ActionError(404, "notFound", f"no provisioning log entry {entry_id}")
        detail = model.log_detail(found[0])
        detail["account"] = plain.account(found)
        detail["wire"] = self.wire_of(entry_id)
        return detail

    def wire_of(self, entry_id: str) -> dict:
        """The requests the service sent Genesys for one entry, and what Genesys answered (scrubbed)."""
        from simulator.client import SCIM_PATH
        from simulator.engine.target import USER_AGENT

        window = self.wire.window(entry_id)
        if window is None:
            return {"state": "unknown", "exchanges": [],
                    "note": "Not observed: the entry was written before this dashboard started (or before a reset)."}
        since, until = window
        if until == since:
            return {"state": "none", "exchanges": [], "note": "No request to Genesys: the service decided this "
                                                              "without calling Genesys."}
        seen = self.observer.control.traffic(since=since, until=until)
        exchanges = engine_exchanges(seen, agent=USER_AGENT, scim_path=SCIM_PATH)
        gone = not seen or seen[0]["seq"] > since + 1
        note = ("The traffic log has dropped some of these requests (it keeps the newest 10,000)." if gone else "")
        if not exchanges and not gone:
            note = "No request to Genesys: the service decided this without calling Genesys."
        return {"state": "partial" if gone else "complete", "exchanges": exchanges, "note": note}

    def outbox_message(self, message_id: str) -> dict:
        for message in self.observer.control.outbox(raw=True):
            if message.get("id") == message_id:
                parsed = message_from_string(message.get("eml") or "", policy=default_policy)
                body = parsed.get_body(preferencelist=("plain",))
                return {"id": message_id, "at": message.get("at"), "kind": message.get("kind"),
                        "from": str(parsed.get("From", "")), "to": str(parsed.get("To", "")),
                        "subject": str(parsed.get("Subject", "")), "date": str(parsed.get("Date", "")),
                        "body": body.get_content() if body is not None else ""}
        raise ActionError(404, "notFound", f"no notification e-mail {message_id!r} in the outbox")

    # ------------------------------------------------------------------ helpers for actions
    @staticmethod
    def _graph(client: ProvsimClient, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        try:
            return client.graph(method, path, body, **kwargs)
        except ApiError as err:
            raise ActionError(err.status if 400 <= err.status < 500 else 502, err.code or "error", err.message) from err

    def _call(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ApiError as err:
            raise ActionError(err.status if 400 <= err.status < 500 else 502, err.code or "error", err.message) from err

    def sp_id(self) -> str:
        self.actor.forget()
        try:
            return self.actor.graph.service_principal_id()
        except ApiError as err:
            raise ActionError(409, "noApp", f"the tenant has no {GALLERY_APP_NAME} enterprise app yet: add it from "
                                            "the gallery first (Setup)") from err

    def job_id(self) -> str:
        self.sp_id()
        jobs = self._call(self.actor.jobs)
        if not jobs:
            raise ActionError(409, "noJob", "the PureCloud app has no provisioning job yet: create it in Setup")
        return jobs[0]["id"]

    def invalidate(self) -> None:
        self._cache = None
        self.epoch += 1
