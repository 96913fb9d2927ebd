"""``provsim token``: get an access token the way a real client would.

    provsim token purecloud --url http://127.0.0.1:8080   # a token a running `provsim serve` accepts
    PROVSIM_URL=http://127.0.0.1:8080 provsim token graph   # the same, from the environment
    provsim token purecloud                    # no server: from a fresh in-process demo org (good for
                                               # this process only; stderr says so)
    provsim --json token purecloud             # the whole token response

One group, one command per surface; ``token graph`` (Entra) is added beside
``token purecloud`` below.
"""

from __future__ import annotations

import click

from simulator.cli import Context, emit, pass_context

__all__ = ["token_group", "purecloud_token", "graph_token", "emit_token"]

from simulator.client.login import DEMO_GENESYS

_DEMO_ID, _DEMO_SECRET = DEMO_GENESYS


def _where_options(endpoint: str, what: str):
    """``--url`` (a running server, or ``PROVSIM_URL``), else a fresh in-process demo ``what`` from
    ``--fixture`` and ``--seed``: the options every ``token`` command shares."""
    def decorate(command):
        for option in reversed((
            click.option("--url", default=None, envvar="PROVSIM_URL",
                         help=f"Base URL of a running server (POSTs {{url}}{endpoint}; env PROVSIM_URL); without it, "
                              f"a fresh in-process demo {what} answers, and its token works nowhere else."),
            click.option("--fixture", default="contoso", show_default=True, help=f"Tenant fixture of the in-process {what}."),
            click.option("--seed", default=0, show_default=True, type=int, help=f"Seed of the in-process {what}."),
        )):
            command = option(command)
        return command
    return decorate


@click.group("token")
def token_group() -> None:
    """Get an OAuth access token from a fake (or a real) login endpoint."""


@token_group.command("purecloud")
@click.option("--client-id", default=_DEMO_ID, show_default=True, help="Genesys Cloud OAuth client id.")
@click.option("--client-secret", default=_DEMO_SECRET, show_default=True, help="Its secret.")
@_where_options("/oauth/token", "org")
@pass_context
def purecloud_token(ctx: Context, client_id: str, client_secret: str, url: str | None, fixture: str, seed: int) -> None:
    """Client-credentials token for Genesys Cloud (HTTP Basic, grant_type=client_credentials)."""
    from simulator.client.login import genesys_token

    emit_token(ctx, url, fixture, seed, lambda client, base: genesys_token(client, client_id, client_secret, base=base))


@token_group.command("graph")
@click.option("--tenant", default="contoso.onmicrosoft.com", show_default=True, help="Tenant id or domain.")
@click.option("--client-id", default="provsim-graph-client", show_default=True, help="Entra app (client) id.")
@click.option("--client-secret", default="provsim-graph-secret", show_default=True, help="Its client secret.")
@click.option("--scope", default="https://graph.microsoft.com/.default", show_default=True,
              help="Scope; client credentials need '<resource>/.default'.")
@_where_options("/{tenant}/oauth2/v2.0/token", "tenant")
@pass_context
def graph_token(ctx: Context, tenant: str, client_id: str, client_secret: str, scope: str, url: str | None,
                fixture: str, seed: int) -> None:
    """Client-credentials token for Microsoft Graph from the Entra login endpoint."""
    from simulator.client.login import graph_token

    emit_token(ctx, url, fixture, seed,
               lambda client, base: graph_token(client, tenant, client_id, client_secret, scope=scope, base=base))


def emit_token(ctx: Context, url: str | None, fixture: str, seed: int, login) -> None:
    """Run ``login(client, base)`` against ``url``, or a fresh in-process tenant, and print the token."""
    import httpx

    from simulator.client.login import LoginFailed
    from simulator.client.transport import default_ssl_context

    try:
        if url:
            with httpx.Client(timeout=30, verify=default_ssl_context()) as client:
                body = login(client, url)
        else:
            from simulator.app import create_app
            from simulator.client.transport import InProcessTransport
            from simulator.core import ProvsimConfig

            app = create_app(ProvsimConfig(seed=seed, fixture=fixture))
            with httpx.Client(transport=InProcessTransport(app=app), base_url="http://provsim.local") as client:
                body = login(client, "")
            click.echo("note: no --url, so this token comes from a fresh in-process simulator and only works in this "
                       "process; a running `provsim serve` rejects it (pass --url or set PROVSIM_URL)", err=True)
    except httpx.HTTPError as err:
        raise click.ClickException(f"could not reach {url}: {err}") from err
    except LoginFailed as err:
        error = err.body.get("error", "") if isinstance(err.body, dict) else ""
        raise click.ClickException(f"token request failed ({err.status} {error}): {err.detail}") from err
    emit(ctx, body, body["access_token"])
