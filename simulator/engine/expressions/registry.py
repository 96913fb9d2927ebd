"""The function table: every documented function, its parameters and its checks.

Each function family (:mod:`.strings`, :mod:`.logic`, :mod:`.multivalue`, :mod:`.roles`,
:mod:`.dates`, :mod:`.generators`) registers its functions here with :func:`register`
when it is imported; the package's ``__init__`` imports them all.  The parser looks
names up here (case-insensitively) and checks argument counts against ``min_args`` /
``max_args``; ``check`` runs parse-time checks that need the argument nodes (a literal
regex pattern, Replace's parameter combinations, Switch's pairs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .environment import Environment

if TYPE_CHECKING:
    from .nodes import Call

__all__ = ["Spec", "FUNCTIONS", "register", "function_names", "param_name", "lookup"]

Impl = Callable[[list[Any], Environment], Any]
Check = Callable[["Call", str], None]


@dataclass(frozen=True)
class Spec:
    """One documented function."""

    name: str
    params: tuple[str, ...]
    min_args: int
    max_args: int | None
    impl: Impl
    check: Check | None = None
    #: Parameter names as the service writes them in a parsed ``attributeMappingSource``
    #: when they differ from the documentation's (Graph's parseExpression example: Replace).
    graph_params: tuple[str, ...] | None = None
    #: The function must be the whole expression (SelectUniqueValue: "must be at the top-level").
    top_level_only: bool = False


FUNCTIONS: dict[str, Spec] = {}


def register(
    name: str,
    params: Sequence[str],
    min_args: int,
    max_args: int | None = -1,
    check: Check | None = None,
    *,
    graph_params: Sequence[str] | None = None,
    top_level_only: bool = False,
) -> Callable[[Impl], Impl]:
    """Register ``impl(args, env)`` as ``name``; ``max_args=-1`` means "as many as ``params``",
    ``None`` means unbounded (Join, Coalesce, Switch)."""

    def decorator(impl: Impl) -> Impl:
        upper = len(params) if max_args == -1 else max_args
        FUNCTIONS[name.lower()] = Spec(name, tuple(params), min_args, upper, impl, check,
                                       tuple(graph_params) if graph_params is not None else None, top_level_only)
        return impl

    return decorator


def lookup(name: str) -> Spec | None:
    return FUNCTIONS.get(name.lower())


def function_names() -> list[str]:
    """Documented spellings of every function provsim evaluates, sorted."""
    return sorted(spec.name for spec in FUNCTIONS.values())


def param_name(spec: Spec, index: int, *, graph: bool = False) -> str:
    params = spec.graph_params if graph and spec.graph_params is not None else spec.params
    if index < len(params):
        return params[index]
    return params[-1]
