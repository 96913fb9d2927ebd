"""The store's persistence: a state file in TinyDB's layout and the write-ahead journal beside it.

The state file is ``{table: {doc_id: document}}`` (``TinyDB(path)`` can open it); the journal
(``<state>.journal``) gets one record per committed transaction before the caller answers, so an
acknowledged write survives ``kill -9``.  :class:`simulator.core.store.Store` decides when to write
and compact; this module owns the formats, loading and recovery.

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
a one-line :class:`StoreError`.  A failed append (a full disk) removes its own
partial bytes and is never acknowledged (:class:`StorageUnavailable`);
temporary files of a compaction killed mid-write are removed at the next start.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from .errors import StoreError

__all__ = ["StateStorage", "Journal", "LoadedState", "load_state"]

log = logging.getLogger(__name__)

#: the table of the store's own bookkeeping (seq, clock, id streams)
_META_TABLE = "_provsim"
_CHUNK = 2000  # documents serialised per json.dumps call during compaction (lets other threads run in between)


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
