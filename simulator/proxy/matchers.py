"""Replay matchers: tiny named functions that compare an incoming request with a recorded one.

Each returns ``(matched, reason)`` (getsentry/responses' habit) so a miss can say exactly
what differed; :func:`as_vcr_matcher` adapts one to vcrpy's raise-``AssertionError``
convention for users who register provsim's matchers on their own ``vcr.VCR``.

Both requests are scrubbed before they get here, so secrets never take part in matching.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from vcr.request import Request

__all__ = [
    "MatchResult",
    "MatcherReport",
    "Matcher",
    "method",
    "path",
    "query",
    "body",
    "make_body_matcher",
    "default_matchers",
    "run_matchers",
    "as_vcr_matcher",
    "normalized_query",
    "strip_fields",
]

MatchResult = tuple[bool, str]
Matcher = Callable[[Request, Request], MatchResult]


def _named(name: str) -> Callable[[Matcher], Matcher]:
    def deco(fn: Matcher) -> Matcher:
        fn.__name__ = name
        return fn

    return deco


def method(incoming: Request, recorded: Request) -> MatchResult:
    """HTTP method, exactly."""
    if incoming.method.upper() == recorded.method.upper():
        return True, ""
    return False, f"method {incoming.method} != recorded {recorded.method}"


def path(incoming: Request, recorded: Request) -> MatchResult:
    """Path, percent-decoded; an empty path is ``/`` (RFC 3986 §6.2.3)."""
    a, b = unquote(incoming.path or "/"), unquote(recorded.path or "/")
    if a == b:
        return True, ""
    return False, f"path {a} != recorded {b}"


def normalized_query(request: Request) -> list[tuple[str, str]]:
    """Query pairs decoded and sorted, so parameter order and encoding do not matter."""
    return sorted(parse_qsl(request.parsed_uri.query, keep_blank_values=True))


def query(incoming: Request, recorded: Request) -> MatchResult:
    """Query parameters as a sorted multiset of decoded pairs."""
    a, b = normalized_query(incoming), normalized_query(recorded)
    if a == b:
        return True, ""
    only_in = [f"{k}={v}" for k, v in a if (k, v) not in b]
    only_rec = [f"{k}={v}" for k, v in b if (k, v) not in a]
    return False, f"query differs: this request has {only_in or 'nothing more'}, recorded has {only_rec or 'nothing more'}"


def strip_fields(data: Any, ignore: frozenset[str]) -> Any:
    """Remove ignored fields at any depth: a plain name (``id``) is that key anywhere, a dotted
    name (``meta.version``) that path wherever it ends, so ``Resources[3].meta.version`` of a
    ListResponse goes too (list positions are not part of the path)."""
    plain = {f for f in ignore if "." not in f}
    dotted = [tuple(f.split(".")) for f in ignore if "." in f]

    def walk(node: Any, trail: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                here = (*trail, k)
                if k in plain or any(here[-len(d):] == d for d in dotted if len(here) >= len(d)):
                    continue
                out[k] = walk(v, here)
            return out
        if isinstance(node, list):
            return [walk(v, trail) for v in node]
        return node

    return walk(data, ())


def _content_type(request: Request) -> str:
    for name, value in request.headers.items():
        if name.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return ""


def _body_bytes(request: Request) -> bytes:
    b = request.body
    if b is None:
        return b""
    return b.encode("utf-8") if isinstance(b, str) else bytes(b)


_UNPARSED = object()


def _as_data(request: Request, ignore: frozenset[str]) -> Any:
    raw = _body_bytes(request)
    ct = _content_type(request)
    if not raw:
        return None
    if ct == "application/x-www-form-urlencoded":
        try:
            return sorted(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return _UNPARSED
    if ct == "application/json" or ct.endswith("+json") or raw[:1] in (b"{", b"["):
        try:
            return strip_fields(json.loads(raw), ignore)
        except (ValueError, UnicodeDecodeError):
            return _UNPARSED
    return _UNPARSED


def _first_difference(a: Any, b: Any, where: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            here = f"{where}.{k}" if where else k
            if k not in a:
                return f"{here}: missing here, recorded {json.dumps(b[k])[:80]}"
            if k not in b:
                return f"{here}: {json.dumps(a[k])[:80]} here, absent in recording"
            if a[k] != b[k]:
                return _first_difference(a[k], b[k], here)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{where}[{i}]")
    return f"{where or 'body'}: {json.dumps(a, default=str)[:80]} != recorded {json.dumps(b, default=str)[:80]}"


def make_body_matcher(ignore_fields: Iterable[str] = ()) -> Matcher:
    """Body matcher: JSON compared as data (ignoring ``ignore_fields``), form bodies as
    sorted pairs, anything else byte for byte."""
    ignore = frozenset(ignore_fields)

    @_named("body")
    def body_matcher(incoming: Request, recorded: Request) -> MatchResult:
        a, b = _as_data(incoming, ignore), _as_data(recorded, ignore)
        if a is _UNPARSED or b is _UNPARSED:
            ra, rb = _body_bytes(incoming), _body_bytes(recorded)
            if ra == rb:
                return True, ""
            return False, f"body differs ({len(ra)} bytes here, {len(rb)} recorded)"
        if a == b:
            return True, ""
        return False, "body differs: " + _first_difference(a, b)

    return body_matcher


body: Matcher = make_body_matcher()


def default_matchers(ignore_fields: Iterable[str] = ()) -> list[Matcher]:
    """method, path, normalised query, body as data."""
    return [method, path, query, make_body_matcher(ignore_fields)]


@dataclass(frozen=True)
class MatcherReport:
    """Results of every matcher for one pair: what passed and why the rest failed."""

    passed: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]

    @property
    def matched(self) -> bool:
        return not self.failed


def run_matchers(incoming: Request, recorded: Request, matchers: Sequence[Matcher]) -> MatcherReport:
    """Run all matchers (not stopping at the first failure, so a miss lists every difference)."""
    passed: list[str] = []
    failed: list[tuple[str, str]] = []
    for m in matchers:
        ok, reason = m(incoming, recorded)
        if ok:
            passed.append(m.__name__)
        else:
            failed.append((m.__name__, reason))
    return MatcherReport(tuple(passed), tuple(failed))


def as_vcr_matcher(matcher: Matcher) -> Callable[[Request, Request], None]:
    """Adapt to vcrpy's convention (raise ``AssertionError`` with the reason)."""

    def vcr_matcher(r1: Request, r2: Request) -> None:
        ok, reason = matcher(r1, r2)
        if not ok:
            raise AssertionError(reason)

    vcr_matcher.__name__ = matcher.__name__
    return vcr_matcher
