"""parseExpression's HTTP contract: Graph's 400 for a body that is not a request, 404 for an unknown job
or template, the reader's 403, and a test expression that never shifts the ids provisioning draws."""

from __future__ import annotations

import pytest

from graph_helpers import READER, GraphActions, assert_graph_error, get_token

SP = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"


@pytest.fixture
def job(graph: GraphActions) -> str:
    resp = graph.post(f"/servicePrincipals/{SP}/synchronization/jobs", json={"templateId": "purecloud"})
    assert resp.status_code == 201
    return resp.json["id"]


def _parse(graph: GraphActions, job: str, body):
    return graph.post(f"/servicePrincipals/{SP}/synchronization/jobs/{job}/schema/parseExpression", json=body)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "'expression' is required"),
        ({"expression": 7}, "'expression' is required and must be a string"),
        ({"expression": "[a]", "testInputObject": []}, "testInputObject must be an expressionInputObject"),
        ({"expression": "[a]", "testInputObject": {"properties": [{"value": "x"}]}}, "properties[0]"),
        ({"expression": "[a]", "targetAttributeDefinition": "String"}, "targetAttributeDefinition"),
    ],
)
def test_malformed_requests_are_graph_400s(graph: GraphActions, job: str, body, fragment: str) -> None:
    err = assert_graph_error(_parse(graph, job, body), 400, "Request_BadRequest")
    assert fragment in err["message"]


def test_the_response_shape_and_context(graph: GraphActions, job: str) -> None:
    resp = _parse(graph, job, {"expression": "Append([a], \"!\")",
                               "testInputObject": {"definition": None, "properties": [{"key": "a", "value": "hi"}]}})
    assert resp.status_code == 200
    assert list(resp.json) == ["@odata.context", "error", "evaluationSucceeded", "evaluationResult",
                               "parsedExpression", "parsingSucceeded"]
    assert resp.json["@odata.context"].endswith("$metadata#microsoft.graph.parseExpressionResponse")
    assert resp.json["evaluationResult"] == ["hi!"]


def test_collection_values_and_the_ten_thousand_character_limit(graph: GraphActions, job: str) -> None:
    resp = _parse(graph, job, {"expression": 'Join(";", [appRoleAssignments])', "testInputObject": {"properties": [
        {"key": "appRoleAssignments", "value@odata.type": "#Collection(String)", "value": ["User", "Supervisor"]}]}})
    assert resp.json["evaluationResult"] == ["User;Supervisor"]
    too_long = _parse(graph, job, {"expression": '"' + "a" * 10_000 + '"'})
    assert too_long.status_code == 200 and too_long.json["parsingSucceeded"] is False
    assert "the limit is 10,000" in too_long.json["error"]["message"]


def test_select_unique_value_is_refused_for_the_app(graph: GraphActions, job: str) -> None:
    resp = _parse(graph, job, {"expression": "SelectUniqueValue([mail], [userPrincipalName])",
                               "testInputObject": {"properties": [{"key": "mail", "value": "a@contoso.com"}]}})
    assert resp.json["parsingSucceeded"] is True and resp.json["evaluationSucceeded"] is False
    assert "SelectUniqueValue isn't supported for use with PureCloud by Genesys" in resp.json["error"]["message"]


def test_unknown_job_and_template_are_404(graph: GraphActions) -> None:
    assert_graph_error(_parse(graph, "nope", {"expression": "[a]"}), 404, "Request_ResourceNotFound")
    resp = graph.post(f"/servicePrincipals/{SP}/synchronization/templates/nope/schema/parseExpression",
                      json={"expression": "[a]"})
    assert_graph_error(resp, 404, "Request_ResourceNotFound")


def test_a_client_without_synchronization_permission_is_refused(client, job: str) -> None:
    reader = GraphActions(client, get_token(client, READER))
    assert_graph_error(_parse(reader, job, {"expression": "[a]"}), 403, "Authorization_RequestDenied")


def test_a_test_expression_draws_its_own_ids(graph: GraphActions, job: str, runtime) -> None:
    engine_stream = runtime.ids.stream("expressions")
    before = engine_stream.guid()
    runtime.ids.reset()
    guid = _parse(graph, job, {"expression": "Guid()", "testInputObject": {"properties": []}}).json["evaluationResult"]
    assert len(guid) == 1 and guid[0] != before
    assert engine_stream.guid() == before  # the engine's stream did not move
