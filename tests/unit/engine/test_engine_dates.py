"""The date functions beyond the page's examples: .NET format specifiers, input shapes, edges."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from simulator.engine.errors import ExpressionError, ExpressionEvaluationError
from simulator.engine.expressions import Environment, parse

NOW = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


def ev(text: str, source: dict[str, Any] | None = None) -> Any:
    return parse(text).evaluate(source or {}, Environment(now=lambda: NOW))


@pytest.mark.parametrize(
    ("output_format", "expected"),
    [
        ("yyyy-MM-dd", "2015-01-23"),
        ("M/d/yy", "1/23/15"),
        ("dddd, MMMM d, yyyy", "Friday, January 23, 2015"),
        ("ddd dd MMM", "Fri 23 Jan"),
        ("hh:mm:ss tt", "10:53:47 AM"),
        ("HH'h'mm", "10h53"),
        ("yyyy-MM-ddTHH:mm:ss.fffK", "2015-01-23T10:53:47.100Z"),
        ("yyyyMMddHHmmss.0Z", "20150123105347.0Z"),
        ("s", "2015-01-23T10:53:47"),
        ("d", "1/23/2015"),
        ("%d", "23"),
        ("zzz", "+00:00"),
        ("\\'yy\\'", "'15'"),
    ],
)
def test_format_date_time_output_formats(output_format: str, expected: str) -> None:
    text = f'FormatDateTime([d], , "yyyyMMddHHmmss.fZ", "{output_format}")'
    assert ev(text, {"d": "20150123105347.1Z"}) == expected


@pytest.mark.parametrize(
    ("source", "input_format", "expected"),
    [
        ("2021-06-30+08:00", "yyyy-MM-ddzzz", "2021-06-29 16:00"),  # the offset converts to UTC, as CDate does
        ("  12/31/2020 07:00:00 PM ", "M/d/yyyy hh:mm:ss tt", "2020-12-31 19:00"),  # leading/trailing white allowed
        ("31 Dec 2020", "dd MMM yyyy", "2020-12-31 00:00"),
        ("20201231", "yyyyMMdd", "2020-12-31 00:00"),
        ("13:45", "HH:mm", "2026-01-05 13:45"),  # no date: today (the clock's)
    ],
)
def test_format_date_time_input_formats(source: str, input_format: str, expected: str) -> None:
    assert ev(f'FormatDateTime([d], , "{input_format}", "yyyy-MM-dd HH:mm")', {"d": source}) == expected


def test_format_date_time_styles() -> None:
    # An explicit dateTimeStyles replaces the default: no leading white space unless allowed.
    with pytest.raises(ExpressionEvaluationError, match="does not match the format"):
        ev('FormatDateTime([d], "AssumeUniversal", "yyyyMMdd", "yyyy")', {"d": " 20201231"})
    assert ev('FormatDateTime([d], "DateTimeStyles.AllowWhiteSpaces", "yyyyMMdd", "yyyy")', {"d": " 20201231"}) == "2020"


def test_format_date_time_that_does_not_match_is_an_evaluation_error_with_position() -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        ev('Join("", "x", FormatDateTime([d], , "yyyy-MM-dd", "yyyy"))', {"d": "31/12/2020"})
    assert caught.value.position == 14 and "does not match the format 'yyyy-MM-dd'" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ('FormatDateTime([d], , "yyyy-MM-dd", "Q")', 36, "'Q' is not a standard date and time format"),
        ('FormatDateTime([d], , "", "yyyy")', 22, "inputFormat must not be empty"),
        ("FormatDateTime([d], , \"'open\", \"yyyy\")", 22, "unterminated quoted text"),
        ('FormatDateTime([d])', 0, "expects 4 arguments"),
        ('DateDiff("w", Now(), Now())', 9, "interval 'w' is not one of yyyy, m, d, ww, h, n, s"),
    ],
)
def test_date_functions_validate_literals_at_parse_time(text: str, position: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.position == position and fragment in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('DateAdd("m", 1, CDate("2024-01-31"))', "2/29/2024 12:00:00 AM"),  # clamped to the month's last day
        ('DateAdd("yyyy", 1, CDate("2024-02-29"))', "2/28/2025 12:00:00 AM"),
        ('DateAdd("h", 1.5, CDate("2024-01-31T22:00:00Z"))', "1/31/2024 11:30:00 PM"),
        ('DateAdd("n", -90, "1/1/2024 1:00:00 AM")', "12/31/2023 11:30:00 PM"),
        ('DateAdd("s", 1, Now())', "1/5/2026 9:00:01 AM"),
        ('DateDiff("yyyy", CDate("2024-12-31T23:59:59Z"), CDate("2025-01-01"))', 1),  # calendar years
        ('DateDiff("d", CDate("2024-01-01T23:00:00Z"), CDate("2024-01-02T22:00:00Z"))', 0),  # whole days
        ('CDate("January 1, 2012")', "1/1/2012 12:00:00 AM"),
        ('CDate("Sun, 01 Jan 2012 23:00:00 GMT")', "1/1/2012 11:00:00 PM"),
        ("CDate([missing])", None),
        ("DateFromNum(0)", "1/1/1601 12:00:00 AM"),
        ('NumFromDate("1601-01-01T00:00:00Z")', 0),
        ('NumFromDate(DateFromNum("129699324000000000"))', 129699324000000000),
        ("NumFromDate([missing])", None),
        ('FormatDateTime(Now(), , "M/d/yyyy h:mm:ss tt", "yyyy-MM-dd")', "2026-01-05"),
    ],
)
def test_date_arithmetic(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('CDate("not a date")', "is not a date and time the service can read"),
        ('CDate("2024-02-30")', "is not a valid date"),
        ('DateAdd("d", "x", Now())', "value must be a number"),
        ("DateFromNum(9223372036854775807)", "beyond the last date"),
        ('DateFromNum("soon")', "AD date number"),
    ],
)
def test_date_errors(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionEvaluationError, match=fragment):
        ev(text)


def test_now_is_the_environment_clock_to_the_second() -> None:
    moment = datetime(2030, 2, 3, 14, 5, 6, 789000, tzinfo=UTC)
    assert parse("Now()").evaluate({}, Environment(now=lambda: moment)) == "2/3/2030 2:05:06 PM"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('ToUpper("straße")', "STRAßE"),  # .NET maps one character to one character
        ('ToUpper("istanbul", "tr-TR")', "İSTANBUL"),
        ('ToLower("ISPARTA", "tr-TR")', "ısparta"),
        ('ToLower("ISPARTA", "en-US")', "isparta"),
    ],
)
def test_case_mapping_and_culture(text: str, expected: str) -> None:
    assert ev(text) == expected
