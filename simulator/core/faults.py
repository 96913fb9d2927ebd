"""Fault rules shared by every surface.

A rule matches requests by method, path pattern and surface, fires on the n-th
matching call, after some calls, a limited number of times, or with a seeded
probability, and then answers with a status/body/headers (429 with
Retry-After, 503, ...), adds a virtual delay, or drops the connection.  The
HTTP middleware (``simulator.app``) consults :class:`FaultInjector` before a
request reaches its surface; rules are managed through ``/_provsim/faults``
and from Python::

    runtime.faults.add(FaultRule(method="POST", path="/api/v2/scim/v2/users",
                                 nth=3, status=503))

Every decision is recorded (``injector.decisions``) so a provisioning log or a
test can name the fault behind an outcome.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from .errors import ConfigError
from .ids import IdFactory

__all__ = ["FaultRule", "FaultInjector", "DroppedConnection"]


class DroppedConnection(ConnectionError):
    """Raised through the WSGI stack when a fault drops the connection.

    Over a real socket the server closes it without answering; in-process
    transports turn it into the error an HTTP client sees for a dropped
    connection (``httpx.RemoteProtocolError``).
    """


_FIELDS = {
    "id", "method", "path", "surface", "nth", "after", "times", "probability",
    "status", "body", "headers", "delay", "drop", "note",
}


@dataclass
class FaultRule:
    """One fault.  ``path`` is a glob (``/api/v2/scim/v2/users*``), case-insensitive,
    or a regular expression when written ``re:^/v1.0/users/[^/]+$``."""

    method: str = "*"
    path: str = "*"
    surface: str | None = None
    nth: int | None = None
    after: int = 0
    times: int | None = None
    probability: float | None = None
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float | None = None
    drop: bool | str = False  # True: drop before the server acts; "after": act, then drop (the answer is lost)
    note: str = ""
    id: str = ""
    calls: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        self.method = (self.method or "*").upper()
        if self.status is None and self.delay is None and not self.drop:
            raise ConfigError("a fault rule needs an effect: status, delay or drop")
        if self.status is not None and not (100 <= int(self.status) <= 599):
            raise ConfigError(f"fault status must be an HTTP status code, got {self.status!r}")
        if self.probability is not None and not (0.0 <= float(self.probability) <= 1.0):
            raise ConfigError(f"fault probability must be between 0 and 1, got {self.probability!r}")
        if self.nth is not None and int(self.nth) < 1:
            raise ConfigError("fault nth counts from 1")
        if self.drop not in (True, False, "after", "before"):
            raise ConfigError('fault drop is true (before the server acts) or "after" (the server acts, the answer is lost)')
        if self.drop == "before":
            self.drop = True
        if self.delay is not None and float(self.delay) < 0:
            raise ConfigError("fault delay must not be negative")
        if self.path.startswith("re:"):
            try:
                self._regex = re.compile(self.path[3:], re.IGNORECASE)
            except re.error as err:
                raise ConfigError(f"fault path is not a valid regular expression: {err}") from err
        else:
            self._regex = re.compile(fnmatch.translate(self.path), re.IGNORECASE)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FaultRule":
        if not isinstance(data, Mapping):
            raise ConfigError("a fault rule is a JSON object")
        unknown = set(data) - _FIELDS
        if unknown:
            raise ConfigError(f"unknown fault rule field(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(_FIELDS))}")
        try:
            return cls(**{k: v for k, v in data.items()})
        except TypeError as err:
            raise ConfigError(f"bad fault rule: {err}") from err

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: data[k] for k in ("id", "method", "path", "surface", "nth", "after", "times", "probability",
                                      "status", "body", "headers", "delay", "drop", "note", "calls", "fired")}

    def matches(self, method: str, path: str, surface: str | None) -> bool:
        if self.method not in ("*", method.upper()):
            return False
        if self.surface and surface and self.surface != surface:
            return False
        if self.surface and not surface:
            return False
        return bool(self._regex.fullmatch(path))


class FaultInjector:
    """The active rules, in the order added; the first rule that fires wins."""

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        self._random = ids.stream("fault-probability")
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self.decisions: list[dict[str, Any]] = []

    def add(self, rule: FaultRule | Mapping[str, Any]) -> FaultRule:
        if not isinstance(rule, FaultRule):
            rule = FaultRule.from_dict(rule)
        with self._lock:
            if not rule.id:
                rule.id = self._ids.guid()
            self._rules.append(rule)
        return rule

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.decisions.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def evaluate(self, method: str, path: str, surface: str | None = None) -> FaultRule | None:
        """Count the call against every matching rule; the first that fires is returned."""
        chosen: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path, surface):
                    continue
                rule.calls += 1
                if chosen is not None:
                    continue
                if rule.nth is not None and rule.calls != rule.nth:
                    continue
                if rule.calls <= rule.after:
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.probability is not None and not (self._random.random() < rule.probability):
                    continue
                rule.fired += 1
                chosen = rule
            if chosen is not None:
                self.decisions.append({"rule": chosen.id, "method": method.upper(), "path": path,
                                       "surface": surface, "note": chosen.note})
        return chosen
