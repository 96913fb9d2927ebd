"""Incident errors::

    ConfigError (simulator.core)
     └── IncidentError           the import or the replay cannot go on
          ├── LogsInvalid        LOGS.json is not a provisioning-log export (file and element); exit 2
          └── StoryInvalid       STORY.yaml is not a story the replay can run (file, line, column); exit 2
"""

from __future__ import annotations

from simulator.core import ConfigError

__all__ = ["IncidentError", "LogsInvalid", "StoryInvalid"]


class IncidentError(ConfigError):
    """An incident import or replay that cannot go on; the message says why."""


class LogsInvalid(IncidentError):
    """The logs file is wrong: ``file`` and ``element`` (``value[3].activityDateTime``) say where."""

    def __init__(self, file: str, element: str, message: str) -> None:
        self.file, self.element, self.detail = file, element, message
        super().__init__(f"{file}: {element}: {message}" if element else f"{file}: {message}")


class StoryInvalid(IncidentError):
    """The story file is wrong (the scenario checker's problems, each with file, line and column)."""

    def __init__(self, file: str, message: str, problems: list[dict] | None = None) -> None:
        self.file, self.problems = file, list(problems or [])
        super().__init__(message)
