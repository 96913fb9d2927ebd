"""msgraph-sdk's own ``parse_expression`` request builder (the portal's "Test expression") against the
served fake, unchanged: a valid expression, a parse error with its position, an evaluation error."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("msgraph")

from msgraph.generated.models.expression_input_object import ExpressionInputObject  # noqa: E402
from msgraph.generated.models.string_key_object_value_pair import StringKeyObjectValuePair  # noqa: E402
from msgraph.generated.models.synchronization_job import SynchronizationJob  # noqa: E402
from msgraph.generated.service_principals.item.synchronization.jobs.item.schema.parse_expression.parse_expression_post_request_body import (  # noqa: E402,E501
    ParseExpressionPostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.templates.item.schema.parse_expression.parse_expression_post_request_body import (  # noqa: E402,E501
    ParseExpressionPostRequestBody as TemplateParseExpressionPostRequestBody,
)

from simulator.graph.sdk import graph_service_client  # noqa: E402

pytestmark = [pytest.mark.clients, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SP = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"

#: The test object of Graph's parseExpression example (a part of it).
PROPERTIES = {"objectId": "66E4A8CC-1B7B-435E-95F8-F06CEA133828", "IsSoftDeleted": "false", "accountEnabled": "true",
              "displayName": "John Smith", "givenName": "John", "surname": "Smith", "mail": "johns@contoso.com",
              "preferredLanguage": "EN-US", "userPrincipalName": "johns@contoso.com"}


def _input(properties: dict[str, object]) -> ExpressionInputObject:
    pairs = [StringKeyObjectValuePair(key=key, additional_data={"value": value}) for key, value in properties.items()]
    return ExpressionInputObject(properties=pairs)


@pytest.fixture
def parse(served):
    graph = graph_service_client(served.url)

    async def create_job() -> str:
        job = await graph.service_principals.by_service_principal_id(SP).synchronization.jobs.post(
            SynchronizationJob(template_id="purecloud"))
        return job.id

    job_id = asyncio.run(create_job())
    builder = (graph.service_principals.by_service_principal_id(SP).synchronization.jobs
               .by_synchronization_job_id(job_id).schema.parse_expression)

    def call(expression: str, properties: dict[str, object] | None = None):
        body = ParseExpressionPostRequestBody(expression=expression,
                                              test_input_object=_input(properties) if properties is not None else None)
        return asyncio.run(builder.post(body))

    call.graph = graph  # type: ignore[attr-defined]
    return call


def test_valid_expression_is_parsed_and_evaluated_as_graph_documents(parse) -> None:
    result = parse('Replace([preferredLanguage], "-", , , "_", , )', PROPERTIES)
    assert result.parsing_succeeded is True and result.evaluation_succeeded is True
    assert result.evaluation_result == ["EN_US"]
    assert result.error is None
    parsed = result.parsed_expression
    assert parsed.name == "Replace" and parsed.type == "Function"
    assert [p.key for p in parsed.parameters] == ["source", "Find", "Replacement"]  # the documented response
    source = parsed.parameters[0].value
    assert (source.expression, source.name, source.type) == ("[preferredLanguage]", "preferredLanguage", "Attribute")
    assert (parsed.parameters[2].value.expression, parsed.parameters[2].value.type) == ('"_"', "Constant")


def test_parse_error_names_the_position(parse) -> None:
    result = parse('Join(" ", [givenName]', PROPERTIES)
    assert result.parsing_succeeded is False and result.evaluation_succeeded is False
    assert result.parsed_expression is None and not result.evaluation_result
    assert result.error.code == "InvalidExpression"
    assert "at position 21" in result.error.message and "Expected ',' or ')'" in result.error.message


def test_evaluation_error_names_the_function_and_position(parse) -> None:
    result = parse('Join("-", [givenName], Mid([surname], [displayName], 2))', PROPERTIES)
    assert result.parsing_succeeded is True and result.parsed_expression.name == "Join"
    assert result.evaluation_succeeded is False and not result.evaluation_result
    assert result.error.code == "ExpressionEvaluationFailed"
    assert "Mid: start must be an integer" in result.error.message and "at position 23" in result.error.message


def test_multi_valued_result_and_date_functions(parse) -> None:
    result = parse('Split([proxyAddresses], ",")', {"proxyAddresses": "smtp:a@contoso.com, SMTP:b@contoso.com"})
    assert result.evaluation_result == ["smtp:a@contoso.com", "SMTP:b@contoso.com"]
    hire = parse('FormatDateTime([employeeHireDate], , "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-dd")',
                 {"employeeHireDate": "2026-03-01T00:00:00Z"})
    assert hire.evaluation_result == ["2026-03-01"]
    now = parse("Now()", {})
    assert now.evaluation_result == ["1/5/2026 9:00:00 AM"]  # the served simulator's virtual clock


def test_without_a_test_object_only_the_parse_is_reported(parse) -> None:
    result = parse("ToLower([userPrincipalName])")
    assert result.parsing_succeeded is True and result.parsed_expression.name == "ToLower"
    assert result.evaluation_succeeded is False and result.error is None


def test_template_variant(parse) -> None:
    graph = parse.graph

    async def call():
        body = TemplateParseExpressionPostRequestBody(expression="Not([IsSoftDeleted])",
                                                      test_input_object=_input({"IsSoftDeleted": "False"}))
        return await (graph.service_principals.by_service_principal_id(SP).synchronization.templates
                      .by_synchronization_template_id("purecloud").schema.parse_expression.post(body))

    result = asyncio.run(call())
    assert result.evaluation_result == ["True"]
