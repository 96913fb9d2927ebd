"""Dashboard views: read the runtime's services, render one page; forms post back to act."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for

from simulator.core import ConfigError
from simulator.http import runtime

__all__ = ["bp", "init_app"]

bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/provsim")

ADVANCE_CHOICES = ("PT5M", "PT40M", "PT6H", "P1D")


def _jobs() -> list[dict]:
    rt = runtime()
    service = rt.services.get("provisioning")
    if service is None:
        return []
    out = []
    for _doc_id, job in service.t["jobs"].docs():
        view = service.job_view(job["id"])
        out.append({"id": job["id"], "sp": job["servicePrincipalId"], "schedule": view["schedule"],
                    "status": view["status"], "counts": view["status"]["synchronizedEntryCountByType"]})
    return out


#: The dashboard's form cookie: SameSite=Strict, so a page on another site cannot post with it.
FORM_COOKIE = "provsim_form"


def _form_token() -> str:
    from flask import current_app

    from simulator.core.security import random_token

    return current_app.extensions.setdefault("provsim_form_token", random_token())


@bp.before_request
def _check_form_cookie():
    """A dashboard form post must come from a page this dashboard served (Origin is checked by the middleware)."""
    if request.method == "POST" and request.cookies.get(FORM_COOKIE) != _form_token():
        return ("Refused: this form was not posted from the provsim dashboard (reload the dashboard and try again).",
                403, {"Content-Type": "text/plain; charset=utf-8"})
    return None


@bp.after_request
def _set_form_cookie(resp):
    if request.method == "GET" and request.path == "/":
        resp.set_cookie(FORM_COOKIE, _form_token(), httponly=True, samesite="Strict", path="/")
    return resp


@bp.get("/")
def index():
    rt = runtime()
    service = rt.services.get("provisioning")
    org = rt.services.get("purecloud")
    logs = service.logs()[:25] if service is not None else []
    users = org.export_state("Users") if org is not None else []
    groups = org.export_state("Groups") if org is not None else []
    outbox = service.outbox.messages()[-10:] if service is not None and service.outbox is not None else []
    return render_template(
        "dashboard.html", now=rt.now_iso(), seed=rt.config.seed, fixture=rt.fixture.get("_path", ""),
        jobs=_jobs(), logs=logs, users=users, groups=groups, faults=[f.to_dict() for f in rt.faults.rules()],
        outbox=list(reversed(outbox)), pending=[{"due": j.due.isoformat().replace("+00:00", "Z"), "job": j.name}
                                                  for j in rt.clock.pending()[:8]],
        traffic=list(reversed(rt.traffic.entries(limit=15))), choices=ADVANCE_CHOICES,
        message=request.args.get("message"),
    )


@bp.post("/dashboard/advance")
def advance():
    rt = runtime()
    from simulator.control.views import ControlError, clock_delta

    raw = request.form.get("duration", "PT40M")
    try:
        delta = clock_delta({"duration": raw}, rt.clock.now())  # the control API's checks and limits
    except ControlError as err:
        return redirect(url_for("dashboard.index", message=err.message))
    ran = rt.clock.advance(delta)
    rt.checkpoint()
    cycles = sum(1 for r in ran if r.get("jobId"))
    return redirect(url_for("dashboard.index", message=f"advanced {raw}: {cycles} provisioning cycle(s) ran"))


@bp.post("/dashboard/faults/clear")
def clear_faults():
    runtime().faults.clear()
    return redirect(url_for("dashboard.index", message="fault rules cleared"))


@bp.post("/dashboard/faults")
def add_fault():
    form = request.form
    rule = {"method": form.get("method") or "*", "path": form.get("path") or "/api/v2/scim/v2/*",
            "note": form.get("note") or "added from the dashboard"}
    try:
        if form.get("effect") == "drop":
            rule["drop"] = True
        else:
            rule["status"] = int(form.get("status") or 503)
            if rule["status"] == 429:
                rule["headers"] = {"Retry-After": form.get("retry_after") or "60"}
        if form.get("times"):
            rule["times"] = int(form["times"])
        added = runtime().faults.add(rule)
    except (ConfigError, ValueError) as err:
        return redirect(url_for("dashboard.index", message=f"fault refused: {err}"))
    return redirect(url_for("dashboard.index", message=f"fault rule {added.id[:8]} added"))


@bp.post("/dashboard/tokens/expire")
def expire_tokens():
    org = runtime().services.get("purecloud")
    count = org.expire_all_tokens() if org is not None else 0
    return redirect(url_for("dashboard.index", message=f"{count} Genesys token(s) expired"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
