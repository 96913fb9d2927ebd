""".NET date and time format strings, for FormatDateTime and the other date functions.

The service runs .NET and documents FormatDateTime's formats as ".NET custom date and time
format strings"; its own DateTime text is ``M/d/yyyy h:mm:ss tt`` (en-US).  This module
formats and parses with the custom specifiers (``d dd ddd dddd  M MM MMM MMMM  y yy yyy
yyyy yyyyy  h hh H HH  m mm  s ss  f…fffffff F…FFFFFFF  t tt  z zz zzz  K  g gg``),
``:`` and ``/`` (en-US separators), quoted literals (``'…'``, ``"…"``), ``\\`` escapes,
``%`` before a single specifier, and the standard one-letter formats with en-US patterns.

Times are UTC throughout: the service's servers run in UTC, so a parsed offset converts
the value to UTC (as .NET converts to local time), and a value without one is taken as UTC.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

__all__ = ["DateFormatError", "format_net", "parse_exact", "parse_lenient", "parse_styles", "DATETIME_STYLES"]

_MONTHS: Final = [calendar.month_name[i] for i in range(1, 13)]
_MONTHS_ABBR: Final = [calendar.month_abbr[i] for i in range(1, 13)]
_DAYS: Final = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_DAYS_ABBR: Final = [d[:3] for d in _DAYS]

#: en-US patterns of the standard (one-letter) formats.
_STANDARD: Final[dict[str, str]] = {
    "d": "M/d/yyyy", "D": "dddd, MMMM d, yyyy", "f": "dddd, MMMM d, yyyy h:mm tt",
    "F": "dddd, MMMM d, yyyy h:mm:ss tt", "g": "M/d/yyyy h:mm tt", "G": "M/d/yyyy h:mm:ss tt",
    "m": "MMMM d", "M": "MMMM d", "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK", "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'", "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss", "t": "h:mm tt",
    "T": "h:mm:ss tt", "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'", "U": "dddd, MMMM d, yyyy h:mm:ss tt",
    "y": "MMMM yyyy", "Y": "MMMM yyyy",
}  # fmt: skip

#: System.Globalization.DateTimeStyles members (FormatDateTime's dateTimeStyles).
DATETIME_STYLES: Final = ("None", "AllowLeadingWhite", "AllowTrailingWhite", "AllowInnerWhite", "AllowWhiteSpaces",
                          "NoCurrentDateDefault", "AdjustToUniversal", "AssumeLocal", "AssumeUniversal",
                          "RoundtripKind")
#: What FormatDateTime uses when dateTimeStyles is left empty (documented).
DEFAULT_STYLES: Final = frozenset({"RoundtripKind", "AllowLeadingWhite", "AllowTrailingWhite"})


class DateFormatError(ValueError):
    """A format string, a DateTimeStyles value or a date text that cannot be used."""


@dataclass(frozen=True)
class _Spec:
    letter: str  # the specifier letter, or "" for a literal
    count: int
    literal: str = ""


_SPECIFIERS: Final = set("dfFghHKmMstyz")


def _tokens(fmt: str) -> list[_Spec]:
    if len(fmt) == 1:
        if fmt in _STANDARD:
            fmt = _STANDARD[fmt]
        else:
            raise DateFormatError(f"{fmt!r} is not a standard date and time format (use %{fmt} for the custom specifier)")
    out: list[_Spec] = []
    i, n = 0, len(fmt)
    while i < n:
        ch = fmt[i]
        if ch in "'\"":
            close = fmt.find(ch, i + 1)
            if close < 0:
                raise DateFormatError(f"unterminated quoted text at position {i} of the format {fmt!r}")
            out.append(_Spec("", 0, fmt[i + 1:close]))
            i = close + 1
        elif ch == "\\":
            if i + 1 >= n:
                raise DateFormatError(f"the format {fmt!r} ends with an escape character")
            out.append(_Spec("", 0, fmt[i + 1]))
            i += 2
        elif ch == "%":
            if i + 1 >= n or fmt[i + 1] not in _SPECIFIERS:
                raise DateFormatError(f"'%' at position {i} of the format {fmt!r} must precede a format specifier")
            i += 1
        elif ch in _SPECIFIERS:
            j = i
            while j < n and fmt[j] == ch:
                j += 1
            count = j - i
            if ch in "fF" and count > 7:
                raise DateFormatError(f"{ch * count!r} in the format {fmt!r}: at most 7 fraction digits")
            out.append(_Spec(ch, count))
            i = j
        else:
            out.append(_Spec("", 0, ch))  # ':' and '/' are the en-US separators themselves
            i += 1
    return out


# ------------------------------------------------------------------------------- formatting


def _offset_text(value: datetime, count: int) -> str:
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    if count == 1:
        return f"{sign}{hours}"
    if count == 2:
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}:{mins:02d}"


def _format_one(value: datetime, spec: _Spec) -> str:
    letter, count = spec.letter, spec.count
    if not letter:
        return spec.literal
    if letter == "d":
        if count <= 2:
            return f"{value.day:0{count}d}"
        return _DAYS_ABBR[value.weekday()] if count == 3 else _DAYS[value.weekday()]
    if letter == "M":
        if count <= 2:
            return f"{value.month:0{count}d}"
        return _MONTHS_ABBR[value.month - 1] if count == 3 else _MONTHS[value.month - 1]
    if letter == "y":
        if count == 1:
            return str(value.year % 100)
        if count == 2:
            return f"{value.year % 100:02d}"
        return f"{value.year:0{count}d}"
    if letter == "h":
        return f"{value.hour % 12 or 12:0{min(count, 2)}d}"
    if letter == "H":
        return f"{value.hour:0{min(count, 2)}d}"
    if letter == "m":
        return f"{value.minute:0{min(count, 2)}d}"
    if letter == "s":
        return f"{value.second:0{min(count, 2)}d}"
    if letter in "fF":
        digits = f"{value.microsecond:06d}0"[:count]
        return digits if letter == "f" else digits.rstrip("0")
    if letter == "t":
        designator = "AM" if value.hour < 12 else "PM"
        return designator[:1] if count == 1 else designator
    if letter == "z":
        return _offset_text(value, count)
    if letter == "K":
        return "Z" if value.tzinfo is not None and value.utcoffset() == timedelta(0) else (
            _offset_text(value, 3) if value.tzinfo is not None else "")
    if letter == "g":
        return "A.D."
    raise DateFormatError(f"unknown format specifier {letter * count!r}")  # pragma: no cover - _tokens filters


def format_net(value: datetime, fmt: str) -> str:
    """``value.ToString(fmt, en-US)``."""
    return "".join(_format_one(value, spec) for spec in _tokens(fmt))


# ------------------------------------------------------------------------------ exact parsing


def parse_styles(raw: str | None) -> frozenset[str]:
    """FormatDateTime's ``dateTimeStyles`` text (``"AssumeUniversal"``, ``"DateTimeStyles.AllowWhiteSpaces,
    AdjustToUniversal"``, ``"None"``) as a set of member names; empty or absent: the documented default."""
    if raw is None or not raw.strip():
        return DEFAULT_STYLES
    names: set[str] = set()
    for part in re.split(r"[,|]", raw):
        name = part.strip().removeprefix("DateTimeStyles.").strip()
        match = next((s for s in DATETIME_STYLES if s.lower() == name.lower()), None)
        if match is None:
            raise DateFormatError(f"{name!r} is not a DateTimeStyles value; use {', '.join(DATETIME_STYLES)}")
        if match == "AllowWhiteSpaces":
            names |= {"AllowLeadingWhite", "AllowTrailingWhite", "AllowInnerWhite"}
        elif match != "None":
            names.add(match)
    return frozenset(names)


def _names_pattern(names: list[str]) -> str:
    return "(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + ")"


def _spec_pattern(spec: _Spec, inner_white: bool) -> str:
    letter, count = spec.letter, spec.count
    if not letter:
        if inner_white and spec.literal.isspace():
            return r"\s*"
        return re.escape(spec.literal)
    if letter in "hHms" or (letter in "dM" and count <= 2):
        return r"(\d{1,2})" if count == 1 else r"(\d{2})"
    if letter == "y":
        return {1: r"(\d{1,2})", 2: r"(\d{2})", 3: r"(\d{3,4})", 4: r"(\d{4})"}.get(count, rf"(\d{{{count}}})")
    if letter == "d":
        return _names_pattern(_DAYS_ABBR if count == 3 else _DAYS)
    if letter == "M":
        return _names_pattern(_MONTHS_ABBR if count == 3 else _MONTHS)
    if letter == "f":
        return rf"(\d{{{count}}})"
    if letter == "F":
        return rf"(\d{{0,{count}}})"
    if letter == "t":
        return "([AaPp])" if count == 1 else "([AaPp][Mm])"
    if letter == "z":
        return {1: r"([+-]\d{1,2})", 2: r"([+-]\d{2})"}.get(count, r"([+-]\d{2}:?\d{2})")
    if letter == "K":
        return r"(Z|[+-]\d{2}:\d{2}|)"
    if letter == "g":
        return r"(A\.D\.|AD)"
    raise DateFormatError(f"unknown format specifier {letter * count!r}")  # pragma: no cover


def _offset(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2] if len(digits) > 2 else digits)
    minutes = int(digits[2:]) if len(digits) > 2 else 0
    if hours > 14 or minutes > 59:
        raise DateFormatError(f"{text!r} is not a UTC offset")
    return sign * timedelta(hours=hours, minutes=minutes)


def parse_exact(text: str, fmt: str, styles: frozenset[str] = DEFAULT_STYLES, *, today: datetime | None = None) -> datetime:
    """``DateTime.ParseExact(text, fmt, en-US, styles)``, as a UTC datetime."""
    specs = _tokens(fmt)
    inner = "AllowInnerWhite" in styles
    pattern = "".join(_spec_pattern(spec, inner) for spec in specs)
    lead = r"\s*" if "AllowLeadingWhite" in styles else ""
    trail = r"\s*" if "AllowTrailingWhite" in styles else ""
    found = re.fullmatch(lead + pattern + trail, text, flags=re.IGNORECASE)
    if found is None:
        raise DateFormatError(f"{text!r} does not match the format {fmt!r}")
    fields = [spec for spec in specs if spec.letter]
    base = today or datetime(1, 1, 1, tzinfo=UTC)
    parts: dict[str, int] = {}
    offset: timedelta | None = None
    pm: bool | None = None
    for spec, raw in zip(fields, found.groups(), strict=True):
        letter, count = spec.letter, spec.count
        if letter == "y":
            year = int(raw)
            parts["year"] = year if count > 2 else (2000 + year if year <= 49 else 1900 + year)
        elif letter == "M":
            names = _MONTHS_ABBR if count == 3 else _MONTHS
            parts["month"] = int(raw) if count <= 2 else 1 + [m.lower() for m in names].index(raw.lower())
        elif letter == "d" and count <= 2:
            parts["day"] = int(raw)
        elif letter in "hH":
            parts["hour"] = int(raw)
            if letter == "h" and not 1 <= int(raw) <= 12:
                raise DateFormatError(f"{text!r}: hour {raw} is not a 12-hour clock hour")
        elif letter == "m":
            parts["minute"] = int(raw)
        elif letter == "s":
            parts["second"] = int(raw)
        elif letter in "fF":
            parts["microsecond"] = int((raw + "000000")[:6]) if raw else 0
        elif letter == "t":
            pm = raw[0].lower() == "p"
        elif letter == "z" or (letter == "K" and raw):
            offset = timedelta(0) if raw.upper() == "Z" else _offset(raw)
    if pm is not None and "hour" in parts:
        parts["hour"] = parts["hour"] % 12 + (12 if pm else 0)
    has_date = any(k in parts for k in ("year", "month", "day"))
    if not has_date and "NoCurrentDateDefault" not in styles:
        parts = {"year": base.year, "month": base.month, "day": base.day, **parts}
    try:
        value = datetime(parts.get("year", 1), parts.get("month", 1), parts.get("day", 1), parts.get("hour", 0),
                         parts.get("minute", 0), parts.get("second", 0), parts.get("microsecond", 0),
                         tzinfo=timezone(offset) if offset is not None else UTC)
    except ValueError as err:
        raise DateFormatError(f"{text!r} is not a valid date for the format {fmt!r}: {err}") from err
    return value.astimezone(UTC)


# ------------------------------------------------------------------------------ lenient parsing

_ISO: Final = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,7}))?)?)?"
    r"\s*(?P<z>Z|[+-]\d{1,2}(?::?\d{2})?)?")
_US: Final = re.compile(
    r"(?P<mo>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"
    r"(?:\s+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,7}))?)?\s*(?P<t>[AaPp][Mm])?)?"
    r"\s*(?P<z>Z|[+-]\d{1,2}(?::?\d{2})?)?")
_WORDS: Final = [
    "dddd, MMMM d, yyyy h:mm:ss tt", "dddd, MMMM d, yyyy", "MMMM d, yyyy h:mm:ss tt", "MMMM d, yyyy",
    "d MMMM yyyy", "ddd, dd MMM yyyy HH:mm:ss 'GMT'", "dd MMM yyyy", "MMM d, yyyy",
]


def parse_lenient(text: str) -> datetime:
    """``DateTime.Parse(text, en-US)`` for the shapes the page shows and their neighbours: ISO 8601
    dates and times with or without an offset (``2020-03-16-07:00``, ``2009-06-15T01:45:30-07:00``,
    ``2021-08-24``, ``2020-12-31 23:59:59-08:00``), the service's own ``M/d/yyyy h:mm:ss tt``, and
    month names (``January 1, 2012``, RFC 1123).  The result is UTC."""
    raw = text.strip()
    for regex in (_ISO, _US):
        found = regex.fullmatch(raw)
        if found is None:
            continue
        groups = found.groupdict()
        hour = int(groups.get("h") or 0)
        designator = groups.get("t")
        if designator:
            if not 1 <= hour <= 12:
                raise DateFormatError(f"{text!r}: hour {hour} is not a 12-hour clock hour")
            hour = hour % 12 + (12 if designator.lower() == "pm" else 0)
        offset = groups.get("z")
        zone = timezone(timedelta(0) if offset in (None, "Z") else _offset(offset))
        try:
            value = datetime(int(groups["y"]), int(groups["mo"]), int(groups["d"]), hour, int(groups.get("mi") or 0),
                             int(groups.get("s") or 0), int(((groups.get("f") or "") + "000000")[:6]), tzinfo=zone)
        except ValueError as err:
            raise DateFormatError(f"{text!r} is not a valid date: {err}") from err
        return value.astimezone(UTC)
    for fmt in _WORDS:
        try:
            return parse_exact(raw, fmt, parse_styles("AllowWhiteSpaces"))
        except DateFormatError:
            continue
    raise DateFormatError(f"{text!r} is not a date and time the service can read "
                          f"(for example 2021-06-30+08:00, 2009-06-15T01:45:30-07:00 or 8/25/2021 5:41:18 PM)")
