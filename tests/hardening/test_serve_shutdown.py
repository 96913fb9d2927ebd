"""Stopping a served runtime closes its connections cleanly.

Closing waitress' channels from the stopping thread while the loop thread polled them made the loop
log ``OSError: [Errno 9] Bad file descriptor`` tracebacks at shutdown (seen in several suites and
when a test server with open keep-alive clients stopped). The closing is handed to the loop thread.
"""

from __future__ import annotations

import logging
import socket
import threading

from simulator.app import create_app
from simulator.http.server import HttpServer


def test_stopping_a_server_with_open_keep_alive_clients_logs_no_bad_descriptor(caplog):
    app = create_app()
    thread_errors: list[threading.ExceptHookArgs] = []
    old_hook = threading.excepthook
    threading.excepthook = thread_errors.append
    try:
        with caplog.at_level(logging.WARNING):
            for _ in range(40):
                server = HttpServer(app)
                loop = threading.Thread(target=server.serve_forever)
                loop.start()
                clients = [_keep_alive_client(server.port) for _ in range(4)]
                server.shutdown()
                loop.join(5)
                for client in clients:
                    client.close()
                assert not loop.is_alive(), "the server loop did not stop"
                # the port is closed once shutdown() returns
                try:
                    socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
                    raise AssertionError("the stopped server still accepts connections")
                except OSError:
                    pass
    finally:
        threading.excepthook = old_hook
    assert not thread_errors
    assert "Bad file descriptor" not in caplog.text


def _keep_alive_client(port: int) -> socket.socket:
    """A connection that asked for the health page, read the answer and stays open (keep-alive)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET /_provsim/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    return sock


def test_shutdown_without_a_running_loop_returns_at_once():
    server = HttpServer(create_app())
    server.shutdown()  # nothing serves: no loop thread to hand the closing to, and no 10 s wait
