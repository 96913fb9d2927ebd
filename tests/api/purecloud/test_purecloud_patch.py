"""PATCH exactly as Entra sends it, and as RFC 7644 §3.5.2 allows."""

from __future__ import annotations

import pytest

from purecloud_helpers import ENTERPRISE, GENESYS, assert_scim_error


@pytest.fixture
def user(scim):
    return scim.create_user("patch.me@contoso.com", "Patch Me", phoneNumbers=[{"type": "work", "value": "+14255550100"}])


def patch(scim, user, *ops, status=200):
    resp = scim.patch(f"/Users/{user['id']}", *ops)
    assert resp.status_code == status, resp.text
    return resp.json()


def test_entra_update_shapes(scim, user):
    boss = scim.create_user("boss@contoso.com", "Boss")
    out = patch(scim, user,
                {"op": "Replace", "path": "displayName", "value": "Patched"},
                {"op": "Replace", "path": "title", "value": "Agent"},
                {"op": "Add", "path": 'emails[type eq "work"].value', "value": "work@contoso.com"},
                {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+14255550199"},
                {"op": "Replace", "path": 'phoneNumbers[type eq "work"].value', "value": "+14255550111"},
                {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Sales"},
                {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "77"},
                {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]},
                {"op": "Replace", "path": "externalId", "value": "pm"})
    assert out["displayName"] == "Patched" and out["title"] == "Agent" and out["externalId"] == "pm"
    assert out["emails"][0] == {"value": "work@contoso.com", "type": "work"}
    assert out["phoneNumbers"] == [{"value": "+14255550111", "type": "work"}, {"value": "+14255550199", "type": "mobile"}]
    assert out[ENTERPRISE]["department"] == "Sales" and out[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert out["meta"]["version"] == '"2"'  # one request, one version


@pytest.mark.parametrize("manager", ["ID", {"value": "ID"}, [{"value": "ID"}]])
def test_manager_value_forms(scim, user, manager):
    boss = scim.create_user("boss@contoso.com", "Boss")
    value = boss["id"] if manager == "ID" else ({"value": boss["id"]} if isinstance(manager, dict) else [{"value": boss["id"]}])
    out = patch(scim, user, {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": value})
    assert out[ENTERPRISE]["manager"]["value"] == boss["id"]
    out = patch(scim, user, {"op": "remove", "path": f"{ENTERPRISE}:manager"})
    assert "manager" not in out[ENTERPRISE]
    out = patch(scim, user, {"op": "replace", "path": f"{ENTERPRISE}:manager.value", "value": boss["id"]})
    assert out[ENTERPRISE]["manager"]["value"] == boss["id"]


@pytest.mark.parametrize("value, expected", [("False", False), ("false", False), (False, False), ("True", True)])
def test_active_as_string_or_boolean(scim, user, value, expected):
    if expected:
        patch(scim, user, {"op": "replace", "path": "active", "value": False})
    assert patch(scim, user, {"op": "Replace", "path": "active", "value": value})["active"] is expected


def test_no_path_replace_with_object(scim, user):
    out = patch(scim, user, {"op": "Replace", "value": {"active": "False", "displayName": "Renamed",
                                                       f"{ENTERPRISE}:department": "Ops",
                                                       GENESYS: {"routingLanguages": [{"name": "German"}]},
                                                       'emails[type eq "work"].value': "w2@contoso.com"}})
    assert out["active"] is False and out["displayName"] == "Renamed"
    assert out[ENTERPRISE]["department"] == "Ops" and out[GENESYS]["routingLanguages"] == [{"name": "German"}]
    assert out["emails"][0]["value"] == "w2@contoso.com"


def test_remove_and_add_multi_valued(scim, user):
    out = patch(scim, user, {"op": "remove", "path": 'phoneNumbers[type eq "work"]'})
    assert "phoneNumbers" not in out
    out = patch(scim, user, {"op": "add", "path": "phoneNumbers", "value": [{"type": "home", "value": "+3120555000"}]})
    out = patch(scim, user, {"op": "add", "path": "phoneNumbers", "value": [{"type": "HOME", "value": "+3120555001"}]})
    assert out["phoneNumbers"] == [{"value": "+3120555001", "type": "home"}]
    out = patch(scim, user, {"op": "add", "path": "roles", "value": [{"value": "Supervisor"}]})
    assert out["roles"] == [{"value": "employee"}, {"value": "Supervisor"}]
    out = patch(scim, user, {"op": "remove", "path": "roles", "value": [{"value": "employee"}]})
    assert out["roles"] == [{"value": "Supervisor"}]
    out = patch(scim, user, {"op": "replace", "path": f"{GENESYS}:externalIds",
                             "value": [{"authority": "zoomphone", "value": "z1"}]})
    assert out[GENESYS]["externalIds"] == [{"authority": "zoomphone", "value": "z1"}]
    out = patch(scim, user, {"op": "remove", "path": "title"}, {"op": "remove", "path": 'emails[type eq "work"].value'})
    assert "title" not in out


def test_rfc_lower_case_ops_and_user_schema_urn_paths(scim, user):
    out = patch(scim, user, {"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:title", "value": "T"})
    assert out["title"] == "T"
    resp = scim.request("PATCH", f"/Users/{user['id']}", json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],  # the Genesys moderator's example
        "Operations": [{"op": "replace", "path": "displayName", "value": "By moderator"}]})
    assert resp.status_code == 200 and resp.json()["displayName"] == "By moderator"


@pytest.mark.parametrize("op, scim_type", [
    ({"op": "replace", "path": "nickName", "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": "urn:example:ext:User:foo", "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": "emails[type eq \"work\"].colour", "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": "title[type eq \"x\"]", "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": "emails[type co \"w\"].value", "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": "emails[type eq \"work\"", "value": "x"}, "invalidPath"),
    ({"op": "remove"}, "noTarget"),
    ({"op": "replace", "path": "id", "value": "x"}, "mutability"),
    ({"op": "move", "path": "title", "value": "x"}, "invalidSyntax"),
    ({"op": "replace", "path": "title"}, "invalidSyntax"),
    ({"op": "replace", "value": "not an object"}, "invalidValue"),
    ({"op": "replace", "path": "active", "value": "perhaps"}, "invalidValue"),
    ({"op": "replace", "path": "userName", "value": "megan.bowen@contoso.com"}, "uniqueness"),
])
def test_bad_operations(scim, user, op, scim_type):
    status = 409 if scim_type == "uniqueness" else 400
    assert_scim_error(scim.patch(f"/Users/{user['id']}", op), status, scim_type)


def test_failed_patch_changes_nothing(scim, user):
    resp = scim.patch(f"/Users/{user['id']}", {"op": "replace", "path": "title", "value": "Applied?"},
                      {"op": "replace", "path": "nickName", "value": "boom"})
    assert_scim_error(resp, 400, "invalidPath")
    after = scim.get(f"/Users/{user['id']}").json()
    assert "title" not in after and after["meta"]["version"] == '"1"'


@pytest.mark.parametrize("body", [{"Operations": []}, {"Operations": "x"}, {"schemas": []}, {"Operations": ["x"]}])
def test_bad_patch_bodies(scim, user, body):
    assert_scim_error(scim.request("PATCH", f"/Users/{user['id']}", json=body), 400, "invalidSyntax")


def test_unknown_schema_in_patch_body(scim, user):
    resp = scim.request("PATCH", f"/Users/{user['id']}", json={"schemas": ["urn:nope"], "Operations": [
        {"op": "replace", "path": "title", "value": "x"}]})
    assert_scim_error(resp, 400, "invalidValue")


def test_patch_unknown_user(scim):
    assert_scim_error(scim.patch("/Users/00000000-0000-4000-8000-000000000000",
                                 {"op": "replace", "path": "title", "value": "x"}), 404)
