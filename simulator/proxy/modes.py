"""Proxy modes, named for what they do (Hoverfly's capture/simulate/spy, in provsim's words).

Like vcrpy's ``RecordMode``, the modes are a ``str`` enum checked at the edge: a misspelt
mode fails and lists the valid ones instead of silently taking another branch.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["ProxyMode", "OnMiss", "validate_mode"]


class ProxyMode(str, Enum):  # noqa: UP042 - StrEnum would change str() of members, as in vcrpy
    """What the proxy does with each request.

    ``record``       forward to the upstream and record every exchange.
    ``replay``       answer only from the cassette; never open a connection.
    ``spy``          answer from the cassette when it can, forward the rest (and record
                     those with ``record_new``).
    ``passthrough``  forward only; nothing is recorded, the traffic log is kept.
    """

    RECORD = "record"
    REPLAY = "replay"
    SPY = "spy"
    PASSTHROUGH = "passthrough"

    @property
    def forwards(self) -> bool:
        """Whether this mode may open connections to the upstream at all."""
        return self is not ProxyMode.REPLAY


class OnMiss(str, Enum):  # noqa: UP042
    """What replay does with a request the cassette cannot answer."""

    ERROR = "error"
    FORWARD = "forward"


def validate_mode(mode: ProxyMode | str) -> ProxyMode:
    """Coerce a user-supplied mode; raise ``ValueError`` listing the valid modes otherwise."""
    try:
        return ProxyMode(mode)
    except ValueError:
        valid = ", ".join(repr(m.value) for m in ProxyMode)
        raise ValueError(f"{mode!r} is not a valid proxy mode. Valid modes are: {valid}.") from None
