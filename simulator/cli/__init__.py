"""``provsim``: the command line.

Nouns are groups, verbs are commands (``provsim cassette diff``).  This package holds the
commands of the simulator as a whole (``serve``, ``job``/``outbox``, ``token``, ``tour``); a
command about one part lives beside what it drives (``simulator/graph/cli.py``,
``simulator/proxy/cli.py``, ...).  Every command is loaded only when used, so ``provsim --help`` stays fast and one surface's
missing extra never breaks another's command.  Every command that prints
results takes ``--json``; failures exit non-zero with a readable message.

Errors, for people and for machines (README.md, "For machines"):

- without ``--json`` an error is ``Error: ...`` on stderr;
- with ``--json`` (anywhere on the command line) stdout carries exactly one JSON document: the
  command's result, or ``{"error": {"code": ..., "message": ...}}`` (the exit status is the same
  either way).  A failure the result already shows (a scenario report with ``"ok": false``, a
  cassette diff) keeps the result on stdout and says why on stderr;
- Ctrl-C (SIGINT) ends any command with exit status 130 (128 + SIGINT), as shells expect;
  ``serve`` and ``proxy`` take it as their stop button instead (state written, exit 0);
- a destructive command asks first; ``--yes`` answers for it, and with ``--json`` it never
  prompts: it fails with ``confirmation_required``.
"""

from __future__ import annotations

import errno
import importlib
import json
import logging
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any

import click

__all__ = ["main", "cli", "Context", "pass_context", "emit", "CliError", "Reported", "PortInUse",
           "ConfirmationRequired", "Interrupted", "error_code", "error_json", "wants_json", "confirm", "bind_failed",
           "EXIT_INTERRUPTED"]

#: Exit status after Ctrl-C: 128 + SIGINT, what shells report for a command the user interrupted.
EXIT_INTERRUPTED = 130

#: command name -> "module:attribute" (loaded lazily)
_COMMANDS = {
    "serve": "simulator.cli.serve:serve_command",
    "demo": "simulator.scenario.cli:demo_command",
    "tour": "simulator.cli.tour:tour_command",
    "token": "simulator.cli.token:token_group",
    "fixtures": "simulator.graph.cli:fixtures_group",
    "proxy": "simulator.proxy.cli:proxy",
    "cassette": "simulator.proxy.cli:cassette",
    "scenario": "simulator.scenario.cli:scenario_group",
    "job": "simulator.cli.job:job_group",
    "outbox": "simulator.cli.job:outbox_command",
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


class CliError(click.ClickException):
    """A command that could not do its work; ``code`` is the ``{"error": {"code"}}`` of ``--json``."""

    code = "failed"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        #: more fields for the JSON error object (e.g. a scenario file's problems)
        self.details = details or {}


class Reported(CliError):
    """The command printed its result, and the result is a failure (a report with ``"ok": false``):
    with ``--json`` stdout keeps that one document, and the message goes to stderr."""

    code = "failed"
    reported = True


class PortInUse(CliError):
    """``serve`` or ``proxy`` cannot listen: the port is taken."""

    code = "port_in_use"


class ConfirmationRequired(CliError):
    """A destructive command without ``--yes`` where no one can be asked (``--json``)."""

    code = "confirmation_required"


class Interrupted(CliError):
    """Ctrl-C: the command stopped where it was (exit status 130)."""

    code = "interrupted"
    exit_code = EXIT_INTERRUPTED


#: Library errors a command let through (as the ``__cause__`` of its ClickException) -> error code.
_CAUSE_CODES = (
    ("simulator.proxy.errors", "CassetteNotFoundError", "cassette_not_found"),
    ("simulator.proxy.errors", "CassetteError", "bad_cassette"),
    ("simulator.proxy.errors", "ProxyError", "proxy_error"),
    ("simulator.scenario.errors", "ScenarioInvalid", "invalid_scenario"),
    ("simulator.scenario.errors", "ScenarioError", "scenario_error"),
    ("simulator.client", "Unreachable", "server_unreachable"),
    ("simulator.client", "ApiError", "refused"),
    ("simulator.core.errors", "FixtureError", "bad_fixture"),
    ("simulator.core.errors", "StoreError", "bad_state_file"),
    ("simulator.core.errors", "ConfigError", "bad_configuration"),
)


def error_code(err: click.ClickException) -> str:
    """The machine-readable code of an error: its own ``code``, else from what caused it, else from
    click's kind of usage error."""
    own = getattr(err, "code", None)
    if isinstance(own, str) and own and not (isinstance(err, CliError) and own == "failed"):
        return own
    cause = err.__cause__
    if cause is not None:
        for module, name, code in _CAUSE_CODES:
            kind = getattr(sys.modules.get(module), name, None)
            if isinstance(kind, type) and isinstance(cause, kind):
                return code
        if isinstance(cause, OSError):
            return "port_in_use" if cause.errno == errno.EADDRINUSE else "os_error"
    if isinstance(err, click.NoSuchOption):
        return "no_such_option"
    if isinstance(err, click.MissingParameter):
        return "missing_parameter"
    if isinstance(err, click.BadParameter):
        return "bad_parameter"
    if isinstance(err, click.UsageError):
        return "usage_error"
    if isinstance(err, click.FileError):
        return "file_error"
    return own if isinstance(own, str) and own else "failed"


def error_json(err: click.ClickException) -> dict[str, Any]:
    """``{"error": {"code", "message", ...}}`` for ``err``."""
    message = err.format_message()
    if isinstance(err, click.UsageError) and err.ctx is not None:
        message += f" (see `{err.ctx.command_path} --help`)"
    return {"error": {"code": error_code(err), "message": message, **getattr(err, "details", {})}}


def wants_json(args: list[str]) -> bool:
    """``--json`` anywhere on the command line (before a ``--``): known before any parsing, so
    that even an unknown option is answered in JSON."""
    return "--json" in (args[:args.index("--")] if "--" in args else args)


def _report_error(err: click.ClickException, as_json: bool) -> None:
    if as_json and not getattr(err, "reported", False):
        click.echo(json.dumps(error_json(err), indent=2, ensure_ascii=False))
    else:
        err.show()


def confirm(ctx: Context, yes: bool, question: str, *, what: str) -> None:
    """Ask before a destructive step; ``--yes`` answers for it.  With ``--json`` nobody is asked:
    the command fails with ``confirmation_required`` naming what it would have done."""
    if yes:
        return
    if ctx.as_json:
        raise ConfirmationRequired(f"{what}: pass --yes to confirm (with --json provsim never prompts)")
    click.confirm(question, abort=True, err=True)


def bind_failed(err: OSError, host: str, port: int) -> click.ClickException:
    """What to say when a server cannot listen on ``host:port``."""
    if err.errno == errno.EADDRINUSE:
        return PortInUse(f"port {port} on {host} is already in use (another provsim serve or proxy?): "
                         "pass another --port, or --port 0 for any free port")
    if err.errno == errno.EACCES:
        return CliError(f"no permission to listen on port {port} on {host}: ports below 1024 need privileges; "
                        "pass --port 8080, or --port 0 for any free port", code="port_not_allowed")
    return CliError(f"cannot listen on {host}:{port}: {err.strerror or err}", code="cannot_listen")


#: top-level module -> the extra that installs it (pyproject.toml [project.optional-dependencies])
_EXTRAS = {"pytest": "pytest", "msal": "sdk", "msgraph": "sdk", "msgraph_core": "sdk", "azure": "sdk", "kiota_abstractions": "sdk",
           "aiohttp": "sdk", "PureCloudPlatformClientV2": "sdk"}


def extra_for(module: str) -> str:
    """The extra of pyproject.toml that brings ``module`` (``test`` when no lighter one does)."""
    return _EXTRAS.get(module.split(".")[0], "test")


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


class _CtrlC:
    """Remembers a Ctrl-C for the length of a command, so that it is never lost.

    Python raises KeyboardInterrupt wherever the main thread is when SIGINT lands; when that is a
    finalizer the garbage collector runs (``__del__``, a weakref callback), Python prints "Exception
    ignored" and carries on, and the command would finish and exit 0.  With the flag, a command
    that was interrupted exits 130 whatever swallowed the exception.  Only the main thread can set
    a handler (click's CliRunner in a worker thread keeps Python's own)."""

    def __init__(self) -> None:
        self.pressed = False
        self._previous: Any = None

    def _handler(self, signum: int, frame: Any) -> None:
        self.pressed = True
        signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt, as without this class

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class LazyGroup(click.Group):
    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        """click's main, with one error policy for every command: ``--json`` errors as JSON on
        stdout, Ctrl-C as exit status 130 (click's own: "Aborted!" and 1, the status of a failed step)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        as_json = wants_json(argv)
        rv, finished = None, False
        with _CtrlC() as ctrl_c:
            try:
                rv = super().main(argv, prog_name, complete_var, False, **extra)
                finished = True
            except click.Abort as err:  # click raises Abort from KeyboardInterrupt, and for a "no" to a prompt
                if isinstance(err.__cause__, KeyboardInterrupt):
                    ctrl_c.pressed = True
                else:
                    if as_json:
                        _report_error(CliError("aborted: the question was answered no", code="aborted"), as_json)
                    else:
                        click.echo("Aborted!", err=True)
                    sys.exit(1)
            except click.ClickException as err:
                if not ctrl_c.pressed:
                    _report_error(err, as_json)
                    sys.exit(err.exit_code)
        if ctrl_c.pressed and finished:
            # Something swallowed the KeyboardInterrupt and the command ran to its end: what it printed
            # stands (one document on stdout with --json); the shell still hears the Ctrl-C.
            click.echo("interrupted (Ctrl-C) as the command finished: its output above is complete", err=True)
            sys.exit(EXIT_INTERRUPTED)
        if ctrl_c.pressed:
            _report_error(Interrupted("interrupted (Ctrl-C): stopped where it was"), as_json)
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(rv if isinstance(rv, int) else 0)

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
            extra = extra_for(err.name or "")
            raise CliError(f"'{name}' needs a package that is not installed: {err.name} "
                           f"(pip install 'provsim[{extra}]', or `make test` in a clone)", code="missing_extra") from err
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
