"""The user's own SCIM server: where it is, how the engine reaches it, and what it is sent.

A server is given as a URL (a real HTTP call) or as a WSGI or ASGI app object (called
in-process, no socket): a WSGI app through ``httpx.WSGITransport``, an ASGI app through
``httpx.ASGITransport`` driven by one private event loop, so the engine's synchronous
httpx calls work unchanged.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx

from simulator.engine.target_profile import TargetProfile, parse_profile

__all__ = ["Target", "SyncASGITransport", "COMPLIANCE_FLAG", "APP_BASE_URL"]

#: The tenant-URL flag that switches the service to RFC-compliant PATCH shapes ("Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID" (Microsoft Learn)).
COMPLIANCE_FLAG = "aadOptscim062020"
#: The tenant URL given to an in-process app when the caller names none (a host no resolver answers).
APP_BASE_URL = "http://scim.target.invalid"


def is_asgi(app: Any) -> bool:
    """An ASGI app is a coroutine function ``(scope, receive, send)`` or an object whose
    ``__call__`` is one; anything else callable is taken as WSGI."""
    return inspect.iscoroutinefunction(app) or (callable(app) and inspect.iscoroutinefunction(app.__call__))


class SyncASGITransport(httpx.BaseTransport):
    """``httpx.ASGITransport`` behind a synchronous face: each request runs to completion on one
    private event loop (the same loop for every request, so an app's loop-bound state survives)."""

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        body = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        return httpx.Response(response.status_code, headers=response.headers.multi_items(), content=body, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self._loop.run_until_complete(self._send(request))

    def close(self) -> None:
        """Kept open across cycles: :meth:`shutdown` ends it."""

    def shutdown(self) -> None:
        if not self._loop.is_closed():
            self._loop.close()


class _Shared(httpx.BaseTransport):
    """One transport handed to every cycle; the engine closes its transport after each cycle."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class Target:
    """A SCIM server to provision into: its tenant URL, secret token and target profile.

    ``app`` is an in-process WSGI or ASGI app (then ``tenant_url`` names it; its host never
    resolves).  The token is sent as ``Authorization: Bearer ...``; without one no
    Authorization header is sent.  It never appears in a report (``repr`` hides it too).
    """

    tenant_url: str
    token: str | None = None
    profile: TargetProfile = TargetProfile.SCIM
    app: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "profile", parse_profile(self.profile))
        url = httpx.URL(self.tenant_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"the target must be an http(s) URL such as https://scim.example.com/scim/v2, got {self.tenant_url!r}")

    def __repr__(self) -> str:
        return f"Target(tenant_url={self.tenant_url!r}, token={'***' if self.token else None}, profile={self.profile.value!r})"

    @classmethod
    def of(cls, server: Any, *, token: str | None = None, profile: str | TargetProfile = TargetProfile.SCIM,
           base_url: str | None = None) -> Target:
        """A URL string, or a WSGI/ASGI app (reached at ``base_url``, default :data:`APP_BASE_URL`)."""
        if isinstance(server, (str, httpx.URL)):
            return cls(str(server), token, parse_profile(profile))
        if not callable(server):
            raise TypeError(f"a target is a URL or a WSGI/ASGI app, not {type(server).__name__}")
        return cls(base_url or APP_BASE_URL, token, parse_profile(profile), server)

    @property
    def base(self) -> str:
        """The tenant URL without its query (flags): what request paths are relative to."""
        return str(httpx.URL(self.tenant_url).copy_with(query=None)).rstrip("/")

    @property
    def display_url(self) -> str:
        return self.tenant_url

    def with_flag(self, flag: str | None) -> Target:
        """The same server with the tenant URL's feature flags set to exactly ``flag`` (or none)."""
        url = httpx.URL(self.tenant_url)
        kept = [(k, v) for k, v in url.params.multi_items() if k.lower() != COMPLIANCE_FLAG.lower()]
        query = "&".join(f"{k}={v}" if v else k for k, v in kept + ([(flag, "")] if flag else []))
        return replace(self, tenant_url=str(url.copy_with(query=query.encode() or None)))

    def route(self) -> tuple[dict[str, Callable[[], httpx.BaseTransport]], Callable[[], None]]:
        """(``TargetFactory.routes`` for an in-process app, a function that frees it): empty for a URL."""
        if self.app is None:
            return {}, lambda: None
        url = httpx.URL(self.tenant_url)
        host = f"{url.host}:{url.port}" if url.port else url.host
        if is_asgi(self.app):
            asgi = SyncASGITransport(self.app)
            shared: httpx.BaseTransport = _Shared(asgi)
            return {host: lambda: shared}, asgi.shutdown
        app = self.app
        return {host: lambda: httpx.WSGITransport(app=app)}, lambda: None
