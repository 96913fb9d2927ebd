"""``provsim serve``: every fake on one port, over real HTTP (the server itself is
:mod:`simulator.http.server`).

Bound to a non-loopback address it says loudly what that exposes; ``--allow-remote-control``,
``--allow-host`` and ``--allow-target`` set the network edge (:func:`edge_config`).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from simulator.cli import Context, bind_failed, emit, pass_context
from simulator.http.server import AccessLog, ServerThread, access_logger
from simulator.http.tls import tls_banner, tls_files, tls_options

__all__ = ["serve_command", "DEMO_CREDENTIALS", "is_loopback", "exposure_warning", "edge_options", "edge_config"]

DEMO_CREDENTIALS = {
    "purecloud": {"client_id": "provsim-purecloud-client", "client_secret": "provsim-purecloud-secret"},
    "graph": {"tenant": "contoso.onmicrosoft.com", "tenant_id": "7d3c2a1e-5b4f-4c8d-9e6a-1f2b3c4d5e6f",
              "client_id": "provsim-graph-client", "client_secret": "provsim-graph-secret"},
}



def is_loopback(host: str) -> bool:
    """Is ``--host`` a loopback address or name?"""
    from simulator.core.security import is_loopback_name

    return is_loopback_name(host.strip("[]").lower())


def exposure_warning(host: str, *, allow_remote_control: bool = False, allow_hosts: tuple[str, ...] = ()) -> str | None:
    """What ``--host``, ``--allow-remote-control`` and ``--allow-host`` expose (None when nothing is)."""
    lines = []
    if not is_loopback(host):
        lines.append(
            f"WARNING: --host {host} is not a loopback address: every machine that can reach it can call the Genesys "
            "SCIM and Graph fakes with the demo credentials printed below (fixed, public), and read or change the "
            "simulated tenants. Use --random-keys so tokens cannot be forged from the seed. "
            + ("" if allow_remote_control else "The control API (/_provsim) and the dashboard still answer only "
               "loopback peers (this machine), whatever Host they name. ")
            + "The provisioning engine calls out only to loopback addresses, in-process names and --allow-target hosts.")
    if allow_remote_control:
        lines.append(
            "WARNING: --allow-remote-control: the control API (/_provsim: reset, restore, clock, faults, traffic with "
            "every request the fakes saw) and the dashboard answer ANY peer that can reach this port, not only this "
            "machine. Use it only on a network you trust; the Host and Origin checks still apply (--allow-host).")
    if allow_hosts:
        lines.append(f"NOTE: --allow-host {', '.join(allow_hosts)}: the control API and the dashboard also answer requests "
                     "addressed to these names (a name that resolves to this machine for a browser page on another "
                     "site could then drive it; the Origin check still refuses cross-site changes).")
    return "\n".join(lines) or None


def edge_options(command: Callable) -> Callable:
    """The network-edge options of ``serve``: who may drive it, and where its engine may call."""
    command = click.option("--allow-target", "allow_targets", multiple=True, metavar="HOST",
                           help="Bound to a non-loopback address, the engine calls out (cycles, Test Connection, on "
                                "demand) only to loopback, in-process names and these hosts (HOST or HOST:PORT).")(command)
    return click.option("--allow-remote-control", is_flag=True,
                        help="Let peers other than this machine use the control API and the dashboard (loudly: "
                             "anyone who reaches the port can reset, restore and read the traffic).")(command)


def edge_config(host: str, *, allow_hosts: tuple[str, ...] = (), allow_remote_control: bool = False,
                allow_targets: tuple[str, ...] = ()) -> dict[str, Any]:
    """:class:`ProvsimConfig` fields for the network edge of a server bound to ``host``."""
    return {"allowed_hosts": tuple(allow_hosts) + (() if _wildcard(host) else (host,)),
            "allow_remote_control": allow_remote_control,
            "outbound_restricted": not is_loopback(host), "allowed_targets": tuple(allow_targets)}


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless you mean it).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0 picks a free one).")
@click.option("--state", "state", type=click.Path(dir_okay=False, path_type=Path), help="Persist state to this JSON file (resumes if it exists); writes are journaled to STATE.journal before they are answered.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for ids and tokens.")
@click.option("--fixture", default="contoso", show_default=True, help="Tenant fixture name or path.")
@click.option("--wall-clock", is_flag=True, help="Let virtual time pass with real time (demos).")
@click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(min=0.001), help="With --wall-clock: virtual seconds per real second.")
@click.option("--smtp", metavar="HOST:PORT", help="Also send notification e-mails to this SMTP server.")
@click.option("--outbox", "outbox_dir", type=click.Path(file_okay=False, path_type=Path), help="Write notification e-mails as .eml files here.")
@click.option("--no-rate-limit", is_flag=True, help="Turn Genesys' 300 requests/minute per token limit off.")
@click.option("--random-keys", is_flag=True, help="Sign Graph tokens and derive Genesys tokens from a random key (shared servers): tokens can no longer be computed from the seed, and differ on every start.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME", help="Another Host name the control API and dashboard answer (besides loopback names).")
@click.option("--fsync", is_flag=True, help="fsync the journal on every write (survives power loss, not only a killed process; slower).")
@click.option("--threads", default=16, show_default=True, type=click.IntRange(1, 256), help="Worker threads of the HTTP server.")
@click.option("--access-log", is_flag=True, help="Log one line per request to stderr (query-string secrets scrubbed).")
@edge_options
@tls_options
@pass_context
def serve_command(ctx: Context, host: str, port: int, state: Path | None, seed: int, fixture: str, wall_clock: bool, scale: float,
                  smtp: str | None, outbox_dir: Path | None, no_rate_limit: bool, random_keys: bool,
                  allow_hosts: tuple[str, ...], fsync: bool, threads: int, access_log: bool, tls: bool = False,
                  tls_dir: Path | None = None, allow_remote_control: bool = False,
                  allow_targets: tuple[str, ...] = ()) -> None:
    """Serve Genesys SCIM + OAuth, Graph + Entra login and /_provsim on one port."""
    from simulator.app import create_app
    from simulator.core import ConfigError, ProvsimConfig, StoreError

    tls_material = tls_files(tls, tls_dir, host)
    try:
        if smtp:
            from simulator.engine.notify import SmtpTarget

            try:
                SmtpTarget.parse(smtp)
            except ValueError as err:
                raise click.BadParameter(str(err), param_hint="--smtp") from err
        edge: dict[str, Any] = {"smtp": smtp, "outbox_dir": outbox_dir, "fsync": fsync,
                                **edge_config(host, allow_hosts=allow_hosts, allow_remote_control=allow_remote_control,
                                              allow_targets=allow_targets)}
        if random_keys:
            from simulator.core.security import random_key

            edge["signing_key"] = random_key()
        config = ProvsimConfig(seed=seed, fixture=fixture, state_path=state, wall_clock=wall_clock, clock_scale=scale,
                               base_url=f"{'https' if tls_material else 'http'}://{host}:{port}", rate_limits=not no_rate_limit, **edge)
        app = create_app(config)
        if access_log:
            app.wsgi_app = AccessLog(app.wsgi_app)  # type: ignore[method-assign]  # Flask's documented middleware hook
            if not access_logger.handlers:
                handler = logging.StreamHandler()
                handler.setFormatter(logging.Formatter("%(message)s"))
                access_logger.addHandler(handler)
            access_logger.setLevel(logging.INFO)
        try:
            server = ServerThread(app, host, port, threads=threads, ssl_context=tls_material.pair if tls_material else None)
        except OSError as err:
            raise bind_failed(err, host, port) from err
    except (ConfigError, StoreError, OSError) as err:
        raise click.ClickException(str(err)) from err
    warning = exposure_warning(host, allow_remote_control=allow_remote_control, allow_hosts=allow_hosts)
    if warning:
        click.echo(warning, err=True)
    base = server.url
    info: dict[str, Any] = {
        "base_url": base,
        "genesys": {"api": base, "scim": f"{base}/api/v2/scim/v2", "token": f"{base}/oauth/token", **DEMO_CREDENTIALS["purecloud"]},
        "graph": {"api": f"{base}/v1.0", "token": f"{base}/{DEMO_CREDENTIALS['graph']['tenant']}/oauth2/v2.0/token", **DEMO_CREDENTIALS["graph"]},
        "control": f"{base}/_provsim",
        "dashboard": f"{base}/",
        "state": str(state) if state else None,
        "seed": seed,
        "rate_limits": not no_rate_limit,
        "random_keys": random_keys,
        "tls": {"ca": str(tls_material.ca), "dir": str(tls_material.folder), "created": tls_material.created,
                "names": list(tls_material.names)} if tls_material else None,
    }
    # The handlers go in before the banner: whoever waits for the banner may signal at once.
    stop = threading.Event()

    def on_signal(signum, _frame) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    emit(ctx, info, "\n".join([
        f"provsim serving on {base}  (seed {seed}, fixture {fixture}{', state ' + str(state) if state else ', in memory'})",
        f"  Genesys Cloud SCIM  {base}/api/v2/scim/v2     token: POST {base}/oauth/token",
        f"      client id / secret: {DEMO_CREDENTIALS['purecloud']['client_id']} / {DEMO_CREDENTIALS['purecloud']['client_secret']}",
        f"  Microsoft Graph     {base}/v1.0               token: POST {info['graph']['token']}",
        f"      tenant {DEMO_CREDENTIALS['graph']['tenant']} ({DEMO_CREDENTIALS['graph']['tenant_id']})",
        f"      client id / secret: {DEMO_CREDENTIALS['graph']['client_id']} / {DEMO_CREDENTIALS['graph']['client_secret']}",
        f"  Simulator control   {base}/_provsim (clock, faults, reset)    dashboard: {base}/",
        *([tls_banner(tls_material)] if tls_material else []),
        "Ctrl-C to stop.",
    ]))
    server.start()
    try:
        while not stop.wait(0.5):
            if not server.is_alive():
                break
    finally:
        click.echo("stopping: finishing requests in flight and writing the state", err=True)
        try:
            server.stop()
        finally:
            for sig, saved in previous.items():
                signal.signal(sig, saved)
    if not server.is_alive() and not stop.is_set():
        raise click.ClickException("the HTTP server stopped unexpectedly")


def _wildcard(host: str) -> bool:
    return host.strip("[]") in ("0.0.0.0", "::", "")
