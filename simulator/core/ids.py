"""Seeded id factory: valid GUIDs, tokens and secrets that repeat for the same seed.

Each surface takes its own named stream (``ids.stream("purecloud")``), so adding
a Graph call does not shift the ids Genesys hands out: a cassette of the SCIM
traffic stays byte-identical when an unrelated surface changes.
"""

from __future__ import annotations

import hashlib
import random
import threading
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

__all__ = ["IdFactory", "export_state", "import_state"]

T = TypeVar("T")


class IdFactory:
    """Deterministic ids from ``seed`` (and a stream name)."""

    def __init__(self, seed: int = 0, name: str = "") -> None:
        self.seed = int(seed)
        self.name = name
        digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
        self._random = random.Random(int.from_bytes(digest[:16], "big"))
        self._lock = threading.Lock()
        self._streams: dict[str, IdFactory] = {}

    def stream(self, name: str) -> IdFactory:
        """A child factory with its own sequence, the same for the same seed and name."""
        with self._lock:
            full = f"{self.name}/{name}" if self.name else name
            if name not in self._streams:
                self._streams[name] = IdFactory(self.seed, full)
            return self._streams[name]

    def guid(self) -> str:
        """A random-looking version-4 GUID, lower case, as Graph and Genesys emit."""
        with self._lock:
            bits = self._random.getrandbits(128)
        return str(uuid.UUID(int=bits, version=4))

    def hex(self, nbytes: int = 16) -> str:
        with self._lock:
            return self._random.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()

    def token(self, nbytes: int = 32) -> str:
        """An opaque URL-safe token (access tokens, skip tokens, secrets)."""
        import base64

        with self._lock:
            raw = self._random.getrandbits(nbytes * 8).to_bytes(nbytes, "big")
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def choice(self, seq: Sequence[T]) -> T:
        with self._lock:
            return self._random.choice(seq)

    def random(self) -> float:
        with self._lock:
            return self._random.random()

    def reset(self) -> None:
        """Start the sequence over (``/_provsim/reset``), this factory's and every stream's.

        Streams are reset in place: a service that took ``ids.stream("engine")``
        once keeps a valid stream that starts over too, exactly as on a fresh start."""
        fresh = IdFactory(self.seed, self.name)
        with self._lock:
            self._random = fresh._random
            children = list(self._streams.values())
        for child in children:
            child.reset()


def _state_to_json(state: tuple[Any, ...]) -> list[Any]:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _state_from_json(data: list[Any]) -> tuple[Any, ...]:
    version, internal, gauss = data
    return (version, tuple(internal), gauss)


def export_state(factory: IdFactory) -> dict[str, Any]:
    """The factory's position (and its streams'), JSON-able, for the state file."""
    with factory._lock:
        return {
            "random": _state_to_json(factory._random.getstate()),
            "streams": {name: export_state(child) for name, child in sorted(factory._streams.items())},
        }


def import_state(factory: IdFactory, data: dict[str, Any]) -> None:
    """Continue where an earlier process stopped, so ids never repeat after a restart."""
    with factory._lock:
        factory._random.setstate(_state_from_json(data["random"]))
    for name, child_state in data.get("streams", {}).items():
        import_state(factory.stream(name), child_state)
