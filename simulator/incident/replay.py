"""Run a story and compare what it logs with the real logs (``provsim incident replay``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compare import Comparison, compare
from .errors import StoryInvalid
from .logs import LogSet, read_logs
from .state import records_from_docs
from .story import not_modelled_ids

__all__ = ["ReplayResult", "replay"]


@dataclass
class ReplayResult:
    comparison: Comparison
    #: steps of the story that did not hold or could not be carried out (an edited story may have them)
    step_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.comparison.ok

    def to_dict(self) -> dict[str, Any]:
        out = self.comparison.to_dict()
        if self.step_problems:
            out["stepProblems"] = list(self.step_problems)
        return out


def replay(story: str | Path, logs: LogSet | str | Path, *,
           progress: Callable[[str, int, int], None] | None = None) -> ReplayResult:
    """Run ``story`` from its start and compare its provisioning logs with ``logs``."""
    from simulator.app import scenario_runner
    from simulator.scenario.errors import ScenarioError, ScenarioInvalid
    from simulator.scenario.model import load_scenario

    path = Path(story)
    real = logs if isinstance(logs, LogSet) else read_logs(logs)
    try:
        scenario = load_scenario(path)
    except ScenarioInvalid as err:
        raise StoryInvalid(str(path), f"{path}: not a story the replay can run ({len(err.problems)} problem(s)):\n{err}",
                           [p.to_dict() for p in err.problems]) from err
    except ScenarioError as err:
        raise StoryInvalid(str(path), str(err)) from err
    result = scenario_runner(scenario, progress=progress).run()
    simulated = records_from_docs(result.logs)
    comparison = compare(real.records, simulated, not_modelled=not_modelled_ids(path.read_text(encoding="utf-8")))
    return ReplayResult(comparison, list(result.failures))
