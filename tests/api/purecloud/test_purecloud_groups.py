"""Groups (reference §5): list/get/put/patch only; members are users of the org; PATCH answers 200 with the group."""

from __future__ import annotations

import pytest

from purecloud_helpers import SCIM, assert_scim_error


@pytest.fixture
def users(scim):
    return [scim.create_user(f"member{i}@contoso.com", f"Member {i}") for i in range(3)]


def members(group):
    return [m["value"] for m in group.get("members", [])]


def test_fixture_groups(scim):
    resp = scim.get("/api/v2/scim/groups")  # filter optional on the non-v2 family
    assert resp.status_code == 200
    assert [g["displayName"] for g in resp.json()["Resources"]] == ["Sales", "Support", "Engineering", "Contact Center Admins"]
    sales = scim.group("Sales")
    assert list(sales) == ["schemas", "id", "displayName", "members", "meta"]
    assert sales["meta"]["resourceType"] == "Group" and sales["meta"]["location"] == f"http://provsim.test{SCIM}/groups/{sales['id']}"


def test_filter_required_on_v2_list(scim):
    body = assert_scim_error(scim.get("/Groups"), 400, "invalidFilter")
    assert "required" in body["detail"]


def test_entra_member_add_and_remove(scim, users):
    sales = scim.group("Sales")
    path = f"/Groups/{sales['id']}"
    resp = scim.patch(path, {"op": "Add", "path": "members", "value": [{"$ref": None, "value": users[0]["id"]},
                                                                      {"$ref": None, "value": users[1]["id"]}]})
    assert resp.status_code == 200  # Genesys documents 200 with the group (Microsoft's guidance: 204)
    assert resp.headers["etag"] == '"2"'
    assert members(resp.json()) == [users[0]["id"], users[1]["id"]]
    assert resp.json()["members"][0] == {"type": "User", "value": users[0]["id"],
                                         "$ref": f"http://provsim.test{SCIM}/users/{users[0]['id']}"}
    # adding again is not a duplicate
    assert members(scim.patch(path, {"op": "add", "path": "members", "value": [{"value": users[0]["id"]}]}).json()) == [
        users[0]["id"], users[1]["id"]]
    out = scim.patch(path, {"op": "Remove", "path": f'members[value eq "{users[0]["id"]}"]'}).json()
    assert members(out) == [users[1]["id"]]
    out = scim.patch(path, {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": users[1]["id"]}]}).json()
    assert members(out) == []
    # removing a non-member is a no-op, not an error
    assert scim.patch(path, {"op": "Remove", "path": f'members[value eq "{users[2]["id"]}"]'}).status_code == 200


def test_replace_members_and_remove_all(scim, users):
    support = scim.group("Support")
    path = f"/Groups/{support['id']}"
    out = scim.patch(path, {"op": "replace", "path": "members", "value": [{"value": u["id"]} for u in users]}).json()
    assert members(out) == [u["id"] for u in users]
    assert members(scim.patch(path, {"op": "remove", "path": "members"}).json()) == []


def test_members_must_be_users_of_the_org(scim, users):
    sales = scim.group("Sales")
    path = f"/Groups/{sales['id']}"
    assert_scim_error(scim.patch(path, {"op": "add", "path": "members", "value": [{"value": "not-a-user"}]}), 400, "invalidValue")
    support = scim.group("Support")
    assert_scim_error(scim.patch(path, {"op": "add", "path": "members", "value": [{"value": support["id"], "type": "Group"}]}),
                      400, "invalidValue")
    ok_then_bad = scim.patch(path, {"op": "add", "path": "members", "value": [{"value": users[0]["id"]}]},
                             {"op": "add", "path": "members", "value": [{"value": "nobody"}]})
    assert_scim_error(ok_then_bad, 400, "invalidValue")
    assert scim.group("Sales").get("members") == []  # nothing half-applied


def test_put_group(scim, users):
    eng = scim.group("Engineering")
    resp = scim.put(f"/Groups/{eng['id']}", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                            "displayName": "Engineering", "externalId": "eng",
                                            "members": [{"value": users[2]["id"]}]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["externalId"] == "eng" and members(resp.json()) == [users[2]["id"]]
    assert_scim_error(scim.put(f"/Groups/{eng['id']}", {"displayName": "Sales"}), 409, "uniqueness")
    assert_scim_error(scim.put(f"/Groups/{eng['id']}", {"members": []}), 400, "invalidValue")
    assert_scim_error(scim.put(f"/Groups/{eng['id']}", {"displayName": "Engineering"}, headers={"If-Match": '"1"'}), 400, "invalidVers")


def test_group_get_404_and_if_none_match(scim):
    assert_scim_error(scim.get("/Groups/00000000-0000-4000-8000-000000000000"), 404)
    sales = scim.group("Sales")
    assert scim.get(f"/Groups/{sales['id']}", headers={"If-None-Match": '"1"'}).status_code == 304


def test_excluded_members(scim, users):
    sales = scim.group("Sales")
    scim.patch(f"/Groups/{sales['id']}", {"op": "add", "path": "members", "value": [{"value": users[0]["id"]}]})
    got = scim.get("/Groups", params={"filter": 'displayName eq "Sales"', "excludedAttributes": "members"}).json()
    assert "members" not in got["Resources"][0]
    only = scim.get(f"/Groups/{sales['id']}", params={"attributes": "displayName"}).json()
    assert list(only) == ["schemas", "id", "displayName", "meta"]


@pytest.mark.parametrize("method, path, allow", [("POST", "/Groups", "GET"), ("DELETE", "/Groups/{id}", "GET, PUT, PATCH")])
def test_groups_cannot_be_created_or_deleted(scim, method, path, allow):
    sales = scim.group("Sales")
    resp = scim.request(method, path.format(id=sales["id"]), json={"displayName": "New"} if method == "POST" else None)
    body = assert_scim_error(resp, 405)
    assert resp.headers["allow"] == allow and "Genesys" in body["detail"]
    assert scim.group("Sales")["id"] == sales["id"]


def test_patch_unknown_group(scim):
    assert_scim_error(scim.patch("/Groups/nope", {"op": "add", "path": "members", "value": []}), 404)
