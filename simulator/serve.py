"""``provsim serve``: every fake on one port, threaded, over real HTTP."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from simulator.cli import Context, emit, pass_context

__all__ = ["serve_command", "ServerThread", "DEMO_CREDENTIALS"]

DEMO_CREDENTIALS = {
    "purecloud": {"client_id": "provsim-purecloud-client", "client_secret": "provsim-purecloud-secret"},
    "graph": {"tenant": "contoso.onmicrosoft.com", "tenant_id": "7d3c2a1e-5b4f-4c8d-9e6a-1f2b3c4d5e6f",
              "client_id": "provsim-graph-client", "client_secret": "provsim-graph-secret"},
}


class ServerThread(threading.Thread):
    """A werkzeug threaded server in a background thread (tests, ``serve``).

    Also runs the housekeeping a long-lived server needs: the state file is
    written at most every ``flush_interval`` seconds (never per request), and a
    wall clock, if used, runs what falls due.
    """

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, *, flush_interval: float = 0.5, ssl_context=None) -> None:
        super().__init__(daemon=True, name="provsim-server")
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server(host, port, app, threaded=True, ssl_context=ssl_context)
        self.host = host
        self.port = self.server.server_port
        self.flush_interval = flush_interval
        self._stop = threading.Event()
        self._house = threading.Thread(target=self._housekeeping, daemon=True, name="provsim-housekeeping")

    @property
    def url(self) -> str:
        scheme = "https" if self.server.ssl_context else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def run(self) -> None:
        self._house.start()
        self.server.serve_forever()

    def _housekeeping(self) -> None:
        runtime = self.app.extensions["provsim"]
        while not self._stop.wait(self.flush_interval):
            tick = getattr(runtime.clock, "tick", None)
            if tick is not None:
                tick()
            runtime.checkpoint()

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
        self.app.extensions["provsim"].checkpoint()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless you mean it).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0 picks a free one).")
@click.option("--state", "state", type=click.Path(dir_okay=False, path_type=Path), help="Persist state to this JSON file (resumes if it exists).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for ids and tokens.")
@click.option("--fixture", default="contoso", show_default=True, help="Tenant fixture name or path.")
@click.option("--wall-clock", is_flag=True, help="Let virtual time pass with real time (demos).")
@click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(min=0.001), help="With --wall-clock: virtual seconds per real second.")
@click.option("--smtp", metavar="HOST:PORT", help="Also send notification e-mails to this SMTP server.")
@click.option("--outbox", "outbox_dir", type=click.Path(file_okay=False, path_type=Path), help="Write notification e-mails as .eml files here.")
@pass_context
def serve_command(ctx: Context, host: str, port: int, state: Path | None, seed: int, fixture: str, wall_clock: bool, scale: float,
                  smtp: str | None, outbox_dir: Path | None) -> None:
    """Serve Genesys SCIM + OAuth, Graph + Entra login and /_provsim on one port."""
    from simulator.app import create_app
    from simulator.core import ConfigError, ProvsimConfig, StoreError

    try:
        if smtp:
            from simulator.engine.notify import SmtpTarget

            try:
                SmtpTarget.parse(smtp)
            except ValueError as err:
                raise click.BadParameter(str(err), param_hint="--smtp") from err
        config = ProvsimConfig(seed=seed, fixture=fixture, state_path=state, wall_clock=wall_clock, clock_scale=scale,
                               base_url=f"http://{host}:{port}", extra={"smtp": smtp, "outbox_dir": outbox_dir})
        app = create_app(config)
        server = ServerThread(app, host, port)
    except (ConfigError, StoreError, OSError) as err:
        raise click.ClickException(str(err)) from err
    base = server.url
    info = {
        "base_url": base,
        "genesys": {"api": base, "scim": f"{base}/api/v2/scim/v2", "token": f"{base}/oauth/token", **DEMO_CREDENTIALS["purecloud"]},
        "graph": {"api": f"{base}/v1.0", "token": f"{base}/{DEMO_CREDENTIALS['graph']['tenant']}/oauth2/v2.0/token", **DEMO_CREDENTIALS["graph"]},
        "control": f"{base}/_provsim",
        "dashboard": f"{base}/",
        "state": str(state) if state else None,
        "seed": seed,
    }
    emit(ctx, info, "\n".join([
        f"provsim serving on {base}  (seed {seed}, fixture {fixture}{', state ' + str(state) if state else ', in memory'})",
        f"  Genesys Cloud SCIM  {base}/api/v2/scim/v2     token: POST {base}/oauth/token",
        f"      client id / secret: {DEMO_CREDENTIALS['purecloud']['client_id']} / {DEMO_CREDENTIALS['purecloud']['client_secret']}",
        f"  Microsoft Graph     {base}/v1.0               token: POST {info['graph']['token']}",
        f"      tenant {DEMO_CREDENTIALS['graph']['tenant']} ({DEMO_CREDENTIALS['graph']['tenant_id']})",
        f"      client id / secret: {DEMO_CREDENTIALS['graph']['client_id']} / {DEMO_CREDENTIALS['graph']['client_secret']}",
        f"  Simulator control   {base}/_provsim (clock, faults, reset)    dashboard: {base}/",
        "Ctrl-C to stop.",
    ]))
    server.start()
    try:
        server.join()
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        server.stop()
