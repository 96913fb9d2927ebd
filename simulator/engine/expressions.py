"""The Entra attribute-mapping expression language.

Implements "Reference for writing expressions for attribute mappings in Microsoft
Entra ID" (learn.microsoft.com/entra/identity/app-provisioning/
functions-for-customizing-application-data) as a tokenizer, a recursive-descent
parser producing a small AST, and an evaluator over one source object (a mapping of
Entra attribute names to values).

Syntax (VBA-like, as documented):

* ``[attributeName]``: a source attribute; names are matched case-insensitively.
* ``"text"``: a string constant; ``\\"`` is a quote and ``\\\\`` a backslash.  Any
  other backslash is kept as written, so regex patterns such as ``"\\d+"`` work
  whether or not their backslashes were doubled.
* Numbers (``7``, ``-10``, ``1.5``, VBA hex ``&HF``), ``True`` / ``False`` and the
  ``vbTextCompare`` / ``vbBinaryCompare`` constants of ``InStr``.
* ``Fn(arg, arg, ...)``: function names are case-insensitive; an argument may be
  left empty (``Replace([x], , "re", , "", , )``) which means "not provided".
* Comparisons ``=  <>  <  <=  >  >=`` (documented for IIF conditions).

Values during evaluation are plain Python: ``str``, ``bool``, ``int``/``float``,
``list`` (multi-valued attributes), ``dict`` (app role assignments) and ``None``
(null: the attribute is absent).  Booleans stay booleans; the SCIM body builders
decide how Entra spells them on the wire.

Validation happens at parse time: unknown functions, wrong argument counts, bad
literal regex patterns and Replace parameter combinations that the service does not
document raise :class:`ExpressionError` with the 0-based position.  Functions that
are documented but cannot be simulated deterministically (``Now``, ``Guid``,
``RandomString``, the date functions, ``SelectUniqueValue``) are rejected at parse
time with a message that says so, rather than silently returning something.
"""

from __future__ import annotations

import base64
import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from simulator.engine.errors import ExpressionError, ExpressionEvaluationError

__all__ = [
    "MAX_EXPRESSION_LENGTH",
    "IGNORE_FLOW",
    "Expression",
    "parse",
    "validate",
    "from_mapping_source",
    "source_value",
    "function_names",
    "compile_net_regex",
]

#: Documented limit: "expressions may be at most 10,000 characters" [L:known-issues].
MAX_EXPRESSION_LENGTH: Final = 10_000


class _IgnoreFlow:
    """Marker returned by ``IgnoreFlowIfNullOrEmpty``: drop the attribute from the flow."""

    _instance: _IgnoreFlow | None = None

    def __new__(cls) -> _IgnoreFlow:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "IGNORE_FLOW"

    def __bool__(self) -> bool:
        return False


#: Result of ``IgnoreFlowIfNullOrEmpty(...)`` when its value is null or empty.  The
#: mapping layer leaves such an attribute out entirely (not sent, not cleared).
IGNORE_FLOW: Final = _IgnoreFlow()


class _Omitted:
    """An argument position left empty (``Fn(a, , c)``): "not provided", unlike null."""

    def __repr__(self) -> str:
        return "<omitted>"


_OMITTED: Final = _Omitted()


# --------------------------------------------------------------------------- source lookup

#: Entra provisioning attribute names and the Microsoft Graph property that carries the
#: same data.  The provisioning service's source schema uses the directory names
#: (``mobile``, ``telephoneNumber``, ``objectId``...); a source object built from Graph
#: JSON has ``mobilePhone``, ``businessPhones``, ``id``.  Either spelling works.
_GRAPH_ALIASES: Final[dict[str, str]] = {
    "mobile": "mobilePhone",
    "objectid": "id",
    "facsimiletelephonenumber": "faxNumber",
    "physicaldeliveryofficename": "officeLocation",
    "telephonenumber": "businessPhones",  # first element
    "employeetype": "employeeType",
}


def _lower_index(source: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in source.items()}


def source_value(source: Mapping[str, Any], name: str) -> Any:
    """The value of source attribute ``name`` (case-insensitive), or ``None`` when absent.

    Falls back to the Graph spelling of a few Entra attribute names (``mobile`` ->
    ``mobilePhone``, ``telephoneNumber`` -> first of ``businessPhones``,
    ``objectId`` -> ``id``) so that the engine can pass Graph-shaped user objects.
    """
    index = source if _is_lower_index(source) else _lower_index(source)
    key = name.lower()
    if key in index and index[key] is not None:
        return index[key]
    alias = _GRAPH_ALIASES.get(key)
    if alias is not None:
        value = index.get(alias.lower())
        if key == "telephonenumber" and isinstance(value, list):
            return value[0] if value else None
        return value
    return index.get(key)


class _LowerIndex(dict):  # type: ignore[type-arg]
    """A source object already keyed by lower-case names (built once per evaluation)."""


def _is_lower_index(source: Mapping[str, Any]) -> bool:
    return isinstance(source, _LowerIndex)


# --------------------------------------------------------------------------- tokens


class _Kind(Enum):
    ATTRIBUTE = "attribute"
    STRING = "string"
    NUMBER = "number"
    NAME = "name"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    COMPARE = "comparison operator"
    END = "end of expression"


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    value: Any
    pos: int
    end: int


def _excerpt(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "..."


def _error(message: str, position: int, text: str) -> ExpressionError:
    return ExpressionError(
        f"{message} at position {position} in: {_excerpt(text)}", position=position, expression=text
    )


_NUMBER_RE: Final = re.compile(r"-?\d+(\.\d+)?")
_HEX_RE: Final = re.compile(r"&[Hh]([0-9A-Fa-f]+)")
_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_COMPARE_OPS: Final = ("<>", "<=", ">=", "=", "<", ">")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "[":
            close = text.find("]", i + 1)
            if close < 0:
                raise _error(f"Expected ']' (the attribute name opened with '[' at {i} is not closed)", n, text)
            name = text[i + 1 : close].strip()
            if not name:
                raise _error("Expected an attribute name inside '[]'", i + 1, text)
            tokens.append(_Token(_Kind.ATTRIBUTE, name, i, close + 1))
            i = close + 1
            continue
        if ch == '"':
            chars: list[str] = []
            j = i + 1
            while True:
                if j >= n:
                    raise ExpressionError(
                        f"Unterminated string starting at position {i}: expected a closing '\"' "
                        f"at position {n} in: {_excerpt(text)}",
                        position=i,
                        expression=text,
                    )
                c = text[j]
                if c == "\\" and j + 1 < n and text[j + 1] in '"\\':
                    chars.append(text[j + 1])
                    j += 2
                    continue
                if c == '"':
                    break
                chars.append(c)
                j += 1
            tokens.append(_Token(_Kind.STRING, "".join(chars), i, j + 1))
            i = j + 1
            continue
        if ch in "(),":
            kind = {"(": _Kind.LPAREN, ")": _Kind.RPAREN, ",": _Kind.COMMA}[ch]
            tokens.append(_Token(kind, ch, i, i + 1))
            i += 1
            continue
        hex_match = _HEX_RE.match(text, i)
        if hex_match:
            tokens.append(_Token(_Kind.NUMBER, int(hex_match.group(1), 16), i, hex_match.end()))
            i = hex_match.end()
            continue
        num_match = _NUMBER_RE.match(text, i)
        if num_match:
            raw = num_match.group(0)
            value: int | float = float(raw) if num_match.group(1) else int(raw)
            tokens.append(_Token(_Kind.NUMBER, value, i, num_match.end()))
            i = num_match.end()
            continue
        name_match = _NAME_RE.match(text, i)
        if name_match:
            tokens.append(_Token(_Kind.NAME, name_match.group(0), i, name_match.end()))
            i = name_match.end()
            continue
        for op in _COMPARE_OPS:
            if text.startswith(op, i):
                tokens.append(_Token(_Kind.COMPARE, op, i, i + len(op)))
                i += len(op)
                break
        else:
            raise _error(
                f"Unexpected character {ch!r}: expected a function, an [attribute], a \"string\" or a number",
                i,
                text,
            )
    tokens.append(_Token(_Kind.END, None, n, n))
    return tokens


# --------------------------------------------------------------------------- AST


class Node:
    """Base of the expression AST.  ``pos`` is the 0-based offset of the node's first character."""

    pos: int

    def evaluate(self, ctx: _Context) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def walk(self) -> Iterable[Node]:
        yield self


@dataclass(frozen=True)
class Attribute(Node):
    """``[name]``: a source attribute reference."""

    name: str
    pos: int

    def evaluate(self, ctx: _Context) -> Any:
        return source_value(ctx.source, self.name)

    def render(self) -> str:
        return f"[{self.name}]"


@dataclass(frozen=True)
class Literal(Node):
    """A string, number or boolean constant."""

    value: str | int | float | bool
    pos: int

    def evaluate(self, ctx: _Context) -> Any:
        return self.value

    def render(self) -> str:
        if isinstance(self.value, bool):
            return "True" if self.value else "False"
        if isinstance(self.value, (int, float)):
            return str(self.value)
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'


@dataclass(frozen=True)
class Omitted(Node):
    """An argument left empty; functions see it as "not provided"."""

    pos: int

    def evaluate(self, ctx: _Context) -> Any:
        return _OMITTED

    def render(self) -> str:
        return ""


@dataclass(frozen=True)
class Compare(Node):
    """``left op right`` (documented for IIF conditions).

    As documented, a condition over a null or empty value "fails": every comparison
    with a null/empty operand is False, ``<>`` included.
    """

    op: str
    left: Node
    right: Node
    pos: int

    def evaluate(self, ctx: _Context) -> Any:
        a = _scalar(_unwrap(self.left.evaluate(ctx)))
        b = _scalar(_unwrap(self.right.evaluate(ctx)))
        if _is_null_or_empty(a) or _is_null_or_empty(b):
            return False
        na, nb = _as_number(a), _as_number(b)
        if na is not None and nb is not None:
            x: Any = na
            y: Any = nb
        else:
            x, y = _to_str(a), _to_str(b)
        if self.op == "=":
            return x == y
        if self.op == "<>":
            return x != y
        if self.op == "<":
            return x < y
        if self.op == "<=":
            return x <= y
        if self.op == ">":
            return x > y
        return x >= y

    def render(self) -> str:
        return f"{self.left.render()} {self.op} {self.right.render()}"

    def walk(self) -> Iterable[Node]:
        yield self
        yield from self.left.walk()
        yield from self.right.walk()


@dataclass(frozen=True)
class Call(Node):
    """``Name(args...)``; ``name`` is the documented spelling of the function."""

    name: str
    args: tuple[Node, ...]
    pos: int

    def evaluate(self, ctx: _Context) -> Any:
        spec = _FUNCTIONS[self.name.lower()]
        values = [_unwrap(arg.evaluate(ctx)) for arg in self.args]
        try:
            return spec.impl(values)
        except _EvalProblem as problem:
            raise ExpressionEvaluationError(
                f"{self.name}: {problem} at position {self.pos} in: {_excerpt(ctx.text)}",
                position=self.pos,
                expression=ctx.text,
            ) from None

    def render(self) -> str:
        return f"{self.name}({', '.join(arg.render() for arg in self.args)})"

    def walk(self) -> Iterable[Node]:
        yield self
        for arg in self.args:
            yield from arg.walk()


def _unwrap(value: Any) -> Any:
    # IgnoreFlowIfNullOrEmpty only means something at the top of a mapping; nested, it is null.
    return None if value is IGNORE_FLOW else value


@dataclass
class _Context:
    source: Mapping[str, Any]
    text: str


class _EvalProblem(Exception):
    """Raised by a function implementation; turned into ExpressionEvaluationError with position."""


# --------------------------------------------------------------------------- value helpers


def _is_null_or_empty(value: Any) -> bool:
    return value is None or value is _OMITTED or value == "" or (isinstance(value, list) and not value)


def _scalar(value: Any) -> Any:
    """A multi-valued attribute used where one value is expected yields its first value."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _to_str(value: Any) -> str:
    value = _scalar(value)
    if value is None or value is _OMITTED:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return str(value.get("value") or value.get("displayName") or value.get("id") or "")
    return str(value)


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if re.fullmatch(r"-?\d+\.\d+", text):
            return float(text)
    return None


def _to_int(value: Any, what: str) -> int:
    number = _as_number(_scalar(value))
    if number is None or (isinstance(number, float) and not number.is_integer()):
        raise _EvalProblem(f"{what} must be an integer, got {_scalar(value)!r}")
    return int(number)


def _is_true(value: Any) -> bool:
    """Entra's boolean reading: True, or the string "True" in any case; numbers: non-zero."""
    value = _scalar(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "true":
            return True
        number = _as_number(text)
        return number is not None and number != 0
    return False


def _given(value: Any) -> bool:
    return value is not _OMITTED


# --------------------------------------------------------------------------- .NET regex dialect

_NET_NAMED_GROUP: Final = re.compile(r"\(\?<(?![=!])([A-Za-z_][A-Za-z0-9_]*)>")
_NET_BACKREF: Final = re.compile(r"\\k<([A-Za-z_][A-Za-z0-9_]*)>")


def compile_net_regex(pattern: str) -> re.Pattern[str]:
    """Compile a .NET-style pattern (the service runs .NET): ``(?<name>...)`` and
    ``\\k<name>`` are rewritten to Python's ``(?P<name>...)`` / ``(?P=name)``."""
    translated = _NET_NAMED_GROUP.sub(r"(?P<\1>", pattern)
    translated = _NET_BACKREF.sub(r"(?P=\1)", translated)
    return re.compile(translated)


_NET_SUBST: Final = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*|\d+)\}|(\d+))")


def _net_expand(template: str, match: re.Match[str]) -> str:
    """Expand .NET substitutions (``$1``, ``${name}``, ``$$``) with no other escaping."""

    def substitute(sub: re.Match[str]) -> str:
        if sub.group(1) == "$":
            return "$"
        ref = sub.group(2) or sub.group(3)
        key: int | str = int(ref) if ref.isdigit() else ref
        try:
            return match.group(key) or ""
        except (IndexError, re.error):
            return sub.group(0)

    return _NET_SUBST.sub(substitute, template)


# --------------------------------------------------------------------------- functions


@dataclass(frozen=True)
class _Spec:
    name: str
    params: tuple[str, ...]
    min_args: int
    max_args: int | None
    impl: Callable[[list[Any]], Any]
    check: Callable[[Call, str], None] | None = None


_FUNCTIONS: dict[str, _Spec] = {}

#: Documented functions that provsim refuses on purpose, with the reason.
_UNSUPPORTED: Final[dict[str, str]] = {
    "now": "it reads the wall clock, which would make provisioning non-deterministic",
    "guid": "it generates random values, which would make provisioning non-deterministic",
    "randomstring": "it generates random values, which would make provisioning non-deterministic",
    "cdate": "date functions are not simulated",
    "dateadd": "date functions are not simulated",
    "datediff": "date functions are not simulated",
    "datefromnum": "date functions are not simulated",
    "numfromdate": "date functions are not simulated",
    "formatdatetime": "date functions are not simulated",
    "selectuniquevalue": "it is only supported for provisioning to Active Directory",
}


def _register(
    name: str,
    params: Sequence[str],
    min_args: int,
    max_args: int | None = -1,
    check: Callable[[Call, str], None] | None = None,
) -> Callable[[Callable[[list[Any]], Any]], Callable[[list[Any]], Any]]:
    def decorator(impl: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
        upper = len(params) if max_args == -1 else max_args
        _FUNCTIONS[name.lower()] = _Spec(name, tuple(params), min_args, upper, impl, check)
        return impl

    return decorator


def function_names() -> list[str]:
    """Documented spellings of every function provsim evaluates, sorted."""
    return sorted(spec.name for spec in _FUNCTIONS.values())


def _arg(args: list[Any], index: int) -> Any:
    return args[index] if index < len(args) else _OMITTED


def _null(value: Any) -> bool:
    return value is None or value is _OMITTED


@_register("Append", ["source", "suffix"], 2)
def _append(args: list[Any]) -> Any:
    # Null in, null out: Entra never flows a value built from a missing attribute.
    source, suffix = args
    if _null(source):
        return None
    return _to_str(source) + _to_str(suffix)


@_register("Join", ["separator", "source"], 2, None)
def _join(args: list[Any]) -> Any:
    separator = "" if _null(args[0]) else _to_str(args[0])
    parts: list[str] = []
    for value in args[1:]:
        values = value if isinstance(value, list) else [value]
        for item in values:
            # The documented example Join(", ", "", [surname], [givenName]) -> "Doe, John":
            # null and empty values are skipped, not joined as empty strings.
            if _is_null_or_empty(item):
                continue
            parts.append(_to_str(item))
    return separator.join(parts) if parts else None


@_register("Not", ["source"], 1)
def _not(args: list[Any]) -> Any:
    # Documented: "If source value is True, returns False. Otherwise, returns True."
    return not _is_true(args[0])


@_register("ToLower", ["source", "culture"], 1)
def _to_lower(args: list[Any]) -> Any:
    return None if _null(args[0]) else _to_str(args[0]).lower()


@_register("ToUpper", ["source", "culture"], 1)
def _to_upper(args: list[Any]) -> Any:
    return None if _null(args[0]) else _to_str(args[0]).upper()


def _check_switch(call: Call, text: str) -> None:
    if len(call.args) % 2 != 0:
        raise _error(
            f"Switch expects an even number of arguments (source, defaultValue, then key/value pairs), "
            f"got {len(call.args)}",
            call.pos,
            text,
        )


@_register("Switch", ["source", "defaultValue", "key", "value"], 4, None, check=_check_switch)
def _switch(args: list[Any]) -> Any:
    # Case-sensitive, as documented; a null source matches the key "" (the documented
    # way to test for an empty attribute).
    source = "" if _null(_scalar(args[0])) else _to_str(args[0])
    default = args[1]
    for index in range(2, len(args) - 1, 2):
        key = args[index]
        if (_to_str(key) if not _null(key) else "") == source:
            value = args[index + 1]
            return None if value is _OMITTED else value
    return None if default is _OMITTED else default


@_register("IIF", ["condition", "valueIfTrue", "valueIfFalse"], 3)
def _iif(args: list[Any]) -> Any:
    chosen = args[1] if _is_true(args[0]) else args[2]
    return None if chosen is _OMITTED else chosen


@_register("Coalesce", ["source", "defaultValue"], 1, None)
def _coalesce(args: list[Any]) -> Any:
    for value in args:
        if not _is_null_or_empty(value):
            return value
    # "Can be empty string" for the default: an explicit "" last argument is returned.
    if args and args[-1] == "":
        return ""
    return None


@_register("IsNull", ["expression"], 1)
def _is_null(args: list[Any]) -> Any:
    value = args[0]
    return _null(value) or (isinstance(value, list) and not value)


@_register("IsNullOrEmpty", ["expression"], 1)
def _is_null_or_empty_fn(args: list[Any]) -> Any:
    return _is_null_or_empty(args[0])


@_register("IsPresent", ["expression"], 1)
def _is_present(args: list[Any]) -> Any:
    return not _is_null_or_empty(args[0])


@_register("IsString", ["expression"], 1)
def _is_string(args: list[Any]) -> Any:
    return isinstance(_scalar(args[0]), str)


@_register("IgnoreFlowIfNullOrEmpty", ["expression"], 1)
def _ignore_flow(args: list[Any]) -> Any:
    return IGNORE_FLOW if _is_null_or_empty(args[0]) else args[0]


_REPLACE_PARAMS: Final = (
    "source",
    "oldValue",
    "regexPattern",
    "regexGroupName",
    "replacementValue",
    "replacementAttributeName",
    "template",
)


def _check_replace(call: Call, text: str) -> None:
    given = {
        name: not isinstance(arg, Omitted) for name, arg in zip(_REPLACE_PARAMS, call.args, strict=False)
    }
    old, pattern = given.get("oldValue", False), given.get("regexPattern", False)
    group = given.get("regexGroupName", False)
    replacement = given.get("replacementValue", False)
    attribute = given.get("replacementAttributeName", False)
    template = given.get("template", False)
    documented = (
        (old and (replacement or template))
        or (pattern and replacement)
        or (pattern and group and attribute)
    )
    if not documented:
        raise _error(
            "Replace needs oldValue with replacementValue or template, or regexPattern with "
            "replacementValue, or regexPattern with regexGroupName and replacementAttributeName",
            call.pos,
            text,
        )
    if pattern and old:
        raise _error("Replace takes either oldValue or regexPattern, not both", call.args[2].pos, text)


@_register("Replace", _REPLACE_PARAMS, 2, check=_check_replace)
def _replace(args: list[Any]) -> Any:
    source, old, pattern, group, replacement, attribute, template = (
        _arg(args, i) for i in range(len(_REPLACE_PARAMS))
    )
    if _given(old):
        if _null(source):
            return None
        if _given(template) and not _given(replacement):
            # "Replaces all occurrences of the oldValue in the template with the source value".
            return _to_str(template).replace(_to_str(old), _to_str(source))
        return _to_str(source).replace(_to_str(old), _to_str(replacement))
    regex = _regex(pattern)
    if _given(group) and _given(attribute) and not _given(replacement):
        if not _is_null_or_empty(source):
            return source
        if _null(attribute):
            return None
        found = regex.search(_to_str(attribute))
        if found is None:
            return None
        return _group(found, _to_str(group))
    if _null(source):
        return None
    text = _to_str(source)
    new = "" if _null(replacement) else _to_str(replacement)
    if _given(group):
        # Replace only the span of the named group in each match, with the literal value.
        name = _to_str(group)
        pieces: list[str] = []
        last = 0
        for found in regex.finditer(text):
            try:
                start, end = found.span(name)
            except IndexError:
                raise _EvalProblem(f"regexGroupName {name!r} is not a group of the pattern") from None
            if start < 0:
                continue
            pieces.append(text[last:start])
            pieces.append(new)
            last = end
        pieces.append(text[last:])
        return "".join(pieces)
    return regex.sub(lambda m: _net_expand(new, m), text)


def _group(found: re.Match[str], name: str) -> str | None:
    try:
        return found.group(name)
    except IndexError:
        raise _EvalProblem(f"regexGroupName {name!r} is not a group of the pattern") from None


def _regex(pattern: Any) -> re.Pattern[str]:
    try:
        return compile_net_regex(_to_str(pattern))
    except re.error as err:
        raise _EvalProblem(f"invalid regexPattern {_to_str(pattern)!r}: {err}") from None


@_register("Left", ["String", "NumChars"], 2)
def _left(args: list[Any]) -> Any:
    # Documented: null string -> "", 0 -> "", negative -> the input string.
    if _null(args[0]):
        return ""
    text = _to_str(args[0])
    count = _to_int(args[1], "NumChars")
    if count < 0:
        return text
    return text[:count]


@_register("Mid", ["source", "start", "length"], 3)
def _mid(args: list[Any]) -> Any:
    if _null(args[0]):
        return None
    text = _to_str(args[0])
    start = _to_int(args[1], "start")
    length = _to_int(args[2], "length")
    if start < 1:
        raise _EvalProblem(f"start is 1-based and must be at least 1, got {start}")
    if length < 0:
        raise _EvalProblem(f"length must not be negative, got {length}")
    return text[start - 1 : start - 1 + length]


@_register("StripSpaces", ["source"], 1)
def _strip_spaces(args: list[Any]) -> Any:
    return None if _null(args[0]) else _to_str(args[0]).replace(" ", "")


@_register("Word", ["String", "WordNumber", "Delimiters"], 3)
def _word(args: list[Any]) -> Any:
    # Documented: null string, number < 1 or too few words -> "".
    if _null(args[0]):
        return ""
    number = _to_int(args[1], "WordNumber")
    if number < 1:
        return ""
    delimiters = _to_str(args[2])
    text = _to_str(args[0])
    if delimiters:
        words = [w for w in re.split("[" + re.escape(delimiters) + "]", text) if w]
    else:
        words = [text] if text else []
    return words[number - 1] if number <= len(words) else ""


_DEFAULT_ACCESS_ROLE: Final = "00000000-0000-0000-0000-000000000000"


def _role_assignments(value: Any) -> list[Mapping[str, Any]]:
    """The app role assignments that carry a real role (Default Access is skipped)."""
    if _null(value):
        return []
    items = value if isinstance(value, list) else [value]
    roles: list[Mapping[str, Any]] = []
    for item in items:
        if isinstance(item, Mapping):
            if str(item.get("appRoleId") or item.get("id") or "") == _DEFAULT_ACCESS_ROLE:
                continue
            if item.get("value") is None and item.get("displayName") is None:
                continue
            roles.append(item)
        elif isinstance(item, str) and item:
            roles.append({"value": item, "displayName": item})
    return roles


@_register("SingleAppRoleAssignment", ["source"], 1)
def _single_app_role_assignment(args: list[Any]) -> Any:
    # The role's value (the SCIM POST example sends "value": "Admin").  With several
    # roles the documented result is "not predictable"; provsim takes the first in the
    # order the directory lists them, so replays are stable.
    roles = _role_assignments(args[0])
    if not roles:
        return None
    role = roles[0]
    return role.get("value") if role.get("value") is not None else role.get("displayName")


def _complex_roles(args: list[Any]) -> Any:
    roles = _role_assignments(args[0])
    if not roles:
        return None
    return [
        {
            "primary": False,
            "type": "WindowsAzureActiveDirectoryRole",
            "display": role.get("displayName") if role.get("displayName") is not None else role.get("value"),
            "value": role.get("value") if role.get("value") is not None else role.get("displayName"),
        }
        for role in roles
    ]


_register("AppRoleAssignmentsComplex", ["source"], 1)(_complex_roles)
_register("AssertiveAppRoleAssignmentsComplex", ["source"], 1)(_complex_roles)


@_register("CStr", ["value"], 1)
def _cstr(args: list[Any]) -> Any:
    return None if _null(args[0]) else _to_str(args[0])


@_register("CBool", ["expression"], 1)
def _cbool(args: list[Any]) -> Any:
    return _is_true(args[0])


_TITLE_SEPARATOR_CATEGORIES: Final = ("Z", "C", "P", "S")


@_register("PCase", ["source", "wordSeparators"], 1)
def _pcase(args: list[Any]) -> Any:
    if _null(args[0]):
        return None
    text = _to_str(args[0])
    separators = None if _null(_arg(args, 1)) else _to_str(args[1])

    def is_separator(ch: str) -> bool:
        if separators is not None:
            return ch in separators
        # .NET ToTitleCase treats spaces, control, punctuation and symbol characters as
        # word boundaries.
        return unicodedata.category(ch)[0] in _TITLE_SEPARATOR_CATEGORIES

    out: list[str] = []
    start_of_word = True
    for ch in text:
        if is_separator(ch):
            out.append(ch)
            start_of_word = True
        else:
            out.append(ch.upper() if start_of_word else ch.lower())
            start_of_word = False
    return "".join(out)


@_register("Split", ["source", "delimiter"], 2)
def _split(args: list[Any]) -> Any:
    if _null(args[0]):
        return None
    delimiter = _to_str(args[1])
    text = _to_str(args[0])
    # .NET String.Split semantics: pieces are not trimmed.
    return text.split(delimiter) if delimiter else [text]


def _check_instr(call: Call, text: str) -> None:
    if len(call.args) == 4 and isinstance(call.args[3], Literal):
        mode = str(call.args[3].value).lower()
        if mode not in {"vbtextcompare", "vbbinarycompare", "0", "1"}:
            raise _error("Expected vbTextCompare or vbBinaryCompare", call.args[3].pos, text)


@_register("InStr", ["value1", "value2", "start", "compareType"], 2, check=_check_instr)
def _instr(args: list[Any]) -> Any:
    if _null(args[0]) or _null(args[1]):
        return None
    haystack, needle = _to_str(args[0]), _to_str(args[1])
    start = 1 if _null(_arg(args, 2)) else _to_int(args[2], "start")
    if start < 1:
        raise _EvalProblem(f"start is 1-based and must be at least 1, got {start}")
    mode = _arg(args, 3)
    if not _null(mode) and _to_str(mode).lower() in {"vbtextcompare", "1"}:
        haystack, needle = haystack.lower(), needle.lower()
    return haystack.find(needle, start - 1) + 1


_DIACRITIC_SPECIALS: Final = {
    "æ": "ae", "Æ": "AE", "ǣ": "ae", "Ǣ": "AE",
    "ø": "oe", "Ø": "OE", "œ": "oe", "Œ": "OE",
    "ß": "ss", "ł": "l", "Ł": "L", "ı": "i", "đ": "d", "Đ": "D",
}  # fmt: skip


@_register("NormalizeDiacritics", ["source"], 1)
def _normalize_diacritics(args: list[Any]) -> Any:
    if _null(args[0]):
        return None
    text = "".join(_DIACRITIC_SPECIALS.get(ch, ch) for ch in _to_str(args[0]))
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(_DIACRITIC_SPECIALS.get(ch, ch) for ch in unicodedata.normalize("NFC", stripped))


@_register("Count", ["attribute"], 1)
def _count(args: list[Any]) -> Any:
    value = args[0]
    if _null(value):
        return 0
    return len(value) if isinstance(value, list) else 1


@_register("Item", ["attribute", "index"], 2)
def _item(args: list[Any]) -> Any:
    value = args[0]
    if _null(value):
        return None
    items = value if isinstance(value, list) else [value]
    index = _to_int(args[1], "index")  # documented as 1-based ("Index 0 shouldn't be used")
    return items[index - 1] if 1 <= index <= len(items) else None


@_register("RemoveDuplicates", ["attribute"], 1)
def _remove_duplicates(args: list[Any]) -> Any:
    value = args[0]
    if _null(value):
        return None
    items = value if isinstance(value, list) else [value]
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


@_register("BitAnd", ["value1", "value2"], 2)
def _bit_and(args: list[Any]) -> Any:
    return _to_int(args[0], "value1") & _to_int(args[1], "value2")


@_register("ConvertToBase64", ["source"], 1)
def _to_base64(args: list[Any]) -> Any:
    # "a Unicode base64 string": .NET Unicode is UTF-16LE ("Hello world!" -> "SABlAGwA...").
    if _null(args[0]):
        return None
    return base64.b64encode(_to_str(args[0]).encode("utf-16-le")).decode("ascii")


@_register("ConvertToUTF8Hex", ["source"], 1)
def _to_utf8_hex(args: list[Any]) -> Any:
    if _null(args[0]):
        return None
    return _to_str(args[0]).encode("utf-8").hex().upper()


@_register("Redact", ["source"], 1)
def _redact(args: list[Any]) -> Any:
    # The value flows unchanged; Expression.redacted tells the log writer to show "[Redact]".
    return None if _null(args[0]) else args[0]


# --------------------------------------------------------------------------- parser

_CONSTANT_NAMES: Final[dict[str, str | bool]] = {
    "true": True,
    "false": False,
    "vbtextcompare": "vbTextCompare",
    "vbbinarycompare": "vbBinaryCompare",
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def at(self, kind: _Kind) -> bool:
        """Whether the current token is of this kind (a call, so the type checker does not narrow it across advance())."""
        return self.current.kind is kind

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, kind: _Kind, context: str) -> _Token:
        token = self.current
        if token.kind is not kind:
            raise _error(f"Expected {kind.value} {context}, found {self.describe(token)}", token.pos, self.text)
        return self.advance()

    @staticmethod
    def describe(token: _Token) -> str:
        if token.kind is _Kind.END:
            return "the end of the expression"
        if token.kind is _Kind.STRING:
            return f'string "{token.value}"'
        if token.kind is _Kind.ATTRIBUTE:
            return f"[{token.value}]"
        return repr(str(token.value))

    def parse(self) -> Node:
        if self.at(_Kind.END):
            raise _error("Expected an expression", 0, self.text)
        node = self.comparison()
        if not self.at(_Kind.END):
            token = self.current
            raise _error(f"Expected the end of the expression, found {self.describe(token)}", token.pos, self.text)
        return node

    def comparison(self) -> Node:
        left = self.primary()
        if self.at(_Kind.COMPARE):
            op = self.advance()
            right = self.primary()
            return Compare(op.value, left, right, left.pos)
        return left

    def primary(self) -> Node:
        token = self.current
        if token.kind is _Kind.ATTRIBUTE:
            self.advance()
            return Attribute(token.value, token.pos)
        if token.kind in (_Kind.STRING, _Kind.NUMBER):
            self.advance()
            return Literal(token.value, token.pos)
        if token.kind is _Kind.NAME:
            self.advance()
            if self.at(_Kind.LPAREN):
                return self.call(token)
            constant = _CONSTANT_NAMES.get(token.value.lower())
            if constant is not None:
                return Literal(constant, token.pos)
            raise _error(
                f"Expected '(' after function name {token.value!r} "
                f"(or an [attribute], a \"string\", a number, True or False), found {self.describe(self.current)}",
                self.current.pos,
                self.text,
            )
        raise _error(
            f"Expected a function, an [attribute], a \"string\" or a number, found {self.describe(token)}",
            token.pos,
            self.text,
        )

    def call(self, name_token: _Token) -> Node:
        lowered = name_token.value.lower()
        if lowered in _UNSUPPORTED:
            raise _error(
                f"Function {name_token.value!r} is documented by Microsoft but not simulated by provsim: "
                f"{_UNSUPPORTED[lowered]}",
                name_token.pos,
                self.text,
            )
        spec = _FUNCTIONS.get(lowered)
        if spec is None:
            close = difflib.get_close_matches(lowered, list(_FUNCTIONS), n=1)
            hint = f" (did you mean {_FUNCTIONS[close[0]].name!r}?)" if close else ""
            raise _error(
                f"Unknown function {name_token.value!r}{hint}: expected a documented function name",
                name_token.pos,
                self.text,
            )
        self.expect(_Kind.LPAREN, f"after {spec.name}")
        args: list[Node] = []
        if self.at(_Kind.RPAREN):
            self.advance()
        else:
            while True:
                if self.current.kind in (_Kind.COMMA, _Kind.RPAREN):
                    args.append(Omitted(self.current.pos))
                else:
                    args.append(self.comparison())
                if self.at(_Kind.COMMA):
                    self.advance()
                    continue
                if self.at(_Kind.RPAREN):
                    self.advance()
                    break
                token = self.current
                raise _error(
                    f"Expected ',' or ')' in the arguments of {spec.name}, found {self.describe(token)}",
                    token.pos,
                    self.text,
                )
        node = Call(spec.name, tuple(args), name_token.pos)
        self.check_call(spec, node)
        return node

    def check_call(self, spec: _Spec, node: Call) -> None:
        count = len(node.args)
        # Trailing omitted arguments do not count towards the minimum.
        provided = count
        while provided and isinstance(node.args[provided - 1], Omitted):
            provided -= 1
        if provided < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            if spec.max_args is None:
                expected = f"at least {spec.min_args}"
            elif spec.min_args == spec.max_args:
                expected = str(spec.min_args)
            else:
                expected = f"{spec.min_args} to {spec.max_args}"
            signature = ", ".join(spec.params) + (", ..." if spec.max_args is None else "")
            raise _error(
                f"{spec.name}({signature}) expects {expected} argument{'s' if expected != '1' else ''}, got {count}",
                node.pos,
                self.text,
            )
        for index in range(min(spec.min_args, count)):
            if isinstance(node.args[index], Omitted) and not (spec.name in {"Switch"} and index == 1):
                if spec.name == "Replace" and index == 1:
                    continue  # oldValue is optional; Replace's own check decides
                raise _error(
                    f"{spec.name} requires argument {index + 1} ({_param_name(spec, index)})",
                    node.args[index].pos,
                    self.text,
                )
        if spec.check is not None:
            spec.check(node, self.text)
        self.check_literal_regex(spec, node)

    def check_literal_regex(self, spec: _Spec, node: Call) -> None:
        if spec.name != "Replace" or len(node.args) < 3:
            return
        pattern = node.args[2]
        if isinstance(pattern, Literal) and isinstance(pattern.value, str):
            try:
                compile_net_regex(pattern.value)
            except re.error as err:
                raise _error(f"Invalid regexPattern ({err})", pattern.pos, self.text) from None


def _param_name(spec: _Spec, index: int) -> str:
    if index < len(spec.params):
        return spec.params[index]
    return spec.params[-1]


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class Expression:
    """A parsed, validated attribute-mapping expression.

    Immutable and reusable: parse once when the schema is saved, evaluate for every
    object in every cycle.
    """

    text: str
    root: Node = field(repr=False)

    def evaluate(self, source: Mapping[str, Any]) -> Any:
        """Evaluate over one source object; absent attributes are null.

        Returns a plain value, ``None`` for null, or :data:`IGNORE_FLOW`.  Raises
        :class:`ExpressionEvaluationError` when a function cannot work on this object's
        values (for example Mid with a non-integer start taken from an attribute).
        """
        index = _LowerIndex(_lower_index(source))
        value = self.root.evaluate(_Context(index, self.text))
        return None if value is _OMITTED else value

    def attributes(self) -> set[str]:
        """Names of the source attributes the expression reads, as written."""
        return {node.name for node in self.root.walk() if isinstance(node, Attribute)}

    def functions(self) -> set[str]:
        """Documented names of the functions the expression calls."""
        return {node.name for node in self.root.walk() if isinstance(node, Call)}

    @property
    def is_direct(self) -> bool:
        """True for a plain ``[attribute]`` (a "Direct" mapping in the portal)."""
        return isinstance(self.root, Attribute)

    @property
    def is_constant(self) -> bool:
        """True for a plain constant (a "Constant" mapping in the portal)."""
        return isinstance(self.root, Literal)

    @property
    def redacted(self) -> bool:
        """True when the top-level function is Redact: logs must show "[Redact]"."""
        return isinstance(self.root, Call) and self.root.name == "Redact"

    def render(self) -> str:
        """Canonical text (documented function spellings, ``", "`` between arguments)."""
        return self.root.render()

    def to_mapping_source(self) -> dict[str, Any]:
        """The Graph ``attributeMappingSource`` for this expression."""
        return _mapping_source(self.root)


def _mapping_source(node: Node) -> dict[str, Any]:
    if isinstance(node, Attribute):
        return {"expression": node.render(), "name": node.name, "parameters": [], "type": "Attribute"}
    if isinstance(node, Literal):
        return {"expression": _quoted(node), "name": _to_str(node.value), "parameters": [], "type": "Constant"}
    if isinstance(node, Call):
        spec = _FUNCTIONS[node.name.lower()]
        parameters = [
            {"key": _param_name(spec, index), "value": _mapping_source(arg)}
            for index, arg in enumerate(node.args)
            if not isinstance(arg, Omitted)
        ]
        return {"expression": node.render(), "name": node.name, "parameters": parameters, "type": "Function"}
    if isinstance(node, Compare):
        return {
            "expression": node.render(),
            "name": node.op,
            "parameters": [
                {"key": "left", "value": _mapping_source(node.left)},
                {"key": "right", "value": _mapping_source(node.right)},
            ],
            "type": "Function",
        }
    raise TypeError(f"cannot represent {node!r}")  # pragma: no cover


def _quoted(node: Literal) -> str:
    # Graph writes every constant quoted ("\"1\"" for the number 1).
    if isinstance(node.value, str):
        return node.render()
    return '"' + _to_str(node.value) + '"'


def parse(text: str) -> Expression:
    """Parse and validate ``text``; raise :class:`ExpressionError` with a position if invalid."""
    if not isinstance(text, str):
        raise ExpressionError("Expression must be a string", position=0, expression=str(text))
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"Expression is {len(text):,} characters long; the limit is {MAX_EXPRESSION_LENGTH:,} "
            f"(error at position {MAX_EXPRESSION_LENGTH})",
            position=MAX_EXPRESSION_LENGTH,
            expression=text,
        )
    return Expression(text, _Parser(text).parse())


def validate(text: str) -> None:
    """Raise :class:`ExpressionError` if ``text`` is not a valid expression."""
    parse(text)


def from_mapping_source(source: Mapping[str, Any] | None) -> Expression | None:
    """Build an :class:`Expression` from a Graph ``attributeMappingSource``.

    ``expression`` wins when present (it is what the portal edits); otherwise the
    expression is rebuilt from ``type``/``name``/``parameters``.  ``None`` (a mapping
    with only a default value) gives ``None``.
    """
    if source is None:
        return None
    expression = source.get("expression")
    if isinstance(expression, str) and expression.strip():
        return parse(expression)
    return parse(_text_from_parts(source))


def _text_from_parts(source: Mapping[str, Any]) -> str:
    kind = str(source.get("type") or "Attribute")
    name = source.get("name")
    if kind == "Attribute":
        return f"[{name}]"
    if kind == "Constant":
        escaped = str(name if name is not None else "").replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    parameters = source.get("parameters") or []
    args = ", ".join(_text_from_parts(param.get("value") or {}) for param in parameters)
    return f"{name}({args})"
