"""The Genesys Cloud admin's side of the tutorial: OAuth clients, groups and people.

Tutorial step 2 happens in Genesys, not in Entra: an OAuth client with the roles the SCIM API
needs (2.1), a token from it (2.2), and a group named exactly like each Entra group whose
members should arrive (2.3).  These pages do it in the Genesys admin's words (Admin >
Integrations > OAuth, Admin > Directory > Groups and People), through the Platform API provsim
fakes (``/api/v2/oauth/clients``, ``/api/v2/authorization/roles``, ``/api/v2/groups``,
``/api/v2/users``), as the demo OAuth client: the bootstrap admin the tenant fixtures give "you".

Reads go through the page's ``observer`` (no fault rule, no traffic log); clicks through the
``actor``.  The fake's rules stand: a second group with the same name is refused, a rename
carries the group's ``version`` and a stale one is refused, a deleted client's tokens stop
working.  The secret of a new client is in the one answer that creates it, as in Genesys.
"""

from __future__ import annotations

from typing import Any

from simulator.client import ApiError

from .actions import _flag, _text, action
from .portal import ActionError, Portal

__all__ = ["view", "GROUP_TYPES", "GROUP_VISIBILITIES", "PAGE_SIZE"]

#: The Platform API's largest page: a classroom org fits in one.
PAGE_SIZE = 500
GROUP_TYPES = ("official", "social")
GROUP_VISIBILITIES = ("public", "members", "owners")


def _read(portal: Portal, path: str, params: dict[str, Any] | None = None) -> Any:
    """A Platform API read by the page's observer: no token minted, no rate spent (looking leaves no trace)."""
    return portal.observer.genesys.platform("GET", path, params=params, login=False)


def _listing(portal: Portal, path: str, params: dict[str, Any] | None = None) -> tuple[list[dict], int]:
    data = _read(portal, path, {"pageSize": PAGE_SIZE, **(params or {})})
    entities = list(data.get("entities") or [])
    return entities, int(data.get("total", len(entities)))


def view(portal: Portal) -> dict:
    """What the three Genesys admin pages show (no secret: Genesys never lists one)."""
    with portal.lock:
        try:
            clients = _read(portal, "/oauth/clients").get("entities") or []
            roles, _ = _listing(portal, "/authorization/roles", {"userCount": "false"})
            divisions, _ = _listing(portal, "/authorization/divisions")
            groups, groups_total = _listing(portal, "/groups")
            users, users_total = _listing(portal, "/users", {"state": "any", "expand": "groups,authorization"})
        except ApiError as err:
            return {"error": f"Genesys answered {err.status}: {err.message}", "retryAfter": _retry_after(err)}
        entra = portal.observer.graph("GET", "/groups", params={"$select": "displayName", "$top": "999"}).get("value", [])
    role_names = {r["id"]: r["name"] for r in roles}
    division_names = {d["id"]: d["name"] for d in divisions}
    group_names = {g["id"]: g["name"] for g in groups}
    entra_names = {str(g.get("displayName", "")).casefold(): g.get("displayName") for g in entra}
    return {
        "clients": [{
            "id": c["id"], "name": c.get("name"), "description": c.get("description") or "",
            "grantType": c.get("authorizedGrantType"), "created": c.get("dateCreated"),
            "tokenLifetime": c.get("accessTokenValiditySeconds"),
            "roles": [{"role": role_names.get(g["roleId"], g["roleId"]),
                       "division": "all divisions" if g["divisionId"] == "*" else division_names.get(g["divisionId"],
                                                                                                    g["divisionId"])}
                      for g in c.get("roleDivisions") or []],
        } for c in clients],
        "roles": [{"id": r["id"], "name": r["name"], "description": r.get("description") or "",
                   "permissions": sorted({p for pol in r.get("permissionPolicies") or []
                                          for p in _permissions(pol)})} for r in roles],
        "divisions": [{"id": d["id"], "name": d["name"], "home": bool(d.get("homeDivision"))} for d in divisions],
        "groups": [{
            "id": g["id"], "name": g["name"], "description": g.get("description") or "", "type": g.get("type"),
            "visibility": g.get("visibility"), "members": g.get("memberCount", 0), "version": g.get("version"),
            "entra": entra_names.get(str(g["name"]).casefold()),
        } for g in groups],
        "groupsTotal": groups_total,
        "users": [{
            "id": u["id"], "name": u.get("name"), "email": u.get("email"), "title": u.get("title"),
            "department": u.get("department"), "state": u.get("state"),
            "division": (u.get("division") or {}).get("name"),
            "roles": [r.get("name") for r in (u.get("authorization") or {}).get("roles") or []],
            "groups": [group_names.get(g["id"], g["id"]) for g in u.get("groups") or []],
        } for u in users],
        "usersTotal": users_total,
    }


def _permissions(policy: dict) -> list[str]:
    domain, entity = policy.get("domain"), policy.get("entityName")
    return [f"{domain}:{entity}:{a}" for a in policy.get("actionSet") or []]


def _retry_after(err: ApiError) -> int | None:
    body = err.body if isinstance(err.body, dict) else {}
    value = str((body.get("messageParams") or {}).get("0") or "")
    return int(value) if err.status == 429 and value.isdigit() else None


# ------------------------------------------------------------------------------ clicks
@action("genesys/client/create")
def create_client(portal: Portal, body: dict) -> dict:
    """Admin > Integrations > OAuth > Add Client: Client Credentials, roles in a division; Save."""
    name = _text(body, "name", required=True, limit=200, label="the app name")
    roles = body.get("roles") or []
    if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
        raise ActionError(400, "badRequest", "roles is a list of role ids")
    division = _text(body, "division") or None
    if division is None:
        division = portal.actor.genesys.platform("GET", "/authorization/divisions/home")["id"]
    request: dict[str, Any] = {"name": name, "authorizedGrantType": "CLIENT-CREDENTIALS",
                               "description": _text(body, "description", limit=512),
                               "roleDivisions": [{"roleId": r, "divisionId": division} for r in roles]}
    lifetime = body.get("tokenLifetime")
    if lifetime not in (None, ""):
        try:
            request["accessTokenValiditySeconds"] = int(lifetime)
        except (TypeError, ValueError):
            raise ActionError(400, "badRequest", "the token duration is a whole number of seconds") from None
    created = portal.actor.genesys.platform("POST", "/oauth/clients", request, ok=(200, 201))
    warning = ("" if roles else " It has no roles: its token will get 403 on every SCIM call, and Test Connection "
                                "will fail (tutorial step 2.1).")
    return {"message": f"OAuth client '{created['name']}' created. Copy the client secret now: Genesys shows it "
                       f"only this once.{warning}",
            # the one answer that carries the secret, to the trainer who asked for it (Genesys shows it once)
            "client": {"id": created["id"], "name": created["name"], "secret": created.get("secret")}}


@action("genesys/client/delete")
def delete_client(portal: Portal, body: dict) -> dict:
    client_id = _text(body, "id", required=True, limit=128, label="the OAuth client")
    if client_id == portal.actor.genesys_client[0]:
        raise ActionError(409, "bootstrapClient", f"'{client_id}' is the admin client this page works as: deleting "
                                                  "it would lock the page out of Genesys")
    portal.actor.genesys.platform("DELETE", f"/oauth/clients/{client_id}", ok=(204,))
    return {"message": "OAuth client deleted: Genesys revoked its tokens, so a secret token Entra saved from it "
                       "now gets 401 (the next cycle quarantines the job)."}


def _group_fields(body: dict) -> dict:
    kind = _text(body, "type") or "official"
    visibility = _text(body, "visibility") or "public"
    if kind not in GROUP_TYPES:
        raise ActionError(400, "badRequest", f"the group type is {' or '.join(GROUP_TYPES)}")
    if visibility not in GROUP_VISIBILITIES:
        raise ActionError(400, "badRequest", f"the visibility is {', '.join(GROUP_VISIBILITIES)}")
    return {"name": _text(body, "name", required=True, limit=256, label="the group name"),
            "description": _text(body, "description", limit=1024), "type": kind, "visibility": visibility,
            "rulesVisible": _flag(body, "rulesVisible", True)}


@action("genesys/group/create")
def create_group(portal: Portal, body: dict) -> dict:
    """Admin > Directory > Groups > Add (tutorial step 2.3: the name of an Entra group, exactly)."""
    created = portal.actor.genesys.platform("POST", "/groups", _group_fields(body), ok=(200, 201))
    return {"message": f"Genesys group '{created['name']}' created: Entra updates a group it finds with this name "
                       "(it never creates one).", "id": created["id"]}


@action("genesys/group/rename")
def rename_group(portal: Portal, body: dict) -> dict:
    """Edit a group's name (and description) from the version the admin started from (a stale one is refused)."""
    group_id = _text(body, "id", required=True, limit=64, label="the group")
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ActionError(400, "badRequest", "version is the group's version the edit started from")
    name = _text(body, "name", required=True, limit=256, label="the group name")
    update: dict[str, Any] = {"name": name, "version": version}
    if "description" in body:
        update["description"] = _text(body, "description", limit=1024)
    try:
        renamed = portal.actor.genesys.platform("PUT", f"/groups/{group_id}", update, ok=(200,))
    except ApiError as err:
        if err.status == 409 and "version" in err.message:
            raise ActionError(409, "staleEdit", f"Not saved: the group changed since you opened it ({err.message}) "
                                                "Look at it again and redo your change.") from err
        raise
    return {"message": f"Genesys group renamed to '{renamed['name']}'. Entra linked it by id in the first cycle that "
                       "matched it: the next time it updates the group (a member joins or leaves) it sends its own "
                       "name back."}


@action("genesys/group/delete")
def delete_group(portal: Portal, body: dict) -> dict:
    group_id = _text(body, "id", required=True, limit=64, label="the group")
    portal.actor.genesys.platform("DELETE", f"/groups/{group_id}", ok=(204,))
    return {"message": "Genesys group deleted with its memberships: its Entra group is missing in Genesys again."}
