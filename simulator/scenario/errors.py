"""Scenario errors::

    ConfigError (simulator.core)
     └── ScenarioError            a scenario that cannot run, or a step that could not be carried out
          ├── ScenarioInvalid     the file itself is wrong (YAML, schema, references): nothing ran; exit 2
          └── StepFailed          a step the simulator refused while the story ran; exit 1
               └── ExpectationFailed   an ``expect`` step whose checks did not hold; exit 1
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.core import ConfigError

__all__ = ["ScenarioError", "ScenarioInvalid", "StepFailed", "ExpectationFailed", "Problem"]


class ScenarioError(ConfigError):
    """A scenario that cannot run; the message names the file and step."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a scenario file, where an editor can jump to it (1-based line and column)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}


class ScenarioInvalid(ScenarioError):
    """The scenario file is wrong; ``problems`` says where and why, sorted by position."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class StepFailed(ScenarioError):
    """A step the simulator refused (a Graph or SCIM call answered an error, no job yet, ...)."""


class ExpectationFailed(StepFailed):
    """An ``expect`` step whose checks did not hold; ``problems`` lists each as a sentence."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))
