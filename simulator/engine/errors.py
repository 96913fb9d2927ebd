"""Errors raised by the provisioning engine.

    ProvsimError                     (simulator.core.errors)
    └── EngineError                  anything the engine refuses or cannot do
        ├── ExpressionError          an attribute-mapping expression that does not parse/validate
        │   └── ExpressionEvaluationError   a valid expression that fails on this source object
        ├── ScopingFilterError       a scoping filter the service would not accept
        └── SchemaError              a synchronization schema (mappings/directories) that is invalid

Messages name the place (character position, mapping, clause) so that the Graph
surface can hand them to the admin unchanged, the way the portal shows the
service's validation text.
"""

from __future__ import annotations

from simulator.core.errors import ProvsimError

__all__ = [
    "EngineError",
    "ExpressionError",
    "ExpressionEvaluationError",
    "ScopingFilterError",
    "SchemaError",
]


class EngineError(ProvsimError):
    """Base of every error the provisioning engine raises on purpose."""


class ExpressionError(EngineError):
    """An attribute-mapping expression that is not valid.

    ``position`` is the 0-based character offset the problem was found at, so an
    editor can put the caret there; ``expression`` is the full text.
    """

    def __init__(self, message: str, *, position: int, expression: str) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.expression = expression


class ExpressionEvaluationError(ExpressionError):
    """A valid expression that cannot be evaluated for one source object (bad regex
    input, a non-integer where an integer is needed).  The engine treats it like the
    real service does: the object fails and goes to escrow, the job keeps running."""


class ScopingFilterError(EngineError):
    """A scoping filter with an unknown operator, a missing operand or an attribute
    that scoping filters do not support (members, manager, appRoleAssignments, ...)."""

    def __init__(self, message: str, *, group: int | None = None, clause: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.group = group
        self.clause = clause


class SchemaError(EngineError):
    """A synchronization schema that the service would reject on ``PUT .../schema``.

    ``problems`` lists every problem found (the message is the first one plus a
    count); ``code`` is the Graph error code the Graph surface should answer with.
    """

    code = "BadRequest"

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        first = self.problems[0] if self.problems else "Invalid synchronization schema."
        more = len(self.problems) - 1
        message = first if more <= 0 else f"{first} (and {more} more problem{'s' if more > 1 else ''})"
        super().__init__(message)
        self.message = message
