"""``provsim token``: get an access token the way a real client would.

    provsim token purecloud                    # in-process, from a fresh demo org
    provsim token purecloud --url http://127.0.0.1:8080
    provsim --json token purecloud             # the whole token response

One group, one command per surface; ``token graph`` (Entra) is added beside
``token purecloud`` below.
"""

from __future__ import annotations

import click

from simulator.cli import Context, emit, pass_context

__all__ = ["token_group", "purecloud_token", "graph_token"]

_DEMO_ID = "provsim-purecloud-client"
_DEMO_SECRET = "provsim-purecloud-secret"


@click.group("token")
def token_group() -> None:
    """Get an OAuth access token from a fake (or a real) login endpoint."""


@token_group.command("purecloud")
@click.option("--client-id", default=_DEMO_ID, show_default=True, help="Genesys Cloud OAuth client id.")
@click.option("--client-secret", default=_DEMO_SECRET, show_default=True, help="Its secret.")
@click.option("--url", default=None, help="Base URL of a running server (POSTs {url}/oauth/token); "
                                          "without it, a fresh in-process demo org answers.")
@click.option("--fixture", default="contoso", show_default=True, help="Tenant fixture of the in-process org.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the in-process org.")
@pass_context
def purecloud_token(ctx: Context, client_id: str, client_secret: str, url: str | None, fixture: str, seed: int) -> None:
    """Client-credentials token for Genesys Cloud (HTTP Basic, grant_type=client_credentials)."""
    import httpx

    form = {"grant_type": "client_credentials"}
    try:
        if url:
            with httpx.Client(base_url=url.rstrip("/"), timeout=30) as client:
                resp = client.post("/oauth/token", data=form, auth=(client_id, client_secret))
        else:
            from simulator.app import create_app
            from simulator.core import ConfigError, ProvsimConfig
            from simulator.http import InProcessTransport

            try:
                app = create_app(ProvsimConfig(seed=seed, fixture=fixture))
            except ConfigError as err:
                raise click.ClickException(str(err)) from err
            with httpx.Client(transport=InProcessTransport(app=app), base_url="http://provsim.local") as client:
                resp = client.post("/oauth/token", data=form, auth=(client_id, client_secret))
    except httpx.HTTPError as err:
        raise click.ClickException(f"could not reach {url}: {err}") from err
    try:
        body = resp.json()
    except ValueError:
        body = {"status": resp.status_code, "body": resp.text}
    if resp.status_code != 200:
        detail = body.get("description") or body.get("error_description") or body.get("message") or resp.text
        raise click.ClickException(f"token request failed ({resp.status_code} {body.get('error', '')}): {detail}")
    emit(ctx, body, body["access_token"])


@token_group.command("graph")
@click.option("--tenant", default="contoso.onmicrosoft.com", show_default=True, help="Tenant id or domain.")
@click.option("--client-id", default="provsim-graph-client", show_default=True, help="Entra app (client) id.")
@click.option("--client-secret", default="provsim-graph-secret", show_default=True, help="Its client secret.")
@click.option("--scope", default="https://graph.microsoft.com/.default", show_default=True,
              help="Scope; client credentials need '<resource>/.default'.")
@click.option("--url", default=None, help="Base URL of a running server (POSTs {url}/{tenant}/oauth2/v2.0/token); "
                                          "without it, a fresh in-process demo tenant answers.")
@click.option("--fixture", default="contoso", show_default=True, help="Tenant fixture of the in-process tenant.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the in-process tenant.")
@pass_context
def graph_token(ctx: Context, tenant: str, client_id: str, client_secret: str, scope: str, url: str | None,
                fixture: str, seed: int) -> None:
    """Client-credentials token for Microsoft Graph from the Entra login endpoint."""
    import httpx

    form = {"client_id": client_id, "client_secret": client_secret, "scope": scope, "grant_type": "client_credentials"}
    path = f"/{tenant}/oauth2/v2.0/token"
    try:
        if url:
            with httpx.Client(base_url=url.rstrip("/"), timeout=30) as client:
                resp = client.post(path, data=form)
        else:
            from simulator.app import create_app
            from simulator.core import ConfigError, ProvsimConfig
            from simulator.http import InProcessTransport

            try:
                app = create_app(ProvsimConfig(seed=seed, fixture=fixture))
            except ConfigError as err:
                raise click.ClickException(str(err)) from err
            with httpx.Client(transport=InProcessTransport(app=app), base_url="http://provsim.local") as client:
                resp = client.post(path, data=form)
    except httpx.HTTPError as err:
        raise click.ClickException(f"could not reach {url}: {err}") from err
    try:
        body = resp.json()
    except ValueError:
        body = {"status": resp.status_code, "body": resp.text}
    if resp.status_code != 200:
        detail = str(body.get("error_description") or resp.text).split("\r\n")[0]
        raise click.ClickException(f"token request failed ({resp.status_code} {body.get('error', '')}): {detail}")
    emit(ctx, body, body["access_token"])
