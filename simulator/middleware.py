"""WSGI middleware around the whole app: path normalisation, fault rules and
the traffic log.

It sits outside Flask so that a fault can answer before any surface runs, a
dropped connection can really drop the socket, and every exchange, including
fault answers, lands in the traffic log.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from typing import Any, Callable, Iterable

from simulator.core import DroppedConnection, Runtime

__all__ = ["ProvsimMiddleware"]

log = logging.getLogger(__name__)

_SLASHES = re.compile(r"/{2,}")
_LOGGED_PREFIX_SKIP = ("/_provsim", "/static", "/favicon.ico")
_STATUS_TEXT = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
                403: "Forbidden", 404: "Not Found", 408: "Request Timeout", 409: "Conflict",
                413: "Payload Too Large", 429: "Too Many Requests", 500: "Internal Server Error",
                502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class ProvsimMiddleware:
    def __init__(self, app: Callable, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if "//" in path:
            # Graph SDKs can emit ".../v1.0//users" (design notes); real Graph copes.
            path = _SLASHES.sub("/", path)
            environ["PATH_INFO"] = path
        rt = self.runtime
        surface = rt.surface_for(path)
        surface_name = surface.name if surface else None
        method = environ.get("REQUEST_METHOD", "GET").upper()
        body = self._read_body(environ)

        rule = rt.faults.evaluate(method, path, surface_name) if not path.startswith("/_provsim") else None
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
        if path.startswith(_LOGGED_PREFIX_SKIP) or surface is None:
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

    @staticmethod
    def _read_body(environ: dict) -> bytes:
        """Read the body once and put it back, so the app and the log both see it."""
        import io

        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        if length > 0:
            body = stream.read(length)
        elif environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    def _fault_response(self, rule, surface) -> tuple[int, list, bytes]:
        status = int(rule.status)
        headers = [(str(k), str(v)) for k, v in (rule.headers or {}).items()]
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
        req_headers = [(k[5:].replace("_", "-").title(), v) for k, v in environ.items() if k.startswith("HTTP_")]
        if environ.get("CONTENT_TYPE"):
            req_headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        self.runtime.traffic.record(
            at=self.runtime.now_iso(), surface=surface, method=method, path=path,
            query=environ.get("QUERY_STRING", ""), request_headers=req_headers, request_body=body,
            status=status, response_headers=headers, response_body=payload, fault=fault,
        )
