"""URL rules that compile their URL builders on first use.

werkzeug compiles two URL builders (Python source, ``compile``d) for every rule as it is added to
the app, for ``url_for``: with the simulator's ~216 rules that is most of :func:`simulator.app.create_app`'s
time, paid by every test's fresh app and every ``serve``.  The simulator builds a handful of URLs
(the dashboard's links), so :class:`LazyBuildRule` compiles a rule's builder the first time it
builds a URL; matching requests never needed it.  Were werkzeug to rename the hook, rules would
simply compile eagerly again (slower, same URLs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

__all__ = ["LazyBuildRule"]


def _build(rule: Rule, **values: Any) -> tuple[str, str]:
    """``rule._build`` until its first call, which compiles werkzeug's builder and puts it in place."""
    rule._build = Rule._compile_builder(rule, False).__get__(rule, None)
    return rule._build(**values)


def _build_unknown(rule: Rule, **values: Any) -> tuple[str, str]:
    """``rule._build_unknown`` until its first call (the builder that appends unknown values as a query)."""
    rule._build_unknown = Rule._compile_builder(rule, True).__get__(rule, None)
    return rule._build_unknown(**values)


class LazyBuildRule(Rule):
    """A werkzeug :class:`~werkzeug.routing.Rule` whose URL builders are compiled when first called."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        return _build_unknown if append_unknown else _build  # Rule.compile binds it to the rule
