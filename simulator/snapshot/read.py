"""What a snapshot reads, and nothing more (the least-privilege list is docs/snapshot.md).

Graph: the app's service principal (by display name), its app-role assignments, its
provisioning job with the schema, settings and the non-secret synchronization secrets;
every user with the attributes the job's mappings and scoping filters read (and their
manager), every group with its members.  Genesys (optional): the org's SCIM users and
groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from simulator.engine.errors import ExpressionError, ScopingFilterError
from simulator.engine.expressions import from_mapping_source
from simulator.engine.expressions.values import GRAPH_ALIASES
from simulator.engine.scoping import parse_scoping_filter
from simulator.graph.schema import GROUP, USER

from .fetch import Fetcher, SnapshotError

__all__ = ["RawTenant", "read_tenant", "source_attributes", "USER_BASE", "GROUP_BASE"]

#: User properties every snapshot reads: what the fixture needs to be a directory at all.
USER_BASE: Final = ("id", "userPrincipalName", "displayName", "accountEnabled", "userType", "mail", "mailNickname",
                    "givenName", "surname")
GROUP_BASE: Final = ("id", "displayName", "description", "mailNickname", "mail", "securityEnabled", "mailEnabled",
                     "groupTypes")
#: Source attributes that are not user properties: computed by the service or read elsewhere.
_NOT_PROPERTIES: Final = frozenset({"issoftdeleted", "manager", "approleassignments", "members", "objectid"})


@dataclass
class RawTenant:
    """Everything read, as the APIs answered it (before any pseudonym)."""

    app: str
    service_principal: dict[str, Any]
    assignments: list[dict[str, Any]] = field(default_factory=list)
    job: dict[str, Any] | None = None
    schema: dict[str, Any] | None = None
    secrets: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    genesys_users: list[dict[str, Any]] = field(default_factory=list)
    genesys_groups: list[dict[str, Any]] = field(default_factory=list)
    #: source attributes the mappings read that the simulator's directory cannot hold
    unsupported_attributes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _object_mappings(schema: Mapping[str, Any] | None) -> Iterable[Mapping[str, Any]]:
    for rule in (schema or {}).get("synchronizationRules") or []:
        if isinstance(rule, Mapping):
            yield from (om for om in rule.get("objectMappings") or [] if isinstance(om, Mapping))


def source_attributes(schema: Mapping[str, Any] | None, source_object: str) -> set[str]:
    """Source attribute names (Entra spelling) the object mappings of ``source_object`` read:
    in expressions and in scoping filters.  An expression provsim cannot parse is skipped here
    (the schema check of the served snapshot reports it)."""
    names: set[str] = set()
    for om in _object_mappings(schema):
        if str(om.get("sourceObjectName") or "").lower() != source_object.lower():
            continue
        for mapping in om.get("attributeMappings") or []:
            if not isinstance(mapping, Mapping):
                continue
            try:
                expression = from_mapping_source(mapping.get("source"))
            except ExpressionError:
                continue
            if expression is not None:
                names |= expression.attributes()
        try:
            names |= parse_scoping_filter(om.get("scope")).attributes()
        except ScopingFilterError:
            continue
    return names


def _graph_properties(names: Iterable[str], known: Iterable[str]) -> tuple[list[str], list[str]]:
    """(Graph properties to $select, source attributes the simulator cannot hold)."""
    by_lower = {p.lower(): p for p in known}
    selected: list[str] = []
    unsupported: list[str] = []
    for name in sorted(names, key=str.lower):
        lower = name.lower()
        if lower in _NOT_PROPERTIES:
            continue
        prop = by_lower.get(GRAPH_ALIASES.get(lower, lower).lower())
        if prop is None:
            unsupported.append(name)
        elif prop not in selected:
            selected.append(prop)
    return selected, unsupported


def read_tenant(fetch: Fetcher, app: str, *, genesys: bool) -> RawTenant:
    """Read the tenant (and the Genesys org when ``genesys``) through ``fetch``."""
    quoted = app.replace("'", "''")
    found = fetch.graph_all("/servicePrincipals", {"$filter": f"displayName eq '{quoted}'"},
                            what="service principals")
    if not found:
        raise SnapshotError(f"no enterprise application named {app!r} in tenant {fetch.tenant} (pass --app NAME)")
    if len(found) > 1:
        raise SnapshotError(f"{len(found)} enterprise applications are named {app!r}; rename one or pass another --app")
    sp = found[0]
    raw = RawTenant(app=app, service_principal=sp)
    raw.assignments = fetch.graph_all(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo", what="app role assignments")
    jobs = fetch.graph(f"/servicePrincipals/{sp['id']}/synchronization/jobs", what="reading provisioning jobs")
    job_list = [j for j in jobs.get("value") or [] if isinstance(j, dict)]
    if job_list:
        raw.job = job_list[0]
        if len(job_list) > 1:
            raw.warnings.append(f"the app has {len(job_list)} provisioning jobs; the snapshot keeps {raw.job['id']}")
        schema = fetch.graph(f"/servicePrincipals/{sp['id']}/synchronization/jobs/{raw.job['id']}/schema",
                             what="reading the job's schema")
        raw.schema = {k: v for k, v in schema.items() if not k.startswith("@odata")}
        try:
            secrets = fetch.graph(f"/servicePrincipals/{sp['id']}/synchronization/secrets",
                                  what="reading the synchronization secrets")
            raw.secrets = [s for s in secrets.get("value") or [] if isinstance(s, dict)]
        except SnapshotError as err:
            raw.warnings.append(f"the tenant URL and notification settings were not read ({err}); "
                                "enter them again in the served snapshot")
    else:
        raw.warnings.append(f"{app!r} has no provisioning job: the snapshot has the directory and the app, no job")
    user_props, unsupported = _graph_properties(source_attributes(raw.schema, "User"), USER.properties)
    group_props, unsupported_groups = _graph_properties(source_attributes(raw.schema, "Group"), GROUP.properties)
    raw.unsupported_attributes = sorted(set(unsupported) | set(unsupported_groups))
    select = list(dict.fromkeys([*USER_BASE, *user_props]))
    raw.users = fetch.graph_all("/users", {"$select": ",".join(select), "$expand": "manager($select=id)"},
                                what="users")
    raw.groups = fetch.graph_all("/groups", {"$select": ",".join(dict.fromkeys([*GROUP_BASE, *group_props]))},
                                 what="groups")
    for group in raw.groups:
        raw.members[group["id"]] = fetch.graph_all(f"/groups/{group['id']}/members", {"$select": "id"},
                                                   what="group members")
    if genesys:
        raw.genesys_users = fetch.scim_all("/api/v2/scim/v2/Users", what="users")
        # /api/v2/scim/v2/groups requires a filter; the v1 path lists every group.
        raw.genesys_groups = fetch.scim_all("/api/v2/scim/groups", what="groups")
    return raw
