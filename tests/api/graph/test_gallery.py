"""Contract tests for the Entra application gallery: ``/applicationTemplates`` and ``instantiate``
(tutorial step 3), on the blank tenant where nothing is pre-created."""

from __future__ import annotations

import pytest

from simulator.core import ProvsimConfig

from graph_helpers import assert_graph_error

TEMPLATE = "6f3a8e21-54b7-4c19-9d2e-8b1f0a7c3e59"
ROLE_IDS = ["00000000-0000-0000-0000-000000000000", "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b",
            "6f5e4d3c-2b1a-4098-a7b6-c5d4e3f2a1b0", "8a7b6c5d-4e3f-4a1b-9c0d-e1f2a3b4c5d6"]


@pytest.fixture
def config() -> ProvsimConfig:
    return ProvsimConfig(seed=0, fixture="blank")


def test_blank_tenant_has_no_enterprise_apps(graph):
    assert graph.get("/servicePrincipals").json["value"] == []
    assert graph.get("/applications").json["value"] == []


def test_gallery_lists_purecloud_by_genesys_with_filter_select_top(graph):
    resp = graph.get("/applicationTemplates?$filter=displayName eq 'PureCloud by Genesys'")
    assert resp.status_code == 200
    assert resp.json["@odata.context"].endswith("/v1.0/$metadata#applicationTemplates")
    (template,) = resp.json["value"]
    assert list(template) == ["id", "displayName", "homePageUrl", "supportedSingleSignOnModes",
                              "supportedProvisioningTypes", "logoUrl", "categories", "publisher", "description"]
    assert template["id"] == TEMPLATE and template["supportedProvisioningTypes"] == ["sync"]
    assert graph.get("/applicationTemplates?$filter=displayName eq 'purecloud BY genesys'").json["value"] == [template]
    assert graph.get("/applicationTemplates?$filter=startswith(displayName,'Pure')&$select=id").json["value"] == [
        {"id": TEMPLATE}]
    assert graph.get("/applicationTemplates?$filter=displayName eq 'Salesforce'").json["value"] == []
    assert graph.get(f"/applicationTemplates/{TEMPLATE}").json["displayName"] == "PureCloud by Genesys"
    assert_graph_error(graph.get("/applicationTemplates?$filter=logo eq 'x'"), 400, "Request_BadRequest")
    assert_graph_error(graph.get("/applicationTemplates?$filter=displayName eq"), 400, "Request_BadRequest")


def test_instantiate_creates_application_and_service_principal(graph, directory):
    resp = graph.post(f"/applicationTemplates/{TEMPLATE}/instantiate", json={"displayName": "PureCloud by Genesys"})
    assert resp.status_code == 201
    body = resp.json
    assert list(body) == ["@odata.context", "application", "servicePrincipal"]
    assert body["@odata.context"].endswith("/v1.0/$metadata#microsoft.graph.applicationServicePrincipal")
    app, sp = body["application"], body["servicePrincipal"]
    assert app["applicationTemplateId"] == sp["applicationTemplateId"] == TEMPLATE
    assert app["appId"] == sp["appId"] and sp["servicePrincipalNames"] == [app["appId"]]
    assert app["displayName"] == sp["displayName"] == sp["appDisplayName"] == "PureCloud by Genesys"
    assert [r["id"] for r in app["appRoles"]] == [r["id"] for r in sp["appRoles"]] == ROLE_IDS
    assert [r["displayName"] for r in sp["appRoles"]] == ["Default Access", "User", "msiam_access", "Supervisor"]
    assert sp["appRoleAssignmentRequired"] is True and sp["tags"] == ["WindowsAzureActiveDirectoryIntegratedApp"]

    # an ordinary directory object: listed, addressable by appId, found by the synchronization API's lookup
    assert graph.get(f"/servicePrincipals(appId='{app['appId']}')").json["id"] == sp["id"]
    assert directory.get_service_principal(sp["id"])["applicationTemplateId"] == TEMPLATE
    listed = graph.get(f"/servicePrincipals?$filter=applicationTemplateId eq '{TEMPLATE}'").json["value"]
    assert [s["id"] for s in listed] == [sp["id"]]

    # step 4: assign a group with the User role
    sales = graph.group_id("Sales")
    assigned = graph.post(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo",
                          json={"principalId": sales, "resourceId": sp["id"], "appRoleId": ROLE_IDS[1]})
    assert assigned.status_code == 201 and assigned.json["resourceDisplayName"] == "PureCloud by Genesys"

    # a second instance is a separate app (the tutorial's advice for a test app)
    again = graph.post(f"/applicationTemplates/{TEMPLATE}/instantiate", json={"displayName": "PureCloud (test)"})
    assert again.status_code == 201 and again.json["servicePrincipal"]["id"] != sp["id"]


def test_instantiated_service_principal_gets_a_purecloud_sync_job(graph):
    sp = graph.post(f"/applicationTemplates/{TEMPLATE}/instantiate",
                    json={"displayName": "PureCloud by Genesys"}).json["servicePrincipal"]
    templates = graph.get(f"/servicePrincipals/{sp['id']}/synchronization/templates")
    assert templates.status_code == 200 and [t["id"] for t in templates.json["value"]] == ["purecloud"]
    job = graph.post(f"/servicePrincipals/{sp['id']}/synchronization/jobs", json={"templateId": "purecloud"})
    assert job.status_code == 201, job.json
    assert job.json["templateId"] == "purecloud" and job.json["schedule"]["state"] == "Disabled"


def test_instantiate_errors(graph):
    assert_graph_error(graph.post("/applicationTemplates/00000000-1111-4111-8111-000000000000/instantiate",
                                  json={"displayName": "x"}), 404, "Request_ResourceNotFound")
    assert_graph_error(graph.get("/applicationTemplates/00000000-1111-4111-8111-000000000000"), 404,
                       "Request_ResourceNotFound")
    url = f"/applicationTemplates/{TEMPLATE}/instantiate"
    assert_graph_error(graph.post(url, json={}), 400, "Request_BadRequest")
    assert_graph_error(graph.post(url, json={"displayName": 7}), 400, "Request_BadRequest")
    assert graph.get("/servicePrincipals").json["value"] == []  # nothing half-created
