"""Provisioning logs -> a story that recreates them (``provsim incident import``).

The importer writes an ordinary scenario in the library's format and a tenant fixture beside it
(``STORY.tenant.yaml``).  It builds the story *by running it*, step by step on an in-process
simulator (:class:`~.state.ImportState`), so that every decision is taken against the state the
story has reached and so that what it writes is exactly what it ran; the replay runs the file again
from the start and gets the same result (same story, same seed, same bytes).  Run by run, in the
order the logs show them:

- ``tenant``: the fixture, with the logs' objects under their log ids;
- ``admin``: the job's configuration, the restarts and schema saves the logs imply;
- ``changes``: the source changes before the run (and changes made by hand in Genesys);
- ``faults``: the target's failures as fault rules (an outage window, or one rule per request);
- then the run: the job's own cycle when it is due, a restart or start when not, a provision on
  demand at its time.

What it cannot explain stays in the story as a ``# not modelled:`` comment and is counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from simulator.core.services import DIRECTORY

from .admin import AdminActions
from .attributes import AttributeMap, user_mappings
from .changes import SourceChanges
from .compare import Comparison, compare
from .errors import IncidentError
from .faults import FaultPlanner
from .logs import LogRecord, LogSet, parse_logs
from .runs import Run, group_runs
from .state import ImportOptions, LoggedObject, NotModelled, at_text, key_of, records_from_docs, ref, slug
from .story import NOT_MODELLED, render_story
from .tenant import TenantBuilder, base_fixture, gallery_app, upn_of

__all__ = ["ImportOptions", "ImportResult", "NotModelled", "import_logs", "FIRST_CYCLE_CHOICES", "WARM_UP"]

FIRST_CYCLE_CHOICES = ("auto", "initial", "incremental")
#: a warm-up initial cycle starts this long before the first logged cycle (on the 40-minute grid)
WARM_UP = timedelta(hours=24)


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


class _Importer(TenantBuilder, AdminActions, SourceChanges, FaultPlanner):
    def run(self) -> ImportResult:
        records = self._classify()
        runs = group_runs(records)
        fixture = base_fixture(self.options.fixture)
        self.app = gallery_app(fixture)
        self.amap = self._mappings(self.app)
        self._collect(records)
        cycles = [r for r in runs if not r.on_demand]
        self.warm_up = bool(cycles) and runs[0] is cycles[0] and not self.first_is_initial(cycles)
        self.full_runs = {cycles[0].key} if cycles and not self.warm_up else set()
        self.first_cycle_key = cycles[0].key if cycles else None
        if self.warm_up:
            self.linked = {k for k, o in self.objects.items()
                           if o.records[0].action in ("update", "disable", "delete", "stagedDelete")}
        first = runs[0].begin if runs else datetime(2026, 1, 5, 9, tzinfo=UTC)
        start = (first - WARM_UP) if self.warm_up else first
        created = self.derive_fixture(fixture, runs, start)
        fixture_path = self.out.with_name(self.out.stem + ".tenant.yaml")
        self.write_fixture(fixture, fixture_path)
        self._recreate(runs, fixture_path, start)
        text = self._render(runs, fixture_path)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(text, encoding="utf-8")
        self._check_story()
        trial = compare(self.logs.records, records_from_docs(self.runner.log_entries), not_modelled=self.not_modelled_ids)
        self.runner.close()
        return ImportResult(story=self.out, fixture=fixture_path, text=text, total=len(self.logs.records),
                            runs=len(runs), not_modelled=self.not_modelled, created=created, notes=self.notes,
                            trial=trial, warm_up=self.warm_up)

    # ---------------------------------------------------------------- reading the logs
    def _classify(self) -> list[LogRecord]:
        """The entries a story can recreate; the others are kept as comments (:meth:`skip`)."""
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
                self.skip(record, why)
            else:
                modelled.append(record)
        return modelled

    def _mappings(self, app: dict[str, Any]) -> AttributeMap:
        """The job's user mappings: the fixture job's schema, else the gallery template's."""
        provisioning = app.get("provisioning")
        schema = provisioning.get("schema") if isinstance(provisioning, dict) else None
        if not schema:
            from simulator.engine import mappings as engine_mappings

            path = Path(engine_mappings.__file__).parent / "schema_purecloud.json"
            schema = json.loads(path.read_text(encoding="utf-8"))
        self.schema = schema
        return user_mappings(schema)

    def _collect(self, records: list[LogRecord]) -> None:
        for record in records:
            key = key_of(record)
            obj = self.objects.get(key)
            if obj is None:
                obj = self.objects[key] = LoggedObject(key[0], record.source.id, key[1], record.source.display_name)
            obj.records.append(record)
            obj.name = obj.name or record.source.display_name
            if obj.kind == "User" and obj.upn is None:
                obj.upn = upn_of(record, self.amap)
            if record.target.id:
                self.target_of[record.target.id] = key

    # ---------------------------------------------------------------- running the story
    def _recreate(self, runs: list[Run], fixture_path: Path, start: datetime) -> None:
        from simulator.app import scenario_runner
        from simulator.scenario.model import Scenario

        scenario = Scenario(name=self.out.stem, description="", tenant=str(fixture_path), seed=self.options.seed,
                            steps=[], path=self.out, tenant_path=fixture_path)
        self.runner = scenario_runner(scenario)
        self.runtime = self.runner.runtime
        self.directory = self.runtime.service(DIRECTORY)
        self.plan_actions(runs)
        self.configure(runs)
        started = False
        for n, run in enumerate(runs, 1):
            if self.options.progress:
                self.options.progress(n, len(runs))
            if self.warm_up and not started and not run.on_demand:
                self.step("start", {}, title=f"Warm-up: an initial cycle at {at_text(start)}, the day before the logs "
                                             "begin (its entries are not compared)")
                started = True
            self.advance_to(run.begin - timedelta(seconds=1))
            self.close_windows(run)
            self.pending_comments.append(f"--- {run.label()} (cycleId {run.records[0].cycle_id or '-'})")
            self.flush_comments()
            self.switch_guard_on(run)
            self.changes_before(run)
            targeted = self.faults_for(run)
            if run.on_demand:
                self._on_demand(run)
            else:
                if not started:
                    self.advance_to(run.begin)
                    self.step("start", {}, title=f"Provisioning status: On ({at_text(run.begin)}, the first logged cycle)")
                    started = True
                else:
                    self.schedule(run)
                self.advance_to(run.end + timedelta(milliseconds=1), title=f"{run.label()} (as logged)")
            self._after(run, targeted)
        self.flush_comments()

    def _on_demand(self, run: Run) -> None:
        """Provision on demand of the run's object (a group's members come first: the group is the subject)."""
        self.advance_to(run.begin)
        groups = [r for r in run.records if r.source.kind == "Group"]
        obj = self.obj(groups[-1] if groups else run.records[0])
        args: dict[str, Any] = {"object_id": ref("user" if obj.kind == "User" else "group", obj.key)}
        if obj.kind == "Group":
            args["type"] = "Group"
        self.step("provision_on_demand", args, title=f"{run.label()} (as logged)")

    def _after(self, run: Run, targeted: list[dict[str, Any]]) -> None:
        """What the run left behind: links, held-back deletions, Genesys' values; spent one-shot rules go."""
        for record in run.records:
            key = key_of(record)
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
            self.step("schema", self.schema_after[run.key],
                      title="Target object actions changed (saving the mappings restarts provisioning)",
                      comment="later entries are skipped because a target object action is off; the logs show no "
                              "restart for the save, so it is made right after this run")
        if targeted:
            self.reset_rules("the one-shot rules of this run are spent or no longer wanted")

    # ---------------------------------------------------------------- the file
    def _render(self, runs: list[Run], fixture_path: Path) -> str:
        records = self.logs.records
        logs_name = Path(self.logs.path).name
        span = f"{at_text(runs[0].begin)} to {at_text(runs[-1].end)}" if runs else "no runs"
        description = (f"Recreated by `provsim incident import` from {logs_name}: {len(records)} provisioning-log "
                       f"entries in {len(runs)} runs, {span}"
                       + (f"; {len(self.not_modelled)} not modelled (comments below)" if self.not_modelled else "")
                       + f".\nReplay it against the logs with `provsim incident replay {self.out.name} --logs {logs_name}`; "
                         "edit it (a mapping, the guard, a shorter outage) and replay to see what would have changed.")
        header = [f"Written by `provsim incident import {logs_name}`"
                  + (f" --fixture {self.options.fixture}" if self.options.fixture else "") + ".",
                  "Each run of the logs is an `advance` step titled with what the logs show; before it, the changes",
                  "and fault rules the logs imply, each with the log entry it comes from. Entries it could not model",
                  f"are `# {NOT_MODELLED} <logId>` comments (counted by the replay)."]
        if self.warm_up:
            header.append("The logs begin mid-life: a warm-up initial cycle, a day earlier, provisions the objects first.")
        return render_story(name=slug(self.out.stem), description=description, tenant=fixture_path.name,
                            seed=self.options.seed, header=header, items=self.items)

    def _check_story(self) -> None:
        from simulator.scenario.errors import ScenarioInvalid
        from simulator.scenario.model import load_scenario

        try:
            load_scenario(self.out)
        except ScenarioInvalid as err:  # a bug of the importer's, never the user's: say so plainly
            raise IncidentError(f"the story written to {self.out} does not pass the scenario checks (a provsim bug, "
                                f"please report it):\n{err}") from err
