"""``provsim``: the command line.

Nouns are groups, verbs are commands (``provsim cassette diff``).  Commands
live beside what they drive (``simulator/graph/cli.py``, ``simulator/proxy/cli.py``, ...) and are
loaded only when used, so ``provsim --help`` stays fast and one surface's
missing extra never breaks another's command.  Every command that prints
results takes ``--json``; failures exit non-zero with a readable message.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from dataclasses import dataclass

import click

__all__ = ["main", "cli", "Context", "pass_context", "emit"]

#: command name -> "module:attribute" (loaded lazily)
_COMMANDS = {
    "serve": "simulator.serve:serve_command",
    "demo": "simulator.scenario.cli:demo_command",
    "tour": "simulator.tour:tour_command",
    "token": "simulator.tokens:token_group",
    "fixtures": "simulator.graph.cli:fixtures_group",
    "proxy": "simulator.proxy.cli:proxy",
    "cassette": "simulator.proxy.cli:cassette",
    "scenario": "simulator.scenario.cli:scenario_group",
    "job": "simulator.job_cli:job_group",
    "outbox": "simulator.job_cli:outbox_command",
    "snapshot": "simulator.snapshot.cli:snapshot_command",
    "incident": "simulator.incident.cli:incident_group",
}


@dataclass
class Context:
    """What every command gets: output format and verbosity."""

    as_json: bool = False
    verbose: int = 0


pass_context = click.make_pass_decorator(Context, ensure=True)


def emit(ctx: Context, data, human: str | None = None) -> None:
    """Print ``data`` as JSON with ``--json``, else the human text."""
    if ctx.as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(human if human is not None else json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _json_after_command(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Context).as_json = True


def _with_json_option(command: click.Command) -> click.Command:
    """``provsim COMMAND ... --json`` as well as ``provsim --json COMMAND``: every command (and
    every command of a group) gets the option, unless it declares its own."""
    if not any("--json" in getattr(p, "opts", ()) for p in command.params):
        command.params.append(click.Option(["--json"], is_flag=True, expose_value=False, is_eager=True,
                                           callback=_json_after_command,
                                           help="Print machine-readable JSON (same as `provsim --json ...`)."))
    for sub in getattr(command, "commands", {}).values():
        _with_json_option(sub)
    return command


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_COMMANDS))

    def get_command(self, ctx: click.Context, name: str):
        cmd = super().get_command(ctx, name)
        if cmd is not None or name not in _COMMANDS:
            return cmd
        module_name, attr = _COMMANDS[name].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name and err.name.startswith("simulator"):
                return None  # not built yet
            raise click.ClickException(f"'{name}' needs a package that is not installed: {err.name} (pip install 'provsim[test]')") from err
        command = getattr(module, attr, None)
        return _with_json_option(command) if command is not None else None

    def invoke(self, ctx: click.Context):
        """A user's mistake (a bad fixture, scenario or state file, a file that cannot be written) is
        a readable message and exit status 1, never a traceback."""
        from simulator.core import ProvsimError

        try:
            return super().invoke(ctx)
        except ProvsimError as err:
            raise click.ClickException(str(err)) from err
        except OSError as err:
            where = f": {err.filename}" if getattr(err, "filename", None) else ""
            raise click.ClickException(f"{err.strerror or err}{where}") from err


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of text.")
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.version_option(package_name="provsim", prog_name="provsim")
@click.pass_context
def cli(ctx: click.Context, as_json: bool, verbose: int) -> None:
    """Offline simulator of Entra ID provisioning into Genesys Cloud (SCIM 2.0).

    Start with `provsim demo` (a provisioning story end to end) or
    `provsim serve` (every fake on one port).
    """
    obj = ctx.ensure_object(Context)
    obj.as_json = as_json or obj.as_json
    obj.verbose = verbose
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def main() -> None:  # console script entry point
    cli(prog_name="provsim")


if __name__ == "__main__":  # pragma: no cover
    main()
