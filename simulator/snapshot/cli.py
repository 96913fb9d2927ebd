"""``provsim snapshot``: read a real tenant with your own credentials and write a fixture.

    provsim snapshot --tenant contoso.onmicrosoft.com --client-id ID --client-secret SECRET \\
                     --genesys-client-id ID --genesys-client-secret SECRET --region eu_west_1 --out tenant.yaml

Secrets may come from the environment instead of the command line (shell history):
PROVSIM_GRAPH_CLIENT_SECRET (or AZURE_CLIENT_SECRET) and PROVSIM_GENESYS_CLIENT_SECRET (or
GENESYSCLOUD_OAUTHCLIENT_SECRET).  None is ever written to the fixture.  Progress shows on a
terminal only.  docs/snapshot.md lists the permissions each side needs.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from simulator.cli import Context, emit, pass_context

__all__ = ["snapshot_command"]


def _region(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from . import GENESYS_REGIONS

    name = value.replace("-", "_").lower()
    if name not in GENESYS_REGIONS:
        raise click.BadParameter(f"{value!r} is not a Genesys Cloud region; use one of {', '.join(GENESYS_REGIONS)}")
    return name


def _start(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    from simulator.core import parse_datetime
    from simulator.core.clock import WallClock

    if value.strip().lower() == "now":
        return WallClock().now().replace(microsecond=0)  # the one wall-clock reading, in simulator.core
    try:
        return parse_datetime(value)
    except ValueError as err:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time (or 'now'): {err}") from err


@click.command("snapshot")
@click.option("--tenant", required=True, envvar=["PROVSIM_SNAPSHOT_TENANT", "AZURE_TENANT_ID"],
              help="The Entra tenant (domain or id) [env PROVSIM_SNAPSHOT_TENANT, AZURE_TENANT_ID].")
@click.option("--client-id", required=True, envvar=["PROVSIM_GRAPH_CLIENT_ID", "AZURE_CLIENT_ID"],
              help="Your app registration's client id [env PROVSIM_GRAPH_CLIENT_ID, AZURE_CLIENT_ID].")
@click.option("--client-secret", required=True, envvar=["PROVSIM_GRAPH_CLIENT_SECRET", "AZURE_CLIENT_SECRET"],
              help="Its client secret [env PROVSIM_GRAPH_CLIENT_SECRET, AZURE_CLIENT_SECRET]; never written.")
@click.option("--graph-url", default="https://graph.microsoft.com", show_default=True, help="Microsoft Graph.")
@click.option("--login-url", default="https://login.microsoftonline.com", show_default=True, help="The Entra login.")
@click.option("--region", default="us_east_1", show_default=True, callback=_region,
              help="Genesys Cloud region: its API and login URLs are the defaults of the next two options.")
@click.option("--genesys-url", help="The Genesys API [default: the region's, e.g. https://api.mypurecloud.com].")
@click.option("--genesys-login-url", help="The Genesys login [default: the region's, e.g. https://login.mypurecloud.com].")
@click.option("--genesys-client-id", envvar=["PROVSIM_GENESYS_CLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_ID"],
              help="A Genesys OAuth client (client credentials) [env PROVSIM_GENESYS_CLIENT_ID, "
                   "GENESYSCLOUD_OAUTHCLIENT_ID]; without it the Genesys org is left empty.")
@click.option("--genesys-client-secret", envvar=["PROVSIM_GENESYS_CLIENT_SECRET", "GENESYSCLOUD_OAUTHCLIENT_SECRET"],
              help="Its secret [env PROVSIM_GENESYS_CLIENT_SECRET, GENESYSCLOUD_OAUTHCLIENT_SECRET]; never written.")
@click.option("--app", default="PureCloud by Genesys", show_default=True,
              help="The enterprise application's display name.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The fixture to write: .yaml, or .json for a big tenant.")
@click.option("--keep-names", is_flag=True,
              help="Keep real names, e-mails and ids (for people who own the data); secrets are still never written.")
@click.option("--pseudonym-key", envvar="PROVSIM_SNAPSHOT_KEY",
              help="Derive pseudonyms from this secret [env PROVSIM_SNAPSHOT_KEY; default: from the tenant, so a "
                   "re-snapshot diffs cleanly]. Set one so that nobody who knows the tenant can test guessed names.")
@click.option("--start", callback=_start, metavar="TIME|now",
              help="The fixture's virtual start time (what Now() reads at first) [default: the simulator's epoch].")
@pass_context
def snapshot_command(ctx: Context, tenant: str, client_id: str, client_secret: str, graph_url: str, login_url: str,
                     region: str, genesys_url: str | None, genesys_login_url: str | None, genesys_client_id: str | None,
                     genesys_client_secret: str | None, app: str, out: Path, keep_names: bool, pseudonym_key: str | None,
                     start: datetime | None) -> None:
    """Read a real tenant (and its Genesys org) and write a pseudonymised fixture.

    It keeps the structure (counts, group sizes, managers, assignments, which attributes are set
    and their shapes) and the provisioning job's configuration verbatim; names, e-mails, phone
    numbers, ids and free text become deterministic pseudonyms. Load it with
    `provsim serve --fixture FILE`; enter the Secret Token again (`provsim job secret`) and start.
    """
    from simulator.graph.generate import write_fixture

    from . import SnapshotError, SnapshotOptions, Source, genesys_urls, take_snapshot

    if genesys_client_id and not genesys_client_secret:
        raise click.BadParameter("--genesys-client-id needs --genesys-client-secret (or its environment variable)",
                                 param_hint="--genesys-client-secret")
    api, login = genesys_urls(region)
    genesys_url = (genesys_url or api).rstrip("/")
    if genesys_login_url is None:
        genesys_login_url = login if genesys_url == api else genesys_url.replace("//api.", "//login.", 1)
    source = Source(tenant=tenant, client_id=client_id, client_secret=client_secret, graph_url=graph_url.rstrip("/"),
                    login_url=login_url.rstrip("/"), genesys_url=genesys_url, genesys_login_url=genesys_login_url,
                    genesys_client_id=genesys_client_id, genesys_client_secret=genesys_client_secret)
    options = SnapshotOptions(app=app, keep_names=keep_names, region=region, start=start,
                              key=pseudonym_key.encode() if pseudonym_key else None)
    terminal = sys.stderr.isatty()

    def progress(what: str, count: int) -> None:
        if terminal:
            click.echo(f"\rreading {what}: {count}\033[K", err=True, nl=False)

    try:
        snapshot = take_snapshot(source, options, progress=progress)
    except SnapshotError as err:
        raise click.ClickException(str(err)) from err
    finally:
        if terminal:
            click.echo("\r\033[K", err=True, nl=False)
    write_fixture(snapshot.fixture, out)
    summary = {"out": str(out), **{k: v for k, v in snapshot.fixture["snapshot"].items() if k != "warnings"},
               "warnings": snapshot.warnings, "throttled": len(snapshot.waits)}
    lines = [f"wrote {out}: {summary['users']} users, {summary['groups']} groups, {summary['genesysUsers']} Genesys "
             f"users, {summary['genesysGroups']} Genesys groups ("
             + ("pseudonymised" if summary["pseudonymised"] else "real names kept") + ")"]
    lines += [f"  note: {w}" for w in snapshot.warnings]
    lines.append(f"  serve it: provsim serve --fixture {out}; then enter the Secret Token again "
                 "(provsim job secret) and start the job")
    emit(ctx, summary, "\n".join(lines))
