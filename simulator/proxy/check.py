"""``provsim cassette check``: lint a cassette before it is shared or committed.

Finds secrets left (credential headers, Bearer/Basic credentials, JWT-looking strings,
known secret keys with real values in JSON, form bodies and queries), malformed entries,
duplicated exchanges and, given what a replay played, interactions never used.

Works on the raw document (not vcrpy objects) so a malformed entry is reported, not
fatal, and every string of the file is scanned.  Reported secrets are masked: the
report must not leak what it found.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import yaml

from simulator.core.scrub import secret_path

from .cassette import CassetteFormat, format_for, read_raw
from .errors import CassetteFormatError
from .scrub import SECRET_HEADERS, SECRET_KEYS, is_redacted

__all__ = ["Finding", "CheckReport", "check_cassette", "check_data", "read_played_log", "find_secrets_in_text"]

Severity = Literal["error", "warning"]

_BEARER = re.compile(r"\bBearer\s+([A-Za-z0-9\-._~+/]{6,}=*)")
_BASIC = re.compile(r"\bBasic\s+([A-Za-z0-9+/]{6,}={0,2})")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*")
_SECRET_KEYS = frozenset(k.lower() for k in SECRET_KEYS)
_SECRET_HEADERS = frozenset(h.lower() for h in SECRET_HEADERS)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


def _mask(secret: str) -> str:
    return secret[:4] + "…" if len(secret) > 4 else "…"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str  # secret | malformed | duplicate | unused
    interaction: int | None
    where: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "interaction": self.interaction,
            "where": self.where,
            "message": self.message,
        }


@dataclass
class CheckReport:
    path: str
    interactions: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def ok(self, *, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "interactions": self.interactions,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
        }

    def render(self) -> str:
        lines = []
        for f in self.findings:
            at = f"#{f.interaction} " if f.interaction is not None else ""
            lines.append(f"{f.severity.upper():7} {f.code:9} {at}{f.where}: {f.message}")
        lines.append(
            f"{self.path}: {self.interactions} interaction(s), {len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        )
        return "\n".join(lines)


def find_secrets_in_text(text: str) -> list[tuple[str, str]]:
    """(kind, masked value) for credential-looking substrings of any text."""
    found = []
    for m in _BEARER.finditer(text):
        if not is_redacted(f"Bearer {m.group(1)}"):
            found.append(("Bearer token", _mask(m.group(1))))
    for m in _BASIC.finditer(text):
        if not is_redacted(f"Basic {m.group(1)}"):
            found.append(("Basic credentials", _mask(m.group(1))))
    for m in _JWT.finditer(text):
        found.append(("JWT", _mask(m.group(0))))
    return found


def _secret_pairs(pairs: Iterable[tuple[str, Any]], where: str, index: int | None) -> list[Finding]:
    out = []
    for k, v in pairs:
        if isinstance(k, str) and k.lower() in _SECRET_KEYS and isinstance(v, (str, int, float)) and not isinstance(v, bool):
            if isinstance(v, str) and is_redacted(v):
                continue
            out.append(Finding("error", "secret", index, f"{where}.{k}", f"{k} has a real value ({_mask(str(v))})"))
    return out


def _walk_json(data: Any, where: str, index: int | None) -> list[Finding]:
    out: list[Finding] = []
    if isinstance(data, dict):
        out += _secret_pairs(data.items(), where, index)
        op_path, value = data.get("path"), data.get("value")
        if (isinstance(op_path, str) and secret_path(op_path) and isinstance(value, str) and value
                and not is_redacted(value)):
            out.append(Finding("error", "secret", index, f"{where}.value",
                               f"a PATCH operation on {op_path!r} carries a real value ({_mask(value)})"))
        for k, v in data.items():
            out += _walk_json(v, f"{where}.{k}", index)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _walk_json(v, f"{where}[{i}]", index)
    return out


def _body_text(body: Any) -> str | None:
    if isinstance(body, dict):
        body = body.get("string")
    if body is None:
        return ""
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return body if isinstance(body, str) else None


def _scan_body(body: Any, where: str, index: int | None) -> list[Finding]:
    text = _body_text(body)
    if not text:
        return []
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return _walk_json(json.loads(text), where, index)
        except ValueError:
            pass
    if "=" in text and " " not in text.strip():
        return _secret_pairs(parse_qsl(text, keep_blank_values=True), where, index)
    return []


def _scan_headers(headers: Any, where: str, index: int | None) -> list[Finding]:
    out: list[Finding] = []
    if not isinstance(headers, dict):
        return out
    for name, value in headers.items():
        values = value if isinstance(value, list) else [value]
        if not isinstance(name, str) or name.lower() not in _SECRET_HEADERS:
            continue
        for v in values:
            v = str(v)
            if name.lower() in ("cookie", "set-cookie"):
                first = v.split(";")[0] if name.lower() == "set-cookie" else v
                leaked = [p for p in first.split(";") if "=" in p and not is_redacted(p.split("=", 1)[1])]
                if leaked:
                    out.append(Finding("error", "secret", index, f"{where}.{name}", f"cookie value not scrubbed ({_mask(leaked[0].strip())})"))
            elif not is_redacted(v):
                out.append(Finding("error", "secret", index, f"{where}.{name}", f"credential not scrubbed ({_mask(v)})"))
    return out


def _all_strings(node: Any, where: str) -> Iterable[tuple[str, str]]:
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, bytes):
        yield where, node.decode("utf-8", "replace")
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _all_strings(k, f"{where}.<key>")
            yield from _all_strings(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _all_strings(v, f"{where}[{i}]")


def _malformed(entry: Any, index: int) -> list[str]:
    """What is wrong with one interaction's shape (vcrpy format version 1)."""
    problems: list[str] = []
    if not isinstance(entry, dict) or "request" not in entry or "response" not in entry:
        return ["not a mapping with 'request' and 'response'"]
    req, resp = entry["request"], entry["response"]
    if not isinstance(req, dict):
        problems.append("request is not a mapping")
    else:
        for key in ("method", "uri", "body", "headers"):
            if key not in req:
                problems.append(f"request has no {key!r}")
        if "method" in req and str(req["method"]).upper() not in _METHODS:
            problems.append(f"request method {req['method']!r} is not an HTTP method")
        if "uri" in req:
            parts = urlsplit(str(req["uri"]))
            if parts.scheme not in ("http", "https") or not parts.netloc:
                problems.append(f"request uri {req['uri']!r} is not an absolute http(s) URL")
        if "headers" in req and not isinstance(req["headers"], dict):
            problems.append("request headers are not a mapping")
    if not isinstance(resp, dict):
        problems.append("response is not a mapping")
        return problems
    status = resp.get("status")
    if not isinstance(status, dict) or not isinstance(status.get("code"), int) or not 100 <= status["code"] <= 599:
        problems.append(f"response status {status!r} has no valid 'code'")
    headers = resp.get("headers")
    if not isinstance(headers, dict) or not all(isinstance(v, list) for v in headers.values()):
        problems.append("response headers are not a mapping of lists")
    body = resp.get("body")
    if not isinstance(body, dict) or "string" not in body:
        problems.append("response body has no 'string'")
    return problems


def check_data(data: Any, *, path: str = "<cassette>", played: set[int] | None = None) -> CheckReport:
    """Lint a deserialized cassette document."""
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        report = CheckReport(path, 0)
        report.findings.append(Finding("error", "malformed", None, "document", "not a vcrpy cassette (no 'interactions' list)"))
        return report
    interactions = data["interactions"]
    report = CheckReport(path, len(interactions))
    if data.get("version") != 1:
        report.findings.append(Finding("error", "malformed", None, "version", f"cassette format version {data.get('version')!r}, expected 1"))
    seen: dict[str, int] = {}
    for i, entry in enumerate(interactions):
        for problem in _malformed(entry, i):
            report.findings.append(Finding("error", "malformed", i, "interaction", problem))
        req = entry.get("request") if isinstance(entry, dict) else None
        resp = entry.get("response") if isinstance(entry, dict) else None
        secrets: list[Finding] = []
        if isinstance(req, dict):
            secrets += _scan_headers(req.get("headers"), "request.headers", i)
            secrets += _scan_body(req.get("body"), "request.body", i)
            uri = str(req.get("uri", ""))
            secrets += _secret_pairs(parse_qsl(urlsplit(uri).query, keep_blank_values=True), "request.uri", i)
        if isinstance(resp, dict):
            secrets += _scan_headers(resp.get("headers"), "response.headers", i)
            secrets += _scan_body(resp.get("body"), "response.body", i)
        for where, text in _all_strings(entry, "interaction"):
            for kind, masked in find_secrets_in_text(text):
                secrets.append(Finding("error", "secret", i, where.removeprefix("interaction."), f"{kind} left in the text ({masked})"))
        unique: dict[tuple[str, str], Finding] = {}
        for f in secrets:
            unique.setdefault((f.where, f.message), f)
        report.findings.extend(unique.values())
        key = json.dumps(entry, sort_keys=True, default=str)
        if key in seen:
            report.findings.append(Finding("warning", "duplicate", i, "interaction", f"identical to #{seen[key]} (request and response)"))
        else:
            seen[key] = i
    if played is not None:
        for i in range(len(interactions)):
            if i not in played:
                label = ""
                entry = interactions[i]
                if isinstance(entry, dict) and isinstance(entry.get("request"), dict):
                    r = entry["request"]
                    label = f"{r.get('method')} {urlsplit(str(r.get('uri', ''))).path}"
                report.findings.append(Finding("error", "unused", i, "interaction", f"never played by the replay ({label})"))
    return report


def check_cassette(
    path: str | os.PathLike[str],
    *,
    played: set[int] | None = None,
    format: CassetteFormat | str | None = None,
) -> CheckReport:
    """Lint a cassette file; ``played`` (interaction indexes) enables the unused report.

    A YAML cassette is first checked for alias bombs (a few hundred bytes that
    expand to billions of nodes), which are refused as unparseable.
    """
    p = Path(path)
    if p.is_file() and format_for(p, format) is CassetteFormat.YAML:
        from simulator.core.yamlsafe import YamlBombError, safe_load

        try:
            safe_load(p.read_bytes())
        except YamlBombError as err:
            raise CassetteFormatError(f"{p}: refused: {err}") from err
        except yaml.YAMLError:
            pass  # read_raw reports it with its own message
    return check_data(read_raw(path, format=format), path=str(path), played=played)


def read_played_log(path: str | os.PathLike[str]) -> set[int]:
    """Interaction indexes a replay answered with, from the proxy's traffic log (JSON lines)
    or a JSON list of integers."""
    text = Path(path).read_text(encoding="utf-8").strip()
    if text.startswith("["):
        return {int(i) for i in json.loads(text)}
    played = set()
    for line in text.splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        if entry.get("source") == "cassette" and entry.get("interaction") is not None:
            played.add(int(entry["interaction"]))
    return played
