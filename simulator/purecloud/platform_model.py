"""Platform API JSON out: the shapes of the Genesys SDK models, keys in the
models' order, ``None`` fields left out (the SDK drops them too).

    OAuthClient            id name accessTokenValiditySeconds description registeredRedirectUri
                           secret roleIds dateCreated dateModified authorizedGrantType
                           roleDivisions state selfUri
    DomainOrganizationRole id name description permissions permissionPolicies userCount
                           default base selfUri
    Group                  id name description dateModified memberCount state version type
                           rulesVisible visibility selfUri
    User                   id name division department email primaryContactInfo addresses
                           state title username manager version employerInfo acdAutoAnswer
                           groups/authorization (expand) selfUri
    *EntityListing         entities pageSize pageNumber total firstUri selfUri nextUri
                           previousUri lastUri pageCount

URIs are relative (``/api/v2/users/{id}``), as Genesys returns them.
"""

from __future__ import annotations

from collections.abc import Callable
from math import ceil
from typing import Any
from urllib.parse import urlencode

__all__ = ["render_client", "render_role", "render_group", "render_user", "render_division", "entity_listing",
           "CLIENTS", "ROLES", "DIVISIONS", "GROUPS", "USERS"]

CLIENTS = "/api/v2/oauth/clients"
ROLES = "/api/v2/authorization/roles"
DIVISIONS = "/api/v2/authorization/divisions"
GROUPS = "/api/v2/groups"
USERS = "/api/v2/users"

#: SCIM phone type -> Genesys contact type (HELP-MAP: one profile phone slot per SCIM type).
_PHONE_TYPES = {"work": "WORK", "work2": "WORK2", "work3": "WORK3", "work4": "WORK4", "home": "HOME",
                "mobile": "MOBILE", "other": "OTHER"}


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def render_division(doc: dict, *, home: bool | None = None) -> dict:
    """An AuthzDivision (``home`` given), or the Division reference a User carries (``home`` None)."""
    if home is None:
        return {"id": doc["id"], "name": doc["name"], "selfUri": f"{DIVISIONS}/{doc['id']}"}
    return {"id": doc["id"], "name": doc["name"], "description": doc.get("description", ""), "homeDivision": home,
            "selfUri": f"{DIVISIONS}/{doc['id']}"}


def render_client(doc: dict, grants: list[dict], role_ids: list[str], *, with_secret: bool = False) -> dict:
    """An OAuthClient; the secret only when ``with_secret`` (the create answer)."""
    ident = doc["clientId"]
    return _drop_none({
        "id": ident,
        "name": doc.get("name") or ident,
        "accessTokenValiditySeconds": doc.get("tokenLifetimeSeconds"),
        "description": doc.get("description", ""),
        "registeredRedirectUri": list(doc.get("registeredRedirectUri") or []),
        "secret": doc["clientSecret"] if with_secret else None,
        "roleIds": role_ids,
        "dateCreated": doc.get("dateCreated"),
        "dateModified": doc.get("dateModified"),
        "authorizedGrantType": doc.get("authorizedGrantType", "CLIENT-CREDENTIALS"),
        "roleDivisions": grants,
        "state": doc.get("state", "active"),
        "selfUri": f"{CLIENTS}/{ident}",
    })


def _policies(permissions: list[str]) -> list[dict]:
    """``permissionPolicies`` derived from ``domain:entity:action`` strings (``*`` = everything)."""
    out: dict[tuple[str, str], list[str]] = {}
    for perm in permissions:
        parts = perm.split(":")
        if perm == "*":
            parts = ["*", "*", "*"]
        if len(parts) != 3:
            continue
        actions = out.setdefault((parts[0], parts[1]), [])
        if parts[2] not in actions:
            actions.append(parts[2])
    return [{"domain": d, "entityName": e, "actionSet": a, "allowConditions": False} for (d, e), a in out.items()]


def render_role(doc: dict, user_count: int | None) -> dict:
    permissions = list(doc.get("permissions") or [])
    return _drop_none({
        "id": doc["id"],
        "name": doc["name"],
        "description": doc.get("description", ""),
        "permissions": permissions,
        "permissionPolicies": _policies(permissions),
        "userCount": user_count,
        "default": False,
        "base": False,
        "selfUri": f"{ROLES}/{doc['id']}",
    })


def render_group(doc: dict, member_count: int) -> dict:
    return _drop_none({
        "id": doc["id"],
        "name": doc["displayName"],
        "description": doc.get("description") or None,
        "dateModified": doc.get("lastModified"),
        "memberCount": member_count,
        "state": "active",
        "version": doc.get("version", 1),
        "type": doc.get("type", "official"),
        "rulesVisible": doc.get("rulesVisible", True),
        "visibility": doc.get("visibility", "public"),
        "rolesEnabled": False,
        "includeOwners": False,
        "callsEnabled": False,
        "owners": [{"id": o, "selfUri": f"{USERS}/{o}"} for o in doc.get("ownerIds") or []] or None,
        "selfUri": f"{GROUPS}/{doc['id']}",
    })


def _phone_contact(phone: dict) -> dict | None:
    kind = _PHONE_TYPES.get(str(phone.get("type", "")).lower())
    if kind is None:  # integration numbers (microsoftteams, zoomphone, ...) are not profile phones
        return None
    value = phone["value"]
    extension = None
    if value.startswith("tel:"):
        value, _, rest = value[4:].partition(";")
        extension = rest.partition("ext=")[2] or None
    return _drop_none({"address": value, "display": value, "mediaType": "PHONE", "type": kind, "extension": extension})


def render_user(doc: dict, *, division: dict | None, groups: list[str] | None = None,
                roles: list[dict] | None = None) -> dict:
    """A User as ``GET /api/v2/users/{id}`` shows it; ``groups``/``roles`` when expanded."""
    contacts = [{"address": doc["userName"], "mediaType": "EMAIL", "type": "PRIMARY"}]
    addresses: list[dict] = []
    if doc.get("workEmail"):
        addresses.append({"address": doc["workEmail"]["value"], "mediaType": "EMAIL", "type": "WORK"})
    for phone in doc.get("phoneNumbers") or []:
        contact = _phone_contact(phone)
        if contact is not None:
            addresses.append(contact)
    employer = _drop_none({"employeeId": doc.get("employeeNumber"), "dateHire": doc.get("dateHire")})
    return _drop_none({
        "id": doc["id"],
        "name": doc.get("displayName"),
        "division": render_division(division) if division else None,
        "department": doc.get("department"),
        "email": doc["userName"],
        "primaryContactInfo": contacts,
        "addresses": addresses,
        "state": "active" if doc.get("active", True) else "inactive",
        "title": doc.get("title"),
        "username": doc["userName"],
        "manager": {"id": doc["manager"], "selfUri": f"{USERS}/{doc['manager']}"} if doc.get("manager") else None,
        "version": doc.get("version", 1),
        "employerInfo": employer or None,
        "acdAutoAnswer": False,
        "authorization": {"roles": roles} if roles is not None else None,
        "groups": [{"id": g, "selfUri": f"{GROUPS}/{g}"} for g in groups] if groups is not None else None,
        "selfUri": f"{USERS}/{doc['id']}",
    })


def entity_listing(items: list, render: Callable[[Any], dict], *, path: str, page_size: int, page_number: int,
                   query: dict[str, Any] | None = None) -> dict:
    """One page of an ``*EntityListing`` (1-based ``pageNumber``) with Genesys' relative paging URIs."""
    total = len(items)
    page_count = ceil(total / page_size) if total else 0
    start = (page_number - 1) * page_size
    entities = [render(i) for i in items[start:start + page_size]]

    def uri(number: int) -> str:
        params = {"pageSize": page_size, "pageNumber": number, **(query or {})}
        return f"{path}?{urlencode(params, doseq=True)}"

    return _drop_none({
        "entities": entities,
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "firstUri": uri(1),
        "selfUri": uri(page_number),
        "nextUri": uri(page_number + 1) if page_number < page_count else None,
        "previousUri": uri(page_number - 1) if page_number > 1 else None,
        "lastUri": uri(max(page_count, 1)),
        "pageCount": page_count,
    })
