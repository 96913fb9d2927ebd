"""Helpers for the failure tests. The failure stories are library stories (fixtures/scenarios);
these tests run them and check, on top of their YAML expectations, what an ``expect`` step cannot say (timings between requests, escrow
retry times, request bodies, mail delivery)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from simulator.core import parse_datetime
from simulator.scenario.runner import ScenarioResult, ScenarioRunner


@dataclass
class Told:
    """A library story, run to its end: the runner (its client and runtime) and what came of it."""

    runner: ScenarioRunner
    result: ScenarioResult

    def entries(self, *, status: str | None = None, error: str | None = None) -> list[dict]:
        return [e for e in self.result.logs if (status is None or e["provisioningStatusInfo"]["status"] == status)
                and (error is None or (e["provisioningStatusInfo"].get("errorInformation") or {}).get("errorCode") == error)]

    def cycles(self, title: str) -> list[dict]:
        """The cycles that ran during the step whose title starts with ``title``."""
        (outcome,) = [o for o in self.result.outcomes if (o.step.title or "").startswith(title)]
        return outcome.cycles

    def began(self, title: str) -> list[str]:
        """When each cycle of that step began."""
        return [c["status"]["lastExecution"]["timeBegan"] for c in self.cycles(title)]

    def all_began(self) -> list[str]:
        """When every cycle of the story began, in order."""
        return [c["status"]["lastExecution"]["timeBegan"] for c in self.runner.cycles]

    def scim(self, method: str | None = None, path_part: str = "") -> list[dict]:
        """The requests Genesys answered (the traffic log), oldest first."""
        return [e for e in self.runner.runtime.traffic.entries(surface="purecloud")
                if (method is None or e["method"] == method) and path_part in e["path"]]


def next_retry(entry: dict) -> datetime:
    """When a failed entry's object is retried (its processing step's NextRetry)."""
    (when,) = [s["details"]["NextRetry"] for s in entry["provisioningSteps"] if s["details"].get("NextRetry")]
    return parse_datetime(when)


def at(iso: str) -> datetime:
    return parse_datetime(iso)
