"""``provsim scenario run|list|schema`` and ``provsim demo``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from simulator.cli import CliError, Context, Reported, emit, pass_context

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


class InvalidScenario(CliError):
    """The scenario file is wrong (or there is no such scenario): nothing ran."""

    code = "invalid_scenario"
    exit_code = 2


class ReportedInvalid(Reported):
    """An invalid file the listing already shows (exit 2)."""

    code = "invalid_scenario"
    exit_code = 2


def _load(ctx: Context, name: str, junit: Path | None):
    from .errors import ScenarioError, ScenarioInvalid
    from .junit import render_invalid_junit
    from .model import load_scenario

    try:
        return load_scenario(name)
    except ScenarioInvalid as err:
        if junit is not None:
            _write(junit, render_invalid_junit(Path(name).stem, err.problems))
        raise InvalidScenario(f"invalid scenario file, nothing ran ({len(err.problems)} problem(s)):\n{err}",
                              details={"scenario": name, "problems": [p.to_dict() for p in err.problems]}) from err
    except ScenarioError as err:
        known = resolve_known(name)
        raise InvalidScenario(str(err), code="unknown_scenario" if not known else None) from err


def resolve_known(name: str) -> bool:
    """Whether ``name`` is a file or a story of the library (else: an unknown story)."""
    from .errors import ScenarioError
    from .model import resolve_scenario

    try:
        resolve_scenario(name)
    except ScenarioError:
        return False
    return True


def _print_report(ctx: Context, text: str, out: Path | None, summary: dict, summary_text: str) -> None:
    """The report on stdout; with ``out``, in that file only, and stdout gets ``summary`` (a short
    JSON object with --json, ``summary_text`` without), so a script reads a small answer and the
    report stays in its file."""
    if out is None:
        click.echo(text, nl=False)
        return
    _write(out, text)
    if ctx.as_json:
        click.echo(json.dumps({**summary, "report": str(out)}, indent=2, ensure_ascii=False))
    else:
        click.echo(f"{summary_text}\nreport written to {out}")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def run_scenario_command(ctx: Context, name: str, seed: int | None, out: Path | None, progress: bool | None,
                         record_target: Path | None = None, junit: Path | None = None) -> None:
    """Load (exit 2 when the file is invalid), run, print the report; exit 1 when a step failed."""
    from simulator.app import scenario_runner

    from .junit import render_junit
    from .report import render_json, render_text

    scenario = _load(ctx, name, junit)
    show = sys.stderr.isatty() if progress is None else progress
    bar = _Progress(show)
    try:
        result = scenario_runner(scenario, progress=bar, seed=seed, record_target=record_target).run()
    finally:
        bar.close()
    _print_report(ctx, render_json(result) if ctx.as_json else render_text(result), out,
                  {"scenario": result.scenario.name, "ok": result.ok, "failures": result.failures},
                  f"scenario {result.scenario.name}: " + ("every step ran and every expectation held" if result.ok
                                                          else f"{len(result.failures)} step(s) failed"))
    if junit is not None:
        _write(junit, render_junit(result))
        click.echo(f"JUnit XML written to {junit}", err=True)
    if record_target is not None:
        click.echo(f"engine -> Genesys traffic recorded to {record_target}", err=True)
    if not result.ok:
        raise Reported(f"{len(result.failures)} step(s) failed", code="scenario_failed")


def _run_options(fn):
    """The options `scenario run` and `demo` share."""
    for option in reversed([
        click.option("--seed", type=int, default=None, help="Override the scenario's seed."),
        click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to this file instead of stdout, which gets a short summary (JSON with --json)."),
        click.option("--junit", type=click.Path(dir_okay=False, path_type=Path),
                     help="Also write JUnit XML for CI: one testcase per expect step (also for an invalid file)."),
        click.option("--progress/--no-progress", default=None,
                     help="Progress bar on stderr (default: when stderr is a terminal)."),
        click.option("--record-target", type=click.Path(dir_okay=False, path_type=Path),
                     help="Record every SCIM request the engine sends to Genesys into this vcrpy cassette (secrets scrubbed)."),
        click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (same as `provsim --json ...`)."),
    ]):
        fn = option(fn)
    return fn


@click.group("scenario")
def scenario_group() -> None:
    """Run scripted provisioning stories and check what they lead to."""


@scenario_group.command("run")
@click.argument("name", required=False)
@_run_options
@click.option("--target", metavar="URL",
              help="Provision into your own SCIM server at this tenant URL (e.g. http://localhost:8000/scim/v2) instead "
                   "of the Genesys fake, and print the target report (docs/target.md).")
@click.option("--token", envvar="PROVSIM_TARGET_TOKEN", metavar="TOKEN",
              help="With --target: the secret token, sent as a bearer token and never printed "
                   "(default: $PROVSIM_TARGET_TOKEN; none: no Authorization header).")
@click.option("--profile", type=click.Choice(["scim", "genesys"]), default=None,
              help="With --target: scim (default: groups created, renamed and deleted) or genesys (groups only "
                   "updated, as the PureCloud by Genesys gallery app).")
@pass_context
def run_command(ctx: Context, name: str | None, seed: int | None, out: Path | None, junit: Path | None, progress: bool | None,
                record_target: Path | None, as_json: bool, target: str | None, token: str | None,
                profile: str | None) -> None:
    """Run scenario NAME (from fixtures/scenarios) or a path to a scenario YAML file.

    Prints the timeline (virtual time, cycle, action, object, status) and a summary.
    The file is checked first (docs/scenarios.md, `provsim scenario schema`).

    With --target the story's job provisions into your own SCIM server, twice (Entra's default
    PATCH shapes, then ?aadOptscim062020), and the target report lists every request with what
    the engine sent, expected and got, a verdict per Entra request pattern, and the validator's
    checks (each with its RFC section, MUST or SHOULD).  Without NAME, --target runs
    scim-lifecycle, which sends every pattern.  Its first line names the cause and the fix when
    the server is unreachable, refuses the token, or the URL is not the SCIM root.

    With --out FILE the report goes to FILE only, and stdout gets a short summary (a JSON object
    with --json).

    \b
    Exit status:
      0  every step ran and every expectation held (--target: no pattern failed)
      1  a step failed: an expectation did not hold, or the simulator refused a call
         (--target: a pattern failed)
      2  the file is invalid (each problem as file:line:column): nothing ran
    """
    from simulator.conformance.run import DEFAULT_STORY

    ctx.as_json = ctx.as_json or as_json
    if target is None:
        if token is not None and not _from_env("PROVSIM_TARGET_TOKEN", token) or profile is not None:
            raise click.UsageError("--token and --profile go with --target URL")
        if name is None:
            raise click.UsageError(f"Missing argument 'NAME' (a story of `provsim scenario list` or a .yaml file; "
                                   f"with --target URL it defaults to {DEFAULT_STORY})")
        run_scenario_command(ctx, name, seed, out, progress, record_target, junit)
        return
    if junit is not None:
        raise click.UsageError("--junit is not available with --target (use --json for the target report)")
    run_target_command(ctx, name or DEFAULT_STORY, target, token=token, profile=profile or "scim", seed=seed, out=out,
                       progress=progress, record_target=record_target)


def _from_env(name: str, value: str) -> bool:
    import os

    return os.environ.get(name) == value


def run_target_command(ctx: Context, name: str, url: str, *, token: str | None, profile: str, seed: int | None,
                       out: Path | None, progress: bool | None, record_target: Path | None) -> None:
    """Run the story against the user's SCIM server; print the target report; exit 1 when a pattern failed."""
    from simulator.conformance import VERDICTS, Target, render_json, render_text, run_target
    from simulator.engine.target_profile import parse_profile

    scenario = _load(ctx, name, None)
    try:
        kind = parse_profile(profile)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--profile") from err
    try:
        target = Target(url, token or None, kind)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--target") from err
    show = sys.stderr.isatty() if progress is None else progress
    bar = _Progress(show)
    try:
        report = run_target(scenario, target, seed=seed, progress=bar, record_target=record_target)
    finally:
        bar.close()
    counts = {v: sum(1 for p in report.verdicts if p.verdict == v) for v in VERDICTS}
    summary = {"headline": report.headline, "ok": report.ok, "scenario": report.scenario,
               "target": {"tenantUrl": report.tenant_url, "profile": report.profile.value},
               "diagnosis": report.diagnosis.to_dict() if report.diagnosis else None, "summary": counts,
               "failed": [v.pattern.id for v in report.verdicts if v.verdict == "fail"], "requests": len(report.exchanges)}
    _print_report(ctx, render_json(report) if ctx.as_json else render_text(report), out, summary,
                  report.headline + "\n" + ", ".join(f"{n} {v}" for v, n in counts.items() if n))
    if record_target is not None:
        click.echo(f"engine -> target traffic recorded to {record_target}", err=True)
    if not report.ok:
        raise Reported(report.headline, code="target_failed")


@scenario_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (same as `provsim --json ...`).")
@pass_context
def list_command(ctx: Context, as_json: bool) -> None:
    """List the shipped scenarios, each with its description (exit 2 if one is invalid)."""
    from .errors import ScenarioInvalid
    from .model import load_scenario, scenario_paths
    from .report import describe

    ctx.as_json = ctx.as_json or as_json
    items, text = [], []
    for path in scenario_paths():
        try:
            s = load_scenario(path)
        except ScenarioInvalid as err:
            items.append({"name": path.stem, "valid": False, "path": str(path), "problems": [p.to_dict() for p in err.problems]})
            text += [f"{path.stem}  INVALID"] + [f"  {p}" for p in err.problems] + [""]
            continue
        items.append({"name": s.name, "description": s.description, "tenant": s.tenant, "seed": s.seed,
                      "steps": len(s.steps), "valid": True, "path": str(path)})
        text += [f"{s.name}  (tenant {s.tenant}, {len(s.steps)} steps)"] + (describe(s.description, width=88) or ["  (no description)"]) + [""]
    emit(ctx, items, "\n".join(text).rstrip("\n") or "no scenarios")
    if not all(i["valid"] for i in items):
        raise ReportedInvalid("some scenario files are invalid (listed above)")


@scenario_group.command("schema")
@click.option("--markdown", is_flag=True, help="The reference part of docs/scenarios.md instead of the JSON Schema.")
@click.option("--update", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Rewrite the reference part of this page (docs/scenarios.md) from the schema, in place.")
def schema_command(markdown: bool, update: Path | None) -> None:
    """Print the scenario file format: a JSON Schema (for an editor's YAML language server) or its docs."""
    from .schema import SCHEMA_PATH, render_markdown, splice_docs

    if update is not None:
        try:
            update.write_text(splice_docs(update.read_text(encoding="utf-8")), encoding="utf-8")
        except ValueError as err:
            raise click.ClickException(f"{update}: {err}") from err
        click.echo(f"{update}: reference part rewritten from {SCHEMA_PATH.name}", err=True)
        return
    click.echo(render_markdown() if markdown else SCHEMA_PATH.read_text(encoding="utf-8"), nl=False)


@scenario_group.command("golden")
@click.argument("names", nargs=-1)
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("cassettes/scenarios"),
              show_default=True, help="Where the goldens live (NAME.yaml, NAME.report.txt; see docs/scenarios.md).")
@click.option("--check", is_flag=True, help="Compare with the goldens instead of writing them: exit 1 with the differences.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (same as `provsim --json ...`).")
@pass_context
def golden_command(ctx: Context, names: tuple[str, ...], folder: Path, check: bool, as_json: bool) -> None:
    """Record the golden report and SCIM traffic of stories NAMES (default: every shipped story), or --check them.

    A story whose expectations do not all hold is not recorded (exit 1). `make goldens` runs this
    for the whole library into cassettes/scenarios.
    """
    from simulator.app import fresh_app

    from .golden import compare, record, write
    from .model import scenario_paths

    ctx.as_json = ctx.as_json or as_json
    chosen = [_load(ctx, name, None) for name in names] if names else [_load(ctx, str(p), None) for p in scenario_paths()]
    items, lines, failed = [], [], False
    for scenario in chosen:
        run = record(scenario, build=fresh_app)
        if not run.ok:
            failed = True
            items.append({"name": scenario.name, "ok": False, "failures": run.result.failures})
            lines.append(f"{scenario.name}: NOT RECORDED, {len(run.result.failures)} step(s) failed: "
                         + "; ".join(run.result.failures))
            continue
        if check:
            problems = compare(run, folder)
            failed = failed or bool(problems)
            items.append({"name": scenario.name, "ok": not problems, "differences": problems})
            lines.append(f"{scenario.name}: " + ("matches its goldens" if not problems else "DIFFERS\n" + "\n".join(problems)))
        else:
            written = write(run, folder)
            items.append({"name": scenario.name, "ok": True, "written": [str(p) for p in written]})
            lines.append(f"{scenario.name}: " + ", ".join(str(p) for p in written))
    emit(ctx, items, "\n".join(lines))
    if failed:
        raise Reported("some stories failed or differ from their goldens (listed above)", code="golden_mismatch")


@click.command("demo")
@_run_options
@pass_context
def demo_command(ctx: Context, seed: int | None, out: Path | None, junit: Path | None, progress: bool | None,
                 record_target: Path | None, as_json: bool) -> None:
    """The main job: the demo tenant provisioned into Genesys, then a day of directory changes.

    Runs fixtures/scenarios/demo.yaml in-process (no server, no credentials) and
    prints the provisioning report; the same bytes on every run.
    """
    ctx.as_json = ctx.as_json or as_json
    run_scenario_command(ctx, "demo", seed, out, progress, record_target, junit)
