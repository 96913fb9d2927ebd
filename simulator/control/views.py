"""JSON endpoints that drive the simulator itself (README.md, "Simulator control").

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

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, request
from werkzeug.exceptions import HTTPException

from simulator.core import ConfigError, FaultRule, ProvsimError, isoformat, parse_datetime, parse_duration
from simulator.core.services import HOUSEKEEPING, PROVISIONING, PURECLOUD
from simulator.http import json_response, runtime

__all__ = ["bp", "init_app", "clock_delta", "ControlError"]

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
    """``status`` is ``ok``, or ``degraded`` while background work fails (its last error is shown)."""
    rt = runtime()
    store = rt.store.status()
    reports = rt.health()  # scheduledJobFailures, and each service's own report (housekeeping, provisioning)
    house = reports.get(HOUSEKEEPING.name)
    failing = bool(store.get("lastError")) or bool(house and house["state"] == "failing")
    return json_response({"status": "degraded" if failing else "ok", "now": rt.now_iso(), "seed": rt.config.seed,
                          "fixture": rt.fixture.get("_path"), "surfaces": [s.name for s in rt.surfaces], "store": store,
                          **reports})


@bp.get("/openapi/<surface>.json")
def openapi_document(surface: str):
    """The OpenAPI document of one surface: genesys, graph or control."""
    from flask import current_app

    from simulator.http.openapi import SURFACES, build_document

    if surface not in SURFACES:
        raise ControlError(404, "notFound", f"no OpenAPI document {surface!r}; known: {', '.join(SURFACES)}")
    return json_response(build_document(current_app, surface))


@bp.get("/clock")
def clock_get():
    rt = runtime()
    return json_response({"now": rt.now_iso(), "pending": [
        {"due": isoformat(j.due), "job": j.name} for j in rt.clock.pending()[:50]]})


@bp.post("/clock/advance")
def clock_advance():
    rt = runtime()
    body = _json_body()
    delta = clock_delta(body, rt.clock.now())
    ran = rt.clock.advance(delta)
    rt.checkpoint()
    return json_response({"now": rt.now_iso(), "ran": ran})


#: Virtual time stays below this: token expiry, retry and purge times must still be representable.
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
#: The longest single clock move (a provisioning cycle every 40 minutes: about 130,000 cycles).
LONGEST_MOVE = timedelta(days=3660)
_ASCII_DURATION = re.compile(r"^P[0-9WDTHMS.]{1,40}$")


def clock_delta(body: dict, now: datetime) -> timedelta:
    """How far ``{"duration": "PT40M"}`` or ``{"to": ISO-8601}`` moves the clock; 400 for anything else."""
    if "to" in body:
        target = body["to"]
        if not isinstance(target, str) or len(target) > 40:
            raise ControlError(400, "badRequest", "'to' is an ISO-8601 date-time string such as 2026-01-05T12:00:00Z")
        try:
            moment = parse_datetime(target)
        except (ValueError, OverflowError) as err:
            raise ControlError(400, "badRequest", f"'to' is not an ISO-8601 date-time: {target!r}") from err
        if moment >= LATEST:
            raise ControlError(400, "badRequest", f"virtual time stays before {isoformat(LATEST)}")
        delta = moment - now
    else:
        raw = body.get("duration", "")
        if not isinstance(raw, str) or not _ASCII_DURATION.match(raw.strip()):
            raise ControlError(400, "badRequest", f"not an ISO-8601 duration (examples: PT40M, PT6H, P1D): {raw!r}"
                               if isinstance(raw, str) else "'duration' is an ISO-8601 duration string such as PT40M")
        try:
            delta = parse_duration(raw)
        except (ValueError, OverflowError) as err:
            raise ControlError(400, "badRequest", str(err) if isinstance(err, ValueError) and "ISO-8601" in str(err)
                               else f"duration out of range: {raw!r}") from err
    if delta < timedelta(0):
        raise ControlError(400, "badRequest", "virtual time only moves forward")
    if delta > LONGEST_MOVE:
        raise ControlError(400, "badRequest", f"one clock move is at most {LONGEST_MOVE.days} days; move in steps")
    try:
        if now + delta >= LATEST:
            raise OverflowError
    except OverflowError:
        raise ControlError(400, "badRequest", f"virtual time stays before {isoformat(LATEST)}") from None
    return delta


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
    parsed, seq = _validated_snapshot(body, rt.store.tables())
    with rt.store.lock:
        previous = rt.store.snapshot()
        try:
            rt.store.restore({"seq": seq, "tables": parsed})
            for service in rt.services.values():
                if hasattr(service, "on_restore"):
                    service.on_restore()
        except (KeyError, TypeError, ValueError, AttributeError, ProvsimError) as err:
            # Documents of the wrong shape for their table: put everything back as it was.
            rt.store.restore(previous)
            for service in rt.services.values():
                if hasattr(service, "on_restore"):
                    service.on_restore()
            raise ControlError(400, "badRequest", f"not a snapshot of this simulator ({type(err).__name__}: {err}); "
                                                  "nothing was changed") from err
    return json_response({"restored": True, "now": rt.now_iso()})


def _validated_snapshot(body: dict, known: list[str]) -> tuple[dict[str, dict[int, dict]], int]:
    """A snapshot body checked whole before anything is replaced (restore is all or nothing)."""
    tables = body.get("tables")
    if not isinstance(tables, dict):
        raise ControlError(400, "badRequest", "restore needs the 'tables' object of a GET /_provsim/snapshot answer")
    seq = body.get("seq", 0)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ControlError(400, "badRequest", "'seq' is a non-negative integer")
    missing = [name for name in known if name not in tables]
    if missing:
        raise ControlError(400, "badRequest", f"not a snapshot of this simulator: tables missing: {', '.join(missing)}")
    parsed: dict[str, dict[int, dict]] = {}
    for name, docs in tables.items():
        if not isinstance(docs, dict):
            raise ControlError(400, "badRequest", f"table {name!r} must be an object of documents by id")
        out: dict[int, dict] = {}
        for key, doc in docs.items():
            if not key.isdigit() or len(key) > 18:
                raise ControlError(400, "badRequest", f"table {name!r}: document key {key!r} is not a document id")
            if not isinstance(doc, dict):
                raise ControlError(400, "badRequest", f"table {name!r}: document {key} must be an object")
            out[int(key)] = doc
        parsed[name] = out
    return parsed, seq


@bp.get("/faults")
def faults_list():
    return json_response({"value": [r.to_dict() for r in runtime().faults.rules()]})


def fault_rules(body: dict[str, Any]) -> list[FaultRule]:
    """``{rule}`` or ``{"rules": [rule, ...]}`` parsed into :class:`FaultRule` values, all of them or a 400
    naming the first bad one (so nothing is added when one is wrong)."""
    if "rules" not in body:
        return [FaultRule.from_dict(body)]
    if set(body) != {"rules"}:
        raise ControlError(400, "badRequest", 'with "rules" the body is {"rules": [rule, ...]} and nothing else')
    rules = body["rules"]
    if not isinstance(rules, list):
        raise ControlError(400, "badRequest", "'rules' is a list of fault rule objects")
    parsed = []
    for i, rule in enumerate(rules):
        try:
            parsed.append(FaultRule.from_dict(rule))
        except ConfigError as err:
            raise ControlError(400, "badRequest", f"rules[{i}]: {err}") from err
    return parsed


@bp.post("/faults")
def faults_add():
    body = _json_body()
    added = [r.to_dict() for r in runtime().faults.add_all(fault_rules(body))]
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
    org = runtime().find(PURECLOUD)
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
    org = runtime().find(PURECLOUD)
    if org is None:
        raise ControlError(404, "notFound", "this simulator has no Genesys org")
    return json_response({"expired": org.expire_all_tokens()})


@bp.post("/provisioning/jobs/<job_id>/quarantine")
def provisioning_quarantine(job_id: str):
    """Quarantine a job as Microsoft does by hand (reason QuarantinedOnDemand)."""
    from simulator.engine.service import SyncApiError

    service = runtime().find(PROVISIONING)
    if service is None:
        raise ControlError(404, "notFound", "this simulator has no provisioning service")
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
        until = int(args["until"]) if "until" in args else None
        limit = int(args["limit"]) if "limit" in args else None
    except ValueError as err:
        raise ControlError(400, "badRequest", "since, until and limit are integers") from err
    return json_response({"value": runtime().traffic.entries(surface=args.get("surface"), since=since, until=until,
                                                             limit=limit)})


@bp.get("/outbox")
def outbox():
    """The provisioning service's notification e-mails, oldest first; ``?raw=1`` adds each ``eml``."""
    service = runtime().find(PROVISIONING)
    box = getattr(service, "outbox", None)
    messages = box.messages() if box is not None else []
    raw = request.args.get("raw", "").lower() in ("1", "true", "yes")
    return json_response({"value": [m if raw else {k: v for k, v in m.items() if k != "eml"} for m in messages]})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
