"""``provsim cassette verify``: re-send a recording to a live server, compare the answers.

The use case is fidelity: a cassette recorded against a real Genesys org, re-sent to the
provsim fake (or the reverse), shows exactly where the two disagree.

Requests are sent in recorded order.  Credentials were scrubbed, so the token comes from
``token`` or from re-running the recorded OAuth call with ``client_id``/``client_secret``
(HTTP Basic, as Genesys' client-credentials grant wants it).  Ids differ between servers,
so when a live answer carries another ``id`` than the recorded one, later requests have
the recorded id replaced by the live one.  Live answers are scrubbed like recordings
before comparing, so redacted tokens compare equal.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .cassette import CassetteFormat, Interaction, load_interactions, make_request, make_response
from .diff import Change, DiffOptions, compare_interactions
from .errors import UpstreamError, VerifyError
from .forward import Upstream, strip_hop_by_hop, translate_errors
from .scrub import Scrubber, is_redacted

__all__ = ["VerifyResult", "VerifyReport", "verify_cassette", "TOKEN_PATHS"]

#: Paths of OAuth token endpoints (Genesys login, Entra v2 endpoint).
TOKEN_PATHS = ("/oauth/token", "/oauth2/v2.0/token")
_NOT_SENT = frozenset({"host", "content-length", "content-encoding", "transfer-encoding"})


@dataclass(frozen=True)
class VerifyResult:
    index: int
    label: str
    recorded_status: int
    live_status: int | None
    changes: tuple[Change, ...] = ()
    error: str = ""

    @property
    def agrees(self) -> bool:
        return not self.changes and not self.error

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "request": self.label,
            "recorded_status": self.recorded_status,
            "live_status": self.live_status,
            "agrees": self.agrees,
            "error": self.error or None,
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass
class VerifyReport:
    cassette: str
    against: str
    results: list[VerifyResult] = field(default_factory=list)

    @property
    def agreed(self) -> int:
        return sum(1 for r in self.results if r.agrees)

    @property
    def ok(self) -> bool:
        return all(r.agrees for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cassette": self.cassette,
            "against": self.against,
            "interactions": len(self.results),
            "agreed": self.agreed,
            "fidelity": round(self.agreed / len(self.results), 4) if self.results else 1.0,
            "results": [r.to_dict() for r in self.results],
        }

    def render(self) -> str:
        from .diff import _render_change  # one renderer for diff and verify

        lines = [f"verify {self.cassette} against {self.against}"]
        for r in self.results:
            live = r.live_status if r.live_status is not None else "-"
            mark = "ok  " if r.agrees else "DIFF"
            lines.append(f"{mark} #{r.index} {r.label}  recorded {r.recorded_status}, live {live}")
            if r.error:
                lines.append(f"  ! {r.error}")
            for c in r.changes:
                lines.extend("  " + line for line in _render_change(c))
        total = len(self.results)
        pct = 100.0 * self.agreed / total if total else 100.0
        lines.append(f"fidelity: {self.agreed}/{total} interaction(s) agree ({pct:.1f}%)")
        return "\n".join(lines)


def _is_token_call(it: Interaction) -> bool:
    return it.request.method == "POST" and any(it.request.path.endswith(p) for p in TOKEN_PATHS)


def _substitute(text: str, id_map: dict[str, str]) -> str:
    for old, new in id_map.items():
        text = text.replace(old, new)
    return text


def _ids(data: Any) -> list[str]:
    """The resource ids of a JSON answer, in order (a resource or a SCIM ListResponse)."""
    if isinstance(data, dict):
        if isinstance(data.get("id"), str):
            return [data["id"]]
        resources = data.get("Resources") or data.get("value")
        if isinstance(resources, list):
            return [r["id"] for r in resources if isinstance(r, dict) and isinstance(r.get("id"), str)]
    return []


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def verify_cassette(
    path: str | os.PathLike[str],
    against: str,
    *,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    transport: httpx.BaseTransport | None = None,
    options: DiffOptions | None = None,
    verify_tls: bool = True,
    timeout: float = 30.0,
    format: CassetteFormat | str | None = None,
    scrubber: Scrubber | None = None,
    extra_ignore_fields: Iterable[str] = (),
) -> VerifyReport:
    """Re-send every recorded request in order to ``against`` and compare the answers."""
    interactions = load_interactions(path, format=format)
    try:
        upstream = Upstream.parse(against)
    except ValueError as err:
        raise VerifyError(str(err)) from err
    needs_auth = any(
        any(n.lower() == "authorization" for n in it.request.headers) and not _is_token_call(it) for it in interactions
    )
    has_token_call = any(_is_token_call(it) for it in interactions)
    if needs_auth and token is None and not (client_id and client_secret and has_token_call):
        raise VerifyError(
            "the recorded requests need a token: pass --token, or --client-id and --client-secret "
            "(used on the recorded OAuth token call)"
        )
    options = options or DiffOptions.build(ignore_fields=extra_ignore_fields, compare_requests=False)
    scrubber = scrubber or Scrubber.default()
    report = VerifyReport(str(path), upstream.origin + upstream.base_path)
    id_map: dict[str, str] = {}
    with httpx.Client(transport=transport, verify=verify_tls, timeout=timeout, trust_env=False) as client:
        for index, recorded in enumerate(interactions):
            uri = recorded.request.parsed_uri
            target = _substitute(uri.path, id_map)
            query = _substitute(uri.query, id_map)
            body = _substitute(recorded.request_body.decode("utf-8", "surrogateescape"), id_map).encode("utf-8", "surrogateescape")
            headers = [
                (n, v)
                for n, v in strip_hop_by_hop(recorded.request.headers.items())
                if n.lower() not in _NOT_SENT and not (n.lower() == "cookie" and is_redacted(v))
            ]
            token_call = _is_token_call(recorded)
            if token_call and client_id and client_secret:
                basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
                headers = [(n, v) for n, v in headers if n.lower() != "authorization"] + [("Authorization", f"Basic {basic}")]
            elif token is not None:
                headers = [
                    (n, f"Bearer {token}" if n.lower() == "authorization" and is_redacted(v) else v) for n, v in headers
                ]
            url = upstream.url_for(target, query)
            request = httpx.Request(recorded.request.method, url, headers=headers, content=body)
            try:
                with translate_errors(upstream):
                    response = client.send(request)
            except UpstreamError as err:
                report.results.append(VerifyResult(index, recorded.label(), recorded.status, None, error=str(err)))
                continue
            content = response.content
            if token_call:
                data = _json(content)
                if isinstance(data, dict) and isinstance(data.get("access_token"), str):
                    token = data["access_token"]
            live_headers = [
                (n, v) for n, v in response.headers.multi_items() if n.lower() not in ("content-encoding", "transfer-encoding")
            ]
            live = Interaction(
                scrubber.request(make_request(recorded.request.method, url, body, headers)),
                scrubber.response(make_response(response.status_code, response.reason_phrase, live_headers, content)),
            )
            changes = compare_interactions(recorded, live, options)
            report.results.append(VerifyResult(index, recorded.label(), recorded.status, response.status_code, tuple(changes)))
            for old, new in zip(_ids(_json(recorded.response_body)), _ids(_json(content)), strict=False):
                if old != new and old not in id_map:
                    id_map[old] = new
    return report
