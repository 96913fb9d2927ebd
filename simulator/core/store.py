"""The state store: TinyDB tables kept in memory, indexed, locked, persisted atomically.

Why not TinyDB as it comes:

* ``Table._update_table`` reads the whole database, rebuilds the table's dict
  and hands everything to the storage on *every* write, and ``JSONStorage``
  then rewrites the whole file.  Inserting n documents costs O(n^2)
  (``benchmarks/store.py`` measures it).  :class:`IndexedTable` mutates the
  live table in place instead.
* Lookups by ``Query`` scan every document.  Tables here declare indexes
  (``Index("userName", unique=True, normalize=str.casefold)``); a lookup is a
  dict access.
* A threaded server must not interleave read-modify-write sequences.  One
  re-entrant lock guards the whole store; :meth:`Store.transaction` holds it
  and undoes every write made inside it if the block raises, so a request that
  fails half-way leaves nothing half-written.
* Persistence is a single JSON file in TinyDB's own layout
  (``{table: {doc_id: document}}``; ``TinyDB(path)`` can open it), written only
  by :meth:`Store.flush` and atomically: temp file, fsync, rename, fsync of the
  directory.  A killed process leaves the previous or the new file, never a
  torn one.

Each table also keeps a change log (``changes_since(seq)``): the store-wide
sequence number of every write and the document it touched.  Graph delta
tokens are positions in that log, so a delta call costs what changed, not the
size of the tenant.
"""

from __future__ import annotations

import bisect
import copy
import json
import os
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from .errors import StoreError, UniqueConstraintError

__all__ = ["Store", "IndexedTable", "Index", "StateStorage"]

_META_TABLE = "_provsim"

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


@dataclass(frozen=True)
class Index:
    """A looked-up key of a table.

    ``key`` is a field name or a function of the document; ``normalize`` maps
    values before comparison (``str.casefold`` for case-insensitive keys).
    Documents whose key is ``None`` are not indexed.
    """

    name: str
    unique: bool = False
    key: Callable[[Mapping], Any] | None = None
    normalize: Callable[[Any], Any] | None = None

    def value_of(self, doc: Mapping) -> Any:
        value = self.key(doc) if self.key else doc.get(self.name)
        if value is None:
            return None
        if isinstance(value, (list, dict)):
            value = json.dumps(value, sort_keys=True)
        return self.normalize(value) if self.normalize else value


class StateStorage(Storage):
    """Holds the database in memory; writes to ``path`` only on :meth:`flush`.

    With ``path=None`` it is a pure in-memory storage (tests, ``make run``).
    """

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path else None
        self._tables: dict[str, dict[int, dict]] = {}
        self.dirty = False
        self.flush_count = 0
        if self.path and self.path.exists() and self.path.stat().st_size:
            with open(self.path, encoding="utf-8") as fh:
                try:
                    raw = json.load(fh)
                except json.JSONDecodeError as err:
                    raise StoreError(f"state file {self.path} is not valid JSON: {err}") from err
            self.write(raw)
            self.dirty = False

    # -- tinydb.Storage interface (used for whole-database reads/writes only) --
    def read(self) -> dict[str, dict[str, Any]]:
        return {name: {str(k): v for k, v in docs.items()} for name, docs in self._tables.items()}

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._tables = {name: {int(k): v for k, v in docs.items()} for name, docs in data.items()}
        self.dirty = True

    def close(self) -> None:
        pass

    # -- live access for IndexedTable --
    def live(self, name: str) -> dict[int, dict]:
        return self._tables.setdefault(name, {})

    def serialize(self) -> bytes:
        payload = {name: {str(k): v for k, v in docs.items()} for name, docs in sorted(self._tables.items())}
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def flush(self) -> bool:
        """Write the state file atomically if anything changed; True if written."""
        if not self.path or not self.dirty:
            return False
        data = self.serialize()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        try:
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            dir_fd = None
        if dir_fd is not None:
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        self.dirty = False
        self.flush_count += 1
        return True


class IndexedTable(Table):
    """A TinyDB table that updates in place and keeps its indexes current.

    Use the keyed methods (:meth:`find`, :meth:`add`, :meth:`put`,
    :meth:`delete`); TinyDB's own ``search``/``get``/``update``/``remove``
    still work (and rebuild indexes after bulk changes).
    Every method returns copies: callers can never change stored state by
    mutating what they got back.
    """

    def __init__(self, store: "Store", storage: StateStorage, name: str, indexes: Iterable[Index] = ()) -> None:
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
    def _read_table(self) -> dict[int, dict]:  # type: ignore[override]
        return self._storage.live(self.name)  # type: ignore[attr-defined]

    def _update_table(self, updater: Callable[[dict[int, Mapping]], None]) -> None:
        with self._store.lock:
            table = self._read_table()
            # TinyDB's generic paths (update(cond), remove(cond), truncate)
            # mutate documents in place: compare with a copy so undo, indexes
            # and the change log stay right.  O(n), unlike the keyed methods.
            before = copy.deepcopy(table)
            updater(table)
            for doc_id in sorted(set(before) | set(table)):
                old, new = before.get(doc_id), table.get(doc_id)
                if old != new:
                    self._store._record_undo(self, doc_id, old)
                    self._log_change(doc_id)
            self._rebuild_indexes()
            self._storage.dirty = True  # type: ignore[attr-defined]

    def get(self, cond=None, doc_id=None, doc_ids=None):  # type: ignore[override]
        if doc_id is not None:
            raw = self._read_table().get(int(doc_id))
            return Document(_clone(raw), int(doc_id)) if raw is not None else None
        return super().get(cond=cond, doc_ids=doc_ids) if doc_ids is not None else super().get(cond)

    # ---- indexes ------------------------------------------------------
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

    def _index_doc(self, doc_id: int, doc: Mapping, *, check: bool) -> None:
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

    def _unindex_doc(self, doc_id: int, doc: Mapping) -> None:
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

    def _check_unique(self, doc_id: int | None, doc: Mapping) -> None:
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
        seq = self._store._next_seq()
        self._changes_seq.append(seq)
        self._changes_doc.append(doc_id)
        return seq

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
            return Document(_clone(self._read_table()[doc_id]), doc_id)

    def find_all(self, index: str, value: Any) -> list[Document]:
        """Every document whose ``index`` equals ``value``, in insertion order."""
        with self._store.lock:
            key = self._normalize(index, value)
            if index in self._unique:
                ids = [self._unique[index][key]] if key in self._unique[index] else []
            else:
                ids = sorted(self._multi[index].get(key, {}))
            table = self._read_table()
            return [Document(_clone(table[i]), i) for i in ids]

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

    def add(self, doc: Mapping) -> int:
        """Insert ``doc``; raises :class:`UniqueConstraintError` and stores nothing on a clash."""
        with self._store.lock:
            doc = _clone(dict(doc))
            self._check_unique(None, doc)
            doc_id = self._get_next_id()
            self._store._record_undo(self, doc_id, None)
            self._read_table()[doc_id] = doc
            self._index_doc(doc_id, doc, check=False)
            self._log_change(doc_id)
            self._storage.dirty = True  # type: ignore[attr-defined]
            return doc_id

    def put(self, doc_id: int, doc: Mapping) -> None:
        """Replace the document ``doc_id`` whole."""
        with self._store.lock:
            if doc_id not in self._read_table():
                raise KeyError(doc_id)
            self._replace(doc_id, _clone(dict(doc)))

    def _replace(self, doc_id: int, doc: dict) -> None:
        """Store ``doc`` (owned by the table from now on) in place of ``doc_id``."""
        table = self._read_table()
        self._check_unique(doc_id, doc)
        old = table[doc_id]
        # The replaced document leaves the table here and nothing else holds it
        # (readers get copies), so the undo log can keep it without a copy.
        self._store._record_undo(self, doc_id, old)
        self._unindex_doc(doc_id, old)
        table[doc_id] = doc
        self._index_doc(doc_id, doc, check=False)
        self._log_change(doc_id)
        self._storage.dirty = True  # type: ignore[attr-defined]

    def patch(self, doc_id: int, fields: Mapping) -> dict:
        """Merge ``fields`` into the document; returns the new document (a copy)."""
        with self._store.lock:
            doc = _clone(self._read_table()[doc_id])
            doc.update(_clone(dict(fields)))
            self._replace(doc_id, doc)
            return _clone(doc)

    def delete(self, doc_id: int) -> dict | None:
        """Remove the document; returns what it was, or None if absent."""
        with self._store.lock:
            table = self._read_table()
            old = table.pop(doc_id, None)
            if old is None:
                return None
            self._store._record_undo(self, doc_id, old)  # detached from the table: no copy needed
            self._unindex_doc(doc_id, old)
            self._log_change(doc_id)
            self._storage.dirty = True  # type: ignore[attr-defined]
            return _clone(old)

    def raw(self, doc_id: int) -> dict | None:
        """The stored document itself (no copy): read-only use inside the lock."""
        return self._read_table().get(doc_id)

    def docs(self) -> Iterator[tuple[int, dict]]:
        """``(doc_id, document)`` in insertion order; documents are live, do not mutate."""
        table = self._read_table()
        for doc_id in sorted(table):
            yield doc_id, table[doc_id]

    def __len__(self) -> int:
        return len(self._read_table())

    def _restore(self, doc_id: int, doc: dict | None) -> None:
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
        self._storage.dirty = True  # type: ignore[attr-defined]


class Store:
    """Named :class:`IndexedTable` s over one :class:`StateStorage`, behind one lock.

    >>> store = Store()                      # in memory
    >>> users = store.table("users", [Index("userName", unique=True, normalize=str.casefold)])
    >>> with store.transaction():
    ...     doc_id = users.add({"userName": "a@contoso.com"})
    """

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.lock = threading.RLock()
        self.storage = StateStorage(path)
        self.db = TinyDB(storage=lambda: self.storage)  # the storage instance is ours
        self._tables: dict[str, IndexedTable] = {}
        self._seq = int(self.meta().get("seq", 0))
        self._undo: list[list[tuple[IndexedTable, int, dict | None]]] = []

    @property
    def path(self) -> Path | None:
        return self.storage.path

    def table(self, name: str, indexes: Iterable[Index] = ()) -> IndexedTable:
        """The table ``name``, created on first use; extra indexes are added."""
        with self.lock:
            table = self._tables.get(name)
            if table is None:
                table = IndexedTable(self, self.storage, name, indexes)
                self._tables[name] = table
            else:
                for index in indexes:
                    if index.name not in table._indexes:
                        table.add_index(index)
            return table

    def tables(self) -> list[str]:
        return sorted(n for n in self.storage._tables if n != _META_TABLE)

    # ---- sequence & meta ---------------------------------------------
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    @property
    def seq(self) -> int:
        """The store-wide change sequence: bumps on every write."""
        return self._seq

    def meta(self) -> dict:
        """Small key/value state kept in the same file (clock time, id streams, seq)."""
        return self.storage.live(_META_TABLE).setdefault(1, {})

    def set_meta(self, **values: Any) -> None:
        with self.lock:
            self.meta().update(values)
            self.storage.dirty = True

    # ---- transactions -------------------------------------------------
    def _record_undo(self, table: IndexedTable, doc_id: int, old: dict | None) -> None:
        if self._undo:
            self._undo[-1].append((table, doc_id, old))

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """Hold the lock; if the block raises, every write inside it is undone."""
        with self.lock:
            self._undo.append([])
            try:
                yield self
            except BaseException:
                log = self._undo.pop()
                for table, doc_id, old in reversed(log):
                    table._restore(doc_id, old)
                raise
            else:
                log = self._undo.pop()
                if self._undo:  # nested: the outer transaction may still undo it
                    self._undo[-1].extend(log)

    # ---- persistence --------------------------------------------------
    def flush(self) -> bool:
        """Write the state file now if anything changed (atomic)."""
        with self.lock:
            if self.storage.dirty:
                self.set_meta(seq=self._seq)
            return self.storage.flush()

    def snapshot(self) -> dict:
        """A deep copy of every table, for ``/_provsim/snapshot`` and restore."""
        with self.lock:
            return {"seq": self._seq, "tables": _clone(self.storage._tables)}

    def restore(self, snapshot: dict) -> None:
        with self.lock:
            self.storage._tables = _clone(snapshot["tables"])
            self.storage.dirty = True
            self._seq = max(self._seq, snapshot.get("seq", 0)) + 1
            for table in self._tables.values():
                table._rebuild_indexes()
                # A restore is one big change: every document counts as changed.
                for doc_id in table._read_table():
                    table._log_change(doc_id)

    def clear(self) -> None:
        """Drop every document (``/_provsim/reset``)."""
        with self.lock:
            for name in list(self.storage._tables):
                self.storage._tables[name] = {}
            for table in self._tables.values():
                table._rebuild_indexes()
                table._changes_seq.clear()
                table._changes_doc.clear()
                table._next_id = None
            self.storage.dirty = True
