"""``provsim job`` and ``provsim outbox``: drive the provisioning service from scripts.

    provsim job create --scope assigned --notify ops@contoso.com   # job from the purecloud template
    provsim job start                       # JOB may be left out when the app has one job
    provsim job advance PT40M               # POST /_provsim/clock/advance: runs the due cycles
    provsim job status                      # readable synchronizationStatus (provsim --json ...: the JSON)
    provsim job logs --action create --status failure --top 20
    provsim job restart --reset-scope Watermark,Escrows
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import click

from simulator.cli import Context, emit, pass_context

__all__ = ["job_group", "outbox_command", "JobCliError", "ServerUnreachable", "Session", "format_status"]

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_TENANT = "contoso.onmicrosoft.com"
IN_PROCESS_BASE = "http://provsim.local"
GRAPH_CLIENT = ("provsim-graph-client", "provsim-graph-secret")
GENESYS_CLIENT = ("provsim-purecloud-client", "provsim-purecloud-secret")
TEMPLATE_ID = "purecloud"
#: The fake's id of the PureCloud by Genesys gallery template (``applicationTemplateId``).
GALLERY_TEMPLATE_IDS = {"6f3a8e21-54b7-4c19-9d2e-8b1f0a7c3e59"}
RESET_SCOPES = ("None", "ConnectorDataStore", "Escrows", "Watermark", "QuarantineState", "Full", "ForceDeletes")


class JobCliError(click.ClickException):
    """provsim answered, and refused (exit status 1)."""


class ServerUnreachable(click.ClickException):
    """No provsim at the URL (exit status 3)."""

    exit_code = 3


# ------------------------------------------------------------------------------------ session
@dataclass
class Session:
    """One conversation with provsim: an httpx client, a Graph token, the app's service principal."""

    url: str = DEFAULT_URL
    in_process: bool = False
    state: Path | None = None
    fixture: str = "contoso"
    seed: int = 0
    tenant: str | None = None
    sp: str | None = None
    client_id: str = GRAPH_CLIENT[0]
    client_secret: str = GRAPH_CLIENT[1]
    http: Any = field(default=None, repr=False)
    app: Any = field(default=None, repr=False)
    _token: str | None = field(default=None, repr=False)
    _sp_id: str | None = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return IN_PROCESS_BASE if self.in_process else self.url.rstrip("/")

    def open(self) -> "Session":
        import httpx

        if self.in_process:
            from simulator.app import create_app
            from simulator.core import ConfigError, ProvsimConfig, StoreError
            from simulator.http import InProcessTransport

            try:
                self.app = create_app(ProvsimConfig(seed=self.seed, fixture=self.fixture, state_path=self.state))
            except (ConfigError, StoreError) as err:
                raise click.ClickException(str(err)) from err
            if self.tenant is None:
                self.tenant = self.app.extensions["provsim"].services["directory"].tenant_id
            self.http = httpx.Client(transport=InProcessTransport(app=self.app), base_url=IN_PROCESS_BASE, timeout=None)
        else:
            self.http = httpx.Client(base_url=self.base, timeout=httpx.Timeout(30.0, read=None))
        return self

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.app is not None:
            self.app.extensions["provsim"].checkpoint()  # writes --state (no-op without one)

    def __enter__(self) -> "Session":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- HTTP ----------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs) -> Any:
        """The one place that sends: transport failures become :class:`ServerUnreachable`."""
        import httpx

        try:
            return self.http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            raise ServerUnreachable(f"cannot reach provsim at {self.base} ({err.__class__.__name__}: {err}); "
                                    "start it with `provsim serve`, pass --url, or use --in-process") from err

    def graph_token(self) -> str:
        if self._token is None:
            import httpx

            from simulator import login

            tenant = self.tenant or DEFAULT_TENANT
            try:
                self._token = login.graph_token(self.http, tenant, self.client_id, self.client_secret)["access_token"]
            except httpx.TransportError as err:
                raise ServerUnreachable(f"cannot reach provsim at {self.base} ({err.__class__.__name__}: {err}); "
                                        "start it with `provsim serve`, pass --url, or use --in-process") from err
            except login.LoginFailed as err:
                hint = " (pass --tenant with the served tenant's domain)" if "not found" in err.detail.lower() else ""
                raise JobCliError(f"Entra login for tenant {tenant} failed ({err.status}): {err.detail}{hint}") from err
        return self._token

    def graph(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
              ok: tuple[int, ...] = (200, 201, 204)) -> Any:
        """A Graph v1.0 call; returns the parsed body (None for 204); Graph errors raise JobCliError."""
        resp = self.request(method, f"/v1.0{path}", json=body, params=params,
                            headers={"Authorization": f"Bearer {self.graph_token()}"})
        data = _json(resp)
        if resp.status_code not in ok:
            error = data.get("error") if isinstance(data, dict) else None
            if isinstance(error, dict):
                raise JobCliError(f"{error.get('code')}: {error.get('message')} ({method} {path} -> {resp.status_code})")
            raise JobCliError(f"{method} {path} answered {resp.status_code}: {resp.text[:300]}")
        return data

    def control(self, method: str, path: str, body: Any = None, *, params: dict | None = None) -> Any:
        resp = self.request(method, f"/_provsim{path}", json=body, params=params)
        data = _json(resp)
        if resp.status_code >= 400:
            error = data.get("error") if isinstance(data, dict) else None
            message = error.get("message") if isinstance(error, dict) else resp.text[:300]
            raise JobCliError(f"{method} /_provsim{path} answered {resp.status_code}: {message}")
        return data

    # ---- the PureCloud app and its jobs ------------------------------------------------------
    def sp_id(self) -> str:
        """The PureCloud by Genesys service principal (``--sp``: an object id or appId)."""
        if self._sp_id is not None:
            return self._sp_id
        data = self.graph("GET", "/servicePrincipals", params={
            "$select": "id,appId,displayName,applicationTemplateId", "$top": "999"})
        sps = data.get("value", []) if isinstance(data, dict) else []
        if self.sp:
            found = [s for s in sps if self.sp.lower() in (str(s.get("id")).lower(), str(s.get("appId")).lower())]
            if not found:
                raise JobCliError(f"no service principal with id or appId {self.sp}")
        else:
            found = [s for s in sps if s.get("applicationTemplateId") in GALLERY_TEMPLATE_IDS
                     or "purecloud" in str(s.get("displayName", "")).lower()]
            if not found:
                raise JobCliError("the tenant has no PureCloud by Genesys enterprise app; pass --sp with its service principal id")
            if len(found) > 1:
                listed = ", ".join(f"{s['id']} ({s.get('displayName')})" for s in found)
                raise JobCliError(f"several PureCloud by Genesys apps: {listed}; pass --sp")
        self._sp_id = found[0]["id"]
        return self._sp_id

    def sync(self, suffix: str = "") -> str:
        return f"/servicePrincipals/{self.sp_id()}/synchronization{suffix}"

    def jobs(self) -> list[dict]:
        return self.graph("GET", self.sync("/jobs")).get("value", [])

    def job_id(self, job: str | None) -> str:
        """``job`` as given, or the app's only job."""
        if job:
            return job
        jobs = self.jobs()
        if not jobs:
            raise JobCliError("the PureCloud app has no provisioning job yet: run `provsim job create`")
        if len(jobs) > 1:
            raise JobCliError("the app has several jobs; name one: " + ", ".join(j["id"] for j in jobs))
        return jobs[0]["id"]


def _json(resp) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return None


# --------------------------------------------------------------------------- shared options
def _connection_options(fn: Callable) -> Callable:
    """Where provsim is (``--url`` or ``--in-process``) and who logs in; adds ``session``."""

    @click.option("--url", default=DEFAULT_URL, show_default=True, envvar="PROVSIM_URL",
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
            return fn(ctx, session, **kwargs)

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
def list_command(ctx: Context, session: Session) -> None:
    """The app's provisioning jobs and their status."""
    jobs = session.jobs()
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
def create_command(ctx: Context, session: Session, scope: str, tenant_url: str | None, notify: str | None,
                   delete_threshold: int | None, secret_token: str | None, genesys_client_id: str,
                   genesys_client_secret: str, start_now: bool) -> None:
    """Create a job from the purecloud template, store its secrets and test the connection."""
    tenant_url = (tenant_url or f"{session.base}/api/v2/scim/v2").rstrip("/")
    job = session.graph("POST", session.sync("/jobs"), {"templateId": TEMPLATE_ID}, ok=(201,))
    job_id = job["id"]
    token = secret_token or _genesys_token(session, tenant_url, genesys_client_id, genesys_client_secret)
    from simulator.engine.service import job_secrets

    secrets = job_secrets(tenant_url, token, scope=scope, notify=notify, delete_threshold=delete_threshold)
    session.graph("PUT", session.sync("/secrets"), {"value": secrets}, ok=(204,))
    try:
        session.graph("POST", session.sync(f"/jobs/{job_id}/validateCredentials"),
                      {"useSavedCredentials": True, "credentials": []}, ok=(204,))
    except JobCliError as err:
        raise JobCliError(f"job {job_id} was created but the connection test failed: {err.message}") from err
    if start_now:
        session.graph("POST", session.sync(f"/jobs/{job_id}/start"), ok=(204,))
    summary = {"jobId": job_id, "servicePrincipalId": session.sp_id(), "templateId": TEMPLATE_ID, "tenantUrl": tenant_url,
               "scope": scope, "notify": notify, "deleteThreshold": delete_threshold, "connectionTested": True,
               "started": start_now}
    emit(ctx, summary, "\n".join([
        f"created job {job_id}",
        f"  tenant URL {tenant_url}; scope: {'all users and groups' if scope == 'all' else 'assigned users and groups'}"
        + (f"; notifications to {notify}" if notify else ""),
        "  test connection passed" + ("; provisioning started" if start_now else "; start it with `provsim job start`"),
    ]))


def _genesys_token(session: Session, tenant_url: str, client_id: str, client_secret: str) -> str:
    """A Genesys token from the login of the org behind ``tenant_url`` (``{api}/oauth/token``)."""
    import httpx

    from simulator import login

    api = tenant_url.split("/api/v2/scim", 1)[0].rstrip("/")
    try:
        if api == session.base:
            body = login.genesys_token(session.http, client_id, client_secret)
        else:
            with httpx.Client(timeout=30) as client:
                body = login.genesys_token(client, client_id, client_secret, base=api)
    except httpx.TransportError as err:
        raise ServerUnreachable(f"cannot reach the Genesys login at {api}/oauth/token: {err}; "
                                "pass --secret-token instead") from err
    except login.LoginFailed as err:
        raise JobCliError(f"Genesys token request to {api}/oauth/token failed ({err.status}): {err.detail}") from err
    return body["access_token"]


@job_group.command("start")
@_job_argument
@_connection_options
def start_command(ctx: Context, session: Session, job: str | None) -> None:
    """Turn provisioning on: the initial cycle runs now (at the next clock advance), then every 40 minutes."""
    job_id = session.job_id(job)
    session.graph("POST", session.sync(f"/jobs/{job_id}/start"), ok=(204,))
    emit(ctx, {"jobId": job_id, "started": True}, f"job {job_id}: started (provisioning status On)")


@job_group.command("pause")
@_job_argument
@_connection_options
def pause_command(ctx: Context, session: Session, job: str | None) -> None:
    """Turn provisioning off; the watermark and connector data are kept."""
    job_id = session.job_id(job)
    session.graph("POST", session.sync(f"/jobs/{job_id}/pause"), ok=(204,))
    emit(ctx, {"jobId": job_id, "paused": True}, f"job {job_id}: paused (provisioning status Off)")


@job_group.command("restart")
@_job_argument
@click.option("--reset-scope", callback=_check_reset_scope, metavar="SCOPE[,SCOPE...]",
              help=f"What to reset: {', '.join(RESET_SCOPES)} [default: the portal's restart: "
                   "Watermark, Escrows, QuarantineState].")
@_connection_options
def restart_command(ctx: Context, session: Session, job: str | None, reset_scope: str | None) -> None:
    """Restart provisioning: clear state and run an initial cycle again."""
    job_id = session.job_id(job)
    body = {"criteria": {"resetScope": reset_scope}} if reset_scope else {}
    session.graph("POST", session.sync(f"/jobs/{job_id}/restart"), body, ok=(204,))
    emit(ctx, {"jobId": job_id, "restarted": True, "resetScope": reset_scope},
         f"job {job_id}: restarted (resetScope {reset_scope or 'Watermark, Escrows, QuarantineState'})")


@job_group.command("status")
@_job_argument
@_connection_options
def status_command(ctx: Context, session: Session, job: str | None) -> None:
    """The job's synchronizationStatus: last cycle, counts, quarantine, steady state."""
    job_id = session.job_id(job)
    data = session.graph("GET", session.sync(f"/jobs/{job_id}"))
    data.pop("@odata.context", None)
    emit(ctx, data, format_status(data))


@job_group.command("logs")
@click.option("--action", type=click.Choice(["create", "update", "delete", "disable", "other"]),
              help="Only this provisioningAction.")
@click.option("--status", type=click.Choice(["success", "failure", "skipped", "warning"]), help="Only this status.")
@click.option("--job", "job", help="Only entries of this job.")
@click.option("--top", type=click.IntRange(1, 1000), default=50, show_default=True, help="How many entries (newest first).")
@_connection_options
def logs_command(ctx: Context, session: Session, action: str | None, status: str | None, job: str | None, top: int) -> None:
    """Provisioning logs (GET /v1.0/auditLogs/provisioning), newest first."""
    clauses = []
    if action:
        clauses.append(f"provisioningAction eq '{action}'")
    if status:
        clauses.append(f"provisioningStatusInfo/status eq '{status}'")
    if job:
        clauses.append("jobId eq '" + job.replace("'", "''") + "'")
    params = {"$top": str(top)}
    if clauses:
        params["$filter"] = " and ".join(clauses)
    entries = session.graph("GET", "/auditLogs/provisioning", params=params).get("value", [])
    emit(ctx, entries, "\n".join(_log_line(e) for e in entries) if entries else "no provisioning log entries")


@job_group.command("advance")
@click.argument("duration", callback=_check_duration)
@_connection_options
def advance_command(ctx: Context, session: Session, duration: str) -> None:
    """Move virtual time by DURATION (ISO-8601: PT40M, PT2H, P1D) and run the cycles that fall due."""
    data = session.control("POST", "/clock/advance", {"duration": duration})
    ran = data.get("ran", [])
    lines = [f"advanced {duration}: now {data.get('now')}; {len(ran)} scheduled job(s) ran"]
    lines += ["  " + _cycle_line(r) for r in ran]
    emit(ctx, data, "\n".join(lines))


@click.command("outbox")
@click.option("--raw", is_flag=True, help="Include each message's full RFC 5322 text (eml).")
@_connection_options
def outbox_command(ctx: Context, session: Session, raw: bool) -> None:
    """Notification e-mails the provisioning service sent (quarantine, ...)."""
    data = session.control("GET", "/outbox", params={"raw": "1"} if raw else None)
    messages = data.get("value", [])
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
