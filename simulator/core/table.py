"""The store's tables: TinyDB tables that update in place, keep their indexes and a change log.

``Table._update_table`` as TinyDB ships it reads the whole database and rewrites it on every write
(O(n^2) for n inserts, ``benchmarks/store.py`` measures it); :class:`IndexedTable` mutates the live
table in place.  Lookups by ``Query`` scan every document; tables here declare :class:`Index` es
(``Index("userName", unique=True, normalize=str.casefold)``) and a lookup is a dict access.  Each table
also keeps a change log (:meth:`IndexedTable.changes_since`), the positions Graph delta tokens name.
"""

from __future__ import annotations

import bisect
import copy
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from tinydb.queries import QueryLike
from tinydb.table import Document, Table

from .errors import UniqueConstraintError
from .journal import StateStorage

if TYPE_CHECKING:
    from .store import Store

__all__ = ["Index", "IndexedTable"]

_ATOMIC = frozenset({str, int, float, bool, type(None)})


def _clone(value: Any) -> Any:
    """``copy.deepcopy`` for JSON-shaped documents, several times faster.

    Stored documents are dicts and lists of strings, numbers, booleans and None;
    those are copied here without deepcopy's memo bookkeeping.  Anything else
    (tuples, Documents, enums, ...) goes through ``copy.deepcopy`` unchanged.
    """
    cls = type(value)
    if cls is dict:
        return {k: v if type(v) in _ATOMIC else _clone(v) for k, v in value.items()}
    if cls is list:
        return [v if type(v) in _ATOMIC else _clone(v) for v in value]
    if cls in _ATOMIC:
        return value
    return copy.deepcopy(value)


def _clone_doc(doc: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`_clone` of one document, typed."""
    return {k: v if type(v) in _ATOMIC else _clone(v) for k, v in doc.items()}


@dataclass(frozen=True)
class Index:
    """A looked-up key of a table.

    ``key`` is a field name or a function of the document; ``normalize`` maps
    values before comparison (``str.casefold`` for case-insensitive keys).
    Documents whose key is ``None`` are not indexed.
    """

    name: str
    unique: bool = False
    key: Callable[[Mapping[str, Any]], Any] | None = None
    normalize: Callable[[Any], Any] | None = None

    def value_of(self, doc: Mapping[str, Any]) -> Any:
        value = self.key(doc) if self.key else doc.get(self.name)
        if value is None:
            return None
        if isinstance(value, (list, dict)):
            value = json.dumps(value, sort_keys=True)
        return self.normalize(value) if self.normalize else value


class IndexedTable(Table):
    """A TinyDB table that updates in place and keeps its indexes current.

    Use the keyed methods (:meth:`find`, :meth:`add`, :meth:`put`,
    :meth:`delete`); TinyDB's own ``search``/``get``/``update``/``remove``
    still work (and rebuild indexes after bulk changes).
    Every method returns copies: callers can never change stored state by
    mutating what they got back.
    """

    _storage: StateStorage  # TinyDB types it as the Storage base; ours adds live tables and the dirty flag

    def __init__(self, store: Store, storage: StateStorage, name: str, indexes: Iterable[Index] = ()) -> None:
        self._store = store
        self._indexes: dict[str, Index] = {}
        self._unique: dict[str, dict[Any, int]] = {}
        self._multi: dict[str, dict[Any, dict[int, None]]] = {}
        self._changes_seq: list[int] = []
        self._changes_doc: list[int] = []
        super().__init__(storage, name, cache_size=0)
        for index in indexes:
            self.add_index(index)

    # ---- TinyDB hooks -------------------------------------------------
    # TinyDB's base returns the JSON form (str keys, read-only Mappings); this table keeps int keys and dicts.
    def _read_table(self) -> dict[int, dict[str, Any]]:  # type: ignore[override]  # see the comment above
        return self._storage.live(self.name)

    def _update_table(self, updater: Callable[[dict[int, Mapping[str, Any]]], None]) -> None:
        with self._store.transaction():
            table = self._read_table()
            # TinyDB's generic paths (update(cond), remove(cond), truncate)
            # mutate documents in place: hand them copies, and keep the
            # originals untouched (a compaction may be serialising them) for
            # undo, indexes and the change log.  O(n), unlike the keyed methods.
            before = dict(table)
            for doc_id in table:
                table[doc_id] = _clone_doc(table[doc_id])
            # the updater mutates in place: TinyDB declares Mapping values, ours are the dicts it gets
            updater(cast("dict[int, Mapping[str, Any]]", table))
            for doc_id in sorted(set(before) | set(table)):
                old, new = before.get(doc_id), table.get(doc_id)
                if old != new:
                    self._store._record_undo(self, doc_id, old)
                    self._log_change(doc_id)
            self._rebuild_indexes()
            self._storage.dirty = True

    # One signature for TinyDB's overloads of get(): mypy cannot match a single def against them.
    def get(  # type: ignore[override]  # see the comment above
        self, cond: QueryLike | None = None, doc_id: int | None = None, doc_ids: list[int] | None = None
    ) -> Document | list[Document] | None:
        if doc_id is not None:
            raw = self._read_table().get(int(doc_id))
            return Document(_clone_doc(raw), int(doc_id)) if raw is not None else None
        if doc_ids is not None:
            return super().get(cond=cond, doc_ids=doc_ids)
        if cond is None:
            raise RuntimeError("You have to pass either cond or doc_id or doc_ids")  # TinyDB's own error
        return super().get(cond)

    # ---- indexes ------------------------------------------------------
    def has_index(self, name: str) -> bool:
        return name in self._indexes

    def add_index(self, index: Index) -> None:
        with self._store.lock:
            self._indexes[index.name] = index
            if index.unique:
                self._unique[index.name] = {}
            else:
                self._multi[index.name] = {}
            self._rebuild_indexes()

    def _rebuild_indexes(self) -> None:
        for name in self._unique:
            self._unique[name] = {}
        for name in self._multi:
            self._multi[name] = {}
        for doc_id, doc in self._read_table().items():
            self._index_doc(doc_id, doc, check=False)

    def _index_doc(self, doc_id: int, doc: Mapping[str, Any], *, check: bool) -> None:
        for name, index in self._indexes.items():
            value = index.value_of(doc)
            if value is None:
                continue
            if index.unique:
                held = self._unique[name].get(value)
                if check and held is not None and held != doc_id:
                    raise UniqueConstraintError(self.name, name, value)
                self._unique[name][value] = doc_id
            else:
                self._multi[name].setdefault(value, {})[doc_id] = None

    def _unindex_doc(self, doc_id: int, doc: Mapping[str, Any]) -> None:
        for name, index in self._indexes.items():
            value = index.value_of(doc)
            if value is None:
                continue
            if index.unique:
                if self._unique[name].get(value) == doc_id:
                    del self._unique[name][value]
            else:
                bucket = self._multi[name].get(value)
                if bucket is not None:
                    bucket.pop(doc_id, None)
                    if not bucket:
                        del self._multi[name][value]

    def _check_unique(self, doc_id: int | None, doc: Mapping[str, Any]) -> None:
        for name in self._unique:
            value = self._indexes[name].value_of(doc)
            if value is None:
                continue
            held = self._unique[name].get(value)
            if held is not None and held != doc_id:
                raise UniqueConstraintError(self.name, name, value)

    def _normalize(self, index: str, value: Any) -> Any:
        idx = self._indexes.get(index)
        if idx is None:
            raise KeyError(f"table {self.name!r} has no index {index!r}")
        if isinstance(value, (list, dict)):
            value = json.dumps(value, sort_keys=True)
        return idx.normalize(value) if (idx.normalize and value is not None) else value

    # ---- change log ---------------------------------------------------
    def _log_change(self, doc_id: int) -> int:
        store = self._store
        if store._journal is not None:
            store._pending[(self.name, doc_id)] = None
        seq = store._next_seq()
        self._changes_seq.append(seq)
        self._changes_doc.append(doc_id)
        return seq

    @property
    def changed_at(self) -> int:
        """The store seq of this table's last write; -1 when none since the start or the last clear
        (a key for what is derived from the table: it differs after any write, undo or clear)."""
        return self._changes_seq[-1] if self._changes_seq else -1

    def changes_since(self, seq: int) -> list[int]:
        """Doc ids written after ``seq`` (each once, in order of last change)."""
        with self._store.lock:
            start = bisect.bisect_right(self._changes_seq, seq)
            seen: dict[int, None] = {}
            for doc_id in self._changes_doc[start:]:
                seen.pop(doc_id, None)
                seen[doc_id] = None
            return list(seen)

    # ---- keyed API ----------------------------------------------------
    def find(self, index: str, value: Any) -> Document | None:
        """The one document whose unique ``index`` equals ``value`` (a copy), or None."""
        with self._store.lock:
            doc_id = self._unique[index].get(self._normalize(index, value)) if index in self._unique else None
            if index in self._multi:
                bucket = self._multi[index].get(self._normalize(index, value))
                doc_id = next(iter(bucket)) if bucket else None
            if doc_id is None:
                return None
            return Document(_clone_doc(self._read_table()[doc_id]), doc_id)

    def find_all(self, index: str, value: Any) -> list[Document]:
        """Every document whose ``index`` equals ``value``, in insertion order."""
        with self._store.lock:
            key = self._normalize(index, value)
            if index in self._unique:
                ids = [self._unique[index][key]] if key in self._unique[index] else []
            else:
                ids = sorted(self._multi[index].get(key, {}))
            table = self._read_table()
            return [Document(_clone_doc(table[i]), i) for i in ids]

    def ids_by(self, index: str, value: Any) -> list[int]:
        """Doc ids whose ``index`` equals ``value``, in insertion order (no copies: for
        paging through large result sets and reading with :meth:`raw` inside the lock)."""
        with self._store.lock:
            key = self._normalize(index, value)
            if index in self._unique:
                return [self._unique[index][key]] if key in self._unique[index] else []
            return sorted(self._multi[index].get(key, {}))

    def count_by(self, index: str, value: Any) -> int:
        with self._store.lock:
            key = self._normalize(index, value)
            if index in self._unique:
                return 1 if key in self._unique[index] else 0
            return len(self._multi[index].get(key, {}))

    def add(self, doc: Mapping[str, Any]) -> int:
        """Insert ``doc``; raises :class:`UniqueConstraintError` and stores nothing on a clash."""
        with self._store.transaction():
            stored = _clone_doc(doc)
            self._check_unique(None, stored)
            doc_id: int = self._get_next_id()  # type: ignore[no-untyped-call]  # TinyDB leaves it unannotated
            self._store._record_undo(self, doc_id, None)
            self._read_table()[doc_id] = stored
            self._index_doc(doc_id, stored, check=False)
            self._log_change(doc_id)
            self._storage.dirty = True
            return doc_id

    def put(self, doc_id: int, doc: Mapping[str, Any], *, handover: bool = False) -> None:
        """Replace the document ``doc_id`` whole.

        ``handover``: the caller built ``doc`` for this write and hands its values over: the table
        keeps them as they are (in a dict of its own) instead of copies, and nothing changes them
        afterwards (they may be values of the replaced document, which nothing changes either)."""
        with self._store.transaction():
            if doc_id not in self._read_table():
                raise KeyError(doc_id)
            self._replace(doc_id, dict(doc) if handover else _clone_doc(doc))

    def _replace(self, doc_id: int, doc: dict[str, Any]) -> None:
        """Store ``doc`` (owned by the table from now on) in place of ``doc_id``."""
        table = self._read_table()
        self._check_unique(doc_id, doc)
        old = table[doc_id]
        # The replaced document leaves the table here and nothing else holds it
        # (readers get copies), so the undo log can keep it without a copy.
        self._store._record_undo(self, doc_id, old)
        table[doc_id] = doc
        self._reindex_doc(doc_id, old, doc)
        self._log_change(doc_id)
        self._storage.dirty = True

    def _reindex_doc(self, doc_id: int, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """:meth:`_unindex_doc` of ``old`` then :meth:`_index_doc` of ``new``, each key computed once:
        a key the update left alone ends where that pair would leave it (the doc id last in its bucket)."""
        for name, index in self._indexes.items():
            if index.key is None and old.get(name) is new.get(name):
                before = after = index.value_of(new)  # the same stored value: one key
            else:
                before, after = index.value_of(old), index.value_of(new)
            if index.unique:
                held = self._unique[name]
                if before is not None and before != after and held.get(before) == doc_id:
                    del held[before]
                if after is not None:
                    held[after] = doc_id
                continue
            multi = self._multi[name]
            if before is not None:
                bucket = multi.get(before)
                if bucket is not None:
                    bucket.pop(doc_id, None)
                    if not bucket and before != after:
                        del multi[before]
            if after is not None:
                multi.setdefault(after, {})[doc_id] = None

    def patch(self, doc_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``fields`` into the document; returns the new document (a copy)."""
        with self._store.transaction():
            doc = _clone_doc(self._read_table()[doc_id])
            doc.update(_clone_doc(fields))
            self._replace(doc_id, doc)
            return _clone_doc(doc)

    def delete(self, doc_id: int) -> dict[str, Any] | None:
        """Remove the document; returns what it was, or None if absent."""
        with self._store.transaction():
            table = self._read_table()
            old = table.pop(doc_id, None)
            if old is None:
                return None
            self._store._record_undo(self, doc_id, old)  # detached from the table: no copy needed
            self._unindex_doc(doc_id, old)
            self._log_change(doc_id)
            self._storage.dirty = True
            return _clone_doc(old)

    def row_by(self, index: str, value: Any) -> dict[str, Any] | None:
        """The stored document (no copy) whose ``index`` equals ``value`` (the first inserted), or
        None: :meth:`ids_by` then :meth:`row` in one call, for read-only use inside the lock."""
        with self._store.lock:
            key = self._normalize(index, value)
            unique = self._unique.get(index)
            if unique is not None:
                doc_id = unique.get(key)
            else:
                bucket = self._multi[index].get(key)
                doc_id = min(bucket) if bucket else None
            return None if doc_id is None else self._read_table()[doc_id]

    def raw(self, doc_id: int) -> dict[str, Any] | None:
        """The stored document itself (no copy): read-only use inside the lock."""
        return self._read_table().get(doc_id)

    def row(self, doc_id: int) -> dict[str, Any]:
        """The stored document an index just named (no copy): read-only use inside the lock.

        Unlike :meth:`raw`, never None: a missing document is a ``KeyError`` (ids from
        :meth:`ids_by` under the same lock are always there)."""
        return self._read_table()[doc_id]

    def docs(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(doc_id, document)`` in insertion order; documents are live, do not mutate."""
        table = self._read_table()
        for doc_id in sorted(table):
            yield doc_id, table[doc_id]

    def __len__(self) -> int:
        return len(self._read_table())

    def _restore(self, doc_id: int, doc: dict[str, Any] | None) -> None:
        table = self._read_table()
        current = table.get(doc_id)
        if current is not None:
            self._unindex_doc(doc_id, current)
        if doc is None:
            table.pop(doc_id, None)
        else:
            table[doc_id] = doc
            self._index_doc(doc_id, doc, check=False)
        self._log_change(doc_id)
        self._storage.dirty = True
