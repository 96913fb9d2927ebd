"""``ProvsimClient``: one small client of a running (or in-process) provsim.

It speaks the APIs a real script uses against a tenant, and nothing else: the
Entra login and Graph (the synchronization API, provisioning logs, directory
calls), Genesys' ``/oauth/token`` and SCIM, and provsim's own ``/_provsim``
control API (virtual clock, faults, outbox).  ``provsim job``, the scenario
runner, the pytest plugin, the tests and the benchmarks all drive the
provisioning service through it, so there is one place that knows the request
shapes of the synchronization API.

    client = ProvsimClient.in_process(app)              # or ProvsimClient.connect("http://127.0.0.1:8080")
    job_id = client.configure(scope="assigned", start=True)
    client.advance("PT40M")
    client.status(job_id)["status"]["code"]             # "Active"

Errors: a refused request raises :class:`ApiError` (HTTP status, the surface's
error code and message); no server at the URL raises :class:`Unreachable`.
Flask-free: it needs only httpx (and the app object when in-process).

The package is the client side of provsim: this module (the client), :mod:`simulator.client.login`
(client-credentials logins as real clients do them) and :mod:`simulator.client.transport`
(:class:`~simulator.client.transport.InProcessTransport`, httpx straight into the app).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import httpx

from simulator.client import login
from simulator.client.login import DEMO_GENESYS, DEMO_GRAPH
from simulator.core import ProvsimError

__all__ = [
    "ProvsimClient", "ApiError", "Unreachable", "job_secrets",
    "IN_PROCESS_BASE", "DEFAULT_URL", "DEFAULT_TENANT", "TEMPLATE_ID", "RESET_SCOPES", "SCIM_PATH", "PLATFORM_PATH",
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


def _parsed(resp: httpx.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return None


def _error(method: str, path: str, resp: httpx.Response) -> ApiError:
    """The error a surface answered, read from its own format (Graph OData, SCIM, Genesys, /_provsim)."""
    body = _parsed(resp)
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


class ProvsimClient:
    """A conversation with one provsim: tokens, the PureCloud app, its jobs, the clock."""

    def __init__(self, http: httpx.Client, *, tenant: str = DEFAULT_TENANT, service_principal: str | None = None,
                 graph_client: tuple[str, str] = DEMO_GRAPH, genesys_client: tuple[str, str] = DEMO_GENESYS) -> None:
        self.http = http
        self.tenant = tenant
        self.graph_client = graph_client
        self.genesys_client = genesys_client
        self._sp_hint = service_principal
        self._sp_id: str | None = None
        self._graph_token: str | None = None
        self._genesys_token: str | None = None

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def in_process(cls, app: Any, *, transport_wrapper: Any = None, base_url: str = IN_PROCESS_BASE,
                   **kwargs: Any) -> ProvsimClient:
        """A client of ``app`` (a provsim WSGI app) through :class:`InProcessTransport`: no socket.

        Any ``base_url`` works, and is then a working tenant URL for the app's jobs too."""
        from simulator.client.transport import InProcessTransport

        transport: httpx.BaseTransport = InProcessTransport(app=app)
        if transport_wrapper is not None:
            transport = transport_wrapper(transport)
        kwargs.setdefault("tenant", _fixture_domain(app.extensions["provsim"]))
        return cls(httpx.Client(transport=transport, base_url=base_url, timeout=None), **kwargs)

    @classmethod
    def connect(cls, url: str = DEFAULT_URL, **kwargs: Any) -> ProvsimClient:
        """A client of a provsim served at ``url`` (``provsim serve``)."""
        return cls(httpx.Client(base_url=url.rstrip("/"), timeout=httpx.Timeout(30.0, read=None)), **kwargs)

    @property
    def base_url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ProvsimClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- HTTP ----------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The one place that sends: transport failures become :class:`Unreachable`."""
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            raise Unreachable(f"cannot reach provsim at {self.base_url} ({err.__class__.__name__}: {err})") from err

    def _call(self, method: str, path: str, body: Any, params: dict | None, headers: dict,
              ok: Iterable[int] | None) -> Any:
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if body is not None:
            kwargs["json"] = body
        resp = self.request(method, path, **kwargs)
        if ok is not None and resp.status_code not in tuple(ok):
            raise _error(method, path, resp)
        return resp

    # ---- Entra login and Graph ---------------------------------------------------------------
    def graph_token(self, *, fresh: bool = False) -> str:
        if self._graph_token is None or fresh:
            try:
                self._graph_token = login.graph_token(self.http, self.tenant, *self.graph_client)["access_token"]
            except httpx.TransportError as err:
                raise Unreachable(f"cannot reach provsim at {self.base_url} ({err.__class__.__name__}: {err})") from err
        return self._graph_token

    def graph_response(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                       ok: Iterable[int] | None = None) -> httpx.Response:
        """A Graph v1.0 call (``path`` under ``/v1.0``); the raw response.

        Entra tokens live an hour of virtual time: like msal, a new token is fetched when the
        old one has expired."""
        path = path if path.startswith("/") else "/" + path
        url = f"/v1.0{path}"
        resp = self._call(method, url, body, params, {"Authorization": f"Bearer {self.graph_token()}"}, None)
        if resp.status_code == 401 and "xpired" in resp.text:
            resp = self._call(method, url, body, params, {"Authorization": f"Bearer {self.graph_token(fresh=True)}"}, None)
        if ok is not None and resp.status_code not in tuple(ok):
            raise _error(method, url, resp)
        return resp

    def graph(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
              ok: Iterable[int] = (200, 201, 204)) -> Any:
        """A Graph v1.0 call; the parsed body (None for 204). Anything else raises :class:`ApiError`."""
        return _parsed(self.graph_response(method, path, body, params=params, ok=ok))

    def graph_pages(self, path: str, *, params: dict | None = None) -> list[dict]:
        """Every item of a Graph collection, following ``@odata.nextLink``."""
        data = self.graph("GET", path, params=params)
        items = list(data.get("value", []))
        while data.get("@odata.nextLink"):
            link = httpx.URL(data["@odata.nextLink"])
            rel = link.raw_path.decode("ascii")
            rel = rel[len("/v1.0"):] if rel.startswith("/v1.0") else rel
            data = self.graph("GET", rel)
            items.extend(data.get("value", []))
        return items

    # ---- Genesys login and SCIM ----------------------------------------------------------
    def genesys_token(self, client_id: str | None = None, client_secret: str | None = None, *, base: str = "") -> str:
        """A token from Genesys' ``/oauth/token`` (this provsim's, or the org at ``base``)."""
        cid, secret = client_id or self.genesys_client[0], client_secret or self.genesys_client[1]
        try:
            if base and base.rstrip("/") != self.base_url:
                with httpx.Client(timeout=30) as other:
                    return login.genesys_token(other, cid, secret, base=base)["access_token"]
            return login.genesys_token(self.http, cid, secret)["access_token"]
        except httpx.TransportError as err:
            raise Unreachable(f"cannot reach the Genesys login at {base or self.base_url}/oauth/token: {err}") from err

    def genesys_response(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                         token: str | None = None, ok: Iterable[int] | None = None) -> httpx.Response:
        """A Genesys SCIM call (``path`` under ``/api/v2/scim/v2``), as an admin would make it by hand."""
        path = path if path.startswith("/") else "/" + path
        return self._call(method, f"{SCIM_PATH}{path}", body, params,
                          {"Authorization": f"Bearer {token or self._admin_genesys_token()}"}, ok)

    def genesys(self, method: str, path: str, body: Any = None, *, params: dict | None = None, token: str | None = None,
                ok: Iterable[int] = (200, 201, 204)) -> Any:
        return _parsed(self.genesys_response(method, path, body, params=params, token=token, ok=ok))

    def genesys_platform_response(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                                  token: str | None = None, ok: Iterable[int] | None = None) -> httpx.Response:
        """A Genesys Platform API call (``path`` under ``/api/v2``, e.g. ``POST /groups`` as Admin >
        Groups does): what SCIM cannot do, such as creating a group or an OAuth client."""
        path = path if path.startswith("/") else "/" + path
        return self._call(method, f"{PLATFORM_PATH}{path}", body, params,
                          {"Authorization": f"Bearer {token or self._admin_genesys_token()}"}, ok)

    def genesys_platform(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                         ok: Iterable[int] = (200, 201, 204), login: bool = True) -> Any:
        """A Genesys Platform API call as the admin (the demo OAuth client); the parsed body.

        Like an admin's script, it logs in again once when Genesys says the token is no longer good
        (expired or revoked: 401); anything else not in ``ok`` raises :class:`ApiError`.
        ``login=False`` sends no token: only the dashboard's in-process observer reads are answered so."""
        if not login:
            path = path if path.startswith("/") else "/" + path
            return _parsed(self._call(method, f"{PLATFORM_PATH}{path}", body, params, {}, ok))
        resp = self.genesys_platform_response(method, path, body, params=params)
        if resp.status_code == 401:
            self._genesys_token = None
            resp = self.genesys_platform_response(method, path, body, params=params)
        if resp.status_code not in tuple(ok):
            raise _error(method, f"{PLATFORM_PATH}{path}", resp)
        return _parsed(resp)

    def _admin_genesys_token(self) -> str:
        if self._genesys_token is None:
            self._genesys_token = self.genesys_token()
        return self._genesys_token

    # ---- provsim control -----------------------------------------------------------------
    def control(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                ok: Iterable[int] = (200, 201, 204)) -> Any:
        """A ``/_provsim`` call (clock, faults, outbox, ...)."""
        return _parsed(self._call(method, f"/_provsim{path}", body, params, {}, ok))

    def now(self) -> str:
        return self.control("GET", "/clock")["now"]

    def advance(self, duration: str) -> dict:
        """Move virtual time by an ISO-8601 duration; runs every cycle, retry and expiry due on the way."""
        return self.control("POST", "/clock/advance", {"duration": duration})

    def advance_to(self, when: str) -> dict:
        """Move virtual time to ``when`` (ISO-8601), running what falls due on the way."""
        return self.control("POST", "/clock/advance", {"to": when})

    def pending(self) -> list[dict]:
        """What the virtual clock will run next, in due order: ``[{"due", "job"}, ...]``."""
        return self.control("GET", "/clock").get("pending", [])

    def next_cycle(self, job_id: str) -> dict:
        """Move virtual time to the job's next scheduled cycle and run it (with anything due before).

        Raises :class:`ApiError` when no cycle of the job is scheduled (never started, paused,
        disabled)."""
        due = next((p["due"] for p in self.pending() if job_id in str(p.get("job", ""))), None)
        if due is None:
            raise ApiError("GET", "/_provsim/clock", 409, "NoCycleScheduled",
                           f"job {job_id} has no cycle scheduled (start it first; a paused or disabled job runs none)")
        return self.advance_to(due)

    def reset(self) -> dict:
        """Back to the fixture's first state (same seed): ``POST /_provsim/reset``."""
        self.forget()
        return self.control("POST", "/reset")

    def forget(self) -> None:
        """Drop the cached tokens and service principal id (another client reset the simulator, or
        added or removed the app), so the next call looks them up again."""
        self._graph_token = self._genesys_token = None
        self._sp_id = None

    def add_fault(self, **rule: Any) -> dict:
        return self.control("POST", "/faults", rule)

    def faults(self) -> list[dict]:
        return self.control("GET", "/faults").get("value", [])

    def remove_fault(self, rule_id: str) -> None:
        self.control("DELETE", f"/faults/{rule_id}")

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")

    def traffic(self, *, surface: str | None = None, since: int = 0, until: int | None = None,
                limit: int | None = None) -> list[dict]:
        """The traffic log (scrubbed): every request the fakes answered, oldest first (after ``since``, up to
        ``until``)."""
        params: dict[str, Any] = {"since": since}
        if until is not None:
            params["until"] = until
        if surface:
            params["surface"] = surface
        if limit is not None:
            params["limit"] = limit
        return self.control("GET", "/traffic", params=params).get("value", [])

    def outbox(self, *, raw: bool = False) -> list[dict]:
        return self.control("GET", "/outbox", params={"raw": "1"} if raw else None).get("value", [])

    def revoke_genesys_tokens(self, *, token: str | None = None, client_id: str | None = None) -> int:
        """Revoke one Genesys token, or every token of an OAuth client (as an admin deleting the
        client's sessions would); returns how many were revoked."""
        body = {"token": token} if token is not None else {"client_id": client_id}
        return int(self.control("POST", "/purecloud/tokens/revoke", body, ok=(200,))["revoked"])

    def expire_genesys_tokens(self) -> int:
        """Every Genesys token expires now; returns how many did."""
        return int(self.control("POST", "/purecloud/tokens/expire", ok=(200,))["expired"])

    def quarantine_on_demand(self, job_id: str, message: str = "") -> dict:
        """What Microsoft support does by hand: quarantine the job (reason ``QuarantinedOnDemand``)."""
        return self.control("POST", f"/provisioning/jobs/{job_id}/quarantine", {"message": message}, ok=(200,))

    # ---- the PureCloud app ---------------------------------------------------------------
    def service_principal_id(self) -> str:
        """The PureCloud by Genesys service principal: the one named at construction (object id or
        appId), else the tenant's only PureCloud gallery app."""
        if self._sp_id is not None:
            return self._sp_id
        sps = self.graph("GET", "/servicePrincipals", params={
            "$select": "id,appId,displayName,applicationTemplateId", "$top": "999"}).get("value", [])
        if self._sp_hint:
            found = [s for s in sps if self._sp_hint.lower() in (str(s.get("id")).lower(), str(s.get("appId")).lower())]
            if not found:
                raise ApiError("GET", "/v1.0/servicePrincipals", 404, "Request_ResourceNotFound",
                               f"no service principal with id or appId {self._sp_hint}")
        else:
            found = [s for s in sps if s.get("applicationTemplateId") in GALLERY_TEMPLATE_IDS
                     or "purecloud" in str(s.get("displayName", "")).lower()]
            if not found:
                raise ApiError("GET", "/v1.0/servicePrincipals", 404, "Request_ResourceNotFound",
                               "the tenant has no PureCloud by Genesys enterprise app; name its service principal")
            if len(found) > 1:
                listed = ", ".join(f"{s['id']} ({s.get('displayName')})" for s in found)
                raise ApiError("GET", "/v1.0/servicePrincipals", 409, "AmbiguousServicePrincipal",
                               f"several PureCloud by Genesys apps: {listed}; name one")
        self._sp_id = found[0]["id"]
        return self._sp_id

    def assign(self, principal_id: str, role: str | None = None) -> dict:
        """Assign a user or group to the PureCloud app (Users and groups > Add assignment).

        ``role`` is an appRole id, value or display name; by default the app's ``User`` role (the
        portal's choice for the gallery app), else default access."""
        sp_id = self.service_principal_id()
        roles = self.graph("GET", f"/servicePrincipals/{sp_id}", params={"$select": "appRoles"}).get("appRoles") or []
        wanted = (role or "User").lower()
        found = next((r for r in roles if wanted in (str(r.get("id")).lower(), str(r.get("value")).lower(),
                                                     str(r.get("displayName")).lower())), None)
        if found is None and role is not None:
            raise ApiError("POST", f"/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo", 400, "Request_BadRequest",
                           f"the app has no role {role!r}; roles: {', '.join(str(r.get('displayName')) for r in roles)}")
        role_id = found["id"] if found else DEFAULT_ACCESS_ROLE
        return self.graph("POST", f"/servicePrincipals/{sp_id}/appRoleAssignedTo",
                          {"principalId": principal_id, "resourceId": sp_id, "appRoleId": role_id}, ok=(201,))

    def assignments(self, principal_id: str | None = None) -> list[dict]:
        """The app's assignments (Users and groups), or those of one user or group."""
        found = self.graph_pages(self.sp_path("/appRoleAssignedTo"), params={"$top": "999"})
        return [a for a in found if principal_id is None or a.get("principalId") == principal_id]

    def unassign(self, principal_id: str) -> list[dict]:
        """Remove every assignment of a user or group from the app; returns the removed assignments
        (none when it had none)."""
        gone = self.assignments(principal_id)
        for assignment in gone:
            self.graph("DELETE", self.sp_path(f"/appRoleAssignedTo/{assignment['id']}"), ok=(204,))
        return gone

    def sp_path(self, suffix: str = "") -> str:
        return f"/servicePrincipals/{self.service_principal_id()}{suffix}"

    # ---- the directory (Graph), as an admin's script changes it -----------------------------
    def create_user(self, user_principal_name: str, *, display_name: str | None = None, enabled: bool = True,
                    password: str = "Pr0vsim!user", **attributes: Any) -> dict:
        """``POST /users``: a new user (``mailNickname`` and ``displayName`` derived from the UPN unless given)."""
        nickname = user_principal_name.split("@", 1)[0]
        body = {"accountEnabled": enabled, "displayName": display_name or nickname.replace(".", " ").title(),
                "mailNickname": attributes.pop("mailNickname", nickname.replace(".", "")),
                "userPrincipalName": user_principal_name,
                "passwordProfile": {"password": password, "forceChangePasswordNextSignIn": False}, **attributes}
        return self.graph("POST", "/users", body, ok=(201,))

    def update_user(self, user_id: str, **attributes: Any) -> None:
        """``PATCH /users/{id}`` with Graph's property names (``jobTitle``, ``accountEnabled``, ...)."""
        self.graph("PATCH", f"/users/{user_id}", attributes, ok=(204,))

    def set_manager(self, user_id: str, manager_id: str) -> None:
        self.graph("PUT", f"/users/{user_id}/manager/$ref", {"@odata.id": ODATA_OBJECT + manager_id}, ok=(204,))

    def remove_manager(self, user_id: str) -> None:
        self.graph("DELETE", f"/users/{user_id}/manager/$ref", ok=(204,))

    def add_member(self, group_id: str, member_id: str) -> None:
        self.graph("POST", f"/groups/{group_id}/members/$ref", {"@odata.id": ODATA_OBJECT + member_id}, ok=(204,))

    def remove_member(self, group_id: str, member_id: str) -> None:
        self.graph("DELETE", f"/groups/{group_id}/members/{member_id}/$ref", ok=(204,))

    def delete_user(self, user_id: str) -> None:
        """Delete a user: soft delete (to deleted items; purged for good 30 days later)."""
        self.graph("DELETE", f"/users/{user_id}", ok=(204,))

    def restore_deleted(self, object_id: str) -> dict:
        """Restore a soft-deleted user or group from deleted items."""
        return self.graph("POST", f"/directory/deletedItems/{object_id}/restore", ok=(200, 201))

    def purge_deleted(self, object_id: str) -> None:
        """Delete for good from deleted items (what Entra does 30 days after a soft delete)."""
        self.graph("DELETE", f"/directory/deletedItems/{object_id}", ok=(204,))

    def sync_path(self, suffix: str = "") -> str:
        return f"/servicePrincipals/{self.service_principal_id()}/synchronization{suffix}"

    def job_path(self, job_id: str, suffix: str = "") -> str:
        return self.sync_path(f"/jobs/{job_id}{suffix}")

    # ---- jobs ----------------------------------------------------------------------------
    def jobs(self) -> list[dict]:
        return self.graph("GET", self.sync_path("/jobs")).get("value", [])

    def job_id(self, job: str | None = None) -> str:
        """``job`` as given, or the app's only job."""
        if job:
            return job
        jobs = self.jobs()
        if not jobs:
            raise ApiError("GET", "/jobs", 404, "Request_ResourceNotFound", "the PureCloud app has no provisioning job yet")
        if len(jobs) > 1:
            raise ApiError("GET", "/jobs", 409, "AmbiguousJob",
                           "the app has several jobs; name one: " + ", ".join(j["id"] for j in jobs))
        return jobs[0]["id"]

    def create_job(self, template_id: str = TEMPLATE_ID) -> dict:
        return self.graph("POST", self.sync_path("/jobs"), {"templateId": template_id}, ok=(201,))

    def job(self, job_id: str) -> dict:
        data = self.graph("GET", self.job_path(job_id))
        data.pop("@odata.context", None)
        return data

    status = job  # the synchronizationJob carries its synchronizationStatus

    def delete_job(self, job_id: str) -> None:
        self.graph("DELETE", self.job_path(job_id), ok=(204,))

    def secrets(self) -> list[dict]:
        return self.graph("GET", self.sync_path("/secrets")).get("value", [])

    def put_secrets(self, values: list[dict]) -> None:
        self.graph("PUT", self.sync_path("/secrets"), {"value": values}, ok=(204,))

    def replace_secret_token(self, job_id: str, token: str | None = None, *, client_id: str | None = None,
                             client_secret: str | None = None, test_connection: bool = True) -> str:
        """Re-enter the Secret Token (Admin Credentials), as an admin does after the Genesys token
        expired or was revoked: ``token``, or a new one from the Genesys login of the job's tenant
        URL; then Test Connection.  The other secrets stay as saved.  Returns the saved token.

        Raises :class:`ApiError` (``NotConfigured``) when the job has no tenant URL yet."""
        tenant_url = next((s.get("value") for s in self.secrets() if s.get("key") == "BaseAddress"), None)
        if not tenant_url:
            raise ApiError("GET", self.sync_path("/secrets"), 409, "NotConfigured",
                           f"job {job_id} has no tenant URL yet: set up its admin credentials first")
        if token is None:
            token = self.genesys_token(client_id, client_secret, base=tenant_url.split("/api/v2/scim", 1)[0])
        self.put_secrets([{"key": "SecretToken", "value": token}])
        if test_connection:
            self.validate_credentials(job_id)
        return token

    def validate_credentials(self, job_id: str, credentials: list[dict] | None = None) -> None:
        """Test connection: with ``credentials`` as the portal sends them, or the saved ones."""
        body = ({"useSavedCredentials": False, "credentials": credentials} if credentials is not None
                else {"useSavedCredentials": True, "credentials": []})
        self.graph("POST", self.job_path(job_id, "/validateCredentials"), body, ok=(204,))

    def start(self, job_id: str) -> None:
        self.graph("POST", self.job_path(job_id, "/start"), ok=(204,))

    def pause(self, job_id: str) -> None:
        self.graph("POST", self.job_path(job_id, "/pause"), ok=(204,))

    def restart(self, job_id: str, reset_scope: str | list[str] | None = None) -> None:
        body = {"criteria": {"resetScope": reset_scope}} if reset_scope is not None else {}
        self.graph("POST", self.job_path(job_id, "/restart"), body, ok=(204,))

    def schema(self, job_id: str) -> dict:
        data = self.graph("GET", self.job_path(job_id, "/schema"))
        data.pop("@odata.context", None)
        return data

    def put_schema(self, job_id: str, schema: dict) -> None:
        self.graph("PUT", self.job_path(job_id, "/schema"), schema, ok=(204,))

    def parse_expression(self, job_id: str, expression: str, properties: dict[str, Any] | None = None,
                         object_name: str = "User") -> dict:
        """The portal's Test expression (``…/schema/parseExpression``): ``expression`` evaluated on a test
        object whose source attributes are ``properties`` (strings or lists of strings); Graph's
        ``parseExpressionResponse``."""
        body: dict[str, Any] = {"expression": expression}
        if properties is not None:
            body["testInputObject"] = {"definition": {"name": object_name}, "properties": [
                {"key": k, "value": v} for k, v in properties.items()]}
        data = self.graph("POST", self.job_path(job_id, "/schema/parseExpression"), body, ok=(200,))
        data.pop("@odata.context", None)
        return data

    def set_settings(self, job_id: str, **values: Any) -> None:
        """``synchronizationJobSettings`` by name (e.g. ``QuarantineTooManyDeletesThreshold=5``)."""
        self.graph("PATCH", self.job_path(job_id),
                   {"synchronizationJobSettings": [{"name": k, "value": str(v)} for k, v in values.items()]})

    def provision_on_demand(self, job_id: str, object_id: str, object_type: str = "User",
                            rule_id: str | None = None) -> dict:
        """``provisionOnDemand`` for one object; Graph's key/value pair with both JSON strings parsed."""
        if rule_id is None:
            rules = self.schema(job_id).get("synchronizationRules") or [{}]
            rule_id = rules[0].get("id")
        data = self.graph("POST", self.job_path(job_id, "/provisionOnDemand"), {"parameters": [{
            "ruleId": rule_id, "subjects": [{"objectId": object_id, "objectTypeName": object_type}]}]}, ok=(200,))
        return {"key": json.loads(data["key"]), "value": json.loads(data["value"])}

    def configure(self, *, tenant_url: str | None = None, secret_token: str | None = None, scope: str = "assigned",
                  notify: str | None = None, delete_threshold: int | None = None,
                  skip_out_of_scope_deletions: bool = False, test_connection: bool = True, start: bool = False,
                  template_id: str = TEMPLATE_ID, settings: dict[str, Any] | None = None) -> str:
        """What an admin does on the provisioning page: a job from the PureCloud template, its secrets
        (tenant URL, secret token, scope, notifications), Test Connection, and optionally Start.

        ``tenant_url`` defaults to this provsim's own SCIM base; ``secret_token`` to a token from
        the Genesys login behind it with the demo client (``""``: no token, no Authorization header).
        ``settings``: synchronizationJobSettings saved before Test Connection (e.g. the target
        profile).  Returns the job id."""
        tenant_url = (tenant_url or f"{self.base_url}{SCIM_PATH}").rstrip("/")
        job_id = self.create_job(template_id)["id"]
        token = (secret_token if secret_token is not None
                 else self.genesys_token(base=tenant_url.split("/api/v2/scim", 1)[0]))
        self.put_secrets(job_secrets(tenant_url, token, scope=scope, notify=notify, delete_threshold=delete_threshold,
                                     skip_out_of_scope_deletions=skip_out_of_scope_deletions))
        if settings:
            self.set_settings(job_id, **settings)
        if test_connection:
            self.validate_credentials(job_id)
        if start:
            self.start(job_id)
        return job_id

    # ---- provisioning logs ---------------------------------------------------------------
    def logs(self, *, filter: str | None = None, top: int | None = None, all_pages: bool = False) -> list[dict]:
        """``GET /auditLogs/provisioning`` (newest first), optionally every page."""
        params: dict[str, str] = {}
        if filter:
            params["$filter"] = filter
        if top:
            params["$top"] = str(top)
        if all_pages:
            return self.graph_pages("/auditLogs/provisioning", params=params)
        return self.graph("GET", "/auditLogs/provisioning", params=params).get("value", [])


def _fixture_domain(runtime: Any) -> str:
    tenant = (getattr(runtime, "fixture", None) or {}).get("tenant") or {}
    return tenant.get("domain") or DEFAULT_TENANT
