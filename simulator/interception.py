"""``simulator.intercept()``: your code, unchanged, against an in-process simulator.

    import simulator

    with simulator.intercept() as provsim:                     # a fresh contoso tenant, seed 0
        credential = ClientSecretCredential(tenant, client_id, secret)   # login.microsoftonline.com
        graph = GraphServiceClient(credential)                           # graph.microsoft.com
        ...                                                              # api.mypurecloud.com, ...
        provsim.control.advance("PT40M")                                         # a ProvsimClient of that simulator

While the block is active, every request that **httpx** (sync and async), **urllib3** (and so
**requests**) or **aiohttp** sends to one of :data:`HOSTS` (Microsoft Graph, the Entra login,
Genesys Cloud's ``api.`` and ``login.`` host of every region) is answered by the simulator's WSGI
app through :class:`~simulator.client.transport.InProcessTransport`: no socket, no DNS look-up, no TLS.
A request to any other host raises :class:`InterceptError` naming it, so nothing reaches the
network by accident.  Leaving the block restores every library as it was.

How each library is reached (docs/intercept.md says why):

* httpx: respx's router (it replaces httpcore's connection pools, which every httpx transport
  that talks to a network uses; a client with its own transport, such as provsim's own
  in-process clients, is left alone);
* urllib3 and requests: ``HTTPConnectionPool.urlopen``, the one method both go through
  (requests' adapter calls it; the Genesys SDK's ``PoolManager`` calls it);
* aiohttp: ``TCPConnector._create_connection``: a connection is an in-memory transport to the
  simulator, so aiohttp itself writes the request and parses the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import io
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from simulator.core import ProvsimConfig, ProvsimError

if TYPE_CHECKING:
    from simulator.client import ProvsimClient

__all__ = ["intercept", "Intercept", "InterceptError", "HOSTS", "MICROSOFT_HOSTS", "GENESYS_REGIONS", "genesys_hosts"]

#: Microsoft's hosts that msal, azure-identity and the Graph SDKs call by default.
MICROSOFT_HOSTS = ("graph.microsoft.com", "login.microsoftonline.com")

#: Genesys Cloud's regions and their domains, as PureCloudPlatformClientV2 (269.0.0) names them in
#: ``PureCloudRegionHosts``; each has an ``api.`` and a ``login.`` host
#: (tests/unit/test_intercept_hosts.py checks this list against the installed SDK).
GENESYS_REGIONS: dict[str, str] = {
    "us_east_1": "mypurecloud.com",
    "eu_west_1": "mypurecloud.ie",
    "ap_southeast_2": "mypurecloud.com.au",
    "ap_northeast_1": "mypurecloud.jp",
    "eu_central_1": "mypurecloud.de",
    "us_west_2": "usw2.pure.cloud",
    "ca_central_1": "cac1.pure.cloud",
    "ap_northeast_2": "apne2.pure.cloud",
    "eu_west_2": "euw2.pure.cloud",
    "ap_south_1": "aps1.pure.cloud",
    "us_east_2": "use2.us-gov-pure.cloud",
    "sa_east_1": "sae1.pure.cloud",
    "me_central_1": "mec1.pure.cloud",
    "ap_northeast_3": "apne3.pure.cloud",
    "eu_central_2": "euc2.pure.cloud",
    "mx_central_1": "mxc1.pure.cloud",
    "ap_southeast_1": "apse1.pure.cloud",
    "eusc_de_east_1": "edee1.eusc-pure.cloud",
}


def genesys_hosts() -> tuple[str, ...]:
    """``api.<domain>`` and ``login.<domain>`` of every Genesys Cloud region."""
    return tuple(f"{kind}.{domain}" for domain in GENESYS_REGIONS.values() for kind in ("api", "login"))


#: Every host an active :func:`intercept` serves.
HOSTS: frozenset[str] = frozenset(MICROSOFT_HOSTS + genesys_hosts())

_F = TypeVar("_F", bound=Callable[..., Any])


class InterceptError(ProvsimError):
    """A request inside :func:`intercept` to a host provsim does not serve; it was not sent."""

    def __init__(self, method: str, url: str, library: str) -> None:
        self.method, self.url, self.library = method.upper(), url, library
        self.host = (httpx.URL(url).host or url) if "://" in url else url
        super().__init__(
            f"simulator.intercept(): {self.method} {url} was not sent: {self.host} is not a host provsim serves "
            f"(through {library}). Inside the block only Microsoft Graph (graph.microsoft.com), the Entra login "
            "(login.microsoftonline.com) and Genesys Cloud's api./login. hosts of every region are answered, by the "
            "simulator; nothing goes to the network.")


# ------------------------------------------------------------------------------------ routing
class _Routes:
    """The intercepts entered and not yet left; the innermost one answers. The libraries are
    patched while at least one is active (process-wide: every thread's requests are served)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.stack: list[Intercept] = []
        self.patches: contextlib.ExitStack | None = None

    def push(self, active: Intercept) -> None:
        with self.lock:
            if not self.stack:
                patches = contextlib.ExitStack()
                try:
                    _patch_httpx(patches)
                    _patch_urllib3(patches)
                    _patch_aiohttp(patches)
                except BaseException:
                    patches.close()
                    raise
                self.patches = patches
            self.stack.append(active)

    def pop(self, active: Intercept) -> None:
        with self.lock:
            if active in self.stack:
                self.stack.remove(active)
            if not self.stack and self.patches is not None:
                patches, self.patches = self.patches, None
                patches.close()

    def serve(self, request: httpx.Request, library: str) -> httpx.Response:
        """The simulator's answer to ``request`` (raw body, headers as sent), or :class:`InterceptError`.
        A dropped-connection fault raises ``httpx.RemoteProtocolError``, as a real socket would."""
        host = (request.url.host or "").lower().rstrip(".")
        with self.lock:
            current = self.stack[-1] if self.stack else None
        if current is None or host not in HOSTS:
            raise InterceptError(request.method, str(request.url), library)
        response = current.transport.handle_request(request)
        try:
            content = b"".join(response.iter_raw())
        finally:
            response.close()
        return httpx.Response(response.status_code, headers=response.headers.multi_items(), content=content,
                              extensions={"reason_phrase": response.reason_phrase.encode("ascii", "replace")})


_ROUTES = _Routes()


def _patch_httpx(patches: contextlib.ExitStack) -> None:
    import respx

    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    router.route().mock(side_effect=lambda request: _ROUTES.serve(request, "httpx"))
    patches.enter_context(router)


def _patch_urllib3(patches: contextlib.ExitStack) -> None:
    try:
        from urllib3.connectionpool import HTTPConnectionPool
    except ImportError:  # neither requests nor the Genesys SDK can be installed then
        return
    from unittest import mock

    patches.enter_context(mock.patch.object(HTTPConnectionPool, "urlopen", _urlopen))


def _urlopen(pool: Any, method: str, url: str, body: Any = None, headers: Any = None, retries: Any = None,
             redirect: bool = True, assert_same_host: bool = True, timeout: Any = None, pool_timeout: Any = None,
             release_conn: Any = None, chunked: bool = False, body_pos: Any = None, preload_content: bool = True,
             decode_content: bool = True, **response_kw: Any) -> Any:
    """``HTTPConnectionPool.urlopen`` inside :func:`intercept`: the simulator answers, as one
    connection of that pool would (a dropped connection goes through urllib3's ``Retry`` as a
    ``ProtocolError``, so requests raises ``ConnectionError`` and a retrying caller retries)."""
    from http.client import RemoteDisconnected

    from urllib3 import HTTPResponse
    from urllib3._collections import HTTPHeaderDict
    from urllib3.exceptions import ProtocolError
    from urllib3.util.retry import Retry

    if url.startswith(("http://", "https://")):
        full = url
    else:
        default = 443 if pool.scheme == "https" else 80
        netloc = f"[{pool.host}]" if ":" in pool.host else pool.host
        netloc += f":{pool.port}" if pool.port and pool.port != default else ""
        full = f"{pool.scheme}://{netloc}{url}"
    content = _body_bytes(body)
    pairs = _header_pairs(headers)
    sent = {name.lower() for name, _ in pairs}
    # what urllib3's HTTPConnection adds on the wire when the caller did not
    pairs += [(k, v) for k, v in (("Accept-Encoding", "identity"), ("User-Agent", _urllib3_agent())) if k.lower() not in sent]
    retries = Retry.from_int(retries, redirect=redirect, default=pool.retries)
    while True:
        request = httpx.Request(method, full, headers=pairs, content=content)
        try:
            answer = _ROUTES.serve(request, "urllib3")
        except httpx.RemoteProtocolError as err:
            error = ProtocolError("Connection aborted.", RemoteDisconnected("Remote end closed connection without response"))
            retries = retries.increment(method, url, error=error, _pool=pool, _stacktrace=sys.exc_info()[2])
            retries.sleep()
            del err
            continue
        return HTTPResponse(body=io.BytesIO(answer.content), headers=HTTPHeaderDict(answer.headers.multi_items()),
                            status=answer.status_code, reason=answer.reason_phrase, version=11, version_string="HTTP/1.1",
                            preload_content=preload_content, decode_content=decode_content, request_method=method,
                            request_url=full, retries=retries, enforce_content_length=True)


def _urllib3_agent() -> str:
    import urllib3

    return f"python-urllib3/{urllib3.__version__}"


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    if not headers:
        return []
    items = headers.items() if hasattr(headers, "items") else headers
    return [(str(k), v.decode("latin-1") if isinstance(v, bytes) else str(v)) for k, v in items]


def _body_bytes(body: Any) -> bytes:
    """What urllib3 would write for ``body``: bytes, text, a file or an iterable of chunks."""
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)


def _patch_aiohttp(patches: contextlib.ExitStack) -> None:
    """aiohttp's ``TCPConnector`` opens no socket: each connection is an in-memory transport whose
    requests (serialized by aiohttp itself) the simulator answers (parsed back by aiohttp itself)."""
    try:
        from aiohttp.connector import TCPConnector
    except ImportError:
        return
    from unittest import mock

    patches.enter_context(mock.patch.object(TCPConnector, "_create_connection", _aiohttp_connection))


async def _aiohttp_connection(connector: Any, req: Any, traces: Any, timeout: Any) -> Any:
    """``TCPConnector._create_connection`` inside :func:`intercept`: aiohttp's own protocol over an
    :class:`_MemoryTransport` to the simulator (an unserved host raises before anything is written)."""
    from aiohttp.client_proto import ResponseHandler

    url = req.url
    if (url.host or "").lower().rstrip(".") not in HOSTS or not _ROUTES.stack:
        raise InterceptError(req.method, str(url), "aiohttp")
    loop = asyncio.get_running_loop()
    protocol = ResponseHandler(loop=loop)
    protocol.connection_made(_MemoryTransport(protocol, loop, f"{url.scheme}://{url.raw_authority}"))
    return protocol


class _MemoryTransport(asyncio.Transport):
    """An ``asyncio.Transport`` with the simulator at the other end: what aiohttp writes is parsed
    with h11 (httpx's own HTTP/1.1 parser), answered by the app, and fed back as HTTP/1.1 bytes.
    A dropped-connection fault closes it without an answer (aiohttp: ``ServerDisconnectedError``)."""

    def __init__(self, protocol: Any, loop: Any, origin: str) -> None:
        import h11

        super().__init__()
        self._h11 = h11
        self._protocol, self._loop, self._origin = protocol, loop, origin
        self._conn = h11.Connection(h11.SERVER)
        self._request: Any = None
        self._body: list[bytes] = []
        self._closing = False

    # what asyncio and aiohttp ask of a transport
    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 0), "sockname": ("127.0.0.1", 0)}.get(name, default)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def is_reading(self) -> bool:
        return not self._closing

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def can_write_eof(self) -> bool:
        return False

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def write(self, data: Any) -> None:
        h11 = self._h11
        self._conn.receive_data(bytes(data))
        while True:
            event = self._conn.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
                return
            if isinstance(event, h11.Request):
                self._request, self._body = event, []
            elif isinstance(event, h11.Data):
                self._body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                self._loop.call_soon(self._answer)
                return

    def _answer(self) -> None:
        h11, event = self._h11, self._request
        request = httpx.Request(event.method.decode("ascii"), self._origin + event.target.decode("ascii"),
                                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers],
                                content=b"".join(self._body))
        try:
            response = _ROUTES.serve(request, "aiohttp")
        except httpx.RemoteProtocolError:
            self.close()
            return
        except Exception as err:  # the boundary: the caller's await gets it, the loop carries on
            self._protocol.set_exception(err)
            self.close()
            return
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in ("connection", "keep-alive")]
        out = self._conn.send(h11.Response(status_code=response.status_code, headers=headers,
                                           reason=response.reason_phrase.encode("ascii", "replace")))
        if response.content and event.method != b"HEAD":
            out += self._conn.send(h11.Data(data=response.content))
        out += self._conn.send(h11.EndOfMessage())
        self._protocol.data_received(out)
        if self._conn.our_state is h11.MUST_CLOSE:
            self.close()
        else:
            self._conn.start_next_cycle()


# ------------------------------------------------------------------------------------ the API
class Intercept:
    """What :func:`intercept` returns: a context manager (``with ... as provsim``) and a decorator."""

    def __init__(self, config: ProvsimConfig, *, app: Any = None) -> None:
        """``config`` builds a fresh app on each entry; ``app`` (a provsim WSGI app, e.g. the pytest
        plugin's ``provsim_app``) is served instead when given."""
        self.config = config
        self.given_app = app
        self.app: Any = None
        self.client: ProvsimClient | None = None
        self.transport: Any = None

    def __enter__(self) -> ProvsimClient:
        from simulator.app import create_app
        from simulator.client import ProvsimClient
        from simulator.client.transport import InProcessTransport

        if self.client is not None:
            raise ProvsimError("this simulator.intercept() is already active; make a new one to nest")
        self.app = self.given_app if self.given_app is not None else create_app(self.config)
        self.transport = InProcessTransport(app=self.app)
        self.client = ProvsimClient.in_process(self.app)
        _ROUTES.push(self)
        return self.client

    def __exit__(self, *exc: object) -> None:
        _ROUTES.pop(self)
        client, self.client = self.client, None
        if client is not None:
            client.close()

    def __call__(self, func: _F) -> _F:
        """Decorate ``func`` (sync or ``async def``): it runs inside a fresh intercept on each call."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with Intercept(self.config, app=self.given_app):
                    return await func(*args, **kwargs)

            return run_async  # type: ignore[return-value]  # same signature as func, async

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with Intercept(self.config, app=self.given_app):
                return func(*args, **kwargs)

        return run  # type: ignore[return-value]  # same signature as func


def intercept(*, fixture: str = "contoso", seed: int = 0, config: ProvsimConfig | None = None) -> Intercept:
    """Route the real hostnames to a fresh in-process simulator while active; yields its
    :class:`~simulator.client.ProvsimClient`.

    ``with simulator.intercept() as provsim:`` (or ``@simulator.intercept()`` on a function, sync or
    async): requests through httpx, urllib3/requests and aiohttp to Microsoft Graph, the Entra login
    and every Genesys Cloud region's ``api.``/``login.`` host (:data:`HOSTS`) reach the simulator with
    no socket and no DNS; any other host raises :class:`InterceptError`. ``fixture`` and ``seed`` pick
    the tenant, or pass a whole ``config``. Leaving restores every library. See docs/intercept.md.
    """
    return Intercept(config if config is not None else ProvsimConfig(seed=seed, fixture=fixture))
