"""JSON endpoints that drive the simulator itself (design.md, "Simulator control").

    GET  /_provsim/health
    GET  /_provsim/clock                      -> {"now": ISO-8601}
    POST /_provsim/clock/advance {"duration": "PT40M"}   (or {"to": ISO-8601})
    POST /_provsim/reset
    POST /_provsim/purecloud/tokens/revoke {"token"|"client_id"}, POST /_provsim/purecloud/tokens/expire
    GET  /_provsim/snapshot  /  POST /_provsim/snapshot/restore
    GET|POST|DELETE /_provsim/faults, DELETE /_provsim/faults/<id>
    GET  /_provsim/traffic?surface=&since=&limit=
    GET  /_provsim/outbox[?raw=1]              notification e-mails (``provsim outbox``)
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, request
from werkzeug.exceptions import HTTPException

from simulator.core import ConfigError, ProvsimError, isoformat, parse_datetime, parse_duration
from simulator.http import json_response, runtime

__all__ = ["bp", "init_app"]

bp = Blueprint("provsim_control", __name__, url_prefix="/_provsim")


class ControlError(ProvsimError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@bp.errorhandler(ControlError)
def _control_error(err: ControlError):
    return json_response({"error": {"code": err.code, "message": err.message}}, err.status)


@bp.errorhandler(ConfigError)
def _config_error(err: ConfigError):
    return json_response({"error": {"code": "badRequest", "message": str(err)}}, 400)


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException):
    return json_response({"error": {"code": err.name.replace(" ", ""), "message": err.description}}, err.code or 500)


def _json_body() -> dict:
    if not request.data:
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ControlError(400, "badRequest", "the body must be a JSON object")
    return data


@bp.get("/health")
def health():
    rt = runtime()
    return json_response({"status": "ok", "now": rt.now_iso(), "seed": rt.config.seed,
                          "fixture": rt.fixture.get("_path"), "surfaces": [s.name for s in rt.surfaces], **rt.health()})


@bp.get("/clock")
def clock_get():
    rt = runtime()
    return json_response({"now": rt.now_iso(), "pending": [
        {"due": isoformat(j.due), "job": j.name} for j in rt.clock.pending()[:50]]})


@bp.post("/clock/advance")
def clock_advance():
    rt = runtime()
    body = _json_body()
    try:
        if "to" in body:
            delta = parse_datetime(str(body["to"])) - rt.clock.now()
        else:
            delta = parse_duration(body.get("duration", ""))
    except ValueError as err:
        raise ControlError(400, "badRequest", str(err)) from err
    if delta < timedelta(0):
        raise ControlError(400, "badRequest", "virtual time only moves forward")
    ran = rt.clock.advance(delta)
    rt.checkpoint()
    return json_response({"now": rt.now_iso(), "ran": ran})


@bp.post("/reset")
def reset():
    rt = runtime()
    rt.reset()
    rt.checkpoint()
    return json_response({"now": rt.now_iso(), "reset": True})


@bp.get("/snapshot")
def snapshot_get():
    rt = runtime()
    snap = rt.store.snapshot()
    return json_response({"now": rt.now_iso(), "seq": snap["seq"],
                          "tables": {name: {str(k): v for k, v in docs.items()} for name, docs in sorted(snap["tables"].items())}})


@bp.post("/snapshot/restore")
def snapshot_restore():
    rt = runtime()
    body = _json_body()
    tables = body.get("tables")
    if not isinstance(tables, dict):
        raise ControlError(400, "badRequest", "restore needs the 'tables' object of a snapshot")
    try:
        parsed = {name: {int(k): v for k, v in docs.items()} for name, docs in tables.items()}
    except (AttributeError, ValueError) as err:
        raise ControlError(400, "badRequest", f"not a snapshot: {err}") from err
    rt.store.restore({"seq": int(body.get("seq", 0)), "tables": parsed})
    for service in rt.services.values():
        if hasattr(service, "on_restore"):
            service.on_restore()
    return json_response({"restored": True, "now": rt.now_iso()})


@bp.get("/faults")
def faults_list():
    return json_response({"value": [r.to_dict() for r in runtime().faults.rules()]})


@bp.post("/faults")
def faults_add():
    body = _json_body()
    rules = body.get("rules") if "rules" in body else [body]
    rt = runtime()
    added = [rt.faults.add(r).to_dict() for r in rules]
    return json_response(added[0] if "rules" not in body else {"value": added}, 201)


@bp.delete("/faults")
def faults_clear():
    runtime().faults.clear()
    return "", 204


@bp.delete("/faults/<rule_id>")
def faults_delete(rule_id: str):
    if not runtime().faults.remove(rule_id):
        raise ControlError(404, "notFound", f"no fault rule {rule_id}")
    return "", 204


@bp.post("/purecloud/tokens/revoke")
def purecloud_revoke():
    """Revoke one Genesys token (``{"token": ...}``) or every token of a client (``{"client_id": ...}``)."""
    org = runtime().services.get("purecloud")
    body = _json_body()
    if org is None:
        raise ControlError(404, "notFound", "this simulator has no Genesys org")
    if body.get("token"):
        if not org.revoke_token(str(body["token"])):
            raise ControlError(404, "notFound", "no such Genesys token")
        return json_response({"revoked": 1})
    if body.get("client_id"):
        return json_response({"revoked": org.revoke_client_tokens(str(body["client_id"]))})
    raise ControlError(400, "badRequest", "give 'token' or 'client_id'")


@bp.post("/purecloud/tokens/expire")
def purecloud_expire():
    """Every Genesys token expires now."""
    org = runtime().services.get("purecloud")
    if org is None:
        raise ControlError(404, "notFound", "this simulator has no Genesys org")
    return json_response({"expired": org.expire_all_tokens()})


@bp.post("/provisioning/jobs/<job_id>/quarantine")
def provisioning_quarantine(job_id: str):
    """Quarantine a job as Microsoft does by hand (reason QuarantinedOnDemand)."""
    from simulator.engine.service import SyncApiError

    service = runtime().services.get("provisioning")
    try:
        service.quarantine_on_demand(job_id, str(_json_body().get("message") or ""))
    except SyncApiError as err:
        raise ControlError(err.status, "notFound", err.message) from err
    return json_response(service.job_view(job_id)["status"])


@bp.get("/traffic")
def traffic():
    args = request.args
    try:
        since = int(args.get("since", 0))
        limit = int(args["limit"]) if "limit" in args else None
    except ValueError as err:
        raise ControlError(400, "badRequest", "since and limit are integers") from err
    return json_response({"value": runtime().traffic.entries(surface=args.get("surface"), since=since, limit=limit)})


@bp.get("/outbox")
def outbox():
    """The provisioning service's notification e-mails, oldest first; ``?raw=1`` adds each ``eml``."""
    service = runtime().services.get("provisioning")
    box = getattr(service, "outbox", None)
    messages = box.messages() if box is not None else []
    raw = request.args.get("raw", "").lower() in ("1", "true", "yes")
    return json_response({"value": [m if raw else {k: v for k, v in m.items() if k != "eml"} for m in messages]})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
