"""``Expression``: a parsed, validated expression, and its Graph ``attributeMappingSource`` form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from simulator.engine.errors import ExpressionError

from .environment import Environment
from .nodes import Attribute, Call, Compare, Context, Literal, Node, Omitted
from .parser import parse_tree
from .registry import FUNCTIONS, param_name
from .values import OMITTED, format_datetime_default, lower_index, to_str

__all__ = ["MAX_EXPRESSION_LENGTH", "Expression", "parse", "validate", "from_mapping_source"]

#: Documented limit: "expressions may be at most 10,000 characters" [L:known-issues].
MAX_EXPRESSION_LENGTH: Final = 10_000


def _as_output(value: Any) -> Any:
    """A DateTime leaves the expression as the service writes it (``M/d/yyyy h:mm:ss tt``)."""
    if value is OMITTED:
        return None
    if isinstance(value, datetime):
        return format_datetime_default(value)
    if isinstance(value, list):
        return [_as_output(item) for item in value]
    return value


@dataclass(frozen=True)
class Expression:
    """A parsed, validated attribute-mapping expression.

    Immutable and reusable: parse once when the schema is saved, evaluate for every
    object in every cycle.
    """

    text: str
    root: Node = field(repr=False)

    def evaluate(self, source: Mapping[str, Any], env: Environment | None = None) -> Any:
        """Evaluate over one source object; absent attributes are null.

        ``env`` gives ``Now()`` its clock and ``Guid()``/``RandomString()`` their random
        stream (the engine passes the runtime's; see :class:`Environment` for the default).
        Returns a plain value, ``None`` for null, or :data:`IGNORE_FLOW`.  Raises
        :class:`ExpressionEvaluationError` when a function cannot work on this object's
        values (for example Mid with a non-integer start taken from an attribute).
        """
        value = self.root.evaluate(Context(lower_index(source), self.text, env or Environment()))
        return _as_output(value)

    def attributes(self) -> set[str]:
        """Names of the source attributes the expression reads, as written."""
        return {node.name for node in self.root.walk() if isinstance(node, Attribute)}

    def functions(self) -> set[str]:
        """Documented names of the functions the expression calls."""
        return {node.name for node in self.root.walk() if isinstance(node, Call)}

    def constants(self) -> list[str]:
        """The string constants written in the expression, in order (what a pseudonymised
        snapshot keeps verbatim so that the expression still means the same)."""
        return [node.value for node in self.root.walk() if isinstance(node, Literal) and isinstance(node.value, str)]

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
        return {"expression": _quoted(node), "name": to_str(node.value), "parameters": [], "type": "Constant"}
    if isinstance(node, Call):
        spec = FUNCTIONS[node.name.lower()]
        parameters = [
            {"key": param_name(spec, index, graph=True), "value": _mapping_source(arg)}
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
    return '"' + to_str(node.value) + '"'


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
    return Expression(text, parse_tree(text))


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
    parameters = [p for p in source.get("parameters") or [] if isinstance(p, Mapping)]
    return f"{name}({', '.join(_arguments(str(name), parameters))})"


def _arguments(function: str, parameters: list[Mapping[str, Any]]) -> list[str]:
    """Arguments in their positions: parameters carry keys (``source``, ``Find``, ...) and leave
    out the omitted ones, so Replace's ``source, Find, Replacement`` is ``source, Find, , , Replacement``."""
    texts = [_text_from_parts(p.get("value") or {}) for p in parameters]
    spec = FUNCTIONS.get(function.lower())
    if spec is None or spec.max_args is None:
        return texts
    positions: list[int] = []
    for parameter in parameters:
        key = str(parameter.get("key") or "").lower()
        names = [n.lower() for n in spec.params], [n.lower() for n in (spec.graph_params or ())]
        index = next((found.index(key) for found in names if key in found), None)
        if index is None or (positions and index <= positions[-1]):
            return texts  # keys that do not name the parameters: keep the order given
        positions.append(index)
    slots = [""] * (max(positions) + 1 if positions else 0)
    for index, text in zip(positions, texts, strict=True):
        slots[index] = text
    return slots
