"""The traffic log: every request the fakes served and what they answered.

Kept in memory as a bounded ring (the dashboard and tests read it; it is not
state to persist).  Secrets are scrubbed on the way in, so nothing read from
here can leak a token.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Iterable

from .scrub import scrub_body, scrub_headers

__all__ = ["TrafficLog"]

_BODY_LIMIT = 16_384


class TrafficLog:
    def __init__(self, maxlen: int = 10_000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
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
    ) -> dict[str, Any]:
        req_headers = scrub_headers(list(request_headers))
        resp_headers = scrub_headers(list(response_headers))
        req_ct = dict((k.lower(), v) for k, v in req_headers).get("content-type")
        resp_ct = dict((k.lower(), v) for k, v in resp_headers).get("content-type")
        entry = {
            "at": at,
            "surface": surface,
            "method": method,
            "path": path,
            "query": query,
            "request": {"headers": req_headers, "body": _clip(scrub_body(request_body, req_ct))},
            "status": status,
            "response": {"headers": resp_headers, "body": _clip(scrub_body(response_body, resp_ct))},
            "fault": fault,
        }
        with self._lock:
            self._seq += 1
            entry = {"seq": self._seq, **entry}
            self._entries.append(entry)
        return entry

    def entries(self, *, surface: str | None = None, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            items = [e for e in self._entries if e["seq"] > since and (surface is None or e["surface"] == surface)]
        return items[-limit:] if limit else items

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= _BODY_LIMIT:
        return text
    return text[:_BODY_LIMIT] + f"... [{len(text) - _BODY_LIMIT} more characters]"
