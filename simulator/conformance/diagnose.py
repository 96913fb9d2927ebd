"""The target report's first line: what went wrong, in words about *your* server, and the fix.

A refused token, a wrong path, nothing listening and a URL ending in ``/Users`` all make several
patterns fail; the headline names the one cause behind them, read from the first answers the
server gave (Test Connection comes first), and what to change.  The engine's own messages name
the target the way its profile does ("Genesys answered 401" for the PureCloud app); in a target
report the server is "your SCIM server" (``scim``) or "Genesys" (``genesys``): :func:`name_target`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from simulator.engine.target_profile import TargetProfile, target_label

from .capture import Exchange

__all__ = ["Diagnosis", "diagnose", "name_target", "target_label", "headline"]


#: The engine's and the sync API's ways of naming the target (the PureCloud app's, or the scim profile's).
_NAMES = re.compile(r"\b(?:PureCloud by Genesys|Genesys|[Tt]he SCIM app)\b")


def name_target(text: str, profile: TargetProfile) -> str:
    """``text`` (a provisioning-log reason, a step error) naming the target as the report does."""
    if profile is TargetProfile.GENESYS:
        return text
    label = target_label(profile)

    def repl(found: re.Match[str]) -> str:
        start = found.start()
        sentence_start = start == 0 or text[:start].rstrip().endswith((".", ":", "!", "?"))
        return label[:1].upper() + label[1:] if sentence_start else label

    return _NAMES.sub(repl, text)


@dataclass(frozen=True)
class Diagnosis:
    """The cause of a failed run and what to change."""

    code: str  # unreachable, timeout, token-refused, no-token, url-is-a-collection, not-scim, redirect, server-error
    cause: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "cause": self.cause, "fix": self.fix}


def _root_of(url: httpx.URL) -> str:
    path = url.path.rstrip("/")
    root = path.rsplit("/", 1)[0] if path.lower().endswith(("/users", "/groups")) else path
    return str(url.copy_with(path=root or "/", query=None)).rstrip("/")


def diagnose(tenant_url: str, token_given: bool, exchanges: list[Exchange], profile: TargetProfile) -> Diagnosis | None:
    """The one cause behind a failing run, from the tenant URL and the first engine answer
    (Test Connection); ``None`` when the server answered as a SCIM server."""
    label = target_label(profile)
    url = httpx.URL(tenant_url)
    last = url.path.rstrip("/").rsplit("/", 1)[-1]
    if last.lower() in ("users", "groups"):
        return Diagnosis("url-is-a-collection", f"the tenant URL ends in /{last}",
                         f"the URL should be the SCIM root, not …/{last}: the engine appends /Users and /Groups itself "
                         f"(try --target {_root_of(url)})")
    first = next((ex for ex in exchanges if ex.source == "engine"), None)
    if first is None:
        return None
    where = f"{first.method} {first.path}"
    if first.status is None:
        error = first.error or ""
        host = f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"
        if error.startswith(("ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout", "Timeout")):
            return Diagnosis("timeout", f"{label} did not answer {where} in time ({error})",
                             f"check that it runs and answers at {host}")
        if "SSL" in error or "certificate" in error.lower():
            return Diagnosis("tls", f"the TLS handshake with {host} failed ({error})",
                             "give a certificate the machine trusts, or an http:// URL for a local server")
        return Diagnosis("unreachable", f"nothing answers at {host} ({error})",
                         f"start {label}, or check the host and port of --target")
    if first.status in (401, 403):
        if not token_given:
            return Diagnosis("no-token", f"{label} refused Test Connection with {first.status}: no token was sent",
                             "pass the secret token it expects with --token TOKEN (or $PROVSIM_TARGET_TOKEN); it is "
                             "sent as Authorization: Bearer TOKEN")
        return Diagnosis("token-refused", f"{label} refused the token ({first.status} on Test Connection)",
                         "check --token (or $PROVSIM_TARGET_TOKEN): it is sent as Authorization: Bearer TOKEN")
    if 300 <= first.status < 400:
        return Diagnosis("redirect", f"{label} answered {where} with a redirect ({first.status} to {first.location})",
                         "give the final URL as --target: the provisioning service does not follow redirects")
    if first.status >= 500:
        return Diagnosis("server-error", f"{label} failed on Test Connection ({first.status} on {where})",
                         "its own log says why; Test Connection must answer 200 with an empty ListResponse")
    answer = first.answer
    is_list = isinstance(answer, dict) and ("totalResults" in answer or "Resources" in answer)
    if first.status != 200 or not is_list:
        shape = ("HTML" if isinstance(answer, str) and "<" in answer[:200] else
                 "no SCIM ListResponse" if first.status == 200 else "not a SCIM answer")
        return Diagnosis("not-scim", f"{label} answered {where} with {first.status} ({shape})",
                         "the URL should be the SCIM root, the address under which /Users and /Groups answer "
                         f"(e.g. {url.scheme}://{url.netloc.decode()}/scim/v2)")
    return None


def headline(diagnosis: Diagnosis | None, verdicts: list[Any], label: str) -> str:
    """The report's first line."""
    failed = [v.pattern.title for v in verdicts if v.verdict == "fail"]
    if diagnosis is not None:
        return f"FAILED: {diagnosis.cause}. Fix: {diagnosis.fix}."
    if failed:
        return f"FAILED: {label} failed {len(failed)} pattern(s): {', '.join(failed)}"
    warned = [v for v in verdicts if v.verdict == "warn"]
    return f"PASSED: {label} answered every pattern the story sent" + (
        f" ({len(warned)} with warnings)" if warned else "")
