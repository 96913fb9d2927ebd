"""Users: create, read, replace, delete, validation, ETags, pagination, projection (reference §3-4)."""

from __future__ import annotations

import pytest

from purecloud_helpers import ENTERPRISE, GENESYS, SCIM, assert_scim_error

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"


def full_user(**extra):
    return {
        "schemas": [USER_URN, ENTERPRISE, GENESYS],
        "userName": "Alex.Wilber@contoso.com",
        "displayName": "Alex Wilber",
        "title": "Marketing assistant",
        "active": True,
        "externalId": "alexw",
        "password": "never-returned",
        "emails": [{"value": "alex.work@contoso.com", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+14255550109", "type": "mobile"}, {"value": "tel:+14255550100;ext=42", "type": "work"}],
        "roles": [{"value": "employee"}, {"value": "Supervisor"}],
        ENTERPRISE: {"department": "Marketing", "employeeNumber": "1001", "division": "home", "dateHire": "2024-03-01T00:00:00Z"},
        GENESYS: {"routingSkills": [{"name": "Sales", "proficiency": 4}],
                  "routingLanguages": [{"name": "Dutch", "proficiency": 2.5}],
                  "externalIds": [{"authority": "microsoftteams", "value": "29:abc"}]},
        **extra,
    }


def test_create_returns_201_with_location_and_etag(scim):
    resp = scim.post("/Users", full_user())
    assert resp.status_code == 201
    user = resp.json()
    assert resp.headers["content-type"] == "application/scim+json"
    assert resp.headers["etag"] == '"1"' == user["meta"]["version"]
    assert resp.headers["location"] == user["meta"]["location"] == f"http://provsim.test{SCIM}/users/{user['id']}"
    assert list(user) == ["schemas", "id", "active", "userName", "displayName", "title", "phoneNumbers", "emails",
                          "externalId", "roles", ENTERPRISE, GENESYS, "meta"]
    assert user["schemas"] == [USER_URN, ENTERPRISE, GENESYS]
    assert "password" not in user and "groups" not in user
    assert user["emails"] == [{"value": "alex.work@contoso.com", "type": "work", "primary": True},
                              {"value": "Alex.Wilber@contoso.com", "type": "other", "primary": False}]
    assert user["roles"] == [{"value": "employee"}, {"value": "Supervisor"}]
    assert user[ENTERPRISE] == {"division": "Home", "department": "Marketing", "employeeNumber": "1001", "dateHire": "2024-03-01"}
    assert user[GENESYS]["externalIds"] == [{"authority": "x-pc:scimv2:v1", "value": "alexw"},
                                            {"authority": "microsoftteams", "value": "29:abc"}]
    assert user[GENESYS]["routingSkills"] == [{"name": "Sales", "proficiency": 4.0}]
    meta = user["meta"]
    assert meta["resourceType"] == "User" and meta["created"] == "2026-01-05T09:00:00.000Z" == meta["lastModified"]


def test_minimal_user_gets_the_employee_role_and_home_division(scim):
    user = scim.create_user()
    assert user["active"] is True and user["roles"] == [{"value": "employee"}]
    assert user[ENTERPRISE] == {"division": "Home"}
    assert GENESYS not in user and user["schemas"] == [USER_URN, ENTERPRISE]


def test_get_by_id_and_both_prefixes_and_any_case(scim):
    user = scim.create_user()
    for path in (f"/api/v2/scim/v2/users/{user['id']}", f"/api/v2/scim/v2/USERS/{user['id']}",
                 f"/api/v2/scim/Users/{user['id']}"):
        resp = scim.get(path)
        assert resp.status_code == 200, path
        assert resp.json()["id"] == user["id"]
    assert scim.get(f"/api/v2/scim/Users/{user['id']}").json()["meta"]["location"].startswith("http://provsim.test/api/v2/scim/users/")


def test_user_name_unique_case_insensitively(scim):
    scim.create_user("dup@contoso.com")
    body = assert_scim_error(scim.post("/Users", {"userName": "DUP@contoso.com", "displayName": "Dup"}), 409, "uniqueness")
    assert body["detail"] == "User name already in use by non-deleted user"


def test_delete_frees_the_user_name(scim):
    user = scim.create_user("gone@contoso.com")
    resp = scim.delete(f"/Users/{user['id']}")
    assert resp.status_code == 204 and resp.content == b""
    assert_scim_error(scim.get(f"/Users/{user['id']}"), 404)
    assert_scim_error(scim.delete(f"/Users/{user['id']}"), 404)
    assert scim.find_user("gone@contoso.com") == []
    assert scim.create_user("gone@contoso.com")["id"] != user["id"]


def test_delete_removes_memberships_and_manager_links(scim):
    boss = scim.create_user("boss@contoso.com", "Boss")
    report = scim.create_user("rep@contoso.com", "Rep", **{ENTERPRISE: {"manager": {"value": boss["id"]}}})
    sales = scim.group("Sales")
    scim.patch(f"/Groups/{sales['id']}", {"op": "add", "path": "members", "value": [{"value": boss["id"]}]})
    assert scim.delete(f"/Users/{boss['id']}").status_code == 204
    assert scim.group("Sales")["members"] == []
    assert "manager" not in scim.get(f"/Users/{report['id']}").json()[ENTERPRISE]


@pytest.mark.parametrize("body, scim_type, fragment", [
    ({"displayName": "No name"}, "invalidValue", "userName"),
    ({"userName": "not-an-email", "displayName": "X"}, "invalidValue", "e-mail"),
    ({"userName": "x@contoso.com"}, "invalidValue", "displayName"),
    ({"userName": 42, "displayName": "X"}, "invalidValue", "string"),
    ({"userName": "x@contoso.com", "displayName": "X", "active": "yes"}, "invalidValue", "boolean"),
    ({"userName": "x@contoso.com", "displayName": "X", "emails": [{"value": "x@contoso.com", "type": "home"}]}, "invalidValue", "work, other"),
    ({"userName": "x@contoso.com", "displayName": "X", "phoneNumbers": [{"value": "555-1234", "type": "work"}]}, "invalidValue", "E.164"),
    ({"userName": "x@contoso.com", "displayName": "X", "phoneNumbers": [{"value": "+15551234567", "type": "fax"}]}, "invalidValue", "Phone type"),
    ({"userName": "x@contoso.com", "displayName": "X", "phoneNumbers": [{"value": "+15551234567", "type": "work"}, {"value": "+15551234568", "type": "work"}]}, "invalidValue", "At most one"),
    ({"userName": "x@contoso.com", "displayName": "X", "roles": [{"value": "Emperor"}]}, "invalidValue", "role"),
    ({"userName": "x@contoso.com", "displayName": "X", GENESYS: {"routingSkills": [{"name": "sales"}]}}, "invalidValue", "skill"),
    ({"userName": "x@contoso.com", "displayName": "X", GENESYS: {"routingLanguages": [{"name": "Dutch", "proficiency": 6}]}}, "invalidValue", "0 to 5"),
    ({"userName": "x@contoso.com", "displayName": "X", ENTERPRISE: {"division": "Mars"}}, "invalidValue", "division"),
    ({"userName": "x@contoso.com", "displayName": "X", ENTERPRISE: {"manager": {"value": "nobody"}}}, "invalidValue", "Manager"),
    ({"userName": "x@contoso.com", "displayName": "X", ENTERPRISE: {"dateHire": "yesterday"}}, "invalidValue", "dateHire"),
    ({"userName": "x@contoso.com", "displayName": "X", ENTERPRISE: "Marketing"}, "invalidValue", "object"),
    ({"schemas": ["urn:example:made:up"], "userName": "x@contoso.com", "displayName": "X"}, "invalidValue", "Unknown schema"),
    ({"schemas": "not a list", "userName": "x@contoso.com", "displayName": "X"}, "invalidSyntax", "schemas"),
    ({"userName": "x@contoso.com", "displayName": "X", "urn:example:ext:User": {"a": 1}}, "invalidValue", "Unknown schema"),
    ([], "invalidSyntax", "object"),
])
def test_invalid_users_are_rejected_and_nothing_is_stored(scim, org, body, scim_type, fragment):
    before = len(org.users)
    detail = assert_scim_error(scim.post("/Users", body), 400, scim_type)["detail"]
    assert fragment in detail
    assert len(org.users) == before


def test_limit_of_fifty_skills(scim, org):
    org.skills.extend(f"s{i}" for i in range(60))
    skills = [{"name": f"s{i}"} for i in range(51)]
    assert_scim_error(scim.post("/Users", {"userName": "x@contoso.com", "displayName": "X", GENESYS: {"routingSkills": skills}}), 400, "invalidValue")


def test_unknown_plain_attributes_and_read_only_ones_are_ignored(scim):
    user = scim.create_user(name={"givenName": "A"}, groups=[{"value": "x"}], id="mine", meta={"version": "9"},
                            emails=[{"value": "other@contoso.com", "type": "other"}])
    assert "name" not in user and "groups" not in user and user["id"] != "mine" and user["meta"]["version"] == '"1"'
    assert [e["type"] for e in user["emails"]] == ["other"]


def test_attribute_names_are_case_insensitive(scim):
    resp = scim.post("/Users", {"username": "lower@contoso.com", "DisplayName": "Lower", "ACTIVE": "False"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["userName"] == "lower@contoso.com" and resp.json()["active"] is False


def test_put_replaces_and_keeps_genesys_grants(scim):
    user = scim.post("/Users", full_user()).json()
    resp = scim.put(f"/Users/{user['id']}", {"userName": "alex.wilber@contoso.com", "displayName": "Alex W."})
    assert resp.status_code == 200, resp.text
    new = resp.json()
    assert new["displayName"] == "Alex W." and "title" not in new and "phoneNumbers" not in new
    assert new["roles"] == user["roles"] and new[GENESYS]["routingSkills"] == user[GENESYS]["routingSkills"]
    assert new[ENTERPRISE] == {"division": "Home"}
    assert new["meta"]["version"] == '"2"' and resp.headers["etag"] == '"2"'
    assert new["meta"]["created"] == user["meta"]["created"]


def test_put_unknown_user_is_404(scim):
    assert_scim_error(scim.put("/Users/00000000-0000-4000-8000-000000000000", {"userName": "a@b.co", "displayName": "A"}), 404)


def test_if_none_match_gives_304(scim):
    user = scim.create_user()
    resp = scim.get(f"/Users/{user['id']}", headers={"If-None-Match": '"1"'})
    assert resp.status_code == 304 and resp.content == b"" and resp.headers["etag"] == '"1"'
    assert scim.get(f"/Users/{user['id']}", headers={"If-None-Match": '"7"'}).status_code == 200


def test_if_match(scim):
    user = scim.create_user()
    path = f"/Users/{user['id']}"
    op = {"op": "replace", "path": "title", "value": "Boss"}
    body = assert_scim_error(scim.patch(path, op, headers={"If-Match": '"7"'}), 400, "invalidVers")
    assert "Version does not match current version" in body["detail"]
    assert scim.patch(path, op, headers={"If-Match": '"1"'}).headers["etag"] == '"2"'
    assert scim.patch(path, {"op": "replace", "path": "title", "value": "B"}, headers={"If-Match": 'W/"2"'}).status_code == 200
    assert_scim_error(scim.put(path, {"userName": user["userName"], "displayName": "x"}, headers={"If-Match": '"1"'}), 400, "invalidVers")
    assert_scim_error(scim.delete(path, headers={"If-Match": '"1"'}), 400, "invalidVers")
    assert scim.delete(path, headers={"If-Match": "*"}).status_code == 204


def test_unchanged_patch_keeps_the_version(scim):
    user = scim.create_user()
    resp = scim.patch(f"/Users/{user['id']}", {"op": "replace", "path": "displayName", "value": user["displayName"]})
    assert resp.headers["etag"] == '"1"'


def test_list_without_filter_returns_only_active_users(scim):
    inactive = scim.create_user("inactive@contoso.com", active=False)
    ids = [u["id"] for u in scim.get("/Users").json()["Resources"]]
    assert inactive["id"] not in ids
    found = scim.get("/Users", params={"filter": "active eq false"}).json()
    assert [u["id"] for u in found["Resources"]] == [inactive["id"]]
    assert scim.find_user("inactive@contoso.com")[0]["id"] == inactive["id"]


def test_pagination(scim):
    for i in range(30):
        scim.create_user(f"user{i:02}@contoso.com", f"User {i}")
    page = scim.get("/Users").json()
    assert page["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (32, 1, 25)
    page2 = scim.get("/Users", params={"startIndex": 26, "count": 25}).json()
    assert (page2["startIndex"], page2["itemsPerPage"]) == (26, 7)
    assert page2["Resources"][-1]["userName"] == "user29@contoso.com"
    empty = scim.get("/Users", params={"count": 0}).json()
    assert (empty["totalResults"], empty["itemsPerPage"], empty["Resources"]) == (32, 0, [])
    assert scim.get("/Users", params={"count": 1000}).json()["itemsPerPage"] == 32  # capped at maxPageSize (100)
    assert scim.get("/Users", params={"startIndex": 0, "count": 2}).json()["startIndex"] == 1
    assert scim.get("/Users", params={"startIndex": 99}).json()["Resources"] == []
    assert_scim_error(scim.get("/Users", params={"count": "ten"}), 400, "invalidValue")


def test_max_page_size(scim, org):
    for i in range(105):
        org.create_user({"userName": f"bulk{i}@contoso.com", "displayName": f"B{i}"})
    assert scim.get("/Users", params={"count": 500}).json()["itemsPerPage"] == 100


def test_attributes_and_excluded_attributes(scim):
    user = scim.post("/Users", full_user()).json()
    path = f"/Users/{user['id']}"
    only = scim.get(path, params={"attributes": "displayName,emails.value," + ENTERPRISE + ":department"}).json()
    assert list(only) == ["schemas", "id", "active", "userName", "displayName", "emails", ENTERPRISE, "meta"]
    assert only["emails"] == [{"value": "alex.work@contoso.com"}, {"value": "Alex.Wilber@contoso.com"}]
    assert only[ENTERPRISE] == {"department": "Marketing"}
    without = scim.get(path, params={"excludedAttributes": f"roles,{GENESYS},externalId,userName,meta.version"}).json()
    assert "roles" not in without and GENESYS not in without and "externalId" not in without
    assert without["userName"] == user["userName"] and "meta" in without
    listed = scim.get("/Users", params={"filter": f'userName eq "{user["userName"]}"', "attributes": "title"}).json()
    assert list(listed["Resources"][0]) == ["schemas", "id", "active", "userName", "title", "meta"]


def test_groups_on_the_user_are_read_only_and_reflect_memberships(scim):
    user = scim.create_user()
    sales = scim.group("Sales")
    scim.patch(f"/Groups/{sales['id']}", {"op": "add", "path": "members", "value": [{"value": user["id"]}]})
    got = scim.get(f"/Users/{user['id']}").json()
    assert got["groups"] == [{"type": "Group", "value": sales["id"], "$ref": f"http://provsim.test{SCIM}/groups/{sales['id']}"}]
    assert_scim_error(scim.patch(f"/Users/{user['id']}", {"op": "add", "path": "groups", "value": [{"value": "x"}]}), 400, "mutability")


def test_fixture_users_exist(scim):
    (megan,) = scim.find_user("megan.bowen@contoso.com")
    assert megan["displayName"] == "Megan Bowen" and megan["roles"] == [{"value": "employee"}]
    (admin,) = scim.find_user("genesys.admin@contoso.com")
    assert [g["value"] for g in admin["groups"]] == [scim.group("Contact Center Admins")["id"]]
