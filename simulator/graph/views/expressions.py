"""The portal's "Test expression": ``synchronizationSchema: parseExpression``.

    /servicePrincipals/{id}/synchronization/jobs/{jobId}/schema/parseExpression            POST
    /servicePrincipals/{id}/synchronization/templates/{templateId}/schema/parseExpression  POST

A module of its own beside ``synchronization.py`` (the synchronization API's other
routes): the request, its evaluation and the response are
:func:`simulator.engine.parse_expression.parse_expression`; this view finds the job or
template, hands it the runtime's clock and its own random stream (so a test expression
never shifts the ids a provisioning cycle draws), and renders the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response

from simulator.engine.expressions import Environment
from simulator.engine.mappings import TARGET_DIRECTORY
from simulator.engine.parse_expression import ParseExpressionRequestError, parse_expression
from simulator.http import runtime

from ..errors import BadRequest, ResourceNotFound
from .base import context_url, json_body, odata_response, requires
from .synchronization import _call, _service, _sp

__all__ = ["register", "PARSE_EXPRESSION_STREAM"]

#: The id stream Guid() and RandomString() draw from in a test expression.
PARSE_EXPRESSION_STREAM = "parse-expression"


def _application(schema: dict[str, Any]) -> str:
    rules = schema.get("synchronizationRules") or [{}]
    return str(rules[0].get("targetDirectoryName") or TARGET_DIRECTORY)


def _answer(schema: dict[str, Any]) -> Response:
    rt = runtime()
    env = Environment(now=rt.clock.now, random=rt.ids.stream(PARSE_EXPRESSION_STREAM))
    try:
        result = parse_expression(json_body(), env=env, application=_application(schema))
    except ParseExpressionRequestError as err:
        raise BadRequest(str(err)) from err
    return odata_response({"@odata.context": context_url("microsoft.graph.parseExpressionResponse"), **result})


def job_parse_expression(job_id: str, sp_id: str | None = None, app_id: str | None = None) -> Response:
    return _answer(_call(_service().get_schema, _sp(sp_id, app_id), job_id))


def template_parse_expression(template_id: str, sp_id: str | None = None, app_id: str | None = None) -> Response:
    templates = _call(_service().templates, _sp(sp_id, app_id))
    template = next((t for t in templates if t["id"] == template_id), None)
    if template is None:
        raise ResourceNotFound(f"The synchronization template '{template_id}' does not exist for this application.")
    return _answer(template["schema"])


def register(bp: Blueprint) -> None:
    routes: list[tuple[str, Callable[..., Response]]] = [
        ("/jobs/<job_id>/schema/parseExpression", job_parse_expression),
        ("/templates/<template_id>/schema/parseExpression", template_parse_expression),
    ]
    for suffix, view in routes:
        guarded = requires("synchronization")(view)  # it reads the schema and changes nothing
        endpoint = f"sync_{view.__name__}"
        bp.add_url_rule(f"/servicePrincipals/<sp_id>/synchronization{suffix}", endpoint, guarded, methods=["POST"])
        bp.add_url_rule(f"/servicePrincipals(appId='<app_id>')/synchronization{suffix}", endpoint + "_appid", guarded,
                        methods=["POST"])
