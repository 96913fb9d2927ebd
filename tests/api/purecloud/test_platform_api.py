"""Contract tests for the Genesys Platform API subset (OAuth clients, roles, divisions, groups,
users) on the SCIM fake's host and token.  Shapes: the PureCloudPlatformClientV2 models
(OAuthClient, DomainOrganizationRole, Group, User, *EntityListing); errors: ErrorBody."""

from __future__ import annotations

import pytest

from purecloud_helpers import SCIM, ScimActions, assert_genesys_error

CLIENTS = "/api/v2/oauth/clients"
ROLES = "/api/v2/authorization/roles"
GROUPS = "/api/v2/groups"
USERS = "/api/v2/users"
LISTING_KEYS = ["entities", "pageSize", "pageNumber", "total", "firstUri", "selfUri", "lastUri", "pageCount"]


@pytest.fixture
def admin(http, org) -> ScimActions:
    """The demo client (admin role) on the Platform API and SCIM."""
    return ScimActions(http, org)


def role_id(admin: ScimActions, name: str) -> str:
    resp = admin.get(ROLES, params={"name": name})
    assert resp.status_code == 200, resp.text
    (role,) = resp.json()["entities"]
    return role["id"]


def home_division(admin: ScimActions) -> str:
    resp = admin.get("/api/v2/authorization/divisions/home")
    assert resp.status_code == 200, resp.text
    return resp.json()["id"]


def new_client(admin: ScimActions, *roles: str, name: str = "Entra provisioning") -> dict:
    home = home_division(admin)
    body = {"name": name, "authorizedGrantType": "CLIENT-CREDENTIALS",
            "roleDivisions": [{"roleId": role_id(admin, r), "divisionId": home} for r in roles]}
    resp = admin.post(CLIENTS, body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def login(admin: ScimActions, client: dict) -> ScimActions:
    other = ScimActions.__new__(ScimActions)
    other.http, other.org, other.base = admin.http, admin.org, admin.base
    other.token = other.login(client["id"], client["secret"])
    return other


# ---- roles and divisions -------------------------------------------------------------
def test_roles_are_listed_in_pages_with_user_counts(admin):
    resp = admin.get(ROLES, params={"pageSize": 2, "pageNumber": 2})
    assert resp.status_code == 200
    page = resp.json()
    assert [k for k in page if k in LISTING_KEYS + ["nextUri", "previousUri"]] == [
        "entities", "pageSize", "pageNumber", "total", "firstUri", "selfUri", "nextUri", "previousUri", "lastUri",
        "pageCount"]
    assert (page["pageSize"], page["pageNumber"], page["total"], page["pageCount"]) == (2, 2, 5, 3)
    assert page["nextUri"] == f"{ROLES}?pageSize=2&pageNumber=3"
    assert [r["name"] for r in page["entities"]] == ["SCIM Provisioning", "Directory Viewer"]
    every = {r["name"]: r for r in admin.get(ROLES).json()["entities"]}
    assert every["admin"]["userCount"] == 1 and every["employee"]["userCount"] == 1  # genesys.admin, megan
    scim = every["SCIM Provisioning"]
    assert list(scim)[:4] == ["id", "name", "description", "permissions"]
    assert scim["selfUri"] == f"{ROLES}/{scim['id']}"
    assert {"domain": "directory", "entityName": "user", "actionSet": ["add", "edit", "delete", "view", "setPassword"],
            "allowConditions": False} in scim["permissionPolicies"]
    assert admin.get(f"{ROLES}/{scim['id']}").json()["name"] == "SCIM Provisioning"
    assert_genesys_error(admin.get(f"{ROLES}/nope"), 404, "not.found")
    assert_genesys_error(admin.get(ROLES, params={"pageSize": 501}), 400, "invalid.value")
    assert_genesys_error(admin.get(ROLES, params={"pageNumber": "x"}), 400, "bad.request")


def test_divisions(admin):
    home = admin.get("/api/v2/authorization/divisions/home").json()
    assert home == {"id": "5e1f0c2a-7d3b-4e9a-8f6c-2b1d0a9e8c7f", "name": "Home", "description": "",
                    "homeDivision": True,
                    "selfUri": "/api/v2/authorization/divisions/5e1f0c2a-7d3b-4e9a-8f6c-2b1d0a9e8c7f"}
    assert admin.get("/api/v2/authorization/divisions").json()["entities"] == [home]


# ---- OAuth clients ------------------------------------------------------------------------
def test_client_credentials_client_secret_is_shown_once_and_logs_in(admin):
    created = new_client(admin, "SCIM Provisioning")
    assert list(created) == ["id", "name", "accessTokenValiditySeconds", "description", "registeredRedirectUri",
                             "secret", "roleIds", "dateCreated", "dateModified", "authorizedGrantType",
                             "roleDivisions", "state", "selfUri"]
    assert created["authorizedGrantType"] == "CLIENT-CREDENTIALS" and created["accessTokenValiditySeconds"] == 86400
    assert created["roleIds"] == [created["roleDivisions"][0]["roleId"]] and created["state"] == "active"
    assert len(created["secret"]) >= 40

    got = admin.get(f"{CLIENTS}/{created['id']}").json()
    assert "secret" not in got and got["roleDivisions"] == created["roleDivisions"]
    listed = admin.get(CLIENTS).json()
    assert [c["id"] for c in listed["entities"]] == ["provsim-purecloud-client", "provsim-purecloud-viewer",
                                                       created["id"]]
    assert all("secret" not in c for c in listed["entities"]) and listed["total"] == 3

    provisioning = login(admin, created)
    assert provisioning.get("/Users", params={"filter": 'userName eq "nobody@contoso.com"'}).status_code == 200
    assert provisioning.get(GROUPS).status_code == 200
    # its roles do not include oauth:client:view
    assert_genesys_error(provisioning.get(CLIENTS), 403, "missing.any.permissions")

    assert admin.delete(f"{CLIENTS}/{created['id']}").status_code == 204
    assert_genesys_error(admin.get(f"{CLIENTS}/{created['id']}"), 404, "not.found")
    assert_genesys_error(provisioning.get("/Users"), 401, "bad.credentials")
    resp = admin.http.post("/oauth/token", data={"grant_type": "client_credentials"},
                           auth=(created["id"], created["secret"]))
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


def test_client_without_scim_roles_gets_403_on_scim(admin):
    created = new_client(admin, name="No roles")
    assert created["roleDivisions"] == [] and created["roleIds"] == []
    nobody = login(admin, created)
    body = assert_genesys_error(nobody.get("/Users", params={"filter": 'userName eq "x@contoso.com"'}), 403,
                                "missing.any.permissions")
    assert "directory:user:view" in body["message"]
    assert_genesys_error(nobody.post("/Users", {"userName": "x@contoso.com", "displayName": "X"}), 403,
                         "missing.any.permissions")
    assert_genesys_error(nobody.post(GROUPS, {"name": "X", "type": "official", "visibility": "public",
                                              "rulesVisible": True}), 403, "missing.any.permissions")
    assert nobody.get(GROUPS).status_code == 200  # "Requires no permissions" (GroupsApi.md)


def test_role_grants_by_deprecated_role_ids_and_all_divisions(admin):
    viewer = role_id(admin, "Directory Viewer")
    resp = admin.post(CLIENTS, {"name": "Reader", "authorizedGrantType": "CLIENT-CREDENTIALS", "roleIds": [viewer],
                                "roleDivisions": [{"roleId": viewer, "divisionId": "*"}],
                                "accessTokenValiditySeconds": 300})
    assert resp.status_code == 200, resp.text
    grants = resp.json()["roleDivisions"]
    assert grants == [{"roleId": viewer, "divisionId": "*"},
                      {"roleId": viewer, "divisionId": "5e1f0c2a-7d3b-4e9a-8f6c-2b1d0a9e8c7f"}]
    token = admin.http.post("/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(resp.json()["id"], resp.json()["secret"])).json()
    assert token["expires_in"] == 300


@pytest.mark.parametrize("body, code", [
    ({"authorizedGrantType": "CLIENT-CREDENTIALS"}, "invalid.value"),
    ({"name": "x"}, "invalid.value"),
    ({"name": "x", "authorizedGrantType": "CODE"}, "invalid.value"),
    ({"name": "x", "authorizedGrantType": "CLIENT-CREDENTIALS", "accessTokenValiditySeconds": 60}, "invalid.value"),
    ({"name": "x", "authorizedGrantType": "CLIENT-CREDENTIALS",
      "roleDivisions": [{"roleId": "00000000-0000-4000-8000-000000000000", "divisionId": "*"}]}, "invalid.value"),
    ({"name": "x", "authorizedGrantType": "CLIENT-CREDENTIALS", "roleDivisions": [{"roleId": "r"}]}, "invalid.value"),
    ([], "bad.request"),
])
def test_client_validation(admin, body, code):
    assert_genesys_error(admin.post(CLIENTS, body), 400, code)


def test_client_body_errors(admin):
    assert_genesys_error(admin.request("POST", CLIENTS, content=b"{", headers={"Content-Type": "application/json"}),
                         400, "bad.request")
    assert_genesys_error(admin.request("POST", CLIENTS, content=b"", headers={"Content-Type": "application/json"}),
                         400, "bad.request")
    assert_genesys_error(admin.request("POST", CLIENTS, content=b"name=x",
                                       headers={"Content-Type": "application/x-www-form-urlencoded"}),
                         415, "unsupported.media.type")


# ---- authentication and routing ------------------------------------------------------------
@pytest.mark.parametrize("path", [CLIENTS, ROLES, GROUPS, USERS, "/api/v2/authorization/divisions/home"])
def test_every_route_needs_a_valid_token(http, path):
    body = assert_genesys_error(http.get(path), 401, "bad.credentials")
    assert body["message"] == "No authentication bearer token specified in authorization header."
    assert_genesys_error(http.get(path, headers={"Authorization": "Bearer nope"}), 401, "bad.credentials")


def test_viewer_client_lacks_admin_permissions(admin):
    viewer = ScimActions.__new__(ScimActions)
    viewer.http, viewer.org, viewer.base = admin.http, admin.org, admin.base
    viewer.token = viewer.login("provsim-purecloud-viewer", "provsim-purecloud-viewer-secret")
    body = assert_genesys_error(viewer.get(CLIENTS), 403, "missing.any.permissions")
    assert body["messageParams"] == {"permissions": "[oauth:client:view]"}
    assert_genesys_error(viewer.get(ROLES), 403, "missing.any.permissions")
    assert_genesys_error(viewer.delete(f"{GROUPS}/x"), 403, "missing.any.permissions")
    assert viewer.get(USERS).status_code == 200


def test_unknown_paths_and_methods_answer_in_genesys_shape(admin):
    assert_genesys_error(admin.get(f"{GROUPS}/x/members"), 404, "not.found")
    assert_genesys_error(admin.get("/api/v2/oauth/scopes"), 404, "not.found")
    assert_genesys_error(admin.request("PUT", GROUPS), 405, "method.not.allowed")
    assert_genesys_error(admin.request("PATCH", f"{GROUPS}/x"), 405, "method.not.allowed")
    assert_genesys_error(admin.get(f"{USERS}/00000000-0000-4000-8000-000000000000"), 404, "not.found")


# ---- users -------------------------------------------------------------------------------------
def test_users_show_scim_provisioned_users_as_admin_sees_them(admin):
    megan = admin.find_user("megan.bowen@contoso.com")[0]
    created = admin.create_user("alex.wilber@contoso.com", "Alex Wilber", title="Account Executive",
                                emails=[{"type": "work", "value": "alex@contoso.com"}],
                                phoneNumbers=[{"type": "mobile", "value": "+14255550103"},
                                              {"type": "work", "value": "tel:+14255550111;ext=42"},
                                              {"type": "microsoftteams", "value": "+14255550199"}],
                                **{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                                    "department": "Sales", "manager": {"value": megan["id"]},
                                    "employeeNumber": "E1003"}})
    user = admin.get(f"{USERS}/{created['id']}").json()
    assert list(user) == ["id", "name", "division", "department", "email", "primaryContactInfo", "addresses",
                          "state", "title", "username", "manager", "version", "employerInfo", "acdAutoAnswer",
                          "selfUri"]
    assert user["name"] == "Alex Wilber" and user["email"] == user["username"] == "alex.wilber@contoso.com"
    assert user["state"] == "active" and user["title"] == "Account Executive" and user["department"] == "Sales"
    assert user["division"]["name"] == "Home" and user["version"] == 1
    assert user["manager"] == {"id": megan["id"], "selfUri": f"{USERS}/{megan['id']}"}
    assert user["primaryContactInfo"] == [{"address": "alex.wilber@contoso.com", "mediaType": "EMAIL",
                                           "type": "PRIMARY"}]
    assert user["addresses"] == [
        {"address": "alex@contoso.com", "mediaType": "EMAIL", "type": "WORK"},
        {"address": "+14255550103", "display": "+14255550103", "mediaType": "PHONE", "type": "MOBILE"},
        {"address": "+14255550111", "display": "+14255550111", "mediaType": "PHONE", "type": "WORK",
         "extension": "42"}]
    assert user["employerInfo"] == {"employeeId": "E1003"}

    sales = admin.group("Sales")
    assert admin.patch(f"/Groups/{sales['id']}", {"op": "add", "path": "members",
                                                  "value": [{"value": created["id"]}]}).status_code == 200
    assert admin.patch(f"/Users/{created['id']}", {"op": "replace", "path": "active", "value": False}).status_code == 200
    expanded = admin.get(f"{USERS}/{created['id']}", params={"expand": "groups,authorization"}).json()
    assert expanded["state"] == "inactive" and expanded["version"] == 2
    assert expanded["groups"] == [{"id": sales["id"], "selfUri": f"{GROUPS}/{sales['id']}"}]
    assert [r["name"] for r in expanded["authorization"]["roles"]] == ["employee"]

    active = admin.get(USERS).json()
    assert [u["name"] for u in active["entities"]] == ["Genesys Admin", "Megan Bowen"]
    inactive = admin.get(USERS, params={"state": "inactive"}).json()
    assert [u["id"] for u in inactive["entities"]] == [created["id"]]
    assert admin.get(USERS, params={"state": "any", "sortOrder": "DESC", "pageSize": 1}).json()["entities"][0][
        "name"] == "Megan Bowen"
    by_id = admin.get(USERS, params={"id": f"{created['id']},{megan['id']}", "state": "any"}).json()
    assert by_id["total"] == 2
    assert_genesys_error(admin.get(USERS, params={"state": "gone"}), 400, "invalid.value")


# ---- groups on the blank org ----------------------------------------------------------------------
class TestGroupsOnBlankOrg:
    @pytest.fixture
    def config(self):
        from simulator.core import ProvsimConfig

        return ProvsimConfig(seed=0, fixture="blank")

    def test_blank_org_is_empty_but_has_roles_and_the_demo_client(self, admin):
        assert admin.get(GROUPS).json()["total"] == 0
        assert admin.get(USERS, params={"state": "any"}).json()["total"] == 0
        assert [c["id"] for c in admin.get(CLIENTS).json()["entities"]] == ["provsim-purecloud-client"]
        assert admin.get(ROLES).json()["total"] == 5

    def test_create_list_get_delete_and_unique_names(self, admin):
        body = {"name": "Sales", "description": "Sales team", "type": "official", "visibility": "public",
                "rulesVisible": True}
        resp = admin.post(GROUPS, body)
        assert resp.status_code == 200, resp.text
        sales = resp.json()
        assert list(sales) == ["id", "name", "description", "dateModified", "memberCount", "state", "version", "type",
                               "rulesVisible", "visibility", "rolesEnabled", "includeOwners", "callsEnabled",
                               "selfUri"]
        assert (sales["name"], sales["type"], sales["visibility"], sales["memberCount"], sales["state"]) == (
            "Sales", "official", "public", 0, "active")

        dup = assert_genesys_error(admin.post(GROUPS, {**body, "name": "sales"}), 409, "general.conflict")
        assert dup["message"] == "A group with the name 'sales' already exists."
        assert admin.post(GROUPS, {**body, "name": "Engineering"}).status_code == 200
        listed = admin.get(GROUPS).json()
        assert [g["name"] for g in listed["entities"]] == ["Engineering", "Sales"] and listed["total"] == 2
        assert [g["name"] for g in admin.get(GROUPS, params={"sortOrder": "DESC"}).json()["entities"]] == [
            "Sales", "Engineering"]
        assert admin.get(f"{GROUPS}/{sales['id']}").json() == sales

        # the group the Platform API created is the one SCIM (Entra) matches by displayName
        scim_group = admin.group("Sales")
        assert scim_group["id"] == sales["id"] and scim_group["members"] == []

        assert admin.delete(f"{GROUPS}/{sales['id']}").status_code == 204
        assert_genesys_error(admin.get(f"{GROUPS}/{sales['id']}"), 404, "not.found")
        assert admin.get(f"{SCIM}/Groups", params={"filter": 'displayName eq "Sales"'}).json()["totalResults"] == 0
        assert admin.post(GROUPS, body).status_code == 200  # the name is free again

    def test_rename_needs_the_current_version(self, admin):
        body = {"name": "Sales", "type": "official", "visibility": "public", "rulesVisible": True}
        sales = admin.post(GROUPS, body).json()
        admin.post(GROUPS, {**body, "name": "Support"})
        renamed = admin.request("PUT", f"{GROUPS}/{sales['id']}", json={"name": "Sales EMEA", "version": 1})
        assert renamed.status_code == 200, renamed.text
        assert (renamed.json()["name"], renamed.json()["version"], renamed.json()["type"]) == ("Sales EMEA", 2, "official")
        assert admin.group("Sales EMEA")["id"] == sales["id"]  # SCIM (Entra) now matches the new name
        # a second admin still holding version 1 is refused, and nothing changes
        stale = assert_genesys_error(admin.request("PUT", f"{GROUPS}/{sales['id']}",
                                                   json={"name": "Sales APAC", "version": 1}), 409, "general.conflict")
        assert "does not match the current version of the group (2)" in stale["message"]
        taken = assert_genesys_error(admin.request("PUT", f"{GROUPS}/{sales['id']}",
                                                   json={"name": "support", "version": 2}), 409, "general.conflict")
        assert taken["message"] == "A group with the name 'support' already exists."
        assert_genesys_error(admin.request("PUT", f"{GROUPS}/{sales['id']}", json={"name": "X"}), 400, "invalid.value")
        assert_genesys_error(admin.request("PUT", f"{GROUPS}/{sales['id']}", json={"version": 2}), 400, "invalid.value")
        assert_genesys_error(admin.request("PUT", f"{GROUPS}/nope", json={"name": "X", "version": 1}), 404, "not.found")
        assert admin.get(f"{GROUPS}/{sales['id']}").json()["name"] == "Sales EMEA"

    @pytest.mark.parametrize("change", [
        {"name": ""}, {"type": "team"}, {"visibility": "everyone"}, {"rulesVisible": None},
        {"ownerIds": ["00000000-0000-4000-8000-000000000000"]},
    ])
    def test_group_validation(self, admin, change):
        body = {"name": "Support", "type": "official", "visibility": "public", "rulesVisible": True, **change}
        body = {k: v for k, v in body.items() if v is not None}
        assert_genesys_error(admin.post(GROUPS, body), 400, "invalid.value")

    def test_group_conflict_status_is_configurable(self, admin, runtime):
        runtime.services["purecloud-platform"].group_conflict_status = 400
        body = {"name": "Support", "type": "social", "visibility": "members", "rulesVisible": False}
        assert admin.post(GROUPS, body).status_code == 200
        assert_genesys_error(admin.post(GROUPS, body), 400, "bad.request")

    def test_reset_restores_the_blank_org(self, admin, runtime, http):
        assert admin.post(GROUPS, {"name": "Sales", "type": "official", "visibility": "public",
                                   "rulesVisible": True}).status_code == 200
        new_client(admin, "admin", name="Second admin")
        runtime.reset()
        fresh = ScimActions(http, admin.org)
        assert fresh.get(GROUPS).json()["total"] == 0
        assert len(fresh.get(CLIENTS).json()["entities"]) == 1
        assert fresh.get("/api/v2/authorization/divisions/home").json()["name"] == "Home"
