"""Errors of the Genesys Cloud surface, and how each is rendered.

    ProvsimError
    └── PureCloudError            anything the Genesys surface answers with an error
        ├── ScimError             SCIM routes: RFC 7644 §3.12 error (status as a string, scimType, detail)
        ├── GenesysApiError       platform errors in Genesys' ErrorBody shape (401, 403, 429)
        └── OAuthError            /oauth/token: {"error": ..., "description": ...}

Which shape a Genesys answer takes (Genesys' SCIM API: the PureCloudPlatformClientV2 ScimError model): the
SCIM error schema for what the SCIM layer decides (400 invalidFilter, 404, 409
uniqueness, ...), the platform's ``ErrorBody`` for what the gateway decides
before SCIM runs (a missing or bad bearer token, missing permissions, rate
limit).  Views raise; the blueprints' handlers render.  No traceback ever
leaves the process.
"""

from __future__ import annotations

from typing import Any

from simulator.core import ProvsimError
from simulator.http import dumps

__all__ = [
    "PureCloudError",
    "ScimError",
    "GenesysApiError",
    "OAuthError",
    "SCIM_ERROR_URN",
    "SCIM_CONTENT_TYPE",
    "error_body",
    "scim_error_body",
]

SCIM_ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_CONTENT_TYPE = "application/scim+json"

#: scimType values Genesys' ScimError model allows (PYSDK ScimError).
SCIM_TYPES = frozenset({"invalidFilter", "tooMany", "uniqueness", "mutability", "invalidSyntax", "invalidPath",
                        "noTarget", "invalidValue", "invalidVers", "sensitive"})


class PureCloudError(ProvsimError):
    """Base of the errors the Genesys Cloud fake answers with."""

    status: int = 500

    def render(self, context_id: str) -> tuple[bytes, str, dict[str, str]]:  # pragma: no cover - interface
        raise NotImplementedError


class ScimError(PureCloudError):
    """A SCIM protocol error: ``ScimError(409, "uniqueness", "User name already in use ...")``."""

    def __init__(self, status: int, scim_type: str | None, detail: str, *, headers: dict[str, str] | None = None) -> None:
        if scim_type is not None and scim_type not in SCIM_TYPES:
            raise ValueError(f"not a SCIM error type: {scim_type!r}")
        super().__init__(detail)
        self.status = status
        self.scim_type = scim_type
        self.detail = detail
        self.headers = headers or {}

    def render(self, context_id: str = "") -> tuple[bytes, str, dict[str, str]]:
        return scim_error_body(self.status, self.scim_type, self.detail), SCIM_CONTENT_TYPE, dict(self.headers)


class GenesysApiError(PureCloudError):
    """A platform error (``ErrorBody``): ``GenesysApiError(401, "bad.credentials", "Invalid login credentials.")``."""

    def __init__(self, status: int, code: str, message: str, *, params: dict[str, str] | None = None,
                 message_with_params: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.params = params or {}
        self.message_with_params = message_with_params or message
        self.headers = headers or {}

    def render(self, context_id: str) -> tuple[bytes, str, dict[str, str]]:
        body = error_body(self.status, self.code, self.message, context_id,
                          message_with_params=self.message_with_params, params=self.params)
        return body, "application/json", dict(self.headers)


class OAuthError(PureCloudError):
    """An error of the token endpoint (RFC 6749 §5.2 names, Genesys' ``description`` key)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def render(self, context_id: str = "") -> tuple[bytes, str, dict[str, str]]:
        headers = {"WWW-Authenticate": 'Basic realm="oauth"'} if self.status == 401 else {}
        return dumps({"error": self.error, "description": self.description}).encode(), "application/json", headers


def scim_error_body(status: int, scim_type: str | None, detail: str) -> bytes:
    body: dict[str, Any] = {"schemas": [SCIM_ERROR_URN], "status": str(status)}
    if scim_type:
        body["scimType"] = scim_type
    body["detail"] = detail
    return dumps(body).encode()


def error_body(status: int, code: str, message: str, context_id: str, *, message_with_params: str | None = None,
               params: dict[str, str] | None = None) -> bytes:
    """Genesys' ``ErrorBody`` with its keys in the SDK model's order."""
    return dumps({
        "message": message,
        "code": code,
        "status": status,
        "messageWithParams": message_with_params or message,
        "messageParams": params or {},
        "contextId": context_id,
        "details": [],
        "errors": [],
    }).encode()
