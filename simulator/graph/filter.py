"""OData ``$filter``: the one parser for Graph's directory collections and ``/auditLogs/provisioning``.

A small recursive-descent parser (``eq ne gt ge lt le``, ``in``, ``and``/``or``/``not``,
parentheses, ``startswith``/``endswith``/``contains``, ``collection/any(x: x eq '…')``)
compiled to a predicate over stored documents.  What a collection accepts is its
:class:`Vocabulary`:

* :class:`EntityVocabulary` for ``/users``, ``/groups``, ``/servicePrincipals`` …: the
  properties of a :class:`~simulator.graph.schema.EntityType` (case-insensitive names, only the
  filterable ones), ``startswith``/``endswith``, ``in``, ``not`` and ``any()`` lambdas, strings
  compared case-insensitively ("Use query parameters to customize responses" and "Advanced query
  capabilities on Microsoft Entra ID objects" on Microsoft Learn).
* :class:`PathVocabulary` for the provisioning logs: property paths
  (``provisioningStatusInfo/status``) of ``microsoft.graph.provisioningObjectSummary``, ``eq``,
  ``ne``, ``gt``/``ge``/``lt``/``le`` (as date-times), ``contains`` and ``startswith``, strings
  compared as stored ("List provisioningObjectSummary" on Microsoft Learn).

Every mistake becomes a Graph error (``Request_BadRequest`` or ``Request_UnsupportedQuery``),
never an exception Flask would turn into a 500.  No OData library on PyPI covers Graph's dialect
(its property sets, its advanced-query gate and its messages), so the grammar lives here, tested
in ``tests/unit/graph/test_graph_query.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.core import parse_datetime

from .errors import BadRequest, UnsupportedQuery
from .schema import EntityType

__all__ = ["Filter", "Vocabulary", "EntityVocabulary", "PathVocabulary", "parse_filter", "property_value",
           "MAX_FILTER_LENGTH", "MAX_FILTER_DEPTH"]

#: Limits on ``$filter`` (provsim's choice; Graph documents none, but answers 400 to very long clauses).
MAX_FILTER_LENGTH = 4096
MAX_FILTER_DEPTH = 32

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>'(?:[^']|'')*')
    | (?P<dt>\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<punct>[(),:])
    | (?P<name>[A-Za-z_][A-Za-z0-9_.@]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    )""", re.VERBOSE)

_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"startswith", "endswith", "contains"}
#: Operators and functions that need ``ConsistencyLevel: eventual`` on directory objects.
_ADVANCED = {"ne", "not", "endswith"}

Predicate = Callable[[Mapping], bool]


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def property_value(doc: Any, path: str) -> Any:
    """The value at ``path`` (``provisioningStatusInfo/status``) in ``doc``, or None."""
    cur = doc
    for part in path.split("/"):
        cur = cur.get(part) if isinstance(cur, Mapping) else None
    return cur


class Vocabulary(Protocol):
    """What one collection's ``$filter`` may name and use, and how its values compare."""

    @property
    def type_name(self) -> str: ...
    @property
    def functions(self) -> frozenset[str]: ...
    @property
    def operators(self) -> frozenset[str]: ...       # of _COMPARE, plus "in" and "not"
    @property
    def lambdas(self) -> bool: ...                   # collection/any(x: …)

    def resolve(self, name: str) -> str:
        """The canonical property (path) ``name`` names, or a Graph error."""

    def value(self, doc: Mapping, prop: str) -> Any:
        """The document's value of ``prop``."""

    def same(self, value: Any) -> Any:
        """``value`` as eq/ne/in and the string functions compare it."""

    def ordered(self, value: Any) -> Any:
        """``value`` as gt/ge/lt/le compare it (None: not comparable)."""


@dataclass(frozen=True)
class EntityVocabulary:
    """A directory collection: the filterable properties of ``etype``."""

    etype: EntityType
    functions: frozenset[str] = frozenset({"startswith", "endswith"})
    operators: frozenset[str] = frozenset(_COMPARE | {"in", "not"})
    lambdas: bool = True

    @property
    def type_name(self) -> str:
        return self.etype.name

    def resolve(self, name: str) -> str:
        prop = self.etype.canonical(name)
        if prop is None:
            raise BadRequest(f"Could not find a property named '{name}' on type '{self.etype.name}'.")
        if prop not in self.etype.filterable:
            raise UnsupportedQuery(
                f"Unsupported or invalid query filter clause specified for property '{prop}' of resource "
                f"'{self.etype.resource}'.")
        return prop

    def value(self, doc: Mapping, prop: str) -> Any:
        return doc.get(prop)

    def same(self, value: Any) -> Any:
        return _casefold(value)

    def ordered(self, value: Any) -> Any:
        return _casefold(value)


@dataclass(frozen=True)
class PathVocabulary:
    """Entries named by property paths (the provisioning logs); ``known(path)`` says which exist."""

    type_name: str
    known: Callable[[str], bool]
    functions: frozenset[str] = frozenset({"contains", "startswith"})
    operators: frozenset[str] = frozenset(_COMPARE)
    lambdas: bool = False

    def resolve(self, name: str) -> str:
        if not self.known(name):
            raise BadRequest(f"Invalid filter clause: Could not find a property named '{name}' on type "
                             f"'{self.type_name}'.")
        return name

    def value(self, doc: Mapping, prop: str) -> Any:
        return property_value(doc, prop)

    def same(self, value: Any) -> Any:
        return value

    def ordered(self, value: Any) -> Any:
        try:
            return parse_datetime(str(value))
        except ValueError:
            return None


@dataclass
class Filter:
    """A compiled ``$filter``: ``matches(doc)``, plus what the planner may use."""

    text: str
    matches: Predicate
    advanced: bool = False                       # uses an operator that needs ConsistencyLevel: eventual
    index_hint: tuple[str, list[Any]] | None = None  # (property, values) of a top-level eq/in
    only_ids: list[str] | None = None            # the filter is exactly id eq … (or …)


class _Parser:
    def __init__(self, text: str, vocab: Vocabulary) -> None:
        self.text = text
        self.vocab = vocab
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
    def peek(self, offset: int = 0) -> tuple[str, str]:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else ("", "")

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise BadRequest(f"Invalid filter clause: unexpected end of '{self.text}'.")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expect(self, value: str) -> None:
        tok = self.take()
        if tok[1] != value:
            raise BadRequest(f"Invalid filter clause: expected '{value}' but found '{tok[1]}' in '{self.text}'.")

    def keyword(self, word: str) -> bool:
        kind, value = self.peek()
        if kind == "name" and value.lower() == word:
            self.pos += 1
            return True
        return False

    # -- grammar
    def parse(self):
        node = self.or_expr()
        if self.pos < len(self.tokens):
            raise BadRequest(f"Invalid filter clause: unexpected '{self.peek()[1]}' in '{self.text}'.")
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
        if "not" in self.vocab.operators and self.keyword("not"):
            self.advanced = True
            return ("not", self.not_expr())
        return self.primary()

    def primary(self):
        kind, value = self.peek()
        if not kind:
            raise BadRequest(f"Invalid filter clause: unexpected end of '{self.text}'.")
        if value == "(":
            self.take()
            node = self.or_expr()
            self.expect(")")
            return node
        func = value.lower()
        if kind == "name" and func in _FUNCTIONS & self.vocab.functions and self.peek(1)[1] == "(":
            self.take()
            if func in _ADVANCED:
                self.advanced = True
            self.expect("(")
            prop = self.operand_property()
            self.expect(",")
            literal = self.literal()
            self.expect(")")
            return (func, prop, literal)
        if kind == "name" and "/" in value and self.vocab.lambdas:
            return self.lambda_any()
        prop = self.operand_property()
        op_tok = self.take()
        op = op_tok[1].lower()
        if op == "in" and "in" in self.vocab.operators:
            self.expect("(")
            values = [self.literal()]
            while self.peek()[1] == ",":
                self.take()
                values.append(self.literal())
            self.expect(")")
            return ("in", prop, values)
        if op not in _COMPARE or op not in self.vocab.operators:
            raise BadRequest(f"Invalid filter clause: unknown operator '{op_tok[1]}' in '{self.text}'.")
        if op in _ADVANCED:
            self.advanced = True
        return (op, prop, self.literal())

    def lambda_any(self):
        name = self.take()[1]
        collection, _, fn = name.rpartition("/")
        if fn.lower() != "any":
            raise UnsupportedQuery(f"Unsupported query: '{name}'.")
        prop = self.vocab.resolve(collection)
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
        return self.vocab.resolve(name)

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


def _compile(node, vocab: Vocabulary) -> Predicate:
    op = node[0]
    if op in ("and", "or"):
        left, right = _compile(node[1], vocab), _compile(node[2], vocab)
        return (lambda d: left(d) and right(d)) if op == "and" else (lambda d: left(d) or right(d))
    if op == "not":
        inner = _compile(node[1], vocab)
        return lambda d: not inner(d)
    if op == "any":
        _, prop, _var, body = node
        item_matches = _compile(body, vocab)
        return lambda d: any(item_matches({"$it": item}) for item in (vocab.value(d, prop) or []))
    prop = node[1]

    def getter(d: Mapping[str, Any]) -> Any:
        return d.get("$it") if prop.startswith("$it:") else vocab.value(d, prop)
    same = vocab.same
    if op in ("startswith", "endswith", "contains"):
        needle = same(str(node[2]))
        if op == "contains":
            return lambda d: isinstance(getter(d), str) and needle in same(getter(d))
        return lambda d: isinstance(getter(d), str) and getattr(same(getter(d)), op)(needle)
    if op == "in":
        wanted = {same(v) for v in node[2]}
        return lambda d: same(getter(d)) in wanted
    if op == "eq":
        value = same(node[2])
        return lambda d: same(getter(d)) == value
    if op == "ne":
        value = same(node[2])
        return lambda d: same(getter(d)) != value
    bound = vocab.ordered(node[2])

    def compare(d: Mapping[str, Any]) -> bool:
        left = vocab.ordered(getter(d))
        if left is None or bound is None:
            return False
        try:
            return {"gt": left > bound, "ge": left >= bound, "lt": left < bound, "le": left <= bound}[op]
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


def _nesting(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def parse_filter(text: str, target: EntityType | Vocabulary) -> Filter:
    """Parse ``$filter`` for an entity type or a :class:`Vocabulary`; raises Graph errors for bad or
    unsupported clauses."""
    vocab: Vocabulary = EntityVocabulary(target) if isinstance(target, EntityType) else target
    if not text or not text.strip():
        raise BadRequest("Invalid filter clause: the filter is empty.")
    if len(text) > MAX_FILTER_LENGTH or _nesting(text) > MAX_FILTER_DEPTH:
        raise BadRequest(f"Invalid filter clause: the filter is longer than {MAX_FILTER_LENGTH} characters or nests "
                         f"parentheses more than {MAX_FILTER_DEPTH} deep.")
    parser = _Parser(text, vocab)
    try:
        tree = parser.parse()
    except RecursionError as err:
        raise BadRequest("Invalid filter clause: the filter is nested too deeply.") from err
    return Filter(text, _compile(tree, vocab), parser.advanced, _index_hint(tree), _only_ids(tree))
