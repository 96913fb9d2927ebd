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

  Journal layout: one record per line, ``<length> <crc32> {"seq": n, "clear":
  true?, "w": [[table, doc_id, document-or-null], ...], "m": [[meta path,
  value], ...]}``: the payload's byte length and checksum frame it (journals
  from before the framing, plain JSON lines, are still read).  A compaction
  renames the live journal to ``<state>.journal.<seq>`` (20 digits), writes the
  state file with ``_provsim.seq = seq``, then deletes the renamed segment;
  loading replays every segment and the live journal in order, skipping records
  the state file already holds.  Recovery, as SQLite's WAL and Kafka's log do
  it: a torn tail (a record cut short or failing its checksum with nothing
  intact after it: the process died writing it, so it was never acknowledged)
  is cut off the file before the next append, so a later crash cannot strand
  acknowledged records behind it; a damaged record *followed* by intact ones is
  a one-line :class:`StoreError` naming the file and the record.  A failed
  append (a full disk) removes its own partial bytes and is never acknowledged
  (:class:`StorageUnavailable`); temporary files of a compaction killed
  mid-write are removed at the next start; a state file missing beside a
  journal that does not start at the first record is refused.

Each table also keeps a change log (``changes_since(seq)``): the store-wide
sequence number of every write and the document it touched.  Graph delta
tokens are positions in that log, so a delta call costs what changed, not the
size of the tenant.
"""

from __future__ import annotations

import bisect
import copy
import json
import logging
import os
import re
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.queries import QueryLike
from tinydb.storages import Storage
from tinydb.table import Document, Table

from .errors import StorageUnavailable, StoreError, UniqueConstraintError

__all__ = ["Store", "IndexedTable", "Index", "StateStorage", "Journal", "load_state"]

log = logging.getLogger(__name__)

_META_TABLE = "_provsim"
#: Compact when the journal has grown past this many bytes or the state file's size, whichever is larger.
COMPACT_MIN_BYTES = 4 * 1024 * 1024
_CHUNK = 2000  # documents serialised per json.dumps call during compaction (lets other threads run in between)

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


def _journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def _segments(path: Path) -> list[Path]:
    """Journal segments renamed by compactions that did not finish, oldest first."""
    prefix = path.name + ".journal."
    found = [p for p in path.parent.glob(f"{path.name}.journal.*") if p.name[len(prefix):].isdigit()]
    return sorted(found, key=lambda p: int(p.name[len(prefix):]))


def _not_state(path: Path, why: str) -> StoreError:
    return StoreError(f"state file {path} is not a provsim state file ({why}); move it away or pass another --state")


def _validated(path: Path, raw: Any) -> dict[str, dict[int, dict[str, Any]]]:
    if not isinstance(raw, dict):
        raise _not_state(path, f"its top level is {type(raw).__name__}, not an object of tables")
    tables: dict[str, dict[int, dict[str, Any]]] = {}
    for name, docs in raw.items():
        if not isinstance(docs, dict):
            raise _not_state(path, f"table {name!r} is {type(docs).__name__}, not an object of documents")
        table: dict[int, dict[str, Any]] = {}
        for key, doc in docs.items():
            try:
                doc_id = int(key)
            except ValueError:
                raise _not_state(path, f"table {name!r} has the document key {key!r}, not a number") from None
            if not isinstance(doc, dict):
                raise _not_state(path, f"document {name}/{key} is {type(doc).__name__}, not an object")
            table[doc_id] = doc
        tables[name] = table
    return tables


def _set_path(target: dict[str, Any], path: list[Any], value: Any) -> None:
    for key in path[:-1]:
        nxt = target.get(key)
        if not isinstance(nxt, dict):
            nxt = target[key] = {}
        target = nxt
    target[path[-1]] = value


def _apply(tables: dict[str, dict[int, dict[str, Any]]], record: dict[str, Any]) -> None:
    """Apply one journal record; a record of the wrong shape raises ValueError/TypeError/KeyError."""
    if record.get("clear"):
        for name in list(tables):
            tables[name] = {}
    writes = record.get("w", ())
    if not isinstance(writes, list):
        raise TypeError("'w' is not a list of writes")
    for write in writes:
        name, raw_id, doc = write
        doc_id = _doc_id(raw_id)
        if not isinstance(name, str) or not (doc is None or isinstance(doc, dict)):
            raise TypeError(f"write {write!r:.80} is not [table, doc id, document or null]")
        table = tables.setdefault(name, {})
        if doc is None:
            table.pop(doc_id, None)
        else:
            table[doc_id] = doc
    meta = tables.setdefault(_META_TABLE, {}).setdefault(1, {})
    for path, value in record.get("m", ()):
        if not isinstance(path, list) or not path:
            raise TypeError(f"meta path {path!r:.80} is not a list of keys")
        _set_path(meta, list(path), value)
    meta["seq"] = max(int(meta.get("seq", 0)), int(record["seq"]))


def _doc_id(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise TypeError(f"document id {raw!r:.40} is not a number")
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"document id {raw!r:.40} is not a number") from None


# ---- the journal's record framing ------------------------------------------------------------
# A record is one line: ``<payload length> <crc32 of the payload, 8 hex> <JSON payload>\n``.  The
# length tells a record cut short (the process died writing it, the disk filled up) from a whole
# one; the checksum tells a whole record from a damaged one.  Lines that start with ``{`` are the
# unframed records of journals written before the framing; they are still read.
_FRAME = re.compile(rb"(\d{1,12}) ([0-9a-f]{8}) ")


def _frame(payload: bytes) -> bytes:
    return b"%d %08x " % (len(payload), zlib.crc32(payload)) + payload + b"\n"


def _unframe(line: bytes) -> dict[str, Any]:
    """The record of one journal line; ValueError says why it is not one."""
    if line[:1] == b"{":  # an unframed record of an older journal
        payload = line
    else:
        head = _FRAME.match(line)
        if head is None:
            raise ValueError("no record header")
        payload = line[head.end():]
        if len(payload) != int(head.group(1)):
            raise ValueError(f"{len(payload)} bytes where the header says {int(head.group(1))}")
        if zlib.crc32(payload) != int(head.group(2), 16):
            raise ValueError("checksum mismatch")
    try:
        record = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, RecursionError) as err:
        raise ValueError(str(err)) from err
    if not isinstance(record, dict) or isinstance(record.get("seq"), bool) or not isinstance(record.get("seq"), int):
        raise ValueError("not a journal record")
    return record


@dataclass
class _JournalFile:
    """The intact records of one journal file, and where they end."""

    records: list[tuple[int, dict[str, Any]]]
    end: int  # byte offset just after the last intact record
    size: int
    torn: str | None  # why the bytes after ``end`` are not a record (a torn tail), None if there are none


def _read_journal(path: Path, journal: Path) -> _JournalFile:
    """Parse a journal; damage followed by intact records (not a torn tail) raises a one-line StoreError."""
    try:
        data = journal.read_bytes()
    except FileNotFoundError:
        return _JournalFile([], 0, 0, None)
    records: list[tuple[int, dict[str, Any]]] = []
    pos = number = 0
    while pos < len(data):
        newline = data.find(b"\n", pos)
        line = data[pos:] if newline < 0 else data[pos:newline]
        if not line.strip() and newline >= 0:
            pos = newline + 1
            continue
        number += 1
        problem: str | None = None
        if newline < 0:
            problem = "it was cut short (no end of line)"
        else:
            try:
                records.append((number, _unframe(line)))
            except ValueError as err:
                problem = str(err)
        if problem is not None:
            later = _intact_after(data, newline + 1 if newline >= 0 else len(data))
            if later:
                raise StoreError(f"journal {journal} record {number} (byte {pos}) is damaged ({problem}) and "
                                 f"{later} intact record(s) follow it; the state file {path} and the {number - 1} "
                                 "record(s) before it are intact: restore the journal from a backup, or move it away "
                                 "to start from the state file alone")
            return _JournalFile(records, pos, len(data), problem)
        pos = newline + 1
    return _JournalFile(records, pos, len(data), None)


def _intact_after(data: bytes, pos: int) -> int:
    """How many intact records follow ``pos`` (0: what is left is a torn tail)."""
    count = 0
    for line in data[pos:].split(b"\n")[:-1]:  # the part after the last newline is never whole
        if line.strip():
            try:
                _unframe(line)
            except ValueError:
                continue
            count += 1
    return count


def _replay(path: Path, journal: Path, parsed: _JournalFile, tables: dict[str, dict[int, dict[str, Any]]],
            base_seq: int) -> int:
    """Apply the records of one journal file newer than ``base_seq``; returns how many."""
    applied = 0
    for number, record in parsed.records:
        if record["seq"] <= base_seq:
            continue
        try:
            _apply(tables, record)
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise StoreError(f"journal {journal} record {number} is not a valid journal record ({err}); the state "
                             f"file {path} and the {number - 1} record(s) before it are intact") from None
        applied += 1
    return applied


@dataclass
class LoadedState:
    tables: dict[str, dict[int, dict[str, Any]]]
    replayed: int
    #: where the live journal's intact records end, when a torn tail follows them (recovery truncates it)
    live_end: int | None = None


def load_state(path: Path) -> tuple[dict[str, dict[int, dict[str, Any]]], int]:
    """The tables of a state file with its journal replayed; and how many records were replayed.

    Anything that is not a provsim state file (not UTF-8, not JSON, ``[]``,
    ``null``, wrong types), a damaged journal record followed by intact ones, and
    a state file missing beside a journal that does not hold everything raise
    :class:`StoreError`: one line naming the file (and the record).
    """
    loaded = _load(path)
    return loaded.tables, loaded.replayed


def _load(path: Path) -> LoadedState:
    tables: dict[str, dict[int, dict[str, Any]]] = {}
    has_state = path.exists() and path.stat().st_size > 0
    if has_state:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            raise _not_state(path, f"not UTF-8 text: {err}") from err
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as err:
            raise StoreError(f"state file {path} is not valid JSON: {err}") from err
        except RecursionError as err:
            raise _not_state(path, "nested too deeply") from err
        tables = _validated(path, raw)
    base = tables.get(_META_TABLE, {}).get(1, {}).get("seq", 0)
    if not isinstance(base, int):
        raise _not_state(path, f"_provsim.seq is {base!r}, not a number")
    live = _journal_path(path)
    journals = _segments(path) + [live]
    parsed = [(journal, _read_journal(path, journal)) for journal in journals]
    if not has_state:
        # A journal that holds everything starts with a record built on nothing ("base": 0) or a reset;
        # journals from before "base" was written are read as they always were.
        first = next(((j, rec) for j, p in parsed for _, rec in p.records[:1]), None)
        if first is not None and first[1].get("base", 0) != 0 and not first[1].get("clear"):
            journal, record = first
            raise StoreError(f"state file {path} is missing, but its journal {journal} is there and builds on record "
                             f"{record['base']}, which only the missing state file held. Put the state file back, or "
                             f"move {journal} away to start afresh")
    replayed = 0
    live_end: int | None = None
    for journal, journal_file in parsed:
        if journal_file.torn is not None:
            log.warning("%s: dropping a torn last record at byte %d (%s); it was never acknowledged", journal,
                        journal_file.end, journal_file.torn)
            if journal == live:
                live_end = journal_file.end
        replayed += _replay(path, journal, journal_file, tables, base)
    return LoadedState(tables, replayed, live_end)


class Journal:
    """The append-only write-ahead log beside a state file (one framed record per commit).

    ``truncate_to`` cuts a torn tail off before the first append (recovery); a
    failed append (a full disk) cuts its own partial bytes off again, so the file
    only ever holds whole records.
    """

    def __init__(self, path: Path, *, fsync: bool = False, truncate_to: int | None = None) -> None:
        self.path = path
        self.fsync = fsync
        self.records = 0
        self._fd = self._open(truncate_to)

    def _open(self, truncate_to: int | None = None) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        size = os.fstat(fd).st_size
        if truncate_to is not None and truncate_to < size:
            os.ftruncate(fd, truncate_to)
            os.fsync(fd)
            size = truncate_to
        self.bytes = size
        self._partial = False
        return fd

    def append(self, payload: bytes) -> None:
        """Write one record; when this returns the record survives ``kill -9`` (and power loss with fsync).
        On an OSError nothing of the record stays in the file (as far as the file system lets us)."""
        if self._partial:
            self._cut_partial()
        view = memoryview(_frame(payload))
        size = len(view)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            if self.fsync:
                os.fsync(self._fd)
        except OSError:
            self._partial = True
            try:
                self._cut_partial()
            except OSError:
                pass  # tried again before the next append
            raise
        self.bytes += size
        self.records += 1

    def _cut_partial(self) -> None:
        os.ftruncate(self._fd, self.bytes)
        self._partial = False

    def rotate(self, seq: int) -> Path:
        """Close this journal under the name ``<journal>.<seq>`` and start an empty one."""
        os.close(self._fd)
        segment = self.path.with_name(f"{self.path.name}.{seq:020d}")
        os.replace(self.path, segment)
        self._fd = self._open()
        self.records = 0
        return segment

    def close(self) -> None:
        try:
            os.close(self._fd)
        except OSError:
            pass


class StateStorage(Storage):
    """Holds the database in memory; the :class:`Store` makes it durable (journal + state file).

    With ``path=None`` it is a pure in-memory storage (tests, ``make run``).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else None
        self._tables: dict[str, dict[int, dict[str, Any]]] = {}
        self.dirty = False
        self.flush_count = 0
        self.replayed = 0
        #: where the live journal's intact records end when a torn tail follows (cut off before the first append)
        self.journal_end: int | None = None
        if self.path:
            loaded = _load(self.path)
            self._tables, self.replayed, self.journal_end = loaded.tables, loaded.replayed, loaded.live_end
            self.dirty = bool(self.replayed)

    # -- tinydb.Storage interface (used for whole-database reads/writes only) --
    def read(self) -> dict[str, dict[str, Any]]:
        return {name: {str(k): v for k, v in docs.items()} for name, docs in self._tables.items()}

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._tables = {name: {int(k): v for k, v in docs.items()} for name, docs in data.items()}
        self.dirty = True

    def close(self) -> None:
        pass

    # -- live access for IndexedTable --
    def live(self, name: str) -> dict[int, dict[str, Any]]:
        return self._tables.setdefault(name, {})


def _serialize_chunks(tables: dict[str, dict[int, dict[str, Any]]]) -> Iterator[bytes]:
    """The state file's bytes, a few thousand documents per ``json.dumps`` call."""
    yield b"{"
    for t_index, name in enumerate(sorted(tables)):
        docs = tables[name]
        yield (("," if t_index else "") + json.dumps(name, ensure_ascii=False) + ":{").encode("utf-8")
        ids = sorted(docs)
        for start in range(0, len(ids), _CHUNK):
            chunk = {str(i): docs[i] for i in ids[start:start + _CHUNK]}
            body = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))[1:-1]
            yield (("," if start else "") + body).encode("utf-8")
        yield b"}"
    yield b"}"


def _remove_stale_temp_files(path: Path) -> None:
    """Temporary files of a compaction killed mid-write (``_write_atomically``'s names); they were never the
    state file and nothing reads them."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            stale.unlink()
            log.warning("removed %s, left by a compaction that did not finish", stale)
        except OSError as err:
            log.warning("cannot remove %s: %s", stale, err)


def _write_atomically(path: Path, chunks: Iterable[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


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
    def _read_table(self) -> dict[int, dict[str, Any]]:  # type: ignore[override]
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
    def get(  # type: ignore[override]
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

    def put(self, doc_id: int, doc: Mapping[str, Any]) -> None:
        """Replace the document ``doc_id`` whole."""
        with self._store.transaction():
            if doc_id not in self._read_table():
                raise KeyError(doc_id)
            self._replace(doc_id, _clone_doc(doc))

    def _replace(self, doc_id: int, doc: dict[str, Any]) -> None:
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
        self._storage.dirty = True

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

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Hold the lock; if the block raises, every write inside it is undone.

        The outermost transaction commits: its changes are journaled before it
        returns, and if they cannot be (a document JSON cannot encode, a full
        disk) it is undone and raises :class:`StoreError`.
        """
        with self.lock:
            self._undo.append([])
            try:
                yield self
                if len(self._undo) == 1 and self._journal is not None:
                    self._commit_locked(force_meta=False)
            except BaseException:
                log = self._undo.pop()
                for table, doc_id, old in reversed(log):
                    table._restore(doc_id, old)
                raise
            else:
                log = self._undo.pop()
                if self._undo:  # nested: the outer transaction may still undo it
                    self._undo[-1].extend(log)

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
