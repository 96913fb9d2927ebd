"""Reproduce a production incident from its provisioning logs.

    logs.py       reading LOGS.json: a Graph page, a list of pages, a plain array (portal, PowerShell)
    runs.py       entries grouped into cycles and provisions on demand
    attributes.py a target attribute back to the Entra attribute its mapping reads
    importer.py   the logs into a story (``provsim incident import``), built by running it
    story.py      the story file: a library-format scenario with comments
    compare.py    real entries against simulated ones, field by field
    replay.py     run a story and compare (``provsim incident replay``)
    cli.py        the commands

docs/incident.md walks an incident end to end.
"""

from .compare import Comparison, Divergence, compare
from .errors import IncidentError, LogsInvalid, StoryInvalid
from .importer import ImportOptions, ImportResult, NotModelled, import_logs
from .logs import LogRecord, LogSet, parse_logs, read_logs
from .replay import ReplayResult, replay

__all__ = ["Comparison", "Divergence", "compare", "IncidentError", "LogsInvalid", "StoryInvalid", "ImportOptions",
           "ImportResult", "NotModelled", "import_logs", "LogRecord", "LogSet", "parse_logs", "read_logs",
           "ReplayResult", "replay"]
