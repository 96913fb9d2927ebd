"""The .NET regular-expression dialect the service runs, on Python's ``re``.

Replace's ``regexPattern`` and the scoping filters' ``REGEX MATCH`` are written for
.NET: named groups ``(?<name>...)``, back references ``\\k<name>`` and substitutions
``$1`` / ``${name}`` / ``$$``.  Everything else the documented examples use is the same
in both dialects.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["compile_net_regex", "net_expand"]

_NET_NAMED_GROUP: Final = re.compile(r"\(\?<(?![=!])([A-Za-z_][A-Za-z0-9_]*)>")
_NET_BACKREF: Final = re.compile(r"\\k<([A-Za-z_][A-Za-z0-9_]*)>")
_NET_SUBST: Final = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*|\d+)\}|(\d+))")


def compile_net_regex(pattern: str) -> re.Pattern[str]:
    """Compile a .NET-style pattern (the service runs .NET): ``(?<name>...)`` and
    ``\\k<name>`` are rewritten to Python's ``(?P<name>...)`` / ``(?P=name)``."""
    translated = _NET_NAMED_GROUP.sub(r"(?P<\1>", pattern)
    translated = _NET_BACKREF.sub(r"(?P=\1)", translated)
    return re.compile(translated)


def net_expand(template: str, match: re.Match[str]) -> str:
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
