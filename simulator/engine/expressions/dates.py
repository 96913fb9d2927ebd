"""Date functions: Now, CDate, DateAdd, DateDiff, DateFromNum, NumFromDate, FormatDateTime.

A ``DateTime`` is a UTC :class:`~datetime.datetime` while the expression runs; written
as text (the final value, or an argument of a string function) it is the service's
``M/d/yyyy h:mm:ss tt``, the format the page documents for CDate, DateAdd and Now.
Date strings are read as .NET reads them (:mod:`.netdates`); ``Now()`` is the
evaluation's clock, the simulator's virtual time in the engine.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from .environment import Environment
from .netdates import DateFormatError, format_net, parse_exact, parse_lenient, parse_styles
from .nodes import Call, Literal
from .registry import register
from .values import EvalProblem, as_number, error_at, null, scalar, to_str

__all__ = ["INTERVALS", "FILETIME_EPOCH", "to_filetime", "from_filetime"]

#: DateAdd/DateDiff's documented intervals: yyyy Year, m Month, d Day, ww Week, h Hour, n Minute, s Second.
INTERVALS: Final = ("yyyy", "m", "d", "ww", "h", "n", "s")
#: AD's date numbers (accountExpires, lastLogonTimestamp) count 100 ns since 1601-01-01 UTC (FILETIME).
FILETIME_EPOCH: Final = datetime(1601, 1, 1, tzinfo=UTC)
_MAX_DATETIME: Final = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def to_filetime(value: datetime) -> int:
    delta = value.astimezone(UTC) - FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def from_filetime(number: int) -> datetime:
    if number < 0:
        raise EvalProblem(f"{number} is not an AD date: it must not be negative")
    if number > to_filetime(_MAX_DATETIME):
        raise EvalProblem(f"{number} is beyond the last date a DateTime can hold (9999-12-31)")
    return FILETIME_EPOCH + timedelta(microseconds=number // 10)


def _datetime(value: Any, what: str) -> datetime | None:
    """A DateTime argument: a DateTime, or a string the service can read; None when null."""
    value = scalar(value)
    if null(value) or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return parse_lenient(to_str(value))
    except DateFormatError as err:
        raise EvalProblem(f"{what}: {err}") from None


def _interval(value: Any) -> str:
    text = to_str(value).strip()
    if text not in INTERVALS:
        raise EvalProblem(f"interval {text!r} is not one of {', '.join(INTERVALS)}")
    return text


def _check_interval(call: Call, text: str) -> None:
    node = call.args[0] if call.args else None
    if isinstance(node, Literal) and isinstance(node.value, str) and node.value.strip() not in INTERVALS:
        raise error_at(f"{call.name}: interval {node.value!r} is not one of {', '.join(INTERVALS)} "
                       f"(yyyy Year, m Month, d Day, ww Week, h Hour, n Minute, s Second)", node.pos, text)


@register("Now", [], 0)
def _now(args: list[Any], env: Environment) -> Any:
    return env.utcnow()


@register("CDate", ["expression"], 1)
def _cdate(args: list[Any], env: Environment) -> Any:
    return _datetime(args[0], "expression")


def _add_months(value: datetime, months: int) -> datetime:
    # .NET AddMonths: the day is clamped to the new month's last day (Jan 31 + 1 month = Feb 28/29).
    total = value.year * 12 + (value.month - 1) + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise EvalProblem("the result is outside the dates a DateTime can hold")
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


@register("DateAdd", ["interval", "value", "dateTime"], 3, check=_check_interval)
def _date_add(args: list[Any], env: Environment) -> Any:
    interval = _interval(args[0])
    number = as_number(scalar(args[1]))
    if number is None:
        raise EvalProblem(f"value must be a number, got {scalar(args[1])!r}")
    start = _datetime(args[2], "dateTime")
    if start is None:
        return None
    whole = int(number)  # VB's DateAdd: Fix() for years, months, days and weeks
    try:
        if interval == "yyyy":
            return _add_months(start, 12 * whole)
        if interval == "m":
            return _add_months(start, whole)
        if interval == "d":
            return start + timedelta(days=whole)
        if interval == "ww":
            return start + timedelta(days=7 * whole)
        unit = {"h": 3600.0, "n": 60.0, "s": 1.0}[interval]
        return start + timedelta(seconds=float(number) * unit)
    except OverflowError:
        raise EvalProblem("the result is outside the dates a DateTime can hold") from None


def _week_start(value: datetime) -> datetime:
    # en-US weeks start on Sunday (Python: Monday=0 ... Sunday=6).
    return value - timedelta(days=(value.weekday() + 1) % 7)


@register("DateDiff", ["interval", "date1", "date2"], 3, check=_check_interval)
def _date_diff(args: list[Any], env: Environment) -> Any:
    # Visual Basic's DateDiff: calendar years and months; whole (truncated) days, hours, minutes,
    # seconds; weeks as the days between the Sundays that start each date's week, divided by 7.
    interval = _interval(args[0])
    first, second = _datetime(args[1], "date1"), _datetime(args[2], "date2")
    if first is None or second is None:
        return None
    if interval == "yyyy":
        return second.year - first.year
    if interval == "m":
        return (second.year - first.year) * 12 + second.month - first.month
    if interval == "ww":
        return int((_week_start(second) - _week_start(first)).total_seconds() / (7 * 86_400))
    seconds = (second - first).total_seconds()
    return int(seconds / {"d": 86_400, "h": 3_600, "n": 60, "s": 1}[interval])


@register("DateFromNum", ["value"], 1)
def _date_from_num(args: list[Any], env: Environment) -> Any:
    value = scalar(args[0])
    if null(value) or value == "":
        return None
    number = as_number(value)
    if number is None or isinstance(number, float) and not number.is_integer():
        raise EvalProblem(f"value must be an AD date number (100-nanosecond intervals since 1601), got {value!r}")
    return from_filetime(int(number))


@register("NumFromDate", ["value"], 1)
def _num_from_date(args: list[Any], env: Environment) -> Any:
    value = _datetime(args[0], "value")
    return None if value is None else to_filetime(value)


def _check_format_date_time(call: Call, text: str) -> None:
    styles = call.args[1] if len(call.args) > 1 else None
    if isinstance(styles, Literal) and isinstance(styles.value, str):
        try:
            parse_styles(styles.value)
        except DateFormatError as err:
            raise error_at(f"FormatDateTime: {err}", styles.pos, text) from None
    for index in (2, 3):
        node = call.args[index] if len(call.args) > index else None
        if isinstance(node, Literal) and isinstance(node.value, str):
            if not node.value:
                raise error_at(f"FormatDateTime: {'inputFormat' if index == 2 else 'outputFormat'} must not be empty",
                               node.pos, text)
            try:
                format_net(datetime(2000, 1, 1, tzinfo=UTC), node.value)
            except DateFormatError as err:
                raise error_at(f"FormatDateTime: {err}", node.pos, text) from None


@register("FormatDateTime", ["source", "dateTimeStyles", "inputFormat", "outputFormat"], 4,
          check=_check_format_date_time)
def _format_date_time(args: list[Any], env: Environment) -> Any:
    source = scalar(args[0])
    if null(source) or source == "":
        return None
    raw_styles = args[1]
    try:
        styles = parse_styles(None if null(raw_styles) else to_str(raw_styles))
        value = parse_exact(to_str(source), to_str(args[2]), styles, today=env.utcnow())
        return format_net(value, to_str(args[3]))
    except DateFormatError as err:
        raise EvalProblem(str(err)) from None
