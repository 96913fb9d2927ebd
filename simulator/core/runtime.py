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

import base64
import json
import logging
import pickle
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml

from .clock import DEFAULT_EPOCH, VirtualClock, WallClock, isoformat, parse_datetime
from .config import ProvsimConfig, resolve_fixture
from .errors import FixtureError, StoreError
from .faults import FaultInjector
from .ids import IdFactory, export_state, import_state
from .services import ServiceKey
from .store import Store
from .traffic import TrafficLog
from .yamlsafe import safe_load

__all__ = ["Runtime", "Surface", "load_fixture"]

log = logging.getLogger(__name__)

ErrorRenderer = Callable[[int, str], tuple[bytes, str]]
T = TypeVar("T")


@dataclass
class Surface:
    """An HTTP surface of the simulator: where it lives and how it speaks."""

    name: str
    prefixes: tuple[str, ...]
    render_error: ErrorRenderer
    seed: Callable[[Runtime, dict[str, Any]], object] | None = None  # what it returns is ignored
    case_insensitive: bool = False


#: Tenant texts up to this size keep their parsed form (below): the shipped tenants are ~20 kB.
_PARSED_TEXT_LIMIT = 1_000_000


@lru_cache(maxsize=16)
def _parsed_yaml(text: str) -> bytes:
    """A small tenant's YAML parsed once per text, kept pickled: every app (each test's, each
    scenario's) reads contoso.yaml, and unpickling a private copy is ~100x faster than parsing."""
    return pickle.dumps(safe_load(text), protocol=pickle.HIGHEST_PROTOCOL)


def load_fixture(name_or_path: str | Path) -> dict[str, Any]:
    """Read a tenant fixture (YAML) into a dict (the caller's own copy); errors name the file."""
    path = resolve_fixture(name_or_path)
    try:
        with open(path, encoding="utf-8") as fh:
            if path.suffix == ".json":  # generated big tenants: json is ~50x faster than YAML
                data = json.load(fh) or {}
            else:
                text = fh.read()
                data = (pickle.loads(_parsed_yaml(text)) if len(text) <= _PARSED_TEXT_LIMIT else safe_load(text)) or {}
    except json.JSONDecodeError as err:
        raise FixtureError(f"{path}: not valid JSON: {err}") from err
    except yaml.YAMLError as err:
        raise FixtureError(f"{path}: not valid YAML: {err}") from err
    shape = "a tenant fixture is a mapping with 'tenant', 'directory' and 'purecloud' sections"
    if not isinstance(data, dict):
        raise FixtureError(f"{path}: {shape}")
    if "steps" in data:
        raise FixtureError(f"{path} is a scenario, not a tenant fixture: run it with `provsim scenario run {path}` "
                           f"(its tenant is {data.get('tenant') or 'contoso'!r})")
    wrong = [name for name in ("tenant", "directory", "purecloud") if name in data and not isinstance(data[name], dict)]
    if wrong or not {"tenant", "directory", "purecloud"} & set(data):
        raise FixtureError(f"{path}: {shape}" + (f"; {', '.join(wrong)} is not a mapping" if wrong else ""))
    data.setdefault("_path", str(path))
    return data


class Runtime:
    """Everything one simulator instance owns."""

    def __init__(self, config: ProvsimConfig | None = None, *, fixture: dict[str, Any] | None = None) -> None:
        self.config = config or ProvsimConfig()
        self.fixture = fixture if fixture is not None else load_fixture(self.config.fixture)
        self.ids = IdFactory(self.config.seed)
        self.store = Store(self.config.state_path, fsync=self.config.fsync)
        start = self._start_time()
        self.clock: WallClock | VirtualClock
        if self.config.wall_clock:
            self.clock = WallClock(start, scale=self.config.clock_scale)
        else:
            self.clock = VirtualClock(start)
        self.faults = FaultInjector(self.ids.stream("faults"))
        self.traffic = TrafficLog()
        self.surfaces: list[Surface] = []
        self._prefix_cache: tuple[list[Surface], int, tuple[tuple[str, Surface], ...]] | None = None
        self.seeders: list[tuple[str, Callable[[Runtime, dict[str, Any]], None]]] = []
        self._services: dict[str, Any] = {}
        self._resumed = False
        self._journaled: dict[tuple[Any, ...], Any] = {}
        self.store.commit_meta = self._commit_meta
        self.store.full_meta = self._full_meta
        meta = self.store.meta()
        if meta.get("seeded"):
            self._resume(meta)

    def _start_time(self) -> datetime:
        if self.config.start is not None:
            return self.config.start
        raw = (self.fixture.get("tenant") or {}).get("start") or self.fixture.get("start")
        if raw:
            return parse_datetime(str(raw)) if not hasattr(raw, "tzinfo") else raw
        return DEFAULT_EPOCH

    def _resume(self, meta: dict[str, Any]) -> None:
        """Continue from a state file written by an earlier process."""
        self._resumed = True
        if meta.get("now") and isinstance(self.clock, VirtualClock) and not self.config.wall_clock:
            self.clock._now = parse_datetime(meta["now"])
        if meta.get("ids"):
            try:
                import_state(self.ids, _decode_ids(meta["ids"]))
            except (ValueError, TypeError, KeyError, AttributeError, struct.error) as err:
                raise StoreError(f"state file {self.store.path}: the id streams it records cannot be resumed "
                                 f"({type(err).__name__}: {err}); restore the state file and its journal from a "
                                 "backup, or move them away to start afresh") from None
        log.info("resumed state from %s (virtual time %s)", self.store.path, meta.get("now"))

    # ---- surfaces -------------------------------------------------------
    def add_surface(self, surface: Surface) -> None:
        self.surfaces = [s for s in self.surfaces if s.name != surface.name] + [surface]
        if surface.seed:
            self._seed(surface.name, surface.seed)

    def add_seeder(self, name: str, seed: Callable[[Runtime, dict[str, Any]], None]) -> None:
        """Seed a service that is not an HTTP surface from the fixture (the provisioning service's jobs),
        now and after every reset, once the surfaces have seeded theirs (it may refer to their objects)."""
        self.seeders = [s for s in self.seeders if s[0] != name] + [(name, seed)]
        self._seed(name, seed)

    def _seed(self, name: str, seed: Callable[[Runtime, dict[str, Any]], object]) -> None:
        if not self._resumed and not self.store.meta().get(f"seeded:{name}"):
            with self.store.transaction():
                seed(self, self.fixture)
                self.store.set_meta(**{f"seeded:{name}": True, "seeded": True})

    def surface_for(self, path: str) -> Surface | None:
        """The surface whose longest prefix starts ``path`` (in any case); the first listed on a tie."""
        lowered = path.lower()
        for prefix, surface in self._prefixes():
            if lowered.startswith(prefix):
                return surface
        return None

    def _prefixes(self) -> tuple[tuple[str, Surface], ...]:
        """``(lower-case prefix, surface)`` of :attr:`surfaces`, longest prefix first and, among
        prefixes as long, in the order listed, so the first that starts a path is the one
        :meth:`surface_for` names (every request asks it); derived again whenever the list is
        replaced or changes length."""
        cached = self._prefix_cache
        surfaces = self.surfaces
        if cached is None or cached[0] is not surfaces or cached[1] != len(surfaces):
            listed = [(p, s) for s in surfaces for p in s.prefixes]
            order = sorted(range(len(listed)), key=lambda i: (-len(listed[i][0]), i))
            table = tuple((listed[i][0].lower(), listed[i][1]) for i in order)
            cached = self._prefix_cache = (surfaces, len(surfaces), table)
        return cached[2]

    # ---- services ---------------------------------------------------------
    def register(self, key: ServiceKey[T], service: T, *, replace: bool = False) -> T:
        """Hold ``service`` under ``key`` and return it.  Registering the same object again is a no-op;
        another object under a taken key is refused (two directories in one simulator would each see
        half the writes) unless ``replace`` says the new one takes over (a restarted server's housekeeping)."""
        held = self._services.get(key.name)
        if held is not None and held is not service and not replace:
            raise ValueError(f"runtime already holds a {key.name!r} service ({type(held).__name__}); "
                             "pass replace=True to swap it")
        self._services[key.name] = service
        return service

    def service(self, key: ServiceKey[T]) -> T:
        """The service registered under ``key``; :class:`LookupError` naming it when there is none."""
        try:
            found: T = self._services[key.name]
        except KeyError:
            raise LookupError(f"no {key.name!r} service in this runtime (its surface was not set up)") from None
        return found

    def find(self, key: ServiceKey[T]) -> T | None:
        """The service registered under ``key``, or None (an app built without that surface)."""
        found: T | None = self._services.get(key.name)
        return found

    @property
    def services(self) -> Mapping[str, Any]:
        """Every service by name, read-only.  Kept for code written before :meth:`service` (tests, pytest
        plugin users); deprecated: look a service up with its typed key, ``runtime.service(DIRECTORY)``."""
        return MappingProxyType(self._services)

    # ---- lifecycle ------------------------------------------------------
    def now_iso(self) -> str:
        return isoformat(self.clock.now())

    def _now_exact(self) -> str:
        """The clock to the microsecond, as the state file keeps it: requests move virtual time by
        fractions of a second, and a resumed simulator must start exactly where this one stood."""
        return self.clock.now().astimezone(UTC).isoformat().replace("+00:00", "Z")

    def checkpoint(self) -> bool:
        """Make the current state durable: journal what changed, where the clock and
        the id streams stand (a moved clock alone counts), and compact the journal
        into the state file when it has outgrown it.  True if anything was written."""
        wrote = self.store.commit(force_meta=True)
        return self.store.maybe_compact() or wrote

    # ---- journal hooks (see Store.commit_meta / full_meta) ----------------
    def _commit_meta(self) -> list[tuple[list[Any], Any]]:
        """Clock and id-stream positions that moved since the last journal record."""
        out: list[tuple[list[Any], Any]] = []
        now = self._now_exact()
        # A moved virtual clock counts (a restart resumes at the time it was last moved to); a wall
        # clock is not journaled on every tick: after a restart its time is the real time anyway.
        if not isinstance(self.clock, WallClock) and self._journaled.get(("now",)) != now:
            self._journaled[("now",)] = now
            out.append((["now"], now))
        for path, state in _stream_states(self.ids, ["ids"]):
            key = tuple(path)
            # A Mersenne Twister draw only moves its position (the last element) until 624 words are
            # used up, then every word is regenerated: journal the position alone while the words
            # are the same as last journaled (a few bytes), and all of them (3.3 kB) when they are not.
            internal = state[1]
            words, position = (internal[0], internal[len(internal) // 2]), internal[-1]
            last = self._journaled.get(key)
            if last is not None and last[0] == words:
                if last[1] != position:
                    self._journaled[key] = (words, position)
                    out.append((path + ["i"], position))
            else:
                self._journaled[key] = (words, position)
                out.append((path, _encode_mt(state)))
        return out

    def _full_meta(self) -> dict[str, Any]:
        """The compacted state file's meta: clock, and every id stream (encoded as the journal does)."""
        self._journaled.clear()
        return {"now": self._now_exact(), "ids": _encode_ids(export_state(self.ids))}

    def health(self) -> dict[str, Any]:
        """What ``/_provsim/health`` shows beside its own fields: scheduled jobs that failed on the
        clock, and each service's own ``health()`` (the provisioning service's job runner)."""
        out: dict[str, Any] = {"scheduledJobFailures": list(getattr(self.clock, "failures", ()))}
        for name, service in sorted(self._services.items()):
            report = getattr(service, "health", None)
            if callable(report):
                out[name] = report()
        return out

    def reset(self) -> None:
        """Back to the fixture: empty store, fresh ids and clock, no faults, no traffic."""
        with self.store.lock:
            self.store.clear()
            self._journaled.clear()
            self.ids.reset()
            self.faults = FaultInjector(self.ids.stream("faults"))
            self.traffic.clear()
            self.clock.reset(self._start_time())
            for service in list(self._services.values()):
                if hasattr(service, "on_reset"):
                    service.on_reset()
            self._resumed = False
            surfaces, self.surfaces = self.surfaces, []
            for surface in surfaces:
                self.add_surface(surface)
            for name, seed in self.seeders:
                self._seed(name, seed)


# ---- id-stream positions in the journal ---------------------------------------
def _stream_states(factory: IdFactory, path: list[Any]) -> list[tuple[list[Any], tuple[Any, ...]]]:
    """``(meta path, Mersenne Twister state)`` of a factory and every stream under it."""
    with factory._lock:
        state = factory._random.getstate()
        children = sorted(factory._streams.items())
    out = [(path + ["random"], state)]
    for name, child in children:
        out += _stream_states(child, path + ["streams", name])
    return out


def _encode_mt(state: tuple[Any, ...]) -> dict[str, Any]:
    """A generator state as 3.3 kB of base64 instead of 7 kB of JSON numbers."""
    version, internal, gauss = state
    return {"mt": base64.b64encode(struct.pack(f"<{len(internal)}I", *internal)).decode(), "v": version, "g": gauss}


def _encode_ids(data: Any) -> Any:
    """export_state's tree with every generator state in the journal's ``{"mt", "v", "g"}`` form."""
    if isinstance(data, dict):
        return {k: (_encode_mt(tuple([v[0], tuple(v[1]), v[2]])) if k == "random" and isinstance(v, list) else _encode_ids(v))
                for k, v in data.items()}
    return data


def _decode_ids(data: Any) -> Any:
    """Turn journaled ``{"mt": ..., "i": position}`` states back into export_state's lists."""
    if isinstance(data, dict):
        if "mt" in data and "v" in data:
            raw = base64.b64decode(data["mt"])
            internal = list(struct.unpack(f"<{len(raw) // 4}I", raw))
            if isinstance(data.get("i"), int):
                internal[-1] = data["i"]
            return [data["v"], internal, data.get("g")]
        return {k: _decode_ids(v) for k, v in data.items()}
    return data
