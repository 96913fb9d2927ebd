"""``/directory/deletedItems``: soft-deleted objects, restorable for 30 days, then purged by a job on
``runtime.clock``."""

from __future__ import annotations

from typing import Any

from simulator.core import Index, UniqueConstraintError, parse_datetime

from ..errors import BadRequest, ResourceNotFound
from .base import DUPLICATE_UPN_MESSAGE, RETENTION, EntitySet, is_guid

__all__ = ["DeletedItems"]


class DeletedItems(EntitySet):
    """Soft-deleted users, Microsoft 365 groups and applications in ``graph_deleted`` (id, kind), each
    with what it lost: memberships, members, assignments, a user's manager and original UPN."""

    def __init__(self, directory) -> None:
        super().__init__(directory)
        self.table = self.store.table("graph_deleted", [
            Index("id", unique=True, normalize=str.lower),
            Index("kind", key=lambda d: d["kind"]),
        ])
        self._purge_jobs: dict[str, Any] = {}

    def of_kind(self, kind: str) -> list[dict]:
        """``GET /directory/deletedItems/microsoft.graph.{kind}``."""
        return [dict(d) for d in self.table.find_all("kind", kind)]

    def get(self, object_id: str) -> dict | None:
        doc = self.table.find("id", object_id) if isinstance(object_id, str) else None
        return dict(doc) if doc is not None else None

    def restore(self, object_id: str) -> tuple[str, dict]:
        """``POST /directory/deletedItems/{id}/restore``: back with its memberships and assignments."""
        d = self.directory
        with self.store.transaction():
            record = self.table.find("id", object_id) if is_guid(object_id) else None
            if record is None:
                raise ResourceNotFound.for_id(object_id)
            kind = record["kind"]
            obj = {k: v for k, v in record["object"].items() if k != "deletedDateTime"}
            self.table.delete(record.doc_id)
            if kind == "user":
                obj["userPrincipalName"] = record["originalUserPrincipalName"]
                manager = record.get("manager")
                obj["_manager"] = manager if manager and d.users.get(manager) else None
                try:
                    d.users.table.add(obj)
                except UniqueConstraintError as err:
                    raise BadRequest(DUPLICATE_UPN_MESSAGE) from err
            elif kind == "group":
                d.groups.table.add(obj)
            elif kind == "application":
                d.applications.table.add(obj)
            self.emit(kind, obj["id"], "restored")
            for gid in record.get("memberships") or []:
                if d.groups.get(gid) is not None and not d.groups.is_member(gid, obj["id"]):
                    d.groups.members.add({"groupId": gid, "memberId": obj["id"], "memberType": kind})
                    self.emit("group", gid, "member_added", member=obj["id"], memberType=kind)
            for member_id, member_type in record.get("members") or []:
                if d.get_object(member_id) is not None and not d.groups.is_member(obj["id"], member_id):
                    d.groups.members.add({"groupId": obj["id"], "memberId": member_id, "memberType": member_type})
                    self.emit("group", obj["id"], "member_added", member=member_id, memberType=member_type)
            for a in record.get("assignments") or []:
                if d.service_principals.get(a["resourceId"]) is not None and d.assignments.get(a["id"]) is None:
                    d.assignments.table.add(dict(a))
                    self.emit("assignment", a["id"], "assigned", principal=a["principalId"],
                              principalType=a["principalType"], resource=a["resourceId"], appRoleId=a["appRoleId"])
        self._cancel_purge(object_id)
        owner = {"user": d.users, "group": d.groups, "application": d.applications}[kind]
        return kind, owner.stored(obj["id"])

    def purge(self, object_id: str) -> None:
        """``DELETE /directory/deletedItems/{id}``: gone for good."""
        with self.store.transaction():
            record = self.table.find("id", object_id) if is_guid(object_id) else None
            if record is None:
                raise ResourceNotFound.for_id(object_id)
            self.table.delete(record.doc_id)
            self.emit(record["kind"], record["id"], "purged")
        self._cancel_purge(record["id"])

    # ------------------------------------------------------------------ the purge jobs
    def schedule_purge(self, object_id: str, deleted_at: str) -> None:
        """Purge ``object_id`` :data:`RETENTION` after ``deleted_at`` (virtual time)."""
        due = parse_datetime(deleted_at) + RETENTION

        def purge_job(_now, object_id=object_id):
            self._purge_jobs.pop(object_id.lower(), None)
            if self.get(object_id) is None:
                return {"purged": None}
            self.purge(object_id)
            return {"purged": object_id}

        self._purge_jobs[object_id.lower()] = self.directory.runtime.clock.schedule(due, purge_job, name="graph.purge")

    def _cancel_purge(self, object_id: str) -> None:
        job = self._purge_jobs.pop(object_id.lower(), None)
        if job is not None:
            job.cancel()

    def forget_purges(self) -> None:
        """After a reset: the clock's jobs are gone already."""
        self._purge_jobs.clear()

    def reschedule_purges(self) -> None:
        """After a state file is resumed: one purge job per stored deleted item."""
        for job in self._purge_jobs.values():
            job.cancel()
        self._purge_jobs.clear()
        for _doc_id, record in list(self.table.docs()):
            self.schedule_purge(record["id"], record["deletedDateTime"])
