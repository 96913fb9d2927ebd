"""Every fake on one port, over real HTTP, on a production WSGI server (``provsim serve``,
``provsim proxy``, the pytest plugin and the benchmarks; the command is ``simulator/cli/serve.py``).

The server is waitress (pure Python, a thread pool behind one asyncore loop,
HTTP/1.1 keep-alive, request bodies buffered to disk past 512 kB), chosen by
measurement against cheroot and werkzeug's development server
(``benchmarks/serving.py``; figures in ``benchmarks/results/serving.json``):
in two runs it had the highest throughput at 8 and at 64 connections (e.g.
858 and 670 req/s against cheroot's 707 and 520 and werkzeug's 608 and 528)
and the lowest p99 at 64 connections (213 ms against 255 and 259).
:class:`HttpServer` hides which one runs, so ``provsim serve``, ``provsim proxy``,
the pytest plugin and the benchmarks share one class.

A long-lived server also needs housekeeping: :class:`ServerThread` runs a
background thread that journals the clock, compacts the state journal into the
state file, and ticks a wall clock.  Nothing that thread meets stops it: an
exception is logged, counted, shown in ``/_provsim/health`` and retried with
back-off.  ``provsim serve`` stops cleanly on SIGTERM and SIGINT: it stops
accepting, finishes the requests in flight, writes the state file and exits 0.
"""

from __future__ import annotations

import logging
import re
import signal
import socket
import threading
from collections.abc import Callable
from enum import Enum
from typing import Any

from simulator.core.security import SERVED_KEY
from simulator.core.services import HOUSEKEEPING

__all__ = ["ServerThread", "HttpServer", "ServerKind", "Housekeeping", "run_until_signal", "AccessLog", "access_logger"]

log = logging.getLogger(__name__)
access_logger = logging.getLogger("provsim.access")


class ServerKind(str, Enum):
    """Which WSGI server runs the app (``benchmarks/serving.py`` compares them)."""

    CHEROOT = "cheroot"
    WAITRESS = "waitress"
    WERKZEUG = "werkzeug"


def _served(app: Callable) -> Callable:
    def wsgi(environ: dict, start_response: Callable):
        environ[SERVED_KEY] = True
        return app(environ, start_response)

    return wsgi


def _pass_through_handler() -> type:
    """werkzeug's request handler, but a ``Server`` or ``Date`` the app sets passes through alone
    (RFC 9110 §6.6.1, §10.2.4): werkzeug would add its own beside them (``Server:`` and ``server:``,
    ``Date:`` and ``date:``), which matters to the recording proxy forwarding an upstream's answer.
    waitress and cheroot already add theirs only when the app set none."""
    from werkzeug.serving import WSGIRequestHandler

    class PassThroughHeaders(WSGIRequestHandler):
        def send_response(self, code: int, message: str | None = None) -> None:
            self.log_request(code)
            self.send_response_only(code, message)
            self._sent_headers: set[str] = set()

        def send_header(self, keyword: str, value: str) -> None:
            getattr(self, "_sent_headers", set[str]()).add(keyword.lower())
            super().send_header(keyword, value)

        def end_headers(self) -> None:
            sent = getattr(self, "_sent_headers", None)
            if sent is not None:
                if "date" not in sent:
                    self.send_header("Date", self.date_time_string())
                if "server" not in sent:
                    self.send_header("Server", self.version_string())
            super().end_headers()

    return PassThroughHeaders


class HttpServer:
    """One WSGI server on ``host:port`` (``port=0`` picks a free one): serve_forever / shutdown."""

    def __init__(self, app: Callable, host: str = "127.0.0.1", port: int = 0, *, kind: ServerKind | str = ServerKind.WAITRESS,
                 threads: int = 16, ssl_context: Any = None) -> None:
        self.kind = ServerKind(kind)
        self._looping = threading.Event()  # the waitress loop runs (shutdown hands it the closing)
        self.host = host
        self.ssl_context = ssl_context
        wsgi = _served(app)
        # cheroot's Server, waitress' MultiSocketServer/BaseWSGIServer or werkzeug's BaseWSGIServer: no common
        # type; ``self.kind`` says which one it is.
        self._server: Any
        if isinstance(ssl_context, tuple) and self.kind is not ServerKind.WERKZEUG:
            # HTTPS (serve --tls, proxy --tls/--certfile): waitress has no TLS, cheroot has (docs/graph-sdk-recipe.md)
            self.kind = ServerKind.CHEROOT
            self._server = _cheroot_tls_server(wsgi, host, port, threads, ssl_context)
            self.port = self._server.bind_addr[1]
        elif self.kind is ServerKind.CHEROOT and ssl_context is None:
            self._server = _cheroot_server(wsgi, host, port, threads)
            self._server.prepare()
            self.port = self._server.bind_addr[1]
        elif self.kind is ServerKind.WAITRESS and ssl_context is None:
            from waitress.server import create_server

            # Bodies are buffered to a temp file past 512 kB, never held whole in memory; the
            # middleware's per-surface limits (413) apply before the app reads anything.
            self._server = create_server(wsgi, host=host, port=port, threads=threads, ident="provsim",
                                         clear_untrusted_proxy_headers=False, channel_timeout=30,
                                         max_request_body_size=300 * 1024 * 1024,
                                         # poll, not select: shutdown() closes the channels from another
                                         # thread, and select() on a closed descriptor raised EBADF in the
                                         # loop thread (pytest's unhandled-thread warning); poll skips it.
                                         asyncore_use_poll=True)
            self.port = self._server.effective_port
        else:  # werkzeug: the benchmark's baseline, and TLS from an ssl.SSLContext
            from werkzeug.serving import make_server

            self.kind = ServerKind.WERKZEUG
            self._server = make_server(host, port, wsgi, threaded=True, ssl_context=ssl_context,
                                       request_handler=_pass_through_handler())
            self.port = self._server.server_port

    def serve_forever(self) -> None:
        if self.kind is ServerKind.CHEROOT:
            self._server.serve()
        elif self.kind is ServerKind.WAITRESS:
            self._looping.set()
            try:
                self._server.run()
            finally:
                self._looping.clear()
        else:
            self._server.serve_forever()

    def _hand_to_loop(self, thunk: Callable[[], None]) -> bool:
        """Run ``thunk`` in waitress' loop thread; False when its trigger is already closed."""
        try:
            self._server.trigger.pull_trigger(thunk)
        except OSError:
            return False
        return True

    def shutdown(self) -> None:
        """Stop accepting; requests in flight finish first."""
        if self.kind is ServerKind.CHEROOT:
            self._server.stop()
        elif self.kind is ServerKind.WAITRESS:
            # Every close happens in the loop thread (through the server's trigger): a descriptor
            # closed from this thread while the loop polls it raised EBADF in the loop thread.
            server = self._server
            if not self._looping.is_set():  # no loop thread to hand the closing to
                server.task_dispatcher.shutdown(timeout=10)
                for channel in list(server._map.values()):
                    channel.handle_close()
                return
            from waitress import wasyncore

            closed = threading.Event()

            def stop_accepting() -> None:  # the listening socket only: the server's close() shuts the trigger too
                wasyncore.dispatcher.close(server)

            def close_channels() -> None:  # then the loop has nothing left and returns
                try:
                    for channel in list(server._map.values()):
                        channel.handle_close()
                finally:
                    closed.set()

            if self._hand_to_loop(stop_accepting):
                server.task_dispatcher.shutdown(timeout=10)  # requests in flight finish
                if self._hand_to_loop(close_channels):
                    closed.wait(timeout=10)
                    return
            # The trigger is gone (the loop closed it while ending): close what is left from here.
            server.task_dispatcher.shutdown(timeout=10)
            for channel in list(server._map.values()):
                channel.handle_close()
        else:
            self._server.shutdown()
            self._server.server_close()


class Housekeeping:
    """The background work of a served runtime, and its health.

    Every ``interval`` seconds: tick a wall clock, journal where the clock and
    id streams stand, compact the journal when it has outgrown the state file.
    Any exception is caught here (this is the boundary), logged with its
    traceback, and reported by :meth:`health`; the next round retries, waiting
    longer after each failure (up to 30 s).
    """

    def __init__(self, runtime, interval: float = 0.5) -> None:
        self.runtime = runtime
        self.interval = interval
        self.state = "starting"
        self.rounds = 0
        self.failures = 0
        self.consecutive_failures = 0
        self.last_error: str | None = None
        self.last_error_at: str | None = None
        self.last_success_at: str | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="provsim-housekeeping")

    def start(self) -> None:
        self.runtime.store.auto_compact = False  # compaction happens here, not in request threads
        self.runtime.register(HOUSEKEEPING, self, replace=True)  # the newest server's housekeeping reports
        self.state = "running"
        self._thread.start()

    def run_once(self) -> None:
        """One round; raises what went wrong (the loop catches it)."""
        rt = self.runtime
        tick = getattr(rt.clock, "tick", None)
        if tick is not None:
            tick()
        rt.checkpoint()
        if rt.store.needs_compaction():
            rt.store.compact()

    def _loop(self) -> None:
        wait = self.interval
        while not self._stopping.wait(wait):
            try:
                self.run_once()
            except Exception as err:  # the boundary: nothing may stop this thread
                self.failures += 1
                self.consecutive_failures += 1
                self.state = "failing"
                self.last_error = f"{type(err).__name__}: {err}"
                self.last_error_at = self.runtime.now_iso()
                log.exception("housekeeping round failed (%d in a row); retrying", self.consecutive_failures)
                wait = min(30.0, self.interval * 2 ** min(self.consecutive_failures, 6))
            else:
                self.rounds += 1
                self.consecutive_failures = 0
                self.state = "running"
                self.last_success_at = self.runtime.now_iso()
                wait = self.interval

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.state = "stopped"

    def health(self) -> dict[str, Any]:
        return {"state": self.state, "rounds": self.rounds, "failures": self.failures,
                "consecutiveFailures": self.consecutive_failures, "lastError": self.last_error,
                "lastErrorAt": self.last_error_at, "lastSuccessAt": self.last_success_at}


class ServerThread(threading.Thread):
    """The app on a real socket in a background thread, with its :class:`Housekeeping`
    (tests, ``serve``, ``proxy``)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, *, flush_interval: float = 0.5, ssl_context=None,
                 kind: ServerKind | str = ServerKind.WAITRESS, threads: int = 16, housekeeping: bool = True) -> None:
        super().__init__(daemon=True, name="provsim-server")
        self.app = app
        self.server = HttpServer(app, host, port, kind=kind, threads=threads, ssl_context=ssl_context)
        self.host = host
        self.port = self.server.port
        runtime = app.extensions.get("provsim") if hasattr(app, "extensions") else None
        self.housekeeping = Housekeeping(runtime, flush_interval) if (runtime is not None and housekeeping) else None
        if runtime is not None:
            # Over a socket, rate-limit windows also pass in real time (a frozen clock must not lock clients out).
            for limiter in _limiters(runtime):
                limiter.real_time = True
        self._stopped = False

    @property
    def url(self) -> str:
        scheme = "https" if self.server.ssl_context else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def run(self) -> None:
        if self.housekeeping is not None:
            self.housekeeping.start()
        self.server.serve_forever()

    def stop(self) -> None:
        """Stop serving, stop housekeeping, write the state file (once; safe to call twice)."""
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        if self.housekeeping is not None:
            self.housekeeping.stop()
            runtime = self.housekeeping.runtime
            runtime.checkpoint()
            runtime.store.flush()


def run_until_signal(server: HttpServer, ready: Callable[[], object] | None = None) -> None:
    """Serve in a thread until SIGTERM or SIGINT, then shut the server down (``provsim proxy``).
    ``ready`` (the banner) runs once the signal handlers are in place."""
    stop = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="provsim-http")
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    if ready is not None:
        ready()
    thread.start()
    try:
        while not stop.wait(0.5) and thread.is_alive():
            pass
    finally:
        server.shutdown()
        thread.join(timeout=15)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _limiters(runtime) -> list:
    from simulator.core import SlidingWindowLimiter

    found = []
    for service in runtime.services.values():
        for value in vars(service).values() if hasattr(service, "__dict__") else ():
            if isinstance(value, SlidingWindowLimiter):
                found.append(value)
    return found


class AccessLog:
    """One line per request, as the development server printed, with query-string secrets scrubbed."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable):
        from simulator.core.scrub import scrub_query

        status_holder: list[str] = []

        def capture(status: str, headers: list, exc_info=None):
            status_holder.append(status)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.app(environ, capture)
        query = environ.get("QUERY_STRING", "")
        target = environ.get("PATH_INFO", "") + (f"?{scrub_query(query)}" if query else "")
        access_logger.info('%s "%s %s" %s', environ.get("REMOTE_ADDR", "-"), environ.get("REQUEST_METHOD"), target,
                        (status_holder[0] if status_holder else "-").split(" ", 1)[0])
        return result


# ------------------------------------------------------------------------------ TLS (issue 22)
def _cheroot_server(wsgi: Callable, host: str, port: int, threads: int) -> Any:
    """cheroot's WSGI server as provsim runs it.  server_name: cheroot would put the machine's host
    name in every Server header.  expiration_interval: its selector loop notices a stop (and expires
    idle connections) once per interval, and its default 0.5 s made every shutdown take about half a
    second; 0.05 s is 20 idle wake-ups a second, each a scan of the open connections."""
    from cheroot import wsgi as cheroot_wsgi

    server = cheroot_wsgi.Server((host, port), wsgi, numthreads=threads, server_name="provsim",
                                 request_queue_size=128, timeout=30, shutdown_timeout=5)
    server.expiration_interval = 0.05
    return server


def _cheroot_tls_server(wsgi: Callable, host: str, port: int, threads: int, pair: tuple[str, str]) -> Any:
    """cheroot with its built-in TLS adapter on ``pair`` (certificate chain, key). Plain http on the
    port gets ``400 The client sent a plain HTTP request, but this server only speaks HTTPS on this port.``"""
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    server = _cheroot_server(wsgi, host, port, threads)
    server.ssl_adapter = _https_only_adapter(BuiltinSSLAdapter)(*pair)
    server.prepare()
    return server


def _https_only_adapter(base: type) -> type:
    """cheroot's TLS adapter, but plain http on the port gets an answer in plain http before the
    connection closes: ``GET``/``HEAD`` a ``301`` to the same URL in https, anything else a ``400``
    naming it. (cheroot means to answer 400 itself, but its reply is never flushed: the client sees
    a reset.)"""
    from cheroot import errors

    class HttpsOnly(base):  # type: ignore[misc, valid-type]  # base is cheroot's adapter class, chosen at run time
        def wrap(self, sock):
            try:
                sock.settimeout(10)
                first = sock.recv(1, socket.MSG_PEEK)
            except OSError as err:
                raise errors.FatalSSLAlert(*err.args) from err
            if first and first != b"\x16":  # not a TLS handshake record: a plain HTTP request
                _answer_plain_http(sock)
                raise errors.FatalSSLAlert("plain http on this https port (answered with a redirect or 400)")
            return super().wrap(sock)

    return HttpsOnly


def _answer_plain_http(sock: Any) -> None:
    head = b""
    try:
        while b"\r\n\r\n" not in head and len(head) < 16384:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
        lines = head.split(b"\r\n")
        method, target = (lines[0].split(b" ") + [b"", b""])[:2]
        host = next((line.split(b":", 1)[1].strip() for line in lines[1:] if line.lower().startswith(b"host:")), b"")
        safe_host = host.decode("latin-1") if re.fullmatch(rb"[A-Za-z0-9.\-\[\]:]+", host or b"-") else ""
        safe_target = target.decode("latin-1") if re.fullmatch(rb"/[\x21-\x7e]*", target or b"-") else "/"
        url = f"https://{safe_host}{safe_target}" if safe_host else ""
        if url and method in (b"GET", b"HEAD"):
            status, extra = "301 Moved Permanently", f"Location: {url}\r\n"
            body = f"This port speaks HTTPS: {url}\n"
        else:
            status, extra = "400 Bad Request", ""
            body = f"The client sent a plain HTTP request, but this port speaks only HTTPS{': ' + url if url else ''}.\n"
        data = body.encode()
        sock.sendall(f"HTTP/1.1 {status}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n"
                     f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode("latin-1")
                     + (b"" if method == b"HEAD" else data))
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        sock.close()
