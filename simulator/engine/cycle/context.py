"""What a cycle runs with and what it returns: :class:`CycleContext`, :class:`CycleResult`, and the
target object actions (Add/Update/Delete) the object mappings switch on and off."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..logs import LogEntry
from ..source import AppRole, DirectorySource, ServicePrincipal
from ..target import ScimTarget, TargetError
from ..target_profile import DEFAULT_PROFILE, TargetRules, rules_for

if TYPE_CHECKING:
    from ..connector_store import ConnectorCache
    from ..escrow import EscrowBook
    from ..job_mappings import JobMappings


DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"


#: Target object actions as the synchronization schema's ``objectMapping.flowTypes`` names them.
CREATE, UPDATE, DELETE = "Add", "Update", "Delete"


_ACTION_LABEL = {CREATE: "Create", UPDATE: "Update", DELETE: "Delete"}


#: The documented provisioning-log code for an object the service looked at and left alone.
SKIPPED = "EntrySynchronizationSkipped"


class QuarantineSignal(Exception):
    """Raised out of a cycle when a failure quarantines the whole job (bad credentials, ...)."""

    def __init__(self, error: TargetError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class CycleResult:
    initial: bool
    imported: int = 0
    entitled: int = 0
    exported: int = 0
    escrowed: int = 0
    skipped: int = 0
    failed: int = 0
    reference_failed: int = 0
    deletes: int = 0
    staged_deletes: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    watermark: str = ""
    quarantine: TargetError | None = None
    too_many_deletes: bool = False
    #: objects and reference updates that wrote to the target, or whose calls failed on its side
    #: (provsim's bookkeeping lookups excluded): what "every call failed" is measured against
    target_operations: int = 0
    #: ... of which failed on the target's side (5xx, timeout, dropped connection), by code
    target_failures: int = 0
    target_codes: dict[str, int] = field(default_factory=dict)
    target_fault: str | None = None
    #: groups linked to a Genesys group in this cycle (their whole membership is resolved)
    linked_groups: set[str] = field(default_factory=set)
    #: users restored from soft delete in this cycle (memberships wait for a restart: known issue)
    restored_users: set[str] = field(default_factory=set)

    def count(self, action: str) -> None:
        self.actions[action] = self.actions.get(action, 0) + 1


@dataclass
class CycleContext:
    """Everything a cycle needs, handed in by the job runner."""

    job_id: str
    service_principal: ServicePrincipal
    source: DirectorySource
    target: ScimTarget
    mappings: JobMappings
    cache: ConnectorCache
    emit: Callable[[LogEntry], None]
    sync_all: bool = False
    skip_out_of_scope_deletions: bool = False
    entra_quirks: bool = True
    #: what the target app takes (PureCloud by Genesys: groups are never created or deleted)
    rules: TargetRules = field(default_factory=lambda: rules_for(DEFAULT_PROFILE))
    delete_threshold: int | None = None
    force_deletes: bool = False
    escrow: EscrowBook | None = None
    progress: Callable[[int, int], None] | None = None
    initial: bool = False
    #: when the job's next cycle runs: errors retried "in 40 minutes" are retried then
    next_cycle: datetime | None = None
    members_per_patch: int = 1000
    max_request_bytes: int = 512000
    #: told when a 413 names a lower request limit than ``max_request_bytes`` (the job remembers it)
    on_request_limit: Callable[[int], None] | None = None
    #: provision on demand: an object out of scope is reported (a cycle never imports unassigned ones)
    on_demand: bool = False
    #: missing groups found again by provsim's lookup this cycle: group id -> the Genesys group
    found_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    _roles: dict[str, AppRole] | None = None
    _flows: dict[str, frozenset[str]] | None = None

    def app_roles(self) -> dict[str, AppRole]:
        """The app's roles by id, read once per cycle (they do not change within one)."""
        if self._roles is None:
            self._roles = {r.id: r for r in self.source.app_roles(self.service_principal.id)}
        return self._roles

    def allows(self, object_type: str, action: str) -> bool:
        """Is this target object action (Add/Update/Delete) on for the object mapping?"""
        if self._flows is None:
            self._flows = {}
        if object_type not in self._flows:
            enabled = self.mappings.enabled(object_type)
            self._flows[object_type] = self.mappings.flow_types(object_type) if enabled else frozenset(_ACTION_LABEL)
        return action in self._flows[object_type]
