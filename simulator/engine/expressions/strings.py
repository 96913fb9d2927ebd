"""String functions: Append, Join, Left, Mid, Word, StripSpaces, PCase, ToLower, ToUpper,
NormalizeDiacritics, InStr, Replace, CStr, ConvertToBase64, ConvertToUTF8Hex.

Null in, null out: Entra never flows a value built from a missing attribute, except where
the page documents another answer (Left and Word give "" for a null string).
"""

from __future__ import annotations

import base64
import re
import unicodedata
from typing import Any, Final

from .environment import Environment
from .nodes import Call, Literal, Omitted
from .regex import compile_net_regex, net_expand
from .registry import register
from .values import (
    EvalProblem,
    arg,
    error_at,
    given,
    is_null_or_empty,
    null,
    to_int,
    to_str,
)

__all__: list[str] = []


@register("Append", ["source", "suffix"], 2)
def _append(args: list[Any], env: Environment) -> Any:
    source, suffix = args
    if null(source):
        return None
    return to_str(source) + to_str(suffix)


@register("Join", ["separator", "source"], 2, None)
def _join(args: list[Any], env: Environment) -> Any:
    separator = "" if null(args[0]) else to_str(args[0])
    parts: list[str] = []
    for value in args[1:]:
        values = value if isinstance(value, list) else [value]
        for item in values:
            # The documented example Join(", ", "", [surname], [givenName]) -> "Doe, John":
            # null and empty values are skipped, not joined as empty strings.
            if is_null_or_empty(item):
                continue
            parts.append(to_str(item))
    return separator.join(parts) if parts else None


# ---- case


def _culture(value: Any) -> str:
    return "" if null(value) else to_str(value).strip().lower()


def _simple_case(text: str, upper: bool, culture: str) -> str:
    """.NET's per-character (simple) case mapping: ``ß`` stays ``ß`` in upper case, where
    Python would write ``SS``; Turkish and Azeri cultures map the dotted and dotless i."""
    turkic = culture.split("-")[0] in ("tr", "az")
    out: list[str] = []
    for ch in text:
        if turkic and upper and ch == "i":
            out.append("İ")
        elif turkic and not upper and ch == "I":
            out.append("ı")
        else:
            mapped = ch.upper() if upper else ch.lower()
            out.append(mapped if len(mapped) == 1 else (ch if upper else mapped[0]))
    return "".join(out)


@register("ToLower", ["source", "culture"], 1)
def _to_lower(args: list[Any], env: Environment) -> Any:
    return None if null(args[0]) else _simple_case(to_str(args[0]), False, _culture(arg(args, 1)))


@register("ToUpper", ["source", "culture"], 1)
def _to_upper(args: list[Any], env: Environment) -> Any:
    return None if null(args[0]) else _simple_case(to_str(args[0]), True, _culture(arg(args, 1)))


_TITLE_SEPARATOR_CATEGORIES: Final = ("Z", "C", "P", "S")


@register("PCase", ["source", "wordSeparators"], 1)
def _pcase(args: list[Any], env: Environment) -> Any:
    if null(args[0]):
        return None
    text = to_str(args[0])
    separators = None if null(arg(args, 1)) else to_str(args[1])

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


_DIACRITIC_SPECIALS: Final = {
    "æ": "ae", "Æ": "AE", "ǣ": "ae", "Ǣ": "AE",
    "ø": "oe", "Ø": "OE", "œ": "oe", "Œ": "OE",
    "ß": "ss", "ł": "l", "Ł": "L", "ı": "i", "đ": "d", "Đ": "D",
}  # fmt: skip


@register("NormalizeDiacritics", ["source"], 1)
def _normalize_diacritics(args: list[Any], env: Environment) -> Any:
    if null(args[0]):
        return None
    text = "".join(_DIACRITIC_SPECIALS.get(ch, ch) for ch in to_str(args[0]))
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(_DIACRITIC_SPECIALS.get(ch, ch) for ch in unicodedata.normalize("NFC", stripped))


# ---- pieces


@register("Left", ["String", "NumChars"], 2)
def _left(args: list[Any], env: Environment) -> Any:
    # Documented: null string -> "", 0 -> "", negative -> the input string.
    if null(args[0]):
        return ""
    text = to_str(args[0])
    count = to_int(args[1], "NumChars")
    if count < 0:
        return text
    return text[:count]


@register("Mid", ["source", "start", "length"], 3)
def _mid(args: list[Any], env: Environment) -> Any:
    if null(args[0]):
        return None
    text = to_str(args[0])
    start = to_int(args[1], "start")
    length = to_int(args[2], "length")
    if start < 1:
        raise EvalProblem(f"start is 1-based and must be at least 1, got {start}")
    if length < 0:
        raise EvalProblem(f"length must not be negative, got {length}")
    return text[start - 1 : start - 1 + length]


@register("StripSpaces", ["source"], 1)
def _strip_spaces(args: list[Any], env: Environment) -> Any:
    return None if null(args[0]) else to_str(args[0]).replace(" ", "")


@register("Word", ["String", "WordNumber", "Delimiters"], 3)
def _word(args: list[Any], env: Environment) -> Any:
    # Documented: null string, number < 1 or too few words -> "".
    if null(args[0]):
        return ""
    number = to_int(args[1], "WordNumber")
    if number < 1:
        return ""
    delimiters = to_str(args[2])
    text = to_str(args[0])
    if delimiters:
        words = [w for w in re.split("[" + re.escape(delimiters) + "]", text) if w]
    else:
        words = [text] if text else []
    return words[number - 1] if number <= len(words) else ""


def _check_instr(call: Call, text: str) -> None:
    if len(call.args) == 4 and isinstance(call.args[3], Literal):
        mode = str(call.args[3].value).lower()
        if mode not in {"vbtextcompare", "vbbinarycompare", "0", "1"}:
            raise error_at("Expected vbTextCompare or vbBinaryCompare", call.args[3].pos, text)


@register("InStr", ["value1", "value2", "start", "compareType"], 2, check=_check_instr)
def _instr(args: list[Any], env: Environment) -> Any:
    if null(args[0]) or null(args[1]):
        return None
    haystack, needle = to_str(args[0]), to_str(args[1])
    start = 1 if null(arg(args, 2)) else to_int(args[2], "start")
    if start < 1:
        raise EvalProblem(f"start is 1-based and must be at least 1, got {start}")
    mode = arg(args, 3)
    if not null(mode) and to_str(mode).lower() in {"vbtextcompare", "1"}:
        haystack, needle = haystack.lower(), needle.lower()
    return haystack.find(needle, start - 1) + 1


# ---- conversions


@register("CStr", ["value"], 1)
def _cstr(args: list[Any], env: Environment) -> Any:
    return None if null(args[0]) else to_str(args[0])


@register("ConvertToBase64", ["source"], 1)
def _to_base64(args: list[Any], env: Environment) -> Any:
    # "a Unicode base64 string": .NET Unicode is UTF-16LE ("Hello world!" -> "SABlAGwA...").
    if null(args[0]):
        return None
    return base64.b64encode(to_str(args[0]).encode("utf-16-le")).decode("ascii")


@register("ConvertToUTF8Hex", ["source"], 1)
def _to_utf8_hex(args: list[Any], env: Environment) -> Any:
    if null(args[0]):
        return None
    return to_str(args[0]).encode("utf-8").hex().upper()


# ---- Replace

_REPLACE_PARAMS: Final = (
    "source",
    "oldValue",
    "regexPattern",
    "regexGroupName",
    "replacementValue",
    "replacementAttributeName",
    "template",
)
#: How the service names them in a parsed expression (Graph's parseExpression example shows
#: ``source``, ``Find``, ``Replacement``; the others are not shown and keep the page's names).
_REPLACE_GRAPH_PARAMS: Final = (
    "source",
    "Find",
    "regexPattern",
    "regexGroupName",
    "Replacement",
    "replacementAttributeName",
    "template",
)


def _check_replace(call: Call, text: str) -> None:
    given_args = {
        name: not isinstance(node, Omitted) for name, node in zip(_REPLACE_PARAMS, call.args, strict=False)
    }
    old, pattern = given_args.get("oldValue", False), given_args.get("regexPattern", False)
    group = given_args.get("regexGroupName", False)
    replacement = given_args.get("replacementValue", False)
    attribute = given_args.get("replacementAttributeName", False)
    template = given_args.get("template", False)
    documented = (
        (old and (replacement or template))
        or (pattern and replacement)
        or (pattern and group and attribute)
    )
    if not documented:
        raise error_at(
            "Replace needs oldValue with replacementValue or template, or regexPattern with "
            "replacementValue, or regexPattern with regexGroupName and replacementAttributeName",
            call.pos,
            text,
        )
    if pattern and old:
        raise error_at("Replace takes either oldValue or regexPattern, not both", call.args[2].pos, text)
    if len(call.args) >= 3:
        literal = call.args[2]
        if isinstance(literal, Literal) and isinstance(literal.value, str):
            try:
                compile_net_regex(literal.value)
            except re.error as err:
                raise error_at(f"Invalid regexPattern ({err})", literal.pos, text) from None


@register("Replace", _REPLACE_PARAMS, 2, check=_check_replace, graph_params=_REPLACE_GRAPH_PARAMS)
def _replace(args: list[Any], env: Environment) -> Any:
    source, old, pattern, group, replacement, attribute, template = (
        arg(args, i) for i in range(len(_REPLACE_PARAMS))
    )
    if given(old):
        if null(source):
            return None
        if given(template) and not given(replacement):
            # "Replaces all occurrences of the oldValue in the template with the source value".
            return to_str(template).replace(to_str(old), to_str(source))
        return to_str(source).replace(to_str(old), to_str(replacement))
    regex = _regex(pattern)
    if given(group) and given(attribute) and not given(replacement):
        if not is_null_or_empty(source):
            return source
        if null(attribute):
            return None
        found = regex.search(to_str(attribute))
        if found is None:
            return None
        return _group(found, to_str(group))
    if null(source):
        return None
    text = to_str(source)
    new = "" if null(replacement) else to_str(replacement)
    if given(group):
        # Replace only the span of the named group in each match, with the literal value.
        name = to_str(group)
        pieces: list[str] = []
        last = 0
        for found in regex.finditer(text):
            try:
                start, end = found.span(name)
            except IndexError:
                raise EvalProblem(f"regexGroupName {name!r} is not a group of the pattern") from None
            if start < 0:
                continue
            pieces.append(text[last:start])
            pieces.append(new)
            last = end
        pieces.append(text[last:])
        return "".join(pieces)
    return regex.sub(lambda m: net_expand(new, m), text)


def _group(found: re.Match[str], name: str) -> str | None:
    try:
        return found.group(name)
    except IndexError:
        raise EvalProblem(f"regexGroupName {name!r} is not a group of the pattern") from None


def _regex(pattern: Any) -> re.Pattern[str]:
    try:
        return compile_net_regex(to_str(pattern))
    except re.error as err:
        raise EvalProblem(f"invalid regexPattern {to_str(pattern)!r}: {err}") from None
