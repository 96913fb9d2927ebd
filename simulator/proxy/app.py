"""The recording proxy as a WSGI application.

Being plain WSGI, one :class:`ProxyApp` runs in-process behind ``httpx.WSGITransport``
(tests, scenarios: no sockets) and on a real port through werkzeug's threaded server
(``provsim proxy``).  Per request::

    refuse foreign targets (absolute-form to another origin, CONNECT)  -> 403
    passthrough   forward, streaming both ways, log
    record        forward, answer the client the real response, record it scrubbed
    replay        scrub the request, answer from the cassette, or explain the miss
    spy           replay when the cassette can answer, else forward (record with record_new)

Errors are :class:`~simulator.proxy.errors.ProxyError` subclasses rendered by one
function as JSON with their status; an unexpected exception is logged and answered 500
without a traceback.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlsplit

import httpx
from vcr.request import Request
from werkzeug.wsgi import get_input_stream

from .cassette import CassetteFile, CassetteFormat, Interaction, load_interactions, make_request, make_response
from .errors import ForbiddenTarget, ProxyError, ReplayMiss, UnscrubbableBody
from .forward import Forwarder, Upstream, strip_hop_by_hop
from .matchers import default_matchers
from .modes import OnMiss, ProxyMode, validate_mode
from .replay import Replayer
from .scrub import DEFAULT_PSEUDONYM_KEY, Scrubber

__all__ = ["ProxyConfig", "ProxyApp", "ProxyTrafficLog", "REPLAY_HEADER", "SOURCE_HEADER"]

log = logging.getLogger(__name__)

#: Set on every answer that replay produced: ``hit`` or ``miss``.
REPLAY_HEADER = "X-Provsim-Replay"
#: Where an answer came from: ``upstream``, ``cassette`` or ``proxy`` (an error of the proxy's own).
SOURCE_HEADER = "X-Provsim-Source"

StartResponse = Callable[..., Any]
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


@dataclass(frozen=True)
class ProxyConfig:
    """Everything a proxy needs, typed and validated before the first request.

    ``miss_status`` is 404 by default with ``X-Provsim-Replay: miss`` and a JSON body, so
    a test sees an explained miss; clients that would read 404 as "user deleted" can set
    a 5xx instead.
    """

    upstream: str
    mode: ProxyMode = ProxyMode.RECORD
    cassette: Path | None = None
    format: CassetteFormat | None = None
    on_miss: OnMiss = OnMiss.ERROR
    allow_repeats: bool = False
    record_new: bool = False
    scrub_headers: tuple[str, ...] = ()
    scrub_json_paths: tuple[str, ...] = ()
    pseudonymize: bool = False
    pseudonym_key: str = DEFAULT_PSEUDONYM_KEY
    ignore_fields: tuple[str, ...] = ()
    verify: bool | ssl.SSLContext = True  # an SSLContext: the system's CAs plus provsim's local CA (--tls)
    timeout: float = 30.0
    traffic_log: Path | None = None
    miss_status: int = 404

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", validate_mode(self.mode))
        object.__setattr__(self, "on_miss", OnMiss(self.on_miss))
        if self.cassette is not None:
            object.__setattr__(self, "cassette", Path(self.cassette))
        if self.mode is not ProxyMode.PASSTHROUGH and self.cassette is None:
            raise ValueError(f"mode {self.mode.value!r} needs a cassette path")
        Upstream.parse(self.upstream)  # fail early on a bad URL


@dataclass
class ProxyTrafficLog:
    """What passed through, in order, without wall time (JSON lines when given a path).

    ``cassette check --played LOG`` reads the ``interaction`` numbers back to report
    interactions a replay never used."""

    path: Path | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _handle: IO[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", encoding="utf-8")

    def add(self, **entry: Any) -> None:
        with self._lock:
            entry = {"seq": len(self.entries), **entry}
            self.entries.append(entry)
            if self._handle is not None:
                self._handle.write(json.dumps(entry, sort_keys=True) + "\n")
                self._handle.flush()

    def played(self) -> set[int]:
        return {e["interaction"] for e in self.entries if e.get("source") == "cassette" and e.get("interaction") is not None}

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@dataclass
class _Incoming:
    method: str
    path: str  # percent-encoded, as on the wire
    query: str
    headers: list[tuple[str, str]]
    body: bytes


class ProxyApp:
    """The proxy WSGI callable.  ``transport`` replaces the network (tests, in-process use).

    In replay mode without ``on_miss=forward`` no ``httpx.Client`` is even created, so
    replay cannot open a connection by construction.
    """

    def __init__(
        self,
        config: ProxyConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        scrubber: Scrubber | None = None,
    ) -> None:
        self.config = config
        self.mode = config.mode
        self.upstream = Upstream.parse(config.upstream)
        self.scrubber = scrubber or Scrubber.default(
            headers=config.scrub_headers,
            json_paths=config.scrub_json_paths,
            pseudonymize_key=config.pseudonym_key if config.pseudonymize else None,
        )
        needs_network = self.mode.forwards or config.on_miss is OnMiss.FORWARD
        self.forwarder = (
            Forwarder(self.upstream, verify=config.verify, timeout=config.timeout, transport=transport)
            if needs_network
            else None
        )
        self.cassette: CassetteFile | None = None
        self.replayer: Replayer | None = None
        if self.mode is ProxyMode.RECORD:
            assert config.cassette is not None
            # A record session starts a new recording; the old file is replaced at the first save.
            self.cassette = CassetteFile(config.cassette, format=config.format, fresh=True)
        elif self.mode is ProxyMode.SPY:
            assert config.cassette is not None
            self.cassette = CassetteFile(config.cassette, format=config.format) if config.record_new else None
            interactions = (
                self.cassette.interactions if self.cassette is not None
                else (load_interactions(config.cassette, format=config.format) if config.cassette.exists() else [])
            )
            self.replayer = self._replayer(interactions)
        elif self.mode is ProxyMode.REPLAY:
            assert config.cassette is not None
            self.replayer = self._replayer(load_interactions(config.cassette, format=config.format))
        self.traffic = ProxyTrafficLog(config.traffic_log)

    def _replayer(self, interactions: list[Interaction]) -> Replayer:
        return Replayer(
            interactions,
            matchers=default_matchers(self.config.ignore_fields),
            allow_repeats=self.config.allow_repeats,
            name=f"cassette {self.config.cassette}",
        )

    # ------------------------------------------------------------------ WSGI entry

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            incoming_path, query = self._target(environ)
            if self.mode is ProxyMode.PASSTHROUGH:
                return self._passthrough(environ, incoming_path, query, start_response)
            incoming = self._read(environ, incoming_path, query)
            if self.mode is ProxyMode.RECORD:
                return self._forward(incoming, start_response, record=True)
            return self._replay(incoming, start_response)
        except ProxyError as err:
            self.traffic.add(method=environ.get("REQUEST_METHOD"), path=environ.get("PATH_INFO"), status=err.status, source="proxy", error=err.code)
            return self._error(err, start_response)
        except Exception:  # the one logged catch-all at the HTTP edge
            log.exception("proxy failed on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            return self._error(ProxyError("the proxy failed unexpectedly; see its log"), start_response)

    def close(self) -> None:
        """Release the upstream client and the traffic log file."""
        if self.forwarder is not None:
            self.forwarder.close()
        self.traffic.close()

    def unused(self) -> list[int]:
        """Recorded interactions this session never replayed."""
        return self.replayer.unused() if self.replayer is not None else []

    # ------------------------------------------------------------------ request side

    def _target(self, environ: dict[str, Any]) -> tuple[str, str]:
        """The request target as path + query, refusing anything not meant for the upstream."""
        method = environ.get("REQUEST_METHOD", "GET").upper()
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or ""
        if method == "CONNECT":
            raise ForbiddenTarget(
                f"CONNECT {raw or environ.get('PATH_INFO', '')} refused: this proxy does not open tunnels; "
                f"it forwards only to {self.upstream.origin}"
            )
        if "://" in raw.split("?", 1)[0]:
            if not self.upstream.is_same_origin(raw):
                parts = urlsplit(raw)
                raise ForbiddenTarget(
                    f"request for {parts.scheme}://{parts.netloc} refused: this proxy forwards only to "
                    f"{self.upstream.origin}"
                )
            parts = urlsplit(raw)
            return parts.path or "/", parts.query
        if raw:
            path, _, query = raw.partition("?")
            return path or "/", query
        path_info = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        path = quote(path_info.encode("latin-1").decode("utf-8", "replace"), safe=_PATH_SAFE)
        return path or "/", environ.get("QUERY_STRING", "")

    @staticmethod
    def _headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                name = "-".join(p.capitalize() for p in key[5:].split("_"))
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                if not value:
                    continue
                name = "-".join(p.capitalize() for p in key.split("_"))
            else:
                continue
            headers.append((name, value.encode("latin-1").decode("utf-8", "replace")))
        return headers

    def _read(self, environ: dict[str, Any], path: str, query: str) -> _Incoming:
        body = get_input_stream(environ).read()
        return _Incoming(environ.get("REQUEST_METHOD", "GET").upper(), path, query, self._headers(environ), body)

    def _vcr_request(self, incoming: _Incoming) -> Request:
        return make_request(incoming.method, self.upstream.url_for(incoming.path, incoming.query), incoming.body, incoming.headers)

    # ------------------------------------------------------------------ modes

    def _forward(self, incoming: _Incoming, start_response: StartResponse, *, record: bool) -> Iterable[bytes]:
        assert self.forwarder is not None
        recorded_req = None
        if record and self.cassette is not None:
            # Scrubbed before anything is forwarded: a body that cannot be scrubbed is refused while the
            # upstream has done nothing, never answered 500 after it acted.
            try:
                recorded_req = self.scrubber.request(self._vcr_request(incoming))
            except Exception as err:
                log.exception("cannot scrub %s %s for the cassette", incoming.method, incoming.path)
                raise UnscrubbableBody(f"the request body cannot be scrubbed for the cassette ({type(err).__name__}); "
                                       "it was not forwarded") from err
        req = self.forwarder.build(incoming.method, incoming.path, incoming.query, incoming.headers, incoming.body)
        response = self.forwarder.send(req)
        body = response.content  # decoded (gzip/deflate/br): readable, scrubbable cassettes
        headers = self._client_headers(response)
        index = None
        if recorded_req is not None and self.cassette is not None:
            # From here on the upstream has acted: whatever goes wrong with the recording, the client gets
            # the upstream's answer (the miss is logged and shown in the proxy's traffic log).
            try:
                recorded_resp = self.scrubber.response(make_response(response.status_code, response.reason_phrase, headers, body))
                index = self.cassette.append(recorded_req, recorded_resp)
                if self.replayer is not None:
                    self.replayer.add(Interaction(recorded_req, recorded_resp))
            except Exception:
                log.exception("%s %s was forwarded but could not be recorded", incoming.method, incoming.path)
        self.traffic.add(method=incoming.method, path=self._logged_path(incoming), status=response.status_code, source="upstream", interaction=index)
        out = [*headers, (SOURCE_HEADER, "upstream")]
        start_response(_status_line(response.status_code, response.reason_phrase), out)
        return [body]

    @staticmethod
    def _client_headers(response: httpx.Response) -> list[tuple[str, str]]:
        """Response headers for a buffered answer: hop-by-hop removed; the body is decoded,
        so Content-Encoding goes and Content-Length is recomputed."""
        kept = [
            (n, v)
            for n, v in strip_hop_by_hop(response.headers.multi_items())
            if n.lower() not in ("content-encoding", "content-length")
        ]
        kept.append(("Content-Length", str(len(response.content))))
        return kept

    def _replay(self, incoming: _Incoming, start_response: StartResponse) -> Iterable[bytes]:
        assert self.replayer is not None
        scrubbed = self.scrubber.request(self._vcr_request(incoming))
        try:
            play = self.replayer.play(scrubbed)
        except ReplayMiss as miss:
            if self.mode is ProxyMode.SPY or self.config.on_miss is OnMiss.FORWARD:
                return self._forward(incoming, start_response, record=self.mode is ProxyMode.SPY and self.config.record_new)
            self.traffic.add(method=incoming.method, path=self._logged_path(incoming), status=self.config.miss_status, source="miss", interaction=None)
            return self._error(miss, start_response, status=self.config.miss_status, extra=[(REPLAY_HEADER, "miss")])
        recorded = play.interaction
        body = recorded.response_body
        headers = [
            (n, v)
            for n, values in recorded.response.get("headers", {}).items()
            for v in values
            if n.lower() not in ("content-length", "content-encoding")
        ]
        headers = strip_hop_by_hop(headers)
        headers += [("Content-Length", str(len(body))), (REPLAY_HEADER, "hit"), (SOURCE_HEADER, "cassette")]
        self.traffic.add(method=incoming.method, path=self._logged_path(incoming), status=recorded.status, source="cassette", interaction=play.index)
        start_response(_status_line(recorded.status, recorded.response["status"].get("message") or ""), headers)
        return [body]

    def _passthrough(self, environ: dict[str, Any], path: str, query: str, start_response: StartResponse) -> Iterable[bytes]:
        """Stream both ways: large bodies never sit in the proxy's memory."""
        assert self.forwarder is not None
        headers = self._headers(environ)
        stream = get_input_stream(environ)
        has_length = any(n.lower() == "content-length" for n, _ in headers)
        content: bytes | Iterator[bytes] = _chunks(stream) if has_length else stream.read()
        method = environ.get("REQUEST_METHOD", "GET").upper()
        req = self.forwarder.build(method, path, query, headers, content)
        response = self.forwarder.send(req, stream=True)
        out = [*strip_hop_by_hop(response.headers.multi_items()), (SOURCE_HEADER, "upstream")]
        logged = self.scrubber.request(make_request(method, self.upstream.url_for(path, query), b"", headers))
        self.traffic.add(method=method, path=_path_of(logged.uri), status=response.status_code, source="upstream", interaction=None)
        start_response(_status_line(response.status_code, response.reason_phrase), out)
        return _StreamedBody(response, self.forwarder)

    def _logged_path(self, incoming: _Incoming) -> str:
        """The path as the log shows it: scrubbed (no tokens in queries, pseudonyms applied)."""
        scrubbed = self.scrubber.request(make_request(incoming.method, self.upstream.url_for(incoming.path, incoming.query), b"", []))
        return _path_of(scrubbed.uri)

    # ------------------------------------------------------------------ errors

    @staticmethod
    def _error(
        err: ProxyError,
        start_response: StartResponse,
        *,
        status: int | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> Iterable[bytes]:
        code = status or err.status
        body = json.dumps(err.to_payload(), indent=2, sort_keys=True).encode("utf-8") + b"\n"
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("X-Provsim-Error", err.code),
            (SOURCE_HEADER, "proxy"),
            *(extra or []),
        ]
        start_response(_status_line(code, ""), headers)
        return [body]


def _status_line(code: int, reason: str) -> str:
    if not reason:
        try:
            reason = HTTPStatus(code).phrase
        except ValueError:
            reason = "Unknown"
    return f"{code} {reason}"


def _path_of(uri: str) -> str:
    parts = urlsplit(uri)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _chunks(stream: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    while True:
        chunk = stream.read(size)
        if not chunk:
            return
        yield chunk


class _StreamedBody:
    """A WSGI response iterable over the upstream's raw bytes; ``close`` releases the
    upstream connection (WSGI servers call it, even when the client goes away)."""

    def __init__(self, response: httpx.Response, forwarder: Forwarder) -> None:
        self._response = response
        self._forwarder = forwarder

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_raw()
        except httpx.TransportError as err:
            # Headers are already sent; all that is left is to cut the body short and say why.
            log.warning("upstream stream broke off: %s", err)

    def close(self) -> None:
        self._response.close()
