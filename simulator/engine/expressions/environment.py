"""What an evaluation may read besides the source object: the time and a random stream.

``Now()`` reads :attr:`Environment.now` (the runtime's virtual clock in the engine);
``Guid()`` and ``RandomString()`` draw from :attr:`Environment.random` (a named stream of
the runtime's seeded id factory).  So a job that maps ``Guid()`` sends the same GUIDs
for the same seed and scenario, and a replay is byte-identical, while every value still
differs from the one before, as Microsoft documents ("generates a new random GUID").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from simulator.core.clock import DEFAULT_EPOCH
from simulator.core.ids import IdFactory

__all__ = ["Environment", "RandomSource", "EXPRESSION_STREAM"]

T = TypeVar("T")

#: The id-factory stream the engine's expressions draw from (its own, so a mapping that
#: calls ``Guid()`` shifts no other id the simulator hands out).
EXPRESSION_STREAM = "expressions"


class RandomSource(Protocol):
    """The part of :class:`~simulator.core.ids.IdFactory` the generator functions use."""

    def guid(self) -> str: ...

    def choice(self, seq: Sequence[T]) -> T: ...


def _default_now() -> datetime:
    return DEFAULT_EPOCH


@dataclass(frozen=True)
class Environment:
    """The clock and the random stream of one evaluation.

    Without one (``Expression.evaluate(source)``), ``Now()`` is the simulator's default
    epoch (2026-01-05 09:00 UTC) and the generators draw from a fresh stream of seed 0:
    deterministic, and fine for a unit test; the engine always passes the runtime's.
    """

    now: Callable[[], datetime] = _default_now
    random: RandomSource = field(default_factory=lambda: IdFactory(0, EXPRESSION_STREAM))
    #: Split trims the whitespace around each piece, as the page's example shows (job setting
    #: ``ExpressionSplitTrimsWhitespace``; docs/fidelity.md).
    split_trims: bool = True

    def utcnow(self) -> datetime:
        """``now()`` in UTC, to the second (the precision of the documented ``Now()`` text)."""
        value = self.now()
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(microsecond=0)
