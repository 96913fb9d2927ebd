"""The portal's "Test expression": Graph's ``synchronizationSchema: parseExpression``.

    POST /servicePrincipals/{id}/synchronization/jobs/{jobId}/schema/parseExpression
    POST /servicePrincipals/{id}/synchronization/templates/{templateId}/schema/parseExpression

Request (Graph docs): ``expression``, an optional ``testInputObject`` (an
``expressionInputObject``: ``definition``, an objectDefinition, and ``properties``,
``stringKeyObjectValuePair``s whose value is a string or a string collection) and an
optional ``targetAttributeDefinition``.  Response: a ``parseExpressionResponse`` with
``parsingSucceeded``, ``parsedExpression`` (an ``attributeMappingSource``),
``evaluationSucceeded``, ``evaluationResult`` (a string collection) and ``error``
(a ``publicError``).

A request that is not shaped like that is a 400 (Graph's OData error); an expression
that does not parse, or fails on the test object, is a 200 whose ``error`` says why
and where (its message carries the 0-based position).  Pure: the caller hands in the
:class:`~simulator.engine.expressions.Environment` (the clock, a random stream).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from .errors import ExpressionError, ExpressionEvaluationError
from .expressions import IGNORE_FLOW, Environment, parse, select_unique_value_message

__all__ = ["parse_expression", "ParseExpressionRequestError", "PARSE_ERROR_CODE", "EVALUATION_ERROR_CODE"]

#: ``error.code`` when the expression does not parse (the service's own code is not documented).
PARSE_ERROR_CODE: Final = "InvalidExpression"
#: ``error.code`` when it fails on the test object (the provisioning logs' code for the same failure).
EVALUATION_ERROR_CODE: Final = "ExpressionEvaluationFailed"


class ParseExpressionRequestError(ValueError):
    """A request body Graph would refuse (400 Request_BadRequest)."""


def _properties(test_input: Any) -> dict[str, Any] | None:
    if test_input is None:
        return None
    if not isinstance(test_input, Mapping):
        raise ParseExpressionRequestError("testInputObject must be an expressionInputObject: "
                                          "{\"definition\": ..., \"properties\": [{\"key\": ..., \"value\": ...}]}")
    definition = test_input.get("definition")
    if definition is not None and not isinstance(definition, Mapping):
        raise ParseExpressionRequestError("testInputObject.definition must be an objectDefinition or null")
    raw = test_input.get("properties")
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise ParseExpressionRequestError("testInputObject.properties must be a collection of {key, value} pairs")
    values: dict[str, Any] = {}
    for index, pair in enumerate(raw):
        if not isinstance(pair, Mapping) or not isinstance(pair.get("key"), str):
            raise ParseExpressionRequestError(f"testInputObject.properties[{index}] must be {{\"key\": string, "
                                              f"\"value\": string or collection}}")
        value = pair.get("value")
        if isinstance(value, list):
            value = [item if isinstance(item, str) or item is None else json.dumps(item) for item in value]
        elif value is not None and not isinstance(value, str):
            value = json.dumps(value) if isinstance(value, (dict, bool)) else str(value)
        values[pair["key"]] = value
    return values


def _strings(value: Any) -> list[str]:
    """``evaluationResult``: a string collection (null -> empty, a multi-valued result -> one per value)."""
    if value is None or value is IGNORE_FLOW:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, bool):
            out.append("True" if item else "False")
        elif isinstance(item, (dict, list)):
            out.append(json.dumps(item, separators=(",", ":")))
        elif isinstance(item, float) and item.is_integer():
            out.append(str(int(item)))
        else:
            out.append(str(item))
    return out


def _error(code: str, err: ExpressionError) -> dict[str, Any]:
    return {"code": code, "message": err.message, "target": "expression", "details": [], "innerError": None}


def parse_expression(body: Any, *, env: Environment, application: str) -> dict[str, Any]:
    """The ``parseExpressionResponse`` for one request body (see the module docstring).

    ``application`` is the target app's name (SelectUniqueValue is refused for it)."""
    if not isinstance(body, Mapping):
        raise ParseExpressionRequestError("The request body must be a JSON object with 'expression'.")
    expression = body.get("expression")
    if not isinstance(expression, str):
        raise ParseExpressionRequestError("'expression' is required and must be a string.")
    target = body.get("targetAttributeDefinition")
    if target is not None and not isinstance(target, Mapping):
        raise ParseExpressionRequestError("targetAttributeDefinition must be an attributeDefinition or null")
    source = _properties(body.get("testInputObject"))
    response: dict[str, Any] = {"error": None, "evaluationSucceeded": False, "evaluationResult": None,
                                "parsedExpression": None, "parsingSucceeded": False}
    try:
        parsed = parse(expression)
    except ExpressionError as err:
        response["error"] = _error(PARSE_ERROR_CODE, err)
        return response
    response["parsingSucceeded"] = True
    response["parsedExpression"] = parsed.to_mapping_source()
    if source is None:
        return response  # nothing to evaluate against
    try:
        if "SelectUniqueValue" in parsed.functions():
            raise ExpressionEvaluationError(
                f"{select_unique_value_message(application)} at position {parsed.root.pos} in: {parsed.text}",
                position=parsed.root.pos, expression=parsed.text)
        value = parsed.evaluate(source, env)
    except ExpressionEvaluationError as err:
        response["error"] = _error(EVALUATION_ERROR_CODE, err)
        return response
    response["evaluationSucceeded"] = True
    response["evaluationResult"] = _strings(value)
    return response
