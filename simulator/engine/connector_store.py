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

from collections.abc import Iterator
from typing import Any

from simulator.core import Index, IndexedTable, Store

__all__ = ["ConnectorCache", "tables"]


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

    def get(self, source_id: str | None) -> dict[str, Any] | None:
        if not source_id:
            return None
        return self.table.find("key", self._key(source_id))

    def put(self, source_id: str, object_type: str, target_id: str | None, display_name: str | None,
            target_name: str | None, *, state: str) -> None:
        doc: dict[str, Any] = {"key": self._key(source_id), "jobId": self.job_id, "sourceId": source_id, "objectType": object_type,
               "targetId": target_id, "displayName": display_name, "targetName": target_name, "state": state,
               "manager": None, "members": []}
        existing = self.table.find("key", doc["key"])
        if existing is not None:
            keep = {k: existing.get(k) for k in ("manager", "members")} if existing.get("targetId") == target_id else {}
            self.table.put(existing.doc_id, {**doc, **keep})
        else:
            self.table.add(doc)
        if target_id and not (existing is not None and existing.get("targetId")):
            self._count(object_type, 1)

    def _count(self, object_type: str, delta: int) -> None:
        counts = self.count_table
        key = f"{self.job_id}|{object_type}"
        doc = counts.find("key", key)
        if doc is None:
            counts.add({"key": key, "jobId": self.job_id, "objectType": object_type, "value": delta})
        else:
            counts.patch(doc.doc_id, {"value": doc["value"] + delta})

    def update(self, source_id: str, fields: dict[str, Any]) -> None:
        existing = self.table.find("key", self._key(source_id))
        if existing is not None:
            self.table.patch(existing.doc_id, fields)

    def remove(self, source_id: str) -> None:
        existing = self.table.find("key", self._key(source_id))
        if existing is not None:
            self.table.delete(existing.doc_id)

    def missing_groups(self) -> list[str]:
        """Groups with no Genesys counterpart yet (looked up again every cycle)."""
        with self.store.lock:
            return [self.table.row(i)["sourceId"] for i in self.table.ids_by("missing", self.job_id)]

    def entries(self) -> Iterator[dict[str, Any]]:
        yield from self.table.find_all("jobId", self.job_id)

    def linked(self) -> dict[str, int]:
        """Objects linked to a target object now, by type."""
        out: dict[str, int] = {}
        for doc in self.entries():
            if doc.get("targetId"):
                out[doc["objectType"]] = out.get(doc["objectType"], 0) + 1
        return out

    def counts(self) -> dict[str, int]:
        """synchronizedEntryCountByType: objects linked since the last restart, by type; a delete
        does not lower it (reference §5, the portal's counts)."""
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
