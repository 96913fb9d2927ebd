"""servicePrincipals, applications, appRoleAssignedTo, users/{id}/appRoleAssignments, gallery templates."""

from __future__ import annotations

from graph_helpers import assert_graph_error

SP = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
APP_ID = "4c1f6e8a-2b3d-4e5f-8a9b-0c1d2e3f4a5b"
USER_ROLE = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"
SUPERVISOR = "8a7b6c5d-4e3f-4a1b-9c0d-e1f2a3b4c5d6"
DEFAULT = "00000000-0000-0000-0000-000000000000"


def test_gallery_service_principal(graph):
    body = graph.get(f"/servicePrincipals?$filter=appId eq '{APP_ID}'").json
    sp = body["value"][0]
    assert sp["id"] == SP and sp["displayName"] == "PureCloud by Genesys" and sp["appRoleAssignmentRequired"] is True
    assert {r["id"] for r in sp["appRoles"]} >= {DEFAULT, USER_ROLE, SUPERVISOR}
    assert graph.get(f"/servicePrincipals(appId='{APP_ID}')").json["id"] == SP
    assert graph.get(f"/servicePrincipals/{SP}?$select=id,appRoles").json["appRoles"][0]["id"] == DEFAULT
    app = graph.get(f"/applications(appId='{APP_ID}')").json
    assert app["displayName"] == "PureCloud by Genesys" and app["applicationTemplateId"]


def test_assignments_from_the_fixture(graph):
    body = graph.get(f"/servicePrincipals/{SP}/appRoleAssignedTo").json
    assigned = [(a["principalDisplayName"], a["principalType"], a["appRoleId"]) for a in body["value"]]
    assert assigned == [("Sales", "Group", USER_ROLE), ("Support", "Group", USER_ROLE), ("Engineering", "Group", USER_ROLE),
                        ("Marketing", "Group", USER_ROLE), ("Nestor Wilke", "User", SUPERVISOR),
                        ("Lynne Robbins", "User", SUPERVISOR)]
    first = body["value"][0]
    assert list(first) == ["id", "deletedDateTime", "appRoleId", "createdDateTime", "principalDisplayName", "principalId",
                           "principalType", "resourceDisplayName", "resourceId"]
    assert first["resourceId"] == SP and first["resourceDisplayName"] == "PureCloud by Genesys"


def test_assign_and_unassign_a_user_and_a_group(graph):
    ben = graph.user("ben.walters@contoso.com")["id"]
    resp = graph.post(f"/servicePrincipals/{SP}/appRoleAssignedTo",
                      json={"principalId": ben, "resourceId": SP, "appRoleId": USER_ROLE,
                            "@odata.type": "#microsoft.graph.appRoleAssignment"})
    assert resp.status_code == 201, resp.json
    assignment = resp.json
    assert assignment["principalType"] == "User" and assignment["principalDisplayName"] == "Ben Walters"
    assert [a["id"] for a in graph.get(f"/users/{ben}/appRoleAssignments").json["value"]] == [assignment["id"]]
    assert_graph_error(graph.post(f"/servicePrincipals/{SP}/appRoleAssignedTo",
                                  json={"principalId": ben, "resourceId": SP, "appRoleId": USER_ROLE}),
                       400, "Request_BadRequest", "Permission being assigned already exists on the object")
    assert graph.delete(f"/servicePrincipals/{SP}/appRoleAssignedTo/{assignment['id']}").status_code == 204
    assert graph.get(f"/users/{ben}/appRoleAssignments").json["value"] == []
    finance = graph.group_id("Finance")
    resp = graph.post(f"/groups/{finance}/appRoleAssignments", json={"principalId": finance, "resourceId": SP, "appRoleId": DEFAULT})
    assert resp.status_code == 201 and resp.json["principalType"] == "Group"
    assert graph.delete(f"/groups/{finance}/appRoleAssignments/{resp.json['id']}").status_code == 204


def test_assign_through_the_user(graph):
    ben = graph.user("ben.walters@contoso.com")["id"]
    resp = graph.post(f"/users/{ben}/appRoleAssignments", json={"principalId": ben, "resourceId": SP, "appRoleId": SUPERVISOR})
    assert resp.status_code == 201
    assert graph.delete(f"/users/{ben}/appRoleAssignments/{resp.json['id']}").status_code == 204
    assert_graph_error(graph.delete(f"/users/{ben}/appRoleAssignments/{resp.json['id']}"), 404, "Request_ResourceNotFound")


def test_assignment_errors(graph):
    ben = graph.user("ben.walters@contoso.com")["id"]
    missing = "33333333-3333-4333-8333-333333333333"
    url = f"/servicePrincipals/{SP}/appRoleAssignedTo"
    assert_graph_error(graph.post(url, json={"principalId": ben, "resourceId": SP, "appRoleId": missing}), 400,
                       "Request_BadRequest", f"Permission being assigned was not found on application '{APP_ID}'.")
    assert_graph_error(graph.post(url, json={"principalId": missing, "resourceId": SP, "appRoleId": USER_ROLE}), 404,
                       "Request_ResourceNotFound")
    assert_graph_error(graph.post(url, json={"principalId": "ben", "resourceId": SP, "appRoleId": USER_ROLE}), 400,
                       "Request_BadRequest")
    assert_graph_error(graph.post(f"/servicePrincipals/{missing}/appRoleAssignedTo",
                                  json={"principalId": ben, "resourceId": missing, "appRoleId": USER_ROLE}), 404,
                       "Request_ResourceNotFound")
    assert_graph_error(graph.delete(f"{url}/nope"), 404, "Request_ResourceNotFound")


def test_gallery_template_instantiate(graph):
    templates = graph.get("/applicationTemplates?$filter=displayName eq 'PureCloud by Genesys'").json["value"]
    assert len(templates) == 1
    resp = graph.post(f"/applicationTemplates/{templates[0]['id']}/instantiate", json={"displayName": "Genesys (test)"})
    assert resp.status_code == 201
    sp = resp.json["servicePrincipal"]
    assert sp["displayName"] == "Genesys (test)" and DEFAULT in {r["id"] for r in sp["appRoles"]}
    assert resp.json["application"]["appId"] == sp["appId"]
    assert graph.get(f"/servicePrincipals/{sp['id']}").status_code == 200


def test_applications_crud(graph):
    resp = graph.post("/applications", json={"displayName": "Tool"})
    assert resp.status_code == 201
    app = resp.json
    sp = graph.post("/servicePrincipals", json={"appId": app["appId"]})
    assert sp.status_code == 201 and sp.json["appId"] == app["appId"]
    assert_graph_error(graph.post("/servicePrincipals", json={"appId": app["appId"]}), 400, "Request_BadRequest")
    assert graph.delete(f"/applications/{app['id']}").status_code == 204
    assert_graph_error(graph.get(f"/servicePrincipals/{sp.json['id']}"), 404, "Request_ResourceNotFound")
    deleted = graph.get("/directory/deletedItems/microsoft.graph.application").json["value"]
    assert [d["id"] for d in deleted] == [app["id"]]


def test_directory_objects_and_organization(graph):
    ben = graph.user("ben.walters@contoso.com")["id"]
    assert graph.get(f"/directoryObjects/{ben}").json["@odata.type"] == "#microsoft.graph.user"
    got = graph.post("/directoryObjects/getByIds", json={"ids": [ben, SP], "types": ["user"]}).json["value"]
    assert [o["id"] for o in got] == [ben]
    org = graph.get("/organization").json["value"][0]
    assert org["id"] == "7d3c2a1e-5b4f-4c8d-9e6a-1f2b3c4d5e6f"
