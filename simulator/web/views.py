"""The dashboard page at ``/`` and its JSON endpoints under ``/dashboard/api/``.

    GET  /                                   the page (sets the form cookie)
    GET  /dashboard/api/state[?since=REV]    everything the page draws; {"unchanged": true} while REV holds
    GET  /dashboard/api/logs?action=&status=&identity=&since=&until=&cycle=&top=&skiptoken=
    GET  /dashboard/api/logs/<entryId>       one entry: steps, troubleshooting, modified properties
    GET  /dashboard/api/outbox/<messageId>   one notification e-mail, as sent
    GET  /dashboard/api/genesys              the Genesys admin pages: OAuth clients, roles, groups, people
    GET  /dashboard/api/mappings             the job's object and attribute mappings, scoping filters, settings
    GET  /dashboard/api/compare/<userId>     one user side by side: Entra, mapped, Genesys
    GET  /dashboard/api/stories              the scenario library
    GET  /dashboard/api/story/report         the loaded story's report so far (as provsim scenario run prints it)
    POST /dashboard/api/<action>             a click (simulator.web.actions.ACTIONS), JSON in and out
    POST /dashboard/advance                  the clock buttons without JavaScript (form post, redirect)
    GET  /dashboard                          redirects to /

Local-only like ``/_provsim`` (the middleware checks Host and Origin).  Every state change
also needs the ``provsim_form`` cookie that ``GET /`` sets (SameSite=Strict, HttpOnly: a page
on another site can neither send nor read it), and the JSON endpoints need a JSON body
(``Content-Type: application/json``, which a cross-site HTML form cannot send).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for

from simulator.client import ApiError
from simulator.http import json_response, runtime

from . import model
from .actions import ACTIONS, run_action
from .portal import ActionError, portal_for

__all__ = ["bp", "init_app", "watch", "FORM_COOKIE", "ADVANCE_CHOICES"]

bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/provsim")

#: The clock buttons: five minutes, one cycle interval, the first escrow retry, a day.
ADVANCE_CHOICES = ("PT5M", "PT40M", "PT6H", "P1D")
#: The dashboard's form cookie: SameSite=Strict, so a page on another site cannot post with it.
FORM_COOKIE = "provsim_form"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_API = "/dashboard/api/"


def _form_token() -> str:
    from simulator.core.security import random_token

    return current_app.extensions.setdefault("provsim_form_token", random_token())


def _error(status: int, code: str, message: str, details: list[dict] | None = None):
    error: dict = {"code": code, "message": message}
    if details:
        error["details"] = details
    return json_response({"error": error}, status)


@bp.before_request
def _check_form_cookie():
    """A state change must come from a page this dashboard served (Origin is checked by the middleware)."""
    if request.method in _SAFE:
        return None
    api = request.path.startswith(_API)
    if request.cookies.get(FORM_COOKIE) != _form_token():
        message = "Refused: this was not posted from the provsim dashboard (reload the dashboard and try again)."
        if api:
            return _error(403, "forbidden", message)
        return message, 403, {"Content-Type": "text/plain; charset=utf-8"}
    if api and not request.is_json:
        return _error(415, "unsupportedMediaType", "the dashboard's API takes a JSON body (Content-Type: application/json)")
    return None


@bp.after_request
def _set_form_cookie(resp):
    if request.method == "GET" and request.path == "/":
        resp.set_cookie(FORM_COOKIE, _form_token(), httponly=True, samesite="Strict", path="/")
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


@bp.errorhandler(ActionError)
def _action_error(err: ActionError):
    return _error(err.status, err.code, err.message, err.details)


@bp.errorhandler(ApiError)
def _api_error(err: ApiError):
    return _error(502 if err.status >= 500 else err.status, err.code or "error", err.message)


# ------------------------------------------------------------------------------ the page
@bp.get("/")
def index():
    from .stories import warm_library

    warm_library()
    rt = runtime()
    tenant = rt.fixture.get("tenant") or {}
    return render_template(
        "dashboard.html", now=rt.now_iso(), seed=rt.config.seed, tenant=tenant,
        fixture=(rt.fixture.get("_path") or "").rsplit("/", 1)[-1], choices=ADVANCE_CHOICES,
        actions=model.ACTIONS, statuses=model.STATUSES, reset_scopes=model.RESET_SCOPES,
        presets=model.FAULT_PRESETS, message=request.args.get("message"),
        tenant_url=request.host_url.rstrip("/") + "/api/v2/scim/v2",
    )


@bp.get("/dashboard")
@bp.get("/dashboard/")
def dashboard_redirect():
    """The page lives at ``/``; ``/dashboard`` (what people type) goes there."""
    return redirect(url_for("dashboard.index"), 301)


@bp.post("/dashboard/advance")
def advance():
    """The clock buttons as a plain form (the page works without JavaScript for this one thing)."""
    raw = request.form.get("duration", "PT40M")
    try:
        answer = run_action(portal_for(current_app), "clock/advance", {"duration": raw})
    except ActionError as err:
        return redirect(url_for("dashboard.index", message=err.message))
    return redirect(url_for("dashboard.index", message=answer["message"]))


# ------------------------------------------------------------------------------ JSON
@bp.get(_API + "state")
def state():
    portal = portal_for(current_app)
    since = request.args.get("since")
    if since:
        rev = portal.revision()
        if since == rev:
            return json_response({"revision": rev, "unchanged": True})
    return json_response(portal.snapshot())


@bp.get(_API + "logs")
def logs():
    return json_response(portal_for(current_app).logs({k: v for k, v in request.args.items()}))


@bp.get(_API + "logs/<entry_id>")
def log_entry(entry_id: str):
    return json_response(portal_for(current_app).log_entry(entry_id))


@bp.get(_API + "outbox/<message_id>")
def outbox_message(message_id: str):
    return json_response(portal_for(current_app).outbox_message(message_id))


@bp.get(_API + "genesys")
def genesys_admin():
    from . import genesys

    return json_response(genesys.view(portal_for(current_app)))


@bp.get(_API + "mappings")
def mappings_page():
    from . import mappings

    return json_response(mappings.load(portal_for(current_app)))


@bp.get(_API + "compare/<user_id>")
def compare_user(user_id: str):
    from . import mappings
    from .model import is_guid

    if not is_guid(user_id):
        return _error(404, "notFound", f"no user {user_id!r}")
    return json_response(mappings.compare(portal_for(current_app), user_id))


@bp.get(_API + "stories")
def stories():
    from .stories import library

    return json_response({"value": library()})


@bp.get(_API + "story/report")
def story_report():
    """The loaded story's report so far, as ``provsim scenario run`` prints it (plain text)."""
    portal = portal_for(current_app)
    with portal.lock:
        if portal.story is None:
            return _error(409, "noStory", "no story is loaded: load one from the library first")
        text = portal.story.report()
    return text, 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.post(_API + "<path:name>")
def act(name: str):
    if name not in ACTIONS:
        return _error(404, "notFound", f"the dashboard has no action {name!r}")
    body = request.get_json(silent=True)
    if body is None:
        return _error(400, "badRequest", "the body is not JSON")
    return json_response(run_action(portal_for(current_app), name, body))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def watch(app: Flask) -> None:
    """Start noting each provisioning log entry's requests to Genesys (the Details pane's wire); called once the
    provisioning service runs."""
    from .wire import WireWatch

    app.extensions.setdefault("provsim_wire", WireWatch(app.extensions["provsim"]))
