"""ServiceProviderConfig, ResourceTypes and Schemas describe exactly what the fake supports."""

from __future__ import annotations

from purecloud_helpers import ENTERPRISE, GENESYS, SCIM, assert_scim_error

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


def test_service_provider_config(scim):
    spc = scim.get("/ServiceProviderConfig").json()
    assert spc["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert spc["patch"] == {"supported": True} and spc["etag"] == {"supported": True}
    assert spc["bulk"]["supported"] is False and spc["sort"] == {"supported": False}
    assert spc["filter"] == {"supported": True, "maxResults": 100}
    assert spc["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert scim.get("/serviceproviderconfig").json() == spc


def test_resource_types(scim):
    listed = scim.get("/ResourceTypes").json()
    assert [r["id"] for r in listed["Resources"]] == ["User", "Group"]
    user = scim.get("/ResourceTypes/User").json()
    assert user["endpoint"] == "/Users" and user["schema"] == USER_URN
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}, {"schema": GENESYS, "required": False}]
    assert "schemaExtensions" not in scim.get("/resourcetypes/group").json()
    assert_scim_error(scim.get("/ResourceTypes/Device"), 404)


def test_schemas(scim):
    listed = scim.get("/Schemas").json()
    assert [s["id"] for s in listed["Resources"]] == [USER_URN, ENTERPRISE, GENESYS, GROUP_URN]
    user = scim.get(f"/Schemas/{USER_URN}").json()
    names = [a["name"] for a in user["attributes"]]
    assert names == ["userName", "displayName", "active", "password", "title", "phoneNumbers", "emails", "groups", "roles"]
    phones = next(a for a in user["attributes"] if a["name"] == "phoneNumbers")
    kinds = next(s for s in phones["subAttributes"] if s["name"] == "type")["canonicalValues"]
    assert kinds == ["work", "work2", "work3", "work4", "home", "mobile", "other", "microsoftteams", "zoomphone",
                     "eightbyeight", "ringcentral"]
    ent = scim.get(f"/Schemas/{ENTERPRISE}").json()
    assert [a["name"] for a in ent["attributes"]] == ["division", "department", "manager", "employeeNumber", "dateHire"]
    assert_scim_error(scim.get("/Schemas/urn:nope"), 404)
    assert_scim_error(scim.get("/Schemas", params={"filter": 'id eq "x"'}), 403)


def test_discovery_needs_a_token(http):
    assert http.get(f"{SCIM}/ServiceProviderConfig").status_code == 401
