"""The traffic log: every request the fakes served and what they answered.

Kept in memory as a bounded ring (the dashboard and tests read it; it is not
state to persist).  An exchange is kept as it came and scrubbed the first time
it is read (most are never read: scrubbing every exchange of a 10k-user cycle
cost a tenth of its time); nothing read from here can leak a token.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from itertools import chain
from typing import Any

from .scrub import scrub_body, scrub_headers, scrub_query

__all__ = ["TrafficLog"]

_BODY_LIMIT = 16_384


#: The ring's default budget: bodies and headers it keeps, in bytes.
MAX_BYTES = 32 * 1024 * 1024


class TrafficLog:
    """A ring bounded both in entries (``maxlen``) and in the bytes it holds (``max_bytes``)."""

    def __init__(self, maxlen: int = 10_000, *, max_bytes: int = MAX_BYTES) -> None:
        self._entries: deque[dict[str, Any]] = deque()
        self.maxlen = maxlen
        self.max_bytes = max_bytes
        self.bytes = 0
        self._seq = 0
        self._lock = threading.Lock()

    def record(
        self,
        *,
        at: str,
        surface: str | None,
        method: str,
        path: str,
        query: str,
        request_headers: Iterable[tuple[str, str]],
        request_body: bytes | None,
        status: int,
        response_headers: Iterable[tuple[str, str]],
        response_body: bytes | None,
        fault: str | None = None,
    ) -> int:
        """Keep one exchange; returns its sequence number."""
        req_h, resp_h = list(request_headers), list(response_headers)
        raw = (req_h, _clip_bytes(request_body), resp_h, _clip_bytes(response_body))
        # the length of every header name and value (each exchange is counted: summed in C, not a generator)
        size = 512 + len(path) + len(query) + len(raw[1] or b"") + len(raw[3] or b"") + sum(
            map(len, chain.from_iterable(req_h))) + sum(map(len, map(str, chain.from_iterable(resp_h))))
        # The query string is scrubbed now: it is kept as a plain field, never re-read through _view.
        entry: dict[str, Any] = {"at": at, "surface": surface, "method": method, "path": path,
                                 "query": scrub_query(query), "status": status, "fault": fault, "_raw": raw,
                                 "_size": size}
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
            self.bytes += size
            while self._entries and (len(self._entries) > self.maxlen or self.bytes > self.max_bytes):
                self.bytes -= self._entries.popleft()["_size"]
            return self._seq

    @staticmethod
    def _view(entry: dict[str, Any]) -> dict[str, Any]:
        """The scrubbed, public form of an entry (built once, then cached)."""
        view = entry.get("_view")
        if view is None:
            req_h, req_b, resp_h, resp_b = entry["_raw"]
            req_headers = scrub_headers(req_h)
            resp_headers = scrub_headers(resp_h)
            req_ct = dict((k.lower(), v) for k, v in req_headers).get("content-type")
            resp_ct = dict((k.lower(), v) for k, v in resp_headers).get("content-type")
            view = {
                "seq": entry["seq"], "at": entry["at"], "surface": entry["surface"], "method": entry["method"],
                "path": entry["path"], "query": entry["query"],
                "request": {"headers": req_headers, "body": _clip(scrub_body(req_b, req_ct))},
                "status": entry["status"],
                "response": {"headers": resp_headers, "body": _clip(scrub_body(resp_b, resp_ct))},
                "fault": entry["fault"],
            }
            entry["_view"] = view
            entry["_raw"] = None  # the secrets go as soon as the scrubbed form exists
        return view

    @property
    def seq(self) -> int:
        """The newest exchange's number (0: none since the start or the last reset)."""
        return self._seq

    def entries(self, *, surface: str | None = None, since: int = 0, until: int | None = None,
                limit: int | None = None) -> list[dict[str, Any]]:
        """Exchanges numbered after ``since`` (and up to ``until``), oldest first; ``limit``: the newest N of them."""
        with self._lock:
            items = [e for e in self._entries if e["seq"] > since and (until is None or e["seq"] <= until)
                     and (surface is None or e["surface"] == surface)]
            items = items[-limit:] if limit else items
            return [self._view(e) for e in items]

    def clear(self) -> None:
        """Empty the ring and number from 1 again: after a reset the log is a fresh start's (a story that
        counts its requests from the first one must count the same after ``/_provsim/reset``)."""
        with self._lock:
            self._entries.clear()
            self.bytes = 0
            self._seq = 0

    def __len__(self) -> int:
        return len(self._entries)


def _clip_bytes(body: bytes | None) -> bytes | None:
    # Keep a little more than the view shows: scrubbing can shorten a body.
    return body if body is None or len(body) <= 4 * _BODY_LIMIT else body[: 4 * _BODY_LIMIT]


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= _BODY_LIMIT:
        return text
    return text[:_BODY_LIMIT] + f"... [{len(text) - _BODY_LIMIT} more characters]"
