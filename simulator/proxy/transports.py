"""In-process recording and replay: httpx transports, no proxy process, no sockets.

The engine and scenarios take an ``httpx.Client``; wrapping its transport records the
target traffic straight into a cassette of the same format with the same scrubbing as
the proxy, and :class:`ReplayTransport` plays it back::

    inner = httpx.WSGITransport(app=create_app(config))
    client = httpx.Client(transport=RecordingTransport(inner, "cassettes/run.yaml"),
                          base_url="https://api.mypurecloud.test")
    ...
    client = httpx.Client(transport=ReplayTransport("cassettes/run.yaml"), base_url=...)

Both follow httpx's pluggable-transport contract: one ``handle_request`` method.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import httpx

from .cassette import CassetteFile, CassetteFormat, Interaction, load_interactions, make_request, make_response
from .matchers import Matcher, default_matchers
from .replay import Replayer
from .scrub import Scrubber

__all__ = ["RecordingTransport", "ReplayTransport"]

_BODY_FRAMING = ("content-encoding", "content-length", "transfer-encoding")


def _decoded_headers(response: httpx.Response, body: bytes) -> list[tuple[str, str]]:
    """Headers for a decoded, fully-read body: framing replaced by a true Content-Length."""
    kept = [(n, v) for n, v in response.headers.multi_items() if n.lower() not in _BODY_FRAMING]
    # httpx lower-cases header names; keep the cassette consistent with that.
    kept.append(("content-length", str(len(body))))
    return kept


class RecordingTransport(httpx.BaseTransport):
    """Wraps any transport; every exchange is scrubbed and appended to the cassette, which
    is saved after each one.  The caller receives the real, unscrubbed response."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        cassette_path: str | os.PathLike[str],
        *,
        scrubber: Scrubber | None = None,
        format: CassetteFormat | str | None = None,
        append: bool = False,
    ) -> None:
        self.inner = inner
        self.scrubber = scrubber or Scrubber.default()
        self.cassette = CassetteFile(cassette_path, format=format, fresh=not append)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        response = self.inner.handle_request(request)
        try:
            content = response.read()
        finally:
            response.close()
        headers = _decoded_headers(response, content)
        self.cassette.append(
            self.scrubber.request(make_request(request.method, str(request.url), body, request.headers.multi_items())),
            self.scrubber.response(make_response(response.status_code, response.reason_phrase, headers, content)),
        )
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=content,
            extensions={k: v for k, v in response.extensions.items() if k in ("reason_phrase", "http_version")},
            request=request,
        )

    @property
    def interactions(self) -> list[Interaction]:
        return self.cassette.interactions

    def close(self) -> None:
        self.inner.close()


class ReplayTransport(httpx.BaseTransport):
    """Answers from a cassette and never touches the network.  A request the cassette
    cannot answer raises :class:`~simulator.proxy.errors.ReplayMiss` (it explains itself);
    :meth:`unused` lists recorded interactions the run never asked for."""

    def __init__(
        self,
        cassette_path: str | os.PathLike[str],
        *,
        scrubber: Scrubber | None = None,
        format: CassetteFormat | str | None = None,
        matchers: Sequence[Matcher] | None = None,
        ignore_fields: Iterable[str] = (),
        allow_repeats: bool = False,
    ) -> None:
        self.scrubber = scrubber or Scrubber.default()
        self.replayer = Replayer(
            load_interactions(cassette_path, format=format),
            matchers=matchers if matchers is not None else default_matchers(ignore_fields),
            allow_repeats=allow_repeats,
            name=f"cassette {cassette_path}",
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        incoming = self.scrubber.request(make_request(request.method, str(request.url), body, request.headers.multi_items()))
        recorded = self.replayer.play(incoming).interaction
        content = recorded.response_body
        headers = [
            (n, v)
            for n, values in recorded.response.get("headers", {}).items()
            for v in values
            if n.lower() not in _BODY_FRAMING
        ]
        headers.append(("Content-Length", str(len(content))))
        message = recorded.response["status"].get("message")
        return httpx.Response(
            recorded.status,
            headers=headers,
            content=content,
            extensions={"reason_phrase": message.encode("ascii", "replace")} if message else {},
            request=request,
        )

    def unused(self) -> list[int]:
        return self.replayer.unused()

    @property
    def interactions(self) -> list[Interaction]:
        return self.replayer.interactions
