"""/groups and members: CRUD, $ref add, both remove forms, the exact duplicate-member error."""

from __future__ import annotations

from graph_helpers import assert_graph_error

DUPLICATE = "One or more added object references already exist for the following modified properties: 'members'."


def _ref(object_id: str) -> dict:
    return {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{object_id}"}


def test_list_and_get(graph):
    body = graph.get("/groups").json
    assert [g["displayName"] for g in body["value"]] == ["Sales", "Support", "Engineering", "Marketing", "Finance"]
    sales = body["value"][0]
    assert sales["securityEnabled"] is True and sales["mailEnabled"] is False and sales["groupTypes"] == []
    assert graph.get(f"/groups/{sales['id']}").json["displayName"] == "Sales"
    assert_graph_error(graph.get("/groups/not-a-guid"), 400, "Request_BadRequest", "Invalid object identifier 'not-a-guid'.")
    assert_graph_error(graph.get("/groups/11111111-1111-4111-8111-111111111111"), 404, "Request_ResourceNotFound")


def test_members_carry_odata_type(graph):
    gid = graph.group_id("Finance")
    members = graph.get(f"/groups/{gid}/members").json["value"]
    assert [(m["@odata.type"], m["displayName"]) for m in members] == [
        ("#microsoft.graph.user", "Allan Deyoung"), ("#microsoft.graph.user", "Ben Walters")]
    page = graph.get(f"/groups/{graph.group_id('Support')}/members?$top=3&$select=id,userPrincipalName").json
    assert len(page["value"]) == 3 and "@odata.nextLink" in page
    assert set(page["value"][0]) == {"@odata.type", "id", "userPrincipalName"}
    count = graph.get(f"/groups/{gid}/members/$count", headers={"ConsistencyLevel": "eventual"})
    assert count.get_data(as_text=True) == "2"


def test_create_update_delete_group(graph):
    resp = graph.post("/groups", json={"displayName": "Billing", "mailEnabled": False, "mailNickname": "billing",
                                       "securityEnabled": True, "description": "Billing desk"})
    assert resp.status_code == 201
    gid = resp.json["id"]
    assert graph.patch(f"/groups/{gid}", json={"description": "Billing and refunds"}).status_code == 204
    assert graph.get(f"/groups/{gid}").json["description"] == "Billing and refunds"
    assert_graph_error(graph.post("/groups", json={"displayName": "x"}), 400, "Request_BadRequest")
    assert graph.delete(f"/groups/{gid}").status_code == 204
    assert_graph_error(graph.get(f"/groups/{gid}"), 404, "Request_ResourceNotFound")


def test_create_with_members_bind(graph):
    ben = graph.user("ben.walters@contoso.com")["id"]
    resp = graph.post("/groups", json={"displayName": "Audit", "mailEnabled": False, "mailNickname": "audit",
                                       "securityEnabled": True,
                                       "members@odata.bind": [f"https://graph.microsoft.com/v1.0/users/{ben}"]})
    assert resp.status_code == 201, resp.json
    assert [m["id"] for m in graph.get(f"/groups/{resp.json['id']}/members").json["value"]] == [ben]


def test_add_and_remove_members(graph):
    gid = graph.group_id("Finance")
    diego = graph.user("diego.siciliani@contoso.com")["id"]
    assert graph.post(f"/groups/{gid}/members/$ref", json=_ref(diego)).status_code == 204
    assert_graph_error(graph.post(f"/groups/{gid}/members/$ref", json=_ref(diego)), 400, "Request_BadRequest", DUPLICATE)
    assert diego in [m["id"] for m in graph.get(f"/groups/{gid}/members").json["value"]]
    # remove, form 1: /members/{id}/$ref
    assert graph.delete(f"/groups/{gid}/members/{diego}/$ref").status_code == 204
    assert_graph_error(graph.delete(f"/groups/{gid}/members/{diego}/$ref"), 404, "Request_ResourceNotFound")
    # remove, form 2: /members/$ref?$id=<url>
    assert graph.post(f"/groups/{gid}/members/$ref", json=_ref(diego)).status_code == 204
    resp = graph.delete(f"/groups/{gid}/members/$ref",
                        query_string={"$id": f"https://graph.microsoft.com/v1.0/directoryObjects/{diego}"})
    assert resp.status_code == 204
    assert diego not in [m["id"] for m in graph.get(f"/groups/{gid}/members").json["value"]]


def test_nested_group_member(graph):
    finance, sales = graph.group_id("Finance"), graph.group_id("Sales")
    assert graph.post(f"/groups/{finance}/members/$ref", json=_ref(sales)).status_code == 204
    members = graph.get(f"/groups/{finance}/members").json["value"]
    assert members[-1]["@odata.type"] == "#microsoft.graph.group"
    assert [g["id"] for g in graph.get(f"/groups/{sales}/memberOf").json["value"]] == [finance]


def test_member_add_errors(graph):
    gid = graph.group_id("Finance")
    missing = "22222222-2222-4222-8222-222222222222"
    assert_graph_error(graph.post(f"/groups/{gid}/members/$ref", json=_ref(missing)), 404, "Request_ResourceNotFound")
    assert_graph_error(graph.post(f"/groups/{gid}/members/$ref", json={"id": missing}), 400, "Request_BadRequest")
    assert_graph_error(graph.post(f"/groups/{gid}/members/$ref", json=_ref(gid)), 400, "Request_BadRequest")


def test_remove_non_member_can_answer_400(app):
    from simulator import create_app
    from simulator.core import ProvsimConfig

    from graph_helpers import GraphActions, get_token

    other = create_app(ProvsimConfig(extra={"graph.remove_non_member_status": 400}))
    graph = GraphActions(other.test_client(), get_token(other.test_client()))
    gid = graph.group_id("Finance")
    nestor = graph.user("nestor.wilke@contoso.com")["id"]
    assert_graph_error(graph.delete(f"/groups/{gid}/members/{nestor}/$ref"), 400, "Request_BadRequest",
                       "One or more removed object references do not exist for the following modified properties: 'members'.")


def test_filter_groups(graph):
    body = graph.get("/groups?$filter=startswith(displayName,'S')&$select=displayName").json
    assert body["value"] == [{"displayName": "Sales"}, {"displayName": "Support"}]
    expanded = graph.get("/groups?$filter=displayName eq 'Finance'&$expand=members").json["value"][0]
    assert len(expanded["members"]) == 2
