"""$batch (dependsOn, depends_on, URL forms, 424, limits) and throttling through fault rules."""

from __future__ import annotations

from simulator.core import FaultRule

from graph_helpers import assert_graph_error


def _new_user(nick):
    return {"accountEnabled": True, "displayName": nick, "mailNickname": nick, "userPrincipalName": f"{nick}@contoso.com",
            "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d"}}


def test_batch_with_dependencies_and_url_forms(graph):
    resp = graph.post("/$batch", json={"requests": [
        {"id": "1", "method": "POST", "url": "/users", "headers": {"Content-Type": "application/json"}, "body": _new_user("kim")},
        {"id": "2", "method": "GET", "url": "https://graph.microsoft.com/v1.0/users/kim@contoso.com", "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": "/v1.0/groups?$top=1", "depends_on": ["2"]},
        {"id": "4", "method": "GET", "url": "users/00000000-0000-4000-8000-000000000000"},
        {"id": "5", "method": "GET", "url": "/users/$count", "headers": {"ConsistencyLevel": "eventual"}},
    ]})
    assert resp.status_code == 200
    out = {r["id"]: r for r in resp.json["responses"]}
    assert [r["id"] for r in resp.json["responses"]] == ["1", "4", "5", "2", "3"] or set(out) == {"1", "2", "3", "4", "5"}
    assert out["1"]["status"] == 201 and out["1"]["body"]["userPrincipalName"] == "kim@contoso.com"
    assert out["1"]["headers"]["Content-Type"].startswith("application/json")
    assert out["2"]["status"] == 200 and out["2"]["body"]["displayName"] == "kim"
    assert out["3"]["status"] == 200 and len(out["3"]["body"]["value"]) == 1
    assert out["4"]["status"] == 404 and out["4"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert out["5"]["body"] == "26"


def test_failed_dependency_is_424(graph):
    resp = graph.post("/$batch", json={"requests": [
        {"id": "a", "method": "GET", "url": "/users/nobody@contoso.com"},
        {"id": "b", "method": "DELETE", "url": "/users/alex.wilber@contoso.com", "dependsOn": ["a"]},
    ]})
    out = {r["id"]: r for r in resp.json["responses"]}
    assert out["a"]["status"] == 404 and out["b"]["status"] == 424
    assert out["b"]["body"]["error"]["code"] == "FailedDependency"
    assert graph.get("/users/alex.wilber@contoso.com").status_code == 200


def test_batch_limits_and_malformed(graph):
    many = [{"id": str(i), "method": "GET", "url": "/users?$top=1"} for i in range(21)]
    assert_graph_error(graph.post("/$batch", json={"requests": many}), 400, "Request_BadRequest")
    dup = [{"id": "1", "method": "GET", "url": "/users"}, {"id": "1", "method": "GET", "url": "/groups"}]
    assert_graph_error(graph.post("/$batch", json={"requests": dup}), 400, "Request_BadRequest")
    assert_graph_error(graph.post("/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/users",
                                                                   "dependsOn": ["9"]}]}), 400, "Request_BadRequest")
    cycle = [{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["2"]},
             {"id": "2", "method": "GET", "url": "/users", "dependsOn": ["1"]}]
    assert_graph_error(graph.post("/$batch", json={"requests": cycle}), 400, "Request_BadRequest")
    assert_graph_error(graph.post("/$batch", json={"requests": [{"id": "1", "method": "POST", "url": "/users",
                                                                   "body": {}}]}), 400, "Request_BadRequest")
    assert_graph_error(graph.post("/$batch", json={"nope": []}), 400, "Request_BadRequest")
    assert graph.post("/$batch", json={"requests": many[:20]}).status_code == 200


def test_batch_items_are_authorised_each(client):
    resp = client.post("/v1.0/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/users"}]})
    assert_graph_error(resp, 401, "InvalidAuthenticationToken")


def test_throttling_through_a_fault_rule(graph, runtime):
    runtime.faults.add(FaultRule(method="GET", path="/v1.0/users", times=1, status=429, headers={"Retry-After": "2"}))
    resp = graph.get("/users")
    err = assert_graph_error(resp, 429, "TooManyRequests")
    assert resp.headers["Retry-After"] == "2"
    assert err["innerError"]["date"] == "2026-01-05T09:00:00"
    assert graph.get("/users").status_code == 200


def test_fault_inside_a_batch_item(graph, runtime):
    runtime.faults.add(FaultRule(method="GET", path="/v1.0/groups", times=1, status=429))
    resp = graph.post("/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/groups"}]})
    item = resp.json["responses"][0]
    assert item["status"] == 429 and item["headers"]["Retry-After"] == "1"
    assert item["body"]["error"]["code"] == "TooManyRequests"


def test_login_surface_fault_has_the_aadsts_shape(client, runtime):
    runtime.faults.add(FaultRule(method="POST", path="/contoso.onmicrosoft.com/oauth2/v2.0/token", times=1, status=503))
    resp = client.post("/contoso.onmicrosoft.com/oauth2/v2.0/token", data={})
    assert resp.status_code == 503 and resp.json["error"] == "temporarily_unavailable"
    assert resp.json["error_description"].startswith("AADSTS")
