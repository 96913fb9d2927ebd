"""The provsim exception tree.

    ProvsimError
    ├── ConfigError            bad configuration or fixture (raised before anything runs)
    ├── FixtureError           a tenant fixture that does not load
    └── StoreError             the state store or its file
        ├── UniqueConstraintError   a write that would duplicate a unique key
        └── StorageUnavailable      the journal cannot be written now (a full disk): retry later

Each HTTP surface has its own ``errors.py`` whose exceptions render the real
system's error body (SCIM error, Graph OData error, OAuth error); the engine and
proxy have theirs.  They all derive from :class:`ProvsimError`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ProvsimError", "ConfigError", "FixtureError", "StoreError", "UniqueConstraintError", "StorageUnavailable"]


class ProvsimError(Exception):
    """Base of every error provsim raises on purpose."""


class ConfigError(ProvsimError):
    """Configuration that cannot work (caught at the edge, before any work starts)."""


class FixtureError(ConfigError):
    """A tenant or scenario fixture that does not load; the message names the file and place."""


class StoreError(ProvsimError):
    """The state store or its state file."""


class UniqueConstraintError(StoreError):
    """A write would give two documents the same unique key."""

    def __init__(self, table: str, index: str, value: Any) -> None:
        super().__init__(f"{table}: {index} {value!r} is already in use")
        self.table = table
        self.index = index
        self.value = value


class StorageUnavailable(StoreError):
    """A change could not be made durable (the disk is full, the file system went read-only): nothing was
    changed, and the same request may succeed once the disk recovers (HTTP surfaces answer 503)."""
