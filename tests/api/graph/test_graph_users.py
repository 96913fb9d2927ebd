"""/users: listing, query options, CRUD, manager, memberOf, $count, errors."""

from __future__ import annotations

import pytest

from graph_helpers import assert_graph_error

NOT_FOUND = "Resource '{}' does not exist or one of its queried reference-property objects are not present."


def test_list_has_the_default_properties_and_odata_context(graph):
    resp = graph.get("/users")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json;odata.metadata=minimal")
    body = resp.json
    assert body["@odata.context"] == "http://localhost/v1.0/$metadata#users"
    assert "@odata.nextLink" not in body and len(body["value"]) == 25
    first = body["value"][0]
    assert list(first) == ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                           "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"]
    assert first["userPrincipalName"] == "nestor.wilke@contoso.com"
    assert resp.headers["request-id"]


def test_paging_with_top_and_absolute_next_links(graph):
    seen, url, pages = [], "/users?$top=7&$select=id,displayName", 0
    resp = graph.get(url, base_url="http://127.0.0.1:8123")
    while True:
        pages += 1
        body = resp.json
        seen += [u["id"] for u in body["value"]]
        assert list(body["value"][0]) == ["id", "displayName"]
        link = body.get("@odata.nextLink")
        if not link:
            break
        assert link.startswith("http://127.0.0.1:8123/v1.0/users?$top=7&$select=id,displayName&$skiptoken=")
        resp = graph.get(link.split("/v1.0", 1)[1], base_url="http://127.0.0.1:8123")
    assert pages == 4 and len(seen) == len(set(seen)) == 25


@pytest.mark.parametrize("top", ["0", "1000", "ten"])
def test_top_out_of_range(graph, top):
    err = assert_graph_error(graph.get(f"/users?$top={top}"), 400, "Request_BadRequest")
    assert "between 1 and 999 inclusive" in err["message"]


def test_select_non_default_properties(graph):
    body = graph.get("/users?$select=userPrincipalName,department,employeeId,accountEnabled&$top=2").json
    assert body["@odata.context"].endswith("#users(userPrincipalName,department,employeeId,accountEnabled)")
    assert body["value"][0] == {"userPrincipalName": "nestor.wilke@contoso.com", "department": "Executive",
                                "employeeId": "E1001", "accountEnabled": True}
    assert_graph_error(graph.get("/users?$select=shoeSize"), 400, "Request_BadRequest")


@pytest.mark.parametrize("flt,expected", [
    ("userPrincipalName eq 'MEGAN.BOWEN@contoso.com'", ["megan.bowen@contoso.com"]),
    ("startswith(displayName,'Jo')", ["johanna.lorenz@contoso.com", "joni.sherman@contoso.com"]),
    ("department eq 'Finance'", ["allan.deyoung@contoso.com", "ben.walters@contoso.com"]),
    ("department eq 'Support' and accountEnabled eq false", ["lee.gu@contoso.com"]),
    ("jobTitle eq 'VP Sales' or jobTitle eq 'VP Engineering'", ["megan.bowen@contoso.com", "johanna.lorenz@contoso.com"]),
    ("mailNickname in ('benw','alland')", ["allan.deyoung@contoso.com", "ben.walters@contoso.com"]),
    ("(usageLocation eq 'DK') or (employeeId eq 'C2001')", ["nina.diaz@contoso.com", "zoe.ostergaard@contoso.com"]),
    ("businessPhones/any(p:p eq '+14255550100')", ["nestor.wilke@contoso.com"]),
    ("displayName eq 'Sam O''Neil'", ["sam.oneil@contoso.com"]),
])
def test_filter(graph, flt, expected):
    resp = graph.get("/users", query_string={"$filter": flt})
    assert resp.status_code == 200, resp.json
    assert sorted(u["userPrincipalName"] for u in resp.json["value"]) == sorted(expected)


def test_advanced_operators_need_consistency_level(graph):
    flt = {"$filter": "department ne 'Sales'", "$count": "true"}
    assert_graph_error(graph.get("/users", query_string={"$filter": "department ne 'Sales'"}), 400, "Request_UnsupportedQuery")
    assert_graph_error(graph.get("/users", query_string={"$filter": "endswith(mail,'@contoso.com')"}), 400,
                       "Request_UnsupportedQuery")
    resp = graph.get("/users", query_string=flt, headers={"ConsistencyLevel": "eventual"})
    assert resp.status_code == 200 and resp.json["@odata.count"] == 19
    resp = graph.get("/users", query_string={"$filter": "not(department eq 'Sales')", "$count": "true"},
                     headers={"ConsistencyLevel": "eventual"})
    assert resp.json["@odata.count"] == 19


@pytest.mark.parametrize("flt,code", [
    ("shoeSize eq 42", "Request_BadRequest"),
    ("displayName eq", "Request_BadRequest"),
    ("displayName foo 'x'", "Request_BadRequest"),
    ("displayName eq 'x' and", "Request_BadRequest"),
    ("startswith(displayName 'x')", "Request_BadRequest"),
    ("passwordProfile eq 'x'", "Request_UnsupportedQuery"),
    ("((((", "Request_BadRequest"),
    ("displayName eq 'unterminated", "Request_BadRequest"),
])
def test_bad_filters_are_graph_errors_not_500(graph, flt, code):
    assert_graph_error(graph.get("/users", query_string={"$filter": flt}), 400, code)


def test_unknown_property_message(graph):
    assert_graph_error(graph.get("/users", query_string={"$filter": "shoeSize eq 42"}), 400, "Request_BadRequest",
                       "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.")


def test_unsupported_query_options(graph):
    assert_graph_error(graph.get("/users?$skip=5"), 400, "Request_BadRequest", "'$skip' is not supported by the service.")
    assert_graph_error(graph.get("/users?$expand=memberOf"), 400, "Request_BadRequest")


def test_count(graph):
    assert "@odata.count" not in graph.get("/users?$count=true").json  # ignored without the header
    assert graph.get("/users?$count=true&$top=2", headers={"ConsistencyLevel": "eventual"}).json["@odata.count"] == 25
    assert_graph_error(graph.get("/users/$count"), 400, "Request_BadRequest", "$count is not currently supported.")
    resp = graph.get("/users/$count", headers={"ConsistencyLevel": "eventual", "Accept": "text/plain"})
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/plain") and resp.get_data(as_text=True) == "25"
    assert graph.get("/groups/$count", headers={"ConsistencyLevel": "eventual"}).get_data(as_text=True) == "5"


def test_search_needs_consistency_level(graph):
    err = assert_graph_error(graph.get('/users?$search="displayName:meg"'), 400, "Request_UnsupportedQuery")
    assert "ConsistencyLevel: eventual" in err["message"]
    resp = graph.get('/users?$search="displayName:wil" OR "displayName:gup"', headers={"ConsistencyLevel": "eventual"})
    assert sorted(u["displayName"] for u in resp.json["value"]) == ["Alex Wilber", "Nestor Wilke", "Pradeep Gupta"]
    assert_graph_error(graph.get('/users?$search=meg', headers={"ConsistencyLevel": "eventual"}), 400, "Request_BadRequest")


def test_orderby(graph):
    names = [u["displayName"] for u in graph.get("/users?$orderby=displayName&$top=3").json["value"]]
    assert names == ["Adele Vance", "Alex Wilber", "Allan Deyoung"]
    desc = graph.get("/users?$orderby=displayName desc&$top=2").json
    assert [u["displayName"] for u in desc["value"]] == ["Zoë Østergaard", "Sam O'Neil"]
    assert "@odata.nextLink" in desc
    assert_graph_error(graph.get("/users?$orderby=jobTitle"), 400, "Request_UnsupportedQuery")


def test_get_by_id_and_upn(graph):
    user = graph.user("adele.vance@contoso.com")
    assert user["@odata.context"].endswith("#users/$entity")
    assert graph.get(f"/users/{user['id']}").json["displayName"] == "Adele Vance"
    assert graph.get("/users/adele.vance%40contoso.com").status_code == 200


def test_not_found_shape(graph, runtime):
    resp = graph.get("/users/00000000-0000-4000-8000-000000000000", headers={"client-request-id": "mine"})
    err = assert_graph_error(resp, 404, "Request_ResourceNotFound", NOT_FOUND.format("00000000-0000-4000-8000-000000000000"))
    assert err["innerError"]["date"] == "2026-01-05T09:00:00"
    assert err["innerError"]["request-id"] == resp.headers["request-id"]
    assert err["innerError"]["client-request-id"] == "mine"


def test_create_update_delete(graph):
    created = graph.new_user("kim", givenName="Kim", department="Support", businessPhones=["+31201234567"])
    assert created["userPrincipalName"] == "kim@contoso.com" and created["id"]
    uid = created["id"]
    assert graph.patch(f"/users/{uid}", json={"jobTitle": "Agent", "department": "Sales", "mobilePhone": None}).status_code == 204
    got = graph.get(f"/users/{uid}?$select=jobTitle,department,createdDateTime,accountEnabled").json
    assert got["jobTitle"] == "Agent" and got["department"] == "Sales" and got["accountEnabled"] is True
    assert got["createdDateTime"] == "2026-01-05T09:00:00Z"
    assert graph.delete(f"/users/{uid}").status_code == 204
    assert_graph_error(graph.get(f"/users/{uid}"), 404, "Request_ResourceNotFound")
    assert_graph_error(graph.delete(f"/users/{uid}"), 404, "Request_ResourceNotFound")


@pytest.mark.parametrize("change,message", [
    ({"userPrincipalName": "megan.bowen@contoso.com"}, "Another object with the same value for property userPrincipalName already exists."),
    ({"userPrincipalName": "kim@fabrikam.com"}, "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."),
    ({"shoeSize": 42}, "Property 'shoeSize' does not exist as a declared property or extension property."),
    ({"accountEnabled": "yes"}, "Invalid value specified for property 'accountEnabled' of resource 'User'."),
    ({"passwordProfile": None}, "Invalid value specified for property 'passwordProfile' of resource 'User'."),
    ({"id": "x"}, "Property 'id' is read-only and cannot be set."),
    ({"businessPhones": ["1", "2"]}, "Invalid value specified for property 'businessPhones' of resource 'User'."),
])
def test_create_errors(graph, change, message):
    body = {"accountEnabled": True, "displayName": "Kim", "mailNickname": "kim", "userPrincipalName": "kim@contoso.com",
            "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d"}, **change}
    assert_graph_error(graph.post("/users", json=body), 400, "Request_BadRequest", message)


def test_create_ignores_odata_type_and_bad_json_is_400(graph):
    graph.new_user("lou", **{"@odata.type": "#microsoft.graph.user"})
    resp = graph.client.post("/v1.0/users", data="{not json", headers={**graph._headers(None), "Content-Type": "application/json"})
    assert_graph_error(resp, 400, "Request_BadRequest")
    resp = graph.client.post("/v1.0/users", headers=graph._headers(None))
    assert_graph_error(resp, 400, "Request_BadRequest", "Empty Payload. JSON content expected.")


def test_patch_duplicate_upn(graph):
    uid = graph.user("alex.wilber@contoso.com")["id"]
    assert_graph_error(graph.patch(f"/users/{uid}", json={"userPrincipalName": "Megan.Bowen@contoso.com"}), 400,
                       "Request_BadRequest", "Another object with the same value for property userPrincipalName already exists.")


def test_manager_ref(graph):
    alex = graph.user("alex.wilber@contoso.com")["id"]
    nestor = graph.user("nestor.wilke@contoso.com")["id"]
    manager = graph.get(f"/users/{alex}/manager").json
    assert manager["@odata.type"] == "#microsoft.graph.user" and manager["displayName"] == "Megan Bowen"
    resp = graph.put(f"/users/{alex}/manager/$ref", json={"@odata.id": f"https://graph.microsoft.com/v1.0/users/{nestor}"})
    assert resp.status_code == 204
    assert graph.get(f"/users/{alex}/manager").json["id"] == nestor
    assert graph.get(f"/users/{alex}?$expand=manager").json["manager"]["id"] == nestor
    reports = graph.get(f"/users/{nestor}/directReports").json["value"]
    assert alex in [r["id"] for r in reports]
    assert graph.delete(f"/users/{alex}/manager/$ref").status_code == 204
    assert_graph_error(graph.get(f"/users/{alex}/manager"), 404, "Request_ResourceNotFound")
    assert_graph_error(graph.delete(f"/users/{alex}/manager/$ref"), 404, "Request_ResourceNotFound")
    missing = "11111111-1111-4111-8111-111111111111"
    assert_graph_error(graph.put(f"/users/{alex}/manager/$ref", json={"@odata.id": f"https://graph.microsoft.com/v1.0/users/{missing}"}),
                       404, "Request_ResourceNotFound", NOT_FOUND.format(missing))
    assert_graph_error(graph.put(f"/users/{alex}/manager/$ref", json={"@odata.id": "https://graph.microsoft.com/v1.0/users/nope"}),
                       400, "Request_BadRequest", "Invalid object identifier 'nope'.")


def test_member_of(graph):
    lynne = graph.user("lynne.robbins@contoso.com")["id"]
    groups = graph.get(f"/users/{lynne}/memberOf").json["value"]
    assert [(g["@odata.type"], g["displayName"]) for g in groups] == [("#microsoft.graph.group", "Support")]


def test_unknown_segment_and_method(graph):
    assert_graph_error(graph.get("/usrs"), 400, "BadRequest", "Resource not found for the segment 'usrs'.")
    assert_graph_error(graph.put("/users", json={}), 405, "Request_BadRequest")


def test_double_slash_paths_work(graph):
    assert graph.get("//users?$top=1").status_code == 200
