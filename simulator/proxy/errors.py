"""The recording proxy's exception tree.

    ProvsimError                       (simulator.core.errors)
    └── ProxyError                     anything the proxy raises on purpose
        ├── CassetteError              a cassette file that cannot be used
        │   ├── CassetteNotFoundError  replay/check/diff of a file that does not exist
        │   └── CassetteFormatError    a file that is not a vcrpy cassette (or a broken one)
        ├── ReplayMiss                 no unplayed recorded interaction matches a request
        ├── ForbiddenTarget            a request aimed at another host than the upstream, or CONNECT
        ├── UpstreamError              the upstream could not be reached or did not answer
        │   ├── UpstreamUnavailable    connect/transport failure          -> 502
        │   └── UpstreamTimeout        no answer in time                   -> 504
        └── VerifyError                ``cassette verify`` cannot start (no token, bad URL)

Errors that reach the HTTP edge carry the status they are rendered with and a
JSON payload (:meth:`ProxyError.to_payload`), so the WSGI app has one renderer
and views never format errors themselves (Flask's "API errors as JSON" habit).
"""

from __future__ import annotations

from typing import Any

from simulator.core.errors import ProvsimError

__all__ = [
    "ProxyError",
    "CassetteError",
    "CassetteNotFoundError",
    "CassetteFormatError",
    "ReplayMiss",
    "ForbiddenTarget",
    "UnscrubbableBody",
    "UpstreamError",
    "UpstreamUnavailable",
    "UpstreamTimeout",
    "VerifyError",
]


class ProxyError(ProvsimError):
    """Base of the proxy's errors; ``status`` and ``code`` say how the proxy answers it."""

    status: int = 500
    code: str = "proxy_error"

    def to_payload(self) -> dict[str, Any]:
        """The JSON body the proxy answers with (stable keys: ``error``, ``message``)."""
        return {"error": self.code, "message": str(self)}


class CassetteError(ProxyError):
    """A cassette file that cannot be loaded or saved."""

    code = "cassette_error"


class CassetteNotFoundError(CassetteError):
    """The cassette does not exist (replay and the cassette commands need one)."""

    code = "cassette_not_found"


class CassetteFormatError(CassetteError):
    """The file is not a readable vcrpy cassette; the message names what is wrong."""

    code = "cassette_malformed"


class ReplayMiss(ProxyError):
    """No recorded interaction answers this request.

    Carries the request as matched (scrubbed) and the closest recorded request with
    the reasons each matcher gave, so a miss explains itself instead of merely failing.
    """

    status = 404
    code = "replay_miss"

    def __init__(
        self,
        message: str,
        *,
        request: dict[str, Any],
        closest: dict[str, Any] | None = None,
        differences: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.request = request
        self.closest = closest
        self.differences = differences or []

    def to_payload(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "message": str(self),
            "request": self.request,
            "closest": self.closest,
            "differences": self.differences,
        }


class ForbiddenTarget(ProxyError):
    """The proxy forwards to its configured upstream only (no open proxy, no tunnels)."""

    status = 403
    code = "forbidden_target"


class UnscrubbableBody(ProxyError):
    """A request body the proxy cannot scrub for the cassette: refused *before* it is forwarded, so the
    upstream never acts on a request whose recording would leak a secret or fail."""

    status = 400
    code = "unscrubbable_body"


class UpstreamError(ProxyError):
    """The upstream could not be reached or did not answer."""

    status = 502
    code = "upstream_error"

    def __init__(self, message: str, *, upstream: str, detail: str = "") -> None:
        super().__init__(message)
        self.upstream = upstream
        self.detail = detail

    def to_payload(self) -> dict[str, Any]:
        return {"error": self.code, "message": str(self), "upstream": self.upstream, "detail": self.detail}


class UpstreamUnavailable(UpstreamError):
    """Connection refused, DNS failure, TLS failure, connection dropped: 502 Bad Gateway (UpstreamError's status)."""

    code = "upstream_unavailable"


class UpstreamTimeout(UpstreamError):
    """The upstream accepted the request but did not answer in time: 504 Gateway Timeout."""

    status = 504
    code = "upstream_timeout"


class VerifyError(ProxyError):
    """``cassette verify`` cannot run as asked (raised before any request is sent)."""

    code = "verify_error"
