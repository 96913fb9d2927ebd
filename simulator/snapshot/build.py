"""A read tenant (:class:`~.read.RawTenant`) into a fixture, pseudonymised.

Pure: the same tenant, options and key give the same fixture, byte for byte.  What is
kept and what becomes a pseudonym is docs/snapshot.md's table; in short:

* kept: counts, order, group sizes, memberships, manager chains, app roles and
  assignments, which attributes are present, booleans, dates, usage location and
  preferred language, and the job's configuration (schema, scoping filters, settings)
  verbatim;
* pseudonymised (:mod:`.pseudonym`): every other user, group and Genesys value (names,
  UPNs, e-mails, phone numbers, employee ids, titles, departments, free text) and every
  object id, except the tokens the configuration names;
* never written: any secret (Secret Token, client secrets, passwords); the tenant URL
  points at the simulator's own Genesys fake (``provsim.local``), so the served snapshot
  can never call the real org.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import httpx

from simulator.core import isoformat, load_fixture
from simulator.engine.errors import ExpressionError, ScopingFilterError
from simulator.engine.expressions import from_mapping_source
from simulator.engine.expressions.values import GRAPH_ALIASES
from simulator.engine.scoping import ScopingOperator, parse_scoping_filter
from simulator.graph.schema import USER

from .pseudonym import GUID_RE, Pseudonymizer, tokens
from .read import RawTenant, _object_mappings

__all__ = ["SnapshotOptions", "build_fixture", "configuration_tokens", "derive_key", "IN_PROCESS_TENANT_HOST",
           "KEPT_USER_PROPERTIES", "SECRET_KEYS_KEPT"]

#: Where a served snapshot's tenant URL points: this simulator's Genesys fake, in-process.
IN_PROCESS_TENANT_HOST: Final = "http://provsim.local"
#: User properties kept as they are (not personal, or what mappings test: flags, dates, codes).
KEPT_USER_PROPERTIES: Final = frozenset({
    "accountEnabled", "userType", "usageLocation", "preferredLanguage", "employeeHireDate", "ageGroup",
    "passwordPolicies", "createdDateTime", "deletedDateTime",
})
#: Synchronization secrets a snapshot keeps (everything else, the Secret Token first, is dropped).
SECRET_KEYS_KEPT: Final = ("BaseAddress", "SyncAll", "SyncAllFlag", "SkipOutOfScopeDeletions", "SyncNotificationSettings")
#: Scoping operators whose values are matched whole: their tokens stay, so the filter still matches.
_EQUALITY: Final = frozenset({ScopingOperator.EQUALS, ScopingOperator.NOT_EQUALS, ScopingOperator.IN,
                              ScopingOperator.NOT_IN})
_CORE_USER: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
_ENTERPRISE: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
_GENESYS_EXT: Final = "urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User"


@dataclass(frozen=True)
class SnapshotOptions:
    app: str = "PureCloud by Genesys"
    keep_names: bool = False
    #: the pseudonym key (None: derived from the tenant, so a re-snapshot gives the same pseudonyms)
    key: bytes | None = None
    region: str = "us_east_1"
    #: the fixture's virtual start time (None: the simulator's default epoch)
    start: datetime | None = None


def derive_key(tenant: str) -> bytes:
    return hashlib.sha256(f"provsim-snapshot:{tenant.strip().lower()}".encode()).digest()


def _derived_guid(text: str) -> str:
    """A GUID for something that has none to pseudonymise (the Genesys org, the application object)."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"provsim-snapshot:{text}".encode()).digest()[:16], version=4))


# ------------------------------------------------------------------------------ configuration


def configuration_tokens(schema: Mapping[str, Any] | None) -> tuple[set[str], set[str]]:
    """(tokens the configuration names, source attributes whose values must stay whole).

    Expression constants, default values and the values of equality scoping clauses keep their
    tokens; an attribute tested with a partial match (ENDS_WITH, Includes, REGEX MATCH, numbers)
    keeps its values whole, or the filter would select other objects."""
    keep: set[str] = set()
    whole: set[str] = set()
    for om in _object_mappings(schema):
        for mapping in om.get("attributeMappings") or []:
            if not isinstance(mapping, Mapping):
                continue
            if isinstance(mapping.get("defaultValue"), str):
                keep.update(tokens(mapping["defaultValue"]))
            try:
                expression = from_mapping_source(mapping.get("source"))
            except ExpressionError:
                continue
            if expression is not None:
                for constant in expression.constants():
                    keep.update(tokens(constant))
        try:
            scope = parse_scoping_filter(om.get("scope"))
        except ScopingFilterError:
            continue
        for group in scope.groups:
            for clause in group.clauses:
                for value in clause.values:
                    keep.update(tokens(value))
                if clause.values and clause.operator not in _EQUALITY:
                    whole.add(GRAPH_ALIASES.get(clause.attribute.lower(), clause.attribute).lower())
    return keep, whole


# ------------------------------------------------------------------------------ transforms


class _Transform:
    """Pseudonyms (or, with --keep-names, the originals) for every kind of value."""

    def __init__(self, pseudonyms: Pseudonymizer | None) -> None:
        self.p = pseudonyms

    def id(self, value: str) -> str:
        return value if self.p is None else self.p.guid(value)

    def value(self, value: Any) -> Any:
        if self.p is None or value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, str):
            return self.p.value(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, Mapping):
            return {k: self.value(v) for k, v in value.items()}
        return value


def _personal_strings(raw: RawTenant, whole: set[str]) -> Iterable[str]:
    def strings(value: Any) -> Iterable[str]:
        if isinstance(value, str):
            if not GUID_RE.match(value):
                yield value
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, Mapping):
            for item in value.values():
                yield from strings(item)

    for user in raw.users:
        for prop, value in user.items():
            if prop not in KEPT_USER_PROPERTIES and prop.lower() not in whole and not prop.startswith("@"):
                yield from strings(value)
    for group in raw.groups:
        yield from strings({k: v for k, v in group.items() if k != "groupTypes"})
    yield from strings(raw.service_principal.get("notificationEmailAddresses") or [])
    for secret in raw.secrets:
        if secret.get("key") == "SyncNotificationSettings":
            yield from strings(secret.get("value"))
    for user in raw.genesys_users:
        yield from strings({k: v for k, v in user.items() if k not in ("meta", "schemas", "roles", "groups")})
    for group in raw.genesys_groups:
        yield from strings(group.get("displayName"))


# ------------------------------------------------------------------------------ the fixture


def build_fixture(raw: RawTenant, options: SnapshotOptions, *, tenant: str) -> dict[str, Any]:
    """The fixture for ``raw`` (``tenant``: the source tenant's id or domain, for the default key)."""
    keep, whole = configuration_tokens(raw.schema)
    pseudonyms = None
    if not options.keep_names:
        originals = {t for text in _personal_strings(raw, whole) for t in tokens(text)}
        pseudonyms = Pseudonymizer(options.key or derive_key(tenant), originals=originals, keep=keep)
    t = _Transform(pseudonyms)
    warnings = list(raw.warnings)
    if raw.unsupported_attributes:
        warnings.append("source attributes the simulator's directory cannot hold (not in the snapshot): "
                        + ", ".join(raw.unsupported_attributes))
    kept_whole = sorted(whole)
    if kept_whole and pseudonyms is not None:
        warnings.append("values kept whole because a scoping filter matches them partially: " + ", ".join(kept_whole))

    user_keys = {u["id"]: f"u{i + 1}" for i, u in enumerate(raw.users)}
    group_keys = {g["id"]: f"g{i + 1}" for i, g in enumerate(raw.groups)}
    users = [_user(u, t, user_keys, whole, warnings) for u in raw.users]
    groups = [_group(g, raw.members.get(g["id"], []), t, user_keys, group_keys, warnings) for g in raw.groups]
    domains = sorted({u["userPrincipalName"].rsplit("@", 1)[-1].lower() for u in users
                      if "@" in str(u.get("userPrincipalName") or "")})
    demo = load_fixture("contoso")["tenant"]
    tenant_section: dict[str, Any] = {"id": demo["id"], "domain": demo["domain"], "verifiedDomains": domains,
                                      "displayName": f"Snapshot ({raw.app})"}
    if options.start is not None:
        tenant_section["start"] = isoformat(options.start)
    tenant_section["clients"] = demo["clients"]
    fixture: dict[str, Any] = {
        "snapshot": {"app": raw.app, "pseudonymised": pseudonyms is not None, "users": len(users),
                     "groups": len(groups), "genesysUsers": len(raw.genesys_users),
                     "genesysGroups": len(raw.genesys_groups), "warnings": warnings},
        "tenant": tenant_section,
        "directory": {"users": users, "groups": groups,
                      "applications": [_application(raw, t, {**user_keys, **group_keys}, warnings)]},
        "purecloud": _genesys(raw, t, options),
    }
    return fixture


def _user(user: Mapping[str, Any], t: _Transform, keys: Mapping[str, str], whole: set[str],
          warnings: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": keys[user["id"]], "id": t.id(user["id"])}
    for prop, value in user.items():
        if prop in ("id", "manager") or prop.startswith("@") or prop not in USER.properties or value is None:
            continue
        entry[prop] = value if prop in KEPT_USER_PROPERTIES or prop.lower() in whole else t.value(value)
    manager = (user.get("manager") or {}).get("id") if isinstance(user.get("manager"), Mapping) else None
    if manager:
        if manager in keys:
            entry["manager"] = keys[manager]
        else:
            warnings.append(f"the manager of {entry['key']} is not a user of the snapshot; it was left out")
    return entry


def _group(group: Mapping[str, Any], members: Sequence[Mapping[str, Any]], t: _Transform, user_keys: Mapping[str, str],
           group_keys: Mapping[str, str], warnings: list[str]) -> dict[str, Any]:
    key = group_keys[group["id"]]
    entry: dict[str, Any] = {"key": key, "id": t.id(group["id"])}
    for prop in ("displayName", "description", "mailNickname", "mail"):
        if group.get(prop) is not None:
            entry[prop] = t.value(group[prop])
    for prop in ("securityEnabled", "mailEnabled"):
        if group.get(prop) is not None:
            entry[prop] = bool(group[prop])
    group_types = [g for g in group.get("groupTypes") or [] if g != "DynamicMembership"]
    if "DynamicMembership" in (group.get("groupTypes") or []):
        warnings.append(f"{key} is a dynamic group: its members are kept as static members")
    entry["groupTypes"] = group_types
    keys = {**user_keys, **group_keys}
    entry["members"] = [keys[m["id"]] for m in members if m.get("id") in keys]
    skipped = len(members) - len(entry["members"])
    if skipped:
        warnings.append(f"{key}: {skipped} member(s) that are neither users nor groups (devices, contacts, apps) "
                        "were left out")
    return entry


def _application(raw: RawTenant, t: _Transform, keys: Mapping[str, str], warnings: list[str]) -> dict[str, Any]:
    sp = raw.service_principal
    roles = [{"id": r["id"], "displayName": r.get("displayName"), "value": r.get("value"),
              "description": r.get("description"), "allowedMemberTypes": r.get("allowedMemberTypes") or ["User"],
              "isEnabled": r.get("isEnabled", True)} for r in sp.get("appRoles") or [] if isinstance(r, Mapping)]
    assignments = []
    for assignment in raw.assignments:
        principal = keys.get(str(assignment.get("principalId")))
        if principal is None:
            warnings.append("an app role assignment to a principal outside the snapshot (an app or a device) "
                            "was left out")
            continue
        assignments.append({"principal": principal, "role": assignment.get("appRoleId")})
    app: dict[str, Any] = {
        "key": "app", "template": "purecloud-by-genesys", "displayName": sp.get("displayName") or raw.app,
        "appId": t.id(str(sp.get("appId"))), "applicationId": _derived_guid(f"application:{t.id(str(sp.get('appId')))}"),
        "servicePrincipalId": t.id(sp["id"]), "appRoles": roles, "assignments": assignments,
    }
    if sp.get("notificationEmailAddresses"):
        app["notificationEmailAddresses"] = t.value(list(sp["notificationEmailAddresses"]))
    if raw.job is not None:
        app["provisioning"] = {"templateId": "purecloud", "secrets": _secrets(raw.secrets, t),
                               "settings": list(raw.job.get("synchronizationJobSettings") or []),
                               "schema": raw.schema}
    return app


def _secrets(secrets: Iterable[Mapping[str, Any]], t: _Transform) -> list[dict[str, Any]]:
    kept = []
    for secret in secrets:
        key, value = secret.get("key"), secret.get("value")
        if key not in SECRET_KEYS_KEPT or value is None:
            continue
        if key == "BaseAddress":
            url = httpx.URL(str(value))
            value = IN_PROCESS_TENANT_HOST + (url.raw_path.decode("ascii") or "/")
        elif key == "SyncNotificationSettings":
            value = _notification_settings(str(value), t)
        kept.append({"key": key, "value": value})
    return kept


def _notification_settings(raw: str, t: _Transform) -> str:
    import json

    try:
        data = json.loads(raw)
    except ValueError:
        return "{}"
    if isinstance(data, dict) and data.get("Recipients"):
        data["Recipients"] = t.value(str(data["Recipients"]))
    return json.dumps(data, separators=(",", ":"))


# ------------------------------------------------------------------------------ Genesys


def _manager_first(users: Sequence[Mapping[str, Any]], manager_of: Callable[[Mapping[str, Any]], str | None]
                   ) -> list[Mapping[str, Any]]:
    """Genesys checks that a manager exists when a user is created: managers go first."""
    by_id = {u["id"]: u for u in users}
    placed: set[str] = set()
    ordered: list[Mapping[str, Any]] = []

    def place(user: Mapping[str, Any], trail: set[str]) -> None:
        if user["id"] in placed or user["id"] in trail:
            return
        manager = manager_of(user)
        if manager in by_id:
            place(by_id[manager], trail | {user["id"]})
        placed.add(user["id"])
        ordered.append(user)

    for user in users:
        place(user, set())
    return ordered


def _genesys_manager(user: Mapping[str, Any]) -> str | None:
    manager = (user.get(_ENTERPRISE) or {}).get("manager")
    return str(manager.get("value")) if isinstance(manager, Mapping) and manager.get("value") else None


def _genesys(raw: RawTenant, t: _Transform, options: SnapshotOptions) -> dict[str, Any]:
    demo = load_fixture("contoso")["purecloud"]
    client = next(c for c in demo["clients"] if c["clientId"] == "provsim-purecloud-client")
    group_names = {g["id"]: t.value(str(g.get("displayName"))) for g in raw.genesys_groups}
    members: dict[str, list[str]] = {}
    for group in raw.genesys_groups:
        for member in group.get("members") or []:
            if isinstance(member, Mapping) and member.get("value"):
                members.setdefault(str(member["value"]), []).append(group_names[group["id"]])
    roles: list[str] = []
    divisions: list[str] = ["Home"]
    users = []
    known = {u["id"] for u in raw.genesys_users}
    for user in _manager_first(raw.genesys_users, _genesys_manager):
        entry: dict[str, Any] = {"id": t.id(user["id"]), "userName": t.value(user.get("userName")),
                                 "displayName": t.value(user.get("displayName")), "active": user.get("active", True)}
        for prop in ("title", "externalId"):
            if user.get(prop) is not None:
                entry[prop] = t.value(user[prop])
        emails = [{k: t.value(v) if k == "value" else v for k, v in e.items()} for e in user.get("emails") or []
                  if isinstance(e, Mapping) and e.get("type") != "other"]  # "other" mirrors userName (read-only)
        if emails:
            entry["emails"] = emails
        phones = [{k: t.value(v) if k == "value" else v for k, v in p.items()} for p in user.get("phoneNumbers") or []
                  if isinstance(p, Mapping)]
        if phones:
            entry["phoneNumbers"] = phones
        enterprise = dict(user.get(_ENTERPRISE) or {})
        if enterprise:
            out: dict[str, Any] = {}
            for prop, value in enterprise.items():
                if prop == "manager":
                    manager = _genesys_manager(user)
                    if manager is not None and manager in known:
                        out["manager"] = {"value": t.id(manager)}
                elif prop == "dateHire":
                    out[prop] = value
                else:
                    out[prop] = t.value(value)
            if out.get("division") and out["division"] not in divisions:
                divisions.append(out["division"])
            entry[_ENTERPRISE] = out
        extension = user.get(_GENESYS_EXT)
        if isinstance(extension, Mapping) and extension:
            entry[_GENESYS_EXT] = t.value(dict(extension))
        user_roles = [str(r.get("value")) for r in user.get("roles") or [] if isinstance(r, Mapping) and r.get("value")]
        entry["roles"] = user_roles
        roles += [r for r in user_roles if r not in roles]
        entry["groups"] = members.get(user["id"], [])
        users.append(entry)
    role_entries = [r for r in demo["roles"] if r["name"] in ("admin", "employee")]
    role_entries += [{"name": name, "description": "a role of the snapshot's users",
                      "permissions": ["directory:user:view"]}
                     for name in roles if name not in {r["name"] for r in role_entries}]
    return {
        "org": {"id": _derived_guid(f"org:{raw.app}:{options.region}"), "name": f"Snapshot ({raw.app})", "domain": "snapshot",
                "region": options.region, **{k: demo["org"][k] for k in ("rateLimitPerMinute", "rateLimitEnabled",
                                                                          "maxPageSize", "maxRequestBytes")}},
        "roles": role_entries,
        "clients": [client],
        "divisions": [{"name": name} for name in divisions],
        "groups": [{"id": t.id(g["id"]), "name": group_names[g["id"]], "description": "", "type": "official",
                    "visibility": "public", "externalId": t.value(g.get("externalId"))}
                   for g in raw.genesys_groups],
        "users": users,
    }
