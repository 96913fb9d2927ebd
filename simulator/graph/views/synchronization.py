"""The synchronization API and provisioning logs, over :class:`simulator.engine.service.ProvisioningService`.

    /servicePrincipals/{id}/synchronization                       GET
    /servicePrincipals/{id}/synchronization/templates             GET
    /servicePrincipals/{id}/synchronization/secrets               GET, PUT
    /servicePrincipals/{id}/synchronization/jobs                  GET, POST
    /servicePrincipals/{id}/synchronization/jobs/validateCredentials           POST
    /servicePrincipals/{id}/synchronization/jobs/{jobId}          GET, PATCH, DELETE
    /servicePrincipals/{id}/synchronization/jobs/{jobId}/start|pause|restart   POST
    /servicePrincipals/{id}/synchronization/jobs/{jobId}/schema   GET, PUT
    /servicePrincipals/{id}/synchronization/jobs/{jobId}/validateCredentials   POST
    /servicePrincipals/{id}/synchronization/jobs/{jobId}/provisionOnDemand     POST
    /auditLogs/provisioning                                       GET ($filter, $top, $skiptoken)

Both ``{id}`` and ``(appId='…')`` address the service principal.  The
engine raises :class:`~simulator.engine.service.SyncApiError`; it is rendered
here in Graph's OData error shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from simulator.core.services import PROVISIONING
from simulator.engine.errors import EngineError
from simulator.engine.logs import known_property
from simulator.engine.service import SyncApiError
from simulator.http import runtime

from ..errors import BadRequest, GraphError
from ..filter import PathVocabulary, parse_filter, property_value
from .base import context_url, json_body, odata_response, public_base, requires
from .service_principals import resolve_service_principal

__all__ = ["register"]


def _service():
    service = runtime().find(PROVISIONING)
    if service is None:
        raise GraphError("The provisioning service is not running in this simulator.", status=503, code="ServiceNotAvailable")
    return service


def _call(fn: Callable, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except SyncApiError as err:
        raise GraphError(err.message, status=err.status, code=err.code, headers=err.headers,
                         details=err.details) from err
    except EngineError as err:
        raise BadRequest(str(err)) from err


def _sp(sp_id: str | None, app_id: str | None) -> str:
    return resolve_service_principal(sp_id, app_id)["id"]


def _body_or_empty() -> dict:
    return json_body() if request.data else {}


# -------------------------------------------------------------------------------- views
def synchronization_get(sp_id=None, app_id=None) -> Response:
    sp = _sp(sp_id, app_id)
    svc = _service()
    return odata_response({"@odata.context": context_url(f"servicePrincipals('{sp}')/synchronization/$entity"),
                           "id": sp, "jobs": _call(svc.list_jobs, sp),
                           "secrets": [{"key": s["key"], "value": None} for s in svc.secrets(sp)]})


def templates(sp_id=None, app_id=None) -> Response:
    sp = _sp(sp_id, app_id)
    return odata_response({"@odata.context": context_url(f"servicePrincipals('{sp}')/synchronization/templates"),
                           "value": _call(_service().templates, sp)})


def secrets_get(sp_id=None, app_id=None) -> Response:
    sp = _sp(sp_id, app_id)
    # Graph never returns secret values; it lists which keys are set.
    values = [{"key": s["key"], "value": None if s["key"] in ("SecretToken", "ClientSecret", "Password") else s["value"]}
              for s in _service().secrets(sp)]
    return odata_response({"@odata.context": context_url(f"servicePrincipals('{sp}')/synchronization/secrets"),
                           "value": values})


@requires("synchronization", write=True)
def secrets_put(sp_id=None, app_id=None) -> Response:
    sp = _sp(sp_id, app_id)
    body = json_body()
    values = body.get("value")
    if values is None:
        raise BadRequest("The request body must be {\"value\": [{\"key\": ..., \"value\": ...}]}")
    _call(_service().put_secrets, sp, values)
    return Response(status=204)


def jobs_list(sp_id=None, app_id=None) -> Response:
    sp = _sp(sp_id, app_id)
    return odata_response({"@odata.context": context_url(f"servicePrincipals('{sp}')/synchronization/jobs"),
                           "value": _call(_service().list_jobs, sp)})


@requires("synchronization", write=True)
def jobs_create(sp_id=None, app_id=None) -> Response:
    sp = _sp(sp_id, app_id)
    body = json_body()
    job = _call(_service().create_job, sp, body.get("templateId"))
    return odata_response({"@odata.context": context_url(f"servicePrincipals('{sp}')/synchronization/jobs/$entity"), **job}, 201)


def job_get(job_id: str, sp_id=None, app_id=None) -> Response:
    sp = _sp(sp_id, app_id)
    job = _call(_service().get_job, sp, job_id)
    return odata_response({"@odata.context": context_url(f"servicePrincipals('{sp}')/synchronization/jobs/$entity"), **job})


@requires("synchronization", write=True)
def job_patch(job_id: str, sp_id=None, app_id=None) -> Response:
    sp = _sp(sp_id, app_id)
    body = json_body()
    svc = _service()
    _call(svc.get_job, sp, job_id)
    unknown = set(body) - {"synchronizationJobSettings", "@odata.type", "id", "templateId", "schedule"}
    if unknown:
        raise BadRequest(f"Property '{sorted(unknown)[0]}' cannot be updated on a synchronization job.")
    if "synchronizationJobSettings" in body:
        _call(svc.update_settings, sp, job_id, body["synchronizationJobSettings"])
    return Response(status=204)


@requires("synchronization", write=True)
def job_delete(job_id: str, sp_id=None, app_id=None) -> Response:
    _call(_service().delete_job, _sp(sp_id, app_id), job_id)
    return Response(status=204)


@requires("synchronization", write=True)
def job_start(job_id: str, sp_id=None, app_id=None) -> Response:
    _call(_service().start, _sp(sp_id, app_id), job_id)
    return Response(status=204)


@requires("synchronization", write=True)
def job_pause(job_id: str, sp_id=None, app_id=None) -> Response:
    _call(_service().pause, _sp(sp_id, app_id), job_id)
    return Response(status=204)


@requires("synchronization", write=True)
def job_restart(job_id: str, sp_id=None, app_id=None) -> Response:
    body = _body_or_empty()
    criteria = body.get("criteria") or {}
    if not isinstance(criteria, dict):
        raise BadRequest("criteria must be an object: {\"criteria\": {\"resetScope\": \"Watermark, Escrows\"}}")
    scope = criteria.get("resetScope", criteria.get("reset_scope"))
    _call(_service().restart, _sp(sp_id, app_id), job_id, scope)
    return Response(status=204)


def schema_get(job_id: str, sp_id=None, app_id=None) -> Response:
    sp = _sp(sp_id, app_id)
    schema = _call(_service().get_schema, sp, job_id)
    return odata_response({"@odata.context": context_url(f"servicePrincipals('{sp}')/synchronization/jobs('{job_id}')/schema/$entity"),
                           **schema})


@requires("synchronization", write=True)
def schema_put(job_id: str, sp_id=None, app_id=None) -> Response:
    _call(_service().put_schema, _sp(sp_id, app_id), job_id, json_body())
    return Response(status=204)


@requires("synchronization", write=True)
def validate_credentials(job_id: str | None = None, sp_id=None, app_id=None) -> Response:
    body = _body_or_empty()
    credentials = body.get("credentials") or []
    if not isinstance(credentials, list):
        raise BadRequest("credentials must be a list of {key, value}")
    _call(_service().validate_credentials, _sp(sp_id, app_id), job_id,
          use_saved=bool(body.get("useSavedCredentials", False)), credentials=credentials)
    return Response(status=204)


@requires("synchronization", write=True)
def provision_on_demand(job_id: str, sp_id=None, app_id=None) -> Response:
    body = json_body()
    result = _call(_service().provision_on_demand, _sp(sp_id, app_id), job_id, body.get("parameters"))
    return odata_response({"@odata.context": context_url("microsoft.graph.stringKeyStringValuePair"), **result})


# ---------------------------------------------------------------------- provisioning logs
#: What ``$filter`` may name on the provisioning logs ("List provisioningObjectSummary" on Microsoft Learn).
PROVISIONING_LOGS = PathVocabulary("microsoft.graph.provisioningObjectSummary", known_property)


def _log_order(text: str, entries: list[dict]) -> list[dict]:
    """``$orderby=activityDateTime asc`` (or any property path, ``asc`` or ``desc``); entries come newest first."""
    parts = text.split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
        raise BadRequest(f"Invalid $orderby: '{text}' (a property path and asc or desc).")
    if not known_property(parts[0]):
        raise BadRequest(f"Could not find a property named '{parts[0]}' on type 'microsoft.graph.provisioningObjectSummary'.")
    descending = len(parts) == 2 and parts[1].lower() == "desc"

    def value(doc: dict) -> tuple:
        cur = property_value(doc, parts[0])
        return (cur is not None, cur if isinstance(cur, (int, float)) else str(cur or ""))

    # A stable sort keeps entries with equal values in time order (newest first when descending).
    return sorted(entries if descending else list(reversed(entries)), key=value, reverse=descending)


@requires("auditLog")
def provisioning_logs() -> Response:
    service = runtime().find(PROVISIONING)
    entries = service.logs() if service is not None else []
    args = request.args
    if "$filter" in args:
        predicate = parse_filter(args["$filter"], PROVISIONING_LOGS).matches
        entries = [e for e in entries if predicate(e)]
    if "$orderby" in args:
        entries = _log_order(args["$orderby"], entries)
    try:
        top = int(args.get("$top", 100))
    except ValueError:
        raise BadRequest("Invalid page size specified: the $top value must be an integer.") from None
    if not 1 <= top <= 1000:
        raise BadRequest("Invalid page size specified. Must be between 1 and 1000 inclusive.")
    try:
        start = int(args.get("$skiptoken", "0") or 0)
    except ValueError:
        raise BadRequest("The $skiptoken is not valid.") from None
    page = entries[start:start + top]
    body: dict[str, Any] = {"@odata.context": context_url("auditLogs/provisioning"), "value": page}
    if start + top < len(entries):
        # Under /v1.0 and URL-encoded, so a client can GET it as is (a $filter has spaces and quotes).
        query = urlencode([(k, v) for k, v in args.items(multi=True) if k != "$skiptoken"] + [("$skiptoken", str(start + top))],
                          safe="$/:,'")
        body["@odata.nextLink"] = f"{public_base()}/v1.0/auditLogs/provisioning?{query}"
    return odata_response(body)


# ---------------------------------------------------------------------------- register
def register(bp: Blueprint) -> None:
    routes: list[tuple[str, Callable, list[str]]] = [
        ("", synchronization_get, ["GET"]),
        ("/templates", templates, ["GET"]),
        ("/secrets", secrets_get, ["GET"]),
        ("/secrets", secrets_put, ["PUT"]),
        ("/jobs", jobs_list, ["GET"]),
        ("/jobs", jobs_create, ["POST"]),
        ("/jobs/validateCredentials", validate_credentials, ["POST"]),
        ("/jobs/<job_id>", job_get, ["GET"]),
        ("/jobs/<job_id>", job_patch, ["PATCH"]),
        ("/jobs/<job_id>", job_delete, ["DELETE"]),
        ("/jobs/<job_id>/start", job_start, ["POST"]),
        ("/jobs/<job_id>/pause", job_pause, ["POST"]),
        ("/jobs/<job_id>/restart", job_restart, ["POST"]),
        ("/jobs/<job_id>/schema", schema_get, ["GET"]),
        ("/jobs/<job_id>/schema", schema_put, ["PUT"]),
        ("/jobs/<job_id>/validateCredentials", validate_credentials, ["POST"]),
        ("/jobs/<job_id>/provisionOnDemand", provision_on_demand, ["POST"]),
    ]
    for suffix, view, methods in routes:
        endpoint = f"sync_{view.__name__}_{'_'.join(methods).lower()}"
        guarded = requires("synchronization")(view) if "GET" in methods else view
        bp.add_url_rule(f"/servicePrincipals/<sp_id>/synchronization{suffix}", endpoint, guarded, methods=methods)
        bp.add_url_rule(f"/servicePrincipals(appId='<app_id>')/synchronization{suffix}", endpoint + "_appid", guarded,
                        methods=methods)
    bp.add_url_rule("/auditLogs/provisioning", "provisioning_logs", provisioning_logs, methods=["GET"])
