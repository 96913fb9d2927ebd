"""The grammar of a SCIM attribute path (RFC 7644 §3.10, §3.5.2 ``valuePath``):

    path      = [ urn ":" ] attrName [ "[" valFilter "]" ] [ "." subAttr ]

``emails[type eq "work"].value``, ``urn:...:enterprise:2.0:User:manager.value``,
``members[value eq "id"]``.  :func:`parse_path` splits a path into a
:class:`ScimPath`; :func:`eq_pairs` reads the common value filter (``eq``
comparisons joined by ``and``) without a full filter parser.  Pure functions,
no web framework: the Genesys fake and the engine both import this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["ScimPath", "PathSyntaxError", "parse_path", "split_urn", "eq_pairs"]

#: attribute and sub-attribute names (RFC 7643 §2.1 ATTRNAME, plus ``$ref``)
_NAME: Final = re.compile(r"[A-Za-z_$][\w$-]*")
#: one ``name eq "value"`` (double or single quotes, no escapes), then ``and`` or the end
_EQ: Final = re.compile(r"\s*([A-Za-z_$][\w$-]*)\s+(?i:eq)\s+(?:\"([^\"\\]*)\"|'([^'\\]*)')\s*")
_AND: Final = re.compile(r"(?i:and)\s")


class PathSyntaxError(ValueError):
    """The text is not a SCIM attribute path."""


@dataclass(frozen=True, slots=True)
class ScimPath:
    """A parsed path: the schema URN as written (or None), the attribute, the
    bracketed value filter's text (or None) and the sub-attribute (or None)."""

    urn: str | None
    attr: str
    filter: str | None = None
    sub: str | None = None


def split_urn(path: str) -> tuple[str | None, str]:
    """``urn:...:User:manager.value`` -> (``urn:...:User``, ``manager.value``); no URN -> (None, path).

    The attribute part is what follows the last ``:`` before any ``[`` (a filter value may hold colons).
    """
    head, bracket, rest = path.partition("[")
    if not head[:4].lower() == "urn:":
        return None, path
    urn, _, name = head.rpartition(":")
    return urn, name + bracket + rest


def parse_path(path: str) -> ScimPath:
    """``path`` split into its parts; :class:`PathSyntaxError` when it does not follow the grammar."""
    urn, local = split_urn(path)
    head, bracket, rest = local.partition("[")
    filt: str | None = None
    if bracket:
        filt, close, after = rest.rpartition("]")
        if not close:
            raise PathSyntaxError(f"Unclosed '[' in path {path!r}")
        if after and not after.startswith("."):
            raise PathSyntaxError(f"Unexpected {after!r} after ']' in path {path!r}")
        sub: str | None = after[1:] if after else None
        attr = head
    else:
        attr, dot, tail = head.partition(".")
        sub = tail if dot else None
    if not _NAME.fullmatch(attr) or (sub is not None and not _NAME.fullmatch(sub)):
        raise PathSyntaxError(f"Not an attribute path: {path!r}")
    return ScimPath(urn, attr, filt, sub)


def eq_pairs(text: str) -> list[tuple[str, str]] | None:
    """``type eq "work"`` / ``a eq "x" and b eq 'y'`` as (name, value) pairs, names as written;
    None for any other filter (``or``, ``not``, other operators, unquoted or escaped values),
    which a caller hands to a full filter parser or refuses."""
    pairs: list[tuple[str, str]] = []
    pos, end = 0, len(text)
    while True:
        found = _EQ.match(text, pos)
        if found is None:
            return None
        value = found.group(2) if found.group(2) is not None else found.group(3)
        pairs.append((found.group(1), value))
        pos = found.end()
        if pos == end:
            return pairs
        joined = _AND.match(text, pos)
        if joined is None:
            return None
        pos = joined.end()
