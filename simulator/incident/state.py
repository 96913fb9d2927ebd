"""What an import knows as it goes, and the machinery every part of it uses.

The importer builds the story by running it: :meth:`ImportState.step` runs one step on the
in-process simulator and keeps it for the file (or, refused, keeps a comment saying so), so what the
file holds is exactly what ran.  The parts of the import (``tenant``, ``admin``, ``changes``,
``faults``) are mixins over this state.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .attributes import AttributeMap
from .logs import LogRecord, LogSet, parse_logs
from .runs import fixture_id
from .story import NOT_MODELLED, StoryItem

if TYPE_CHECKING:
    from simulator.scenario.runner import ScenarioRunner

__all__ = ["ImportState", "ImportOptions", "LoggedObject", "NotModelled", "ObjectKey", "ref", "at_text", "duration",
           "current_value", "records_from_docs", "slug", "SCIM", "FAULT_STATUS", "DUE_TOLERANCE", "key_of"]

SCIM = "/api/v2/scim/v2"
#: how far apart the job's next scheduled cycle and a logged run may begin and still be the same
DUE_TOLERANCE = timedelta(seconds=1)
#: error code -> the status a fault rule answers (provsim's target code table, run backwards)
FAULT_STATUS = {
    "BadRequest": 400, "Unauthorized": 401, "InsufficientRights": 403, "InvalidAnchor": 404, "MethodNotAllowed": 405,
    "Conflict": 409, "PreconditionFailed": 412, "PayloadTooLarge": 413, "UnsupportedMediaType": 415,
    "UnprocessableEntity": 422, "TooManyRequests": 429, "InternalServerError": 500, "NotImplemented": 501,
    "Timeout": 504, "SystemForCrossDomainIdentityManagementServiceIncompatible": 404,
}

#: (User | Group, directory id)
ObjectKey = tuple[str, str]


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
class LoggedObject:
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


def key_of(record: LogRecord) -> ObjectKey:
    return record.source.kind or record.source.type, fixture_id(record.source.id)


def ref(kind: str, key: str) -> str:
    """A scenario reference: ``${user:alex}``."""
    return "${" + kind + ":" + key + "}"


def slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "object"


def at_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def duration(delta: timedelta) -> str:
    """An ISO-8601 duration to the millisecond (``PT39M59.999S``)."""
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


def current_value(user: dict[str, Any], source: str) -> str | None:
    """A directory user's value of an Entra provisioning attribute, as logs write values."""
    from simulator.engine.expressions.values import source_value

    value = source_value(user, source)
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def records_from_docs(docs: list[dict[str, Any]]) -> list[LogRecord]:
    """Simulated entries (Graph-shaped dicts) as :class:`LogRecord` s."""
    return parse_logs(json.dumps(docs), "simulated").records


class ImportState:
    """The import's state and its step machinery (see the module doc)."""

    logs: LogSet
    out: Path
    options: ImportOptions
    runner: ScenarioRunner
    runtime: Any
    directory: Any
    app: dict[str, Any]
    amap: AttributeMap
    schema: dict[str, Any]
    warm_up: bool
    full_runs: set[str]
    first_cycle_key: str | None
    fixture_job: dict[str, Any] | None
    schema_at: dict[str, dict[str, Any]]
    schema_after: dict[str, dict[str, Any]]

    def __init__(self, logs: LogSet, out: Path, options: ImportOptions) -> None:
        self.logs, self.out, self.options = logs, out, options
        self.items: list[StoryItem] = []
        self.not_modelled: list[NotModelled] = []
        self.not_modelled_ids: set[str] = set()
        self.notes: list[str] = list(logs.notes)
        self.objects: dict[ObjectKey, LoggedObject] = {}
        #: fault rules open across runs (an outage window), and the code that opened it
        self.windows: list[dict[str, Any]] = []
        self.window_kind: str | None = None
        #: one object's requests failing from its first failure until its next success (a conflict, bad data)
        self.object_windows: dict[ObjectKey, dict[str, Any]] = {}
        self.pending_comments: list[str] = []
        #: objects Genesys holds, objects the guard held back, objects whose change keeps failing
        self.linked: set[ObjectKey] = set()
        self.staged: set[ObjectKey] = set()
        self.failing: set[ObjectKey] = set()
        #: Genesys id (as the logs show it) -> the object it belongs to
        self.target_of: dict[str, ObjectKey] = {}
        #: what Genesys holds for each object, as the logs last showed it
        self.target_values: dict[ObjectKey, dict[str, str | None]] = {}
        self.full_runs = set()
        self.first_cycle_key = None
        self.fixture_job = None
        self.schema_at, self.schema_after = {}, {}
        self.guard_on_at: str | None = None
        self.guard_threshold: int | None = None
        self._stopped_until = ""

    # ------------------------------------------------------------------ not modelled
    def skip(self, record: LogRecord, why: str) -> None:
        """The entry cannot be modelled: a comment in the story, counted."""
        if record.id in self.not_modelled_ids:
            return
        self.not_modelled_ids.add(record.id)
        self.not_modelled.append(NotModelled(record, why))
        self.pending_comments.append(f"{NOT_MODELLED} {record.id} {record.summary()}: {why}")

    # ------------------------------------------------------------------ steps
    def flush_comments(self) -> None:
        if self.pending_comments:
            self.items.append(StoryItem(None, comments=self.pending_comments))
            self.pending_comments = []

    def step(self, verb: str, args: Any, *, title: str | None = None, comment: str | None = None) -> bool:
        """Run one step now and keep it for the story; False (and a comment instead) when the simulator refused it."""
        from simulator.scenario.model import Step

        if comment:
            self.pending_comments.append(comment)
        outcome = self.runner.run_step(Step(verb, copy.deepcopy(args), title, len([i for i in self.items if i.verb]) + 1))
        if outcome.failure == "error":
            self.pending_comments.append(f"(left out: {verb} {args!r} was refused: {'; '.join(outcome.problems)})")
            self.notes.append(f"a step was left out: {verb}: {'; '.join(outcome.problems)}")
            return False
        self.items.append(StoryItem(verb, args, title, self.pending_comments))
        self.pending_comments = []
        return True

    def now(self) -> datetime:
        return self.runtime.clock.now()

    def advance_to(self, when: datetime, *, title: str | None = None) -> None:
        """An ``advance`` step to ``when`` (none when the clock is there already, unless it has a title)."""
        gap = when - self.now()
        if gap <= timedelta(0):
            if title is None:
                return
            gap = timedelta(milliseconds=1)
        self.step("advance", duration(gap), title=title)

    def reset_rules(self, comment: str, *, title: str | None = None) -> None:
        """Clear every fault rule, then add back the windows still open (there is no verb to remove one)."""
        self.step("clear_faults", {}, title=title, comment=comment)
        for rule in [*self.windows, *self.object_windows.values()]:
            self.step("fault", rule)

    # ------------------------------------------------------------------ objects
    def obj(self, record: LogRecord) -> LoggedObject:
        return self.objects[key_of(record)]

    def user_ref(self, obj: LoggedObject) -> str:
        """``${user:KEY}``: the object's reference in the story."""
        return ref("user", obj.key)

    def sim_user(self, obj: LoggedObject) -> dict[str, Any] | None:
        return self.directory.get_user(obj.id)

    def sp_id(self) -> str:
        return str(self.runner.client.graph.service_principal_id())

    def target_name(self, obj: LoggedObject, record: LogRecord) -> str | None:
        """The Genesys userName (or group name) of the object, as the logs last showed it."""
        if record.target.display_name:
            return record.target.display_name
        if obj.target_name:
            return obj.target_name
        if obj.kind == "Group":
            return obj.name
        return None
