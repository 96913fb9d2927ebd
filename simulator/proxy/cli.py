"""Click objects for the proxy: the ``proxy`` command and the ``cassette`` group.

The integrator adds them to the root group (``root.add_command(proxy)``,
``root.add_command(cassette)``).  Commands parse and validate at the edge, call library
code, print (``--json`` for machines), and fail with a :class:`ProxyCliError`
(a ``ClickException``) whose exit code scripts can trust:

    0  success / cassettes equal / verify agrees / check clean
    1  differences found, check findings, verify disagreements
    2  usage errors (click's own)
    3  a cassette or upstream that cannot be used
Heavy imports happen inside the commands, so ``provsim --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from simulator.cli import CliError, Context, Reported, bind_failed, pass_context
from simulator.http.tls import tls_banner, tls_files, tls_options, upstream_trust

from .modes import OnMiss, ProxyMode

__all__ = ["proxy", "cassette", "ProxyCliError", "FindingsExit"]


class ProxyCliError(CliError):
    """A proxy/cassette command that cannot do its work (exit code 3)."""

    exit_code = 3


class FindingsExit(Reported):
    """The command ran and found differences or problems (exit code 1); already printed."""

    code = "findings"
    exit_code = 1

    def show(self, file: Any = None) -> None:  # the report itself was the output
        if self.message:
            click.echo(self.message, err=True)


def _emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True) if as_json else text)


def _recorded_origin(cassette_path: Path | None, fmt: str | None) -> str:
    """The one origin a cassette was recorded against (replay needs no --upstream)."""
    from .cassette import load_interactions
    from .errors import ProxyError

    if cassette_path is None:
        raise click.UsageError("--upstream is required (or give the --cassette to replay)")
    try:
        interactions = load_interactions(cassette_path, format=fmt)
    except ProxyError as err:
        raise ProxyCliError(str(err)) from err
    origins = sorted({f"{u.scheme}://{u.netloc}" for u in (i.request.parsed_uri for i in interactions)})
    if len(origins) != 1:
        raise click.UsageError(f"{cassette_path} was recorded against {len(origins)} origins "
                               f"({', '.join(origins) or 'none'}): pass --upstream")
    return origins[0]


@click.command("proxy")
@click.option("--upstream", help="The one origin to forward to, e.g. https://api.mypurecloud.com "
                                 "[replay: the origin the cassette was recorded against].")
@click.option("--cassette", "cassette_path", type=click.Path(dir_okay=False, path_type=Path), help="Cassette file (required except in passthrough).")
@click.option("--mode", type=click.Choice(ProxyMode, case_sensitive=False), default=ProxyMode.RECORD.value, show_default=True, help="record, replay, spy or passthrough.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; loopback unless you mean otherwise.")
@click.option("--port", default=8090, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on (0: any free port).")
@click.option("--on-miss", type=click.Choice(OnMiss, case_sensitive=False), default=OnMiss.ERROR.value, show_default=True, help="replay: answer an explained error, or forward to the upstream.")
@click.option("--allow-repeats", is_flag=True, help="replay/spy: answer a repeated request again once its recordings are used up.")
@click.option("--record-new", is_flag=True, help="spy: record the forwarded exchanges into the cassette.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default=None, help="Cassette format (default: from the suffix, else yaml).")
@click.option("--scrub-header", "scrub_headers", multiple=True, metavar="NAME", help="Another header to redact (repeatable).")
@click.option("--scrub-json-path", "scrub_json_paths", multiple=True, metavar="PATH", help="A JSON path to redact: a.b[0].c or /json/pointer (repeatable).")
@click.option("--pseudonymize", is_flag=True, help="Replace e-mail addresses and user names by stable pseudonyms.")
@click.option("--pseudonym-key", envvar="PROVSIM_PSEUDONYM_KEY", default=None, help="Key for pseudonyms (env PROVSIM_PSEUDONYM_KEY); use your own before sharing.")
@click.option("--ignore-field", "ignore_fields", multiple=True, metavar="FIELD", help="JSON field ignored when matching request bodies (repeatable; a.b for a path).")
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Serve TLS with this certificate (with --keyfile).")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Private key for --certfile.")
@click.option("--insecure", is_flag=True, help="Do not verify the upstream's TLS certificate.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.01), help="Upstream timeout in seconds (504 when exceeded).")
@click.option("--log", "traffic_log", type=click.Path(dir_okay=False, path_type=Path), help="Write the traffic log (JSON lines; `cassette check --played`).")
@tls_options
@pass_context
def proxy(
    ctx: Context,
    upstream: str | None,
    cassette_path: Path | None,
    mode: ProxyMode,
    host: str,
    port: int,
    on_miss: OnMiss,
    allow_repeats: bool,
    record_new: bool,
    fmt: str | None,
    scrub_headers: tuple[str, ...],
    scrub_json_paths: tuple[str, ...],
    pseudonymize: bool,
    pseudonym_key: str | None,
    ignore_fields: tuple[str, ...],
    certfile: Path | None,
    keyfile: Path | None,
    insecure: bool,
    timeout: float,
    traffic_log: Path | None,
    tls: bool,
    tls_dir: Path | None,
) -> None:
    """Record, replay or spy on traffic between a client and one upstream."""
    from simulator.http.server import HttpServer, run_until_signal

    from .app import ProxyApp, ProxyConfig
    from .cassette import CassetteFormat
    from .errors import ProxyError
    from .scrub import DEFAULT_PSEUDONYM_KEY

    if (certfile is None) != (keyfile is None):
        raise click.UsageError("--certfile and --keyfile go together")
    if certfile and (tls or tls_dir):
        raise click.UsageError("--tls/--tls-dir use provsim's local CA; --certfile/--keyfile your own certificate: pick one")
    if upstream is None:
        if ProxyMode(mode) is not ProxyMode.REPLAY or OnMiss(on_miss) is OnMiss.FORWARD:
            raise click.UsageError(f"--upstream is required in {ProxyMode(mode).value} mode"
                                   + (" with --on-miss forward" if ProxyMode(mode) is ProxyMode.REPLAY else ""))
        upstream = _recorded_origin(cassette_path, fmt)
    tls_material = tls_files(tls, tls_dir, host)  # the same local CA as provsim serve --tls
    try:
        config = ProxyConfig(
            upstream=upstream,
            mode=ProxyMode(mode),
            cassette=cassette_path,
            format=CassetteFormat(fmt) if fmt else None,
            on_miss=OnMiss(on_miss),
            allow_repeats=allow_repeats,
            record_new=record_new,
            scrub_headers=scrub_headers,
            scrub_json_paths=scrub_json_paths,
            pseudonymize=pseudonymize,
            pseudonym_key=pseudonym_key or DEFAULT_PSEUDONYM_KEY,
            ignore_fields=ignore_fields,
            # with --tls the upstream may be provsim serve --tls: its CA is trusted too, beside the system's
            verify=upstream_trust(tls_material.ca) if tls_material and not insecure else not insecure,
            timeout=timeout,
            traffic_log=traffic_log,
        )
        app = ProxyApp(config)
    except ValueError as err:
        raise click.BadParameter(str(err)) from err
    except ProxyError as err:
        raise ProxyCliError(str(err)) from err
    ssl_context = (str(certfile), str(keyfile)) if certfile and keyfile else None
    if tls_material is not None:
        ssl_context = tls_material.pair
    # waitress (cheroot when TLS is asked for: waitress has none): the shared server class of provsim serve
    try:
        server = HttpServer(app, host, port, ssl_context=ssl_context)
    except OSError as err:
        app.close()
        raise bind_failed(err, host, port) from err
    scheme = "https" if ssl_context else "http"
    listening = f"{scheme}://{host}:{server.port}"

    def announce() -> None:
        if ctx.as_json:
            _emit(True, {"url": listening, "mode": config.mode.value, "upstream": upstream,
                         "cassette": str(cassette_path) if cassette_path else None,
                         "tls_ca": str(tls_material.ca) if tls_material else None}, "")
        click.echo(
            f"provsim proxy ({config.mode.value}) on {listening} -> {upstream}"
            + (f", cassette {cassette_path}" if cassette_path else ""),
            err=True,
        )
        if tls_material is not None:
            click.echo(tls_banner(tls_material), err=True)

    try:
        run_until_signal(server, announce)  # SIGTERM / SIGINT: stop accepting, finish requests in flight
    finally:
        app.close()
        unused = app.unused()
        if config.mode in (ProxyMode.REPLAY, ProxyMode.SPY) and unused:
            click.echo(f"{len(unused)} recorded interaction(s) never played: {unused}", err=True)


@click.group("cassette")
def cassette() -> None:
    """Check, diff and verify recorded cassettes."""


@cassette.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--played", "played_log", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Traffic log of a replay: report interactions never played.")
@click.option("--strict", is_flag=True, help="Fail on warnings (duplicates) too.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default=None, help="Cassette format (default: from the suffix).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_context
def check_command(ctx: Context, path: Path, played_log: Path | None, strict: bool, fmt: str | None, as_json: bool) -> None:
    """Find secrets left, malformed entries, duplicates and unused interactions."""
    as_json = as_json or ctx.as_json
    from .check import check_cassette, read_played_log
    from .errors import ProxyError

    try:
        played = read_played_log(played_log) if played_log else None
        report = check_cassette(path, played=played, format=fmt)
    except (ProxyError, ValueError) as err:
        raise ProxyCliError(str(err)) from err
    _emit(as_json, {**report.to_dict(), "ok": report.ok(strict=strict)}, report.render())
    if not report.ok(strict=strict):
        raise FindingsExit("")


@cassette.command("diff")
@click.argument("a", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("b", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--ignore-field", "ignore_fields", multiple=True, metavar="FIELD", help="Another JSON field to ignore (name anywhere, or a.b path).")
@click.option("--ignore-header", "ignore_headers", multiple=True, metavar="NAME", help="Another header to ignore.")
@click.option("--no-default-ignores", is_flag=True, help="Compare ids, meta timestamps/versions, Date, ETag and request ids too.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_context
def diff_command(ctx: Context, a: Path, b: Path, ignore_fields: tuple[str, ...], ignore_headers: tuple[str, ...],
                 no_default_ignores: bool, as_json: bool) -> None:
    """Compare two cassettes request by request; exit 1 on any difference."""
    as_json = as_json or ctx.as_json
    from .cassette import load_interactions
    from .diff import DiffOptions, diff_interactions
    from .errors import ProxyError

    try:
        ia, ib = load_interactions(a), load_interactions(b)
    except ProxyError as err:
        raise ProxyCliError(str(err)) from err
    options = DiffOptions.build(ignore_fields=ignore_fields, ignore_headers=ignore_headers, defaults=not no_default_ignores)
    result = diff_interactions(ia, ib, name_a=str(a), name_b=str(b), options=options)
    _emit(as_json, result.to_dict(), result.render())
    if not result.equal:
        raise FindingsExit("")


@cassette.command("verify")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--against", required=True, help="Base URL of the live server, e.g. http://127.0.0.1:8080.")
@click.option("--token", envvar="PROVSIM_TOKEN", default=None, help="Bearer token for the live server (env PROVSIM_TOKEN).")
@click.option("--client-id", default=None, help="Client id for the recorded OAuth token call.")
@click.option("--client-secret", default=None, help="Client secret for the recorded OAuth token call.")
@click.option("--ignore-field", "ignore_fields", multiple=True, metavar="FIELD", help="Another JSON field to ignore when comparing.")
@click.option("--insecure", is_flag=True, help="Do not verify the live server's TLS certificate.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.01), help="Per-request timeout in seconds.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_context
def verify_command(
    ctx: Context,
    path: Path,
    against: str,
    token: str | None,
    client_id: str | None,
    client_secret: str | None,
    ignore_fields: tuple[str, ...],
    insecure: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Re-send the recorded requests to a live server and report where answers differ."""
    as_json = as_json or ctx.as_json
    from .errors import ProxyError
    from .verify import verify_cassette

    try:
        report = verify_cassette(
            path,
            against,
            token=token,
            client_id=client_id,
            client_secret=client_secret,
            verify_tls=not insecure,
            timeout=timeout,
            extra_ignore_fields=ignore_fields,
        )
    except ProxyError as err:
        raise ProxyCliError(str(err)) from err
    _emit(as_json, report.to_dict(), report.render())
    if not report.ok:
        raise FindingsExit("")


if __name__ == "__main__":  # pragma: no cover - handy while the root CLI is being built
    sys.exit(proxy())
