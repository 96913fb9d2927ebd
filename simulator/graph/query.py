"""OData query options as Graph's directory endpoints accept them.

``$filter`` (parsed by :mod:`simulator.graph.filter`, the one OData filter parser);
``$search`` clauses (``"displayName:foo" AND "mail:bar"``); ``$select``, ``$top``,
``$orderby``; and the advanced-query rule (``ConsistencyLevel: eventual``) that gates
``ne``, ``not``, ``endswith``, ``$search`` and ``$count`` ("Advanced query capabilities on
Microsoft Entra ID objects" on Microsoft Learn).

Every mistake becomes a Graph error (``Request_BadRequest`` or
``Request_UnsupportedQuery``), never an exception Flask would turn into a 500; tested in
``tests/unit/graph/test_graph_query.py``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.core.security import b64url_decode

from .errors import BadRequest, UnsupportedQuery
from .filter import Filter, parse_filter
from .schema import EntityType

__all__ = ["Filter", "parse_filter", "parse_search", "parse_select", "parse_top", "parse_orderby",
           "QueryOptions", "parse_options", "encode_skiptoken", "decode_skiptoken", "MAX_TOP", "DEFAULT_TOP"]

DEFAULT_TOP = 100
MAX_TOP = 999

Predicate = Callable[[Mapping], bool]


_SEARCH_CLAUSE = re.compile(r'\s*"(?P<prop>[^":]+):(?P<term>[^"]*)"\s*')
_WORD_SPLIT = re.compile(r"[\s._@\-,'()]+")


def parse_search(text: str, etype: EntityType) -> Predicate:
    """``"displayName:foo" OR "mail:bar"``: tokens match at the start of a word, case-insensitively."""
    pos, clauses, joins = 0, [], []
    while True:
        m = _SEARCH_CLAUSE.match(text, pos)
        if not m:
            raise BadRequest(f"Syntax error: invalid $search value {text!r}; expected \"property:term\" clauses "
                             "joined by AND or OR.")
        prop = etype.canonical(m.group("prop").strip())
        if prop is None or prop not in etype.searchable:
            raise UnsupportedQuery(f"Unsupported or invalid search clause for property '{m.group('prop')}'.")
        clauses.append((prop, m.group("term").casefold()))
        pos = m.end()
        if pos >= len(text):
            break
        joiner = re.match(r"(AND|OR)\b", text[pos:])
        if not joiner:
            raise BadRequest(f"Syntax error: invalid $search value {text!r}.")
        joins.append(joiner.group(1))
        pos += joiner.end()

    def clause_matches(doc: Mapping, prop: str, term: str) -> bool:
        value = doc.get(prop)
        if not isinstance(value, str):
            return False
        folded = value.casefold()
        return folded.startswith(term) or any(w.startswith(term) for w in _WORD_SPLIT.split(folded) if w)

    def matches(doc: Mapping) -> bool:
        result = clause_matches(doc, *clauses[0])
        for joiner, clause in zip(joins, clauses[1:], strict=True):
            hit = clause_matches(doc, *clause)
            result = (result and hit) if joiner == "AND" else (result or hit)
        return result
    return matches


def parse_select(text: str | None, etype: EntityType, *, navigation: tuple[str, ...] = ()) -> list[str] | None:
    if text is None:
        return None
    out = []
    for raw in text.split(","):
        name = raw.strip()
        if not name:
            continue
        if name.lower() in {n.lower() for n in navigation}:
            out.append(next(n for n in navigation if n.lower() == name.lower()))
            continue
        prop = etype.canonical(name)
        if prop is None:
            raise BadRequest(f"Parsing OData Select and Expand failed: Could not find a property named '{name}' on "
                             f"type '{etype.name}'.")
        if prop not in out:
            out.append(prop)
    return out or None


def parse_top(text: str | None) -> int:
    if text is None:
        return DEFAULT_TOP
    try:
        top = int(text)
    except ValueError as err:
        raise BadRequest(f"Invalid page size specified: '{text}'. Must be between 1 and {MAX_TOP} inclusive.") from err
    if not 1 <= top <= MAX_TOP:
        raise BadRequest(f"Invalid page size specified: '{text}'. Must be between 1 and {MAX_TOP} inclusive.")
    return top


def parse_orderby(text: str | None, etype: EntityType) -> tuple[str, bool] | None:
    if text is None:
        return None
    parts = text.strip().split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
        raise BadRequest(f"Invalid $orderby value '{text}'.")
    prop = etype.canonical(parts[0])
    if prop is None:
        raise BadRequest(f"Could not find a property named '{parts[0]}' on type '{etype.name}'.")
    if prop not in etype.orderable:
        raise UnsupportedQuery("Sorting not supported for current query.")
    return prop, len(parts) == 2 and parts[1].lower() == "desc"


_KNOWN = {"$select", "$filter", "$top", "$count", "$search", "$orderby", "$expand", "$skiptoken", "$deltatoken",
          "$skip", "$format"}


@dataclass
class QueryOptions:
    select: list[str] | None = None
    filter: Filter | None = None
    search: Predicate | None = None
    top: int = DEFAULT_TOP
    count: bool = False
    orderby: tuple[str, bool] | None = None
    expand: list[str] = field(default_factory=list)
    skiptoken: str | None = None
    advanced: bool = False


def parse_options(args: Mapping[str, str], etype: EntityType, *, eventual: bool, expandable: tuple[str, ...] = (),
                  navigation: tuple[str, ...] = (), allow: tuple[str, ...] = ("$select", "$filter", "$top", "$count",
                                                                                    "$search", "$orderby", "$expand",
                                                                                    "$skiptoken")) -> QueryOptions:
    """Read the ``$``-options of a list request; ``eventual`` is the ``ConsistencyLevel: eventual`` header."""
    for key in args:
        if key.startswith("$") and key.lower() not in {a.lower() for a in allow}:
            if key.lower() in _KNOWN:
                raise BadRequest(f"'{key}' is not supported by the service.")
            raise BadRequest(f"Query option '{key}' is not supported.")
    get = {k.lower(): v for k, v in args.items()}.get
    opts = QueryOptions()
    opts.select = parse_select(get("$select"), etype, navigation=navigation)
    opts.top = parse_top(get("$top"))
    count = (get("$count") or "").lower()
    if count not in ("", "true", "false"):
        raise BadRequest(f"Invalid value '{get('$count')}' for $count; expected true or false.")
    # Without the header, ?$count=true is silently ignored ("Advanced query capabilities on Microsoft Entra ID
    # objects" on Microsoft Learn).
    opts.count = count == "true" and eventual
    search = get("$search")
    if search is not None:
        if not eventual:
            raise UnsupportedQuery("Request with $search query parameter only works through MSGraph with a special "
                                   "request header: 'ConsistencyLevel: eventual'")
        opts.search = parse_search(search, etype)
        opts.advanced = True
    filter_text = get("$filter")
    if filter_text is not None:
        opts.filter = parse_filter(filter_text, etype)
        if opts.filter.advanced and not (eventual and opts.count):
            raise UnsupportedQuery("Unsupported Query. This filter needs an advanced query: send the header "
                                   "'ConsistencyLevel: eventual' and $count=true.")
    opts.orderby = parse_orderby(get("$orderby"), etype)
    if opts.orderby and opts.filter and not (eventual and opts.count):
        raise UnsupportedQuery("Sorting not supported for current query. $orderby with $filter needs "
                               "'ConsistencyLevel: eventual' and $count=true.")
    expand = get("$expand")
    if expand:
        for name in (n.strip() for n in expand.split(",")):
            base = name.split("(")[0]
            match = next((e for e in expandable if e.lower() == base.lower()), None)
            if match is None:
                raise BadRequest(f"Parsing OData Select and Expand failed: Could not find a property named '{base}' on "
                                 f"type '{etype.name}'.")
            opts.expand.append(match)
    opts.skiptoken = get("$skiptoken")
    return opts


def encode_skiptoken(kind: str, value: Any) -> str:
    return base64.urlsafe_b64encode(f"s1:{kind}:{value}".encode()).decode().rstrip("=")


def decode_skiptoken(token: str) -> tuple[str, str]:
    try:
        raw = b64url_decode(token).decode()
        tag, kind, value = raw.split(":", 2)
        if tag != "s1":
            raise ValueError(raw)
        return kind, value
    except (ValueError, binascii.Error, UnicodeDecodeError) as err:
        raise BadRequest("The specified page token value has expired or is invalid.") from err
