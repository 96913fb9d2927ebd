"""The target's failures as fault rules.

A run whose every entry failed on the service's side opens a window (every SCIM request answers the
logged status, until the first run that succeeds again: an outage).  A failure among successes is
the object's own: a request to an object Genesys already holds is named by its path
(``${genesys_user:NAME}``) and fails from the first failure until the run in which that object
succeeds again (what a conflicting account, or data Genesys refuses, does: every retry fails too);
a create, or a write to an object the same run created, is the n-th such request of the run
(``after``) and fails once.  A failed lookup before a create is written as a
failed create: the entry is the same (create, failure, its code), and lookups cannot be counted
from logs (the service sends some the logs never show).
"""

from __future__ import annotations

import re
from typing import Any

from .logs import LogRecord
from .runs import Run
from .state import FAULT_STATUS, SCIM, ImportState, at_text, key_of

__all__ = ["FaultPlanner", "SERVICE_CODES", "STATE_CODES"]

#: codes that say the service could not reach or use Genesys at all (an outage, not one object)
SERVICE_CODES = {"InternalServerError", "Timeout", "WebExceptionProtocolError", "Unauthorized", "InsufficientRights",
                 "SystemForCrossDomainIdentityManagementServiceIncompatible", "NotImplemented"}
#: skipped/warning codes that describe a state the story recreates, not a failure to inject
STATE_CODES = {"UserDisabled", "NotEffectivelyEntitled", "GroupMissingInTarget", "EntrySynchronizationSkipped",
               "TooManyDeletes", "RedundantExport"}
_DETAILS = re.compile(r"^(GET|POST|PUT|PATCH|DELETE)\s+(\S+)\s+->\s+(\d{3}|no response)", re.IGNORECASE)
_HTTP_STATUS = re.compile(r"(?:HTTP status code|status code|StatusCode)\D{0,3}(\d{3})", re.IGNORECASE)


class FaultPlanner(ImportState):
    """Fault rules before a run."""

    def _failures(self, run: Run) -> list[LogRecord]:
        return [r for r in run.records if r.status == "failure" and r.id not in self.not_modelled_ids]

    def _all_failed(self, run: Run) -> bool:
        failures = self._failures(run)
        return bool(failures) and all(r.status in ("failure", "skipped") for r in run.records) and all(
            (r.error_code or "") in SERVICE_CODES for r in failures)

    def faults_for(self, run: Run) -> list[dict[str, Any]]:
        """Open an outage window, or add one-shot rules for this run's failures; the one-shot rules."""
        failures = self._failures(run)
        if not failures:
            return []
        if self._all_failed(run) and not run.on_demand:
            wanted = self._window_rule(failures)
            if self.windows and "method" not in self.windows[0]:
                wanted.pop("method", None)  # a window on every request covers a run whose writes alone failed
            if self.windows and self.windows[0] != wanted:
                self.step("clear_faults", {}, title=f"The outage changes: {self.window_kind} until now, "
                                                     f"{failures[0].error_code} from {at_text(run.begin)}")
                self.windows = []
            if not self.windows:
                rule = self._window_rule(failures)
                self.windows = [rule]
                self.window_kind = failures[0].error_code
                what = f"{rule['method']} request" if "method" in rule else "request"
                self.step("fault", rule, title=f"Genesys fails every {what} from {at_text(run.begin)} "
                                               f"({failures[0].error_code}, as logged)",
                           comment="every entry of this run failed: an outage window, open until the first run that "
                                   "succeeds again")
            return []
        rules = []
        for record in failures:
            found = self._rule_for(record, run)
            if found is None:
                continue
            rule = found
            key = (self.obj(record).kind, self.obj(record).id)
            if "after" not in rule:  # the object's own path: open until it succeeds again
                rule.pop("times", None)
                same = self.object_windows.get(key)
                if same is not None and {k: v for k, v in same.items() if k != "note"} == \
                        {k: v for k, v in rule.items() if k != "note"}:
                    continue  # the same failure, retried
                self.object_windows[key] = rule
                self.step("fault", rule, comment=f"log {record.id}: {record.summary()}: this object's requests fail "
                                                 "until the run in which it succeeds again")
                continue
            if self.step("fault", rule, comment=f"log {record.id}: {record.summary()}"):
                rules.append(rule)
        return rules

    def _status_and_method(self, record: LogRecord) -> tuple[int | None, str | None, str | None]:
        found = _DETAILS.match(record.additional_details.strip())
        status = method = path = None
        if found:
            method, path = found.group(1).upper(), found.group(2)
            status = int(found.group(3)) if found.group(3).isdigit() else None
        step_status = record.step_details().get("StatusCode")
        if status is None and step_status and step_status.isdigit():
            status = int(step_status)
        if status is None:
            text = _HTTP_STATUS.search(record.reason)
            status = int(text.group(1)) if text else FAULT_STATUS.get(record.error_code or "")
        if path and "://" in path:
            path = "/" + path.split("://", 1)[1].split("/", 1)[1] if "/" in path.split("://", 1)[1] else "/"
        return status, method, path

    def _effect(self, record: LogRecord, status: int | None) -> dict[str, Any] | None:
        if record.error_code == "WebExceptionProtocolError":
            return {"drop": True}
        if record.error_code == "TooManyRequests":
            return {"status": 429, "headers": {"Retry-After": "1"}}
        if status is None:
            return None
        return {"status": status}

    def _window_rule(self, failures: list[LogRecord]) -> dict[str, Any]:
        """Every SCIM request fails; only the writes of one method when every failed request was such a
        write (the service read the objects, then could not write them: a hiccup on PATCH, say)."""
        record = failures[0]
        status, _method, _path = self._status_and_method(record)
        effect = self._effect(record, status) or {"status": 503}
        rule: dict[str, Any] = {"path": f"{SCIM}/*"}
        methods = {self._status_and_method(r)[1] for r in failures}
        if record.error_code == "SystemForCrossDomainIdentityManagementServiceIncompatible":
            rule["method"] = "GET"
        elif len(methods) == 1 and (only := methods.pop()) not in (None, "GET"):
            rule["method"] = only
        rule.update(effect)
        rule["note"] = f"as logged: {record.error_code}"
        return rule

    def _rule_for(self, record: LogRecord, run: Run) -> dict[str, Any] | None:
        """One rule for one failed request.  A request to an object Genesys already holds is named by its
        path (``${genesys_user:NAME}``); a create, or a write to an object this very run created, is the
        n-th such request of the run (``after``).  A failed lookup before a create is written as a
        failed create: the entry is the same (create, failure, the code), and lookups are not counted
        reliably from logs (the service sends some the logs never show)."""
        status, method, path = self._status_and_method(record)
        effect = self._effect(record, status)
        if effect is None or (record.error_code or "") in STATE_CODES:
            self.skip(record, f"the error {record.error_code!r} has no fault equivalent")
            return None
        obj = self.obj(record)
        kind = "Users" if obj.kind == "User" else "Groups"
        key = (obj.kind, obj.id)
        linked = key in self.linked
        if record.action == "create" or (method == "GET" and path is not None and not linked
                                         and path.rstrip("/").lower().endswith(f"{SCIM}/{kind}".lower())):
            method = "POST"
            rule: dict[str, Any] = {"method": "POST", "path": f"{SCIM}/{kind}",
                                    "after": self._earlier_writes(record, run, "POST")}
        elif linked and (name := self.target_name(obj, record)) is not None:
            method = method or {"delete": "DELETE"}.get(record.action, "PATCH")
            rule = {"method": method,
                    "path": f"{SCIM}/{kind}/${{genesys_{'user' if obj.kind == 'User' else 'group'}:{name}}}"}
        else:
            method = "DELETE" if record.action == "delete" else "PATCH"
            rule = {"method": method, "path": f"{SCIM}/{kind}/*", "after": self._earlier_writes(record, run, method)}
        rule["times"] = 11 if record.error_code == "TooManyRequests" else 1
        if record.error_code == "WebExceptionProtocolError":
            later = [r for r in obj.records if r.at > record.at]
            found = _DETAILS.match(record.additional_details.strip())
            matched_later = bool(later) and (later[0].action == "update" or later[0].nothing_to_change and later[0].matched)
            if method == "POST" and matched_later and found and found.group(1).upper() == "POST":
                effect = {"drop": "after"}  # the create went through; only the answer was lost
        rule.update(effect)
        rule["note"] = f"log {record.id}"
        return rule

    def _earlier_writes(self, record: LogRecord, run: Run, method: str) -> int:
        """How many requests of this method to this kind of object (and not to one Genesys held before
        the run, which has a rule of its own) the run sent before this entry's."""
        count = 0
        kind = record.source.kind
        for earlier in run.records:
            if earlier is record:
                break
            if earlier.source.kind != kind:
                continue
            if method == "POST":
                count += earlier.action == "create"
            elif method == "DELETE":
                count += earlier.action == "delete" and earlier.status in ("success", "failure")
            elif earlier.action in ("update", "disable"):
                found = _DETAILS.match(earlier.additional_details.strip())
                if earlier.status == "success" and earlier.modified or earlier.status == "failure" and (
                        found is None or found.group(1).upper() == "PATCH"):
                    count += 1
        return count

    def close_windows(self, run: Run) -> None:
        """Before a run that did not fail throughout, the outage is over; before a run in which an object
        succeeds, its own failures are over."""
        over = [key for key in self.object_windows if any(key_of(r) == key and r.status != "failure" for r in run.records)]
        outage_over = bool(self.windows) and not (self._all_failed(run) and not run.on_demand)
        if not over and not outage_over:
            return
        kind = self.window_kind
        for key in over:
            del self.object_windows[key]
        if outage_over:
            self.windows = []
        self.reset_rules(f"before the {at_text(run.begin)} run: " + "; ".join(
            (["the outage is over"] if outage_over else [])
            + [f"{self.objects[key].upn or self.objects[key].name} succeeds again" for key in over]),
            title=f"Genesys answers again (before the {at_text(run.begin)} run)" if outage_over else None)
        if outage_over and kind in ("Unauthorized", "InsufficientRights"):
            self.step("secret_token", {}, title="The admin enters a fresh Secret Token (Test Connection passes)")
