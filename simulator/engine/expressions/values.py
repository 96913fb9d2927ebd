"""Values during evaluation, and how Entra reads them.

Values are plain Python: ``str``, ``bool``, ``int``/``float``, ``list`` (multi-valued
attributes), ``dict`` (app role assignments), :class:`~datetime.datetime` (what the
date functions return: the service's ``DateTime``) and ``None`` (null: the attribute
is absent).  Two markers stand beside them: :data:`IGNORE_FLOW` (the result of
``IgnoreFlowIfNullOrEmpty``) and :data:`OMITTED` (an argument position left empty).

Also here: the source-attribute lookup (:func:`source_value`, Entra names with their
Graph spellings) and the error builder that puts the position into every message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from simulator.engine.errors import ExpressionError

__all__ = [
    "GRAPH_ALIASES",
    "IGNORE_FLOW",
    "OMITTED",
    "EvalProblem",
    "LowerIndex",
    "source_value",
    "lower_index",
    "excerpt",
    "error_at",
    "unwrap",
    "is_null_or_empty",
    "null",
    "given",
    "scalar",
    "to_str",
    "as_number",
    "to_int",
    "is_true",
    "arg",
    "format_datetime_default",
]


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


OMITTED: Final = _Omitted()


class EvalProblem(Exception):
    """Raised by a function implementation; the call node turns it into an
    :class:`~simulator.engine.errors.ExpressionEvaluationError` with its position."""


# --------------------------------------------------------------------------- source lookup

#: Entra provisioning attribute names and the Microsoft Graph property that carries the
#: same data.  The provisioning service's source schema uses the directory names
#: (``mobile``, ``telephoneNumber``, ``objectId``...); a source object built from Graph
#: JSON has ``mobilePhone``, ``businessPhones``, ``id``.  Either spelling works.
GRAPH_ALIASES: Final[dict[str, str]] = {
    "mobile": "mobilePhone",
    "objectid": "id",
    "facsimiletelephonenumber": "faxNumber",
    "physicaldeliveryofficename": "officeLocation",
    "telephonenumber": "businessPhones",  # first element
    "employeetype": "employeeType",
}


class LowerIndex(dict):  # type: ignore[type-arg]  # any source values, as the source object holds
    """A source object already keyed by lower-case names (built once per evaluation)."""


def lower_index(source: Mapping[str, Any]) -> LowerIndex:
    if isinstance(source, LowerIndex):
        return source
    return LowerIndex({str(key).lower(): value for key, value in source.items()})


def source_value(source: Mapping[str, Any], name: str) -> Any:
    """The value of source attribute ``name`` (case-insensitive), or ``None`` when absent.

    Falls back to the Graph spelling of a few Entra attribute names (``mobile`` ->
    ``mobilePhone``, ``telephoneNumber`` -> first of ``businessPhones``,
    ``objectId`` -> ``id``) so that the engine can pass Graph-shaped user objects.
    """
    index = lower_index(source)
    key = name.lower()
    if key in index and index[key] is not None:
        return index[key]
    alias = GRAPH_ALIASES.get(key)
    if alias is not None:
        value = index.get(alias.lower())
        if key == "telephonenumber" and isinstance(value, list):
            return value[0] if value else None
        return value
    return index.get(key)


# --------------------------------------------------------------------------- errors


def excerpt(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "..."


def error_at(message: str, position: int, text: str) -> ExpressionError:
    """A parse-time error with the 0-based ``position`` in its message and attributes."""
    return ExpressionError(
        f"{message} at position {position} in: {excerpt(text)}", position=position, expression=text
    )


# --------------------------------------------------------------------------- value helpers


def unwrap(value: Any) -> Any:
    # IgnoreFlowIfNullOrEmpty only means something at the top of a mapping; nested, it is null.
    return None if value is IGNORE_FLOW else value


def null(value: Any) -> bool:
    return value is None or value is OMITTED


def given(value: Any) -> bool:
    return value is not OMITTED


def is_null_or_empty(value: Any) -> bool:
    return value is None or value is OMITTED or value == "" or (isinstance(value, list) and not value)


def scalar(value: Any) -> Any:
    """A multi-valued attribute used where one value is expected yields its first value."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def format_datetime_default(value: datetime) -> str:
    """How the service writes a ``DateTime`` as text: ``M/d/yyyy h:mm:ss tt`` (documented for
    CDate, DateAdd and Now), always in UTC."""
    hour = value.hour % 12 or 12
    return (f"{value.month}/{value.day}/{value.year:04d} {hour}:{value.minute:02d}:{value.second:02d} "
            f"{'AM' if value.hour < 12 else 'PM'}")


def to_str(value: Any) -> str:
    value = scalar(value)
    if value is None or value is OMITTED:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return format_datetime_default(value)
    if isinstance(value, dict):
        return str(value.get("value") or value.get("displayName") or value.get("id") or "")
    return str(value)


def as_number(value: Any) -> int | float | None:
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


def to_int(value: Any, what: str) -> int:
    number = as_number(scalar(value))
    if number is None or (isinstance(number, float) and not number.is_integer()):
        raise EvalProblem(f"{what} must be an integer, got {scalar(value)!r}")
    return int(number)


def is_true(value: Any) -> bool:
    """Entra's boolean reading: True, or the string "True" in any case; numbers: non-zero."""
    value = scalar(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "true":
            return True
        number = as_number(text)
        return number is not None and number != 0
    return False


def arg(args: list[Any], index: int) -> Any:
    """Argument ``index``, or :data:`OMITTED` past the end of the call."""
    return args[index] if index < len(args) else OMITTED
