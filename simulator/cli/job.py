"""``provsim job`` and ``provsim outbox``: drive the provisioning service from scripts.

    provsim job create --scope assigned --notify ops@contoso.com   # job from the purecloud template
    provsim job start                       # JOB may be left out when the app has one job
    provsim job advance PT40M               # POST /_provsim/clock/advance: runs the due cycles
    provsim job status                      # readable synchronizationStatus (provsim --json ...: the JSON)
    provsim job logs --action create --status failure --top 20
    provsim job restart --reset-scope Watermark,Escrows
    provsim job secret                      # re-enter the Secret Token (a new one from the Genesys login)
    provsim job delete --yes
    provsim job schema get --out schema.json  # the portal's schema editor: export ...
    provsim job schema put schema.json      # ... and import (each refused element named)
    provsim outbox                          # notification e-mails the service sent

Every command talks to a running provsim (``provsim serve``; ``--url``, default
http://127.0.0.1:8080) through the same APIs a real script uses against a
tenant: the Graph synchronization API and provisioning logs with a token from
the Entra login (demo client ``provsim-graph-client``), Genesys' ``/oauth/token``
for the job's secret token, and ``/_provsim`` for the virtual clock.  With
``--in-process`` the commands build the simulator in this process instead
(``--fixture``, ``--seed``); add ``--state FILE`` to keep the tenant, the job and
the clock between commands, as ``provsim serve --state`` does.

Exit status: 0 on success, 1 when provsim refuses the request (the message is
Graph's), 2 on a usage error, 3 when the server cannot be reached.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from simulator import client as client_module
from simulator.cli import CliError, Context, confirm, emit, pass_context
from simulator.client import ApiError, ProvsimClient, Unreachable, job_secrets, login
from simulator.client.login import DEMO_GENESYS

__all__ = ["job_group", "schema_group", "outbox_command", "JobCliError", "ServerUnreachable", "Session", "format_status"]

DEFAULT_TENANT = client_module.DEFAULT_TENANT
GENESYS_CLIENT = DEMO_GENESYS
RESET_SCOPES = client_module.RESET_SCOPES


class JobCliError(CliError):
    """provsim answered, and refused (exit status 1)."""

    code = "refused"


class ServerUnreachable(CliError):
    """No provsim at the URL (exit status 3)."""

    code = "server_unreachable"

    exit_code = 3


# ------------------------------------------------------------------------------------ session
@dataclass
class Session:
    """Where the commands' :class:`~simulator.client.ProvsimClient` talks to: a running server
    (``--url``) or a simulator built in this process (``--in-process``, ``--state``)."""

    url: str = client_module.DEFAULT_URL
    in_process: bool = False
    state: Path | None = None
    fixture: str = "contoso"
    seed: int = 0
    tenant: str | None = None
    sp: str | None = None
    client: ProvsimClient = field(default=None, repr=False)  # type: ignore[assignment]  # set by the group callback before any command
    app: Any = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return client_module.IN_PROCESS_BASE if self.in_process else self.url.rstrip("/")

    def open(self) -> Session:
        if self.in_process:
            from simulator.app import create_app
            from simulator.core import ConfigError, ProvsimConfig, StoreError

            try:
                self.app = create_app(ProvsimConfig(seed=self.seed, fixture=self.fixture, state_path=self.state))
            except (ConfigError, StoreError) as err:
                raise click.ClickException(str(err)) from err
            kwargs = {"tenant": self.tenant} if self.tenant else {}
            self.client = ProvsimClient.in_process(self.app, service_principal=self.sp, **kwargs)
        else:
            self.client = ProvsimClient.connect(self.url, tenant=self.tenant or DEFAULT_TENANT, service_principal=self.sp)
        return self

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.app is not None:
            self.app.extensions["provsim"].checkpoint()  # writes --state (no-op without one)

    def __enter__(self) -> Session:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def errors(self) -> Iterator[None]:
        """The client's errors as this command line reports them (exit status 1 or 3)."""
        try:
            yield
        except Unreachable as err:
            raise ServerUnreachable(f"{err}; start it with `provsim serve`, pass --url, or use --in-process") from err
        except login.LoginFailed as err:
            session_tenant = self.client.tenant if self.client is not None else self.tenant
            hint = " (pass --tenant with the served tenant's domain)" if "not found" in err.detail.lower() else ""
            who = f"Entra login for tenant {session_tenant}" if "/oauth2/" in err.url else f"login to {err.url}"
            raise JobCliError(f"{who} failed ({err.status}): {err.detail}{hint}") from err
        except ApiError as err:
            raise JobCliError(str(err)) from err


# --------------------------------------------------------------------------- shared options
def _connection_options(fn: Callable) -> Callable:
    """Where provsim is (``--url`` or ``--in-process``) and who logs in; adds ``session``."""

    @click.option("--url", default=client_module.DEFAULT_URL, show_default=True, envvar="PROVSIM_URL",
                  help="Base URL of a running provsim (env PROVSIM_URL).")
    @click.option("--in-process", is_flag=True, help="Build the simulator in this process instead of calling a server.")
    @click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
                  help="With --in-process: load and save the simulator state in this JSON file between commands.")
    @click.option("--fixture", default="contoso", show_default=True, help="With --in-process: tenant fixture name or path.")
    @click.option("--seed", default=0, show_default=True, type=int, help="With --in-process: seed for ids and tokens.")
    @click.option("--tenant", default=None, envvar="PROVSIM_TENANT",
                  help=f"Entra tenant (domain or id) to log in to [default: {DEFAULT_TENANT}; in-process: the fixture's].")
    @click.option("--sp", default=None, help="Service principal (object id or appId) of the PureCloud app "
                                             "[default: the tenant's PureCloud by Genesys app].")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (same as `provsim --json ...`).")
    @pass_context
    @functools.wraps(fn)
    def wrapper(ctx: Context, url: str, in_process: bool, state: Path | None, fixture: str, seed: int,
                tenant: str | None, sp: str | None, as_json: bool, **kwargs):
        if state is not None and not in_process:
            raise click.BadParameter("--state needs --in-process (a running server keeps its own state)", param_hint="--state")
        ctx.as_json = ctx.as_json or as_json
        with Session(url=url, in_process=in_process, state=state, fixture=fixture, seed=seed, tenant=tenant, sp=sp) as session:
            with session.errors():
                return fn(ctx, session, session.client, **kwargs)

    return wrapper


def _job_argument(fn: Callable) -> Callable:
    return click.argument("job", required=False)(fn)


def _check_reset_scope(_ctx, _param, value: str | None) -> str | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    canonical = []
    for item in items:
        match = next((s for s in RESET_SCOPES if s.lower() == item.lower()), None)
        if match is None:
            raise click.BadParameter(f"{item!r} is not a resetScope; choose from {', '.join(RESET_SCOPES)}")
        canonical.append(match)
    if not canonical:
        raise click.BadParameter(f"give one or more of {', '.join(RESET_SCOPES)}, comma-separated")
    return ",".join(canonical)


def _check_duration(_ctx, _param, value: str) -> str:
    from simulator.core import parse_duration

    try:
        parse_duration(value)
    except ValueError as err:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 duration such as PT40M, PT2H or P1D ({err})") from err
    return value


# ------------------------------------------------------------------------------ formatting
def _when(value: str | None) -> str:
    return value if value and not value.startswith("0001-") else "never"


def format_status(job: dict) -> str:
    """A synchronizationJob as the portal's provisioning overview reads (pure: job JSON in, text out)."""
    status = job.get("status") or {}
    schedule = job.get("schedule") or {}
    lines = [f"Job {job.get('id')}  (template {job.get('templateId')})",
             f"  Status:        {status.get('code')}   schedule {schedule.get('state')}, every {schedule.get('interval')}"]
    last = status.get("lastExecution")
    if last:
        lines.append(f"  Last cycle:    {last.get('state')}  {last.get('timeBegan')} -> {last.get('timeEnded')}")
        lines.append(f"                 imported {last.get('countImported')}, exported {last.get('countExported')}, "
                     f"escrowed {last.get('countEscrowed')}, entitled {last.get('countEntitled')}")
        if last.get("error"):
            err = last["error"]
            lines.append(f"                 error {err.get('code')}: {err.get('message')}")
    else:
        lines.append("  Last cycle:    none yet (start the job, then advance the clock)")
    success = status.get("lastSuccessfulExecution") or {}
    lines.append(f"  Last success:  {_when(success.get('timeEnded'))}")
    quarantine = status.get("quarantine")
    if quarantine:
        lines.append(f"  Quarantine:    {quarantine.get('reason')} since {quarantine.get('currentBegan')} "
                     f"(series of {quarantine.get('seriesCount')}); next attempt {quarantine.get('nextAttempt')}")
        if quarantine.get("error"):
            lines.append(f"                 {quarantine['error'].get('code')}: {quarantine['error'].get('message')}")
    lines.append(f"  Steady state:  first {_when(status.get('steadyStateFirstAchievedTime'))}, "
                 f"last {_when(status.get('steadyStateLastAchievedTime'))}")
    counts = status.get("synchronizedEntryCountByType") or []
    if counts:
        lines.append("  Synchronized:  " + ", ".join(f"{c.get('key')}: {c.get('value')}" for c in counts))
    if status.get("countSuccessiveCompleteFailures"):
        lines.append(f"  Successive complete failures: {status['countSuccessiveCompleteFailures']}")
    return "\n".join(lines)


def _job_line(job: dict) -> str:
    status = job.get("status") or {}
    last = status.get("lastExecution") or {}
    ran = f"last cycle {last.get('state')} at {last.get('timeEnded')}" if last else "never ran"
    return f"{job['id']}  {status.get('code'):<12} schedule {(job.get('schedule') or {}).get('state'):<9} {ran}"


def _log_line(entry: dict) -> str:
    info = entry.get("provisioningStatusInfo") or {}
    source = entry.get("sourceIdentity") or {}
    target = entry.get("targetIdentity") or {}
    line = (f"{entry.get('activityDateTime')}  {entry.get('provisioningAction'):<8} {info.get('status'):<8} "
            f"{source.get('identityType', ''):<5} {source.get('displayName')}")
    if target.get("id"):
        line += f" -> {target['id']}"
    error = info.get("errorInformation")
    if error:
        line += f"  [{error.get('errorCode')}] {error.get('reason')}"
    return line


def _cycle_line(run: dict) -> str:
    if not run.get("jobId"):
        return f"{run.get('at')}  {run.get('job')}"
    if run.get("skipped") is True:  # the job was paused before its turn (a count otherwise)
        return f"{run.get('at')}  job {run['jobId']}: skipped (not active)"
    kind = "initial cycle" if run.get("initial") else "incremental cycle"
    text = (f"{run.get('at')}  job {run['jobId']}: {kind} {run.get('began')} -> {run.get('ended')}: "
            f"imported {run.get('imported', 0)}, exported {run.get('exported', 0)}, failed {run.get('failed', 0)}, "
            f"skipped {run.get('skipped', 0)}")
    if run.get("stagedDeletes"):
        text += f", staged deletes {run['stagedDeletes']}"
    if run.get("quarantined"):
        text += f"; QUARANTINED ({run['quarantined']})"
    return text


# ---------------------------------------------------------------------------------- commands
@click.group("job")
def job_group() -> None:
    """Provisioning jobs of the PureCloud by Genesys app (Graph synchronization API).

    Talks to a running `provsim serve` (--url) or, with --in-process, to a
    simulator built in this process (--state FILE keeps it between commands).
    Exit status: 1 refused by provsim, 2 usage error, 3 server unreachable.
    """


@job_group.command("list")
@_connection_options
def list_command(ctx: Context, session: Session, client: ProvsimClient) -> None:
    """The app's provisioning jobs and their status."""
    jobs = client.jobs()
    emit(ctx, jobs, "\n".join(_job_line(j) for j in jobs) if jobs else "no provisioning jobs (provsim job create)")


@job_group.command("create")
@click.option("--scope", type=click.Choice(["assigned", "all"]), default="assigned", show_default=True,
              help="Sync only assigned users and groups, or all users and groups (SyncAll).")
@click.option("--tenant-url", help="Genesys SCIM base address [default: this provsim's /api/v2/scim/v2].")
@click.option("--notify", metavar="EMAIL", help="Send failure notifications (quarantine, ...) to this address.")
@click.option("--delete-threshold", type=click.IntRange(min=1),
              help="Accidental-deletion threshold (the guard stays at its default when not given).")
@click.option("--secret-token", help="Genesys token to store [default: one from /oauth/token with the demo client].")
@click.option("--genesys-client-id", default=GENESYS_CLIENT[0], show_default=True, help="Genesys OAuth client for the token.")
@click.option("--genesys-client-secret", default=GENESYS_CLIENT[1], show_default=True, help="Its secret.")
@click.option("--start", "start_now", is_flag=True, help="Start the job once the connection test passed.")
@_connection_options
def create_command(ctx: Context, session: Session, client: ProvsimClient, scope: str, tenant_url: str | None, notify: str | None,
                   delete_threshold: int | None, secret_token: str | None, genesys_client_id: str,
                   genesys_client_secret: str, start_now: bool) -> None:
    """Set up provisioning: a job from the purecloud template, its secrets, and the connection test.

    The portal gives an app one provisioning job: when the app has one already, its settings are
    saved again (as the provisioning page's Save does) instead of creating a second job.
    """
    tenant_url = (tenant_url or f"{session.base}{client_module.SCIM_PATH}").rstrip("/")
    existing = client.jobs()
    job_id = existing[0]["id"] if existing else client.jobs.create()["id"]
    token = secret_token or _genesys_token(client, tenant_url, genesys_client_id, genesys_client_secret)
    client.jobs.put_secrets(job_secrets(tenant_url, token, scope=scope, notify=notify, delete_threshold=delete_threshold))
    try:
        client.jobs.validate_credentials(job_id)
    except ApiError as err:
        raise JobCliError(f"job {job_id} was {'saved' if existing else 'created'} but the connection test failed: {err}") from err
    if start_now:
        client.jobs.start(job_id)
    summary = {"jobId": job_id, "created": not existing, "servicePrincipalId": client.graph.service_principal_id(),
               "templateId": client_module.TEMPLATE_ID, "tenantUrl": tenant_url,
               "scope": scope, "notify": notify, "deleteThreshold": delete_threshold, "connectionTested": True,
               "started": start_now}
    emit(ctx, summary, "\n".join([
        f"created job {job_id}" if not existing else
        f"job {job_id} already set up (one provisioning job per app, as in the portal): settings saved",
        f"  tenant URL {tenant_url}; scope: {'all users and groups' if scope == 'all' else 'assigned users and groups'}"
        + (f"; notifications to {notify}" if notify else ""),
        "  test connection passed" + ("; provisioning started" if start_now else "; start it with `provsim job start`"),
    ]))


@job_group.command("secret")
@_job_argument
@click.option("--secret-token", help="The Genesys token to store [default: a new one from the Genesys login of the "
                                     "job's tenant URL with --genesys-client-id].")
@click.option("--genesys-client-id", default=GENESYS_CLIENT[0], show_default=True, help="Genesys OAuth client for the token.")
@click.option("--genesys-client-secret", default=GENESYS_CLIENT[1], show_default=True, help="Its secret.")
@click.option("--test/--no-test", "test_connection", default=True, show_default=True,
              help="Test the connection with the new token (the portal's Test Connection).")
@_connection_options
def secret_command(ctx: Context, session: Session, client: ProvsimClient, job: str | None, secret_token: str | None,
                   genesys_client_id: str, genesys_client_secret: str, test_connection: bool) -> None:
    """Re-enter the Secret Token (Admin Credentials), e.g. after the Genesys token was revoked or expired.

    The other credentials (tenant URL, scope, notifications) stay as saved."""
    job_id = client.jobs.id_of(job)
    saved = {s["key"]: s.get("value") for s in client.jobs.secrets()}
    tenant_url = saved.get("BaseAddress")
    if not tenant_url:
        raise JobCliError(f"job {job_id} has no tenant URL yet: set it up with `provsim job create`")
    token = secret_token or _genesys_token(client, tenant_url, genesys_client_id, genesys_client_secret)
    client.jobs.put_secrets([{"key": "SecretToken", "value": token}])
    if test_connection:
        try:
            client.jobs.validate_credentials(job_id)
        except ApiError as err:
            raise JobCliError(f"the secret token of job {job_id} was saved but the connection test failed: {err}") from err
    emit(ctx, {"jobId": job_id, "tenantUrl": tenant_url, "secretTokenSaved": True, "connectionTested": test_connection},
         f"job {job_id}: secret token saved" + ("; test connection passed" if test_connection else ""))


@job_group.command("delete")
@_job_argument
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed with --json, which never prompts).")
@_connection_options
def delete_command(ctx: Context, session: Session, client: ProvsimClient, job: str | None, yes: bool) -> None:
    """Delete the provisioning job (its schedule, watermark and escrows go with it; provisioning logs stay)."""
    job_id = client.jobs.id_of(job)
    confirm(ctx, yes, f"Delete provisioning job {job_id}?", what=f"job delete would delete provisioning job {job_id}")
    client.jobs.delete(job_id)
    emit(ctx, {"jobId": job_id, "deleted": True}, f"job {job_id}: deleted")


def _genesys_token(client: ProvsimClient, tenant_url: str, client_id: str, client_secret: str) -> str:
    """A Genesys token from the login of the org behind ``tenant_url`` (``{api}/oauth/token``)."""
    api = tenant_url.split("/api/v2/scim", 1)[0].rstrip("/")
    try:
        return client.genesys.token(client_id, client_secret, base=api)
    except Unreachable as err:
        raise ServerUnreachable(f"{err}; pass --secret-token instead") from err
    except login.LoginFailed as err:
        raise JobCliError(f"Genesys token request to {api}/oauth/token failed ({err.status}): {err.detail}") from err


def _switch_command(verb: str, done: str, status: str, doc: str) -> click.Command:
    """``job start`` and ``job pause``: one command each that turns provisioning On or Off."""

    @job_group.command(verb, help=doc)
    @_job_argument
    @_connection_options
    def command(ctx: Context, session: Session, client: ProvsimClient, job: str | None) -> None:
        job_id = client.jobs.id_of(job)
        getattr(client.jobs, verb)(job_id)
        emit(ctx, {"jobId": job_id, done: True}, f"job {job_id}: {done} (provisioning status {status})")

    return command


start_command = _switch_command("start", "started", "On", "Turn provisioning on: the initial cycle runs now "
                                "(at the next clock advance), then every 40 minutes.")
pause_command = _switch_command("pause", "paused", "Off", "Turn provisioning off; the watermark and connector data "
                                "are kept.")


@job_group.command("restart")
@_job_argument
@click.option("--reset-scope", callback=_check_reset_scope, metavar="SCOPE[,SCOPE...]",
              help=f"What to reset: {', '.join(RESET_SCOPES)} [default: the portal's restart: "
                   "Watermark, Escrows, QuarantineState].")
@_connection_options
def restart_command(ctx: Context, session: Session, client: ProvsimClient, job: str | None, reset_scope: str | None) -> None:
    """Restart provisioning: clear state and run an initial cycle again."""
    job_id = client.jobs.id_of(job)
    client.jobs.restart(job_id, reset_scope)
    emit(ctx, {"jobId": job_id, "restarted": True, "resetScope": reset_scope},
         f"job {job_id}: restarted (resetScope {reset_scope or 'Watermark, Escrows, QuarantineState'})")


@job_group.command("status")
@_job_argument
@_connection_options
def status_command(ctx: Context, session: Session, client: ProvsimClient, job: str | None) -> None:
    """The job's synchronizationStatus: last cycle, counts, quarantine, steady state."""
    data = client.jobs.get(client.jobs.id_of(job))
    emit(ctx, data, format_status(data))


@job_group.command("logs")
@click.option("--action", type=click.Choice(["create", "update", "delete", "disable", "other"]),
              help="Only this provisioningAction.")
@click.option("--status", type=click.Choice(["success", "failure", "skipped", "warning"]), help="Only this status.")
@click.option("--job", "job", help="Only entries of this job.")
@click.option("--top", type=click.IntRange(1, 1000), default=50, show_default=True, help="How many entries (newest first).")
@_connection_options
def logs_command(ctx: Context, session: Session, client: ProvsimClient, action: str | None, status: str | None, job: str | None, top: int) -> None:
    """Provisioning logs (GET /v1.0/auditLogs/provisioning), newest first."""
    clauses = []
    if action:
        clauses.append(f"provisioningAction eq '{action}'")
    if status:
        clauses.append(f"provisioningStatusInfo/status eq '{status}'")
    if job:
        clauses.append("jobId eq '" + job.replace("'", "''") + "'")
    entries = client.jobs.logs(filter=" and ".join(clauses) or None, top=top)
    emit(ctx, entries, "\n".join(_log_line(e) for e in entries) if entries else "no provisioning log entries")


@job_group.command("advance")
@click.argument("duration", callback=_check_duration)
@_connection_options
def advance_command(ctx: Context, session: Session, client: ProvsimClient, duration: str) -> None:
    """Move virtual time by DURATION (ISO-8601: PT40M, PT2H, P1D) and run the cycles that fall due."""
    data = client.control.advance(duration)
    ran = data.get("ran", [])
    lines = [f"advanced {duration}: now {data.get('now')}; {len(ran)} scheduled job(s) ran"]
    lines += ["  " + _cycle_line(r) for r in ran]
    emit(ctx, data, "\n".join(lines))


@click.command("outbox")
@click.option("--raw", is_flag=True, help="Include each message's full RFC 5322 text (eml).")
@_connection_options
def outbox_command(ctx: Context, session: Session, client: ProvsimClient, raw: bool) -> None:
    """Notification e-mails the provisioning service sent (quarantine, ...)."""
    messages = client.control.outbox(raw=raw)
    if not messages:
        emit(ctx, messages, "the outbox is empty")
        return
    lines = []
    for m in messages:
        lines.append(f"{m.get('at')}  to {m.get('to')}  [{m.get('kind')}]  {m.get('subject')}"
                     + (f"  (delivered: {m['delivered']})" if m.get("delivered") else ""))
        if raw and m.get("eml"):
            lines += ["", m["eml"].rstrip("\n"), ""]
    emit(ctx, messages, "\n".join(lines))


# ----------------------------------------------------------------- job schema (export / import)
@job_group.group("schema")
def schema_group() -> None:
    """The job's synchronization schema: mappings, scoping filters, target object actions.

    The portal's "Review your schema here" editor as two commands: `get` exports the schema as
    JSON (GET .../jobs/{id}/schema), `put` saves an edited file back (PUT; the job then starts
    over with an initial cycle). A schema provsim refuses is listed problem by problem, each
    naming its element (object mapping, attribute mapping, expression position).
    """


def _schema_summary(schema: dict) -> tuple[int, int]:
    mappings = [om for rule in schema.get("synchronizationRules") or [] if isinstance(rule, dict)
                for om in rule.get("objectMappings") or [] if isinstance(om, dict)]
    return len(mappings), sum(len(om.get("attributeMappings") or []) for om in mappings)


@schema_group.command("get")
@_job_argument
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the schema to this file (JSON) instead of printing it.")
@_connection_options
def schema_get_command(ctx: Context, session: Session, client: ProvsimClient, job: str | None, out: Path | None) -> None:
    """Export the job's schema as JSON (to stdout, or --out FILE)."""
    job_id = client.jobs.id_of(job)
    schema = client.jobs.schema(job_id)
    if out is None:
        emit(ctx, schema)
        return
    text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    objects, attributes = _schema_summary(schema)
    emit(ctx, {"jobId": job_id, "out": str(out), "objectMappings": objects, "attributeMappings": attributes},
         f"job {job_id}: schema written to {out} ({objects} object mappings, {attributes} attribute mappings)")


def _read_schema(path: str) -> dict:
    try:
        raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise click.BadParameter(f"cannot read {path}: {err.strerror or err}", param_hint="FILE") from err
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise click.BadParameter(f"{path} is not JSON: {err}", param_hint="FILE") from err
    if not isinstance(data, dict):
        raise click.BadParameter(f"{path} must hold a JSON object (a synchronizationSchema)", param_hint="FILE")
    data.pop("@odata.context", None)
    return data


@schema_group.command("put")
@click.argument("file", metavar="FILE")
@_job_argument
@_connection_options
def schema_put_command(ctx: Context, session: Session, client: ProvsimClient, file: str, job: str | None) -> None:
    """Save FILE (JSON, `-` for stdin) as the job's schema; the job starts over with an initial cycle."""
    schema = _read_schema(file)
    job_id = client.jobs.id_of(job)
    try:
        client.jobs.put_schema(job_id, schema)
    except ApiError as err:
        details = (err.body or {}).get("error", {}).get("details") if isinstance(err.body, dict) else None
        problems = [d.get("message", "") for d in details or [] if isinstance(d, dict)] or [err.message]
        if ctx.as_json:
            click.echo(json.dumps({"error": {"code": err.code, "message": err.message, "details": details or []}},
                                  indent=2, ensure_ascii=False))
            raise SystemExit(1) from err
        lines = [f"job {job_id}: the schema was refused ({len(problems)} problem{'s' if len(problems) != 1 else ''}):"]
        lines += [f"  - {problem}" for problem in problems]
        raise JobCliError("\n".join(lines)) from err
    objects, attributes = _schema_summary(schema)
    emit(ctx, {"jobId": job_id, "saved": True, "objectMappings": objects, "attributeMappings": attributes},
         f"job {job_id}: schema saved ({objects} object mappings, {attributes} attribute mappings); "
         "the next cycle is an initial cycle")
