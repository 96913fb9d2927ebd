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
* Persistence is a state file in TinyDB's own layout (``{table: {doc_id:
  document}}``; ``TinyDB(path)`` can open it) plus a write-ahead journal beside
  it (``<state>.journal``): every committed transaction appends one JSON line
  with the documents it changed *before* the caller answers, so an
  acknowledged write survives ``kill -9`` (the line is in the OS's page cache;
  with ``fsync=True`` it also survives power loss).  :meth:`Store.compact`
  folds the journal into the state file in the background: it copies the
  table dicts under the lock (cheap: documents are never mutated in place,
  only replaced) and serialises them outside it, in chunks, then writes the
  file atomically (temp file, fsync, rename, fsync of the directory).

  The formats, loading and recovery live in :mod:`simulator.core.journal`.

Each table also keeps a change log (``changes_since(seq)``): the store-wide
sequence number of every write and the document it touched.  Graph delta
tokens are positions in that log, so a delta call costs what changed, not the
size of the tenant.  Tables, indexes and the change log live in
:mod:`simulator.core.table`; this module keeps the :class:`Store`: the lock,
transactions, commits and compaction.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from tinydb import TinyDB

from .errors import StorageUnavailable, StoreError
from .journal import (
    _META_TABLE,
    Journal,
    StateStorage,
    _journal_path,
    _remove_stale_temp_files,
    _segments,
    _serialize_chunks,
    _write_atomically,
    load_state,
)
from .table import Index, IndexedTable, _clone

__all__ = ["Store", "IndexedTable", "Index", "StateStorage", "Journal", "load_state"]

log = logging.getLogger(__name__)

#: Compact when the journal has grown past this many bytes or the state file's size, whichever is larger.
COMPACT_MIN_BYTES = 4 * 1024 * 1024


class _Transaction:
    """``with store.transaction():`` (a class rather than a generator: every write enters several)."""

    __slots__ = ("store",)

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> Store:
        store = self.store
        store.lock.acquire()
        store._undo.append([])
        return store

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> Literal[False]:
        store = self.store
        try:
            if exc_type is not None:
                store._undo_innermost()
                return False  # the block's exception goes on
            try:
                if len(store._undo) == 1 and store._journal is not None:
                    store._commit_locked(force_meta=False)
            except BaseException:
                store._undo_innermost()
                raise
            log = store._undo.pop()
            if store._undo:  # nested: the outer transaction may still undo it
                store._undo[-1].extend(log)
            return False
        finally:
            store.lock.release()


class Store:
    """Named :class:`IndexedTable` s over one :class:`StateStorage`, behind one lock.

    >>> store = Store()                      # in memory
    >>> users = store.table("users", [Index("userName", unique=True, normalize=str.casefold)])
    >>> with store.transaction():
    ...     doc_id = users.add({"userName": "a@contoso.com"})

    With a ``path`` every committed transaction (and every write made outside
    one) is journaled before the call returns; :meth:`compact` folds the
    journal into the state file.  ``commit_meta`` and ``full_meta`` are hooks
    for the runtime: what else a commit (clock, id streams: ``[path, value]``
    pairs) and a compaction (top-level meta keys) must record.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, fsync: bool = False) -> None:
        self.lock = threading.RLock()
        self.storage = StateStorage(path)
        self.db = TinyDB(storage=lambda: self.storage)  # the storage instance is ours
        self._tables: dict[str, IndexedTable] = {}
        self._seq = int(self.meta().get("seq", 0))
        self._undo: list[list[tuple[IndexedTable, int, dict[str, Any] | None]]] = []
        self._pending: dict[tuple[str, int], None] = {}
        self._meta_pending: dict[str, Any] = {}
        self._clear_pending = False
        self.commit_meta: Callable[[], list[tuple[list[Any], Any]]] | None = None
        self.full_meta: Callable[[], dict[str, Any]] | None = None
        #: compact from :meth:`maybe_compact` callers (off when a server's housekeeping does it)
        self.auto_compact = True
        self._compact_lock = threading.Lock()
        self.compactions = 0
        self._journal_error: str | None = None
        self._compact_error: str | None = None
        self._resend_meta = False
        self._state_bytes = self.path.stat().st_size if self.path and self.path.exists() else 0
        self._journal: Journal | None = None
        #: the seq of the state the next record builds on, written into it when it starts a journal file
        self._base: int | None = None
        if self.path:
            _remove_stale_temp_files(self.path)
            self._journal = Journal(_journal_path(self.path), fsync=fsync, truncate_to=self.storage.journal_end)
            if self._journal.bytes == 0:
                self._base = int(self.meta().get("seq", 0)) if self.path.exists() else 0

    @property
    def path(self) -> Path | None:
        return self.storage.path

    @property
    def last_error(self) -> str | None:
        """Why the last journal append or compaction failed; None once each has succeeded again."""
        return self._journal_error or self._compact_error

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

    def meta(self) -> dict[str, Any]:
        """Small key/value state kept in the same file (clock time, id streams, seq)."""
        return self.storage.live(_META_TABLE).setdefault(1, {})

    def set_meta(self, **values: Any) -> None:
        with self.transaction():
            self.meta().update(values)
            if self._journal is not None:
                self._meta_pending.update(values)
            self.storage.dirty = True

    # ---- transactions -------------------------------------------------
    def _record_undo(self, table: IndexedTable, doc_id: int, old: dict[str, Any] | None) -> None:
        if self._undo:
            self._undo[-1].append((table, doc_id, old))

    def transaction(self) -> _Transaction:
        """Hold the lock; if the block raises, every write inside it is undone.

        The outermost transaction commits: its changes are journaled before it
        returns, and if they cannot be (a document JSON cannot encode, a full
        disk) it is undone and raises :class:`StoreError`.
        """
        return _Transaction(self)

    def _undo_innermost(self) -> None:
        """Undo every write of the innermost transaction (and drop it)."""
        log = self._undo.pop()
        for table, doc_id, old in reversed(log):
            table._restore(doc_id, old)

    # ---- durability ---------------------------------------------------
    def _commit_locked(self, *, force_meta: bool, full_meta: bool = False) -> bool:
        journal = self._journal
        if journal is None:
            return False
        if not (self._pending or self._meta_pending or self._clear_pending or force_meta):
            return False
        meta_updates: list[tuple[list[Any], Any]] = [([k], v) for k, v in self._meta_pending.items()]
        # After a failed append the runtime believes it journaled what that record held (it sends only
        # what moved since): the next record carries the whole clock and id state instead.
        full_meta = full_meta or self._resend_meta
        if full_meta and self.full_meta is not None:
            # a record that clears everything must carry the whole clock and id state, not what moved
            meta_updates += [([k], v) for k, v in self.full_meta().items()]
        elif self.commit_meta is not None:
            meta_updates += self.commit_meta()
        if not (self._pending or meta_updates or self._clear_pending):
            return False
        record: dict[str, Any] = {"seq": self._next_seq()}
        if self._base is not None:
            record["base"] = self._base
        if self._clear_pending:
            record["clear"] = True
        live = self.storage._tables
        record["w"] = [[name, doc_id, live.get(name, {}).get(doc_id)] for name, doc_id in self._pending]
        if meta_updates:
            record["m"] = meta_updates
        try:
            payload = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except (ValueError, TypeError, RecursionError) as err:  # UnicodeEncodeError is a ValueError
            self._seq -= 1
            raise StoreError(f"a change cannot be stored: {err}") from err
        try:
            journal.append(payload)
        except OSError as err:
            self._seq -= 1
            self._resend_meta = True
            self._journal_error = f"journal write failed: {err}"
            raise StorageUnavailable(f"the state journal {journal.path} cannot be written: {err}") from err
        self._journal_error = None
        self._resend_meta = False
        self._base = None
        self._pending.clear()
        self._meta_pending.clear()
        self._clear_pending = False
        self.storage.dirty = True
        return True

    def commit(self, *, force_meta: bool = False) -> bool:
        """Journal what changed outside a transaction (and, with ``force_meta``, the
        runtime's clock and id positions); True if a record was written.
        A no-op in memory or inside a transaction (the outermost one commits)."""
        with self.lock:
            if self._undo:
                return False
            return self._commit_locked(force_meta=force_meta)

    def journal_bytes(self) -> int:
        return self._journal.bytes if self._journal is not None else 0

    def needs_compaction(self) -> bool:
        """The journal has outgrown the state file, or the last compaction failed (retry it)."""
        journal = self._journal
        if journal is None:
            return False
        return self._compact_error is not None or journal.bytes > max(COMPACT_MIN_BYTES, self._state_bytes)

    def maybe_compact(self) -> bool:
        """Compact if the journal has outgrown the state file (and callers are meant to)."""
        return self.auto_compact and self.needs_compaction() and self.compact()

    def compact(self) -> bool:
        """Fold the journal into the state file; True if the file was written.

        Holds the store lock only to copy the table dicts and rotate the
        journal; serialising and writing happen outside it, so requests go on.
        """
        if self.path is None:
            return False
        with self._compact_lock:
            with self.lock:
                if self._undo:
                    return False
                self._commit_locked(force_meta=True)
                if not self.storage.dirty and self.path.exists():
                    return False
                seq = self._seq
                tables = {name: dict(docs) for name, docs in self.storage._tables.items() if name != _META_TABLE}
                meta = _clone(self.meta())
                if self.full_meta is not None:
                    meta.update(self.full_meta())
                meta["seq"] = seq
                tables[_META_TABLE] = {1: meta}
                segment = self._journal.rotate(seq) if self._journal is not None else None
                self._base = seq
                self.storage.dirty = False
            try:
                _write_atomically(self.path, _serialize_chunks(tables))
            except BaseException as err:
                with self.lock:
                    self.storage.dirty = True  # the rotated segment stays; the next load replays it
                self._compact_error = f"state file write failed: {err}"
                raise
            for old in _segments(self.path):
                if old == segment or int(old.name.rsplit(".", 1)[1]) <= seq:
                    old.unlink(missing_ok=True)
            self._state_bytes = self.path.stat().st_size
            self.storage.flush_count += 1
            self.compactions += 1
            self._compact_error = None
            return True

    def flush(self) -> bool:
        """Write the whole state file now if anything changed (atomic); the journal is emptied."""
        return self.compact()

    def status(self) -> dict[str, Any]:
        """For ``/_provsim/health``: where the state lives and how durable it is."""
        if self.path is None:
            return {"persistence": "memory"}
        return {"persistence": "journal", "path": str(self.path), "journalBytes": self.journal_bytes(),
                "stateBytes": self._state_bytes, "compactions": self.compactions,
                "replayedRecords": self.storage.replayed, "fsync": bool(self._journal and self._journal.fsync),
                "lastError": self.last_error}

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of every table, for ``/_provsim/snapshot`` and restore."""
        with self.lock:
            return {"seq": self._seq, "tables": _clone(self.storage._tables)}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Replace every table with a snapshot's (validated by the caller); one journal record."""
        with self.transaction():
            previous = self.storage._tables
            try:
                tables = {name: docs for name, docs in snapshot["tables"].items() if name != _META_TABLE}
                self.storage._tables = _clone(tables)
                # The snapshot's own meta (its clock, id streams and seq) is not restored: time and ids
                # only move forward, in this process and, through the journal, after a crash.
                self.storage._tables[_META_TABLE] = previous.get(_META_TABLE, {1: {}})
                self.storage.dirty = True
                self._seq = max(self._seq, snapshot.get("seq", 0)) + 1
                if self._journal is not None:
                    self._clear_pending = True
                    self._pending.clear()
                    for name, docs in self.storage._tables.items():
                        for doc_id in docs:
                            self._pending[(name, doc_id)] = None
                for table in self._tables.values():
                    table._rebuild_indexes()
                    # A restore is one big change: every document counts as changed.
                    for doc_id in table._read_table():
                        table._log_change(doc_id)
                if self._journal is not None:
                    self._commit_locked(force_meta=True, full_meta=True)
            except BaseException:
                self.storage._tables = previous
                for table in self._tables.values():
                    table._rebuild_indexes()
                raise

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
            if self._journal is not None:
                self._clear_pending = True
                self._pending.clear()
                self._meta_pending.clear()
