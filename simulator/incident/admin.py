"""What the admin did, as the logs show it: the job's configuration, restarts, saved schema changes.

The job's own schedule (every 40 minutes, quarantine retries) is kept where it agrees with the logs;
a run it would not have made is a restart at that time (the reset scope read from what the run
shows: matched again -> Full, deletions the guard held back -> ForceDeletes, escrowed changes sent
again and nothing else -> QuarantineState, a full cycle -> the portal's restart) or, for an
incremental cycle, a start.  Target object actions the logs show switched off are saved when the
logs show a full cycle before the first entry they skip.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from simulator.engine.job_settings import JobSettings
from simulator.engine.runner import CYCLE_INTERVAL

from .attributes import user_mappings
from .logs import LogRecord
from .runs import Run, fixture_id
from .state import DUE_TOLERANCE, ImportState, at_text

__all__ = ["AdminActions", "linked_before"]

_COMPLETE_FAILURES = "QuarantineSuccessiveCompleteFailures"
#: the codes of a call that failed on the target's side: a cycle of only these is a complete failure
_TRANSIENT = {"InternalServerError", "Timeout", "WebExceptionProtocolError"}
#: how far a real cycle may start from the 40-minute grid (docs/fidelity.md, "Incident replay")
_DRIFT = timedelta(minutes=2)

_THRESHOLD = re.compile(r"threshold\D{0,12}(\d+)", re.IGNORECASE)


def linked_before(record: LogRecord) -> bool:
    """Does the entry show an object provisioned before it (not created or matched by it)?"""
    if record.action in ("disable", "delete", "stagedDelete"):
        return True
    if record.action != "update" or record.source.kind is None:
        return False
    matched = record.matched
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


class AdminActions(ImportState):
    """The job's configuration and the runs the admin caused."""

    def first_is_initial(self, cycles: list[Run]) -> bool:
        choice = self.options.first_cycle
        if choice != "auto":
            return choice == "initial"
        first = {(r.source.kind or "", fixture_id(r.source.id)) for r in cycles[0].records}
        linked_now: set[tuple[str, str]] = set()
        for record in cycles[0].records:
            key = (record.source.kind or "", fixture_id(record.source.id))
            if key not in linked_now and linked_before(record):
                return False  # the first logged cycle already works on objects provisioned before it
            if record.action == "create" or record.matched:
                linked_now.add(key)
        for key, obj in self.objects.items():
            head = obj.records[0]
            if head.action in ("update", "disable", "delete", "stagedDelete") and key not in first:
                return False  # an object provisioned before the logs begin: they start mid-life
        return True

    def configure(self, runs: list[Run]) -> None:
        args: dict[str, Any] = {}
        job = self.fixture_job or {}
        secrets = {str(s.get("key")): s.get("value") for s in job.get("secrets") or [] if isinstance(s, dict)}
        threshold = self._fixture_guard(secrets.get("SyncNotificationSettings"))
        staged = [r for r in self.logs.records if r.action == "stagedDelete" and r.id not in self.not_modelled_ids]
        self.guard_on_at = None
        if staged:
            numbers = [int(m.group(1)) for r in staged if (m := _THRESHOLD.search(r.reason))]
            per_run: dict[str, int] = {}
            for r in staged:
                per_run[r.cycle_id] = per_run.get(r.cycle_id, 0) + 1
            threshold = min(numbers) if numbers else max(1, min(per_run.values()) - 1)
            self.guard_on_at = self._guard_switched_on(runs, staged[0], threshold)
        if threshold is not None and self.guard_on_at is None:
            args["delete_threshold"] = threshold
        self.guard_threshold = threshold
        if str(secrets.get("SyncAll", "")).lower() == "true":
            args["scope"] = "all"
        if str(secrets.get("SkipOutOfScopeDeletions", "")).lower() == "true" or any(
                "SkipOutOfScopeDeletions" in r.reason for r in self.logs.records):
            args["skip_out_of_scope_deletions"] = True
        self.step("configure", args, title="The provisioning job: PureCloud by Genesys gallery template"
                   + (f", accidental-deletion threshold {args['delete_threshold']} (the logs staged deletions)"
                      if "delete_threshold" in args else ""))
        settings = self._job_settings(job.get("settings"))
        failures = self._quarantined_after(runs)
        if failures is not None and failures != settings.get(_COMPLETE_FAILURES, JobSettings().successive_complete_failures):
            settings[_COMPLETE_FAILURES] = failures
            self.pending_comments.append(
                f"the logs show {failures} cycles in a row in which every request failed, then no cycle until "
                f"{self._stopped_until}: the job went into quarantine after {failures} complete failures")
        if settings:
            self.step("job_settings", settings, title="The fixture's job settings")
        edits = self._schema_edits(job.get("schema"))
        edits.update(self.schema_after.get("", {}))
        if edits:
            self.step("schema", edits, title="The fixture's job: its attribute mappings, scoping filters and object actions")

    def _quarantined_after(self, runs: list[Run]) -> int | None:
        """How many complete failures in a row the job took before quarantine, as the logs show it: a
        series of scheduled cycles in which every entry failed on Genesys' side (5xx, timeout, dropped
        connection) followed by no cycle when the next was due (the escrowed changes would have been
        retried, and logged).  None when no series stops that way."""
        series, stopped = 0, []
        self._stopped_until = ""
        for run, after in zip(runs, runs[1:], strict=False):
            failed = [r for r in run.records if r.status == "failure"]
            complete = not run.on_demand and bool(failed) and all(r.status in ("failure", "skipped") for r in run.records) \
                and all(r.error_code in _TRANSIENT for r in failed)
            series = series + 1 if complete else 0
            if series and after.begin - run.begin > CYCLE_INTERVAL + _DRIFT:
                stopped.append(series)
                self._stopped_until = self._stopped_until or at_text(after.begin)
                series = 0
        return min(stopped) if stopped else None

    @staticmethod
    def _fixture_guard(value: Any) -> int | None:
        """The deletion guard's threshold when the fixture's job has it switched on (SyncNotificationSettings
        ``DeleteThresholdEnabled``), else None: the guard is opt-in."""
        try:
            data = json.loads(value) if isinstance(value, str) else None
        except ValueError:
            return None
        if not isinstance(data, dict) or str(data.get("DeleteThresholdEnabled", "")).lower() != "true":
            return None
        try:
            return max(1, int(data.get("DeleteThresholdValue") or 500))
        except (TypeError, ValueError):
            return None

    def _guard_switched_on(self, runs: list[Run], first_staged: LogRecord, threshold: int) -> str | None:
        """The run before which the admin switched the deletion guard on, when an earlier cycle disabled or
        deleted more objects than the threshold (the guard was off then); None: on from the start."""
        first = next(run for run in runs if first_staged in run.records)
        for run in runs:
            if run is first:
                return None
            removed = sum(r.action in ("disable", "delete") and r.status == "success" for r in run.records)
            if not run.on_demand and removed > threshold:
                break
        return first.key

    def switch_guard_on(self, run: Run) -> None:
        """Before the first run the guard held deletions back in, when it was off before: the admin ticks
        "Prevent accidental deletions" (SyncNotificationSettings, as the portal saves it)."""
        if run.key != self.guard_on_at or self.guard_threshold is None:
            return
        value = json.dumps({"Enabled": False, "DeleteThresholdEnabled": True, "DeleteThresholdValue": self.guard_threshold})
        app = str(self.app.get("key") or self.app.get("id") or "")
        self.step("graph", {"method": "PUT", "path": f"/servicePrincipals/${{sp:{app}}}/synchronization/secrets",
                            "body": {"value": [{"key": "SyncNotificationSettings", "value": value}]}},
                  title=f"The admin switches accidental-deletion prevention on (threshold {self.guard_threshold})",
                  comment=f"the {at_text(run.begin)} run holds deletions back (TooManyDeletes), and an earlier cycle "
                          f"made more than {self.guard_threshold}: the guard was switched on in between")

    def _job_settings(self, settings: Any) -> dict[str, Any]:
        """The fixture job's settings the ``job_settings`` verb takes (numbers, as the scenario format wants)."""
        from simulator.scenario import schema as scenario_schema

        known = scenario_schema.verbs()["job_settings"].get("properties") or {}
        out: dict[str, Any] = {}
        for item in settings or []:
            name, value = (item.get("name"), item.get("value")) if isinstance(item, dict) else (None, None)
            if name in known and value is not None:
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    self.notes.append(f"the fixture's job setting {name}={value!r} is not a number: left out")
                    continue
                out[str(name)] = int(number) if number.is_integer() else number
        return out

    def plan_actions(self, runs: list[Run]) -> None:
        """Target object actions the logs show switched off ("the 'Delete' target object action is off"):
        saved (which restarts provisioning) at the last run before the first such entry that evaluates
        everything again, else right after the run before it."""
        self.schema_at, self.schema_after = {}, {}
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

        from simulator.engine import mappings as engine_mappings

        return json.loads((Path(engine_mappings.__file__).parent / "schema_purecloud.json").read_text(encoding="utf-8"))

    def _template_mappings(self, object_name: str) -> list[dict[str, Any]]:
        for rule in self._template_schema().get("synchronizationRules") or []:
            for om in rule.get("objectMappings") or []:
                if str(om.get("sourceObjectName", "")).lower() == object_name.lower():
                    return list(om.get("attributeMappings") or [])
        return []

    def _due(self) -> datetime | None:
        job = str(self.runner.job_id)
        for scheduled in self.runtime.clock.pending():
            if job in scheduled.name:
                return scheduled.due
        return None

    def schedule(self, run: Run) -> None:
        """Make the job run a cycle at ``run.begin`` when its own schedule would not: an admin restarted
        provisioning (a full cycle: what the run shows says which reset scope), or started it."""
        due = self._due()
        if due is not None and abs(due - run.begin) <= DUE_TOLERANCE and not (
                self.warm_up and run.key == self.first_cycle_key and self._reset_scope(run) in ("", "Full")):
            return
        self.advance_to(run.begin)
        when = "not scheduled" if due is None else f"scheduled for {at_text(due)}"
        if run.key in self.schema_at:
            edits = self.schema_at[run.key]
            self.step("schema", edits, title=f"Target object actions changed at {at_text(run.begin)} (saving the "
                                              "mappings restarts provisioning)",
                       comment="the logs show a cycle that evaluates everything again here, and later entries skipped "
                               "because a target object action is off: the admin saved the change here")
            self.full_runs.add(run.key)
            return
        scope = self._reset_scope(run)
        if scope is None:
            self.step("start", {}, title=f"Provisioning started at {at_text(run.begin)}",
                       comment=f"the logs show an incremental cycle at {at_text(run.begin)}; the simulated job's next "
                               f"cycle was {when}: an admin started provisioning (or it was paused until then)")
            return
        self.step("restart", scope or {}, title=f"Restart provisioning at {at_text(run.begin)}"
                   + (f" (resetScope {scope})" if scope else ""),
                   comment=f"the logs show a cycle at {at_text(run.begin)} that evaluates every object again; the "
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
            if key in self.linked and record.nothing_to_change and record.matched:
                rematched = True  # looked up and found again, nothing to change: the store was cleared
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
