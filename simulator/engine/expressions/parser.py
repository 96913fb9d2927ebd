"""Tokenizer and recursive-descent parser: expression text to a validated AST.

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

Validation happens here, at parse time: unknown functions, wrong argument counts,
bad literal regex patterns, Replace parameter combinations the service does not
document, a nested SelectUniqueValue: each raises
:class:`~simulator.engine.errors.ExpressionError` with the 0-based position.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from simulator.engine.errors import ExpressionError

from .nodes import Attribute, Call, Compare, Literal, Node, Omitted
from .registry import FUNCTIONS, Spec, param_name
from .values import error_at, excerpt

__all__ = ["parse_tree"]


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


_NUMBER_RE: Final = re.compile(r"-?\d+(\.\d+)?")
_HEX_RE: Final = re.compile(r"&[Hh]([0-9A-Fa-f]+)")
_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_COMPARE_OPS: Final = ("<>", "<=", ">=", "=", "<", ">")


def _string_token(text: str, i: int) -> _Token:
    chars: list[str] = []
    j, n = i + 1, len(text)
    while True:
        if j >= n:
            raise ExpressionError(
                f"Unterminated string starting at position {i}: expected a closing '\"' "
                f"at position {n} in: {excerpt(text)}",
                position=i,
                expression=text,
            )
        c = text[j]
        if c == "\\" and j + 1 < n and text[j + 1] in '"\\':
            chars.append(text[j + 1])
            j += 2
            continue
        if c == '"':
            return _Token(_Kind.STRING, "".join(chars), i, j + 1)
        chars.append(c)
        j += 1


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
                raise error_at(f"Expected ']' (the attribute name opened with '[' at {i} is not closed)", n, text)
            name = text[i + 1 : close].strip()
            if not name:
                raise error_at("Expected an attribute name inside '[]'", i + 1, text)
            tokens.append(_Token(_Kind.ATTRIBUTE, name, i, close + 1))
            i = close + 1
            continue
        if ch == '"':
            token = _string_token(text, i)
            tokens.append(token)
            i = token.end
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
            raise error_at(
                f"Unexpected character {ch!r}: expected a function, an [attribute], a \"string\" or a number",
                i,
                text,
            )
    tokens.append(_Token(_Kind.END, None, n, n))
    return tokens


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
        self.depth = 0  # call nesting: 0 while parsing the top-level node

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
            raise error_at(f"Expected {kind.value} {context}, found {self.describe(token)}", token.pos, self.text)
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
            raise error_at("Expected an expression", 0, self.text)
        node = self.comparison()
        if not self.at(_Kind.END):
            token = self.current
            raise error_at(f"Expected the end of the expression, found {self.describe(token)}", token.pos, self.text)
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
            raise error_at(
                f"Expected '(' after function name {token.value!r} "
                f"(or an [attribute], a \"string\", a number, True or False), found {self.describe(self.current)}",
                self.current.pos,
                self.text,
            )
        raise error_at(
            f"Expected a function, an [attribute], a \"string\" or a number, found {self.describe(token)}",
            token.pos,
            self.text,
        )

    def call(self, name_token: _Token) -> Node:
        lowered = name_token.value.lower()
        spec = FUNCTIONS.get(lowered)
        if spec is None:
            close = difflib.get_close_matches(lowered, list(FUNCTIONS), n=1)
            hint = f" (did you mean {FUNCTIONS[close[0]].name!r}?)" if close else ""
            raise error_at(
                f"Unknown function {name_token.value!r}{hint}: expected a documented function name",
                name_token.pos,
                self.text,
            )
        if spec.top_level_only and (self.depth > 0 or name_token.pos != self._first_pos()):
            raise error_at(f"{spec.name} must be at the top level of the expression and can't be nested",
                           name_token.pos, self.text)
        self.expect(_Kind.LPAREN, f"after {spec.name}")
        args: list[Node] = []
        self.depth += 1
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
                raise error_at(
                    f"Expected ',' or ')' in the arguments of {spec.name}, found {self.describe(token)}",
                    token.pos,
                    self.text,
                )
        self.depth -= 1
        node = Call(spec.name, tuple(args), name_token.pos)
        self.check_call(spec, node)
        return node

    def _first_pos(self) -> int:
        return self.tokens[0].pos

    def check_call(self, spec: Spec, node: Call) -> None:
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
            raise error_at(
                f"{spec.name}({signature}) expects {expected} argument{'s' if expected != '1' else ''}, got {count}",
                node.pos,
                self.text,
            )
        for index in range(min(spec.min_args, count)):
            if isinstance(node.args[index], Omitted) and not _may_be_omitted(spec, index):
                raise error_at(
                    f"{spec.name} requires argument {index + 1} ({param_name(spec, index)})",
                    node.args[index].pos,
                    self.text,
                )
        if spec.check is not None:
            spec.check(node, self.text)


def _may_be_omitted(spec: Spec, index: int) -> bool:
    # Switch's defaultValue and FormatDateTime's dateTimeStyles are documented as optional though
    # they sit among required ones; Replace's oldValue is optional (its own check decides).
    return (spec.name, index) in {("Switch", 1), ("Replace", 1), ("FormatDateTime", 1)}


def parse_tree(text: str) -> Node:
    """Parse and validate ``text`` into its AST (raise ExpressionError with a position)."""
    return _Parser(text).parse()
