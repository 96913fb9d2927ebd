"""Removing secrets from anything provsim writes down (traffic log, reports, cassettes).

Small composable filters, in the manner of vcrpy's ``filters.py``: each takes
and returns data, each is testable alone.  The proxy builds its cassette
scrubber from the same functions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_FIELDS",
    "scrub_headers",
    "scrub_json",
    "scrub_form",
    "scrub_body",
    "scrub_text",
    "scrub_query",
    "secret_path",
]

REDACTED = "REDACTED"

#: Header names (lower case) whose values are credentials.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-ms-client-secret"})

#: Field names (JSON keys or form fields) whose values are credentials.
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


def scrub_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str], extra: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Header pairs with credential values replaced by ``REDACTED``."""
    names = SECRET_HEADERS | {h.lower() for h in extra}
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(k, REDACTED if k.lower() in names else v) for k, v in items]


def scrub_json(value: Any, extra_fields: Iterable[str] = ()) -> Any:
    """A copy of a JSON value with secret fields redacted at any depth.

    Graph's ``{"key": "SecretToken", "value": "..."}`` pairs (synchronization
    secrets, validateCredentials) are redacted too.
    """
    fields = SECRET_FIELDS | {f.lower() for f in extra_fields} if extra_fields else SECRET_FIELDS

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
                elif k.lower() in fields and v not in (None, ""):
                    out[k] = REDACTED
                elif k == "value" and key_name and key_name.lower() in fields and isinstance(v, str):
                    out[k] = REDACTED
                elif k.lower() == "value" and secret_op and v not in (None, ""):
                    out[k] = REDACTED
                else:
                    out[k] = walk(v)
            return out
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(value)


def secret_path(path: str, fields: Iterable[str] = SECRET_FIELDS) -> bool:
    """Does a SCIM attribute path (``password``, ``urn:...:User:password``, ``x[...].password``) name a secret?"""
    last = path.strip().rsplit(":", 1)[-1].rsplit(".", 1)[-1].split("[", 1)[0].strip().lower()
    return last in fields


def scrub_query(query: str, extra_fields: Iterable[str] = ()) -> str:
    """A query string with ``access_token``, ``client_secret``, ... values redacted (order and the rest kept)."""
    if not query:
        return query
    fields = SECRET_FIELDS | {f.lower() for f in extra_fields}
    lowered = query.lower()
    if not any(f in lowered for f in fields) and "bearer" not in lowered:
        return query
    parts = []
    for piece in query.split("&"):
        name, sep, _value = piece.partition("=")
        from urllib.parse import unquote_plus

        parts.append(f"{name}={REDACTED}" if sep and unquote_plus(name).lower() in fields else piece)
    return "&".join(parts)


def scrub_form(text: str, extra_fields: Iterable[str] = ()) -> str:
    fields = SECRET_FIELDS | {f.lower() for f in extra_fields}
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode([(k, REDACTED if k.lower() in fields else v) for k, v in pairs])


def scrub_text(text: str) -> str:
    """Redact ``Bearer …``/``Basic …`` credentials that appear inside free text."""
    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def scrub_body(body: bytes | str | None, content_type: str | None, extra_fields: Iterable[str] = ()) -> str | None:
    """A body as text with its secrets removed, by content type."""
    if body is None:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text:
        return text
    ctype = (content_type or "").lower()
    if "json" in ctype or text[:1] in "{[":
        try:
            return json.dumps(scrub_json(json.loads(text), extra_fields), ensure_ascii=False)
        except ValueError:
            pass
    if "x-www-form-urlencoded" in ctype:
        return scrub_form(text, extra_fields)
    return scrub_text(text)
