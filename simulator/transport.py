"""The in-process transport: httpx straight into a provsim WSGI app, no socket.

Flask-free on purpose: the engine builds one for tenant URLs that point at the
simulator itself, and the engine must not import Flask (design.md, layering).
"""

from __future__ import annotations

import httpx

from simulator.core import DroppedConnection

__all__ = ["InProcessTransport"]


class InProcessTransport(httpx.WSGITransport):
    """``httpx.WSGITransport`` that turns a simulated dropped connection into the
    error a real socket gives httpx (``RemoteProtocolError``)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except DroppedConnection as err:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from err
