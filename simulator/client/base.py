"""The client's shared ground: the errors it raises, the paths and ids it knows, and how it reads
an answer (every part of :class:`~simulator.client.ProvsimClient` uses these)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from simulator.core import ProvsimError

__all__ = [
    "ApiError", "Unreachable", "job_secrets", "parsed", "api_error",
    "IN_PROCESS_BASE", "DEFAULT_URL", "DEFAULT_TENANT", "TEMPLATE_ID", "RESET_SCOPES", "SCIM_PATH", "PLATFORM_PATH",
    "ODATA_OBJECT", "GALLERY_TEMPLATE_IDS", "DEFAULT_ACCESS_ROLE",
]

IN_PROCESS_BASE = "http://provsim.local"
DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_TENANT = "contoso.onmicrosoft.com"
TEMPLATE_ID = "purecloud"
SCIM_PATH = "/api/v2/scim/v2"
PLATFORM_PATH = "/api/v2"
#: How Graph names a directory object in an ``@odata.id`` reference (members, manager).
ODATA_OBJECT = "https://graph.microsoft.com/v1.0/directoryObjects/"
#: The fake's id of the PureCloud by Genesys gallery template (``applicationTemplateId``).
GALLERY_TEMPLATE_IDS = frozenset({"6f3a8e21-54b7-4c19-9d2e-8b1f0a7c3e59"})
#: appRoleId of "default access" (an app without roles).
DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"
RESET_SCOPES = ("None", "ConnectorDataStore", "Escrows", "Watermark", "QuarantineState", "Full", "ForceDeletes")


class ApiError(ProvsimError):
    """provsim answered and refused: ``status``, the surface's error ``code`` and ``message``."""

    def __init__(self, method: str, path: str, status: int, code: str | None, message: str, body: Any = None) -> None:
        where = f"{method} {path} -> {status}"
        super().__init__(f"{code}: {message} ({where})" if code else f"{where}: {message}")
        self.method, self.path, self.status, self.code, self.message, self.body = method, path, status, code, message, body


class Unreachable(ProvsimError):
    """Nothing answered at the client's base URL."""


def job_secrets(tenant_url: str, secret_token: str, *, scope: str = "assigned", notify: str | None = None,
                delete_threshold: int | None = None, skip_out_of_scope_deletions: bool = False) -> list[dict]:
    """The ``PUT …/synchronization/secrets`` values the portal's provisioning page saves.

    The accidental-deletion threshold goes into ``SyncNotificationSettings`` only when given, so
    naming a notification address never switches the guard off.
    """
    secrets = [{"key": "BaseAddress", "value": tenant_url}, {"key": "SecretToken", "value": secret_token},
               {"key": "SyncAll", "value": "True" if scope == "all" else "False"}]
    if skip_out_of_scope_deletions:
        secrets.append({"key": "SkipOutOfScopeDeletions", "value": "True"})
    if notify or delete_threshold:
        settings: dict[str, Any] = {"Enabled": bool(notify), "Recipients": notify or ""}
        if delete_threshold:
            settings.update(DeleteThresholdEnabled=True, DeleteThresholdValue=int(delete_threshold))
        secrets.append({"key": "SyncNotificationSettings", "value": json.dumps(settings)})
    return secrets


def parsed(resp: httpx.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return None


def api_error(method: str, path: str, resp: httpx.Response) -> ApiError:
    """The error a surface answered, read from its own format (Graph OData, SCIM, Genesys, /_provsim)."""
    body = parsed(resp)
    code: str | None = None
    message = resp.text[:300]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # Graph and /_provsim: {"error": {"code", "message"}}
            code, message = error.get("code"), str(error.get("message"))
        elif "detail" in body:  # SCIM: {"schemas": [...Error], "status", "scimType", "detail"}
            code, message = body.get("scimType"), str(body.get("detail"))
        elif "message" in body:  # Genesys Platform: {"code", "message", ...}
            code, message = body.get("code"), str(body.get("message"))
        elif isinstance(error, str):  # OAuth: {"error", "error_description" | "description"}
            code, message = error, str(body.get("error_description") or body.get("description") or error)
    return ApiError(method, path, resp.status_code, code, message, body)
