"""What went over the wire: every request to the target and its answer, in order.

:class:`CapturingTransport` wraps the transport the engine (or a probe) uses and hands each
exchange to a :class:`Recorder`.  Only what a report shows is kept: method, path relative to
the tenant URL, query, the JSON bodies, status, ``Content-Type`` and ``Location``.  Request
headers are not kept (the Authorization header carries the secret token), and the token is
blanked out of everything that is kept, in case a server echoes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["Exchange", "Recorder", "CapturingTransport", "SECRET_MASK"]

SECRET_MASK = "[secret token]"


@dataclass
class Exchange:
    """One request to the target and what came back."""

    n: int
    phase: str  # the pass: "default" or "aadOptscim062020"
    source: str  # "engine" (sent by the provisioning engine) or "probe" (sent by the report)
    method: str
    path: str  # relative to the tenant URL, e.g. /Users/1234
    query: list[tuple[str, str]]
    body: Any  # the request body (parsed JSON), None for none
    status: int | None  # None: no answer (connection failed, timeout)
    content_type: str | None = None
    location: str | None = None
    answer: Any = None  # the response body (parsed JSON, or text), None for none
    error: str | None = None  # why there is no answer
    ref: int | None = None  # a probe: the request it checks (a PATCH read back, a create repeated)
    #: filled by the report: patterns this exchange is an instance of, and its checks
    patterns: list[str] = field(default_factory=list)
    checks: list[Any] = field(default_factory=list)

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def target(self) -> str:
        """``METHOD /path?query`` as a person reads it."""
        query = "&".join(f"{k}={v}" if v else k for k, v in self.query)
        return f"{self.method} {self.path}" + (f"?{query}" if query else "")


def _parse(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")


def _mask(value: Any, secret: str | None) -> Any:
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, SECRET_MASK)
    if isinstance(value, list):
        return [_mask(v, secret) for v in value]
    if isinstance(value, dict):
        return {_mask(k, secret): _mask(v, secret) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_mask(v, secret) for v in value)
    return value


class Recorder:
    """Collects exchanges; ``phase`` and ``source`` say what is being captured now."""

    def __init__(self, base: str, secret: str | None, *, hidden_params: tuple[str, ...] = ()) -> None:
        self.base_path = httpx.URL(base).path.rstrip("/")
        self.secret = secret
        #: tenant-URL flags sent on every request and left out of the report (the pass names them)
        self.hidden = {p.lower() for p in hidden_params}
        self.exchanges: list[Exchange] = []
        self.phase = ""
        self.source = "engine"
        #: the patterns the next recorded request is an instance of (probes know theirs)
        self.next_patterns: list[str] = []
        #: called after each engine exchange with (exchange, request, the transport under the capture):
        #: the validator reads a PATCHed object back (validator.ReadBack)
        self.after_engine: Callable[[Exchange, httpx.Request, httpx.BaseTransport], None] | None = None

    def wrap(self, inner: httpx.BaseTransport) -> httpx.BaseTransport:
        return CapturingTransport(inner, self)

    def record(self, request: httpx.Request, response: httpx.Response | None, error: Exception | None) -> None:
        path = request.url.path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path):] or "/"
        query = [(k, v) for k, v in request.url.params.multi_items() if not (k.lower() in self.hidden and not v)]
        ctype = response.headers.get("content-type") if response is not None else None
        exchange = Exchange(
            n=len(self.exchanges) + 1, phase=self.phase, source=self.source, method=request.method, path=path,
            query=query, body=_parse(request.content), status=response.status_code if response is not None else None,
            content_type=ctype, location=response.headers.get("location") if response is not None else None,
            answer=_parse(response.content) if response is not None else None,
            error=f"{type(error).__name__}: {error}" if error is not None else None, patterns=list(self.next_patterns))
        for name in ("path", "query", "body", "content_type", "location", "answer", "error"):
            setattr(exchange, name, _mask(getattr(exchange, name), self.secret))
        self.exchanges.append(exchange)


class CapturingTransport(httpx.BaseTransport):
    """Passes every request to ``inner`` and records it with its answer (read whole first)."""

    def __init__(self, inner: httpx.BaseTransport, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        try:
            response = self.inner.handle_request(request)
            response.read()
        except httpx.HTTPError as err:
            self.recorder.record(request, None, err)
            raise
        self.recorder.record(request, response, None)
        if self.recorder.after_engine is not None and self.recorder.source in ("engine", "story"):
            self.recorder.after_engine(self.recorder.exchanges[-1], request, self.inner)
        return response

    def close(self) -> None:
        self.inner.close()
