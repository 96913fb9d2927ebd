"""Logic and null handling: IIF, Switch, Not, CBool, Coalesce, IsNull, IsNullOrEmpty,
IsPresent, IsString, IgnoreFlowIfNullOrEmpty, BitAnd, Redact, SelectUniqueValue."""

from __future__ import annotations

from typing import Any, Final

from .environment import Environment
from .nodes import Call
from .registry import register
from .values import (
    IGNORE_FLOW,
    OMITTED,
    EvalProblem,
    error_at,
    is_null_or_empty,
    is_true,
    null,
    scalar,
    to_int,
    to_str,
)

__all__ = ["select_unique_value_message", "SELECT_UNIQUE_VALUE_APPS"]


@register("Not", ["source"], 1)
def _not(args: list[Any], env: Environment) -> Any:
    # Documented: "If source value is True, returns False. Otherwise, returns True."
    return not is_true(args[0])


@register("CBool", ["expression"], 1)
def _cbool(args: list[Any], env: Environment) -> Any:
    return is_true(args[0])


def _check_switch(call: Call, text: str) -> None:
    if len(call.args) % 2 != 0:
        raise error_at(
            f"Switch expects an even number of arguments (source, defaultValue, then key/value pairs), "
            f"got {len(call.args)}",
            call.pos,
            text,
        )


@register("Switch", ["source", "defaultValue", "key", "value"], 4, None, check=_check_switch)
def _switch(args: list[Any], env: Environment) -> Any:
    # Case-sensitive, as documented; a null source matches the key "" (the documented
    # way to test for an empty attribute).
    source = "" if null(scalar(args[0])) else to_str(args[0])
    default = args[1]
    for index in range(2, len(args) - 1, 2):
        key = args[index]
        if (to_str(key) if not null(key) else "") == source:
            value = args[index + 1]
            return None if value is OMITTED else value
    return None if default is OMITTED else default


@register("IIF", ["condition", "valueIfTrue", "valueIfFalse"], 3)
def _iif(args: list[Any], env: Environment) -> Any:
    chosen = args[1] if is_true(args[0]) else args[2]
    return None if chosen is OMITTED else chosen


@register("Coalesce", ["source", "defaultValue"], 1, None)
def _coalesce(args: list[Any], env: Environment) -> Any:
    for value in args:
        if not is_null_or_empty(value):
            return value
    # "Can be empty string" for the default: an explicit "" last argument is returned.
    if args and args[-1] == "":
        return ""
    return None


@register("IsNull", ["expression"], 1)
def _is_null(args: list[Any], env: Environment) -> Any:
    value = args[0]
    return null(value) or (isinstance(value, list) and not value)


@register("IsNullOrEmpty", ["expression"], 1)
def _is_null_or_empty_fn(args: list[Any], env: Environment) -> Any:
    return is_null_or_empty(args[0])


@register("IsPresent", ["expression"], 1)
def _is_present(args: list[Any], env: Environment) -> Any:
    return not is_null_or_empty(args[0])


@register("IsString", ["expression"], 1)
def _is_string(args: list[Any], env: Environment) -> Any:
    return isinstance(scalar(args[0]), str)


@register("IgnoreFlowIfNullOrEmpty", ["expression"], 1)
def _ignore_flow(args: list[Any], env: Environment) -> Any:
    return IGNORE_FLOW if is_null_or_empty(args[0]) else args[0]


@register("BitAnd", ["value1", "value2"], 2)
def _bit_and(args: list[Any], env: Environment) -> Any:
    return to_int(args[0], "value1") & to_int(args[1], "value2")


@register("Redact", ["source"], 1)
def _redact(args: list[Any], env: Environment) -> Any:
    # The value flows unchanged; Expression.redacted tells the log writer to show "[Redact]".
    return None if null(args[0]) else args[0]


#: The applications the page lists for SelectUniqueValue ("isn't supported for use with other
#: provisioning applications").
SELECT_UNIQUE_VALUE_APPS: Final = (
    "Workday to Active Directory User Provisioning",
    "SuccessFactors to Active Directory User Provisioning",
    "API-driven provisioning to on-premises Active Directory",
)


def select_unique_value_message(application: str) -> str:
    """Why SelectUniqueValue is refused for ``application`` (in the page's words: the real
    service's own text is not published; docs/fidelity.md)."""
    return (f"SelectUniqueValue isn't supported for use with {application}: it is supported only for "
            f"{'; '.join(SELECT_UNIQUE_VALUE_APPS)}")


@register("SelectUniqueValue", ["uniqueValueRule1", "uniqueValueRule2", "uniqueValueRule"], 2, None,
          top_level_only=True)
def _select_unique_value(args: list[Any], env: Environment) -> Any:
    # Parsed (it is a documented function) but never evaluated: provsim's targets are SaaS apps over
    # SCIM, and the page supports it only for the Active Directory targets above.
    raise EvalProblem(select_unique_value_message("this provisioning application"))
