"""Real logs against simulated ones, entry by entry.

Runs are paired first (a simulated cycle with the real cycle that began at the same time, within a
tolerance; provision on demand with provision on demand), then, inside a pair, entries of the same
source object in the order they were written.  A paired entry is *reproduced* when these agree:

- ``provisioningAction``, ``provisioningStatusInfo.status`` and its ``errorCode``;
- ``modifiedProperties``: the same names with the same old and new values (a value that is a
  target object's id is compared as *which* object it names: Genesys hands out its own ids);
- the target identity: its display name, and whether the entry names a target object at all.

Simulated entries before the first real run (a warm-up cycle the story runs to get the job where
the logs found it) are not compared; any other simulated entry with no real counterpart is a
divergence too: the simulated service did something the real one did not log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .logs import LogRecord
from .runs import Run, fixture_id, group_runs, object_key

__all__ = ["Divergence", "Comparison", "compare", "PAIRING_TOLERANCE"]

#: How far apart a real and a simulated run may begin and still be the same run.
PAIRING_TOLERANCE = timedelta(minutes=2)


@dataclass(frozen=True)
class Divergence:
    """One difference: the real entry's id (None: a simulated entry the real logs lack), the field,
    and both values."""

    log_id: str | None
    field: str
    real: Any
    simulated: Any
    #: the entry in words, for people
    entry: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"logId": self.log_id, "field": self.field, "real": self.real, "simulated": self.simulated}

    def line(self) -> str:
        who = f"log {self.log_id}" if self.log_id else "simulated only"
        if self.field == "entry":
            if self.log_id is None:
                return f"{who}: {self.simulated} (the real logs have no such entry)"
            return f"{who} ({self.real}): not reproduced ({self.simulated or 'the simulated run has no entry for it'})"
        return f"{who} ({self.entry}): {self.field}: real {_show(self.real)}, simulated {_show(self.simulated)}"


def _show(value: Any) -> str:
    return "(none)" if value is None else repr(value) if isinstance(value, str) else str(value)


@dataclass
class Comparison:
    total: int
    reproduced: int
    divergences: list[Divergence] = field(default_factory=list)
    #: real entries the story could not model (kept as comments in it)
    not_modelled: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.divergences

    def to_dict(self) -> dict[str, Any]:
        return {"reproduced": self.reproduced, "total": self.total,
                "divergences": [d.to_dict() for d in self.divergences], "notModelled": list(self.not_modelled)}


def compare(real: list[LogRecord], simulated: list[LogRecord], *, not_modelled: Iterable[str] = ()) -> Comparison:
    """Compare the real entries with the simulated ones (both oldest first)."""
    skipped = set(not_modelled)
    real_runs = group_runs(real)
    window = real_runs[0].begin - PAIRING_TOLERANCE if real_runs else None
    sim_runs = [r for r in group_runs(simulated) if window is None or r.end >= window]
    real_targets, sim_targets = _target_names(real), _target_names(simulated)
    pairs = _pair_runs(real_runs, sim_runs)
    out = Comparison(total=len(real), reproduced=0, not_modelled=sorted(skipped & {r.id for r in real}))
    paired_sim: set[int] = set()
    for real_run in real_runs:
        sim_run = pairs.get(id(real_run))
        sim_by_object: dict[tuple[str, str], list[LogRecord]] = {}
        for record in sim_run.records if sim_run else []:
            sim_by_object.setdefault(object_key(record), []).append(record)
        for record in real_run.records:
            candidates = sim_by_object.get(object_key(record)) or []
            twin = candidates.pop(0) if candidates else None
            if twin is None:
                why = "not modelled: the story keeps it as a comment" if record.id in skipped else None
                out.divergences.append(Divergence(record.id, "entry", record.summary(), why, record.summary()))
                continue
            paired_sim.add(id(twin))
            found = _differences(record, twin, real_targets, sim_targets)
            if found:
                out.divergences.extend(found)
            else:
                out.reproduced += 1
    for sim_run in sim_runs:
        for record in sim_run.records:
            if id(record) not in paired_sim:
                out.divergences.append(Divergence(None, "entry", None, record.summary(), record.summary()))
    return out


def _pair_runs(real_runs: list[Run], sim_runs: list[Run]) -> dict[int, Run]:
    """Each real run with the simulated run of the same kind that began nearest to it (within the
    tolerance), in time order, each simulated run used once."""
    pairs: dict[int, Run] = {}
    used: set[int] = set()
    for real_run in real_runs:
        best: Run | None = None
        for sim_run in sim_runs:
            if id(sim_run) in used or sim_run.on_demand != real_run.on_demand:
                continue
            gap = abs(sim_run.begin - real_run.begin)
            if gap <= PAIRING_TOLERANCE and (best is None or gap < abs(best.begin - real_run.begin)):
                best = sim_run
        if best is not None:
            used.add(id(best))
            pairs[id(real_run)] = best
    return pairs


def _target_names(records: list[LogRecord]) -> dict[str, str]:
    """Target object id -> the source object it belongs to (as the story names it)."""
    out: dict[str, str] = {}
    for r in records:
        if r.target.id and r.source.id:
            out[r.target.id] = f"<target of {r.source.kind or r.source.type} {fixture_id(r.source.id)}>"
    return out


def _differences(real: LogRecord, sim: LogRecord, real_targets: dict[str, str], sim_targets: dict[str, str]) -> list[Divergence]:
    """Each side's target ids are read with that side's own map: the two Genesys orgs hand out ids
    independently, so one side's id may happen to be another object's id on the other side."""
    found: list[Divergence] = []
    entry = real.summary()

    def differ(name: str, a: Any, b: Any) -> None:
        if a != b:
            found.append(Divergence(real.id, name, a, b, entry))

    def named(value: str | None, targets: dict[str, str]) -> str | None:
        return targets.get(value or "", value)

    differ("provisioningAction", real.action, sim.action)
    differ("provisioningStatusInfo.status", real.status, sim.status)
    differ("provisioningStatusInfo.errorInformation.errorCode", real.error_code, sim.error_code)
    real_props, sim_props = real.modified_map(), sim.modified_map()
    for name in sorted(set(real_props) | set(sim_props), key=str.lower):
        a, b = real_props.get(name), sim_props.get(name)
        if a is None or b is None:
            differ(f"modifiedProperties[{name}]", _pair(a, real_targets), _pair(b, sim_targets))
            continue
        differ(f"modifiedProperties[{name}].oldValue", named(a[0], real_targets), named(b[0], sim_targets))
        differ(f"modifiedProperties[{name}].newValue", named(a[1], real_targets), named(b[1], sim_targets))
    differ("targetIdentity.displayName", real.target.display_name or None, sim.target.display_name or None)
    differ("targetIdentity.id", "set" if real.target.id else None, "set" if sim.target.id else None)
    return found


def _pair(value: tuple[str | None, str | None] | None, targets: dict[str, str]) -> str | None:
    if value is None:
        return None
    old, new = (targets.get(v or "", v) for v in value)
    return f"{old} -> {new}"
