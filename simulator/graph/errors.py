"""Errors of the Graph and Entra login surfaces, each rendering the real body.

    ProvsimError
    ├── GraphError                      OData error {"error": {"code", "message", "innerError"}}
    │   ├── ResourceNotFound            404 Request_ResourceNotFound
    │   ├── BadRequest                  400 Request_BadRequest
    │   ├── UnsupportedQuery            400 Request_UnsupportedQuery
    │   ├── AuthorizationDenied         403 Authorization_RequestDenied
    │   └── InvalidAuthenticationToken  401 InvalidAuthenticationToken
    └── LoginError                      AADSTS body {"error", "error_description", "error_codes", ...}

The :class:`~simulator.graph.directory.Directory` service raises the
:class:`GraphError` subclasses directly: they carry no Flask types, so the
engine or a scenario can call the service and get the same code a Graph client
would see ("Microsoft Graph error responses and resource types" on Microsoft Learn).
"""

from __future__ import annotations

from simulator.core import ProvsimError

__all__ = [
    "GraphError",
    "ResourceNotFound",
    "BadRequest",
    "UnsupportedQuery",
    "AuthorizationDenied",
    "InvalidAuthenticationToken",
    "LoginError",
    "not_found_message",
]


def not_found_message(object_id: str) -> str:
    return f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present."


class GraphError(ProvsimError):
    """A Graph error: HTTP status, Graph ``code`` and ``message``."""

    status = 500
    code = "UnknownError"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None, details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: OData error ``details`` ({code, message, target} each): every problem of a refused schema
        self.details = list(details or [])
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers = dict(headers or {})


class ResourceNotFound(GraphError):
    status = 404
    code = "Request_ResourceNotFound"

    @classmethod
    def for_id(cls, object_id: str) -> ResourceNotFound:
        return cls(not_found_message(object_id))


class BadRequest(GraphError):
    status = 400
    code = "Request_BadRequest"


class UnsupportedQuery(GraphError):
    status = 400
    code = "Request_UnsupportedQuery"


class AuthorizationDenied(GraphError):
    status = 403
    code = "Authorization_RequestDenied"

    def __init__(self, message: str = "Insufficient privileges to complete the operation.", **kw) -> None:
        super().__init__(message, **kw)


class InvalidAuthenticationToken(GraphError):
    status = 401
    code = "InvalidAuthenticationToken"


class LoginError(ProvsimError):
    """An Entra (AADSTS) token-endpoint error.

    ``error`` is the OAuth error (``invalid_client``), ``aadsts`` the number
    (7000215) that prefixes ``error_description`` and fills ``error_codes``.
    """

    def __init__(self, status: int, error: str, aadsts: int, description: str) -> None:
        super().__init__(f"AADSTS{aadsts}: {description}")
        self.status = status
        self.error = error
        self.aadsts = aadsts
        self.description = description
