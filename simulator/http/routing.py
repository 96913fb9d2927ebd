"""URL rules that parse once per process and compile their URL builders on first use.

werkzeug does two costly things for every rule as it is added to an app: it parses the rule string
into the parts its matcher walks (``Rule.compile``), and it compiles two URL builders (Python
source, ``compile``d) for ``url_for``.  With the simulator's ~216 rules that was most of
:func:`simulator.app.create_app`'s time, paid by every test's fresh app and every ``serve``.

:class:`LazyBuildRule` does both at most once:

* the parse is remembered per process, keyed by everything it reads (the rule string, host or
  subdomain, slash merging, the map's host matching and converter classes); a later app's rule with
  the same key takes the parts and the trace, and gets converters of its own map.  The parts are
  werkzeug's ``RulePart`` records, which the matcher only reads;
* a rule's builder is compiled the first time it builds a URL; matching requests never needed it.
  The simulator builds a handful of URLs (the dashboard's links).

Were werkzeug to rename these hooks, rules would simply compile eagerly again (slower, same URLs);
``tests/unit/test_routing.py`` checks that a remembered rule matches and builds exactly as a fresh one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.routing import Rule
from werkzeug.routing.converters import BaseConverter

__all__ = ["LazyBuildRule"]

_ConverterCall = tuple[str, str, tuple[Any, ...], Mapping[str, Any]]
# key -> (parts, trace, converter calls in order, argument names the parse added)
_PARSED: dict[tuple[Any, ...], tuple[list[Any], list[tuple[bool, str]], list[_ConverterCall], frozenset[str]]] = {}
_LOCK = threading.Lock()


def _build(rule: Rule, **values: Any) -> tuple[str, str]:
    """``rule._build`` until its first call, which compiles werkzeug's builder and puts it in place."""
    rule._build = Rule._compile_builder(rule, False).__get__(rule, None)
    return rule._build(**values)


def _build_unknown(rule: Rule, **values: Any) -> tuple[str, str]:
    """``rule._build_unknown`` until its first call (the builder that appends unknown values as a query)."""
    rule._build_unknown = Rule._compile_builder(rule, True).__get__(rule, None)
    return rule._build_unknown(**values)


class LazyBuildRule(Rule):
    """A werkzeug :class:`~werkzeug.routing.Rule` parsed once per process, its builders compiled when first called."""

    _recording: list[_ConverterCall] | None = None

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        return _build_unknown if append_unknown else _build  # Rule.compile binds it to the rule

    def get_converter(
        self, variable_name: str, converter_name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> BaseConverter:
        if self._recording is not None:
            self._recording.append((variable_name, converter_name, args, kwargs))
        return super().get_converter(variable_name, converter_name, args, kwargs)

    def compile(self) -> None:
        bound = self.map
        assert bound is not None, "rule not bound"
        key = (self.rule, self.host, self.subdomain, self.merge_slashes, bound.host_matching,
               tuple(sorted(bound.converters.items())))
        parsed = _PARSED.get(key)
        if parsed is None:
            before = frozenset(self.arguments)
            self._recording = []
            try:
                super().compile()
            finally:
                calls, self._recording = self._recording, None
            with _LOCK:
                _PARSED.setdefault(key, (list(self._parts), list(self._trace), calls,
                                         frozenset(self.arguments) - before))
            return
        parts, trace, calls, names = parsed
        self._parts = list(parts)
        self._trace = list(trace)
        self._converters = {var: self.get_converter(var, name, args, kwargs) for var, name, args, kwargs in calls}
        self.arguments.update(names)
        self._build = _build.__get__(self, None)
        self._build_unknown = _build_unknown.__get__(self, None)
