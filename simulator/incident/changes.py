"""Source changes: what happened in Entra (or by hand in Genesys) before each run, read from its entries.

An update's ``modifiedProperties`` become the Entra attribute the job's mapping reads, set to the new
value; a disable a soft delete, a disabled account or a lost assignment (direct, or the group it
came through), as its import and scoping steps say; a create an assignment, a group membership, an
enabled or restored account; a delete a hard delete; a manager change the manager reference; an
old value that is not what provisioning last wrote a change made by hand in Genesys.  Each step is
taken against the state the story has reached (read in-process, never through a request that could
count against the story's own fault rules).
"""

from __future__ import annotations

from typing import Any

from .attributes import SPECIAL, graph_property, graph_value, solve
from .logs import LogRecord
from .runs import Run, fixture_id
from .state import FAULT_STATUS, ImportState, LoggedObject, current_value, ref

__all__ = ["SourceChanges"]


class SourceChanges(ImportState):
    """The directory changes (and Genesys changes by hand) before a run."""

    def changes_before(self, run: Run) -> None:
        full = run.key in self.full_runs
        groups = [r for r in run.records if r.source.kind == "Group"]
        users = [r for r in run.records if r.source.kind == "User"]
        for record in groups:  # groups first: a group leaving the app takes its members along
            self._group_scope(record, run)
        for record in users:
            self._user_changes(record, run, full)
        for record in groups:
            self._group_members(record, run, full)

    def _in_scope(self, obj: LoggedObject) -> bool:
        return bool(self._assigned_directly(obj) or self._assigned_groups(obj))

    def _assigned_directly(self, obj: LoggedObject) -> bool:
        return bool(self.directory.assignments_for_principal(obj.id, self.sp_id()))

    def _assigned_groups(self, obj: LoggedObject) -> list[dict[str, Any]]:
        out = []
        for group in self.directory.member_of(obj.id):
            gid = group.get("id") if isinstance(group, dict) else None
            if gid and self.directory.assignments_for_principal(gid, self.sp_id()):
                out.append(group)
        return out

    def _group_key(self, group_id: str) -> str:
        """``${group:KEY}`` for a directory group (every fixture group has a key)."""
        keys = self.runtime.store.meta().get("fixture_keys") or {}
        key = next((k for k, v in sorted(keys.items()) if v == group_id), None)
        return ref("group", key) if key else group_id

    def _user_changes(self, record: LogRecord, run: Run, full: bool) -> None:
        obj = self.obj(record)
        key = (obj.kind, obj.id)
        code = record.error_code
        if record.action == "create":
            self._bring_into_scope(obj, record, run)
            if record.status == "success":
                self._attribute_changes(obj, record, creating=True)
            return
        if record.action in ("disable", "stagedDelete") or (
                record.action == "update" and (record.modified_map().get("active") or (None, None))[1] == "False"):
            self._leave(obj, record, run)
            return
        if record.action == "delete":
            self._hard_delete(obj, record)
            return
        if record.action == "update":
            active = record.modified_map().get("active")
            if active and active[1] == "True" and active[0] == "False":
                self._bring_into_scope(obj, record, run)
            if key not in self.linked and full:
                self._attribute_changes(obj, record, creating=True)  # matched: Entra holds the new values
                return
            self._genesys_drift(obj, record)
            if record.status == "failure" and not record.modified:
                self._failed_change(obj, record, run)
                return
            if code == "EntrySynchronizationSkipped" and not record.modified and "target object action is off" in record.reason:
                self._failed_change(obj, record, run)
                return
            self._attribute_changes(obj, record, creating=False)
            return
        if record.action == "other":
            if code == "UserDisabled":
                user = self.sim_user(obj)
                if user is not None and user.get("accountEnabled", True) and key in self.linked:
                    self.step("graph", {"method": "PATCH", "path": f"/users/{self.user_ref(obj)}",
                                         "body": {"accountEnabled": False}},
                               comment=f"log {record.id}: {obj.upn} is disabled in Entra")
            elif code in (None, "", "NotEffectivelyEntitled", "RedundantExport", "EntrySynchronizationSkipped"):
                return
            elif record.status == "failure" and code in FAULT_STATUS | {"WebExceptionProtocolError": 0}:
                return  # a failure of the object itself: its fault rule comes with the run's faults
            else:
                self.skip(record, f"no source change or fault gives {code!r}")

    def _bring_into_scope(self, obj: LoggedObject, record: LogRecord, run: Run) -> None:
        """The user must be in scope and enabled (a create, or a re-enable)."""
        if self.directory.get_user(obj.id) is None and self.directory.get_deleted(obj.id) is not None:
            self.step("graph", {"method": "POST", "path": f"/directory/deletedItems/{obj.id}/restore"},
                       comment=f"log {record.id}: {obj.upn} comes back: restored from the deleted items")
        user = self.sim_user(obj)
        if user is None:
            self.skip(record, f"{obj.upn} is not in the story's directory")
            return
        if not user.get("accountEnabled", True):
            self.step("graph", {"method": "PATCH", "path": f"/users/{self.user_ref(obj)}", "body": {"accountEnabled": True}},
                       comment=f"log {record.id}: {obj.upn} is enabled in Entra")
        if self._in_scope(obj):
            return
        added_to = self._group_adding(obj, run)
        if added_to is not None:
            self.step("graph", {"method": "POST", "path": f"/groups/{added_to}/members/$ref",
                                 "body": {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{obj.id}"}},
                       comment=f"log {record.id}: {obj.upn} joins an assigned group (the group's update adds them)")
            if self._in_scope(obj):
                return
        self.step("assign", {"principal": ref("user", obj.key)},
                   comment=f"log {record.id}: {obj.upn} comes into scope: assigned to the app")

    def _group_adding(self, obj: LoggedObject, run: Run) -> str | None:
        """An assigned group whose update in this run adds the user (by its target id)."""
        targets = {r.target.id for r in obj.records if r.target.id}
        for record in run.records:
            if record.source.kind != "Group":
                continue
            added = [t.strip() for t in record.step_details().get("Added", "").split(",") if t.strip()]
            if targets & set(added):
                group = self.objects[("Group", fixture_id(record.source.id))]
                if self.directory.get_group(group.id) and self.directory.assignments_for_principal(group.id, self.sp_id()):
                    if not self.directory.is_member(group.id, obj.id):
                        return ref("group", group.key)
        return None

    def _leave(self, obj: LoggedObject, record: LogRecord, run: Run) -> None:
        """A disable (or one the guard held back): why did the user leave?"""
        text = " ".join([s.description for s in record.steps] + [record.reason]).lower()
        details = {k.lower(): v.lower() for k, v in record.step_details().items()}
        user = self.sim_user(obj)
        if "change of type (delete)" in text or "deleted in entra" in text or "soft-deleted" in text:
            if user is not None:
                self.step("graph", {"method": "DELETE", "path": f"/users/{self.user_ref(obj)}"},
                           comment=f"log {record.id}: {obj.upn} is deleted in Entra (a soft delete)")
            return
        if user is None:
            return
        disabled = details.get("accountenabled") == "false" or "isactive" in text or "is disabled" in text \
            or details.get("isactive") == "false" or details.get("active in the source system") == "false"
        unassigned = "not assigned" in text or details.get("assigned") == "false" \
            or details.get("assigned to the application") == "false"
        if disabled:
            if user.get("accountEnabled", True):
                self.step("graph", {"method": "PATCH", "path": f"/users/{self.user_ref(obj)}",
                                     "body": {"accountEnabled": False}},
                           comment=f"log {record.id}: {obj.upn} is disabled in Entra")
            return
        if unassigned or not disabled:
            if not self._in_scope(obj):
                return  # already out (the group it came through left the app in this run)
            if not unassigned and "scopingfilter" in text.replace(" ", ""):
                self.skip(record, "the user left the scoping filter; the logs do not say which attribute changed")
                return
            if self._assigned_directly(obj):
                self.step("unassign", {"principal": ref("user", obj.key)},
                           comment=f"log {record.id}: {obj.upn} is removed from the app")
            for group in self._assigned_groups(obj):
                self.step("graph", {"method": "DELETE",
                                     "path": f"/groups/{self._group_key(group['id'])}/members/{obj.id}/$ref"},
                           comment=f"log {record.id}: {obj.upn} leaves {group.get('displayName')} (assigned to the app)")

    def _hard_delete(self, obj: LoggedObject, record: LogRecord) -> None:
        if self.sim_user(obj) is not None:
            self.step("graph", {"method": "DELETE", "path": f"/users/{self.user_ref(obj)}"},
                       comment=f"log {record.id}: {obj.upn} is deleted in Entra ...")
        if self.directory.get_deleted(obj.id) is not None:
            self.step("graph", {"method": "DELETE", "path": f"/directory/deletedItems/{obj.id}", "expect_status": [204, 404]},
                       comment=f"log {record.id}: ... and purged from the deleted items (a hard delete)")

    def _attribute_changes(self, obj: LoggedObject, record: LogRecord, *, creating: bool) -> None:
        user = self.sim_user(obj)
        if user is None:
            return
        body: dict[str, Any] = {}
        said: list[str] = []
        for attr, old, new in record.modified:
            lowered = attr.lower()
            if lowered.endswith(":manager") or lowered == "manager":
                self._manager_change(obj, record, new, creating=creating)
                continue
            if lowered in SPECIAL:
                continue
            source = self.amap.source_of(attr)
            prop = graph_property(source) if source else None
            expression = self.amap.expressions.get(attr)
            if source is None and expression and not creating:
                solved = solve(expression, {**user, "IsSoftDeleted": False, "objectId": user.get("id")}, new)
                solved_prop = graph_property(solved[0]) if solved is not None else None
                if solved is not None and solved_prop is not None:
                    if current_value(user, solved[0]) != (solved[1] or None):
                        body[solved_prop] = graph_value(solved_prop, solved[1])
                        said.append(f"{attr} {old!r} -> {new!r} ({expression} of {solved[0]} {solved[1]!r})")
                    continue
            if prop is None:
                if not creating:
                    self.skip(record, self.amap.why_not(attr) if source is None else
                               f"{attr} comes from the Entra attribute {source}, which Microsoft Graph does not expose")
                continue
            if current_value(user, source or prop) == (new or None):
                continue
            body[prop] = graph_value(prop, new)
            said.append(f"{attr} {old!r} -> {new!r}")
        if body:
            self.step("graph", {"method": "PATCH", "path": f"/users/{self.user_ref(obj)}", "body": body},
                       comment=f"log {record.id}: " + "; ".join(said))

    def _manager_change(self, obj: LoggedObject, record: LogRecord, new: str | None, *, creating: bool) -> None:
        user = self.sim_user(obj)
        current = (self.directory.manager_of(obj.id) or {}).get("id") if user is not None else None
        if not new and record.status == "warning":
            self._unprovisioned_manager(obj, record, current)
            return
        if not new:
            if current and not creating:
                self.step("graph", {"method": "DELETE", "path": f"/users/{self.user_ref(obj)}/manager/$ref"},
                           comment=f"log {record.id}: {obj.upn} has no manager any more")
            return
        manager = self.target_of.get(new)
        if manager is None or manager not in self.objects:
            if not creating:
                self.skip(record, f"the new manager ({new}) is a Genesys user the logs never link to an Entra user")
            return
        target = self.objects[manager]
        if current == target.id:
            return
        self.step("graph", {"method": "PUT", "path": f"/users/{self.user_ref(obj)}/manager/$ref",
                             "body": {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{target.id}"}},
                   comment=f"log {record.id}: {obj.upn}'s manager is {target.upn or target.name}")

    def _genesys_drift(self, obj: LoggedObject, record: LogRecord) -> None:
        """An update whose old value is not what the service last wrote: someone changed it in Genesys."""
        known = self.target_values.get((obj.kind, obj.id)) or {}
        drift = [(attr, old) for attr, old, _new in record.modified
                 if attr in known and known[attr] != old and attr.lower() not in SPECIAL
                 and not attr.lower().endswith(":manager")]
        name = self.target_name(obj, record)
        if not drift or name is None:
            return
        operations = [{"op": "replace", "path": attr, "value": old} for attr, old in drift]
        self.step("genesys", {"method": "PATCH", "path": f"/Users/{ref('genesys_user', name)}",
                               "body": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                        "Operations": operations}},
                   comment=f"log {record.id}: Genesys held " + ", ".join(f"{a} {o!r}" for a, o in drift)
                           + ", not what provisioning last wrote: changed by hand in Genesys")
        for attr, old in drift:
            known[attr] = old

    def _unprovisioned_manager(self, obj: LoggedObject, record: LogRecord, current: str | None) -> None:
        """A warning that drops the manager reference: the new manager is not provisioned.  Who it is,
        a later entry may tell (the reference set once the manager is in Genesys)."""
        for later in obj.records:
            if later.at <= record.at:
                continue
            change = next(((old, new) for attr, old, new in later.modified if attr.lower().endswith("manager")), None)
            if change and change[1]:
                manager = self.target_of.get(change[1])
                if manager in self.objects and self.objects[manager].id != current:
                    target = self.objects[manager]
                    self.step("graph", {"method": "PUT", "path": f"/users/{self.user_ref(obj)}/manager/$ref",
                                         "body": {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{target.id}"}},
                               comment=f"log {record.id}: {obj.upn}'s new manager, {target.upn or target.name}, is not "
                                       "provisioned yet (a later entry links them)")
                    return
                break
        self.skip(record, "the manager reference was dropped for a manager who is not provisioned; the logs never "
                           "say who the manager is")

    def _failed_change(self, obj: LoggedObject, record: LogRecord, run: Run) -> None:
        """A failed update whose change the entry does not show: the change the object's next
        successful update shows, or (none) a placeholder change that makes the service send one."""
        key = (obj.kind, obj.id)
        if key in self.failing:
            return  # the same change, retried
        later = [r for r in obj.records if r.at > record.at]
        for nxt in later:
            if nxt.status == "success" and nxt.modified:
                self._attribute_changes(obj, nxt, creating=False)
                self.failing.add(key)
                return
            if nxt.status == "success":
                break
        user = self.sim_user(obj)
        target = next((t for t, s in self.amap.sources.items() if graph_property(s) in ("jobTitle", "department")), None)
        prop = graph_property(self.amap.sources[target]) if target else None
        if user is None or prop is None:
            self.skip(record, "the entry does not say what was to change, and the mapping offers no attribute to change")
            return
        self.step("graph", {"method": "PATCH", "path": f"/users/{self.user_ref(obj)}",
                             "body": {prop: f"{user.get(prop) or ''} (changed)".strip()}},
                   comment=f"log {record.id}: the logs do not say what changed for {obj.upn}: a placeholder change "
                           f"to {prop} makes the service send the update that failed")
        self.failing.add(key)

    def _group_scope(self, record: LogRecord, run: Run) -> None:
        obj = self.obj(record)
        group = self.directory.get_group(obj.id)
        if group is None:
            self.skip(record, f"the group {obj.name} is not in the story's directory")
            return
        assigned = bool(self.directory.assignments_for_principal(obj.id, self.sp_id()))
        if record.error_code != "NotEffectivelyEntitled" and not assigned:
            self.step("assign", {"principal": ref("group", obj.key)},
                       comment=f"log {record.id}: the group {obj.name} comes into scope: assigned to the app")
            return
        if record.error_code == "NotEffectivelyEntitled" and assigned:
            self.step("unassign", {"principal": ref("group", obj.key)},
                       comment=f"log {record.id}: the group {obj.name} is removed from the app")
            return
        if record.status == "success" and record.action == "update" and (obj.kind, obj.id) not in self.linked:
            names = {str(g.get("displayName", "")).lower() for g in self.runner.genesys_state("Groups")}
            if obj.name.lower() not in names and run.key not in self.full_runs:
                self.step("genesys", {"api": "platform", "method": "POST", "path": "/groups",
                                       "body": {"name": obj.name, "type": "official", "visibility": "public",
                                                "rulesVisible": True}},
                           comment=f"log {record.id}: a Genesys admin creates the group {obj.name} (the next cycle links it)")

    def _group_members(self, record: LogRecord, run: Run, full: bool) -> None:
        obj = self.obj(record)
        members = record.modified_map().get("members")
        if not members or record.status != "success":
            return
        if full or (obj.kind, obj.id) not in self.linked:
            return  # the whole membership, from the directory as it is
        details = record.step_details()
        for op, listed in (("add", details.get("Added", "")), ("remove", details.get("Removed", ""))):
            for target_id in [t.strip() for t in listed.split(",") if t.strip()]:
                member = self.target_of.get(target_id)
                if member is None or member not in self.objects:
                    self.skip(record, f"a member ({target_id}) the logs never link to an Entra user")
                    continue
                user = self.objects[member]
                present = self.directory.is_member(obj.id, user.id)
                if op == "add" and not present:
                    self.step("graph", {"method": "POST", "path": f"/groups/{ref('group', obj.key)}/members/$ref",
                                         "body": {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user.id}"}},
                               comment=f"log {record.id}: {user.upn} is added to {obj.name}")
                elif op == "remove" and present:
                    self.step("graph", {"method": "DELETE", "path": f"/groups/{ref('group', obj.key)}/members/{user.id}/$ref"},
                               comment=f"log {record.id}: {user.upn} is removed from {obj.name}")
