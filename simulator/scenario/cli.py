"""``provsim scenario run|list``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simulator.cli import Context, emit, pass_context

__all__ = ["scenario_group", "run_scenario_command", "demo_command"]


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal (never in a report)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.width = 30

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self.enabled or not total:
            return
        filled = int(self.width * done / total)
        bar = "#" * filled + "-" * (self.width - filled)
        sys.stderr.write(f"\r[{bar}] {done}/{total} {label[:50]:<50}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * (self.width + 70) + "\r")
            sys.stderr.flush()


def run_scenario_command(ctx: Context, name: str, seed: int | None, out: Path | None, progress: bool | None,
                         record_target: Path | None = None) -> None:
    from simulator.core import ConfigError

    from .model import load_scenario
    from .report import render_json, render_text
    from .runner import ScenarioRunner

    try:
        scenario = load_scenario(name)
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    show = sys.stderr.isatty() if progress is None else progress
    bar = _Progress(show)
    try:
        result = ScenarioRunner(scenario, progress=bar, seed=seed, record_target=record_target).run()
    finally:
        bar.close()
    text = render_json(result) if ctx.as_json else render_text(result)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"report written to {out}", err=True)
    click.echo(text, nl=False)
    if record_target is not None:
        click.echo(f"engine -> Genesys traffic recorded to {record_target}", err=True)
    if not result.ok:
        raise click.ClickException(f"{len(result.failures)} expectation(s) failed")


def _run_options(fn):
    """The options `scenario run` and `demo` share."""
    for option in reversed([
        click.option("--seed", type=int, default=None, help="Override the scenario's seed."),
        click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the report to this file."),
        click.option("--progress/--no-progress", default=None,
                     help="Progress bar on stderr (default: when stderr is a terminal)."),
        click.option("--record-target", type=click.Path(dir_okay=False, path_type=Path),
                     help="Record every SCIM request the engine sends to Genesys into this vcrpy cassette (secrets scrubbed)."),
    ]):
        fn = option(fn)
    return fn


@click.group("scenario")
def scenario_group() -> None:
    """Run scripted provisioning stories and check what they lead to."""


@scenario_group.command("run")
@click.argument("name")
@_run_options
@pass_context
def run_command(ctx: Context, name: str, seed: int | None, out: Path | None, progress: bool | None,
                record_target: Path | None) -> None:
    """Run scenario NAME (from fixtures/scenarios) or a path to a scenario YAML file."""
    run_scenario_command(ctx, name, seed, out, progress, record_target)


@scenario_group.command("list")
@pass_context
def list_command(ctx: Context) -> None:
    """List the shipped scenarios."""
    from .model import list_scenarios

    items = [{"name": s.name, "description": s.description, "tenant": s.tenant, "steps": len(s.steps), "path": str(s.path)}
             for s in list_scenarios()]
    emit(ctx, items, "\n".join(f"{i['name']:<28} {i['description']}" for i in items) or "no scenarios")


@click.command("demo")
@_run_options
@pass_context
def demo_command(ctx: Context, seed: int | None, out: Path | None, progress: bool | None, record_target: Path | None) -> None:
    """The main job: the demo tenant provisioned into Genesys, then a day of directory changes.

    Runs fixtures/scenarios/demo.yaml in-process (no server, no credentials) and
    prints the provisioning report; the same bytes on every run.
    """
    run_scenario_command(ctx, "demo", seed, out, progress, record_target)
