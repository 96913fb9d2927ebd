"""The target side: SCIM requests to Genesys Cloud as the Entra provisioning service sends them.

Every request goes through one httpx transport handed in by the caller
(in-process ``WSGITransport`` to the fake, a recording transport, the proxy, or
``HTTPTransport`` to a real org), and every failure, HTTP or transport, is turned
into a :class:`TargetError` carrying the provisioning-log error code in exactly
one place (:meth:`ScimTarget._send`).  Above this module nothing handles httpx
exceptions.  Requests are built here whole (every header set, no redirects
followed, no cookies) and handed straight to the transport: ``httpx.Client``'s
request pipeline (URL merging, auth and hook flows) cost more than a third of
the engine's own time per request, for nothing the engine uses.

Virtual time: each request costs ``latency`` seconds of virtual time (the real
service spends minutes on a cycle; reports and logs show it), and a 429 is
waited out on the virtual clock, honouring Retry-After, before the same request
is sent again.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from .errors import EngineError
from .logs import ErrorInformation

__all__ = ["ScimTarget", "TargetError", "ScimResponse", "ErrorClass", "INCOMPATIBLE", "max_request_bytes", "encode_body"]

log = logging.getLogger(__name__)

SCIM_JSON = "application/scim+json"
USER_AGENT = "provsim-provisioning/0.1 (simulated Microsoft Entra provisioning service)"
USER_PATH = "/Users"
GROUP_PATH = "/Groups"


class ErrorClass:
    """How the service treats a failed request ("How Application Provisioning works in Microsoft Entra ID" (Microsoft Learn), Errors and retries)."""

    QUARANTINE = "quarantine"  # credentials/authorization: the whole job stops
    ESCROW = "escrow"  # the object is retried in later cycles
    THROTTLED = "throttled"  # waited out within the cycle


#: The documented code for a SCIM answer the service cannot use (M:howto-analyze-provisioning-logs).
INCOMPATIBLE = "SystemForCrossDomainIdentityManagementServiceIncompatible"


@dataclass
class TargetError(EngineError):
    """A SCIM call that failed, with the code the provisioning logs show."""

    code: str
    message: str
    status: int | None = None
    error_class: str = ErrorClass.ESCROW
    method: str = ""
    url: str = ""
    body: Any = None
    fault: str | None = None  # the provsim fault rule that produced this answer, if any
    engine: bool = False  # a failure inside the provisioning service (expression, engine error), no answer at all

    def __post_init__(self) -> None:
        Exception.__init__(self, f"{self.code}: {self.message}")

    @property
    def service_failure(self) -> bool:
        """A failure on the target's side (5xx, timeout, dropped connection, an answer that is not
        SCIM), not a problem with one object's data: what the outage rule counts."""
        return not self.engine and (self.status is None or self.status >= 500 or self.code == INCOMPATIBLE)

    def to_error_information(self) -> ErrorInformation:
        category = "nonServiceFailure" if self.error_class != ErrorClass.QUARANTINE else "failure"
        details = None if self.engine else \
            f"{self.method} {self.url} -> {self.status if self.status is not None else 'no response'}"
        return ErrorInformation(self.code, self.message, details, category, _RECOMMENDED.get(self.code))


_RETRIED = "There's nothing to do: the change is retried automatically by the next cycle (40 minutes)."
_RECOMMENDED = {
    "Unauthorized": "Check the secret token: generate a new Genesys OAuth token, update it in the provisioning "
                    "credentials, test the connection, and restart provisioning.",
    "InsufficientRights": "The Genesys OAuth client lacks a permission: add the role with the directory permissions "
                          "to the client.",
    "Conflict": "A Genesys user with this userName already exists and was not matched: check the matching attribute.",
    "TooManyRequests": "Genesys throttled the requests; they are retried automatically.",
    "DuplicateTargetEntries": "More than one Genesys object matches: remove the duplicates in Genesys.",
    "InternalServerError": "Genesys returned an unexpected error. " + _RETRIED,
    "WebExceptionProtocolError": "The connection to Genesys failed. " + _RETRIED,
    "Timeout": "Genesys took too long to respond. " + _RETRIED,
    INCOMPATIBLE: "Check the tenant URL: it must be the Genesys SCIM base, e.g. https://api.mypurecloud.com/api/v2/scim/v2.",
}

# HTTP status -> the provisioning-log error code.  Microsoft's documented codes where one fits
# (M:howto-analyze-provisioning-logs); the others are provsim's own (docs/fidelity.md).
_STATUS_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "InsufficientRights",
    404: "InvalidAnchor",
    405: "MethodNotAllowed",
    408: "Timeout",
    409: "Conflict",
    412: "PreconditionFailed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "UnprocessableEntity",
    429: "TooManyRequests",
    500: "InternalServerError",
    501: "NotImplemented",
    502: "InternalServerError",
    503: "InternalServerError",
    504: "Timeout",
}

_MAX_BYTES = re.compile(r"Maximum bytes:\s*(\d+)")


def max_request_bytes(error: TargetError) -> int | None:
    """The limit a 413 names (Genesys: ``Maximum bytes: 512000``), if it names one."""
    if error.status != 413:
        return None
    text = json.dumps(error.body) if not isinstance(error.body, str) else error.body
    found = _MAX_BYTES.search(text or "") or _MAX_BYTES.search(error.message)
    return int(found.group(1)) if found else None


def encode_body(body: Any) -> bytes:
    """A request body exactly as it goes on the wire (compact JSON, UTF-8)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class ScimResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class ScimTarget:
    """SCIM 2.0 calls against ``base_address`` (the tenant URL, e.g. ``.../api/v2/scim/v2``)."""

    def __init__(
        self,
        transport: httpx.BaseTransport,
        base_address: str,
        secret_token: str | None,
        *,
        sleep: Callable[[float], None],
        latency: float = 0.25,
        timeout: float = 30.0,
        max_throttle_retries: int = 10,
        on_request: Callable[[dict[str, Any]], None] | None = None,
        name: str = "Genesys",
    ) -> None:
        self.transport = transport
        #: how failures name the target ("Genesys answered 400: ...")
        self.name = name
        self.timeout = httpx.Timeout(timeout).as_dict()
        # A tenant URL may carry feature flags in its query (``...?aadOptscim062020``): they go on every request.
        url = httpx.URL(base_address)
        self.base_params = list(url.params.multi_items())
        self.base = str(url.copy_with(query=None)).rstrip("/")
        self.token = secret_token
        self.sleep = sleep
        self.latency = latency
        self.max_throttle_retries = max_throttle_retries
        self.on_request = on_request
        # Fixed client headers: recordings of the engine's traffic must not depend on the httpx version.
        headers = {"Accept": SCIM_JSON, "Accept-Encoding": "gzip, deflate", "Connection": "keep-alive",
                   "User-Agent": USER_AGENT}
        if secret_token:
            headers["Authorization"] = f"Bearer {secret_token}"
        self._headers = httpx.Headers(headers)  # built once: every request carries the same ones
        self._body_headers = httpx.Headers({**headers, "Content-Type": SCIM_JSON})
        self.requests_sent = 0
        self.writes_sent = 0  # POST/PATCH/DELETE calls (each counted once, whatever its 429 retries)
        self.throttled = 0

    # ---- the one place that talks HTTP -----------------------------------
    def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> ScimResponse:
        url = self.base + path
        content = None if body is None else encode_body(body)
        headers = self._headers if body is None else self._body_headers
        attempts = 0
        if method != "GET":
            self.writes_sent += 1
        while True:
            attempts += 1
            self.requests_sent += 1
            if self.latency:
                self.sleep(self.latency)
            merged = self.base_params + list((params or {}).items())
            request = httpx.Request(method, url, params=merged or None, content=content, headers=headers,
                                    extensions={"timeout": self.timeout})
            try:
                resp = self.transport.handle_request(request)
                try:
                    resp.read()
                finally:
                    resp.close()
            except httpx.TimeoutException as err:
                raise TargetError("Timeout", f"The request to {self.name} timed out: {err}", None, ErrorClass.ESCROW, method, url) from err
            except httpx.HTTPError as err:
                # Connection refused/reset/dropped: the service calls these WebExceptionProtocolError.
                raise TargetError("WebExceptionProtocolError", f"The connection to {self.name} failed: {err}", None,
                                  ErrorClass.ESCROW, method, url) from err
            if self.on_request:
                self.on_request({"method": method, "url": str(request.url), "status": resp.status_code, "body": body})
            parsed = _parse(resp)
            if resp.status_code == 429 and attempts <= self.max_throttle_retries:
                self.throttled += 1
                wait = _retry_after(resp)
                log.info("429 from Genesys on %s %s: waiting %ss (virtual)", method, path, wait)
                self.sleep(wait)
                continue
            if resp.status_code >= 400:
                error = self._error(method, url, resp.status_code, parsed, self.name)
                error.fault = resp.headers.get("X-Provsim-Fault")
                raise error
            return ScimResponse(resp.status_code, parsed, dict(resp.headers))

    @staticmethod
    def _error(method: str, url: str, status: int, body: Any, name: str = "Genesys") -> TargetError:
        detail = ""
        if isinstance(body, dict):
            detail = body.get("detail") or body.get("message") or body.get("error_description") or ""
        elif isinstance(body, str):
            detail = body[:300]
        code = _STATUS_CODES.get(status, "InternalServerError" if status >= 500 else "BadRequest")
        path = httpx.URL(url).path.rstrip("/")
        not_scim = status == 404 and path.endswith((USER_PATH, GROUP_PATH))
        if not_scim:
            # 404 on the collection itself is not a missing object: the endpoint is not SCIM ("How Application Provisioning works in Microsoft Entra ID" (Microsoft Learn), Errors and retries).
            code = INCOMPATIBLE
        if status in (401, 403) or not_scim:
            # Credentials refused, or not a SCIM endpoint: every call will fail; the job quarantines at once.
            klass = ErrorClass.QUARANTINE
        elif status == 429:
            klass = ErrorClass.THROTTLED
        else:
            klass = ErrorClass.ESCROW
        message = f"{name[:1].upper()}{name[1:]} answered {status}" + (f": {detail}" if detail else "")
        return TargetError(code, message, status, klass, method, url, body)

    # ---- users ------------------------------------------------------------
    def find(self, resource: str, attribute: str, value: str, *, exclude_members: bool = False) -> list[dict[str, Any]]:
        """``GET /Users?filter=attr eq "value"`` as Entra sends it."""
        escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
        params = {"filter": f'{attribute} eq "{escaped}"'}
        if exclude_members:
            params = {"excludedAttributes": "members", **params}
        resp = self._send("GET", resource, params=params)
        body = resp.body
        if not isinstance(body, dict) or not ("Resources" in body or "totalResults" in body):
            # A root lookup that is not answered in SCIM: the endpoint is not SCIM (quarantine at once).
            raise TargetError(INCOMPATIBLE, f"A query answered {resp.status} without a SCIM ListResponse",
                              resp.status, ErrorClass.QUARANTINE, "GET", self.base + resource, body)
        return list(body.get("Resources") or [])

    def get(self, resource: str, target_id: str, *, exclude_members: bool = False) -> dict[str, Any] | None:
        params = {"excludedAttributes": "members"} if exclude_members else None
        path = f"{resource}/{quote(target_id, safe='')}"
        try:
            resp = self._send("GET", path, params=params)
        except TargetError as err:
            if err.status == 404:
                return None
            raise
        if not isinstance(resp.body, dict):
            raise TargetError(INCOMPATIBLE, f"A read answered {resp.status} without a SCIM resource",
                              resp.status, ErrorClass.ESCROW, "GET", self.base + path, resp.body)
        return resp.body

    def create(self, resource: str, body: dict[str, Any]) -> Any:
        """The target's answer as it came (a conforming target returns the created resource; callers check)."""
        return self._send("POST", resource, body=body).body

    def patch(self, resource: str, target_id: str, body: dict[str, Any]) -> Any:
        return self._send("PATCH", f"{resource}/{quote(target_id, safe='')}", body=body).body

    def delete(self, resource: str, target_id: str) -> None:
        self._send("DELETE", f"{resource}/{quote(target_id, safe='')}")

    def test_connection(self, matching_attribute: str, probe_value: str) -> None:
        """What "Test Connection" does: look up a user that cannot exist; 200 + empty list passes."""
        resp = self._send("GET", USER_PATH, params={"filter": f'{matching_attribute} eq "{probe_value}"'})
        body = resp.body
        if resp.status != 200 or not isinstance(body, dict) or "Resources" not in body and "totalResults" not in body:
            raise TargetError(INCOMPATIBLE,
                              f"Test connection expected 200 with a SCIM ListResponse, got {resp.status}",
                              resp.status, ErrorClass.QUARANTINE, "GET", self.base + USER_PATH, body)
        if body.get("totalResults") not in (0, None) or body.get("Resources"):
            raise TargetError(INCOMPATIBLE,
                              "Test connection looked up a user that cannot exist and got results: the target "
                              "does not filter on the matching attribute", resp.status, ErrorClass.QUARANTINE,
                              "GET", self.base + USER_PATH, body)


def _parse(resp: httpx.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return resp.text


def _retry_after(resp: httpx.Response) -> float:
    raw = resp.headers.get("Retry-After")
    try:
        return max(1.0, float(raw)) if raw is not None else 60.0
    except ValueError:
        return 60.0
