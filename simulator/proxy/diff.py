"""Comparing recorded exchanges: ``provsim cassette diff`` and the core of ``verify``.

Interactions are paired request by request (by position).  For each pair we compare the
request line, the request body as data, the status, the headers that matter, and the
response body as data (JSON flattened to paths, so a change reads
``response.body.title: "Engineer" -> "Manager"``).  Volatile values are ignored by
default: ids (``id`` keys and GUID-shaped strings anywhere), URL origins (a ``Location``
names its host), ``meta.created``, ``meta.lastModified`` and ``meta.version`` at any depth (so
inside a filter GET's ``Resources[]`` too), and the ``Date``, ``ETag``, ``Server`` and
request-id headers; all of it configurable.

Pure functions over :class:`~simulator.proxy.cassette.Interaction` values; the CLI
prints :meth:`CassetteDiff.render` or :meth:`CassetteDiff.to_dict`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from .cassette import Interaction
from .matchers import strip_fields

__all__ = [
    "DEFAULT_IGNORE_FIELDS",
    "DEFAULT_IGNORE_HEADERS",
    "DiffOptions",
    "Change",
    "InteractionDiff",
    "CassetteDiff",
    "compare_interactions",
    "diff_interactions",
    "MISSING",
]

DEFAULT_IGNORE_FIELDS: tuple[str, ...] = ("id", "meta.created", "meta.lastModified", "meta.version")
DEFAULT_IGNORE_HEADERS: tuple[str, ...] = (
    "Date",
    "ETag",
    "Server",
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Keep-Alive",
    "X-Request-Id",
    "Request-Id",
    "Client-Request-Id",
    "X-Ms-Request-Id",
    "X-Correlation-Id",
    "Inin-Correlation-Id",
    "X-Provsim-Replay",
    "X-Provsim-Source",
)
_ORIGIN_RE = re.compile(r"\bhttps?://[A-Za-z0-9.\-\[\]:]+(?=/|\b)")
_GUID_RE = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class DiffOptions:
    """What counts as a difference."""

    ignore_fields: frozenset[str] = frozenset(DEFAULT_IGNORE_FIELDS)
    ignore_headers: frozenset[str] = frozenset(h.lower() for h in DEFAULT_IGNORE_HEADERS)
    ignore_ids: bool = True
    ignore_origins: bool = True
    compare_requests: bool = True

    @classmethod
    def build(
        cls,
        *,
        ignore_fields: Iterable[str] = (),
        ignore_headers: Iterable[str] = (),
        defaults: bool = True,
        ignore_ids: bool = True,
        compare_requests: bool = True,
    ) -> DiffOptions:
        """Options from CLI-style lists, added to the defaults unless ``defaults=False``."""
        fields = set(DEFAULT_IGNORE_FIELDS if defaults else ()) | set(ignore_fields)
        headers = {h.lower() for h in (DEFAULT_IGNORE_HEADERS if defaults else ())} | {h.lower() for h in ignore_headers}
        return cls(frozenset(fields), frozenset(headers), ignore_ids and defaults, defaults, compare_requests)


@dataclass(frozen=True)
class Change:
    """One differing value: where, and the two sides (``MISSING`` when absent)."""

    where: str
    a: Any
    b: Any

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "a": None if self.a is MISSING else self.a, "b": None if self.b is MISSING else self.b,
                "a_present": self.a is not MISSING, "b_present": self.b is not MISSING}


@dataclass(frozen=True)
class InteractionDiff:
    index: int
    label_a: str
    label_b: str
    changes: tuple[Change, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "a": self.label_a, "b": self.label_b, "changes": [c.to_dict() for c in self.changes]}


@dataclass
class CassetteDiff:
    """The differences between two cassettes, in interaction order."""

    name_a: str
    name_b: str
    count_a: int
    count_b: int
    interactions: list[InteractionDiff] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.interactions and self.count_a == self.count_b

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.name_a,
            "b": self.name_b,
            "equal": self.equal,
            "interactions_a": self.count_a,
            "interactions_b": self.count_b,
            "differences": [d.to_dict() for d in self.interactions],
        }

    def render(self) -> str:
        """Unified-diff-like text: one ``@@`` hunk per differing interaction."""
        lines = [f"--- {self.name_a}", f"+++ {self.name_b}"]
        for d in self.interactions:
            title = d.label_a if d.label_a == d.label_b else f"{d.label_a} | {d.label_b}"
            lines.append(f"@@ #{d.index} {title} @@")
            for c in d.changes:
                lines.extend(_render_change(c))
        if self.equal:
            lines.append(f"= {self.count_a} interaction(s), no differences")
        else:
            lines.append(
                f"{len(self.interactions)} of {max(self.count_a, self.count_b)} interaction(s) differ"
                + (f" (counts {self.count_a} vs {self.count_b})" if self.count_a != self.count_b else "")
            )
        return "\n".join(lines)


def _show(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) or "\n" not in value else value


def _render_change(c: Change) -> list[str]:
    if isinstance(c.a, str) and isinstance(c.b, str) and ("\n" in c.a or "\n" in c.b):
        body = difflib.unified_diff(c.a.splitlines(), c.b.splitlines(), lineterm="", n=1)
        return [f"  {c.where}:"] + [f"  {line}" for line in list(body)[2:]]
    out = []
    if c.a is not MISSING:
        out.append(f"- {c.where}: {_show(c.a)}")
    if c.b is not MISSING:
        out.append(f"+ {c.where}: {_show(c.b)}")
    return out


# --------------------------------------------------------------------------- comparison


def _normalize_ids(value: Any, options: DiffOptions) -> Any:
    """GUIDs become ``<guid>`` and URL origins ``<origin>`` (a Location or meta.location
    names the server it came from: the same answer from two hosts is the same answer)."""
    if not options.ignore_ids and not options.ignore_origins:
        return value
    if isinstance(value, str):
        if options.ignore_origins:
            value = _ORIGIN_RE.sub("<origin>", value)
        return _GUID_RE.sub("<guid>", value) if options.ignore_ids else value
    if isinstance(value, dict):
        return {k: _normalize_ids(v, options) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize_ids(v, options) for v in value]
    return value


def _flatten(data: Any, prefix: str, out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(data, dict) and data:
        for k, v in data.items():
            _flatten(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(data, list) and data:
        for i, v in enumerate(data):
            _flatten(v, f"{prefix}[{i}]", out)
    else:
        out[prefix] = data
    return out


def _content_type(headers: dict[str, Any]) -> str:
    for name, value in headers.items():
        if name.lower() == "content-type":
            v = value[0] if isinstance(value, list) else value
            return str(v).split(";", 1)[0].strip().lower()
    return ""


def _parse_body(raw: bytes, content_type: str, options: DiffOptions) -> tuple[str, Any]:
    """('json'|'form'|'text'|'bytes'|'empty', data)."""
    if not raw:
        return "empty", None
    if content_type == "application/x-www-form-urlencoded":
        return "form", _normalize_ids(dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)), options)
    if content_type == "application/json" or content_type.endswith("+json") or raw[:1] in (b"{", b"["):
        try:
            return "json", _normalize_ids(strip_fields(json.loads(raw), options.ignore_fields), options)
        except (ValueError, UnicodeDecodeError):
            pass
    try:
        return "text", _normalize_ids(raw.decode("utf-8"), options)
    except UnicodeDecodeError:
        return "bytes", raw


def _compare_bodies(where: str, a: tuple[str, Any], b: tuple[str, Any]) -> list[Change]:
    (ka, da), (kb, db) = a, b
    if ka in ("json", "form") and kb in ("json", "form"):
        fa, fb = _flatten(da, "", {}), _flatten(db, "", {})
        changes = []
        for key in sorted(set(fa) | set(fb)):
            va, vb = fa.get(key, MISSING), fb.get(key, MISSING)
            if va != vb:
                changes.append(Change(f"{where}.{key}" if key else where, va, vb))
        return changes
    if da == db:
        return []
    if ka == "bytes" or kb == "bytes":
        return [Change(where, f"<{len(da or b'')} bytes>", f"<{len(db or b'')} bytes>")]
    return [Change(where, MISSING if da is None else da, MISSING if db is None else db)]


def _headers(response_or_request_headers: dict[str, Any], options: DiffOptions) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in response_or_request_headers.items():
        if name.lower() in options.ignore_headers:
            continue
        values = value if isinstance(value, list) else [value]
        out[name.lower()] = _normalize_ids(", ".join(str(v) for v in values), options)
    return out


def _request_line(it: Interaction, options: DiffOptions) -> str:
    uri = it.request.parsed_uri
    q = sorted(parse_qsl(uri.query, keep_blank_values=True))
    query = "&".join(f"{k}={v}" for k, v in q)
    return _normalize_ids(f"{it.request.method} {unquote(uri.path)}" + (f"?{query}" if query else ""), options)


def compare_interactions(a: Interaction, b: Interaction, options: DiffOptions | None = None) -> list[Change]:
    """Every difference that matters between two exchanges (empty when they agree)."""
    options = options or DiffOptions()
    changes: list[Change] = []
    if options.compare_requests:
        la, lb = _request_line(a, options), _request_line(b, options)
        if la != lb:
            changes.append(Change("request", la, lb))
        changes += _compare_bodies(
            "request.body",
            _parse_body(a.request_body, _content_type(dict(a.request.headers)), options),
            _parse_body(b.request_body, _content_type(dict(b.request.headers)), options),
        )
    if a.status != b.status:
        changes.append(Change("status", a.status, b.status))
    ha, hb = _headers(a.response.get("headers", {}), options), _headers(b.response.get("headers", {}), options)
    for name in sorted(set(ha) | set(hb)):
        va, vb = ha.get(name, MISSING), hb.get(name, MISSING)
        if va != vb:
            changes.append(Change(f"response.headers.{name}", va, vb))
    changes += _compare_bodies(
        "response.body",
        _parse_body(a.response_body, _content_type(a.response.get("headers", {})), options),
        _parse_body(b.response_body, _content_type(b.response.get("headers", {})), options),
    )
    return changes


def diff_interactions(
    a: Sequence[Interaction],
    b: Sequence[Interaction],
    *,
    name_a: str = "a",
    name_b: str = "b",
    options: DiffOptions | None = None,
) -> CassetteDiff:
    """Pair interactions by position and collect every difference."""
    options = options or DiffOptions()
    result = CassetteDiff(name_a, name_b, len(a), len(b))
    for i in range(max(len(a), len(b))):
        ia = a[i] if i < len(a) else None
        ib = b[i] if i < len(b) else None
        if ia is None or ib is None:
            present = ia or ib
            assert present is not None
            label = present.label()
            result.interactions.append(
                InteractionDiff(
                    i,
                    label if ia else "(none)",
                    label if ib else "(none)",
                    (Change("interaction", label if ia else MISSING, label if ib else MISSING),),
                )
            )
            continue
        changes = compare_interactions(ia, ib, options)
        if changes:
            result.interactions.append(InteractionDiff(i, ia.label(), ib.label(), tuple(changes)))
    return result
