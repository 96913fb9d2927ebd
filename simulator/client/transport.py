"""The in-process transport: httpx straight into a provsim WSGI app, no socket; and the one TLS
context every real-socket client of provsim shares.

Flask-free on purpose: the engine builds one for tenant URLs that point at the
simulator itself, and the engine must not import Flask (docs/architecture.md, "Layers").
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from simulator.core import DroppedConnection
from simulator.core.security import IN_PROCESS_MARK  # re-exported: where the mark is set

__all__ = ["InProcessTransport", "IN_PROCESS_MARK", "default_ssl_context"]


def default_ssl_context() -> ssl.SSLContext:
    """httpx's default verifying TLS context (certifi's CAs, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``),
    made once per process and per value of those two variables.  httpx makes one for every
    ``Client`` and ``HTTPTransport``, even for ``http://`` URLs, loading the CA bundle each time
    (about 25 ms of CPU per client: most of a short CLI command's connect); a context is safe to
    share between clients and threads."""
    return _ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()  # reads the same two variables


class InProcessTransport(httpx.WSGITransport):
    """``httpx.WSGITransport`` that turns a simulated dropped connection into the
    error a real socket gives httpx (``RemoteProtocolError``), and marks its requests as
    in-process (:data:`IN_PROCESS_MARK`)."""

    def __init__(self, app: Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]], **kwargs: Any) -> None:
        """``app``: a provsim WSGI app (``create_app()``); ``kwargs`` go to ``httpx.WSGITransport``
        (``raise_app_exceptions``, ``script_name``, ``remote_addr``)."""

        def marked(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            environ[IN_PROCESS_MARK] = True
            return app(environ, start_response)

        super().__init__(app=marked, **kwargs)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except DroppedConnection as err:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from err
