"""``provsim incident import|replay``: provisioning logs into a story, replayed and compared.

    provsim incident import LOGS.json [--fixture FILE] --out STORY.yaml
    provsim incident replay STORY.yaml --logs LOGS.json [--json]

Exit status: 0 done (replay: every entry reproduced), 1 some entries diverge, 2 invalid input (the
message names the file and the element).  With ``--json`` an error is ``{"error": {"code",
"message", "file", "element"}}`` on stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from simulator.cli import CliError, Context, Reported, emit, pass_context

__all__ = ["incident_group"]


class IncidentInputError(CliError):
    """Invalid input (exit 2): the logs or the story, with the file and the element."""

    exit_code = 2
    code = "invalid_input"

    def __init__(self, message: str, *, code: str, file: str, element: str | None = None,
                 problems: list[dict] | None = None) -> None:
        details: dict[str, Any] = {"file": file}
        if element is not None:
            details["element"] = element
        if problems:
            details["problems"] = problems
        super().__init__(message, code=code, details=details)


class Diverged(Reported):
    """The replay ran, and some entries diverge (exit 1): the result is printed, the reason goes to stderr."""

    exit_code = 1
    code = "diverged"


class _Progress:
    """``recreating run 3/12`` on stderr, only on a terminal."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.enabled = sys.stderr.isatty()

    def __call__(self, *args: Any) -> None:
        if not self.enabled:
            return
        done, total = args[-2], args[-1]
        if total:
            sys.stderr.write(f"\r{self.what} {done}/{total}\033[K")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _invalid(err: Exception) -> IncidentInputError:
    from .errors import LogsInvalid, StoryInvalid

    if isinstance(err, LogsInvalid):
        return IncidentInputError(str(err), code="invalid_logs", file=err.file, element=err.element or None)
    if isinstance(err, StoryInvalid):
        return IncidentInputError(str(err), code="invalid_story", file=err.file, problems=err.problems)
    return IncidentInputError(str(err), code="invalid_input", file="")


@click.group("incident")
def incident_group() -> None:
    """Reproduce a production incident from its provisioning logs (docs/incident.md)."""


@incident_group.command("import")
@click.argument("logs", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The story to write (STORY.yaml); its tenant goes beside it as STORY.tenant.yaml.")
@click.option("--fixture", metavar="FILE",
              help="The tenant the logs come from: a fixture name or file, e.g. a `provsim snapshot` of it "
                   "[default: the demo tenant's app and Genesys org, with the objects the logs name].")
@click.option("--first-cycle", type=click.Choice(["auto", "initial", "incremental"]), default="auto", show_default=True,
              help="Is the logs' first cycle the job's initial one (incremental: a warm-up cycle provisions the "
                   "objects first, a day earlier)? auto decides from the logs.")
@click.option("--seed", type=int, default=0, show_default=True, help="The story's seed.")
@pass_context
def import_command(ctx: Context, logs: Path, out: Path, fixture: str | None, first_cycle: str, seed: int) -> None:
    """Build a story (a library-format scenario) that recreates what LOGS.json shows.

    LOGS.json: one Graph page of GET /auditLogs/provisioning ({"value": [...]}), a list of pages, or a
    plain array (the portal's Download, Get-MgAuditLogProvisioning | ConvertTo-Json -Depth 10).
    """
    from .errors import IncidentError, LogsInvalid
    from .importer import ImportOptions, import_logs
    from .logs import read_logs

    try:
        log_set = read_logs(logs)
    except LogsInvalid as err:
        raise _invalid(err) from err
    if not log_set.records:
        raise IncidentInputError(f"{logs}: no provisioning-log entries in it", code="invalid_logs", file=str(logs))
    bar = _Progress("recreating run")
    try:
        result = import_logs(log_set, out, ImportOptions(fixture=fixture, first_cycle=first_cycle, seed=seed,
                                                         progress=bar))
    except IncidentError as err:
        if isinstance(err, LogsInvalid):
            raise _invalid(err) from err
        raise IncidentInputError(str(err), code="invalid_fixture" if str(err).startswith("--fixture") else "import_failed",
                                 file=str(fixture or logs)) from err
    finally:
        bar.close()
    records = log_set.records
    lines = [f"read {logs}: {result.total} entries in {result.runs} runs, "
             f"{records[0].at:%Y-%m-%d %H:%M:%S} to {records[-1].at:%Y-%m-%d %H:%M:%S}",
             f"wrote {result.story} and {result.fixture}"]
    if result.created:
        lines.append("  created from the logs' source identities (the fixture lacks them): " + ", ".join(
            c.split(" (")[0] for c in result.created))
    if result.warm_up:
        lines.append("  the logs begin mid-life: a warm-up initial cycle a day earlier provisions the objects first")
    for note in result.notes:
        lines.append(f"  note: {note}")
    if result.not_modelled:
        lines.append(f"not modelled: {len(result.not_modelled)} entr{'y' if len(result.not_modelled) == 1 else 'ies'} "
                     "(kept as comments in the story)")
        lines += [f"  log {n.record.id} ({n.record.summary()}): {n.why}" for n in result.not_modelled]
    trial = result.trial
    lines.append(f"a trial run of the story reproduced {trial.reproduced} of {trial.total} log entries")
    lines.append(f"next: provsim incident replay {result.story} --logs {logs}")
    emit(ctx, result.to_dict(), "\n".join(lines))


@incident_group.command("replay")
@click.argument("story", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--logs", "logs", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The real provisioning logs (the LOGS.json the story was imported from).")
@click.option("--limit", type=int, default=50, show_default=True,
              help="Print at most this many divergences (--json prints them all).")
@pass_context
def replay_command(ctx: Context, story: Path, logs: Path, limit: int) -> None:
    """Run STORY.yaml and compare its provisioning logs with LOGS.json, entry by entry.

    Exit status 0 when every entry is reproduced, 1 when any diverges, 2 for invalid input.
    """
    from .errors import LogsInvalid, StoryInvalid
    from .logs import read_logs
    from .replay import replay

    try:
        log_set = read_logs(logs)
        if not story.exists():
            raise StoryInvalid(str(story), f"{story}: no such file")
        bar = _Progress("replaying step")
        try:
            result = replay(story, log_set, progress=bar)
        finally:
            bar.close()
    except (LogsInvalid, StoryInvalid) as err:
        raise _invalid(err) from err
    comparison = result.comparison
    head = f"reproduced {comparison.reproduced} of {comparison.total} log entries"
    if comparison.not_modelled:
        head += f" ({len(comparison.not_modelled)} not modelled)"
    lines = [head]
    if comparison.divergences:
        lines.append("divergences:")
        lines += [f"  {d.line()}" for d in comparison.divergences[:limit]]
        if len(comparison.divergences) > limit:
            lines.append(f"  ... and {len(comparison.divergences) - limit} more (--limit, or --json for all)")
    if result.step_problems:
        lines.append("story steps that did not hold:")
        lines += [f"  {p}" for p in result.step_problems]
    emit(ctx, result.to_dict(), "\n".join(lines))
    if not comparison.ok:
        entries = len({d.log_id for d in comparison.divergences if d.log_id})
        raise Diverged(f"{entries} log entr{'y' if entries == 1 else 'ies'} not reproduced"
                       + (f", {sum(1 for d in comparison.divergences if d.log_id is None)} simulated entries the logs lack"
                          if any(d.log_id is None for d in comparison.divergences) else ""))
