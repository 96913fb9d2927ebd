"""What the provisioning service remembers, in store tables.

* ``sync_jobs``: the synchronizationJob documents (schedule, status, settings,
  schema, watermark).
* ``sync_secrets``: the secrets of each service principal (tenant URL, token, ...).
* ``sync_objects``: the connector data store: for every object the job ever
  provisioned, the link source id -> target id and what it last exported
  (manager, members).  Deprovisioning only ever touches objects found here.
* ``sync_escrows``: objects waiting for a retry.
* ``sync_counts``: ``synchronizedEntryCountByType``: how many objects of each type the job
  ever linked.  Like the portal's counts they come from the connector data store, never drop
  when an object is deleted, and are recalculated only when the job is restarted.
* ``provisioning_logs``: provisioningObjectSummary entries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from simulator.core import Index, IndexedTable, Store

__all__ = ["ConnectorCache", "ConnectorEntry", "LinkState", "tables"]


def tables(store: Store) -> dict[str, IndexedTable]:
    return {
        "jobs": store.table("sync_jobs", [Index("id", unique=True), Index("servicePrincipalId")]),
        "secrets": store.table("sync_secrets", [Index("servicePrincipalId", unique=True)]),
        "objects": store.table("sync_objects", [Index("key", unique=True), Index("jobId"),
                                                Index("targetKey", key=lambda d: f"{d['jobId']}|{d.get('targetId')}" if d.get("targetId") else None),
                                                Index("missing", key=lambda d: d["jobId"] if d.get("state") == "missing" else None)]),
        "escrows": store.table("sync_escrows", [Index("key", unique=True), Index("jobId")]),
        "counts": store.table("sync_counts", [Index("key", unique=True), Index("jobId")]),
        "logs": store.table("provisioning_logs", [Index("id", unique=True), Index("jobId"), Index("cycleId")]),
    }


class LinkState(str, Enum):
    """Where a linked object stands."""

    ACTIVE = "active"  # in scope and enabled
    DISABLED = "disabled"  # disabled in Entra (or soft-deleted) while managed
    OUT_OF_SCOPE = "outOfScope"  # left scope (unassigned, scoping filter): no longer managed
    MISSING = "missing"  # a group with no target counterpart yet (looked up again every cycle)


@dataclass(frozen=True)
class ConnectorEntry:
    """One object of the connector data store: the link source id -> target id and what the job
    last knew of it in the target (manager, members)."""

    source_id: str
    object_type: str  # "User" | "Group"
    state: LinkState
    target_id: str | None = None
    display_name: str | None = None
    target_name: str | None = None
    #: the target id of the manager the target holds, as last exported or read
    manager: str | None = None
    #: the target ids of the group's members, as last exported
    members: tuple[str, ...] = ()
    #: soft-deleted in Entra while managed (restoring re-enables it)
    soft_deleted: bool = False

    @property
    def linked(self) -> bool:
        return bool(self.target_id)

    @property
    def managed(self) -> bool:
        """Linked and still managed (active or disabled, not left scope)."""
        return self.linked and self.state in (LinkState.ACTIVE, LinkState.DISABLED)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> ConnectorEntry:
        return cls(source_id=doc["sourceId"], object_type=doc["objectType"], state=LinkState(doc.get("state") or "active"),
                   target_id=doc.get("targetId"), display_name=doc.get("displayName"), target_name=doc.get("targetName"),
                   manager=doc.get("manager"), members=tuple(doc.get("members") or ()),
                   soft_deleted=bool(doc.get("softDeleted")))

    def fields(self) -> dict[str, object]:
        """The stored document's fields (without the keys)."""
        return {"sourceId": self.source_id, "objectType": self.object_type, "targetId": self.target_id,
                "displayName": self.display_name, "targetName": self.target_name, "state": self.state.value,
                "manager": self.manager, "members": list(self.members), "softDeleted": self.soft_deleted}


class ConnectorCache:
    """The job's links between Entra objects and Genesys objects."""

    def __init__(self, store: Store, job_id: str) -> None:
        self.store = store
        self.job_id = job_id
        t = tables(store)
        self.table = t["objects"]
        self.count_table = t["counts"]

    def _key(self, source_id: str) -> str:
        return f"{self.job_id}|{source_id}"

    def get(self, source_id: str | None) -> ConnectorEntry | None:
        if not source_id:
            return None
        doc = self.table.find("key", self._key(source_id))
        return ConnectorEntry.from_doc(doc) if doc is not None else None

    def put(self, source_id: str, object_type: str, target_id: str | None, display_name: str | None,
            target_name: str | None, *, state: LinkState) -> ConnectorEntry:
        """Link (or re-link) an object; the manager and members it had are kept when the target id stays."""
        existing_doc = self.table.find("key", self._key(source_id))
        existing = ConnectorEntry.from_doc(existing_doc) if existing_doc is not None else None
        entry = ConnectorEntry(source_id, object_type, state, target_id, display_name, target_name)
        if existing is not None and existing.target_id == target_id:
            entry = replace(entry, manager=existing.manager, members=existing.members)
        doc = {"key": self._key(source_id), "jobId": self.job_id, **entry.fields()}
        if existing_doc is not None:
            self.table.put(existing_doc.doc_id, doc)
        else:
            self.table.add(doc)
        if target_id and not (existing is not None and existing.target_id):
            self._count(object_type, 1)
        return entry

    def _count(self, object_type: str, delta: int) -> None:
        counts = self.count_table
        key = f"{self.job_id}|{object_type}"
        doc = counts.find("key", key)
        if doc is None:
            counts.add({"key": key, "jobId": self.job_id, "objectType": object_type, "value": delta})
        else:
            counts.patch(doc.doc_id, {"value": doc["value"] + delta})

    def update(self, entry: ConnectorEntry, **changes: Any) -> ConnectorEntry:
        """Store ``entry`` with ``changes`` (``state=``, ``manager=``, ``members=``, ...); returns it."""
        new = replace(entry, **changes)
        existing = self.table.find("key", self._key(entry.source_id))
        if existing is not None:
            stored = new.fields()
            self.table.patch(existing.doc_id, {k: v for k, v in stored.items() if existing.get(k) != v})
        return new

    def remove(self, source_id: str) -> None:
        existing = self.table.find("key", self._key(source_id))
        if existing is not None:
            self.table.delete(existing.doc_id)

    def missing_groups(self) -> list[str]:
        """Groups with no Genesys counterpart yet (looked up again every cycle)."""
        with self.store.lock:
            return [self.table.row(i)["sourceId"] for i in self.table.ids_by("missing", self.job_id)]

    def entries(self) -> Iterator[ConnectorEntry]:
        for doc in self.table.find_all("jobId", self.job_id):
            yield ConnectorEntry.from_doc(doc)

    def linked(self) -> dict[str, int]:
        """Objects linked to a target object now, by type."""
        out: dict[str, int] = {}
        for entry in self.entries():
            if entry.linked:
                out[entry.object_type] = out.get(entry.object_type, 0) + 1
        return out

    def counts(self) -> dict[str, int]:
        """synchronizedEntryCountByType: objects linked since the last restart, by type; a delete
        does not lower it ("Check the status of user provisioning" (Microsoft Learn))."""
        stored = {doc["objectType"]: doc["value"] for doc in self.count_table.find_all("jobId", self.job_id)}
        # A state file written before the counts were kept has links but no counts: count the links.
        return stored if stored else self.linked()

    def recount(self) -> None:
        """Recalculate the counts from the links there are now (what a restart does)."""
        for doc in self.count_table.find_all("jobId", self.job_id):
            self.count_table.delete(doc.doc_id)
        for object_type, value in sorted(self.linked().items()):
            self._count(object_type, value)

    def clear(self) -> None:
        """Forget every link (and the counts): ``resetScope`` ConnectorDataStore, or the job deleted."""
        for doc in list(self.table.find_all("jobId", self.job_id)):
            self.table.delete(doc.doc_id)
        for doc in self.count_table.find_all("jobId", self.job_id):
            self.count_table.delete(doc.doc_id)
