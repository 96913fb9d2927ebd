"""The Genesys Cloud Platform API subset as a service: OAuth clients, roles,
divisions, groups and users the way Admin (and ``/api/v2/...``) sees them.

It works on the same org as the SCIM fake (:class:`~simulator.purecloud.org.PureCloudOrg`):
the same ``purecloud_*`` tables, so a group created here is the group SCIM
PATCHes later, a client created here logs in at ``/oauth/token`` and its
token's permissions come from the roles granted here.  Tables it adds:
``purecloud_divisions`` (id, name).  Ids come from the ``purecloud-platform``
id stream, so using the Platform API never shifts the ids SCIM hands out.

Errors are :class:`~simulator.purecloud.errors.GenesysApiError` (Genesys'
``ErrorBody``); every write runs in one store transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from simulator.core import Index, Runtime, isoformat
from simulator.core.services import PURECLOUD_PLATFORM

from .errors import GenesysApiError
from .org import PureCloudOrg, secret_digest

__all__ = ["PlatformService", "GRANT_TYPES", "GROUP_TYPES", "GROUP_VISIBILITIES", "ALL_DIVISIONS",
           "MIN_TOKEN_LIFETIME", "MAX_TOKEN_LIFETIME", "seed_platform"]

#: OAuthClient.authorizedGrantType values (PYSDK OAuthClientRequest enum).
GRANT_TYPES = ("CODE", "TOKEN", "SAML2-BEARER", "PASSWORD", "CLIENT-CREDENTIALS")
#: GroupCreate.type / .visibility values (PYSDK GroupCreate enums).
GROUP_TYPES = ("official", "social")
GROUP_VISIBILITIES = ("public", "owners", "members")
#: divisionId of a grant over every division, current and future.
ALL_DIVISIONS = "*"
#: OAuthClient.accessTokenValiditySeconds: "between 5mins and 48hrs" (PYSDK OAuthClient).
MIN_TOKEN_LIFETIME = 300
MAX_TOKEN_LIFETIME = 172800


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def bad_request(message: str, code: str = "bad.request") -> GenesysApiError:
    return GenesysApiError(400, code, message)


def not_found(kind: str, ident: str) -> GenesysApiError:
    return GenesysApiError(404, "not.found", f"The requested {kind} {ident} could not be found.",
                           message_with_params="The requested {kind} {id} could not be found.",
                           params={"kind": kind, "id": ident})


class PlatformService:
    """The Platform API's view of one org (``runtime.service(PURECLOUD_PLATFORM)``)."""

    def __init__(self, runtime: Runtime, org: PureCloudOrg) -> None:
        self.runtime = runtime
        self.org = org
        self.store = runtime.store
        self.ids = runtime.ids.stream("purecloud-platform")
        # Extra indexes on the org's tables (added, never replaced).
        self.roles = self.store.table("purecloud_roles", [Index("id", unique=True)])
        self.clients = org.clients
        self.groups = org.groups
        self.users = org.users
        self.divisions = self.store.table("purecloud_divisions", [
            Index("id", unique=True), Index("name", unique=True, normalize=_casefold)])
        section = runtime.fixture.get("purecloud") or {}
        org_fixture = section.get("org") or {}
        #: Unconfirmed: how Genesys refuses a second group with the same name (docs/fidelity.md).
        self.group_conflict_status = int(org_fixture.get("groupNameConflictStatus", 409))

    def now(self) -> str:
        return isoformat(self.runtime.clock.now(), millis=True)

    # ---- seeding ------------------------------------------------------------
    def seed(self, fixture: dict) -> None:
        """Divisions of ``purecloud.divisions`` (the first is the home division)."""
        entries = (fixture.get("purecloud") or {}).get("divisions") or [{"name": "Home"}]
        for entry in entries:
            name = entry["name"] if isinstance(entry, dict) else str(entry)
            ident = entry.get("id") if isinstance(entry, dict) else None
            self.divisions.add({"id": ident or self.ids.guid(), "name": name})

    # ---- divisions ------------------------------------------------------------
    def list_divisions(self) -> list[dict]:
        return [dict(d) for _i, d in self.divisions.docs()]

    def home_division(self) -> dict:
        for _i, d in self.divisions.docs():
            return dict(d)
        raise not_found("division", "home")

    def division_by_name(self, name: str | None) -> dict | None:
        doc = self.divisions.find("name", name) if name else None
        return dict(doc) if doc else None

    def get_division(self, division_id: str) -> dict:
        doc = self.divisions.find("id", division_id)
        if doc is None:
            raise not_found("division", division_id)
        return dict(doc)

    # ---- roles ------------------------------------------------------------------
    def list_roles(self, *, name: str | None = None, ids: Iterable[str] = (),
                   permissions: Iterable[str] = ()) -> list[dict]:
        wanted_ids = {i for i in ids if i}
        wanted_perms = [p for p in permissions if p]
        out = []
        for _i, role in self.roles.docs():
            if name and role["name"].casefold() != name.casefold():
                continue
            if wanted_ids and role["id"] not in wanted_ids:
                continue
            if wanted_perms and not all(p in role.get("permissions", []) for p in wanted_perms):
                continue
            out.append(dict(role))
        return out

    def get_role(self, role_id: str) -> dict:
        doc = self.roles.find("id", role_id)
        if doc is None:
            raise not_found("role", role_id)
        return dict(doc)

    def role_user_counts(self) -> dict[str, int]:
        """Role name -> how many users hold it (one pass over the users)."""
        counts: dict[str, int] = {}
        with self.store.lock:
            for _i, user in self.users.docs():
                for role in user.get("roles") or []:
                    counts[role] = counts.get(role, 0) + 1
        return counts

    # ---- OAuth clients ----------------------------------------------------------
    def list_clients(self) -> list[dict]:
        return [dict(c) for _i, c in self.clients.docs()]

    def get_client(self, client_id: str) -> dict:
        doc = self.clients.find("clientId", client_id)
        if doc is None:
            raise not_found("OAuth client", client_id)
        return dict(doc)

    def create_client(self, body: Any) -> dict:
        """``POST /api/v2/oauth/clients``: the stored client, secret included (shown once)."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object (OAuthClientRequest).")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("The OAuth client 'name' is required.", "invalid.value")
        grant = body.get("authorizedGrantType")
        if grant not in GRANT_TYPES:
            raise bad_request(f"'authorizedGrantType' must be one of {', '.join(GRANT_TYPES)}; got {grant!r}.",
                              "invalid.value")
        if grant != "CLIENT-CREDENTIALS":
            raise bad_request(f"provsim simulates client-credentials clients only (authorizedGrantType "
                              f"CLIENT-CREDENTIALS); {grant} clients need a user login the fake does not have.",
                              "invalid.value")
        lifetime = body.get("accessTokenValiditySeconds")
        if lifetime is None:
            lifetime = self.org.settings.default_token_lifetime
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or not MIN_TOKEN_LIFETIME <= lifetime <= MAX_TOKEN_LIFETIME:
            raise bad_request(f"'accessTokenValiditySeconds' must be a whole number from {MIN_TOKEN_LIFETIME} to "
                              f"{MAX_TOKEN_LIFETIME}; got {lifetime!r}.", "invalid.value")
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise bad_request("'description' must be a string.", "invalid.value")
        redirects = body.get("registeredRedirectUri") or []
        if not isinstance(redirects, list) or not all(isinstance(u, str) for u in redirects):
            raise bad_request("'registeredRedirectUri' must be a list of URLs.", "invalid.value")
        state = body.get("state") or "active"
        if state not in ("active", "disabled", "inactive"):
            raise bad_request(f"'state' must be active, disabled or inactive; got {state!r}.", "invalid.value")
        grants = self._role_grants(body)
        with self.store.transaction():
            client_id = self.ids.guid()
            secret = self.ids.token(32)
            now = self.now()
            role_names = []
            for grant_ in grants:
                role_name = self.get_role(grant_["roleId"])["name"]
                if role_name not in role_names:
                    role_names.append(role_name)
            self.clients.add({
                "clientId": client_id, "clientSecret": secret_digest(secret), "name": name.strip(), "roles": role_names,
                "tokenLifetimeSeconds": lifetime, "description": description or "",
                "registeredRedirectUri": list(redirects), "authorizedGrantType": grant, "roleDivisions": grants,
                "state": state, "dateCreated": now, "dateModified": now,
            })
            # the one answer that shows the secret (the store keeps only its digest)
            return {**self.get_client(client_id), "clientSecret": secret}

    def _role_grants(self, body: dict) -> list[dict]:
        """``roleDivisions`` (and the deprecated ``roleIds``, granted in the home division), validated."""
        raw = body.get("roleDivisions")
        grants: list[dict] = []
        if raw is not None:
            if not isinstance(raw, list) or not all(isinstance(g, dict) for g in raw):
                raise bad_request("'roleDivisions' must be a list of {roleId, divisionId}.", "invalid.value")
            for item in raw:
                role_id, division_id = item.get("roleId"), item.get("divisionId")
                if not isinstance(role_id, str) or not role_id:
                    raise bad_request("Every roleDivisions entry needs a 'roleId'.", "invalid.value")
                if not isinstance(division_id, str) or not division_id:
                    raise bad_request("Every roleDivisions entry needs a 'divisionId' (a division id, or * for all).",
                                      "invalid.value")
                grants.append({"roleId": role_id, "divisionId": division_id})
        role_ids = body.get("roleIds")
        if role_ids is not None:
            if not isinstance(role_ids, list) or not all(isinstance(r, str) for r in role_ids):
                raise bad_request("'roleIds' must be a list of role ids.", "invalid.value")
            home = self.home_division()["id"]
            grants += [{"roleId": r, "divisionId": home} for r in role_ids]
        out: list[dict] = []
        for grant in grants:
            if self.roles.find("id", grant["roleId"]) is None:
                raise bad_request(f"The role {grant['roleId']} does not exist in this organization.", "invalid.value")
            if grant["divisionId"] != ALL_DIVISIONS and self.divisions.find("id", grant["divisionId"]) is None:
                raise bad_request(f"The division {grant['divisionId']} does not exist in this organization.",
                                  "invalid.value")
            if grant not in out:
                out.append(grant)
        return out

    def delete_client(self, client_id: str) -> None:
        """Deletes the client; its tokens stop working (``resolve_token`` finds no client)."""
        with self.store.transaction():
            doc = self.clients.find("clientId", client_id)
            if doc is None:
                raise not_found("OAuth client", client_id)
            self.clients.delete(doc.doc_id)
            for token_id in self.org.tokens.ids_by("clientId", client_id):
                token = self.org.tokens.row(token_id)
                self.org.tokens.put(token_id, {**token, "revoked": True})

    def client_grants(self, client: dict) -> list[dict]:
        """``roleDivisions`` of a client; fixture clients hold their roles in the home division."""
        if "roleDivisions" in client:
            return [dict(g) for g in client["roleDivisions"]]
        home = self.home_division()["id"]
        out = []
        for name in client.get("roles") or []:
            role = self.roles.find("name", name)
            if role is not None:
                out.append({"roleId": role["id"], "divisionId": home})
        return out

    # ---- groups -------------------------------------------------------------------
    def list_groups(self, *, ids: Iterable[str] = (), descending: bool = False) -> list[dict]:
        wanted = {i for i in ids if i}
        with self.store.lock:
            docs = [dict(d) for _i, d in self.groups.docs() if not wanted or d["id"] in wanted]
        docs.sort(key=lambda d: (d["displayName"].casefold(), d["id"]), reverse=descending)
        return docs

    def get_group(self, group_id: str) -> dict:
        doc = self.groups.find("id", group_id)
        if doc is None:
            raise not_found("group", group_id)
        return dict(doc)

    def member_count(self, group_id: str) -> int:
        return self.org.memberships.count_by("groupId", group_id)

    def create_group(self, body: Any) -> dict:
        """``POST /api/v2/groups`` (GroupCreate): an official or social group with a unique name."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object (GroupCreate).")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("The group 'name' is required.", "invalid.value")
        name = name.strip()
        kind = body.get("type")
        if kind not in GROUP_TYPES:
            raise bad_request(f"The group 'type' is required: one of {', '.join(GROUP_TYPES)}; got {kind!r}.",
                              "invalid.value")
        visibility = body.get("visibility")
        if visibility not in GROUP_VISIBILITIES:
            raise bad_request(f"The group 'visibility' is required: one of {', '.join(GROUP_VISIBILITIES)}; "
                              f"got {visibility!r}.", "invalid.value")
        rules_visible = body.get("rulesVisible")
        if not isinstance(rules_visible, bool):
            raise bad_request("The group 'rulesVisible' is required (true or false).", "invalid.value")
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise bad_request("'description' must be a string.", "invalid.value")
        owners = body.get("ownerIds") or []
        if not isinstance(owners, list) or not all(isinstance(o, str) for o in owners):
            raise bad_request("'ownerIds' must be a list of user ids.", "invalid.value")
        for owner in owners:
            if not self.org.user_exists(owner):
                raise bad_request(f"The owner {owner} is not a user of this organization.", "invalid.value")
        with self.store.transaction():
            if self.groups.find("displayName", name) is not None:
                raise GenesysApiError(
                    self.group_conflict_status, "general.conflict" if self.group_conflict_status == 409 else "bad.request",
                    f"A group with the name '{name}' already exists.",
                    message_with_params="A group with the name '{name}' already exists.", params={"name": name})
            now = self.now()
            doc = {"id": self.ids.guid(), "displayName": name, "description": description or "", "type": kind,
                   "visibility": visibility, "rulesVisible": rules_visible, "externalId": None,
                   "ownerIds": list(owners), "version": 1, "created": now, "lastModified": now}
            self.groups.add(doc)
            return doc

    def update_group(self, group_id: str, body: Any) -> dict:
        """``PUT /api/v2/groups/{id}`` (GroupUpdate): rename or re-describe a group.

        ``version`` is required and must be the group's current one (SCIM membership changes bump it
        too): a stale version is 409 ``general.conflict``, so two admins editing one group never
        overwrite each other.  Fields left out keep their values; the name stays unique."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object (GroupUpdate).")
        version = body.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise bad_request("The group 'version' is required: the version this update starts from.",
                              "invalid.value")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("The group 'name' is required.", "invalid.value")
        name = name.strip()
        changes: dict[str, Any] = {"displayName": name}
        for key, allowed in (("type", GROUP_TYPES), ("visibility", GROUP_VISIBILITIES)):
            if key in body and body[key] is not None:
                if body[key] not in allowed:
                    raise bad_request(f"The group '{key}' must be one of {', '.join(allowed)}; got {body[key]!r}.",
                                      "invalid.value")
                changes[key] = body[key]
        if body.get("rulesVisible") is not None:
            if not isinstance(body["rulesVisible"], bool):
                raise bad_request("The group 'rulesVisible' must be true or false.", "invalid.value")
            changes["rulesVisible"] = body["rulesVisible"]
        if body.get("description") is not None:
            if not isinstance(body["description"], str):
                raise bad_request("'description' must be a string.", "invalid.value")
            changes["description"] = body["description"]
        with self.store.transaction():
            doc = self.groups.find("id", group_id)
            if doc is None:
                raise not_found("group", group_id)
            if version != doc.get("version", 1):
                raise GenesysApiError(
                    409, "general.conflict",
                    f"The version supplied ({version}) does not match the current version of the group "
                    f"({doc.get('version', 1)}): it changed since it was read.",
                    message_with_params="The version supplied ({version}) does not match the current version of "
                                        "the group ({current}): it changed since it was read.",
                    params={"version": str(version), "current": str(doc.get("version", 1))})
            other = self.groups.find("displayName", name)
            if other is not None and other["id"] != group_id:
                raise GenesysApiError(
                    self.group_conflict_status, "general.conflict" if self.group_conflict_status == 409 else "bad.request",
                    f"A group with the name '{name}' already exists.",
                    message_with_params="A group with the name '{name}' already exists.", params={"name": name})
            updated = {**doc, **changes, "version": doc.get("version", 1) + 1, "lastModified": self.now()}
            self.groups.put(doc.doc_id, updated)
            return dict(updated)

    def delete_group(self, group_id: str) -> None:
        with self.store.transaction():
            doc = self.groups.find("id", group_id)
            if doc is None:
                raise not_found("group", group_id)
            for row in self.org.memberships.ids_by("groupId", group_id):
                self.org.memberships.delete(row)
            self.groups.delete(doc.doc_id)

    # ---- users ----------------------------------------------------------------------
    def list_users(self, *, state: str = "active", ids: Iterable[str] = (), descending: bool = False) -> list[dict]:
        wanted = [i for i in ids if i]
        with self.store.lock:
            if wanted:
                docs = [dict(d) for d in (self.users.find("id", i) for i in wanted) if d is not None]
            elif state == "any":
                docs = [dict(d) for _i, d in self.users.docs()]
            else:
                docs = [dict(self.users.row(i)) for i in self.users.ids_by("active", state == "active")]
        docs.sort(key=lambda d: ((d.get("displayName") or "").casefold(), d["id"]), reverse=descending)
        return docs

    def get_user(self, user_id: str) -> dict:
        doc = self.users.find("id", user_id)
        if doc is None:
            raise not_found("user", user_id)
        return dict(doc)

    def groups_of(self, user_id: str) -> list[str]:
        return [gid for gid, _name in self.org.groups_of(user_id)]


def seed_platform(runtime: Runtime, fixture: dict) -> None:
    """``Surface.seed``: the Platform API's own tables (divisions)."""
    runtime.service(PURECLOUD_PLATFORM).seed(fixture)
