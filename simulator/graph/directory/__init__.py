"""The Entra directory as a service: users, groups, members, managers, apps,
app-role assignments, deleted items and the change feed.  No Flask here.

The Graph views, the seeding code, scenarios and (through
:mod:`simulator.graph.reader`) the provisioning engine all go through the
:class:`Directory`; nothing else touches its tables.  It lives in
``runtime.service(DIRECTORY)`` and holds one entity set per Graph collection,
each in its own module and owning its store table(s) (``simulator.core.store``
tables, every lookup through an index)::

    directory.users               Users              graph_users
    directory.groups              Groups             graph_groups, graph_members
    directory.applications        Applications       graph_applications
    directory.service_principals  ServicePrincipals  graph_service_principals
    directory.assignments         AppRoleAssignments graph_assignments
    directory.deleted_items       DeletedItems       graph_deleted   (with what each object lost)
    directory.feed                                   graph_feed      the change feed, append-only

The change feed is what Graph delta and the engine's reader read.  An event is
``{"seq", "type", "id", "op", ...}``; ``seq`` is the store sequence number the
event was written at, so a watermark is just a store position and
``feed.changes_since(watermark)`` costs what changed, not the tenant size.
Operations: ``created``, ``updated``, ``deleted`` (soft), ``restored``,
``purged`` (gone for good), ``manager`` (user's manager set/removed),
``member_added`` / ``member_removed`` (on the group, with ``member`` and
``memberType``), ``assigned`` / ``unassigned`` (type ``assignment``, with
``principal``, ``principalType``, ``resource``, ``appRoleId``).

Soft-deleted objects wait in ``graph_deleted`` and are purged 30 virtual days
later by a job on ``runtime.clock`` (re-scheduled when a state file is resumed).

The flat method names of earlier releases (``directory.create_user(…)``,
``directory.assign(…)``; see :data:`LEGACY_NAMES`) still work and are deprecated:
they will be removed in the next release; call the entity set instead
(``directory.users.create(…)``, ``directory.assignments.create(…)``).

Other code adds Graph routes (the synchronization API) with
:func:`simulator.graph.graph_blueprint`; it reaches this service through
``runtime.service(DIRECTORY)``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from simulator.core import isoformat

from ..errors import BadRequest
from .applications import Applications, ServicePrincipals
from .assignments import AppRoleAssignments
from .base import DEFAULT_ACCESS_ROLE, DUPLICATE_MEMBER_MESSAGE, RETENTION, EntitySet, is_guid, required
from .deleted_items import DeletedItems
from .groups import Groups
from .seed import TEMPLATE_IDS, seed_directory
from .users import Users

__all__ = ["Directory", "RETENTION", "DEFAULT_ACCESS_ROLE", "DUPLICATE_MEMBER_MESSAGE", "TEMPLATE_IDS", "is_guid",
           "EntitySet", "Users", "Groups", "Applications", "ServicePrincipals", "AppRoleAssignments", "DeletedItems",
           "LEGACY_NAMES"]

#: Deprecated flat names -> (entity set, method); removed in the next release.
LEGACY_NAMES: dict[str, tuple[str, str]] = {
    **{f"{old}_user": ("users", old) for old in ("get", "require", "create", "update", "delete")},
    **{name: ("users", name) for name in ("set_manager", "remove_manager", "manager_of", "direct_reports")},
    **{f"{old}_group": ("groups", old) for old in ("get", "require", "create", "update", "delete")},
    **{name: ("groups", name) for name in ("list_members", "member_links", "member_of", "is_member", "add_member",
                                            "remove_member")},
    **{f"{old}_application": ("applications", old) for old in ("get", "create", "delete")},
    **{f"{old}_service_principal": ("service_principals", old)
       for old in ("get", "require", "create", "update", "delete")},
    "service_principal_by_app_id": ("service_principals", "by_app_id"),
    "assignments_for_resource": ("assignments", "for_resource"),
    "assignments_for_principal": ("assignments", "for_principal"),
    "get_assignment": ("assignments", "get"),
    "assign": ("assignments", "create"),
    "unassign": ("assignments", "delete"),
    "list_deleted": ("deleted_items", "of_kind"),
    "get_deleted": ("deleted_items", "get"),
    "restore": ("deleted_items", "restore"),
    "purge": ("deleted_items", "purge"),
}

_KINDS = ("user", "group", "servicePrincipal", "application")


class Directory:
    """One tenant's directory, over ``runtime.store`` with ``runtime.clock`` and ids.

    Methods return plain dicts (copies); writes run in a store transaction, so
    a failing call leaves nothing half-done.  Errors are the Graph error types
    (:mod:`simulator.graph.errors`): the same code a Graph client would see.
    """

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self.ids = runtime.ids.stream("graph")
        # In this order: the store's tables are created as the entity sets are built.
        self.users = Users(self)
        self.groups = Groups(self)
        self.applications = Applications(self)
        self.service_principals = ServicePrincipals(self)
        self.assignments = AppRoleAssignments(self)
        self.deleted_items = DeletedItems(self)
        self.feed = self.store.table("graph_feed")
        self._order: dict[str, tuple[tuple, list[int]]] = {}
        #: Watermarks older than this predate the in-memory change log (a
        #: resumed state file or a reset): readers get a full resync.
        self.log_floor = self.store.seq
        self.deleted_items.reschedule_purges()

    def __getattr__(self, name: str) -> Any:
        """The deprecated flat names (:data:`LEGACY_NAMES`)."""
        try:
            part, method = LEGACY_NAMES[name]
        except KeyError:
            raise AttributeError(f"'Directory' object has no attribute {name!r}") from None
        return getattr(getattr(self, part), method)

    # ------------------------------------------------------------------ tenant
    @property
    def tenant(self) -> dict:
        return self.runtime.fixture.get("tenant") or {}

    @property
    def tenant_id(self) -> str:
        return str(self.tenant.get("id") or "00000000-0000-0000-0000-000000000001")

    @property
    def domains(self) -> list[str]:
        """Verified domains: the initial ``*.onmicrosoft.com`` one first."""
        out = [self.tenant.get("domain") or "contoso.onmicrosoft.com"]
        out += [d for d in self.tenant.get("verifiedDomains") or [] if d not in out]
        return out

    def now(self) -> str:
        return isoformat(self.runtime.clock.now())

    # ------------------------------------------------------------------ lifecycle hooks (Runtime)
    def on_reset(self) -> None:
        self.deleted_items.forget_purges()
        self._order.clear()
        self.log_floor = self.store.seq + 1  # every watermark issued before the reset is older

    def on_restore(self) -> None:
        self._order.clear()
        self.deleted_items.reschedule_purges()

    # ------------------------------------------------------------------ feed
    def watermark(self) -> int:
        """The current store position: every event so far has ``seq <= watermark()``."""
        return self.store.seq

    def emit(self, type_: str, object_id: str, op: str, **extra: Any) -> None:
        """Append one change-feed event (inside the caller's transaction)."""
        with self.store.lock:
            # IndexedTable.add logs the write at store.seq + 1: record that in the event.
            self.feed.add({"seq": self.store.seq + 1, "type": type_, "id": object_id, "op": op, **extra})

    def events_since(self, watermark: int, until: int | None = None) -> list[dict]:
        """Feed events with ``watermark < seq <= until``, oldest first.  Costs the number of changes."""
        with self.store.lock:
            out = []
            for doc_id in self.feed.changes_since(watermark):
                event = self.feed.raw(doc_id)
                if event is None:  # written in a transaction that was rolled back
                    continue
                if event["seq"] <= watermark or (until is not None and event["seq"] > until):
                    continue
                out.append(dict(event))
            out.sort(key=lambda e: e["seq"])
            return out

    # ------------------------------------------------------------------ ordered iteration
    def ordered_ids(self, table) -> list[int]:
        """Doc ids of ``table`` in creation order; cached until the store changes."""
        version = (self.store.seq, len(table))
        cached = self._order.get(table.name)
        if cached and cached[0] == version:
            return cached[1]
        ids = sorted(table._read_table())
        self._order[table.name] = (version, ids)
        return ids

    def iter_docs(self, table, after: int = 0) -> Iterator[tuple[int, dict]]:
        """``(doc_id, live document)`` after position ``after`` (hold ``store.lock``; do not mutate)."""
        ids = self.ordered_ids(table)
        start = bisect.bisect_right(ids, after)
        raw = table._read_table()
        for doc_id in ids[start:]:
            doc = raw.get(doc_id)
            if doc is not None:
                yield doc_id, doc

    # ------------------------------------------------------------------ any directory object
    def get_object(self, object_id: str) -> tuple[str, dict] | None:
        """Any active directory object by id: ``(kind, doc)`` with kind user/group/servicePrincipal/application."""
        if not is_guid(object_id):
            return None
        for kind, entities in zip(_KINDS, (self.users, self.groups, self.service_principals, self.applications),
                                  strict=True):
            doc = entities.table.find("id", object_id)
            if doc is not None:
                return kind, dict(doc)
        return None

    def resolve_reference(self, odata_id: Any) -> tuple[str, dict]:
        """The object an ``@odata.id`` URL (``…/directoryObjects/{id}``, ``…/users/{id}``) names."""
        if not isinstance(odata_id, str) or not odata_id.strip():
            raise BadRequest("Invalid URL format specified in @odata.id.")
        path = urlsplit(odata_id).path if "://" in odata_id else odata_id
        segment = unquote([p for p in path.split("/") if p][-1]) if path.strip("/") else ""
        return required(segment, self.get_object)

    # ------------------------------------------------------------------ seeding
    def seed(self, fixture: Mapping) -> dict[str, str]:
        """Load the fixture's ``directory:`` section (:func:`~.seed.seed_directory`); fixture key -> object id."""
        return seed_directory(self, fixture)

    def fixture_id(self, key: str) -> str | None:
        """The object id of the fixture object with this ``key`` (users, groups, applications)."""
        return (self.store.meta().get("fixture_keys") or {}).get(key)
