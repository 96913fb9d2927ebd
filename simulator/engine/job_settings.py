"""Every job setting and secret the engine reads: one table, parsed where the values arrive.

Graph keeps a job's settings as ``synchronizationJobSettings`` (``[{name, value}]``, both strings)
and a service principal's secrets as ``synchronization/secrets`` (``[{key, value}]``, strings).
This module declares each one the engine reads (name, type, default, bounds, one line of meaning)
and turns the strings into typed values:

* :data:`JOB_SETTINGS` / :class:`JobSettings`: the job settings (Graph's
  ``QuarantineTooManyDeletesThreshold``, and provsim's own names for the quarantine rules Microsoft
  documents but does not expose, docs/fidelity.md);
* :data:`SECRETS` / :class:`JobSecrets` with :class:`NotificationSettings`: the secrets (tenant URL,
  secret token, scope, SkipOutOfScopeDeletions, the notification settings with the
  accidental-deletion guard).

A value is parsed when it arrives (``PATCH …/jobs/{id}``, ``PUT …/secrets``): a bad one raises
:class:`SettingError` naming the setting, which the Graph surface answers as a 400.  Inside the
engine only the typed values are read.  A value stored by an older provsim that no longer parses
falls back to its default (``strict=False``), logged, so one bad value never stops a job's cycles.

The table is the source of the scenario schema's ``job_settings`` block and of the settings table
in docs/fidelity.md (:func:`scenario_schema_properties`, :func:`markdown_table`); a test keeps both
in step, and ``python -m simulator.engine.job_settings`` rewrites them.  The dashboard's setup page
reads the same table (:func:`describe`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from simulator.core import format_duration, parse_duration

from .errors import EngineError
from .target_profile import DEFAULT_PROFILE, TargetProfile, parse_profile

__all__ = [
    "Setting", "SettingType", "SettingError", "JobSettings", "JobSecrets", "NotificationSettings",
    "JOB_SETTINGS", "SECRETS", "SETTING_NAMES", "parse_job_settings", "parse_secrets", "check_setting", "check_secret",
    "describe", "scenario_schema_properties", "markdown_table", "DOCS_BEGIN", "DOCS_END",
]

log = logging.getLogger(__name__)


class SettingError(EngineError):
    """A job setting or secret whose value is not valid; ``name`` is the setting."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = f"{name}: {message}"


class SettingType(str, Enum):
    """How a setting's string is read."""

    INTEGER = "integer"  # a whole number, within bounds
    PERCENT = "percent"  # a number from 0 to 100
    DURATION = "duration"  # an ISO-8601 duration (PT40M, P28D)
    PROFILE = "profile"  # a target profile name (simulator.engine.target_profile)
    BOOLEAN = "boolean"  # "True" / "False" (any case), as the portal saves them
    URL = "url"  # an http(s) URL
    TEXT = "text"  # any string
    NOTIFICATIONS = "notifications"  # SyncNotificationSettings: a JSON object


@dataclass(frozen=True)
class Setting:
    """One declared setting or secret."""

    name: str
    type: SettingType
    default: Any
    meaning: str
    #: whose name it is: "Graph" (the real service's) or "provsim" (provsim's own, docs/fidelity.md)
    origin: str = "provsim"
    minimum: float | None = None
    maximum: float | None = None
    #: the attribute of JobSettings / JobSecrets that holds the parsed value
    attribute: str = ""
    #: a secret Graph never returns (the secret token)
    hidden: bool = False

    def parse(self, raw: Any) -> Any:
        """The typed value of ``raw`` (a string, as Graph stores it); raises :class:`SettingError`."""
        text = raw if isinstance(raw, str) else None
        if self.type in (SettingType.INTEGER, SettingType.PERCENT):
            percent = self.type is SettingType.PERCENT
            low, high = (0.0, 100.0) if percent else (self.minimum, self.maximum)
            number = _number(raw, whole=not percent)
            if number is None or low is not None and number < low or high is not None and number > high:
                raise SettingError(self.name, f"{raw!r} is not {self.expected()}")
            return number
        if self.type is SettingType.DURATION:
            try:
                value = parse_duration(str(raw))
            except ValueError:
                raise SettingError(self.name, f"{raw!r} is not {self.expected()}") from None
            if value <= timedelta(0):
                raise SettingError(self.name, f"{raw!r} is not {self.expected()}")
            return value
        if self.type is SettingType.PROFILE:
            try:
                return parse_profile(str(raw))
            except ValueError as err:
                raise SettingError(self.name, str(err)) from None
        if self.type is SettingType.BOOLEAN:
            if text is not None and text.strip().lower() in ("true", "false"):
                return text.strip().lower() == "true"
            raise SettingError(self.name, f"{raw!r} is not {self.expected()}")
        if self.type is SettingType.URL:
            if text is None or not re.match(r"^https?://[^/\s?#]+", text.strip()):
                raise SettingError(self.name, f"{raw!r} is not {self.expected()}")
            return text.strip()
        if self.type is SettingType.NOTIFICATIONS:
            return NotificationSettings.parse(raw)
        if text is None:
            raise SettingError(self.name, f"{raw!r} is not {self.expected()}")
        return text

    def expected(self) -> str:
        """What a value must be, in words ("a whole number from 1 up")."""
        if self.type is SettingType.INTEGER:
            low = f"{self.minimum:g}" if self.minimum is not None else None
            return f"a whole number from {low} up" if low is not None else "a whole number"
        if self.type is SettingType.PERCENT:
            return "a number from 0 to 100 (percent)"
        if self.type is SettingType.DURATION:
            return "an ISO-8601 duration longer than zero, such as PT40M, PT6H or P28D"
        if self.type is SettingType.PROFILE:
            return "one of " + ", ".join(p.value for p in TargetProfile)
        if self.type is SettingType.BOOLEAN:
            return "True or False"
        if self.type is SettingType.URL:
            return "an http(s) URL such as https://api.mypurecloud.com/api/v2/scim/v2"
        if self.type is SettingType.NOTIFICATIONS:
            return ('a JSON object such as {"Enabled": true, "Recipients": "ops@contoso.com", '
                    '"DeleteThresholdEnabled": true, "DeleteThresholdValue": 500}')
        return "a string"

    def default_text(self) -> str:
        """The default as Graph would store it ("500", "P28D", "genesys")."""
        if self.default is None:
            return ""
        if isinstance(self.default, timedelta):
            return format_duration(self.default)
        if isinstance(self.default, bool):
            return "True" if self.default else "False"
        if isinstance(self.default, float) and self.default.is_integer():
            return str(int(self.default))
        return str(self.default)


def _number(raw: Any, *, whole: bool) -> int | float | None:
    if isinstance(raw, bool):
        return None
    try:
        value = float(str(raw).strip())
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):  # NaN, infinity
        return None
    if whole:
        return int(value) if value.is_integer() else None
    return value


def _declare(setting: Setting) -> Any:
    """A dataclass field whose default and declaration come from one :class:`Setting`."""
    return field(default=setting.default, metadata={"setting": setting})


# --------------------------------------------------------------------------- the job settings
@dataclass(frozen=True)
class JobSettings:
    """A job's settings, typed.  ``explicit``: the names the admin set (a default is not a choice)."""

    delete_threshold: int = _declare(Setting(
        "QuarantineTooManyDeletesThreshold", SettingType.INTEGER, 500, minimum=1, origin="Graph",
        meaning="Accidental-deletion guard: the most disables and deletes one cycle may send. Setting it "
                "switches the guard on (as does DeleteThresholdEnabled in SyncNotificationSettings); "
                "left at its default the guard is off."))
    successive_complete_failures: int = _declare(Setting(
        "QuarantineSuccessiveCompleteFailures", SettingType.INTEGER, 6, minimum=1,
        meaning="Cycles in a row in which every call to the target failed on its side (5xx, timeout, dropped "
                "connection) before the job is quarantined (EncounteredQuarantineException)."))
    evaluation_minimum_failures: int = _declare(Setting(
        "QuarantineEvaluationMinimumFailures", SettingType.INTEGER, 5000, minimum=0,
        meaning="The escrow rules below apply from this many objects in escrow."))
    escrow_proportion_threshold: float = _declare(Setting(
        "QuarantineEscrowProportionThreshold", SettingType.PERCENT, 40.0,
        meaning="More than this percent of a cycle's events failed: EncounteredEscrowProportionThreshold."))
    base_escrow_threshold: int = _declare(Setting(
        "QuarantineBaseEscrowThreshold", SettingType.INTEGER, 40000, minimum=0,
        meaning="More objects than this in escrow: EncounteredBaseEscrowThreshold."))
    total_escrow_threshold: int = _declare(Setting(
        "QuarantineTotalEscrowThreshold", SettingType.INTEGER, 60000, minimum=0,
        meaning="More failures than this in escrow, reference failures included: EncounteredTotalEscrowThreshold "
                "(no minimum)."))
    maximum_duration: timedelta = _declare(Setting(
        "QuarantineMaximumDuration", SettingType.DURATION, timedelta(days=28),
        meaning="Longer than this in quarantine: the job is disabled."))
    members_per_patch: int = _declare(Setting(
        "MaxMembersPerPatch", SettingType.INTEGER, 1000, minimum=1,
        meaning="Members per group PATCH (the real batch size is unconfirmed)."))
    max_request_bytes: int = _declare(Setting(
        "TargetMaxRequestBytes", SettingType.INTEGER, 512000, minimum=1,
        meaning="Bytes per request body (Genesys' request.bytes.max; a 413 that names a lower limit lowers it)."))
    split_trims_whitespace: bool = _declare(Setting(
        "ExpressionSplitTrimsWhitespace", SettingType.BOOLEAN, True,
        meaning="Split() trims the whitespace around each piece (True, as the expression page's example shows) "
                "or keeps it (False)."))
    target_profile: TargetProfile = _declare(Setting(
        "TargetProfile", SettingType.PROFILE, DEFAULT_PROFILE,
        meaning="What the target app takes: genesys (PureCloud by Genesys: groups updated only) or scim (a "
                "non-gallery SCIM app: groups created, renamed and deleted; aadOptscim062020 honoured)."))
    explicit: frozenset[str] = frozenset()

    def is_set(self, name: str) -> bool:
        """Did the admin set this setting (rather than leave its default)?"""
        return name in self.explicit


def _table(cls: type) -> tuple[Setting, ...]:
    out = []
    for f in fields(cls):
        setting = f.metadata.get("setting")
        if setting is not None:
            out.append(replace(setting, attribute=f.name))
    return tuple(out)


#: Every job setting the engine reads, in the order the docs list them.
JOB_SETTINGS: tuple[Setting, ...] = _table(JobSettings)
SETTING_NAMES = frozenset(s.name for s in JOB_SETTINGS)
_BY_NAME = {s.name: s for s in JOB_SETTINGS}


def check_setting(name: str, raw: Any) -> str:
    """The value to store for ``name`` (its canonical text), or :class:`SettingError`.  Names the
    engine does not read are kept as they came (Graph carries settings provsim does not interpret,
    such as ``AzureIngestionAttributeOptimization``)."""
    setting = _BY_NAME.get(name)
    if setting is None:
        if raw is not None and not isinstance(raw, (str, int, float, bool)):
            raise SettingError(name, f"{raw!r} is not a string")
        return "True" if raw is True else "False" if raw is False else "" if raw is None else str(raw)
    value = setting.parse(raw)
    if isinstance(value, TargetProfile):
        return value.value
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_job_settings(pairs: Iterable[Mapping[str, Any]], *, explicit: Iterable[str] = (),
                       strict: bool = True) -> JobSettings:
    """``synchronizationJobSettings`` (``[{name, value}]``) as :class:`JobSettings`.  ``strict=False``:
    a stored value that does not parse is logged and replaced by its default."""
    settings = JobSettings(explicit=frozenset(explicit))
    for pair in pairs:
        setting = _BY_NAME.get(str(pair.get("name")))
        if setting is None:
            continue
        try:
            settings = replace(settings, **{setting.attribute: setting.parse(pair.get("value"))})
        except SettingError as err:
            if strict:
                raise
            log.warning("ignoring the stored job setting %s (%s); using its default %s", setting.name, err.message,
                        setting.default_text())
    return settings


# --------------------------------------------------------------------------- the secrets
@dataclass(frozen=True)
class NotificationSettings:
    """The ``SyncNotificationSettings`` secret: notification e-mail and the accidental-deletion guard."""

    enabled: bool = False
    recipients: tuple[str, ...] = ()
    #: the portal's "Prevent accidental deletions" box: True, False, or None when never saved
    delete_threshold_enabled: bool | None = None
    delete_threshold_value: int | None = None

    @classmethod
    def parse(cls, raw: Any) -> NotificationSettings:
        if raw in (None, ""):
            return cls()
        try:
            data = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            raise SettingError("SyncNotificationSettings", f"{raw!r} is not JSON") from None
        if not isinstance(data, dict):
            raise SettingError("SyncNotificationSettings", "must be a JSON object")
        recipients = data.get("Recipients") or ""
        if not isinstance(recipients, str):
            raise SettingError("SyncNotificationSettings", "Recipients must be a string of addresses")
        addresses = tuple(r.strip() for r in recipients.replace(";", ",").split(",") if r.strip())
        enabled = data.get("Enabled", bool(addresses))
        threshold_enabled = data.get("DeleteThresholdEnabled")
        for key, value in (("Enabled", enabled), ("DeleteThresholdEnabled", threshold_enabled)):
            if value is not None and not isinstance(value, bool):
                if isinstance(value, str) and value.lower() in ("true", "false"):
                    continue
                raise SettingError("SyncNotificationSettings", f"{key} must be true or false, got {value!r}")
        threshold = data.get("DeleteThresholdValue")
        number = None if threshold in (None, "") else _number(threshold, whole=True)
        if threshold not in (None, "") and (number is None or number < 1):
            raise SettingError("SyncNotificationSettings", f"DeleteThresholdValue must be a whole number from 1 up, "
                               f"got {threshold!r}")
        return cls(enabled=_truthy(enabled), recipients=addresses,
                   delete_threshold_enabled=None if threshold_enabled is None else _truthy(threshold_enabled),
                   delete_threshold_value=int(number) if number is not None else None)

    @property
    def sends(self) -> bool:
        """Does the service send e-mails (enabled, with at least one recipient)?"""
        return self.enabled and bool(self.recipients)


def _truthy(value: Any) -> bool:
    return value is True or isinstance(value, str) and value.lower() == "true"


@dataclass(frozen=True)
class JobSecrets:
    """A service principal's synchronization secrets, typed."""

    base_address: str | None = _declare(Setting(
        "BaseAddress", SettingType.URL, None, origin="Graph",
        meaning="The tenant URL: the SCIM base, e.g. https://api.mypurecloud.com/api/v2/scim/v2."))
    secret_token: str | None = _declare(Setting(
        "SecretToken", SettingType.TEXT, None, origin="Graph", hidden=True,
        meaning="The bearer token sent to the target (blank: no Authorization header)."))
    sync_all: bool = _declare(Setting(
        "SyncAll", SettingType.BOOLEAN, False, origin="Graph",
        meaning="Sync all users and groups (True) or only the assigned ones (False)."))
    skip_out_of_scope_deletions: bool = _declare(Setting(
        "SkipOutOfScopeDeletions", SettingType.BOOLEAN, False, origin="Graph",
        meaning="Objects leaving scope are not disabled."))
    notifications: NotificationSettings = _declare(Setting(
        "SyncNotificationSettings", SettingType.NOTIFICATIONS, NotificationSettings(), origin="Graph",
        meaning="Notification e-mail (Enabled, Recipients) and the accidental-deletion guard "
                "(DeleteThresholdEnabled, DeleteThresholdValue)."))

    @property
    def entra_quirks_flag(self) -> bool:
        """Does the tenant URL carry the ``aadOptscim062020`` flag?"""
        return "aadoptscim062020" in (self.base_address or "").lower()


#: Every secret the engine reads.
SECRETS: tuple[Setting, ...] = _table(JobSecrets)
_SECRET_BY_NAME = {s.name: s for s in SECRETS}


def check_secret(key: str, raw: str | None) -> None:
    """Refuse a secret the engine reads whose value does not parse (:class:`SettingError`)."""
    setting = _SECRET_BY_NAME.get(key)
    if setting is not None and raw not in (None, ""):
        setting.parse(raw)


def parse_secrets(pairs: Iterable[Mapping[str, Any]]) -> JobSecrets:
    """``[{key, value}]`` as :class:`JobSecrets`; a stored value that does not parse is logged and left
    at its default (values are checked when they are saved, :func:`check_secret`)."""
    secrets = JobSecrets()
    for pair in pairs:
        setting = _SECRET_BY_NAME.get(str(pair.get("key")))
        raw = pair.get("value")
        if setting is None or raw in (None, ""):
            continue
        try:
            secrets = replace(secrets, **{setting.attribute: setting.parse(raw)})
        except SettingError as err:
            log.warning("ignoring the stored secret %s: %s", setting.name, err.message)
    return secrets


# --------------------------------------------------------------------------- documentation
def describe() -> list[dict[str, Any]]:
    """The table as data (for the dashboard and ``--json``): name, kind, type, default, bounds, meaning."""
    out = []
    for kind, table in (("setting", JOB_SETTINGS), ("secret", SECRETS)):
        for s in table:
            out.append({"name": s.name, "kind": kind, "type": s.type.value, "default": s.default_text() or None,
                        "minimum": s.minimum, "maximum": 100 if s.type is SettingType.PERCENT else s.maximum,
                        "expected": s.expected(), "meaning": s.meaning, "origin": s.origin, "hidden": s.hidden})
    return out


def scenario_schema_properties() -> dict[str, dict[str, Any]]:
    """The ``properties`` of the scenario schema's ``job_settings`` verb, one per job setting."""
    out: dict[str, dict[str, Any]] = {}
    for s in JOB_SETTINGS:
        node: dict[str, Any]
        if s.type is SettingType.INTEGER:
            node = {"type": "integer", "minimum": int(s.minimum or 0)}
        elif s.type is SettingType.PERCENT:
            node = {"type": "number", "minimum": 0, "maximum": 100}
        elif s.type is SettingType.DURATION:
            node = {"type": "string", "pattern": r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$",
                    "x-expected": "an ISO-8601 duration such as PT6H or P28D"}
        elif s.type is SettingType.PROFILE:
            node = {"enum": [p.value for p in TargetProfile]}
        elif s.type is SettingType.BOOLEAN:
            node = {"type": "boolean"}
        else:  # not a job setting type
            node = {"type": "string"}
        node["description"] = f"{s.meaning.rstrip('.')} (default {s.default_text()})."
        out[s.name] = node
    return out


DOCS_BEGIN = ("<!-- BEGIN job settings: generated from simulator/engine/job_settings.py by "
              "`python -m simulator.engine.job_settings`; edit the table there, not here -->")
DOCS_END = "<!-- END job settings -->"


def markdown_table() -> str:
    """The settings table of docs/fidelity.md, between its markers."""
    rows = [DOCS_BEGIN, "", "| setting | whose | default | value | meaning |", "|---|---|---|---|---|"]
    for s in JOB_SETTINGS:
        rows.append(f"| `{s.name}` | {s.origin} | {s.default_text()} | {s.expected()} | {s.meaning} |")
    rows += ["", "| secret | value | meaning |", "|---|---|---|"]
    for s in SECRETS:
        rows.append(f"| `{s.name}` | {s.expected()} | {s.meaning} |")
    rows += ["", DOCS_END]
    return "\n".join(rows) + "\n"


def splice_markdown(page: str) -> str:
    """``page`` (docs/fidelity.md) with its generated settings table replaced."""
    begin, end = page.find(DOCS_BEGIN), page.find(DOCS_END)
    if begin < 0 or end < begin:
        raise ValueError("the page has no generated job-settings table (BEGIN/END markers)")
    return page[:begin] + markdown_table() + page[end + len(DOCS_END) + 1:]


_PROPERTIES = re.compile(r'(?P<head>\n(?P<indent> *)"job_settings": \{\n(?:.*\n)*?(?P<pindent> *)"properties": \{\n)'
                         r'(?P<body>(?:.*\n)*?)(?P<tail>(?P=pindent)\},?\n)')


def splice_scenario_schema(text: str) -> str:
    """The scenario schema's text with the ``job_settings`` properties replaced (one property a line,
    the file's own style), the rest of the file untouched."""
    found = _PROPERTIES.search(text)
    if found is None:
        raise ValueError("the scenario schema has no job_settings properties block")
    indent = found.group("pindent") + "  "
    props = scenario_schema_properties()
    lines = [f"{indent}{json.dumps(name)}: {json.dumps(node, ensure_ascii=False)}" for name, node in props.items()]
    body = ",\n".join(lines) + "\n"
    return text[:found.start("body")] + body + text[found.end("body"):]


def _update(root: Path) -> list[Path]:
    """Rewrite the generated parts under ``root`` (a checkout); returns the files that changed."""
    changed = []
    for path, splice in ((root / "simulator" / "scenario" / "scenario.schema.json", splice_scenario_schema),
                         (root / "docs" / "fidelity.md", splice_markdown)):
        text = path.read_text(encoding="utf-8")
        new = splice(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    import sys

    for changed_path in _update(Path(__file__).resolve().parents[2]):
        sys.stdout.write(f"updated {changed_path}\n")
