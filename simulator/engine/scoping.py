"""Scoping filters: which source objects the provisioning service may provision.

Graph shape (``objectMapping.scope``, resources synchronization-filter /
-filtergroup / -filterclause)::

    {"groups": [                                   # ORed ("separate scoping filters")
        {"name": "...", "clauses": [               # ANDed
            {"operatorName": "EQUALS",
             "sourceOperandName": "department",
             "targetOperand": {"values": ["Sales"]}}]}]}

A filter with no groups puts everything in scope.

Operators follow "Attribute-based application provisioning with scoping filters"
(L:define-conditional-rules-for-provisioning-user-accounts).  The exact Graph
``operatorName`` strings are unconfirmed, so both the portal spellings (``NOT EQUALS``,
``IS TRUE``) and underscore spellings (``NOT_EQUALS``, ``IS_TRUE``) are accepted,
case-insensitively; ``&`` / ``!&`` also as ``IN`` / ``NOT_IN``.

Semantics (documented unless marked):

* ``EQUALS`` / ``NOT EQUALS`` / ``Includes`` / ``ENDS_WITH`` / ``&`` / ``!&`` compare
  case-sensitively.
* ``&``: the attribute value is one of the values (a value containing commas is a
  comma-separated list; entries are trimmed).  ``!&``: it is none of them.  The
  docs say "exists in the input string value"; list membership is provsim's reading.
* ``REGEX MATCH`` must match the whole value (the documented examples only make sense
  that way: ``([1-9][0-9])`` "matches any number between 10 and 99").  .NET named
  groups are accepted.
* ``Greater_Than`` / ``Greater_Than_OR_EQUALS``: integers only; a non-integer value
  makes the clause false.  ``Less_Than`` / ``Less_Than_OR_EQUALS`` are accepted but
  **unconfirmed**: the docs do not list them.
* A null or empty value makes every clause false except ``IS NULL`` (true).  So
  ``NOT EQUALS``, ``!&`` and ``NOT REGEX MATCH`` are false on null, too.
* Not usable in filters (rejected when the filter is parsed): ``IsMemberOf``, group
  ``members``, ``manager``, ``appRoleAssignments``, ``userType``, multi-valued and date
  attributes [L:known-issues].
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from simulator.engine.errors import ScopingFilterError
from simulator.engine.expressions import compile_net_regex, source_value

__all__ = [
    "ScopingOperator",
    "ScopingClause",
    "ScopingGroup",
    "ScopingFilter",
    "ClauseResult",
    "parse_scoping_filter",
    "UNSUPPORTED_ATTRIBUTES",
]


class ScopingOperator(str, Enum):
    """Scoping operators; the value is the portal spelling."""

    EQUALS = "EQUALS"
    NOT_EQUALS = "NOT EQUALS"
    IS_TRUE = "IS TRUE"
    IS_FALSE = "IS FALSE"
    IS_NULL = "IS NULL"
    IS_NOT_NULL = "IS NOT NULL"
    REGEX_MATCH = "REGEX MATCH"
    NOT_REGEX_MATCH = "NOT REGEX MATCH"
    IN = "&"
    NOT_IN = "!&"
    ENDS_WITH = "ENDS_WITH"
    INCLUDES = "Includes"
    GREATER_THAN = "Greater_Than"
    GREATER_THAN_OR_EQUALS = "Greater_Than_OR_EQUALS"
    LESS_THAN = "Less_Than"  # unconfirmed
    LESS_THAN_OR_EQUALS = "Less_Than_OR_EQUALS"  # unconfirmed

    @property
    def needs_value(self) -> bool:
        return self not in _NO_VALUE


_NO_VALUE: Final = frozenset(
    {ScopingOperator.IS_TRUE, ScopingOperator.IS_FALSE, ScopingOperator.IS_NULL, ScopingOperator.IS_NOT_NULL}
)


def _operator_key(name: str) -> str:
    return re.sub(r"[\s_]+", "_", name.strip()).upper()


_OPERATOR_ALIASES: Final[dict[str, ScopingOperator]] = {
    **{_operator_key(op.value): op for op in ScopingOperator},
    **{_operator_key(op.name): op for op in ScopingOperator},
    "IN": ScopingOperator.IN,
    "NOT_IN": ScopingOperator.NOT_IN,
    "NOTEQUALS": ScopingOperator.NOT_EQUALS,
    "ISTRUE": ScopingOperator.IS_TRUE,
    "ISFALSE": ScopingOperator.IS_FALSE,
    "ISNULL": ScopingOperator.IS_NULL,
    "ISNOTNULL": ScopingOperator.IS_NOT_NULL,
    "REGEXMATCH": ScopingOperator.REGEX_MATCH,
    "NOTREGEXMATCH": ScopingOperator.NOT_REGEX_MATCH,
    "ENDSWITH": ScopingOperator.ENDS_WITH,
}

#: Source attributes that scoping filters cannot test, with the documented reason.
UNSUPPORTED_ATTRIBUTES: Final[dict[str, str]] = {
    "ismemberof": "the IsMemberOf filter is not supported",
    "members": "the members attribute of a group is not supported in scoping filters",
    "manager": "reference attributes such as manager are not supported in scoping filters",
    "approleassignments": "appRoleAssignments is not supported in scoping filters",
    "usertype": "userType is not supported in scoping filters",
    "businessphones": "multi-valued attributes are not supported in scoping filters",
    "proxyaddresses": "multi-valued attributes are not supported in scoping filters",
    "othermails": "multi-valued attributes are not supported in scoping filters",
    "memberof": "multi-valued attributes are not supported in scoping filters",
    "employeehiredate": "date attributes are not supported in scoping filters",
    "employeeleavedatetime": "date attributes are not supported in scoping filters",
    "createddatetime": "date attributes are not supported in scoping filters",
    "lastpasswordchangedatetime": "date attributes are not supported in scoping filters",
}


@dataclass(frozen=True)
class ClauseResult:
    """How one clause evaluated, for the provisioning log's scoping step."""

    group: int
    clause: int
    attribute: str
    operator: ScopingOperator
    values: tuple[str, ...]
    actual: Any
    met: bool
    message: str


@dataclass(frozen=True)
class ScopingClause:
    """One condition on one attribute."""

    attribute: str
    operator: ScopingOperator
    values: tuple[str, ...] = ()
    _pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def describe(self) -> str:
        """``department EQUALS 'Sales'``: how the clause reads in a log line."""
        if not self.operator.needs_value:
            return f"{self.attribute} {self.operator.value}"
        shown = ", ".join(repr(v) for v in self.values)
        return f"{self.attribute} {self.operator.value} {shown}"

    def test(self, source: Mapping[str, Any]) -> tuple[bool, Any, str]:
        """``(met, actual value, reason)`` for one source object."""
        actual = source_value(source, self.attribute)
        op = self.operator
        if isinstance(actual, list):
            return False, actual, "the attribute is multi-valued"
        empty = actual is None or actual == ""
        if op is ScopingOperator.IS_NULL:
            return empty, actual, ""
        if empty:
            return False, actual, "value was null"
        if op is ScopingOperator.IS_NOT_NULL:
            return True, actual, ""
        if op in (ScopingOperator.IS_TRUE, ScopingOperator.IS_FALSE):
            wanted = op is ScopingOperator.IS_TRUE
            flag = _as_bool(actual)
            if flag is None:
                return False, actual, "value is not a Boolean"
            return flag == wanted, actual, ""
        text = _text(actual)
        first = self.values[0]
        if op is ScopingOperator.EQUALS:
            return text == first, actual, ""
        if op is ScopingOperator.NOT_EQUALS:
            return text != first, actual, ""
        if op is ScopingOperator.INCLUDES:
            return first in text, actual, ""
        if op is ScopingOperator.ENDS_WITH:
            return text.endswith(first), actual, ""
        if op in (ScopingOperator.IN, ScopingOperator.NOT_IN):
            found = text in _list_values(self.values)
            return found if op is ScopingOperator.IN else not found, actual, ""
        if op in (ScopingOperator.REGEX_MATCH, ScopingOperator.NOT_REGEX_MATCH):
            assert self._pattern is not None
            matched = self._pattern.fullmatch(text) is not None
            return matched if op is ScopingOperator.REGEX_MATCH else not matched, actual, ""
        number = _as_int(actual)
        if number is None:
            return False, actual, "value is not an integer"
        limit = int(first.strip())
        if op is ScopingOperator.GREATER_THAN:
            return number > limit, actual, ""
        if op is ScopingOperator.GREATER_THAN_OR_EQUALS:
            return number >= limit, actual, ""
        if op is ScopingOperator.LESS_THAN:
            return number < limit, actual, ""
        return number <= limit, actual, ""

    def to_graph(self) -> dict[str, Any]:
        return {
            "operatorName": self.operator.value,
            "sourceOperandName": self.attribute,
            "targetOperand": {"values": list(self.values)},
        }


@dataclass(frozen=True)
class ScopingGroup:
    """Clauses that must all be met (one "scoping filter" in the portal)."""

    clauses: tuple[ScopingClause, ...]
    name: str | None = None


@dataclass(frozen=True)
class ScopingFilter:
    """Groups of clauses; an object is in scope if every clause of any group is met."""

    groups: tuple[ScopingGroup, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def attributes(self) -> set[str]:
        """Source attributes the filter reads (the engine must fetch them)."""
        return {clause.attribute for group in self.groups for clause in group.clauses}

    def evaluate(self, source: Mapping[str, Any]) -> tuple[bool, list[ClauseResult]]:
        """``(in_scope, details)``: every clause is evaluated so the log can explain all of them."""
        if not self.groups:
            return True, []
        details: list[ClauseResult] = []
        in_scope = False
        for g, group in enumerate(self.groups):
            group_met = True
            for c, clause in enumerate(group.clauses):
                met, actual, reason = clause.test(source)
                group_met = group_met and met
                details.append(
                    ClauseResult(g, c, clause.attribute, clause.operator, clause.values, actual, met,
                                 _message(clause, met, actual, reason))
                )
            in_scope = in_scope or group_met
        return in_scope, details

    def to_graph(self) -> dict[str, Any]:
        return {
            "groups": [
                {
                    **({"name": group.name} if group.name is not None else {}),
                    "clauses": [clause.to_graph() for clause in group.clauses],
                }
                for group in self.groups
            ]
        }


def _message(clause: ScopingClause, met: bool, actual: Any, reason: str) -> str:
    head = f"Clause {clause.describe()} was {'met' if met else 'not met'}"
    if met:
        return head
    if reason == "value was null":
        return f"{head}: value was null"
    shown = f"value was {_text(actual)!r}" if actual is not None else "value was null"
    return f"{head}: {shown}" + (f" ({reason})" if reason and reason != "value was null" else "")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _list_values(values: Sequence[str]) -> set[str]:
    items: set[str] = set()
    for value in values:
        items.update(part.strip() for part in value.split(","))
    return items


def parse_scoping_filter(obj: Mapping[str, Any] | None) -> ScopingFilter:
    """Parse a Graph ``filter`` object (or ``None``: everything in scope).

    Raises :class:`ScopingFilterError` naming the group and clause (1-based in the
    message, as an admin counts them) for an unknown operator, a missing attribute or
    value, an invalid regex, a non-integer limit, or an unsupported attribute.
    """
    if obj is None:
        return ScopingFilter()
    if not isinstance(obj, Mapping):
        raise ScopingFilterError("A scoping filter must be an object with a 'groups' list")
    raw_groups = obj.get("groups") or []
    if not isinstance(raw_groups, list):
        raise ScopingFilterError("'groups' of a scoping filter must be a list")
    groups: list[ScopingGroup] = []
    for g, raw_group in enumerate(raw_groups):
        if not isinstance(raw_group, Mapping):
            raise ScopingFilterError(f"Scoping filter group {g + 1} must be an object", group=g)
        raw_clauses = raw_group.get("clauses") or []
        if not isinstance(raw_clauses, list) or not raw_clauses:
            raise ScopingFilterError(f"Scoping filter group {g + 1} has no clauses", group=g)
        clauses = tuple(_parse_clause(raw, g, c) for c, raw in enumerate(raw_clauses))
        name = raw_group.get("name")
        groups.append(ScopingGroup(clauses, str(name) if name is not None else None))
    return ScopingFilter(tuple(groups))


def _parse_clause(raw: Any, g: int, c: int) -> ScopingClause:
    where = f"Scoping filter group {g + 1}, clause {c + 1}"

    def fail(message: str) -> ScopingFilterError:
        return ScopingFilterError(f"{where}: {message}", group=g, clause=c)

    if not isinstance(raw, Mapping):
        raise fail("a clause must be an object with operatorName, sourceOperandName and targetOperand")
    attribute = raw.get("sourceOperandName")
    if not isinstance(attribute, str) or not attribute.strip():
        raise fail("sourceOperandName (the attribute to test) is missing")
    attribute = attribute.strip()
    reason = UNSUPPORTED_ATTRIBUTES.get(attribute.lower())
    if reason is not None:
        raise fail(f"attribute {attribute!r} cannot be used: {reason}")
    operator_name = raw.get("operatorName")
    if not isinstance(operator_name, str) or not operator_name.strip():
        raise fail("operatorName is missing")
    operator = _OPERATOR_ALIASES.get(_operator_key(operator_name))
    if operator is None:
        valid = ", ".join(op.value for op in ScopingOperator)
        raise fail(f"unknown operator {operator_name!r}; valid operators: {valid}")
    operand = raw.get("targetOperand") or {}
    raw_values = operand.get("values") if isinstance(operand, Mapping) else None
    values = tuple(str(v) for v in (raw_values or []) if v is not None)
    pattern = None
    if operator.needs_value:
        if not values or (operator is not ScopingOperator.IN and operator is not ScopingOperator.NOT_IN
                          and values[0] == ""):
            raise fail(f"operator {operator.value} needs a value in targetOperand.values")
        if operator in (ScopingOperator.REGEX_MATCH, ScopingOperator.NOT_REGEX_MATCH):
            try:
                pattern = compile_net_regex(values[0])
            except re.error as err:
                raise fail(f"invalid regular expression {values[0]!r}: {err}") from None
        if operator in (
            ScopingOperator.GREATER_THAN,
            ScopingOperator.GREATER_THAN_OR_EQUALS,
            ScopingOperator.LESS_THAN,
            ScopingOperator.LESS_THAN_OR_EQUALS,
        ) and _as_int(values[0]) is None:
            raise fail(f"operator {operator.value} needs an integer value, got {values[0]!r}")
    return ScopingClause(attribute, operator, values, pattern)
