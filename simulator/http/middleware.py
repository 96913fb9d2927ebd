"""WSGI middleware around the whole app: the guard, input limits, fault rules,
the traffic log, and the last-resort error answer.

It sits outside Flask so that a fault can answer before any surface runs, a
dropped connection can really drop the socket, and every exchange, including
fault answers, lands in the traffic log.  In order, for each request:

1. **Limits**: a URL longer than :data:`MAX_URL` gets 414; a body longer than
   its surface allows (Genesys: the org's ``maxRequestBytes``; Graph 4 MiB;
   control 1 MiB, snapshot restore 256 MiB) gets 413 before it is read.
2. **Guard** (``/_provsim`` and the dashboard): a peer that is not a loopback
   address gets 403 (unless ``serve --allow-remote-control``); then a Host that
   is not a loopback name (or an allowed one) gets 403, and a state change from
   another ``Origin`` gets 403 (:mod:`simulator.core.security`).
3. **JSON**: a JSON body that is not UTF-8 (invalid sequences, surrogates as
   bytes, UTF-16), with a string that cannot be encoded (a lone surrogate such
   as ``"\\ud800"``), nested deeper than :data:`MAX_JSON_DEPTH` or (control and
   dashboard input) with a number no double holds gets 400 at parse time,
   before any view could store it.
4. Fault rules, then the app; the exchange is logged.

An in-process request marked with :data:`OBSERVER_MARK` (the dashboard reading
the tenant through Graph to draw the page) skips step 4's fault rules and the
traffic log: looking at the story must not change it (a rule's ``times`` or
``nth`` would count the dashboard's reads) nor crowd out the engine's traffic.

Every refusal and every unexpected exception is answered in the format of the
surface the path belongs to (SCIM error, Genesys ErrorBody, Graph OData error,
AADSTS body, or provsim's ``{"error": {"code", "message"}}``), never HTML and
never a traceback.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import math
import re
import socket
from collections.abc import Callable, Iterable
from typing import Any

from simulator.core import DroppedConnection, Runtime
from simulator.core.security import (
    IN_PROCESS_MARK,
    SERVED_KEY,
    host_allowed,
    is_ip_literal,
    origin_allowed,
    peer_is_loopback,
)
from simulator.core.services import PURECLOUD

__all__ = ["ProvsimMiddleware", "OBSERVER_MARK", "BODY_KEY", "is_observer", "MAX_URL", "MAX_JSON_DEPTH", "BODY_LIMITS", "control_error_body",
           "strict_json_problem", "render_error_for"]

log = logging.getLogger(__name__)

_SLASHES = re.compile(r"/{2,}")
_LOGGED_PREFIX_SKIP = ("/_provsim", "/static", "/favicon.ico")
_STATUS_TEXT = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
                403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict",
                413: "Payload Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
                429: "Too Many Requests", 500: "Internal Server Error",
                502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}

#: Longest path + query string accepted (bytes); longer gets 414.
MAX_URL = 16_384
#: Deepest JSON nesting accepted on any surface (SCIM and Graph bodies need about 5).
MAX_JSON_DEPTH = 64
#: Body limits per surface (bytes); Genesys' come from the org's ``maxRequestBytes``.
BODY_LIMITS = {"graph": 4 * 1024 * 1024, "entra-login": 1024 * 1024, "control": 1024 * 1024,
               "control-restore": 256 * 1024 * 1024, "dashboard": 64 * 1024, None: 64 * 1024}
_CONTROL_PREFIX = "/_provsim"
#: WSGI environ key of an in-process read that only observes (no fault rules, no traffic log).
#: Set by the caller's WSGI wrapper, never from a header, so nothing over a socket can claim it.
OBSERVER_MARK = "provsim.observer"
_DASHBOARD_PATHS = ("/dashboard/", "/static/provsim/")
#: WSGI environ key of the request body as this middleware read it (the bytes ``wsgi.input`` then
#: replays): a view reads it here instead of through a second stream.
BODY_KEY = "provsim.body"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}")


def is_observer(environ: dict) -> bool:
    """An in-process read marked :data:`OBSERVER_MARK` (never a request that came over a socket)."""
    return bool(environ.get(OBSERVER_MARK)) and bool(environ.get(IN_PROCESS_MARK)) and not environ.get(SERVED_KEY)


def control_error_body(status: int, code: str, message: str) -> bytes:
    """provsim's own error shape (control API, unknown paths)."""
    return json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":")).encode()


_CONTROL_CODES = {400: "badRequest", 403: "forbidden", 404: "notFound", 405: "methodNotAllowed", 413: "payloadTooLarge",
                  414: "uriTooLong", 415: "unsupportedMediaType", 500: "internalError", 503: "serviceUnavailable"}


def strict_json_problem(body: bytes, content_type: str | None = None, *, strict_numbers: bool = False) -> str | None:
    """Why a JSON body must be refused before any view sees it, or None.

    Not-JSON is left to the views (each has its own message for it); refused
    here are what no view can store safely: a JSON body that is not UTF-8
    (RFC 8259 §8.1: invalid sequences, surrogates encoded as bytes, UTF-16/32;
    a UTF-8 byte-order mark is ignored, as the RFC allows), strings holding
    unpaired UTF-16 surrogates (they cannot be written as UTF-8, so the state
    file and every listing would break), nesting deeper than
    :data:`MAX_JSON_DEPTH`, and with ``strict_numbers`` (control input)
    numbers no double can hold (``1e400``, thousands of digits).
    """
    ctype = (content_type or "").lower()
    if "x-www-form-urlencoded" in ctype or "multipart/" in ctype:
        return None
    utf16 = body[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(body) >= 4 and b"\x00" in body[:4])
    text_body = body[3:] if body.startswith(b"\xef\xbb\xbf") else body
    head = text_body.lstrip()[:1]
    jsonish = "json" in ctype or head in (b"{", b"[") or (utf16 and (not ctype or ctype.startswith("text/")))
    if not jsonish:
        return None
    charset = _charset(ctype)
    if charset and charset not in ("utf-8", "utf8", "us-ascii", "ascii"):
        return f"a JSON body must be UTF-8 (RFC 8259 §8.1), not {charset}"
    if utf16:
        return "a JSON body must be UTF-8 (RFC 8259 §8.1); this one is UTF-16 or UTF-32"
    try:
        text_body.decode("utf-8")
    except UnicodeDecodeError as err:
        return (f"the JSON body is not valid UTF-8 (RFC 8259 §8.1): bytes {err.object[err.start:err.end]!r} at "
                f"offset {err.start} ({err.reason})")
    if head not in (b"{", b"["):
        return None
    deep = body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH
    if not deep and not _SURROGATE_ESCAPE.search(body) and not (strict_numbers and _LONG_NUMBER.search(body)):
        return None
    try:
        data = json.loads(text_body, parse_float=_finite_float if strict_numbers else None,
                          parse_int=_bounded_int if strict_numbers else None)
    except RecursionError:
        return f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep"
    except _OutOfRange as err:
        return str(err)
    except (ValueError, UnicodeDecodeError):
        return None
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep"
        if isinstance(item, dict):
            for key, value in item.items():
                if not _encodable(key):
                    return "a JSON member name holds an unpaired UTF-16 surrogate (\\ud800-\\udfff); it cannot be stored"
                stack.append((value, depth + 1))
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)
        elif isinstance(item, str) and not _encodable(item):
            return "a JSON string holds an unpaired UTF-16 surrogate (\\ud800-\\udfff); it cannot be stored"
    return None


class _OutOfRange(ValueError):
    pass


#: A number with more digits than any control input needs (a double has 17 significant digits).
_LONG_NUMBER = re.compile(rb"[0-9][eE][+-]?[0-9]{3,}|[0-9]{40,}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _OutOfRange(f"the number {text[:40]} is out of range (it does not fit in a double)")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 30:
        raise _OutOfRange(f"the number {text[:20]}... ({len(text)} digits) is out of range")
    return int(text)


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip() == "charset":
            return value.strip().strip('"').lower().replace("_", "-") or None
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def render_error_for(runtime: Runtime, path: str, status: int, message: str) -> tuple[bytes, str]:
    """An error body in the format of the surface ``path`` belongs to (body, content type)."""
    surface = runtime.surface_for(path)
    if surface is not None:
        try:
            return surface.render_error(status, message)
        except Exception:  # a renderer must never turn a refusal into a crash
            log.exception("error renderer of %s failed", surface.name)
    if path.startswith("/dashboard/") and not path.startswith("/dashboard/api/") or path == "/":
        html = f"<!doctype html><title>{status}</title><p>{_escape(message)}</p>".encode()
        return html, "text/html; charset=utf-8"
    return control_error_body(status, _CONTROL_CODES.get(status, "error"), message), "application/json"


class _Refusal(Exception):
    def __init__(self, status: int, message: str, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or []


class ProvsimMiddleware:
    def __init__(self, app: Callable, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    def _render(self, path: str, status: int, message: str) -> tuple[bytes, str]:
        return render_error_for(self.runtime, path, status, message)

    def _answer(self, start_response: Callable, path: str, status: int, message: str,
                headers: list[tuple[str, str]] | None = None) -> list[bytes]:
        payload, ctype = self._render(path, status, message)
        out = [(k, v) for k, v in (headers or []) if k.lower() not in ("content-type", "content-length")]
        out += [("Content-Type", ctype), ("Content-Length", str(len(payload)))]
        start_response(f"{status} {_STATUS_TEXT.get(status, 'Error')}", out)
        return [payload]

    def _body_limit(self, surface_name: str | None, path: str, method: str) -> tuple[int, int]:
        """The most bytes read here, and the limit a 413 names."""
        if path.startswith(_CONTROL_PREFIX):
            limit = BODY_LIMITS["control-restore"] if path.rstrip("/").endswith("/snapshot/restore") else BODY_LIMITS["control"]
            return limit, limit
        if surface_name and surface_name.startswith("purecloud"):
            org = self.runtime.find(PURECLOUD)
            if org is None:
                return BODY_LIMITS[None], BODY_LIMITS[None]
            # The SCIM views answer 413 themselves (same shape); keep a margin so they still see the body,
            # but name the org's own limit, as the views do: a client learns one limit, not two.
            limit = max(int(org.settings.max_request_bytes), 1)
            return limit * 2, limit
        limit = BODY_LIMITS.get(surface_name, BODY_LIMITS[None])
        return limit, limit

    # ---- the WSGI call --------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        started: list[bool] = []

        def tracking_start(status, headers, exc_info=None):
            started.append(True)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            return self._handle(environ, tracking_start)
        except DroppedConnection:
            raise
        except _Refusal as refusal:
            return self._answer(start_response, path, refusal.status, refusal.message, refusal.headers)
        except Exception:
            log.exception("unexpected error around %s %s", environ.get("REQUEST_METHOD"), path)
            if started:
                raise
            return self._answer(start_response, path, 500, "An internal error occurred in the simulator.")

    def _handle(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if len(path) + len(environ.get("QUERY_STRING", "")) > MAX_URL:
            raise _Refusal(414, f"The request URL is longer than {MAX_URL} bytes.")
        if "//" in path:
            # Graph SDKs can emit ".../v1.0//users" (design notes); real Graph copes.
            path = _SLASHES.sub("/", path)
            environ["PATH_INFO"] = path
        rt = self.runtime
        surface = rt.surface_for(path)
        surface_name = surface.name if surface else None
        method = environ.get("REQUEST_METHOD", "GET").upper()
        body: bytes | None = None
        try:
            self._guard(environ, path, method)
            body = self._read_body(environ, *self._body_limit(surface_name, path, method))
            if body:
                control = path.startswith(_CONTROL_PREFIX) or path.startswith(_DASHBOARD_PATHS)
                problem = strict_json_problem(body, environ.get("CONTENT_TYPE"), strict_numbers=control)
                if problem:
                    raise _Refusal(400, problem)
        except _Refusal as refusal:
            # A refused request is still an exchange a user looks for in the traffic log (the engine's
            # 413 before it splits a group PATCH); a body refused by its Content-Length was never read.
            payload, ctype = self._render(path, refusal.status, refusal.message)
            self._log(environ, surface_name, method, path, body, refusal.status, [("Content-Type", ctype)], payload, None)
            raise

        observer = is_observer(environ)
        rule = (rt.faults.evaluate(method, path, surface_name)
                if not path.startswith(_CONTROL_PREFIX) and not observer else None)
        if rule is not None:
            if rule.delay:
                rt.clock.sleep(float(rule.delay))
            if rule.drop == "after":
                # The server does the work, then the connection drops before the answer gets out.
                result = self.app(environ, lambda status, headers, exc_info=None: None)
                for _chunk in result:
                    pass
                if hasattr(result, "close"):
                    result.close()
            if rule.drop:
                self._log(environ, surface_name, method, path, body, 0, [], b"", rule.id)
                sock = environ.get("werkzeug.socket")
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                raise DroppedConnection(f"fault {rule.id} dropped the connection")
            if rule.status is not None:
                status, headers, payload = self._fault_response(rule, surface)
                start_response(f"{status} {_STATUS_TEXT.get(status, 'Error')}", headers)
                self._log(environ, surface_name, method, path, body, status, headers, payload, rule.id)
                return [payload]

        captured: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = list(headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.app(environ, capture)
        if path.startswith(_LOGGED_PREFIX_SKIP) or surface is None or observer:
            return result
        chunks = []
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        payload = b"".join(chunks)
        self._log(environ, surface_name, method, path, body, captured.get("status", 0), captured.get("headers", []),
                  payload, rule.id if rule else None)
        return [payload]

    def _guard(self, environ: dict, path: str, method: str) -> None:
        """Local-only: the control API and the dashboard (README.md, "Security"; docs/architecture.md).

        Local means the peer address: over a socket only a loopback peer gets in (unless
        ``serve --allow-remote-control``), whatever ``Host`` it claims, since the Host header is
        the client's word and the peer address is not.  The Host and Origin checks stay behind it
        as a second wall (a DNS-rebound name, a cross-site form from a local browser).
        """
        guarded = path.startswith(_CONTROL_PREFIX) or path == "/" or path.startswith(_DASHBOARD_PATHS)
        if not guarded:
            return
        served = bool(environ.get(SERVED_KEY))
        config = self.runtime.config
        if served and not config.allow_remote_control and not peer_is_loopback(environ.get("REMOTE_ADDR")):
            raise _Refusal(403, "The simulator's control API and dashboard answer only loopback peers; "
                                f"{environ.get('REMOTE_ADDR') or 'an unknown peer'} is not one "
                                "(serve --allow-remote-control opens them to the network).")
        # httpx in this process (InProcessTransport) has no socket a rebound name could reach: any
        # base URL it uses is this app's, so only the Origin check applies to it.
        in_process = bool(environ.get(IN_PROCESS_MARK)) and not served
        host = environ.get("HTTP_HOST") or ""
        allowed = config.allowed_hosts
        # Opened to the network, the server is reached by its addresses; an IP literal cannot be DNS-rebound.
        literal_ok = config.allow_remote_control and is_ip_literal(host)
        if not in_process and not literal_ok and not host_allowed(host, allowed=allowed, served=served):
            raise _Refusal(403, f"The simulator's control API and dashboard answer only loopback host names; "
                                f"{host or 'no Host'!r} is not one (serve --allow-host NAME adds one).")
        if method not in _SAFE_METHODS and not origin_allowed(environ.get("HTTP_ORIGIN"), host,
                                                               fetch_site=environ.get("HTTP_SEC_FETCH_SITE")):
            raise _Refusal(403, "Cross-origin request refused: the simulator's control API and dashboard accept state "
                                "changes only from their own origin.")

    @staticmethod
    def _read_body(environ: dict, limit: int, reported: int | None = None) -> bytes:
        """Read the body once (at most ``limit`` bytes) and put it back, so the app and the log both see it."""
        raw_length = environ.get("CONTENT_LENGTH") or ""
        try:
            length = int(raw_length) if raw_length.strip() else 0
        except ValueError:
            raise _Refusal(400, f"Content-Length {raw_length!r} is not a number.") from None
        if length < 0:
            raise _Refusal(400, "Content-Length must not be negative.")
        if length > limit:
            raise _Refusal(413, f"Maximum bytes: {reported or limit}")
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        if length > 0:
            body = stream.read(length)
        elif environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get("wsgi.input_terminated"):
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise _Refusal(413, f"Maximum bytes: {reported or limit}")
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ[BODY_KEY] = body
        return body

    def _fault_response(self, rule, surface) -> tuple[int, list, bytes]:
        status = int(rule.status)
        # Framing headers are provsim's to set (a rule's own Content-Length would be sent twice).
        headers = [(str(k), str(v)) for k, v in (rule.headers or {}).items()
                   if str(k).lower() not in ("content-length", "transfer-encoding", "connection")]
        if rule.body is None:
            message = rule.note or f"Injected fault {rule.id}"
            if status == 429 and not any(k.lower() == "retry-after" for k, _ in headers):
                headers.append(("Retry-After", "1"))
            if surface is not None:
                payload, ctype = surface.render_error(status, message)
            else:
                payload, ctype = json.dumps({"status": status, "message": message}).encode(), "application/json"
        elif isinstance(rule.body, (dict, list)):
            payload, ctype = json.dumps(rule.body, separators=(",", ":")).encode(), "application/json"
        else:
            payload, ctype = str(rule.body).encode(), "text/plain; charset=utf-8"
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", ctype))
        # Lets a client (the engine's provisioning logs, a test) name the rule behind an answer.
        headers.append(("X-Provsim-Fault", rule.id))
        headers.append(("Content-Length", str(len(payload))))
        return status, headers, payload

    def _log(self, environ, surface, method, path, body, status, headers, payload, fault) -> None:
        if path.startswith(_LOGGED_PREFIX_SKIP) or surface is None:
            return
        req_headers = [(_header_name(k), v) for k, v in environ.items() if k.startswith("HTTP_")]
        if environ.get("CONTENT_TYPE"):
            req_headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        self.runtime.traffic.record(
            at=self.runtime.now_iso(), surface=surface, method=method, path=path,
            query=environ.get("QUERY_STRING", ""), request_headers=req_headers, request_body=body,
            status=status, response_headers=headers, response_body=payload, fault=fault,
        )


@functools.lru_cache(maxsize=256)
def _header_name(key: str) -> str:
    """``HTTP_USER_AGENT`` -> ``User-Agent``, as the traffic log names request headers (every logged
    request converts each of its headers: the names seen are remembered)."""
    return key[5:].replace("_", "-").title()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
