"""The expression AST and its evaluator.

Every node knows its 0-based position, how to evaluate itself over a :class:`Context`
(the source object, the expression text for messages, and the :class:`Environment`),
how to render itself back to text, and how to walk its children.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.engine.errors import ExpressionEvaluationError

from .environment import Environment
from .registry import FUNCTIONS
from .values import (
    OMITTED,
    EvalProblem,
    as_number,
    excerpt,
    is_null_or_empty,
    scalar,
    source_value,
    to_str,
    unwrap,
)

__all__ = ["Node", "Attribute", "Literal", "Omitted", "Compare", "Call", "Context"]


@dataclass
class Context:
    source: Mapping[str, Any]
    text: str
    env: Environment


class Node:
    """Base of the expression AST.  ``pos`` is the 0-based offset of the node's first character."""

    pos: int

    def evaluate(self, ctx: Context) -> Any:  # pragma: no cover - abstract
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

    def evaluate(self, ctx: Context) -> Any:
        return source_value(ctx.source, self.name)

    def render(self) -> str:
        return f"[{self.name}]"


@dataclass(frozen=True)
class Literal(Node):
    """A string, number or boolean constant."""

    value: str | int | float | bool
    pos: int

    def evaluate(self, ctx: Context) -> Any:
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

    def evaluate(self, ctx: Context) -> Any:
        return OMITTED

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

    def evaluate(self, ctx: Context) -> Any:
        a = scalar(unwrap(self.left.evaluate(ctx)))
        b = scalar(unwrap(self.right.evaluate(ctx)))
        if is_null_or_empty(a) or is_null_or_empty(b):
            return False
        na, nb = as_number(a), as_number(b)
        if na is not None and nb is not None:
            x: Any = na
            y: Any = nb
        else:
            x, y = to_str(a), to_str(b)
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

    def evaluate(self, ctx: Context) -> Any:
        spec = FUNCTIONS[self.name.lower()]
        values = [unwrap(arg.evaluate(ctx)) for arg in self.args]
        if spec.name == "IIF" and values and _condition_reads_null(self.args[0], ctx):
            # Documented limitation: "If the source attribute used within the IIF function is
            # empty or null, the condition check fails" (docs/fidelity.md).
            values[0] = False
        try:
            return spec.impl(values, ctx.env)
        except EvalProblem as problem:
            raise ExpressionEvaluationError(
                f"{self.name}: {problem} at position {self.pos} in: {excerpt(ctx.text)}",
                position=self.pos,
                expression=ctx.text,
            ) from None

    def render(self) -> str:
        return f"{self.name}({', '.join(arg.render() for arg in self.args)})"

    def walk(self) -> Iterable[Node]:
        yield self
        for arg in self.args:
            yield from arg.walk()


def _condition_reads_null(condition: Node, ctx: Context) -> bool:
    return any(isinstance(node, Attribute) and is_null_or_empty(scalar(node.evaluate(ctx)))
               for node in condition.walk())
