"""Provisioning logs -> a story that recreates them (``provsim incident import``).

The importer writes an ordinary scenario in the library's format and a tenant fixture beside it
(``STORY.tenant.yaml``: the given fixture, or the demo tenant's app and org, with the objects the
logs name).  It builds the story *by running it*: step by step on an in-process simulator, so that
every decision is taken against the state the story has reached (is this user assigned directly
or through a group? is a cycle of the job due when the logs show one?), and so that what it
writes is exactly what it ran.  The replay (``provsim incident replay``) runs the file again from
the start and gets the same result: same story, same seed, same bytes.

What the logs imply, run by run (a cycle, or a provision on demand), before the run:

- **source changes**: an update's ``modifiedProperties`` (target attribute, old, new) become the
  Entra attribute the job's mapping reads (``title <- jobTitle``) set to the new value; a disable
  becomes a soft delete, a disabled account or a lost assignment, as its import and scoping steps
  say; a create, an assignment (or a group membership) when the object was out of scope; a
  delete, a hard delete; a manager change, the manager reference;
- **the target's failures** as fault rules: a run whose every entry failed opens a window (all of
  Genesys' SCIM answers the status, until the first run that succeeds again: an outage); a
  failure among successes is one rule for that one request (the user's own path, or the n-th
  create) that fires once;
- **when runs happen**: the job's own schedule (every 40 minutes, quarantine retries) is kept
  where it agrees with the logs; a run it would not have made is a restart at that time (with
  ``ForceDeletes`` when it carries deletions the guard held back);
- **provision on demand** at its time.

What it cannot explain stays in the story as a ``# not modelled:`` comment and is counted.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from simulator.core import FixtureError, isoformat, load_fixture

from .attributes import SPECIAL, AttributeMap, graph_property, graph_value, user_mappings
from .compare import Comparison, compare
from .errors import IncidentError
from .logs import LogRecord, LogSet, parse_logs
from .runs import Run, fixture_id, group_runs
from .story import NOT_MODELLED, StoryItem, render_story

__all__ = ["ImportOptions", "ImportResult", "NotModelled", "import_logs", "FIRST_CYCLE_CHOICES"]

FIRST_CYCLE_CHOICES = ("auto", "initial", "incremental")
#: the service's schedule between two cycles (reference §1: every 40 minutes)
INTERVAL = timedelta(minutes=40)
#: a warm-up initial cycle starts this long before the first logged cycle (on the 40-minute grid)
WARM_UP = timedelta(hours=24)
#: how far apart the job's next scheduled cycle and a logged run may begin and still be the same
DUE_TOLERANCE = timedelta(seconds=1)
SCIM = "/api/v2/scim/v2"
#: error code -> the status a fault rule answers (provsim's target code table, run backwards)
FAULT_STATUS = {
    "BadRequest": 400, "Unauthorized": 401, "InsufficientRights": 403, "InvalidAnchor": 404, "MethodNotAllowed": 405,
    "Conflict": 409, "PreconditionFailed": 412, "PayloadTooLarge": 413, "UnsupportedMediaType": 415,
    "UnprocessableEntity": 422, "TooManyRequests": 429, "InternalServerError": 500, "NotImplemented": 501,
    "Timeout": 504, "SystemForCrossDomainIdentityManagementServiceIncompatible": 404,
}
#: codes that say the service could not reach or use Genesys at all (an outage, not one object)
SERVICE_CODES = {"InternalServerError", "Timeout", "WebExceptionProtocolError", "Unauthorized", "InsufficientRights",
                 "SystemForCrossDomainIdentityManagementServiceIncompatible", "NotImplemented"}
#: skipped/warning codes that describe a state the story recreates, not a failure to inject
STATE_CODES = {"UserDisabled", "NotEffectivelyEntitled", "GroupMissingInTarget", "EntrySynchronizationSkipped",
               "TooManyDeletes", "RedundantExport"}
_DETAILS = re.compile(r"^(GET|POST|PUT|PATCH|DELETE)\s+(\S+)\s+->\s+(\d{3}|no response)", re.IGNORECASE)
_HTTP_STATUS = re.compile(r"(?:HTTP status code|status code|StatusCode)\D{0,3}(\d{3})", re.IGNORECASE)
_THRESHOLD = re.compile(r"threshold\D{0,12}(\d+)", re.IGNORECASE)
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class ImportOptions:
    #: the tenant fixture the logs' objects are looked up in (a name, a path, or None: objects from the logs)
    fixture: str | None = None
    #: was the first logged cycle the job's initial cycle? ``auto`` decides from the logs
    first_cycle: str = "auto"
    seed: int = 0
    #: told (done, total) as the runs are recreated
    progress: Callable[[int, int], None] | None = None


@dataclass(frozen=True)
class NotModelled:
    record: LogRecord
    why: str


@dataclass
class ImportResult:
    story: Path
    fixture: Path
    text: str
    total: int
    runs: int
    not_modelled: list[NotModelled]
    #: objects the fixture lacked, created from the logs' source identities
    created: list[str]
    notes: list[str]
    #: the import's own run of the story, compared with the logs (what a replay will print)
    trial: Comparison
    warm_up: bool

    def to_dict(self) -> dict[str, Any]:
        return {"story": str(self.story), "fixture": str(self.fixture), "entries": self.total, "runs": self.runs,
                "notModelled": [{"logId": n.record.id, "entry": n.record.summary(), "why": n.why} for n in self.not_modelled],
                "created": list(self.created), "notes": list(self.notes), "warmUp": self.warm_up,
                "trial": {"reproduced": self.trial.reproduced, "total": self.trial.total}}


def import_logs(logs: LogSet | str | bytes, out: str | Path, options: ImportOptions | None = None) -> ImportResult:
    """Write ``out`` (the story) and ``out``'s ``.tenant.yaml`` (its fixture) from the logs."""
    if not isinstance(logs, LogSet):
        logs = parse_logs(logs)
    return _Importer(logs, Path(out), options or ImportOptions()).run()


# ----------------------------------------------------------------------------------- objects


@dataclass
class _Object:
    """One source object the logs name."""

    kind: str  # User | Group
    log_id: str
    id: str  # the directory id in the story's fixture
    name: str
    records: list[LogRecord] = field(default_factory=list)
    upn: str | None = None
    key: str = ""
    #: in the given fixture already (else created from the logs)
    known: bool = False
    #: the Genesys userName (display name for groups) as the logs last showed it
    target_name: str | None = None


def _upn_of(record: LogRecord, amap: AttributeMap) -> str | None:
    for source in (record.source.details, record.step_details()):
        for key, value in source.items():
            if key.lower() == "userprincipalname" and isinstance(value, str) and "@" in value:
                return value
    if amap.matching and amap.matching[1].lower() == "userprincipalname":
        new = record.modified_map().get(amap.matching[0])
        if new and new[1] and "@" in new[1]:
            return new[1]
    return None


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-") or "object"


# ------------------------------------------------------------------------------------- fixture


def _base_fixture(name: str | None) -> tuple[dict[str, Any], bool]:
    """(fixture, given): the user's fixture, or the demo tenant's tenant, app and org without people."""
    try:
        data = copy.deepcopy(load_fixture(name or "contoso"))
    except FixtureError as err:
        raise IncidentError(f"--fixture: {err}") from err
    data.pop("_path", None)
    if name is not None:
        return data, True
    directory = data.setdefault("directory", {})
    directory["users"], directory["groups"] = [], []
    for app in directory.get("applications") or []:
        app["assignments"] = []
    org = data.setdefault("purecloud", {})
    org["users"] = []
    org["groups"] = []
    return data, False


def _gallery_app(fixture: dict[str, Any]) -> dict[str, Any]:
    apps = (fixture.get("directory") or {}).get("applications") or []
    for app in apps:
        if "purecloud" in str(app.get("template", "")).lower() or "genesys" in str(app.get("displayName", "")).lower():
            return app
    if apps:
        return apps[0]
    raise IncidentError("the fixture has no enterprise application to provision from: use a fixture with the "
                        "PureCloud by Genesys app (contoso, or a `provsim snapshot`)")


def _scim_user(values: dict[str, str | None]) -> dict[str, Any]:
    """A Genesys fixture user (a SCIM create body) from target attributes as logs name them."""
    body: dict[str, Any] = {}
    for attr, value in values.items():
        if value is None:
            continue
        complex_ = re.match(r'^(emails|phoneNumbers)\[type eq "(\w+)"\]\.value$', attr)
        if complex_:
            body.setdefault(complex_.group(1), []).append({"type": complex_.group(2), "value": value})
        elif attr.startswith("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"):
            name = attr.rsplit(":", 1)[1]
            if name != "manager":
                body.setdefault("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", {})[name] = value
        elif attr == "active":
            body["active"] = value.lower() == "true"
        elif attr in ("userName", "displayName", "title", "nickName", "preferredLanguage", "locale", "timezone"):
            body[attr] = value
    return body


# ------------------------------------------------------------------------------------ importer


class _Importer:
    def __init__(self, logs: LogSet, out: Path, options: ImportOptions) -> None:
        self.logs, self.out, self.options = logs, out, options
        self.items: list[StoryItem] = []
        self.not_modelled: list[NotModelled] = []
        self._not_modelled_ids: set[str] = set()
        self.notes: list[str] = list(logs.notes)
        self.objects: dict[tuple[str, str], _Object] = {}
        self.windows: list[dict[str, Any]] = []  # fault rules open across runs
        self.window_kind: str | None = None
        self.pending_comments: list[str] = []
        self.linked: set[tuple[str, str]] = set()
        self.staged: set[tuple[str, str]] = set()
        self.failing: set[tuple[str, str]] = set()
        self.target_of: dict[str, tuple[str, str]] = {}
        #: what Genesys holds for each object, as the logs last showed it
        self.target_values: dict[tuple[str, str], dict[str, str | None]] = {}

    # ---------------------------------------------------------------- classification
    def _classify(self) -> list[LogRecord]:
        modelled = []
        for record in self.logs.records:
            why = None
            if record.source.kind is None:
                why = (f"a {record.source.type or 'nameless'} object: provsim provisions Entra users and groups into "
                       "Genesys")
            elif record.target_system.lower() in ("azure active directory", "microsoft entra id"):
                why = "inbound provisioning (into Entra ID): provsim provisions from Entra into Genesys"
            elif record.action not in ("create", "update", "delete", "disable", "stagedDelete", "other"):
                why = f"provisioningAction {record.action!r} has no meaning provsim knows"
            elif record.status not in ("success", "failure", "skipped", "warning"):
                why = f"status {record.status!r} has no meaning provsim knows"
            elif not record.source.id:
                why = "the entry names no source object (sourceIdentity.id is empty)"
            elif record.source.kind == "Group" and record.action in ("create", "delete"):
                why = (f"a group {record.action}: PureCloud by Genesys never creates or deletes groups (Genesys cannot "
                       "through SCIM), so no job of this app logs one")
            if why:
                self._skip(record, why)
            else:
                modelled.append(record)
        return modelled

    def _skip(self, record: LogRecord, why: str) -> None:
        if record.id in self._not_modelled_ids:
            return
        self._not_modelled_ids.add(record.id)
        self.not_modelled.append(NotModelled(record, why))
        self.pending_comments.append(f"{NOT_MODELLED} {record.id} {record.summary()}: {why}")

    # ---------------------------------------------------------------- the whole import
    def run(self) -> ImportResult:
        records = self._classify()
        runs = group_runs(records)
        fixture, given = _base_fixture(self.options.fixture)
        self.app = _gallery_app(fixture)
        self.amap = self._mappings(self.app)
        self._collect(records)
        cycles = [r for r in runs if not r.on_demand]
        self.warm_up = bool(cycles) and runs[0] is cycles[0] and not self._first_is_initial(cycles)
        self.full_runs: set[str] = {cycles[0].key} if cycles and not self.warm_up else set()
        self.first_cycle_key = cycles[0].key if cycles else None
        if self.warm_up:
            self.linked = {k for k, o in self.objects.items()
                           if o.records[0].action in ("update", "disable", "delete", "stagedDelete")}
        first = runs[0].begin if runs else datetime(2026, 1, 5, 9, tzinfo=UTC)
        start = (first - WARM_UP) if self.warm_up else first
        self.created = self._derive_fixture(fixture, given, runs, start)
        fixture_path = self.out.with_name(self.out.stem + ".tenant.yaml")
        self._write_fixture(fixture, fixture_path)
        self.fixture_path = fixture_path
        self._recreate(runs, fixture_path, start)
        text = self._render(runs, fixture_path)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(text, encoding="utf-8")
        self._check_story()
        simulated = parse_logs_from_docs(self.runner.log_entries)
        trial = compare(self.logs.records, simulated, not_modelled=self._not_modelled_ids)
        self.runner.close()
        return ImportResult(story=self.out, fixture=fixture_path, text=text, total=len(self.logs.records),
                            runs=len(runs), not_modelled=self.not_modelled, created=self.created, notes=self.notes,
                            trial=trial, warm_up=self.warm_up)

    def _mappings(self, app: dict[str, Any]) -> AttributeMap:
        schema = ((app.get("provisioning") or {}).get("schema")) if isinstance(app.get("provisioning"), dict) else None
        if not schema:
            import json

            from simulator.engine import mappings as engine_mappings

            schema = json.loads((Path(engine_mappings.__file__).parent / "schema_purecloud.json").read_text(encoding="utf-8"))
        self.schema = schema
        return user_mappings(schema)

    def _collect(self, records: list[LogRecord]) -> None:
        for record in records:
            kind = record.source.kind
            assert kind is not None
            key = (kind, fixture_id(record.source.id))
            obj = self.objects.get(key)
            if obj is None:
                obj = self.objects[key] = _Object(kind, record.source.id, key[1], record.source.display_name)
            obj.records.append(record)
            obj.name = obj.name or record.source.display_name
            if kind == "User" and obj.upn is None:
                obj.upn = _upn_of(record, self.amap)
            if record.target.id:
                self.target_of[record.target.id] = key

    def _first_is_initial(self, cycles: list[Run]) -> bool:
        choice = self.options.first_cycle
        if choice != "auto":
            return choice == "initial"
        first = {(r.source.kind or "", fixture_id(r.source.id)) for r in cycles[0].records}
        linked_now: set[tuple[str, str]] = set()
        for record in cycles[0].records:
            key = (record.source.kind or "", fixture_id(record.source.id))
            if key not in linked_now and _linked_before(record):
                return False  # the first logged cycle already works on objects provisioned before it
            if record.action == "create" or any(step.type == "matching" for step in record.steps):
                linked_now.add(key)
        for key, obj in self.objects.items():
            head = obj.records[0]
            if head.action in ("update", "disable", "delete", "stagedDelete") and key not in first:
                return False  # an object provisioned before the logs begin: they start mid-life
        return True

    # ---------------------------------------------------------------- the story's fixture
    def _derive_fixture(self, fixture: dict[str, Any], given: bool, runs: list[Run], start: datetime) -> list[str]:
        directory = fixture.setdefault("directory", {})
        users = directory.setdefault("users", [])
        groups = directory.setdefault("groups", [])
        by_upn = {str(u.get("userPrincipalName", "")).lower(): u for u in users}
        by_user_name: dict[str, list[dict[str, Any]]] = {}
        for u in users:
            by_user_name.setdefault(str(u.get("displayName", "")).lower(), []).append(u)
        by_group = {str(g.get("displayName", "")).lower(): g for g in groups}
        keys = {str(x.get("key")) for x in users + groups if x.get("key")}
        created: list[str] = []
        first_run = runs[0].key if runs else None
        roles = {str(r.get("displayName")): r for r in self.app.get("appRoles") or []}
        role = "User" if "User" in roles else next(iter(roles), None)
        assignments = self.app.setdefault("assignments", [])
        tenant = fixture.setdefault("tenant", {})
        domains = tenant.setdefault("verifiedDomains", [])
        org = fixture.setdefault("purecloud", {})
        genesys_users = org.setdefault("users", [])
        genesys_groups = org.setdefault("groups", [])
        genesys_names = {str(u.get("userName", "")).lower() for u in genesys_users}
        genesys_group_names = {str(g.get("name", "")).lower() for g in genesys_groups}
        for key, obj in sorted(self.objects.items(), key=lambda kv: kv[1].records[0].index):
            head = obj.records[0]
            if obj.kind == "User":
                match = by_upn.get((obj.upn or "").lower())
                if match is None and len(by_user_name.get(obj.name.lower(), [])) == 1:
                    match = by_user_name[obj.name.lower()][0]
                if match is not None:
                    obj.known = True
                    match["id"] = obj.id
                    obj.key = str(match.get("key") or match.get("userPrincipalName"))
                    obj.upn = obj.upn or match.get("userPrincipalName")
                    continue
                domain = (obj.upn or "").rpartition("@")[2] or tenant.get("domain") or "contoso.onmicrosoft.com"
                upn = obj.upn or f"{_slug(obj.name)}@{domain}"
                obj.upn = upn
                if domain not in domains and domain != tenant.get("domain"):
                    domains.append(domain)
                obj.key = self._fresh_key(_slug(upn.split("@")[0]), keys)
                user: dict[str, Any] = {"key": obj.key, "id": obj.id, "userPrincipalName": upn,
                                        "displayName": obj.name or upn, "mailNickname": obj.key, "accountEnabled": True}
                start_values, genesys_before = self._start_values(obj)
                for attr, value in start_values.items():
                    source = self.amap.source_of(attr)
                    prop = graph_property(source) if source else None
                    if prop and prop not in ("userPrincipalName",) and value is not None:
                        user[prop] = graph_value(prop, value)
                if head.error_code == "UserDisabled":
                    user["accountEnabled"] = False
                users.append(user)
                created.append(f"user {upn} ({obj.id})")
                in_scope = head.error_code != "NotEffectivelyEntitled" and (
                    head.action != "create" or (head.cycle_id and first_run is not None and not self.warm_up
                                                and any(r is head for r in runs[0].records)))
                if in_scope and role is not None:
                    assignments.append({"principal": obj.key, "role": role})
                if genesys_before and upn.lower() not in genesys_names:
                    genesys_users.append({"displayName": obj.name or upn, **_scim_user(genesys_before),
                                          "userName": genesys_before.get("userName") or upn})
                    genesys_names.add(upn.lower())
            else:
                match = by_group.get(obj.name.lower())
                if match is not None:
                    obj.known = True
                    match["id"] = obj.id
                    obj.key = str(match.get("key") or match.get("displayName"))
                    self._genesys_group_at_start(obj, genesys_groups, genesys_group_names)
                    continue
                obj.key = self._fresh_key(_slug(obj.name), keys)
                groups.append({"key": obj.key, "id": obj.id, "displayName": obj.name or obj.key,
                               "mailNickname": obj.key, "securityEnabled": True, "mailEnabled": False, "members": []})
                created.append(f"group {obj.name} ({obj.id})")
                at_start = runs and any(r is head for r in runs[0].records) and not runs[0].on_demand
                if head.error_code != "NotEffectivelyEntitled" and role is not None and (at_start or self.warm_up):
                    assignments.append({"principal": obj.key, "role": role})
                if head.error_code != "GroupMissingInTarget" and obj.name.lower() not in genesys_group_names:
                    genesys_groups.append({"name": obj.name, "type": "official", "visibility": "public"})
                    genesys_group_names.add(obj.name.lower())
        self._members_from_logs(groups, users, given)
        # Every other object gets a fixed id too: ids the seed would generate could meet the logs' ones.
        for obj in users + groups:
            if not obj.get("id"):
                obj["id"] = fixture_id(f"fixture:{'user' if obj in users else 'group'}:{obj.get('key') or obj.get('displayName')}")
        tenant["start"] = isoformat(start)
        # Tokens live as long as the story: an Unauthorized happens where the logs show one (a fault rule).
        span = int(((runs[-1].end - start).total_seconds() if runs else 0) + 7 * 86400)
        for client in org.get("clients") or []:
            client["tokenLifetimeSeconds"] = max(int(client.get("tokenLifetimeSeconds") or 0), span)
        if isinstance(self.app.get("provisioning"), dict):
            self.fixture_job = self.app.pop("provisioning")
        else:
            self.fixture_job = None
        return created

    def _genesys_group_at_start(self, obj: _Object, genesys_groups: list[dict[str, Any]], names: set[str]) -> None:
        """Genesys holds the group at the start when the logs' first entry for it finds it (and not
        when that entry says it is missing)."""
        head = obj.records[0]
        missing = head.error_code == "GroupMissingInTarget"
        found = head.status == "success" and head.action == "update"
        if found and obj.name.lower() not in names:
            genesys_groups.append({"name": obj.name, "type": "official", "visibility": "public"})
            names.add(obj.name.lower())
            self.notes.append(f"the logs find the Genesys group {obj.name!r} at once: the fixture's Genesys org gets it")
        elif missing and obj.name.lower() in names:
            genesys_groups[:] = [g for g in genesys_groups if str(g.get("name", "")).lower() != obj.name.lower()]
            names.discard(obj.name.lower())
            self.notes.append(f"the logs find no Genesys group {obj.name!r}: the fixture's Genesys org loses it")

    @staticmethod
    def _fresh_key(base: str, keys: set[str]) -> str:
        key, n = base, 2
        while key in keys:
            key, n = f"{base}-{n}", n + 1
        keys.add(key)
        return key

    def _start_values(self, obj: _Object) -> tuple[dict[str, str | None], dict[str, str | None]]:
        """(target attributes as the object's source had them first, Genesys' values before it was linked)."""
        values: dict[str, str | None] = {}
        genesys: dict[str, str | None] = {}
        for record in obj.records:
            for attr, old, new in record.modified:
                if attr in values or attr.lower() in SPECIAL:
                    continue
                first_link = record.action in ("create",) or (record.action == "update" and not self.warm_up
                                                               and record is obj.records[0])
                values[attr] = new if first_link else old
                if record.action == "update" and record is obj.records[0]:
                    genesys[attr] = old
        if obj.records[0].action == "update" and obj.records[0].target.display_name:
            genesys.setdefault("userName", obj.records[0].target.display_name)
        elif genesys and obj.upn:
            genesys.setdefault("userName", obj.upn)
        return values, genesys

    def _members_from_logs(self, groups: list[dict[str, Any]], users: list[dict[str, Any]], given: bool) -> None:
        """Groups created from the logs get the members their first whole-membership update added."""
        by_key = {(o.kind, o.id): o for o in self.objects.values()}
        del by_key
        for obj in self.objects.values():
            if obj.kind != "Group" or obj.known:
                continue
            group = next(g for g in groups if g.get("key") == obj.key)
            for record in obj.records:
                added = record.step_details().get("Added")
                if record.modified_map().get("members") and added:
                    for target_id in added.split(","):
                        member = self.target_of.get(target_id.strip())
                        if member is not None and member in self.objects:
                            group["members"].append(self.objects[member].key)
                    break

    def _write_fixture(self, fixture: dict[str, Any], path: Path) -> None:
        from simulator.graph.cli import write_fixture

        path.parent.mkdir(parents=True, exist_ok=True)
        write_fixture(fixture, path)
        header = (f"# The tenant of the story {self.out.name}, written by `provsim incident import`: "
                  + ("the given fixture" if self.options.fixture else "the demo tenant's app and Genesys org")
                  + " with the objects the logs name\n# (their log ids kept) and a start time at the logs' first run.\n")
        path.write_text(header + path.read_text(encoding="utf-8"), encoding="utf-8")

    # ---------------------------------------------------------------- running the story
    def _recreate(self, runs: list[Run], fixture_path: Path, start: datetime) -> None:
        from simulator.scenario.model import Scenario
        from simulator.scenario.runner import ScenarioRunner

        scenario = Scenario(name=self.out.stem, description="", tenant=str(fixture_path), seed=self.options.seed,
                            steps=[], path=self.out, tenant_path=fixture_path)
        self.runner = ScenarioRunner(scenario)
        self.runtime = self.runner.runtime
        self.directory = self.runtime.services["directory"]
        self._plan_actions(runs)
        self._configure(runs)
        started = False
        for n, run in enumerate(runs, 1):
            if self.options.progress:
                self.options.progress(n, len(runs))
            if self.warm_up and not started and not run.on_demand:
                self._step("start", {}, title=f"Warm-up: an initial cycle at {_clock(start)}, the day before the logs "
                                                "begin (its entries are not compared)")
                started = True
            self._advance_to(run.begin - DUE_TOLERANCE)
            self._close_windows(run)
            self.pending_comments.append(f"--- {run.label()} (cycleId {run.records[0].cycle_id or '-'})")
            self._flush_comments()
            self._changes_before(run)
            targeted = self._faults_for(run)
            if run.on_demand:
                self._on_demand(run)
            else:
                if not started:
                    self._advance_to(run.begin)
                    self._step("start", {}, title=f"Provisioning status: On ({_clock(run.begin)}, the first logged cycle)")
                    started = True
                else:
                    self._schedule(run)
                self._advance_to(run.end + timedelta(milliseconds=1), title=f"{run.label()} (as logged)")
            self._after(run, targeted)
        self._flush_comments()

    def _configure(self, runs: list[Run]) -> None:
        args: dict[str, Any] = {}
        staged = [r for r in self.logs.records if r.action == "stagedDelete" and r.id not in self._not_modelled_ids]
        if staged:
            numbers = [int(m.group(1)) for r in staged if (m := _THRESHOLD.search(r.reason))]
            per_run: dict[str, int] = {}
            for r in staged:
                per_run[r.cycle_id] = per_run.get(r.cycle_id, 0) + 1
            args["delete_threshold"] = min(numbers) if numbers else max(1, min(per_run.values()) - 1)
        job = self.fixture_job or {}
        secrets = {str(s.get("key")): s.get("value") for s in job.get("secrets") or [] if isinstance(s, dict)}
        if str(secrets.get("SyncAll", "")).lower() == "true":
            args["scope"] = "all"
        if str(secrets.get("SkipOutOfScopeDeletions", "")).lower() == "true" or any(
                "SkipOutOfScopeDeletions" in r.reason for r in self.logs.records):
            args["skip_out_of_scope_deletions"] = True
        self._step("configure", args, title="The provisioning job: PureCloud by Genesys gallery template"
                   + (f", accidental-deletion threshold {args['delete_threshold']} (the logs staged deletions)"
                      if "delete_threshold" in args else ""))
        edits = self._schema_edits(job.get("schema"))
        edits.update(getattr(self, "schema_after", {}).get("", {}))
        if edits:
            self._step("schema", edits, title="The fixture's job: its attribute mappings, scoping filters and object actions")

    def _plan_actions(self, runs: list[Run]) -> None:
        """Target object actions the logs show switched off ("the 'Delete' target object action is off"):
        saved (which restarts provisioning) at the last run before the first such entry that evaluates
        everything again, else right after the run before it."""
        self.schema_at: dict[str, dict[str, Any]] = {}
        self.schema_after: dict[str, dict[str, Any]] = {}
        first: dict[str, datetime] = {}
        names = {"Create": "create", "Update": "update", "Delete": "delete"}
        for r in self.logs.records:
            found = re.search(r"the '(Create|Update|Delete)' target object action is off for (user|group)s", r.reason)
            if found:
                first.setdefault(f"{found.group(2)}:{names[found.group(1)]}", r.at)
        floor = runs[0].begin if runs else None
        for what, when in sorted(first.items(), key=lambda kv: kv[1]):
            kind, action = what.split(":")
            edit = {("user_actions" if kind == "user" else "group_actions"): {action: False}}
            before = [r for r in runs if r.end < when and (floor is None or r.begin > floor) and not r.on_demand]
            saving = next((r for r in reversed(before) if self._reannounces(r)), None)
            if saving is not None:
                target = self.schema_at.setdefault(saving.key, {})
                floor = saving.begin
            elif before:
                target = self.schema_after.setdefault(before[-1].key, {})
            else:
                target = self.schema_after.setdefault("", {})
            for key, value in edit.items():
                target.setdefault(key, {}).update(value)

    def _reannounces(self, run: Run) -> bool:
        """Does the run say again what only a full cycle says again (a skip repeated without a change)?"""
        seen: set[tuple[str, str | None]] = set()
        for record in self.logs.records:
            if record.at >= run.begin:
                break
            if record.error_code in ("UserDisabled", "GroupMissingInTarget"):
                seen.add((record.source.id, record.error_code))
        return any((r.source.id, r.error_code) in seen for r in run.records)

    def _schema_edits(self, schema: Any) -> dict[str, Any]:
        """The ``schema`` step that turns the template into the fixture job's schema, and the target
        object actions the logs show switched off."""
        edits: dict[str, Any] = {}
        if not isinstance(schema, dict):
            return edits
        template = user_mappings(self._template_schema())
        for object_name, key, scope_key in (("User", "mappings", "user_scope"), ("Group", "group_mappings", "group_scope")):
            mapping = next((om for rule in schema.get("synchronizationRules") or [] for om in rule.get("objectMappings") or []
                            if str(om.get("sourceObjectName", "")).lower() == object_name.lower()), None)
            if mapping is None:
                continue
            if mapping.get("scope"):
                edits[scope_key] = mapping["scope"]
            base = template if object_name == "User" else user_mappings(self._template_schema(), "Group")
            changes = []
            seen = set()
            for am in mapping.get("attributeMappings") or []:
                target = am.get("targetAttributeName")
                seen.add(target)
                source = am.get("source") or {}
                expression = str(source.get("expression") or "")
                plain = str(source.get("type")) == "Attribute" or (expression.startswith("[") and expression.endswith("]")
                                                                   and "[" not in expression[1:])
                name = source.get("name") or expression.strip("[]")
                if plain and base.sources.get(target) == name:
                    continue
                if not plain and base.expressions.get(target) == expression:
                    continue
                change = {"target": target, **({"source": name} if plain else {"expression": expression})}
                if am.get("matchingPriority"):
                    change["matchingPriority"] = am["matchingPriority"]
                changes.append(change)
            for target in list(base.sources) + list(base.expressions):
                if target not in seen and target == target.strip() and target not in [c["target"] for c in changes] \
                        and target in {am.get("targetAttributeName") for am in self._template_mappings(object_name)}:
                    changes.append({"target": target, "remove": True})
            if changes:
                edits[key] = changes
        return edits

    def _template_schema(self) -> dict[str, Any]:
        import json

        from simulator.engine import mappings as engine_mappings

        return json.loads((Path(engine_mappings.__file__).parent / "schema_purecloud.json").read_text(encoding="utf-8"))

    def _template_mappings(self, object_name: str) -> list[dict[str, Any]]:
        for rule in self._template_schema().get("synchronizationRules") or []:
            for om in rule.get("objectMappings") or []:
                if str(om.get("sourceObjectName", "")).lower() == object_name.lower():
                    return list(om.get("attributeMappings") or [])
        return []

    # steps ------------------------------------------------------------------------------------
    def _flush_comments(self) -> None:
        if self.pending_comments:
            self.items.append(StoryItem(None, comments=self.pending_comments))
            self.pending_comments = []

    def _step(self, verb: str, args: Any, *, title: str | None = None, comment: str | None = None) -> bool:
        """Run one step now and keep it for the story; False (and a comment instead) when the simulator refused it."""
        from simulator.scenario.model import Step

        if comment:
            self.pending_comments.append(comment)
        step = Step(verb, copy.deepcopy(args), title, len([i for i in self.items if i.verb]) + 1)
        outcome = self.runner.run_step(step)
        if outcome.failure == "error":
            self.pending_comments.append(f"(left out: {verb} {args!r} was refused: {'; '.join(outcome.problems)})")
            self.notes.append(f"a step was left out: {verb}: {'; '.join(outcome.problems)}")
            return False
        item = StoryItem(verb, args, title, self.pending_comments)
        self.pending_comments = []
        self.items.append(item)
        return True

    def _now(self) -> datetime:
        return self.runtime.clock.now()

    def _advance_to(self, when: datetime, *, title: str | None = None) -> None:
        gap = when - self._now()
        if gap <= timedelta(0):
            if title is None:
                return
            gap = timedelta(milliseconds=1)
        self._step("advance", _duration(gap), title=title)

    def _job_id(self) -> str:
        return str(self.runner.job_id)

    def _due(self) -> datetime | None:
        job = self._job_id()
        for scheduled in self.runtime.clock.pending():
            if job in scheduled.name:
                return scheduled.due
        return None

    def _schedule(self, run: Run) -> None:
        """Make the job run a cycle at ``run.begin`` when its own schedule would not: an admin restarted
        provisioning (a full cycle: what the run shows says which reset scope), or started it."""
        due = self._due()
        if due is not None and abs(due - run.begin) <= DUE_TOLERANCE and not (
                self.warm_up and run.key == self.first_cycle_key and self._reset_scope(run) in ("", "Full")):
            return
        self._advance_to(run.begin)
        when = "not scheduled" if due is None else f"scheduled for {_clock(due)}"
        if run.key in self.schema_at:
            edits = self.schema_at[run.key]
            self._step("schema", edits, title=f"Target object actions changed at {_clock(run.begin)} (saving the "
                                              "mappings restarts provisioning)",
                       comment="the logs show a cycle that evaluates everything again here, and later entries skipped "
                               "because a target object action is off: the admin saved the change here")
            self.full_runs.add(run.key)
            return
        scope = self._reset_scope(run)
        if scope is None:
            self._step("start", {}, title=f"Provisioning started at {_clock(run.begin)}",
                       comment=f"the logs show an incremental cycle at {_clock(run.begin)}; the simulated job's next "
                               f"cycle was {when}: an admin started provisioning (or it was paused until then)")
            return
        self._step("restart", scope or {}, title=f"Restart provisioning at {_clock(run.begin)}"
                   + (f" (resetScope {scope})" if scope else ""),
                   comment=f"the logs show a cycle at {_clock(run.begin)} that evaluates every object again; the "
                           f"simulated job's next cycle was {when}: an admin restarted provisioning")
        self.full_runs.add(run.key)

    def _reset_scope(self, run: Run) -> str | None:
        """None: not a restart (an incremental cycle); "": the portal's restart; else a resetScope."""
        seen_before: dict[tuple[str, str], set[tuple[str, str, str | None]]] = {}
        for record in self.logs.records:
            if record.at >= run.begin:
                break
            seen_before.setdefault((record.source.kind or "", fixture_id(record.source.id)), set()).add(
                (record.action, record.status, record.error_code))
        rematched = announced = force = False
        for record in run.records:
            key = (record.source.kind or "", fixture_id(record.source.id))
            if key in self.staged and record.action in ("disable", "delete"):
                force = True
            if key in self.linked and record.status == "success" and record.action == "update" and not record.modified:
                rematched = True  # matched again: the connector data store was cleared
            if key in self.linked and record.error_code == "EntrySynchronizationSkipped" \
                    and "target object action" not in record.reason:
                rematched = True
            if record.error_code in ("UserDisabled", "GroupMissingInTarget") and (
                    (record.action, record.status, record.error_code) in seen_before.get(key, set()) or key not in seen_before):
                announced = True  # only a full cycle says it (again) without a change
        if force:
            return "ForceDeletes"
        if rematched:
            return "Full"
        if announced:
            return ""
        # Escrowed changes sent again, nothing evaluated anew: the quarantine was lifted, watermark and
        # escrows kept.
        retried = self._retried(run)
        return "QuarantineState" if any(r.id in retried for r in run.records) else None

    def _retried(self, run: Run) -> set[str]:
        """Entries of objects whose previous entry failed: escrowed changes a restart sends again."""
        out = set()
        last: dict[tuple[str, str], LogRecord] = {}
        for record in self.logs.records:
            key = (record.source.kind or "", fixture_id(record.source.id))
            if record.cycle_id == run.records[0].cycle_id and key in last and last[key].status == "failure":
                out.add(record.id)
            if record.at < run.begin:
                last[key] = record
        return out

    def _on_demand(self, run: Run) -> None:
        self._advance_to(run.begin)
        groups = [r for r in run.records if r.source.kind == "Group"]
        subject = groups[-1] if groups else run.records[0]
        obj = self.objects[(subject.source.kind or "", fixture_id(subject.source.id))]
        ref = "${user:%s}" % obj.key if obj.kind == "User" else "${group:%s}" % obj.key
        args: dict[str, Any] = {"object_id": ref}
        if obj.kind == "Group":
            args["type"] = "Group"
        self._step("provision_on_demand", args, title=f"{run.label()} (as logged)")

    # source changes ----------------------------------------------------------------------------
    def _changes_before(self, run: Run) -> None:
        full = run.key in self.full_runs or (not self.warm_up and run is self._first_cycle(run))
        groups = [r for r in run.records if r.source.kind == "Group"]
        users = [r for r in run.records if r.source.kind == "User"]
        done: set[tuple[str, str]] = set()
        for record in groups:
            self._group_scope(record, run)
        for record in users:
            key = ("User", fixture_id(record.source.id))
            if key in done and record.action != "create":
                self._user_changes(record, run, full, repeat=True)
                continue
            done.add(key)
            self._user_changes(record, run, full)
        for record in groups:
            self._group_members(record, run, full)

    def _first_cycle(self, run: Run) -> Run | None:
        return run if not run.on_demand and run.key in self.full_runs else None

    def _obj(self, record: LogRecord) -> _Object:
        return self.objects[(record.source.kind or "", fixture_id(record.source.id))]

    def _user_ref(self, obj: _Object) -> str:
        return "${user:%s}" % obj.key

    def _sim_user(self, obj: _Object) -> dict[str, Any] | None:
        return self.directory.get_user(obj.id)

    def _in_scope(self, obj: _Object) -> bool:
        return bool(self._assigned_directly(obj) or self._assigned_groups(obj))

    def _sp_id(self) -> str:
        return str(self.runner.client.service_principal_id())

    def _assigned_directly(self, obj: _Object) -> bool:
        return bool(self.directory.assignments_for_principal(obj.id, self._sp_id()))

    def _assigned_groups(self, obj: _Object) -> list[dict[str, Any]]:
        out = []
        for group in self.directory.member_of(obj.id):
            gid = group.get("id") if isinstance(group, dict) else None
            if gid and self.directory.assignments_for_principal(gid, self._sp_id()):
                out.append(group)
        return out

    def _group_key(self, group_id: str) -> str:
        """``${group:KEY}`` for a directory group (every fixture group has a key)."""
        keys = self.runtime.store.meta().get("fixture_keys") or {}
        key = next((k for k, v in sorted(keys.items()) if v == group_id), None)
        return "${group:%s}" % key if key else group_id

    def _user_changes(self, record: LogRecord, run: Run, full: bool, *, repeat: bool = False) -> None:
        obj = self._obj(record)
        key = (obj.kind, obj.id)
        code = record.error_code
        if record.action == "create":
            self._bring_into_scope(obj, record, run)
            if record.status == "success":
                self._attribute_changes(obj, record, creating=True)
            return
        if record.action in ("disable", "stagedDelete") or (
                record.action == "update" and (record.modified_map().get("active") or (None, None))[1] == "False"):
            self._leave(obj, record, run)
            return
        if record.action == "delete":
            self._hard_delete(obj, record)
            return
        if record.action == "update":
            active = record.modified_map().get("active")
            if active and active[1] == "True" and active[0] == "False":
                self._bring_into_scope(obj, record, run)
            if key not in self.linked and full:
                self._attribute_changes(obj, record, creating=True)  # matched: Entra holds the new values
                return
            self._genesys_drift(obj, record)
            if record.status == "failure" and not record.modified:
                self._failed_change(obj, record, run)
                return
            if code == "EntrySynchronizationSkipped" and not record.modified and "target object action is off" in record.reason:
                self._failed_change(obj, record, run)
                return
            self._attribute_changes(obj, record, creating=False)
            return
        if record.action == "other":
            if code == "UserDisabled":
                user = self._sim_user(obj)
                if user is not None and user.get("accountEnabled", True) and key in self.linked:
                    self._step("graph", {"method": "PATCH", "path": f"/users/{self._user_ref(obj)}",
                                         "body": {"accountEnabled": False}},
                               comment=f"log {record.id}: {obj.upn} is disabled in Entra")
            elif code in (None, "", "NotEffectivelyEntitled", "RedundantExport", "EntrySynchronizationSkipped"):
                return
            elif record.status == "failure" and code in FAULT_STATUS | {"WebExceptionProtocolError": 0}:
                return  # a failure of the object itself: its fault rule comes with the run's faults
            else:
                self._skip(record, f"no source change or fault gives {code!r}")

    def _bring_into_scope(self, obj: _Object, record: LogRecord, run: Run) -> None:
        """The user must be in scope and enabled (a create, or a re-enable)."""
        if self.directory.get_user(obj.id) is None and self.directory.get_deleted(obj.id) is not None:
            self._step("graph", {"method": "POST", "path": f"/directory/deletedItems/{obj.id}/restore"},
                       comment=f"log {record.id}: {obj.upn} comes back: restored from the deleted items")
        user = self._sim_user(obj)
        if user is None:
            self._skip(record, f"{obj.upn} is not in the story's directory")
            return
        if not user.get("accountEnabled", True):
            self._step("graph", {"method": "PATCH", "path": f"/users/{self._user_ref(obj)}", "body": {"accountEnabled": True}},
                       comment=f"log {record.id}: {obj.upn} is enabled in Entra")
        if self._in_scope(obj):
            return
        added_to = self._group_adding(obj, run)
        if added_to is not None:
            self._step("graph", {"method": "POST", "path": f"/groups/{added_to}/members/$ref",
                                 "body": {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{obj.id}"}},
                       comment=f"log {record.id}: {obj.upn} joins an assigned group (the group's update adds them)")
            if self._in_scope(obj):
                return
        self._step("assign", {"principal": self._user_ref(obj)},
                   comment=f"log {record.id}: {obj.upn} comes into scope: assigned to the app")

    def _group_adding(self, obj: _Object, run: Run) -> str | None:
        """An assigned group whose update in this run adds the user (by its target id)."""
        targets = {r.target.id for r in obj.records if r.target.id}
        for record in run.records:
            if record.source.kind != "Group":
                continue
            added = [t.strip() for t in record.step_details().get("Added", "").split(",") if t.strip()]
            if targets & set(added):
                group = self.objects[("Group", fixture_id(record.source.id))]
                if self.directory.get_group(group.id) and self.directory.assignments_for_principal(group.id, self._sp_id()):
                    if not self.directory.is_member(group.id, obj.id):
                        return "${group:%s}" % group.key
        return None

    def _leave(self, obj: _Object, record: LogRecord, run: Run) -> None:
        """A disable (or one the guard held back): why did the user leave?"""
        text = " ".join([s.description for s in record.steps] + [record.reason]).lower()
        details = {k.lower(): v.lower() for k, v in record.step_details().items()}
        user = self._sim_user(obj)
        if "change of type (delete)" in text or "deleted in entra" in text or "soft-deleted" in text:
            if user is not None:
                self._step("graph", {"method": "DELETE", "path": f"/users/{self._user_ref(obj)}"},
                           comment=f"log {record.id}: {obj.upn} is deleted in Entra (a soft delete)")
            return
        if user is None:
            return
        disabled = details.get("accountenabled") == "false" or "isactive" in text or "is disabled" in text \
            or details.get("isactive") == "false" or details.get("active in the source system") == "false"
        unassigned = "not assigned" in text or details.get("assigned") == "false" \
            or details.get("assigned to the application") == "false"
        if disabled:
            if user.get("accountEnabled", True):
                self._step("graph", {"method": "PATCH", "path": f"/users/{self._user_ref(obj)}",
                                     "body": {"accountEnabled": False}},
                           comment=f"log {record.id}: {obj.upn} is disabled in Entra")
            return
        if unassigned or not disabled:
            if not self._in_scope(obj):
                return  # already out (the group it came through left the app in this run)
            if not unassigned and "scopingfilter" in text.replace(" ", ""):
                self._skip(record, "the user left the scoping filter; the logs do not say which attribute changed")
                return
            if self._assigned_directly(obj):
                self._step("unassign", {"principal": self._user_ref(obj)},
                           comment=f"log {record.id}: {obj.upn} is removed from the app")
            for group in self._assigned_groups(obj):
                self._step("graph", {"method": "DELETE",
                                     "path": f"/groups/{self._group_key(group['id'])}/members/{obj.id}/$ref"},
                           comment=f"log {record.id}: {obj.upn} leaves {group.get('displayName')} (assigned to the app)")

    def _hard_delete(self, obj: _Object, record: LogRecord) -> None:
        if self._sim_user(obj) is not None:
            self._step("graph", {"method": "DELETE", "path": f"/users/{self._user_ref(obj)}"},
                       comment=f"log {record.id}: {obj.upn} is deleted in Entra ...")
        if self.directory.get_deleted(obj.id) is not None:
            self._step("graph", {"method": "DELETE", "path": f"/directory/deletedItems/{obj.id}", "expect_status": [204, 404]},
                       comment=f"log {record.id}: ... and purged from the deleted items (a hard delete)")

    def _attribute_changes(self, obj: _Object, record: LogRecord, *, creating: bool) -> None:
        user = self._sim_user(obj)
        if user is None:
            return
        body: dict[str, Any] = {}
        said: list[str] = []
        for attr, old, new in record.modified:
            lowered = attr.lower()
            if lowered.endswith(":manager") or lowered == "manager":
                self._manager_change(obj, record, new, creating=creating)
                continue
            if lowered in SPECIAL:
                continue
            source = self.amap.source_of(attr)
            prop = graph_property(source) if source else None
            if prop is None:
                if not creating:
                    self._skip(record, self.amap.why_not(attr) if source is None else
                               f"{attr} comes from the Entra attribute {source}, which Microsoft Graph does not expose")
                continue
            if _current(user, source or prop) == (new or None):
                continue
            body[prop] = graph_value(prop, new)
            said.append(f"{attr} {old!r} -> {new!r}")
        if body:
            self._step("graph", {"method": "PATCH", "path": f"/users/{self._user_ref(obj)}", "body": body},
                       comment=f"log {record.id}: " + "; ".join(said))

    def _manager_change(self, obj: _Object, record: LogRecord, new: str | None, *, creating: bool) -> None:
        user = self._sim_user(obj)
        current = (self.directory.manager_of(obj.id) or {}).get("id") if user is not None else None
        if not new and record.status == "warning":
            self._unprovisioned_manager(obj, record, current)
            return
        if not new:
            if current and not creating:
                self._step("graph", {"method": "DELETE", "path": f"/users/{self._user_ref(obj)}/manager/$ref"},
                           comment=f"log {record.id}: {obj.upn} has no manager any more")
            return
        manager = self.target_of.get(new)
        if manager is None or manager not in self.objects:
            if not creating:
                self._skip(record, f"the new manager ({new}) is a Genesys user the logs never link to an Entra user")
            return
        target = self.objects[manager]
        if current == target.id:
            return
        self._step("graph", {"method": "PUT", "path": f"/users/{self._user_ref(obj)}/manager/$ref",
                             "body": {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{target.id}"}},
                   comment=f"log {record.id}: {obj.upn}'s manager is {target.upn or target.name}")

    def _genesys_drift(self, obj: _Object, record: LogRecord) -> None:
        """An update whose old value is not what the service last wrote: someone changed it in Genesys."""
        known = self.target_values.get((obj.kind, obj.id)) or {}
        drift = [(attr, old) for attr, old, _new in record.modified
                 if attr in known and known[attr] != old and attr.lower() not in SPECIAL
                 and not attr.lower().endswith(":manager")]
        name = self._target_name(obj, record)
        if not drift or name is None:
            return
        operations = [{"op": "replace", "path": attr, "value": old} for attr, old in drift]
        self._step("genesys", {"method": "PATCH", "path": "/Users/${genesys_user:%s}" % name,
                               "body": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                        "Operations": operations}},
                   comment=f"log {record.id}: Genesys held " + ", ".join(f"{a} {o!r}" for a, o in drift)
                           + ", not what provisioning last wrote: changed by hand in Genesys")
        for attr, old in drift:
            known[attr] = old

    def _unprovisioned_manager(self, obj: _Object, record: LogRecord, current: str | None) -> None:
        """A warning that drops the manager reference: the new manager is not provisioned.  Who it is,
        a later entry may tell (the reference set once the manager is in Genesys)."""
        for later in obj.records:
            if later.at <= record.at:
                continue
            change = next(((old, new) for attr, old, new in later.modified if attr.lower().endswith("manager")), None)
            if change and change[1]:
                manager = self.target_of.get(change[1])
                if manager in self.objects and self.objects[manager].id != current:
                    target = self.objects[manager]
                    self._step("graph", {"method": "PUT", "path": f"/users/{self._user_ref(obj)}/manager/$ref",
                                         "body": {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{target.id}"}},
                               comment=f"log {record.id}: {obj.upn}'s new manager, {target.upn or target.name}, is not "
                                       "provisioned yet (a later entry links them)")
                    return
                break
        self._skip(record, "the manager reference was dropped for a manager who is not provisioned; the logs never "
                           "say who the manager is")

    def _failed_change(self, obj: _Object, record: LogRecord, run: Run) -> None:
        """A failed update whose change the entry does not show: the change the object's next
        successful update shows, or (none) a placeholder change that makes the service send one."""
        key = (obj.kind, obj.id)
        if key in self.failing:
            return  # the same change, retried
        later = [r for r in obj.records if r.at > record.at]
        for nxt in later:
            if nxt.status == "success" and nxt.modified:
                self._attribute_changes(obj, nxt, creating=False)
                self.failing.add(key)
                return
            if nxt.status == "success":
                break
        user = self._sim_user(obj)
        target = next((t for t, s in self.amap.sources.items() if graph_property(s) in ("jobTitle", "department")
                       and t == t), None)
        prop = graph_property(self.amap.sources[target]) if target else None
        if user is None or prop is None:
            self._skip(record, "the entry does not say what was to change, and the mapping offers no attribute to change")
            return
        self._step("graph", {"method": "PATCH", "path": f"/users/{self._user_ref(obj)}",
                             "body": {prop: f"{user.get(prop) or ''} (changed)".strip()}},
                   comment=f"log {record.id}: the logs do not say what changed for {obj.upn}: a placeholder change "
                           f"to {prop} makes the service send the update that failed")
        self.failing.add(key)

    def _group_scope(self, record: LogRecord, run: Run) -> None:
        obj = self._obj(record)
        group = self.directory.get_group(obj.id)
        if group is None:
            self._skip(record, f"the group {obj.name} is not in the story's directory")
            return
        assigned = bool(self.directory.assignments_for_principal(obj.id, self._sp_id()))
        if record.error_code != "NotEffectivelyEntitled" and not assigned:
            self._step("assign", {"principal": "${group:%s}" % obj.key},
                       comment=f"log {record.id}: the group {obj.name} comes into scope: assigned to the app")
            return
        if record.error_code == "NotEffectivelyEntitled" and assigned:
            self._step("unassign", {"principal": "${group:%s}" % obj.key},
                       comment=f"log {record.id}: the group {obj.name} is removed from the app")
            return
        if record.status == "success" and record.action == "update" and (obj.kind, obj.id) not in self.linked:
            names = {str(g.get("displayName", "")).lower() for g in self.runner.genesys_state("Groups")}
            if obj.name.lower() not in names and run.key not in self.full_runs:
                self._step("genesys", {"api": "platform", "method": "POST", "path": "/groups",
                                       "body": {"name": obj.name, "type": "official", "visibility": "public",
                                                "rulesVisible": True}},
                           comment=f"log {record.id}: a Genesys admin creates the group {obj.name} (the next cycle links it)")

    def _group_members(self, record: LogRecord, run: Run, full: bool) -> None:
        obj = self._obj(record)
        members = record.modified_map().get("members")
        if not members or record.status != "success":
            return
        if full or (obj.kind, obj.id) not in self.linked:
            return  # the whole membership, from the directory as it is
        details = record.step_details()
        for op, listed in (("add", details.get("Added", "")), ("remove", details.get("Removed", ""))):
            for target_id in [t.strip() for t in listed.split(",") if t.strip()]:
                member = self.target_of.get(target_id)
                if member is None or member not in self.objects:
                    self._skip(record, f"a member ({target_id}) the logs never link to an Entra user")
                    continue
                user = self.objects[member]
                present = self.directory.is_member(obj.id, user.id)
                if op == "add" and not present:
                    self._step("graph", {"method": "POST", "path": "/groups/${group:%s}/members/$ref" % obj.key,
                                         "body": {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user.id}"}},
                               comment=f"log {record.id}: {user.upn} is added to {obj.name}")
                elif op == "remove" and present:
                    self._step("graph", {"method": "DELETE", "path": "/groups/${group:%s}/members/%s/$ref" % (obj.key, user.id)},
                               comment=f"log {record.id}: {user.upn} is removed from {obj.name}")

    # faults -------------------------------------------------------------------------------------
    def _failures(self, run: Run) -> list[LogRecord]:
        return [r for r in run.records if r.status == "failure" and r.id not in self._not_modelled_ids]

    def _all_failed(self, run: Run) -> bool:
        failures = self._failures(run)
        return bool(failures) and all(r.status in ("failure", "skipped") for r in run.records) and all(
            (r.error_code or "") in SERVICE_CODES for r in failures)

    def _faults_for(self, run: Run) -> list[dict[str, Any]]:
        """Open an outage window, or add one-shot rules for this run's failures; the one-shot rules."""
        failures = self._failures(run)
        if not failures:
            return []
        if self._all_failed(run) and not run.on_demand:
            if self.windows and self.windows[0] != self._window_rule(failures[0]):
                self._step("clear_faults", {}, title=f"The outage changes: {self.window_kind} until now, "
                                                     f"{failures[0].error_code} from {_clock(run.begin)}")
                self.windows = []
            if not self.windows:
                rule = self._window_rule(failures[0])
                self.windows = [rule]
                self.window_kind = failures[0].error_code
                self._step("fault", rule, title=f"Genesys fails every request from {_clock(run.begin)} "
                                               f"({failures[0].error_code}, as logged)",
                           comment="every entry of this run failed: an outage window, open until the first run that "
                                   "succeeds again")
            return []
        rules = []
        for record in failures:
            rule = self._one_shot(record, run)
            if rule is None:
                continue
            if self._step("fault", rule, comment=f"log {record.id}: {record.summary()}"):
                rules.append(rule)
        return rules

    def _status_and_method(self, record: LogRecord) -> tuple[int | None, str | None, str | None]:
        found = _DETAILS.match(record.additional_details.strip())
        status = method = path = None
        if found:
            method, path = found.group(1).upper(), found.group(2)
            status = int(found.group(3)) if found.group(3).isdigit() else None
        step_status = record.step_details().get("StatusCode")
        if status is None and step_status and step_status.isdigit():
            status = int(step_status)
        if status is None:
            text = _HTTP_STATUS.search(record.reason)
            status = int(text.group(1)) if text else FAULT_STATUS.get(record.error_code or "")
        if path and "://" in path:
            path = "/" + path.split("://", 1)[1].split("/", 1)[1] if "/" in path.split("://", 1)[1] else "/"
        return status, method, path

    def _effect(self, record: LogRecord, status: int | None) -> dict[str, Any] | None:
        if record.error_code == "WebExceptionProtocolError":
            return {"drop": True}
        if record.error_code == "TooManyRequests":
            return {"status": 429, "headers": {"Retry-After": "1"}}
        if status is None:
            return None
        return {"status": status}

    def _window_rule(self, record: LogRecord) -> dict[str, Any]:
        status, method, _path = self._status_and_method(record)
        effect = self._effect(record, status) or {"status": 503}
        rule: dict[str, Any] = {"path": f"{SCIM}/*"}
        if record.error_code == "SystemForCrossDomainIdentityManagementServiceIncompatible":
            rule["method"] = "GET"
        rule.update(effect)
        rule["note"] = f"as logged: {record.error_code}"
        return rule

    def _one_shot(self, record: LogRecord, run: Run) -> dict[str, Any] | None:
        """One rule for one failed request.  A request to an object Genesys already holds is named by its
        path (``${genesys_user:NAME}``); a create, or a write to an object this very run created, is the
        n-th such request of the run (``after``).  A failed lookup before a create is written as a
        failed create: the entry is the same (create, failure, the code), and lookups are not counted
        reliably from logs (the service sends some the logs never show)."""
        status, method, path = self._status_and_method(record)
        effect = self._effect(record, status)
        if effect is None or (record.error_code or "") in STATE_CODES:
            self._skip(record, f"the error {record.error_code!r} has no fault equivalent")
            return None
        obj = self._obj(record)
        kind = "Users" if obj.kind == "User" else "Groups"
        key = (obj.kind, obj.id)
        linked = key in self.linked
        if record.action == "create" or (method == "GET" and path is not None and not linked
                                         and path.rstrip("/").lower().endswith(f"{SCIM}/{kind}".lower())):
            method = "POST"
            rule: dict[str, Any] = {"method": "POST", "path": f"{SCIM}/{kind}",
                                    "after": self._earlier_writes(record, run, "POST")}
        elif linked and (name := self._target_name(obj, record)) is not None:
            method = method or {"delete": "DELETE"}.get(record.action, "PATCH")
            rule = {"method": method,
                    "path": f"{SCIM}/{kind}/${{genesys_{'user' if obj.kind == 'User' else 'group'}:{name}}}"}
        else:
            method = "DELETE" if record.action == "delete" else "PATCH"
            rule = {"method": method, "path": f"{SCIM}/{kind}/*", "after": self._earlier_writes(record, run, method)}
        rule["times"] = 11 if record.error_code == "TooManyRequests" else 1
        if record.error_code == "WebExceptionProtocolError":
            later = [r for r in obj.records if r.at > record.at]
            found = _DETAILS.match(record.additional_details.strip())
            if method == "POST" and later and later[0].action == "update" and found and found.group(1).upper() == "POST":
                effect = {"drop": "after"}  # the create went through; only the answer was lost
        rule.update(effect)
        rule["note"] = f"log {record.id}"
        return rule

    def _earlier_writes(self, record: LogRecord, run: Run, method: str) -> int:
        """How many requests of this method to this kind of object (and not to one Genesys held before
        the run, which has a rule of its own) the run sent before this entry's."""
        count = 0
        kind = record.source.kind
        for earlier in run.records:
            if earlier is record:
                break
            if earlier.source.kind != kind:
                continue
            if method == "POST":
                count += earlier.action == "create"
            elif method == "DELETE":
                count += earlier.action == "delete" and earlier.status in ("success", "failure")
            elif earlier.action in ("update", "disable"):
                found = _DETAILS.match(earlier.additional_details.strip())
                if earlier.status == "success" and earlier.modified or earlier.status == "failure" and (
                        found is None or found.group(1).upper() == "PATCH"):
                    count += 1
        return count

    def _target_name(self, obj: _Object, record: LogRecord) -> str | None:
        if record.target.display_name:
            return record.target.display_name
        if obj.target_name:
            return obj.target_name
        if obj.kind == "Group":
            return obj.name
        return None

    def _close_windows(self, run: Run) -> None:
        """Before a run that did not fail throughout, the outage is over."""
        if not self.windows or (self._all_failed(run) and not run.on_demand):
            return
        kind = self.window_kind
        self.windows = []
        self._step("clear_faults", {}, title=f"Genesys answers again (before the {_clock(run.begin)} run)")
        if kind in ("Unauthorized", "InsufficientRights"):
            self._step("secret_token", {}, title="The admin enters a fresh Secret Token (Test Connection passes)")

    def _after(self, run: Run, targeted: list[dict[str, Any]]) -> None:
        for record in run.records:
            key = (record.source.kind or "", fixture_id(record.source.id))
            obj = self.objects.get(key)
            if obj is not None:
                names = record.modified_map().get("userName") if obj.kind == "User" else None
                if names and names[1] and record.status == "success":
                    obj.target_name = names[1]
                elif record.target.display_name:
                    obj.target_name = record.target.display_name
            if record.status == "success" and record.action in ("create", "update", "disable"):
                values = self.target_values.setdefault(key, {})
                for attr, _old, new in record.modified:
                    values[attr] = new
                self.linked.add(key)
                self.failing.discard(key)
            if record.action == "delete" and record.status == "success":
                self.linked.discard(key)
            if record.action == "stagedDelete":
                self.staged.add(key)
            elif record.action in ("disable", "delete") and record.status == "success":
                self.staged.discard(key)
        if run.key in self.schema_after:
            self._step("schema", self.schema_after[run.key],
                       title="Target object actions changed (saving the mappings restarts provisioning)",
                       comment="later entries are skipped because a target object action is off; the logs show no "
                               "restart for the save, so it is made right after this run")
        if targeted:
            self._step("clear_faults", {}, comment="the one-shot rules of this run are spent or no longer wanted")
            for rule in self.windows:
                self._step("fault", rule)

    # ---------------------------------------------------------------- the file
    def _render(self, runs: list[Run], fixture_path: Path) -> str:
        records = self.logs.records
        span = (f"{_clock(runs[0].begin)} to {_clock(runs[-1].end)}" if runs else "no runs")
        description = (f"Recreated by `provsim incident import` from {Path(self.logs.path).name}: {len(records)} provisioning-log "
                       f"entries in {len(runs)} runs, {span}"
                       + (f"; {len(self.not_modelled)} not modelled (comments below)" if self.not_modelled else "")
                       + ".\nReplay it against the logs with `provsim incident replay "
                       + f"{self.out.name} --logs {Path(self.logs.path).name}`; edit it (a mapping, the guard, a shorter "
                       "outage) and replay to see what would have changed.")
        header = [f"Written by `provsim incident import {Path(self.logs.path).name}`"
                  + (f" --fixture {self.options.fixture}" if self.options.fixture else "") + ".",
                  "Each run of the logs is an `advance` step titled with what the logs show; before it, the changes",
                  "and fault rules the logs imply, each with the log entry it comes from. Entries it could not model",
                  f"are `# {NOT_MODELLED} <logId>` comments (counted by the replay)."]
        if self.warm_up:
            header.append("The logs begin mid-life: a warm-up initial cycle, a day earlier, provisions the objects first.")
        return render_story(name=_slug(self.out.stem), description=description, tenant=fixture_path.name,
                            seed=self.options.seed, header=header, items=self.items)

    def _check_story(self) -> None:
        from simulator.scenario.errors import ScenarioInvalid
        from simulator.scenario.model import load_scenario

        try:
            load_scenario(self.out)
        except ScenarioInvalid as err:  # a bug of the importer's, never the user's: say so plainly
            raise IncidentError(f"the story written to {self.out} does not pass the scenario checks (a provsim bug, "
                                f"please report it):\n{err}") from err


# ----------------------------------------------------------------------------------- helpers


def _linked_before(record: LogRecord) -> bool:
    """Does the entry show an object provisioned before it (not created or matched by it)?"""
    if record.action in ("disable", "delete", "stagedDelete"):
        return True
    if record.action != "update" or record.source.kind is None:
        return False
    matched = any(step.type == "matching" for step in record.steps)
    if not matched and re.search(r"/(Users|Groups)/[^/?\s]+", record.additional_details):
        return True  # a request to the object's own path: Genesys held it already
    for attr, old, _new in record.modified:
        lowered = attr.lower()
        if lowered == "members":
            if old and not old.startswith("0 "):
                return True
        elif old is not None and (lowered.endswith("manager") or not matched):
            return True
    return False


def _clock(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _duration(delta: timedelta) -> str:
    ms = int(round(delta.total_seconds() * 1000))
    days, rest = divmod(ms, 86_400_000)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    out = "P" + (f"{days}D" if days else "")
    if hours or minutes or seconds or millis or not days:
        out += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
        if seconds or millis or not (hours or minutes):
            out += f"{seconds}.{millis:03d}".rstrip("0").rstrip(".") + "S"
    return out


def _current(user: dict[str, Any], source: str) -> str | None:
    from simulator.engine.expressions.values import source_value

    value = source_value(user, source)
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def parse_logs_from_docs(docs: list[dict[str, Any]]) -> list[LogRecord]:
    """Simulated entries (Graph-shaped dicts) as :class:`LogRecord` s."""
    import json

    return parse_logs(json.dumps(docs), "simulated").records
