"""Forwarding to the configured upstream with one ``httpx.Client``.

What is forwarded is what the client sent: method, path, query (byte for byte), body and
headers, minus the hop-by-hop headers a proxy must not pass on (RFC 9110 §7.6.1: the
fields named in ``Connection`` and the usual ``Connection``, ``Keep-Alive``,
``Proxy-Connection``, ``TE``, ``Trailer``, ``Transfer-Encoding``, ``Upgrade``; plus
``Proxy-Authorization``/``Proxy-Authenticate``, which address the proxy itself).
``Host`` becomes the upstream's.  Client default headers are *not* added: requests are
built with ``httpx.Request`` and sent with ``Client.send``, not ``Client.request``.

Foreign errors are translated once, here (httpx's own habit): connect/transport errors
become :class:`UpstreamUnavailable` (502), timeouts :class:`UpstreamTimeout` (504).
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .errors import UpstreamTimeout, UpstreamUnavailable

__all__ = ["HOP_BY_HOP", "Upstream", "Forwarder", "strip_hop_by_hop", "translate_errors"]

HOP_BY_HOP: frozenset[str] = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-authenticate",
        "proxy-authorization",
    }
)


def strip_hop_by_hop(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop hop-by-hop fields, including every field the ``Connection`` header names."""
    pairs = list(headers)
    named = {
        token.strip().lower()
        for name, value in pairs
        if name.lower() == "connection"
        for token in value.split(",")
        if token.strip()
    }
    return [(n, v) for n, v in pairs if n.lower() not in HOP_BY_HOP and n.lower() not in named]


_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Upstream:
    """The one origin the proxy may talk to, plus an optional base path (``https://h/api``)."""

    scheme: str
    host: str
    port: int
    base_path: str

    @classmethod
    def parse(cls, url: str) -> Upstream:
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"upstream must be an http(s) URL with a host, got {url!r}")
        return cls(
            scheme=parts.scheme,
            host=parts.hostname.lower(),
            port=parts.port or _DEFAULT_PORTS[parts.scheme],
            base_path=parts.path.rstrip("/"),
        )

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    def is_same_origin(self, url: str) -> bool:
        """Whether an absolute-form request target points at this upstream."""
        parts = urlsplit(url)
        try:
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme, -1)
        except ValueError:
            return False
        return parts.scheme == self.scheme and (parts.hostname or "").lower() == self.host and port == self.port

    def url_for(self, path: str, query: str = "") -> str:
        """The upstream URL for an incoming path (already percent-encoded) and raw query."""
        full = self.base_path + (path if path.startswith("/") else "/" + path)
        return f"{self.origin}{full or '/'}" + (f"?{query}" if query else "")


@contextlib.contextmanager
def translate_errors(upstream: Upstream) -> Iterator[None]:
    """The single place httpx's exceptions become the proxy's."""
    try:
        yield
    except httpx.TimeoutException as err:
        raise UpstreamTimeout(
            f"the upstream {upstream.origin} did not answer in time ({type(err).__name__})",
            upstream=upstream.origin,
            detail=str(err) or type(err).__name__,
        ) from err
    except httpx.TransportError as err:
        raise UpstreamUnavailable(
            f"the upstream {upstream.origin} could not be reached ({type(err).__name__})",
            upstream=upstream.origin,
            detail=str(err) or type(err).__name__,
        ) from err


class Forwarder:
    """Sends requests to the upstream; one pooled, thread-safe ``httpx.Client`` per proxy.

    ``transport`` is for tests and in-process use (``httpx.WSGITransport``); by default
    the client verifies upstream TLS (``verify=False`` only with ``--insecure``).
    """

    def __init__(
        self,
        upstream: str | Upstream,
        *,
        verify: bool | ssl.SSLContext = True,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.upstream = upstream if isinstance(upstream, Upstream) else Upstream.parse(upstream)
        self.client = httpx.Client(
            verify=verify,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def build(
        self,
        method: str,
        path: str,
        query: str,
        headers: Iterable[tuple[str, str]],
        content: bytes | Iterator[bytes],
    ) -> httpx.Request:
        """The upstream request: hop-by-hop removed, Host rewritten, Content-Length recomputed
        for buffered bodies (kept for streamed ones, so the upstream is not sent chunks)."""
        buffered = isinstance(content, bytes)
        kept = [
            (n, v)
            for n, v in strip_hop_by_hop(headers)
            if n.lower() != "host" and not (buffered and n.lower() == "content-length")
        ]
        kept.insert(0, ("Host", self.upstream.netloc))
        return httpx.Request(method, self.upstream.url_for(path, query), headers=kept, content=content)

    def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send and (unless ``stream``) read the whole response; errors come out translated."""
        with translate_errors(self.upstream):
            response = self.client.send(request, stream=stream)
            # Set-Cookie must reach the client, not pile up in the proxy's own jar.
            self.client.cookies.clear()
            return response

    def close(self) -> None:
        self.client.close()
