"""The Genesys Cloud org: users, groups, memberships, OAuth clients, roles and
tokens, kept in store tables and changed only through this service.

Every lookup goes through an index (``userName`` eq is what Entra sends for
every object it syncs, so it must not scan); every write happens inside
``store.transaction()``, so a request that fails half-way changes nothing.
Time comes from the runtime's clock, ids and tokens from its seeded id streams.

Python callers (tests, scenarios, the engine's story) use the same service:
``org.issue_token(client_id)``, ``org.revoke_token(token)``,
``org.expire_all_tokens()``.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from simulator.core import Index, Runtime, SlidingWindowLimiter, isoformat
from simulator.core.services import PURECLOUD

from .errors import GenesysApiError, OAuthError, ScimError
from .filter import Term
from .model import SCIM_AUTHORITY, Mode, group_view, parse_group, parse_user, render_group, render_user, user_view
from .patch import apply_operations
from .schemas import GROUP, USER, ResourceSchema

__all__ = ["PureCloudOrg", "OrgSettings", "TokenInfo", "seed_org", "secret_digest"]

log = logging.getLogger(__name__)

#: Expired and revoked tokens are purged every this many token issues (a deterministic point in the stream).
PURGE_EVERY = 64
#: The most resolved tokens remembered between writes to the token tables.
_TOKEN_CACHE_SIZE = 1024
_MAX_GROUPS_PER_USER = 100  # official groups per user (help.mypurecloud.com, "Create a group")


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


@dataclass(frozen=True)
class OrgSettings:
    """The org's knobs (``purecloud.org`` in the tenant fixture)."""

    org_id: str = ""
    name: str = "Genesys Cloud org"
    rate_limit_enabled: bool = True
    rate_limit_per_minute: int = 300
    max_page_size: int = 100
    default_page_size: int = 25
    max_request_bytes: int = 512000
    if_match_status: int = 400
    groups_filter_required: bool = True
    default_token_lifetime: int = 86400
    max_tokens_per_client: int = 1000

    @classmethod
    def from_fixture(cls, org: dict, *, rate_limits: bool = True) -> OrgSettings:
        return cls(
            org_id=str(org.get("id", "")),
            name=str(org.get("name", cls.name)),
            rate_limit_enabled=bool(org.get("rateLimitEnabled", True)) and rate_limits,
            rate_limit_per_minute=int(org.get("rateLimitPerMinute", 300)),
            max_page_size=int(org.get("maxPageSize", 100)),
            default_page_size=int(org.get("defaultPageSize", 25)),
            max_request_bytes=int(org.get("maxRequestBytes", 512000)),
            if_match_status=int(org.get("ifMatchMismatchStatus", 400)),
            groups_filter_required=bool(org.get("groupsFilterRequired", True)),
            default_token_lifetime=int(org.get("defaultTokenLifetimeSeconds", 86400)),
            max_tokens_per_client=int(org.get("maxTokensPerClient", 1000)),
        )


@dataclass(frozen=True)
class TokenInfo:
    """A bearer token that passed authentication, and what its client may do."""

    token: str
    client_id: str
    permissions: frozenset[str]

    def allows(self, permission: str) -> bool:
        if permission in self.permissions or "*" in self.permissions:
            return True  # what the patterns below would say, without matching each one
        return any(fnmatch.fnmatchcase(permission, p) for p in self.permissions)

    def require_any(self, *permissions: str) -> None:
        """403 in Genesys' shape unless the client holds one of ``permissions``."""
        if not any(self.allows(p) for p in permissions):
            listed = ", ".join(permissions)
            raise GenesysApiError(
                403, "missing.any.permissions",
                f"Unable to perform the requested action. You must have at least one of the following permissions assigned: [{listed}]",
                message_with_params="Unable to perform the requested action. You must have at least one of the following permissions assigned: {permissions}",
                params={"permissions": f"[{listed}]"})


class PureCloudOrg:
    """One Genesys Cloud org on a :class:`Runtime`'s store.

    ``user_schema`` and ``group_schema`` are the attribute catalogues every SCIM answer is
    derived from (parsing, rendering, PATCH, filters, projection, ``/Schemas``).
    """

    user_schema: ResourceSchema = USER
    group_schema: ResourceSchema = GROUP

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store
        fixture = runtime.fixture.get("purecloud") or {}
        self.settings = OrgSettings.from_fixture(fixture.get("org") or {}, rate_limits=runtime.config.rate_limits)
        self.skills = [str(s) for s in fixture.get("skills") or []]
        self.languages = [str(s) for s in fixture.get("languages") or []]
        self.divisions = [d["name"] if isinstance(d, dict) else str(d) for d in fixture.get("divisions") or []] or ["Home"]
        t = self.store.table
        self.users = t("purecloud_users", [
            Index("id", unique=True),
            Index("userName", unique=True, normalize=_casefold),
            Index("externalId"),
            Index("active"),
            Index("employeeNumber"),
            Index("manager"),
            Index("division", normalize=_casefold),
            Index("workEmail", key=lambda d: (d.get("workEmail") or {}).get("value"), normalize=_casefold),
        ])
        for attr in (a for urn in self.user_schema.urns for a in self.user_schema.attributes(urn)):
            if attr.filter is not None and attr.stored_as == attr.filter and not self.users.has_index(attr.filter):
                # a filterable attribute without a hand-made index above: looked up by its stored value
                self.users.add_index(Index(attr.filter, normalize=None if attr.case_exact else _casefold))
        self.external_ids = t("purecloud_user_external_ids", [
            Index("userId"), Index("key", key=lambda d: f"{d['authority']}\x1f{d['value']}")])
        self.groups = t("purecloud_groups", [Index("id", unique=True), Index("displayName", unique=True, normalize=_casefold)])
        self.memberships = t("purecloud_memberships", [
            Index("groupId"), Index("userId"), Index("pair", unique=True, key=lambda d: f"{d['groupId']}|{d['userId']}")])
        self.roles = t("purecloud_roles", [Index("name", unique=True, normalize=_casefold)])
        self.clients = t("purecloud_clients", [Index("clientId", unique=True)])
        self.tokens = t("purecloud_tokens", [Index("token", unique=True), Index("clientId")])
        self.limiter = SlidingWindowLimiter(runtime.clock, self.settings.rate_limit_per_minute, timedelta(minutes=1))
        self._issued = 0
        #: resolved tokens, {token: (TokenInfo, expiresAt)}, while the tables they come from stay as
        #: they were (their last-write seqs, :attr:`_token_tables`): any write to them empties it
        self._token_cache: dict[str, tuple[TokenInfo, float]] = {}
        self._token_tables: tuple[int, int, int] | None = None

    # ---- lifecycle ---------------------------------------------------------
    def on_reset(self) -> None:
        self.limiter.reset()
        self._issued = 0
        self._token_cache.clear()
        self._token_tables = None

    def _guid(self) -> str:
        return self.runtime.ids.stream("purecloud").guid()

    def context_id(self) -> str:
        """The ``contextId`` of a Genesys error (the request's correlation id)."""
        return self.runtime.ids.stream("purecloud-context").guid()

    def _now(self) -> str:
        return isoformat(self.runtime.clock.now(), millis=True)

    # ---- OrgRules (validation) --------------------------------------------
    def role_name(self, name: str) -> str | None:
        doc = self._raw(self.roles, "name", name)  # read in place (every user parse asks)
        return doc["name"] if doc else None

    def skill_name(self, name: str) -> str | None:
        return name if name in self.skills else None

    def language_name(self, name: str) -> str | None:
        return name if name in self.languages else None

    def division_name(self, name: str) -> str | None:
        return next((d for d in self.divisions if d.casefold() == name.casefold()), None)

    def default_division(self) -> str | None:
        return self.divisions[0] if self.divisions else None

    def user_exists(self, user_id: str) -> bool:
        return self.users.count_by("id", user_id) > 0

    # ---- OAuth clients and tokens -----------------------------------------
    def add_client(self, client_id: str, client_secret: str, *, roles: Iterable[str] = (), name: str = "",
                   token_lifetime: int | None = None) -> None:
        with self.store.transaction():
            for role in roles:
                if self.role_name(role) is None:
                    raise ValueError(f"OAuth client {client_id}: no role {role!r} in the org")
            self.clients.add({"clientId": client_id, "clientSecret": secret_digest(client_secret), "name": name or client_id,
                              "roles": list(roles),
                              "tokenLifetimeSeconds": int(token_lifetime or self.settings.default_token_lifetime)})

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> dict:
        client = self.clients.find("clientId", client_id) if client_id else None
        if client is None or client_secret is None or not hmac.compare_digest(
                str(client["clientSecret"]), secret_digest(client_secret)):
            raise OAuthError(401, "invalid_client", "client authentication failed")
        return client

    def _token_key(self, token: str) -> str:
        """What the store keeps of a token: a digest, so the state file, snapshots and the
        dashboard never hold a live credential (a client presents the token, we hash it)."""
        return "sha256:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()

    def _new_token(self) -> str:
        token = self.runtime.ids.stream("purecloud-tokens").token()
        key = self.runtime.config.signing_key
        if key:  # serve --random-keys: a token nobody can compute from the seed
            token = base64.urlsafe_b64encode(hmac.new(key, token.encode(), hashlib.sha256).digest()).decode().rstrip("=")
        return token

    def issue_token(self, client_id: str) -> dict[str, Any]:
        """A new access token for ``client_id``: the /oauth/token answer."""
        with self.store.transaction():
            client = self.clients.find("clientId", client_id)
            if client is None:
                raise KeyError(f"no OAuth client {client_id!r}")
            lifetime = int(client.get("tokenLifetimeSeconds") or self.settings.default_token_lifetime)
            now = self.runtime.clock.now()
            token = self._new_token()
            expires = now + timedelta(seconds=lifetime)
            self.tokens.add({"token": self._token_key(token), "hint": token[:4], "clientId": client_id,
                             "issued": isoformat(now), "expires": isoformat(expires), "expiresAt": expires.timestamp(),
                             "revoked": False})
            self._purge_tokens(client_id, now.timestamp())
        return {"access_token": token, "token_type": "bearer", "expires_in": lifetime}

    def _purge_tokens(self, client_id: str, now: float) -> None:
        """Keep the token table bounded: drop expired and revoked tokens (every
        :data:`PURGE_EVERY` issues), and a client's oldest beyond ``maxTokensPerClient``."""
        held = self.tokens.ids_by("clientId", client_id)
        for doc_id in held[:max(0, len(held) - self.settings.max_tokens_per_client)]:
            self.tokens.delete(doc_id)
        self._issued += 1
        if self._issued % PURGE_EVERY:
            return
        stale = [doc_id for doc_id, doc in self.tokens.docs() if doc["revoked"] or doc["expiresAt"] <= now]
        for doc_id in stale:
            self.tokens.delete(doc_id)

    def revoke_token(self, token: str) -> bool:
        with self.store.transaction():
            doc = self.tokens.find("token", self._token_key(token))
            if doc is None:
                return False
            self.tokens.put(doc.doc_id, {**doc, "revoked": True})
            return True

    def revoke_client_tokens(self, client_id: str) -> int:
        """Revoke every token of one OAuth client (what deleting or rotating the client does)."""
        count = 0
        with self.store.transaction():
            for doc in self.tokens.find_all("clientId", client_id):
                if not doc["revoked"]:
                    self.tokens.put(doc.doc_id, {**doc, "revoked": True})
                    count += 1
        return count

    def expire_all_tokens(self) -> int:
        """Every token expires now (what a secret rotation or an org setting change does)."""
        now = self.runtime.clock.now()
        count = 0
        with self.store.transaction():
            for doc_id, doc in list(self.tokens.docs()):
                if doc["expiresAt"] > now.timestamp():
                    self.tokens.put(doc_id, {**doc, "expires": isoformat(now), "expiresAt": now.timestamp()})
                    count += 1
        return count

    def resolve_token(self, authorization: str | None) -> TokenInfo:
        """The token of an ``Authorization`` header, or 401 in Genesys' shape."""
        if not authorization or not authorization.strip():
            raise GenesysApiError(401, "bad.credentials", "No authentication bearer token specified in authorization header.")
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            raise GenesysApiError(401, "bad.credentials", "No authentication bearer token specified in authorization header.")
        with self.store.lock:
            # Every SCIM request comes through here.  What a token resolves to changes only with
            # the token, client and role tables (or, for its expiry, the clock): it is remembered
            # until any of them is written.
            tables = (self.tokens.changed_at, self.clients.changed_at, self.roles.changed_at)
            if tables != self._token_tables:
                self._token_cache.clear()
                self._token_tables = tables
            hit = self._token_cache.get(value)
            if hit is not None:
                if hit[1] <= self.runtime.clock.now().timestamp():
                    raise GenesysApiError(401, "bad.credentials", "Invalid login credentials.")
                return hit[0]
            # Read the stored documents in place (inside the lock, read-only) instead of copying three of them.
            doc = self._raw(self.tokens, "token", self._token_key(value))
            if doc is None or doc["revoked"] or doc["expiresAt"] <= self.runtime.clock.now().timestamp():
                raise GenesysApiError(401, "bad.credentials", "Invalid login credentials.")
            client_id = doc["clientId"]
            client = self._raw(self.clients, "clientId", client_id)
            if client is None:
                raise GenesysApiError(401, "bad.credentials", "Invalid login credentials.")
            perms: set[str] = set()
            for role in client.get("roles", []):
                role_doc = self._raw(self.roles, "name", role)
                if role_doc:
                    perms.update(role_doc.get("permissions", []))
            info = TokenInfo(value, client_id, frozenset(perms))
            if len(self._token_cache) < _TOKEN_CACHE_SIZE:
                self._token_cache[value] = (info, doc["expiresAt"])
        return info

    @staticmethod
    def _raw(table, index: str, value: Any) -> dict | None:
        return table.row_by(index, value)

    def check_rate(self, token: str) -> None:
        """300 requests per minute per token (virtual clock): 429 + Retry-After beyond it."""
        if not self.settings.rate_limit_enabled:
            return
        wait = self.limiter.hit(token)
        if wait is not None:
            raise GenesysApiError(
                429, "too.many.requests.retry.after",
                f"Rate limit exceeded the maximum. Retry the request in [{wait}] seconds",
                message_with_params="Rate limit exceeded the maximum. Retry the request in [{0}] seconds",
                params={"0": str(wait)}, headers={"Retry-After": str(wait)})

    # ---- users ---------------------------------------------------------------
    def get_user(self, user_id: str) -> dict:
        doc = self.users.find("id", user_id)
        if doc is None:
            raise ScimError(404, None, f"User {user_id} not found")
        return doc

    def _check_version(self, doc: dict, if_match: str | None) -> None:
        if if_match is None:
            return
        wanted = [v.strip() for v in if_match.split(",")]
        current = str(doc["version"])
        if any(v == "*" or _bare_version(v) == current for v in wanted):
            return
        status = self.settings.if_match_status
        raise ScimError(status, "invalidVers" if status == 400 else None,
                        f"Version does not match current version (current version is {current})")

    def _check_user_name(self, user_name: str, user_id: str | None) -> None:
        holder = self._raw(self.users, "userName", user_name)  # read in place: a unique index, inside the transaction
        if holder is not None and holder["id"] != user_id:
            raise ScimError(409, "uniqueness", "User name already in use by non-deleted user")

    def create_user(self, body: Any) -> dict:
        with self.store.transaction():
            fields = parse_user(body, self, Mode.CREATE, schema=self.user_schema)
            self._check_user_name(fields["userName"], None)
            now = self._now()
            doc = {"id": self._guid(), **fields, "version": 1, "created": now, "lastModified": now}
            self.users.add(doc)
            self._sync_external_ids(doc)
            return doc

    def replace_user(self, user_id: str, body: Any, if_match: str | None = None) -> dict:
        """The user after a PUT (read-only: when nothing changed, the stored document itself)."""
        with self.store.transaction():
            doc_id, current = self._user_row(user_id)
            self._check_version(current, if_match)
            return self._update_user(doc_id, current,
                                     parse_user(body, self, Mode.REPLACE, current, schema=self.user_schema))

    def patch_user(self, user_id: str, operations: list[dict], if_match: str | None = None) -> dict:
        """The user after a PATCH (read-only: when nothing changed, the stored document itself)."""
        with self.store.transaction():
            doc_id, current = self._user_row(user_id)
            self._check_version(current, if_match)
            before = user_view(current, self.user_schema)
            view = apply_operations(before, operations, self.user_schema)
            return self._update_user(doc_id, current, parse_user(view, self, Mode.PATCH, current,
                                                                 schema=self.user_schema, before=before))

    def _user_row(self, user_id: str) -> tuple[int, dict]:
        """The stored user and its doc id, read in place (inside the transaction, never changed:
        an update stores a new document); 404 when there is none."""
        ids = self.users.ids_by("id", user_id)
        if not ids:
            raise ScimError(404, None, f"User {user_id} not found")
        return ids[0], self.users.row(ids[0])

    def _update_user(self, doc_id: int, current: dict, fields: dict) -> dict:
        self._check_user_name(fields["userName"], current["id"])
        if all(current.get(k) == v for k, v in fields.items()):
            return current  # nothing changed: same version, same ETag
        doc = {"id": current["id"], **fields, "version": current["version"] + 1, "created": current["created"],
               "lastModified": self._now()}
        # handed over: the parsed values are new or the current document's (never changed in place)
        self.users.put(doc_id, doc, handover=True)
        self._sync_external_ids(doc)
        return doc

    def delete_user(self, user_id: str, if_match: str | None = None) -> None:
        with self.store.transaction():
            current = self.get_user(user_id)
            self._check_version(current, if_match)
            for doc_id in self.memberships.ids_by("userId", user_id):
                self.memberships.delete(doc_id)
            for doc_id in self.external_ids.ids_by("userId", user_id):
                self.external_ids.delete(doc_id)
            for doc_id in self.users.ids_by("manager", user_id):
                report = self.users.row(doc_id)
                self.users.put(doc_id, {**report, "manager": None, "version": report["version"] + 1,
                                        "lastModified": self._now()})
            self.users.delete(current.doc_id)  # type: ignore[attr-defined]  # tinydb's Document carries doc_id; the store's type says dict

    def _sync_external_ids(self, doc: dict) -> None:
        wanted = [(e["authority"], e["value"]) for e in doc.get("externalIds", [])]
        existing = {(r["authority"], r["value"]): i for i in self.external_ids.ids_by("userId", doc["id"])
                    for r in [self.external_ids.row(i)]}
        for pair, doc_id in existing.items():
            if pair not in wanted:
                self.external_ids.delete(doc_id)
        for authority, value in wanted:
            if (authority, value) not in existing:
                self.external_ids.add({"userId": doc["id"], "authority": authority, "value": value})

    def search_users(self, terms: list[Term] | None) -> list[int]:
        """Doc ids (creation order) of the users a filter selects; no filter: active users only."""
        with self.store.lock:
            if not terms:
                return self.users.ids_by("active", True)
            result: set[int] | None = None
            for term in terms:
                ids = set(self._user_ids_for(term))
                result = ids if result is None else result & ids
                if not result:
                    return []
            return sorted(result or ())

    def _user_ids_for(self, term: Term) -> list[int]:
        attr, value = term.attribute, term.value
        if attr == "active":
            flag = str(value).lower()
            if flag not in ("true", "false"):
                raise ScimError(400, "invalidFilter", f"'active' is a boolean; got {value!r}")
            return self.users.ids_by("active", flag == "true")
        if attr == "email":
            return self.users.ids_by("workEmail", value) + self.users.ids_by("userName", value)
        if attr == "division":
            canonical = self.division_name(str(value))
            return self.users.ids_by("division", canonical) if canonical else []
        if attr == "externalIds":
            authority, val = value
            if authority.lower().startswith(SCIM_AUTHORITY):
                return self.users.ids_by("externalId", val)
            out: list[int] = []
            for row_id in self.external_ids.ids_by("key", f"{authority}\x1f{val}"):
                out += self.users.ids_by("id", self.external_ids.row(row_id)["userId"])
            return out
        return self.users.ids_by(attr, value)

    def groups_of(self, user_id: str) -> list[tuple[str, str]]:
        out = []
        for row_id in self.memberships.ids_by("userId", user_id):
            group_id = self.memberships.row(row_id)["groupId"]
            ids = self.groups.ids_by("id", group_id)
            if ids:
                out.append((group_id, self.groups.row(ids[0])["displayName"]))
        return out

    def render_user(self, doc: dict, location: Callable[[str, str], str]) -> dict[str, Any]:
        return render_user(doc, self.groups_of(doc["id"]), location, stamp=_stamper("User", "users", location),
                           schema=self.user_schema)

    # ---- groups --------------------------------------------------------------
    def get_group(self, group_id: str) -> dict:
        doc = self.groups.find("id", group_id)
        if doc is None:
            raise ScimError(404, None, f"Group {group_id} not found")
        return doc

    def members_of(self, group_id: str) -> list[str]:
        return [self.memberships.row(i)["userId"] for i in self.memberships.ids_by("groupId", group_id)]

    def search_groups(self, terms: list[Term] | None) -> list[int]:
        with self.store.lock:
            if not terms:
                return sorted(doc_id for doc_id, _ in self.groups.docs())
            result: set[int] | None = None
            for term in terms:
                ids = set(self.groups.ids_by(term.attribute, term.value))
                result = ids if result is None else result & ids
            return sorted(result or ())

    def replace_group(self, group_id: str, body: Any, if_match: str | None = None) -> dict:
        with self.store.transaction():
            current = self.get_group(group_id)
            self._check_version(current, if_match)
            return self._update_group(current, parse_group(body, self, self.group_schema))

    def patch_group(self, group_id: str, operations: list[dict], if_match: str | None = None) -> dict:
        with self.store.transaction():
            current = self.get_group(group_id)
            self._check_version(current, if_match)
            view = apply_operations(group_view(current, self.members_of(group_id), self.group_schema), operations,
                                    self.group_schema)
            return self._update_group(current, parse_group(view, self, self.group_schema))

    def _update_group(self, current: dict, data) -> dict:
        holder = self.groups.find("displayName", data.display_name)
        if holder is not None and holder["id"] != current["id"]:
            raise ScimError(409, "uniqueness", f"A group named {data.display_name!r} already exists")
        group_id = current["id"]
        existing = {self.memberships.row(i)["userId"]: i for i in self.memberships.ids_by("groupId", group_id)}
        changed = False
        wanted = set(data.members)
        for user_id, row_id in existing.items():
            if user_id not in wanted:
                self.memberships.delete(row_id)
                changed = True
        for user_id in data.members:
            if user_id not in existing:
                if self.memberships.count_by("userId", user_id) >= _MAX_GROUPS_PER_USER:
                    raise ScimError(400, "invalidValue",
                                    f"User {user_id} already belongs to {_MAX_GROUPS_PER_USER} groups (the Genesys maximum)")
                self.memberships.add({"groupId": group_id, "userId": user_id})
                changed = True
        if data.display_name != current["displayName"] or data.external_id != current.get("externalId"):
            changed = True
        if not changed:
            return current
        doc = {**current, "displayName": data.display_name, "externalId": data.external_id,
               "version": current["version"] + 1, "lastModified": self._now()}
        self.groups.put(current.doc_id, doc)  # type: ignore[attr-defined]  # tinydb's Document carries doc_id; the store's type says dict
        return doc

    def render_group(self, doc: dict, location: Callable[[str, str], str], *, members: bool = True) -> dict[str, Any]:
        return render_group(doc, self.members_of(doc["id"]) if members else None, location,
                            stamp=_stamper("Group", "groups", location), schema=self.group_schema)

    # ---- whole-org views (scenario expectations, reports) ---------------------
    def export_state(self, resource: str) -> list[dict[str, Any]]:
        """Every user (active or not) or group as SCIM renders it, in creation order."""
        def location(kind: str, ident: str) -> str:
            return f"/api/v2/scim/v2/{kind}/{ident}"

        with self.store.lock:
            if resource.lower() == "users":
                return [self.render_user(dict(doc), location) for _id, doc in self.users.docs()]
            return [self.render_group(dict(doc), location) for _id, doc in self.groups.docs()]

    # ---- seeding -------------------------------------------------------------
    def seed(self, fixture: dict) -> None:
        """Create the org of ``fixture["purecloud"]``: roles, clients, groups, users, memberships."""
        section = fixture.get("purecloud") or {}
        now = self._now()
        for role in section.get("roles") or []:
            self.roles.add({"id": self._guid(), "name": role["name"], "description": role.get("description", ""),
                            "permissions": list(role.get("permissions") or [])})
        for client in section.get("clients") or []:
            self.add_client(client["clientId"], client["clientSecret"], roles=client.get("roles") or [],
                            name=client.get("name", ""), token_lifetime=client.get("tokenLifetimeSeconds"))
        for group in section.get("groups") or []:
            self.groups.add({"id": group.get("id") or self._guid(), "displayName": group["name"],
                             "description": group.get("description", ""), "type": group.get("type", "official"),
                             "visibility": group.get("visibility", "public"), "externalId": group.get("externalId"),
                             "version": 1, "created": now, "lastModified": now})
        for user in section.get("users") or []:
            body = {k: v for k, v in user.items() if k not in ("groups", "roles", "id")}
            body["roles"] = [{"value": r} for r in user.get("roles") or []]
            doc = self.create_user(body)
            if user.get("id"):
                stored = self.users.find("id", doc["id"])
                assert stored is not None, "created just above"
                self.users.put(stored.doc_id, {**stored, "id": user["id"]})
                doc["id"] = user["id"]
            for name in user.get("groups") or []:
                group = self.groups.find("displayName", name)
                if group is None:
                    raise ValueError(f"purecloud user {user['userName']}: no group {name!r}")
                self.memberships.add({"groupId": group["id"], "userId": doc["id"]})


def secret_digest(secret: str) -> str:
    """What the store keeps of an OAuth client secret: the state file, snapshots and
    the dashboard never hold it (Genesys, too, shows a client secret only when created)."""
    return "sha256:" + hashlib.sha256(str(secret).encode("utf-8", "replace")).hexdigest()


def seed_org(runtime: Runtime, fixture: dict) -> None:
    """``Surface.seed``: build the org of the tenant fixture."""
    runtime.service(PURECLOUD).seed(fixture)


def _bare_version(tag: str) -> str:
    tag = tag.strip()
    if tag[:2].upper() == "W/":
        tag = tag[2:]
    return tag.strip('"')


def etag(doc: dict) -> str:
    """The ETag header (and meta.version): the profile version in double quotes."""
    return f'"{doc["version"]}"'


def _stamper(resource_type: str, segment: str, location: Callable[[str, str], str]) -> Callable[[dict], dict]:
    def stamp(doc: dict) -> dict:
        return {"resourceType": resource_type, "created": doc["created"], "lastModified": doc["lastModified"],
                "location": location(segment, doc["id"]), "version": etag(doc)}

    return stamp
