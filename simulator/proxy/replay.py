"""Choosing the recorded answer for a request.

Repeated identical requests replay in recorded order: each interaction answers once,
the first unplayed match wins (a SCIM GET before and after a PATCH gets the before and
after answers).  When every match has been played, a further identical request is a
miss unless ``allow_repeats`` is set, in which case the *last* match answers again (the
latest state the recording saw).

A miss raises :class:`ReplayMiss` naming the closest recorded request (most matchers
passed, earliest first) and what differed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from vcr.request import Request

from .cassette import Interaction
from .errors import ReplayMiss
from .matchers import Matcher, default_matchers, method, path, run_matchers

__all__ = ["Replayer", "Play", "describe_request"]


def describe_request(request: Request) -> dict[str, object]:
    """A small JSON-able picture of a (scrubbed) request for miss reports."""
    uri = request.parsed_uri
    return {
        "method": request.method,
        "path": uri.path,
        "query": uri.query,
        "body": _short_body(request.body),
    }


def _short_body(body: object) -> str:
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)
    return text if len(text) <= 500 else text[:500] + "…"


@dataclass(frozen=True)
class Play:
    """One replayed answer: which interaction, and its recorded response."""

    index: int
    interaction: Interaction


class Replayer:
    """Thread-safe selection of recorded interactions (the threaded proxy replays concurrently)."""

    def __init__(
        self,
        interactions: Sequence[Interaction],
        *,
        matchers: Sequence[Matcher] | None = None,
        allow_repeats: bool = False,
        name: str = "cassette",
    ) -> None:
        self.interactions = list(interactions)
        self.matchers = list(matchers) if matchers is not None else default_matchers()
        self.allow_repeats = allow_repeats
        self.name = name
        self.play_counts = [0] * len(self.interactions)
        self._lock = threading.Lock()
        # With the method and path matchers in play, only same method+path recordings can
        # match: index them, so a hit costs the few candidates, not the whole cassette.
        names = {m.__name__ for m in self.matchers}
        self._indexed = method.__name__ in names and path.__name__ in names
        self._index: dict[tuple[str, str], list[int]] = {}
        for i, it in enumerate(self.interactions):
            self._index.setdefault(self._key(it.request), []).append(i)

    @staticmethod
    def _key(request: Request) -> tuple[str, str]:
        return request.method.upper(), unquote(request.path or "/")

    def _candidates(self, request: Request) -> list[int]:
        if self._indexed:
            return self._index.get(self._key(request), [])
        return list(range(len(self.interactions)))

    def add(self, interaction: Interaction, *, played: bool = True) -> None:
        """Append an interaction recorded during this session (spy with ``record_new``)."""
        with self._lock:
            self.interactions.append(interaction)
            self.play_counts.append(1 if played else 0)
            self._index.setdefault(self._key(interaction.request), []).append(len(self.interactions) - 1)

    def play(self, request: Request) -> Play:
        """The answer for a scrubbed request, or :class:`ReplayMiss`."""
        with self._lock:
            matches = [
                i for i in self._candidates(request) if run_matchers(request, self.interactions[i].request, self.matchers).matched
            ]
            for i in matches:
                if self.play_counts[i] == 0:
                    self.play_counts[i] += 1
                    return Play(i, self.interactions[i])
            if matches and self.allow_repeats:
                i = matches[-1]
                self.play_counts[i] += 1
                return Play(i, self.interactions[i])
            raise self._miss(request, matches)

    def _miss(self, request: Request, used: list[int]) -> ReplayMiss:
        described = describe_request(request)
        if used:
            n = len(used)
            return ReplayMiss(
                f"{request.method} {request.parsed_uri.path}: all {n} matching recorded interaction(s) "
                f"(#{', #'.join(map(str, used))}) were already played; the recording saw this request "
                f"{n} time(s). Allow repeats to answer again.",
                request=described,
                closest={"index": used[-1], **describe_request(self.interactions[used[-1]].request)},
                differences=[f"already played {self.play_counts[used[-1]]} time(s)"],
            )
        if not self.interactions:
            return ReplayMiss(
                f"{request.method} {request.parsed_uri.path}: the {self.name} has no interactions",
                request=described,
            )
        best_index, best = 0, None
        for i, it in enumerate(self.interactions):
            report = run_matchers(request, it.request, self.matchers)
            if best is None or len(report.passed) > len(best.passed):
                best_index, best = i, report
        assert best is not None
        differences = [reason for _, reason in best.failed]
        return ReplayMiss(
            f"{request.method} {request.parsed_uri.path}: no recorded interaction matches; closest is "
            f"#{best_index} {self.interactions[best_index].label()} ({'; '.join(differences)})",
            request=described,
            closest={"index": best_index, **describe_request(self.interactions[best_index].request)},
            differences=differences,
        )

    def unused(self) -> list[int]:
        """Indexes of recorded interactions never played (responses' ``assert_all_requests_are_fired``)."""
        with self._lock:
            return [i for i, n in enumerate(self.play_counts) if n == 0]

    @property
    def all_played(self) -> bool:
        return not self.unused()
