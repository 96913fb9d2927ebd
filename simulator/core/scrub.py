"""Removing secrets from anything provsim writes down (traffic log, access log, reports, cassettes).

One scrubber, by meaning rather than by spelling: a body is first *decoded*
(byte-order mark, ``charset``, UTF-16/32 told apart as RFC 8259 §8.1 and
``json.detect_encoding`` do, whatever the ``Content-Type`` claims or whether it
is there at all), then read for what it is (JSON, a form, or text that holds
``name=value`` pairs or ``Bearer`` credentials), and only then scrubbed.  Query
parameter names are matched after percent-decoding and normalising
(``access%5Ftoken``, ``%61ccess_token``, ``ACCESS_TOKEN``, ``;access_token``,
``access_token[]`` are all ``access_token``), and a URL inside a JSON string
(Graph's ``@odata.nextLink`` echoes the query it was called with) is scrubbed
as a URL.

Small composable functions, in the manner of vcrpy's ``filters.py``: the fakes'
traffic log, ``serve --access-log``, scenario reports and the proxy's cassette
filters (``simulator.proxy.scrub``) all call these, so a secret looks the same
(``REDACTED``) everywhere provsim writes.
"""

from __future__ import annotations

import codecs
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_FIELDS",
    "Decoded",
    "decode_body",
    "is_secret_name",
    "scrub_headers",
    "scrub_json",
    "scrub_form",
    "scrub_body",
    "scrub_body_bytes",
    "scrub_text",
    "scrub_query",
    "scrub_url",
    "secret_path",
    "renderable",
]

REDACTED = "REDACTED"

#: Header names (lower case) whose values are credentials.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-ms-client-secret"})

#: Field names (JSON keys, form fields, query parameters; normalised) whose values are credentials.
SECRET_FIELDS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "client_assertion",
        "password",
        "secrettoken",
        "secret",
        "secrettext",
    }
)

_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/=]{8,}")
_SEPARATORS = re.compile(r"([&;])")
_URLISH = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^?#\s]*\?|^/[^?\s]*\?")

OnSecret = Callable[[str], None] | None


def _fields(extra: Iterable[str]) -> frozenset[str]:
    extra = [normalize_name(f) for f in extra]
    return SECRET_FIELDS | frozenset(extra) if extra else SECRET_FIELDS


def normalize_name(name: str) -> str:
    """A parameter or field name as it means: percent-decoded (twice over at most), lower case, ``-`` as
    ``_``, an array suffix (``[]``, ``[0]``) and surrounding spaces removed."""
    text = name
    for _ in range(3):
        decoded = unquote_plus(text)
        if decoded == text:
            break
        text = decoded
    text = text.strip().lower().replace("-", "_")
    bracket = text.find("[")
    if bracket > 0:
        text = text[:bracket]
    return text.strip()


def is_secret_name(name: str, fields: Iterable[str] = SECRET_FIELDS) -> bool:
    wanted = fields if isinstance(fields, frozenset) else frozenset(fields)
    return normalize_name(name) in wanted


def scrub_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str], extra: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Header pairs with credential values replaced by ``REDACTED`` (and secrets in ``Location`` URLs)."""
    names = SECRET_HEADERS | {h.lower() for h in extra}
    items = headers.items() if isinstance(headers, Mapping) else headers
    out = []
    for k, v in items:
        lowered = k.lower()
        if lowered in names:
            out.append((k, REDACTED))
        elif lowered in ("location", "content-location", "referer") and "?" in v:
            out.append((k, scrub_url(v)))
        else:
            out.append((k, v))
    return out


def scrub_json(value: Any, extra_fields: Iterable[str] = (), *, on_secret: OnSecret = None) -> Any:
    """A copy of a JSON value with secret fields redacted at any depth.

    Graph's ``{"key": "SecretToken", "value": "..."}`` pairs (synchronization
    secrets, validateCredentials), SCIM PATCH operations whose ``path`` names a
    secret, and secrets in the query of URL strings (``@odata.nextLink``) are
    redacted too.
    """
    fields = _fields(extra_fields)

    def secret(v: Any) -> str:
        if on_secret is not None and isinstance(v, str):
            on_secret(v)
        return REDACTED

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            out: dict[Any, Any] = {}
            key_name = item.get("key") if isinstance(item.get("key"), str) else None
            # A SCIM PATCH operation whose path names a secret: {"op": "replace", "path": "password", "value": ...}
            op_path = item.get("path") if isinstance(item.get("path"), str) else None
            secret_op = op_path is not None and secret_path(op_path, fields)
            for k, v in item.items():
                if not isinstance(k, str):
                    out[k] = walk(v)
                elif normalize_name(k) in fields and v not in (None, ""):
                    out[k] = secret(v) if v != REDACTED else v
                elif k == "value" and key_name and normalize_name(key_name) in fields and isinstance(v, str):
                    out[k] = secret(v) if v != REDACTED else v
                elif k.lower() == "value" and secret_op and v not in (None, ""):
                    out[k] = secret(v) if v != REDACTED else v
                else:
                    out[k] = walk(v)
            return out
        if isinstance(item, list):
            return [walk(v) for v in item]
        if isinstance(item, str) and "?" in item and _URLISH.match(item):
            return scrub_url(item, extra_fields, on_secret=on_secret)
        return item

    return walk(value)


def secret_path(path: str, fields: Iterable[str] = SECRET_FIELDS) -> bool:
    """Does a SCIM attribute path (``password``, ``urn:...:User:password``, ``x[...].password``) name a secret?"""
    last = path.strip().rsplit(":", 1)[-1].rsplit(".", 1)[-1].split("[", 1)[0].strip()
    return is_secret_name(last, fields)


def scrub_query(query: str, extra_fields: Iterable[str] = (), *, on_secret: OnSecret = None) -> str:
    """A query string (or form body) with the values of secret parameters redacted; everything else,
    separators (``&`` and ``;``) and spelling included, kept byte for byte."""
    if not query or "=" not in query:
        return query
    fields = _fields(extra_fields)
    parts = _SEPARATORS.split(query)
    for i in range(0, len(parts), 2):
        name, sep, value = parts[i].partition("=")
        if sep and value and value != REDACTED and is_secret_name(name, fields):
            if on_secret is not None:
                on_secret(unquote_plus(value))
            parts[i] = f"{name}={REDACTED}"
    return "".join(parts)


def scrub_url(url: str, extra_fields: Iterable[str] = (), *, on_secret: OnSecret = None) -> str:
    """A URL (absolute or a path) with its query's secrets redacted."""
    head, sep, rest = url.partition("?")
    if not sep:
        return url
    query, hash_sep, fragment = rest.partition("#")
    return head + sep + scrub_query(query, extra_fields, on_secret=on_secret) + hash_sep + fragment


def scrub_form(text: str, extra_fields: Iterable[str] = (), *, on_secret: OnSecret = None) -> str:
    """An ``application/x-www-form-urlencoded`` body with its secret fields redacted."""
    return scrub_query(text, extra_fields, on_secret=on_secret)


@functools.lru_cache(maxsize=16)
def _pair_pattern(fields: frozenset[str]) -> re.Pattern[str]:
    names = "|".join(sorted((re.escape(f) for f in fields), key=len, reverse=True))
    return re.compile(rf"(?i)(\b(?:{names})\b[\"']?\s*[:=]\s*[\"']?)([^\s&;,\"'<>]+)")


def scrub_text(text: str, extra_fields: Iterable[str] = (), *, on_secret: OnSecret = None) -> str:
    """Redact ``Bearer …``/``Basic …`` credentials and ``password=…``/``"client_secret": "…"`` pairs
    inside free text (logs echoed back, HTML error pages, a form sent as text/plain)."""
    pair = _pair_pattern(_fields(extra_fields))

    def redact_pair(m: re.Match[str]) -> str:
        if m.group(2) == REDACTED:
            return m.group(0)
        if on_secret is not None:
            on_secret(m.group(2))
        return m.group(1) + REDACTED

    def redact_bearer(m: re.Match[str]) -> str:
        if on_secret is not None:
            on_secret(m.group(0).split(None, 1)[1])
        return f"{m.group(1)} {REDACTED}"

    return pair.sub(redact_pair, _BEARER.sub(redact_bearer, text))


# ---- decoding ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Decoded:
    """A body as text, and how to turn (scrubbed) text back into the same kind of bytes."""

    text: str
    codec: str
    bom: bytes = b""
    exact: bool = True  # False: undecodable bytes were replaced (the text is for reading, not re-encoding)

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.codec, "surrogatepass" if self.codec.startswith("utf-16") else "strict")


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _charset(content_type: str | None) -> str | None:
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            try:
                return codecs.lookup(value.strip().strip('"')).name
            except LookupError:
                return None
    return None


def decode_body(body: bytes, content_type: str | None = None) -> Decoded:
    """The text of a body whatever it came as: a BOM first, then UTF-16/32 recognised by its zero bytes
    (RFC 8259 §8.1 / ``json.detect_encoding``), then a declared ``charset``, then UTF-8; bytes nothing
    decodes are replaced (``exact=False``)."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            try:
                return Decoded(body[len(bom):].decode(codec), codec, bom)
            except UnicodeDecodeError:
                break
    candidates: list[str] = []
    if len(body) >= 2 and b"\x00" in body[:4]:
        candidates.append(json.detect_encoding(body))
    declared = _charset(content_type)
    if declared:
        candidates.append(declared)
    candidates.append("utf-8")
    for codec in candidates:
        try:
            return Decoded(body.decode(codec), codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return Decoded(body.decode("utf-8", "replace"), "utf-8", exact=False)


_FORMISH = re.compile(r"^[^=&;\s{}\[\]\"<>]+=[^&;\s]*(?:[&;][^=&;\s]+=[^&;\s]*)*$")


def _scrub_text_body(text: str, content_type: str | None, extra_fields: Iterable[str], on_secret: OnSecret, *,
                     reformat: bool = False) -> str:
    """Scrub decoded text by what it is: JSON (re-serialised when it changed, or always with ``reformat``),
    a form, or free text."""
    ctype = (content_type or "").lower()
    stripped = text.lstrip()
    if stripped[:1] in ("{", "[") or "json" in ctype:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = _NOT_JSON
        if data is not _NOT_JSON:
            scrubbed = scrub_json(data, extra_fields, on_secret=on_secret)
            return text if scrubbed == data and not reformat else json.dumps(scrubbed, ensure_ascii=False)
    if "x-www-form-urlencoded" in ctype or _FORMISH.match(text.strip()):
        return scrub_form(text, extra_fields, on_secret=on_secret)
    return scrub_text(text, extra_fields, on_secret=on_secret)


_NOT_JSON = object()


def renderable(text: str) -> str:
    """Text that can be written as UTF-8 anywhere (lone surrogates shown as ``\\udxxx`` escapes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def scrub_body(body: bytes | str | None, content_type: str | None, extra_fields: Iterable[str] = ()) -> str | None:
    """A body as text (for the traffic log and reports) with its secrets removed, whatever its encoding."""
    if body is None:
        return None
    text = decode_body(body, content_type).text if isinstance(body, bytes) else body
    if not text:
        return text
    return renderable(_scrub_text_body(text, content_type, extra_fields, None, reformat=True))


def scrub_body_bytes(body: bytes, content_type: str | None, extra_fields: Iterable[str] = (), *,
                     on_secret: OnSecret = None) -> bytes:
    """A body with its secrets removed, as bytes in its own encoding (cassettes): unchanged bytes when
    it holds no secret, re-encoded as it came (BOM, UTF-16, ...) when it did."""
    if not body:
        return body
    decoded = decode_body(body, content_type)
    scrubbed = _scrub_text_body(decoded.text, content_type, extra_fields, on_secret)
    if scrubbed == decoded.text:
        return body
    if not decoded.exact:
        return renderable(scrubbed).encode("utf-8")
    try:
        return decoded.encode(scrubbed)
    except UnicodeEncodeError:
        return renderable(scrubbed).encode("utf-8")
