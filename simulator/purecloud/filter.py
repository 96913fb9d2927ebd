"""SCIM filters as Genesys evaluates them: ``eq`` and ``and`` on the documented
attributes (reference/genesys-cloud-scim.md §4, "Filters").

Parsing is scim2-filter-parser's (RFC 7644 §3.4.2.2 grammar); this module only
turns the tree into a conjunction of :class:`Term` s, each of which the org
answers from an index.  Anything else (``or``, ``not``, ``co``, ``sw``,
``pr``, an attribute Genesys does not filter on) is ``400 invalidFilter``.

Genesys' own examples use unquoted values (``userName eq search@sample.org``,
``displayname eq Sales``); Entra quotes them.  The grammar only has quoted
strings, so unquoted values are quoted before parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser, SCIMParserError

from .errors import ScimError
from .schemas import GENESYS_URN, GROUP, USER, ResourceSchema

__all__ = ["Term", "parse_filter", "parse_bracket_filter", "parse_value_filter", "quote_bare_values"]

_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_BARE = re.compile(r"(?i)(\b(?:eq|ne|co|sw|ew|gt|lt|ge|le)\s+)([^\s\"()\[\]]+)")
_LITERALS = {"true", "false", "null"}
#: The shape Entra sends for every object it matches (``userName eq "a@b.com"``), parsed without
#: the grammar: same terms, same errors, a fraction of the cost.  Anything else takes the parser.
_SIMPLE_EQ = re.compile(r'([A-Za-z][A-Za-z0-9_-]*)(?:\.([A-Za-z][A-Za-z0-9_-]*))? (?i:eq) "([^"\\]*)"')
_KEYWORDS = {"and", "or", "not", "eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "pr", "true", "false", "null"}

@dataclass(frozen=True)
class Term:
    """``attribute eq value``; for ``externalIds`` the value is ``(authority, value)``."""

    attribute: str
    value: Any


def quote_bare_values(text: str) -> str:
    """``userName eq a@b.com`` -> ``userName eq "a@b.com"``; quoted parts are left alone."""
    out, pos = [], 0
    for m in _QUOTED.finditer(text):
        out.append(_quote_segment(text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_quote_segment(text[pos:]))
    return "".join(out)


def _quote_segment(segment: str) -> str:
    def repl(m: re.Match) -> str:
        value = m.group(2)
        if value.lower() in _LITERALS:
            return m.group(1) + value.lower()
        return m.group(1) + '"' + value + '"'

    return _BARE.sub(repl, segment)


def _parse(text: str, error: Callable[[str], ScimError]) -> ast.Filter:
    if not text.strip():
        raise error("The filter is empty")
    try:
        return SCIMParser().parse(SCIMLexer().tokenize(quote_bare_values(text)))
    except (SCIMParserError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise error(f"Invalid filter {text!r}: {err}") from err


def _invalid(detail: str) -> ScimError:
    return ScimError(400, "invalidFilter", detail)


def _comp_value(node: ast.AttrExpr) -> Any:
    raw = node.comp_value.value if node.comp_value is not None else None
    return raw


def _attr_key(path: ast.AttrPath, schema: ResourceSchema) -> tuple[str | None, str]:
    name = path.attr_name.lower()
    if path.sub_attr is not None:
        name += "." + path.sub_attr.value.lower()
    uri = path.uri.lower() if path.uri else None
    if uri == schema.core.lower():
        uri = None
    return uri, name


#: Limits on a SCIM ``filter`` (provsim's choice; Genesys documents none): Entra sends ``userName eq "..."``.
MAX_FILTER_LENGTH = 2048
MAX_FILTER_GROUPS = 16


def parse_filter(text: str, schema: ResourceSchema | str) -> list[Term]:
    """The conjunction of terms ``text`` means for a resource type (its catalogue, or "User"/"Group").

    The attributes a filter may name are the catalogue's (``Attr.filter``).  Raises
    :class:`ScimError` 400 ``invalidFilter`` for anything Genesys does not document.
    """
    if isinstance(schema, str):
        schema = USER if schema == "User" else GROUP
    attrs, resource = schema.filter_terms, schema.name
    if len(text) > MAX_FILTER_LENGTH or text.count("(") + text.count("[") > MAX_FILTER_GROUPS:
        raise _invalid(f"The filter is longer than {MAX_FILTER_LENGTH} characters or has more than "
                       f"{MAX_FILTER_GROUPS} groups")
    simple = _SIMPLE_EQ.fullmatch(text)
    if simple is not None and simple.group(1).lower() not in _KEYWORDS:
        name, sub, value = simple.groups()
        key = (None, name.lower() + ("." + sub.lower() if sub else ""))
        return [_eq_term(key, value, attrs, resource)]
    tree = _parse(text, _invalid)
    terms: list[Term] = []
    try:
        _collect(tree, schema, terms, text)
    except (AttributeError, TypeError, RecursionError) as err:  # shapes the grammar allows but Genesys does not
        raise _invalid(f"Unsupported filter {text!r}") from err
    return terms


def _eq_term(key: tuple[str | None, str], value: Any, attrs: dict, resource: str) -> Term:
    attribute = attrs.get(key)
    if attribute is None:
        shown = (key[0] + ":" if key[0] else "") + key[1]
        raise _invalid(f"Filtering on '{shown}' is not supported for {resource}s")
    if value is None or value == "null":
        raise _invalid(f"A value is required to filter on '{attribute}'")
    return Term(attribute, value)


def _collect(node: Any, schema: ResourceSchema, terms: list[Term], text: str) -> None:
    if isinstance(node, ast.Filter):
        if node.negated:
            raise _invalid("The operator 'not' is not supported; Genesys filters support 'eq' and 'and'")
        if node.namespace is not None:
            terms.append(_external_ids_term(node, schema.name))
            return
        _collect(node.expr, schema, terms, text)
    elif isinstance(node, ast.LogExpr):
        if node.op.lower() != "and":
            raise _invalid(f"The operator '{node.op.lower()}' is not supported; Genesys filters support 'eq' and 'and'")
        _collect(node.expr1, schema, terms, text)
        _collect(node.expr2, schema, terms, text)
    elif isinstance(node, ast.AttrExpr):
        if node.value.lower() != "eq":
            raise _invalid(f"The operator '{node.value.lower()}' is not supported; Genesys filters support 'eq' and 'and'")
        terms.append(_eq_term(_attr_key(node.attr_path, schema), _comp_value(node), schema.filter_terms, schema.name))
    else:  # pragma: no cover - the parser only builds the nodes above
        raise _invalid(f"Unsupported filter {text!r}")


def _external_ids_term(node: ast.Filter, resource: str) -> Term:
    path = node.namespace
    if resource != "User" or (path.uri or "").lower() != GENESYS_URN.lower() or path.attr_name.lower() != "externalids":
        raise _invalid("Complex filters are supported only as "
                       f'{GENESYS_URN}:externalIds[authority eq "..." and value eq "..."]')
    pairs = parse_value_filter(node.expr, invalid=_invalid)
    found = {k: v for k, v in pairs}
    if set(found) != {"authority", "value"} or len(pairs) != 2:
        raise _invalid('externalIds filters need exactly: authority eq "..." and value eq "..."')
    return Term("externalIds", (found["authority"], found["value"]))


def parse_value_filter(node: Any, *, invalid: Callable[[str], ScimError]) -> list[tuple[str, Any]]:
    """A bracketed filter (``type eq "work"``, ``a eq x and b eq y``) as (lower sub-attribute, value) pairs."""
    if isinstance(node, ast.Filter):
        if node.negated or node.namespace is not None:
            raise invalid("Only 'eq' and 'and' are supported inside [...]")
        return parse_value_filter(node.expr, invalid=invalid)
    if isinstance(node, ast.LogExpr):
        if node.op.lower() != "and":
            raise invalid("Only 'eq' and 'and' are supported inside [...]")
        return parse_value_filter(node.expr1, invalid=invalid) + parse_value_filter(node.expr2, invalid=invalid)
    if isinstance(node, ast.AttrExpr):
        if node.value.lower() != "eq" or node.attr_path.sub_attr is not None or node.attr_path.uri:
            raise invalid("Only 'eq' on a sub-attribute is supported inside [...]")
        return [(node.attr_path.attr_name.lower(), _comp_value(node))]
    raise invalid("Unsupported filter inside [...]")  # pragma: no cover


def parse_bracket_filter(text: str) -> list[tuple[str, Any]]:
    """The filter of a PATCH value path (``emails[type eq "work"]``): 400 invalidPath when unsupported."""

    def invalid(detail: str) -> ScimError:
        return ScimError(400, "invalidPath", detail)

    return parse_value_filter(_parse(text, invalid), invalid=invalid)
