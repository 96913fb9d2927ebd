"""provsim's core: virtual clock, seeded ids, the TinyDB store, fault rules, traffic log.

No Flask and no knowledge of the engine here; everything else builds on it.
"""

from .clock import (
    DEFAULT_EPOCH,
    Clock,
    ScheduledJob,
    VirtualClock,
    WallClock,
    format_duration,
    isoformat,
    parse_datetime,
    parse_duration,
)
from .config import FIXTURES_DIR, ProvsimConfig, resolve_fixture
from .errors import ConfigError, FixtureError, ProvsimError, StorageUnavailable, StoreError, UniqueConstraintError
from .faults import DroppedConnection, FaultInjector, FaultRule
from .ids import IdFactory
from .ratelimit import SlidingWindowLimiter
from .runtime import Runtime, Surface, load_fixture
from .store import Index, IndexedTable, StateStorage, Store
from .traffic import TrafficLog

__all__ = [
    "DEFAULT_EPOCH",
    "Clock",
    "ConfigError",
    "DroppedConnection",
    "FIXTURES_DIR",
    "FaultInjector",
    "FaultRule",
    "FixtureError",
    "IdFactory",
    "Index",
    "IndexedTable",
    "ProvsimConfig",
    "ProvsimError",
    "Runtime",
    "ScheduledJob",
    "SlidingWindowLimiter",
    "StateStorage",
    "StorageUnavailable",
    "Store",
    "StoreError",
    "Surface",
    "TrafficLog",
    "UniqueConstraintError",
    "VirtualClock",
    "WallClock",
    "format_duration",
    "isoformat",
    "load_fixture",
    "parse_datetime",
    "parse_duration",
    "resolve_fixture",
]
