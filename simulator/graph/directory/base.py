"""What every entity set of the directory shares: the constants Graph's messages use, GUID checks,
write validation against :mod:`simulator.graph.schema`, and the :class:`EntitySet` base."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from tinydb.table import Document

from simulator.core import IndexedTable

from ..errors import BadRequest, ResourceNotFound
from ..schema import EntityType

if TYPE_CHECKING:
    from . import Directory

__all__ = ["RETENTION", "DEFAULT_ACCESS_ROLE", "DUPLICATE_MEMBER_MESSAGE", "REMOVED_MEMBER_MESSAGE",
           "DUPLICATE_UPN_MESSAGE", "is_guid", "required", "writable_props", "EntitySet"]

#: How long soft-deleted objects stay restorable ("Restore deleted item" on Microsoft Learn: 30 days).
RETENTION = timedelta(days=30)
#: appRoleId of "default access": an assignment without a role ("appRoleAssignment resource type" on
#: Microsoft Learn).
DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"
DUPLICATE_MEMBER_MESSAGE = (
    "One or more added object references already exist for the following modified properties: 'members'."
)
REMOVED_MEMBER_MESSAGE = (
    "One or more removed object references do not exist for the following modified properties: 'members'."
)
DUPLICATE_UPN_MESSAGE = "Another object with the same value for property userPrincipalName already exists."

T = TypeVar("T")
_HEX = set("0123456789abcdefABCDEF")


def is_guid(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    parts = value.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(c in _HEX for p in parts for c in p)


def required(object_id: str, lookup: Callable[[str], T | None]) -> T:
    """``lookup(object_id)``, or Graph's answer: 400 for an id that is not a GUID, 404 for an unknown one."""
    if not is_guid(object_id):
        raise BadRequest(f"Invalid object identifier '{object_id}'.")
    found = lookup(object_id)
    if found is None:
        raise ResourceNotFound.for_id(object_id)
    return found


def writable_props(etype: EntityType, body: Mapping, *, allow: Iterable[str] = ()) -> dict:
    """The properties of a POST/PATCH body, checked against ``etype`` (copies; Graph's 400s for the rest)."""
    if not isinstance(body, Mapping):
        raise BadRequest("Empty Payload. JSON content expected.")
    out = {}
    extra = set(allow)
    for key, value in body.items():
        if key.startswith("@") or key in extra:
            continue
        prop = etype.canonical(key)
        if prop is None or prop not in etype.writable:
            if prop in etype.properties:  # read-only: Graph refuses the write
                raise BadRequest(f"Property '{key}' is read-only and cannot be set.")
            raise BadRequest(f"Property '{key}' does not exist as a declared property or extension property.")
        if not etype.check_value(prop, value):
            raise BadRequest(f"Invalid value specified for property '{prop}' of resource '{etype.resource}'.")
        out[prop] = copy.deepcopy(value)
    return out


class EntitySet:
    """One entity set over its store table (``table``); reaches the others through the :class:`Directory`."""

    table: IndexedTable

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.store = directory.store

    def __len__(self) -> int:
        return len(self.table)

    def get(self, object_id: str) -> dict | None:
        """An object of this set by id (a copy), or None."""
        doc = self.table.find("id", object_id) if is_guid(object_id) else None
        return dict(doc) if doc is not None else None

    def require(self, object_id: str) -> dict:
        """As :meth:`get`; 400 for an id that is not a GUID, 404 for an unknown one (Graph's answers)."""
        return required(object_id, self.get)

    def find(self, object_id: str) -> Document:
        """The stored document (live: do not mutate) of an object known to exist (checked by the caller)."""
        doc = self.table.find("id", object_id)
        if doc is None:
            raise ResourceNotFound.for_id(object_id)
        return doc

    def stored(self, object_id: str) -> dict:
        """A copy of an object this set has just written (by id)."""
        return dict(self.find(object_id))

    def now(self) -> str:
        return self.directory.now()

    def emit(self, type_: str, object_id: str, op: str, **extra: Any) -> None:
        self.directory.emit(type_, object_id, op, **extra)
