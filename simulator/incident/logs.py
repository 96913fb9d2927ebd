"""Reading a provisioning-log export: every shape an identity engineer ends up holding.

Graph ``GET /auditLogs/provisioning`` answers one page ``{"value": [...], "@odata.nextLink": ...}``;
a script that follows the next links keeps a list of pages; the portal's *Download* (JSON) and
PowerShell's ``Get-MgAuditLogProvisioning | ConvertTo-Json`` give a plain array of
provisioningObjectSummary objects, PowerShell's with PascalCase property names
(``ProvisioningStatusInfo.ErrorInformation.ErrorCode``).  All of them become one list of
:class:`LogRecord`, oldest first, with Graph's camelCase meaning.

What is wrong with a file is a :class:`LogsInvalid` naming the file and the element
(``LOGS.json: value[3].activityDateTime: ...``).  Leniency is limited to what real exports carry:
a byte-order mark and UTF-16 (Windows PowerShell's ``Out-File``), a trailing comma (Microsoft's
own documentation example has one), ``/Date(ms)/`` times and seven-digit fractions (PowerShell),
entries repeated across overlapping pages.  Each is reported in :attr:`LogSet.notes`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import LogsInvalid

__all__ = ["LogRecord", "LogSet", "Identity", "StepInfo", "read_logs", "parse_logs", "ACTIONS", "STATUSES"]

#: provisioningAction values (Graph: create, update, delete, stageddelete, disable, other, unknownFutureValue)
ACTIONS = {"create": "create", "update": "update", "delete": "delete", "stageddelete": "stagedDelete",
           "disable": "disable", "other": "other", "unknownfuturevalue": "unknownFutureValue"}
#: provisioningStatusInfo.status values
STATUSES = {"success", "warning", "failure", "skipped", "unknownfuturevalue"}

#: What PowerShell's ConvertTo-Json writes for an object below its -Depth (default 2).
_CUT_OFF = re.compile(r"^(Microsoft\.Graph\.PowerShell\.Models\.|System\.Collections\.)[\w.`\[\]]+$")
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


@dataclass(frozen=True)
class Identity:
    """A provisionedIdentity: ``sourceIdentity`` or ``targetIdentity``."""

    id: str
    display_name: str
    type: str
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def kind(self) -> str | None:
        """``User`` or ``Group`` (the objects provsim provisions), else None."""
        lowered = self.type.lower()
        return "User" if lowered == "user" else "Group" if lowered == "group" else None


@dataclass(frozen=True)
class StepInfo:
    """One provisioningStep."""

    type: str
    name: str
    status: str
    description: str
    details: dict[str, str]


@dataclass
class LogRecord:
    """One provisioningObjectSummary, with Graph's names, in plain Python values."""

    index: int
    element: str
    id: str
    at: datetime
    cycle_id: str
    job_id: str
    action: str
    status: str
    error_code: str | None
    reason: str
    additional_details: str
    modified: list[tuple[str, str | None, str | None]]
    source: Identity
    target: Identity
    initiator_type: str
    initiator_name: str
    steps: list[StepInfo]
    duration_ms: int
    target_system: str
    source_system: str
    raw: dict[str, Any]

    @property
    def on_demand(self) -> bool:
        """Provision on demand: a person (or an app) started it, not the service's schedule."""
        return self.initiator_type.lower() in ("user", "application", "app")

    @property
    def begin(self) -> datetime:
        """When the action began: its time less its duration."""
        return self.at - timedelta(milliseconds=max(0, self.duration_ms))

    @property
    def matched(self) -> bool:
        """Does the entry show the object looked up in the target (a matching step)?"""
        return any(step.type == "matching" for step in self.steps)

    @property
    def nothing_to_change(self) -> bool:
        """A full cycle looked at the object and found it as it should be (Other, Skipped,
        ``EntrySynchronizationSkipped``), not held back by a target object action switched off."""
        return self.error_code == "EntrySynchronizationSkipped" and "target object action" not in self.reason

    def modified_map(self) -> dict[str, tuple[str | None, str | None]]:
        return {name: (old, new) for name, old, new in self.modified}

    def step_details(self) -> dict[str, str]:
        """Every step's details, merged (later steps win)."""
        out: dict[str, str] = {}
        for step in self.steps:
            out.update(step.details)
        return out

    def summary(self) -> str:
        """``2026-01-05 09:40:01 update failure User Alex Wilber (InternalServerError)``"""
        code = f" ({self.error_code})" if self.error_code else ""
        who = self.source.display_name or self.source.id or self.target.display_name
        return f"{self.at.strftime('%Y-%m-%d %H:%M:%S')} {self.action} {self.status} {self.source.type} {who}{code}"


@dataclass
class LogSet:
    records: list[LogRecord]
    #: what was read leniently, or left out (repeated entries, more pages)
    notes: list[str]
    path: str

    def by_id(self) -> dict[str, LogRecord]:
        return {r.id: r for r in self.records}


# ------------------------------------------------------------------------------------- reading


def read_logs(path: str | Path) -> LogSet:
    """Read LOGS.json; :class:`LogsInvalid` (file and element) when it is not a provisioning-log export."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise LogsInvalid(str(path), "", f"cannot read the file: {err.strerror or err}") from err
    return parse_logs(raw, str(path))


def parse_logs(raw: bytes | str, name: str = "LOGS.json") -> LogSet:
    notes: list[str] = []
    text = _decode(raw, name, notes) if isinstance(raw, bytes) else raw
    data = _load_json(text, name, notes)
    records: list[LogRecord] = []
    seen: dict[str, str] = {}
    for element, item in _entries(data, name, notes):
        record = _record(item, element, len(records), name)
        if record.id in seen:
            notes.append(f"{element}: the entry {record.id} was already read at {seen[record.id]} (overlapping pages); "
                         "read once")
            continue
        seen[record.id] = element
        records.append(record)
    # Graph answers newest first: oldest first, and the file's order among entries of the same instant.
    if len(records) > 1 and records[0].at > records[-1].at:
        records.reverse()
    records.sort(key=lambda r: r.at)
    for i, record in enumerate(records):
        record.index = i
    return LogSet(records, notes, name)


def _decode(raw: bytes, name: str, notes: list[str]) -> str:
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        notes.append("the file is UTF-16 (Windows PowerShell's Out-File): read as such")
        return raw.decode("utf-16")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise LogsInvalid(name, "", f"not UTF-8 or UTF-16 text (byte {err.start}): export the logs as JSON") from err


def _load_json(text: str, name: str, notes: list[str]) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as first:
        relaxed, commas = _without_trailing_commas(text)
        if commas:
            try:
                data = json.loads(relaxed)
            except json.JSONDecodeError:
                pass
            else:
                where = ", ".join(f"line {line}" for line in commas[:5]) + (" ..." if len(commas) > 5 else "")
                notes.append(f"a trailing comma (not JSON) was ignored at {where}")
                return data
        raise LogsInvalid(name, f"line {first.lineno} column {first.colno}", f"not JSON: {first.msg}") from first


def _without_trailing_commas(text: str) -> tuple[str, list[int]]:
    """``[1, 2,]`` -> ``[1, 2 ]`` outside strings; the lines where a comma went."""
    out: list[str] = []
    lines: list[int] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            line += text.count("\n", i, j + 1)
            i = j + 1
            continue
        if c == ",":
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j < n and text[j] in "]}":
                lines.append(line)
                out.append(" ")
                i += 1
                continue
        if c == "\n":
            line += 1
        out.append(c)
        i += 1
    return "".join(out), lines


def _entries(data: Any, name: str, notes: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(element path, entry) for a page, a list of pages or a plain array."""
    if isinstance(data, dict):
        value = _get(data, "value")
        if not isinstance(value, list):
            raise LogsInvalid(name, "", "a JSON object must be a Graph page {\"value\": [...]} of provisioningObjectSummary "
                                        "objects (or give a plain array, or a list of pages)")
        yield from _page(data, "value", name, notes)
        return
    if not isinstance(data, list):
        raise LogsInvalid(name, "", "expected a Graph page {\"value\": [...]}, a list of pages, or an array of "
                                    "provisioningObjectSummary objects")
    pages = [i for i, item in enumerate(data) if isinstance(item, dict) and isinstance(_get(item, "value"), list)]
    if data and len(pages) == len(data):
        for i, page in enumerate(data):
            yield from _page(page, f"[{i}].value", name, notes, last=i == len(data) - 1)
        return
    if pages:
        raise LogsInvalid(name, f"[{pages[0]}]", "a Graph page inside an array of entries: give either a list of pages "
                                                "or a plain array of provisioningObjectSummary objects")
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise LogsInvalid(name, f"[{i}]", f"a provisioningObjectSummary is a JSON object, not {_kind(item)}")
        yield f"[{i}]", item


def _page(page: dict[str, Any], prefix: str, name: str, notes: list[str], *, last: bool = True) -> Iterator[tuple[str, dict[str, Any]]]:
    if last and _get(page, "@odata.nextLink"):
        notes.append(f"{prefix.rsplit('.', 1)[0] or 'the page'} has an @odata.nextLink: the logs go on beyond this file "
                     "(follow the next links, or download every page)")
    for i, item in enumerate(_get(page, "value")):
        if not isinstance(item, dict):
            raise LogsInvalid(name, f"{prefix}[{i}]", f"a provisioningObjectSummary is a JSON object, not {_kind(item)}")
        yield f"{prefix}[{i}]", item


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(type(value), "a number")


# ------------------------------------------------------------------------------ one entry


def _get(obj: dict[str, Any], key: str) -> Any:
    """A property by Graph's camelCase name or PowerShell's PascalCase one."""
    if key in obj:
        return obj[key]
    pascal = key[:1].upper() + key[1:]
    if pascal in obj:
        return obj[pascal]
    lowered = key.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == lowered:
            return v
    return None


def _object(item: dict[str, Any], key: str, element: str, name: str) -> dict[str, Any]:
    value = _get(item, key)
    if value is None:
        return {}
    if isinstance(value, str) and _CUT_OFF.match(value.strip()):
        raise LogsInvalid(name, f"{element}.{key}", f"PowerShell cut this object off ({value.strip()!r}): ConvertTo-Json "
                                                    "stops at -Depth 2 by default; export again with "
                                                    "`Get-MgAuditLogProvisioning -All | ConvertTo-Json -Depth 10`")
    if not isinstance(value, dict):
        raise LogsInvalid(name, f"{element}.{key}", f"expected a JSON object, got {_kind(value)}")
    extra = _get(value, "additionalProperties")
    if isinstance(extra, dict) and len(value) == 1:
        return extra  # a PowerShell model that holds only AdditionalProperties
    return value


def _text(value: Any, element: str, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise LogsInvalid(name, element, f"expected text, got {_kind(value)}")


def _optional_text(value: Any, element: str, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _text(value, element, name)


def _time(value: Any, element: str, name: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise LogsInvalid(name, element, "every entry needs its activityDateTime (ISO-8601 UTC)")
    text = value.strip()
    ms = _MS_DATE.match(text)
    if ms:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(ms.group(1)))
    text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    # PowerShell writes seven fraction digits; Python reads up to six.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise LogsInvalid(name, element, f"not an ISO-8601 time: {value!r}") from err
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _identity(item: dict[str, Any], key: str, element: str, name: str) -> Identity:
    obj = _object(item, key, element, name)
    details = _object(obj, "details", f"{element}.{key}", name) if obj else {}
    return Identity(_text(_get(obj, "id"), f"{element}.{key}.id", name),
                    _text(_get(obj, "displayName"), f"{element}.{key}.displayName", name),
                    _text(_get(obj, "identityType"), f"{element}.{key}.identityType", name),
                    {str(k): v for k, v in details.items()})


def _array(item: dict[str, Any], key: str, what: str, element: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    """(element path, object) of each member of an array property (absent: none)."""
    value = _get(item, key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise LogsInvalid(name, f"{element}.{key}", f"expected an array, got {_kind(value)}")
    out = []
    for i, member in enumerate(value):
        where = f"{element}.{key}[{i}]"
        if isinstance(member, str) and _CUT_OFF.match(member.strip()):
            raise LogsInvalid(name, where, "PowerShell cut this object off: export again with `ConvertTo-Json -Depth 10`")
        if not isinstance(member, dict):
            raise LogsInvalid(name, where, f"{what} is a JSON object, not {_kind(member)}")
        out.append((where, member))
    return out


def _record(item: dict[str, Any], element: str, index: int, name: str) -> LogRecord:
    entry_id = _get(item, "id")
    if not isinstance(entry_id, str) or not entry_id.strip():
        raise LogsInvalid(name, f"{element}.id", "every provisioningObjectSummary has an id (a string)")
    at = _time(_get(item, "activityDateTime"), f"{element}.activityDateTime", name)
    action_raw = _text(_get(item, "provisioningAction"), f"{element}.provisioningAction", name)
    action = ACTIONS.get(action_raw.lower(), action_raw or "unknownFutureValue")
    status_info = _object(item, "provisioningStatusInfo", element, name)
    status = _text(_get(status_info, "status"), f"{element}.provisioningStatusInfo.status", name).lower() or "unknownfuturevalue"
    error = _object(status_info, "errorInformation", f"{element}.provisioningStatusInfo", name) if status_info else {}
    modified: list[tuple[str, str | None, str | None]] = []
    for where, prop in _array(item, "modifiedProperties", "a modifiedProperty", element, name):
        modified.append((_text(_get(prop, "displayName"), f"{where}.displayName", name),
                         _optional_text(_get(prop, "oldValue"), f"{where}.oldValue", name),
                         _optional_text(_get(prop, "newValue"), f"{where}.newValue", name)))
    steps: list[StepInfo] = []
    for where, step in _array(item, "provisioningSteps", "a provisioningStep", element, name):
        details = _object(step, "details", where, name)
        steps.append(StepInfo(_text(_get(step, "provisioningStepType"), f"{where}.provisioningStepType", name).lower(),
                              _text(_get(step, "name"), f"{where}.name", name),
                              _text(_get(step, "status"), f"{where}.status", name).lower(),
                              _text(_get(step, "description"), f"{where}.description", name),
                              {str(k): _text(v, f"{where}.details.{k}", name) if not isinstance(v, (list, dict))
                               else json.dumps(v) for k, v in details.items()}))
    initiator = _object(item, "initiatedBy", element, name)
    duration = _get(item, "durationInMilliseconds")
    if isinstance(duration, bool) or not isinstance(duration, (int, float, type(None))):
        raise LogsInvalid(name, f"{element}.durationInMilliseconds", f"expected a number, got {_kind(duration)}")
    return LogRecord(
        index=index, element=element, id=entry_id.strip(), at=at,
        cycle_id=_text(_get(item, "cycleId"), f"{element}.cycleId", name),
        job_id=_text(_get(item, "jobId"), f"{element}.jobId", name),
        action=action, status=status,
        error_code=_optional_text(_get(error, "errorCode"), f"{element}.errorCode", name) if error else None,
        reason=_text(_get(error, "reason"), f"{element}.reason", name) if error else "",
        additional_details=_text(_get(error, "additionalDetails"), f"{element}.additionalDetails", name) if error else "",
        modified=modified,
        source=_identity(item, "sourceIdentity", element, name),
        target=_identity(item, "targetIdentity", element, name),
        # Graph v1.0 names it initiatorType; Microsoft's list example writes initiatingType.
        initiator_type=_text(_get(initiator, "initiatorType") or _get(initiator, "initiatingType"),
                             f"{element}.initiatedBy.initiatorType", name),
        initiator_name=_text(_get(initiator, "displayName"), f"{element}.initiatedBy.displayName", name),
        steps=steps,
        duration_ms=int(duration or 0),
        target_system=_text(_get(_object(item, "targetSystem", element, name), "displayName"), f"{element}.targetSystem", name),
        source_system=_text(_get(_object(item, "sourceSystem", element, name), "displayName"), f"{element}.sourceSystem", name),
        raw=item,
    )
