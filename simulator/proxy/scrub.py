"""Scrubbing: small composable filters that remove secrets before anything is written.

Each filter is a function ``Message -> Message`` (vcrpy's ``before_record_*`` habit, made
symmetric so the same filter serves requests and responses).  A :class:`Scrubber` chains
them and applies the chain to vcrpy ``Request`` objects and recorded response dicts.
Replay scrubs the incoming request with the same chain before matching, so matching
happens on the scrubbed form and a recording never needs the secret to be replayed.

Bodies are edited textually where possible (the JSON-encoded secret is replaced in the
original bytes), so an unscrubbed body stays byte-identical and a scrubbed one keeps
its formatting; when that cannot be done safely the body is re-serialized.

The secret lists and the value-level primitives (``scrub_headers``, ``scrub_json``,
``scrub_form``, ``scrub_text``) are :mod:`simulator.core.scrub`'s, shared with the fakes'
traffic log, so a secret looks the same (``REDACTED``) everywhere provsim writes.  This
module adds what cassettes need on top: byte-preserving body edits, user-configured
paths, remembered secrets, pseudonyms, and the vcrpy adapters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from vcr.request import Request

from simulator.core.scrub import (
    _FORMISH,
    REDACTED,
    SECRET_FIELDS,
    Decoded,
    decode_body,
    renderable,
    scrub_form,
    scrub_headers,
    scrub_json,
    scrub_query,
    scrub_text,
)
from simulator.core.scrub import SECRET_HEADERS as _CORE_SECRET_HEADERS

from .cassette import ResponseDict, make_request

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "VOLATILE_RESPONSE_HEADERS",
    "DEFAULT_PSEUDONYM_KEY",
    "Message",
    "ScrubFilter",
    "Scrubber",
    "SecretMemory",
    "redact_headers",
    "drop_headers",
    "redact_json_keys",
    "redact_form_fields",
    "redact_query_params",
    "redact_json_paths",
    "redact_text_credentials",
    "redact_known_secrets",
    "pseudonymize",
    "pseudonym_email",
    "default_filters",
    "is_redacted",
]

#: Headers whose values are credentials (from simulator.core.scrub; RFC 9110 §11.6, RFC 6265).
SECRET_HEADERS: tuple[str, ...] = tuple(sorted(_CORE_SECRET_HEADERS))
#: Keys whose values are secrets in OAuth (RFC 6749 §4.4, §5.1; OIDC), Graph and form bodies.
SECRET_KEYS: tuple[str, ...] = tuple(sorted(SECRET_FIELDS))
#: Response headers that carry wall time or host details; dropped so same traffic => same bytes.
VOLATILE_RESPONSE_HEADERS: tuple[str, ...] = ("Date", "Server")
#: Not a secret: pseudonyms made with it can be confirmed by anyone who guesses an address.
#: Use your own key (``--pseudonym-key`` / ``PROVSIM_PSEUDONYM_KEY``) for recordings you share.
DEFAULT_PSEUDONYM_KEY = "provsim-pseudonyms-v1"

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_PSEUDONYM_DOMAIN = "example.invalid"
_MIN_REMEMBERED_SECRET = 6


def is_redacted(value: str) -> bool:
    """True for values this module writes in place of a secret (``check`` trusts these)."""
    v = value.strip()
    if not v or v == REDACTED:
        return True
    parts = v.split(None, 1)
    return len(parts) == 2 and parts[1] == REDACTED


@dataclass(frozen=True)
class Message:
    """A request or a response as filters see it: headers in order, body bytes, and a URI
    (requests only).  Immutable, so each filter is a pure function and testable alone."""

    kind: Literal["request", "response"]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    uri: str = ""

    def content_type(self) -> str:
        return self.full_content_type().split(";", 1)[0].strip().lower()

    def full_content_type(self) -> str:
        """``Content-Type`` with its parameters (``charset``), or ``""``."""
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value
        return ""

    def decoded(self) -> Decoded:
        """The body as text, whatever its encoding (``simulator.core.scrub.decode_body``)."""
        return decode_body(self.body, self.full_content_type())


ScrubFilter = Callable[[Message], Message]


class SecretMemory:
    """Secret values seen by the filters in this session, so a token redacted in the OAuth
    response is also redacted wherever it shows up later (a header, a query, an echo).
    Thread-safe: the threaded proxy scrubs concurrently."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def remember(self, value: str) -> None:
        if len(value) >= _MIN_REMEMBERED_SECRET and not is_redacted(value):
            with self._lock:
                self._values.add(value)

    def values(self) -> list[str]:
        """Longest first, so a secret that contains another is replaced whole."""
        with self._lock:
            return sorted(self._values, key=lambda v: (-len(v), v))


# --------------------------------------------------------------------------- helpers


def _is_json(msg: Message) -> bool:
    """JSON by its Content-Type, or (none, or text/plain) by what the decoded body is."""
    ct = msg.content_type()
    if ct == "application/json" or ct.endswith("+json"):
        return True
    return ct in ("", "text/plain") and bool(msg.body) and msg.decoded().text.lstrip()[:1] in ("{", "[")


def _is_form(msg: Message) -> bool:
    ct = msg.content_type()
    if ct == "application/x-www-form-urlencoded":
        return True
    return ct in ("", "text/plain") and bool(msg.body) and bool(_FORMISH.match(msg.decoded().text.strip()))


def _load_json(msg: Message) -> Any:
    try:
        return json.loads(msg.decoded().text)
    except (ValueError, RecursionError):
        return _NOT_JSON


_NOT_JSON = object()


def _rewrite_json(msg: Message, data: Any, new_data: Any, replacements: dict[str, str]) -> Message:
    """Put ``new_data`` in the body, keeping the original text (and encoding) where it can.

    Tries replacing each changed string's JSON encoding in the decoded text; if the
    result does not parse to ``new_data`` (other escaping, non-string secrets), falls
    back to re-serializing the data.  The text goes back into the body's own encoding
    (a BOM, UTF-16), so a scrubbed recording still looks like what was sent."""
    if new_data == data:
        return msg
    decoded = msg.decoded()
    text = decoded.text
    for old, new in sorted(replacements.items(), key=lambda kv: (-len(kv[0]), kv[0])):
        text = text.replace(json.dumps(old), json.dumps(new)).replace(
            json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False)
        )
    try:
        ok = json.loads(text) == new_data
    except ValueError:
        ok = False
    if not ok:
        text = json.dumps(new_data, ensure_ascii=False)
    try:
        body = decoded.encode(text) if decoded.exact else renderable(text).encode("utf-8")
    except UnicodeEncodeError:
        body = renderable(text).encode("utf-8")
    return _with_body(msg, body)


def _with_body(msg: Message, body: bytes) -> Message:
    """Replace the body and keep Content-Length truthful, so replay serves a valid message."""
    headers = tuple(
        (n, str(len(body)) if n.lower() == "content-length" else v) for n, v in msg.headers
    )
    return replace(msg, body=body, headers=headers)


def _walk(data: Any, fn: Callable[[str | None, Any, Any], Any], key: str | None = None, parent: Any = None) -> Any:
    """Rebuild ``data`` bottom-up, calling ``fn(key, value, parent)`` on every value."""
    if isinstance(data, dict):
        rebuilt: Any = {k: _walk(v, fn, k, data) for k, v in data.items()}
    elif isinstance(data, list):
        rebuilt = [_walk(v, fn, key, data) for v in data]
    else:
        rebuilt = data
    return fn(key, rebuilt, parent)


def _names(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


# --------------------------------------------------------------------------- filters


def redact_headers(names: Iterable[str] = SECRET_HEADERS, *, memory: SecretMemory | None = None) -> ScrubFilter:
    """Replace credential header values with ``REDACTED`` (``simulator.core.scrub``), and
    remember them (and a Basic credential's secret half) for :func:`redact_known_secrets`."""
    wanted = _names(names)

    def apply(msg: Message) -> Message:
        hits = [(n, v) for n, v in msg.headers if n.lower() in wanted and not is_redacted(v)]
        if not hits:
            return msg
        if memory is not None:
            for name, value in hits:
                _remember_header(name, value, memory)
        return replace(msg, headers=tuple(scrub_headers(list(msg.headers), extra=wanted)))

    return apply


def _remember_header(name: str, value: str, memory: SecretMemory) -> None:
    lname = name.lower()
    if lname in ("authorization", "proxy-authorization"):
        scheme, _, cred = value.partition(" ")
        memory.remember(cred or scheme)
        if scheme.lower() == "basic":
            _remember_basic(cred, memory)
    elif lname in ("cookie", "set-cookie"):
        pairs = value.split(";") if lname == "cookie" else value.split(";")[:1]
        for pair in pairs:
            memory.remember(pair.partition("=")[2].strip())
    else:
        memory.remember(value)


def _remember_basic(cred: str, memory: SecretMemory) -> None:
    try:
        decoded = base64.b64decode(cred, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return
    _, _, secret = decoded.partition(":")
    memory.remember(secret)


def drop_headers(names: Iterable[str] = VOLATILE_RESPONSE_HEADERS, *, kinds: Sequence[str] = ("response",)) -> ScrubFilter:
    """Remove headers entirely (by default the response's ``Date`` and ``Server``)."""
    wanted = _names(names)

    def apply(msg: Message) -> Message:
        if msg.kind not in kinds:
            return msg
        return replace(msg, headers=tuple((n, v) for n, v in msg.headers if n.lower() not in wanted))

    return apply


def _changed_strings(old: Any, new: Any, found: dict[str, str]) -> None:
    """Collect ``old string -> new string`` for every value a scrub changed."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k in old:
            if k in new:
                _changed_strings(old[k], new[k], found)
    elif isinstance(old, list) and isinstance(new, list):
        for a, b in zip(old, new, strict=False):
            _changed_strings(a, b, found)
    elif isinstance(old, str) and isinstance(new, str) and old != new:
        found[old] = new


def redact_json_keys(keys: Iterable[str] = SECRET_KEYS, *, memory: SecretMemory | None = None) -> ScrubFilter:
    """Redact secret keys at any depth of a JSON body (``simulator.core.scrub.scrub_json``:
    OAuth token responses, ``passwordProfile.password``, Graph ``{"key": "SecretToken",
    "value": ...}`` pairs), keeping the body's own formatting."""
    extra = [k for k in keys if k.lower() not in SECRET_FIELDS]

    def apply(msg: Message) -> Message:
        if not msg.body or not _is_json(msg):
            return msg
        data = _load_json(msg)
        if data is _NOT_JSON:
            return msg
        new = scrub_json(data, extra)
        if new == data:
            return msg
        replacements: dict[str, str] = {}
        _changed_strings(data, new, replacements)
        if memory is not None:
            for secret in replacements:
                memory.remember(secret)
        return _rewrite_json(msg, data, new, replacements)

    return apply


def redact_form_fields(names: Iterable[str] = SECRET_KEYS, *, memory: SecretMemory | None = None) -> ScrubFilter:
    """Redact fields of ``application/x-www-form-urlencoded`` bodies (RFC 6749 §2.3.1
    ``client_secret``, RFC 7523 ``client_assertion``, the password grant) with
    ``simulator.core.scrub.scrub_form``."""
    wanted = _names(names)
    extra = [n for n in wanted if n not in SECRET_FIELDS]

    def apply(msg: Message) -> Message:
        if not msg.body or not _is_form(msg):
            return msg
        decoded = msg.decoded()
        found: list[str] = []
        text = scrub_form(decoded.text, extra, on_secret=found.append)
        if text == decoded.text:
            return msg
        if memory is not None:
            for value in found:
                memory.remember(value)
        return _with_body(msg, decoded.encode(text) if decoded.exact else text.encode("utf-8"))

    return apply


def redact_text_credentials() -> ScrubFilter:
    """``Bearer …``/``Basic …`` inside text bodies (HTML error pages, logs echoed back)."""

    def apply(msg: Message) -> Message:
        if not msg.body or _is_json(msg) or _is_form(msg):
            return msg
        decoded = msg.decoded()
        new = scrub_text(decoded.text)
        if new == decoded.text:
            return msg
        return _with_body(msg, decoded.encode(new) if decoded.exact else renderable(new).encode("utf-8"))

    return apply


def redact_query_params(names: Iterable[str] = SECRET_KEYS, *, memory: SecretMemory | None = None) -> ScrubFilter:
    """Redact query parameters of request URIs (``?access_token=`` still exists in the wild)."""
    extra = [n for n in _names(names) if n not in SECRET_FIELDS]

    def apply(msg: Message) -> Message:
        if msg.kind != "request" or "?" not in msg.uri:
            return msg
        head, _, rest = msg.uri.partition("?")
        query, hash_sep, fragment = rest.partition("#")
        found: list[str] = []
        # matched after percent-decoding and normalising (access%5Ftoken, ;access_token, access_token[]),
        # the rest of the query kept byte for byte
        scrubbed = scrub_query(query, extra, on_secret=found.append)
        if scrubbed == query:
            return msg
        if memory is not None:
            for value in found:
                memory.remember(value)
        return replace(msg, uri=f"{head}?{scrubbed}{hash_sep}{fragment}")

    return apply


def _parse_path(path: str) -> list[str]:
    """``a.b[0].c`` / ``a[*].b`` (dotted) or ``/a/0/b`` (RFC 6901 JSON Pointer, for SCIM
    extension URNs that contain dots); ``*`` matches any key or index."""
    if path.startswith("/"):
        return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
    tokens: list[str] = []
    for part in path.split("."):
        m = re.fullmatch(r"([^\[\]]*)((?:\[[^\]]*\])*)", part)
        if not m:
            tokens.append(part)
            continue
        if m.group(1):
            tokens.append(m.group(1))
        tokens.extend(re.findall(r"\[([^\]]*)\]", m.group(2)))
    return tokens


def redact_json_paths(paths: Iterable[str], *, memory: SecretMemory | None = None) -> ScrubFilter:
    """Redact values at user-configured JSON paths (``--scrub-json-path``)."""
    parsed = [_parse_path(p) for p in paths]

    def redact_at(node: Any, tokens: list[str], found: dict[str, str]) -> Any:
        if not tokens:
            if isinstance(node, str):
                if not is_redacted(node):
                    found[node] = REDACTED
                    if memory is not None:
                        memory.remember(node)
                return REDACTED
            return REDACTED if node is not None and not isinstance(node, (dict, list)) else node
        head, rest = tokens[0], tokens[1:]
        if isinstance(node, dict):
            return {k: redact_at(v, rest, found) if head in ("*", k) else v for k, v in node.items()}
        if isinstance(node, list):
            return [redact_at(v, rest, found) if head in ("*", str(i)) else v for i, v in enumerate(node)]
        return node

    def apply(msg: Message) -> Message:
        if not parsed or not msg.body or not _is_json(msg):
            return msg
        data = _load_json(msg)
        if data is _NOT_JSON:
            return msg
        found: dict[str, str] = {}
        new = data
        for tokens in parsed:
            new = redact_at(new, tokens, found)
        return _rewrite_json(msg, data, new, found)

    return apply


def redact_known_secrets(memory: SecretMemory) -> ScrubFilter:
    """Replace every secret seen earlier in the session wherever it appears (vcrpy's
    ``filter_sensitive_data`` with values learned from the other filters)."""

    def apply(msg: Message) -> Message:
        secrets = memory.values()
        if not secrets:
            return msg
        body, uri, headers = msg.body, msg.uri, list(msg.headers)
        for secret in secrets:
            raw = secret.encode("utf-8")
            if raw in body:
                body = body.replace(raw, REDACTED.encode())
            if secret in uri or quote(secret, safe="") in uri:
                uri = uri.replace(secret, REDACTED).replace(quote(secret, safe=""), REDACTED)
            headers = [(n, v.replace(secret, REDACTED)) for n, v in headers]
        new = replace(msg, uri=uri, headers=tuple(headers))
        return _with_body(new, body) if body != msg.body else new

    return apply


def _digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value.strip().lower()}".encode(), hashlib.sha256).hexdigest()[:8]


def pseudonym_email(value: str, key: str = DEFAULT_PSEUDONYM_KEY) -> str:
    """The stable fake address for an e-mail (``user-3f9a2c1b@example.invalid``)."""
    if value.endswith("@" + _PSEUDONYM_DOMAIN):
        return value
    return f"user-{_digest(key.encode(), 'email', value)}@{_PSEUDONYM_DOMAIN}"


_NAME_LABELS = {
    "givenname": "Given",
    "familyname": "Family",
    "surname": "Family",
    "middlename": "Middle",
    "formatted": "Person",
    "displayname": "Person",
    "nickname": "Person",
}


def _is_person(obj: Any) -> bool:
    """SCIM users (``userName``/User schema) and Graph users (``userPrincipalName``): only
    their names are personal; a group's ``displayName`` must stay (groups match by name)."""
    if not isinstance(obj, dict):
        return False
    if "userName" in obj or "userPrincipalName" in obj:
        return True
    schemas = obj.get("schemas")
    return isinstance(schemas, list) and any(isinstance(s, str) and s.endswith(":User") for s in schemas)


def pseudonymize(key: str = DEFAULT_PSEUDONYM_KEY) -> ScrubFilter:
    """Consistent pseudonyms: a keyed hash (HMAC-SHA256, 8 hex) turns each e-mail address,
    anywhere in a body or the query, into the same fake address every time, and users'
    given/family/display names into ``Given 3f9a2c1b``-style names, so recordings of real
    orgs can be shared and still replay (replay pseudonymizes incoming requests alike)."""
    kbytes = key.encode()

    def fake_emails(text: str) -> str:
        return _EMAIL_RE.sub(lambda m: pseudonym_email(m.group(0), key), text)

    def fake_name(field_key: str, value: str) -> str:
        return f"{_NAME_LABELS[field_key.lower()]} {_digest(kbytes, 'name', value)}"

    def apply(msg: Message) -> Message:
        out = msg
        if msg.kind == "request" and "?" in msg.uri:
            parts = urlsplit(msg.uri)
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            new_pairs = [(k, fake_emails(v)) for k, v in pairs]
            if new_pairs != pairs:
                out = replace(out, uri=urlunsplit(parts._replace(query=urlencode(new_pairs, quote_via=quote))))
        if not msg.body:
            return out
        if _is_json(msg):
            data = _load_json(msg)
            if data is _NOT_JSON:
                return out
            replacements: dict[str, str] = {}

            def fn(k: str | None, value: Any, parent: Any) -> Any:
                if not isinstance(value, str):
                    return value
                if (
                    isinstance(parent, dict)
                    and k is not None
                    and k.lower() in _NAME_LABELS
                    and (_is_person(parent) or _is_name_object(k, parent))
                    and "@" not in value
                ):
                    new_value = fake_name(k, value)
                else:
                    new_value = fake_emails(value)
                if new_value != value:
                    replacements[value] = new_value
                return new_value

            new = _walk(data, fn)
            return _rewrite_json(out, data, new, replacements)
        if _is_form(msg):
            text = msg.body.decode("utf-8", "replace")
            pairs = parse_qsl(text, keep_blank_values=True)
            new_pairs = [(k, fake_emails(v)) for k, v in pairs]
            return _with_body(out, urlencode(new_pairs).encode()) if new_pairs != pairs else out
        return out

    return apply


def _is_name_object(key: str, parent: dict[str, Any]) -> bool:
    """The SCIM ``name`` complex attribute (givenName/familyName/formatted)."""
    return key.lower() in ("givenname", "familyname", "middlename", "formatted") and "displayName" not in parent


def default_filters(
    *,
    headers: Iterable[str] = (),
    json_paths: Iterable[str] = (),
    pseudonymize_key: str | None = None,
    keep_volatile_headers: bool = False,
    memory: SecretMemory | None = None,
) -> list[ScrubFilter]:
    """The standard chain: credential headers, OAuth/form/query secrets, configured headers
    and paths, optional pseudonyms, then every remembered secret anywhere."""
    memory = memory if memory is not None else SecretMemory()
    chain: list[ScrubFilter] = [
        redact_headers(SECRET_HEADERS, memory=memory),
        redact_json_keys(SECRET_KEYS, memory=memory),
        redact_form_fields(SECRET_KEYS, memory=memory),
        redact_query_params(SECRET_KEYS, memory=memory),
        redact_text_credentials(),
    ]
    extra = list(headers)
    if extra:
        chain.append(redact_headers(extra, memory=memory))
    paths = list(json_paths)
    if paths:
        chain.append(redact_json_paths(paths, memory=memory))
    if not keep_volatile_headers:
        chain.append(drop_headers(VOLATILE_RESPONSE_HEADERS))
    if pseudonymize_key is not None:
        chain.append(pseudonymize(pseudonymize_key))
    chain.append(redact_known_secrets(memory))
    return chain


@dataclass
class Scrubber:
    """A filter chain applied to vcrpy requests and recorded response dicts."""

    filters: list[ScrubFilter] = field(default_factory=list)

    @classmethod
    def default(
        cls,
        *,
        headers: Iterable[str] = (),
        json_paths: Iterable[str] = (),
        pseudonymize_key: str | None = None,
        keep_volatile_headers: bool = False,
    ) -> Scrubber:
        """The chain the proxy and the transports use unless told otherwise."""
        return cls(
            default_filters(
                headers=headers,
                json_paths=json_paths,
                pseudonymize_key=pseudonymize_key,
                keep_volatile_headers=keep_volatile_headers,
            )
        )

    @classmethod
    def none(cls) -> Scrubber:
        """No scrubbing at all (tests of the raw path; never for real recordings)."""
        return cls([])

    def message(self, msg: Message) -> Message:
        for f in self.filters:
            msg = f(msg)
        return msg

    def request(self, request: Request) -> Request:
        """A scrubbed copy of a vcrpy request."""
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        msg = self.message(Message("request", tuple(request.headers.items()), bytes(body), request.uri))
        return make_request(request.method, msg.uri, msg.body, msg.headers)

    def response(self, response: ResponseDict) -> ResponseDict:
        """A scrubbed copy of a recorded response dict."""
        headers = tuple((n, v) for n, values in response.get("headers", {}).items() for v in values)
        body = response.get("body", {}).get("string") or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        msg = self.message(Message("response", headers, bytes(body)))
        grouped: dict[str, list[str]] = {}
        for n, v in msg.headers:
            grouped.setdefault(n, []).append(v)
        return {"status": dict(response["status"]), "headers": grouped, "body": {"string": msg.body}}
