"""The story's tenant: the given fixture (or the demo tenant's app and org) with the logs' objects.

Every object a log entry names keeps its log id (a GUID derived from it when it is not one), so a
simulated entry pairs with the real one by its source id; an object the fixture lacks is created
from the entry's source identity (its name, its userPrincipalName, the values its create or first
update shows, run back through the job's mappings).  Every other fixture object gets a fixed id
too: ids the seed would generate could meet the logs' ones.  Genesys holds at the start what the
logs' first entries find there; the Genesys OAuth clients' tokens live as long as the story, so an
Unauthorized happens only where the logs show one.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.core import ConfigError, isoformat, load_fixture

from .attributes import SPECIAL, AttributeMap, graph_property, graph_value
from .errors import IncidentError
from .logs import LogRecord
from .runs import Run, fixture_id
from .state import ImportState, LoggedObject, slug

__all__ = ["TenantBuilder", "base_fixture", "gallery_app", "upn_of"]


def base_fixture(name: str | None) -> dict[str, Any]:
    """The user's fixture, or the demo tenant's tenant, app and org without people."""
    try:
        data = copy.deepcopy(load_fixture(name or "contoso"))
    except ConfigError as err:
        raise IncidentError(f"--fixture: {err}") from err
    data.pop("_path", None)
    if name is not None:
        return data
    directory = data.setdefault("directory", {})
    directory["users"], directory["groups"] = [], []
    for app in directory.get("applications") or []:
        app["assignments"] = []
    org = data.setdefault("purecloud", {})
    org["users"] = []
    org["groups"] = []
    return data


def gallery_app(fixture: dict[str, Any]) -> dict[str, Any]:
    apps = (fixture.get("directory") or {}).get("applications") or []
    for app in apps:
        if "purecloud" in str(app.get("template", "")).lower() or "genesys" in str(app.get("displayName", "")).lower():
            return app
    if apps:
        return apps[0]
    raise IncidentError("the fixture has no enterprise application to provision from: use a fixture with the "
                        "PureCloud by Genesys app (contoso, or a `provsim snapshot`)")


def scim_user(values: dict[str, str | None]) -> dict[str, Any]:
    """A Genesys fixture user (a SCIM create body) from target attributes as logs name them."""
    body: dict[str, Any] = {}
    for attr, value in values.items():
        if value is None:
            continue
        complex_ = re.match(r'^(emails|phoneNumbers)\[type eq "(\w+)"\]\.value$', attr)
        if complex_:
            body.setdefault(complex_.group(1), []).append({"type": complex_.group(2), "value": value})
        elif attr.startswith("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"):
            name = attr.rsplit(":", 1)[1]
            if name != "manager":
                body.setdefault("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", {})[name] = value
        elif attr == "active":
            body["active"] = value.lower() == "true"
        elif attr in ("userName", "displayName", "title", "nickName", "preferredLanguage", "locale", "timezone"):
            body[attr] = value
    return body


def upn_of(record: LogRecord, amap: AttributeMap) -> str | None:
    for source in (record.source.details, record.step_details()):
        for key, value in source.items():
            if key.lower() == "userprincipalname" and isinstance(value, str) and "@" in value:
                return value
    if amap.matching and amap.matching[1].lower() == "userprincipalname":
        new = record.modified_map().get(amap.matching[0])
        if new and new[1] and "@" in new[1]:
            return new[1]
    return None


class TenantBuilder(ImportState):
    """Builds and writes the story's tenant fixture."""

    def derive_fixture(self, fixture: dict[str, Any], runs: list[Run], start: datetime) -> list[str]:
        directory = fixture.setdefault("directory", {})
        users = directory.setdefault("users", [])
        groups = directory.setdefault("groups", [])
        by_upn = {str(u.get("userPrincipalName", "")).lower(): u for u in users}
        by_user_name: dict[str, list[dict[str, Any]]] = {}
        for u in users:
            by_user_name.setdefault(str(u.get("displayName", "")).lower(), []).append(u)
        by_group = {str(g.get("displayName", "")).lower(): g for g in groups}
        keys = {str(x.get("key")) for x in users + groups if x.get("key")}
        created: list[str] = []
        first_run = runs[0].key if runs else None
        roles = {str(r.get("displayName")): r for r in self.app.get("appRoles") or []}
        role = "User" if "User" in roles else next(iter(roles), None)
        assignments = self.app.setdefault("assignments", [])
        tenant = fixture.setdefault("tenant", {})
        domains = tenant.setdefault("verifiedDomains", [])
        org = fixture.setdefault("purecloud", {})
        genesys_users = org.setdefault("users", [])
        genesys_groups = org.setdefault("groups", [])
        genesys_names = {str(u.get("userName", "")).lower() for u in genesys_users}
        genesys_group_names = {str(g.get("name", "")).lower() for g in genesys_groups}
        for obj in sorted(self.objects.values(), key=lambda o: o.records[0].index):
            head = obj.records[0]
            if obj.kind == "User":
                match = by_upn.get((obj.upn or "").lower())
                if match is None and len(by_user_name.get(obj.name.lower(), [])) == 1:
                    match = by_user_name[obj.name.lower()][0]
                if match is not None:
                    obj.known = True
                    match["id"] = obj.id
                    obj.key = str(match.get("key") or match.get("userPrincipalName"))
                    obj.upn = obj.upn or match.get("userPrincipalName")
                    continue
                domain = (obj.upn or "").rpartition("@")[2] or tenant.get("domain") or "contoso.onmicrosoft.com"
                upn = obj.upn or f"{slug(obj.name)}@{domain}"
                obj.upn = upn
                if domain not in domains and domain != tenant.get("domain"):
                    domains.append(domain)
                obj.key = self._fresh_key(slug(upn.split("@")[0]), keys)
                user: dict[str, Any] = {"key": obj.key, "id": obj.id, "userPrincipalName": upn,
                                        "displayName": obj.name or upn, "mailNickname": obj.key, "accountEnabled": True}
                start_values, genesys_before = self._start_values(obj)
                for attr, value in start_values.items():
                    source = self.amap.source_of(attr)
                    prop = graph_property(source) if source else None
                    if prop and prop not in ("userPrincipalName",) and value is not None:
                        user[prop] = graph_value(prop, value)
                if head.error_code == "UserDisabled":
                    user["accountEnabled"] = False
                users.append(user)
                created.append(f"user {upn} ({obj.id})")
                in_scope = head.error_code != "NotEffectivelyEntitled" and (
                    head.action != "create" or (head.cycle_id and first_run is not None and not self.warm_up
                                                and any(r is head for r in runs[0].records)))
                if in_scope and role is not None:
                    assignments.append({"principal": obj.key, "role": role})
                if genesys_before and upn.lower() not in genesys_names:
                    genesys_users.append({"displayName": obj.name or upn, **scim_user(genesys_before),
                                          "userName": genesys_before.get("userName") or upn})
                    genesys_names.add(upn.lower())
            else:
                match = by_group.get(obj.name.lower())
                if match is not None:
                    obj.known = True
                    match["id"] = obj.id
                    obj.key = str(match.get("key") or match.get("displayName"))
                    self._genesys_group_at_start(obj, genesys_groups, genesys_group_names)
                    continue
                obj.key = self._fresh_key(slug(obj.name), keys)
                groups.append({"key": obj.key, "id": obj.id, "displayName": obj.name or obj.key,
                               "mailNickname": obj.key, "securityEnabled": True, "mailEnabled": False, "members": []})
                created.append(f"group {obj.name} ({obj.id})")
                at_start = runs and any(r is head for r in runs[0].records) and not runs[0].on_demand
                if head.error_code != "NotEffectivelyEntitled" and role is not None and (at_start or self.warm_up):
                    assignments.append({"principal": obj.key, "role": role})
                if head.error_code != "GroupMissingInTarget" and obj.name.lower() not in genesys_group_names:
                    genesys_groups.append({"name": obj.name, "type": "official", "visibility": "public"})
                    genesys_group_names.add(obj.name.lower())
        self._members_from_logs(groups)
        # Every other object gets a fixed id too: ids the seed would generate could meet the logs' ones.
        for obj in users + groups:
            if not obj.get("id"):
                obj["id"] = fixture_id(f"fixture:{'user' if obj in users else 'group'}:{obj.get('key') or obj.get('displayName')}")
        tenant["start"] = isoformat(start)
        # Tokens live as long as the story: an Unauthorized happens where the logs show one (a fault rule).
        span = int(((runs[-1].end - start).total_seconds() if runs else 0) + 7 * 86400)
        for client in org.get("clients") or []:
            client["tokenLifetimeSeconds"] = max(int(client.get("tokenLifetimeSeconds") or 0), span)
        if isinstance(self.app.get("provisioning"), dict):
            self.fixture_job = self.app.pop("provisioning")
        else:
            self.fixture_job = None
        return created

    def _genesys_group_at_start(self, obj: LoggedObject, genesys_groups: list[dict[str, Any]], names: set[str]) -> None:
        """Genesys holds the group at the start when the logs' first entry for it finds it (and not
        when that entry says it is missing)."""
        head = obj.records[0]
        missing = head.error_code == "GroupMissingInTarget"
        found = head.status == "success" and head.action == "update"
        if found and obj.name.lower() not in names:
            genesys_groups.append({"name": obj.name, "type": "official", "visibility": "public"})
            names.add(obj.name.lower())
            self.notes.append(f"the logs find the Genesys group {obj.name!r} at once: the fixture's Genesys org gets it")
        elif missing and obj.name.lower() in names:
            genesys_groups[:] = [g for g in genesys_groups if str(g.get("name", "")).lower() != obj.name.lower()]
            names.discard(obj.name.lower())
            self.notes.append(f"the logs find no Genesys group {obj.name!r}: the fixture's Genesys org loses it")

    @staticmethod
    def _fresh_key(base: str, keys: set[str]) -> str:
        key, n = base, 2
        while key in keys:
            key, n = f"{base}-{n}", n + 1
        keys.add(key)
        return key

    def _start_values(self, obj: LoggedObject) -> tuple[dict[str, str | None], dict[str, str | None]]:
        """(target attributes as the object's source had them first, Genesys' values before it was linked)."""
        values: dict[str, str | None] = {}
        genesys: dict[str, str | None] = {}
        for record in obj.records:
            for attr, old, new in record.modified:
                if attr in values or attr.lower() in SPECIAL:
                    continue
                first_link = record.action in ("create",) or (record.action == "update" and not self.warm_up
                                                               and record is obj.records[0])
                values[attr] = new if first_link else old
                if record.action == "update" and record is obj.records[0]:
                    genesys[attr] = old
        if obj.records[0].action == "update" and obj.records[0].target.display_name:
            genesys.setdefault("userName", obj.records[0].target.display_name)
        elif genesys and obj.upn:
            genesys.setdefault("userName", obj.upn)
        return values, genesys

    def _members_from_logs(self, groups: list[dict[str, Any]]) -> None:
        """Groups created from the logs get the members their first whole-membership update added."""
        for obj in self.objects.values():
            if obj.kind != "Group" or obj.known:
                continue
            group = next(g for g in groups if g.get("key") == obj.key)
            for record in obj.records:
                added = record.step_details().get("Added")
                if record.modified_map().get("members") and added:
                    for target_id in added.split(","):
                        member = self.target_of.get(target_id.strip())
                        if member is not None and member in self.objects:
                            group["members"].append(self.objects[member].key)
                    break

    def write_fixture(self, fixture: dict[str, Any], path: Path) -> None:
        from simulator.graph.generate import write_fixture

        path.parent.mkdir(parents=True, exist_ok=True)
        write_fixture(fixture, path)
        header = (f"# The tenant of the story {self.out.name}, written by `provsim incident import`: "
                  + ("the given fixture" if self.options.fixture else "the demo tenant's app and Genesys org")
                  + " with the objects the logs name\n# (their log ids kept) and a start time at the logs' first run.\n")
        path.write_text(header + path.read_text(encoding="utf-8"), encoding="utf-8")
