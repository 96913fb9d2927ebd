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
import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import ConfigError
from .ids import IdFactory

__all__ = ["FaultRule", "FaultInjector", "DroppedConnection"]


class DroppedConnection(ConnectionError):
    """Raised through the WSGI stack when a fault drops the connection.

    Over a real socket the server closes it without answering; in-process
    transports turn it into the error an HTTP client sees for a dropped
    connection (``httpx.RemoteProtocolError``).
    """


#: The longest virtual delay a rule may add (seconds).
MAX_DELAY = 3600.0
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
#: Headers provsim frames itself; a rule must not set them.
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})


def _text(name: str, value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"fault {name} must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise ConfigError(f"fault {name} is longer than {limit} characters")
    return value


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else f"a {len(str(abs(value)))}-digit number"
    return text if len(text) <= 60 else text[:57] + "..."


def _integer(name: str, value: Any, *, low: int, high: int | None = None, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"fault {name} must be an integer, got {_short(value)}")
    if value < low or (high is not None and value > high):
        raise ConfigError(f"fault {name} must be between {low} and {high}" if high is not None
                          else f"fault {name} must be at least {low}")
    return value


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"fault {name} must be a number, got {_short(value)}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a double
        finite = False
    if not finite:
        raise ConfigError(f"fault {name} must be between {low:g} and {high:g}, got {_short(value)}")
    if not low <= value <= high:
        raise ConfigError(f"fault {name} must be between {low:g} and {high:g}")
    return float(value)


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError("fault headers must be an object of header names to values")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _TOKEN.match(key):
            raise ConfigError(f"fault header name {key!r} is not a valid HTTP header name")
        if key.lower() in _FRAMING:
            raise ConfigError(f"fault headers must not set {key}: provsim frames the answer itself")
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise ConfigError(f"fault header {key} must be a string or a number")
        text = str(item)
        if any(c in text for c in "\r\n\0") or len(text) > 4096:
            raise ConfigError(f"fault header {key} holds a line break or is too long (header injection)")
        out[key] = text
    return out


def _json_value(value: Any, depth: int = 0) -> bool:
    if depth > 32:
        return False
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_json_value(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_value(v, depth + 1) for k, v in value.items())
    return False


def _safe_regex(pattern: str) -> Any:
    """Compile a path regex that always answers in time linear in the path.

    With ``google-re2`` (a dependency; RE2 never backtracks) the pattern runs on
    RE2, and a pattern RE2 does not support (back-references, look-around) is
    refused with its reason.  Without it, Python's ``re`` cannot be interrupted,
    so the rule is restricted instead of time-boxed: no repetition of something
    that itself repeats, is optional or branches (``(a+)+``, ``(a|aa)*``,
    ``(a?){30}``), and no back-references.
    """
    try:
        import re2
    except ImportError:
        return _restricted_regex(pattern)
    try:
        _restricted_regex(pattern, check=False)  # Python's syntax errors read better than RE2's
        options = re2.Options()
        options.case_sensitive = False
        options.max_mem = 8 << 20
        return re2.compile(pattern, options)
    except re2.error as err:
        raise ConfigError(f"fault path regular expression refused: {err} (RE2 runs every rule in linear time and has "
                          "no back-references or look-around; use a glob, or a simpler expression such as "
                          "re:^/v1.0/users/[^/]+$)") from err


def _restricted_regex(pattern: str, *, check: bool = True) -> re.Pattern[str]:
    from re import _parser as sre_parse  # type: ignore[attr-defined]  # private in typeshed, stable since 3.11

    try:
        tree = sre_parse.parse(pattern, re.IGNORECASE)
        compiled = re.compile(pattern, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError) as err:
        raise ConfigError(f"fault path is not a valid regular expression: {err}") from err
    if not check:
        return compiled

    def variable(items: Any) -> bool:
        """Can this part match strings of different lengths or in different ways (so repeating it backtracks)?"""
        for op, arg in items:
            name = str(op)
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, high, sub = arg
                if low != high or variable(sub):
                    return True
            elif name == "BRANCH":
                return True
            elif name == "SUBPATTERN" and variable(arg[-1]):
                return True
        return False

    def risky(items: Any, inside_repeat: bool) -> str | None:
        for op, arg in items:
            name = str(op)
            if name in ("GROUPREF", "GROUPREF_EXISTS"):
                return "back-references"
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, high, sub = arg
                repeats = high == sre_parse.MAXREPEAT or high > 1
                if repeats and variable(sub):
                    return "a repetition of something that itself varies (repeats, is optional or branches)"
                if inside_repeat and (high == sre_parse.MAXREPEAT or high > 100):
                    return "a repetition inside a repetition"
                found = risky(sub, inside_repeat or repeats)
                if found:
                    return found
            elif name == "SUBPATTERN":
                found = risky(arg[-1], inside_repeat)
                if found:
                    return found
            elif name == "BRANCH":
                if inside_repeat:
                    return "alternatives inside a repetition"
                for branch in arg[1]:
                    found = risky(branch, inside_repeat)
                    if found:
                        return found
            elif name in ("ASSERT", "ASSERT_NOT"):
                found = risky(arg[1], inside_repeat)
                if found:
                    return found
            elif name == "ATOMIC_GROUP":
                found = risky(arg, inside_repeat)
                if found:
                    return found
        return None

    problem = risky(tree, False)
    if problem:
        raise ConfigError(f"fault path regular expression refused: {problem} can backtrack and take exponential time "
                          "(use a glob, or a simpler expression such as re:^/v1.0/users/[^/]+$)")
    return compiled


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
        self.method = _text("method", self.method or "*", 20).upper()
        if self.method != "*" and not _TOKEN.match(self.method):
            raise ConfigError(f"fault method must be an HTTP method or '*', got {self.method!r}")
        self.path = _text("path", self.path, 2048)
        if self.surface is not None:
            self.surface = _text("surface", self.surface, 64)
        self.nth = _integer("nth", self.nth, low=1, optional=True)
        self.after = _integer("after", self.after, low=0)
        self.times = _integer("times", self.times, low=0, optional=True)
        self.status = _integer("status", self.status, low=100, high=599, optional=True)
        if self.probability is not None:
            self.probability = _number("probability", self.probability, 0.0, 1.0)
        if self.delay is not None:
            self.delay = _number("delay", self.delay, 0.0, MAX_DELAY)
        self.note = _text("note", self.note or "", 1000)
        self.id = _text("id", self.id or "", 100)
        self.headers = _headers(self.headers)
        if not _json_value(self.body):
            raise ConfigError("fault body must be JSON (an object, array, string, number, true/false or null)")
        if self.status is None and self.delay is None and not self.drop:
            raise ConfigError("a fault rule needs an effect: status, delay or drop")
        if self.drop not in (True, False, "after", "before") or isinstance(self.drop, int) and not isinstance(self.drop, bool):
            raise ConfigError('fault drop is true (before the server acts) or "after" (the server acts, the answer is lost)')
        if self.drop == "before":
            self.drop = True
        if self.path.startswith("re:"):
            self._regex = _safe_regex(self.path[3:])
        else:
            self._regex = re.compile(fnmatch.translate(self.path), re.IGNORECASE)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        if not isinstance(data, Mapping):
            raise ConfigError("a fault rule is a JSON object")
        unknown = set(data) - _FIELDS
        if unknown:
            raise ConfigError(f"unknown fault rule field(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(_FIELDS))}")
        try:
            return cls(**{k: v for k, v in data.items() if k not in ("calls", "fired")})
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
        return self.add_all([rule])[0]

    def add_all(self, rules: Iterable[FaultRule | Mapping[str, Any]]) -> list[FaultRule]:
        """Every rule parsed first, then all added at once: one bad rule adds none (a ``ConfigError``)."""
        parsed = [r if isinstance(r, FaultRule) else FaultRule.from_dict(r) for r in rules]
        with self._lock:
            for rule in parsed:
                if not rule.id:
                    rule.id = self._ids.guid()
                self._rules.append(rule)
        return parsed

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
