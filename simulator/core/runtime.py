"""The runtime: one simulator's clock, ids, store, faults and traffic log.

A Flask app keeps one in ``app.extensions["provsim"]``; the engine, scenarios
and tests may hold one without any app.  Two runtimes in one process share
nothing.

Surfaces (Genesys, Graph, ...) register themselves with :meth:`add_surface`:
the path prefixes they serve, how to render an error in their own format (for
fault responses), and how to seed their tables from the tenant fixture.
:meth:`reset` clears everything and seeds again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Callable

import yaml

from .clock import DEFAULT_EPOCH, VirtualClock, WallClock, isoformat, parse_datetime
from .config import ProvsimConfig, resolve_fixture
from .errors import FixtureError
from .faults import FaultInjector
from .ids import IdFactory, export_state, import_state
from .store import Store
from .traffic import TrafficLog

__all__ = ["Runtime", "Surface", "load_fixture"]

log = logging.getLogger(__name__)

ErrorRenderer = Callable[[int, str], tuple[bytes, str]]


@dataclass
class Surface:
    """An HTTP surface of the simulator: where it lives and how it speaks."""

    name: str
    prefixes: tuple[str, ...]
    render_error: ErrorRenderer
    seed: Callable[["Runtime", dict], None] | None = None
    case_insensitive: bool = False


def load_fixture(name_or_path) -> dict:
    """Read a tenant fixture (YAML) into a dict; errors name the file."""
    path = resolve_fixture(name_or_path)
    try:
        with open(path, encoding="utf-8") as fh:
            if path.suffix == ".json":  # generated big tenants: json is ~50x faster than YAML
                data = json.load(fh) or {}
            else:
                data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except json.JSONDecodeError as err:
        raise FixtureError(f"{path}: not valid JSON: {err}") from err
    except yaml.YAMLError as err:
        raise FixtureError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise FixtureError(f"{path}: a tenant fixture is a mapping with 'tenant', 'directory' and 'purecloud' sections")
    data.setdefault("_path", str(path))
    return data


class Runtime:
    """Everything one simulator instance owns."""

    def __init__(self, config: ProvsimConfig | None = None, *, fixture: dict | None = None) -> None:
        self.config = config or ProvsimConfig()
        self.fixture = fixture if fixture is not None else load_fixture(self.config.fixture)
        self.ids = IdFactory(self.config.seed)
        self.store = Store(self.config.state_path)
        start = self._start_time()
        if self.config.wall_clock:
            self.clock = WallClock(start, scale=self.config.clock_scale)
        else:
            self.clock = VirtualClock(start)
        self.faults = FaultInjector(self.ids.stream("faults"))
        self.traffic = TrafficLog()
        self.surfaces: list[Surface] = []
        self.services: dict[str, Any] = {}
        self._resumed = False
        meta = self.store.meta()
        if meta.get("seeded"):
            self._resume(meta)

    def _start_time(self):
        if self.config.start is not None:
            return self.config.start
        raw = (self.fixture.get("tenant") or {}).get("start") or self.fixture.get("start")
        if raw:
            return parse_datetime(str(raw)) if not hasattr(raw, "tzinfo") else raw
        return DEFAULT_EPOCH

    def _resume(self, meta: dict) -> None:
        """Continue from a state file written by an earlier process."""
        self._resumed = True
        if meta.get("now") and isinstance(self.clock, VirtualClock) and not self.config.wall_clock:
            self.clock._now = parse_datetime(meta["now"])
        if meta.get("ids"):
            import_state(self.ids, meta["ids"])
        log.info("resumed state from %s (virtual time %s)", self.store.path, meta.get("now"))

    # ---- surfaces -------------------------------------------------------
    def add_surface(self, surface: Surface) -> None:
        self.surfaces = [s for s in self.surfaces if s.name != surface.name] + [surface]
        if surface.seed and not self._resumed and not self.store.meta().get(f"seeded:{surface.name}"):
            with self.store.transaction():
                surface.seed(self, self.fixture)
                self.store.set_meta(**{f"seeded:{surface.name}": True, "seeded": True})

    def surface_for(self, path: str) -> Surface | None:
        best: Surface | None = None
        best_len = -1
        lowered = path.lower()
        for surface in self.surfaces:
            for prefix in surface.prefixes:
                if lowered.startswith(prefix.lower()) and len(prefix) > best_len:
                    best, best_len = surface, len(prefix)
        return best

    # ---- lifecycle ------------------------------------------------------
    def now_iso(self) -> str:
        return isoformat(self.clock.now())

    def checkpoint(self) -> bool:
        """Record clock and id positions and write the state file if anything changed.

        Moving the virtual clock counts as a change: a restart on the state file resumes at the
        time the clock was last moved to, not at the last store write (design.md, determinism).
        A wall clock is not recorded on every tick: its time is the real time after a restart anyway."""
        with self.store.lock:
            now = self.now_iso()
            moved = not isinstance(self.clock, WallClock) and self.store.meta().get("now") != now
            if self.store.storage.dirty or moved:
                self.store.set_meta(now=now, ids=export_state(self.ids))
            return self.store.flush()

    def health(self) -> dict[str, Any]:
        """What ``/_provsim/health`` shows beside its own fields: scheduled jobs that failed on the
        clock, and each service's own ``health()`` (the provisioning service's job runner)."""
        out: dict[str, Any] = {"scheduledJobFailures": list(getattr(self.clock, "failures", ()))}
        for name, service in sorted(self.services.items()):
            report = getattr(service, "health", None)
            if callable(report):
                out[name] = report()
        return out

    def reset(self) -> None:
        """Back to the fixture: empty store, fresh ids and clock, no faults, no traffic."""
        with self.store.lock:
            self.store.clear()
            self.ids.reset()
            self.faults = FaultInjector(self.ids.stream("faults"))
            self.traffic.clear()
            self.clock.reset(self._start_time())
            for name, service in list(self.services.items()):
                if hasattr(service, "on_reset"):
                    service.on_reset()
            self._resumed = False
            surfaces, self.surfaces = self.surfaces, []
            for surface in surfaces:
                self.add_surface(surface)
