"""``client.graph``: the Entra login and Microsoft Graph, as an admin's script uses them (the
PureCloud app's service principal and assignments, users, groups, deleted items)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpx

from simulator.client import login
from simulator.client.base import (
    DEFAULT_ACCESS_ROLE,
    GALLERY_TEMPLATE_IDS,
    ODATA_OBJECT,
    ApiError,
    Unreachable,
    api_error,
    parsed,
)

if TYPE_CHECKING:
    from simulator.client import ProvsimClient

__all__ = ["GraphApi"]


class GraphApi:
    """A Graph v1.0 call is ``client.graph(method, path, body)``; the rest are the calls scripts make."""

    def __init__(self, client: ProvsimClient, service_principal: str | None = None) -> None:
        self._c = client
        self._sp_hint = service_principal
        self._sp_id: str | None = None
        #: The Entra login of the client's Graph app, as an ``httpx.Auth``: one token for every call,
        #: a new one when Graph says it has expired (Entra tokens live an hour of virtual time, and
        #: msal fetches a new one the same way).
        self.auth = login.GraphClientCredentials(
            client.tenant, *client.graph_client, token_url=f"{client.base_url}/{client.tenant}/oauth2/v2.0/token",
            relogin_on=_expired)

    def _forget(self) -> None:
        self._sp_id = None
        self.auth.forget()

    # ---- Entra login and Graph ---------------------------------------------------------------
    def token(self, *, fresh: bool = False) -> str:
        """The Graph token the client's calls carry (after a login when there is none, or ``fresh``)."""
        try:
            return self.auth.token(self._c.http, fresh=fresh)
        except httpx.TransportError as err:
            raise Unreachable(f"cannot reach provsim at {self._c.base_url} ({err.__class__.__name__}: {err})") from err

    def response(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                       ok: Iterable[int] | None = None) -> httpx.Response:
        """A Graph v1.0 call (``path`` under ``/v1.0``), logged in through :attr:`auth`; the raw response."""
        path = path if path.startswith("/") else "/" + path
        url = f"/v1.0{path}"
        resp = self._c._call(method, url, body, params, {}, None, auth=self.auth)
        if ok is not None and resp.status_code not in tuple(ok):
            raise api_error(method, url, resp)
        return resp

    def __call__(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
              ok: Iterable[int] = (200, 201, 204)) -> Any:
        """A Graph v1.0 call; the parsed body (None for 204). Anything else raises :class:`ApiError`."""
        return parsed(self.response(method, path, body, params=params, ok=ok))

    def pages(self, path: str, *, params: dict | None = None) -> list[dict]:
        """Every item of a Graph collection, following ``@odata.nextLink``."""
        data = self("GET", path, params=params)
        items = list(data.get("value", []))
        while data.get("@odata.nextLink"):
            link = httpx.URL(data["@odata.nextLink"])
            rel = link.raw_path.decode("ascii")
            rel = rel[len("/v1.0"):] if rel.startswith("/v1.0") else rel
            data = self("GET", rel)
            items.extend(data.get("value", []))
        return items

    # ---- the PureCloud app ---------------------------------------------------------------
    def service_principal_id(self) -> str:
        """The PureCloud by Genesys service principal: the one named at construction (object id or
        appId), else the tenant's only PureCloud gallery app."""
        if self._sp_id is not None:
            return self._sp_id
        sps = self("GET", "/servicePrincipals", params={
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
        roles = self("GET", f"/servicePrincipals/{sp_id}", params={"$select": "appRoles"}).get("appRoles") or []
        wanted = (role or "User").lower()
        found = next((r for r in roles if wanted in (str(r.get("id")).lower(), str(r.get("value")).lower(),
                                                     str(r.get("displayName")).lower())), None)
        if found is None and role is not None:
            raise ApiError("POST", f"/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo", 400, "Request_BadRequest",
                           f"the app has no role {role!r}; roles: {', '.join(str(r.get('displayName')) for r in roles)}")
        role_id = found["id"] if found else DEFAULT_ACCESS_ROLE
        return self("POST", f"/servicePrincipals/{sp_id}/appRoleAssignedTo",
                          {"principalId": principal_id, "resourceId": sp_id, "appRoleId": role_id}, ok=(201,))

    def assignments(self, principal_id: str | None = None) -> list[dict]:
        """The app's assignments (Users and groups), or those of one user or group."""
        found = self.pages(self.sp_path("/appRoleAssignedTo"), params={"$top": "999"})
        return [a for a in found if principal_id is None or a.get("principalId") == principal_id]

    def unassign(self, principal_id: str) -> list[dict]:
        """Remove every assignment of a user or group from the app; returns the removed assignments
        (none when it had none)."""
        gone = self.assignments(principal_id)
        for assignment in gone:
            self("DELETE", self.sp_path(f"/appRoleAssignedTo/{assignment['id']}"), ok=(204,))
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
        return self("POST", "/users", body, ok=(201,))

    def update_user(self, user_id: str, **attributes: Any) -> None:
        """``PATCH /users/{id}`` with Graph's property names (``jobTitle``, ``accountEnabled``, ...)."""
        self("PATCH", f"/users/{user_id}", attributes, ok=(204,))

    def set_manager(self, user_id: str, manager_id: str) -> None:
        self("PUT", f"/users/{user_id}/manager/$ref", {"@odata.id": ODATA_OBJECT + manager_id}, ok=(204,))

    def remove_manager(self, user_id: str) -> None:
        self("DELETE", f"/users/{user_id}/manager/$ref", ok=(204,))

    def add_member(self, group_id: str, member_id: str) -> None:
        self("POST", f"/groups/{group_id}/members/$ref", {"@odata.id": ODATA_OBJECT + member_id}, ok=(204,))

    def remove_member(self, group_id: str, member_id: str) -> None:
        self("DELETE", f"/groups/{group_id}/members/{member_id}/$ref", ok=(204,))

    def delete_user(self, user_id: str) -> None:
        """Delete a user: soft delete (to deleted items; purged for good 30 days later)."""
        self("DELETE", f"/users/{user_id}", ok=(204,))

    def restore_deleted(self, object_id: str) -> dict:
        """Restore a soft-deleted user or group from deleted items."""
        return self("POST", f"/directory/deletedItems/{object_id}/restore", ok=(200, 201))

    def purge_deleted(self, object_id: str) -> None:
        """Delete for good from deleted items (what Entra does 30 days after a soft delete)."""
        self("DELETE", f"/directory/deletedItems/{object_id}", ok=(204,))


def _expired(response: httpx.Response) -> bool:
    """Graph's 401 for a token past its lifetime ("Lifetime validation failed, the token is expired.")."""
    return "xpired" in response.text
