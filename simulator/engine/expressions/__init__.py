"""The Entra attribute-mapping expression language.

Implements "Reference for writing expressions for attribute mappings in Microsoft
Entra ID" (learn.microsoft.com/entra/identity/app-provisioning/
functions-for-customizing-application-data): all 43 documented functions, as a
tokenizer and recursive-descent parser producing a small AST, and an evaluator over
one source object (a mapping of Entra attribute names to values) and an
:class:`Environment` (the clock ``Now()`` reads, the random stream ``Guid()`` and
``RandomString()`` draw from).

    parser.py        tokens -> AST, validated at parse time with 0-based positions
    nodes.py         the AST and its evaluation
    expression.py    Expression, parse(), Graph's attributeMappingSource both ways
    registry.py      the function table the families fill
    strings.py       Append, Join, Left, Mid, Word, StripSpaces, PCase, ToLower/ToUpper,
                     NormalizeDiacritics, InStr, Replace, CStr, ConvertToBase64, ConvertToUTF8Hex
    logic.py         IIF, Switch, Not, CBool, Coalesce, IsNull/IsNullOrEmpty/IsPresent/IsString,
                     IgnoreFlowIfNullOrEmpty, BitAnd, Redact, SelectUniqueValue
    multivalue.py    Count, Item, RemoveDuplicates, Split
    roles.py         SingleAppRoleAssignment, AppRoleAssignmentsComplex (+ Assertive...)
    dates.py         Now, CDate, DateAdd, DateDiff, DateFromNum, NumFromDate, FormatDateTime
    generators.py    Guid, RandomString
    netdates.py      .NET date and time format strings (format and parse)
    regex.py         the .NET regular-expression dialect on Python's re
    values.py        values, markers, the source-attribute lookup, errors with positions
    environment.py   Environment: clock and random stream

Where the page is ambiguous or contradicts itself, the choice made is listed in
docs/fidelity.md ("Expressions").
"""

from __future__ import annotations

from . import dates, generators, logic, multivalue, roles, strings  # noqa: F401  (they register the functions)
from .environment import EXPRESSION_STREAM, Environment, RandomSource
from .expression import MAX_EXPRESSION_LENGTH, Expression, from_mapping_source, parse, validate
from .logic import select_unique_value_message
from .regex import compile_net_regex
from .registry import function_names
from .values import IGNORE_FLOW, source_value

__all__ = [
    "MAX_EXPRESSION_LENGTH",
    "IGNORE_FLOW",
    "Expression",
    "Environment",
    "RandomSource",
    "EXPRESSION_STREAM",
    "parse",
    "validate",
    "from_mapping_source",
    "source_value",
    "function_names",
    "compile_net_regex",
    "select_unique_value_message",
]
