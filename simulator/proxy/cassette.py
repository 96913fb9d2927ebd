"""Cassettes: vcrpy's own format, loaded and saved through vcrpy's own parts.

A provsim cassette *is* a vcrpy cassette (``version: 1``, ``interactions`` of
``request``/``response``), so a user can replay it with ``vcr.use_cassette`` in
their own tests, and a vcrpy cassette can be replayed by the proxy.  We use:

* :class:`vcr.cassette.Cassette` as the container (``append``, ``_save``),
* :class:`vcr.request.Request` for recorded requests,
* the response dict vcrpy's httpx stub writes (``status``/``headers``/``body``),
* :class:`vcr.persisters.filesystem.FilesystemPersister`, subclassed only to make a
  save atomic (temp file + rename) and a broken file an error instead of a silently
  empty cassette,
* ``vcr.serializers.yamlserializer`` (default) and ``jsonserializer``.

Determinism: requests serialize in vcrpy's fixed key order, responses in the order
built here, YAML sorts keys; nothing here reads a clock.  Same traffic, same bytes.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from vcr.cassette import Cassette
from vcr.persisters.filesystem import CassetteNotFoundError as VcrCassetteNotFound
from vcr.persisters.filesystem import FilesystemPersister
from vcr.record_mode import RecordMode
from vcr.request import Request
from vcr.serialize import deserialize, serialize
from vcr.serializers import jsonserializer, yamlserializer

from .errors import CassetteFormatError, CassetteNotFoundError

__all__ = [
    "CassetteFormat",
    "Interaction",
    "ResponseDict",
    "CassetteFile",
    "AtomicFilesystemPersister",
    "make_request",
    "make_response",
    "load_interactions",
    "save_interactions",
    "read_raw",
    "serializer_for",
    "interactions_text",
    "format_for",
]

#: The response shape vcrpy's httpx stub records: status, headers (name -> list), body.
ResponseDict = dict[str, Any]


class CassetteFormat(str, Enum):  # noqa: UP042
    """On-disk serialization; YAML by default (readable diffs), JSON on request."""

    YAML = "yaml"
    JSON = "json"


def serializer_for(fmt: CassetteFormat) -> ModuleType:
    """The vcrpy serializer module for a format."""
    return jsonserializer if fmt is CassetteFormat.JSON else yamlserializer


def format_for(path: str | os.PathLike[str], fmt: CassetteFormat | str | None = None) -> CassetteFormat:
    """The explicit format if given, else guessed from the suffix (``.json`` -> JSON, else YAML)."""
    if fmt is not None:
        return CassetteFormat(fmt)
    return CassetteFormat.JSON if Path(path).suffix.lower() == ".json" else CassetteFormat.YAML


@dataclass(frozen=True)
class Interaction:
    """One recorded exchange, as vcrpy holds it: a ``Request`` and a response dict."""

    request: Request
    response: ResponseDict

    @property
    def status(self) -> int:
        return int(self.response["status"]["code"])

    @property
    def response_body(self) -> bytes:
        body = self.response.get("body", {}).get("string", b"")
        if body is None:
            return b""
        return body.encode("utf-8") if isinstance(body, str) else bytes(body)

    @property
    def request_body(self) -> bytes:
        body = self.request.body
        if body is None:
            return b""
        return body.encode("utf-8") if isinstance(body, str) else bytes(body)

    def label(self) -> str:
        """``METHOD path?query``: how reports name an interaction."""
        uri = self.request.parsed_uri
        target = uri.path + (f"?{uri.query}" if uri.query else "")
        return f"{self.request.method} {target}"


def make_request(method: str, uri: str, body: bytes | None, headers: Iterable[tuple[str, str]]) -> Request:
    """A vcrpy ``Request``; repeated header names are joined with ``, `` (RFC 9110 §5.3)
    because vcrpy's request headers hold one value per name."""
    joined: dict[str, str] = {}
    names: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in joined:
            joined[key] = f"{joined[key]}, {value}"
        else:
            names[key] = name
            joined[key] = value
    return Request(method.upper(), uri, body if body is not None else b"", {names[k]: v for k, v in joined.items()})


def make_response(status: int, reason: str, headers: Iterable[tuple[str, str]], body: bytes) -> ResponseDict:
    """A response dict in the layout vcrpy's httpx stub records and replays."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name, []).append(value)
    return {"status": {"code": int(status), "message": reason}, "headers": grouped, "body": {"string": body}}


class AtomicFilesystemPersister(FilesystemPersister):
    """vcrpy's filesystem persister, with two changes the proxy needs.

    * ``save_cassette`` writes a temp file beside the cassette and renames it over the
      old one, so a crash mid-save leaves the previous complete cassette (at most the
      exchange in flight is lost), never half a file.
    * ``load_cassette`` raises :class:`CassetteFormatError` for a file that does not
      parse, where vcrpy would log and treat it as empty (and then overwrite it).
    """

    @classmethod
    def load_cassette(cls, cassette_path: Any, serializer: Any) -> Any:
        path = Path(cassette_path)
        if not path.is_file():
            raise VcrCassetteNotFound()
        try:
            data = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise CassetteFormatError(f"{path}: not UTF-8 text ({err})") from err
        if not data.strip():
            raise VcrCassetteNotFound()
        try:
            return deserialize(data, serializer)
        except (yaml.YAMLError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise CassetteFormatError(f"{path}: not a vcrpy cassette ({type(err).__name__}: {err})") from err

    @staticmethod
    def save_cassette(cassette_path: Any, cassette_dict: Any, serializer: Any) -> None:
        _write_atomic(Path(cassette_path), serialize(cassette_dict, serializer))


class _Fragments:
    """Incremental serialization: each interaction is serialized once, by vcrpy's own
    ``serialize`` and serializer, and the document is assembled from the cached pieces.

    A save after every exchange then costs one interaction's serialization plus a file
    write, instead of re-serializing the whole cassette (quadratic in a long recording).
    The assembled text is byte-identical to ``vcr.serialize.serialize`` of the whole
    cassette (a test holds us to that)."""

    _YAML_HEAD = "interactions:\n"
    _YAML_TAIL = "version: 1\n"
    _JSON_HEAD = '{\n    "version": 1,\n    "interactions": [\n'
    _JSON_TAIL = "\n    ]\n}\n"

    def __init__(self, fmt: CassetteFormat) -> None:
        self.format = fmt
        self.pieces: list[str] = []

    def add(self, request: Request, response: ResponseDict) -> None:
        text = serialize({"requests": [request], "responses": [response]}, serializer_for(self.format))
        head, tail = (self._JSON_HEAD, self._JSON_TAIL) if self.format is CassetteFormat.JSON else (self._YAML_HEAD, self._YAML_TAIL)
        if not (text.startswith(head) and text.endswith(tail)):  # pragma: no cover - a serializer we do not know
            raise CassetteFormatError("unexpected serializer output; cannot save incrementally")
        self.pieces.append(text[len(head) : -len(tail)])

    def document(self) -> str | None:
        """The whole cassette text, or None for an empty cassette (let vcrpy write that)."""
        if not self.pieces:
            return None
        if self.format is CassetteFormat.JSON:
            return self._JSON_HEAD + ",\n".join(self.pieces) + self._JSON_TAIL
        return self._YAML_HEAD + "".join(self.pieces) + self._YAML_TAIL


def _write_atomic(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class CassetteFile:
    """A vcrpy ``Cassette`` opened by the proxy: thread-safe append that saves each time.

    Saving after every exchange is what bounds a crash to the exchange in flight; each
    interaction is serialized once (:class:`_Fragments`) and the file rewritten atomically
    (see ``benchmarks/proxy.py`` for the figures).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        format: CassetteFormat | str | None = None,
        fresh: bool = False,
    ) -> None:
        """Open (and load, if it exists) a cassette; ``fresh`` starts empty instead, and the
        old file is replaced only by the first save (a record session that records nothing
        leaves it alone)."""
        self.path = Path(path)
        self.format = format_for(path, format)
        self._lock = threading.Lock()
        options: dict[str, Any] = {
            "path": str(self.path),
            "serializer": serializer_for(self.format),
            "persister": AtomicFilesystemPersister,
            "record_mode": RecordMode.NEW_EPISODES,
        }
        self._cassette = Cassette(**options) if fresh else Cassette.load(**options)
        self._fragments: _Fragments | None = None

    def __len__(self) -> int:
        return len(self._cassette)

    @property
    def interactions(self) -> list[Interaction]:
        with self._lock:
            return [Interaction(req, resp) for req, resp in self._cassette.data]

    def append(self, request: Request, response: ResponseDict) -> int:
        """Record one (already scrubbed) exchange and save the whole cassette; returns its index."""
        with self._lock:
            self._cassette.append(request, response)
            if self._fragments is None:  # first save of this session: serialize what was loaded, once
                self._fragments = _Fragments(self.format)
                for req, resp in self._cassette.data[:-1]:
                    self._fragments.add(req, resp)
            req, resp = self._cassette.data[-1]
            self._fragments.add(req, resp)
            document = self._fragments.document()
            assert document is not None
            _write_atomic(self.path, document)
            self._cassette.dirty = False
            return len(self._cassette) - 1

    def save(self) -> None:
        """Write the cassette even if nothing new was recorded (an empty record session)."""
        with self._lock:
            self._cassette._save(force=True)


def load_interactions(path: str | os.PathLike[str], *, format: CassetteFormat | str | None = None) -> list[Interaction]:
    """Load a cassette that must exist (replay, check, diff, verify)."""
    p = Path(path)
    if not p.is_file():
        raise CassetteNotFoundError(f"cassette not found: {p}")
    fmt = format_for(p, format)
    try:
        requests, responses, *_ = AtomicFilesystemPersister.load_cassette(p, serializer_for(fmt))
    except VcrCassetteNotFound:
        return []
    return [Interaction(req, resp) for req, resp in zip(requests, responses, strict=True)]


def save_interactions(
    path: str | os.PathLike[str],
    interactions: Sequence[Interaction],
    *,
    format: CassetteFormat | str | None = None,
) -> None:
    """Write a whole cassette at once (tools, benchmarks, editing a golden cassette), atomically."""
    _write_atomic(Path(path), interactions_text(interactions, format=format_for(path, format)))


def interactions_text(interactions: Sequence[Interaction], *, format: CassetteFormat = CassetteFormat.YAML) -> str:
    """A whole cassette as text, as vcrpy serializes it (what :func:`save_interactions` writes)."""
    return serialize(
        {"requests": [i.request for i in interactions], "responses": [i.response for i in interactions]},
        serializer_for(format),
    )


def read_raw(path: str | os.PathLike[str], *, format: CassetteFormat | str | None = None) -> Any:
    """The cassette as plain data, without building requests (``check`` inspects malformed entries)."""
    p = Path(path)
    if not p.is_file():
        raise CassetteNotFoundError(f"cassette not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
        return serializer_for(format_for(p, format)).deserialize(text)
    except (yaml.YAMLError, ValueError, UnicodeDecodeError) as err:
        raise CassetteFormatError(f"{p}: does not parse ({type(err).__name__}: {err})") from err
