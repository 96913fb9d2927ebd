"""OData query options as Graph's directory endpoints accept them.

A small recursive-descent parser for ``$filter`` (``eq ne gt ge lt le``,
``startswith``, ``endswith``, ``in``, ``and``/``or``/``not``, parentheses,
``collection/any(x: x eq '…')``) compiled to a predicate over stored
documents; ``$search`` clauses (``"displayName:foo" AND "mail:bar"``);
``$select``, ``$top``, ``$orderby``; and the advanced-query rule
(``ConsistencyLevel: eventual``) that gates ``ne``, ``not``, ``endswith``,
``$search`` and ``$count`` (reference/microsoft-graph.md §1.8).

Every mistake becomes a Graph error (``Request_BadRequest`` or
``Request_UnsupportedQuery``), never an exception Flask would turn into a 500.
No OData library on PyPI covers Graph's dialect (its property set, its
advanced-query gate and its messages), so the grammar lives here, tested in
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
from .schema import EntityType

__all__ = ["Filter", "parse_filter", "parse_search", "parse_select", "parse_top", "parse_orderby",
           "QueryOptions", "parse_options", "encode_skiptoken", "decode_skiptoken", "MAX_TOP", "DEFAULT_TOP"]

DEFAULT_TOP = 100
MAX_TOP = 999

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>'(?:[^']|'')*')
    | (?P<dt>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<punct>[(),:])
    | (?P<name>[A-Za-z_][A-Za-z0-9_.@]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    )""", re.VERBOSE)

_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_ADVANCED_OPS = {"ne", "not", "endswith"}

Predicate = Callable[[Mapping], bool]


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


@dataclass
class Filter:
    """A compiled ``$filter``: ``matches(doc)``, plus what the planner may use."""

    text: str
    matches: Predicate
    advanced: bool = False                       # uses an operator that needs ConsistencyLevel: eventual
    index_hint: tuple[str, list[Any]] | None = None  # (property, values) of a top-level eq/in
    only_ids: list[str] | None = None            # the filter is exactly id eq … (or …)


class _Parser:
    def __init__(self, text: str, etype: EntityType) -> None:
        self.text = text
        self.etype = etype
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.advanced = False
        self.variables: set[str] = set()

    def _tokenize(self, text: str) -> list[tuple[str, str]]:
        out, pos = [], 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise BadRequest(f"Invalid filter clause: syntax error at position {pos} in '{text}'.")
            kind = m.lastgroup or ""
            out.append((kind, m.group(kind)))
            pos = m.end()
        return out

    # -- token helpers
    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise BadRequest(f"Invalid filter clause: unexpected end of '{self.text}'.")
        self.pos += 1
        return tok

    def expect(self, value: str) -> None:
        tok = self.take()
        if tok[1] != value:
            raise BadRequest(f"Invalid filter clause: expected '{value}' but found '{tok[1]}' in '{self.text}'.")

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "name" and tok[1].lower() == word:
            self.pos += 1
            return True
        return False

    # -- grammar
    def parse(self):
        node = self.or_expr()
        if self.peek() is not None:
            raise BadRequest(f"Invalid filter clause: unexpected '{self.peek()[1]}' in '{self.text}'.")  # type: ignore[index]
        return node

    def or_expr(self):
        node = self.and_expr()
        while self.keyword("or"):
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self):
        node = self.not_expr()
        while self.keyword("and"):
            node = ("and", node, self.not_expr())
        return node

    def not_expr(self):
        if self.keyword("not"):
            self.advanced = True
            return ("not", self.not_expr())
        return self.primary()

    def primary(self):
        tok = self.peek()
        if tok is None:
            raise BadRequest(f"Invalid filter clause: unexpected end of '{self.text}'.")
        if tok[1] == "(":
            self.take()
            node = self.or_expr()
            self.expect(")")
            return node
        if tok[0] == "name" and tok[1].lower() in ("startswith", "endswith") and (self.peek(1) or ("", ""))[1] == "(":
            func = self.take()[1].lower()
            if func == "endswith":
                self.advanced = True
            self.expect("(")
            prop = self.operand_property()
            self.expect(",")
            value = self.literal()
            self.expect(")")
            return (func, prop, value)
        if tok[0] == "name" and "/" in tok[1]:
            return self.lambda_any()
        prop = self.operand_property()
        op_tok = self.take()
        op = op_tok[1].lower()
        if op == "in":
            self.expect("(")
            values = [self.literal()]
            while (self.peek() or ("", ""))[1] == ",":
                self.take()
                values.append(self.literal())
            self.expect(")")
            return ("in", prop, values)
        if op not in _COMPARE:
            raise BadRequest(f"Invalid filter clause: unknown operator '{op_tok[1]}' in '{self.text}'.")
        if op in _ADVANCED_OPS:
            self.advanced = True
        return (op, prop, self.literal())

    def lambda_any(self):
        name = self.take()[1]
        collection, _, fn = name.rpartition("/")
        if fn.lower() != "any":
            raise UnsupportedQuery(f"Unsupported query: '{name}'.")
        prop = self.property_name(collection, collection_ok=True)
        self.expect("(")
        var = self.take()[1]
        self.expect(":")
        self.variables.add(var)
        body = self.or_expr()
        self.variables.discard(var)
        self.expect(")")
        return ("any", prop, var, body)

    def operand_property(self) -> str:
        kind, name = self.take()
        if kind != "name":
            raise BadRequest(f"Invalid filter clause: a property name was expected, found '{name}' in '{self.text}'.")
        if name in self.variables:
            return "$it:" + name
        return self.property_name(name)

    def property_name(self, name: str, *, collection_ok: bool = False) -> str:
        prop = self.etype.canonical(name)
        if prop is None:
            raise BadRequest(f"Could not find a property named '{name}' on type '{self.etype.name}'.")
        if prop not in self.etype.filterable:
            raise UnsupportedQuery(
                f"Unsupported or invalid query filter clause specified for property '{prop}' of resource "
                f"'{self.etype.resource}'.")
        return prop

    def literal(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "dt":
            return value
        if kind == "name" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if kind == "name" and value.lower() == "null":
            return None
        raise BadRequest(f"Invalid filter clause: a literal was expected, found '{value}' in '{self.text}'.")


def _compile(node, scope: dict | None = None) -> Predicate:
    op = node[0]
    if op in ("and", "or"):
        left, right = _compile(node[1], scope), _compile(node[2], scope)
        return (lambda d: left(d) and right(d)) if op == "and" else (lambda d: left(d) or right(d))
    if op == "not":
        inner = _compile(node[1], scope)
        return lambda d: not inner(d)
    if op == "any":
        _, prop, var, body = node
        inner = _compile(body)

        def any_(d, prop=prop, inner=inner):
            return any(inner({"$it": item}) for item in (d.get(prop) or []))
        return any_
    prop = node[1]
    key = "$it" if prop.startswith("$it:") else prop

    def getter(d: Mapping[str, Any]) -> Any:
        return d.get(key)
    if op in ("startswith", "endswith"):
        needle = _norm(node[2])
        method = "startswith" if op == "startswith" else "endswith"
        return lambda d: isinstance(getter(d), str) and getattr(_norm(getter(d)), method)(needle)
    if op == "in":
        wanted = {_norm(v) for v in node[2]}
        return lambda d: _norm(getter(d)) in wanted
    value = _norm(node[2])
    if op == "eq":
        return lambda d: _norm(getter(d)) == value
    if op == "ne":
        return lambda d: _norm(getter(d)) != value

    def compare(d, op=op):
        left = _norm(getter(d))
        if left is None or value is None:
            return False
        try:
            return {"gt": left > value, "ge": left >= value, "lt": left < value, "le": left <= value}[op]
        except TypeError:
            return False
    return compare


def _index_hint(node) -> tuple[str, list[Any]] | None:
    if node[0] == "eq" and not node[1].startswith("$it"):
        return node[1], [node[2]]
    if node[0] == "in":
        return node[1], list(node[2])
    if node[0] == "and":
        return _index_hint(node[1]) or _index_hint(node[2])
    return None


def _only_ids(node) -> list[str] | None:
    if node[0] == "eq" and node[1] == "id":
        return [str(node[2])]
    if node[0] == "or":
        left, right = _only_ids(node[1]), _only_ids(node[2])
        return left + right if left is not None and right is not None else None
    return None


#: Limits on ``$filter`` (provsim's choice; Graph documents none, but answers 400 to very long clauses).
MAX_FILTER_LENGTH = 4096
MAX_FILTER_DEPTH = 32


def _nesting(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def parse_filter(text: str, etype: EntityType) -> Filter:
    """Parse ``$filter`` for ``etype``; raises Graph errors for bad or unsupported clauses."""
    if not text or not text.strip():
        raise BadRequest("Invalid filter clause: the filter is empty.")
    if len(text) > MAX_FILTER_LENGTH or _nesting(text) > MAX_FILTER_DEPTH:
        raise BadRequest(f"Invalid filter clause: the filter is longer than {MAX_FILTER_LENGTH} characters or nests "
                         f"parentheses more than {MAX_FILTER_DEPTH} deep.")
    parser = _Parser(text, etype)
    try:
        tree = parser.parse()
    except RecursionError as err:
        raise BadRequest("Invalid filter clause: the filter is nested too deeply.") from err
    return Filter(text, _compile(tree), parser.advanced, _index_hint(tree), _only_ids(tree))


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
    # Without the header, ?$count=true is silently ignored (reference §1.8).
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
