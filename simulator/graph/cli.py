"""``provsim fixtures generate``: write a generated tenant fixture.

``provsim token graph`` lives in ``simulator/cli/token.py`` beside ``token purecloud``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from simulator.cli import Context, emit, pass_context

__all__ = ["fixtures_group", "generate_command"]


@click.group("fixtures")
def fixtures_group() -> None:
    """Tenant fixtures (directory + Genesys org)."""


@fixtures_group.command("generate")
@click.option("--users", type=click.IntRange(min=1), required=True, help="Number of Entra users.")
@click.option("--groups", type=click.IntRange(min=0), default=10, show_default=True,
              help="Number of Entra groups (department groups first, then teams).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same tenant.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write: .json (fast for big tenants) or .yaml.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@pass_context
def generate_command(ctx: Context, users: int, groups: int, seed: int, out: Path, quiet: bool) -> None:
    """Write a realistic tenant: users with managers, groups, app assignments and a Genesys org."""
    from .generate import generate_tenant, write_fixture

    started = time.perf_counter()  # progress display only; never part of the output
    show = not quiet and users >= 10_000

    def progress(stage: str, done: int, total: int) -> None:
        if show:
            click.echo(f"\r{stage}: {done}/{total}", err=True, nl=stage != "users" or done == total)

    try:
        data = generate_tenant(users, groups, seed, progress=progress)
        if show:
            click.echo(f"writing {out} ...", err=True)
        write_fixture(data, out)
    except (ValueError, OSError) as err:
        raise click.ClickException(str(err)) from err
    summary = {"out": str(out), "users": users, "groups": len(data["directory"]["groups"]), "seed": seed,
               "assignments": len(data["directory"]["applications"][0]["assignments"]),
               "purecloudGroups": [g["name"] for g in data["purecloud"]["groups"]],
               "seconds": round(time.perf_counter() - started, 2)}
    emit(ctx, summary, f"wrote {out}: {users} users, {summary['groups']} groups, {summary['assignments']} app assignments "
                       f"(seed {seed})")
    if show:
        sys.stderr.flush()
